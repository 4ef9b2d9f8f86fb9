//! Typed function references (Wasm 3.0) on the reference interpreter:
//! `wast/function-references.wast` checks what the spec scripts leave out —
//! exact reference types in `call_indirect` signature checks and in import
//! matching across modules.

use plumb_oracles::wast::{InterpBackend, run_script};

#[test]
fn exact_reference_types_decide_indirect_calls_and_import_matching_on_the_interpreter() {
    let report = run_script(include_str!("wast/function-references.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 9, "three modules, a registration and five assertions");
}
