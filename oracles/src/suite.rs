//! Where the shared test material lives: the official spec test scripts
//! beside every checkout, at `../shared/spec-testsuite`, or wherever the
//! `PLUMB_SHARED` environment variable points.

use std::path::PathBuf;

/// The `shared/` folder beside the workspace.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("PLUMB_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// The `.wast` scripts of a suite version (`"wasm-2.0"`, `"wasm-3.0"`),
/// sorted by name, leaving out SIMD ones (`simd_*`), which Plumb does not
/// implement yet.
pub fn spec_scripts(version: &str) -> std::io::Result<Vec<PathBuf>> {
    let dir = shared_dir().join("spec-testsuite").join(version);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".wast") && !name.starts_with("simd_") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The file names of a checked-in skip list: one per line, `#` starts the
/// reason (every entry must have one).
pub fn skip_list(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// What running a suite gave.
#[derive(Debug, Default)]
pub struct SuiteOutcome {
    /// Scripts run (not skipped).
    pub files: usize,
    /// Assertions that held.
    pub passed: usize,
    /// Assertions run.
    pub total: usize,
    /// One line per failing script: name, counts, first failures.
    pub failing: Vec<String>,
}

/// Runs every script of `files` not named in `skip`, each on a fresh
/// backend from `backend`.
pub fn run_scripts<B: crate::wast::Backend>(
    files: &[PathBuf],
    skip: &[String],
    mut backend: impl FnMut() -> B,
) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if skip.contains(&name) {
            continue;
        }
        let report = crate::wast::run_file(path, backend());
        outcome.files += 1;
        outcome.passed += report.passed;
        outcome.total += report.total();
        if !report.failures.is_empty() {
            let first: Vec<String> = report.failures.iter().take(3).map(|f| f.to_string()).collect();
            outcome.failing.push(format!(
                "{name}: {}/{}: {}",
                report.passed,
                report.total(),
                first.join("; ")
            ));
        }
    }
    outcome
}
