//! Ahead-of-time compilation: `Module::serialize` and `Module::deserialize`
//! round-trip every Sightglass program and a module that runs, and damaged,
//! truncated or mismatched files are refused with a clear error before any
//! code runs.

use std::path::PathBuf;

use plumb::{Config, Engine, Error, Linker, Module, Store};

const CALLS: &str = r#"(module
  (memory (export "memory") 1)
  (func $fib (export "fib") (param i64) (result i64)
    (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
      (then (local.get 0))
      (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                     (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))"#;

fn deserialize(engine: &Engine, bytes: &[u8]) -> plumb::Result<Module> {
    // SAFETY: every file here is one `Module::serialize` wrote, or such a
    // file damaged on purpose, which `deserialize` must refuse.
    unsafe { Module::deserialize(engine, bytes) }
}

#[test]
fn a_deserialized_module_runs_like_the_compiled_one() {
    let engine = Engine::default();
    let bytes = Module::new(&engine, CALLS).expect("compiles").serialize().expect("serializes");
    let module = deserialize(&engine, &bytes).expect("loads");
    assert_eq!(module.serialize().expect("serializes again"), bytes);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let fib = instance.get_typed_func::<i64, i64>(&store, "fib").expect("fib");
    assert_eq!(fib.call(&mut store, 20).expect("runs"), 6765);
    // Libcalls and traps work from loaded code.
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").expect("grow");
    assert_eq!(grow.call(&mut store, 2).expect("grows"), 1);
    let div = instance.get_typed_func::<(i32, i32), i32>(&store, "div").expect("div");
    let err = div.call(&mut store, (1, 0)).expect_err("traps");
    assert!(err.to_string().contains("integer divide by zero"), "{err}");
}

#[test]
fn every_sightglass_program_round_trips() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/sightglass");
    let engine = Engine::default();
    let mut programs = 0;
    for dir in std::fs::read_dir(&root).expect("the Sightglass programs beside the checkout").flatten() {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "wasm") || path.to_string_lossy().contains("simd") {
                continue;
            }
            let wasm = std::fs::read(&path).expect("readable");
            let compiled = Module::from_binary(&engine, &wasm).expect("compiles");
            let bytes = compiled.serialize().expect("serializes");
            let module = deserialize(&engine, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(module.serialize().expect("serializes again"), bytes, "{}", path.display());
            assert!(module.imports().eq(compiled.imports()) && module.exports().eq(compiled.exports()));
            programs += 1;
        }
    }
    assert!(programs >= 20, "only {programs} Sightglass programs found");
}

/// The error of loading `bytes`, which must fail.
fn refused(engine: &Engine, bytes: &[u8]) -> String {
    match deserialize(engine, bytes) {
        Ok(_) => panic!("a bad file was loaded"),
        Err(e @ Error::Precompiled(_)) => e.to_string(),
        Err(e) => panic!("refused without saying it is the precompiled file: {e}"),
    }
}

#[test]
fn damaged_and_truncated_files_are_refused() {
    let engine = Engine::default();
    let bytes = Module::new(&engine, CALLS).expect("compiles").serialize().expect("serializes");
    // Every prefix.
    for len in 0..bytes.len() {
        refused(&engine, &bytes[..len]);
    }
    // A flipped bit anywhere.
    for at in (0..bytes.len()).step_by(7) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        refused(&engine, &damaged);
    }
    let mut longer = bytes.clone();
    longer.push(0);
    refused(&engine, &longer);
    assert!(refused(&engine, b"\0asm\x01\0\0\0").contains("not a precompiled Plumb module"));
    let mut code = bytes.clone();
    let last = code.len() - 20;
    code[last] ^= 1;
    assert!(refused(&engine, &code).contains("checksum mismatch"));
}

#[test]
fn files_of_another_version_or_setting_are_refused_naming_the_difference() {
    let engine = Engine::default();
    let bytes = Module::new(&engine, CALLS).expect("compiles").serialize().expect("serializes");
    let mut config = Config::new();
    config.consume_fuel(true);
    let fuel = Engine::new(&config).expect("engine");
    let err = refused(&fuel, &bytes);
    assert!(err.contains("fuel off") && err.contains("fuel on"), "{err}");
    config.consume_fuel(false).cranelift_opt(false);
    let unoptimised = Engine::new(&config).expect("engine");
    assert!(refused(&unoptimised, &bytes).contains("optimiser on"));
    // The version string sits after the magic and the format number.
    let version = env!("CARGO_PKG_VERSION");
    let at = bytes.windows(version.len()).position(|w| w == version.as_bytes()).expect("version recorded");
    let mut other = bytes.clone();
    other[at] = b'9';
    let err = refused(&engine, &other);
    assert!(err.contains("made by Plumb 9"), "{err}");
}

/// Cranelift's IR verifier changes no code, so it is no part of what a
/// precompiled file must match, and the code is the same byte for byte.
#[test]
fn the_ir_verifier_setting_does_not_change_the_code_or_the_header() {
    let verified = Engine::new(Config::new().cranelift_debug_verifier(true)).expect("engine");
    let unverified = Engine::new(Config::new().cranelift_debug_verifier(false)).expect("engine");
    let bytes = Module::new(&verified, CALLS).expect("compiles").serialize().expect("serializes");
    let other = Module::new(&unverified, CALLS).expect("compiles").serialize().expect("serializes");
    assert_eq!(bytes, other);
    deserialize(&unverified, &bytes).expect("loads in an engine without the verifier");
}
