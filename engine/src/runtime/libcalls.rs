//! Runtime functions generated code calls for operations too large to
//! inline: `memory.grow`, bulk memory, bulk table operations, segment
//! drops, host function calls, and exception handling (in
//! [`super::exceptions`]). Each takes the caller's `VMContext`
//! first.
//!
//! A libcall never unwinds. One that must trap leaves its [`Trap`] in
//! [`RAISED`] and returns a failure status, and its call site in generated
//! code traps (`user_trap::RAISED`). The trap is then a fault in generated
//! code like any other: the signal handler walks the Wasm frames from
//! there, so the trap has a backtrace, and no Rust frame is jumped over.

use super::exceptions;
use super::instance::{HostFunc, InstanceData};
use super::memory::LinearMemory;
use crate::Trap;
use crate::trap::TrapCode;
use crate::vm::VMContext;
use plumb_rules::mutant;

/// The libcalls generated code calls, by their index in
/// `VMLimits::libcalls` (generated code loads their addresses from there).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Libcall {
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
    MemoryInit,
    DataDrop,
    TableGrow,
    TableFill,
    TableCopy,
    TableInit,
    ElemDrop,
    Throw,
    ThrowRef,
    CatchMatch,
    CatchTake,
}

/// How many [`Libcall`]s there are.
pub(crate) const LIBCALL_COUNT: usize = 14;

/// The address of every [`Libcall`], in their order.
pub(crate) fn libcall_table() -> [usize; LIBCALL_COUNT] {
    [
        memory_grow as *const () as usize,
        memory_fill as *const () as usize,
        memory_copy as *const () as usize,
        memory_init as *const () as usize,
        data_drop as *const () as usize,
        table_grow as *const () as usize,
        table_fill as *const () as usize,
        table_copy as *const () as usize,
        table_init as *const () as usize,
        elem_drop as *const () as usize,
        exceptions::throw as *const () as usize,
        exceptions::throw_ref as *const () as usize,
        exceptions::catch_match as *const () as usize,
        exceptions::catch_take as *const () as usize,
    ]
}

/// The instance behind a context.
///
/// # Safety
/// `vmctx` must be the context of a live instance, passed by its code.
pub(super) unsafe fn instance<'a>(vmctx: *mut VMContext) -> &'a mut InstanceData {
    // SAFETY: per the contract, `instance` points at the owning instance.
    unsafe { &mut *(*vmctx).instance.cast::<InstanceData>() }
}

thread_local! {
    /// The trap a libcall or host function raised, kept whole (a host
    /// function's error exactly as it returned it) until the store picks it
    /// up after its call site trapped.
    pub(crate) static RAISED: std::cell::RefCell<Option<Trap>> = const { std::cell::RefCell::new(None) };
}

/// Status a libcall returns when it raised a trap.
pub(crate) const FAILED: u32 = 1;

/// Leaves `trap` in [`RAISED`] for the call site to trap with.
pub(super) fn raise(trap: Trap) -> u32 {
    RAISED.with(|r| *r.borrow_mut() = Some(trap));
    FAILED
}

/// The status of a libcall that returns nothing: 0, or [`FAILED`] after
/// raising its trap.
fn status(result: Result<(), TrapCode>) -> u32 {
    match result {
        Ok(()) => 0,
        Err(code) => raise(Trap::new(code)),
    }
}

/// The status and result of a libcall that returns a 32-bit value: the
/// value in the low half, or [`FAILED`] in the high half after raising its
/// trap.
fn status_and_value(result: Result<u32, Trap>) -> u64 {
    match result {
        Ok(value) => u64::from(value),
        Err(trap) => u64::from(raise(trap)) << 32,
    }
}

/// Bounds check of `[start, start + len)` within `size`.
fn range(start: u32, len: u32, size: usize, code: TrapCode) -> Result<std::ops::Range<usize>, TrapCode> {
    range64(u64::from(start), u64::from(len), size, code)
}

