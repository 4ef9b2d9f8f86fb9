//! Exception handling (Wasm 3.0) on the JIT: `oracles/tests/wast/exceptions.wast`,
//! as on the interpreter — tag identity across instances, and traps and
//! stack exhaustion never caught — with every module's machine code checked.

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::run_script;

#[test]
fn tags_are_per_instance_and_traps_are_never_caught_on_the_jit() {
    let mut config = plumb::Config::new();
    config.check_machine_code(true);
    let engine = plumb::Engine::new(&config).expect("an engine");
    let report =
        run_script(include_str!("../oracles/tests/wast/exceptions.wast"), EngineBackend::new(&engine));
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(
        report.passed, 14,
        "a definition, two instances, two registrations, a module, eight assertions"
    );
}
