//! Vector instructions (spec §4.4.3 "Vector Instructions", with the lane
//! operators of §4.3 "Numerics"): every fixed-width SIMD operator of
//! WebAssembly 2.0 on `v128` values.
//!
//! Written lane by lane, the way the spec defines them: a vector is split
//! into its lanes (spec §4.3.1 `lanes_t`), a scalar operator is applied to
//! each lane, and the results are put back together (`lanes_t⁻¹`). Nothing
//! here is fast; everything can be read against the spec. Float lanes reuse
//! the scalar float operators of `numerics`, so they follow the same
//! deterministic NaN rule as scalar floats.
//!
//! - this file: lane shapes, lane access, and [`VectorOp`] with its evaluation;
//! - `integer`: the integer lane operators, narrowing and widening;
//! - `float`: the float lane operators and the conversions between shapes;
//! - `memory`: `v128` loads and stores, whole and by lane;
//! - `translate`: `wasmparser`'s SIMD operators to [`Instr`](super::Instr)s.
//!
//! Operands have the types validation guarantees; any other is reported as
//! [`TrapCode::InvariantViolated`], never panicked on.

pub mod catalog;
mod float;
mod integer;
pub(super) mod memory;
pub(super) mod translate;

pub use float::{Conversion, FBinOp, FRelOp, FUnOp};
pub use integer::{IBinOp, IRelOp, IUnOp, ShiftOp};
pub use memory::VectorLoadOp;

use crate::trap::TrapCode;
use crate::values::Value;

/// An integer lane shape (spec §2.4.3 `ishape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IShape {
    /// Sixteen 8-bit lanes.
    I8x16,
    /// Eight 16-bit lanes.
    I16x8,
    /// Four 32-bit lanes.
    I32x4,
    /// Two 64-bit lanes.
    I64x2,
}

impl IShape {
    /// Bits in one lane.
    pub fn bits(self) -> u32 {
        match self {
            IShape::I8x16 => 8,
            IShape::I16x8 => 16,
            IShape::I32x4 => 32,
            IShape::I64x2 => 64,
        }
    }

    /// Number of lanes (spec `dim(shape)`).
    pub fn lanes(self) -> usize {
        (128 / self.bits()) as usize
    }
}

/// A float lane shape (spec §2.4.3 `fshape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FShape {
    /// Four `f32` lanes.
    F32x4,
    /// Two `f64` lanes.
    F64x2,
}

impl FShape {
    /// Bits in one lane.
    pub fn bits(self) -> u32 {
        match self {
            FShape::F32x4 => 32,
            FShape::F64x2 => 64,
        }
    }
}

/// Any lane shape (spec §2.4.3 `shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Integer lanes.
    Int(IShape),
    /// Float lanes.
    Float(FShape),
}

impl Shape {
    /// Bits in one lane.
    pub fn bits(self) -> u32 {
        match self {
            Shape::Int(s) => s.bits(),
            Shape::Float(s) => s.bits(),
        }
    }
}

/// Which half of the input lanes a widening operator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    /// Lanes `0 .. n/2` (`_low`).
    Low,
    /// Lanes `n/2 .. n` (`_high`).
    High,
}

/// The lowest `bits` bits set.
fn mask(bits: u32) -> u64 {
    u64::MAX.checked_shr(64 - bits).unwrap_or(0)
}

/// Lane `i` of `v` seen as lanes of `bits` bits, zero-extended (spec
/// `lanes_t(v)[i]`). A lane past the end reads as 0.
pub(crate) fn lane(v: u128, bits: u32, i: usize) -> u64 {
    let shift = u32::try_from(i).ok().and_then(|i| i.checked_mul(bits)).unwrap_or(u32::MAX);
    v.checked_shr(shift).map_or(0, |rest| rest as u64 & mask(bits))
}

/// The vector of `bits`-bit lanes whose lane `i` is `f(i)` truncated to the
/// lane width (spec `lanes_t⁻¹`).
pub(crate) fn from_lanes(bits: u32, f: impl Fn(usize) -> u64) -> u128 {
    (0..(128 / bits) as usize).fold(0, |v, i| v | u128::from(f(i) & mask(bits)) << (i as u32 * bits))
}

