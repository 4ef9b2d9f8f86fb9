//! `plumb run`'s limits as a user meets them: each stops a hostile guest
//! (examples/hostile.wat) with exit status 1 and a message naming the
//! limit.

mod common;

use std::time::{Duration, Instant};

use common::{plumb, stderr};

#[test]
fn an_infinite_loop_is_stopped_by_timeout_in_under_two_seconds() {
    let started = Instant::now();
    let out = plumb(&["run", "--timeout", "1s", "examples/hostile.wat", "--invoke", "spin"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("interrupt (the --timeout of 1s passed)"), "{out:?}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn an_infinite_loop_is_stopped_by_fuel() {
    let out = plumb(&["run", "--fuel", "100000", "examples/hostile.wat", "--invoke", "spin"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("all fuel consumed (the --fuel of 100000 ran out)"), "{out:?}");
}

#[test]
fn a_memory_bomb_is_refused_by_max_memory() {
    let out = plumb(&["run", "--max-memory", "16MiB", "examples/hostile.wat", "--invoke", "bomb"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stderr(&out);
    assert!(
        text.contains("a memory growth to 16842752 bytes was refused: --max-memory is 16777216 bytes"),
        "{text}"
    );
    // A module whose memory is declared larger than the limit is refused.
    let big = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("big-memory.wat");
    std::fs::write(&big, "(module (memory 300) (func (export \"f\")))").expect("written");
    let out = plumb(&["run", "--max-memory", "16MiB", big.to_str().expect("utf-8"), "--invoke", "f"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("--max-memory is 16777216 bytes"), "{out:?}");
}

#[test]
fn deep_recursion_is_stopped_by_max_wasm_stack() {
    let out =
        plumb(&["run", "--max-wasm-stack", "64KiB", "examples/hostile.wat", "--invoke", "recurse", "0"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("call stack exhausted (--max-wasm-stack is 65536 bytes)"), "{out:?}");
}

#[test]
fn bad_limit_values_are_refused_with_the_reason() {
    let out = plumb(&["run", "--timeout", "soon", "examples/hostile.wat", "--invoke", "spin"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("not a duration"), "{out:?}");
    let out = plumb(&["run", "--max-memory", "lots", "examples/hostile.wat", "--invoke", "spin"]);
    assert!(stderr(&out).contains("not a size"), "{out:?}");
}
