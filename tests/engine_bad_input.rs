//! Bad input never panics the engine: every module the spec suite expects
//! to be rejected, and truncated and bit-flipped variants of every module
//! it expects to be valid, are compiled; rejections name the byte offset;
//! modules that compile are instantiated (those without a start function,
//! which could loop: the engine has no fuel yet).

use std::panic::{AssertUnwindSafe, catch_unwind};

use plumb::{Engine, Module};
use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::suite::{Rng, damaged_variants, spec_scripts};
use plumb_oracles::wast::{Backend, ScriptModule, script_modules};

#[test]
fn damaged_and_invalid_modules_give_clear_errors_and_never_panic_the_engine() {
    let engine = Engine::default();
    let files = spec_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    let mut rng = Rng(0x51ed_270b_27f6_5a3d);
    let (mut rejected, mut compiled, mut problems) = (0, 0, Vec::new());
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(path).expect("readable script");
        let modules = script_modules(&text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        for (i, module) in modules.iter().enumerate() {
            let inputs = match module {
                ScriptModule::Rejected(bytes) => vec![bytes.clone()],
                ScriptModule::Valid(bytes) => damaged_variants(bytes, &mut rng),
            };
            for (j, bytes) in inputs.iter().enumerate() {
                let origin = format!("{name} module {i} input {j}");
                let outcome = catch_unwind(AssertUnwindSafe(|| match Module::from_binary(&engine, bytes) {
                    Ok(module) => {
                        if !wasmparser_has_start(bytes) {
                            let mut backend = EngineBackend::new(&engine);
                            if let Ok(spectest) = backend.spectest() {
                                backend.register("spectest", &spectest);
                                let _ = backend.instantiate(&module);
                            }
                        }
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                }));
                match outcome {
                    Err(_) => problems.push(format!("{origin}: panicked")),
                    Ok(Ok(())) => {
                        compiled += 1;
                        if matches!(module, ScriptModule::Rejected(_)) {
                            problems.push(format!("{origin}: accepted, the suite says it is invalid"));
                        }
                    }
                    Ok(Err(message)) => {
                        rejected += 1;
                        if !message.contains("byte offset 0x") {
                            problems.push(format!("{origin}: error without an offset: {message}"));
                        }
                    }
                }
            }
        }
    }
    eprintln!("rejected {rejected}, compiled {compiled}");
    assert!(rejected > 10_000 && compiled > 1_000, "rejected {rejected}, compiled {compiled}");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// Whether a module has a start section (id 8), read without trusting it.
fn wasmparser_has_start(bytes: &[u8]) -> bool {
    bytes.len() > 8 && {
        let mut i = 8;
        let mut found = false;
        while i < bytes.len() {
            let id = bytes[i];
            let (len, used) = leb(&bytes[i + 1..]);
            if id == 8 {
                found = true;
                break;
            }
            i += 1 + used + len;
        }
        found
    }
}

/// An unsigned LEB128 prefix: its value and length (0, 1 on garbage).
fn leb(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        value |= ((b & 0x7f) as usize) << (7 * i);
        if b & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    (0, 1)
}
