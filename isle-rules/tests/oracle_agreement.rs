//! The evaluator of `ops.isle` agrees with the reference interpreter on every
//! Wasm numeric operator: same value bit for bit (NaNs per Wasm's rules),
//! same trap.

use plumb_oracles::Value;
use plumb_oracles::interp::numerics::{BinOp, UnOp, eval_binop, eval_unop};
use plumb_rules::{EvalError, RuleSet, Type};

mod common;
use common::Rng;

fn edges(ty: Type) -> Vec<u64> {
    match ty {
        Type::I32 => [0u32, 1, 2, 7, 31, 32, 33, 63, 64, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fff_ffff]
            .into_iter()
            .chain([0x8000_0000, 0x8000_0001, 0xffff_ffff, 0xffff_fffe, 0xdead_beef])
            .map(u64::from)
            .collect(),
        Type::I64 => {
            let mut v: Vec<u64> = edges(Type::I32);
            v.extend(v.clone().into_iter().map(|x| x | 0xffff_ffff_0000_0000));
            v.extend([i64::MAX as u64, i64::MIN as u64, 0x8000_0000_0000_0001, 0x1_0000_0000, 0xffff_ffff]);
            v
        }
        Type::F32 => common::f32_edges(),
        Type::F64 => common::f64_edges(),
        _ => vec![0, 1],
    }
}

fn random(rng: &mut Rng, ty: Type) -> u64 {
    let r = rng.next();
    match (ty, r % 4) {
        // Mostly raw bits; sometimes small integers or floats near integers,
        // where rounding and range edges live.
        (Type::I32 | Type::I64, 0) => (r >> 8) % 80,
        (Type::F32, 0) => u64::from((((r >> 20) as i32 % 100_000) as f32 / 16.0).to_bits()),
        (Type::F64, 0) => (((r >> 20) as i64 % 10_000_000) as f64 / 8.0).to_bits(),
        (Type::F32, 1) => u64::from(f32::to_bits((r >> 11) as i64 as f32 * 1e-3)),
        _ => r & ty.mask(),
    }
}

fn to_value(ty: Type, bits: u64) -> Value {
    match ty {
        Type::I32 => Value::I32(bits as u32 as i32),
        Type::I64 => Value::I64(bits as i64),
        Type::F32 => Value::F32(bits as u32),
        _ => Value::F64(bits),
    }
}

fn from_value(v: &Value) -> Option<(Type, u64)> {
    Some(match *v {
        Value::I32(x) => (Type::I32, u64::from(x as u32)),
        Value::I64(x) => (Type::I64, x as u64),
        Value::F32(x) => (Type::F32, u64::from(x)),
        Value::F64(x) => (Type::F64, x),
        _ => return None,
    })
}

fn is_nan(ty: Type, bits: u64) -> bool {
    match ty {
        Type::F32 => f32::from_bits(bits as u32).is_nan(),
        Type::F64 => f64::from_bits(bits).is_nan(),
        _ => false,
    }
}

/// Operators whose NaN results are specified bit for bit.
fn bit_exact(name: &str) -> bool {
    ["abs", "neg", "copysign", "reinterpret"].iter().any(|s| name.contains(s))
}

/// Compares one evaluation; returns a description of a disagreement.
fn compare(
    rules: &RuleSet,
    name: &str,
    args: &[u64],
    oracle: Result<Value, plumb_oracles::TrapCode>,
) -> Option<String> {
    let id = rules.op_by_name(name)?;
    let ours = rules.eval(id, args);
    let result_ty = rules.op(id).map(|o| o.result)?;
    match (oracle, ours) {
        (Err(t), Err(EvalError::Trap(u))) if format!("{t:?}") == format!("{u:?}") => None,
        (Ok(v), Ok(bits)) => {
            let (ty, want) = from_value(&v)?;
            if ty != result_ty {
                return Some(format!("{name}: result type {ty} vs declared {result_ty}"));
            }
            let agree = want == bits || (!bit_exact(name) && is_nan(ty, want) && is_nan(ty, bits));
            (!agree).then(|| format!("{name}{args:x?}: interpreter {want:#x}, evaluator {bits:#x}"))
        }
        (o, u) => Some(format!("{name}{args:x?}: interpreter {o:?}, evaluator {u:?}")),
    }
}

fn check_all(
    rules: &RuleSet,
    name: &str,
    arity: usize,
    run: &dyn Fn(&[Value]) -> Result<Value, plumb_oracles::TrapCode>,
) -> (usize, Vec<String>) {
    let Some(id) = rules.op_by_name(name) else {
        return (0, vec![format!("{name}: no operator of this name in ops.isle")]);
    };
    let Some(op) = rules.op(id) else { return (0, vec![format!("{name}: bad id")]) };
    assert_eq!(op.operands.len(), arity, "{name}: operand count");
    let tys = op.operands.clone();
    let mut inputs: Vec<Vec<u64>> = Vec::new();
    match tys[..] {
        [t] => inputs.extend(edges(t).into_iter().map(|a| vec![a])),
        [t, u] => {
            for a in edges(t) {
                for b in edges(u) {
                    inputs.push(vec![a, b]);
                }
            }
        }
        _ => {}
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    for _ in 0..3000 {
        inputs.push(tys.iter().map(|t| random(&mut rng, *t)).collect());
    }
    let mut failures = Vec::new();
    for args in &inputs {
        let vals: Vec<Value> = tys.iter().zip(args).map(|(t, a)| to_value(*t, *a)).collect();
        if let Some(f) = compare(rules, name, args, run(&vals)) {
            failures.push(f);
        }
    }
    (inputs.len(), failures)
}

#[test]
fn evaluator_agrees_with_the_interpreter_on_every_wasm_numeric_operator() {
    let rules = RuleSet::builtin().expect("builtin rules load");
    let mut failures = Vec::new();
    let mut cases = 0;
    for &op in UnOp::ALL {
        let (n, f) = check_all(&rules, op.name(), 1, &|v| eval_unop(op, v[0]));
        cases += n;
        failures.extend(f.into_iter().take(3));
    }
    for &op in BinOp::ALL {
        let (n, f) = check_all(&rules, op.name(), 2, &|v| eval_binop(op, v[0], v[1]));
        cases += n;
        failures.extend(f.into_iter().take(3));
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s) in {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases > 100_000, "only {cases} cases ran");
}

#[test]
fn select_picks_the_first_operand_on_a_non_zero_condition() {
    let rules = RuleSet::builtin().expect("builtin rules load");
    for (ty, a, b) in
        [("i32", 1u64, 2u64), ("i64", 1 << 40, 3), ("f32", 0x3f80_0000, 0x7fc0_0001), ("f64", 5, 6)]
    {
        let id = rules.op_by_name(&format!("{ty}.select")).expect("declared");
        assert_eq!(rules.eval(id, &[a, b, 0x8000_0000]), Ok(a));
        assert_eq!(rules.eval(id, &[a, b, 0]), Ok(b));
    }
}
