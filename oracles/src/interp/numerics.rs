//! Numeric instructions (spec §4.3 "Numerics" and §4.4.1 "Numeric
//! Instructions"): every unary, binary, test, comparison and conversion
//! operator of WebAssembly 2.0 on scalars, evaluated on plain Rust numbers.
//!
//! Written to be checked against the spec line by line, not to be fast.
//! Float results that are NaN follow the spec's NaN propagation rule
//! deterministically: if an operand is a non-canonical NaN the result is that
//! operand made quiet, otherwise the positive canonical NaN.

use crate::trap::TrapCode;
use crate::values::Value;

/// Declares an operator enum whose every variant documents its Wasm name and
/// the section of the spec that defines it.
macro_rules! operators {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident = $wasm:literal @ $anchor:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`", $wasm, "`: spec §4.3 [`", $anchor,
                    "`](https://webassembly.github.io/spec/core/exec/numerics.html#", $anchor, ").")]
                $variant,
            )*
        }

        impl $name {
            /// Every operator of this kind, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The operator's name in the Wasm text format.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $wasm,)*
                }
            }
        }
    };
}

operators! {
    /// Operators taking one operand: `unop`, `testop` and `cvtop` (spec §4.4.1).
    pub enum UnOp {
        I32Eqz = "i32.eqz" @ "op-ieqz",
        I32Clz = "i32.clz" @ "op-iclz",
        I32Ctz = "i32.ctz" @ "op-ictz",
        I32Popcnt = "i32.popcnt" @ "op-ipopcnt",
        I32Extend8S = "i32.extend8_s" @ "op-iextendn-s",
        I32Extend16S = "i32.extend16_s" @ "op-iextendn-s",
        I64Eqz = "i64.eqz" @ "op-ieqz",
        I64Clz = "i64.clz" @ "op-iclz",
        I64Ctz = "i64.ctz" @ "op-ictz",
        I64Popcnt = "i64.popcnt" @ "op-ipopcnt",
        I64Extend8S = "i64.extend8_s" @ "op-iextendn-s",
        I64Extend16S = "i64.extend16_s" @ "op-iextendn-s",
        I64Extend32S = "i64.extend32_s" @ "op-iextendn-s",
        F32Abs = "f32.abs" @ "op-fabs",
        F32Neg = "f32.neg" @ "op-fneg",
        F32Ceil = "f32.ceil" @ "op-fceil",
        F32Floor = "f32.floor" @ "op-ffloor",
        F32Trunc = "f32.trunc" @ "op-ftrunc",
        F32Nearest = "f32.nearest" @ "op-fnearest",
        F32Sqrt = "f32.sqrt" @ "op-fsqrt",
        F64Abs = "f64.abs" @ "op-fabs",
        F64Neg = "f64.neg" @ "op-fneg",
        F64Ceil = "f64.ceil" @ "op-fceil",
        F64Floor = "f64.floor" @ "op-ffloor",
        F64Trunc = "f64.trunc" @ "op-ftrunc",
        F64Nearest = "f64.nearest" @ "op-fnearest",
        F64Sqrt = "f64.sqrt" @ "op-fsqrt",
        I32WrapI64 = "i32.wrap_i64" @ "op-wrap",
        I32TruncF32S = "i32.trunc_f32_s" @ "op-trunc-s",
        I32TruncF32U = "i32.trunc_f32_u" @ "op-trunc-u",
        I32TruncF64S = "i32.trunc_f64_s" @ "op-trunc-s",
        I32TruncF64U = "i32.trunc_f64_u" @ "op-trunc-u",
        I64ExtendI32S = "i64.extend_i32_s" @ "op-extend-s",
        I64ExtendI32U = "i64.extend_i32_u" @ "op-extend-u",
        I64TruncF32S = "i64.trunc_f32_s" @ "op-trunc-s",
        I64TruncF32U = "i64.trunc_f32_u" @ "op-trunc-u",
        I64TruncF64S = "i64.trunc_f64_s" @ "op-trunc-s",
        I64TruncF64U = "i64.trunc_f64_u" @ "op-trunc-u",
        F32ConvertI32S = "f32.convert_i32_s" @ "op-convert-s",
        F32ConvertI32U = "f32.convert_i32_u" @ "op-convert-u",
        F32ConvertI64S = "f32.convert_i64_s" @ "op-convert-s",
        F32ConvertI64U = "f32.convert_i64_u" @ "op-convert-u",
        F32DemoteF64 = "f32.demote_f64" @ "op-demote",
        F64ConvertI32S = "f64.convert_i32_s" @ "op-convert-s",
        F64ConvertI32U = "f64.convert_i32_u" @ "op-convert-u",
        F64ConvertI64S = "f64.convert_i64_s" @ "op-convert-s",
        F64ConvertI64U = "f64.convert_i64_u" @ "op-convert-u",
        F64PromoteF32 = "f64.promote_f32" @ "op-promote",
        I32ReinterpretF32 = "i32.reinterpret_f32" @ "op-reinterpret",
        I64ReinterpretF64 = "i64.reinterpret_f64" @ "op-reinterpret",
        F32ReinterpretI32 = "f32.reinterpret_i32" @ "op-reinterpret",
        F64ReinterpretI64 = "f64.reinterpret_i64" @ "op-reinterpret",
        I32TruncSatF32S = "i32.trunc_sat_f32_s" @ "op-trunc-sat-s",
        I32TruncSatF32U = "i32.trunc_sat_f32_u" @ "op-trunc-sat-u",
        I32TruncSatF64S = "i32.trunc_sat_f64_s" @ "op-trunc-sat-s",
        I32TruncSatF64U = "i32.trunc_sat_f64_u" @ "op-trunc-sat-u",
        I64TruncSatF32S = "i64.trunc_sat_f32_s" @ "op-trunc-sat-s",
        I64TruncSatF32U = "i64.trunc_sat_f32_u" @ "op-trunc-sat-u",
        I64TruncSatF64S = "i64.trunc_sat_f64_s" @ "op-trunc-sat-s",
        I64TruncSatF64U = "i64.trunc_sat_f64_u" @ "op-trunc-sat-u",
    }
}

