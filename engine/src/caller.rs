//! What a host function sees while Wasm calls it: the store (through a
//! context that cannot be moved or replaced) and the instance that called.

use crate::context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
use crate::engine::Engine;
use crate::instance::{Extern, Instance};

/// The store and the calling instance, for the duration of a host call.
///
/// `caller` is the instance whose code made the call; it is `None` when the
/// host called the function itself (with [`Func::call`](crate::Func::call)).
pub struct Caller<'a, T> {
    store: StoreContextMut<'a, T>,
    caller: Option<Instance>,
}

impl<'a, T> Caller<'a, T> {
    pub(crate) fn new(store: StoreContextMut<'a, T>, caller: Option<Instance>) -> Caller<'a, T> {
        Caller { store, caller }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// The store's engine.
    pub fn engine(&self) -> &Engine {
        self.store.engine()
    }

    /// The export `name` of the calling instance: how a host function finds
    /// the guest's `memory`, for example. `None` if there is no such export,
    /// or if the host rather than an instance made the call.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        self.caller?.get_export(&self.store, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        self.store.as_context()
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        self.store.as_context_mut()
    }
}
