//! Bad input never panics: every module the spec suite (SIMD scripts
//! included, and the 3.0 scripts of 64-bit memories and tables) expects to
//! be rejected, and truncated and bit-flipped variants of every module it
//! expects to be valid, go through the decoder, the validator and (when
//! they validate) instantiation and calls. Each rejection must name what is
//! wrong and the byte offset; nothing may panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use plumb_oracles::interp::{ExternVal, Module, features};
use plumb_oracles::suite::{Rng, damaged_variants, scripts_but, simd_scripts, spec_scripts};
use plumb_oracles::wast::{Backend, InterpBackend, ScriptModule, script_modules};
use wasmparser::WasmFeatures;

#[derive(Default)]
struct Tally {
    rejected: usize,
    accepted: usize,
    problems: Vec<String>,
}

impl Tally {
    /// Decodes `bytes` with the features `enabled`; a rejection must be
    /// well-formed. Returns the module when it validates.
    fn decode(&mut self, origin: &str, bytes: &[u8], enabled: WasmFeatures) -> Option<Module> {
        match catch_unwind(|| Module::with_features(bytes, enabled)) {
            Err(_) => {
                self.problems.push(format!("{origin}: the decoder panicked"));
                None
            }
            Ok(Ok(module)) => {
                self.accepted += 1;
                Some(module)
            }
            Ok(Err(e)) => {
                self.rejected += 1;
                let text = e.to_string();
                if e.message.trim().is_empty()
                    || e.offset > bytes.len() as u64
                    || !text.contains("byte offset 0x")
                {
                    self.problems
                        .push(format!("{origin}: unclear error \"{text}\" for {} bytes", bytes.len()));
                }
                None
            }
        }
    }

    /// Instantiates `module` against `spectest` and calls every exported
    /// function with zero arguments, under a fuel bound.
    fn run(&mut self, origin: &str, module: &Module) {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut backend = InterpBackend::new();
            backend.store.fuel = Some(20_000);
            let Ok(spectest) = backend.spectest() else { return };
            backend.register("spectest", &spectest);
            let Ok(instance) = backend.instantiate(module) else { return };
            let exports = backend.store.instances[instance].exports.clone();
            for (_, export) in exports {
                if let ExternVal::Func(func) = export {
                    let ty = backend.store.funcs[func].ty().clone();
                    let args: Vec<_> = ty.params.iter().map(|t| t.default_value()).collect();
                    let _ = backend.store.invoke(func, &args);
                }
            }
        }));
        if outcome.is_err() {
            self.problems.push(format!("{origin}: running the module panicked"));
        }
    }
}

/// What feeding the modules of some scripts through [`Tally`] gave.
struct Sweep {
    tally: Tally,
    expected_rejections: usize,
    variants_tried: usize,
}

/// Decodes every module of `files`: those the scripts expect rejected must
/// be rejected under `reject_with` (the features of the suite the scripts
/// belong to); damaged variants of the valid ones are decoded with every
/// feature and, when they validate, run.
fn sweep(files: &[PathBuf], reject_with: WasmFeatures) -> Sweep {
    let mut tally = Tally::default();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut expected_rejections, mut variants_tried) = (0, 0);
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("readable script");
        let modules = script_modules(&text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        for (i, module) in modules.iter().enumerate() {
            match module {
                ScriptModule::Rejected(bytes) => {
                    expected_rejections += 1;
                    let origin = format!("{name} module {i}");
                    if tally.decode(&origin, bytes, reject_with).is_some() {
                        tally
                            .problems
                            .push(format!("{origin}: accepted, the suite says it is malformed or invalid"));
                    }
                }
                ScriptModule::Valid(bytes) => {
                    for (j, variant) in damaged_variants(bytes, &mut rng).iter().enumerate() {
                        variants_tried += 1;
                        let origin = format!("{name} module {i} variant {j}");
                        if let Some(module) = tally.decode(&origin, variant, features()) {
                            tally.run(&origin, &module);
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "expected rejections {expected_rejections}, variants {variants_tried}, rejected {}, accepted {}",
        tally.rejected, tally.accepted
    );
    Sweep { tally, expected_rejections, variants_tried }
}

#[test]
fn malformed_invalid_truncated_and_bit_flipped_modules_give_clear_errors_and_never_panic() {
    let mut files = spec_scripts("wasm-2.0").expect("the spec test suite is at ../shared/spec-testsuite");
    files.extend(simd_scripts("wasm-2.0").expect("the SIMD scripts are beside the others"));
    // The 2.0 scripts reject what 2.0 forbids (a second memory, say),
    // which later features may allow.
    let Sweep { tally, expected_rejections, variants_tried } = sweep(&files, WasmFeatures::WASM2);
    assert!(expected_rejections > 2_000, "only {expected_rejections} malformed/invalid modules found");
    assert!(variants_tried > 10_000, "only {variants_tried} variants tried");
    assert!(
        tally.rejected > 10_000 && tally.accepted > 100,
        "rejected {}, accepted {}",
        tally.rejected,
        tally.accepted
    );
    assert!(tally.problems.is_empty(), "{} problems:\n{}", tally.problems.len(), tally.problems.join("\n"));
}

/// The 3.0 scripts of the features implemented (64-bit memories and
/// tables, several memories, typed function references, tail calls, ...),
/// with all of them enabled.
#[test]
fn bad_wasm_3_0_modules_give_clear_errors_and_never_panic() {
    let files = scripts_but("wasm-3.0", include_str!("spec-3.0-skip.txt")).expect("the 3.0 suite");
    let Sweep { tally, expected_rejections, variants_tried } = sweep(&files, features());
    assert!(expected_rejections > 100, "only {expected_rejections} malformed/invalid modules found");
    assert!(variants_tried > 2_000, "only {variants_tried} variants tried");
    assert!(tally.accepted > 100, "accepted {}", tally.accepted);
    assert!(tally.problems.is_empty(), "{} problems:\n{}", tally.problems.len(), tally.problems.join("\n"));
}
