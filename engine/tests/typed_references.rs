//! Typed function references at the embedding API: what the host puts into
//! a `(ref $t)` or `(ref null $t)` slot (a global, a table element, an
//! argument) must be a value of that exact type, as Wasm code could only
//! put one there. A null into a non-null slot, or a function of another
//! type, is a usage error, and the slot keeps its value.

use plumb::{Engine, Error, Func, Instance, Linker, Module, Store, Val};

const MODULE: &str = r#"(module
    (type $ii (func (param i32) (result i32)))
    (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (func $other (export "other") (param i64) (result i64) (local.get 0))
    (table $typed (export "typed") 2 4 (ref null $ii))
    (global $kept (export "kept") (mut (ref null $ii)) (ref.null $ii))
    (global $inc (export "inc") (ref $ii) (ref.func $inc))
    (func (export "get_inc") (result (ref $ii)) (global.get $inc))
    (func (export "call_kept") (param i32) (result i32) (call_ref $ii (local.get 0) (global.get $kept)))
    (func (export "call_arg") (param (ref $ii) i32) (result i32) (call_ref $ii (local.get 1) (local.get 0)))
    (elem declare func $inc))"#;

fn setup() -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).expect("the module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    (store, instance)
}

fn func(store: &Store<()>, instance: &Instance, name: &str) -> Func {
    instance.get_func(store, name).unwrap_or_else(|| panic!("no export {name}"))
}

fn is_usage(result: plumb::Result<()>) -> bool {
    matches!(result, Err(Error::Usage(_)))
}

#[test]
fn a_typed_global_takes_only_functions_of_its_type() {
    let (mut store, instance) = setup();
    let kept = instance.get_global(&store, "kept").expect("the global");
    let other = func(&store, &instance, "other");
    let mut inc = [Val::FuncRef(None)];
    func(&store, &instance, "get_inc").call(&mut store, &[], &mut inc).expect("returns $inc");
    assert!(is_usage(kept.set(&mut store, Val::FuncRef(Some(other)))), "a function of another type");
    assert!(matches!(kept.get(&store), Ok(Val::FuncRef(None))), "the global keeps its value");
    kept.set(&mut store, inc[0]).expect("a function of the global's type");
    kept.set(&mut store, Val::FuncRef(None)).expect("null, for a nullable type");
    kept.set(&mut store, inc[0]).expect("set again");
    let mut out = [Val::I32(0)];
    func(&store, &instance, "call_kept").call(&mut store, &[Val::I32(41)], &mut out).expect("calls $inc");
    assert_eq!(out[0], Val::I32(42));
}

#[test]
fn a_typed_table_takes_only_functions_of_its_type() {
    let (mut store, instance) = setup();
    let table = instance.get_table(&store, "typed").expect("the table");
    let other = Val::FuncRef(Some(func(&store, &instance, "other")));
    assert!(is_usage(table.set(&mut store, 0, other)), "set: a function of another type");
    assert!(
        matches!(table.grow(&mut store, 1, other), Err(Error::Usage(_))),
        "grow: a function of another type"
    );
    assert_eq!(table.size(&store).expect("size"), 2, "the table did not grow");
    let mut inc = [Val::FuncRef(None)];
    func(&store, &instance, "get_inc").call(&mut store, &[], &mut inc).expect("returns $inc");
    table.set(&mut store, 1, inc[0]).expect("a function of the table's type");
    assert_eq!(table.grow(&mut store, 1, Val::FuncRef(None)).expect("null, for a nullable type"), 2);
}

#[test]
fn a_non_null_argument_is_not_null_and_has_its_type() {
    let (mut store, instance) = setup();
    let call_arg = func(&store, &instance, "call_arg");
    let other = Val::FuncRef(Some(func(&store, &instance, "other")));
    let mut out = [Val::I32(0)];
    let null = call_arg.call(&mut store, &[Val::FuncRef(None), Val::I32(1)], &mut out);
    assert!(matches!(null, Err(Error::Usage(_))), "null for (ref $ii): {null:?}");
    let wrong = call_arg.call(&mut store, &[other, Val::I32(1)], &mut out);
    assert!(matches!(wrong, Err(Error::Usage(_))), "another type for (ref $ii): {wrong:?}");
    let mut inc = [Val::FuncRef(None)];
    func(&store, &instance, "get_inc").call(&mut store, &[], &mut inc).expect("returns $inc");
    call_arg.call(&mut store, &[inc[0], Val::I32(1)], &mut out).expect("the right type");
    assert_eq!(out[0], Val::I32(2));
}

#[test]
fn an_immutable_typed_global_stays_immutable() {
    let (mut store, instance) = setup();
    let inc = instance.get_global(&store, "inc").expect("the global");
    assert!(is_usage(inc.set(&mut store, Val::FuncRef(None))));
    assert!(matches!(inc.get(&store), Ok(Val::FuncRef(Some(_)))));
}
