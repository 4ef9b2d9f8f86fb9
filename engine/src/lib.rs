//! Plumb: a WebAssembly runtime whose compiler is checked three ways.
//!
//! Every pure Wasm operator reaches Cranelift only through rewrite rules
//! that are proved correct with an SMT solver (`plumb-rules`,
//! `plumb-verify`); the rest of each function — control flow, memory,
//! calls, traps — is a small skeleton built directly. Code runs natively in
//! a sandbox: linear memories reserve their whole index space plus guard
//! pages, and every fault of guest code comes back as a [`Trap`].
//!
//! The embedding API follows wasmtime's shape:
//!
//! ```
//! use plumb::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "log" (func $log (param i32)))
//!       (memory (export "memory") 1)
//!       (func (export "run") (param i32) (result i32)
//!         local.get 0
//!         call $log
//!         i32.const 8
//!         local.get 0
//!         i32.store
//!         i32.const 8
//!         i32.load))
//! "#)?;
//! let mut store = Store::new(&engine, Vec::new());
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "log", |mut caller: plumb::Caller<'_, Vec<i32>>, x: i32| {
//!     caller.data_mut().push(x);
//! })?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
//! assert_eq!(run.call(&mut store, 42)?, 42);
//! assert_eq!(store.data(), &vec![42]);
//! # Ok::<(), plumb::Error>(())
//! ```
//!
//! Modules: `module_info` decodes, `translate` builds the skeleton and
//! pure terms, `midend` lowers terms by the rules, `compile` drives
//! Cranelift, and `runtime` holds code memory, linear memories, traps and
//! libcalls.

mod caller;
pub mod check;
mod compile;
mod context;
mod engine;
mod error;
mod exception;
mod explain;
mod func;
mod instance;
mod limits;
mod linker;
mod midend;
mod module;
mod module_info;
mod pure;
mod runtime;
mod serialize;
mod store;
mod translate;
mod trap;
mod types;
mod values;
mod vm;

pub use caller::Caller;
pub use context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
pub use engine::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
pub use error::{Error, Result};
pub use exception::{Exception, ExnRef, Tag};
pub use explain::{FiredRule, FunctionExplanation, explain};
pub use func::{Func, HostReturn, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy};
pub use instance::{Extern, Global, Instance, Memory, Table};
pub use limits::{DEFAULT_COUNT_LIMIT, ResourceLimiter, StoreLimits, StoreLimitsBuilder};
pub use linker::{InstancePre, Linker};
pub use midend::{TermLowering, clif_function};
pub use module::{ExternKind, ExternType, Module};
pub use runtime::exceptions::MAX_LIVE_EXCEPTIONS;
pub use serialize::MAGIC as PRECOMPILED_MAGIC;
pub use store::Store;
pub use trap::{FrameInfo, Trap, TrapCode};
pub use types::{FuncType, GlobalType, Limits, TableType, ValType};
pub use values::Val;
