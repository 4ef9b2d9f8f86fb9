//! A term of the rule language through the mid-end: saturated with every
//! rule in an e-graph (with the engine's bounds) and the cheapest CLIF-only
//! term extracted. Wherever the original term has a value, the extracted
//! one has a value Wasm allows the original under the concrete evaluator
//! (equal bits, or for floats a NaN of the set `plumb_rules::nan` allows:
//! the relation the verifier proves). Beyond the extracted term, every
//! e-class is checked: all of its nodes that evaluate on these inputs give
//! one value (for floats, each one that the other allows, in one direction
//! or the other: an e-class holds both sides of every rule that merged it),
//! so a wrong rule is caught even where extraction happens to choose
//! another node of equal cost. The extracted term is also emitted
//! as CLIF by the engine's emitter and run on `cranelift-interpreter`
//! ([`super::clif`]), which must agree too.

use std::time::Duration;

use std::collections::HashMap;

use egg::{EGraph, Id, Language, RecExpr, Runner};
use plumb_rules::egraph::{ConstFold, Node, extract_lowered, rewrites};
use plumb_rules::nan::Allowed;
use plumb_rules::{EvalError, RuleSet, Type};

use super::clif::{self, Outcome};
use super::rule_set;

/// Saturation bounds: the engine's mid-end uses the same. Counts only, so a
/// finding reproduces however loaded the machine that replays it (egg's
/// default 5-second time limit is lifted below).
const ITERATION_LIMIT: usize = 8;
const NODE_LIMIT: usize = 4_000;

/// Evaluates `expr` (its root is the last node) with inputs `args`.
pub fn eval(rules: &RuleSet, expr: &RecExpr<Node>, args: &[u128]) -> Result<u128, EvalError> {
    let nodes = expr.as_ref();
    let mut values: Vec<u128> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let value = match node {
            Node::Arg { index, ty } => {
                args.get(*index as usize).copied().ok_or(EvalError::UnboundVariable(*index as usize))?
                    & ty.wide_mask()
            }
            Node::Const { ty, bits } => *bits & ty.wide_mask(),
            Node::Op { op, args: operands, .. } => {
                let vals = operands
                    .iter()
                    .map(|&id| values.get(usize::from(id)).copied().ok_or(EvalError::IllTyped("operand")))
                    .collect::<Result<Vec<u128>, _>>()?;
                rules.eval_wide(*op, &vals)?
            }
        };
        values.push(value);
    }
    values.last().copied().ok_or(EvalError::IllTyped("empty term"))
}

/// [`eval`], with the set of bit patterns Wasm allows the result.
pub fn eval_allowed(rules: &RuleSet, expr: &RecExpr<Node>, args: &[u128]) -> Result<Allowed, EvalError> {
    let mut sets: Vec<Allowed> = Vec::with_capacity(expr.as_ref().len());
    for node in expr.as_ref() {
        let set = match node {
            Node::Arg { index, ty } => Allowed::exact(
                *args.get(*index as usize).ok_or(EvalError::UnboundVariable(*index as usize))?
                    & ty.wide_mask(),
            ),
            Node::Const { ty, bits } => Allowed::exact(*bits & ty.wide_mask()),
            Node::Op { op, args: operands, .. } => {
                let operands = operands
                    .iter()
                    .map(|&id| sets.get(usize::from(id)).copied().ok_or(EvalError::IllTyped("operand")))
                    .collect::<Result<Vec<Allowed>, _>>()?;
                rules.eval_allowed(*op, &operands)?
            }
        };
        sets.push(set);
    }
    sets.last().copied().ok_or(EvalError::IllTyped("empty term"))
}

/// Whether two values of one e-class agree: equal, or for floats one of
/// them exactly a value the other's operator allows (a quiet NaN of
/// arithmetic against any quiet NaN, a canonical one against a canonical
/// one), either way round.
fn class_agrees(ty: Option<Type>, v: (u128, Allowed), w: (u128, Allowed)) -> bool {
    let ty = ty.unwrap_or(Type::I64);
    v.0 == w.0 || RuleSet::refines(ty, &v.1, w.0) || RuleSet::refines(ty, &w.1, v.0)
}

