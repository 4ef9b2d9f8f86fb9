//! Copy-on-write memory images (`Config::memory_init_cow`): a module's
//! memory starts with exactly the bytes its data segments would write,
//! every instance's writes stay its own, and modules an image cannot
//! describe still have their segments written, traps included.

use plumb::{
    Config, Engine, Error, Extern, InstanceAllocationStrategy, Limits, Linker, Module,
    PoolingAllocationConfig, Store, Table, TableType, Val, ValType,
};

/// Overlapping segments (the later one wins), one across a host-page
/// boundary, one at the very end of the initial size, an empty one at the
/// end, and a passive one for `memory.init`.
const SEGMENTS: &str = r#"(module
  (memory (export "memory") 2 5)
  (data (i32.const 10) "abcdefgh")
  (data (i32.const 12) "XY")
  (data (i32.const 4094) "page")
  (data (i32.const 70000) "second wasm page")
  (data (i32.const 131068) "last")
  (data (i32.const 131072) "")
  (data $passive "passive bytes")
  (func (export "init") (param i32 i32 i32) (memory.init $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_active") (param i32 i32) (memory.init 0 (local.get 0) (i32.const 0) (local.get 1)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

fn engine(cow: bool) -> Engine {
    Engine::new(Config::new().memory_init_cow(cow)).expect("engine")
}

fn instantiate(engine: &Engine, module: &Module) -> (Store<()>, plumb::Instance) {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module).expect("instantiates");
    (store, instance)
}

fn memory_bytes(engine: &Engine, module: &Module) -> Vec<u8> {
    let (store, instance) = instantiate(engine, module);
    instance.get_memory(&store, "memory").expect("memory").data(&store).to_vec()
}

/// The name of the mapping of this process that holds `address`.
fn mapping_of(address: *const u8) -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let address = address as usize;
    maps.lines()
        .find(|line| {
            let range = line.split_whitespace().next().unwrap_or_default();
            let (start, end) = range.split_once('-').unwrap_or_default();
            let parse = |s| usize::from_str_radix(s, 16).unwrap_or_default();
            (parse(start)..parse(end)).contains(&address)
        })
        .map(|line| line.split_whitespace().nth(5).unwrap_or("").to_string())
        .unwrap_or_default()
}

#[test]
fn a_memory_from_an_image_holds_what_the_segments_would_write() {
    let (with, without) = (engine(true), engine(false));
    let image = memory_bytes(&with, &Module::new(&with, SEGMENTS).expect("compiles"));
    let written = memory_bytes(&without, &Module::new(&without, SEGMENTS).expect("compiles"));
    assert_eq!(image.len(), 2 * 65536);
    assert!(image == written, "the image differs from the written segments");
    assert_eq!(&image[10..18], b"abXYefgh");
    assert_eq!(&image[4094..4098], b"page");
    assert_eq!(&image[131068..], b"last");
    assert!(image[..10].iter().chain(&image[18..4094]).all(|&b| b == 0));
}

#[test]
fn an_eligible_module_maps_its_image_and_the_others_do_not() {
    let engine = engine(true);
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, SEGMENTS).expect("compiles");
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let memory = instance.get_memory(&store, "memory").expect("memory");
    // Pages holding segments come from the image, pages past them do not.
    assert!(mapping_of(&memory.data(&store)[4094]).contains("plumb-memory-image"));
    assert!(mapping_of(&memory.data(&store)[131068]).contains("plumb-memory-image"));

    let global_offset = r#"(module
      (import "env" "at" (global i32))
      (memory (export "memory") 1)
      (data (global.get 0) "by global"))"#;
    let module = Module::new(&engine, global_offset).expect("compiles");
    let mut linker = Linker::new(&engine);
    let at = plumb::Global::new(
        &mut store,
        plumb::GlobalType { content: ValType::I32, mutable: false },
        Val::I32(100),
    )
    .expect("global");
    linker.define(&store, "env", "at", Extern::Global(at)).expect("defines");
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    let memory = instance.get_memory(&store, "memory").expect("memory");
    assert_eq!(&memory.data(&store)[100..109], b"by global");
    assert!(!mapping_of(&memory.data(&store)[100]).contains("plumb-memory-image"));
}

#[test]
fn writes_to_a_memory_from_an_image_stay_in_that_instance() {
    let engine = engine(true);
    let module = Module::new(&engine, SEGMENTS).expect("compiles");
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let first = linker.instantiate(&mut store, &module).expect("instantiates");
    let second = linker.instantiate(&mut store, &module).expect("instantiates");
    let store_to = first.get_typed_func::<(i32, i32), ()>(&store, "store").expect("store");
    store_to.call(&mut store, (10, i32::from(b'!'))).expect("writes");
    first.get_memory(&store, "memory").expect("memory").write(&mut store, 4094, b"host").expect("writes");

    let load = |store: &mut Store<()>, instance: plumb::Instance, at: i32| {
        instance.get_typed_func::<i32, i32>(&*store, "load").expect("load").call(store, at).expect("loads")
    };
    assert_eq!(load(&mut store, first, 10), i32::from(b'!'));
    assert_eq!(load(&mut store, second, 10), i32::from(b'a'));
    assert_eq!(&second.get_memory(&store, "memory").expect("memory").data(&store)[4094..4098], b"page");
    // A new store's instance starts from the image again.
    assert_eq!(&memory_bytes(&engine, &module)[4094..4098], b"page");
}