/// [`range`] for the 64-bit addresses and lengths of memory instructions
/// (those of 32-bit memories zero-extended); the sum cannot wrap.
fn range64(start: u64, len: u64, size: usize, code: TrapCode) -> Result<std::ops::Range<usize>, TrapCode> {
    let end = u128::from(start) + u128::from(len);
    let out = if mutant::active("bulk-memory-bounds-off-by-one") {
        end >= size as u128
    } else {
        end > size as u128
    };
    if out { Err(code) } else { Ok(start as usize..end as usize) }
}

/// `memory.grow`: the old size in pages, or -1 past the maximum or when the
/// store's limiter denies it; a limiter's error traps (see
/// [`status_and_value`]).
pub(crate) extern "C" fn memory_grow(vmctx: *mut VMContext, memory: u32, delta: u64) -> u64 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let store = instance.store;
    let memory: *mut _ = match instance.memory(memory) {
        Ok(memory) => memory,
        Err(code) => return status_and_value(Err(Trap::new(code))),
    };
    // SAFETY: the instance's store outlives its code, and no other borrow of
    // it is live while its code runs a libcall.
    let grown = unsafe { (*store).grow_memory(memory, delta) };
    // The old size fits in 31 bits: no memory exceeds 65536 pages.
    status_and_value(match grown {
        Ok(Some(old)) if mutant::active("memory-grow-returns-new-size") => Ok(old.wrapping_add(delta) as u32),
        Ok(Some(old)) => Ok(old as u32),
        Ok(None) => Ok(u32::MAX),
        Err(e) => Err(Trap::host(e.to_string())),
    })
}

/// `memory.fill`.
pub(crate) extern "C" fn memory_fill(
    vmctx: *mut VMContext,
    memory: u32,
    dst: u64,
    value: u32,
    len: u64,
) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    status(instance.memory(memory).and_then(|memory| {
        let data = memory.data_mut();
        let r = range64(dst, len, data.len(), memory_trap())?;
        data[r].fill(value as u8);
        Ok(())
    }))
}

/// `memory.copy`.
pub(crate) extern "C" fn memory_copy(
    vmctx: *mut VMContext,
    dst_memory: u32,
    src_memory: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    status((|| {
        let from: *mut LinearMemory = instance.memory(src_memory)?;
        let to: *mut LinearMemory = instance.memory(dst_memory)?;
        if std::ptr::eq(from, to) {
            // SAFETY: the memory lives in the store as long as the instance.
            let data = unsafe { (*to).data_mut() };
            let s = range64(src, len, data.len(), memory_trap())?;
            let d = range64(dst, len, data.len(), memory_trap())?;
            data.copy_within(s, d.start);
        } else {
            // SAFETY: two distinct memories of the store, so the two
            // borrows do not overlap.
            let (from, to) = unsafe { ((*from).data(), (*to).data_mut()) };
            let s = range64(src, len, from.len(), memory_trap())?;
            let d = range64(dst, len, to.len(), memory_trap())?;
            to[d].copy_from_slice(&from[s]);
        }
        Ok(())
    })())
}

/// The trap of an out-of-bounds `memory.fill` or `memory.copy`.
fn memory_trap() -> TrapCode {
    if mutant::active("memory-fill-wrong-trap-code") {
        TrapCode::TableOutOfBounds
    } else {
        TrapCode::MemoryOutOfBounds
    }
}

/// `memory.init`.
pub(crate) extern "C" fn memory_init(
    vmctx: *mut VMContext,
    memory: u32,
    segment: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let result = match instance.data(segment) {
        Some(bytes) => range(src, len, bytes.len(), TrapCode::MemoryOutOfBounds).and_then(|s| {
            let memory = *instance.memories.get(memory as usize).ok_or(TrapCode::MemoryOutOfBounds)?;
            // SAFETY: the memory lives in the store as long as the instance.
            let memory = unsafe { &mut *memory };
            let d = range64(dst, u64::from(len), memory.data().len(), TrapCode::MemoryOutOfBounds)?;
            memory.data_mut()[d].copy_from_slice(&bytes[s]);
            Ok(())
        }),
        None => Err(TrapCode::MemoryOutOfBounds),
    };
    status(result)
}

