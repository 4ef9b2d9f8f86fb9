//! Plumb: the WebAssembly runtime people embed.
//!
//! Not yet implemented: the JIT engine (translation, e-graph mid-end,
//! Cranelift code generation, runtime and embedding API) is the subject of a
//! later issue. Until then this crate is empty on purpose; the reference
//! interpreter in `plumb-oracles` is what runs modules.
