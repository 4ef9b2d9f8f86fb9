//! The data layout shared by generated code and the runtime: the
//! `VMContext` each instance's code receives as its first argument, and the
//! records it points to. Generated code reads these at the offsets below;
//! the runtime keeps them up to date.

/// A function as generated code sees it: where its code is, the context
/// to call it with, and its canonical signature id (for `call_indirect`).
/// Its address is the function's identity as a `funcref` value.
#[repr(C)]
#[derive(Debug)]
pub struct VMFuncRef {
    /// Entry point, with the signature of the function's Wasm type
    /// preceded by the callee context.
    pub code: *const u8,
    /// The callee context: the owning instance's `VMContext`, or the host
    /// function's data for host functions.
    pub vmctx: *mut u8,
    /// The engine-wide id of the function's type.
    pub type_id: u64,
}

/// Offsets of [`VMFuncRef`] fields.
pub mod funcref {
    /// `code`.
    pub const CODE: i32 = 0;
    /// `vmctx`.
    pub const VMCTX: i32 = 8;
    /// `type_id`.
    pub const TYPE_ID: i32 = 16;
}

/// Bytes per value in the argument/result arrays of entry and host
/// trampolines (`u128` slots): room for a `v128`, smaller values in the
/// low bytes.
pub(crate) const VALUE_SLOT: usize = 16;

/// A table as generated code sees it. Elements are 8 bytes: a
/// `*const VMFuncRef` for `funcref` tables and `externref id + 1` for
/// `externref` tables; 0 is null in both.
#[repr(C)]
#[derive(Debug)]
pub struct VMTable {
    /// First element.
    pub elems: *mut u64,
    /// Number of elements.
    pub len: u64,
}

/// Offsets of [`VMTable`] fields.
pub mod table {
    /// `elems`.
    pub const ELEMS: i32 = 0;
    /// `len`.
    pub const LEN: i32 = 8;
}

/// Limits shared by every instance of a store.
#[repr(C)]
#[derive(Debug)]
pub struct VMLimits {
    /// The lowest stack address generated code may use; a function whose
    /// frame would go below it traps with a stack overflow.
    pub stack_limit: usize,
    /// Fuel left (with `Config::consume_fuel`): each run of operators
    /// subtracts its cost, or traps when it costs more than is left.
    pub fuel: u64,
    /// The epoch at which code checking for it traps with an interrupt
    /// (with `Config::epoch_interruption`).
    pub epoch_deadline: u64,
    /// The engine's current epoch.
    pub epoch: *const std::sync::atomic::AtomicU64,
    /// The exception being thrown (exception handling): its `exnref`
    /// value (the store's exception id + 1), 0 when none is. `throw` sets
    /// it; generated code tests it after every call and, while it is set,
    /// goes to the innermost `try_table`'s handler or returns at once; a
    /// handler that catches it clears it; the host entry turns one still
    /// set into an uncaught-exception trap.
    pub exception: u64,
    /// The address of every libcall, by `Libcall` index.
    pub libcalls: [usize; crate::runtime::libcalls::LIBCALL_COUNT],
}

/// Offsets of [`VMLimits`] fields.
pub mod limits {
    /// `stack_limit`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub const STACK_LIMIT: i32 = 0;
    /// `fuel`.
    pub const FUEL: i32 = 8;
    /// `epoch_deadline`.
    pub const EPOCH_DEADLINE: i32 = 16;
    /// `epoch`.
    pub const EPOCH: i32 = 24;
    /// `exception`.
    pub const EXCEPTION: i32 = 32;
    /// `libcalls`.
    pub const LIBCALLS: i32 = 40;
}

