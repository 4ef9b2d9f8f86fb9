//! The pooling allocator (`Config::allocation_strategy`): memories come from
//! reserved slots that are reset and reused, and nothing of that can be
//! seen by a guest: guard pages stay in place past every memory's size, a
//! reused slot never shows an earlier instance's bytes, and running out of
//! slots is an error that names the limit. (An element segment's trap in a
//! slot that holds the module's image: `memory_images.rs`.)

use plumb::{
    Config, Engine, Error, Instance, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig,
    Store, Val,
};

fn pooling(limits: &PoolingAllocationConfig) -> Engine {
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(limits.clone()));
    Engine::new(&config).expect("engine")
}

/// A pool of `memories` slots and plenty of everything else.
fn pool_of(memories: u32) -> Engine {
    pooling(PoolingAllocationConfig::new().total_memories(memories))
}

/// A module with memory `pages` (maximum 8) holding `data` at 16, with
/// accessors for bytes and words and `memory.grow`.
fn module(engine: &Engine, pages: u32, data: &str) -> Module {
    let text = format!(
        r#"(module
          (memory (export "memory") {pages} 8)
          (data (i32.const 16) "{data}")
          (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "load_far") (param i32) (result i32) (i32.load8_u offset=0xffffffff (local.get 0)))
          (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#
    );
    Module::new(engine, text).expect("compiles")
}

fn instantiate(engine: &Engine, module: &Module) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module).expect("instantiates");
    (store, instance)
}

fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> plumb::Result<Val> {
    let func = instance.get_func(&*store, name).expect("export");
    let mut results = vec![Val::I32(0); func.ty(&*store).expect("type").results().len()];
    func.call(&mut *store, args, &mut results)?;
    Ok(results.first().copied().unwrap_or(Val::I32(0)))
}

fn load(store: &mut Store<()>, instance: Instance, address: i32) -> plumb::Result<Val> {
    call(store, instance, "load", &[Val::I32(address)])
}

fn traps_out_of_bounds(result: plumb::Result<Val>) -> bool {
    matches!(result, Err(Error::Trap(t)) if t.to_string().contains("out of bounds memory access"))
}

fn memory_start(store: &Store<()>, instance: Instance) -> usize {
    instance.get_memory(store, "memory").expect("memory").data(store).as_ptr() as usize
}

#[test]
fn pooled_instances_start_like_on_demand_ones() {
    let engine = pool_of(4);
    let on_demand = Engine::default();
    let (store, instance) = instantiate(&engine, &module(&engine, 2, "pooled"));
    let (other, reference) = instantiate(&on_demand, &module(&on_demand, 2, "pooled"));
    let memory = instance.get_memory(&store, "memory").expect("memory").data(&store);
    assert!(memory == reference.get_memory(&other, "memory").expect("memory").data(&other));
    assert_eq!(&memory[16..22], b"pooled");
}

#[test]
fn guard_pages_stay_past_every_pooled_memory_also_after_reuse_by_a_smaller_one() {
    let engine = pool_of(1);
    let large = module(&engine, 3, "large");
    let small = module(&engine, 1, "small");
    let slot = {
        let (mut store, instance) = instantiate(&engine, &large);
        assert_eq!(call(&mut store, instance, "grow", &[Val::I32(2)]).expect("grows"), Val::I32(3));
        call(&mut store, instance, "store", &[Val::I32(5 * 65536 - 1), Val::I32(7)]).expect("stores");
        assert!(traps_out_of_bounds(load(&mut store, instance, 5 * 65536)));
        memory_start(&store, instance)
    };
    for round in 0..2 {
        let (mut store, instance) = instantiate(&engine, &small);
        assert_eq!(memory_start(&store, instance), slot, "one slot, reused");
        assert_eq!(load(&mut store, instance, 65535).expect("in bounds"), Val::I32(0));
        for address in [65536, 3 * 65536, 5 * 65536 - 1, -1, i32::MIN] {
            assert!(traps_out_of_bounds(load(&mut store, instance, address)), "round {round}, {address:#x}");
        }
        // The 4 GiB guard region past the index space is there too.
        assert!(traps_out_of_bounds(call(&mut store, instance, "load_far", &[Val::I32(-1)])));
        let memory = instance.get_memory(&store, "memory").expect("memory");
        assert_eq!(memory.data(&store).len(), 65536);
        // Growing the smaller memory gives zero pages, not the old ones.
        assert_eq!(call(&mut store, instance, "grow", &[Val::I32(4)]).expect("grows"), Val::I32(1));
        assert_eq!(load(&mut store, instance, 5 * 65536 - 1).expect("grown"), Val::I32(0));
        assert!(traps_out_of_bounds(load(&mut store, instance, 5 * 65536)));
    }
}

