//! The runtimes measured, behind one shape: compile, instantiate, run
//! `_start` and time the region between `bench.start` and `bench.end`.
//! Every runtime gets the same WASI (plumb-wasi, through
//! `plumb_wasi::call` for the other two), so the figures compare engines,
//! not WASI implementations.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use plumb_wasi::{ProcExit, WasiCtx};

/// One measurement of one program.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub compile: Duration,
    pub instantiate: Duration,
    pub run: Duration,
}

/// What the guest printed.
#[derive(Clone, Default)]
pub struct Output(Arc<Mutex<Vec<u8>>>);

impl Output {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A program to run: its bytes and the directory preopened as `.`.
pub struct Program<'a> {
    pub wasm: &'a [u8],
    pub dir: &'a Path,
}

/// The store data of every runtime: the guest's WASI context and the
/// instants `bench.start` and `bench.end` were called.
pub struct Host {
    pub wasi: WasiCtx,
    pub start: Option<Instant>,
    pub end: Option<Instant>,
}

impl Host {
    fn new(program: &Program<'_>, stdout: &Output, stderr: &Output) -> Result<Host> {
        let wasi = WasiCtx::builder()
            .args(["benchmark.wasm"])
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .preopened_dir(program.dir, ".")?
            .build();
        Ok(Host { wasi, start: None, end: None })
    }

    /// The measured region, or the whole run when the program marks none.
    fn region(&self, whole: Duration) -> Duration {
        match (self.start, self.end) {
            (Some(start), Some(end)) => end.duration_since(start),
            _ => whole,
        }
    }
}

/// Whether a run ended well: returned, or `proc_exit(0)`.
fn exited_cleanly(exit: Option<&ProcExit>) -> bool {
    exit.is_some_and(|e| e.0 == 0)
}

/// A runtime under measurement.
pub enum Runtime {
    /// Plumb, with Cranelift's own optimiser (`Config::cranelift_opt`) on
    /// or off (off: every rewrite between Wasm and instruction selection
    /// is a proved rule).
    Plumb {
        cranelift_opt: bool,
        /// With its pooling instance allocator (memory images are on in
        /// every configuration).
        pooling: bool,
        /// With exception handling (`Config::wasm_exceptions`, on by
        /// default: a test of the thrown exception after every call).
        exceptions: bool,
    },
    /// wasmtime with its default configuration, or with its pooling
    /// allocator and copy-on-write memory initialisation.
    Wasmtime {
        pooling: bool,
    },
    Wasmi,
}

impl Runtime {
    pub fn name(&self) -> &'static str {
        match self {
            Runtime::Plumb { exceptions: false, .. } => "plumb-no-exceptions",
            Runtime::Plumb { cranelift_opt: true, pooling: false, .. } => "plumb",
            Runtime::Plumb { cranelift_opt: true, pooling: true, .. } => "plumb-pool",
            Runtime::Plumb { cranelift_opt: false, pooling: false, .. } => "plumb-no-cl-opt",
            Runtime::Plumb { cranelift_opt: false, pooling: true, .. } => "plumb-no-cl-opt-pool",
            Runtime::Wasmtime { pooling: false } => "wasmtime",
            Runtime::Wasmtime { pooling: true } => "wasmtime-pool",
            Runtime::Wasmi => "wasmi",
        }
    }

    /// Compiles, instantiates and runs `program` once.
    pub fn measure(&self, program: &Program<'_>, stdout: &Output, stderr: &Output) -> Result<Sample> {
        let host = Host::new(program, stdout, stderr)?;
        match self {
            Runtime::Plumb { cranelift_opt, pooling, exceptions } => {
                plumb_once(program, host, *cranelift_opt, *pooling, *exceptions)
            }
            Runtime::Wasmtime { pooling } => wasmtime_once(program, host, *pooling),
            Runtime::Wasmi => wasmi_once(program, host),
        }
    }
}

