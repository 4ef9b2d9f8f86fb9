//! The evaluator of `simd_ops.isle` agrees with the reference interpreter on
//! every pure SIMD operator of Wasm 2.0: same vector bit for bit, except that
//! a NaN lane of a float arithmetic operator only has to be a NaN in both
//! (and a quiet one in ours, as Wasm's arithmetic gives). Inputs are vectors
//! of edge lanes (0, ±1, MIN, MAX, ±0.0, ±inf, NaNs with payloads,
//! subnormals, conversion bounds), every pair of splatted edges, and random
//! vectors.

use std::collections::BTreeSet;

use plumb_oracles::Value;
use plumb_oracles::interp::simd::{
    Conversion, FBinOp, FRelOp, FShape, FUnOp, Half, IBinOp, IRelOp, IShape, IUnOp, Shape, ShiftOp, VectorOp,
    eval_vector,
};
use plumb_rules::{OpKind, RuleSet, Type};

mod common;
use common::Rng;

/// How the interpreter's instruction is made from the evaluator's operands.
#[derive(Clone, Copy)]
enum Make {
    /// The same operands.
    Plain(VectorOp),
    /// Operand 1 is the lane index immediate (`extract_lane`, `replace_lane`).
    Lane(u8, fn(u8) -> VectorOp),
    /// Operand 2 is the `v128` of shuffle indices.
    Shuffle,
}

/// One Wasm SIMD operator: its name, how to run it on the interpreter, the
/// lane width of its vector operands, and the float lane width of its
/// result when NaN lanes need not match bit for bit.
struct Case {
    name: String,
    make: Make,
    in_bits: u32,
    nan_lanes: Option<u32>,
}

const ISHAPES: [(IShape, &str); 4] =
    [(IShape::I8x16, "i8x16"), (IShape::I16x8, "i16x8"), (IShape::I32x4, "i32x4"), (IShape::I64x2, "i64x2")];
const FSHAPES: [(FShape, &str); 2] = [(FShape::F32x4, "f32x4"), (FShape::F64x2, "f64x2")];

fn case(name: impl Into<String>, op: VectorOp, in_bits: u32) -> Case {
    Case { name: name.into(), make: Make::Plain(op), in_bits, nan_lanes: None }
}

fn extract_lane(shape: Shape, signed: bool) -> fn(u8) -> VectorOp {
    macro_rules! f {
        ($shape:expr, $signed:expr) => {
            |lane| VectorOp::ExtractLane { shape: $shape, lane, signed: $signed }
        };
    }
    use {FShape::*, IShape::*};
    match (shape, signed) {
        (Shape::Int(I8x16), true) => f!(Shape::Int(I8x16), true),
        (Shape::Int(I8x16), false) => f!(Shape::Int(I8x16), false),
        (Shape::Int(I16x8), true) => f!(Shape::Int(I16x8), true),
        (Shape::Int(I16x8), false) => f!(Shape::Int(I16x8), false),
        (Shape::Int(I32x4), _) => f!(Shape::Int(I32x4), false),
        (Shape::Int(I64x2), _) => f!(Shape::Int(I64x2), false),
        (Shape::Float(F32x4), _) => f!(Shape::Float(F32x4), false),
        (Shape::Float(F64x2), _) => f!(Shape::Float(F64x2), false),
    }
}

fn replace_lane(shape: Shape) -> fn(u8) -> VectorOp {
    macro_rules! f {
        ($shape:expr) => {
            |lane| VectorOp::ReplaceLane { shape: $shape, lane }
        };
    }
    use {FShape::*, IShape::*};
    match shape {
        Shape::Int(I8x16) => f!(Shape::Int(I8x16)),
        Shape::Int(I16x8) => f!(Shape::Int(I16x8)),
        Shape::Int(I32x4) => f!(Shape::Int(I32x4)),
        Shape::Int(I64x2) => f!(Shape::Int(I64x2)),
        Shape::Float(F32x4) => f!(Shape::Float(F32x4)),
        Shape::Float(F64x2) => f!(Shape::Float(F64x2)),
    }
}

