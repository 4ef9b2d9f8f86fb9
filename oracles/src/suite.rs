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
/// sorted by name, leaving out SIMD ones (`simd_*`, see [`simd_scripts`]),
/// which the JIT engine does not implement yet.
pub fn spec_scripts(version: &str) -> std::io::Result<Vec<PathBuf>> {
    scripts(version, |name| !name.starts_with("simd_"))
}

/// The SIMD scripts (`simd_*.wast`) of a suite version, sorted by name.
pub fn simd_scripts(version: &str) -> std::io::Result<Vec<PathBuf>> {
    scripts(version, |name| name.starts_with("simd_"))
}

/// Every `.wast` script of a suite version (SIMD ones included) but those
/// named in the checked-in list `skip` (the format of [`skip_list`]),
/// sorted; fails naming any listed file that is not in the suite.
pub fn scripts_but(version: &str, skip: &str) -> std::io::Result<Vec<PathBuf>> {
    let names = skip_list(skip);
    let all = scripts(version, |_| true)?;
    let found: Vec<_> = all.iter().filter_map(|f| f.file_name()?.to_str()).collect();
    let missing: Vec<_> = names.iter().filter(|n| !found.contains(&n.as_str())).collect();
    if !missing.is_empty() {
        return Err(std::io::Error::other(format!("skipped scripts not in {version}: {missing:?}")));
    }
    let keep =
        |f: &PathBuf| f.file_name().and_then(|n| n.to_str()).is_some_and(|n| !names.iter().any(|s| s == n));
    Ok(all.into_iter().filter(keep).collect())
}

/// The `.wast` scripts of a suite version whose file names `keep` accepts, sorted.
fn scripts(version: &str, keep: impl Fn(&str) -> bool) -> std::io::Result<Vec<PathBuf>> {
    let dir = shared_dir().join("spec-testsuite").join(version);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".wast") && keep(name) {
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

impl SuiteOutcome {
    /// Panics, listing the failing scripts, unless every assertion held.
    pub fn assert_all_passed(&self) {
        assert!(
            self.failing.is_empty(),
            "{}/{} passed; failing files:\n{}",
            self.passed,
            self.total,
            self.failing.join("\n")
        );
    }
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

/// A small deterministic generator (xorshift64*), so that tests built on
/// generated inputs reproduce.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Damaged copies of a valid module: truncations (at 0, 4, 8 bytes, the
/// middle, one short, and a random point) and six single-bit flips.
pub fn damaged_variants(bytes: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if bytes.is_empty() {
        return out;
    }
    for cut in [0, 4, 8, bytes.len() / 2, bytes.len() - 1, rng.below(bytes.len())] {
        out.push(bytes[..cut.min(bytes.len())].to_vec());
    }
    for _ in 0..6 {
        let mut flipped = bytes.to_vec();
        let at = rng.below(flipped.len());
        flipped[at] ^= 1 << rng.below(8);
        out.push(flipped);
    }
    out
}
