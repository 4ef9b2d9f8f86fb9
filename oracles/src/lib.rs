//! Oracles that Plumb's compiler is judged against.
//!
//! - [`interp`]: a reference interpreter for WebAssembly 2.0, SIMD included,
//!   written to be read against the spec rather than to be fast.
//! - [`wast`]: a runner for the spec test scripts (`.wast`), generic over a
//!   [`wast::Backend`] so that the interpreter and the JIT engine are checked
//!   by the same code.

pub mod interp;
pub mod suite;
pub mod trap;
pub mod values;
pub mod wast;

pub use trap::{Trap, TrapCode};
pub use values::{FuncType, ValType, Value};