operators! {
    /// Operators taking two operands: `binop` and `relop` (spec §4.4.1).
    pub enum BinOp {
        I32Eq = "i32.eq" @ "op-ieq",
        I32Ne = "i32.ne" @ "op-ine",
        I32LtS = "i32.lt_s" @ "op-ilt-s",
        I32LtU = "i32.lt_u" @ "op-ilt-u",
        I32GtS = "i32.gt_s" @ "op-igt-s",
        I32GtU = "i32.gt_u" @ "op-igt-u",
        I32LeS = "i32.le_s" @ "op-ile-s",
        I32LeU = "i32.le_u" @ "op-ile-u",
        I32GeS = "i32.ge_s" @ "op-ige-s",
        I32GeU = "i32.ge_u" @ "op-ige-u",
        I32Add = "i32.add" @ "op-iadd",
        I32Sub = "i32.sub" @ "op-isub",
        I32Mul = "i32.mul" @ "op-imul",
        I32DivS = "i32.div_s" @ "op-idiv-s",
        I32DivU = "i32.div_u" @ "op-idiv-u",
        I32RemS = "i32.rem_s" @ "op-irem-s",
        I32RemU = "i32.rem_u" @ "op-irem-u",
        I32And = "i32.and" @ "op-iand",
        I32Or = "i32.or" @ "op-ior",
        I32Xor = "i32.xor" @ "op-ixor",
        I32Shl = "i32.shl" @ "op-ishl",
        I32ShrS = "i32.shr_s" @ "op-ishr-s",
        I32ShrU = "i32.shr_u" @ "op-ishr-u",
        I32Rotl = "i32.rotl" @ "op-irotl",
        I32Rotr = "i32.rotr" @ "op-irotr",
        I64Eq = "i64.eq" @ "op-ieq",
        I64Ne = "i64.ne" @ "op-ine",
        I64LtS = "i64.lt_s" @ "op-ilt-s",
        I64LtU = "i64.lt_u" @ "op-ilt-u",
        I64GtS = "i64.gt_s" @ "op-igt-s",
        I64GtU = "i64.gt_u" @ "op-igt-u",
        I64LeS = "i64.le_s" @ "op-ile-s",
        I64LeU = "i64.le_u" @ "op-ile-u",
        I64GeS = "i64.ge_s" @ "op-ige-s",
        I64GeU = "i64.ge_u" @ "op-ige-u",
        I64Add = "i64.add" @ "op-iadd",
        I64Sub = "i64.sub" @ "op-isub",
        I64Mul = "i64.mul" @ "op-imul",
        I64DivS = "i64.div_s" @ "op-idiv-s",
        I64DivU = "i64.div_u" @ "op-idiv-u",
        I64RemS = "i64.rem_s" @ "op-irem-s",
        I64RemU = "i64.rem_u" @ "op-irem-u",
        I64And = "i64.and" @ "op-iand",
        I64Or = "i64.or" @ "op-ior",
        I64Xor = "i64.xor" @ "op-ixor",
        I64Shl = "i64.shl" @ "op-ishl",
        I64ShrS = "i64.shr_s" @ "op-ishr-s",
        I64ShrU = "i64.shr_u" @ "op-ishr-u",
        I64Rotl = "i64.rotl" @ "op-irotl",
        I64Rotr = "i64.rotr" @ "op-irotr",
        F32Eq = "f32.eq" @ "op-feq",
        F32Ne = "f32.ne" @ "op-fne",
        F32Lt = "f32.lt" @ "op-flt",
        F32Gt = "f32.gt" @ "op-fgt",
        F32Le = "f32.le" @ "op-fle",
        F32Ge = "f32.ge" @ "op-fge",
        F32Add = "f32.add" @ "op-fadd",
        F32Sub = "f32.sub" @ "op-fsub",
        F32Mul = "f32.mul" @ "op-fmul",
        F32Div = "f32.div" @ "op-fdiv",
        F32Min = "f32.min" @ "op-fmin",
        F32Max = "f32.max" @ "op-fmax",
        F32Copysign = "f32.copysign" @ "op-fcopysign",
        F64Eq = "f64.eq" @ "op-feq",
        F64Ne = "f64.ne" @ "op-fne",
        F64Lt = "f64.lt" @ "op-flt",
        F64Gt = "f64.gt" @ "op-fgt",
        F64Le = "f64.le" @ "op-fle",
        F64Ge = "f64.ge" @ "op-fge",
        F64Add = "f64.add" @ "op-fadd",
        F64Sub = "f64.sub" @ "op-fsub",
        F64Mul = "f64.mul" @ "op-fmul",
        F64Div = "f64.div" @ "op-fdiv",
        F64Min = "f64.min" @ "op-fmin",
        F64Max = "f64.max" @ "op-fmax",
        F64Copysign = "f64.copysign" @ "op-fcopysign",
    }
}

