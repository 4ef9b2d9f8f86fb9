//! The engine: compilation settings, the host ISA and what is shared by all
//! modules and stores (type ids, host trampolines, the rule set).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};

use crate::compile::compile_host_trampoline;
use crate::error::{Error, Result};
use crate::midend::{Lowering, RuleLowering};
use crate::runtime::code::CodeMemory;
use crate::runtime::pool::InstancePool;
use crate::types::{ExactFuncType, ExactType, FuncType};
use wasmparser::WasmFeatures;

/// Compilation and runtime settings.
#[derive(Debug, Clone)]
pub struct Config {
    cranelift_opt: bool,
    cranelift_debug_verifier: bool,
    max_wasm_stack: usize,
    memory_init_cow: bool,
    allocation_strategy: InstanceAllocationStrategy,
    multi_memory: bool,
    memory64: bool,
    function_references: bool,
    perfmap: bool,
    pub(crate) instrumentation: Instrumentation,
}

/// How instantiation gets the memories, tables and instances of a module
/// ([`Config::allocation_strategy`]).
#[derive(Debug, Clone, Default)]
pub enum InstanceAllocationStrategy {
    /// Each memory reserves its own 8 GiB of address space when it is
    /// made and unmaps it when its store drops (the default).
    #[default]
    OnDemand,
    /// The engine reserves slots for memories up front, and counts
    /// instances and tables against fixed limits; stores take them as they
    /// instantiate and give them back when they drop.
    Pooling(PoolingAllocationConfig),
}

impl InstanceAllocationStrategy {
    /// Pooling with the default limits of [`PoolingAllocationConfig`].
    pub fn pooling() -> InstanceAllocationStrategy {
        InstanceAllocationStrategy::Pooling(PoolingAllocationConfig::default())
    }
}

/// The limits of the pooling allocator, shared by all stores of an engine.
///
/// [`Engine::new`] reserves `total_memories` slots of 8 GiB of address space
/// each (the 4 GiB a 32-bit memory can address plus the 4 GiB guard region
/// an on-demand memory has: generated code checks no bounds in either).
/// Nothing is resident until a memory uses it. A memory's slot is reset when
/// its store drops: its pages are discarded (`madvise(MADV_DONTNEED)`), so
/// the next memory in it reads zeros or its module's copy-on-write image,
/// and the pages it grew by become inaccessible again. An instantiation that
/// needs more than a limit allows fails with [`Error::Resource`] naming
/// the limit. Memories and tables made by the host ([`Memory::new`],
/// [`Table::new`]) are allocated on demand and count against no limit here.
///
/// [`Memory::new`]: crate::Memory::new
/// [`Table::new`]: crate::Table::new
#[derive(Debug, Clone)]
pub struct PoolingAllocationConfig {
    pub(crate) total_memories: u32,
    pub(crate) total_tables: u32,
    pub(crate) total_core_instances: u32,
    pub(crate) max_memory_size: usize,
    pub(crate) table_elements: usize,
}

impl Default for PoolingAllocationConfig {
    /// 1000 memories, tables and instances; memories of up to 4 GiB,
    /// tables of up to 20,000 elements (wasmtime's defaults).
    fn default() -> PoolingAllocationConfig {
        PoolingAllocationConfig {
            total_memories: 1000,
            total_tables: 1000,
            total_core_instances: 1000,
            max_memory_size: 4 << 30,
            table_elements: 20_000,
        }
    }
}

impl PoolingAllocationConfig {
    /// The default limits.
    pub fn new() -> PoolingAllocationConfig {
        PoolingAllocationConfig::default()
    }

    /// How many memories instances of all stores may have at once: the
    /// number of 8 GiB slots reserved.
    pub fn total_memories(&mut self, count: u32) -> &mut PoolingAllocationConfig {
        self.total_memories = count;
        self
    }

    /// How many tables instances of all stores may define at once.
    pub fn total_tables(&mut self, count: u32) -> &mut PoolingAllocationConfig {
        self.total_tables = count;
        self
    }

    /// How many instances all stores may hold at once (an instance counts
    /// until its store drops).
    pub fn total_core_instances(&mut self, count: u32) -> &mut PoolingAllocationConfig {
        self.total_core_instances = count;
        self
    }