/// `v` with lane `l` of `bits` bits replaced by `x` (spec `replace_lane`).
pub(crate) fn with_lane(v: u128, bits: u32, l: u8, x: u64) -> u128 {
    from_lanes(bits, |i| if i == usize::from(l) { x } else { lane(v, bits, i) })
}

/// A `bits`-bit lane read as a signed integer (spec `signed_N`).
pub(crate) fn signed(x: u64, bits: u32) -> i64 {
    let unused = 64 - bits;
    ((x << unused) as i64) >> unused
}

/// A vector instruction that touches no memory (spec §4.4.3); loads and
/// stores are [`Instr`](super::Instr)s of their own (see `memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorOp {
    /// `v128.not`: spec §4.4.3 `vvunop`, bitwise `inot`.
    Not,
    /// `v128.and`: spec §4.4.3 `vvbinop`, bitwise `iand`.
    And,
    /// `v128.andnot`: spec §4.4.3 `vvbinop`, `iandnot(a, b) = a & !b`.
    AndNot,
    /// `v128.or`: spec §4.4.3 `vvbinop`, bitwise `ior`.
    Or,
    /// `v128.xor`: spec §4.4.3 `vvbinop`, bitwise `ixor`.
    Xor,
    /// `v128.bitselect`: spec §4.4.3 `vvternop`, `ibitselect(a, b, c) = (a & c) | (b & !c)`.
    Bitselect,
    /// `v128.any_true`: spec §4.4.3 `vvtestop`, 1 if any bit is set.
    AnyTrue,
    /// `i8x16.shuffle`: spec §4.4.3 `i8x16.shuffle`; byte `i` of the result is
    /// byte `lanes[i]` of the 32 bytes of both operands.
    Shuffle([u8; 16]),
    /// `i8x16.swizzle`: spec §4.4.3 `i8x16.swizzle`; byte `i` of the result is
    /// byte `b[i]` of `a`, or 0 when `b[i] >= 16`.
    Swizzle,
    /// `shape.splat`: spec §4.4.3 `shape.splat`, the scalar in every lane.
    Splat(Shape),
    /// `shape.extract_lane_sx? lane`: spec §4.4.3 `extract_lane`; 8- and
    /// 16-bit lanes are extended to `i32` as `signed` says.
    ExtractLane {
        /// The lane shape.
        shape: Shape,
        /// The lane read.
        lane: u8,
        /// Sign- (`_s`) or zero-extended (`_u`), for 8- and 16-bit lanes.
        signed: bool,
    },
    /// `shape.replace_lane lane`: spec §4.4.3 `replace_lane`, the scalar
    /// wrapped to the lane width.
    ReplaceLane {
        /// The lane shape.
        shape: Shape,
        /// The lane written.
        lane: u8,
    },
    /// `ishape.abs`, `neg`, `popcnt`: spec §4.4.3 `vunop`.
    IntUnary(IShape, IUnOp),
    /// `ishape.add`, `sub`, `mul`, `add_sat_sx`, `min_sx`, …: spec §4.4.3 `vbinop`.
    IntBinary(IShape, IBinOp),
    /// `ishape.eq`, `lt_sx`, …: spec §4.4.3 `vrelop`; a lane of ones where true.
    IntCompare(IShape, IRelOp),
    /// `ishape.shl`, `shr_sx`: spec §4.4.3 `vishiftop`; the `i32` count is
    /// taken modulo the lane width.
    Shift(IShape, ShiftOp),
    /// `ishape.all_true`: spec §4.4.3 `vtestop`, 1 if no lane is 0.
    AllTrue(IShape),
    /// `ishape.bitmask`: spec §4.4.3 `bitmask`; bit `i` of the `i32` is the
    /// top bit of lane `i`.
    Bitmask(IShape),
    /// `to.narrow_from_sx`: spec §4.4.3 `narrow`; the lanes of both
    /// operands, read signed, saturated to the narrower lanes of `to`.
    Narrow {
        /// The result shape (`i8x16` or `i16x8`).
        to: IShape,
        /// Saturate to the signed (`_s`) or unsigned (`_u`) range.
        signed: bool,
    },
    /// `to.extend_half_from_sx`: spec §4.4.3 `vcvtop` with `extend`; half the
    /// lanes, each extended to twice its width.
    Extend {
        /// The result shape (`i16x8`, `i32x4` or `i64x2`).
        to: IShape,
        /// Which half of the input lanes.
        half: Half,
        /// Sign- or zero-extension.
        signed: bool,
    },
    /// `to.extmul_half_from_sx`: spec §4.4.3 `extmul`; extend half the lanes
    /// of both operands, then multiply.
    ExtMul {
        /// The result shape (`i16x8`, `i32x4` or `i64x2`).
        to: IShape,
        /// Which half of the input lanes.
        half: Half,
        /// Sign- or zero-extension.
        signed: bool,
    },
    /// `to.extadd_pairwise_from_sx`: spec §4.4.3 `extadd_pairwise`; the sum of
    /// each pair of adjacent lanes, extended.
    ExtAddPairwise {
        /// The result shape (`i16x8` or `i32x4`).
        to: IShape,
        /// Sign- or zero-extension.
        signed: bool,
    },
    /// `i32x4.dot_i16x8_s`: spec §4.4.3 `dot`; products of signed 16-bit
    /// lanes, summed in adjacent pairs, modulo 2³².
    Dot,
    /// `fshape.abs`, `neg`, `sqrt`, `ceil`, …: spec §4.4.3 `vunop`.
    FloatUnary(FShape, FUnOp),
    /// `fshape.add`, …, `min`, `max`, `pmin`, `pmax`: spec §4.4.3 `vbinop`.
    FloatBinary(FShape, FBinOp),
    /// `fshape.eq`, `lt`, …: spec §4.4.3 `vrelop`; a lane of ones where true.
    FloatCompare(FShape, FRelOp),
    /// The conversions between integer and float shapes: spec §4.4.3 `vcvtop`.
    Convert(Conversion),
    /// `fshape.relaxed_madd`/`relaxed_nmadd` (relaxed SIMD, Wasm 3.0):
    /// `a * b + c`, with `a` negated for `nmadd`. Plumb's choice among the
    /// allowed results: unfused, the product rounded before the sum, and
    /// every NaN lane the positive canonical NaN.
    RelaxedMadd {
        /// The lane shape.
        shape: FShape,
        /// `nmadd`: `-a * b + c`.
        negate: bool,
    },
    /// `i16x8.relaxed_dot_i8x16_i7x16_s`: the sum of the products of each
    /// pair of adjacent byte lanes. Plumb's choice: both operands signed,
    /// the sum modulo 2¹⁶.
    RelaxedDot,
    /// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: `RelaxedDot`'s 16-bit sums,
    /// sign-extended and added in adjacent pairs, plus `c`, modulo 2³².
    RelaxedDotAdd,
}

