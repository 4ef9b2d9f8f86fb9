//! Float lane operators (spec §4.3.3 "Floating-Point Operations", applied
//! lane by lane by §4.4.3) and the conversions between vector shapes
//! (spec §4.3.4 "Conversions", §4.4.3 `vcvtop`).
//!
//! Each lane goes through the scalar operator of `numerics` of its width,
//! so NaN results follow the interpreter's one NaN rule everywhere.

use super::{FShape, from_lanes, lane};
use crate::interp::numerics::{demote, promote};

/// Float lane operators of one operand (spec §4.4.3 `vunop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FUnOp {
    /// `fabs` (spec §4.3.3): the sign bit cleared.
    Abs,
    /// `fneg` (spec §4.3.3): the sign bit flipped.
    Neg,
    /// `fsqrt` (spec §4.3.3).
    Sqrt,
    /// `fceil` (spec §4.3.3).
    Ceil,
    /// `ffloor` (spec §4.3.3).
    Floor,
    /// `ftrunc` (spec §4.3.3).
    Trunc,
    /// `fnearest` (spec §4.3.3): to the nearest integer, ties to even.
    Nearest,
}

/// Float lane operators of two operands (spec §4.4.3 `vbinop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FBinOp {
    /// `fadd` (spec §4.3.3).
    Add,
    /// `fsub` (spec §4.3.3).
    Sub,
    /// `fmul` (spec §4.3.3).
    Mul,
    /// `fdiv` (spec §4.3.3).
    Div,
    /// `fmin` (spec §4.3.3): NaN if either is NaN, `-0 < +0`.
    Min,
    /// `fmax` (spec §4.3.3): NaN if either is NaN, `-0 < +0`.
    Max,
    /// `fpmin` (spec §4.3.3): `b` if `b < a`, else `a` — one operand's bits,
    /// NaN or not (pseudo-minimum, as C's `b < a ? b : a`).
    PMin,
    /// `fpmax` (spec §4.3.3): `b` if `a < b`, else `a`.
    PMax,
}

/// Float lane comparisons (spec §4.4.3 `vrelop`, §4.3.3 `feq` … `fge`):
/// IEEE comparisons, false on NaN but for `ne`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FRelOp {
    /// `feq`.
    Eq,
    /// `fne`.
    Ne,
    /// `flt`.
    Lt,
    /// `fgt`.
    Gt,
    /// `fle`.
    Le,
    /// `fge`.
    Ge,
}

/// The lane operators on float lanes of one width, on raw bits.
macro_rules! float_lanes {
    ($module:ident, $ops:ident, $float:ty, $bits:ty) => {
        mod $module {
            use super::{FBinOp, FRelOp, FUnOp};
            use crate::interp::numerics::$ops;

            pub(super) fn unary(op: FUnOp, a: $bits) -> $bits {
                match op {
                    FUnOp::Abs => $ops::abs(a),
                    FUnOp::Neg => $ops::neg(a),
                    FUnOp::Sqrt => $ops::unary(a, <$float>::sqrt),
                    FUnOp::Ceil => $ops::unary(a, <$float>::ceil),
                    FUnOp::Floor => $ops::unary(a, <$float>::floor),
                    FUnOp::Trunc => $ops::unary(a, <$float>::trunc),
                    FUnOp::Nearest => $ops::unary(a, <$float>::round_ties_even),
                }
            }

            pub(super) fn binary(op: FBinOp, a: $bits, b: $bits) -> $bits {
                let (x, y) = (<$float>::from_bits(a), <$float>::from_bits(b));
                match op {
                    FBinOp::Add => $ops::binary(a, b, |x, y| x + y),
                    FBinOp::Sub => $ops::binary(a, b, |x, y| x - y),
                    FBinOp::Mul => $ops::binary(a, b, |x, y| x * y),
                    FBinOp::Div => $ops::binary(a, b, |x, y| x / y),
                    FBinOp::Min => $ops::min(a, b),
                    FBinOp::Max => $ops::max(a, b),
                    FBinOp::PMin => {
                        if y < x {
                            b
                        } else {
                            a
                        }
                    }
                    FBinOp::PMax => {
                        if x < y {
                            b
                        } else {
                            a
                        }
                    }
                }
            }

            pub(super) fn compare(op: FRelOp, a: $bits, b: $bits) -> bool {
                let (x, y) = (<$float>::from_bits(a), <$float>::from_bits(b));
                match op {
                    FRelOp::Eq => x == y,
                    FRelOp::Ne => x != y,
                    FRelOp::Lt => x < y,
                    FRelOp::Gt => x > y,
                    FRelOp::Le => x <= y,
                    FRelOp::Ge => x >= y,
                }
            }
        }
    };
}

