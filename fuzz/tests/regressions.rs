//! Every reproducer of a fixed fuzzer finding (`fuzz/regressions/*.wast`)
//! passes on the reference interpreter and on the JIT engine. Reproducers
//! of bugs still open live in `fuzz/regressions/open/` and are not run; the
//! oracle that found each tolerates it by name until it is fixed, and the
//! fix moves the file up here.

use std::path::Path;

use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::{InterpBackend, run_script};

fn scripts(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "wast"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn fixed_findings_stay_fixed_on_both_engines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut failures = Vec::new();
    for file in scripts(&dir) {
        let text = std::fs::read_to_string(&file).expect("a regression script is readable");
        let engine = plumb_fuzz::oracles::engine();
        for (backend, report) in [
            ("interpreter", run_script(&text, InterpBackend::new())),
            ("engine", run_script(&text, EngineBackend::new(engine))),
        ] {
            if !report.failures.is_empty() {
                failures.push(format!("{} on the {backend}: {:?}", file.display(), report.failures));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn open_findings_have_reproducers_that_still_fail_on_some_engine() {
    // An open reproducer that passes everywhere means the bug was fixed:
    // move it to fuzz/regressions/ and drop its `known_bug` entry.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions/open");
    for file in scripts(&dir) {
        let text = std::fs::read_to_string(&file).expect("a regression script is readable");
        let interp = run_script(&text, InterpBackend::new());
        let engine = run_script(&text, EngineBackend::new(plumb_fuzz::oracles::engine()));
        assert!(
            !interp.failures.is_empty() || !engine.failures.is_empty(),
            "{} passes on both engines now: the bug is fixed, move it up to fuzz/regressions/",
            file.display()
        );
    }
}

/// Found by `op_specs`' `cranelift-interpreter` opinion on its first run:
/// `rem_s(MIN, -1)` is 0 in WebAssembly and in Plumb's lowering (`srem`),
/// but `cranelift-interpreter` traps there; the oracle's `srem` rewrite
/// (fuzz/src/oracles/clif.rs) must keep the three opinions agreeing.
#[test]
fn rem_s_of_min_by_minus_one_agrees_on_cranelift_interpreter() {
    use plumb_fuzz::oracles::op_specs::{Operator, check};
    for (name, min) in [("i32.rem_s", 0x8000_0000u128), ("i64.rem_s", 0x8000_0000_0000_0000)] {
        let Some(op) = Operator::all().find(|o| o.name() == name) else { panic!("no operator {name}") };
        check(op, &[min, u128::from(u64::MAX)]);
        check(op, &[min, 1]);
        check(op, &[7, u128::from(u64::MAX)]);
    }
}
