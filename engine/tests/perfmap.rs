//! `Config::perfmap`: each compiled module's functions appear in
//! `/tmp/perf-PID.map` with their address, size and name.

use plumb::{Config, Engine, Linker, Module, Store};

#[test]
fn compiled_functions_are_in_the_perf_map_by_name() {
    let engine = Engine::new(Config::new().perfmap(true)).expect("an engine");
    let text = r#"(module
        (func $perfmap_probe_add (export "add") (param i32 i32) (result i32)
          (i32.add (local.get 0) (local.get 1)))
        (func (export "unnamed") (result i32) (i32.const 7)))"#;
    let module = Module::new(&engine, text).expect("compiles");
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let map = std::fs::read_to_string(&path).expect("the perf map is written");
    let line = map.lines().find(|l| l.ends_with("wasm[0]::perfmap_probe_add")).expect("the named function");
    let fields: Vec<&str> = line.split(' ').collect();
    let start = u64::from_str_radix(fields[0], 16).expect("a hex start");
    let size = u64::from_str_radix(fields[1], 16).expect("a hex size");
    assert!(start > 0 && size > 0, "{line}");
    assert!(map.lines().any(|l| l.ends_with(" wasm[1]")), "the unnamed function, by index:\n{map}");
    assert!(map.lines().any(|l| l.contains("wasm-entry[type ")), "the entry trampolines:\n{map}");
    // The address is the function's: calling it runs code in that range.
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add").expect("add");
    assert_eq!(add.call(&mut store, (2, 3)).expect("runs"), 5);
}

#[test]
fn without_the_setting_nothing_is_written_for_a_module() {
    let engine = Engine::default();
    let text = r#"(module (func $perfmap_never_written (export "f")))"#;
    Module::new(&engine, text).expect("compiles");
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let map = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(!map.contains("perfmap_never_written"), "{map}");
}
