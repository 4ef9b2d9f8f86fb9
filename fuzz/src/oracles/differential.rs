//! The engine against the reference interpreter on one module: the same
//! instantiation outcome, the same results or trap codes for every call
//! (for an uncaught exception, the same tag and payload), and the same
//! exported memories, globals and tables at the end.
//!
//! Limits that differ between the two are not disagreements: when the
//! interpreter runs out of its safety fuel, or either side exhausts its
//! stack, the rest of the run is skipped (its state may legitimately differ
//! from there on). With a fuel budget, both sides get the same fuel and
//! charge it by the same table: running out is then an outcome like any
//! trap, and the fuel left must agree after every step.

use plumb::{Instance, Store};
use plumb_oracles::interp::{self, ExternKind, ExternVal, InstantiationError};
use plumb_oracles::{TrapCode, Value};

use super::{call_args, from_engine, to_engine_args, value_allowed};

/// Instructions the interpreter may execute per call (and for
/// instantiation): generated modules stop themselves well before this.
pub const INTERP_FUEL: u64 = 2_000_000;

/// One call to make: an exported function and its arguments.
#[derive(Debug, Clone)]
pub struct Call {
    /// The export's name.
    pub export: String,
    /// Its arguments.
    pub args: Vec<Value>,
}

/// How a step ended on one side: values, or a trap.
type Outcome = Result<Vec<Value>, Ending>;

/// A trap by its message (the engine's and the interpreter's trap codes
/// both carry the spec test suite's message, so messages are how the two
/// are compared) and, for an uncaught exception, its tag (both stores
/// number a module's tags in order) and payload.
#[derive(Debug, Clone, PartialEq)]
struct Ending {
    message: &'static str,
    exception: Option<(usize, Vec<Value>)>,
}

impl Ending {
    fn interp(trap: &plumb_oracles::Trap) -> Ending {
        let exception = trap.exception().map(|e| (e.tag, e.payload.clone()));
        Ending { message: trap.code.message(), exception }
    }

    fn engine(trap: &plumb::Trap) -> Ending {
        let exception =
            trap.exception().map(|e| (e.tag.tag_index(), e.payload.iter().map(from_engine).collect()));
        Ending { message: trap.code().message(), exception }
    }
}

/// Whether `outcome` is a trap with `code`.
fn trapped_with(outcome: &Outcome, code: TrapCode) -> bool {
    outcome.as_ref().is_err_and(|e| e.message == code.message())
}

/// Whether the engine's `got` values are allowed where the interpreter
/// gave `want`.
fn values_allowed(want: &[Value], got: &[Value]) -> bool {
    want.len() == got.len() && want.iter().zip(got).all(|(w, g)| value_allowed(w, g))
}

/// Whether the two sides may differ from here on for reasons that are not
/// bugs: the interpreter's safety fuel (unless both have a budget) or
/// either side's stack limit.
fn beyond_limits(interp: &Outcome, engine: &Outcome, budget: Option<u64>) -> bool {
    let stack = TrapCode::StackExhausted;
    let safety_fuel = budget.is_none() && trapped_with(interp, TrapCode::OutOfFuel);
    safety_fuel || trapped_with(interp, stack) || trapped_with(engine, stack)
}

/// Panics unless both sides have the same fuel left (with a budget).
fn judge_fuel(what: &str, istore: &interp::Store, estore: &Store<()>, budget: Option<u64>) {
    if budget.is_some() {
        let engine = estore.get_fuel().ok();
        assert_eq!(
            istore.fuel, engine,
            "{what}: fuel left: interpreter {:?}, engine {engine:?}",
            istore.fuel
        );
    }
}

/// Panics with both outcomes unless they agree.
fn judge(what: &str, interp: &Outcome, engine: &Outcome) {
    let agree = match (interp, engine) {
        (Ok(want), Ok(got)) => values_allowed(want, got),
        (Err(want), Err(got)) => {
            want.message == got.message
                && match (&want.exception, &got.exception) {
                    (None, None) => true,
                    (Some((wtag, want)), Some((gtag, got))) => wtag == gtag && values_allowed(want, got),
                    _ => false,
                }
        }
        _ => false,
    };
    assert!(agree, "{what}: interpreter {interp:?}, engine {engine:?}");
}

fn engine_outcome(result: plumb::Result<Vec<Value>>, what: &str) -> Outcome {
    match result {
        Ok(values) => Ok(values),
        Err(plumb::Error::Trap(trap)) => Err(Ending::engine(&trap)),
        Err(e) => panic!("{what}: the engine failed without a trap: {e}"),
    }
}

