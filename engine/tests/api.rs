//! Properties of the embedding API itself.

use plumb::{Config, Engine, Linker, Module, Store};

#[test]
fn engines_are_send_and_sync_and_stores_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Engine>();
    send_sync::<Module>();
    send::<Store<()>>();
}

#[test]
fn a_module_compiled_on_one_thread_runs_on_another() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))"#,
    )
    .expect("compiles");
    let result = std::thread::spawn(move || {
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
        let f = instance.get_typed_func::<i32, i32>(&store, "f").expect("f");
        f.call(&mut store, 14).expect("call")
    })
    .join()
    .expect("thread");
    assert_eq!(result, 42);
}

#[test]
fn with_cranelift_optimisations_off_results_are_the_same() {
    let mut config = Config::new();
    config.cranelift_opt(false);
    let engine = Engine::new(&config).expect("engine");
    let module = Module::new(
        &engine,
        r#"(module (func (export "f") (param i64 i64) (result i64)
        (i64.rem_u (i64.mul (local.get 0) (i64.const 16)) (local.get 1))))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let f = instance.get_typed_func::<(i64, i64), i64>(&store, "f").expect("f");
    assert_eq!(f.call(&mut store, (1000, 7)).expect("call"), 16000 % 7);
}

#[test]
fn invalid_modules_are_rejected_with_the_byte_offset() {
    let engine = Engine::default();
    let err = Module::new(&engine, [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05])
        .err()
        .expect("invalid");
    let text = err.to_string();
    assert!(text.contains("byte offset 0x"), "{text}");
    let err = Module::new(&engine, "(module (func (result i32) i64.const 1))").err().expect("invalid");
    assert!(err.to_string().contains("type mismatch"), "{err}");
}