impl VectorOp {
    /// How many operands the instruction pops.
    pub fn arity(self) -> usize {
        use VectorOp::*;
        match self {
            Not | AnyTrue | Splat(_) | ExtractLane { .. } | IntUnary(..) | AllTrue(_) | Bitmask(_) => 1,
            Extend { .. } | ExtAddPairwise { .. } | FloatUnary(..) | Convert(_) => 1,
            And | AndNot | Or | Xor | Shuffle(_) | Swizzle | ReplaceLane { .. } | IntBinary(..) => 2,
            IntCompare(..) | Shift(..) | Narrow { .. } | ExtMul { .. } | Dot => 2,
            FloatBinary(..) | FloatCompare(..) | RelaxedDot => 2,
            Bitselect | RelaxedMadd { .. } | RelaxedDotAdd => 3,
        }
    }
}

/// A lane of ones where `true`, of zeros where `false` (spec §4.4.3 `vrelop`).
fn all_ones_if(condition: bool) -> u64 {
    if condition { u64::MAX } else { 0 }
}

/// The bits a scalar puts in a lane of `shape` (spec `splat` and
/// `replace_lane`: `i32` operands are wrapped to 8 or 16 bits).
fn scalar_bits(shape: Shape, value: Value) -> Result<u64, TrapCode> {
    use {FShape::*, IShape::*};
    Ok(match (shape, value) {
        (Shape::Int(I8x16 | I16x8 | I32x4), Value::I32(x)) => u64::from(x as u32),
        (Shape::Int(I64x2), Value::I64(x)) => x as u64,
        (Shape::Float(F32x4), Value::F32(x)) => u64::from(x),
        (Shape::Float(F64x2), Value::F64(x)) => x,
        _ => return Err(TrapCode::InvariantViolated),
    })
}

