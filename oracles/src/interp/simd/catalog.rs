//! Every pure SIMD operator by its Wasm name, as the interpreter runs it
//! when its immediates (lane index, shuffle pattern) are given as
//! operands, the way `ops.isle` declares them: the table that tests and
//! fuzzers use to hold the interpreter against other implementations of
//! the same operator.

use super::{
    Conversion, FBinOp, FRelOp, FShape, FUnOp, Half, IBinOp, IRelOp, IShape, IUnOp, Shape, ShiftOp, VectorOp,
};
use crate::{TrapCode, Value};

/// How the interpreter's instruction is made from the rule language's
/// operands.
#[derive(Clone, Copy)]
pub enum Make {
    /// The same operands.
    Plain(VectorOp),
    /// Operand 1 is the lane index immediate (`extract_lane`, `replace_lane`).
    Lane(u8, fn(u8) -> VectorOp),
    /// Operand 2 is the `v128` of shuffle indices.
    Shuffle,
}

/// One pure Wasm SIMD operator: its name, how to run it on the interpreter,
/// the lane width of its vector operands, and the float lane width of its
/// result when NaN lanes need not match bit for bit.
pub struct PureOp {
    /// The Wasm name (`i8x16.add`), as `ops.isle` names the operator.
    pub name: String,
    /// How the interpreter runs it.
    pub make: Make,
    /// The lane width of its vector operands, in bits.
    pub in_bits: u32,
    /// The float lane width of its result when NaN lanes need not match
    /// bit for bit (float arithmetic), `None` when every bit must.
    pub nan_lanes: Option<u32>,
}

const ISHAPES: [(IShape, &str); 4] =
    [(IShape::I8x16, "i8x16"), (IShape::I16x8, "i16x8"), (IShape::I32x4, "i32x4"), (IShape::I64x2, "i64x2")];
const FSHAPES: [(FShape, &str); 2] = [(FShape::F32x4, "f32x4"), (FShape::F64x2, "f64x2")];

fn case(name: impl Into<String>, op: VectorOp, in_bits: u32) -> PureOp {
    PureOp { name: name.into(), make: Make::Plain(op), in_bits, nan_lanes: None }
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

/// Every pure SIMD operator of Wasm 2.0 and of relaxed SIMD (3.0) but
/// `v128.select` (which is Wasm's `select`, not a vector instruction of
/// the interpreter), as the interpreter computes it.
pub fn pure_ops() -> Vec<PureOp> {
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
        PureOp { name: "i8x16.shuffle".into(), make: Make::Shuffle, in_bits: 8, nan_lanes: None },
    ];
    let shapes = ISHAPES
        .map(|(s, n)| (Shape::Int(s), n))
        .into_iter()
        .chain(FSHAPES.map(|(s, n)| (Shape::Float(s), n)));
    for (shape, n) in shapes {
        let bits = shape.bits();
        let count = (128 / bits) as u8;
        v.push(case(format!("{n}.splat"), Splat(shape), bits));
        v.push(PureOp {
            name: format!("{n}.replace_lane"),
            make: Make::Lane(count, replace_lane(shape)),
            in_bits: bits,
            nan_lanes: None,
        });
        if bits <= 16 {
            for (sx, signed) in [("_s", true), ("_u", false)] {
                let make = Make::Lane(count, extract_lane(shape, signed));
                v.push(PureOp {
                    name: format!("{n}.extract_lane{sx}"),
                    make,
                    in_bits: bits,
                    nan_lanes: None,
                });
            }
        } else {
            let make = Make::Lane(count, extract_lane(shape, false));
            v.push(PureOp { name: format!("{n}.extract_lane"), make, in_bits: bits, nan_lanes: None });
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
        let float = |name: &str, op, exact: bool| PureOp {
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
    let demote = PureOp {
        name: "f32x4.demote_f64x2_zero".into(),
        make: Make::Plain(Convert(Conversion::DemoteF64x2Zero)),
        in_bits: 64,
        nan_lanes: Some(32),
    };
    let promote = PureOp {
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

impl PureOp {
    /// Runs the operator on the interpreter. `operands` are those of
    /// `ops.isle`: a lane index (any integer value) as operand 1 of the
    /// lane operators, the shuffle pattern (a `v128` of 16 byte indices)
    /// as operand 2 of `i8x16.shuffle`.
    pub fn apply(&self, operands: &[Value]) -> Result<Value, TrapCode> {
        let bits = |i: usize| operands.get(i).map_or(0, value_bits);
        match self.make {
            Make::Plain(op) => super::eval_vector(op, operands),
            Make::Lane(_, op) => {
                let rest: Vec<Value> =
                    operands.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, v)| *v).collect();
                super::eval_vector(op(bits(1) as u8), &rest)
            }
            Make::Shuffle => {
                let pattern = bits(2);
                let lanes: [u8; 16] = std::array::from_fn(|i| (pattern >> (8 * i)) as u8);
                super::eval_vector(VectorOp::Shuffle(lanes), operands.get(..2).unwrap_or_default())
            }
        }
    }

    /// Whether `ours`, another implementation's result, agrees with the
    /// interpreter's `want`: bit for bit, except that where
    /// [`PureOp::nan_lanes`] says so, a NaN lane need only be a NaN in both
    /// (and a quiet one in `ours`, as Wasm's arithmetic gives).
    pub fn agrees(&self, want: u128, ours: u128) -> bool {
        let Some(bits) = self.nan_lanes else { return want == ours };
        let lane = |v: u128, i: u32| (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits));
        let nan =
            |x: u64| if bits == 32 { f32::from_bits(x as u32).is_nan() } else { f64::from_bits(x).is_nan() };
        let quiet = |x: u64| x & (1 << if bits == 32 { 22 } else { 51 }) != 0;
        (0..128 / bits).all(|i| {
            let (w, o) = (lane(want, i), lane(ours, i));
            let quiet_if_nan = !nan(o) || quiet(o);
            quiet_if_nan && (w == o || nan(w) && nan(o))
        })
    }
}

/// The bits of a number value (a `v128` whole, a scalar zero-extended);
/// references are 0.
pub fn value_bits(value: &Value) -> u128 {
    match *value {
        Value::I32(x) => u128::from(x as u32),
        Value::I64(x) => u128::from(x as u64),
        Value::F32(x) => u128::from(x),
        Value::F64(x) => u128::from(x),
        Value::V128(x) => x,
        Value::FuncRef(_) | Value::ExternRef(_) => 0,
    }
}
