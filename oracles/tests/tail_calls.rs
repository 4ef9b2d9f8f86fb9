//! Tail calls (Wasm 3.0) on the reference interpreter: `wast/tail-calls.wast`
//! makes 10,000,000 mutual tail calls, direct, indirect and through
//! function references, in constant space, where ordinary calls exhaust
//! the stack.

use plumb_oracles::wast::{InterpBackend, run_script};

#[test]
fn ten_million_mutual_tail_calls_run_in_constant_space_on_the_interpreter() {
    let report = run_script(include_str!("wast/tail-calls.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 11, "three modules, a registration and eight assertions");
}
