//! One Wasm numeric operator on arbitrary operands: the semantics written
//! in `ops.isle`, run by the rule set's concrete evaluator, against the
//! reference interpreter's numerics: the same value (NaNs as WebAssembly
//! allows) or the same trap.

use plumb_oracles::interp::numerics::{BinOp, UnOp, eval_binop, eval_unop};
use plumb_oracles::{TrapCode, Value};
use plumb_rules::{EvalError, Type};

use super::{rule_set, value_allowed};

/// An operator of the interpreter.
#[derive(Debug, Clone, Copy)]
pub enum Operator {
    /// One operand.
    Un(UnOp),
    /// Two operands.
    Bin(BinOp),
}

impl Operator {
    /// Every operator, unary first.
    pub fn all() -> impl Iterator<Item = Operator> {
        UnOp::ALL.iter().map(|&o| Operator::Un(o)).chain(BinOp::ALL.iter().map(|&o| Operator::Bin(o)))
    }

    /// Its Wasm name.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Un(o) => o.name(),
            Operator::Bin(o) => o.name(),
        }
    }
}

/// The operand types of `op` as the rule set declares them.
pub fn operand_types(op: Operator) -> Vec<Type> {
    let rules = rule_set();
    match rules.op_by_name(op.name()).and_then(|id| rules.op(id)) {
        Some(inst) => inst.operands.clone(),
        None => panic!("ops.isle declares no operator {}", op.name()),
    }
}

fn to_value(ty: Type, bits: u64) -> Value {
    match ty {
        Type::I64 => Value::I64(bits as i64),
        Type::F32 => Value::F32(bits as u32),
        Type::F64 => Value::F64(bits),
        _ => Value::I32(bits as u32 as i32),
    }
}

/// Compares the evaluator with the interpreter on `op` applied to `args`
/// (bits, one per operand).
pub fn check(op: Operator, args: &[u64]) {
    let rules = rule_set();
    let Some(id) = rules.op_by_name(op.name()) else { panic!("ops.isle declares no operator {}", op.name()) };
    let Some(inst) = rules.op(id) else { panic!("no operator instance {id:?}") };
    let values: Vec<Value> =
        inst.operands.iter().zip(args).map(|(&t, &b)| to_value(t, b & t.mask())).collect();
    let interp: Result<Value, TrapCode> = match (op, values.as_slice()) {
        (Operator::Un(o), [a]) => eval_unop(o, *a),
        (Operator::Bin(o), [a, b]) => eval_binop(o, *a, *b),
        _ => panic!("{}: {} operands given", op.name(), values.len()),
    };
    let spec = rules.eval(id, args);
    let agree = match (&interp, &spec) {
        (Ok(want), Ok(bits)) => value_allowed(want, &to_value(inst.result, *bits)),
        (Err(t), Err(EvalError::Trap(u))) => format!("{t:?}") == format!("{u:?}"),
        _ => false,
    };
    assert!(agree, "{}{args:x?}: interpreter {interp:?}, ops.isle evaluator {spec:x?}", op.name());
}
