//! `InstancePre`: a module's imports resolved by a `Linker` once, then
//! instantiated many times in different stores.

use plumb::{Caller, Engine, Error, Linker, Module, Store};

const COUNTER: &str = r#"(module
  (import "host" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\2a")
  (func (export "run") (result i32)
    (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))
    (call $tick (i32.load8_u (i32.const 0)))))"#;

fn linker(engine: &Engine) -> Linker<u32> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "tick", |mut caller: Caller<'_, u32>, byte: i32| -> i32 {
            *caller.data_mut() += 1;
            byte * 100 + *caller.data() as i32
        })
        .expect("tick");
    linker
}

#[test]
fn one_resolution_instantiates_in_many_stores_each_with_its_own_state() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).expect("compiles");
    let pre = linker(&engine).instantiate_pre(&module).expect("imports resolve");
    assert_eq!(pre.module().imports().count(), 1);
    for calls in 1..=3 {
        let mut store = Store::new(&engine, 0u32);
        let instance = pre.clone().instantiate(&mut store).expect("instantiates");
        let run = instance.get_typed_func::<(), i32>(&store, "run").expect("run");
        for n in 1..=calls {
            // Memory starts from the data segment in every store, and the
            // host function sees this store's data only.
            assert_eq!(run.call(&mut store, ()).expect("runs"), (42 + n as i32) * 100 + n as i32);
        }
        assert_eq!(*store.data(), calls);
    }
}

#[test]
fn an_undefined_or_mistyped_import_fails_when_resolving() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).expect("compiles");
    let Err(Error::Link(message)) = Linker::<u32>::new(&engine).instantiate_pre(&module) else {
        panic!("an undefined import must fail to resolve")
    };
    assert!(message.contains("host::tick") && message.contains("not been defined"), "{message}");
    let mut linker = Linker::<u32>::new(&engine);
    linker.func_wrap("host", "tick", |_: Caller<'_, u32>, x: i64| x).expect("tick");
    let Err(Error::Link(message)) = linker.instantiate_pre(&module) else {
        panic!("a mistyped host function must fail to resolve")
    };
    assert!(message.contains("host::tick") && message.contains("expected"), "{message}");
    let memory_import =
        Module::new(&engine, r#"(module (import "host" "tick" (memory 1)))"#).expect("compiles");
    let Err(Error::Link(message)) = linker.instantiate_pre(&memory_import) else {
        panic!("a host function cannot satisfy a memory import")
    };
    assert!(message.contains("non-function"), "{message}");
}

#[test]
fn a_store_object_resolved_once_belongs_to_its_store_only() {
    let engine = Engine::default();
    let provider = Module::new(&engine, r#"(module (memory (export "memory") 1))"#).expect("compiles");
    let user = Module::new(&engine, r#"(module (import "env" "memory" (memory 1)))"#).expect("compiles");
    let mut home = Store::new(&engine, 0u32);
    let mut linker = Linker::new(&engine);
    let instance = linker.instantiate(&mut home, &provider).expect("provider");
    linker.instance(&home, "env", instance).expect("defines env");
    let pre = linker.instantiate_pre(&user).expect("resolves");
    pre.instantiate(&mut home).expect("instantiates in the memory's store");
    let mut other = Store::new(&engine, 0u32);
    assert!(pre.instantiate(&mut other).is_err(), "another store's memory must be refused");
}
