//! Plumb's fuzz targets, as plain functions from bytes to nothing that
//! panic when they find a bug.
//!
//! Each target wires a generator (`generators`: bytes → a module, a call
//! sequence, an operator application, a rule term) to an oracle (`oracles`:
//! run it and judge). The same functions run under libFuzzer
//! (`fuzz_targets/*.rs`, built by `cargo fuzz`) and, on fixed inputs, in
//! `cargo test` (`tests/smoke.rs`), so a crash found by the fuzzer is
//! replayed by the ordinary test suite once its input is added to
//! `seeds/TARGET/`.
//!
//! ```
//! // Any bytes are a valid input; a run that returns found nothing.
//! plumb_fuzz::validate(b"\0asm\x01\0\0\0");
//! plumb_fuzz::op_specs(&[7, 1, 2, 3, 4, 5, 6, 7, 8]);
//! ```
//!
//! | target | generator | oracle |
//! |---|---|---|
//! | [`differential`] | wasm-smith module, arguments | engine ≡ reference interpreter |
//! | [`validate`] | raw bytes | Plumb's validation ≡ wasmparser's |
//! | [`instantiate`] | wasm-smith module with imports | no crash, only clean traps |
//! | [`api_calls`] | sequence of [`generators::ApiOp`] | no crash, handles behave |
//! | [`op_specs`] | one operator, operands | `ops.isle` evaluator ≡ interpreter |
//! | [`rules`] | rule-language term | term ≡ its lowering, under the evaluator |

pub mod function_references;
pub mod generators;
pub mod oracles;
pub mod shapes;

use arbitrary::{Arbitrary, Unstructured};
use generators::{ApiOp, ModulePurpose};
use oracles::differential::Call;
use oracles::instantiate::HostPlan;
use oracles::op_specs::Operator;
use plumb_oracles::interp::{self, ExternKind};

/// The names of every target, in the order the tools run them.
pub const TARGETS: &[&str] = &["differential", "validate", "instantiate", "api_calls", "op_specs", "rules"];

/// Runs target `name` on `data`; `false` if there is no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "differential" => differential(data),
        "validate" => validate(data),
        "instantiate" => instantiate(data),
        "api_calls" => api_calls(data),
        "op_specs" => op_specs(data),
        "rules" => rules(data),
        _ => return false,
    }
    true
}

/// A generated module on the engine and on the reference interpreter; one
/// run in four with a fuel budget (up to 20,000) on both.
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    // Drawn first: at the end the input is often used up.
    let Ok(budget) = fuel_budget(&mut u) else { return };
    let Ok(bytes) = generators::module(&mut u, ModulePurpose::Differential) else { return };
    save_module(&bytes);
    let Ok(calls) = calls(&mut u, &bytes) else { return };
    oracles::differential::check(&bytes, &calls, budget);
}

/// A fuel budget for one run in four.
fn fuel_budget(u: &mut Unstructured<'_>) -> arbitrary::Result<Option<u64>> {
    Ok(if u.ratio(1, 4)? { Some(u.int_in_range(0..=20_000)?) } else { None })
}

/// Arbitrary bytes through Plumb's validation and wasmparser's.
pub fn validate(data: &[u8]) {
    oracles::validate::check(data);
}

/// A generated module with imports, instantiated and called.
pub fn instantiate(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(bytes) = generators::module(&mut u, ModulePurpose::WithImports) else { return };
    save_module(&bytes);
    let Ok(plan) = host_plan(&mut u, &bytes) else { return };
    oracles::instantiate::check(&bytes, &plan);
}

/// A sequence of embedding-API operations.
pub fn api_calls(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(ops) = Vec::<ApiOp>::arbitrary(&mut u) else { return };
    oracles::api_calls::check(&ops[..ops.len().min(64)]);
}

/// One operator on arbitrary operands, by the evaluator and the interpreter.
pub fn op_specs(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let all: Vec<Operator> = Operator::all().collect();
    let Ok(&op) = u.choose(&all) else { return };
    let Ok(args) = generators::operands(&mut u, op) else { return };
    oracles::op_specs::check(op, &args);
}

/// A rule-language term and its lowering through the e-graph.
pub fn rules(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(depth) = u.int_in_range(1..=4) else { return };
    let Ok((expr, args)) = generators::term(&mut u, oracles::rule_set(), depth) else { return };
    oracles::rules::check(&expr, &args);
}

/// With `PLUMB_FUZZ_SAVE_WASM=FILE` in the environment, writes each
/// generated module there before running it, so the module of a failing
/// input can be disassembled (`wasm2wat FILE`) when replaying it.
fn save_module(bytes: &[u8]) {
    if let Some(path) = std::env::var_os("PLUMB_FUZZ_SAVE_WASM")
        && let Err(e) = std::fs::write(&path, bytes)
    {
        eprintln!("cannot write {}: {e}", path.to_string_lossy());
    }
}

/// Calls of the exported functions of `bytes` (a valid module) with
/// arguments drawn from `u`: each export once, in order, then a few more
/// chosen by the input.
fn calls(u: &mut Unstructured<'_>, bytes: &[u8]) -> arbitrary::Result<Vec<Call>> {
    let module = interp::Module::new(bytes).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let funcs: Vec<(&str, u32)> = module
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func)
        .map(|e| (e.name.as_str(), e.index))
        .collect();
    let mut order: Vec<(&str, u32)> = funcs.clone();
    let extra = u.int_in_range(0..=4)?;
    for _ in 0..extra {
        if let Ok(&f) = u.choose(&funcs) {
            order.push(f);
        }
    }
    let mut calls = Vec::new();
    for (name, index) in order {
        let ty = module
            .func_type_index(index)
            .and_then(|t| module.types.get(t as usize))
            .ok_or(arbitrary::Error::IncorrectFormat)?;
        calls.push(Call { export: name.to_owned(), args: generators::values(u, &ty.params)? });
    }
    Ok(calls)
}

/// How the host provides the imports of `bytes` (a valid module), and
/// which exports it calls afterwards.
fn host_plan(u: &mut Unstructured<'_>, bytes: &[u8]) -> arbitrary::Result<HostPlan> {
    let module = interp::Module::new(bytes).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let mut plan = HostPlan::default();
    for import in &module.imports {
        match &import.ty {
            interp::ImportType::Func(_) => plan.func_traps.push(u.ratio(1, 4)?),
            interp::ImportType::Global(g) => plan.global_values.push(generators::value(u, g.content)?),
            _ => {}
        }
    }
    plan.calls = calls(u, bytes)?;
    Ok(plan)
}

/// Replays target `name` on every file named on the command line (a
/// folder stands for the files in it): what a `fuzz_targets/` binary does
/// when built without libFuzzer, so a crash input can be rerun on stable
/// with `cargo run -p plumb-fuzz --bin NAME -- FILE`.
pub fn replay_main(name: &str) -> std::process::ExitCode {
    let mut files = Vec::new();
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        match std::fs::read_dir(&path) {
            Ok(dir) => files.extend(dir.filter_map(|e| e.ok().map(|e| e.path()))),
            Err(_) => files.push(path),
        }
    }
    files.sort();
    for file in &files {
        match std::fs::read(file) {
            Ok(data) => {
                eprintln!("{name}: {}", file.display());
                run(name, &data);
            }
            Err(e) => {
                eprintln!("{name}: cannot read {}: {e}", file.display());
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    eprintln!("{name}: {} input(s) ran without finding anything", files.len());
    std::process::ExitCode::SUCCESS
}
