//! Exception handling (WebAssembly 3.0) on the engine: an exception that
//! escapes comes back as a trap carrying its tag and payload; tags made by
//! the host are thrown and caught by identity; `exnref`s cross the API;
//! uncaught exceptions leave the store usable (no host state behind);
//! exceptions do not cross host functions; exception objects are freed or
//! bounded; and without `Config::wasm_exceptions` the instructions are
//! invalid. (The spec scripts and `oracles/tests/wast/exceptions.wast` run
//! on the engine in `tests/spec_jit.rs` and `tests/exceptions.rs`.)

use plumb::{
    Caller, Config, Engine, Error, Extern, FuncType, Instance, Linker, MAX_LIVE_EXCEPTIONS, Module, Store,
    Tag, TrapCode, Val, ValType,
};

const THROWER: &str = r#"(module
  (tag $e (export "e") (param i32 i64))
  (tag $empty (export "empty"))
  (func $throw (export "throw") (param i32 i64) (local.get 0) (local.get 1) (throw $e))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (call $throw (local.get 0) (i64.const 5)))
      (return (i32.const -1)))
    (drop))
  (func (export "catch-ref") (param i32) (result exnref)
    (block $h (result i32 i64 exnref)
      (try_table (catch_ref $e $h) (call $throw (local.get 0) (i64.const 6)))
      (return (ref.null exn)))
    (return))
  (func (export "rethrow") (param exnref) (throw_ref (local.get 0)))
  (func (export "throw-empty") (throw $empty))
  (func (export "throw-ref-null") (throw_ref (ref.null exn))))"#;

fn thrower(store: &mut Store<()>) -> Instance {
    let module = Module::new(store.engine(), THROWER).expect("compiles");
    Instance::new(&mut *store, &module, &[]).expect("instantiates")
}

/// Calls export `name` of `instance` with `args`.
fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> plumb::Result<Vec<Val>> {
    let func = instance.get_func(&*store, name).expect("exported");
    let ty = func.ty(&*store).expect("typed");
    let mut out: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    func.call(&mut *store, args, &mut out)?;
    Ok(out)
}

fn trap(result: plumb::Result<Vec<Val>>) -> plumb::Trap {
    match result {
        Err(Error::Trap(trap)) => trap,
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn an_uncaught_exception_carries_its_tag_and_payload() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = thrower(&mut store);
    let tag = instance.get_tag(&store, "e").expect("exported tag");
    let trap = trap(call(&mut store, instance, "throw", &[Val::I32(7), Val::I64(-8)]));
    assert_eq!(trap.code(), TrapCode::UncaughtException);
    let exception = trap.exception().expect("the exception");
    assert_eq!(exception.tag, tag);
    assert_eq!(exception.payload, vec![Val::I32(7), Val::I64(-8)]);
    assert!(trap.to_string().contains("uncaught exception"), "{trap}");
    // Another tag of the same module is another tag.
    let empty = instance.get_tag(&store, "empty").expect("exported tag");
    let trap = trap_of(&mut store, instance, "throw-empty");
    assert_eq!(trap.exception().map(|e| e.tag), Some(empty));
    assert_ne!(empty, tag);
    assert_eq!(tag.ty(&store).expect("typed"), FuncType::new([ValType::I32, ValType::I64], []));
}

fn trap_of(store: &mut Store<()>, instance: Instance, name: &str) -> plumb::Trap {
    trap(call(store, instance, name, &[]))
}

#[test]
fn the_store_stays_usable_after_an_uncaught_exception() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = thrower(&mut store);
    for round in 0..3 {
        let trap = trap(call(&mut store, instance, "throw", &[Val::I32(round), Val::I64(0)]));
        assert_eq!(trap.code(), TrapCode::UncaughtException);
        // Nothing of the exception is left: the next call returns.
        let caught = call(&mut store, instance, "catch", &[Val::I32(round + 40)]).expect("caught");
        assert_eq!(caught, vec![Val::I32(round + 40)]);
    }
    let trap = trap_of(&mut store, instance, "throw-ref-null");
    assert_eq!(trap.code(), TrapCode::NullExceptionReference);
    assert!(trap.exception().is_none());
}

