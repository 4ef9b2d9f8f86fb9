//! Rule files of a user (`plumb verify --rules FILE`): one that redefines
//! an existing operator is refused at load, before anything is "proved"
//! about the new meaning; rules with decimal float constants prove; a rule
//! with no instance is an error, not a vacuous 0/0.

use plumb_rules::RuleSet;
use plumb_verify::{Options, Selection, Verdict, verify};

/// Verifies the rules of `text` (loaded after the built-in files) alone.
fn verify_user_file(text: &str) -> plumb_verify::Report {
    let rules = RuleSet::load(&[("user.isle", text)]).unwrap_or_else(|e| panic!("does not load: {e}"));
    verify(&rules, &Selection::Only { rules: vec![], files: vec!["user.isle".into()] }, &Options::default())
}

/// CVE-2023-26489's mix-up made to look right: zero extension declared
/// again as a sign extension, then a sign extension lowered to it.
const REDEFINED_UEXTEND: &str = "\
;; uextend.i32.i64 redefined: sign extension under the zero extension's name
(decl uextend.i32.i64 clif ((X (one_of i8))) ((a i32)) i64 (sext 64 a))
;; i64.extend_i32_s(a) == uextend(a), wrong
(rule user_extend_mixup () (i64.extend_i32_s a) => (uextend.i32.i64 a))
";

#[test]
fn a_file_redefining_an_existing_operator_is_refused_not_proved() {
    let err = RuleSet::load(&[("user.isle", REDEFINED_UEXTEND)]).expect_err("the redefinition is refused");
    assert_eq!(
        err.to_string(),
        "user.isle:2:1: operator `uextend.i32.i64` collides with instance `uextend.i32.i64` of operator \
         `uextend` declared at ops.isle:178:1: an existing operator cannot be redefined; give the new one \
         another name"
    );
    // Without the redefinition the rule means what it says, and is refuted.
    let rule_alone: String = REDEFINED_UEXTEND.lines().skip(2).map(|l| format!("{l}\n")).collect();
    let report = verify_user_file(&rule_alone);
    assert_eq!(report.results.len(), 1, "{}", report.summary());
    assert!(matches!(report.results[0].verdict, Verdict::Counterexample(_)), "{}", report.results[0].line());
}

#[test]
fn rules_with_decimal_float_constants_prove() {
    let report = verify_user_file(
        ";; -(1.0) == -1.0\n\
         (rule user_fneg_one () (fneg.f32 (f32const 1.0)) => (f32const -1.0))\n\
         ;; x * 2.0 == x + x\n\
         (rule user_fmul_two () (fmul.f64 x (f64const 2.0)) => (fadd x x))\n",
    );
    assert_eq!(report.results.len(), 2, "{}", report.summary());
    for result in &report.results {
        assert!(result.verdict.is_proved(), "{}", result.line());
    }
}

#[test]
fn a_rule_without_instances_is_an_error_not_a_vacuous_proof() {
    let text = ";; x + y == y + x, at no type\n\
                (rule user_none ((T i32) (U i64) (same_width T U)) (iadd.{T} x y) => (iadd y x))\n";
    let err = RuleSet::load(&[("user.isle", text)]).expect_err("no instance");
    assert!(err.to_string().starts_with("user.isle:2:1: rule `user_none` has no instance"), "{err}");
}
