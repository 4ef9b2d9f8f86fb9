//! `op_specs` reaches every pure SIMD operator: the catalog of the
//! interpreter names each Wasm SIMD operator `simd_ops.isle` declares (but
//! `v128.select`, which is Wasm's `select`), and each one agrees on all
//! three opinions (interpreter, evaluator, its CLIF on
//! `cranelift-interpreter`) on inputs drawn as the fuzz target draws them.

use std::collections::BTreeSet;

use arbitrary::Unstructured;
use plumb_fuzz::generators;
use plumb_fuzz::oracles::op_specs::{Operator, check};
use plumb_fuzz::oracles::rule_set;
use plumb_oracles::suite::Rng;
use plumb_rules::OpKind;

#[test]
fn every_pure_simd_operator_is_an_op_specs_operator() {
    let ours: BTreeSet<&str> =
        Operator::all().filter(|o| matches!(o, Operator::Vector(_))).map(|o| o.name()).collect();
    let declared: BTreeSet<&str> = rule_set()
        .ops()
        .iter()
        .filter(|o| o.kind == OpKind::Wasm && o.operands.iter().chain([&o.result]).any(|t| t.is_vector()))
        .map(|o| o.name.as_str())
        .filter(|n| *n != "v128.select")
        .collect();
    assert_eq!(ours, declared);
    assert_eq!(ours.len(), 233);
}

#[test]
fn every_simd_operator_agrees_on_the_three_opinions() {
    let mut rng = Rng(0x51_3d);
    for op in Operator::all().filter(|o| matches!(o, Operator::Vector(_))) {
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..256).map(|_| (rng.next_u64() >> 56) as u8).collect();
            let args = generators::operands(&mut Unstructured::new(&bytes), op)
                .expect("256 bytes are enough for any operand list");
            check(op, &args);
        }
    }
}
