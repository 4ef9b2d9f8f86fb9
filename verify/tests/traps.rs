//! Partial operators: a rule is proved where its left side does not trap,
//! and its right side may not trap anywhere the left side does not.

use plumb_rules::RuleSet;
use plumb_verify::{Options, Report, Selection, Verdict, verify};

fn verify_rule(text: &str, name: &str) -> Report {
    let rules = RuleSet::load(&[("traps.isle", text)]).unwrap_or_else(|e| panic!("{e}"));
    verify(&rules, &Selection::Only { rules: vec![name.to_owned()], files: vec![] }, &Options::default())
}

#[test]
fn a_right_side_may_drop_a_trap_the_left_side_can_never_raise() {
    // x %s -1 is 0 and never traps (only division by zero does).
    let report = verify_rule(
        "(rule rem_minus_one ((T Int)) ({T}.rem_s a (iconst -1)) => (iconst 0))",
        "rem_minus_one",
    );
    assert!(report.all_proved(), "{:?}", report.results);
}

#[test]
fn values_are_compared_only_where_the_left_side_does_not_trap() {
    // x /s y == (x /s y) + 0 is proved; x /u y == x holds only for y = 1 and
    // (by SMT-LIB's x /u 0 = all ones) not at y = 0 either, but y = 0 traps,
    // so the counterexample must be a y that does not.
    let report = verify_rule(
        "(rule sdiv_add_zero ((T Int)) (sdiv.{T} a b) => (iadd (sdiv a b) (iconst 0)))",
        "sdiv_add_zero",
    );
    assert!(report.all_proved(), "{:?}", report.results);
    let report = verify_rule("(rule udiv_is_a ((T Int)) (udiv.{T} a b) => a)", "udiv_is_a");
    for result in &report.results {
        let Verdict::Counterexample(cex) = &result.verdict else { panic!("{}", result.line()) };
        let b = cex.inputs.iter().find(|(n, _)| n == "b").map(|(_, v)| v.bits);
        assert_ne!(b, Some(0), "the counterexample divides by zero: {cex}");
    }
}

#[test]
fn an_operator_in_an_unselected_select_arm_still_traps() {
    // CLIF's select computes both arms: fcvt_to_sint traps on NaN even when
    // the select would pick the other arm. trunc_sat never traps.
    let report = verify_rule(
        "(rule trunc_sat_via_select () (i32.trunc_sat_f32_s a) => (select (fcmp_ne a a) (iconst 0) (fcvt_to_sint a)))",
        "trunc_sat_via_select",
    );
    let [result] = report.results.as_slice() else { panic!("{:?}", report.results) };
    let Verdict::Counterexample(cex) = &result.verdict else { panic!("{}", result.line()) };
    assert_eq!(cex.rhs, None, "the right side should trap: {cex}");
}
