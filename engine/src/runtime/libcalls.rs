//! Runtime functions generated code calls for operations too large to
//! inline: `memory.grow`, bulk memory, table operations, segment drops, and
//! host function calls. Each takes the caller's `VMContext` first.
//!
//! A libcall that traps calls [`raise`] with nothing left to drop; the
//! `Result` it matches on holds only a `Copy` trap code.

use super::instance::{HostFunc, InstanceData};
use super::traps::raise;
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
    TableGet,
    TableSet,
    TableSize,
    TableGrow,
    TableFill,
    TableCopy,
    TableInit,
    ElemDrop,
}

/// How many [`Libcall`]s there are.
pub(crate) const LIBCALL_COUNT: usize = 13;

/// The address of every [`Libcall`], in their order.
pub(crate) fn libcall_table() -> [usize; LIBCALL_COUNT] {
    [
        memory_grow as *const () as usize,
        memory_fill as *const () as usize,
        memory_copy as *const () as usize,
        memory_init as *const () as usize,
        data_drop as *const () as usize,
        table_get as *const () as usize,
        table_set as *const () as usize,
        table_size as *const () as usize,
        table_grow as *const () as usize,
        table_fill as *const () as usize,
        table_copy as *const () as usize,
        table_init as *const () as usize,
        elem_drop as *const () as usize,
    ]
}

/// The instance behind a context.
///
/// # Safety
/// `vmctx` must be the context of a live instance, passed by its code.
unsafe fn instance<'a>(vmctx: *mut VMContext) -> &'a mut InstanceData {
    // SAFETY: per the contract, `instance` points at the owning instance.
    unsafe { &mut *(*vmctx).instance.cast::<InstanceData>() }
}

fn check<T>(result: Result<T, TrapCode>) -> T {
    match result {
        Ok(value) => value,
        Err(code) => raise(code),
    }
}

/// Bounds check of `[start, start + len)` within `size`.
fn range(start: u32, len: u32, size: usize, code: TrapCode) -> Result<std::ops::Range<usize>, TrapCode> {
    let (start, end) = (start as usize, start as usize + len as usize);
    let out = if mutant::active("bulk-memory-bounds-off-by-one") { end >= size } else { end > size };
    if out { Err(code) } else { Ok(start..end) }
}

/// `memory.grow`: the old size in pages, or -1 past the maximum or when the
/// store's limiter denies it; a limiter's error traps.
pub(crate) extern "C" fn memory_grow(vmctx: *mut VMContext, delta: u32) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let (Some(memory), store) = (instance.memory, instance.store) else { return u32::MAX };
    // SAFETY: the instance's store outlives its code, and no other borrow of
    // it is live while its code runs a libcall.
    let grown = unsafe { (*store).grow_memory(memory, u64::from(delta)) };
    match grown {
        Ok(Some(old)) => {
            if mutant::active("memory-grow-returns-new-size") {
                (old + u64::from(delta)) as u32
            } else {
                old as u32
            }
        }
        Ok(None) => u32::MAX,
        Err(e) => raise_host_error(crate::Trap::host(e.to_string())),
    }
}

/// `memory.fill`.
pub(crate) extern "C" fn memory_fill(vmctx: *mut VMContext, dst: u32, value: u32, len: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(instance.memory().and_then(|memory| {
        let data = memory.data_mut();
        let r = range(dst, len, data.len(), memory_trap())?;
        data[r].fill(value as u8);
        Ok(())
    }))
}

/// `memory.copy`.
pub(crate) extern "C" fn memory_copy(vmctx: *mut VMContext, dst: u32, src: u32, len: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(instance.memory().and_then(|memory| {
        let data = memory.data_mut();
        let s = range(src, len, data.len(), memory_trap())?;
        range(dst, len, data.len(), memory_trap())?;
        data.copy_within(s, dst as usize);
        Ok(())
    }))
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
pub(crate) extern "C" fn memory_init(vmctx: *mut VMContext, segment: u32, dst: u32, src: u32, len: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let datas = instance.datas.borrow();
    let result = match datas.get(segment as usize) {
        Some(bytes) => range(src, len, bytes.len(), TrapCode::MemoryOutOfBounds).and_then(|s| {
            // SAFETY: the memory lives in the store as long as the instance.
            let memory = instance.memory.map(|m| unsafe { &mut *m }).ok_or(TrapCode::MemoryOutOfBounds)?;
            let d = range(dst, len, memory.data().len(), TrapCode::MemoryOutOfBounds)?;
            memory.data_mut()[d].copy_from_slice(&bytes[s]);
            Ok(())
        }),
        None => Err(TrapCode::MemoryOutOfBounds),
    };
    drop(datas);
    check(result)
}

/// `data.drop`.
pub(crate) extern "C" fn data_drop(vmctx: *mut VMContext, segment: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    if let Some(bytes) = instance.datas.borrow_mut().get_mut(segment as usize) {
        *bytes = Vec::new();
    }
}

/// `table.get`.
pub(crate) extern "C" fn table_get(vmctx: *mut VMContext, table: u32, index: u32) -> u64 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(
        instance
            .table(table)
            .and_then(|t| t.elems.get(index as usize).copied().ok_or(TrapCode::TableOutOfBounds)),
    )
}

