//! Deterministic compilation: the same module and `Config` always give
//! byte-identical machine code, however loaded the machine. The mid-end's
//! bounds are counts, never the clock, so a fuzz finding or a bug report
//! reproduces anywhere.
//!
//! Each Sightglass program is compiled on a quiet machine and again while
//! busy threads load every core, and the two precompiled forms
//! (`Module::serialize`: code, trap sites, function spans) must match byte
//! for byte.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use plumb::{Engine, Module};

/// Threads that spin until `stop` is set, loading `n` cores.
fn load_cores(n: usize, stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<u64>> {
    (0..n)
        .map(|_| {
            let stop = Arc::clone(stop);
            std::thread::spawn(move || {
                let mut spins = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
                spins
            })
        })
        .collect()
}

fn programs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/sightglass");
    let mut programs = Vec::new();
    for dir in std::fs::read_dir(&root).expect("the Sightglass programs beside the checkout").flatten() {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let path = file.path();
            // SIMD programs are refused at validation until SIMD lands.
            if path.extension().is_some_and(|e| e == "wasm") && !path.to_string_lossy().contains("simd") {
                programs.push(path);
            }
        }
    }
    programs.sort();
    programs
}

#[test]
fn sightglass_programs_compile_to_the_same_bytes_on_a_loaded_machine() {
    let engine = Engine::default();
    let programs = programs();
    assert!(programs.len() >= 20, "found only {} Sightglass programs", programs.len());
    let quiet: Vec<Vec<u8>> = programs
        .iter()
        .map(|path| {
            let wasm = std::fs::read(path).expect("readable");
            Module::from_binary(&engine, &wasm).expect("compiles").serialize().expect("serializes")
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let busy = load_cores(2 * cores, &stop);
    for (path, quiet) in programs.iter().zip(&quiet) {
        let wasm = std::fs::read(path).expect("readable");
        let loaded = Module::from_binary(&engine, &wasm).expect("compiles").serialize().expect("serializes");
        assert!(loaded == *quiet, "{} compiled to different bytes under load", path.display());
    }
    stop.store(true, Ordering::Relaxed);
    for thread in busy {
        thread.join().expect("busy thread");
    }
}
