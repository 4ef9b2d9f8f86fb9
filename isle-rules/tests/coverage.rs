//! No Wasm operator is left to hand-written Rust: every Wasm operator the
//! reference interpreter knows is declared, and every Wasm operator and trap
//! condition has a lowering rule at every type it has.

use std::collections::BTreeSet;

use plumb_oracles::interp::numerics::{BinOp, UnOp};
use plumb_rules::{OpKind, RuleSet, Term};

#[test]
fn every_wasm_numeric_operator_of_the_interpreter_is_declared() {
    let rules = RuleSet::builtin().expect("loads");
    let names = UnOp::ALL.iter().map(|o| o.name()).chain(BinOp::ALL.iter().map(|o| o.name()));
    let missing: Vec<&str> = names.filter(|n| rules.op_by_name(n).is_none()).collect();
    assert!(missing.is_empty(), "not declared in ops.isle: {missing:?}");
    for ty in ["i32", "i64", "f32", "f64"] {
        assert!(rules.op_by_name(&format!("{ty}.select")).is_some(), "{ty}.select");
    }
}

#[test]
fn every_wasm_operator_and_trap_condition_has_a_lowering_rule() {
    let rules = RuleSet::builtin().expect("loads");
    let lowered: BTreeSet<usize> = rules
        .rule_instances()
        .iter()
        .filter(|r| r.is_lowering(rules.ops()))
        .filter_map(|r| match &r.lhs {
            Term::Op { op, .. } => Some(op.index()),
            _ => None,
        })
        .collect();
    let missing: Vec<&str> = rules
        .ops()
        .iter()
        .enumerate()
        .filter(|(i, o)| o.kind != OpKind::Clif && !lowered.contains(i))
        .map(|(_, o)| o.name.as_str())
        .collect();
    assert!(missing.is_empty(), "no lowering rule for: {missing:?}");
    let wasm = rules.ops().iter().filter(|o| o.kind == OpKind::Wasm).count();
    assert!(wasm >= 127 + 4 + 214, "only {wasm} Wasm operators declared");
}

#[test]
fn lowering_rules_produce_clif_only() {
    let rules = RuleSet::builtin().expect("loads");
    fn clif_only(rules: &RuleSet, t: &Term) -> bool {
        match t {
            Term::Op { op, args } => {
                rules.op(*op).is_some_and(|o| o.kind == OpKind::Clif)
                    && args.iter().all(|a| clif_only(rules, a))
            }
            _ => true,
        }
    }
    for r in rules.rule_instances().iter().filter(|r| r.is_lowering(rules.ops())) {
        assert!(clif_only(&rules, &r.rhs), "{} produces a non-CLIF operator", r.name);
    }
}