float_lanes!(f32_lanes, f32_ops, f32, u32);
float_lanes!(f64_lanes, f64_ops, f64, u64);

impl FUnOp {
    /// The operator on one lane of `shape`.
    pub(super) fn lane(self, shape: FShape, a: u64) -> u64 {
        match shape {
            FShape::F32x4 => u64::from(f32_lanes::unary(self, a as u32)),
            FShape::F64x2 => f64_lanes::unary(self, a),
        }
    }
}

impl FBinOp {
    /// The operator on one pair of lanes of `shape`.
    pub(super) fn lane(self, shape: FShape, a: u64, b: u64) -> u64 {
        match shape {
            FShape::F32x4 => u64::from(f32_lanes::binary(self, a as u32, b as u32)),
            FShape::F64x2 => f64_lanes::binary(self, a, b),
        }
    }
}

impl FRelOp {
    /// Whether the comparison holds for one pair of lanes of `shape`.
    pub(super) fn holds(self, shape: FShape, a: u64, b: u64) -> bool {
        match shape {
            FShape::F32x4 => f32_lanes::compare(self, a as u32, b as u32),
            FShape::F64x2 => f64_lanes::compare(self, a, b),
        }
    }
}

/// The conversions between integer and float shapes (spec §4.4.3 `vcvtop`,
/// lane by lane with the scalar conversions of §4.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conversion {
    /// `i32x4.trunc_sat_f32x4_sx`: `trunc_sat` of each lane (NaN to 0, out of
    /// range to the nearest bound).
    TruncSatF32x4 {
        /// To the signed (`_s`) or unsigned (`_u`) range.
        signed: bool,
    },
    /// `f32x4.convert_i32x4_sx`: `convert` of each lane, rounded to nearest.
    ConvertI32x4 {
        /// Lanes read signed (`_s`) or unsigned (`_u`).
        signed: bool,
    },
    /// `i32x4.trunc_sat_f64x2_sx_zero`: `trunc_sat` of both `f64` lanes into
    /// lanes 0 and 1; lanes 2 and 3 are 0.
    TruncSatF64x2Zero {
        /// To the signed (`_s`) or unsigned (`_u`) range.
        signed: bool,
    },
    /// `f64x2.convert_low_i32x4_sx`: `convert` of `i32` lanes 0 and 1 (exact).
    ConvertLowI32x4 {
        /// Lanes read signed (`_s`) or unsigned (`_u`).
        signed: bool,
    },
    /// `f32x4.demote_f64x2_zero`: `demote` of both `f64` lanes into lanes 0
    /// and 1; lanes 2 and 3 are +0.
    DemoteF64x2Zero,
    /// `f64x2.promote_low_f32x4`: `promote` of `f32` lanes 0 and 1.
    PromoteLowF32x4,
}

/// `trunc_sat_s`/`trunc_sat_u` to 32 bits (spec §4.3.4). Rust's
/// float-to-integer `as` saturates and takes NaN to 0, which is exactly it.
fn trunc_sat_32(x: f64, signed: bool) -> u64 {
    if signed { u64::from(x as i32 as u32) } else { u64::from(x as u32) }
}

/// `convert_s`/`convert_u` of a 32-bit lane to `f64` (spec §4.3.4): exact,
/// every 32-bit integer is an `f64`.
fn convert_32(x: u64, signed: bool) -> f64 {
    if signed { f64::from(x as u32 as i32) } else { f64::from(x as u32) }
}

impl Conversion {
    /// The conversion of the vector `a`.
    pub(super) fn apply(self, a: u128) -> u128 {
        match self {
            Conversion::TruncSatF32x4 { signed } => {
                from_lanes(32, |i| trunc_sat_32(f64::from(f32::from_bits(lane(a, 32, i) as u32)), signed))
            }
            Conversion::ConvertI32x4 { signed } => from_lanes(32, |i| {
                let x = lane(a, 32, i);
                let f = if signed { x as u32 as i32 as f32 } else { x as u32 as f32 };
                u64::from(f.to_bits())
            }),
            Conversion::TruncSatF64x2Zero { signed } => {
                from_lanes(
                    32,
                    |i| if i < 2 { trunc_sat_32(f64::from_bits(lane(a, 64, i)), signed) } else { 0 },
                )
            }
            Conversion::ConvertLowI32x4 { signed } => {
                from_lanes(64, |i| convert_32(lane(a, 32, i), signed).to_bits())
            }
            Conversion::DemoteF64x2Zero => {
                from_lanes(32, |i| if i < 2 { u64::from(demote(lane(a, 64, i))) } else { 0 })
            }
            Conversion::PromoteLowF32x4 => from_lanes(64, |i| promote(lane(a, 32, i) as u32)),
        }
    }
}
