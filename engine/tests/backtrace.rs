//! Backtraces: a trap of guest code carries its Wasm call stack, innermost
//! first, with function indices, names from the name section and the
//! module offsets of the trapping instruction and of each call.

use plumb::{Engine, Linker, Module, Store, Trap};

const NAMED: &str = r#"(module
  (func $outer (export "run") (param i32) (result i32)
    (call $middle (local.get 0)))
  (func $middle (param i32) (result i32)
    (i32.add (call $inner (local.get 0)) (i32.const 1)))
  (func $inner (param i32) (result i32)
    (i32.div_u (i32.const 100) (local.get 0))))"#;

fn trap_of(module: &Module, engine: &Engine, arg: i32) -> Trap {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module).expect("instantiates");
    let run = instance.get_typed_func::<i32, i32>(&store, "run").expect("run");
    match run.call(&mut store, arg) {
        Err(plumb::Error::Trap(trap)) => trap,
        other => panic!("expected a trap, got {other:?}"),
    }
}

/// The module offset of the first operator named `name` (as wasmparser's
/// `Debug` spells it, e.g. `Call`) in the code of function `func` (0-based
/// among the defined ones).
fn offset_of(bytes: &[u8], func: usize, name: &str) -> usize {
    let mut bodies = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
            bodies.push(body);
        }
    }
    let mut ops = bodies[func].get_operators_reader().expect("body");
    while !ops.eof() {
        let offset = ops.original_position();
        let op = format!("{:?}", ops.read().expect("operator"));
        if op.split([' ', '{']).next() == Some(name) {
            return offset as usize;
        }
    }
    panic!("no {name} in function {func}")
}

#[test]
fn a_trap_carries_its_call_stack_with_names_and_offsets() {
    let engine = Engine::default();
    let bytes = wat::parse_str(NAMED).expect("valid text");
    let module = Module::from_binary(&engine, &bytes).expect("compiles");
    let trap = trap_of(&module, &engine, 0);
    assert!(trap.to_string().contains("integer divide by zero"), "{trap}");
    let frames: Vec<(u32, Option<&str>, Option<usize>)> =
        trap.trace().iter().map(|f| (f.func_index, f.func_name.as_deref(), f.module_offset)).collect();
    assert_eq!(
        frames,
        vec![
            (2, Some("inner"), Some(offset_of(&bytes, 2, "I32DivU"))),
            (1, Some("middle"), Some(offset_of(&bytes, 1, "Call"))),
            (0, Some("outer"), Some(offset_of(&bytes, 0, "Call"))),
        ],
        "{}",
        trap.trace_text()
    );
    assert!(trap.trace_text().starts_with("  0: func 2 (inner) at 0x"), "{}", trap.trace_text());
    // A precompiled module keeps them.
    // SAFETY: the bytes were just written by `Module::serialize`.
    let loaded =
        unsafe { Module::deserialize(&engine, module.serialize().expect("serializes")) }.expect("loads");
    assert_eq!(trap_of(&loaded, &engine, 0).trace(), trap.trace());
}

#[test]
fn without_a_name_section_frames_have_indices_and_offsets() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "run") (param i32) (result i32) (call 1 (local.get 0)))
                   (func (param i32) (result i32) unreachable))"#,
    )
    .expect("compiles");
    let trap = trap_of(&module, &engine, 0);
    let frames: Vec<(u32, bool, bool)> = trap
        .trace()
        .iter()
        .map(|f| (f.func_index, f.func_name.is_none(), f.module_offset.is_some()))
        .collect();
    assert_eq!(frames, vec![(1, true, true), (0, true, true)], "{}", trap.trace_text());
}

