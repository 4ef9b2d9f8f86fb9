//! Resource limits (`Store::limiter`, `StoreLimits`): a limiter decides
//! every memory and table creation and growth, from Wasm or from the host,
//! and bounds how many instances, memories and tables a store holds.

use plumb::{
    Engine, Error, Limits, Linker, Memory, Module, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder,
    TableType, Val, ValType,
};

const GROWER: &str = r#"(module
  (memory (export "memory") 1)
  (table 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"#;

fn limited(limits: StoreLimits) -> (Engine, Store<StoreLimits>) {
    let engine = Engine::default();
    let mut store = Store::new(&engine, limits);
    store.limiter(|limits| limits);
    (engine, store)
}

#[test]
fn a_memory_bomb_is_refused_at_the_limit_with_minus_one() {
    let (engine, mut store) = limited(StoreLimitsBuilder::new().memory_size(4 << 20).build());
    let module = Module::new(&engine, GROWER).expect("compiles");
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").expect("grow");
    // Doubling until denied: 1 → 2 → 4 → ... pages, up to 64 pages (4 MiB).
    let mut pages = 1;
    loop {
        let old = grow.call(&mut store, pages).expect("memory.grow does not trap");
        if old == -1 {
            break;
        }
        assert_eq!(old, pages);
        pages *= 2;
    }
    assert_eq!(pages, 64, "grew to {pages} pages");
    let memory = instance.get_memory(&store, "memory").expect("memory");
    assert_eq!(memory.size(&store), 64);
    // The host's own growth is limited too.
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(grow.call(&mut store, 0).expect("size"), 64);
}

#[test]
fn instantiating_past_a_limit_is_an_error_naming_it() {
    let (engine, mut store) = limited(StoreLimitsBuilder::new().memory_size(1 << 16).instances(2).build());
    let big = Module::new(&engine, "(module (memory 2))").expect("compiles");
    let err = Linker::new(&engine).instantiate(&mut store, &big).expect_err("two pages are too many");
    assert!(matches!(err, Error::Resource(_)) && err.to_string().contains("131072 bytes"), "{err}");
    let small = Module::new(&engine, "(module)").expect("compiles");
    Linker::new(&engine).instantiate(&mut store, &small).expect("first instance");
    Linker::new(&engine).instantiate(&mut store, &small).expect("second instance");
    let err = Linker::new(&engine).instantiate(&mut store, &small).expect_err("a third");
    assert!(err.to_string().contains("limit of 2 instances"), "{err}");
}

#[test]
fn tables_and_counts_of_memories_and_tables_are_limited() {
    let (engine, mut store) =
        limited(StoreLimitsBuilder::new().table_elements(3).memories(1).tables(2).build());
    let module = Module::new(&engine, GROWER).expect("compiles");
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let grow_table = instance.get_typed_func::<i32, i32>(&store, "grow_table").expect("grow_table");
    assert_eq!(grow_table.call(&mut store, 2).expect("to 3"), 1);
    assert_eq!(grow_table.call(&mut store, 1).expect("denied"), -1);
    let err = Memory::new(&mut store, Limits { min: 0, max: None }).expect_err("a second memory");
    assert!(err.to_string().contains("limit of 1 memories"), "{err}");
    let ty = TableType { element: ValType::FuncRef, limits: Limits { min: 0, max: None } };
    plumb::Table::new(&mut store, ty, Val::FuncRef(None)).expect("a second table");
    let err = plumb::Table::new(&mut store, ty, Val::FuncRef(None)).expect_err("a third table");
    assert!(err.to_string().contains("limit of 2 tables"), "{err}");
}

/// A limiter that records what it was asked and fails past 3 pages.
#[derive(Default)]
struct Recorder {
    asked: Vec<(usize, usize, Option<usize>)>,
}

impl ResourceLimiter for Recorder {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> plumb::Result<bool> {
        self.asked.push((current, desired, maximum));
        if desired > 3 << 16 { Err(Error::Resource("the recorder refuses".into())) } else { Ok(true) }
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> plumb::Result<bool> {
        Ok(true)
    }
}

#[test]
fn a_custom_limiter_sees_sizes_in_bytes_and_its_error_traps_memory_grow() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Recorder::default());
    store.limiter(|recorder| recorder);
    let module = Module::new(
        &engine,
        r#"(module (memory 1 10) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )
    .expect("compiles");
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").expect("grow");
    assert_eq!(grow.call(&mut store, 2).expect("to 3 pages"), 1);
    let err = grow.call(&mut store, 1).expect_err("the limiter's error traps");
    assert!(err.to_string().contains("the recorder refuses"), "{err}");
    // Past the declared maximum the limiter is not asked: it is -1 anyway.
    assert_eq!(grow.call(&mut store, 100).expect("past the maximum"), -1);
    let page = 1 << 16;
    let max = Some(10 * page);
    assert_eq!(store.data().asked, vec![(0, page, max), (page, 3 * page, max), (3 * page, 4 * page, max)]);
}
