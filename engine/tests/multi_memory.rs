//! Several memories (WebAssembly 3.0's multi-memory): each has its own
//! bytes, size, growth and guard region, every memory instruction reaches
//! the memory its index names, `memory.copy` moves bytes between two, data
//! segments fill any of them, and `Instance::get_memory` finds each by its
//! export name. With `Config::wasm_multi_memory(false)` a second memory is
//! invalid, as in WebAssembly 2.0.

use plumb::{
    Config, Engine, Error, Instance, InstanceAllocationStrategy, Linker, Memory, Module,
    PoolingAllocationConfig, Store, Val,
};

/// Three memories: an imported one (index 0) and two defined ones of 1 and
/// 2 pages, each with a data segment, and accessors taking the memory's
/// index as their name's suffix.
const MODULE: &str = r#"(module
  (import "host" "shared" (memory $shared 1))
  (memory $small (export "small") 1 3)
  (memory $large (export "large") 2)
  (export "shared" (memory $shared))
  (data (memory $shared) (i32.const 0) "zero")
  (data (memory $small) (i32.const 8) "small")
  (data (memory $large) (i32.const 70000) "large")
  (data $passive "passive")
  (func (export "load0") (param i32) (result i32) (i32.load8_u $shared (local.get 0)))
  (func (export "load1") (param i32) (result i32) (i32.load8_u $small (local.get 0)))
  (func (export "load2") (param i32) (result i32) (i32.load8_u $large (local.get 0)))
  (func (export "load2_far") (param i32) (result i32) (i32.load8_u $large offset=0xffffffff (local.get 0)))
  (func (export "store1") (param i32 i32) (i32.store8 $small (local.get 0) (local.get 1)))
  (func (export "store2_v128") (param i32)
    (v128.store $large (local.get 0) (v128.const i32x4 0x01020304 0x05060708 0x090a0b0c 0x0d0e0f10)))
  (func (export "size1") (result i32) (memory.size $small))
  (func (export "size2") (result i32) (memory.size $large))
  (func (export "grow1") (param i32) (result i32) (memory.grow $small (local.get 0)))
  (func (export "fill2") (param i32 i32 i32) (memory.fill $large (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_2_to_1") (param i32 i32 i32)
    (memory.copy $small $large (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init1") (param i32 i32 i32)
    (memory.init $small $passive (local.get 0) (local.get 1) (local.get 2))))"#;

fn instantiate(engine: &Engine) -> (Store<()>, Instance, Memory) {
    let module = Module::new(engine, MODULE).expect("compiles");
    let mut store = Store::new(engine, ());
    let shared = Memory::new(&mut store, plumb::Limits { min: 1, max: None }).expect("memory");
    let mut linker = Linker::new(engine);
    linker.define(&store, "host", "shared", plumb::Extern::Memory(shared)).expect("define");
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    (store, instance, shared)
}

fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[i32]) -> plumb::Result<i32> {
    let func = instance.get_func(&*store, name).expect("export");
    let args: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
    let mut results = vec![Val::I32(0); func.ty(&*store).expect("type").results().len()];
    func.call(&mut *store, &args, &mut results)?;
    Ok(match results.first() {
        Some(Val::I32(v)) => *v,
        _ => 0,
    })
}

fn traps_out_of_bounds(result: plumb::Result<i32>) -> bool {
    matches!(result, Err(Error::Trap(t)) if t.to_string().contains("out of bounds memory access"))
}

fn engines() -> Vec<(&'static str, Engine)> {
    let mut pooling = Config::new();
    pooling.allocation_strategy(InstanceAllocationStrategy::Pooling(PoolingAllocationConfig::new()));
    let mut engines =
        vec![("on demand", Engine::default()), ("pooling", Engine::new(&pooling).expect("pooling engine"))];
    if cfg!(target_arch = "x86_64") {
        // The machine-code checker accepts accesses through any memory's base.
        let mut checked = Config::new();
        checked.check_machine_code(true);
        engines.push(("checked", Engine::new(&checked).expect("checked engine")));
    }
    engines
}

#[test]
fn each_memory_has_its_own_bytes_found_by_its_export_name() {
    for (name, engine) in engines() {
        let (mut store, instance, shared) = instantiate(&engine);
        let small = instance.get_memory(&store, "small").expect("small is exported");
        let large = instance.get_memory(&store, "large").expect("large is exported");
        let again = instance.get_memory(&store, "shared").expect("shared is exported");
        assert_eq!(again.data(&store), shared.data(&store), "{name}");
        assert_eq!(&shared.data(&store)[..4], b"zero", "{name}");
        assert_eq!(&small.data(&store)[8..13], b"small", "{name}");
        assert_eq!(&large.data(&store)[70000..70005], b"large", "{name}");
        assert_eq!((small.data(&store).len(), large.data(&store).len()), (65536, 131072), "{name}");

        assert_eq!(call(&mut store, instance, "load0", &[0]).expect("load0"), i32::from(b'z'), "{name}");
        assert_eq!(call(&mut store, instance, "load1", &[8]).expect("load1"), i32::from(b's'), "{name}");
        assert_eq!(call(&mut store, instance, "load2", &[70000]).expect("load2"), i32::from(b'l'), "{name}");
        call(&mut store, instance, "store1", &[100, 42]).expect("store1");
        assert_eq!(small.data(&store)[100], 42, "{name}");
        assert_eq!((shared.data(&store)[100], large.data(&store)[100]), (0, 0), "{name}");
        call(&mut store, instance, "store2_v128", &[200]).expect("store2_v128");
        assert_eq!(large.data(&store)[200..204], [4, 3, 2, 1], "{name}");
        assert_eq!(small.data(&store)[200], 0, "{name}");
    }
}

#[test]
fn bounds_sizes_and_growth_are_per_memory() {
    for (name, engine) in engines() {
        let (mut store, instance, shared) = instantiate(&engine);
        // 70000 is inside the 2-page memory, past the 1-page ones.
        assert!(traps_out_of_bounds(call(&mut store, instance, "load1", &[70000])), "{name}");
        assert!(traps_out_of_bounds(call(&mut store, instance, "load0", &[70000])), "{name}");
        // The largest address and offset land in memory 2's guard region.
        assert!(traps_out_of_bounds(call(&mut store, instance, "load2_far", &[-1])), "{name}");
        assert_eq!(call(&mut store, instance, "size1", &[]).expect("size1"), 1, "{name}");
        assert_eq!(call(&mut store, instance, "grow1", &[2]).expect("grow1"), 1, "{name}");
        assert_eq!(call(&mut store, instance, "grow1", &[1]).expect("grow1 past max"), -1, "{name}");
        assert_eq!(call(&mut store, instance, "size1", &[]).expect("size1"), 3, "{name}");
        assert_eq!(call(&mut store, instance, "size2", &[]).expect("size2"), 2, "{name}");
        assert_eq!(shared.data(&store).len(), 65536, "{name}");
        assert_eq!(call(&mut store, instance, "load1", &[70000]).expect("grown"), 0, "{name}");
        let small = instance.get_memory(&store, "small").expect("small");
        assert_eq!(small.data(&store).len(), 3 * 65536, "{name}");
    }
}

#[test]
fn bulk_operations_name_their_memories() {
    for (name, engine) in engines() {
        let (mut store, instance, shared) = instantiate(&engine);
        let small = instance.get_memory(&store, "small").expect("small");
        let large = instance.get_memory(&store, "large").expect("large");
        call(&mut store, instance, "fill2", &[300, 7, 4]).expect("fill2");
        assert_eq!(large.data(&store)[299..305], [0, 7, 7, 7, 7, 0], "{name}");
        assert_eq!(small.data(&store)[300], 0, "{name}");
        call(&mut store, instance, "copy_2_to_1", &[20, 70000, 5]).expect("copy");
        assert_eq!(&small.data(&store)[20..25], b"large", "{name}");
        // Out of bounds in the source memory only: nothing is copied.
        assert!(traps_out_of_bounds(call(&mut store, instance, "copy_2_to_1", &[0, 131070, 4])), "{name}");
        assert!(traps_out_of_bounds(call(&mut store, instance, "copy_2_to_1", &[65534, 0, 4])), "{name}");
        call(&mut store, instance, "init1", &[40, 0, 7]).expect("init");
        assert_eq!(&small.data(&store)[40..47], b"passive", "{name}");
        assert_eq!(shared.data(&store)[40], 0, "{name}");
    }
}

#[test]
fn without_multi_memory_a_second_memory_is_invalid() {
    let mut config = Config::new();
    config.wasm_multi_memory(false);
    let engine = Engine::new(&config).expect("engine");
    let Err(err) = Module::new(&engine, "(module (memory 1) (memory 1))") else {
        panic!("two memories accepted")
    };
    assert!(err.to_string().contains("multiple memories"), "{err}");
    Module::new(&engine, "(module (memory 1))").expect("one memory is fine");
    Module::new(&Engine::default(), "(module (memory 1) (memory 1))").expect("on by default");
}