#[test]
fn a_reused_slot_never_shows_a_previous_instances_data() {
    let engine = pool_of(1);
    let first = module(&engine, 2, "first module");
    let second = module(&engine, 3, "second");
    let secret = b"secret!";
    let write_secret = |module: &Module| {
        let (mut store, instance) = instantiate(&engine, module);
        call(&mut store, instance, "grow", &[Val::I32(1)]).expect("grows");
        let memory = instance.get_memory(&store, "memory").expect("memory");
        // Over the image's bytes, in the image's page past them, in a zero
        // page of the initial size, and in a grown page.
        for at in [16, 1000, 70_000, 2 * 65536 + 5] {
            memory.write(&mut store, at, secret).expect("host write");
            call(&mut store, instance, "store", &[Val::I32(at as i32 + 7), Val::I32(0x5e)]).expect("stores");
        }
        drop(store);
    };
    let reads_initially = |module: &Module, expected: &[u8]| {
        let (store, instance) = instantiate(&engine, module);
        let memory = instance.get_memory(&store, "memory").expect("memory").data(&store);
        assert_eq!(&memory[16..16 + expected.len()], expected);
        assert!(memory[..16].iter().chain(&memory[16 + expected.len()..]).all(|&b| b == 0), "secret seen");
    };
    write_secret(&first);
    reads_initially(&first, b"first module");
    write_secret(&first);
    reads_initially(&second, b"second");
    write_secret(&second);
    reads_initially(&first, b"first module");
}

#[test]
fn a_pooled_memory_grows_no_further_than_max_memory_size() {
    let engine = pooling(PoolingAllocationConfig::new().total_memories(2).max_memory_size(3 * 65536));
    let (mut store, instance) = instantiate(&engine, &module(&engine, 2, "x"));
    assert_eq!(call(&mut store, instance, "grow", &[Val::I32(2)]).expect("grow"), Val::I32(-1));
    assert_eq!(call(&mut store, instance, "grow", &[Val::I32(1)]).expect("grow"), Val::I32(2));
    let too_large = module(&engine, 4, "x");
    let mut store = Store::new(&engine, ());
    let err = Linker::new(&engine).instantiate(&mut store, &too_large).expect_err("too large");
    assert!(matches!(&err, Error::Resource(m) if m.contains("max_memory_size")), "{err}");
}

#[test]
fn images_of_deserialized_modules_work_in_the_pool() {
    let engine = pool_of(1);
    let bytes = module(&engine, 1, "precompiled").serialize().expect("serializes");
    // SAFETY: written by `Module::serialize` just above.
    let loaded = unsafe { Module::deserialize(&engine, &bytes) }.expect("loads");
    for _ in 0..2 {
        let (mut store, instance) = instantiate(&engine, &loaded);
        let memory = instance.get_memory(&store, "memory").expect("memory");
        assert_eq!(&memory.data(&store)[16..27], b"precompiled");
        call(&mut store, instance, "store", &[Val::I32(16), Val::I32(i32::from(b'P'))]).expect("stores");
        assert_eq!(&memory.data(&store)[16..18], b"Pr");
    }
}

#[test]
fn running_out_of_slots_is_an_error_naming_the_limit_until_a_store_drops() {
    let cases = [
        (PoolingAllocationConfig::new().total_memories(2).clone(), "total_memories"),
        (PoolingAllocationConfig::new().total_core_instances(2).clone(), "total_core_instances"),
        (PoolingAllocationConfig::new().total_tables(2).clone(), "total_tables"),
    ];
    for (limits, name) in cases {
        let engine = pooling(&limits);
        let module = Module::new(&engine, "(module (memory 1) (table 1 funcref))").expect("compiles");
        let linker = Linker::new(&engine);
        let mut first = Store::new(&engine, ());
        linker.instantiate(&mut first, &module).expect("first");
        let mut second = Store::new(&engine, ());
        linker.instantiate(&mut second, &module).expect("second");
        let err = linker.instantiate(&mut second, &module).expect_err("the pool is empty");
        assert!(matches!(&err, Error::Resource(m) if m.contains(name)), "{name}: {err}");
        drop(first);
        linker.instantiate(&mut second, &module).expect("a dropped store gave its slots back");
    }
    let engine = pooling(PoolingAllocationConfig::new().total_memories(1).table_elements(10));
    let module = Module::new(&engine, "(module (table 11 funcref))").expect("compiles");
    let err = Linker::new(&engine).instantiate(&mut Store::new(&engine, ()), &module).expect_err("too large");
    assert!(matches!(&err, Error::Resource(m) if m.contains("table_elements")), "{err}");
}

#[test]
fn stores_on_several_threads_take_and_give_back_slots() {
    let engine = pool_of(4);
    let module = module(&engine, 1, "initial");
    std::thread::scope(|scope| {
        for thread in 0..4u8 {
            let (engine, module) = (&engine, &module);
            scope.spawn(move || {
                for round in 0..50 {
                    let (mut store, instance) = instantiate(engine, module);
                    let memory = instance.get_memory(&store, "memory").expect("memory");
                    let data = memory.data(&store);
                    assert_eq!(&data[16..23], b"initial", "thread {thread}, round {round}");
                    assert!(data[23..].iter().all(|&b| b == 0), "thread {thread} sees another's bytes");
                    memory.write(&mut store, 16, &[thread; 7]).expect("writes");
                    memory.write(&mut store, 40_000, &[thread; 64]).expect("writes");
                    assert!(traps_out_of_bounds(load(&mut store, instance, 65536)));
                }
            });
        }
    });
}
