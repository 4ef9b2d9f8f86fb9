//! `plumb run FILE [--invoke NAME] [ARGS...]`: compile a module with the JIT,
//! instantiate it and call one export, printing its results.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use plumb::{Engine, Linker, Module, Store, Val, ValType};

/// Arguments of `plumb run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The module: binary (`.wasm`) or text (`.wat`).
    pub file: PathBuf,
    /// The exported function to call (default: `_start`).
    #[arg(long)]
    pub invoke: Option<String>,
    /// Arguments of the function: integers (decimal or 0x hex) and floats
    /// (`1.5`, `inf`, `-nan`), one per parameter.
    #[arg(allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Parses `text` as a value of type `ty`.
fn parse_arg(text: &str, ty: ValType) -> Result<Val> {
    let int = |t: &str| -> Result<i128> {
        let (negative, digits) = t.strip_prefix('-').map_or((false, t), |d| (true, d));
        let value = match digits.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16),
            None => digits.parse::<i128>(),
        }
        .with_context(|| format!("`{t}` is not an integer"))?;
        Ok(if negative { -value } else { value })
    };
    Ok(match ty {
        ValType::I32 => {
            let v = int(text)?;
            Val::I32(
                i32::try_from(v)
                    .or_else(|_| u32::try_from(v).map(|u| u as i32))
                    .map_err(|_| anyhow!("`{text}` does not fit in i32"))?,
            )
        }
        ValType::I64 => {
            let v = int(text)?;
            Val::I64(
                i64::try_from(v)
                    .or_else(|_| u64::try_from(v).map(|u| u as i64))
                    .map_err(|_| anyhow!("`{text}` does not fit in i64"))?,
            )
        }
        ValType::F32 => {
            Val::F32(text.parse::<f32>().with_context(|| format!("`{text}` is not an f32"))?.to_bits())
        }
        ValType::F64 => {
            Val::F64(text.parse::<f64>().with_context(|| format!("`{text}` is not an f64"))?.to_bits())
        }
        ValType::FuncRef | ValType::ExternRef => {
            bail!("reference arguments cannot be given on the command line")
        }
    })
}

fn show(value: &Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "funcref".to_string(),
        Val::ExternRef(Some(id)) => format!("externref {id}"),
    }
}

/// Runs the command; a trap prints its message and exits with 1.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let engine = Engine::default();
    let module =
        Module::new(&engine, &bytes).with_context(|| format!("cannot compile {}", args.file.display()))?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(instance) => instance,
        Err(plumb::Error::Trap(trap)) => {
            eprintln!("error: {trap}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e).context("cannot instantiate the module"),
    };
    let name = args.invoke.as_deref().unwrap_or("_start");
    let func =
        instance.get_func(&store, name).ok_or_else(|| anyhow!("the module exports no function `{name}`"))?;
    let ty = func.ty(&store)?;
    if args.args.len() != ty.params().len() {
        bail!("`{name}` has type {ty}: it takes {} arguments, {} given", ty.params().len(), args.args.len());
    }
    let params =
        args.args.iter().zip(ty.params()).map(|(a, &t)| parse_arg(a, t)).collect::<Result<Vec<_>>>()?;
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    match func.call(&mut store, &params, &mut results) {
        Ok(()) => {
            for r in &results {
                println!("{}", show(r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(plumb::Error::Trap(trap)) => {
            eprintln!("error: {trap}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
