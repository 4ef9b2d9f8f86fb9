//! Exception handling at run time (WebAssembly 3.0): a store's tags and
//! exception objects, and the libcalls that `throw`, `throw_ref` and the
//! handlers of `try_table` call.
//!
//! Nothing unwinds. `throw` makes an exception object and leaves its
//! `exnref` in `VMLimits::exception`. Generated code tests that slot after
//! every call and, while it is set, branches to the innermost handler of
//! its function or returns at once (with zero results, which its caller
//! never reads). A handler asks [`catch_match`] about each tagged clause in
//! order; the clause that takes the exception calls [`catch_take`], which
//! clears the slot and hands over the payload. An exception still set when
//! the outermost Wasm frame returns to the host is uncaught: the store
//! turns it into a trap with [`crate::TrapCode::UncaughtException`]. Every
//! frame returns normally on the way, so the stack limit and the trap
//! handler's state are left as they were by construction.
//!
//! Exception objects are not garbage-collected. The one in flight is freed
//! when a `catch` or `catch_all` clause takes it, or when it reaches the
//! host. One that Wasm got an `exnref` to (`catch_ref`, `catch_all_ref`)
//! lives as long as the store, and a store holds at most
//! [`MAX_LIVE_EXCEPTIONS`] of them: `throw` traps past that.

use super::libcalls::{instance, raise};
use crate::Trap;
use crate::types::{FuncType, ValType};
use crate::vm::VMContext;

/// A tag of a store: the type of its exceptions' payload (the parameters;
/// there are no results) and that type's engine-wide id, which import
/// matching compares.
#[derive(Debug, Clone)]
pub(crate) struct TagData {
    pub ty: FuncType,
    pub type_id: u64,
}

/// An exception: its tag (a store tag index) and payload, one 16-byte slot
/// per value with the unused high bytes zero.
#[derive(Debug, Clone)]
pub(crate) struct ExceptionObject {
    pub tag: u32,
    pub payload: Box<[u128]>,
    /// Whether Wasm or the host got an `exnref` to it, so that it must
    /// live on after a handler takes it.
    exposed: bool,
}

/// Most exception objects a store keeps at once.
pub const MAX_LIVE_EXCEPTIONS: usize = 1 << 20;

/// A store's exception objects. An `exnref` is an object's id + 1 (0 is
/// null).
#[derive(Debug, Default)]
pub(crate) struct Exceptions {
    objects: Vec<Option<ExceptionObject>>,
    free: Vec<u32>,
}

impl Exceptions {
    /// A new exception of store tag `tag`, as an `exnref`.
    fn create(&mut self, tag: u32, payload: Box<[u128]>) -> Result<u64, Trap> {
        let object = Some(ExceptionObject { tag, payload, exposed: false });
        let id = match self.free.pop() {
            Some(id) => {
                self.objects[id as usize] = object;
                id
            }
            None if self.objects.len() >= MAX_LIVE_EXCEPTIONS => {
                return Err(Trap::host(format!(
                    "more than {MAX_LIVE_EXCEPTIONS} live exceptions (each exnref Wasm keeps lives as long as its store)"
                )));
            }
            None => {
                self.objects.push(object);
                self.objects.len() as u32 - 1
            }
        };
        Ok(u64::from(id) + 1)
    }

    /// The exception `exn` refers to, if it is one of this store's.
    pub fn get(&self, exn: u64) -> Option<&ExceptionObject> {
        self.objects.get(usize::try_from(exn.checked_sub(1)?).ok()?)?.as_ref()
    }

    /// Marks `exn` as referred to, so that it outlives its handler.
    pub fn expose(&mut self, exn: u64) {
        let object = exn.checked_sub(1).and_then(|id| self.objects.get_mut(id as usize));
        if let Some(Some(object)) = object {
            object.exposed = true;
        }
    }

    /// Frees `exn` (the exception in flight, just taken) unless something
    /// refers to it.
    pub fn release(&mut self, exn: u64) {
        let Some(id) = exn.checked_sub(1).and_then(|id| u32::try_from(id).ok()) else { return };
        if let Some(slot) = self.objects.get_mut(id as usize)
            && slot.as_ref().is_some_and(|o| !o.exposed)
        {
            *slot = None;
            self.free.push(id);
        }
    }

    /// How many objects are alive.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn live(&self) -> usize {
        self.objects.len() - self.free.len()
    }
}

/// `raw` with the bytes a value of type `ty` does not use cleared.
fn payload_value(raw: u128, ty: ValType) -> u128 {
    match ty {
        ValType::I32 | ValType::F32 => raw & u128::from(u32::MAX),
        ValType::V128 => raw,
        ValType::I64 | ValType::F64 | ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => {
            raw & u128::from(u64::MAX)
        }
    }
}

