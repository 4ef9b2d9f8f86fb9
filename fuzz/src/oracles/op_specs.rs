//! One Wasm numeric operator on arbitrary operands: the semantics written
//! in `ops.isle` and `simd_ops.isle`, run by the rule set's concrete
//! evaluator, against the reference interpreter's numerics (scalar
//! operators) or its SIMD instructions (`plumb_oracles::interp::simd`,
//! every pure one by name in its `catalog`): the same value (NaNs as
//! WebAssembly allows, lane by lane for vectors) or the same trap. A
//! third opinion: the operator lowered by the engine's mid-end (the CLIF
//! of its trap conditions and of its value, as the compiler emits them for
//! non-constant operands; a lane index or shuffle pattern is an immediate,
//! so a constant, as in compiled code) run on `cranelift-interpreter`
//! ([`super::clif`]) must trap where the evaluator traps, with the same
//! trap, and otherwise give the evaluator's value.

use std::collections::HashMap;
use std::sync::OnceLock;

use cranelift_codegen::ir::Function;
use egg::RecExpr;
use plumb::TermLowering;
use plumb_oracles::interp::numerics::{BinOp, UnOp, eval_binop, eval_unop};
use plumb_oracles::interp::simd::catalog::{Make, PureOp, pure_ops, value_bits};
use plumb_oracles::{TrapCode, Value};
use plumb_rules::egraph::Node;
use plumb_rules::{EvalError, OpInstId, RuleSet, Type};

use super::clif::{self, Outcome};
use super::{rule_set, value_allowed};

/// An operator of the interpreter.
#[derive(Debug, Clone, Copy)]
pub enum Operator {
    /// A scalar operator with one operand.
    Un(UnOp),
    /// A scalar operator with two operands.
    Bin(BinOp),
    /// A pure SIMD operator (an index into the interpreter's
    /// `simd::catalog::pure_ops`).
    Vector(usize),
}

/// Every pure SIMD operator of the interpreter, once per process.
fn vector_ops() -> &'static [PureOp] {
    static OPS: OnceLock<Vec<PureOp>> = OnceLock::new();
    OPS.get_or_init(pure_ops)
}

impl Operator {
    /// Every operator: scalar unary, scalar binary, then SIMD.
    pub fn all() -> impl Iterator<Item = Operator> {
        UnOp::ALL
            .iter()
            .map(|&o| Operator::Un(o))
            .chain(BinOp::ALL.iter().map(|&o| Operator::Bin(o)))
            .chain((0..vector_ops().len()).map(Operator::Vector))
    }

    /// Its Wasm name.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Un(o) => o.name(),
            Operator::Bin(o) => o.name(),
            Operator::Vector(i) => vector_ops().get(i).map_or("(no such SIMD operator)", |o| o.name.as_str()),
        }
    }

    /// The operator with Wasm name `name`, if the interpreter has one.
    pub fn by_name(name: &str) -> Option<Operator> {
        static BY_NAME: OnceLock<HashMap<&'static str, Operator>> = OnceLock::new();
        BY_NAME.get_or_init(|| Operator::all().map(|o| (o.name(), o)).collect()).get(name).copied()
    }

    /// The immediate of operand `index`, if it is one: a lane index of a
    /// vector of `lanes` lanes, or a shuffle pattern.
    pub fn immediate(self, index: usize) -> Option<Immediate> {
        let Operator::Vector(i) = self else { return None };
        match vector_ops().get(i)?.make {
            Make::Lane(lanes, _) if index == 1 => Some(Immediate::Lane(lanes)),
            Make::Shuffle if index == 2 => Some(Immediate::Shuffle),
            _ => None,
        }
    }

    /// The float lane width of a vector result whose NaN lanes need not
    /// match bit for bit.
    fn nan_lanes(self) -> Option<u32> {
        match self {
            Operator::Vector(i) => vector_ops().get(i)?.nan_lanes,
            _ => None,
        }
    }
}

/// An operand that is an immediate of the Wasm instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Immediate {
    /// A lane index below this count.
    Lane(u8),
    /// Sixteen byte indices below 32.
    Shuffle,
}

/// The operand types of `op` as the rule set declares them.
pub fn operand_types(op: Operator) -> Vec<Type> {
    let rules = rule_set();
    match rules.op_by_name(op.name()).and_then(|id| rules.op(id)) {
        Some(inst) => inst.operands.clone(),
        None => panic!("ops.isle declares no operator {}", op.name()),
    }
}

fn to_value(ty: Type, bits: u128) -> Value {
    match ty {
        Type::I64 => Value::I64(bits as u64 as i64),
        Type::F32 => Value::F32(bits as u32),
        Type::F64 => Value::F64(bits as u64),
        _ if ty.is_vector() => Value::V128(bits),
        _ => Value::I32(bits as u32 as i32),
    }
}

