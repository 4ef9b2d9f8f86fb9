//! Linking by name: the definitions imports are resolved against.

use std::collections::HashMap;
use std::sync::Arc;

use crate::caller::Caller;
use crate::context::{AsContext, AsContextMut};
use crate::error::{Error, Result};
use crate::func::{Func, IntoFunc};
use crate::instance::{Extern, Instance};
use crate::module::Module;
use crate::module_info::EntityIndex;
use crate::trap::Trap;
use crate::types::FuncType;
use crate::values::Val;

type SharedHostFn<T> = Arc<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync>;

/// A definition: an object of a store, or a host function made anew in each
/// store it is instantiated into.
enum Definition<T> {
    Extern(u64, Extern),
    Host(FuncType, SharedHostFn<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(id, item) => Definition::Extern(*id, *item),
            Definition::Host(ty, body) => Definition::Host(ty.clone(), Arc::clone(body)),
        }
    }
}

/// Resolves imports by `module.name` and instantiates modules.
pub struct Linker<T> {
    definitions: HashMap<(String, String), Definition<T>>,
}

impl<T: 'static> Default for Linker<T> {
    fn default() -> Self {
        Linker { definitions: HashMap::new() }
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(_engine: &crate::Engine) -> Linker<T> {
        Linker::default()
    }

    /// Defines `module.name` as a host function from a Rust closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<T, Params, Results> + Sync,
    ) -> Result<&mut Linker<T>> {
        let (ty, body) = func.into_func();
        let shared = SyncHostFn(body);
        let body: SharedHostFn<T> =
            Arc::new(move |caller, args: &[Val], results: &mut [Val]| shared.call(caller, args, results));
        self.definitions.insert((module.into(), name.into()), Definition::Host(ty, body));
        Ok(self)
    }

    /// Defines `module.name` as a host function with a dynamic signature.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Result<&mut Linker<T>> {
        self.definitions.insert((module.into(), name.into()), Definition::Host(ty, Arc::new(func)));
        Ok(self)
    }

    /// Defines `module.name` as an object of `store`.
    pub fn define(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Linker<T>> {
        let id = store.as_context().0.inner.id;
        self.definitions.insert((module.into(), name.into()), Definition::Extern(id, item.into()));
        Ok(self)
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Linker<T>> {
        let exports: Vec<(String, Extern)> =
            instance.exports(&store).map(|(n, e)| (n.to_string(), e)).collect();
        for (name, item) in exports {
            self.define(&store, module, &name, item)?;
        }
        Ok(self)
    }

    /// Instantiates `module`, resolving its imports here.
    pub fn instantiate(&self, store: impl AsContextMut<Data = T>, module: &Module) -> Result<Instance> {
        self.instantiate_pre(module)?.instantiate(store)
    }

    /// Resolves `module`'s imports here once, for instantiating it many
    /// times (in any store of the engine) without looking them up again.
    /// Fails when an import is not defined, or when a host function's type
    /// does not match its import; imports of store objects are checked
    /// against their store at instantiation.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        let info = &module.inner.info;
        let mut imports = Vec::with_capacity(info.imports.len());
        for import in &info.imports {
            let (import_module, name) = (import.module.as_str(), import.name.as_str());
            let definition =
                self.definitions.get(&(import_module.to_string(), name.to_string())).ok_or_else(|| {
                    Error::Link(format!("unknown import: `{import_module}::{name}` has not been defined"))
                })?;
            if let Definition::Host(ty, _) = definition {
                let want = match import.index {
                    EntityIndex::Func(i) => info.func_type(i),
                    _ => None,
                };
                let incompatible = |what: String| {
                    Error::Link(format!("incompatible import type for {import_module}::{name}: {what}"))
                };
                match want {
                    None => {
                        return Err(incompatible("a host function, expected a non-function import".into()));
                    }
                    Some(want) if want != ty => {
                        return Err(incompatible(format!("function {ty}, expected {want}")));
                    }
                    // The same `FuncType`, but the import's has typed
                    // references, which a host function's never has.
                    Some(want) if !host_type_fits(module, import.index, ty) => {
                        return Err(incompatible(format!(
                            "function {ty}, expected {want} with typed function references"
                        )));
                    }
                    Some(_) => {}
                }
            }
            imports.push(definition.clone());
        }
        Ok(InstancePre { module: module.clone(), imports: Arc::new(imports) })
    }
}

/// A module with its imports resolved by a [`Linker`]: instantiate it many
/// times, in any store of its engine, without resolving them again (as
/// wasmtime's `InstancePre`). Cheap to clone.
pub struct InstancePre<T> {
    module: Module,
    imports: Arc<Vec<Definition<T>>>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre { module: self.module.clone(), imports: Arc::clone(&self.imports) }
    }
}

impl<T: 'static> InstancePre<T> {
    /// The module it instantiates.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Instantiates the module in `store`: host functions are made anew in
    /// it, store objects must belong to it. Runs the start function, if any.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let mut imports = Vec::with_capacity(self.imports.len());
        for definition in self.imports.iter() {
            imports.push(match definition {
                Definition::Extern(id, item) => {
                    store.inner.check(*id)?;
                    *item
                }
                Definition::Host(ty, body) => {
                    let body = Arc::clone(body);
                    Extern::Func(Func::new(&mut *store, ty.clone(), move |caller, args, results| {
                        body(caller, args, results)
                    })?)
                }
            });
        }
        Instance::new(store, &self.module, &imports)
    }
}

/// A boxed host closure shared between stores: the closure is `Sync`, the
/// box merely forgets it.
struct SyncHostFn<T>(crate::func::DynHostFn<T>);

// SAFETY: only constructed in `func_wrap` from a closure that is `Sync`.
unsafe impl<T> Sync for SyncHostFn<T> {}

impl<T> SyncHostFn<T> {
    fn call(&self, caller: Caller<'_, T>, args: &[Val], results: &mut [Val]) -> Result<(), Trap> {
        (self.0)(caller, args, results)
    }
}

/// Whether a host function of type `ty` has the exact type (typed
/// references included) of function import `index` of `module`.
fn host_type_fits(module: &Module, index: EntityIndex, ty: &FuncType) -> bool {
    let EntityIndex::Func(i) = index else { return false };
    let inner = &module.inner;
    let want = inner.info.funcs.get(i as usize).and_then(|&t| inner.type_ids.get(t as usize));
    want == Some(&inner.engine.type_id(ty))
}
