//! Fuel (`Config::consume_fuel`): guests stop when their fuel runs out,
//! with the `OutOfFuel` trap, at the point the documented cost table says.
//! (That the reference interpreter runs out at the same operator with the
//! same fuel left is fuzz/tests/fuel.rs.)

use plumb::{Config, Engine, Linker, Module, Store, TrapCode};

fn engine() -> Engine {
    let mut config = Config::new();
    config.consume_fuel(true);
    Engine::new(&config).expect("engine")
}

const SPIN: &str = r#"(module
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (param i32) (result i32) (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br $l)))
    (local.get 1)))"#;

/// The trap code of `err`, or a panic naming what it was.
fn trap_code(err: plumb::Error) -> TrapCode {
    match err {
        plumb::Error::Trap(trap) => trap.code(),
        other => panic!("expected a trap, got {other}"),
    }
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let engine = engine();
    let module = Module::new(&engine, SPIN).expect("compiles");
    let mut store = Store::new(&engine, ());
    store.set_fuel(10_000).expect("fuel is on");
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let spin = instance.get_typed_func::<(), ()>(&store, "spin").expect("spin");
    let err = spin.call(&mut store, ()).expect_err("stops");
    assert_eq!(trap_code(err), TrapCode::OutOfFuel);
    // Each iteration is the run `br $l`, costing 1: all 10,000 were used.
    assert_eq!(store.get_fuel().expect("fuel is on"), 0);
    // The store stays usable: with more fuel the next call runs again.
    store.set_fuel(5).expect("fuel is on");
    assert_eq!(trap_code(spin.call(&mut store, ()).expect_err("stops")), TrapCode::OutOfFuel);
}

#[test]
fn fuel_is_charged_per_run_by_the_cost_table() {
    let engine = engine();
    let module = Module::new(&engine, SPIN).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let count = instance.get_typed_func::<i32, i32>(&store, "count").expect("count");
    // Runs of `count(n)`: [block] 0, [loop] 0, then per iteration
    // [local.get i32.eqz br_if] 3 and [local.get i32.const i32.sub
    // local.set local.get i32.const i32.add local.set br] 9; the last
    // iteration's br_if leaves for [local.get end] 1.
    let cost = |n: u64| 12 * n + 3 + 1;
    for n in [0u64, 1, 7] {
        store.set_fuel(1000).expect("fuel is on");
        assert_eq!(count.call(&mut store, n as i32).expect("enough fuel"), n as i32);
        assert_eq!(1000 - store.get_fuel().expect("fuel is on"), cost(n), "count({n})");
    }
    // Exactly enough fuel runs it; one less traps at the last run, before
    // it runs, leaving the 0 fuel it could not use.
    store.set_fuel(cost(7)).expect("fuel is on");
    assert_eq!(count.call(&mut store, 7).expect("exactly enough"), 7);
    assert_eq!(store.get_fuel().expect("fuel is on"), 0);
    store.set_fuel(cost(7) - 1).expect("fuel is on");
    assert_eq!(trap_code(count.call(&mut store, 7).expect_err("one short")), TrapCode::OutOfFuel);
    assert_eq!(store.get_fuel().expect("fuel is on"), 0);
}

#[test]
fn fuel_calls_fail_clearly_when_fuel_is_off() {
    let mut store = Store::new(&Engine::default(), ());
    let err = store.set_fuel(1).expect_err("fuel is off");
    assert!(err.to_string().contains("Config::consume_fuel"), "{err}");
    assert!(store.get_fuel().is_err());
}
