//! Compile time, instantiation time and call overhead of the engine.
//!
//! `cargo bench -p plumb --bench engine`. Compile times use real programs
//! from the Sightglass suite (`../shared/bench/sightglass`); calls use tiny
//! functions so that the host-to-Wasm entry path is what is measured.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use plumb::{Config, Engine, InstanceAllocationStrategy, Linker, Module, Store, Val};

fn sightglass(name: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/sightglass");
    std::fs::read(dir.join(name)).ok()
}

fn compile(c: &mut Criterion) {
    let engine = Engine::default();
    let mut group = c.benchmark_group("compile");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    let programs = [
        ("shootout-fib2 (20 KB)", "shootout/shootout-fib2.wasm"),
        ("shootout-keccak (84 KB)", "shootout/shootout-keccak.wasm"),
        ("bz2 (196 KB)", "bz2/benchmark.wasm"),
    ];
    for (label, path) in programs {
        let Some(bytes) = sightglass(path) else {
            eprintln!("skipping {label}: {path} not found beside the checkout");
            continue;
        };
        group.bench_function(label, |b| b.iter(|| Module::from_binary(&engine, black_box(&bytes))));
    }
    group.finish();
}

/// The machine-code checker's cost: compiling with
/// `Config::check_machine_code` on against off, on the same programs in the
/// same run (the README's figure is the ratio of the medians minus one).
fn machine_code_check(c: &mut Criterion) {
    let plain = Engine::default();
    let checked = Engine::new(Config::new().check_machine_code(true)).expect("an engine with the checker");
    let mut group = c.benchmark_group("machine-code check");
    group.sample_size(10).measurement_time(Duration::from_secs(8));
    let programs = [
        ("shootout-keccak", "shootout/shootout-keccak.wasm"),
        ("bz2", "bz2/benchmark.wasm"),
        ("pulldown-cmark", "pulldown-cmark/benchmark.wasm"),
    ];
    for (label, path) in programs {
        let Some(bytes) = sightglass(path) else {
            eprintln!("skipping {label}: {path} not found beside the checkout");
            continue;
        };
        group.bench_function(format!("{label} compile"), |b| {
            b.iter(|| Module::from_binary(&plain, black_box(&bytes)))
        });
        group.bench_function(format!("{label} compile + check"), |b| {
            b.iter(|| Module::from_binary(&checked, black_box(&bytes)))
        });
    }
    group.finish();
}

/// Loading a precompiled module (`Module::deserialize`) against compiling
/// it, on the same program in the same run.
fn load_precompiled(c: &mut Criterion) {
    let engine = Engine::default();
    let Some(bytes) = sightglass("bz2/benchmark.wasm") else {
        eprintln!("skipping the precompiled load: bz2 not found beside the checkout");
        return;
    };
    let precompiled = Module::from_binary(&engine, &bytes).and_then(|m| m.serialize()).expect("serializes");
    let mut group = c.benchmark_group("load bz2 (196 KB)");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("compile", |b| b.iter(|| Module::from_binary(&engine, black_box(&bytes))));
    group.bench_function("deserialize", |b| {
        // SAFETY: the bytes were written by `Module::serialize` just above.
        b.iter(|| unsafe { Module::deserialize(&engine, black_box(&precompiled)) })
    });
    group.finish();
}

const CALLS: &str = r#"(module
  (memory 1)
  (data (i32.const 0) "0123456789abcdef")
  (func (export "nop"))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#;

/// The ways of making memories: on-demand reservations with the data
/// segment written (as before images), on-demand with a copy-on-write
/// image, and pooled slots with the image.
fn allocation_configs() -> [(&'static str, Config); 3] {
    let mut pooling = Config::new();
    pooling.allocation_strategy(InstanceAllocationStrategy::pooling());
    [
        ("on-demand", Config::new().memory_init_cow(false).clone()),
        ("on-demand + CoW", Config::new()),
        ("pooling + CoW", pooling),
    ]
}

/// Instantiation of a pre-linked module in a fresh store, dropped each
/// time, for each way of making memories.
fn instantiate(c: &mut Criterion) {
    let mut group = c.benchmark_group("instantiate (1 page, 1 data segment)");
    for (label, config) in allocation_configs() {
        let engine = Engine::new(&config).expect("engine");
        let module = Module::new(&engine, CALLS).expect("compiles");
        let pre = Linker::new(&engine).instantiate_pre(&module).expect("links");
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut store = Store::new(&engine, ());
                black_box(pre.instantiate(&mut store).expect("instantiates"));
            })
        });
    }
    group.finish();
}

/// Not a timing: the resident memory (VmRSS) that 1,000 idle instances of
/// the module add, each in its own store, for each way of making memories.
fn idle_instances(_: &mut Criterion) {
    fn resident_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
    // Every store is kept to the end, so that no measurement reuses heap
    // pages an earlier one freed.
    let mut kept = Vec::new();
    for (label, config) in allocation_configs() {
        let engine = Engine::new(&config).expect("engine");
        let module = Module::new(&engine, CALLS).expect("compiles");
        let pre = Linker::new(&engine).instantiate_pre(&module).expect("links");
        drop(pre.instantiate(&mut Store::new(&engine, ())));
        let before = resident_kib();
        for _ in 0..1000 {
            let mut store = Store::new(&engine, ());
            pre.instantiate(&mut store).expect("instantiates");
            kept.push(store);
        }
        if let (Some(before), Some(after)) = (before, resident_kib()) {
            let added = after.saturating_sub(before);
            let each = added * 1024 / 1000;
            println!("resident memory of 1,000 idle instances ({label}): {added} KiB ({each} bytes each)");
        }
    }
}

