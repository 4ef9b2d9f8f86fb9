//! `plumb-bench`: Plumb, wasmtime (default configuration and pooling
//! allocator with copy-on-write memory initialisation) and wasmi side by
//! side on the Sightglass programs, in one run on one machine. For each
//! program and runtime: the medians over several iterations of compile
//! time, instantiation time and run time between `bench.start` and
//! `bench.end`; then the geometric means of the ratios Plumb/other.
//!
//! `cargo run --release -- [--iterations N] [--sightglass DIR] [FILTER...]`

mod runtimes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtimes::{Output, Program, Runtime, Sample};

/// Programs that need features Plumb lacks.
const SKIPPED: &[&str] = &["blake3-simd/benchmark.wasm"];

struct Options {
    iterations: usize,
    sightglass: PathBuf,
    filters: Vec<String>,
}

fn options() -> Result<Options> {
    let mut options = Options {
        iterations: 5,
        sightglass: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/sightglass"),
        filters: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => options.iterations = args.next().context("--iterations N")?.parse()?,
            "--sightglass" => options.sightglass = args.next().context("--sightglass DIR")?.into(),
            _ if arg.starts_with("--") => bail!("unknown option {arg}"),
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

/// Runs `program` `iterations` times on `runtime`, checking its output
/// each time; the medians.
fn measure(runtime: &Runtime, root: &Path, name: &str, iterations: usize) -> Result<Sample> {
    let path = root.join(name);
    let wasm = std::fs::read(&path)?;
    let dir = path.parent().context("a folder")?;
    let stem = path.file_stem().context("a name")?.to_string_lossy();
    let program = Program { wasm: &wasm, dir };
    let mut samples = Vec::new();
    for _ in 0..iterations {
        let (stdout, stderr) = (Output::default(), Output::default());
        samples.push(runtime.measure(&program, &stdout, &stderr)?);
        for (stream, output) in [("stdout", &stdout), ("stderr", &stderr)] {
            if let Ok(expected) = std::fs::read(dir.join(format!("{stem}.{stream}.expected")))
                && expected != output.bytes()
            {
                bail!("wrong {stream}");
            }
        }
    }
    Ok(Sample {
        compile: median(samples.iter().map(|s| s.compile).collect()),
        instantiate: median(samples.iter().map(|s| s.instantiate).collect()),
        run: median(samples.iter().map(|s| s.run).collect()),
    })
}

fn main() -> Result<()> {
    let options = options()?;
    let runtimes = [
        Runtime::Plumb,
        Runtime::Wasmtime { pooling: false },
        Runtime::Wasmtime { pooling: true },
        Runtime::Wasmi,
    ];
    let mut names = programs(&options.sightglass)?;
    if !options.filters.is_empty() {
        names.retain(|n| options.filters.iter().any(|f| n.contains(f.as_str())));
    }
    // Per program, per runtime: the medians (None if it failed).
    let mut table: Vec<(String, Vec<Option<Sample>>)> = Vec::new();
    for name in &names {
        println!(
            "\n### {name}\n\n| runtime | compile (ms) | instantiate (ms) | run (ms) |\n|---|---:|---:|---:|"
        );
        let mut row = Vec::new();
        for runtime in &runtimes {
            match measure(runtime, &options.sightglass, name, options.iterations) {
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
        table.push((name.clone(), row));
    }
    println!("\n### Geometric mean of the ratios Plumb / other (below 1: Plumb is faster)\n");
    println!("| Plumb / | compile | instantiate | run | programs |\n|---|---:|---:|---:|---:|");
    for (index, runtime) in runtimes.iter().enumerate().skip(1) {
        let pairs: Vec<(Sample, Sample)> =
            table.iter().filter_map(|(_, row)| Some(((*row.first()?)?, (*row.get(index)?)?))).collect();
        let geomean = |phase: fn(&Sample) -> Duration| {
            let logs: f64 = pairs
                .iter()
                .map(|(plumb, other)| {
                    let (p, o) = (phase(plumb).as_secs_f64().max(1e-9), phase(other).as_secs_f64().max(1e-9));
                    (p / o).ln()
                })
                .sum();
            (logs / pairs.len().max(1) as f64).exp()
        };
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {} |",
            runtime.name(),
            geomean(|s| s.compile),
            geomean(|s| s.instantiate),
            geomean(|s| s.run),
            pairs.len()
        );
    }
    Ok(())
}
