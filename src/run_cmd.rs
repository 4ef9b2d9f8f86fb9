//! `plumb run [--dir HOST[::GUEST]] [--env K=V] [LIMITS] FILE [--invoke NAME] [ARGS...]`:
//! compile a module with the JIT, instantiate it with WASI preview 1 and
//! either run it as a WASI command (`_start`, ARGS are its argv, its exit
//! code is ours) or call one export with ARGS as values and print its results.
//! The limits (`--fuel`, `--timeout`, `--max-memory`, `--max-wasm-stack`)
//! are in `run_limits.rs`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use plumb::{Linker, Module, Store, Trap, Val, ValType};
use plumb_wasi::WasiCtx;

use crate::run_limits::{LimitArgs, Limiter};

/// Arguments of `plumb run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The module: binary (`.wasm`) or text (`.wat`).
    pub file: PathBuf,
    /// The exported function to call and print the results of, instead of
    /// running the module as a WASI command (`_start`).
    #[arg(long)]
    pub invoke: Option<String>,
    /// A host directory the guest may use, under its own name or GUEST
    /// (repeatable); the guest reaches nothing else of the file system.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// An environment variable of the guest (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub envs: Vec<String>,
    /// Limits on the guest.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Write the module's functions to /tmp/perf-PID.map, so that `perf
    /// record` profiles of the run name the JIT code (`Config::perfmap`).
    #[arg(long)]
    pub perfmap: bool,
    /// With `--invoke`, the function's arguments: integers (decimal or 0x
    /// hex) and floats (`1.5`, `inf`, `-nan`), one per parameter. Otherwise
    /// the command's arguments (after its name); put `--` before any that
    /// look like options of `plumb run`.
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
        ValType::V128 => parse_v128(text)?,
        ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => {
            bail!("reference arguments cannot be given on the command line")
        }
    })
}

/// Parses a `v128` argument: a 128-bit integer (`0x` and 32 hex digits
/// for the bytes from last to first, or decimal), or its lanes as
/// `SHAPE:l0,l1,...` (`i8x16`, `i16x8`, `i32x4`, `i64x2` with integer
/// lanes, `f32x4`, `f64x2` with float lanes), lane 0 first.
fn parse_v128(text: &str) -> Result<Val> {
    let Some((shape, lanes)) = text.split_once(':') else {
        let value = match text.strip_prefix("0x") {
            Some(hex) => u128::from_str_radix(hex, 16),
            None => text.parse::<u128>(),
        };
        return Ok(Val::V128(value.with_context(|| {
            format!("`{text}` is not a v128: write a 128-bit integer or SHAPE:lanes, such as i32x4:1,2,3,4")
        })?));
    };
    let (count, bits) = match shape {
        "i8x16" => (16, 8),
        "i16x8" => (8, 16),
        "i32x4" | "f32x4" => (4, 32),
        "i64x2" | "f64x2" => (2, 64),
        other => bail!("`{other}` is not a v128 shape (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)"),
    };
    let lanes: Vec<&str> = lanes.split(',').map(str::trim).collect();
    if lanes.len() != count {
        bail!("`{text}`: {shape} has {count} lanes, {} given", lanes.len());
    }
    let mut value = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        let bits_of_lane: u128 = match shape {
            "f32x4" => {
                u128::from(lane.parse::<f32>().with_context(|| format!("`{lane}` is not an f32"))?.to_bits())
            }
            "f64x2" => {
                u128::from(lane.parse::<f64>().with_context(|| format!("`{lane}` is not an f64"))?.to_bits())
            }
            _ => {
                let (negative, digits) = lane.strip_prefix('-').map_or((false, *lane), |d| (true, d));
                let magnitude = match digits.strip_prefix("0x") {
                    Some(hex) => i128::from_str_radix(hex, 16),
                    None => digits.parse::<i128>(),
                }
                .with_context(|| format!("`{lane}` is not an integer"))?;
                let v = if negative { -magnitude } else { magnitude };
                let (min, max) = (-(1i128 << (bits - 1)), (1i128 << bits) - 1);
                if v < min || v > max {
                    bail!("`{lane}` does not fit in a {bits}-bit lane");
                }
                (v as u128) & ((1u128 << bits) - 1)
            }
        };
        value |= bits_of_lane << (bits * i);
    }
    Ok(Val::V128(value))
}

