//! The system libz3 links and answers bit-vector and floating-point queries.

use z3::ast::{BV, Float};
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
fn float_negation_of_addition_commutativity_is_unsat() {
    let a = Float::new_const_float32("a");
    let b = Float::new_const_float32("b");
    let solver = Solver::new();
    let ab = a.add_with_rounding_mode(&b, &z3::ast::RoundingMode::round_nearest_ties_to_even());
    let ba = b.add_with_rounding_mode(&a, &z3::ast::RoundingMode::round_nearest_ties_to_even());
    solver.assert(ab.eq_fpa(&ba).not());
    solver.assert(ab.is_nan().not());
    assert_eq!(solver.check(), SatResult::Unsat);
}
