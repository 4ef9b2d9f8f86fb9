//! Regression tests of the hardening issue: each is named after what it
//! catches, and each failed on the engine before its fix.

use plumb::{Engine, Limits, Linker, Memory, Module, Store};

/// A memory declared `(memory 1 65536)` has a maximum: importing it where
/// `max 65536` is required links, as the spec's import matching says
/// (the engine used to fold a maximum of 65536 pages into "no maximum").
#[test]
fn declared_memory_maximum_of_65536_pages_is_kept_for_import_matching() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let memory = Memory::new(&mut store, Limits { min: 1, max: Some(65536) }).expect("memory");
    let module =
        Module::new(&engine, r#"(module (import "env" "memory" (memory 1 65536)))"#).expect("compiles");
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "memory", plumb::Extern::Memory(memory)).expect("define");
    linker.instantiate(&mut store, &module).expect("a declared max 65536 satisfies max 65536");

    // Without a maximum it still does not match a required one.
    let unbounded = Memory::new(&mut store, Limits { min: 1, max: None }).expect("memory");
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "memory", plumb::Extern::Memory(unbounded)).expect("define");
    let err = linker.instantiate(&mut store, &module).expect_err("no maximum is not max 65536");
    assert!(err.to_string().contains("incompatible import"), "{err}");
}

/// `(module (func (export "f") (param i32 i32) (result i32) BODY))`, with
/// one page of memory holding the `i32` 1 at address 0.
fn function(body: &str) -> String {
    format!(
        r#"(module (memory 1) (data (i32.const 0) "\01")
             (func (export "f") (param i32 i32) (result i32) {body}))"#
    )
}

/// Calls `f(a, b)` of the module `text`.
fn call(engine: &Engine, text: &str, a: i32, b: i32) -> i32 {
    let module = Module::new(engine, text).expect("compiles");
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, &module).expect("instantiates");
    let f = instance.get_typed_func::<(i32, i32), i32>(&store, "f").expect("f");
    f.call(&mut store, (a, b)).expect("runs")
}

/// The mid-end's work on `text`: rule applications plus CLIF lines. It is
/// deterministic, so the growth of compile time with a shape can be
/// checked exactly, without timing anything.
fn midend_work(engine: &Engine, text: &str) -> usize {
    let functions = plumb::explain(engine, text.as_bytes(), None).expect("explains");
    functions.iter().map(|f| f.rules.iter().map(|r| r.count).sum::<usize>() + f.clif.lines().count()).sum()
}

/// A chain of 10,000 additions is one term 20,001 nodes deep: walking it
/// recursively overflowed the compiler thread's stack, and dropping a chain
/// of 50,000 overflowed in the recursive drop of its `Rc`s. Terms are now
/// bounded (`MAX_TERM_NODES`) and both compile on a test thread's stack.
#[test]
fn deep_pure_term_chains_compile_without_overflowing_the_stack() {
    let engine = Engine::default();
    let chain = |n: usize| format!("local.get 0 {}", "local.get 0 i32.add ".repeat(n));
    assert_eq!(call(&engine, &function(&chain(10_000)), 3, 0), 30_003);
    let dropped = format!("{} drop i32.const 5", chain(50_000));
    assert_eq!(call(&engine, &function(&dropped), 3, 0), 5);
}

/// Each `i32.div_s` checks its overflow condition on its dividend, the
/// whole chain before it: lowering that term again for every check made
/// the work quadratic (and compile time cubic: 102 s at n = 2,000). The
/// operands of a trapping operator are now lowered once, so doubling the
/// chain doubles the work.
#[test]
fn signed_division_chains_compile_in_linear_work() {
    let engine = Engine::default();
    let chain = |n: usize| function(&format!("local.get 0 {}", "local.get 1 i32.div_s ".repeat(n)));
    let (small, large) = (midend_work(&engine, &chain(500)), midend_work(&engine, &chain(1000)));
    assert!(large * 10 <= small * 22, "work {small} at n = 500 but {large} at n = 1000");
    assert_eq!(call(&engine, &chain(2000), 1 << 30, 1), 1 << 30);
    assert_eq!(call(&engine, &chain(3), 1000, -3), 1000 / -27);
}

