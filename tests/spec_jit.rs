//! Conformance of the JIT engine: every script of the WebAssembly 2.0 spec
//! test suite (SIMD included) passes through `plumb` (rules, e-graph, Cranelift),
//! judged by the same runner as the reference interpreter, except the files
//! in `spec-jit-skip.txt` (each with its reason), and so does every 3.0
//! script but those of `oracles/tests/spec-3.0-skip.txt`.

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::suite::{run_scripts, scripts_but, simd_scripts, skip_list, spec_scripts};

/// The engine the suites run on: every module's machine code is checked
/// (`Config::check_machine_code`), so a false positive of the checker
/// fails the suite. The 2.0 scripts run without the 3.0 features that make
/// modules they call invalid valid (a second memory, 64-bit addresses).
fn checked_engine(version: &str) -> plumb::Engine {
    let mut config = plumb::Config::new();
    let later = version != "wasm-2.0";
    config
        .check_machine_code(true)
        .wasm_multi_memory(later)
        .wasm_memory64(later)
        .wasm_function_references(later)
        .wasm_exceptions(later);
    plumb::Engine::new(&config).expect("an engine")
}

#[test]
fn every_wasm_2_0_script_passes_on_the_jit() {
    let files = spec_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    assert!(files.len() >= 90, "expected the 90 non-SIMD scripts, found {}", files.len());
    let engine = checked_engine("wasm-2.0");
    let outcome =
        run_scripts(&files, &skip_list(include_str!("spec-jit-skip.txt")), || EngineBackend::new(&engine));
    assert!(outcome.total > 25_000, "the suite should hold over 25k assertions, ran {}", outcome.total);
    outcome.assert_all_passed();
}

#[test]
fn every_wasm_2_0_simd_script_passes_on_the_jit() {
    let files = simd_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    assert!(files.len() >= 57, "expected the 57 SIMD scripts, found {}", files.len());
    let engine = checked_engine("wasm-2.0");
    let outcome = run_scripts(&files, &[], || EngineBackend::new(&engine));
    eprintln!(
        "SIMD scripts on the JIT: {} run, {}/{} assertions passed",
        outcome.files, outcome.passed, outcome.total
    );
    assert!(outcome.total > 25_000, "the SIMD scripts hold over 25k assertions, ran {}", outcome.total);
    outcome.assert_all_passed();
}

#[test]
fn every_wasm_3_0_script_but_the_skipped_passes_on_the_jit() {
    let skip = include_str!("../oracles/tests/spec-3.0-skip.txt");
    let files = scripts_but("wasm-3.0", skip).expect("the 3.0 suite");
    assert!(files.len() >= 220, "expected at least 220 of the 257 scripts, found {}", files.len());
    let engine = checked_engine("wasm-3.0");
    // The scripts whose modules use `call_ref` run without the checker,
    // which refuses them (see the list); every other one with it.
    let unchecked = skip_list(include_str!("spec-3.0-unchecked.txt"));
    let outcome = run_scripts(&files, &unchecked, || EngineBackend::new(&engine));
    let plain = plumb::Engine::default();
    let rest: Vec<_> = files
        .iter()
        .filter(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(|n| unchecked.iter().any(|u| u == n)))
        .cloned()
        .collect();
    assert_eq!(rest.len(), unchecked.len(), "every unchecked script is one the test runs");
    let rest = run_scripts(&rest, &[], || EngineBackend::new(&plain));
    rest.assert_all_passed();
    outcome.assert_all_passed();
    assert_eq!(outcome.files + rest.files, files.len());
    eprintln!(
        "3.0 scripts on the JIT: {} run, {}/{} assertions passed",
        files.len(),
        outcome.passed + rest.passed,
        outcome.total + rest.total
    );
    assert!(outcome.total + rest.total > 60_000, "the 3.0 scripts run hold over 60k assertions");
}
