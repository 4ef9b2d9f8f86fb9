//! A module with imports, instantiated with host objects that match them
//! and its exports called: whatever the guest does, the host keeps
//! running, and every failure of guest code comes back as a trap.

use plumb::{
    Error, Extern, Func, FuncType, Global, GlobalType, Instance, Limits, Memory, Store, Table, TableType,
    Trap, Val,
};
use plumb_oracles::Value;
use plumb_oracles::interp::{self, ImportType};
use plumb_oracles::values::AddrType;

use super::differential::Call;
use super::{engine, engine_type, to_engine};

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
    let Ok(info) = interp::Module::new(bytes) else { panic!("the interpreter rejects a valid module") };
    let module = match plumb::Module::from_binary(engine(), bytes) {
        Ok(m) => m,
        Err(e) => panic!("the engine rejects a valid module: {e}"),
    };
    let mut store = Store::new(engine(), ());
    let mut imports = Vec::new();
    let (mut funcs, mut globals) = (0, 0);
    for import in &info.imports {
        let made = match &import.ty {
            ImportType::Func(t) => {
                let Some(ty) = info.types.get(*t as usize) else { panic!("import of unknown type {t}") };
                let params = ty.params.iter().map(|&t| engine_type(t)).collect::<plumb::Result<Vec<_>>>();
                let results = ty.results.iter().map(|&t| engine_type(t)).collect::<plumb::Result<Vec<_>>>();
                let traps = plan.func_traps.get(funcs).copied().unwrap_or(false);
                funcs += 1;
                params.and_then(|params| {
                    let ty = FuncType::new(params, results?);
                    Func::new(&mut store, ty, move |_caller, _args, _results| {
                        if traps { Err(Trap::host("the fuzzer's host function fails")) } else { Ok(()) }
                    })
                    .map(Extern::Func)
                })
            }
            ImportType::Memory(l) => {
                let limits = Limits { min: l.min, max: l.max };
                match l.addr {
                    AddrType::I32 => Memory::new(&mut store, limits),
                    AddrType::I64 => Memory::new64(&mut store, limits),
                }
                .map(Extern::Memory)
            }
            ImportType::Table(t) => engine_type(t.elem).and_then(|element| {
                let ty = TableType { element, limits: Limits { min: t.limits.min, max: t.limits.max } };
                let init = Val::default_for(ty.element);
                match t.limits.addr {
                    AddrType::I32 => Table::new(&mut store, ty, init),
                    AddrType::I64 => Table::new64(&mut store, ty, init),
                }
                .map(Extern::Table)
            }),
            ImportType::Global(g) => engine_type(g.content).and_then(|content| {
                let ty = GlobalType { content, mutable: g.mutable };
                let value = plan
                    .global_values
                    .get(globals)
                    .and_then(|v| to_engine(v).ok())
                    .filter(|v| v.ty() == ty.content)
                    .unwrap_or(Val::default_for(ty.content));
                globals += 1;
                Global::new(&mut store, ty, value).map(Extern::Global)
            }),
        };
        match made {
            Ok(e) => imports.push(e),
            Err(e) => panic!("the host cannot make import {}.{}: {e}", import.module, import.name),
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
        let Ok(params) = call.args.iter().map(to_engine).collect::<Result<Vec<Val>, _>>() else { continue };
        let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        match func.call(&mut store, &params, &mut results) {
            Ok(()) | Err(Error::Trap(_)) => {}
            Err(e) => panic!("calling {:?} failed without a trap: {e}", call.export),
        }
    }
}
