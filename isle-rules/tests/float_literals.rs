//! Float constants written by value (`1.0`, `-0.0`, `inf`, `nan`,
//! `nan:0x200000`) mean the IEEE-754 bits of that value at the constant's
//! format, as the evaluator sees them; hex keeps meaning the bits.

use plumb_rules::{RuleSet, Term};

/// The bits the evaluator gives `(CTOR literal)` on the left of a rule.
fn bits_of(ctor: &str, literal: &str) -> u128 {
    let neg = if ctor == "f32const" { "fneg.f32" } else { "fneg.f64" };
    let text =
        format!(";; a constant\n(rule c () ({neg} ({ctor} {literal})) => ({neg} ({ctor} {literal})))\n");
    let rules = RuleSet::load(&[("user.isle", &text)]).unwrap_or_else(|e| panic!("{literal}: {e}"));
    let instance = rules.rule_instances().iter().find(|i| i.name == "c").expect("the rule");
    let Term::Op { args, .. } = &instance.lhs else { panic!("an operator on the left") };
    rules.eval_term(&args[0], &[]).unwrap_or_else(|e| panic!("{literal}: {e}"))
}

#[test]
fn decimal_and_named_float_constants_evaluate_to_their_ieee_bits() {
    let cases: &[(&str, u32, u64)] = &[
        ("1.0", 0x3f80_0000, 0x3ff0_0000_0000_0000),
        ("-1.0", 0xbf80_0000, 0xbff0_0000_0000_0000),
        ("0.0", 0, 0),
        ("-0.0", 0x8000_0000, 0x8000_0000_0000_0000),
        ("0.1", 0x3dcc_cccd, 0x3fb9_9999_9999_999a),
        ("2147483648.0", 0x4f00_0000, 0x41e0_0000_0000_0000),
        ("-2.5e-1", 0xbe80_0000, 0xbfd0_0000_0000_0000),
        ("1E3", 0x447a_0000, 0x408f_4000_0000_0000),
        ("inf", 0x7f80_0000, 0x7ff0_0000_0000_0000),
        ("-inf", 0xff80_0000, 0xfff0_0000_0000_0000),
        ("nan", 0x7fc0_0000, 0x7ff8_0000_0000_0000),
        ("-nan", 0xffc0_0000, 0xfff8_0000_0000_0000),
        ("nan:0x200000", 0x7fa0_0000, 0x7ff0_0000_0020_0000),
        ("nan:0x1", 0x7f80_0001, 0x7ff0_0000_0000_0001),
        // Hex is the bit pattern, as before.
        ("0x3f800000", 0x3f80_0000, 0x3f80_0000),
        ("0", 0, 0),
    ];
    for &(literal, f32_bits, f64_bits) in cases {
        assert_eq!(bits_of("f32const", literal), u128::from(f32_bits), "(f32const {literal})");
        assert_eq!(bits_of("f64const", literal), u128::from(f64_bits), "(f64const {literal})");
    }
}

#[test]
fn a_fold_written_with_decimals_evaluates_as_written() {
    let text = ";; 1.5 + 0.25 == 1.75\n\
                (rule fold () (fadd.f64 (f64const 1.5) (f64const 0.25)) => (f64const 1.75))\n";
    let rules = RuleSet::load(&[("user.isle", text)]).unwrap_or_else(|e| panic!("{e}"));
    let instance = rules.rule_instances().iter().find(|i| i.name == "fold").expect("the rule");
    let lhs = rules.eval_term(&instance.lhs, &[]).expect("evaluates");
    let rhs = rules.eval_term(&instance.rhs, &[]).expect("evaluates");
    assert_eq!(lhs, u128::from(1.75f64.to_bits()));
    assert_eq!(lhs, rhs);
}