/// The scalar a lane of `shape` holds (spec `extract_lane`).
fn lane_scalar(shape: Shape, x: u64, signed_lane: bool) -> Value {
    use {FShape::*, IShape::*};
    match shape {
        Shape::Int(I8x16 | I16x8) if signed_lane => Value::I32(signed(x, shape.bits()) as i32),
        Shape::Int(I8x16 | I16x8 | I32x4) => Value::I32(x as u32 as i32),
        Shape::Int(I64x2) => Value::I64(x as i64),
        Shape::Float(F32x4) => Value::F32(x as u32),
        Shape::Float(F64x2) => Value::F64(x),
    }
}

/// Evaluates `op` on its `operands`, deepest first.
pub fn eval_vector(op: VectorOp, operands: &[Value]) -> Result<Value, TrapCode> {
    use Value::{I32, V128};
    use VectorOp::*;
    let v128 = |v: u128| Ok(V128(v));
    match (op, operands) {
        (Not, &[V128(a)]) => v128(!a),
        (And, &[V128(a), V128(b)]) => v128(a & b),
        (AndNot, &[V128(a), V128(b)]) => v128(a & !b),
        (Or, &[V128(a), V128(b)]) => v128(a | b),
        (Xor, &[V128(a), V128(b)]) => v128(a ^ b),
        (Bitselect, &[V128(a), V128(b), V128(c)]) => v128((a & c) | (b & !c)),
        (AnyTrue, &[V128(a)]) => Ok(I32(i32::from(a != 0))),
        (Shuffle(lanes), &[V128(a), V128(b)]) => v128(from_lanes(8, |i| {
            let from = usize::from(lanes[i]);
            if from < 16 { lane(a, 8, from) } else { lane(b, 8, from - 16) }
        })),
        (Swizzle, &[V128(a), V128(b)]) => v128(from_lanes(8, |i| lane(a, 8, lane(b, 8, i) as usize))),
        (Splat(shape), &[x]) => {
            let x = scalar_bits(shape, x)?;
            v128(from_lanes(shape.bits(), |_| x))
        }
        (ExtractLane { shape, lane: l, signed }, &[V128(a)]) => {
            Ok(lane_scalar(shape, lane(a, shape.bits(), usize::from(l)), signed))
        }
        (ReplaceLane { shape, lane: l }, &[V128(a), x]) => {
            v128(with_lane(a, shape.bits(), l, scalar_bits(shape, x)?))
        }
        (IntUnary(shape, op), &[V128(a)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| op.lane(bits, lane(a, bits, i))))
        }
        (IntBinary(shape, op), &[V128(a), V128(b)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| op.lane(bits, lane(a, bits, i), lane(b, bits, i))))
        }
        (IntCompare(shape, op), &[V128(a), V128(b)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| all_ones_if(op.holds(bits, lane(a, bits, i), lane(b, bits, i)))))
        }
        (Shift(shape, op), &[V128(a), I32(count)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| op.lane(bits, lane(a, bits, i), count as u32)))
        }
        (AllTrue(shape), &[V128(a)]) => {
            let bits = shape.bits();
            Ok(I32(i32::from((0..shape.lanes()).all(|i| lane(a, bits, i) != 0))))
        }
        (Bitmask(shape), &[V128(a)]) => {
            let bits = shape.bits();
            let mask = (0..shape.lanes()).filter(|&i| signed(lane(a, bits, i), bits) < 0).map(|i| 1 << i);
            Ok(I32(mask.sum()))
        }
        (Narrow { to, signed }, &[V128(a), V128(b)]) => v128(integer::narrow(to, signed, a, b)),
        (Extend { to, half, signed }, &[V128(a)]) => v128(integer::extend(to, half, signed, a)),
        (ExtMul { to, half, signed }, &[V128(a), V128(b)]) => v128(integer::extmul(to, half, signed, a, b)),
        (ExtAddPairwise { to, signed }, &[V128(a)]) => v128(integer::extadd_pairwise(to, signed, a)),
        (Dot, &[V128(a), V128(b)]) => v128(integer::dot(a, b)),
        (FloatUnary(shape, op), &[V128(a)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| op.lane(shape, lane(a, bits, i))))
        }
        (FloatBinary(shape, op), &[V128(a), V128(b)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| op.lane(shape, lane(a, bits, i), lane(b, bits, i))))
        }
        (FloatCompare(shape, op), &[V128(a), V128(b)]) => {
            let bits = shape.bits();
            v128(from_lanes(bits, |i| all_ones_if(op.holds(shape, lane(a, bits, i), lane(b, bits, i)))))
        }
        (Convert(conversion), &[V128(a)]) => v128(conversion.apply(a)),
        (RelaxedMadd { shape, negate }, &[V128(a), V128(b), V128(c)]) => {
            let bits = shape.bits();
            // The canonical NaN, the exponent field and the mantissa field.
            let (canonical, exponent, mantissa): (u64, u64, u64) = match shape {
                FShape::F32x4 => (0x7fc0_0000, 0x7f80_0000, 0x007f_ffff),
                FShape::F64x2 => (0x7ff8_0000_0000_0000, 0x7ff0_0000_0000_0000, 0x000f_ffff_ffff_ffff),
            };
            v128(from_lanes(bits, |i| {
                let product = FBinOp::Mul.lane(shape, lane(a, bits, i), lane(b, bits, i));
                // nmadd: c - a*b, which is -a*b + c exactly.
                let r = if negate {
                    FBinOp::Sub.lane(shape, lane(c, bits, i), product)
                } else {
                    FBinOp::Add.lane(shape, product, lane(c, bits, i))
                };
                let nan = r & exponent == exponent && r & mantissa != 0;
                if nan { canonical } else { r }
            }))
        }
        (RelaxedDot, &[V128(a), V128(b)]) => v128(integer::relaxed_dot(a, b)),
        (RelaxedDotAdd, &[V128(a), V128(b), V128(c)]) => v128(integer::relaxed_dot_add(a, b, c)),
        _ => Err(TrapCode::InvariantViolated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_in_memory_order_and_wrap_to_their_width() {
        let v = u128::from_le_bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert_eq!(lane(v, 8, 0), 1);
        assert_eq!(lane(v, 16, 1), 0x0403);
        assert_eq!(lane(v, 64, 1), 0x100f_0e0d_0c0b_0a09);
        assert_eq!(lane(v, 8, 16), 0, "a lane past the end reads as 0");
        assert_eq!(from_lanes(16, |i| 0x1_0000 + i as u64), from_lanes(16, |i| i as u64));
        assert_eq!(signed(0xff, 8), -1);
        assert_eq!(signed(0x7fff, 16), 0x7fff);
    }

    #[test]
    fn operands_validation_rules_out_are_reported_never_panicked_on() {
        let violated = Err(TrapCode::InvariantViolated);
        assert_eq!(eval_vector(VectorOp::And, &[Value::I32(1), Value::V128(0)]), violated);
        assert_eq!(eval_vector(VectorOp::Splat(Shape::Int(IShape::I64x2)), &[Value::I32(1)]), violated);
        assert_eq!(eval_vector(VectorOp::Not, &[]), violated);
        // A shuffle index past 31 (which validation refuses) selects 0.
        let shuffled =
            eval_vector(VectorOp::Shuffle([255; 16]), &[Value::V128(u128::MAX), Value::V128(u128::MAX)]);
        assert_eq!(shuffled, Ok(Value::V128(0)));
    }
}
