//! The reference interpreter as a [`Backend`] of the script runner.

use std::rc::Rc;

use super::{Backend, InstantiateError};
use wasmparser::WasmFeatures;

use crate::interp::{ExternVal, InstanceAddr, InstantiationError, Module, Store, features};
use crate::trap::Trap;
use crate::values::{AddrType, ExactType, FuncType, GlobalType, Limits, RefType, TableType, Value};

/// Runs scripts on the reference interpreter.
#[derive(Debug)]
pub struct InterpBackend {
    /// The store every instance of the script lives in.
    pub store: Store,
    /// Registered instances by module name.
    registered: Vec<(String, InstanceAddr)>,
    /// The features modules are validated with.
    features: WasmFeatures,
}

impl Default for InterpBackend {
    fn default() -> InterpBackend {
        InterpBackend::with_features(features())
    }
}

impl InterpBackend {
    /// A backend with an empty store, validating with every feature the
    /// interpreter implements.
    pub fn new() -> InterpBackend {
        InterpBackend::default()
    }

    /// A backend with an empty store, validating modules with `enabled`
    /// only (the WebAssembly 2.0 suite runs with `WasmFeatures::WASM2`).
    pub fn with_features(enabled: WasmFeatures) -> InterpBackend {
        InterpBackend { store: Store::default(), registered: Vec::new(), features: enabled }
    }

    fn resolve(&self, module: &str, name: &str) -> Result<ExternVal, String> {
        let instance = self
            .registered
            .iter()
            .rev()
            .find(|(n, _)| n == module)
            .map(|&(_, i)| i)
            .ok_or_else(|| format!("unknown import: no module \"{module}\" for {module}.{name}"))?;
        self.store
            .export(instance, name)
            .ok_or_else(|| format!("unknown import: \"{module}\" has no export \"{name}\""))
    }
}

impl Backend for InterpBackend {
    type Module = Module;
    type Instance = InstanceAddr;

    fn compile(&mut self, bytes: &[u8]) -> Result<Module, String> {
        Module::with_features(bytes, self.features).map_err(|e| e.to_string())
    }

    fn instantiate(&mut self, module: &Module) -> Result<InstanceAddr, InstantiateError> {
        let imports = module
            .imports
            .iter()
            .map(|i| (&i.module, &i.name))
            .chain(module.tag_imports.iter().map(|i| (&i.module, &i.name)))
            .map(|(module, name)| self.resolve(module, name))
            .collect::<Result<Vec<_>, _>>()
            .map_err(InstantiateError::Unlinkable)?;
        self.store.instantiate(module, &imports).map_err(|e| match e {
            InstantiationError::Link(why) => InstantiateError::Unlinkable(why),
            InstantiationError::Trap(trap) => InstantiateError::Trap(trap),
        })
    }

    fn register(&mut self, name: &str, instance: &InstanceAddr) {
        self.registered.push((name.to_string(), *instance));
    }

    fn spectest(&mut self) -> Result<InstanceAddr, String> {
        let store = &mut self.store;
        let mut exports = Vec::new();
        for (name, params) in super::SPECTEST_PRINTS {
            let ty = FuncType { params: params.to_vec(), results: vec![] };
            let func = store.add_host_func(ty, Rc::new(|_args: &[Value]| Ok::<_, Trap>(Vec::new())));
            exports.push((name.to_string(), ExternVal::Func(func)));
        }
        for (name, value) in super::SPECTEST_GLOBALS {
            let global = store.add_global(GlobalType::new(ExactType::of_kind(value.ty()), false), value);
            exports.push((name.to_string(), ExternVal::Global(global)));
        }
        let (min, max) = super::SPECTEST_TABLE;
        let table = store.add_table(
            TableType::new(RefType::FUNCREF, Limits { addr: AddrType::I32, min, max: Some(max) }),
            Value::FuncRef(None),
        );
        exports.push(("table".to_string(), ExternVal::Table(table)));
        let (min, max) = super::SPECTEST_TABLE64;
        let table64 = store.add_table(
            TableType::new(RefType::FUNCREF, Limits { addr: AddrType::I64, min, max: Some(max) }),
            Value::FuncRef(None),
        );
        exports.push(("table64".to_string(), ExternVal::Table(table64)));
        let (min, max) = super::SPECTEST_MEMORY;
        let memory = store.add_memory(Limits { addr: AddrType::I32, min, max: Some(max) });
        exports.push(("memory".to_string(), ExternVal::Memory(memory)));
        store.instances.push(crate::interp::ModuleInst { exports, ..Default::default() });
        Ok(store.instances.len() - 1)
    }

    fn invoke(
        &mut self,
        instance: &InstanceAddr,
        name: &str,
        args: &[Value],
    ) -> Result<Result<Vec<Value>, Trap>, String> {
        match self.store.export(*instance, name) {
            Some(ExternVal::Func(func)) => Ok(self.store.invoke(func, args)),
            Some(_) => Err(format!("export \"{name}\" is not a function")),
            None => Err(format!("no export \"{name}\"")),
        }
    }

    fn get(&mut self, instance: &InstanceAddr, name: &str) -> Result<Value, String> {
        match self.store.export(*instance, name) {
            Some(ExternVal::Global(g)) => {
                self.store.globals.get(g).map(|g| g.value).ok_or_else(|| format!("global \"{name}\" is gone"))
            }
            Some(_) => Err(format!("export \"{name}\" is not a global")),
            None => Err(format!("no export \"{name}\"")),
        }
    }
}
