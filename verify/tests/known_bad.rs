//! The verifier has teeth: deliberately wrong rules, each modelled on a real
//! compiler bug, are rejected — with a counterexample that the concrete
//! evaluator of `plumb-rules` confirms, or with the right error.

use plumb_rules::{RuleInstance, RuleSet, Term};
use plumb_verify::{Counterexample, Options, Selection, Verdict, verify, verify_instance};

/// Wrong rules that must each get a counterexample: (name, rule text).
const REFUTED: &[(&str, &str)] = &[
    // Shift amounts: a mask dropped at the wrong width (the count of a 64-bit
    // shift masked to 5 bits is not the raw count).
    ("bad_shl_drop_mask", "(rule bad_shl_drop_mask () (ishl.i64 x (band y (iconst 31))) => (ishl x y))"),
    // Off-by-one strength reduction: x * 2^k as x << (k + 1).
    (
        "bad_imul_pow2_off_by_one",
        "(rule bad_imul_pow2_off_by_one ((T Int)) (imul.{T} x (iconst c)) => (ishl x (iconst (bvadd (ctz c) 1)))
           (if (bvne c 0)) (if (bveq (bvand c (bvsub c 1)) 0)))",
    ),
    // Off-by-one shift fold: (x << a) << b as x << (a + b + 1).
    (
        "bad_ishl_ishl_off_by_one",
        "(rule bad_ishl_ishl_off_by_one ((T Int)) (ishl.{T} (ishl x (iconst a)) (iconst b))
           => (ishl x (iconst (bvadd a (bvadd b 1))))
           (if (bvult a 8)) (if (bvult b 8)))",
    ),
    // Off-by-one rotate: rotr(x, c) as rotl(x, w - c - 1).
    (
        "bad_rotr_to_rotl_off_by_one",
        "(rule bad_rotr_to_rotl_off_by_one ((T Int)) (rotr.{T} x (iconst c))
           => (rotl x (iconst (bvsub (width T) (bvadd c 1)))))",
    ),
    // CVE-2023-26489: a 32-bit index zero-extended in Wasm, sign-extended in
    // the address computation.
    (
        "bad_address_sextend",
        "(rule bad_address_sextend () (iadd.i64 base (uextend.i32.i64 index)) => (iadd base (sextend index)))",
    ),
    // i64.extend_i32_s lowered as a zero extension, and _u as a sign extension.
    ("bad_extend_s_as_u", "(rule bad_extend_s_as_u () (i64.extend_i32_s a) => (uextend a))"),
    ("bad_extend_u_as_s", "(rule bad_extend_u_as_s () (i64.extend_i32_u a) => (sextend a))"),
    // Sign/zero mix-up through a narrow type.
    (
        "bad_reduce_sextend_i16",
        "(rule bad_reduce_sextend_i16 () (ireduce.i64.i32 (sextend.i16.i64 x)) => (uextend x))",
    ),
    // Signed and unsigned comparisons swapped.
    ("bad_lt_s_as_ult", "(rule bad_lt_s_as_ult ((T Int)) ({T}.lt_s a b) => (uextend (icmp_ult a b)))"),
    ("bad_ge_u_as_sge", "(rule bad_ge_u_as_sge ((T Int)) ({T}.ge_u a b) => (uextend (icmp_sge a b)))"),
    // eqz as "not equal to zero".
    ("bad_eqz_as_ne", "(rule bad_eqz_as_ne ((T Int)) ({T}.eqz a) => (uextend (icmp_ne a (iconst 0))))"),
    // fmin/fmax as a compare and select (x86 minss/maxss): wrong on -0 and NaN.
    ("bad_fmin_select", "(rule bad_fmin_select ((F Float)) ({F}.min a b) => (select (fcmp_lt a b) a b))"),
    ("bad_fmax_select", "(rule bad_fmax_select ((F Float)) ({F}.max a b) => (select (fcmp_gt a b) a b))"),
    // fmin where fmax is meant.
    ("bad_fmax_as_fmin", "(rule bad_fmax_as_fmin ((F Float)) ({F}.max a b) => (fmin a b))"),
    // Negation as subtraction from +0: wrong for x = +0 (and on NaN signs).
    ("bad_fneg_as_fsub", "(rule bad_fneg_as_fsub () (f32.neg x) => (fsub (f32const 0) x))"),
    // x * 1.0 as x: both NaN for a NaN x, but a signalling x must come out
    // quiet (Wasm's arithmetic NaN), and the rewrite passes it through.
    ("bad_fmul_one_signalling", "(rule bad_fmul_one_signalling () (fmul.f32 x (f32const 0x3f800000)) => x)"),
    // SIMD, each after a kind of bug found in SIMD lowerings.
    // A shift count masked to 5 bits, as for a 32-bit scalar, not to the lane width.
    (
        "bad_simd_shl_mask_31",
        "(rule bad_simd_shl_mask_31 ((S IntVec)) ({S}.shl a n)
           => (bitcast.{S}.v128 (ishl.{S} (bitcast.v128.{S} a) (band n (iconst 31)))))",
    ),
    // Signed and unsigned saturation swapped in narrow.
    (
        "bad_simd_narrow_s_as_u",
        "(rule bad_simd_narrow_s_as_u ((T (one_of i8x16 i16x8)) (S IntVec) (double_lanes S T)) ({T}.narrow_{S}_s a b)
           => (bitcast.{T}.v128 (unarrow.{S}.{T} (bitcast.v128.{S} a) (bitcast.v128.{S} b))))",
    ),
    // pmin/pmax with the comparison's operands swapped (minps/maxps return
    // their second operand on NaN and on equal zeros): a < b ? a : b is not
    // b < a ? b : a when a lane is NaN or the lanes are +0 and -0.
    (
        "bad_simd_pmin_operands_swapped",
        "(rule bad_simd_pmin_operands_swapped () (f32x4.pmin a b)
           => (bitcast.i32x4.v128 (bitselect.i32x4 (fcmp_lt.f32x4 (bitcast.v128.f32x4 a) (bitcast.v128.f32x4 b))
                                                  (bitcast.v128.i32x4 a) (bitcast.v128.i32x4 b))))",
    ),
    (
        "bad_simd_pmax_operands_swapped",
        "(rule bad_simd_pmax_operands_swapped () (f64x2.pmax a b)
           => (bitcast.i64x2.v128 (bitselect.i64x2 (fcmp_gt.f64x2 (bitcast.v128.f64x2 a) (bitcast.v128.f64x2 b))
                                                  (bitcast.v128.i64x2 a) (bitcast.v128.i64x2 b))))",
    ),
    // A swizzle index >= 16 reading a lane (modulo 16, as x86's pshufb) instead of giving 0.
    (
        "bad_simd_swizzle_wraps",
        "(rule bad_simd_swizzle_wraps () (i8x16.swizzle a s)
           => (bitcast.i8x16.v128 (shuffle.i8x16 (bitcast.v128.i8x16 a) (bitcast.v128.i8x16 a) (bitcast.v128.i8x16 s))))",
    ),
    // bitmask from the lowest bit of each lane instead of the top one.
    (
        "bad_simd_bitmask_low_bit",
        "(rule bad_simd_bitmask_low_bit () (i8x16.bitmask a)
           => (vhigh_bits.i8x16 (ishl.i8x16 (bitcast.v128.i8x16 a) (iconst 7))))",
    ),
    // i64x2 comparisons emulated with 32-bit lanes.
    (
        "bad_simd_i64x2_eq_as_i32x4",
        "(rule bad_simd_i64x2_eq_as_i32x4 () (i64x2.eq a b)
           => (bitcast.i32x4.v128 (icmp_eq.i32x4 (bitcast.v128.i32x4 a) (bitcast.v128.i32x4 b))))",
    ),
    (
        "bad_simd_i64x2_gt_s_as_i32x4",
        "(rule bad_simd_i64x2_gt_s_as_i32x4 () (i64x2.gt_s a b)
           => (bitcast.i32x4.v128 (icmp_sgt.i32x4 (bitcast.v128.i32x4 a) (bitcast.v128.i32x4 b))))",
    ),
    // trunc_sat with the wrong lane bounds: unsigned truncation saturating signed.
    (
        "bad_simd_trunc_sat_u_as_s",
        "(rule bad_simd_trunc_sat_u_as_s () (i32x4.trunc_sat_f32x4_u a)
           => (bitcast.i32x4.v128 (fcvt_to_sint_sat.f32x4.i32x4 (bitcast.v128.f32x4 a))))",
    ),
    (
        "bad_simd_trunc_sat_f64x2_u_zero_signed_narrow",
        "(rule bad_simd_trunc_sat_f64x2_u_zero_signed_narrow () (i32x4.trunc_sat_f64x2_u_zero a)
           => (bitcast.i32x4.v128
                (snarrow.i64x2.i32x4 (fcvt_to_uint_sat.f64x2.i64x2 (bitcast.v128.f64x2 a)) (splat.i64x2 (iconst 0)))))",
    ),
    // Shuffle operands in the wrong order: indices 0..15 select the first.
    (
        "bad_simd_shuffle_operands_swapped",
        "(rule bad_simd_shuffle_operands_swapped () (i8x16.shuffle a b m)
           => (bitcast.i8x16.v128 (shuffle.i8x16 (bitcast.v128.i8x16 b) (bitcast.v128.i8x16 a) (bitcast.v128.i8x16 m))))",
    ),
    // extend_high reading the low half.
    (
        "bad_simd_extend_high_reads_low",
        "(rule bad_simd_extend_high_reads_low ((T IntVec) (S IntVec) (double_lanes T S)) ({T}.extend_high_{S}_s a)
           => (bitcast.{T}.v128 (swiden_low.{S}.{T} (bitcast.v128.{S} a))))",
    ),
    // Sign extension where the pairwise sum is unsigned.
    (
        "bad_simd_extadd_pairwise_u_signed",
        "(rule bad_simd_extadd_pairwise_u_signed ((T (one_of i16x8 i32x4)) (S IntVec) (double_lanes T S))
           ({T}.extadd_pairwise_{S}_u a)
           => (bitcast.{T}.v128 (iadd_pairwise.{T} (swiden_low.{S}.{T} (bitcast.v128.{S} a)) (swiden_high.{S}.{T} (bitcast.v128.{S} a)))))",
    ),
    // Wasm's bitselect mask is its last operand, CLIF's its first.
    (
        "bad_simd_bitselect_mask_last",
        "(rule bad_simd_bitselect_mask_last () (v128.bitselect a b c)
           => (bitcast.i8x16.v128 (bitselect.i8x16 (bitcast.v128.i8x16 a) (bitcast.v128.i8x16 b) (bitcast.v128.i8x16 c))))",
    ),
    // copysign with its operands swapped.
    ("bad_copysign_swapped", "(rule bad_copysign_swapped ((F Float)) ({F}.copysign a b) => (fcopysign b a))"),
    // Saturating truncation: signed lowered as unsigned.
    (
        "bad_trunc_sat_s_as_u",
        "(rule bad_trunc_sat_s_as_u ((I Int) (F Float)) ({I}.trunc_sat_{F}_s a) => (fcvt_to_uint_sat a))",
    ),
    // Trapping truncation bounds: a >= 2^31 written a > 2^31 (2^31 does not
    // trap), and a <= -1 written a < -1 (-1.0 does not trap for unsigned).
    (
        "bad_trunc_overflow_s_bound",
        "(rule bad_trunc_overflow_s_bound () (trunc_overflow_s.f32.i32 a)
           => (bor (fcmp_gt a (f32const 0x4f000000)) (fcmp_lt a (f32const 0xcf000000))))",
    ),
    (
        "bad_trunc_overflow_u_bound",
        "(rule bad_trunc_overflow_u_bound () (trunc_overflow_u.f64.i32 a)
           => (bor (fcmp_ge a (f64const 0x41f0000000000000)) (fcmp_lt a (f64const 0xbff0000000000000))))",
    ),
    // popcnt at the wrong width: counting the copies of the sign bit.
    ("bad_popcnt_width", "(rule bad_popcnt_width () (i32.popcnt x) => (ireduce (popcnt (sextend.i32.i64 x))))"),
    // Narrow signed division overflow checked at the wider width: never
    // fires, so i32 INT_MIN / -1 would not trap.
    (
        "bad_sdiv_overflow_narrow",
        "(rule bad_sdiv_overflow_narrow () (sdiv_overflow.i32 a b)
           => (band (icmp_eq (sextend.i32.i64 a) (iconst 0x8000000000000000)) (icmp_eq b (iconst -1))))",
    ),
    // Division by zero check inverted.
    ("bad_div_by_zero_ne", "(rule bad_div_by_zero_ne ((T Int)) (div_by_zero (: b T)) => (icmp_ne b (iconst 0)))"),
    // x %u 2^k as x & 2^k (the -1 forgotten).
    (
        "bad_urem_pow2_mask",
        "(rule bad_urem_pow2_mask ((T Int)) (urem.{T} x (iconst c)) => (band x (iconst c))
           (if (bvne c 0)) (if (bveq (bvand c (bvsub c 1)) 0)))",
    ),
    // Wrong in one case of a split only (the verifier proves these rules one
    // assignment of their constants at a time): a shift-of-shift fold whose
    // condition lets a + b reach the width (then the left side is 0 and the
    // right side x), and x /u 2^k as x >>u (k mod 63), wrong only for k = 63
    // (and so right at i32).
    (
        "bad_ishl_ishl_sum_reaches_width",
        "(rule bad_ishl_ishl_sum_reaches_width ((T i64)) (ishl.{T} (ishl x (iconst a)) (iconst b))
           => (ishl x (iconst (bvadd a b)))
           (if (bvult a (width T))) (if (bvult b (width T))) (if (bvule (bvadd a b) (width T))))",
    ),
    (
        "bad_udiv_pow2_wrong_at_k63",
        "(rule bad_udiv_pow2_wrong_at_k63 ((T Int)) (udiv.{T} x (iconst c)) => (ushr x (iconst (bvurem (ctz c) 63)))
           (if (bvne c 0)) (if (bveq (bvand c (bvsub c 1)) 0)))",
    ),
    // Wrong power-of-two side condition: c = 0 is let through.
    (
        "bad_pow2_condition_admits_zero",
        "(rule bad_pow2_condition_admits_zero ((T Int)) (imul.{T} x (iconst c)) => (ishl x (iconst (ctz c)))
           (if (bveq (bvand c (bvsub c 1)) 0)))",
    ),
    // A rewrite that introduces a trap: x %s -1 is 0 for every x, but
    // (x /s -1) - (x /s -1) traps on INT_MIN / -1.
    (
        "bad_rem_minus_one_via_sdiv",
        "(rule bad_rem_minus_one_via_sdiv ((T Int)) ({T}.rem_s a (iconst -1))
           => (isub (sdiv a (iconst -1)) (sdiv a (iconst -1))))",
    ),
    // select with its arms swapped.
    ("bad_select_swapped", "(rule bad_select_swapped ((T Value)) ({T}.select a b c) => (select c b a))"),
    // Wrong only in NaN bits (each observable through `reinterpret`). The
    // verifier once compared floats as "equal or both NaN" whenever the left
    // side had an arithmetic operator anywhere, and accepted all of these.
    //
    // A select arm passed through an arithmetic identity: `select` passes a
    // signalling NaN (and every payload) through, `a * 1.0` quiets it.
    (
        "bad_nan_select_arm_quieted",
        "(rule bad_nan_select_arm_quieted () (f32.select a (fadd.f32 x y) c)
           => (select c (fmul a (f32const 0x3f800000)) (fadd x y)))",
    ),
    // |x * x| as x * x: equal on numbers, but a NaN square may be negative
    // and `abs` never gives a negative NaN.
    ("bad_nan_fabs_square", "(rule bad_nan_fabs_square () (fabs.f32 (fmul x x)) => (fmul x x))"),
    // -|x * y| as |x| * -|y|: the left side's NaN is negative, the right's of either sign.
    (
        "bad_nan_fneg_fabs_sign",
        "(rule bad_nan_fneg_fabs_sign () (fneg.f32 (fabs (fmul x y))) => (fmul (fabs x) (fneg (fabs y))))",
    ),
    // copysign keeps its first operand's payload; x + -0.0 does not.
    (
        "bad_nan_copysign_payload_lost",
        "(rule bad_nan_copysign_payload_lost () (fcopysign.f32 x (fsub y z))
           => (fcopysign (fadd x (f32const 0x80000000)) (fsub y z)))",
    ),
    // sqrt of a negative number is a canonical NaN (its operand is no NaN).
    (
        "bad_nan_sqrt_not_canonical",
        "(rule bad_nan_sqrt_not_canonical () (sqrt.f32 x)
           => (select (fcmp_lt x (f32const 0)) (f32const 0x7fc00001) (sqrt x)))",
    ),
    // A constant fold of inf - inf to a NaN that is not canonical.
    (
        "bad_nan_fold_inf_minus_inf",
        "(rule bad_nan_fold_inf_minus_inf () (fsub.f64 (f64const 0x7ff0000000000000) (f64const 0x7ff0000000000000))
           => (f64const 0x7ff8000000000001))",
    ),
];