/// Every pure SIMD operator of Wasm 2.0 but `v128.select` (which is
/// Wasm's `select`, not a vector instruction of the interpreter).
fn all_cases() -> Vec<Case> {
    use VectorOp::*;
    let mut v = vec![
        case("v128.not", Not, 8),
        case("v128.and", And, 8),
        case("v128.andnot", AndNot, 8),
        case("v128.or", Or, 8),
        case("v128.xor", Xor, 8),
        case("v128.bitselect", Bitselect, 8),
        case("v128.any_true", AnyTrue, 8),
        case("i8x16.swizzle", Swizzle, 8),
        case("i32x4.dot_i16x8_s", Dot, 16),
        Case { name: "i8x16.shuffle".into(), make: Make::Shuffle, in_bits: 8, nan_lanes: None },
    ];
    let shapes = ISHAPES
        .map(|(s, n)| (Shape::Int(s), n))
        .into_iter()
        .chain(FSHAPES.map(|(s, n)| (Shape::Float(s), n)));
    for (shape, n) in shapes {
        let bits = shape.bits();
        let count = (128 / bits) as u8;
        v.push(case(format!("{n}.splat"), Splat(shape), bits));
        v.push(Case {
            name: format!("{n}.replace_lane"),
            make: Make::Lane(count, replace_lane(shape)),
            in_bits: bits,
            nan_lanes: None,
        });
        if bits <= 16 {
            for (sx, signed) in [("_s", true), ("_u", false)] {
                let make = Make::Lane(count, extract_lane(shape, signed));
                v.push(Case { name: format!("{n}.extract_lane{sx}"), make, in_bits: bits, nan_lanes: None });
            }
        } else {
            let make = Make::Lane(count, extract_lane(shape, false));
            v.push(Case { name: format!("{n}.extract_lane"), make, in_bits: bits, nan_lanes: None });
        }
    }
    for (s, n) in ISHAPES {
        let bits = s.bits();
        let narrow = bits <= 16;
        let not_64 = bits <= 32;
        let unary =
            [("abs", IUnOp::Abs, true), ("neg", IUnOp::Neg, true), ("popcnt", IUnOp::Popcnt, bits == 8)];
        for (name, op, has) in unary {
            if has {
                v.push(case(format!("{n}.{name}"), IntUnary(s, op), bits));
            }
        }
        use IBinOp::*;
        let binary = [
            ("add", Add, true),
            ("sub", Sub, true),
            ("mul", Mul, bits > 8),
            ("add_sat_s", AddSatS, narrow),
            ("add_sat_u", AddSatU, narrow),
            ("sub_sat_s", SubSatS, narrow),
            ("sub_sat_u", SubSatU, narrow),
            ("min_s", MinS, not_64),
            ("min_u", MinU, not_64),
            ("max_s", MaxS, not_64),
            ("max_u", MaxU, not_64),
            ("avgr_u", AvgrU, narrow),
            ("q15mulr_sat_s", Q15MulrSatS, bits == 16),
        ];
        for (name, op, has) in binary {
            if has {
                v.push(case(format!("{n}.{name}"), IntBinary(s, op), bits));
            }
        }
        use IRelOp::*;
        let compare = [
            ("eq", Eq, true),
            ("ne", Ne, true),
            ("lt_s", LtS, true),
            ("gt_s", GtS, true),
            ("le_s", LeS, true),
            ("ge_s", GeS, true),
            ("lt_u", LtU, not_64),
            ("gt_u", GtU, not_64),
            ("le_u", LeU, not_64),
            ("ge_u", GeU, not_64),
        ];
        for (name, op, has) in compare {
            if has {
                v.push(case(format!("{n}.{name}"), IntCompare(s, op), bits));
            }
        }
        for (name, op) in [("shl", ShiftOp::Shl), ("shr_s", ShiftOp::ShrS), ("shr_u", ShiftOp::ShrU)] {
            v.push(case(format!("{n}.{name}"), Shift(s, op), bits));
        }
        v.push(case(format!("{n}.all_true"), AllTrue(s), bits));
        v.push(case(format!("{n}.bitmask"), Bitmask(s), bits));
    }
    // Shape-changing integer operators: `to` has lanes twice `from`'s.
    for [(from, fname), (to, tname)] in
        [[ISHAPES[0], ISHAPES[1]], [ISHAPES[1], ISHAPES[2]], [ISHAPES[2], ISHAPES[3]]]
    {
        let bits = from.bits();
        for (sx, signed) in [("s", true), ("u", false)] {
            if to.bits() <= 32 {
                v.push(case(format!("{fname}.narrow_{tname}_{sx}"), Narrow { to: from, signed }, bits * 2));
                v.push(case(
                    format!("{tname}.extadd_pairwise_{fname}_{sx}"),
                    ExtAddPairwise { to, signed },
                    bits,
                ));
            }
            for (hname, half) in [("low", Half::Low), ("high", Half::High)] {
                v.push(case(
                    format!("{tname}.extend_{hname}_{fname}_{sx}"),
                    Extend { to, half, signed },
                    bits,
                ));
                v.push(case(
                    format!("{tname}.extmul_{hname}_{fname}_{sx}"),
                    ExtMul { to, half, signed },
                    bits,
                ));
            }
        }
    }
    for (s, n) in FSHAPES {
        let bits = s.bits();
        let float = |name: &str, op, exact: bool| Case {
            name: format!("{n}.{name}"),
            make: Make::Plain(op),
            in_bits: bits,
            nan_lanes: (!exact).then_some(bits),
        };
        use FUnOp::*;
        for (name, op) in [("abs", Abs), ("neg", Neg)] {
            v.push(float(name, FloatUnary(s, op), true));
        }
        for (name, op) in
            [("sqrt", Sqrt), ("ceil", Ceil), ("floor", Floor), ("trunc", Trunc), ("nearest", Nearest)]
        {
            v.push(float(name, FloatUnary(s, op), false));
        }
        use FBinOp::*;
        for (name, op) in [("add", Add), ("sub", Sub), ("mul", Mul), ("div", Div), ("min", Min), ("max", Max)]
        {
            v.push(float(name, FloatBinary(s, op), false));
        }
        for (name, op) in [("pmin", PMin), ("pmax", PMax)] {
            v.push(float(name, FloatBinary(s, op), true));
        }
        // Relaxed SIMD (Wasm 3.0): Plumb's choices. madd/nmadd canonicalise
        // their NaN lanes, so they agree bit for bit.
        v.push(float("relaxed_min", FloatBinary(s, Min), false));
        v.push(float("relaxed_max", FloatBinary(s, Max), false));
        v.push(float("relaxed_madd", RelaxedMadd { shape: s, negate: false }, true));
        v.push(float("relaxed_nmadd", RelaxedMadd { shape: s, negate: true }, true));
        use FRelOp::*;
        for (name, op) in [("eq", Eq), ("ne", Ne), ("lt", Lt), ("gt", Gt), ("le", Le), ("ge", Ge)] {
            v.push(float(name, FloatCompare(s, op), true));
        }
    }
    for (sx, signed) in [("s", true), ("u", false)] {
        v.push(case(
            format!("i32x4.trunc_sat_f32x4_{sx}"),
            Convert(Conversion::TruncSatF32x4 { signed }),
            32,
        ));
        v.push(case(format!("f32x4.convert_i32x4_{sx}"), Convert(Conversion::ConvertI32x4 { signed }), 32));
        let zero = Conversion::TruncSatF64x2Zero { signed };
        v.push(case(format!("i32x4.trunc_sat_f64x2_{sx}_zero"), Convert(zero), 64));
        v.push(case(
            format!("f64x2.convert_low_i32x4_{sx}"),
            Convert(Conversion::ConvertLowI32x4 { signed }),
            32,
        ));
    }
    let demote = Case {
        name: "f32x4.demote_f64x2_zero".into(),
        make: Make::Plain(Convert(Conversion::DemoteF64x2Zero)),
        in_bits: 64,
        nan_lanes: Some(32),
    };
    let promote = Case {
        name: "f64x2.promote_low_f32x4".into(),
        make: Make::Plain(Convert(Conversion::PromoteLowF32x4)),
        in_bits: 32,
        nan_lanes: Some(64),
    };
    v.extend([demote, promote]);
    // The other relaxed SIMD instructions (Wasm 3.0), each as Plumb computes it.
    v.push(case("i8x16.relaxed_swizzle", Swizzle, 8));
    for (sx, signed) in [("s", true), ("u", false)] {
        let trunc = Conversion::TruncSatF32x4 { signed };
        v.push(case(format!("i32x4.relaxed_trunc_f32x4_{sx}"), Convert(trunc), 32));
        let zero = Conversion::TruncSatF64x2Zero { signed };
        v.push(case(format!("i32x4.relaxed_trunc_f64x2_{sx}_zero"), Convert(zero), 64));
    }
    for (_, n) in ISHAPES {
        v.push(case(format!("{n}.relaxed_laneselect"), Bitselect, 8));
    }
    v.push(case("i16x8.relaxed_q15mulr_s", IntBinary(IShape::I16x8, IBinOp::Q15MulrSatS), 16));
    v.push(case("i16x8.relaxed_dot_i8x16_i7x16_s", RelaxedDot, 8));
    v.push(case("i32x4.relaxed_dot_i8x16_i7x16_add_s", RelaxedDotAdd, 8));
    v
}