/// The context an instance's code runs with.
#[repr(C)]
#[derive(Debug)]
pub struct VMContext {
    /// Memory 0's base and length, or null.
    pub memory: *mut crate::runtime::memory::VMMemory,
    /// Memory 0's base (never moves: memories reserve their whole range).
    pub memory_base: *mut u8,
    /// Pointers to the 16-byte cells of the global index space.
    pub globals: *const *mut u128,
    /// Pointers to the functions of the function index space.
    pub funcs: *const *const VMFuncRef,
    /// Pointers to the tables of the table index space.
    pub tables: *const *mut VMTable,
    /// Canonical type ids of the module's types, by type index.
    pub type_ids: *const u64,
    /// The store's limits.
    pub limits: *const VMLimits,
    /// The runtime instance, for libcalls.
    pub instance: *mut u8,
    /// Pointers to the `VMMemory` of every memory of the memory index
    /// space (memory 0 included; code reaches memory 0 through `memory`
    /// and `memory_base`, one load fewer).
    pub memories: *const *mut crate::runtime::memory::VMMemory,
}

/// Offsets of [`VMContext`] fields.
pub mod vmctx {
    /// `memory`.
    pub const MEMORY: i32 = 0;
    /// `memory_base`.
    pub const MEMORY_BASE: i32 = 8;
    /// `globals`.
    pub const GLOBALS: i32 = 16;
    /// `funcs`.
    pub const FUNCS: i32 = 24;
    /// `tables`.
    pub const TABLES: i32 = 32;
    /// `type_ids`.
    pub const TYPE_IDS: i32 = 40;
    /// `limits`.
    pub const LIMITS: i32 = 48;
    /// `instance` (read by the runtime, not by generated code).
    #[cfg_attr(not(test), allow(dead_code))]
    pub const INSTANCE: i32 = 56;
    /// `memories`.
    pub const MEMORIES: i32 = 64;
}

/// Offset of `VMMemory::base`.
pub const MEMORY_BASE: i32 = 0;

/// Offset of `VMMemory::len`.
pub const MEMORY_LEN: i32 = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn offsets_match_the_structs() {
        assert_eq!(offset_of!(VMFuncRef, code), funcref::CODE as usize);
        assert_eq!(offset_of!(VMFuncRef, vmctx), funcref::VMCTX as usize);
        assert_eq!(offset_of!(VMFuncRef, type_id), funcref::TYPE_ID as usize);
        assert_eq!(offset_of!(VMTable, elems), table::ELEMS as usize);
        assert_eq!(offset_of!(VMTable, len), table::LEN as usize);
        assert_eq!(offset_of!(VMContext, memory), vmctx::MEMORY as usize);
        assert_eq!(offset_of!(VMContext, memory_base), vmctx::MEMORY_BASE as usize);
        assert_eq!(offset_of!(VMContext, globals), vmctx::GLOBALS as usize);
        assert_eq!(offset_of!(VMContext, funcs), vmctx::FUNCS as usize);
        assert_eq!(offset_of!(VMContext, tables), vmctx::TABLES as usize);
        assert_eq!(offset_of!(VMContext, type_ids), vmctx::TYPE_IDS as usize);
        assert_eq!(offset_of!(VMContext, limits), vmctx::LIMITS as usize);
        assert_eq!(offset_of!(VMContext, instance), vmctx::INSTANCE as usize);
        assert_eq!(offset_of!(VMContext, memories), vmctx::MEMORIES as usize);
        assert_eq!(offset_of!(crate::runtime::memory::VMMemory, base), MEMORY_BASE as usize);
        assert_eq!(offset_of!(crate::runtime::memory::VMMemory, len), MEMORY_LEN as usize);
        assert_eq!(offset_of!(VMLimits, stack_limit), limits::STACK_LIMIT as usize);
        assert_eq!(offset_of!(VMLimits, fuel), limits::FUEL as usize);
        assert_eq!(offset_of!(VMLimits, epoch_deadline), limits::EPOCH_DEADLINE as usize);
        assert_eq!(offset_of!(VMLimits, epoch), limits::EPOCH as usize);
        assert_eq!(offset_of!(VMLimits, exception), limits::EXCEPTION as usize);
        assert_eq!(offset_of!(VMLimits, libcalls), limits::LIBCALLS as usize);
    }
}
