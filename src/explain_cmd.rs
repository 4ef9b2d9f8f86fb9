//! `plumb explain FILE [--func N]`: per function, the pure operators met,
//! the rules that fired and the CLIF produced.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use plumb::{Engine, FunctionExplanation};

/// Arguments of `plumb explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The module: binary (`.wasm`) or text (`.wat`).
    pub file: PathBuf,
    /// Only this function (index in the function index space).
    #[arg(long = "func")]
    pub func: Option<u32>,
}

/// The text `plumb explain` prints for one function.
pub fn render(f: &FunctionExplanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "function {}", f.index);
    let _ = writeln!(
        out,
        "  pure operators: {}",
        if f.operators.is_empty() { "none".into() } else { f.operators.join(" ") }
    );
    if !f.folded.is_empty() {
        let _ = writeln!(out, "  constant-folded by the evaluator: {}", f.folded.join(" "));
    }
    let _ = writeln!(out, "  rules fired:");
    for rule in &f.rules {
        let _ = writeln!(out, "    {} x{}  ({}, on {})", rule.name, rule.count, rule.file, rule.operator);
    }
    let _ = writeln!(out, "  clif:");
    for line in f.clif.lines() {
        let _ = writeln!(out, "    {line}");
    }
    out
}

/// Runs the command.
pub fn run(args: &ExplainArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let engine = Engine::default();
    for f in plumb::explain(&engine, &bytes, args.func)? {
        crate::out::text(render(&f));
    }
    Ok(())
}
