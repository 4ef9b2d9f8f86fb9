//! The runtime: everything generated code runs against — code memory,
//! linear memories with guard pages, tables, globals, traps by signal
//! handling, and the libcalls generated code makes. All of Plumb's `unsafe`
//! lives here and in the API types that hand out raw pointers to it.

pub(crate) mod backtrace;
pub(crate) mod code;
pub(crate) mod exceptions;
pub(crate) mod instance;
pub(crate) mod libcalls;
pub(crate) mod memory;
pub(crate) mod perfmap;
pub(crate) mod pool;
pub(crate) mod stack;
pub(crate) mod traps;