/// Edge values of a lane of `bits` bits: integer bounds, and for 32 and 64
/// bits the float edges too.
fn lane_edges(bits: u32) -> Vec<u64> {
    let m = u64::MAX >> (64 - bits);
    let min = 1u64 << (bits - 1);
    let mut v = vec![0, 1, 2, m, m - 1, min, min - 1, min + 1, m >> 2, 0x55 & m, 0xa5a5_a5a5_a5a5_a5a5 & m];
    match bits {
        8 => v.extend([7, 8, 9, 15, 16, 17, 31, 32]),
        16 => v.extend([0x00ff, 0xff00, 0x4000, 0xc000, 0x0100]),
        32 => v.extend(common::f32_edges()),
        _ => v.extend(common::f64_edges()),
    }
    v
}

fn splat(bits: u32, x: u64) -> u128 {
    (0..128 / bits).fold(0, |v, i| v | u128::from(x) << (i * bits))
}

fn from_lanes(bits: u32, f: impl Fn(u32) -> u64) -> u128 {
    let m = u64::MAX >> (64 - bits);
    (0..128 / bits).fold(0, |v, i| v | u128::from(f(i) & m) << (i * bits))
}

fn lane(v: u128, bits: u32, i: u32) -> u64 {
    (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits))
}

/// Vectors of edge lanes: each edge splatted, and the edges rotated through
/// every lane position.
fn edge_vectors(bits: u32) -> (Vec<u128>, Vec<u128>) {
    let edges = lane_edges(bits);
    let splats = edges.iter().map(|&e| splat(bits, e)).collect();
    let n = edges.len() as u32;
    let rotated = (0..n).map(|r| from_lanes(bits, |i| edges[((i * 7 + r) % n) as usize])).collect();
    (splats, rotated)
}