fn load(text: &str) -> RuleSet {
    RuleSet::load(&[("known_bad.isle", text)])
        .unwrap_or_else(|e| panic!("a known-bad rule does not load: {e}"))
}

/// Replays a counterexample through the concrete evaluator of `plumb-rules`
/// (independent of Z3), which judges NaNs by the same relation
/// ([`plumb_rules::nan`]): the left side must have a value, Z3's among those
/// the evaluator allows it (and for a float the same set of them), and the
/// right side must trap, or give Z3's value — one the evaluator allows the
/// right side — which the left side does not allow.
fn assert_replays(rules: &RuleSet, instance: &RuleInstance, cex: &Counterexample) {
    let inputs: Vec<u128> = cex.inputs.iter().map(|(_, v)| v.bits).collect();
    let ty = instance.ty;
    let lhs = rules.eval_term_allowed(&instance.lhs, &inputs).unwrap_or_else(|e| {
        panic!("{}: the left side fails on the counterexample ({cex}): {e}", instance.name)
    });
    assert!(
        RuleSet::refines(ty, &lhs, cex.lhs.bits),
        "{}: the evaluator disagrees on the left side ({lhs:x?} vs Z3's {})",
        instance.name,
        cex.lhs
    );
    if ty.is_float() {
        assert_eq!(
            (lhs.sign_free, lhs.class),
            (cex.lhs_sign_free, cex.lhs_nans),
            "{}: the evaluator and Z3 allow the left side different NaNs",
            instance.name
        );
    }
    match rules.eval_term_allowed(&instance.rhs, &inputs) {
        Ok(rhs) => {
            let z3_rhs = cex.rhs.unwrap_or_else(|| {
                panic!("{}: Z3 says the right side traps, the evaluator gives {rhs:x?}", instance.name)
            });
            assert!(
                RuleSet::refines(ty, &rhs, z3_rhs.bits),
                "{}: Z3's right side {z3_rhs} is not a value the evaluator allows it ({rhs:x?})",
                instance.name
            );
            assert!(
                !RuleSet::refines(ty, &lhs, z3_rhs.bits),
                "{}: the counterexample {cex} does not separate the sides in the evaluator ({lhs:x?})",
                instance.name
            );
        }
        Err(e) => {
            assert!(cex.rhs.is_none(), "{}: the right side fails ({e}) but Z3 gave it a value", instance.name)
        }
    }
}

