//! The SIMD instructions that change shape, narrow, widen, pick or store
//! single lanes read and write the right lanes: `wast/simd-lane-order.wast`
//! checks each with distinct lanes, where the spec scripts mostly use
//! splats (a promotion reading lanes 1 and 2, or a `store8_lane` writing two
//! bytes, passes every spec script).

use plumb_oracles::wast::{InterpBackend, run_script};

#[test]
fn shape_changing_and_single_lane_instructions_use_the_right_lanes() {
    let report = run_script(include_str!("wast/simd-lane-order.wast"), InterpBackend::new());
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert_eq!(report.passed, 22, "the module and its 21 assertions");
}