/// A random vector: per lane random bits or an edge.
fn random_vector(rng: &mut Rng, bits: u32) -> u128 {
    let edges = lane_edges(bits);
    let pick: Vec<u64> = (0..128 / bits)
        .map(|_| {
            let r = rng.next();
            if r.is_multiple_of(3) { edges[(r >> 8) as usize % edges.len()] } else { rng.next() }
        })
        .collect();
    from_lanes(bits, |i| pick[i as usize])
}

fn scalar_edges(ty: Type) -> Vec<u128> {
    let bits = ty.bits();
    let mut v: Vec<u128> = lane_edges(bits).into_iter().map(u128::from).collect();
    if ty == Type::I32 {
        // Shift counts around every lane width.
        v.extend([3, 7, 9, 15, 17, 31, 33, 63, 64, 65, 127, 128, 129]);
    }
    v
}

fn random_scalar(rng: &mut Rng, ty: Type) -> u128 {
    let edges = scalar_edges(ty);
    let r = rng.next();
    let x = if r.is_multiple_of(3) { edges[(r >> 8) as usize % edges.len()] } else { u128::from(rng.next()) };
    x & ty.wide_mask()
}

/// Operand tuples for an operator with operand types `tys` whose vectors
/// have lanes of `bits` bits.
fn inputs(tys: &[Type], bits: u32, rng: &mut Rng) -> Vec<Vec<u128>> {
    let (splats, rotated) = edge_vectors(bits);
    let pool = |t: Type| -> Vec<u128> {
        if t == Type::V128 { splats.iter().chain(&rotated).copied().collect() } else { scalar_edges(t) }
    };
    let mut out: Vec<Vec<u128>> = Vec::new();
    match tys {
        [t] => out.extend(pool(*t).into_iter().map(|a| vec![a])),
        [Type::V128, Type::V128] => {
            // Every pair of edge lanes, and rotated edges against each other.
            for a in &splats {
                for b in &splats {
                    out.push(vec![*a, *b]);
                }
            }
            for (i, a) in rotated.iter().enumerate() {
                for b in rotated.iter().skip(i % 3).step_by(3) {
                    out.push(vec![*a, *b]);
                }
            }
        }
        [Type::V128, t] => {
            for a in pool(Type::V128) {
                for b in pool(*t) {
                    out.push(vec![a, b]);
                }
            }
        }
        _ => {}
    }
    for _ in 0..1500 {
        out.push(
            tys.iter()
                .map(|&t| if t == Type::V128 { random_vector(rng, bits) } else { random_scalar(rng, t) })
                .collect(),
        );
    }
    out
}

