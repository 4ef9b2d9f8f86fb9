//! Conformance: every non-SIMD script of the WebAssembly 2.0 spec test suite
//! passes on the reference interpreter, except the files in
//! `spec-skip.txt` (each with its reason).

use plumb_oracles::suite::spec_scripts;
use plumb_oracles::wast::{InterpBackend, run_file};

fn skip_list() -> Vec<String> {
    include_str!("spec-skip.txt")
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn every_wasm_2_0_script_passes_on_the_interpreter() {
    let files = spec_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    assert!(files.len() >= 90, "expected the 90 non-SIMD scripts, found {}", files.len());
    let skip = skip_list();
    let (mut passed, mut total, mut failed_files) = (0, 0, Vec::new());
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if skip.contains(&name) {
            continue;
        }
        let report = run_file(path, InterpBackend::new());
        passed += report.passed;
        total += report.total();
        if !report.failures.is_empty() {
            let first: Vec<String> = report.failures.iter().take(3).map(|f| f.to_string()).collect();
            failed_files.push(format!("{name}: {}/{}: {}", report.passed, report.total(), first.join("; ")));
        }
    }
    assert!(total > 25_000, "the suite should hold over 25k assertions, ran {total}");
    assert!(failed_files.is_empty(), "{passed}/{total} passed; failing files:\n{}", failed_files.join("\n"));
}
