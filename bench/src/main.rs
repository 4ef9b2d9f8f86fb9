//! `plumb-bench`: Plumb, wasmtime (default configuration and pooling
//! allocator with copy-on-write memory initialisation) and wasmi side by
//! side on the Sightglass programs, in one run on one machine. For each
//! program and runtime: the medians over several iterations (interleaved:
//! one of each runtime per round) of compile time, instantiation time and
//! run time between `bench.start` and `bench.end`; then the geometric means
//! of the ratios Plumb/other.
//!
//! `cargo run --release -- --help` lists the options.

mod memory64;
mod runtimes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtimes::{Output, Program, Runtime, Sample};

/// Programs that need features Plumb lacks (none since SIMD, 2026-12-02).
const SKIPPED: &[&str] = &[];

const HELP: &str = "\
plumb-bench: Plumb, wasmtime (default and pooling + copy-on-write) and wasmi on
the Sightglass programs, in one run. Prints, per program and runtime, the
medians of compile, instantiate and run time (between bench.start and
bench.end), then the geometric means of the ratios Plumb / other.

Usage: cargo run --release -- [OPTIONS] [FILTER...]

Options:
  --iterations N      iterations per program and runtime (default 5)
  --sightglass DIR    the Sightglass programs (default ../../shared/bench/sightglass)
  --no-cranelift-opt  also measure Plumb with Config::cranelift_opt(false)
                      (every rewrite before instruction selection a proved rule)
  --pooling           also measure Plumb with its pooling instance allocator
  --no-exceptions     also measure Plumb with Config::wasm_exceptions(false)
                      (no test of the thrown exception after each call)
  --memory64          also measure Plumb and wasmtime on a memory64 build of
                      each program (its memory rewritten to i64 addresses)
  -h, --help          this text

FILTER keeps only the programs whose path contains one of the strings.";

struct Options {
    iterations: usize,
    sightglass: PathBuf,
    filters: Vec<String>,
    without_cranelift_opt: bool,
    pooling: bool,
    without_exceptions: bool,
    memory64: bool,
}

fn options() -> Result<Options> {
    let mut options = Options {
        iterations: 5,
        sightglass: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/sightglass"),
        filters: Vec::new(),
        without_cranelift_opt: false,
        pooling: false,
        without_exceptions: false,
        memory64: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                std::process::exit(0);
            }
            "--iterations" => {
                let n = args.next().context("--iterations needs a count")?;
                options.iterations = n.parse().with_context(|| format!("--iterations {n}: not a count"))?;
                if options.iterations == 0 {
                    bail!("--iterations must be at least 1");
                }
            }
            "--sightglass" => options.sightglass = args.next().context("--sightglass needs a folder")?.into(),
            "--no-cranelift-opt" => options.without_cranelift_opt = true,
            "--pooling" => options.pooling = true,
            "--no-exceptions" => options.without_exceptions = true,
            "--memory64" => options.memory64 = true,
            _ if arg.starts_with('-') => bail!("unknown option {arg} (see --help)"),
            _ => options.filters.push(arg),
        }
    }
    Ok(options)
}

/// The programs, relative to the Sightglass folder, sorted.
fn programs(root: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(root).with_context(|| root.display().to_string())? {
        let dir = dir?.path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir)? {
            let path = file?.path();
            if path.extension().is_some_and(|e| e == "wasm") {
                found.push(path.strip_prefix(root)?.to_string_lossy().into_owned());
            }
        }
    }
    found.retain(|p| !SKIPPED.contains(&p.as_str()));
    found.sort();
    Ok(found)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// Runs `program` `iterations` times on each of `runtimes`, checking its
