//! The `plumb` command line as a user runs it: outputs and exit codes.

mod common;

use std::process::Command;

use common::{plumb, stdout};

#[test]
fn run_prints_the_results_of_the_invoked_export() {
    let out = plumb(&["run", "examples/fib.wat", "--invoke", "fib", "50"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "12586269025\n");
    let out = plumb(&["run", "examples/fib.wat", "--invoke", "div", "-7", "2"]);
    assert_eq!(stdout(&out), "-3\n");
}

#[test]
fn run_parses_and_prints_v128_arguments_and_results() {
    let dir = std::env::temp_dir().join(format!("plumb-cli-v128-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let module = dir.join("v128.wat");
    std::fs::write(
        &module,
        r#"(module (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
                   (func (export "fmax") (param v128) (result f32)
                     (f32x4.extract_lane 2 (f32x4.max (local.get 0) (f32x4.splat (f32.const 0))))))"#,
    )
    .expect("written");
    let path = module.to_str().expect("utf-8");
    // Lanes, lane 0 first; a negative lane is its two's complement.
    let out = plumb(&["run", path, "--invoke", "add", "i32x4:1,2,3,-1", "i32x4:0x10,0x20,0x30,1"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "0x00000000000000330000002200000011\n");
    // A 128-bit integer, hex or decimal.
    let out = plumb(&["run", path, "--invoke", "add", "0xffffffff", "1"]);
    assert_eq!(stdout(&out), "0x00000000000000000000000000000000\n");
    let out = plumb(&["run", path, "--invoke", "fmax", "f32x4:-1,2,-3.5,4"]);
    assert_eq!(stdout(&out), "0\n");
    let out = plumb(&["run", path, "--invoke", "add", "i32x4:1,2,3", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("i32x4 has 4 lanes, 3 given"), "{out:?}");
    let out = plumb(&["run", path, "--invoke", "add", "i8x16:256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0", "0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not fit in a 8-bit lane"), "{out:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_exits_with_1_and_the_trap_message_on_a_trap() {
    let out = plumb(&["run", "examples/fib.wat", "--invoke", "div", "1", "0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("integer divide by zero"), "{out:?}");
    // The backtrace: function 1, unnamed (fib.wat gives it no `$name`).
    assert!(err.contains("wasm backtrace:\n  0: func 1 at 0x61\n"), "{err}");
}

#[test]
fn run_reports_wrong_arguments_and_missing_exports_clearly() {
    let out = plumb(&["run", "examples/fib.wat", "--invoke", "fib"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takes 1 arguments, 0 given"), "{out:?}");
    let out = plumb(&["run", "examples/fib.wat", "--invoke", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no function `nope`"), "{out:?}");
    let out = plumb(&["run", "examples/fib.wat", "--invoke", "fib", "x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("`x` is not an integer"), "{out:?}");
}

#[test]
fn wast_prints_a_line_per_file_and_one_summary_line() {
    for engine in ["interp", "jit"] {
        let out = plumb(&[
            "wast",
            "--engine",
            engine,
            "../shared/spec-testsuite/wasm-2.0/fac.wast",
            "../shared/spec-testsuite/wasm-2.0/i32.wast",
        ]);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("ok   ") && lines[0].contains("fac.wast"), "{text}");
        assert_eq!(lines[2], "wast: 468/468 assertions passed in 2 files");
    }
}

#[test]
fn wast_validates_with_the_features_of_the_spec_version_asked_for() {
    // 2.0's memory.wast expects a second memory to be invalid; 3.0 allows it.
    let script = "../shared/spec-testsuite/wasm-2.0/memory.wast";
    for engine in ["interp", "jit"] {
        let out = plumb(&["wast", "--engine", engine, "--spec", "2.0", script]);
        assert!(out.status.success(), "{out:?}");
        let out = plumb(&["wast", "--engine", engine, script]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let text = stdout(&out);
        assert!(text.contains("10:2: module was accepted, expected it to be rejected"), "{text}");
    }
}

#[test]
fn wast_exits_non_zero_when_an_assertion_fails() {
    let dir = std::env::temp_dir().join(format!("plumb-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("wrong.wast");
    std::fs::write(&script, "(module (func (export \"f\") (result i32) i32.const 1))\n(assert_return (invoke \"f\") (i32.const 2))\n")
        .expect("write");
    let out = plumb(&["wast", "--engine", "jit", script.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("FAIL ") && text.contains("2:2: result 0: got i32:1, expected i32:2"), "{text}");
    assert!(text.ends_with("wast: 1/2 assertions passed in 1 files\n"), "{text}");
}

#[test]
fn explain_shows_rules_and_clif_per_function() {
    let out = plumb(&["explain", "examples/fib.wat", "--func", "1"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.starts_with("function 1\n  pure operators: i32.div_s\n"), "{text}");
    assert!(text.contains("lower_div_s.i32 x1  (lower/int.isle, on i32.div_s)"), "{text}");
    assert!(text.contains("sdiv v2, v3"), "{text}");
}

/// Every command ends quietly (status 0, nothing on standard error) when
/// its standard output is a pipe nobody reads, as `plumb wast ... | head -1`
/// leaves it; none panics with "failed printing to stdout".
#[test]
fn every_command_ends_quietly_on_a_closed_pipe() {
    let commands: [&[&str]; 4] = [
        &["wast", "--engine", "jit", "../shared/spec-testsuite/wasm-2.0/fac.wast"],
        &["run", "examples/fib.wat", "--invoke", "fib", "10"],
        &["explain", "examples/fib.wat"],
        &["verify", "--rule", "iadd_zero"],
    ];
    for args in commands {
        // The read end is closed before the command starts: its first
        // write fails with EPIPE, whatever the timing.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(writer)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "plumb {args:?}: {:?}, stderr: {stderr}", out.status);
        assert!(stderr.is_empty(), "plumb {args:?} wrote to stderr: {stderr}");
    }
}

#[test]
fn a_module_compiled_ahead_of_time_runs_from_its_cwasm_file() {
    let out_file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fib.cwasm");
    let out_path = out_file.to_str().expect("utf-8");
    let out = plumb(&["compile", "examples/fib.wat", "-o", out_path]);
    assert!(out.status.success(), "{out:?}");
    let out = plumb(&["run", out_path, "--invoke", "fib", "50"]);
    assert_eq!(stdout(&out), "12586269025\n", "{out:?}");
    // Run with fuel, it needs fuel checks compiled in, and says so.
    let out = plumb(&["run", "--fuel", "1000", out_path, "--invoke", "fib", "50"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--consume-fuel") && err.contains("fuel off"), "{err}");
    let out = plumb(&["compile", "--consume-fuel", "examples/fib.wat", "-o", out_path]);
    assert!(out.status.success(), "{out:?}");
    let out = plumb(&["run", "--fuel", "100", out_path, "--invoke", "fib", "50"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("all fuel consumed"), "{out:?}");
}

#[test]
fn check_prints_a_verdict_per_function_and_exits_0_when_all_stay_in_the_sandbox() {
    let out = plumb(&["check", "examples/fib.wat"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let [funcs @ .., time, summary] = lines.as_slice() else { panic!("too few lines: {text}") };
    assert!(!funcs.is_empty() && funcs.iter().all(|l| l.starts_with("ok   func ")), "{text}");
    assert!(time.starts_with("checked in ") && time.contains("% of the "), "{text}");
    assert_eq!(*summary, format!("{n} of {n} functions in the sandbox", n = funcs.len()), "{text}");
}

#[test]
fn check_exits_2_on_a_module_that_does_not_compile() {
    let out = plumb(&["check", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn run_with_perfmap_names_the_jit_code_for_perf() {
    let child = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["run", "--perfmap", "examples/fib.wat", "--invoke", "fib", "10"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let map = format!("/tmp/perf-{}.map", child.id());
    let out = child.wait_with_output().expect("exits");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&map).expect("the perf map is written");
    let _ = std::fs::remove_file(&map);
    // fib.wat's functions have no names: they are named by index.
    assert!(text.lines().any(|l| l.ends_with(" wasm[0]") && l.split(' ').count() == 3), "{text}");
}
