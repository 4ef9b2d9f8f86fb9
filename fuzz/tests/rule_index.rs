//! The mid-end's root-operator index (engine/src/midend.rs, `RuleIndex`)
//! only skips rewrites that cannot fire: on random terms of every Wasm
//! operator, lowering with the index gives exactly the term that searching
//! every rewrite at every step gives.

use arbitrary::Unstructured;
use plumb::TermLowering;
use plumb_fuzz::generators;
use plumb_fuzz::oracles::rule_set;
use plumb_rules::RuleSet;

#[test]
fn the_rule_index_never_changes_a_lowering() {
    let rules = rule_set();
    let lowering = TermLowering::new(RuleSet::clone(rules));
    let mut compared = 0;
    for seed in 0u64..400 {
        // Deterministic pseudo-random bytes for the term generator.
        let bytes: Vec<u8> = (0..512u64)
            .map(|i| (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i * 0x2545_f491) >> 29) as u8)
            .collect();
        let Ok((term, _)) = generators::term(&mut Unstructured::new(&bytes), rules, 1 + (seed % 4) as u32)
        else {
            continue;
        };
        let indexed = lowering.lower(&term).map(|t| t.to_string());
        let unindexed = lowering.lower_unindexed(&term).map(|t| t.to_string());
        assert_eq!(indexed, unindexed, "{term}");
        compared += 1;
    }
    assert!(compared >= 300, "only {compared} terms generated");
}
