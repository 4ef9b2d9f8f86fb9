//! 64-bit memories (WebAssembly 3.0's memory64): `i64` addresses, sizes and
//! lengths; an access is checked against the memory's length (the rule
//! set's `heap_oob`), so an index of 2^32 or more never reaches the low
//! addresses, and an offset past 4 GiB always traps; growth stops at 4 GiB
//! with -1; 32-bit and 64-bit memories do not link to each other's imports.

use plumb::{Config, Engine, Error, Extern, Instance, Linker, Module, Store, Val};

const MODULE: &str = r#"(module
  (memory (export "memory") i64 1 70000)
  (memory $narrow (export "narrow") 1)
  (data (i64.const 65530) "edge!!")
  (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32_at") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_far") (param i64) (result i32) (i32.load8_u offset=0x100000000 (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "v128_load") (param i64) (result i32)
    (i32x4.extract_lane 0 (v128.load (local.get 0))))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_to_narrow") (param i32 i64 i32) (memory.copy $narrow 0 (local.get 0) (local.get 1) (local.get 2))))"#;

fn engines() -> Vec<(&'static str, Engine)> {
    let mut engines = vec![("default", Engine::default())];
    if cfg!(target_arch = "x86_64") {
        let mut checked = Config::new();
        checked.check_machine_code(true);
        engines.push(("checked", Engine::new(&checked).expect("checked engine")));
    }
    engines
}

fn instantiate(engine: &Engine) -> (Store<()>, Instance) {
    let module = Module::new(engine, MODULE).expect("compiles");
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, &module).expect("instantiates");
    (store, instance)
}

fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> plumb::Result<Val> {
    let func = instance.get_func(&*store, name).expect("export");
    let mut results = vec![Val::I32(0); func.ty(&*store).expect("type").results().len()];
    func.call(&mut *store, args, &mut results)?;
    Ok(results.first().copied().unwrap_or(Val::I32(0)))
}

fn traps_out_of_bounds(result: plumb::Result<Val>) -> bool {
    matches!(result, Err(Error::Trap(t)) if t.to_string().contains("out of bounds memory access"))
}

#[test]
fn high_indices_and_offsets_trap_instead_of_reaching_low_addresses() {
    for (name, engine) in engines() {
        let (mut store, instance) = instantiate(&engine);
        let load = |store: &mut Store<()>, at: i64| call(store, instance, "load", &[Val::I64(at)]);
        assert_eq!(load(&mut store, 65530).expect("in bounds"), Val::I32(i32::from(b'e')), "{name}");
        call(&mut store, instance, "store", &[Val::I64(5), Val::I32(9)]).expect("store");
        assert_eq!(load(&mut store, 5).expect("in bounds"), Val::I32(9), "{name}");
        // 2^32 + 5 has the low bits of 5: it must not read byte 5.
        assert!(traps_out_of_bounds(load(&mut store, (1 << 32) + 5)), "{name}");
        assert!(traps_out_of_bounds(load(&mut store, -1)), "{name}");
        assert!(traps_out_of_bounds(load(&mut store, 65536)), "{name}");
        assert!(traps_out_of_bounds(call(&mut store, instance, "load_far", &[Val::I64(0)])), "{name}");
        // The last byte of a 4-byte access past the end.
        let load32 = |store: &mut Store<()>, at: i64| call(store, instance, "load32_at", &[Val::I64(at)]);
        assert!(load32(&mut store, 65532).is_ok(), "{name}");
        assert!(traps_out_of_bounds(load32(&mut store, 65533)), "{name}");
        let v128 = |store: &mut Store<()>, at: i64| call(store, instance, "v128_load", &[Val::I64(at)]);
        assert!(v128(&mut store, 65520).is_ok(), "{name}");
        assert!(traps_out_of_bounds(v128(&mut store, 65521)), "{name}");
        assert!(traps_out_of_bounds(call(&mut store, instance, "store", &[Val::I64(1 << 40), Val::I32(1)])));
    }
}

#[test]
fn sizes_growth_and_bulk_operations_take_i64() {
    for (name, engine) in engines() {
        let (mut store, instance) = instantiate(&engine);
        assert_eq!(call(&mut store, instance, "size", &[]).expect("size"), Val::I64(1), "{name}");
        assert_eq!(call(&mut store, instance, "grow", &[Val::I64(1)]).expect("grow"), Val::I64(1), "{name}");
        assert_eq!(call(&mut store, instance, "size", &[]).expect("size"), Val::I64(2), "{name}");
        // Past 4 GiB (65536 pages), Plumb's bound for every memory: -1.
        let past = call(&mut store, instance, "grow", &[Val::I64(65535)]).expect("grow");
        assert_eq!(past, Val::I64(-1), "{name}");
        assert_eq!(call(&mut store, instance, "grow", &[Val::I64(1 << 40)]).expect("grow"), Val::I64(-1));
        call(&mut store, instance, "fill", &[Val::I64(100), Val::I32(7), Val::I64(3)]).expect("fill");
        assert_eq!(
            call(&mut store, instance, "load", &[Val::I64(102)]).expect("load"),
            Val::I32(7),
            "{name}"
        );
        let fill_high = [Val::I64(1 << 32), Val::I32(7), Val::I64(1)];
        assert!(traps_out_of_bounds(call(&mut store, instance, "fill", &fill_high)), "{name}");
        // memory.copy from the 64-bit memory to the 32-bit one: i32 length.
        call(&mut store, instance, "copy_to_narrow", &[Val::I32(0), Val::I64(100), Val::I32(3)])
            .expect("copy");
        let narrow = instance.get_memory(&store, "narrow").expect("narrow");
        assert_eq!(narrow.data(&store)[..4], [7, 7, 7, 0], "{name}");
        let far = [Val::I32(0), Val::I64(1 << 33), Val::I32(1)];
        assert!(traps_out_of_bounds(call(&mut store, instance, "copy_to_narrow", &far)), "{name}");
    }
}

#[test]
fn memories_link_only_to_imports_of_their_address_type() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let narrow = plumb::Memory::new(&mut store, plumb::Limits { min: 1, max: None }).expect("memory");
    let mut linker = Linker::new(&engine);
    linker.define(&store, "host", "memory", Extern::Memory(narrow)).expect("define");
    let wants64 =
        Module::new(&engine, r#"(module (import "host" "memory" (memory i64 1)))"#).expect("compiles");
    let Err(err) = linker.instantiate(&mut store, &wants64) else { panic!("a 32-bit memory linked to i64") };
    assert!(err.to_string().contains("memory with i32 addresses, expected i64"), "{err}");
    let wants32 = Module::new(&engine, r#"(module (import "host" "memory" (memory 1)))"#).expect("compiles");
    linker.instantiate(&mut store, &wants32).expect("a 32-bit import links");
}

#[test]
fn without_memory64_a_64_bit_memory_is_invalid() {
    let mut config = Config::new();
    config.wasm_memory64(false);
    let engine = Engine::new(&config).expect("engine");
    let Err(err) = Module::new(&engine, "(module (memory i64 1))") else { panic!("memory64 accepted") };
    assert!(err.to_string().contains("memory64"), "{err}");
}
