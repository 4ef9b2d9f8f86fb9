//! The system libz3 links and answers bit-vector and floating-point queries.

use z3::ast::{BV, Float, RoundingMode};
use z3::{SatResult, Solver};

#[test]
fn bitvector_identity_is_proved() {
    let x = BV::new_const("x", 32);
    let solver = Solver::new();
    // x + x == x << 1 for every x: the negation is unsat.
    solver.assert((&x + &x).eq(x.bvshl(BV::from_u64(1, 32))).not());
    assert_eq!(solver.check(), SatResult::Unsat);
}

#[test]
fn float_identity_is_proved() {
    let x = Float::new_const_float32("x");
    let solver = Solver::new();
    // x + -0.0 is x itself (including the sign of a zero) unless x is NaN.
    let sum = x.add_with_rounding_mode(Float::from_f32(-0.0), &RoundingMode::round_nearest_ties_to_even());
    solver.assert(x.is_nan().not());
    solver.assert(sum.to_ieee_bv().eq(x.to_ieee_bv()).not());
    assert_eq!(solver.check(), SatResult::Unsat);
}
