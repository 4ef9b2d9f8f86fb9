//! WebAssembly 3.0 validation without garbage collection: the validator
//! runs with GC, as 3.0 does, so a constant expression may read the
//! module's own immutable globals; every GC type and instruction is then
//! refused as unsupported (`Error::Unsupported`, naming it and its
//! offset), dead code and recursive types included. Without typed function
//! references (WebAssembly 2.0), reading an own global stays invalid.

use plumb::{Config, Engine, Error, Instance, Module, Store, Val};

#[test]
fn constant_expressions_read_the_modules_own_globals() {
    let engine = Engine::default();
    let text = r#"(module
      (global $a i32 (i32.const 20))
      (global $b (export "b") i32 (i32.add (global.get $a) (i32.const 22)))
      (table $t 30 funcref)
      (memory 1)
      (func $f)
      (elem (table $t) (offset (global.get $a)) func $f)
      (data (offset (i32.sub (global.get $b) (i32.const 2))) "x"))"#;
    let module = Module::new(&engine, text).expect("valid 3.0");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let b = instance.get_global(&store, "b").expect("exported");
    assert_eq!(b.get(&store).expect("readable"), Val::I32(42));
    // WebAssembly 2.0 has no such constant expression.
    let mut config = Config::new();
    config.wasm_function_references(false);
    let wasm_2_0 = Engine::new(&config).expect("an engine");
    let result = Module::new(&wasm_2_0, text);
    assert!(matches!(result, Err(Error::Invalid { .. })), "{:?}", result.err());
}

/// The error compiling `text`, which must be unsupported, and its message.
fn unsupported(text: &str) -> String {
    let engine = Engine::default();
    let validated = Module::validate(&engine, text.as_bytes());
    assert!(matches!(validated, Err(Error::Unsupported { .. })), "validate: {validated:?}");
    match Module::new(&engine, text) {
        Err(e @ Error::Unsupported { .. }) => e.to_string(),
        other => panic!("expected an unsupported-feature error, got {:?}", other.err()),
    }
}

#[test]
fn gc_types_and_instructions_are_refused_by_name() {
    // Each module, and what its error names.
    let cases = [
        (r#"(module (type (struct (field i32))))"#, "gc"),
        (r#"(module (func (param anyref)))"#, "anyref"),
        (r#"(module (func (local eqref)))"#, "eqref"),
        (r#"(module (func (result i32) (ref.i31 (i32.const 1)) (i31.get_s)))"#, "RefI31"),
        // In dead code too: nothing of GC is accepted.
        (r#"(module (func (return) (drop (ref.i31 (i32.const 1)))))"#, "garbage collection"),
        (r#"(module (func (drop (ref.null none))))"#, "nullref"),
        (r#"(module (func (block (result structref) (ref.null struct)) (drop)))"#, "struct"),
        // A type that refers to itself is a recursive type.
        (r#"(module (type $t (func (param (ref null $t)))))"#, "refers to itself"),
    ];
    for (text, named) in cases {
        let message = unsupported(text);
        assert!(message.contains(named), "{text}: {message}");
    }
}
