//! The egg side: lowering by saturation and extraction, constant folding
//! through the evaluator, and Wasm operators never being extracted.

use std::sync::Arc;

use egg::{RecExpr, Runner};
use plumb_rules::egraph::{ConstFold, Node, extract_lowered, rewrites};
use plumb_rules::{RuleSet, Type};

mod common;
use common::Rng;

fn run(rules: &Arc<RuleSet>, expr: &RecExpr<Node>) -> Option<String> {
    let runner: Runner<Node, ConstFold> =
        Runner::new(ConstFold::new(rules)).with_iter_limit(10).with_expr(expr).run(&rewrites(rules));
    extract_lowered(&runner.egraph, rules, runner.roots[0]).map(|e| e.to_string())
}

fn binop(rules: &RuleSet, expr: &mut RecExpr<Node>, name: &str, a: egg::Id, b: egg::Id) -> egg::Id {
    let op = rules.op_by_name(name).expect("declared");
    expr.add(Node::op(rules, op, vec![a, b]).expect("arity"))
}

#[test]
fn multiplication_by_eight_becomes_a_shift() {
    let rules = Arc::new(RuleSet::builtin().expect("loads"));
    let mut e = RecExpr::default();
    let x = e.add(Node::Arg { index: 0, ty: Type::I64 });
    let c = e.add(Node::Const { ty: Type::I64, bits: 8 });
    binop(&rules, &mut e, "i64.mul", x, c);
    assert_eq!(run(&rules, &e).as_deref(), Some("(ishl.i64 arg0:i64 0x3:i64)"));
}

#[test]
fn constants_fold_through_the_evaluator() {
    let rules = Arc::new(RuleSet::builtin().expect("loads"));
    let mut e = RecExpr::default();
    let a = e.add(Node::Const { ty: Type::I32, bits: 0xffff_fff0 });
    let b = e.add(Node::Const { ty: Type::I32, bits: 0x20 });
    binop(&rules, &mut e, "i32.add", a, b);
    assert_eq!(run(&rules, &e).as_deref(), Some("0x10:i32"));
}

#[test]
fn a_trapping_division_is_not_folded() {
    let rules = Arc::new(RuleSet::builtin().expect("loads"));
    let mut e = RecExpr::default();
    let a = e.add(Node::Const { ty: Type::I32, bits: 1 });
    let b = e.add(Node::Const { ty: Type::I32, bits: 0 });
    binop(&rules, &mut e, "i32.div_u", a, b);
    assert_eq!(run(&rules, &e).as_deref(), Some("(udiv.i32 0x1:i32 0x0:i32)"));
}

#[test]
fn without_lowering_rules_nothing_can_be_extracted() {
    let rules = Arc::new(RuleSet::builtin().expect("loads"));
    let mut e = RecExpr::default();
    let x = e.add(Node::Arg { index: 0, ty: Type::I32 });
    let y = e.add(Node::Arg { index: 1, ty: Type::I32 });
    binop(&rules, &mut e, "i32.sub", x, y);
    let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(&rules)).with_expr(&e).run(&[]);
    assert_eq!(extract_lowered(&runner.egraph, &rules, runner.roots[0]), None);
}

#[test]
fn constant_folding_gives_only_nans_wasm_allows() {
    use plumb_rules::nan::{Allowed, is_canonical_nan};
    let rules = Arc::new(RuleSet::builtin().expect("loads"));
    let fold = |name: &str, a: u64, b: u64| {
        let op = rules.op_by_name(name).expect("declared");
        let mut e = RecExpr::default();
        let a = e.add(Node::Const { ty: Type::F64, bits: a.into() });
        let b = e.add(Node::Const { ty: Type::F64, bits: b.into() });
        binop(&rules, &mut e, name, a, b);
        let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(&rules)).with_expr(&e).run(&[]);
        let folded = runner.egraph[runner.roots[0]].data.konst.expect("folded");
        let args = [Allowed::exact(a_bits(&e, 0)), Allowed::exact(a_bits(&e, 1))];
        let allowed = rules.eval_allowed(op, &args).expect("evaluates");
        (folded, allowed)
    };
    // inf - inf has no NaN operand: its NaN must be canonical.
    let inf = f64::INFINITY.to_bits();
    let (nan, _) = fold("f64.sub", inf, inf);
    assert!(is_canonical_nan(plumb_rules::FloatFormat::F64, nan), "inf - inf folded to {nan:#x}");
    let edges = [
        0,
        1 << 63,
        1.0f64.to_bits(),
        inf,
        (-f64::INFINITY).to_bits(),
        0x7ff8_0000_0000_0000, // canonical NaNs
        0xfff8_0000_0000_0000,
        0x7ff0_0000_0000_0001, // signalling
        0x7ffc_0000_0000_00ab, // quiet with a payload
    ];
    for name in ["f64.add", "f64.sub", "f64.mul", "f64.div", "f64.min", "f64.max", "f64.copysign"] {
        for &a in &edges {
            for &b in &edges {
                let (folded, allowed) = fold(name, a, b);
                assert!(
                    RuleSet::refines(Type::F64, &allowed, folded),
                    "{name} {a:#x} {b:#x} folded to {folded:#x}, Wasm allows {allowed:x?}"
                );
            }
        }
    }
}

