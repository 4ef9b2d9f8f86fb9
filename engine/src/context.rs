//! Store contexts: how API calls reach a store without being able to move
//! or replace it.
//!
//! Every method that needs a store takes `impl AsContext` (to read) or
//! `impl AsContextMut` (to change or to call), as in wasmtime. A
//! [`Store`], `&Store`, `&mut Store`, a [`Caller`](crate::Caller) and the
//! two context types all qualify. The contexts wrap the store privately: a
//! host function holds a [`StoreContextMut`] (inside its `Caller`) while the
//! store runs, and nothing in the API turns one back into `&mut Store<T>`,
//! so the running store cannot be swapped out from under its own code. A
//! host function reads and changes the store through its caller:
//!
//! ```
//! use plumb::{AsContextMut, Caller, Engine, Func, Memory, Limits, Store};
//!
//! let engine = Engine::default();
//! let mut store = Store::new(&engine, 0u32);
//! let memory = Memory::new(&mut store, Limits { min: 1, max: None })?;
//! let func = Func::wrap(&mut store, move |mut caller: Caller<'_, u32>| {
//!     *caller.data_mut() += 1;
//!     memory.data_mut(&mut caller)[0] = 7;
//!     let _context = caller.as_context_mut();
//! })?;
//! func.call(&mut store, &[], &mut [])?;
//! assert_eq!((*store.data(), memory.data(&store)[0]), (1, 7));
//! # Ok::<(), plumb::Error>(())
//! ```
//!
//! but it cannot reach the `Store` itself to replace it:
//!
//! ```compile_fail
//! use plumb::{Caller, Engine, Func, Store};
//!
//! let engine = Engine::default();
//! let mut store = Store::new(&engine, ());
//! Func::wrap(&mut store, move |mut caller: Caller<'_, ()>| {
//!     // There is no way to get a `&mut Store<()>` out of a caller.
//!     let _old = std::mem::replace(caller.store(), Store::new(&Engine::default(), ()));
//! })?;
//! # Ok::<(), plumb::Error>(())
//! ```
//!
//! Nor can the mutable context itself be dereferenced into the store:
//!
//! ```compile_fail
//! use plumb::{AsContextMut, Caller, Engine, Func, Store};
//!
//! let engine = Engine::default();
//! let mut store = Store::new(&engine, ());
//! Func::wrap(&mut store, move |mut caller: Caller<'_, ()>| {
//!     let mut context = caller.as_context_mut();
//!     let _old = std::mem::replace(&mut *context, Store::new(&Engine::default(), ()));
//! })?;
//! # Ok::<(), plumb::Error>(())
//! ```

use crate::engine::Engine;
use crate::store::Store;

/// Shared access to a store: its data and its objects, read-only.
pub struct StoreContext<'a, T>(pub(crate) &'a Store<T>);

/// Exclusive access to a store: its data, its objects, and calls into it.
/// The store itself stays out of reach, so it cannot be moved or replaced.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut Store<T>);

impl<T> Clone for StoreContext<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for StoreContext<'_, T> {}

impl<'a, T> StoreContext<'a, T> {
    /// The embedder's data.
    pub fn data(&self) -> &'a T {
        self.0.data()
    }

    /// The store's engine.
    pub fn engine(&self) -> &'a Engine {
        self.0.engine()
    }
}

impl<T> StoreContextMut<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.0.data()
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.0.data_mut()
    }

    /// The store's engine.
    pub fn engine(&self) -> &Engine {
        self.0.engine()
    }
}

/// Something that gives shared access to a store.
pub trait AsContext {
    /// The embedder's data type of the store.
    type Data;
    /// The store, to read.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Something that gives exclusive access to a store.
pub trait AsContextMut: AsContext {
    /// The store, to change or to call into.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self)
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self)
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        C::as_context(self)
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        C::as_context(self)
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        C::as_context_mut(self)
    }
}

impl<'a, C: AsContext + ?Sized> From<&'a C> for StoreContext<'a, C::Data> {
    fn from(context: &'a C) -> Self {
        context.as_context()
    }
}

impl<'a, C: AsContext + ?Sized> From<&'a mut C> for StoreContext<'a, C::Data> {
    fn from(context: &'a mut C) -> Self {
        C::as_context(context)
    }
}

impl<'a, C: AsContextMut + ?Sized> From<&'a mut C> for StoreContextMut<'a, C::Data> {
    fn from(context: &'a mut C) -> Self {
        context.as_context_mut()
    }
}

impl<'a, T> From<StoreContextMut<'a, T>> for StoreContext<'a, T> {
    fn from(context: StoreContextMut<'a, T>) -> Self {
        StoreContext(context.0)
    }
}
