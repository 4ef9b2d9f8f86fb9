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