/// `throw`: makes an exception of the instance's tag `tag` whose payload
/// is in `payload` (one 16-byte slot per parameter of the tag's type) and
/// sets it as the exception being thrown. Returns 0, or
/// [`super::libcalls::FAILED`] past [`MAX_LIVE_EXCEPTIONS`].
pub(crate) extern "C" fn throw(vmctx: *mut VMContext, tag: u32, payload: *const u128) -> u32 {
    // SAFETY: called by generated code with its own context.
    let instance = unsafe { instance(vmctx) };
    // SAFETY: the instance's store outlives its code, and no other borrow of
    // it is live while its code runs a libcall.
    let store = unsafe { &mut *instance.store };
    let Some(&store_tag) = instance.tags.get(tag as usize) else {
        return raise(Trap::host(format!("throw of unknown tag {tag}")));
    };
    let params = store.tags[store_tag as usize].ty.params();
    let values = if params.is_empty() {
        Box::default()
    } else {
        // SAFETY: generated code passes a slot for every parameter.
        let slots = unsafe { std::slice::from_raw_parts(payload, params.len()) };
        slots.iter().zip(params).map(|(&raw, &ty)| payload_value(raw, ty)).collect()
    };
    match store.exceptions.create(store_tag, values) {
        Ok(exn) => {
            store.limits.exception = exn;
            0
        }
        Err(trap) => raise(trap),
    }
}

/// `throw_ref` of `exn` (not null: the call site checked): sets it as the
/// exception being thrown. Returns 0, or [`super::libcalls::FAILED`] if
/// `exn` is not an exception of this store.
pub(crate) extern "C" fn throw_ref(vmctx: *mut VMContext, exn: u64) -> u32 {
    // SAFETY: as in `throw`.
    let instance = unsafe { instance(vmctx) };
    // SAFETY: as in `throw`.
    let store = unsafe { &mut *instance.store };
    if store.exceptions.get(exn).is_none() {
        return raise(Trap::host(format!("throw_ref of {exn:#x}, not an exception of this store")));
    }
    store.limits.exception = exn;
    0
}

/// Whether the exception being thrown has the instance's tag `tag`: tags
/// are compared by identity (their store index), never by type.
pub(crate) extern "C" fn catch_match(vmctx: *mut VMContext, tag: u32) -> u32 {
    // SAFETY: as in `throw`.
    let instance = unsafe { instance(vmctx) };
    // SAFETY: as in `throw`.
    let store = unsafe { &*instance.store };
    let (Some(thrown), Some(&want)) =
        (store.exceptions.get(store.limits.exception), instance.tags.get(tag as usize))
    else {
        return 0;
    };
    let matched = if plumb_rules::mutant::active("exception-caught-by-wrong-tag") {
        store.tags[thrown.tag as usize].type_id == store.tags[want as usize].type_id
    } else {
        thrown.tag == want
    };
    u32::from(matched)
}

/// Takes the exception being thrown for the clause that catches it: writes
/// its payload to `payload` (room for `len` slots; nothing when null) and
/// clears `VMLimits::exception`. With `keep` (`catch_ref`,
/// `catch_all_ref`) it returns the exception's `exnref` and the exception
/// lives on; without, it returns 0 and the exception is freed.
pub(crate) extern "C" fn catch_take(vmctx: *mut VMContext, payload: *mut u128, len: u32, keep: u32) -> u64 {
    // SAFETY: as in `throw`.
    let instance = unsafe { instance(vmctx) };
    // SAFETY: as in `throw`.
    let store = unsafe { &mut *instance.store };
    let exn = std::mem::take(&mut store.limits.exception);
    if let Some(thrown) = store.exceptions.get(exn)
        && !payload.is_null()
    {
        let n = thrown.payload.len().min(len as usize);
        // SAFETY: generated code passes room for `len` slots.
        let slots = unsafe { std::slice::from_raw_parts_mut(payload, n) };
        slots.copy_from_slice(&thrown.payload[..n]);
    }
    if keep != 0 {
        store.exceptions.expose(exn);
        exn
    } else {
        store.exceptions.release(exn);
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_exception_is_freed_unless_referred_to() {
        let mut exceptions = Exceptions::default();
        let a = exceptions.create(0, Box::new([1])).expect("room");
        let b = exceptions.create(0, Box::new([2])).expect("room");
        exceptions.expose(b);
        exceptions.release(a);
        exceptions.release(b);
        assert_eq!(exceptions.live(), 1);
        assert!(exceptions.get(a).is_none());
        assert_eq!(exceptions.get(b).map(|o| o.payload[0]), Some(2));
        // The freed slot is reused.
        let c = exceptions.create(0, Box::new([3])).expect("room");
        assert_eq!(c, a);
        assert!(exceptions.get(0).is_none());
        assert!(exceptions.get(u64::MAX).is_none());
    }

    #[test]
    fn payload_values_keep_only_their_bytes() {
        assert_eq!(payload_value(u128::MAX, ValType::I32), 0xffff_ffff);
        assert_eq!(payload_value(u128::MAX, ValType::ExnRef), u128::from(u64::MAX));
        assert_eq!(payload_value(u128::MAX, ValType::V128), u128::MAX);
    }
}
