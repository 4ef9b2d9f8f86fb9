//! The runtime seen through the embedding API: calls, memory, globals,
//! tables, host functions and traps, on functions without pure operators
//! (those go through the rules; see `lowering.rs`).

use plumb::{Engine, Linker, Module, Store, TrapCode, Val};

fn instantiate(wat: &str) -> (Store<()>, plumb::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    (store, instance)
}

fn trap_code(result: plumb::Result<()>) -> TrapCode {
    match result {
        Err(plumb::Error::Trap(trap)) => trap.code(),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn a_function_returns_its_parameters() {
    let (mut store, instance) = instantiate(
        r#"(module (func (export "swap") (param i32 i64) (result i64 i32) local.get 1 local.get 0))"#,
    );
    let swap = instance.get_func(&store, "swap").expect("export");
    let mut results = [Val::I64(0), Val::I32(0)];
    swap.call(&mut store, &[Val::I32(7), Val::I64(-3)], &mut results).expect("call");
    assert_eq!(results, [Val::I64(-3), Val::I32(7)]);
}

#[test]
fn stores_and_loads_reach_linear_memory() {
    let (mut store, instance) = instantiate(
        r#"(module (memory (export "mem") 1)
             (func (export "put") (param i32 i32) local.get 0 local.get 1 i32.store)
             (func (export "get") (param i32) (result i32) local.get 0 i32.load8_u))"#,
    );
    let put = instance.get_typed_func::<(i32, i32), ()>(&store, "put").expect("put");
    let get = instance.get_typed_func::<i32, i32>(&store, "get").expect("get");
    put.call(&mut store, (100, 0x1234_56ff)).expect("store");
    assert_eq!(get.call(&mut store, 100).expect("load"), 0xff);
    let memory = instance.get_memory(&store, "mem").expect("memory");
    assert_eq!(&memory.data(&store)[100..104], &[0xff, 0x56, 0x34, 0x12]);
}

#[test]
fn out_of_bounds_accesses_trap_and_the_store_stays_usable() {
    let (mut store, instance) = instantiate(
        r#"(module (memory 1)
             (func (export "load") (param i32) (result i32) local.get 0 i32.load offset=8))"#,
    );
    let load = instance.get_func(&store, "load").expect("export");
    let mut out = [Val::I32(0)];
    for address in [65_533, -1, i32::MIN] {
        assert_eq!(
            trap_code(load.call(&mut store, &[Val::I32(address)], &mut out)),
            TrapCode::MemoryOutOfBounds
        );
    }
    load.call(&mut store, &[Val::I32(65_520)], &mut out).expect("in bounds");
    assert_eq!(out, [Val::I32(0)]);
}

#[test]
fn unreachable_and_runaway_recursion_trap() {
    let (mut store, instance) = instantiate(
        r#"(module (func (export "boom") unreachable)
                   (func $f (export "recurse") call $f))"#,
    );
    let boom = instance.get_func(&store, "boom").expect("boom");
    assert_eq!(trap_code(boom.call(&mut store, &[], &mut [])), TrapCode::UnreachableCodeReached);
    let recurse = instance.get_func(&store, "recurse").expect("recurse");
    assert_eq!(trap_code(recurse.call(&mut store, &[], &mut [])), TrapCode::StackOverflow);
    assert_eq!(trap_code(recurse.call(&mut store, &[], &mut [])), TrapCode::StackOverflow);
}

#[test]
fn host_functions_are_called_with_their_arguments_and_can_fail() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "twice" (func $twice (param i64) (result i64)))
                   (import "env" "fail" (func $fail))
                   (func (export "run") (param i64) (result i64) local.get 0 call $twice)
                   (func (export "fail") call $fail))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, 0u32);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "twice", |mut caller: plumb::Caller<'_, u32>, x: i64| {
            *caller.data_mut() += 1;
            x.wrapping_mul(2)
        })
        .expect("define");
    linker
        .func_wrap("env", "fail", |_: plumb::Caller<'_, u32>| -> Result<(), plumb::Trap> {
            Err(plumb::Trap::host("refused"))
        })
        .expect("define");
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    let run = instance.get_typed_func::<i64, i64>(&store, "run").expect("run");
    assert_eq!(run.call(&mut store, 21).expect("call"), 42);
    assert_eq!(*store.data(), 1);
    let fail = instance.get_func(&store, "fail").expect("fail");
    let err = fail.call(&mut store, &[], &mut []).expect_err("host error");
    assert!(err.to_string().contains("refused"), "{err}");
}

#[test]
fn call_indirect_checks_bounds_null_and_signature() {
    let (mut store, instance) = instantiate(
        r#"(module (type $v (func (result i32))) (type $w (func (param i32)))
             (table 3 funcref) (elem (i32.const 0) $seven $sink)
             (func $seven (result i32) i32.const 7)
             (func $sink (param i32))
             (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $v)))"#,
    );
    let call = instance.get_func(&store, "call").expect("export");
    let mut out = [Val::I32(0)];
    call.call(&mut store, &[Val::I32(0)], &mut out).expect("call");
    assert_eq!(out, [Val::I32(7)]);
    assert_eq!(trap_code(call.call(&mut store, &[Val::I32(1)], &mut out)), TrapCode::BadSignature);
    assert_eq!(trap_code(call.call(&mut store, &[Val::I32(2)], &mut out)), TrapCode::IndirectCallToNull);
    assert_eq!(trap_code(call.call(&mut store, &[Val::I32(3)], &mut out)), TrapCode::UndefinedElement);
}

#[test]
fn globals_and_memory_grow_are_visible_to_the_host() {
    let (mut store, instance) = instantiate(
        r#"(module (memory 1 3) (global $g (export "g") (mut i32) (i32.const 5))
             (func (export "set") (param i32) local.get 0 global.set $g)
             (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
             (func (export "size") (result i32) memory.size))"#,
    );
    let set = instance.get_typed_func::<i32, ()>(&store, "set").expect("set");
    set.call(&mut store, 99).expect("set");
    assert_eq!(instance.get_global(&store, "g").expect("g").get(&store).expect("get"), Val::I32(99));
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").expect("grow");
    assert_eq!(grow.call(&mut store, 2).expect("grow"), 1);
    assert_eq!(grow.call(&mut store, 1).expect("grow"), -1);
    let size = instance.get_typed_func::<(), i32>(&store, "size").expect("size");
    assert_eq!(size.call(&mut store, ()).expect("size"), 3);
}