#[test]
fn active_segments_are_dropped_and_passive_ones_kept() {
    let engine = engine(true);
    let module = Module::new(&engine, SEGMENTS).expect("compiles");
    let (mut store, instance) = instantiate(&engine, &module);
    let init = instance.get_typed_func::<(i32, i32, i32), ()>(&store, "init").expect("init");
    init.call(&mut store, (200, 0, 13)).expect("memory.init of a passive segment");
    let memory = instance.get_memory(&store, "memory").expect("memory");
    assert_eq!(&memory.data(&store)[200..213], b"passive bytes");
    let init_active = instance.get_typed_func::<(i32, i32), ()>(&store, "init_active").expect("init_active");
    init_active.call(&mut store, (0, 0)).expect("an empty memory.init of a dropped segment");
    let err = init_active.call(&mut store, (0, 1)).expect_err("the active segment is dropped");
    assert!(err.to_string().contains("out of bounds memory access"), "{err}");
}

#[test]
fn a_memory_from_an_image_grows_with_zero_pages_and_traps_past_its_size() {
    let engine = engine(true);
    let module = Module::new(&engine, SEGMENTS).expect("compiles");
    let (mut store, instance) = instantiate(&engine, &module);
    let load = instance.get_typed_func::<i32, i32>(&store, "load").expect("load");
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").expect("grow");
    let err = load.call(&mut store, 2 * 65536).expect_err("past the initial size");
    assert!(err.to_string().contains("out of bounds memory access"), "{err}");
    assert_eq!(grow.call(&mut store, 1).expect("grows"), 2);
    assert_eq!(load.call(&mut store, 2 * 65536).expect("loads a new page"), 0);
    assert_eq!(load.call(&mut store, 131068).expect("the image's bytes stay"), i32::from(b'l'));
    assert_eq!(grow.call(&mut store, 3).expect("past the maximum"), -1);
}

#[test]
fn a_deserialized_module_starts_from_its_image() {
    let engine = engine(true);
    let bytes = Module::new(&engine, SEGMENTS).expect("compiles").serialize().expect("serializes");
    // SAFETY: written by `Module::serialize` just above.
    let module = unsafe { Module::deserialize(&engine, &bytes) }.expect("loads");
    let (store, instance) = instantiate(&engine, &module);
    let memory = instance.get_memory(&store, "memory").expect("memory");
    assert_eq!(&memory.data(&store)[10..18], b"abXYefgh");
    assert!(mapping_of(&memory.data(&store)[10]).contains("plumb-memory-image"));
    assert!(
        memory_bytes(&engine, &module)
            == memory_bytes(&engine, &Module::new(&engine, SEGMENTS).expect("compiles"))
    );
}

#[test]
fn a_segment_past_the_initial_size_still_traps() {
    let engine = engine(true);
    let text = r#"(module
      (memory (export "memory") 1)
      (data (i32.const 0) "kept")
      (data (i32.const 65535) "xx"))"#;
    let module = Module::new(&engine, text).expect("compiles");
    let mut store = Store::new(&engine, ());
    let err = Linker::new(&engine).instantiate(&mut store, &module).expect_err("traps");
    assert!(matches!(&err, Error::Trap(t) if t.to_string().contains("out of bounds memory access")), "{err}");
}

#[test]
fn an_element_segment_trap_leaves_the_memory_without_its_data() {
    // Spec §4.5.4: element segments are applied before data segments, so a
    // function an earlier element segment put in an imported table sees a
    // memory without the data when a later element segment traps. In a
    // pool of one slot, the failing instantiation gets the slot that still
    // holds the image the successful one left.
    let mut pooling = Config::new();
    let one_slot = PoolingAllocationConfig::new().total_memories(1).clone();
    pooling.allocation_strategy(InstanceAllocationStrategy::Pooling(one_slot));
    let engines = [
        ("images", engine(true)),
        ("no images", engine(false)),
        ("pooling", Engine::new(&pooling).expect("engine")),
    ];
    for (label, engine) in engines {
        let text = r#"(module
          (import "env" "table" (table 2 funcref))
          (memory 1)
          (data (i32.const 0) "\2a")
          (func $read (result i32) (i32.load8_u (i32.const 0)))
          (elem (i32.const 0) $read)
          (elem (i32.const 1) $read $read))"#;
        let module = Module::new(&engine, text).expect("compiles");
        // Instantiates with an imported table of `size` elements, then
        // calls the function the first element segment put in it.
        let attempt = |size: u64| {
            let mut store = Store::new(&engine, ());
            let ty = TableType { element: ValType::FuncRef, limits: Limits { min: size, max: None } };
            let table = Table::new(&mut store, ty, Val::FuncRef(None)).expect("table");
            let mut linker = Linker::new(&engine);
            linker.define(&store, "env", "table", Extern::Table(table)).expect("defines");
            let outcome = linker.instantiate(&mut store, &module).map(|_| ());
            let Some(Val::FuncRef(Some(read))) = table.get(&store, 0).expect("table") else {
                panic!("the first segment was applied")
            };
            let mut result = [Val::I32(-1)];
            read.call(&mut store, &[], &mut result).expect("reads");
            (outcome, result[0])
        };
        assert!(matches!(attempt(3), (Ok(()), Val::I32(42))), "{label}");
        let (outcome, read) = attempt(2);
        assert!(outcome.is_err_and(|e| e.to_string().contains("out of bounds table access")), "{label}");
        assert_eq!(read, Val::I32(0), "{label}");
    }
}