#[test]
fn every_known_bad_rule_is_refuted_by_a_counterexample_the_evaluator_confirms() {
    assert!(REFUTED.len() >= 20);
    assert!(REFUTED.iter().filter(|(name, _)| name.starts_with("bad_nan_")).count() >= 6);
    assert!(REFUTED.iter().filter(|(name, _)| name.starts_with("bad_simd_")).count() >= 10);
    let text: String = REFUTED.iter().map(|(_, rule)| format!("{rule}\n")).collect();
    let rules = load(&text);
    let names: Vec<String> = REFUTED.iter().map(|(name, _)| (*name).to_owned()).collect();
    let report = verify(&rules, &Selection::Only { rules: names, files: vec![] }, &Options::default());
    for (name, _) in REFUTED {
        let instances: Vec<&RuleInstance> =
            rules.rule_instances().iter().filter(|i| i.name == *name).collect();
        assert!(!instances.is_empty(), "{name} has no instances");
        let mut refuted = 0;
        for instance in instances {
            let result = report
                .results
                .iter()
                .find(|r| r.rule == instance.name && r.type_args == instance.type_args)
                .unwrap_or_else(|| panic!("{name} was not verified"));
            match &result.verdict {
                Verdict::Counterexample(cex) => {
                    assert_replays(&rules, instance, cex);
                    refuted += 1;
                }
                Verdict::Proved => {}
                other => panic!("{}: expected a counterexample, got: {other}", result.label()),
            }
        }
        assert!(refuted > 0, "{name} was proved at every type");
    }
    assert_eq!(report.proved() + report.failed(), report.results.len(), "{}", report.summary());
}

