//! What a host function sees through its `Caller`: the calling instance's
//! exports, through the caller's context passed in the call ABI, and the
//! store's data. (That a `Caller` cannot replace the running store is shown
//! by the compile-fail doctests of `plumb::StoreContextMut`, in
//! engine/src/context.rs.)

use plumb::{AsContextMut, Caller, Engine, Extern, Func, FuncType, Linker, Module, Store, Val, ValType};

/// A module importing `host.peek` (i32 address → i32) that exports its
/// memory, whose byte 0 is `tag`, and a `run` export calling `peek(0)`.
fn tagged(engine: &Engine, tag: u8) -> Module {
    let wat = format!(
        r#"(module
             (import "host" "peek" (func $peek (param i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "\{tag:02x}")
             (func (export "run") (result i32) (call $peek (i32.const 0))))"#
    );
    Module::new(engine, wat).expect("compiles")
}

/// `peek(addr)`: the byte at `addr` of the caller's exported memory, or -1
/// when the caller has no such export (or no instance called).
fn peek(mut caller: Caller<'_, Vec<i32>>, addr: i32) -> i32 {
    let byte = match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => i32::from(memory.data(&caller)[addr as usize]),
        _ => -1,
    };
    caller.data_mut().push(byte);
    byte
}

#[test]
fn host_functions_see_the_memory_of_the_instance_that_called_them() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::new());
    let mut linker = Linker::new(&engine);
    // One host function, defined once in the store, shared by two instances.
    let shared = Func::wrap(&mut store, peek).expect("host function");
    linker.define(&store, "host", "peek", shared).expect("define");
    let a = linker.instantiate(&mut store, &tagged(&engine, 0x11)).expect("a");
    let b = linker.instantiate(&mut store, &tagged(&engine, 0x22)).expect("b");
    let run_a = a.get_typed_func::<(), i32>(&store, "run").expect("run");
    let run_b = b.get_typed_func::<(), i32>(&store, "run").expect("run");
    assert_eq!(run_b.call(&mut store, ()).expect("b runs"), 0x22);
    assert_eq!(run_a.call(&mut store, ()).expect("a runs"), 0x11);
    assert_eq!(store.data(), &vec![0x22, 0x11]);
}

#[test]
fn the_caller_of_a_call_through_a_table_or_another_instance_is_the_last_wasm_caller() {
    // `outer` calls `inner.run` through an import: the host function sees
    // `inner`, whose code made the call, not `outer`.
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::new());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "peek", peek).expect("peek");
    let inner = linker.instantiate(&mut store, &tagged(&engine, 0x33)).expect("inner");
    linker.instance(&store, "inner", inner).expect("register");
    let outer = Module::new(
        &engine,
        r#"(module
             (import "inner" "run" (func $run (result i32)))
             (import "host" "peek" (func $peek (param i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "\44")
             (table funcref (elem $peek))
             (func (export "both") (result i32)
               (i32.add
                 (call $run)
                 (call_indirect (param i32) (result i32) (i32.const 0) (i32.const 0)))))"#,
    )
    .expect("compiles");
    let outer = linker.instantiate(&mut store, &outer).expect("outer");
    let both = outer.get_typed_func::<(), i32>(&store, "both").expect("both");
    assert_eq!(both.call(&mut store, ()).expect("runs"), 0x33 + 0x44);
    assert_eq!(store.data(), &vec![0x33, 0x44]);
}

#[test]
fn a_host_function_called_by_the_host_has_no_calling_instance() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::new());
    let func = Func::wrap(&mut store, peek).expect("host function");
    let mut results = [Val::I32(0)];
    func.call(&mut store, &[Val::I32(0)], &mut results).expect("runs");
    assert_eq!(results[0].i32(), Some(-1));
}

#[test]
fn a_host_function_can_call_back_into_the_instance_that_called_it() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    linker
        .func_new("host", "twice", ty, |mut caller, args, results| {
            let Some(Extern::Func(double)) = caller.get_export("double") else {
                return Err(plumb::Trap::host("no export `double`"));
            };
            let double = double.typed::<i32, i32>(&caller).map_err(|e| plumb::Trap::host(e.to_string()))?;
            let x = args[0].i32().unwrap_or(0);
            let once =
                double.call(caller.as_context_mut(), x).map_err(|e| plumb::Trap::host(e.to_string()))?;
            let twice = double.call(&mut caller, once).map_err(|e| plumb::Trap::host(e.to_string()))?;
            results[0] = Val::I32(twice);
            Ok(())
        })
        .expect("twice");
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "twice" (func $twice (param i32) (result i32)))
             (func (export "double") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
             (func (export "run") (param i32) (result i32) (call $twice (local.get 0))))"#,
    )
    .expect("compiles");
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    let run = instance.get_typed_func::<i32, i32>(&store, "run").expect("run");
    assert_eq!(run.call(&mut store, 5).expect("runs"), 20);
}

#[test]
fn the_start_function_s_host_calls_see_the_instance_being_created() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::new());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "peek", peek).expect("peek");
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "peek" (func $peek (param i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 3) "\55")
             (func $start (drop (call $peek (i32.const 3))))
             (start $start))"#,
    )
    .expect("compiles");
    linker.instantiate(&mut store, &module).expect("instantiates");
    assert_eq!(store.data(), &vec![0x55]);
}