/// The bits of constant node `i` of `e`.
fn a_bits(e: &RecExpr<Node>, i: usize) -> u128 {
    match &e.as_ref()[i] {
        Node::Const { bits, .. } => *bits,
        other => panic!("node {i} is {other:?}, not a constant"),
    }
}

/// The width of the float lanes of a result of type `ty` of operator
/// `name` (a scalar float is one lane; a `v128` has its operator's shape),
/// or `None` for integer results.
fn float_lanes(name: &str, ty: Type) -> Option<u32> {
    match ty {
        Type::F32 | Type::F32X4 => Some(32),
        Type::F64 | Type::F64X2 => Some(64),
        Type::V128 if name.starts_with("f32x4.") && !name.contains("extract") => Some(32),
        Type::V128 if name.starts_with("f64x2.") && !name.contains("extract") => Some(64),
        _ => None,
    }
}

/// `a` and `b` are equal, lane by lane, except that two NaN lanes agree
/// whatever their payloads.
fn same_up_to_nan(lanes: Option<u32>, a: u128, b: u128) -> bool {
    let Some(bits) = lanes else { return a == b };
    let lane = |x: u128, i: u32| (x >> (bits * i)) & ((1u128 << bits) - 1);
    let is_nan = |x: u128, i: u32| {
        if bits == 32 {
            f32::from_bits(lane(x, i) as u32).is_nan()
        } else {
            f64::from_bits(lane(x, i) as u64).is_nan()
        }
    };
    (0..128 / bits).all(|i| lane(a, i) == lane(b, i) || (is_nan(a, i) && is_nan(b, i)))
}

#[test]
fn every_wasm_operator_lowers_in_the_egraph_to_an_equivalent_clif_term() {
    use plumb_rules::OpKind;
    use plumb_rules::egraph::eval_expr;
    let rules = Arc::new(RuleSet::builtin().expect("loads"));
    let all = rewrites(&rules);
    let mut rng = Rng(7);
    let mut failures = Vec::new();
    for (i, op) in rules.ops().iter().enumerate() {
        if op.kind == OpKind::Clif {
            continue;
        }
        // The operator on block inputs, and once on a small constant operand
        // so that constant folding and the optimisation rules take part.
        for with_const in [false, true] {
            let mut e = RecExpr::default();
            let mut args = Vec::new();
            for (k, ty) in op.operands.iter().enumerate() {
                let leaf = if with_const && k == op.operands.len() - 1 {
                    Node::Const { ty: *ty, bits: u128::from(1 + rng.next() % 9) }
                } else {
                    Node::Arg { index: k as u32, ty: *ty }
                };
                args.push(e.add(leaf));
            }
            let id = plumb_rules::OpInstId(i as u32);
            e.add(Node::op(&rules, id, args).expect("arity"));
            let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(&rules))
                .with_iter_limit(8)
                .with_node_limit(5_000)
                .with_expr(&e)
                .run(&all);
            let Some(lowered) = extract_lowered(&runner.egraph, &rules, runner.roots[0]) else {
                failures.push(format!("{}: no CLIF term extracted", op.name));
                continue;
            };
            for _ in 0..200 {
                let inputs: Vec<u128> = op
                    .operands
                    .iter()
                    .map(|t| (u128::from(rng.next()) << 64 | u128::from(rng.next())) & t.wide_mask())
                    .collect();
                let (want, got) = (eval_expr(&rules, &e, &inputs), eval_expr(&rules, &lowered, &inputs));
                let agree = match (want, got) {
                    (Ok(a), Ok(b)) => same_up_to_nan(float_lanes(&op.name, op.result), a, b),
                    (Err(_), _) => true,
                    (Ok(_), Err(_)) => false,
                };
                if !agree {
                    failures.push(format!("{}: {e} lowered to {lowered} differs on {inputs:x?}", op.name));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
