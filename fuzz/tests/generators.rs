//! The generators' own guarantees.

use plumb_fuzz::generators::with_memory_probes;

#[test]
fn memory_probes_are_added_valid_and_exported() {
    let text = r#"(module (memory 1 1) (func (export "f") (result i32) i32.const 1))"#;
    let bytes = wat::parse_str(text).expect("valid text");
    let probed = with_memory_probes(&bytes).expect("probes added");
    let module = plumb_oracles::interp::Module::new(&probed).expect("the probed module validates");
    let names: Vec<&str> = module.exports.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"f"), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("plumb.")).count(), 19, "{names:?}");
}

/// `text` with the probes, instantiated on the engine.
fn probed_instance(text: &str) -> (plumb::Store<()>, plumb::Instance) {
    let bytes = wat::parse_str(text).expect("valid text");
    let probed = with_memory_probes(&bytes).expect("probes added");
    let engine = plumb::Engine::default();
    let module = plumb::Module::new(&engine, &probed).expect("the probed module compiles");
    let mut store = plumb::Store::new(&engine, ());
    let instance = plumb::Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    (store, instance)
}

#[test]
fn the_tail_call_probe_passes_its_arguments_in_order() {
    let (mut store, instance) = probed_instance(r#"(module (memory 1 1) (func (export "f")))"#);
    let probe =
        instance.get_typed_func::<(i32, i32), i32>(&store, "plumb.return_call_sub").expect("the probe");
    assert_eq!(probe.call(&mut store, (7, 3)).expect("runs"), 4);
}

#[test]
fn a_64_bit_memory_gets_probes_with_64_bit_addresses() {
    let bytes = wat::parse_str(r#"(module (memory i64 1 1) (func (export "f")))"#).expect("valid text");
    let probed = with_memory_probes(&bytes).expect("probes added");
    let engine = plumb::Engine::default();
    let module = plumb::Module::new(&engine, &probed).expect("the probed module compiles");
    let mut store = plumb::Store::new(&engine, ());
    let instance = plumb::Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let round_trip = instance
        .get_typed_func::<(i64, i32), i32>(&store, "plumb.memory64_store8_load8_u")
        .expect("the probe");
    assert_eq!(round_trip.call(&mut store, (0x1_0000_0005, 0x1ab)).expect("in bounds"), 0xab);
    // 2^32 + 5: out of bounds, whatever its low half.
    let high = instance.get_typed_func::<i64, i32>(&store, "plumb.memory64_load8_u_high").expect("the probe");
    let trap = high.call(&mut store, 5).expect_err("2^32 + 5 is out of bounds");
    assert!(trap.to_string().contains("out of bounds memory access"), "{trap}");
}

#[test]
fn a_module_without_memory_gets_the_code_probes_only() {
    let bytes = wat::parse_str(r#"(module (func (export "f")))"#).expect("valid text");
    let probed = with_memory_probes(&bytes).expect("probes added");
    let module = plumb_oracles::interp::Module::new(&probed).expect("the probed module validates");
    let names: Vec<&str> = module.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "f",
            "plumb.return_call_sub",
            "plumb.sub",
            "plumb.catch_own_tag",
            "plumb.catch_other_tag",
            "plumb.rethrow_caught",
            "plumb.relaxed_laneselect"
        ]
    );
    assert!(active_segments(&probed).is_empty(), "no memory, no segment");
}

#[test]
fn a_module_without_functions_is_left_alone() {
    let bytes = wat::parse_str(r#"(module (memory 1))"#).expect("valid text");
    assert_eq!(with_memory_probes(&bytes).expect("no error"), bytes);
}

#[test]
fn the_exception_probes_catch_by_tag_identity() {
    // A module with a tag of its own, of the probe tags' type: the probe
    // tags come after it.
    let text = r#"(module (tag (param i32)) (func (export "f") (param i32) (throw 0 (local.get 0))))"#;
    let probed = with_memory_probes(&wat::parse_str(text).expect("valid text")).expect("probes added");
    let engine = plumb::Engine::default();
    let module = plumb::Module::new(&engine, &probed).expect("the probed module compiles");
    let mut store = plumb::Store::new(&engine, ());
    let instance = plumb::Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let probe = |store: &mut plumb::Store<()>, name: &str, x: i32| {
        let f = instance.get_typed_func::<i32, i32>(&*store, name).expect("the probe");
        f.call(store, x)
    };
    assert_eq!(probe(&mut store, "plumb.catch_own_tag", 5).expect("caught"), 5);
    assert_eq!(probe(&mut store, "plumb.rethrow_caught", 6).expect("caught"), 6);
    let Err(plumb::Error::Trap(trap)) = probe(&mut store, "plumb.catch_other_tag", 7) else {
        panic!("the other tag's exception was caught")
    };
    let exception = trap.exception().expect("uncaught");
    assert_eq!(exception.payload, vec![plumb::Val::I32(7)]);
}

/// The data segments of `bytes`: (offset, length) of each active one.
fn active_segments(bytes: &[u8]) -> Vec<(i32, usize)> {
    let mut segments = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::DataSection(reader)) = payload {
            for data in reader.into_iter().flatten() {
                if let wasmparser::DataKind::Active { offset_expr, .. } = data.kind {
                    let mut ops = offset_expr.get_operators_reader();
                    if let Ok(wasmparser::Operator::I32Const { value }) = ops.read() {
                        segments.push((value, data.data.len()));
                    }
                }
            }
        }
    }
    segments
}

#[test]
fn an_edge_data_segment_ends_where_memory_ends() {
    // With a data count section (data.drop needs one), which must count it.
    let text = r#"(module (memory 2 3) (data (i32.const 4) "ab")
        (func (export "f") (data.drop 0)))"#;
    let probed = with_memory_probes(&wat::parse_str(text).expect("valid text")).expect("probes added");
    plumb_oracles::interp::Module::new(&probed).expect("the probed module validates");
    assert_eq!(active_segments(&probed), vec![(4, 2), (2 * 65536 - 8, 8)]);
    // Without a data section, and with a memory of no pages: an empty
    // segment at offset 0.
    let text = r#"(module (memory 0) (func (export "f")))"#;
    let probed = with_memory_probes(&wat::parse_str(text).expect("valid text")).expect("probes added");
    plumb_oracles::interp::Module::new(&probed).expect("the probed module validates");
    assert_eq!(active_segments(&probed), vec![(0, 0)]);
}

#[test]
fn the_relaxed_simd_probe_selects_by_the_mask() {
    let (mut store, instance) = probed_instance(r#"(module (func (export "f")))"#);
    let probe =
        instance.get_typed_func::<(i32, i64), u128>(&store, "plumb.relaxed_laneselect").expect("the probe");
    let (a, b) = (0x1122_3344u32, 0x5566_7788_99aa_bbccu64);
    let a4 = u128::from(a) * 0x0000_0001_0000_0001_0000_0001_0000_0001;
    let b2 = u128::from(b) * 0x0000_0000_0000_0001_0000_0000_0000_0001;
    let mask = u128::from_le_bytes([0xff, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0, 0xff, 0xff, 0, 0, 0xff]);
    let want = (a4 & mask) | (b2 & !mask);
    assert_eq!(probe.call(&mut store, (a as i32, b as i64)).expect("runs"), want);
}
