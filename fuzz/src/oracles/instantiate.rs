//! A module with imports, instantiated with host objects that match them
//! and its exports called: whatever the guest does, the host keeps
//! running, and every failure of guest code comes back as a trap.

use plumb::{Error, Extern, ExternType, Func, Global, Instance, Memory, Store, Table, Tag, Trap, Val};
use plumb_oracles::Value;
use plumb_oracles::interp;

use super::differential::Call;
use super::{call_args, to_engine, to_engine_args};

/// How the host provides a module's imports.
#[derive(Debug, Clone, Default)]
pub struct HostPlan {
    /// For each imported function, in order: whether it traps (a host
    /// error) instead of returning zeros.
    pub func_traps: Vec<bool>,
    /// For each imported global, in order: its value (converted to its
    /// type; the zero value when missing).
    pub global_values: Vec<Value>,
    /// Exports to call afterwards.
    pub calls: Vec<Call>,
}

/// Instantiates `bytes` (a valid module) with imports made per `plan`,
/// then makes the planned calls.
pub fn check(bytes: &[u8], plan: &HostPlan) {
    if interp::Module::new(bytes).is_err() {
        panic!("the interpreter rejects a valid module")
    }
    let engine = super::engine_for(bytes, false);
    let module = match plumb::Module::from_binary(engine, bytes) {
        Ok(m) => m,
        Err(e) => panic!("the engine rejects a valid module: {e}"),
    };
    let mut store = Store::new(engine, ());
    let mut imports = Vec::new();
    let (mut funcs, mut globals) = (0, 0);
    // The engine's import types: the interpreter carries `exnref` as
    // `externref` and keeps tag imports apart from the others.
    for (module_name, name, ty) in module.import_types().collect::<Vec<_>>() {
        let made = match ty {
            ExternType::Func(ty) => {
                let traps = plan.func_traps.get(funcs).copied().unwrap_or(false);
                funcs += 1;
                Func::new(&mut store, ty, move |_caller, _args, _results| {
                    if traps { Err(Trap::host("the fuzzer's host function fails")) } else { Ok(()) }
                })
                .map(Extern::Func)
            }
            ExternType::Memory { limits, index64: false } => {
                Memory::new(&mut store, limits).map(Extern::Memory)
            }
            ExternType::Memory { limits, index64: true } => {
                Memory::new64(&mut store, limits).map(Extern::Memory)
            }
            ExternType::Table { ty, index64 } => {
                let init = Val::default_for(ty.element);
                if index64 { Table::new64(&mut store, ty, init) } else { Table::new(&mut store, ty, init) }
                    .map(Extern::Table)
            }
            ExternType::Global(ty) => {
                let value = plan
                    .global_values
                    .get(globals)
                    .and_then(|v| to_engine(v).ok())
                    .filter(|v| v.ty() == ty.content)
                    .unwrap_or(Val::default_for(ty.content));
                globals += 1;
                Global::new(&mut store, ty, value).map(Extern::Global)
            }
            ExternType::Tag(ty) => Tag::new(&mut store, &ty).map(Extern::Tag),
        };
        match made {
            Ok(e) => imports.push(e),
            Err(e) => panic!("the host cannot make import {module_name}.{name}: {e}"),
        }
    }
    let instance = match Instance::new(&mut store, &module, &imports) {
        Ok(i) => i,
        Err(Error::Trap(_)) => return,
        Err(e) => panic!("instantiation with matching imports failed without a trap: {e}"),
    };
    for call in &plan.calls {
        let Some(func) = instance.get_func(&store, &call.export) else { continue };
        let Ok(ty) = func.ty(&store) else { panic!("an export of a live instance has no type") };
        let args = call_args(ty.params(), &call.args);
        let Ok(params) = to_engine_args(ty.params(), &args) else { continue };
        let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        match func.call(&mut store, &params, &mut results) {
            Ok(()) | Err(Error::Trap(_)) => {}
            Err(e) => panic!("calling {:?} failed without a trap: {e}", call.export),
        }
    }
}