#[test]
fn exception_references_cross_the_api_and_are_thrown_again() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = thrower(&mut store);
    let tag = instance.get_tag(&store, "e").expect("exported tag");
    let exn = call(&mut store, instance, "catch-ref", &[Val::I32(3)]).expect("caught");
    let Val::ExnRef(Some(exn)) = exn[0] else { panic!("expected an exnref, got {exn:?}") };
    let exception = exn.exception(&store).expect("live");
    assert_eq!((exception.tag, exception.payload.clone()), (tag, vec![Val::I32(3), Val::I64(6)]));
    // Thrown again by the host's hand, it is the same exception.
    let trap = trap(call(&mut store, instance, "rethrow", &[Val::ExnRef(Some(exn))]));
    assert_eq!(trap.exception(), Some(&exception));
    // And it is still alive: Wasm gave the host a reference to it.
    assert_eq!(exn.exception(&store).expect("still live"), exception);
    // A reference of another store is refused.
    let mut other = Store::new(store.engine(), ());
    let foreign = thrower(&mut other);
    let result = call(&mut other, foreign, "rethrow", &[Val::ExnRef(Some(exn))]);
    assert!(matches!(result, Err(Error::Usage(_))), "{result:?}");
}

#[test]
fn a_host_tag_is_thrown_and_caught_by_identity() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = FuncType::new([ValType::I32], []);
    let mine = Tag::new(&mut store, &ty).expect("a tag");
    let other = Tag::new(&mut store, &ty).expect("another tag of the same type");
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "tag" (tag $t (param i32)))
          (func $throw (export "throw") (param i32) (local.get 0) (throw $t))
          (func (export "catch") (result i32)
            (block $h (result i32)
              (try_table (catch $t $h) (call $throw (i32.const 9)))
              (i32.const -1))))"#,
    )
    .expect("compiles");
    let a = Instance::new(&mut store, &module, &[Extern::Tag(mine)]).expect("instantiates");
    let b = Instance::new(&mut store, &module, &[Extern::Tag(other)]).expect("instantiates");
    assert_eq!(call(&mut store, a, "catch", &[]).expect("caught"), vec![Val::I32(9)]);
    let trap = trap(call(&mut store, b, "throw", &[Val::I32(1)]));
    assert_eq!(trap.exception().map(|e| e.tag), Some(other));
    // A tag of another type does not link.
    let wrong = Tag::new(&mut store, &FuncType::new([ValType::I64], [])).expect("a tag");
    let Err(Error::Link(why)) = Instance::new(&mut store, &module, &[Extern::Tag(wrong)]) else {
        panic!("a tag of another type linked")
    };
    assert!(why.contains("incompatible import type"), "{why}");
    // A tag's type has no results.
    let bad = Tag::new(&mut store, &FuncType::new([], [ValType::I32]));
    assert!(matches!(bad, Err(Error::Usage(_))), "{bad:?}");
}

