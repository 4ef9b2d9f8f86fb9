//! WASI preview 1 (`wasi_snapshot_preview1`) for Plumb.
//!
//! A guest reaches the file system only through the directories it is
//! given ("preopens"), each held as a [`cap_std::fs::Dir`] capability:
//! every path is resolved beneath one, so `..` past it, absolute paths,
//! symlinks pointing out and renames across its edge fail with `EPERM`
//! instead of touching the host. Failures are WASI errnos; a bad pointer is
//! `EFAULT`; the only trap is `proc_exit`, whose code [`WasiCtx::exit_code`]
//! then holds.
//!
//! ```
//! use plumb::{Engine, Linker, Module, Store};
//! use plumb_wasi::WasiCtx;
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!       (memory (export "memory") 1)
//!       (func (export "_start") (call $exit (i32.const 3))))
//! "#)?;
//! let mut linker = Linker::new(&engine);
//! plumb_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi)?;
//! let mut store = Store::new(&engine, WasiCtx::builder().args(["guest"]).build());
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&store, "_start")?;
//! assert!(start.call(&mut store, ()).is_err());
//! assert_eq!(store.data().exit_code(), Some(3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules: [`ctx`](WasiCtx) holds the guest's state and descriptor table,
//! `preview1` the functions, `memory` the bounds-checked view of the
//! guest's memory, `errno` the errnos and how host errors map to them.

mod ctx;
mod errno;
mod memory;
mod preview1;

use std::path::PathBuf;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use preview1::{MODULE, ProcExit, add_to_linker, call, functions};

/// What can go wrong setting a context up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A directory to preopen could not be opened.
    #[error("cannot open directory {path} to give it to the guest")]
    Preopen {
        /// The host path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Whether `trap` is the one `proc_exit` ends a guest with (the code is in
/// the [`WasiCtx`]).
pub fn is_exit(trap: &plumb::Trap) -> bool {
    trap.to_string().contains(preview1::EXIT_MESSAGE)
}
