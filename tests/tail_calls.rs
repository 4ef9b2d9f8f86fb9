//! Tail calls (Wasm 3.0) on the JIT: `oracles/tests/wast/tail-calls.wast`
//! makes 10,000,000 mutual tail calls, direct, indirect, through function
//! references and into an import, in constant stack space, where ordinary
//! calls exhaust the stack.

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::run_script;

#[test]
fn ten_million_mutual_tail_calls_run_in_constant_space_on_the_jit() {
    let engine = plumb::Engine::default();
    let report =
        run_script(include_str!("../oracles/tests/wast/tail-calls.wast"), EngineBackend::new(&engine));
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 11, "three modules, a registration and eight assertions");
}
