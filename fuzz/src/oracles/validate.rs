//! Decoding and validation of arbitrary bytes: Plumb accepts exactly what
//! wasmparser accepts with the same features (WebAssembly 2.0, SIMD
//! included, plus 3.0's tail calls, extended constants, relaxed SIMD,
//! multiple memories and memory64),
//! and whatever it accepts it also compiles. Neither step may panic;
//! that the bytes may also be text is part of the API (`Module::validate`
//! takes `.wat` too), so text goes through `wat` first on the reference
//! side as well.

use plumb::Module;
use wasmparser::{Validator, WasmFeatures};

use super::engine;

/// The WebAssembly features Plumb implements: 2.0 (SIMD included) and
/// 3.0's tail calls, extended constants, relaxed SIMD, multiple memories,
/// 64-bit memories and tables, and exception handling (typed function
/// references are off in the fuzz engine, `super::base_config`).
pub const FEATURES: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::TAIL_CALL)
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::RELAXED_SIMD)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::EXCEPTIONS);

/// Checks one input.
pub fn check(bytes: &[u8]) {
    let expected = match wat::parse_bytes(bytes) {
        Ok(binary) => Validator::new_with_features(FEATURES)
            .validate_all(&binary)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let actual = Module::validate(engine(), bytes);
    match (&expected, &actual) {
        (Ok(()), Ok(())) => {}
        (Err(_), Err(_)) => return,
        _ => panic!("validation: wasmparser says {expected:?}, Plumb says {actual:?}"),
    }
    if let Err(e) = Module::new(engine(), bytes) {
        panic!("Plumb validates a module it then fails to compile: {e}");
    }
}