#[test]
fn a_host_function_s_error_carries_the_wasm_frames_that_called_it() {
    let engine = Engine::default();
    let bytes = wat::parse_str(
        r#"(module
             (import "host" "fail" (func $fail))
             (func $outer (export "run") (param i32) (result i32) (call $inner) (local.get 0))
             (func $inner (call $fail)))"#,
    )
    .expect("valid text");
    let module = Module::from_binary(&engine, &bytes).expect("compiles");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "fail", |_: plumb::Caller<'_, ()>| -> Result<(), Trap> {
            Err(Trap::host("refused"))
        })
        .expect("fail");
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    let run = instance.get_typed_func::<i32, i32>(&store, "run").expect("run");
    let Err(plumb::Error::Trap(trap)) = run.call(&mut store, 0) else { panic!("expected a trap") };
    assert!(trap.to_string().contains("refused"), "{trap}");
    let frames: Vec<(u32, Option<&str>, Option<usize>)> =
        trap.trace().iter().map(|f| (f.func_index, f.func_name.as_deref(), f.module_offset)).collect();
    // Function indices count the import: $outer is 1, $inner 2.
    assert_eq!(
        frames,
        vec![
            (2, Some("inner"), Some(offset_of(&bytes, 1, "Call"))),
            (1, Some("outer"), Some(offset_of(&bytes, 0, "Call")))
        ],
        "{}",
        trap.trace_text()
    );
}

/// `(func index, name, module offset)` of every frame of `trap`.
fn frames(trap: &Trap) -> Vec<(u32, Option<&str>, Option<usize>)> {
    trap.trace().iter().map(|f| (f.func_index, f.func_name.as_deref(), f.module_offset)).collect()
}

#[test]
fn traps_raised_by_the_runtime_carry_the_wasm_frames_that_reached_them() {
    // Each trap is raised by a libcall (bulk memory and table operations, a
    // limiter's error in `memory.grow`) or an inline table bounds check.
    let engine = Engine::default();
    let bytes = wat::parse_str(
        r#"(module
             (memory 1) (table 2 funcref) (elem declare func $outer)
             (func $outer (export "run") (param i32) (result i32) (call $inner (local.get 0)))
             (func $inner (param i32) (result i32)
               (block (br_if 0 (i32.ne (local.get 0) (i32.const 0)))
                 (memory.fill (i32.const 65530) (i32.const 0) (i32.const 7)))
               (block (br_if 0 (i32.ne (local.get 0) (i32.const 1)))
                 (drop (table.get (i32.const 2))))
               (block (br_if 0 (i32.ne (local.get 0) (i32.const 2)))
                 (table.copy (i32.const 1) (i32.const 0) (i32.const 2)))
               (block (br_if 0 (i32.ne (local.get 0) (i32.const 3)))
                 (table.set (i32.const 5) (ref.func $outer)))
               (memory.grow (local.get 0))))"#,
    )
    .expect("valid text");
    let module = Module::from_binary(&engine, &bytes).expect("compiles");
    let cases = [
        (0, "MemoryFill", "out of bounds memory access"),
        (1, "TableGet", "out of bounds table access"),
        (2, "TableCopy", "out of bounds table access"),
        (3, "TableSet", "out of bounds table access"),
    ];
    for (arg, op, message) in cases {
        let trap = trap_of(&module, &engine, arg);
        assert!(trap.to_string().contains(message), "{op}: {trap}");
        assert_eq!(
            frames(&trap),
            vec![
                (1, Some("inner"), Some(offset_of(&bytes, 1, op))),
                (0, Some("outer"), Some(offset_of(&bytes, 0, "Call")))
            ],
            "{op}: {}",
            trap.trace_text()
        );
    }
    // A limiter that fails the growth (rather than denying it) traps too.
    let mut store = Store::new(&engine, Refuse);
    store.limiter(|refuse| refuse);
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let run = instance.get_typed_func::<i32, i32>(&store, "run").expect("run");
    let Err(plumb::Error::Trap(trap)) = run.call(&mut store, 9) else { panic!("expected a trap") };
    assert!(trap.to_string().contains("no growing here"), "{trap}");
    assert_eq!(
        frames(&trap),
        vec![
            (1, Some("inner"), Some(offset_of(&bytes, 1, "MemoryGrow"))),
            (0, Some("outer"), Some(offset_of(&bytes, 0, "Call")))
        ],
        "{}",
        trap.trace_text()
    );
}

/// A limiter whose `memory_growing` fails once memory exists.
struct Refuse;

impl plumb::ResourceLimiter for Refuse {
    fn memory_growing(&mut self, current: usize, _: usize, _: Option<usize>) -> plumb::Result<bool> {
        if current == 0 { Ok(true) } else { Err(plumb::Error::Resource("no growing here".into())) }
    }

    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> plumb::Result<bool> {
        Ok(true)
    }
}
