//! `plumb compile FILE -o OUT.cwasm`: compile a module ahead of time.
//! `plumb run OUT.cwasm` then loads the machine code instead of compiling
//! (`Module::serialize`/`deserialize`); the file is tied to this Plumb,
//! this machine's CPU features and the code-changing settings below.

use std::path::PathBuf;

use anyhow::{Context, Result};
use plumb::{Config, Engine, Module};

/// Arguments of `plumb compile`.
#[derive(clap::Args)]
pub struct CompileArgs {
    /// The module: binary (`.wasm`) or text (`.wat`).
    pub file: PathBuf,
    /// Where to write the precompiled module (default: FILE with the
    /// extension `.cwasm`).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Compile in fuel checks: needed to run the result with `--fuel`.
    #[arg(long)]
    pub consume_fuel: bool,
    /// Compile in epoch checks: needed to run the result with `--timeout`.
    #[arg(long)]
    pub epoch_interruption: bool,
}

/// The engine settings of a precompiled module that `plumb run` uses with
/// these limits (it must match the one `plumb compile` used).
pub fn config(consume_fuel: bool, epoch_interruption: bool) -> Config {
    let mut config = Config::new();
    config.consume_fuel(consume_fuel).epoch_interruption(epoch_interruption);
    config
}

/// Compiles and writes the file.
pub fn run(args: &CompileArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let engine = Engine::new(&config(args.consume_fuel, args.epoch_interruption))?;
    let module =
        Module::new(&engine, &bytes).with_context(|| format!("cannot compile {}", args.file.display()))?;
    let output = args.output.clone().unwrap_or_else(|| args.file.with_extension("cwasm"));
    std::fs::write(&output, module.serialize()?)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}

/// Whether `bytes` are a precompiled module rather than Wasm.
pub fn is_precompiled(bytes: &[u8]) -> bool {
    bytes.starts_with(plumb::PRECOMPILED_MAGIC)
}