/// The Wasm text of a balanced tree of `i32.add` over `2^depth` loads, in
/// postfix order.
fn balanced_tree(depth: u32) -> String {
    let mut out = String::new();
    // Leaves emitted so far; after each, one `i32.add` per trailing one
    // bit closes the subtrees that are now complete.
    for leaf in 1..=(1u64 << depth) {
        out.push_str("local.get 0 i32.load ");
        for _ in 0..leaf.trailing_zeros() {
            out.push_str("i32.add ");
        }
    }
    function(&out)
}

/// A balanced tree of 2^17 loads (a 1 MB module) was refused with "no
/// lowering rule applies to ..." followed by the whole 3 MB term, and 2^16
/// took 17-31 s (the leaf search was quadratic). It now compiles, with
/// work proportional to its size.
#[test]
fn huge_balanced_terms_compile_in_linear_work() {
    let engine = Engine::default();
    let (small, large) = (midend_work(&engine, &balanced_tree(12)), midend_work(&engine, &balanced_tree(13)));
    assert!(large * 10 <= small * 22, "work {small} at 2^12 leaves but {large} at 2^13");
    // Every leaf loads the 1 at address 0.
    assert_eq!(call(&engine, &balanced_tree(17), 0, 0), 1 << 17);
}

/// Two threads trap (an out-of-bounds load) in a loop while two others
/// compile and drop modules, for three seconds. The signal handler's
/// registry lookup used to give up while a writer waited for its lock, and
/// the guest's fault then crashed the process within a second. Every call
/// must come back as the trap it is.
#[test]
fn guest_traps_are_caught_while_other_threads_compile_and_drop_modules() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let engine = Engine::default();
    let trapping = Module::new(
        &engine,
        r#"(module (memory 1) (func (export "f") (result i32) (i32.load (i32.const 70000))))"#,
    )
    .expect("compiles");
    let stop = AtomicBool::new(false);
    let (traps, compiles) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut store = Store::new(&engine, ());
                let instance = Linker::new(&engine).instantiate(&mut store, &trapping).expect("instantiates");
                let f = instance.get_typed_func::<(), i32>(&store, "f").expect("f");
                while !stop.load(Ordering::Relaxed) {
                    let err = f.call(&mut store, ()).expect_err("the load is out of bounds");
                    assert!(err.to_string().contains("out of bounds memory access"), "{err}");
                    traps.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        for i in 0..2 {
            let (engine, stop, compiles) = (&engine, &stop, &compiles);
            s.spawn(move || {
                let text = format!(r#"(module (func (export "g") (result i32) i32.const {i}))"#);
                while !stop.load(Ordering::Relaxed) {
                    drop(Module::new(engine, &text).expect("compiles"));
                    compiles.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
    });
    let (traps, compiles) = (traps.into_inner(), compiles.into_inner());
    assert!(traps > 100 && compiles > 10, "{traps} traps and {compiles} modules in 3 s");
}

/// A guest recursing forever, called from a thread with a 256 KiB stack,
/// ran past the thread's real stack (the limit was the stack pointer minus
/// `max_wasm_stack`, 512 KiB) and crashed the process. The limit is now
/// clamped to the thread's stack as the OS reports it.
#[test]
fn infinite_recursion_on_a_small_thread_stack_traps_as_call_stack_exhausted() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func $f (export "f") (param i64) (result i64)
             (i64.add (call $f (i64.add (local.get 0) (i64.const 1))) (local.get 0))))"#,
    )
    .expect("compiles");
    for stack in [256 * 1024, 160 * 1024] {
        let (engine, module) = (engine.clone(), module.clone());
        let err = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let mut store = Store::new(&engine, ());
                let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
                let f = instance.get_typed_func::<i64, i64>(&store, "f").expect("f");
                f.call(&mut store, 0).expect_err("recursion without end").to_string()
            })
            .expect("spawns")
            .join()
            .expect("the thread survives");
        assert!(err.contains("call stack exhausted"), "{stack}-byte stack: {err}");
    }
}

// The guard over pathological shapes at n and 2n (point 10) lives beside
// the shapes themselves, which the fuzz generators also emit:
// fuzz/tests/shapes.rs over plumb_fuzz::shapes::SHAPES.