/// Compares the evaluator with the interpreter on `op` applied to `args`
/// (bits, one per operand).
pub fn check(op: Operator, args: &[u128]) {
    let rules = rule_set();
    let Some(id) = rules.op_by_name(op.name()) else { panic!("ops.isle declares no operator {}", op.name()) };
    let Some(inst) = rules.op(id) else { panic!("no operator instance {id:?}") };
    let args: Vec<u128> = inst.operands.iter().zip(args).map(|(&t, &b)| b & t.wide_mask()).collect();
    let values: Vec<Value> = inst.operands.iter().zip(&args).map(|(&t, &b)| to_value(t, b)).collect();
    let interp: Result<Value, TrapCode> = match (op, values.as_slice()) {
        (Operator::Un(o), [a]) => eval_unop(o, *a),
        (Operator::Bin(o), [a, b]) => eval_binop(o, *a, *b),
        (Operator::Vector(i), _) => match vector_ops().get(i) {
            Some(vector) => vector.apply(&values),
            None => panic!("no SIMD operator #{i}"),
        },
        _ => panic!("{}: {} operands given", op.name(), values.len()),
    };
    let spec = rules.eval_wide(id, &args);
    let agree = match (&interp, &spec, op) {
        (Ok(want), Ok(bits), Operator::Vector(i)) => {
            vector_ops().get(i).is_some_and(|v| v.agrees(value_bits(want), *bits))
        }
        (Ok(want), Ok(bits), _) => value_allowed(want, &to_value(inst.result, *bits)),
        (Err(t), Err(EvalError::Trap(u)), _) => format!("{t:?}") == format!("{u:?}"),
        _ => false,
    };
    assert!(agree, "{}{args:x?}: interpreter {interp:x?}, ops.isle evaluator {spec:x?}", op.name());
    check_clif(op, inst.result, &args, &spec);
}

/// An operator as the compiler emits it: the CLIF of each trap condition
/// (a function of the operator's operands that is non-zero where it traps)
/// with its trap, then the CLIF of its value.
struct Compiled {
    traps: Vec<(Function, plumb_rules::TrapCode)>,
    value: Function,
}

/// The lowering every operator goes through: the engine's mid-end with the
/// target's rule set, built once per process.
fn lowering() -> &'static TermLowering {
    static LOWERING: OnceLock<TermLowering> = OnceLock::new();
    LOWERING.get_or_init(|| TermLowering::new(RuleSet::clone(rule_set())))
}

/// Every operator of [`Operator::all`] without immediates lowered by the
/// engine's mid-end, once per process.
fn compiled(op: Operator) -> &'static Compiled {
    static TABLE: OnceLock<HashMap<&'static str, Compiled>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let rules = rule_set();
        Operator::all()
            .filter(|&op| (0..3).all(|i| op.immediate(i).is_none()))
            .map(|op| (op.name(), compile(lowering(), rules, op, &[])))
            .collect()
    });
    match table.get(op.name()) {
        Some(compiled) => compiled,
        None => panic!("{} was not compiled", op.name()),
    }
}

/// `op` lowered with the operands of `immediates` (index, bits) as
/// constants and the others as the function's parameters (all operands
/// are parameters, immediates unused, so one argument list fits both).
fn compile(lowering: &TermLowering, rules: &RuleSet, op: Operator, immediates: &[(usize, u128)]) -> Compiled {
    let Some(id) = rules.op_by_name(op.name()) else { panic!("ops.isle declares no operator {}", op.name()) };
    let Some(inst) = rules.op(id) else { panic!("no operator instance {id:?}") };
    let lower = |target: OpInstId, operands: &[usize]| -> Function {
        let mut term = RecExpr::default();
        let args = operands
            .iter()
            .map(|&i| {
                let ty = inst.operands[i];
                match immediates.iter().find(|(k, _)| *k == i) {
                    Some(&(_, bits)) => term.add(Node::Const { ty, bits }),
                    None => term.add(Node::Arg { index: i as u32, ty }),
                }
            })
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
fn check_clif(op: Operator, result: Type, args: &[u128], spec: &Result<u128, EvalError>) {
    let immediates: Vec<(usize, u128)> =
        (0..args.len()).filter(|&i| op.immediate(i).is_some()).map(|i| (i, args[i])).collect();
    let with_immediates;
    let compiled = if immediates.is_empty() {
        compiled(op)
    } else {
        with_immediates = compile(lowering(), rule_set(), op, &immediates);
        &with_immediates
    };
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
        (Ok(want), Ok(Outcome::Value(got))) => clif::agrees(result, op.nan_lanes(), *want, *got),
        (Err(EvalError::Trap(want)), Err(Ok(got))) => want == got,
        _ => false,
    };
    assert!(
        agree,
        "{}{args:x?}: ops.isle evaluator {spec:x?}, its CLIF on cranelift-interpreter {clif:x?}",
        op.name()
    );
}