/// output each time; the medians per runtime. The iterations are
/// interleaved (one of each runtime per round), so that a slow spell of a
/// shared machine falls on every runtime alike instead of on whichever ran
/// then. A runtime that fails is not run again. With `memory64`, the
/// program's memory64 build.
fn measure(
    runtimes: &[Runtime],
    root: &Path,
    name: &str,
    iterations: usize,
    memory64: bool,
) -> Vec<Result<Sample>> {
    let prepared = (|| -> Result<(Vec<u8>, PathBuf, String)> {
        let path = root.join(name);
        let mut wasm = std::fs::read(&path)?;
        if memory64 {
            wasm = memory64::to_memory64(&wasm)?;
        }
        let dir = path.parent().context("a folder")?.to_path_buf();
        let stem = path.file_stem().context("a name")?.to_string_lossy().into_owned();
        Ok((wasm, dir, stem))
    })();
    let (wasm, dir, stem) = match prepared {
        Ok(p) => p,
        Err(e) => return runtimes.iter().map(|_| Err(anyhow::anyhow!("{e:#}"))).collect(),
    };
    let program = Program { wasm: &wasm, dir: &dir };
    let once = |runtime: &Runtime| -> Result<Sample> {
        let (stdout, stderr) = (Output::default(), Output::default());
        let sample = runtime.measure(&program, &stdout, &stderr)?;
        for (stream, output) in [("stdout", &stdout), ("stderr", &stderr)] {
            if let Ok(expected) = std::fs::read(dir.join(format!("{stem}.{stream}.expected")))
                && expected != output.bytes()
            {
                bail!("wrong {stream}");
            }
        }
        Ok(sample)
    };
    let mut samples: Vec<Result<Vec<Sample>>> = runtimes.iter().map(|_| Ok(Vec::new())).collect();
    for _ in 0..iterations {
        for (runtime, taken) in runtimes.iter().zip(&mut samples) {
            if let Ok(list) = taken {
                match once(runtime) {
                    Ok(sample) => list.push(sample),
                    Err(e) => *taken = Err(e),
                }
            }
        }
    }
    samples
        .into_iter()
        .map(|taken| {
            let samples = taken?;
            Ok(Sample {
                compile: median(samples.iter().map(|s| s.compile).collect()),
                instantiate: median(samples.iter().map(|s| s.instantiate).collect()),
                run: median(samples.iter().map(|s| s.run).collect()),
            })
        })
        .collect()
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let options = options()?;
    let mut runtimes = vec![
        Runtime::Plumb { cranelift_opt: true, pooling: false, exceptions: true },
        Runtime::Wasmtime { pooling: false },
        Runtime::Wasmtime { pooling: true },
        Runtime::Wasmi,
    ];
    if options.pooling {
        runtimes.push(Runtime::Plumb { cranelift_opt: true, pooling: true, exceptions: true });
    }
    if options.without_cranelift_opt {
        runtimes.push(Runtime::Plumb { cranelift_opt: false, pooling: false, exceptions: true });
    }
    if options.without_exceptions {
        runtimes.push(Runtime::Plumb { cranelift_opt: true, pooling: false, exceptions: false });
    }
    let mut names = programs(&options.sightglass)?;
    if !options.filters.is_empty() {
        names.retain(|n| options.filters.iter().any(|f| n.contains(f.as_str())));
    }
    // Per program, per runtime: the medians (None if it failed).
    let mut table: Vec<(String, Vec<Option<Sample>>)> = Vec::new();
    // With --memory64: Plumb and wasmtime on the memory64 builds, and per
    // program the ratio of their run times to the plain build's.
    let memory64_runtimes = [
        Runtime::Plumb { cranelift_opt: true, pooling: false, exceptions: true },
        Runtime::Wasmtime { pooling: false },
    ];
    let mut memory64_ratios: Vec<(&str, f64)> = Vec::new();
    for name in &names {
        println!(
            "\n### {name}\n\n| runtime | compile (ms) | instantiate (ms) | run (ms) |\n|---|---:|---:|---:|"
        );
        let mut row = Vec::new();
        let samples = measure(&runtimes, &options.sightglass, name, options.iterations, false);
        for (runtime, sample) in runtimes.iter().zip(samples) {
            match sample {
                Ok(s) => {
                    println!(
                        "| {} | {} | {} | {} |",
                        runtime.name(),
                        ms(s.compile),
                        ms(s.instantiate),
                        ms(s.run)
                    );
                    row.push(Some(s));
                }
                Err(e) => {
                    println!("| {} | failed: {e:#} | | |", runtime.name());
                    row.push(None);
                }
            }
        }
        if options.memory64 {
            let samples = measure(&memory64_runtimes, &options.sightglass, name, options.iterations, true);
            for (runtime, sample) in memory64_runtimes.iter().zip(samples) {
                match &sample {
                    Ok(s) => println!(
                        "| {} (memory64) | {} | {} | {} |",
                        runtime.name(),
                        ms(s.compile),
                        ms(s.instantiate),
                        ms(s.run)
                    ),
                    Err(e) => println!("| {} (memory64) | failed: {e:#} | | |", runtime.name()),
                }
                let plain = runtimes.iter().position(|r| r.name() == runtime.name()).and_then(|i| row[i]);
                if let (Ok(wide), Some(plain)) = (sample, plain) {
                    memory64_ratios
                        .push((runtime.name(), wide.run.as_secs_f64() / plain.run.as_secs_f64().max(1e-9)));
                }
            }
        }
        table.push((name.clone(), row));
    }
    if options.memory64 {
        println!("\n### Run time of the memory64 build / the program as it is (geometric mean)\n");
        println!("| runtime | ratio | programs |\n|---|---:|---:|");
        for runtime in &memory64_runtimes {
            let ratios: Vec<f64> =
                memory64_ratios.iter().filter(|(n, _)| *n == runtime.name()).map(|&(_, r)| r.ln()).collect();
            let geomean = (ratios.iter().sum::<f64>() / ratios.len().max(1) as f64).exp();
            println!("| {} | {geomean:.2} | {} |", runtime.name(), ratios.len());
        }
    }
    println!("\n### Geometric mean of the ratios Plumb / other (below 1: Plumb is faster)\n");
    println!("| ratio | compile | instantiate | run | programs |\n|---|---:|---:|---:|---:|");
    let is_plumb = |r: &Runtime| matches!(r, Runtime::Plumb { .. });
    for (mine, plumb) in runtimes.iter().enumerate().filter(|(_, r)| is_plumb(r)) {
        for (theirs, other) in runtimes.iter().enumerate().filter(|(_, r)| !is_plumb(r)) {
            let pairs: Vec<(Sample, Sample)> = table
                .iter()
                .filter_map(|(_, row)| Some(((*row.get(mine)?)?, (*row.get(theirs)?)?)))
                .collect();
            let geomean = |phase: fn(&Sample) -> Duration| {
                let logs: f64 = pairs
                    .iter()
                    .map(|(p, o)| (phase(p).as_secs_f64().max(1e-9) / phase(o).as_secs_f64().max(1e-9)).ln())
                    .sum();
                (logs / pairs.len().max(1) as f64).exp()
            };
            println!(
                "| {} / {} | {:.2} | {:.2} | {:.2} | {} |",
                plumb.name(),
                other.name(),
                geomean(|s| s.compile),
                geomean(|s| s.instantiate),
                geomean(|s| s.run),
                pairs.len()
            );
        }
    }
    Ok(())
}