fn calls(c: &mut Criterion) {
    let engine = Engine::default();
    let module = Module::new(&engine, CALLS).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    let nop = instance.get_typed_func::<(), ()>(&store, "nop").expect("nop");
    let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add").expect("add");
    let dynamic = instance.get_func(&store, "add").expect("add");
    c.bench_function("call nop (typed)", |b| b.iter(|| nop.call(&mut store, ())));
    c.bench_function("call add (typed)", |b| b.iter(|| add.call(&mut store, black_box((1, 2)))));
    let mut results = [Val::I32(0)];
    c.bench_function("call add (dynamic)", |b| {
        b.iter(|| dynamic.call(&mut store, black_box(&[Val::I32(1), Val::I32(2)]), &mut results))
    });
}

/// A memory-bound kernel (two loads and a store per step over 256 KiB,
/// the shape of Sightglass's array loops) on a memory with `addr`
/// (`i32` or `i64`) addresses: the 64-bit one pays the explicit bounds
/// check of every access (`heap_oob`).
fn memory_kernel(addr: &str) -> String {
    let at = |e: &str| if addr == "i64" { format!("(i64.extend_i32_u {e})") } else { e.to_string() };
    let (i4, i4n) = (
        at("(i32.shl (local.get $i) (i32.const 2))"),
        at("(i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2))"),
    );
    format!(
        r#"(module
          (memory {addr} 4)
          (func (export "init")
            (local $i i32)
            (loop $l
              (i32.store {i4} (i32.mul (local.get $i) (i32.const -1640531535)))
              (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 65536)))))
          (func (export "run") (param $n i32) (result i32)
            (local $i i32)
            (loop $rounds
              (local.set $i (i32.const 0))
              (loop $l
                (i32.store {i4}
                  (i32.xor (i32.add (i32.load {i4}) (i32.load {i4n}))
                           (i32.shr_u (i32.load {i4}) (i32.const 3))))
                (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 65535))))
              (br_if $rounds (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (i32.load {zero})))"#,
        zero = at("(i32.const 0)"),
    )
}

fn memory64_cost(c: &mut Criterion) {
    let engine = Engine::default();
    let mut group = c.benchmark_group("memory64 (run, 65535 steps)");
    for addr in ["i32", "i64"] {
        let module = Module::new(&engine, memory_kernel(addr)).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
        instance
            .get_typed_func::<(), ()>(&store, "init")
            .expect("init")
            .call(&mut store, ())
            .expect("init runs");
        let run = instance.get_typed_func::<i32, i32>(&store, "run").expect("run");
        group.bench_function(format!("{addr} addresses"), |b| b.iter(|| run.call(&mut store, black_box(1))));
    }
    group.finish();
}

/// The cost of the test after every call that exception handling adds
/// (`Config::wasm_exceptions`): recursive `fib(20)`, 21,891 calls, with
/// the feature on (the default) and off.
fn exception_checks(c: &mut Criterion) {
    let fib = r#"(module
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
          (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#;
    let mut group = c.benchmark_group("exception checks (run, fib 20)");
    for exceptions in [true, false] {
        let mut config = Config::new();
        config.wasm_exceptions(exceptions);
        let engine = Engine::new(&config).expect("an engine");
        let module = Module::new(&engine, fib).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
        let run = instance.get_typed_func::<i32, i32>(&store, "fib").expect("fib");
        let label = if exceptions { "exceptions on" } else { "exceptions off" };
        group.bench_function(label, |b| b.iter(|| run.call(&mut store, black_box(20))));
    }
    group.finish();
}

/// What the tests after calls cost the compiler: compiling the Sightglass
/// programs where they cost most with `Config::wasm_exceptions` on and off.
fn exception_checks_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("exception checks (compile)");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (label, path) in [
        ("shootout-ed25519", "shootout/shootout-ed25519.wasm"),
        ("shootout-ctype", "shootout/shootout-ctype.wasm"),
    ] {
        let Some(bytes) = sightglass(path) else {
            eprintln!("skipping {label}: {path} not found beside the checkout");
            continue;
        };
        for exceptions in [true, false] {
            let mut config = Config::new();
            config.wasm_exceptions(exceptions);
            let engine = Engine::new(&config).expect("an engine");
            let on = if exceptions { "on" } else { "off" };
            group.bench_function(format!("{label}, exceptions {on}"), |b| {
                b.iter(|| Module::from_binary(&engine, black_box(&bytes)))
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    compile,
    machine_code_check,
    load_precompiled,
    instantiate,
    idle_instances,
    calls,
    memory64_cost,
    exception_checks,
    exception_checks_compile
);
criterion_main!(benches);
