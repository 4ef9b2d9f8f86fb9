//! Typed function references (Wasm 3.0) on the JIT:
//! `oracles/tests/wast/function-references.wast`, as on the interpreter —
//! exact reference types in `call_indirect` signature checks and in import
//! matching across modules (the engine's type ids keep `(ref $t)`,
//! `(ref null $t)` and `funcref` apart).

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::run_script;

#[test]
fn exact_reference_types_decide_indirect_calls_and_import_matching_on_the_jit() {
    let engine = plumb::Engine::default();
    let report = run_script(
        include_str!("../oracles/tests/wast/function-references.wast"),
        EngineBackend::new(&engine),
    );
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 9, "three modules, a registration and five assertions");
}