#[test]
fn exceptions_do_not_cross_host_functions() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inner = thrower(&mut store);
    let throw = inner.get_func(&store, "throw").expect("exported");
    let mut linker = Linker::new(&engine);
    linker
        .func_new("host", "bounce", FuncType::new([], []), move |mut caller: Caller<'_, ()>, _, _| {
            // Wasm called by the host function throws; the host function
            // sees the trap, and returns it.
            let result = throw.call(&mut caller, &[Val::I32(1), Val::I64(2)], &mut []);
            let trap = match result {
                Err(Error::Trap(trap)) => trap,
                other => panic!("expected the exception, got {other:?}"),
            };
            assert_eq!(trap.code(), TrapCode::UncaughtException);
            Err(trap)
        })
        .expect("defines");
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "bounce" (func $bounce))
          (func (export "run") (result i32)
            (block $h
              (try_table (catch_all $h) (call $bounce))
              (return (i32.const -1)))
            (i32.const 1)))"#,
    )
    .expect("compiles");
    let outer = linker.instantiate(&mut store, &module).expect("instantiates");
    // The `catch_all` does not catch it: it is a trap of the host function now.
    let trap = trap(call(&mut store, outer, "run", &[]));
    assert_eq!(trap.code(), TrapCode::UncaughtException);
    assert_eq!(trap.exception().map(|e| e.payload.clone()), Some(vec![Val::I32(1), Val::I64(2)]));
}

const LOOPS: &str = r#"(module
  (tag $e (param i32))
  (global $kept (mut exnref) (ref.null exn))
  ;; Throws and catches `n` times; `catch` frees each exception.
  (func (export "catch-loop") (param $n i32) (result i32)
    (local $sum i32)
    (loop $again
      (block $h (result i32)
        (try_table (catch $e $h) (throw $e (local.get $n)))
        (unreachable))
      (local.set $sum (i32.add (local.get $sum)))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum))
  ;; Throws and keeps a reference to each exception `n` times.
  (func (export "keep-loop") (param $n i32)
    (loop $again
      (block $h (result exnref)
        (try_table (catch_all_ref $h) (throw $e (local.get $n)))
        (unreachable))
      (global.set $kept)
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

#[test]
fn caught_exceptions_are_freed_and_kept_ones_are_bounded() {
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(store.engine(), LOOPS).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    // More throws than the store could keep: each is freed when caught.
    let n = MAX_LIVE_EXCEPTIONS as i32 + 10;
    let sum = call(&mut store, instance, "catch-loop", &[Val::I32(n)]).expect("runs");
    let expected = (1..=i64::from(n)).sum::<i64>() as i32;
    assert_eq!(sum, vec![Val::I32(expected)]);
    // Kept ones count until the store's bound, then `throw` traps.
    let trap = trap(call(&mut store, instance, "keep-loop", &[Val::I32(n)]));
    assert_eq!(trap.code(), TrapCode::HostError);
    assert!(trap.to_string().contains("live exceptions"), "{trap}");
}

#[test]
fn without_the_feature_exception_instructions_are_invalid() {
    let mut config = Config::new();
    config.wasm_exceptions(false);
    let engine = Engine::new(&config).expect("an engine");
    let result = Module::new(&engine, THROWER);
    assert!(matches!(result, Err(Error::Invalid { .. })), "{:?}", result.err());
}

#[test]
fn exceptions_pass_through_frames_without_handlers_and_tail_calls() {
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(
        store.engine(),
        r#"(module
          (tag $e (param i32))
          (global $after (export "after") (mut i32) (i32.const 0))
          (func $leaf (param i32) (result i32) (throw $e (local.get 0)))
          ;; Nothing here catches: the code after the call must not run.
          (func $middle (param i32) (result i32)
            (drop (call $leaf (local.get 0)))
            (global.set $after (i32.const 1))
            (i32.const -1))
          (func $tail (param i32) (result i32) (return_call $middle (local.get 0)))
          ;; A function that cannot throw is called without a test.
          (func $pure (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "run") (param i32) (result i32)
            (block $h (result i32)
              (try_table (result i32) (catch $e $h)
                (call $tail (call $pure (local.get 0))))
              (return))
            (i32.add (i32.const 100))))"#,
    )
    .expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    assert_eq!(call(&mut store, instance, "run", &[Val::I32(5)]).expect("caught"), vec![Val::I32(106)]);
    let after = instance.get_global(&store, "after").expect("exported");
    assert_eq!(after.get(&store).expect("readable"), Val::I32(0), "code after the throwing call ran");
}