/// `data.drop`.
pub(crate) extern "C" fn data_drop(vmctx: *mut VMContext, segment: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    instance.drop_data(segment);
}

/// `table.grow`: the old size, or -1 past the maximum or when the store's
/// limiter denies it; a limiter's error traps (see [`status_and_value`]).
pub(crate) extern "C" fn table_grow(vmctx: *mut VMContext, table: u32, init: u64, delta: u64) -> u64 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let store = instance.store;
    let table: *mut _ = match instance.table(table) {
        Ok(table) => table,
        Err(code) => return status_and_value(Err(Trap::new(code))),
    };
    // SAFETY: as for `memory_grow`.
    // The old size fits in 31 bits: no table exceeds `MAX_TABLE_ELEMENTS`.
    status_and_value(match unsafe { (*store).grow_table(table, delta, init) } {
        Ok(Some(old)) => Ok(old as u32),
        Ok(None) => Ok(u32::MAX),
        Err(e) => Err(Trap::host(e.to_string())),
    })
}

/// `table.fill`.
pub(crate) extern "C" fn table_fill(
    vmctx: *mut VMContext,
    table: u32,
    start: u64,
    value: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    status(instance.table(table).and_then(|t| {
        let r = t.range(start, len)?;
        t.elems[r].fill(value);
        Ok(())
    }))
}

/// `table.copy`.
pub(crate) extern "C" fn table_copy(
    vmctx: *mut VMContext,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let result =
        instance.table(src_table).and_then(|t| Ok(t.elems[t.range(src, len)?].to_vec())).and_then(|items| {
            let t = instance.table(dst_table)?;
            let r = t.range(dst, len)?;
            t.elems[r].copy_from_slice(&items);
            Ok(())
        });
    status(result)
}

/// `table.init` (also used for active element segments).
pub(crate) fn table_init_impl(
    instance: &mut InstanceData,
    table: u32,
    segment: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> Result<(), TrapCode> {
    let elems = instance.elems.borrow();
    let items = elems.get(segment as usize).ok_or(TrapCode::TableOutOfBounds)?;
    let s = range(src, len, items.len(), TrapCode::TableOutOfBounds)?;
    let items = items[s].to_vec();
    drop(elems);
    let t = instance.table(table)?;
    let d = t.range(dst, u64::from(len))?;
    t.elems[d].copy_from_slice(&items);
    Ok(())
}

/// `table.init`.
pub(crate) extern "C" fn table_init(
    vmctx: *mut VMContext,
    table: u32,
    segment: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    status(table_init_impl(instance, table, segment, dst, src, len))
}

/// `elem.drop`.
pub(crate) extern "C" fn elem_drop(vmctx: *mut VMContext, segment: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    if let Some(items) = instance.elems.borrow_mut().get_mut(segment as usize) {
        *items = Vec::new();
    }
}

/// Called by a host function's trampoline: runs the host function on the
/// argument slots, leaving its results in the same slots.
///
/// Returns 0, or [`FAILED`] after a host error (left in [`RAISED`]): the
/// trampoline then traps itself, so that the trap has the Wasm backtrace of
/// its callers.
pub(crate) extern "C" fn host_call(func: *mut HostFunc, caller: *mut VMContext, values: *mut u128) -> u32 {
    let outcome = {
        // SAFETY: `func` is the `HostFunc` this trampoline was made for, and
        // `values` has room for max(params, results) slots.
        let func = unsafe { &*func };
        let n = func.ty.params().len().max(func.ty.results().len());
        // SAFETY: as above.
        let slots = unsafe { std::slice::from_raw_parts_mut(values, n) };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (func.call)(caller, slots))) {
            Ok(Ok(())) => None,
            Ok(Err(trap)) => Some(trap),
            Err(_) => Some(Trap::host("host function panicked")),
        }
    };
    outcome.map_or(0, raise)
}
