//! 64-bit memories and tables (Wasm 3.0 memory64 and table64) on the
//! reference interpreter, at the edges the spec scripts leave out:
//! `wast/memory64-edges.wast` (addresses and indices past 2^32 that a 32-bit
//! truncation would alias, effective addresses past 2^64, growth the store
//! cannot give, copies between 32- and 64-bit memories, import matching on
//! the address type).

use plumb_oracles::wast::{InterpBackend, run_script};

#[test]
fn sixty_four_bit_addresses_and_indices_neither_wrap_nor_truncate() {
    let report = run_script(include_str!("wast/memory64-edges.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 37, "four modules, a registration, 32 assertions and invocations");
}