/// Float operators of one width on raw bits, with the spec's NaN rules.
macro_rules! float_ops {
    ($module:ident, $float:ty, $bits:ty) => {
        pub mod $module {
            const SIGN: $bits = 1 << (<$bits>::BITS - 1);
            /// Quiet bit: the most significant bit of the significand.
            pub(crate) const QUIET: $bits = 1 << (<$float>::MANTISSA_DIGITS - 2);
            /// The positive canonical NaN: exponent all ones, only the quiet bit set.
            pub(crate) const CANONICAL_NAN: $bits = (<$float>::INFINITY.to_bits()) | QUIET;

            fn float(bits: $bits) -> $float {
                <$float>::from_bits(bits)
            }

            /// The NaN an operation with these operands returns (spec §4.3.3,
            /// "NaN propagation"): an operand that is a non-canonical NaN,
            /// made quiet (an arithmetic NaN), otherwise the canonical NaN.
            pub(crate) fn nan_from(operands: &[$bits]) -> $bits {
                operands
                    .iter()
                    .find(|&&x| float(x).is_nan() && x & !SIGN != CANONICAL_NAN)
                    .map_or(CANONICAL_NAN, |&x| x | QUIET)
            }

            /// An arithmetic operator of one operand, NaN results per `nan_from`.
            pub(crate) fn unary(a: $bits, op: impl Fn($float) -> $float) -> $bits {
                let r = op(float(a));
                if r.is_nan() { nan_from(&[a]) } else { r.to_bits() }
            }

            /// An arithmetic operator of two operands, NaN results per `nan_from`.
            pub(crate) fn binary(a: $bits, b: $bits, op: impl Fn($float, $float) -> $float) -> $bits {
                let r = op(float(a), float(b));
                if r.is_nan() { nan_from(&[a, b]) } else { r.to_bits() }
            }

            /// `fmin`: NaN if either is NaN; `-0 < +0`.
            pub(crate) fn min(a: $bits, b: $bits) -> $bits {
                let (x, y) = (float(a), float(b));
                if x.is_nan() || y.is_nan() {
                    nan_from(&[a, b])
                } else if x == y {
                    a | b // equal values differ only for ±0, where the negative wins
                } else if x < y {
                    a
                } else {
                    b
                }
            }

            /// `fmax`: NaN if either is NaN; `-0 < +0`.
            pub(crate) fn max(a: $bits, b: $bits) -> $bits {
                let (x, y) = (float(a), float(b));
                if x.is_nan() || y.is_nan() {
                    nan_from(&[a, b])
                } else if x == y {
                    a & b // equal values differ only for ±0, where the positive wins
                } else if x > y {
                    a
                } else {
                    b
                }
            }

            /// `fabs`: clear the sign bit, whatever the payload.
            pub(crate) fn abs(a: $bits) -> $bits {
                a & !SIGN
            }

            /// `fneg`: flip the sign bit, whatever the payload.
            pub(crate) fn neg(a: $bits) -> $bits {
                a ^ SIGN
            }

            /// `fcopysign`: the magnitude of `a` with the sign of `b`.
            pub(crate) fn copysign(a: $bits, b: $bits) -> $bits {
                (a & !SIGN) | (b & SIGN)
            }

            /// Compare as floats (NaN compares unequal to everything).
            pub(crate) fn compare(a: $bits, b: $bits, op: impl Fn($float, $float) -> bool) -> i32 {
                i32::from(op(float(a), float(b)))
            }

            /// Whether `a` is a NaN whose payload is exactly the canonical one (either sign).
            pub fn is_canonical_nan(a: $bits) -> bool {
                a & !SIGN == CANONICAL_NAN
            }

            /// Whether `a` is a NaN with the quiet bit set (an arithmetic NaN).
            pub fn is_arithmetic_nan(a: $bits) -> bool {
                float(a).is_nan() && a & QUIET != 0
            }
        }
    };
}