#[test]
fn a_rule_whose_side_conditions_cannot_hold_never_fires() {
    // No unsigned value is below 0.
    let rules = load("(rule bad_never_fires ((T Int)) (imul.{T} x (iconst c)) => x (if (bvult c 0)))");
    let report = verify(
        &rules,
        &Selection::Only { rules: vec!["bad_never_fires".into()], files: vec![] },
        &Options::default(),
    );
    assert_eq!(report.results.len(), 2);
    for result in &report.results {
        assert_eq!(result.verdict, Verdict::NeverFires, "{}", result.line());
    }
    assert_eq!(report.summary(), "verify: 0/2 rule instances proved, 2 failed, 0 unknown");
}

#[test]
fn a_rule_wrong_in_one_case_of_its_constants_is_refuted_in_that_case() {
    let text: String = REFUTED
        .iter()
        .filter(|(name, _)| ["bad_ishl_ishl_sum_reaches_width", "bad_udiv_pow2_wrong_at_k63"].contains(name))
        .map(|(_, rule)| format!("{rule}\n"))
        .collect();
    let rules = load(&text);
    let only = |name: &str| Selection::Only { rules: vec![name.to_owned()], files: vec![] };
    let input = |cex: &Counterexample, name: &str| -> u128 {
        cex.inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v.bits).unwrap_or_else(|| panic!("no {name}"))
    };

    let report = verify(&rules, &only("bad_ishl_ishl_sum_reaches_width"), &Options::default());
    let [result] = report.results.as_slice() else { panic!("{:?}", report.results) };
    let Verdict::Counterexample(cex) = &result.verdict else { panic!("{}", result.line()) };
    assert_eq!(input(cex, "a") + input(cex, "b"), 64, "{cex}");

    let report = verify(&rules, &only("bad_udiv_pow2_wrong_at_k63"), &Options::default());
    let verdicts: Vec<(String, &Verdict)> = report.results.iter().map(|r| (r.label(), &r.verdict)).collect();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert_eq!(verdicts[0], ("bad_udiv_pow2_wrong_at_k63[i32]".to_owned(), &Verdict::Proved));
    let Verdict::Counterexample(cex) = verdicts[1].1 else { panic!("{verdicts:?}") };
    assert_eq!(input(cex, "c"), 1 << 63, "{cex}");
}

