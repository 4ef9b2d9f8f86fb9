//! Extended constant expressions (Wasm 3.0) on the reference interpreter:
//! `wast/extended-const.wast` (globals, data and element offsets, wrapping,
//! out-of-bounds offsets, what is not constant).

use plumb_oracles::wast::{InterpBackend, run_script};

#[test]
fn extended_constant_expressions_evaluate_on_the_interpreter() {
    let report = run_script(include_str!("wast/extended-const.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 20, "three modules, a registration and sixteen assertions");
}