float_ops!(f32_ops, f32, u32);
float_ops!(f64_ops, f64, u64);

pub use f32_ops::{is_arithmetic_nan as f32_is_arithmetic_nan, is_canonical_nan as f32_is_canonical_nan};
pub use f64_ops::{is_arithmetic_nan as f64_is_arithmetic_nan, is_canonical_nan as f64_is_canonical_nan};

impl Value {
    fn i32(self) -> Result<i32, TrapCode> {
        match self {
            Value::I32(v) => Ok(v),
            _ => Err(TrapCode::InvariantViolated),
        }
    }
    fn i64(self) -> Result<i64, TrapCode> {
        match self {
            Value::I64(v) => Ok(v),
            _ => Err(TrapCode::InvariantViolated),
        }
    }
    fn f32(self) -> Result<u32, TrapCode> {
        match self {
            Value::F32(v) => Ok(v),
            _ => Err(TrapCode::InvariantViolated),
        }
    }
    fn f64(self) -> Result<u64, TrapCode> {
        match self {
            Value::F64(v) => Ok(v),
            _ => Err(TrapCode::InvariantViolated),
        }
    }
}

/// `trunc_s`/`trunc_u` (spec §4.3.4): the integer part of `x` if it fits in
/// a `bits`-wide signed or unsigned integer; NaN and out-of-range trap.
/// `x` is exact (an `f32` widens to `f64` without rounding), as are the
/// power-of-two bounds.
fn checked_trunc(x: f64, signed: bool, bits: i32) -> Result<f64, TrapCode> {
    if x.is_nan() {
        return Err(TrapCode::InvalidConversionToInteger);
    }
    let t = x.trunc();
    let fits = if signed {
        t >= -(2f64.powi(bits - 1)) && t < 2f64.powi(bits - 1)
    } else {
        t > -1.0 && t < 2f64.powi(bits)
    };
    if fits { Ok(t) } else { Err(TrapCode::IntegerOverflow) }
}