#[test]
fn a_rule_whose_left_side_always_traps_never_fires() {
    // x /u 0 always traps: the rule proves nothing.
    let rules = load("(rule bad_udiv_zero ((T Int)) (udiv.{T} x (iconst 0)) => x)");
    let report = verify(
        &rules,
        &Selection::Only { rules: vec!["bad_udiv_zero".into()], files: vec![] },
        &Options::default(),
    );
    assert!(report.results.iter().all(|r| r.verdict == Verdict::NeverFires), "{:?}", report.results);
}

#[test]
fn a_rule_whose_sides_do_not_type_check_is_rejected_at_load_with_its_position() {
    for text in [
        "(rule bad_ill_typed () (iadd.i32 x y) => (iadd.i64 x y))",
        "(rule bad_wrap_dropped () (i32.wrap_i64 x) => x)",
    ] {
        let err = match RuleSet::load(&[("known_bad.isle", text)]) {
            Err(e) => e,
            Ok(_) => panic!("accepted an ill-typed rule: {text}"),
        };
        assert_eq!(err.file, "known_bad.isle");
        assert_eq!(err.pos.line, 1, "{err}");
        assert!(err.to_string().starts_with("known_bad.isle:1:"), "{err}");
    }
}

#[test]
fn the_verifier_itself_rejects_an_instance_whose_sides_differ_in_type() {
    // An instance the type checker would never produce, built by hand: the
    // verifier does not trust its input.
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut instance = rules
        .rule_instances()
        .iter()
        .find(|i| i.name == "lower_extend_i32_u")
        .cloned()
        .unwrap_or_else(|| panic!("no lower_extend_i32_u"));
    // Make the right side the i32 operand itself, where an i64 is expected.
    instance.rhs = Term::Var(0);
    let verdict = verify_instance(rules.ops(), &instance, &Options::default());
    assert!(matches!(verdict, Verdict::IllTyped(_)), "{verdict}");
}