    /// The largest size of a memory, in bytes (at most 4 GiB): a module
    /// whose memory starts larger fails to instantiate, and `memory.grow`
    /// past it returns -1.
    pub fn max_memory_size(&mut self, bytes: usize) -> &mut PoolingAllocationConfig {
        self.max_memory_size = bytes;
        self
    }

    /// The most elements a table may have: a module whose table starts
    /// larger fails to instantiate, and `table.grow` past it returns -1.
    pub fn table_elements(&mut self, elements: usize) -> &mut PoolingAllocationConfig {
        self.table_elements = elements;
        self
    }
}

/// The checks compiled into every function, chosen by the `Config`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Instrumentation {
    /// Fuel charges per run of operators ([`Config::consume_fuel`]).
    pub fuel: bool,
    /// Epoch checks at function entries and loop headers
    /// ([`Config::epoch_interruption`]).
    pub epochs: bool,
    /// Every compiled function's machine code is checked
    /// ([`Config::check_machine_code`]); changes no code.
    pub check_machine_code: bool,
    /// Exception handling is enabled ([`Config::wasm_exceptions`]): every
    /// call is followed by a test of the exception being thrown.
    pub exceptions: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            cranelift_opt: true,
            cranelift_debug_verifier: cfg!(debug_assertions),
            max_wasm_stack: 512 * 1024,
            memory_init_cow: true,
            allocation_strategy: InstanceAllocationStrategy::OnDemand,
            multi_memory: true,
            memory64: true,
            function_references: true,
            perfmap: false,
            instrumentation: Instrumentation { exceptions: true, ..Instrumentation::default() },
        }
    }
}

impl Config {
    /// Default settings: Cranelift's own optimiser runs after the verified
    /// rules; guest stacks up to 512 KiB.
    pub fn new() -> Config {
        Config::default()
    }

    /// Whether every compiled function's machine code is checked to stay in
    /// its sandbox (`crate::check`, a VeriWasm-style abstract interpreter
    /// over the x86-64 code Cranelift emitted) before the module is
    /// accepted. A function that breaks a property makes compilation fail
    /// with [`Error::MachineCode`], naming the function, the instruction's
    /// offset, the instruction and the property. It checks isolation, not
    /// functional correctness. Off by default. On hosts other than x86-64
    /// the checker does not apply and [`Engine::new`] refuses a `Config`
    /// that asks for it. Modules loaded with `Module::deserialize` are not
    /// checked again.
    pub fn check_machine_code(&mut self, enable: bool) -> &mut Config {
        self.instrumentation.check_machine_code = enable;
        self
    }

    /// Whether Cranelift's optimiser runs after Plumb's rules. Off, every
    /// rewrite between Wasm and instruction selection is a proved rule.
    pub fn cranelift_opt(&mut self, enable: bool) -> &mut Config {
        self.cranelift_opt = enable;
        self
    }

    /// Whether Cranelift's IR verifier checks every function before code
    /// generation (its `enable_verifier` setting). It finds malformed IR
    /// from the translator, not wrong code, and changes no code; it costs
    /// about 5% of compile time. On by default in builds with debug
    /// assertions (the test suites), off in release builds, as Wasmtime's
    /// `cranelift_debug_verifier`; the fuzz targets turn it on.
    pub fn cranelift_debug_verifier(&mut self, enable: bool) -> &mut Config {
        self.cranelift_debug_verifier = enable;
        self
    }

