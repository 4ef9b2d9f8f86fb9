//! The engine: compilation settings, the host ISA and what is shared by all
//! modules and stores (type ids, host trampolines, the rule set).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};

use crate::compile::compile_host_trampoline;
use crate::error::{Error, Result};
use crate::midend::{Lowering, RuleLowering};
use crate::runtime::code::CodeMemory;
use crate::types::FuncType;

/// Compilation and runtime settings.
#[derive(Debug, Clone)]
pub struct Config {
    cranelift_opt: bool,
    max_wasm_stack: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config { cranelift_opt: true, max_wasm_stack: 512 * 1024 }
    }
}

impl Config {
    /// Default settings: Cranelift's own optimiser runs after the verified
    /// rules; guest stacks up to 512 KiB.
    pub fn new() -> Config {
        Config::default()
    }

    /// Whether Cranelift's optimiser runs after Plumb's rules. Off, every
    /// rewrite between Wasm and instruction selection is a proved rule.
    pub fn cranelift_opt(&mut self, enable: bool) -> &mut Config {
        self.cranelift_opt = enable;
        self
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
    pub lowering: RuleLowering,
    type_ids: Mutex<HashMap<FuncType, u64>>,
    host_trampolines: Mutex<HashMap<FuncType, Arc<CodeMemory>>>,
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
    /// installed before them). Fails with [`Error::Resource`] when the
    /// process refuses one of them, as AddressSanitizer does under
    /// ClusterFuzz's options, and with [`Error::Usage`] when Cranelift does
    /// not support the host.
    pub fn new(config: &Config) -> Result<Engine> {
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name: &str, value: &str| {
            flags.set(name, value).map_err(|e| Error::Usage(format!("cranelift setting {name}: {e}")))
        };
        set(&mut flags, "opt_level", if config.cranelift_opt { "speed" } else { "none" })?;
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
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
        let lowering = RuleLowering::new().map_err(|e| Error::Usage(format!("rule set: {e}")))?;
        Ok(Engine {
            inner: Arc::new(EngineInner {
                isa,
                single_pass_isa,
                config: config.clone(),
                lowering,
                type_ids: Mutex::new(HashMap::new()),
                host_trampolines: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The engine-wide id of a function type (for `call_indirect` checks).
    pub(crate) fn type_id(&self, ty: &FuncType) -> u64 {
        let mut ids = self.inner.type_ids.lock().unwrap_or_else(|e| e.into_inner());
        let next = ids.len() as u64 + 1;
        *ids.entry(ty.clone()).or_insert(next)
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

    pub(crate) fn lowering(&self) -> &dyn Lowering {
        &self.inner.lowering
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
