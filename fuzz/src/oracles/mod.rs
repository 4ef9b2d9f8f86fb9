//! Oracles: run an input through Plumb and something independent, and
//! judge the outcome. A disagreement, or a crash of the host, is a bug and
//! is reported by panicking with a message that says what differed: that
//! panic is what libFuzzer and the smoke test catch.
//!
//! Shared here: the engine and rule set built once per process, value
//! conversions between the engine's and the interpreter's types, and
//! comparison of values with NaNs as WebAssembly allows.

pub mod api_calls;
pub mod clif;
pub mod differential;
pub mod instantiate;
pub mod op_specs;
pub mod rules;
pub mod validate;

use std::sync::{Arc, OnceLock};

use plumb::{Engine, Val};
use plumb_oracles::interp::numerics;
use plumb_oracles::{ValType, Value};
use plumb_rules::RuleSet;

/// The settings every target's engine starts from: the machine-code
/// checker is on (`Config::check_machine_code`), so a function it refuses
/// fails the target like any other compile error, and every module the
/// fuzzers produce is a false-positive test of the checker; so is
/// Cranelift's IR verifier (`Config::cranelift_debug_verifier`), off in
/// release builds otherwise.
/// `PLUMB_FUZZ_MACHINE_CHECK=0` turns it off, to see what the differential
/// oracles alone find (the mutants table of `fuzz/README.md`).
pub fn base_config() -> plumb::Config {
    let mut config = plumb::Config::new();
    let off = std::env::var("PLUMB_FUZZ_MACHINE_CHECK").is_ok_and(|v| v == "0");
    config.check_machine_code(!off && cfg!(target_arch = "x86_64")).cranelift_debug_verifier(true);
    config
}

/// An engine of [`base_config`] without the machine-code checker, which
/// refuses `call_ref` and `return_call_ref` (their target is a reference
/// from any value, whose validity is Wasm's type system, not a property of
/// the code it could prove); with `fuel`, it consumes fuel. Built once per
/// process for each.
pub fn unchecked_engine(fuel: bool) -> &'static Engine {
    static ENGINES: [OnceLock<Engine>; 2] = [OnceLock::new(), OnceLock::new()];
    ENGINES[usize::from(fuel)].get_or_init(|| {
        let mut config = base_config();
        config.check_machine_code(false).consume_fuel(fuel);
        match Engine::new(&config) {
            Ok(engine) => engine,
            Err(e) => panic!("no engine without the machine-code checker: {e}"),
        }
    })
}

/// Whether `bytes` calls through a typed function reference (`call_ref`,
/// `return_call_ref`), which the machine-code checker refuses: such a
/// module runs on an [`unchecked_engine`].
pub fn calls_by_reference(bytes: &[u8]) -> bool {
    wasmparser::Parser::new(0).parse_all(bytes).any(|payload| match payload {
        Ok(wasmparser::Payload::CodeSectionEntry(body)) => {
            body.get_operators_reader().is_ok_and(|mut reader| {
                std::iter::from_fn(|| (!reader.eof()).then(|| reader.read())).any(|op| {
                    matches!(
                        op,
                        Ok(wasmparser::Operator::CallRef { .. } | wasmparser::Operator::ReturnCallRef { .. })
                    )
                })
            })
        }
        _ => false,
    })
}

/// The engine for module `bytes`: [`engine`] (or [`fuel_engine`] with
/// `fuel`), or an [`unchecked_engine`] if it calls by reference.
pub fn engine_for(bytes: &[u8], fuel: bool) -> &'static Engine {
    match (calls_by_reference(bytes), fuel) {
        (true, fuel) => unchecked_engine(fuel),
        (false, true) => fuel_engine(),
        (false, false) => engine(),
    }
}

/// The engine every target compiles with: building one loads the rule set,
/// so it is built once per process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| match Engine::new(&base_config()) {
        Ok(engine) => engine,
        Err(e) => panic!("no engine: {e}"),
    })
}

/// An engine with every embedding control on (fuel and epoch checks),
/// built once per process.
pub fn controlled_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = base_config();
        config.consume_fuel(true).epoch_interruption(true);
        match Engine::new(&config) {
            Ok(engine) => engine,
            Err(e) => panic!("no engine with fuel and epochs: {e}"),
        }
    })
}

/// An engine that consumes fuel (`Config::consume_fuel`), built once per
/// process.
pub fn fuel_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = base_config();
        config.consume_fuel(true);
        match Engine::new(&config) {
            Ok(engine) => engine,
            Err(e) => panic!("no engine with fuel: {e}"),
        }
    })
}

/// The built-in rule set, loaded once per process.
pub fn rule_set() -> &'static Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| match load_rules() {
        Ok(rules) => Arc::new(rules),
        // The rule files are embedded at build time: this is a broken build
        // (or, with `mutants`, a mutant file that does not load).
        Err(e) => panic!("the rule set does not load: {e}"),
    })
}

#[cfg(not(feature = "mutants"))]
fn load_rules() -> Result<RuleSet, String> {
    RuleSet::builtin().map_err(|e| e.to_string())
}

