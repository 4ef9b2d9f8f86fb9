//! The JIT engine (`plumb`) as a [`Backend`] of the spec-script runner in
//! `plumb-oracles`, so both engines are judged by the same code.

use std::collections::HashMap;

use plumb::{
    Engine, Extern, Func, FuncType, Global, GlobalType, Instance, Limits, Memory, Module, Store, Table,
    TableType, Val, ValType,
};
use plumb_oracles::wast::{
    Backend, InstantiateError, SPECTEST_GLOBALS, SPECTEST_MEMORY, SPECTEST_PRINTS, SPECTEST_TABLE,
    SPECTEST_TABLE64,
};
use plumb_oracles::{Trap, TrapCode, Value};

/// An instance as the runner sees it: a module instance, or the `spectest`
/// host module.
#[derive(Debug, Clone)]
pub enum EngineInstance {
    /// An instantiated module.
    Module(Instance),
    /// Host objects by name.
    Host(Vec<(String, Extern)>),
}

/// Runs scripts on the JIT engine.
pub struct EngineBackend {
    engine: Engine,
    store: Store<()>,
    registered: HashMap<String, EngineInstance>,
}

impl EngineBackend {
    /// A backend with a fresh store of `engine`.
    pub fn new(engine: &Engine) -> EngineBackend {
        EngineBackend { engine: engine.clone(), store: Store::new(engine, ()), registered: HashMap::new() }
    }

    /// Gives the backend's store `fuel` (its engine must consume fuel), so
    /// that a module that loops is stopped.
    pub fn set_fuel(&mut self, fuel: u64) -> plumb::Result<()> {
        self.store.set_fuel(fuel)
    }

    fn export(&self, instance: &EngineInstance, name: &str) -> Option<Extern> {
        match instance {
            EngineInstance::Module(i) => i.get_export(&self.store, name),
            EngineInstance::Host(items) => items.iter().find(|(n, _)| n == name).map(|&(_, e)| e),
        }
    }
}

/// The oracle's trap code for an engine trap code.
pub fn trap_code(code: plumb::TrapCode) -> TrapCode {
    use plumb::TrapCode as E;
    match code {
        E::StackOverflow => TrapCode::StackExhausted,
        E::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
        E::TableOutOfBounds => TrapCode::TableOutOfBounds,
        E::UndefinedElement => TrapCode::UndefinedElement,
        E::IndirectCallToNull => TrapCode::UninitializedElement,
        E::BadSignature => TrapCode::IndirectCallTypeMismatch,
        E::IntegerOverflow => TrapCode::IntegerOverflow,
        E::IntegerDivisionByZero => TrapCode::IntegerDivideByZero,
        E::BadConversionToInteger => TrapCode::InvalidConversionToInteger,
        E::UnreachableCodeReached => TrapCode::Unreachable,
        E::HostError => TrapCode::HostError,
        E::OutOfFuel => TrapCode::OutOfFuel,
        E::Interrupt => TrapCode::Interrupt,
        E::NullReference => TrapCode::NullReference,
        E::NullFunctionReference => TrapCode::NullFunctionReference,
        E::NullExceptionReference => TrapCode::NullExceptionReference,
        E::UncaughtException => TrapCode::UncaughtException,
    }
}

/// The oracle's trap for an engine trap: its code, and for an uncaught
/// exception the exception (its tag by store index).
fn oracle_trap(trap: &plumb::Trap) -> Trap {
    match trap.exception() {
        Some(exception) => Trap::uncaught(plumb_oracles::trap::Exception {
            tag: exception.tag.tag_index(),
            payload: exception.payload.iter().map(from_val).collect(),
        }),
        None => Trap::from(trap_code(trap.code())),
    }
}

/// The engine's type for an oracle value type.
fn val_type(ty: plumb_oracles::ValType) -> Result<ValType, String> {
    Ok(match ty {
        plumb_oracles::ValType::I32 => ValType::I32,
        plumb_oracles::ValType::I64 => ValType::I64,
        plumb_oracles::ValType::F32 => ValType::F32,
        plumb_oracles::ValType::F64 => ValType::F64,
        plumb_oracles::ValType::FuncRef => ValType::FuncRef,
        plumb_oracles::ValType::ExternRef => ValType::ExternRef,
        plumb_oracles::ValType::V128 => ValType::V128,
    })
}

/// A script value as an argument of type `ty`: the runner carries
/// exception references as host ones, and only null ones can be written.
fn to_arg(value: &Value, ty: ValType) -> Result<Val, String> {
    match (value, ty) {
        (Value::ExternRef(None), ValType::ExnRef) => Ok(Val::ExnRef(None)),
        (Value::ExternRef(Some(_)), ValType::ExnRef) => {
            Err("exception references cannot be passed in from a script".into())
        }
        _ => to_val(value),
    }
}

fn to_val(value: &Value) -> Result<Val, String> {
    Ok(match *value {
        Value::I32(v) => Val::I32(v),
        Value::I64(v) => Val::I64(v),
        Value::F32(v) => Val::F32(v),
        Value::F64(v) => Val::F64(v),
        Value::FuncRef(None) => Val::FuncRef(None),
        Value::ExternRef(v) => Val::ExternRef(v),
        Value::FuncRef(Some(_)) => return Err("function references cannot be passed in from a script".into()),
        Value::V128(v) => Val::V128(v),
    })
}