fn to_value(ty: Type, bits: u128) -> Value {
    match ty {
        Type::I32 => Value::I32(bits as u32 as i32),
        Type::I64 => Value::I64(bits as u64 as i64),
        Type::F32 => Value::F32(bits as u32),
        Type::F64 => Value::F64(bits as u64),
        _ => Value::V128(bits),
    }
}

fn from_value(v: &Value) -> Option<u128> {
    Some(match *v {
        Value::I32(x) => u128::from(x as u32),
        Value::I64(x) => u128::from(x as u64),
        Value::F32(x) => u128::from(x),
        Value::F64(x) => u128::from(x),
        Value::V128(x) => x,
        _ => return None,
    })
}

fn nan(bits: u32, x: u64) -> bool {
    if bits == 32 { f32::from_bits(x as u32).is_nan() } else { f64::from_bits(x).is_nan() }
}

fn quiet(bits: u32, x: u64) -> bool {
    x & (1 << if bits == 32 { 22 } else { 51 }) != 0
}

/// Whether our result `ours` agrees with the interpreter's `want`.
fn agrees(want: u128, ours: u128, nan_lanes: Option<u32>) -> bool {
    let Some(bits) = nan_lanes else { return want == ours };
    (0..128 / bits).all(|i| {
        let (w, o) = (lane(want, bits, i), lane(ours, bits, i));
        let quiet_if_nan = !nan(bits, o) || quiet(bits, o);
        quiet_if_nan && (w == o || nan(bits, w) && nan(bits, o))
    })
}

/// The interpreter's instruction and operands for the evaluator's `args`.
fn interpreter_call(make: Make, tys: &[Type], args: &[u128]) -> (VectorOp, Vec<Value>) {
    let values: Vec<Value> = tys.iter().zip(args).map(|(t, a)| to_value(*t, *a)).collect();
    match make {
        Make::Plain(op) => (op, values),
        Make::Lane(_, f) => {
            let lane = args[1] as u8;
            let rest = values.into_iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, v)| v).collect();
            (f(lane), rest)
        }
        Make::Shuffle => {
            let lanes: [u8; 16] = std::array::from_fn(|i| (args[2] >> (8 * i)) as u8);
            (VectorOp::Shuffle(lanes), values[..2].to_vec())
        }
    }
}

