//! The typed-function-reference rewrite of generated modules
//! (`plumb_fuzz::function_references`): valid, equivalent where no null
//! reference is called, and drawn often enough to matter.

use arbitrary::Unstructured;
use plumb_fuzz::function_references::{chosen, with_function_references};
use plumb_fuzz::generators::{self, ModulePurpose};

/// The typed operators in `bytes`, by name, with their counts.
fn typed_operators(bytes: &[u8]) -> std::collections::BTreeMap<&'static str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else { continue };
        let mut reader = body.get_operators_reader().expect("a body");
        while !reader.eof() {
            let name = match reader.read().expect("an operator") {
                wasmparser::Operator::CallRef { .. } => "call_ref",
                wasmparser::Operator::ReturnCallRef { .. } => "return_call_ref",
                wasmparser::Operator::RefAsNonNull => "ref.as_non_null",
                wasmparser::Operator::BrOnNull { .. } => "br_on_null",
                wasmparser::Operator::BrOnNonNull { .. } => "br_on_non_null",
                _ => continue,
            };
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn every_form_computes_what_the_direct_call_computes() {
    // Many calls of one function from one body: every form is drawn, and
    // only the null call may change the outcome (it traps).
    let calls = "(call $add (local.get 0) (i32.const 1)) drop ".repeat(64);
    let text = format!(
        r#"(module
             (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
             (func (export "f") (param i32) (result i32) {calls} (call $add (local.get 0) (i32.const 1))))"#
    );
    let bytes = wat::parse_str(&text).expect("valid text");
    let rewritten = with_function_references(&bytes).expect("rewritten");
    let counts = typed_operators(&rewritten);
    for name in ["call_ref", "ref.as_non_null", "br_on_null", "br_on_non_null"] {
        assert!(counts.get(name).is_some_and(|&n| n > 0), "{name} never drawn: {counts:?}");
    }
    let engine = plumb::Engine::default();
    let module = plumb::Module::new(&engine, &rewritten).expect("the rewritten module compiles");
    let mut store = plumb::Store::new(&engine, ());
    let instance = plumb::Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let f = instance.get_typed_func::<i32, i32>(&store, "f").expect("the export");
    match f.call(&mut store, 41) {
        Ok(v) => assert_eq!(v, 42),
        Err(plumb::Error::Trap(trap)) => {
            assert!(trap.to_string().contains("null function reference"), "{trap}")
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_module_without_an_element_section_gets_one_and_keeps_its_own() {
    for text in [
        r#"(module (func $g) (func (export "f") call $g))"#,
        r#"(module (table 1 funcref) (elem (i32.const 0) $g) (func $g) (func (export "f") call $g call $g call $g))"#,
        r#"(module (import "m" "g" (func $g)) (memory 1) (data (i32.const 0) "x") (func (export "f") call $g call $g))"#,
    ] {
        let bytes = wat::parse_str(text).expect("valid text");
        let rewritten = with_function_references(&bytes).expect("rewritten and valid");
        plumb_oracles::interp::Module::new(&rewritten).expect("the interpreter validates it");
    }
}

#[test]
fn a_module_without_calls_is_not_rewritten() {
    let bytes =
        wat::parse_str(r#"(module (func (export "f") (result i32) i32.const 1))"#).expect("valid text");
    assert_eq!(with_function_references(&bytes), None);
}

#[test]
fn generated_modules_get_typed_references_and_stay_valid() {
    // wasm-smith modules from fixed inputs: about half are chosen, and
    // every chosen one with a call is rewritten into a valid module.
    let (mut chosen_with_calls, mut rewritten) = (0, 0);
    for seed in 0..200u32 {
        let data: Vec<u8> = (0..4096u32)
            .map(|i| (seed.wrapping_mul(2_654_435_761) ^ i.wrapping_mul(40_503)).to_le_bytes()[1])
            .collect();
        let mut u = Unstructured::new(&data);
        let Ok(config) = generators::swarm_config(&mut u, ModulePurpose::WithImports) else { continue };
        let Ok(module) = wasm_smith::Module::new(config, &mut u) else { continue };
        let bytes = module.to_bytes();
        if !chosen(&bytes) || !typed_operators(&bytes).is_empty() {
            continue;
        }
        let has_calls = wasmparser::Parser::new(0).parse_all(&bytes).any(|p| match p {
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => {
                let mut r = body.get_operators_reader().expect("a body");
                std::iter::from_fn(|| (!r.eof()).then(|| r.read())).any(|op| {
                    matches!(
                        op,
                        Ok(wasmparser::Operator::Call { .. } | wasmparser::Operator::ReturnCall { .. })
                    )
                })
            }
            _ => false,
        });
        if !has_calls {
            continue;
        }
        chosen_with_calls += 1;
        let out =
            with_function_references(&bytes).unwrap_or_else(|| panic!("seed {seed}: the rewrite failed"));
        plumb_oracles::interp::Module::new(&out).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        rewritten += usize::from(!typed_operators(&out).is_empty());
    }
    assert!(chosen_with_calls >= 10, "only {chosen_with_calls} chosen modules with calls");
    // A module whose every call drew the direct form keeps none.
    assert!(
        rewritten * 10 >= chosen_with_calls * 7,
        "{rewritten} of {chosen_with_calls} got typed references"
    );
}
