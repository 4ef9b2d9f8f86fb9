//! Exception handling as the embedder sees it (WebAssembly 3.0): tags,
//! exception references, and the exception an uncaught-exception trap
//! carries. How exceptions travel through generated code is in
//! `runtime::exceptions`.

use crate::context::{AsContext, AsContextMut};
use crate::error::{Error, Result};
use crate::types::FuncType;
use crate::values::Val;

/// A tag: what exceptions are thrown with and caught by. Its identity is
/// the tag itself, not its type: two tags of one type catch apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameters
    /// (`ty` has no results), for modules that import a tag.
    pub fn new(mut store: impl AsContextMut, ty: &FuncType) -> Result<Tag> {
        store.as_context_mut().0.inner.add_tag(ty.clone())
    }

    /// The tag's type: its payload as parameters, no results.
    pub fn ty(&self, store: impl AsContext) -> Result<FuncType> {
        let store = store.as_context().0;
        store.inner.check(self.store)?;
        Ok(store.inner.tags[self.index as usize].ty.clone())
    }
}

/// A reference to an exception (`exnref`): what `catch_ref` and
/// `catch_all_ref` give Wasm, and what `throw_ref` throws again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExnRef {
    pub(crate) store: u64,
    /// The store's exception id.
    pub(crate) id: u32,
}

impl ExnRef {
    /// The exception's tag and payload.
    pub fn exception(&self, store: impl AsContext) -> Result<Exception> {
        let store = store.as_context().0;
        store.inner.check(self.store)?;
        store
            .inner
            .exception(u64::from(self.id) + 1)
            .ok_or_else(|| Error::Usage("exception reference to no exception".into()))
    }
}

/// An exception: its tag and payload. A call that ends with an exception
/// no `try_table` caught returns a trap with
/// [`crate::TrapCode::UncaughtException`] that carries it
/// ([`crate::Trap::exception`]).
///
/// Exceptions do not cross host functions: one that escapes Wasm called by
/// a host function ends that call with the trap, and the trap (if the host
/// function returns it) is not catchable by the Wasm that called it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The tag it was thrown with.
    pub tag: Tag,
    /// The values thrown, of the types of the tag's parameters.
    pub payload: Vec<Val>,
}

impl Tag {
    /// The tag's index in its store: tags of one store have distinct
    /// indices (for messages and for comparing with other engines).
    pub fn tag_index(&self) -> usize {
        self.index as usize
    }
}