/// `table.set`.
pub(crate) extern "C" fn table_set(vmctx: *mut VMContext, table: u32, index: u32, value: u64) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(instance.table(table).and_then(|t| {
        *t.elems.get_mut(index as usize).ok_or(TrapCode::TableOutOfBounds)? = value;
        Ok(())
    }))
}

/// `table.size`.
pub(crate) extern "C" fn table_size(vmctx: *mut VMContext, table: u32) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(instance.table(table).map(|t| t.elems.len() as u32))
}

/// `table.grow`: the old size, or -1.
pub(crate) extern "C" fn table_grow(vmctx: *mut VMContext, table: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let store = instance.store;
    let table: *mut _ = check(instance.table(table).map(|t| t as *mut _));
    // SAFETY: as for `memory_grow`.
    match unsafe { (*store).grow_table(table, u64::from(delta), init) } {
        Ok(Some(old)) => old as u32,
        Ok(None) => u32::MAX,
        Err(e) => raise_host_error(crate::Trap::host(e.to_string())),
    }
}

/// `table.fill`.
pub(crate) extern "C" fn table_fill(vmctx: *mut VMContext, table: u32, start: u32, value: u64, len: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(instance.table(table).and_then(|t| {
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
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    let result =
        instance.table(src_table).and_then(|t| Ok(t.elems[t.range(src, len)?].to_vec())).and_then(|items| {
            let t = instance.table(dst_table)?;
            let r = t.range(dst, len)?;
            t.elems[r].copy_from_slice(&items);
            Ok(())
        });
    check(result)
}

/// `table.init` (also used for active element segments).
pub(crate) fn table_init_impl(
    instance: &mut InstanceData,
    table: u32,
    segment: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> Result<(), TrapCode> {
    let elems = instance.elems.borrow();
    let items = elems.get(segment as usize).ok_or(TrapCode::TableOutOfBounds)?;
    let s = range(src, len, items.len(), TrapCode::TableOutOfBounds)?;
    let items = items[s].to_vec();
    drop(elems);
    let t = instance.table(table)?;
    let d = t.range(dst, len)?;
    t.elems[d].copy_from_slice(&items);
    Ok(())
}

/// `table.init`.
pub(crate) extern "C" fn table_init(
    vmctx: *mut VMContext,
    table: u32,
    segment: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    check(table_init_impl(instance, table, segment, dst, src, len))
}

/// `elem.drop`.
pub(crate) extern "C" fn elem_drop(vmctx: *mut VMContext, segment: u32) {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    if let Some(items) = instance.elems.borrow_mut().get_mut(segment as usize) {
        *items = Vec::new();
    }
}

thread_local! {
    /// The host function's trap being raised, kept whole so the embedder
    /// gets back exactly what its host function returned.
    pub(crate) static HOST_ERROR: std::cell::RefCell<Option<crate::Trap>> = const { std::cell::RefCell::new(None) };
}

/// Called by a host function's trampoline: runs the host function on the
/// argument slots, leaving its results in the same slots.
///
/// Returns 0, or 1 after a host error (left in [`HOST_ERROR`]): the
/// trampoline then traps itself, so that the trap has the Wasm backtrace of
/// its callers (a trap raised from Rust frames could not walk them).
pub(crate) extern "C" fn host_call(func: *mut HostFunc, caller: *mut VMContext, values: *mut u64) -> u32 {
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
            Err(_) => Some(crate::Trap::host("host function panicked")),
        }
    };
    match outcome {
        Some(trap) => {
            HOST_ERROR.with(|e| *e.borrow_mut() = Some(trap));
            1
        }
        None => 0,
    }
}

/// Traps with `trap`, a host error the store hands back to the caller.
fn raise_host_error(trap: crate::Trap) -> ! {
    HOST_ERROR.with(|e| *e.borrow_mut() = Some(trap));
    raise(TrapCode::HostError)
}
