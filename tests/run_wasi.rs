//! `plumb run` runs WASI commands: the guest gets its arguments after FILE,
//! `--env` variables and `--dir` directories, and its `proc_exit` code
//! becomes the process's exit code.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Prints its argv buffer, its environ buffer and the first bytes of
/// `in.txt` in its first preopen, then exits with 7.
const COMMAND: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "in.txt")
  ;; Writes $len bytes at $buf to stdout through the iovec at 16.
  (func $print (param $buf i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $buf))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (call $print (i32.const 2048) (i32.load (i32.const 4)))
    (drop (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $environ_get (i32.const 1024) (i32.const 4096)))
    (call $print (i32.const 4096) (i32.load (i32.const 4)))
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 1) (i32.const 32) (i32.const 6) (i32.const 0)
                   (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 8)))
      (then
        (i32.store (i32.const 16) (i32.const 8192))
        (i32.store (i32.const 20) (i32.const 64))
        (drop (call $fd_read (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 24)))
        (call $print (i32.const 8192) (i32.load (i32.const 24)))))
    (call $proc_exit (i32.const 7))))
"#;

/// A scratch folder holding the command and a data directory with `in.txt`.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(dir.join("data")).expect("scratch");
    std::fs::write(dir.join("command.wat"), COMMAND).expect("command");
    std::fs::write(dir.join("data/in.txt"), "from the host").expect("data");
    dir
}

fn plumb(dir: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb")).args(args).current_dir(dir).output().expect("runs")
}

#[test]
fn a_wasi_command_gets_its_args_env_and_dir_and_its_exit_code_is_ours() {
    let dir = scratch("run_wasi_command");
    let out = plumb(&dir, &["run", "--dir", "data::/sandbox", "--env", "A=1", "command.wat", "x", "--y"]);
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert_eq!(out.stdout, b"command.wat\0x\0--y\0A=1\0from the host");
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn without_a_dir_the_command_reaches_no_file() {
    let dir = scratch("run_wasi_no_dir");
    let out = plumb(&dir, &["run", "command.wat"]);
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert_eq!(out.stdout, b"command.wat\0");
}

#[test]
fn a_missing_dir_or_malformed_env_is_an_error_before_running() {
    let dir = scratch("run_wasi_bad_options");
    let out = plumb(&dir, &["run", "--dir", "no-such-dir", "command.wat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-dir"), "{out:?}");
    let out = plumb(&dir, &["run", "--env", "NOEQUALS", "command.wat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not K=V"), "{out:?}");
}
