//! Decoding and validation of arbitrary bytes: Plumb accepts what
//! wasmparser accepts with the same features (WebAssembly 2.0, SIMD
//! included, plus 3.0's tail calls, extended constants, relaxed SIMD,
//! multiple memories, memory64, exception handling and typed function
//! references; GC as `check` says), and whatever it accepts it also
//! compiles. Neither step may panic;
//! that the bytes may also be text is part of the API (`Module::validate`
//! takes `.wat` too), so text goes through `wat` first on the reference
//! side as well.

use plumb::{Engine, Module};
use wasmparser::{Validator, WasmFeatures};

/// The WebAssembly features Plumb implements: 2.0 (SIMD included) and
/// 3.0's tail calls, extended constants, relaxed SIMD, multiple memories,
/// 64-bit memories and tables, exception handling and typed function
/// references (GC is validated as `check` says).
pub const FEATURES: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::TAIL_CALL)
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::RELAXED_SIMD)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::EXCEPTIONS)
    .union(WasmFeatures::FUNCTION_REFERENCES);

/// The engine this target validates and compiles with: every feature on,
/// and no machine-code checker (which refuses `call_ref`; arbitrary bytes
/// are the checker's business only once they are a module the other
/// targets generate).
fn engine() -> &'static Engine {
    super::unchecked_engine(false)
}

/// wasmparser's verdict on `bytes` (binary or text) with `features`.
fn wasmparser_verdict(bytes: &[u8], features: WasmFeatures) -> Result<(), String> {
    match wat::parse_bytes(bytes) {
        Ok(binary) => Validator::new_with_features(features)
            .validate_all(&binary)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks one input. Plumb validates as WebAssembly 3.0 does, with GC on
/// (so that constant expressions may read the module's own globals), and
/// refuses GC's types and instructions as unsupported: a module valid
/// without GC must be valid for Plumb, one invalid with GC invalid, and one
/// valid only with GC either (valid if all it takes from GC is such a
/// constant expression, else `Error::Unsupported`).
pub fn check(bytes: &[u8]) {
    let features = FEATURES;
    let without_gc = wasmparser_verdict(bytes, features);
    let with_gc = wasmparser_verdict(bytes, features.union(WasmFeatures::GC));
    let actual = Module::validate(engine(), bytes);
    match (&without_gc, &with_gc, &actual) {
        (Ok(()), _, Ok(())) => {}
        (_, Err(_), Err(_)) => return,
        (Err(_), Ok(()), Ok(())) => {}
        (Err(_), Ok(()), Err(plumb::Error::Unsupported { .. })) => return,
        _ => panic!(
            "validation: wasmparser says {without_gc:?} without GC and {with_gc:?} with it, Plumb says {actual:?}"
        ),
    }
    if let Err(e) = Module::new(engine(), bytes) {
        panic!("Plumb validates a module it then fails to compile: {e}");
    }
}
