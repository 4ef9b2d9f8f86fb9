//! One Wasm numeric operator on arbitrary operands: the semantics written
//! in `ops.isle`, run by the rule set's concrete evaluator, against the
//! reference interpreter's numerics: the same value (NaNs as WebAssembly
//! allows) or the same trap. A third opinion: the operator lowered by the
//! engine's mid-end (the CLIF of its trap conditions and of its value, as
//! the compiler emits them for non-constant operands) run on
//! `cranelift-interpreter` ([`super::clif`]) must trap where the evaluator
//! traps, with the same trap, and otherwise give the evaluator's value.

use std::collections::HashMap;
use std::sync::OnceLock;

use cranelift_codegen::ir::Function;
use egg::RecExpr;
use plumb::TermLowering;
use plumb_oracles::interp::numerics::{BinOp, UnOp, eval_binop, eval_unop};
use plumb_oracles::{TrapCode, Value};
use plumb_rules::egraph::Node;
use plumb_rules::{EvalError, OpInstId, RuleSet, Type};

use super::clif::{self, Outcome};
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
    check_clif(op, inst.result, args, &spec);
}

/// An operator as the compiler emits it: the CLIF of each trap condition
/// (a function of the operator's operands that is non-zero where it traps)
/// with its trap, then the CLIF of its value.
struct Compiled {
    traps: Vec<(Function, plumb_rules::TrapCode)>,
    value: Function,
}

/// Every operator of [`Operator::all`] lowered by the engine's mid-end,
/// once per process.
fn compiled(op: Operator) -> &'static Compiled {
    static TABLE: OnceLock<HashMap<&'static str, Compiled>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let rules = rule_set();
        let lowering = TermLowering::new(RuleSet::clone(rules));
        Operator::all().map(|op| (op.name(), compile(&lowering, rules, op))).collect()
    });
    match table.get(op.name()) {
        Some(compiled) => compiled,
        None => panic!("{} was not compiled", op.name()),
    }
}

fn compile(lowering: &TermLowering, rules: &RuleSet, op: Operator) -> Compiled {
    let Some(id) = rules.op_by_name(op.name()) else { panic!("ops.isle declares no operator {}", op.name()) };
    let Some(inst) = rules.op(id) else { panic!("no operator instance {id:?}") };
    let lower = |target: OpInstId, operands: &[usize]| -> Function {
        let mut term = RecExpr::default();
        let args = operands
            .iter()
            .map(|&i| term.add(Node::Arg { index: i as u32, ty: inst.operands[i] }))
            .collect::<Vec<_>>();
        let Some(node) = Node::op(rules, target, args) else { panic!("{}: operand count", op.name()) };
        term.add(node);
        let lowered = match lowering.lower(&term) {
            Ok(lowered) => lowered,
            Err(e) => panic!("the mid-end cannot lower {term}: {e}"),
        };
        clif::function(rules, &lowered, &inst.operands)
    };
    let traps = inst
        .traps
        .iter()
        .map(|(trap, operands)| {
            let code = rules.op(*trap).and_then(|t| t.trap_code);
            let Some(code) = code else { panic!("{}: trap condition without a trap code", op.name()) };
            (lower(*trap, operands), code)
        })
        .collect();
    let all: Vec<usize> = (0..inst.operands.len()).collect();
    Compiled { traps, value: lower(id, &all) }
}

/// Compares `cranelift-interpreter` on the compiled operator with the
/// evaluator's outcome `spec` on `args`.
fn check_clif(op: Operator, result: Type, args: &[u64], spec: &Result<u64, EvalError>) {
    let compiled = compiled(op);
    let trap = compiled.traps.iter().find_map(|(func, code)| match clif::run(func, args) {
        Outcome::Value(0) => None,
        Outcome::Value(_) => Some(Ok(*code)),
        Outcome::Trap(t) => Some(Err(t)),
    });
    let clif = match trap {
        Some(trap) => Err(trap),
        None => Ok(clif::run(&compiled.value, args)),
    };
    let agree = match (spec, &clif) {
        (Ok(want), Ok(Outcome::Value(got))) => clif::agrees(result, *want, *got),
        (Err(EvalError::Trap(want)), Err(Ok(got))) => want == got,
        _ => false,
    };
    assert!(
        agree,
        "{}{args:x?}: ops.isle evaluator {spec:x?}, its CLIF on cranelift-interpreter {clif:x?}",
        op.name()
    );
}
