//! The egg side: lowering by saturation and extraction, constant folding
//! through the evaluator, and Wasm operators never being extracted.

use std::sync::Arc;

use egg::{RecExpr, Runner};
use plumb_rules::egraph::{ConstFold, Node, extract_lowered, rewrites};
use plumb_rules::{RuleSet, Type};

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
