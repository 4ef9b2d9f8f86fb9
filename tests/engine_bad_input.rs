//! Bad input never panics the engine: every module the spec suite expects
//! to be rejected, and truncated and bit-flipped variants of every module
//! it expects to be valid, are compiled; rejections name the byte offset;
//! modules that compile are instantiated, start functions included, with
//! fuel so that one that loops is stopped.

use std::panic::{AssertUnwindSafe, catch_unwind};

use plumb::{Config, Engine, Module};

/// Fuel for each instantiation: plenty for any start function that ends.
const FUEL: u64 = 1_000_000;
use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::suite::{Rng, damaged_variants, scripts_but, spec_scripts};
use plumb_oracles::wast::{Backend, ScriptModule, script_modules};

#[test]
fn damaged_and_invalid_modules_give_clear_errors_and_never_panic_the_engine() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).expect("an engine with fuel");
    // The 2.0 scripts reject what 2.0 forbids (a second memory, say),
    // which later features allow: their invalid modules go to an engine
    // without those features, the damaged valid ones to the full engine;
    // the 3.0 scripts of the features implemented go to the full one.
    config
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_function_references(false)
        .wasm_exceptions(false);
    let wasm_2_0 = Engine::new(&config).expect("an engine with the 2.0 features");
    let files = spec_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    let skip = include_str!("../oracles/tests/spec-3.0-skip.txt");
    let files_3_0 = scripts_but("wasm-3.0", skip).expect("the 3.0 suite");
    let scripts = files.iter().map(|f| (f, &wasm_2_0)).chain(files_3_0.iter().map(|f| (f, &engine)));
    let mut rng = Rng(0x51ed_270b_27f6_5a3d);
    let (mut rejected, mut compiled, mut problems) = (0, 0, Vec::new());
    for (path, rejecting) in scripts {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(path).expect("readable script");
        let modules = script_modules(&text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        for (i, module) in modules.iter().enumerate() {
            let (inputs, engine) = match module {
                ScriptModule::Rejected(bytes) => (vec![bytes.clone()], rejecting),
                ScriptModule::Valid(bytes) => (damaged_variants(bytes, &mut rng), &engine),
            };
            for (j, bytes) in inputs.iter().enumerate() {
                let origin = format!("{name} module {i} input {j}");
                let outcome = catch_unwind(AssertUnwindSafe(|| match Module::from_binary(engine, bytes) {
                    Ok(module) => {
                        let mut backend = EngineBackend::new(engine);
                        if backend.set_fuel(FUEL).is_ok()
                            && let Ok(spectest) = backend.spectest()
                        {
                            backend.register("spectest", &spectest);
                            let _ = backend.instantiate(&module);
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
