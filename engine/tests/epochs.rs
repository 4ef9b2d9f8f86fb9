//! Epoch interruption (`Config::epoch_interruption`): another thread
//! advances the engine's epoch, and a guest past its store's deadline traps
//! with `Interrupt` at its next function entry or loop header; the store
//! stays usable under a new deadline.

use std::time::Duration;

use plumb::{Config, Engine, Linker, Module, Store, TrapCode};

fn engine() -> Engine {
    let mut config = Config::new();
    config.epoch_interruption(true);
    Engine::new(&config).expect("engine")
}

const GUEST: &str = r#"(module
  (func (export "spin") (loop $l (br $l)))
  (func $leaf (result i32) (i32.const 1))
  (func (export "once") (result i32) (call $leaf)))"#;

fn trap_code(result: plumb::Result<()>) -> TrapCode {
    match result {
        Err(plumb::Error::Trap(trap)) => trap.code(),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_is_interrupted_by_another_thread_and_the_store_stays_usable() {
    let engine = engine();
    let module = Module::new(&engine, GUEST).expect("compiles");
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let spin = instance.get_typed_func::<(), ()>(&store, "spin").expect("spin");
    let once = instance.get_typed_func::<(), i32>(&store, "once").expect("once");
    for _ in 0..2 {
        let ticker = {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                engine.increment_epoch();
            })
        };
        assert_eq!(trap_code(spin.call(&mut store, ())), TrapCode::Interrupt);
        ticker.join().expect("ticker");
        // The deadline has passed: every call traps at its first check...
        assert_eq!(trap_code(once.call(&mut store, ()).map(drop)), TrapCode::Interrupt);
        // ...until a new deadline is set.
        store.set_epoch_deadline(1);
        assert_eq!(once.call(&mut store, ()).expect("runs"), 1);
    }
}

#[test]
fn a_store_s_deadline_is_reached_at_once_until_it_is_set() {
    let engine = engine();
    let module = Module::new(&engine, GUEST).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let once = instance.get_typed_func::<(), i32>(&store, "once").expect("once");
    assert_eq!(trap_code(once.call(&mut store, ()).map(drop)), TrapCode::Interrupt);
    store.set_epoch_deadline(3);
    engine.increment_epoch();
    engine.increment_epoch();
    assert_eq!(once.call(&mut store, ()).expect("two epochs short of the deadline"), 1);
    engine.increment_epoch();
    assert_eq!(trap_code(once.call(&mut store, ()).map(drop)), TrapCode::Interrupt);
}