fn show(value: &Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(v) => format!("{v:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => "null".to_string(),
        Val::ExnRef(Some(_)) => "exnref".to_string(),
        Val::FuncRef(Some(_)) => "funcref".to_string(),
        Val::ExternRef(Some(id)) => format!("externref {id}"),
    }
}

/// The guest's WASI context from the command line.
fn wasi_ctx(args: &RunArgs) -> Result<WasiCtx> {
    let name = args.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let argv = if args.invoke.is_some() { Vec::new() } else { args.args.clone() };
    let mut builder = WasiCtx::builder().args(std::iter::once(name).chain(argv));
    for pair in &args.envs {
        let (key, value) = pair.split_once('=').ok_or_else(|| anyhow!("--env `{pair}` is not K=V"))?;
        builder = builder.env(key, value);
    }
    for dir in &args.dirs {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        builder = builder.preopened_dir(host, guest)?;
    }
    Ok(builder.build())
}

/// What the guest's store holds: its WASI context and its limiter.
struct Host {
    wasi: WasiCtx,
    limiter: Limiter,
}

/// How a trap ends the run: `proc_exit`'s code, or a message (naming the
/// limit that stopped the guest, if one did), the Wasm backtrace and 1.
fn exit_on_trap(store: &Store<Host>, trap: &Trap, limits: &LimitArgs) -> ExitCode {
    match store.data().wasi.exit_code() {
        Some(code) if plumb_wasi::is_exit(trap) => ExitCode::from((code & 0xff) as u8),
        _ => {
            match limits.explain(trap, &store.data().limiter) {
                Some(limit) => eprintln!("error: {trap} ({limit})"),
                None => eprintln!("error: {trap}"),
            }
            if !trap.trace().is_empty() {
                eprint!("wasm backtrace:\n{}", trap.trace_text());
            }
            ExitCode::FAILURE
        }
    }
}

/// Runs the command: a WASI command exits with its exit code; a trap
/// prints its message and exits with 1.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let limits = &args.limits;
    let engine = limits.engine(args.perfmap)?;
    let module = if crate::compile_cmd::is_precompiled(&bytes) {
        // SAFETY: `plumb run` runs the files it is given; a precompiled one
        // is checked for damage and for a matching Plumb, target and
        // settings, and otherwise trusted as `plumb compile` wrote it.
        unsafe { Module::deserialize(&engine, &bytes) }.with_context(|| {
            format!(
                "cannot load {} (compile it with `plumb compile`, adding --consume-fuel / --epoch-interruption \
                 exactly when running with --fuel / --timeout)",
                args.file.display()
            )
        })?
    } else {
        Module::new(&engine, &bytes).with_context(|| format!("cannot compile {}", args.file.display()))?
    };
    let mut store = Store::new(&engine, Host { wasi: wasi_ctx(args)?, limiter: limits.limiter() });
    store.limiter(|host| &mut host.limiter);
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel)?;
    }
    if limits.timeout.is_some() {
        store.set_epoch_deadline(1);
        limits.start_timer(&engine);
    }
    let mut linker = Linker::new(&engine);
    plumb_wasi::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)?;
    // The Sightglass benchmarks mark their measured region with these.
    linker.func_wrap("bench", "start", |_: plumb::Caller<'_, Host>| {})?;
    linker.func_wrap("bench", "end", |_: plumb::Caller<'_, Host>| {})?;
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(instance) => instance,
        Err(plumb::Error::Trap(trap)) => return Ok(exit_on_trap(&store, &trap, limits)),
        Err(e @ plumb::Error::Resource(_)) if limits.max_memory.is_some() => {
            let limit = limits.max_memory.unwrap_or_default();
            return Err(e).context(format!("cannot instantiate the module (--max-memory is {limit} bytes)"));
        }
        Err(e) => return Err(e).context("cannot instantiate the module"),
    };
    let Some(name) = args.invoke.as_deref() else {
        let start = instance
            .get_func(&store, "_start")
            .ok_or_else(|| anyhow!("the module exports no `_start`: name a function with --invoke"))?;
        return match start.call(&mut store, &[], &mut []) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(plumb::Error::Trap(trap)) => Ok(exit_on_trap(&store, &trap, limits)),
            Err(e) => Err(e.into()),
        };
    };
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
                crate::out::line(show(r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(plumb::Error::Trap(trap)) => Ok(exit_on_trap(&store, &trap, limits)),
        Err(e) => Err(e.into()),
    }
}
