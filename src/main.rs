//! The `plumb` command line.
//!
//! - `plumb wast [--engine interp|jit] [--spec 2.0|3.0] FILE...` runs spec test scripts.
//! - `plumb verify [--rule NAME] [--rules FILE...] [--json]` proves the rules with Z3.
//! - `plumb run [--dir HOST[::GUEST]] [--env K=V] FILE [--invoke NAME] [ARGS...]` runs a WASI
//!   command, or calls one export, with the JIT.
//! - `plumb explain FILE [--func N]` shows the rules that fired and the CLIF produced.
//! - `plumb compile FILE [-o OUT]` compiles a module ahead of time (`.cwasm`).
//! - `plumb check FILE` checks that each function's machine code stays in its sandbox.

mod verify_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use plumb_cli::engine_backend::EngineBackend;
use plumb_oracles::wast::{InterpBackend, Report, run_file};

/// Plumb: a WebAssembly runtime whose compiler is checked by proved rules and
/// differential fuzzing.
#[derive(Parser)]
#[command(name = "plumb", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run WebAssembly spec test scripts (.wast) and report their assertions.
    Wast {
        /// Which engine executes the scripts.
        #[arg(long, value_enum, default_value_t = Engine::Interp)]
        engine: Engine,
        /// The WebAssembly version the scripts are written for: modules are
        /// validated with its features only (2.0's scripts expect a second
        /// memory to be invalid, 3.0's use several).
        #[arg(long, value_enum, default_value_t = Spec::V3_0)]
        spec: Spec,
        /// The scripts to run.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Prove every lowering and optimisation rule with Z3, one line per rule instance.
    Verify(verify_cmd::VerifyArgs),
    /// Run a module (.wasm or .wat) with the JIT and WASI: as a command, or call one export.
    Run(plumb_cli::run_cmd::RunArgs),
    /// Show, per function, the pure operators, the rules that fired and the CLIF produced.
    Explain(plumb_cli::explain_cmd::ExplainArgs),
    /// Compile a module ahead of time to a `.cwasm` file that `plumb run` loads without compiling.
    Compile(plumb_cli::compile_cmd::CompileArgs),
    /// Check that every function's machine code stays in its sandbox (x86-64), one verdict per function.
    Check(plumb_cli::check_cmd::CheckArgs),
}

/// An execution engine.
#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    /// The reference interpreter of `plumb-oracles`.
    Interp,
    /// Plumb's JIT engine (rules, e-graph mid-end, Cranelift).
    Jit,
}

/// A version of the WebAssembly specification.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Spec {
    /// WebAssembly 2.0 (SIMD included).
    #[value(name = "2.0")]
    V2_0,
    /// WebAssembly 3.0: the features of it Plumb implements.
    #[value(name = "3.0")]
    V3_0,
}

/// How many failures a file's line lists before summarising the rest.
const FAILURES_SHOWN: usize = 5;

fn file_line(path: &std::path::Path, report: &Report) -> String {
    let counts = format!("{}/{} passed", report.passed, report.total());
    if report.failures.is_empty() {
        return format!("ok   {}: {counts}", path.display());
    }
    let mut shown: Vec<String> = report.failures.iter().take(FAILURES_SHOWN).map(|f| f.to_string()).collect();
    if report.failures.len() > FAILURES_SHOWN {
        shown.push(format!("and {} more", report.failures.len() - FAILURES_SHOWN));
    }
    format!("FAIL {}: {counts}; {}", path.display(), shown.join("; "))
}

fn wast(engine: Engine, spec: Spec, files: &[PathBuf]) -> ExitCode {
    let (mut passed, mut total) = (0, 0);
    let mut config = plumb::Config::new();
    let later = spec == Spec::V3_0;
    config
        .wasm_multi_memory(later)
        .wasm_memory64(later)
        .wasm_function_references(later)
        .wasm_exceptions(later);
    let jit = match plumb::Engine::new(&config) {
        Ok(jit) => jit,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let features = match spec {
        Spec::V2_0 => wasmparser::WasmFeatures::WASM2,
        Spec::V3_0 => plumb_oracles::interp::features(),
    };
    for path in files {
        let report = match engine {
            Engine::Interp => run_file(path, InterpBackend::with_features(features)),
            Engine::Jit => run_file(path, EngineBackend::new(&jit)),
        };
        plumb_cli::out::line(file_line(path, &report));
        passed += report.passed;
        total += report.total();
    }
    plumb_cli::out::line(format_args!("wast: {passed}/{total} assertions passed in {} files", files.len()));
    if passed == total { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Wast { engine, spec, files } => wast(engine, spec, &files),
        Command::Verify(args) => verify_cmd::run(&args),
        Command::Run(args) => plumb_cli::run_cmd::run(&args).unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }),
        Command::Compile(args) => match plumb_cli::compile_cmd::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Check(args) => match plumb_cli::check_cmd::run(&args, &mut std::io::stdout()) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Explain(args) => match plumb_cli::explain_cmd::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
