//! Conformance: every script of the WebAssembly 2.0 spec test suite passes
//! on the reference interpreter, validating with exactly the 2.0 features,
//! except the files in `spec-skip.txt` and `spec-simd-skip.txt` (each with
//! its reason), and so does every WebAssembly 3.0 script but those of
//! `spec-3.0-skip.txt` (each with the GC feature it needs), validating with
//! every feature implemented.

use std::path::PathBuf;

use plumb_oracles::interp::features;
use plumb_oracles::suite::{SuiteOutcome, run_scripts, scripts_but, simd_scripts, skip_list, spec_scripts};
use plumb_oracles::wast::InterpBackend;
use wasmparser::WasmFeatures;

/// Runs `files` but those in the skip list `skip` on the interpreter,
/// validating with `features`; every assertion must hold.
fn run_all(files: &[PathBuf], skip: &str, features: WasmFeatures) -> SuiteOutcome {
    let outcome = run_scripts(files, &skip_list(skip), || InterpBackend::with_features(features));
    outcome.assert_all_passed();
    outcome
}

#[test]
fn every_wasm_2_0_script_passes_on_the_interpreter() {
    let files = spec_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    assert!(files.len() >= 90, "expected the 90 non-SIMD scripts, found {}", files.len());
    let outcome = run_all(&files, include_str!("spec-skip.txt"), WasmFeatures::WASM2);
    assert!(outcome.total > 25_000, "the suite should hold over 25k assertions, ran {}", outcome.total);
}

#[test]
fn every_wasm_2_0_simd_script_passes_on_the_interpreter() {
    let files = simd_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    assert!(files.len() >= 57, "expected the 57 SIMD scripts, found {}", files.len());
    let outcome = run_all(&files, include_str!("spec-simd-skip.txt"), WasmFeatures::WASM2);
    eprintln!("SIMD scripts: {} run, {}/{} assertions passed", outcome.files, outcome.passed, outcome.total);
    assert!(outcome.total > 25_000, "the SIMD scripts hold over 25k assertions, ran {}", outcome.total);
}

#[test]
fn every_wasm_3_0_script_but_the_skipped_passes_on_the_interpreter() {
    let files = scripts_but("wasm-3.0", include_str!("spec-3.0-skip.txt")).expect("the 3.0 suite");
    assert!(files.len() >= 220, "expected at least 220 of the 257 scripts, found {}", files.len());
    let outcome = run_all(&files, "", features());
    eprintln!("3.0 scripts: {} run, {}/{} assertions passed", outcome.files, outcome.passed, outcome.total);
    assert!(outcome.total > 60_000, "the 3.0 scripts run hold over 60k assertions, ran {}", outcome.total);
}