/// Lowers `expr` and compares the two terms on `args`.
pub fn check(expr: &RecExpr<Node>, args: &[u128]) {
    let rules = rule_set();
    let Ok(want) = eval(rules, expr, args) else { return };
    let Ok(allowed) = eval_allowed(rules, expr, args) else { return };
    let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(rules))
        .with_iter_limit(ITERATION_LIMIT)
        .with_node_limit(NODE_LIMIT)
        .with_time_limit(Duration::MAX)
        .with_expr(expr)
        .run(rewrites_cached());
    check_classes(&runner.egraph, rules, expr, args);
    let Some(&root) = runner.roots.first() else { return };
    let Some(lowered) = extract_lowered(&runner.egraph, rules, root) else { return };
    let got = eval(rules, &lowered, args);
    let ty = expr.as_ref().last().and_then(|n| n.ty(rules));
    let agree = match got {
        Ok(bits) => RuleSet::refines(ty.unwrap_or(Type::I64), &allowed, bits),
        Err(_) => false,
    };
    assert!(agree, "{expr} on {args:x?} = {want:#x}, but lowered to {lowered} = {got:x?}");
    let mut params = clif::arg_types(expr);
    params.resize(params.len().max(args.len()), Type::I32);
    let func = clif::function(rules, &lowered, &params);
    match clif::run(&func, args) {
        Outcome::Value(bits) => assert!(
            clif::agrees(ty.unwrap_or(Type::I64), float_lanes(rules, expr), want, bits),
            "{expr} on {args:x?} = {want:#x}, but its lowering {lowered} = {bits:#x} on cranelift-interpreter"
        ),
        Outcome::Trap(code) => panic!(
            "{expr} on {args:x?} = {want:#x}, but its lowering {lowered} traps ({code}) on cranelift-interpreter"
        ),
    }
}

/// The value of `node` on `args`, its operands' values taken from
/// `known` by e-class; `None` where an operand is unknown or the operator
/// traps or is undefined there.
fn node_value(
    egraph: &EGraph<Node, ConstFold>,
    rules: &RuleSet,
    node: &Node,
    args: &[u128],
    known: &HashMap<Id, (u128, Allowed)>,
) -> Option<(u128, Allowed)> {
    match node {
        Node::Arg { index, ty } => {
            args.get(*index as usize).map(|a| a & ty.wide_mask()).map(|a| (a, Allowed::exact(a)))
        }
        Node::Const { ty, bits } => {
            let bits = *bits & ty.wide_mask();
            Some((bits, Allowed::exact(bits)))
        }
        Node::Op { op, args: operands, .. } => {
            let vals =
                operands.iter().map(|c| known.get(&egraph.find(*c)).copied()).collect::<Option<Vec<_>>>()?;
            let bits: Vec<u128> = vals.iter().map(|v| v.0).collect();
            let sets: Vec<Allowed> = vals.iter().map(|v| v.1).collect();
            Some((rules.eval_wide(*op, &bits).ok()?, rules.eval_allowed(*op, &sets).ok()?))
        }
    }
}

/// Panics if some e-class holds two nodes with different values on
/// `args`: a rule merged terms that are not equal.
fn check_classes(egraph: &EGraph<Node, ConstFold>, rules: &RuleSet, expr: &RecExpr<Node>, args: &[u128]) {
    let mut known: HashMap<Id, (u128, Allowed)> = HashMap::new();
    let mut classes: Vec<Id> = Vec::new();
    for node in expr.as_ref() {
        let mut mapped = node.clone();
        for child in mapped.children_mut() {
            let Some(&class) = classes.get(usize::from(*child)) else { return };
            *child = class;
        }
        let Some(class) = egraph.lookup(mapped.clone()) else { return };
        let class = egraph.find(class);
        classes.push(class);
        if let Some(v) = node_value(egraph, rules, &mapped, args, &known) {
            known.entry(class).or_insert(v);
        }
    }
    // Spread values through the classes until nothing changes; every node
    // that can be evaluated must agree with its class.
    for _ in 0..8 {
        let mut changed = false;
        for class in egraph.classes() {
            let ty = class.data.ty;
            for node in &class.nodes {
                let Some(v) = node_value(egraph, rules, node, args, &known) else { continue };
                match known.get(&class.id) {
                    Some(&w) => assert!(
                        class_agrees(ty, v, w),
                        "the rules put {node} = {:#x} in a class worth {:#x}, evaluating {expr} on {args:x?}",
                        v.0,
                        w.0
                    ),
                    None => {
                        known.insert(class.id, v);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The float lane width of `expr`'s `v128` result when its root is a float
/// lane operator (`f32x4.*`, `f64x2.*`), for [`clif::agrees`].
fn float_lanes(rules: &RuleSet, expr: &RecExpr<Node>) -> Option<u32> {
    let Some(Node::Op { op, .. }) = expr.as_ref().last() else { return None };
    let name = &rules.op(*op)?.name;
    if name.starts_with("f32x4.") {
        Some(32)
    } else if name.starts_with("f64x2.") {
        Some(64)
    } else {
        None
    }
}

fn rewrites_cached() -> &'static [egg::Rewrite<Node, ConstFold>] {
    static REWRITES: std::sync::OnceLock<Vec<egg::Rewrite<Node, ConstFold>>> = std::sync::OnceLock::new();
    REWRITES.get_or_init(|| rewrites(rule_set()))
}
