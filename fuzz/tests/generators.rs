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
    assert_eq!(names.iter().filter(|n| n.starts_with("plumb.")).count(), 9, "{names:?}");
}

#[test]
fn a_module_without_memory_is_left_alone() {
    let bytes = wat::parse_str(r#"(module (func (export "f")))"#).expect("valid text");
    assert_eq!(with_memory_probes(&bytes).expect("no error"), bytes);
}
