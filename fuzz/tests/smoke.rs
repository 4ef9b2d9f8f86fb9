//! Every fuzz target's body on its checked-in seeds (`seeds/TARGET/`,
//! which include every crash input found so far) plus a fixed number of
//! inputs from a deterministic generator: the fuzzers' smoke run on stable
//! Rust, inside `cargo test`. A failure prints the target and the input's
//! origin; generated inputs are written to `target/fuzz-smoke-failure` so
//! they can be replayed with `cargo run -p plumb-fuzz --bin TARGET -- FILE`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use plumb_oracles::suite::Rng;

/// `len` deterministic bytes, so a failing input is the same on every run.
fn bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| (rng.next_u64() >> 56) as u8).collect()
}

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `target` on its seeds and on `generated` inputs of up to `max_len`
/// bytes; returns how many inputs ran.
fn smoke(target: &str, generated: usize, max_len: usize) -> usize {
    let mut inputs: Vec<(String, Vec<u8>)> = seeds(target)
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("seed file is readable")))
        .collect();
    let mut rng = Rng(0x5eed_0000 ^ target.len() as u64 ^ (target.as_bytes()[0] as u64) << 8);
    for i in 0..generated {
        let len = (rng.next_u64() as usize) % max_len + 1;
        inputs.push((format!("generated input #{i}"), bytes(&mut rng, len)));
    }
    for (origin, data) in &inputs {
        let outcome = catch_unwind(AssertUnwindSafe(|| plumb_fuzz::run(target, data)));
        match outcome {
            Ok(true) => {}
            Ok(false) => panic!("no fuzz target named {target}"),
            Err(e) => {
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-smoke-failure");
                let _ = std::fs::create_dir_all(&dir);
                let file = dir.join(target);
                let _ = std::fs::write(&file, data);
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{target} failed on {origin} (saved as {}): {why}", file.display());
            }
        }
    }
    inputs.len()
}

#[test]
fn every_target_has_a_seed_folder() {
    for target in plumb_fuzz::TARGETS {
        assert!(!seeds(target).is_empty(), "fuzz/seeds/{target}/ has no seed inputs");
    }
}

#[test]
fn differential_engine_agrees_with_the_interpreter() {
    assert!(smoke("differential", 6000, 8192) >= 6000);
}

#[test]
fn validate_accepts_exactly_what_wasmparser_accepts() {
    assert!(smoke("validate", 200_000, 512) >= 200_000);
}

#[test]
fn instantiate_with_host_imports_traps_cleanly() {
    assert!(smoke("instantiate", 4000, 8192) >= 4000);
}

#[test]
fn api_call_sequences_never_crash() {
    assert!(smoke("api_calls", 10_000, 2048) >= 10_000);
}

#[test]
fn op_specs_evaluator_agrees_with_the_interpreter() {
    assert!(smoke("op_specs", 500_000, 40) >= 500_000);
}

#[test]
fn rules_lowering_preserves_values() {
    assert!(smoke("rules", 15_000, 256) >= 15_000);
}