/// Runs `bytes` (a valid module without imports) on both and compares;
/// with `budget`, both consume fuel from it (the engine's `consume_fuel`).
pub fn check(bytes: &[u8], calls: &[Call], budget: Option<u64>) {
    let engine = super::engine_for(bytes, budget.is_some());
    let reference = match interp::Module::new(bytes) {
        Ok(m) => m,
        Err(e) => panic!("the interpreter rejects a module wasmparser accepts: {e:?}"),
    };
    let module = match plumb::Module::from_binary(engine, bytes) {
        Ok(m) => m,
        Err(e) => panic!("the engine rejects a module the interpreter accepts: {e}"),
    };
    let mut istore = interp::Store::new();
    istore.fuel = Some(budget.unwrap_or(INTERP_FUEL));
    let mut estore = Store::new(engine, ());
    if let Some(fuel) = budget
        && let Err(e) = estore.set_fuel(fuel)
    {
        panic!("the fuel engine refuses fuel: {e}");
    }

    let iinst = istore.instantiate(&reference, &[]).map_err(|e| match e {
        InstantiationError::Trap(t) => Ending::interp(&t),
        InstantiationError::Link(why) => {
            panic!("the interpreter cannot link a module without imports: {why}")
        }
    });
    let einst = Instance::new(&mut estore, &module, &[]);
    let einst_outcome: Outcome = match &einst {
        Ok(_) => Ok(Vec::new()),
        Err(plumb::Error::Trap(trap)) => Err(Ending::engine(trap)),
        Err(e) => panic!("instantiation: the engine failed without a trap: {e}"),
    };
    let iinst_outcome: Outcome = iinst.as_ref().map(|_| Vec::new()).map_err(Clone::clone);
    if beyond_limits(&iinst_outcome, &einst_outcome, budget) {
        return;
    }
    judge("instantiation", &iinst_outcome, &einst_outcome);
    judge_fuel("instantiation", &istore, &estore, budget);
    let (Ok(iinst), Ok(einst)) = (iinst, einst) else { return };
    compare_exports("instantiation", &reference, &istore, iinst, &estore, einst);

    for call in calls {
        let Some(ExternVal::Func(ifunc)) = istore.export(iinst, &call.export) else {
            panic!("the interpreter has no function export {:?}", call.export)
        };
        let Some(efunc) = einst.get_func(&estore, &call.export) else {
            panic!("the engine has no function export {:?}", call.export)
        };
        if budget.is_none() {
            istore.fuel = Some(INTERP_FUEL);
        }
        let params = efunc.ty(&estore).map(|t| t.params().to_vec()).unwrap_or_default();
        let args = call_args(&params, &call.args);
        let iout = istore.invoke(ifunc, &args).map_err(|t| Ending::interp(&t));
        let eout = engine_outcome(invoke(&mut estore, efunc, &args), &call.export);
        if beyond_limits(&iout, &eout, budget) {
            return;
        }
        let what = format!("call {:?}{:?}", call.export, call.args);
        judge(&what, &iout, &eout);
        judge_fuel(&what, &istore, &estore, budget);
        compare_exports(&what, &reference, &istore, iinst, &estore, einst);
    }
}

fn invoke(store: &mut Store<()>, func: plumb::Func, args: &[Value]) -> plumb::Result<Vec<Value>> {
    let ty = func.ty(&*store)?;
    let params = to_engine_args(ty.params(), args)?;
    let mut results: Vec<plumb::Val> = ty.results().iter().map(|&t| plumb::Val::default_for(t)).collect();
    func.call(store, &params, &mut results)?;
    Ok(results.iter().map(from_engine).collect())
}

/// Compares every exported memory, global and table after step `after`.
fn compare_exports(
    after: &str,
    reference: &interp::Module,
    istore: &interp::Store,
    iinst: interp::InstanceAddr,
    estore: &Store<()>,
    einst: Instance,
) {
    for export in &reference.exports {
        let name = &export.name;
        let iext = istore.export(iinst, name);
        match (export.kind, iext) {
            (ExternKind::Memory, Some(ExternVal::Memory(addr))) => {
                let want = istore.mems.get(addr).map(|m| m.bytes.as_slice()).unwrap_or_default();
                let got = einst.get_memory(estore, name).map(|m| m.data(estore)).unwrap_or_default();
                if want != got {
                    let first = want.iter().zip(got).position(|(a, b)| a != b);
                    panic!(
                        "after {after}: memory {name:?}: interpreter {} bytes, engine {} bytes, first difference at {first:?}",
                        want.len(),
                        got.len()
                    );
                }
            }
            (ExternKind::Global, Some(ExternVal::Global(addr))) => {
                let want = istore.globals.get(addr).map(|g| g.value);
                let got =
                    einst.get_global(estore, name).and_then(|g| g.get(estore).ok()).map(|v| from_engine(&v));
                let agree = match (&want, &got) {
                    (Some(w), Some(g)) => value_allowed(w, g),
                    _ => false,
                };
                assert!(agree, "after {after}: global {name:?}: interpreter {want:?}, engine {got:?}");
            }
            (ExternKind::Table, Some(ExternVal::Table(addr))) => {
                let want: Vec<bool> = istore
                    .tables
                    .get(addr)
                    .map(|t| t.elems.iter().map(Value::is_null_ref).collect())
                    .unwrap_or_default();
                let table = einst.get_table(estore, name);
                let size = table.and_then(|t| t.size(estore).ok()).unwrap_or(0);
                let got: Vec<bool> = (0..size)
                    .map(|i| {
                        let v = table.and_then(|t| t.get(estore, i).ok().flatten());
                        v.is_none_or(|v| from_engine(&v).is_null_ref())
                    })
                    .collect();
                assert!(
                    want == got,
                    "after {after}: table {name:?} (null = true): interpreter {want:?}, engine {got:?}"
                );
            }
            (ExternKind::Func, Some(ExternVal::Func(_))) | (ExternKind::Tag, Some(ExternVal::Tag(_))) => {}
            (kind, ext) => panic!("export {name:?} of kind {kind:?} is {ext:?} in the interpreter"),
        }
    }
}