fn from_val(value: &Val) -> Value {
    match *value {
        Val::I32(v) => Value::I32(v),
        Val::I64(v) => Value::I64(v),
        Val::F32(v) => Value::F32(v),
        Val::F64(v) => Value::F64(v),
        Val::V128(v) => Value::V128(v),
        // Function identities do not cross into the runner, only nullness.
        Val::FuncRef(f) => Value::FuncRef(f.map(|_| 0)),
        Val::ExternRef(v) => Value::ExternRef(v),
        // The runner carries exception references as host ones.
        Val::ExnRef(e) => Value::ExternRef(e.map(|_| 0)),
    }
}

impl Backend for EngineBackend {
    type Module = Module;
    type Instance = EngineInstance;

    fn compile(&mut self, bytes: &[u8]) -> Result<Module, String> {
        Module::from_binary(&self.engine, bytes).map_err(|e| e.to_string())
    }

    fn instantiate(&mut self, module: &Module) -> Result<EngineInstance, InstantiateError> {
        let mut imports = Vec::new();
        for (module_name, name, _) in module.imports() {
            let provided = self
                .registered
                .get(module_name)
                .and_then(|instance| self.export(instance, name))
                .ok_or_else(|| {
                    InstantiateError::Unlinkable(format!("unknown import {module_name}.{name}"))
                })?;
            imports.push(provided);
        }
        match Instance::new(&mut self.store, module, &imports) {
            Ok(instance) => Ok(EngineInstance::Module(instance)),
            Err(plumb::Error::Trap(trap)) => Err(InstantiateError::Trap(oracle_trap(&trap))),
            Err(plumb::Error::Link(why)) => Err(InstantiateError::Unlinkable(why)),
            Err(e) => Err(InstantiateError::Unlinkable(e.to_string())),
        }
    }

    fn register(&mut self, name: &str, instance: &EngineInstance) {
        self.registered.insert(name.to_string(), instance.clone());
    }

    fn spectest(&mut self) -> Result<EngineInstance, String> {
        let store = &mut self.store;
        let err = |e: plumb::Error| e.to_string();
        let mut items = Vec::new();
        for (name, params) in SPECTEST_PRINTS {
            let params = params.iter().map(|&t| val_type(t)).collect::<Result<Vec<_>, _>>()?;
            let func = Func::new(&mut *store, FuncType::new(params, []), |_, _, _| Ok(())).map_err(err)?;
            items.push((name.to_string(), Extern::Func(func)));
        }
        for (name, value) in SPECTEST_GLOBALS {
            let value = to_val(&value)?;
            let ty = GlobalType { content: value.ty(), mutable: false };
            items.push((name.to_string(), Extern::Global(Global::new(&mut *store, ty, value).map_err(err)?)));
        }
        let (min, max) = SPECTEST_TABLE;
        let table_ty = TableType { element: ValType::FuncRef, limits: Limits { min, max: Some(max) } };
        let table = Table::new(&mut *store, table_ty, Val::FuncRef(None)).map_err(err)?;
        items.push(("table".to_string(), Extern::Table(table)));
        let (min, max) = SPECTEST_TABLE64;
        let table_ty = TableType { element: ValType::FuncRef, limits: Limits { min, max: Some(max) } };
        let table64 = Table::new64(&mut *store, table_ty, Val::FuncRef(None)).map_err(err)?;
        items.push(("table64".to_string(), Extern::Table(table64)));
        let (min, max) = SPECTEST_MEMORY;
        let memory = Memory::new(&mut *store, Limits { min, max: Some(max) }).map_err(err)?;
        items.push(("memory".to_string(), Extern::Memory(memory)));
        Ok(EngineInstance::Host(items))
    }

    fn invoke(
        &mut self,
        instance: &EngineInstance,
        name: &str,
        args: &[Value],
    ) -> Result<Result<Vec<Value>, Trap>, String> {
        let Some(Extern::Func(func)) = self.export(instance, name) else {
            return Err(format!("no exported function \"{name}\""));
        };
        let ty = func.ty(&self.store).map_err(|e| e.to_string())?;
        let args = args
            .iter()
            .zip(ty.params().iter().copied().map(Some).chain(std::iter::repeat(None)))
            .map(|(value, t)| match t {
                Some(t) => to_arg(value, t),
                None => to_val(value),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        match func.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(Ok(results.iter().map(from_val).collect())),
            Err(plumb::Error::Trap(trap)) => Ok(Err(oracle_trap(&trap))),
            Err(e) => Err(e.to_string()),
        }
    }

    fn get(&mut self, instance: &EngineInstance, name: &str) -> Result<Value, String> {
        match self.export(instance, name) {
            Some(Extern::Global(global)) => {
                global.get(&self.store).map(|v| from_val(&v)).map_err(|e| e.to_string())
            }
            _ => Err(format!("no exported global \"{name}\"")),
        }
    }
}