fn plumb_once(
    program: &Program<'_>,
    host: Host,
    cranelift_opt: bool,
    pooling: bool,
    exceptions: bool,
) -> Result<Sample> {
    use plumb::{
        Caller, Config, Engine, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig, Store,
    };
    let mut config = Config::new();
    config.cranelift_opt(cranelift_opt).wasm_exceptions(exceptions);
    if pooling {
        // The same pool sizes as wasmtime's pooling configuration below.
        let mut pool = PoolingAllocationConfig::new();
        pool.total_memories(4).total_tables(4).total_core_instances(4);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    let engine = Engine::new(&config)?;
    let started = Instant::now();
    let module = Module::new(&engine, program.wasm)?;
    let compile = started.elapsed();
    let mut linker = Linker::new(&engine);
    plumb_wasi::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)?;
    linker
        .func_wrap("bench", "start", |mut c: Caller<'_, Host>| c.data_mut().start = Some(Instant::now()))?;
    linker.func_wrap("bench", "end", |mut c: Caller<'_, Host>| c.data_mut().end = Some(Instant::now()))?;
    let mut store = Store::new(&engine, host);
    let started = Instant::now();
    let instance = linker.instantiate(&mut store, &module)?;
    let instantiate = started.elapsed();
    let start = instance.get_typed_func::<(), ()>(&store, "_start")?;
    let started = Instant::now();
    let outcome = start.call(&mut store, ());
    let whole = started.elapsed();
    if let Err(e) = outcome
        && store.data().wasi.exit_code() != Some(0)
    {
        return Err(e.into());
    }
    Ok(Sample { compile, instantiate, run: store.data().region(whole) })
}

fn wasmtime_once(program: &Program<'_>, host: Host, pooling: bool) -> Result<Sample> {
    use wasmtime::{
        Caller, Config, Engine, Extern, FuncType, InstanceAllocationStrategy, Linker, Module,
        PoolingAllocationConfig, Store, Val, ValType,
    };
    let mut config = Config::new();
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_memories(4).total_tables(4).total_core_instances(4);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        config.memory_init_cow(true);
    }
    let engine = Engine::new(&config).map_err(|e| anyhow!("{e}"))?;
    let started = Instant::now();
    let module = Module::new(&engine, program.wasm).map_err(|e| anyhow!("{e}"))?;
    let compile = started.elapsed();
    let mut linker: Linker<Host> = Linker::new(&engine);
    for (name, params) in plumb_wasi::functions() {
        let to_wasmtime =
            |t: &plumb::ValType| if *t == plumb::ValType::I64 { ValType::I64 } else { ValType::I32 };
        let results = if name == "proc_exit" { vec![] } else { vec![ValType::I32] };
        let ty = FuncType::new(&engine, params.iter().map(to_wasmtime), results);
        linker
            .func_new(plumb_wasi::MODULE, name, ty, move |mut caller: Caller<'_, Host>, args, results| {
                let args: Vec<plumb::Val> = args
                    .iter()
                    .map(|v| match v {
                        Val::I64(x) => plumb::Val::I64(*x),
                        other => plumb::Val::I32(other.i32().unwrap_or_default()),
                    })
                    .collect();
                let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                    return Err(wasmtime::Error::msg("no memory export"));
                };
                let (bytes, host) = memory.data_and_store_mut(&mut caller);
                let errno =
                    plumb_wasi::call(&mut host.wasi, bytes, name, &args).map_err(wasmtime::Error::new)?;
                if let Some(slot) = results.first_mut() {
                    *slot = Val::I32(i32::from(errno));
                }
                Ok(())
            })
            .map_err(|e| anyhow!("{e}"))?;
    }
    linker
        .func_wrap("bench", "start", |mut c: Caller<'_, Host>| c.data_mut().start = Some(Instant::now()))
        .map_err(|e| anyhow!("{e}"))?;
    linker
        .func_wrap("bench", "end", |mut c: Caller<'_, Host>| c.data_mut().end = Some(Instant::now()))
        .map_err(|e| anyhow!("{e}"))?;
    let mut store = Store::new(&engine, host);
    let started = Instant::now();
    let instance = linker.instantiate(&mut store, &module).map_err(|e| anyhow!("{e}"))?;
    let instantiate = started.elapsed();
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(|e| anyhow!("{e}"))?;
    let started = Instant::now();
    let outcome = start.call(&mut store, ());
    let whole = started.elapsed();
    if let Err(e) = outcome
        && !exited_cleanly(e.downcast_ref::<ProcExit>())
    {
        return Err(anyhow!("{e}"));
    }
    Ok(Sample { compile, instantiate, run: store.data().region(whole) })
}

fn wasmi_once(program: &Program<'_>, host: Host) -> Result<Sample> {
    use wasmi::{Caller, Config, Engine, Extern, FuncType, Linker, Module, Store, Val, ValType};
    // wasmi's default limits (1000 nested calls) are too small for
    // ackermann; raise them like the native runtimes' stack allows.
    let mut config = Config::default();
    config.set_max_recursion_depth(100_000).set_max_stack_height(10_000_000);
    let engine = Engine::new(&config);
    let started = Instant::now();
    let module = Module::new(&engine, program.wasm).map_err(|e| anyhow!("{e}"))?;
    let compile = started.elapsed();
    let mut linker: Linker<Host> = Linker::new(&engine);
    for (name, params) in plumb_wasi::functions() {
        let to_wasmi =
            |t: &plumb::ValType| if *t == plumb::ValType::I64 { ValType::I64 } else { ValType::I32 };
        let results = if name == "proc_exit" { vec![] } else { vec![ValType::I32] };
        let ty = FuncType::new(params.iter().map(to_wasmi), results);
        linker
            .func_new(plumb_wasi::MODULE, name, ty, move |mut caller: Caller<'_, Host>, args, results| {
                let args: Vec<plumb::Val> = args
                    .iter()
                    .map(|v| match v {
                        Val::I64(x) => plumb::Val::I64(*x),
                        Val::I32(x) => plumb::Val::I32(*x),
                        _ => plumb::Val::I32(0),
                    })
                    .collect();
                let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                    return Err(wasmi::Error::new("no memory export"));
                };
                let (bytes, host) = memory.data_and_store_mut(&mut caller);
                let errno = plumb_wasi::call(&mut host.wasi, bytes, name, &args)
                    .map_err(|ProcExit(code)| wasmi::Error::i32_exit(code))?;
                if let Some(slot) = results.first_mut() {
                    *slot = Val::I32(i32::from(errno));
                }
                Ok(())
            })
            .map_err(|e| anyhow!("{e}"))?;
    }
    linker
        .func_wrap("bench", "start", |mut c: Caller<'_, Host>| c.data_mut().start = Some(Instant::now()))
        .map_err(|e| anyhow!("{e}"))?;
    linker
        .func_wrap("bench", "end", |mut c: Caller<'_, Host>| c.data_mut().end = Some(Instant::now()))
        .map_err(|e| anyhow!("{e}"))?;
    let mut store = Store::new(&engine, host);
    let started = Instant::now();
    let instance = linker.instantiate_and_start(&mut store, &module).map_err(|e| anyhow!("{e}"))?;
    let instantiate = started.elapsed();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").map_err(|e| anyhow!("{e}"))?;
    let started = Instant::now();
    let outcome = start.call(&mut store, ());
    let whole = started.elapsed();
    if let Err(e) = outcome
        && e.i32_exit_status() != Some(0)
    {
        return Err(anyhow!("{e}")).context("running _start");
    }
    Ok(Sample { compile, instantiate, run: store.data().region(whole) })
}