    /// Whether guest code consumes fuel, so that a store can bound how much
    /// it runs ([`Store::set_fuel`](crate::Store::set_fuel)). Off by default.
    ///
    /// The cost table: `nop`, `drop`, `block`, `loop`, `else`, `end`,
    /// `unreachable` and `return` cost 0, every other operator 1 (the same
    /// table as wasmtime's). Fuel is charged per *run*: the operators from a
    /// control operator (`block`, `loop`, `if`, `else`, `end`, `br`,
    /// `br_if`, `br_table`, `return`, `unreachable`, `call`,
    /// `call_indirect`) or the function's start up to and including the
    /// next one. Entering a run charges its whole cost; a run that costs more
    /// than the fuel left traps with [`TrapCode::OutOfFuel`](crate::TrapCode)
    /// before any of its operators runs, and leaves the fuel as it was. A
    /// run that traps half-way has still been charged in full. Host
    /// functions cost nothing. The reference interpreter (`plumb-oracles`)
    /// charges by the same table and runs, so both run out at the same
    /// operator with the same fuel left.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.instrumentation.fuel = enable;
        self
    }

    /// Whether guest code checks the engine's epoch
    /// ([`Engine::increment_epoch`]) against its store's deadline
    /// ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)) at
    /// every function entry and loop header, and traps with
    /// [`TrapCode::Interrupt`](crate::TrapCode) once the epoch has reached
    /// the deadline. Off by default. As in wasmtime, a store's deadline is
    /// 0 until set, so code traps at its first check: set a deadline before
    /// calling. Cheaper than fuel (one load and compare per check) and
    /// meant for wall-clock timeouts: a thread increments the epoch on a
    /// timer.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Config {
        self.instrumentation.epochs = enable;
        self
    }

    /// Whether a module's memory starts from a copy-on-write image of its
    /// data segments (on by default). The image is laid out once per module,
    /// when it is compiled or loaded, in an in-memory file (`memfd`), and each
    /// instance maps it private over the start of its memory: instantiation
    /// copies no byte, and a page is copied only when the instance first
    /// writes to it. It applies to a module that defines its memory and
    /// whose active data segments all have constant offsets and fit in the
    /// memory's initial size; any other module has its segments written at
    /// instantiation, as with this setting off. The memory's contents are
    /// the same either way.
    pub fn memory_init_cow(&mut self, enable: bool) -> &mut Config {
        self.memory_init_cow = enable;
        self
    }

    /// Whether every compiled or loaded module's functions are written to
    /// the perf map of the process (`/tmp/perf-PID.map`, one line per
    /// function: start address, size and name, the name section's if the
    /// module has one), so that Linux `perf` names the JIT code in its
    /// profiles (`perf record` then `perf report`). Off by default. Lines
    /// are appended, and the file is left behind for `perf report` to
    /// read; a write that fails leaves the profile unnamed, never the
    /// module uncompiled.
    pub fn perfmap(&mut self, enable: bool) -> &mut Config {
        self.perfmap = enable;
        self
    }

    pub(crate) fn perfmap_enabled(&self) -> bool {
        self.perfmap
    }

    /// How instances get their memories and tables: on demand (the
    /// default), or from pools of slots reserved when the engine is made
    /// ([`InstanceAllocationStrategy::Pooling`]), which makes instantiating
    /// and dropping a store a few system calls cheaper, the pools' limits
    /// permitting.
    pub fn allocation_strategy(&mut self, strategy: InstanceAllocationStrategy) -> &mut Config {
        self.allocation_strategy = strategy;
        self
    }

    /// Whether modules may have more than one memory (WebAssembly 3.0's
    /// multi-memory feature; on by default, as in wasmtime). Off, a module
    /// with a second memory is invalid ("multiple memories"), as in
    /// WebAssembly 2.0. Each memory has its own reservation and guard
    /// region; memory 0 is reached with one load fewer than the others.
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Config {
        self.multi_memory = enable;
        self
    }

    /// Whether memories may have 64-bit addresses (WebAssembly 3.0's
    /// memory64; on by default). Plumb's 64-bit memories grow to at most
    /// 4 GiB, as its 32-bit ones (`memory.grow` gives -1 past that), and
    /// have the same reservation and guard region; since a guard cannot
    /// cover a 64-bit address, every access is also checked against the
    /// memory's length (the rule set's `heap_oob`, a proved rule), which
    /// costs a compare and a branch per access. Off, a 64-bit memory is
    /// invalid, as in WebAssembly 2.0.
    pub fn wasm_memory64(&mut self, enable: bool) -> &mut Config {
        self.memory64 = enable;
        self
    }

    /// Whether typed function references are allowed (WebAssembly 3.0:
    /// `(ref $t)` and `(ref null $t)` types, `call_ref`,
    /// `return_call_ref`, `ref.as_non_null`, `br_on_null`,
    /// `br_on_non_null`, table initialisers; on by default). Off, modules
    /// using them are invalid, as in WebAssembly 2.0. The machine-code
    /// checker does not model `call_ref`'s target (a function reference
    /// from any value, whose validity is Wasm's type system, not a property
    /// of the code it can prove): with `check_machine_code`, a module that
    /// uses `call_ref` is refused. It also decides whether modules are
    /// validated with GC, as WebAssembly 3.0 is: only so may a constant
    /// expression read the module's own globals (GC types and instructions
    /// are refused as unsupported either way).
    pub fn wasm_function_references(&mut self, enable: bool) -> &mut Config {
        self.function_references = enable;
        self
    }

    /// Whether exception handling is allowed (WebAssembly 3.0: tags,
    /// `throw`, `throw_ref`, `try_table` and `exnref`; the legacy `try`
    /// form is not supported; on by default). Exceptions need no unwinder:
    /// the exception being thrown is a field of the store, and generated
    /// code tests it after every call (a load and a branch) to go to the
    /// innermost handler or return. Off, modules using exceptions are
    /// invalid, as in WebAssembly 2.0, and calls have no test.
    pub fn wasm_exceptions(&mut self, enable: bool) -> &mut Config {
        self.instrumentation.exceptions = enable;
        self
    }

    /// The WebAssembly features modules are validated with.
    pub(crate) fn wasm_features(&self) -> WasmFeatures {
        let mut features = crate::module::features();
        features.set(WasmFeatures::MULTI_MEMORY, self.multi_memory);
        features.set(WasmFeatures::MEMORY64, self.memory64);
        features.set(WasmFeatures::FUNCTION_REFERENCES, self.function_references);
        features.set(WasmFeatures::EXCEPTIONS, self.instrumentation.exceptions);
        // WebAssembly 3.0 validates with GC, which lets constant
        // expressions read the module's own immutable globals; decoding
        // then refuses every GC type and instruction (`Error::Unsupported`).
        // Without typed function references (as in 2.0), GC is off too.
        features.set(WasmFeatures::GC, self.function_references);
        features
    }

    pub(crate) fn memory_init_cow_enabled(&self) -> bool {
        self.memory_init_cow
    }

    pub(crate) fn cranelift_opt_enabled(&self) -> bool {
        self.cranelift_opt
    }

    pub(crate) fn max_wasm_stack_bytes(&self) -> usize {
        self.max_wasm_stack
    }

    /// How many bytes of native stack guest code may use before a call
    /// traps with a stack overflow (`call stack exhausted`). Guest code runs
    /// on the calling thread's stack: on a thread whose stack is smaller
    /// than this plus 64 KiB (kept free for host functions and libcalls),
    /// the guest gets what the thread's stack, as the OS reports it, has
    /// left, and traps rather than overflowing it. Host functions that need
    /// more than 64 KiB of stack should run on threads with room to spare.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Config {
        self.max_wasm_stack = bytes;
        self
    }
}

