//! Extended constant expressions (Wasm 3.0) on the JIT:
//! `oracles/tests/wast/extended-const.wast`, as on the interpreter.

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::run_script;

#[test]
fn extended_constant_expressions_evaluate_on_the_jit() {
    let engine = plumb::Engine::default();
    let report =
        run_script(include_str!("../oracles/tests/wast/extended-const.wast"), EngineBackend::new(&engine));
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 20, "three modules, a registration and sixteen assertions");
}
