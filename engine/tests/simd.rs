//! `v128` through the embedding API and the sandbox: values in and out of
//! calls (dynamic and typed), host functions, globals, several vectors
//! among scalars in one signature, and vector accesses that straddle the
//! end of memory.

use plumb::{
    Engine, Error, Func, FuncType, GlobalType, Instance, Linker, Module, Store, TrapCode, Val, ValType,
};

const LANES: u128 = 0x0f0e0d0c_0b0a0908_07060504_03020100;

/// The trap code of a failed call.
fn trap_code(result: plumb::Result<impl std::fmt::Debug>) -> TrapCode {
    match result {
        Err(Error::Trap(trap)) => trap.code(),
        other => panic!("expected a trap, got {other:?}"),
    }
}

fn instance(store: &mut Store<()>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("compiles");
    Instance::new(store, &module, &[]).expect("instantiates")
}

#[test]
fn vectors_cross_calls_as_val_and_as_u128() {
    let mut store = Store::new(&Engine::default(), ());
    let wat = r#"(module
        (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
        ;; vectors between scalars: every slot keeps its own value
        (func (export "mix") (param i32 v128 f64 v128) (result v128 i64 v128)
          (i64x2.splat (i64.extend_i32_u (local.get 0)))
          (i64.reinterpret_f64 (local.get 2))
          (v128.xor (local.get 1) (local.get 3))))"#;
    let instance = instance(&mut store, wat);
    let add = instance.get_func(&store, "add").expect("add");
    let mut out = [Val::I32(0)];
    add.call(&mut store, &[Val::V128(LANES), Val::V128(1 | 1 << 96)], &mut out).expect("runs");
    assert_eq!(out[0], Val::V128(LANES + (1 | 1 << 96)));

    let typed = instance.get_typed_func::<(u128, u128), u128>(&store, "add").expect("typed");
    let wrapped = typed.call(&mut store, (u128::MAX, 2)).expect("runs");
    // Lane 0 wraps to 1, the other lanes to 0xffffffff.
    assert_eq!(wrapped, (u128::MAX << 32) | 1);

    let mix = instance.get_func(&store, "mix").expect("mix");
    let mut out = [Val::I32(0), Val::I32(0), Val::I32(0)];
    let args = [Val::I32(-1), Val::V128(LANES), Val::F64(2.5f64.to_bits()), Val::V128(u128::MAX)];
    mix.call(&mut store, &args, &mut out).expect("runs");
    assert_eq!(
        out,
        [Val::V128(0xffff_ffff | 0xffff_ffff << 64), Val::I64(2.5f64.to_bits() as i64), Val::V128(!LANES)]
    );
}

#[test]
fn host_functions_take_and_return_vectors() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = FuncType::new([ValType::V128, ValType::I32], [ValType::V128]);
    let host = Func::new(&mut store, ty, |_, args, results| {
        let (Val::V128(v), Val::I32(k)) = (args[0], args[1]) else { panic!("typed arguments") };
        results[0] = Val::V128(v.rotate_left(8 * k as u32));
        Ok(())
    })
    .expect("host function");
    let mut linker = Linker::new(&engine);
    linker.define(&store, "host", "rot", host).expect("define");
    let wat = r#"(module
        (import "host" "rot" (func $rot (param v128 i32) (result v128)))
        (func (export "run") (param v128) (result i32)
          (i8x16.extract_lane_u 0 (call $rot (local.get 0) (i32.const 3)))))"#;
    let module = Module::new(&engine, wat).expect("compiles");
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    let run = instance.get_typed_func::<u128, i32>(&store, "run").expect("run");
    // Rotating the bytes up by 3 brings byte 13 to byte 0.
    assert_eq!(run.call(&mut store, LANES).expect("runs"), 13);
}

#[test]
fn vector_globals_hold_all_sixteen_bytes() {
    let mut store = Store::new(&Engine::default(), ());
    let wat = r#"(module
        (global $g (export "g") (mut v128) (v128.const i64x2 0x0706050403020100 0x0f0e0d0c0b0a0908))
        (func (export "get") (result v128) (global.get $g))
        (func (export "set") (param v128) (global.set $g (local.get 0))))"#;
    let instance = instance(&mut store, wat);
    let global = instance.get_global(&store, "g").expect("g");
    assert_eq!(global.get(&store).expect("get"), Val::V128(LANES));
    let set = instance.get_typed_func::<u128, ()>(&store, "set").expect("set");
    set.call(&mut store, u128::MAX - 1).expect("runs");
    assert_eq!(global.get(&store).expect("get"), Val::V128(u128::MAX - 1));
    global.set(&mut store, Val::V128(LANES << 8)).expect("set from the host");
    let get = instance.get_typed_func::<(), u128>(&store, "get").expect("get");
    assert_eq!(get.call(&mut store, ()).expect("runs"), LANES << 8);
    let wrong = global.set(&mut store, Val::I64(1));
    assert!(matches!(wrong, Err(Error::Usage(_))), "{wrong:?}");

    let host =
        plumb::Global::new(&mut store, GlobalType { content: ValType::V128, mutable: false }, Val::V128(7))
            .expect("a host v128 global");
    assert_eq!(host.get(&store).expect("get"), Val::V128(7));
}

#[test]
fn vector_accesses_that_straddle_the_end_of_memory_trap_and_write_nothing() {
    let mut store = Store::new(&Engine::default(), ());
    let wat = r#"(module
        (memory (export "memory") 1)
        (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
        (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
        (func (export "load_lane") (param i32) (result v128) (v128.load64_lane 1 (local.get 0) (v128.const i64x2 0 0)))
        (func (export "splat") (param i32) (result v128) (v128.load32_splat offset=65532 (local.get 0))))"#;
    let instance = instance(&mut store, wat);
    let memory = instance.get_memory(&store, "memory").expect("memory");
    let load = instance.get_typed_func::<i32, u128>(&store, "load").expect("load");
    let store_fn = instance.get_typed_func::<(i32, u128), ()>(&store, "store").expect("store");
    let load_lane = instance.get_typed_func::<i32, u128>(&store, "load_lane").expect("load_lane");
    let splat = instance.get_typed_func::<i32, u128>(&store, "splat").expect("splat");

    // The last whole vector is readable and writable.
    store_fn.call(&mut store, (65536 - 16, LANES)).expect("in bounds");
    assert_eq!(load.call(&mut store, 65536 - 16).expect("in bounds"), LANES);
    assert_eq!(
        splat.call(&mut store, 0).expect("the last four bytes"),
        0x0f0e0d0c * 0x0000_0001_0000_0001_0000_0001_0000_0001
    );

    for address in [65536 - 15, 65536 - 1, 65536, -1] {
        assert_eq!(
            trap_code(load.call(&mut store, address)),
            TrapCode::MemoryOutOfBounds,
            "load at {address}"
        );
        let stored = store_fn.call(&mut store, (address, u128::MAX));
        assert_eq!(trap_code(stored), TrapCode::MemoryOutOfBounds, "store at {address}");
    }
    assert_eq!(trap_code(load_lane.call(&mut store, 65536 - 7)), TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_code(splat.call(&mut store, 1)), TrapCode::MemoryOutOfBounds);
    // No partial store landed in the last page.
    let tail = &memory.data(&store)[65536 - 16..];
    assert_eq!(tail, &LANES.to_le_bytes()[..]);
}