/// `demote` (spec §4.3.4): round to nearest; NaN stays NaN per `nan_from`.
pub(crate) fn demote(x: u64) -> u32 {
    let v = f64::from_bits(x);
    if !v.is_nan() {
        (v as f32).to_bits()
    } else if f64_ops::is_canonical_nan(x) {
        f32_ops::CANONICAL_NAN
    } else {
        (v as f32).to_bits() | f32_ops::QUIET
    }
}

/// `promote` (spec §4.3.4): exact; NaN stays NaN per `nan_from`.
pub(crate) fn promote(x: u32) -> u64 {
    let v = f32::from_bits(x);
    if !v.is_nan() {
        f64::from(v).to_bits()
    } else if f32_ops::is_canonical_nan(x) {
        f64_ops::CANONICAL_NAN
    } else {
        f64::from(v).to_bits() | f64_ops::QUIET
    }
}

fn bool_i32(b: bool) -> Value {
    Value::I32(i32::from(b))
}

/// Evaluates a one-operand numeric operator. The operand's type is the one
/// validation guarantees; any other is reported as `InvariantViolated`.
pub fn eval_unop(op: UnOp, v: Value) -> Result<Value, TrapCode> {
    use UnOp::*;
    use Value::{F32, F64, I32, I64};
    Ok(match op {
        I32Eqz => bool_i32(v.i32()? == 0),
        I32Clz => I32(v.i32()?.leading_zeros() as i32),
        I32Ctz => I32(v.i32()?.trailing_zeros() as i32),
        I32Popcnt => I32(v.i32()?.count_ones() as i32),
        I32Extend8S => I32(i32::from(v.i32()? as i8)),
        I32Extend16S => I32(i32::from(v.i32()? as i16)),
        I64Eqz => bool_i32(v.i64()? == 0),
        I64Clz => I64(i64::from(v.i64()?.leading_zeros())),
        I64Ctz => I64(i64::from(v.i64()?.trailing_zeros())),
        I64Popcnt => I64(i64::from(v.i64()?.count_ones())),
        I64Extend8S => I64(i64::from(v.i64()? as i8)),
        I64Extend16S => I64(i64::from(v.i64()? as i16)),
        I64Extend32S => I64(i64::from(v.i64()? as i32)),
        F32Abs => F32(f32_ops::abs(v.f32()?)),
        F32Neg => F32(f32_ops::neg(v.f32()?)),
        F32Ceil => F32(f32_ops::unary(v.f32()?, f32::ceil)),
        F32Floor => F32(f32_ops::unary(v.f32()?, f32::floor)),
        F32Trunc => F32(f32_ops::unary(v.f32()?, f32::trunc)),
        F32Nearest => F32(f32_ops::unary(v.f32()?, f32::round_ties_even)),
        F32Sqrt => F32(f32_ops::unary(v.f32()?, f32::sqrt)),
        F64Abs => F64(f64_ops::abs(v.f64()?)),
        F64Neg => F64(f64_ops::neg(v.f64()?)),
        F64Ceil => F64(f64_ops::unary(v.f64()?, f64::ceil)),
        F64Floor => F64(f64_ops::unary(v.f64()?, f64::floor)),
        F64Trunc => F64(f64_ops::unary(v.f64()?, f64::trunc)),
        F64Nearest => F64(f64_ops::unary(v.f64()?, f64::round_ties_even)),
        F64Sqrt => F64(f64_ops::unary(v.f64()?, f64::sqrt)),
        I32WrapI64 => I32(v.i64()? as i32),
        I32TruncF32S => I32(checked_trunc(f64::from(f32::from_bits(v.f32()?)), true, 32)? as i32),
        I32TruncF32U => I32(checked_trunc(f64::from(f32::from_bits(v.f32()?)), false, 32)? as u32 as i32),
        I32TruncF64S => I32(checked_trunc(f64::from_bits(v.f64()?), true, 32)? as i32),
        I32TruncF64U => I32(checked_trunc(f64::from_bits(v.f64()?), false, 32)? as u32 as i32),
        I64ExtendI32S => I64(i64::from(v.i32()?)),
        I64ExtendI32U => I64(i64::from(v.i32()? as u32)),
        I64TruncF32S => I64(checked_trunc(f64::from(f32::from_bits(v.f32()?)), true, 64)? as i64),
        I64TruncF32U => I64(checked_trunc(f64::from(f32::from_bits(v.f32()?)), false, 64)? as u64 as i64),
        I64TruncF64S => I64(checked_trunc(f64::from_bits(v.f64()?), true, 64)? as i64),
        I64TruncF64U => I64(checked_trunc(f64::from_bits(v.f64()?), false, 64)? as u64 as i64),
        F32ConvertI32S => F32((v.i32()? as f32).to_bits()),
        F32ConvertI32U => F32((v.i32()? as u32 as f32).to_bits()),
        F32ConvertI64S => F32((v.i64()? as f32).to_bits()),
        F32ConvertI64U => F32((v.i64()? as u64 as f32).to_bits()),
        F32DemoteF64 => F32(demote(v.f64()?)),
        F64ConvertI32S => F64(f64::from(v.i32()?).to_bits()),
        F64ConvertI32U => F64(f64::from(v.i32()? as u32).to_bits()),
        F64ConvertI64S => F64((v.i64()? as f64).to_bits()),
        F64ConvertI64U => F64((v.i64()? as u64 as f64).to_bits()),
        F64PromoteF32 => F64(promote(v.f32()?)),
        I32ReinterpretF32 => I32(v.f32()? as i32),
        I64ReinterpretF64 => I64(v.f64()? as i64),
        F32ReinterpretI32 => F32(v.i32()? as u32),
        F64ReinterpretI64 => F64(v.i64()? as u64),
        // Rust's float-to-int `as` casts saturate and map NaN to 0, which is
        // exactly `trunc_sat` (spec §4.3.4).
        I32TruncSatF32S => I32(f32::from_bits(v.f32()?) as i32),
        I32TruncSatF32U => I32(f32::from_bits(v.f32()?) as u32 as i32),
        I32TruncSatF64S => I32(f64::from_bits(v.f64()?) as i32),
        I32TruncSatF64U => I32(f64::from_bits(v.f64()?) as u32 as i32),
        I64TruncSatF32S => I64(f32::from_bits(v.f32()?) as i64),
        I64TruncSatF32U => I64(f32::from_bits(v.f32()?) as u64 as i64),
        I64TruncSatF64S => I64(f64::from_bits(v.f64()?) as i64),
        I64TruncSatF64U => I64(f64::from_bits(v.f64()?) as u64 as i64),
    })
}