/// The evaluator's operand tuples for `case`: the immediates' operands
/// take every valid lane index, or shuffle patterns.
fn case_inputs(case: &Case, tys: &[Type], rng: &mut Rng) -> Vec<Vec<u128>> {
    match case.make {
        Make::Plain(_) => inputs(tys, case.in_bits, rng),
        Make::Lane(count, _) => {
            let others: Vec<Type> =
                tys.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, t)| *t).collect();
            let base = inputs(&others, case.in_bits, rng);
            let mut out = Vec::new();
            for (k, args) in base.iter().enumerate() {
                // Every lane index on the edge inputs, one in turn on random ones.
                let lanes: Vec<u8> =
                    if k < base.len() - 1500 { (0..count).collect() } else { vec![k as u8 % count] };
                for l in lanes {
                    let mut a = args.clone();
                    a.insert(1, u128::from(l));
                    out.push(a);
                }
            }
            out
        }
        Make::Shuffle => {
            let mut patterns: Vec<[u8; 16]> = vec![
                std::array::from_fn(|i| i as u8),
                std::array::from_fn(|i| 15 - i as u8),
                std::array::from_fn(|i| 16 + i as u8),
                std::array::from_fn(|i| 31 - i as u8),
                std::array::from_fn(|i| (i as u8 % 2) * 16 + i as u8 / 2),
                [0; 16],
                [31; 16],
            ];
            patterns.extend((0..200).map(|_| std::array::from_fn(|_| (rng.next() % 32) as u8)));
            let pairs = inputs(&[Type::V128, Type::V128], 8, rng);
            let mut out = Vec::new();
            for (k, ab) in pairs.iter().enumerate().step_by(3) {
                let m = u128::from_le_bytes(patterns[k % patterns.len()]);
                out.push(vec![ab[0], ab[1], m]);
            }
            out
        }
    }
}

#[test]
fn evaluator_agrees_with_the_interpreter_on_every_simd_operator() {
    let rules = RuleSet::builtin().expect("builtin rules load");
    let mut failures = Vec::new();
    let mut cases = 0usize;
    let mut covered = BTreeSet::new();
    for case in all_cases() {
        let Some(id) = rules.op_by_name(&case.name) else {
            failures.push(format!("{}: not declared", case.name));
            continue;
        };
        let Some(op) = rules.op(id) else { continue };
        covered.insert(case.name.clone());
        let tys = op.operands.clone();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case.name.len() as u64 * 0x1000_0001));
        let mut found = 0;
        for args in case_inputs(&case, &tys, &mut rng) {
            cases += 1;
            let (vop, values) = interpreter_call(case.make, &tys, &args);
            let want = eval_vector(vop, &values);
            let ours = rules.eval_wide(id, &args);
            let ok = match (&want, &ours) {
                (Ok(w), Ok(o)) => from_value(w).is_some_and(|w| agrees(w, *o, case.nan_lanes)),
                _ => false,
            };
            if !ok && found < 3 {
                found += 1;
                failures.push(format!("{}{args:x?}: interpreter {want:x?}, evaluator {ours:x?}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s) in {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every Wasm operator on vectors is covered (v128.select by the test below).
    let declared: BTreeSet<String> = rules
        .ops()
        .iter()
        .filter(|o| o.kind == OpKind::Wasm && o.operands.iter().chain([&o.result]).any(|t| t.is_vector()))
        .map(|o| o.name.clone())
        .filter(|n| n != "v128.select")
        .collect();
    let missing: Vec<&String> = declared.difference(&covered).collect();
    assert!(missing.is_empty(), "SIMD operators the test does not cover: {missing:?}");
    assert_eq!(
        covered.len(),
        233,
        "the Wasm 2.0 SIMD operators but loads, stores, v128.const and select, and the 20 relaxed ones"
    );
    assert!(cases > 200_000, "only {cases} cases ran");
}

#[test]
fn v128_select_picks_the_first_operand_on_a_non_zero_condition() {
    let rules = RuleSet::builtin().expect("builtin rules load");
    let id = rules.op_by_name("v128.select").expect("declared");
    let (a, b) = (u128::MAX - 5, 1u128 << 100);
    assert_eq!(rules.eval_wide(id, &[a, b, 0x8000_0000]), Ok(a));
    assert_eq!(rules.eval_wide(id, &[a, b, 0]), Ok(b));
}