/// The built-in rules plus the mutant rules of `$PLUMB_MUTANT_RULES`.
#[cfg(feature = "mutants")]
fn load_rules() -> Result<RuleSet, String> {
    let Some(path) = std::env::var_os("PLUMB_MUTANT_RULES") else {
        return RuleSet::builtin().map_err(|e| e.to_string());
    };
    let name = path.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
    RuleSet::load(&[(name.as_str(), text.as_str())]).map_err(|e| e.to_string())
}

/// An interpreter value as an engine value (function references become
/// null: the host cannot name the module's functions).
pub fn to_engine(value: &Value) -> plumb::Result<Val> {
    Ok(match *value {
        Value::I32(v) => Val::I32(v),
        Value::I64(v) => Val::I64(v),
        Value::F32(v) => Val::F32(v),
        Value::F64(v) => Val::F64(v),
        Value::FuncRef(_) => Val::FuncRef(None),
        Value::ExternRef(v) => Val::ExternRef(v),
        Value::V128(v) => Val::V128(v),
    })
}

/// `args` for a function with parameters `params` on both sides: an
/// `exnref` argument is null (the interpreter carries exception references
/// as host ones, so a generated non-null one would name no exception).
pub fn call_args(params: &[plumb::ValType], args: &[Value]) -> Vec<Value> {
    args.iter()
        .enumerate()
        .map(
            |(i, v)| if params.get(i) == Some(&plumb::ValType::ExnRef) { Value::ExternRef(None) } else { *v },
        )
        .collect()
}

/// `args` as engine values for parameters `params` ([`call_args`] first).
pub fn to_engine_args(params: &[plumb::ValType], args: &[Value]) -> plumb::Result<Vec<Val>> {
    args.iter()
        .enumerate()
        .map(|(i, v)| match (params.get(i), v) {
            (Some(plumb::ValType::ExnRef), Value::ExternRef(None)) => Ok(Val::ExnRef(None)),
            _ => to_engine(v),
        })
        .collect()
}

/// An engine value as an interpreter value. Function identities do not
/// carry over between the two stores, only nullness (non-null becomes
/// address 0).
pub fn from_engine(value: &Val) -> Value {
    match *value {
        Val::I32(v) => Value::I32(v),
        Val::I64(v) => Value::I64(v),
        Val::F32(v) => Value::F32(v),
        Val::F64(v) => Value::F64(v),
        Val::V128(v) => Value::V128(v),
        Val::FuncRef(f) => Value::FuncRef(f.map(|_| 0)),
        Val::ExternRef(v) => Value::ExternRef(v),
        // The interpreter carries exception references as host ones; only
        // nullness carries over.
        Val::ExnRef(e) => Value::ExternRef(e.map(|_| 0)),
    }
}

/// The engine's type for an interpreter type.
pub fn engine_type(ty: ValType) -> plumb::Result<plumb::ValType> {
    Ok(match ty {
        ValType::I32 => plumb::ValType::I32,
        ValType::I64 => plumb::ValType::I64,
        ValType::F32 => plumb::ValType::F32,
        ValType::F64 => plumb::ValType::F64,
        ValType::FuncRef => plumb::ValType::FuncRef,
        ValType::ExternRef => plumb::ValType::ExternRef,
        ValType::V128 => plumb::ValType::V128,
    })
}

/// The interpreter's type for an engine type.
pub fn oracle_type(ty: plumb::ValType) -> ValType {
    match ty {
        plumb::ValType::I32 => ValType::I32,
        plumb::ValType::I64 => ValType::I64,
        plumb::ValType::F32 => ValType::F32,
        plumb::ValType::F64 => ValType::F64,
        plumb::ValType::V128 => ValType::V128,
        plumb::ValType::FuncRef => ValType::FuncRef,
        plumb::ValType::ExternRef | plumb::ValType::ExnRef => ValType::ExternRef,
    }
}

/// What WebAssembly lets an implementation return where the reference
/// interpreter returned a float with bits `expected` (the interpreter's
/// NaNs are deterministic: canonical when the spec demands a canonical
/// NaN, the quieted operand when it demands an arithmetic one, and the
/// exact bits where an operator is bit-exact):
/// - not a NaN, or a signalling NaN (only bit-exact operators make those):
///   exactly those bits;
/// - a canonical NaN: a canonical NaN of either sign;
/// - another quiet NaN: any arithmetic (quiet) NaN.
pub fn float_allowed(width: u32, expected: u64, actual: u64) -> bool {
    if expected == actual {
        return true;
    }
    type NanClass = fn(u64) -> bool;
    let (canonical, arithmetic): (NanClass, NanClass) = match width {
        32 => (|b| numerics::f32_is_canonical_nan(b as u32), |b| numerics::f32_is_arithmetic_nan(b as u32)),
        _ => (numerics::f64_is_canonical_nan, numerics::f64_is_arithmetic_nan),
    };
    if canonical(expected) {
        canonical(actual)
    } else if arithmetic(expected) {
        arithmetic(actual)
    } else {
        false
    }
}

/// Whether `actual` is a result WebAssembly allows where the interpreter
/// gave `expected` (floats per [`float_allowed`]; references by nullness).
pub fn value_allowed(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::F32(e), Value::F32(a)) => float_allowed(32, u64::from(*e), u64::from(*a)),
        (Value::F64(e), Value::F64(a)) => float_allowed(64, *e, *a),
        (Value::FuncRef(e), Value::FuncRef(a)) => e.is_some() == a.is_some(),
        (e, a) => e == a,
    }
}