/// `idiv_s` (spec §4.3.2): traps on a zero divisor and on `MIN / -1`.
fn div_s<T: Copy + PartialEq + Default>(
    a: T,
    b: T,
    checked: impl Fn(T, T) -> Option<T>,
) -> Result<T, TrapCode> {
    if b == T::default() {
        return Err(TrapCode::IntegerDivideByZero);
    }
    checked(a, b).ok_or(TrapCode::IntegerOverflow)
}

/// `idiv_u`/`irem_u`/`irem_s` (spec §4.3.2): trap only on a zero divisor.
/// (`irem_s(MIN, -1)` is 0, which `wrapping_rem` gives.)
fn nonzero<T: PartialEq + Default>(b: T) -> Result<T, TrapCode> {
    if b == T::default() { Err(TrapCode::IntegerDivideByZero) } else { Ok(b) }
}

/// Evaluates a two-operand numeric operator on `a` (the deeper stack
/// operand) and `b` (the top).
pub fn eval_binop(op: BinOp, a: Value, b: Value) -> Result<Value, TrapCode> {
    use BinOp::*;
    use Value::{F32, F64, I32, I64};
    Ok(match op {
        I32Eq => bool_i32(a.i32()? == b.i32()?),
        I32Ne => bool_i32(a.i32()? != b.i32()?),
        I32LtS => bool_i32(a.i32()? < b.i32()?),
        I32LtU => bool_i32((a.i32()? as u32) < (b.i32()? as u32)),
        I32GtS => bool_i32(a.i32()? > b.i32()?),
        I32GtU => bool_i32((a.i32()? as u32) > (b.i32()? as u32)),
        I32LeS => bool_i32(a.i32()? <= b.i32()?),
        I32LeU => bool_i32((a.i32()? as u32) <= (b.i32()? as u32)),
        I32GeS => bool_i32(a.i32()? >= b.i32()?),
        I32GeU => bool_i32((a.i32()? as u32) >= (b.i32()? as u32)),
        I32Add => I32(a.i32()?.wrapping_add(b.i32()?)),
        I32Sub => I32(a.i32()?.wrapping_sub(b.i32()?)),
        I32Mul => I32(a.i32()?.wrapping_mul(b.i32()?)),
        I32DivS => I32(div_s(a.i32()?, b.i32()?, i32::checked_div)?),
        I32DivU => I32(((a.i32()? as u32) / nonzero(b.i32()? as u32)?) as i32),
        I32RemS => I32(a.i32()?.wrapping_rem(nonzero(b.i32()?)?)),
        I32RemU => I32(((a.i32()? as u32) % nonzero(b.i32()? as u32)?) as i32),
        I32And => I32(a.i32()? & b.i32()?),
        I32Or => I32(a.i32()? | b.i32()?),
        I32Xor => I32(a.i32()? ^ b.i32()?),
        // Shift and rotate counts are taken modulo the width (spec §4.3.2).
        I32Shl => I32(a.i32()?.wrapping_shl(b.i32()? as u32)),
        I32ShrS => I32(a.i32()?.wrapping_shr(b.i32()? as u32)),
        I32ShrU => I32((a.i32()? as u32).wrapping_shr(b.i32()? as u32) as i32),
        I32Rotl => I32(a.i32()?.rotate_left(b.i32()? as u32 % 32)),
        I32Rotr => I32(a.i32()?.rotate_right(b.i32()? as u32 % 32)),
        I64Eq => bool_i32(a.i64()? == b.i64()?),
        I64Ne => bool_i32(a.i64()? != b.i64()?),
        I64LtS => bool_i32(a.i64()? < b.i64()?),
        I64LtU => bool_i32((a.i64()? as u64) < (b.i64()? as u64)),
        I64GtS => bool_i32(a.i64()? > b.i64()?),
        I64GtU => bool_i32((a.i64()? as u64) > (b.i64()? as u64)),
        I64LeS => bool_i32(a.i64()? <= b.i64()?),
        I64LeU => bool_i32((a.i64()? as u64) <= (b.i64()? as u64)),
        I64GeS => bool_i32(a.i64()? >= b.i64()?),
        I64GeU => bool_i32((a.i64()? as u64) >= (b.i64()? as u64)),
        I64Add => I64(a.i64()?.wrapping_add(b.i64()?)),
        I64Sub => I64(a.i64()?.wrapping_sub(b.i64()?)),
        I64Mul => I64(a.i64()?.wrapping_mul(b.i64()?)),
        I64DivS => I64(div_s(a.i64()?, b.i64()?, i64::checked_div)?),
        I64DivU => I64(((a.i64()? as u64) / nonzero(b.i64()? as u64)?) as i64),
        I64RemS => I64(a.i64()?.wrapping_rem(nonzero(b.i64()?)?)),
        I64RemU => I64(((a.i64()? as u64) % nonzero(b.i64()? as u64)?) as i64),
        I64And => I64(a.i64()? & b.i64()?),
        I64Or => I64(a.i64()? | b.i64()?),
        I64Xor => I64(a.i64()? ^ b.i64()?),
        I64Shl => I64(a.i64()?.wrapping_shl(b.i64()? as u32)),
        I64ShrS => I64(a.i64()?.wrapping_shr(b.i64()? as u32)),
        I64ShrU => I64((a.i64()? as u64).wrapping_shr(b.i64()? as u32) as i64),
        I64Rotl => I64(a.i64()?.rotate_left((b.i64()? as u64 % 64) as u32)),
        I64Rotr => I64(a.i64()?.rotate_right((b.i64()? as u64 % 64) as u32)),
        F32Eq => I32(f32_ops::compare(a.f32()?, b.f32()?, |x, y| x == y)),
        F32Ne => I32(f32_ops::compare(a.f32()?, b.f32()?, |x, y| x != y)),
        F32Lt => I32(f32_ops::compare(a.f32()?, b.f32()?, |x, y| x < y)),
        F32Gt => I32(f32_ops::compare(a.f32()?, b.f32()?, |x, y| x > y)),
        F32Le => I32(f32_ops::compare(a.f32()?, b.f32()?, |x, y| x <= y)),
        F32Ge => I32(f32_ops::compare(a.f32()?, b.f32()?, |x, y| x >= y)),
        F32Add => F32(f32_ops::binary(a.f32()?, b.f32()?, |x, y| x + y)),
        F32Sub => F32(f32_ops::binary(a.f32()?, b.f32()?, |x, y| x - y)),
        F32Mul => F32(f32_ops::binary(a.f32()?, b.f32()?, |x, y| x * y)),
        F32Div => F32(f32_ops::binary(a.f32()?, b.f32()?, |x, y| x / y)),
        F32Min => F32(f32_ops::min(a.f32()?, b.f32()?)),
        F32Max => F32(f32_ops::max(a.f32()?, b.f32()?)),
        F32Copysign => F32(f32_ops::copysign(a.f32()?, b.f32()?)),
        F64Eq => I32(f64_ops::compare(a.f64()?, b.f64()?, |x, y| x == y)),
        F64Ne => I32(f64_ops::compare(a.f64()?, b.f64()?, |x, y| x != y)),
        F64Lt => I32(f64_ops::compare(a.f64()?, b.f64()?, |x, y| x < y)),
        F64Gt => I32(f64_ops::compare(a.f64()?, b.f64()?, |x, y| x > y)),
        F64Le => I32(f64_ops::compare(a.f64()?, b.f64()?, |x, y| x <= y)),
        F64Ge => I32(f64_ops::compare(a.f64()?, b.f64()?, |x, y| x >= y)),
        F64Add => F64(f64_ops::binary(a.f64()?, b.f64()?, |x, y| x + y)),
        F64Sub => F64(f64_ops::binary(a.f64()?, b.f64()?, |x, y| x - y)),
        F64Mul => F64(f64_ops::binary(a.f64()?, b.f64()?, |x, y| x * y)),
        F64Div => F64(f64_ops::binary(a.f64()?, b.f64()?, |x, y| x / y)),
        F64Min => F64(f64_ops::min(a.f64()?, b.f64()?)),
        F64Max => F64(f64_ops::max(a.f64()?, b.f64()?)),
        F64Copysign => F64(f64_ops::copysign(a.f64()?, b.f64()?)),
    })
}
