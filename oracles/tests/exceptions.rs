//! Exception handling (Wasm 3.0) on the reference interpreter:
//! `wast/exceptions.wast` checks what the spec scripts leave out — tag
//! identity across instances, and that traps and stack exhaustion are never
//! caught — and the tests here how an uncaught exception reaches the
//! embedder.

use plumb_oracles::interp::{ExternVal, Module, Store};
use plumb_oracles::wast::{InterpBackend, run_script};
use plumb_oracles::{TrapCode, Value};

/// The binary of a module in the text format.
fn binary(text: &str) -> Vec<u8> {
    let buffer = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut module: wast::Wat = wast::parser::parse(&buffer).expect("parses");
    module.encode().expect("encodes")
}

#[test]
fn tags_are_per_instance_and_traps_are_never_caught_on_the_interpreter() {
    let report = run_script(include_str!("wast/exceptions.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(
        report.passed, 14,
        "a definition, two instances, two registrations, a module, eight assertions"
    );
}

#[test]
fn an_uncaught_exception_ends_the_invocation_with_its_tag_and_payload() {
    let bytes = binary(
        r#"(module
             (tag $e (export "e") (param i32 i64))
             (func (export "f") (i32.const 1) (i64.const 2) (throw $e)))"#,
    );
    let module = Module::new(&bytes).expect("valid module");
    let mut store = Store::new();
    let instance = store.instantiate(&module, &[]).expect("instantiates");
    let Some(ExternVal::Func(f)) = store.export(instance, "f") else { panic!("f is exported") };
    let Some(ExternVal::Tag(tag)) = store.export(instance, "e") else { panic!("e is exported") };
    let trap = store.invoke(f, &[]).expect_err("the exception escapes");
    assert_eq!(trap.code, TrapCode::UncaughtException);
    let exception = trap.exception().expect("the exception is reported");
    assert_eq!(exception.tag, tag);
    assert_eq!(exception.payload, vec![Value::I32(1), Value::I64(2)]);
}

#[test]
fn throw_is_charged_fuel_like_the_other_control_instructions() {
    let bytes = binary(
        r#"(module
             (tag $e)
             (func (export "f") (result i32)
               (block $h (try_table (catch_all $h) (throw $e)))
               (i32.const 1)))"#,
    );
    let module = Module::new(&bytes).expect("valid module");
    let mut store = Store::new();
    let instance = store.instantiate(&module, &[]).expect("instantiates");
    let Some(ExternVal::Func(f)) = store.export(instance, "f") else { panic!("f is exported") };
    // `block` and `try_table` are free, `throw` costs 1, then the run from
    // the handler's target, `end` (free), `i32.const` (1), costs 1.
    store.fuel = Some(2);
    assert_eq!(store.invoke(f, &[]), Ok(vec![Value::I32(1)]));
    assert_eq!(store.fuel, Some(0));
    store.fuel = Some(1);
    assert_eq!(store.invoke(f, &[]).map_err(|t| t.code), Err(TrapCode::OutOfFuel));
}
