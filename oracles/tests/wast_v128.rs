//! The script runner and `v128`: vector arguments go in, vector results are
//! matched lane by lane (each float lane by its own NaN pattern), and a
//! mismatch is reported in the expected lane shape.

use plumb_oracles::wast::{InterpBackend, run_script};

const MODULE: &str = r#"
(module
  (func (export "id") (param v128) (result v128) (local.get 0))
  ;; lanes: 0/0 (a canonical NaN), 1.0, an arithmetic NaN with a payload, -0.0
  (func (export "nans") (result v128)
    (f32x4.div (v128.const f32x4 0 1 nan:0x200001 -0) (v128.const f32x4 0 1 1 1))))
"#;

fn run(assertions: &str) -> plumb_oracles::wast::Report {
    run_script(&format!("{MODULE}\n{assertions}"), InterpBackend::new())
}

#[test]
fn vector_arguments_and_results_cross_the_runner_lane_for_lane() {
    let report = run(r#"
        (assert_return (invoke "id" (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -1))
                       (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -1))
        (assert_return (invoke "id" (v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 4 0 0 0))
                       (v128.const i32x4 1 2 3 4))
        (assert_return (invoke "id" (v128.const f64x2 -0x1p-1074 inf)) (v128.const i64x2 0x8000000000000001 0x7ff0000000000000))
        (assert_return (invoke "nans") (v128.const f32x4 nan:canonical 1.0 nan:arithmetic -0.0))
    "#);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.passed, 5);
}

#[test]
fn a_vector_mismatch_fails_and_shows_the_result_in_the_expected_shape() {
    let report = run(r#"
        (assert_return (invoke "id" (v128.const i16x8 1 2 3 4 5 6 7 8)) (v128.const i16x8 1 2 3 4 5 6 7 9))
        (assert_return (invoke "nans") (v128.const f32x4 nan:canonical 1.0 nan:canonical -0.0))
        (assert_return (invoke "nans") (v128.const f32x4 nan:arithmetic 1.0 nan:arithmetic 0.0))
    "#);
    let messages: Vec<String> = report.failures.iter().map(|f| f.message.clone()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].contains("got v128:i16x8 1 2 3 4 5 6 7 8, expected v128:i16x8 1 2 3 4 5 6 7 9"),
        "{}",
        messages[0]
    );
    // An arithmetic NaN with a payload is not canonical; -0 is not +0.
    assert!(messages[1].contains("nan:0x7fe00001"), "{}", messages[1]);
    assert!(messages[2].contains("expected v128:f32x4 nan:arithmetic 1 nan:arithmetic 0"), "{}", messages[2]);
}
