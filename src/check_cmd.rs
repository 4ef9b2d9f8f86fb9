//! `plumb check FILE`: compile a module and check every function's machine
//! code with the sandbox checker (`plumb::check`), one verdict per line.
//! Exits non-zero if any function breaks a property.

use std::path::PathBuf;

use anyhow::{Context, Result};
use plumb::{Config, Engine};

/// Arguments of `plumb check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The module: binary (`.wasm`) or text (`.wat`).
    pub file: PathBuf,
    /// Check the code compiled with fuel checks.
    #[arg(long)]
    pub consume_fuel: bool,
    /// Check the code compiled with epoch checks.
    #[arg(long)]
    pub epoch_interruption: bool,
}

/// Prints the verdicts to `out`; returns whether every function passed.
pub fn run(args: &CheckArgs, out: &mut dyn std::io::Write) -> Result<bool> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut config = Config::new();
    config.consume_fuel(args.consume_fuel).epoch_interruption(args.epoch_interruption);
    let engine = Engine::new(&config)?;
    let verdicts = plumb::check::check_module(&engine, &bytes)
        .with_context(|| format!("cannot compile {}", args.file.display()))?;
    let mut failed = 0;
    for v in &verdicts {
        let name = v.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        match &v.verdict {
            Ok(()) => writeln!(out, "ok   func {}{name}: {} bytes", v.func, v.code_len)?,
            Err(e) => {
                failed += 1;
                writeln!(out, "FAIL func {}{name}: {e}", v.func)?
            }
        }
    }
    let compile: std::time::Duration = verdicts.iter().map(|v| v.compile_time).sum();
    let check: std::time::Duration = verdicts.iter().map(|v| v.check_time).sum();
    writeln!(
        out,
        "checked in {:.1} ms, {:.1}% of the {:.1} ms its functions took to compile (CPU time)",
        check.as_secs_f64() * 1e3,
        100.0 * check.as_secs_f64() / compile.as_secs_f64().max(1e-9),
        compile.as_secs_f64() * 1e3
    )?;
    writeln!(out, "{} of {} functions in the sandbox", verdicts.len() - failed, verdicts.len())?;
    Ok(failed == 0)
}
