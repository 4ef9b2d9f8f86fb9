//! Conformance: every script of the WebAssembly 2.0 spec test suite passes
//! on the reference interpreter, validating with exactly the 2.0 features,
//! except the files in `spec-skip.txt` and `spec-simd-skip.txt` (each with
//! its reason), and so does every WebAssembly 3.0 script of
//! `spec-3.0-passing.txt` (the features Plumb implements), validating with
//! all of them.

use std::path::PathBuf;

use plumb_oracles::interp::features;
use plumb_oracles::suite::{
    SuiteOutcome, listed_scripts, run_scripts, simd_scripts, skip_list, spec_scripts,
};
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
fn the_wasm_3_0_scripts_of_implemented_features_pass_on_the_interpreter() {
    let files = listed_scripts("wasm-3.0", include_str!("spec-3.0-passing.txt")).expect("the listed scripts");
    let outcome = run_all(&files, "", features());
    assert!(
        outcome.total > 0 && outcome.files == files.len(),
        "ran {} of {} files",
        outcome.files,
        files.len()
    );
}
