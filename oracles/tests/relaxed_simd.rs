//! Relaxed SIMD (Wasm 3.0) on the reference interpreter:
//! `wast/relaxed-simd.wast` checks Plumb's one choice of result for each
//! relaxed instruction, bit for bit.

use plumb_oracles::wast::{InterpBackend, run_script};

#[test]
fn relaxed_simd_gives_plumbs_documented_choice_on_the_interpreter() {
    let report = run_script(include_str!("wast/relaxed-simd.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 17, "a module and sixteen assertions");
}