pub(crate) struct EngineInner {
    pub isa: OwnedTargetIsa,
    /// The same target with Cranelift's single-pass register allocator,
    /// for functions nested too deeply for the default one
    /// ([`crate::compile::SINGLE_PASS_IF_DEPTH`]).
    pub single_pass_isa: OwnedTargetIsa,
    pub config: Config,
    pub lowering: Arc<RuleLowering>,
    type_ids: Mutex<TypeRegistry>,
    pub(crate) host_trampolines: Mutex<HashMap<FuncType, Arc<CodeMemory>>>,
    /// The epoch every store's deadline is compared with.
    pub epoch: AtomicU64,
    /// The pooling allocator's slots, with [`InstanceAllocationStrategy::Pooling`].
    pub pool: Option<InstancePool>,
}

/// The engine's function types with exact reference types, and their
/// ids: type `types[id - 1]` has id `id` (ids start at 1, so that 0 is no
/// type).
#[derive(Default)]
struct TypeRegistry {
    ids: HashMap<ExactFuncType, u64>,
    types: Vec<ExactFuncType>,
}

/// Compiles modules for the host; cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Engine {
    /// An engine with these settings.
    ///
    /// Installs, once per process, the SIGSEGV/SIGBUS/SIGILL/SIGFPE handlers
    /// that turn faults of guest code into traps (chained to the handlers
    /// installed before them). With the pooling allocator, reserves its
    /// memory slots. Fails with [`Error::Resource`] when the
    /// process refuses one of the handlers, as AddressSanitizer does under
    /// ClusterFuzz's options, or the slots' address space cannot be
    /// reserved, and with [`Error::Usage`] when Cranelift does
    /// not support the host or the `Config` asks for the machine-code
    /// check on a host other than x86-64.
    pub fn new(config: &Config) -> Result<Engine> {
        if config.instrumentation.check_machine_code && !crate::check::SUPPORTED {
            return Err(Error::Usage(crate::check::UNSUPPORTED.into()));
        }
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name: &str, value: &str| {
            flags.set(name, value).map_err(|e| Error::Usage(format!("cranelift setting {name}: {e}")))
        };
        set(&mut flags, "opt_level", if config.cranelift_opt { "speed" } else { "none" })?;
        set(&mut flags, "enable_verifier", if config.cranelift_debug_verifier { "true" } else { "false" })?;
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
        // Backtraces walk the frame-pointer chain (runtime/backtrace.rs).
        set(&mut flags, "preserve_frame_pointers", "true")?;
        let target = |flags: settings::Builder| {
            cranelift_native::builder()
                .map_err(|e| Error::Usage(format!("unsupported host: {e}")))?
                .finish(settings::Flags::new(flags))
                .map_err(|e| Error::Usage(format!("cranelift: {e}")))
        };
        let isa = target(flags.clone())?;
        set(&mut flags, "regalloc_algorithm", "single_pass")?;
        let single_pass_isa = target(flags)?;
        crate::runtime::traps::install_handlers().map_err(Error::Resource)?;
        let lowering = RuleLowering::builtin().map_err(|e| Error::Usage(format!("rule set: {e}")))?;
        let pool = match &config.allocation_strategy {
            InstanceAllocationStrategy::OnDemand => None,
            InstanceAllocationStrategy::Pooling(limits) => {
                Some(InstancePool::new(limits).map_err(Error::Resource)?)
            }
        };
        Ok(Engine {
            inner: Arc::new(EngineInner {
                isa,
                single_pass_isa,
                config: config.clone(),
                lowering,
                type_ids: Mutex::new(TypeRegistry::default()),
                host_trampolines: Mutex::new(HashMap::new()),
                epoch: AtomicU64::new(0),
                pool,
            }),
        })
    }

    /// The engine-wide id of a function type (for `call_indirect` checks).
    pub(crate) fn type_id(&self, ty: &FuncType) -> u64 {
        self.exact_type_id(ExactFuncType::of(ty))
    }

    fn exact_type_id(&self, ty: ExactFuncType) -> u64 {
        let mut registry = self.inner.type_ids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = registry.ids.get(&ty) {
            return id;
        }
        registry.types.push(ty.clone());
        let id = registry.types.len() as u64;
        registry.ids.insert(ty, id);
        id
    }

    /// The exact parameter types of the function type with engine-wide id
    /// `id` (`None` for an id no type has).
    pub(crate) fn exact_params(&self, id: u64) -> Option<Vec<ExactType>> {
        let registry = self.inner.type_ids.lock().unwrap_or_else(|e| e.into_inner());
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        registry.types.get(index).map(|ty| ty.params.clone())
    }

    /// The engine-wide ids of a module's types, by type index: equal
    /// exactly when the types are (their reference types included; a type
    /// naming another by index is identified by that type's id).
    pub(crate) fn module_type_ids(&self, info: &crate::module_info::ModuleInfo) -> Vec<u64> {
        let mut ids = Vec::with_capacity(info.exact_types.len());
        for ty in &info.exact_types {
            let id = self.exact_type_id(ty.canonical(&ids));
            ids.push(id);
        }
        ids
    }

    /// The compiled trampoline for host functions of type `ty`.
    pub(crate) fn host_trampoline(&self, ty: &FuncType) -> Result<Arc<CodeMemory>> {
        let mut cache = self.inner.host_trampolines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(code) = cache.get(ty) {
            return Ok(Arc::clone(code));
        }
        let code = compile_host_trampoline(&self.inner.isa, ty)?;
        cache.insert(ty.clone(), Arc::clone(&code));
        Ok(code)
    }

    /// Advances the epoch by one: code of every store of this engine that
    /// checks epochs ([`Config::epoch_interruption`]) and whose deadline is
    /// now reached traps with an interrupt at its next check. Callable from
    /// any thread, including a signal handler (one atomic add).
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn lowering(&self) -> &dyn Lowering {
        &*self.inner.lowering
    }

    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Default for Engine {
    fn default() -> Engine {
        match Engine::new(&Config::default()) {
            Ok(engine) => engine,
            // The built-in rule set and the host ISA are fixed at build time;
            // failing here means the build itself is broken, or the process
            // refuses the engine's signal handlers (a sanitizer's options).
            Err(e) => panic!("Plumb cannot run on this host: {e}"),
        }
    }
}
