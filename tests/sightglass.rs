//! The Sightglass benchmark programs (`../shared/bench/sightglass`) run
//! under `plumb run` as WASI commands, each with its own directory
//! preopened as `.`, and print exactly their `*.stdout.expected` and
//! `*.stderr.expected`. The quick ones run with every `cargo test`; all of
//! them with `cargo test -p plumb-cli --test sightglass -- --ignored --nocapture`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use plumb_oracles::suite::shared_dir;

/// Programs left out, with the reason.
const SKIPPED: &[(&str, &str)] = &[];

/// Programs that take more than ~2 s each in the dev profile: only the
/// ignored test runs them.
const SLOW: &[&str] = &[
    "pulldown-cmark/benchmark.wasm",
    "shootout/shootout-ed25519.wasm",
    "shootout/shootout-fib2.wasm",
    "shootout/shootout-heapsort.wasm",
    "shootout/shootout-seqhash.wasm",
];

/// Every program, as its path relative to the Sightglass folder, sorted.
fn programs() -> Vec<String> {
    let root = shared_dir().join("bench/sightglass");
    let mut found = Vec::new();
    let dirs = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    for dir in dirs.flatten().filter(|d| d.path().is_dir()) {
        for file in std::fs::read_dir(dir.path()).expect("readable").flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "wasm") {
                let relative = path.strip_prefix(&root).expect("beneath root");
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found.retain(|p| !SKIPPED.iter().any(|(s, _)| s == p));
    found
}

/// Runs one program and returns what differs from its expectations.
fn check(program: &str) -> Result<(), String> {
    let wasm = shared_dir().join("bench/sightglass").join(program);
    let dir = wasm.parent().expect("in a folder");
    let stem = wasm.file_stem().expect("a name").to_string_lossy();
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["run", "--dir", "."])
        .arg(&wasm)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot start plumb: {e}"))?;
    let mut problems = Vec::new();
    if !out.status.success() {
        problems.push(format!("exit status {}", out.status));
    }
    for (stream, actual) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let expected_path: PathBuf = dir.join(format!("{stem}.{stream}.expected"));
        // A program without expectations (richards) is only required to succeed.
        if let Ok(expected) = std::fs::read(&expected_path)
            && &expected != actual
        {
            problems.push(format!(
                "{stream} differs: expected {:?}, got {:?}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(actual)
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

fn check_all(programs: &[String]) {
    let mut failures = Vec::new();
    for program in programs {
        let started = Instant::now();
        let outcome = check(program);
        let seconds = started.elapsed().as_secs_f64();
        println!("{:<6} {program} ({seconds:.2} s)", if outcome.is_ok() { "ok" } else { "FAIL" });
        if let Err(problem) = outcome {
            failures.push(format!("{program}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n{}",
        failures.len(),
        programs.len(),
        failures.join("\n")
    );
}

#[test]
fn quick_sightglass_programs_print_exactly_their_expected_output() {
    let quick: Vec<String> = programs().into_iter().filter(|p| !SLOW.contains(&p.as_str())).collect();
    assert!(quick.len() >= 15, "the Sightglass programs are missing: {quick:?}");
    check_all(&quick);
}

#[test]
#[ignore = "about a minute in the dev profile; run with --ignored"]
fn every_sightglass_program_prints_exactly_its_expected_output() {
    check_all(&programs());
}

#[test]
fn the_slow_and_skipped_lists_name_real_programs() {
    let all = programs();
    for slow in SLOW {
        assert!(all.iter().any(|p| p == slow), "{slow} is not a Sightglass program");
    }
    for (skipped, _) in SKIPPED {
        assert!(Path::new(&*shared_dir()).join("bench/sightglass").join(skipped).exists(), "{skipped}");
    }
}

/// Zero false positives of the machine-code checker on real programs:
/// every function of every Sightglass program (the slow ones included:
/// this only compiles them) is accepted by `plumb::check`.
#[test]
fn every_function_of_every_sightglass_program_passes_the_machine_code_check() {
    let engine = plumb::Engine::default();
    let mut refused = Vec::new();
    let mut functions = 0;
    for program in programs() {
        let bytes = std::fs::read(shared_dir().join("bench/sightglass").join(&program)).expect("readable");
        let verdicts =
            plumb::check::check_module(&engine, &bytes).unwrap_or_else(|e| panic!("{program}: {e}"));
        functions += verdicts.len();
        refused
            .extend(verdicts.into_iter().filter_map(|v| v.verdict.err().map(|e| format!("{program}: {e}"))));
    }
    assert!(functions > 1000, "expected the programs' functions, checked {functions}");
    assert!(refused.is_empty(), "{} refused:\n{}", refused.len(), refused.join("\n"));
}
