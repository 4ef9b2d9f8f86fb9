//! Runtime objects of a store: function, table and global records laid out
//! as generated code expects, and instances with their `VMContext`.

use std::cell::RefCell;

use super::memory::{LinearMemory, VMMemory};
use crate::trap::TrapCode;
use crate::types::{ExactType, FuncType, GlobalType, TableType};
use crate::vm::{VMContext, VMFuncRef, VMLimits, VMTable};

/// A host function as the runtime calls it: the caller's context (null when
/// the host calls it) and the arguments and results as 16-byte slots in one
/// array.
pub(crate) type HostCall = Box<dyn Fn(*mut VMContext, &mut [u128]) -> Result<(), crate::Trap> + Send>;

/// What a host function's `VMFuncRef::vmctx` points to.
pub(crate) struct HostFunc {
    pub ty: FuncType,
    pub call: HostCall,
}

/// A function of a store: its `VMFuncRef` (whose address is its identity),
/// its type, and what keeps its code alive.
pub(crate) struct FuncData {
    pub vm: VMFuncRef,
    pub ty: FuncType,
    /// For host functions: the function the trampoline calls.
    pub host: Option<Box<HostFunc>>,
}

/// A table of a store.
#[derive(Debug)]
pub(crate) struct TableData {
    pub vm: VMTable,
    pub elems: Vec<u64>,
    pub ty: TableType,
    /// Most elements it may grow to, whatever its type allows.
    pub max_elements: u64,
    /// Whether its indices are `i64` (table64).
    pub index64: bool,
    /// Its element type with reference types exact (canonical ids).
    pub exact: ExactType,
}

impl TableData {
    /// A table of `ty` filled with `init`, growing to at most `max_elements`.
    pub fn new(ty: TableType, init: u64, max_elements: u64) -> TableData {
        let vm = VMTable { elems: std::ptr::null_mut(), len: 0 };
        let exact = ExactType::Plain(ty.element);
        let mut table = TableData { vm, elems: vec![], ty, max_elements, index64: false, exact };
        table.elems = vec![init; ty.limits.min as usize];
        table.sync();
        table
    }

    /// Republishes the element array after it may have moved.
    fn sync(&mut self) {
        self.vm.elems = self.elems.as_mut_ptr();
        self.vm.len = self.elems.len() as u64;
    }

    /// `table.grow`: the old size, or `None` past the maximum.
    pub fn grow(&mut self, delta: u64, init: u64) -> Option<u64> {
        let old = self.elems.len() as u64;
        let max = self.ty.limits.max.unwrap_or(u64::from(u32::MAX)).min(self.max_elements);
        let new = old.checked_add(delta).filter(|&n| n <= max)?;
        self.elems.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    /// The elements `[start, start + len)`, or a table-bounds trap (the
    /// indices of 32-bit tables zero-extended; the sum cannot wrap).
    pub fn range(&self, start: u64, len: u64) -> Result<std::ops::Range<usize>, TrapCode> {
        let end = u128::from(start) + u128::from(len);
        if end > self.elems.len() as u128 {
            Err(TrapCode::TableOutOfBounds)
        } else {
            Ok(start as usize..end as usize)
        }
    }
}

/// Largest table the runtime allows, in elements.
pub(crate) const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A global of a store: its cell first, as generated code addresses it.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GlobalData {
    /// 16 bytes, so that a `v128` fits; smaller values in its low bytes.
    pub cell: u128,
    pub ty: GlobalType,
    /// Its content type with reference types exact (canonical ids).
    pub exact: ExactType,
}

/// An instance: its context and the arrays the context points into.
pub(crate) struct InstanceData {
    /// Its index in the store (for the `Caller` of host functions).
    pub index: u32,
    /// Its store's objects (for libcalls that grow memories and tables).
    pub store: *mut crate::store::StoreInner,
    pub vmctx: VMContext,
    pub globals: Vec<*mut u128>,
    pub funcs: Vec<*const VMFuncRef>,
    pub tables: Vec<*mut VMTable>,
    pub table_data: Vec<*mut TableData>,
    pub type_ids: Vec<u64>,
    /// The memory index space.
    pub memories: Vec<*mut LinearMemory>,
    /// Their `VMMemory` records, which `VMContext::memories` points to.
    pub vm_memories: Vec<*mut VMMemory>,
    /// Element segments as raw table elements; dropped ones are empty.
    pub elems: RefCell<Vec<Vec<u64>>>,
    /// The module it is an instance of (its data segments' bytes).
    pub module: crate::module::Module,
    /// Which data segments are dropped (their bytes are then empty).
    pub dropped_datas: RefCell<Vec<bool>>,
    /// The tag index space, as store tag indices (a tag's identity).
    pub tags: Vec<u32>,
}

impl InstanceData {
    /// Points the context at the arrays (after they are final).
    pub fn publish(&mut self, limits: *const VMLimits) {
        // SAFETY: the memories are owned by the same store as this instance.
        self.vm_memories = self.memories.iter().map(|&m| unsafe { (*m).vm_memory() }).collect();
        let memory = self.vm_memories.first().map(|&m| {
            // SAFETY: as above.
            (m, unsafe { (*m).base })
        });
        self.vmctx = VMContext {
            memory: memory.map_or(std::ptr::null_mut(), |m| m.0),
            memory_base: memory.map_or(std::ptr::null_mut(), |m| m.1),
            globals: self.globals.as_ptr(),
            funcs: self.funcs.as_ptr(),
            tables: self.tables.as_ptr(),
            type_ids: self.type_ids.as_ptr(),
            limits,
            instance: (self as *mut InstanceData).cast(),
            memories: self.vm_memories.as_ptr(),
        };
    }

    /// The instance's memory `index`.
    pub fn memory(&mut self, index: u32) -> Result<&mut LinearMemory, TrapCode> {
        let memory = *self.memories.get(index as usize).ok_or(TrapCode::MemoryOutOfBounds)?;
        // SAFETY: the memory lives in the store as long as the instance.
        Ok(unsafe { &mut *memory })
    }

    /// The bytes of data segment `index`, empty once dropped; `None` past
    /// the last segment.
    pub fn data(&self, index: u32) -> Option<&[u8]> {
        let dropped = *self.dropped_datas.borrow().get(index as usize)?;
        let bytes = &self.module.inner.info.datas.get(index as usize)?.bytes;
        Some(if dropped { &[] } else { bytes })
    }

    /// Drops data segment `index` (`data.drop`, or active segments once
    /// instantiation has applied them).
    pub fn drop_data(&self, index: u32) {
        if let Some(dropped) = self.dropped_datas.borrow_mut().get_mut(index as usize) {
            *dropped = true;
        }
    }

    /// The instance's table `index`.
    pub fn table(&mut self, index: u32) -> Result<&mut TableData, TrapCode> {
        let table = *self.table_data.get(index as usize).ok_or(TrapCode::TableOutOfBounds)?;
        // SAFETY: tables live in the store as long as the instance.
        Ok(unsafe { &mut *table })
    }
}

/// A placeholder context before `publish`.
pub(crate) fn empty_vmctx() -> VMContext {
    VMContext {
        memory: std::ptr::null_mut(),
        memory_base: std::ptr::null_mut(),
        globals: std::ptr::null(),
        funcs: std::ptr::null(),
        tables: std::ptr::null(),
        type_ids: std::ptr::null(),
        limits: std::ptr::null(),
        instance: std::ptr::null_mut(),
        memories: std::ptr::null(),
    }
}
