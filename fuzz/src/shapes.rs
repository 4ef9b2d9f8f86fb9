//! Pathological module shapes: valid modules that are small in bytes but
//! extreme in one dimension (term depth, nesting, table size, counts of
//! locals, functions and types, chains of trapping operators). Each is a
//! function of a size `n`. The hardening guard test (`tests/shapes.rs`)
//! builds each at n and 2n and checks that the compiler's work grows about
//! linearly; the module generator ([`crate::generators::module`]) emits one
//! now and then, so the `differential` and `instantiate` fuzzers run them
//! against the interpreter.
//!
//! Every shape is a module without imports that exports `f`, of type
//! `[i32 i32] -> [i32]`, with one page of memory holding the `i32` 1 at
//! address 0. Nothing loops, so every call ends.

use arbitrary::{Result, Unstructured};

/// A shape: its name and the module text at size `n` (`n >= 1`).
#[derive(Clone, Copy)]
pub struct Shape {
    /// What is extreme about it.
    pub name: &'static str,
    /// The module at size `n`.
    pub build: fn(usize) -> String,
}

/// The module around `f`'s body, with the locals `locals` declared.
fn with_locals(locals: &str, body: &str) -> String {
    format!(
        r#"(module (memory 1) (data (i32.const 0) "\01")
             (func (export "f") (param i32 i32) (result i32) {locals} {body}))"#
    )
}

fn function(body: &str) -> String {
    with_locals("", body)
}

/// `local.get 0`, then `n` times `step`.
fn chain(n: usize, step: &str) -> String {
    function(&format!("local.get 0 {}", format!("{step} ").repeat(n)))
}

/// Every shape.
pub const SHAPES: &[Shape] = &[
    Shape { name: "deep add chain", build: |n| chain(n, "local.get 1 i32.add") },
    Shape {
        name: "wide term",
        build: |n| function(&format!("{} {}", "local.get 0 ".repeat(n + 1), "i32.xor ".repeat(n))),
    },
    Shape { name: "load chain", build: |n| chain(n, "i32.const 0xfffc i32.and i32.load") },
    Shape { name: "i32.div_s chain", build: |n| chain(n, "local.get 1 i32.div_s") },
    Shape { name: "i32.div_u chain", build: |n| chain(n, "local.get 1 i32.div_u") },
    Shape { name: "i32.rem_s chain", build: |n| chain(n, "local.get 1 i32.rem_s") },
    Shape { name: "i32.rem_u chain", build: |n| chain(n, "local.get 1 i32.rem_u") },
    Shape { name: "i64.div_s chain", build: |n| i64_chain(n, "local.get 1 i64.extend_i32_s i64.div_s") },
    Shape { name: "i64.rem_u chain", build: |n| i64_chain(n, "local.get 1 i64.extend_i32_u i64.rem_u") },
    Shape {
        name: "division and addition interleaved",
        build: |n| chain(n, "local.get 1 i32.div_s local.get 0 i32.add"),
    },
    Shape {
        name: "i32.trunc_f32_s chain",
        build: |n| {
            float_chain(n, "f32.reinterpret_i32", "i32.trunc_f32_s f32.convert_i32_s", "i32.trunc_f32_s")
        },
    },
    Shape {
        name: "i32.trunc_f64_u chain",
        build: |n| {
            float_chain(
                n,
                "i64.extend_i32_u i64.const 32 i64.shl f64.reinterpret_i64",
                "i32.trunc_f64_u f64.convert_i32_u",
                "i32.trunc_f64_u",
            )
        },
    },
    Shape {
        name: "i64.trunc_f64_s chain",
        build: |n| {
            float_chain(
                n,
                "f64.convert_i32_s local.get 1 f64.convert_i32_s f64.mul",
                "i64.trunc_f64_s f64.convert_i64_s f64.const 1.5 f64.mul",
                "i64.trunc_f64_s i32.wrap_i64",
            )
        },
    },
    Shape {
        name: "deep blocks",
        build: |n| function(&format!("{} local.get 0 {}", "block (result i32) ".repeat(n), "end ".repeat(n))),
    },
    Shape {
        name: "deep ifs",
        build: |n| {
            let opens = "local.get 1 if (result i32) ".repeat(n);
            let closes = "else local.get 1 end ".repeat(n);
            function(&format!("{opens} local.get 0 {closes}"))
        },
    },
    Shape {
        name: "huge br_table",
        build: |n| {
            let targets: String = (0..=n).map(|i| format!("{} ", i % 2)).collect();
            function(&format!(
                "block block local.get 0 br_table {targets} end i32.const 2 return end i32.const 1"
            ))
        },
    },
    Shape {
        name: "many locals",
        build: |n| {
            let sets: String = (0..n)
                .map(|i| format!("local.get {} i32.const {i} i32.add local.set {} ", i + 1, i + 2))
                .collect();
            with_locals(&format!("(local {})", "i32 ".repeat(n)), &format!("{sets} local.get {}", n + 1))
        },
    },
    Shape {
        name: "many calls",
        build: |n| {
            format!(
                r#"(module (memory 1)
                     (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
                     (func (export "f") (param i32 i32) (result i32) local.get 0 {}))"#,
                "call $g ".repeat(n)
            )
        },
    },
    Shape {
        name: "many functions",
        build: |n| {
            let funcs: String = (0..n).map(|i| format!("(func (result i32) i32.const {i})")).collect();
            format!(
                r#"(module (memory 1) {funcs}
                     (func (export "f") (param i32 i32) (result i32) call 0 call {} i32.add))"#,
                n - 1
            )
        },
    },
    Shape {
        name: "many types",
        build: |n| {
            let types: String = (0..n)
                .map(|i| {
                    format!("(type (func (param {})))", "i32 ".repeat(i % 7 + 1) + &"i64 ".repeat(i % 5))
                })
                .collect();
            format!(
                r#"(module {types} (memory 1) (func (export "f") (param i32 i32) (result i32) local.get 0))"#
            )
        },
    },
];

/// `local.get 0` as an `i64`, `n` times `step`, wrapped back to `i32`.
fn i64_chain(n: usize, step: &str) -> String {
    function(&format!("local.get 0 i64.extend_i32_s {} i32.wrap_i64", format!("{step} ").repeat(n)))
}

/// `local.get 0` made a float by `into`, `n` times `step` (a truncation
/// that traps on NaN or out of range, and a conversion back), then `out`.
fn float_chain(n: usize, into: &str, step: &str, out: &str) -> String {
    function(&format!("local.get 0 {into} {} {out}", format!("{step} ").repeat(n)))
}

/// The largest size the module generator asks for: a fuzzer's input
/// should compile in well under a second.
pub const MAX_FUZZ_SIZE: usize = 1024;

/// One shape at a size drawn from `u`, in binary form.
pub fn module(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let shape = u.choose(SHAPES)?;
    let n = u.int_in_range(1..=MAX_FUZZ_SIZE)?;
    wat::parse_str((shape.build)(n)).map_err(|_| arbitrary::Error::IncorrectFormat)
}
