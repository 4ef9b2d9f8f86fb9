//! Relaxed SIMD (Wasm 3.0) on the JIT: `oracles/tests/wast/relaxed-simd.wast`
//! gives the same bits as on the interpreter (Plumb's one choice per
//! relaxed instruction, whatever the host's SIMD unit would do).

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::run_script;

#[test]
fn relaxed_simd_gives_plumbs_documented_choice_on_the_jit() {
    let engine = plumb::Engine::default();
    let report =
        run_script(include_str!("../oracles/tests/wast/relaxed-simd.wast"), EngineBackend::new(&engine));
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 17, "a module and sixteen assertions");
}
