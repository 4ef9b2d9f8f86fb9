//! The concrete evaluator: computes [`Sem`] terms and operator instances on
//! plain numbers, with every value carried as its bit pattern in a `u128`
//! (bit vectors and floats masked to their width, booleans as 0/1): wide
//! enough for a `v128`, whose lanes the semantics reach with `extract` and
//! `concat`. Scalars are the low bits; [`crate::RuleSet::eval`] keeps a
//! `u64` interface for them.
//!
//! Each primitive has exactly its SMT-LIB meaning, including the corner
//! cases SMT-LIB defines (`bvudiv x 0` is all ones, `bvurem x 0` is `x`,
//! shifts by the width or more give 0 or the sign), so that the evaluator,
//! the verifier and the constant folder agree. Where SMT-LIB leaves a value
//! unspecified (`fp_to_sbv` out of range) the evaluator reports
//! [`EvalError::Undefined`] rather than inventing one. NaN results carry
//! whatever payload the host produces: callers compare NaNs as Wasm does.
//! It never panics.

use crate::ast::{Prim, TrapCode};
use crate::check::{OpInstId, OpInstance, Sem};
use crate::nan::Allowed;
use crate::types::{FloatFormat, SemType, wide_mask, width_mask};

/// Why an evaluation produced no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// One of the operator's trap conditions holds.
    #[error("trap: {0:?}")]
    Trap(TrapCode),
    /// The semantics is unspecified at these inputs (outside the operator's
    /// domain, e.g. `fp_to_sbv` of an out-of-range float).
    #[error("undefined: {0}")]
    Undefined(&'static str),
    /// The wrong number of operands was supplied.
    #[error("operator `{op}` takes {expected} operand(s), {found} given")]
    Arity {
        /// The operator instance.
        op: String,
        /// Its operand count.
        expected: usize,
        /// What was given.
        found: usize,
    },
    /// No such operator instance.
    #[error("unknown operator instance `{0}`")]
    UnknownOperator(String),
    /// A variable index outside the environment (a malformed term).
    #[error("variable {0} is not bound")]
    UnboundVariable(usize),
    /// A primitive applied to operands of the wrong sort (a malformed term).
    #[error("ill-typed term at primitive `{0}`")]
    IllTyped(&'static str),
    /// A vector operator evaluated through the scalar (`u64`) interface.
    #[error("operator `{0}` has a vector operand or result: evaluate it with `eval_wide`")]
    Vector(String),
}

/// Evaluates operator instance `id` of `ops` on `args`: first its trap
/// conditions in order (the first that holds is the error), then its value.
pub fn eval_op(ops: &[OpInstance], id: OpInstId, args: &[u128]) -> Result<u128, EvalError> {
    let op = ops.get(id.index()).ok_or_else(|| EvalError::UnknownOperator(format!("#{}", id.0)))?;
    if args.len() != op.operands.len() {
        return Err(EvalError::Arity { op: op.name.clone(), expected: op.operands.len(), found: args.len() });
    }
    let args: Vec<u128> = args.iter().zip(&op.operands).map(|(a, t)| a & t.wide_mask()).collect();
    for (trap, which) in &op.traps {
        let t = ops.get(trap.index()).ok_or_else(|| EvalError::UnknownOperator(format!("#{}", trap.0)))?;
        let targs: Vec<u128> = which.iter().map(|&i| args.get(i).copied().unwrap_or(0)).collect();
        if eval_sem(&t.semantics, &targs)? != 0 {
            return Err(EvalError::Trap(t.trap_code.unwrap_or(TrapCode::IntegerOverflow)));
        }
    }
    eval_sem(&op.semantics, &args)
}

fn width(ty: SemType) -> u32 {
    match ty {
        SemType::Bv(w) => w,
        SemType::Float(f) => f.bits(),
        SemType::Bool => 1,
    }
}

/// `x`'s low `w` bits read as a signed number.
fn signed(x: u128, w: u32) -> i128 {
    if w >= 128 {
        x as i128
    } else {
        let shift = 128 - w;
        ((x << shift) as i128) >> shift
    }
}

/// SMT-LIB `bvudiv`: division by zero gives all ones.
fn udiv(a: u128, b: u128, m: u128) -> u128 {
    a.checked_div(b).unwrap_or(m)
}

/// SMT-LIB `bvurem`: remainder by zero gives the dividend.
fn urem(a: u128, b: u128) -> u128 {
    a.checked_rem(b).unwrap_or(a)
}

fn neg(a: u128, m: u128) -> u128 {
    a.wrapping_neg() & m
}

/// `x` (signed) clamped to `lo ..= hi`, as `w` bits.
fn clamp(x: i128, lo: i128, hi: i128, w: u32) -> u128 {
    (x.clamp(lo, hi) as u128) & wide_mask(w)
}

/// A float operand, converted to `f64` exactly (an `f32` widens exactly).
#[derive(Clone, Copy)]
enum F {
    S(f32),
    D(f64),
}

impl F {
    fn of(bits: u128, f: FloatFormat) -> F {
        match f {
            FloatFormat::F32 => F::S(f32::from_bits(bits as u32)),
            FloatFormat::F64 => F::D(f64::from_bits(bits as u64)),
        }
    }

    fn wide(self) -> f64 {
        match self {
            F::S(x) => f64::from(x),
            F::D(x) => x,
        }
    }

    fn is_nan(self) -> bool {
        self.wide().is_nan()
    }
}

fn fbits32(x: f32) -> u128 {
    u128::from(x.to_bits())
}

fn fbits64(x: f64) -> u128 {
    u128::from(x.to_bits())
}

/// Applies a binary float operation at the operands' own precision.
fn fbin(a: u128, b: u128, f: FloatFormat, op32: fn(f32, f32) -> f32, op64: fn(f64, f64) -> f64) -> u128 {
    match f {
        FloatFormat::F32 => fbits32(op32(f32::from_bits(a as u32), f32::from_bits(b as u32))),
        FloatFormat::F64 => fbits64(op64(f64::from_bits(a as u64), f64::from_bits(b as u64))),
    }
}

/// Applies a unary float operation; a NaN operand comes back quiet, as
/// Wasm requires of arithmetic (Rust's rounding functions may return a
/// signalling NaN unchanged).
fn fun(a: u128, f: FloatFormat, op32: fn(f32) -> f32, op64: fn(f64) -> f64) -> u128 {
    if F::of(a, f).is_nan() {
        if crate::mutant::active("rounding-keeps-signalling-nan") {
            return a;
        }
        return a | quiet_bit(f);
    }
    match f {
        FloatFormat::F32 => fbits32(op32(f32::from_bits(a as u32))),
        FloatFormat::F64 => fbits64(op64(f64::from_bits(a as u64))),
    }
}

fn sign_bit(f: FloatFormat) -> u128 {
    1u128 << (f.bits() - 1)
}

/// Wasm's `fmin`/`fmax`: NaN if either operand is NaN, `-0 < +0`.
fn fminmax(a: u128, b: u128, f: FloatFormat, is_min: bool) -> u128 {
    let (x, y) = (F::of(a, f).wide(), F::of(b, f).wide());
    if x.is_nan() {
        return a | quiet_bit(f);
    }
    if y.is_nan() {
        return b | quiet_bit(f);
    }
    if x == 0.0 && y == 0.0 {
        // Equal zeros: the sign decides (min prefers -0, max prefers +0).
        let s = sign_bit(f);
        return if is_min { a | (b & s) } else { a & (b | !s) & wide_mask(f.bits()) };
    }
    let pick_a = if is_min { x < y } else { x > y };
    if pick_a { a } else { b }
}

fn quiet_bit(f: FloatFormat) -> u128 {
    1u128 << (f.significand_bits() - 2)
}

/// Truncates a float to an integer value (as `f64`, exact), or `None` for NaN.
fn trunc_wide(x: F) -> Option<f64> {
    let w = x.wide();
    if w.is_nan() { None } else { Some(w.trunc()) }
}

fn pow2(n: u32) -> f64 {
    // 2^n for n in 0..=64, exact in f64.
    let mut p = 1.0f64;
    for _ in 0..n {
        p *= 2.0;
    }
    p
}

/// `fp_to_sbv`/`fp_to_ubv` (RTZ): `None` where out of range or NaN.
fn fp_to_int(x: F, w: u32, signed: bool) -> Option<u128> {
    let t = trunc_wide(x)?;
    let m = width_mask(w);
    if signed {
        let (lo, hi) = (-pow2(w - 1), pow2(w - 1));
        (t >= lo && t < hi).then_some(u128::from((t as i64 as u64) & m))
    } else {
        (t > -1.0 && t < pow2(w)).then_some(u128::from((t as u64) & m))
    }
}

/// Wasm's saturating truncation: NaN → 0, out of range → the nearest bound.
fn fp_to_int_sat(x: F, w: u32, signed: bool) -> u128 {
    u128::from(fp_to_u64_sat(x, w, signed))
}

fn fp_to_u64_sat(x: F, w: u32, signed: bool) -> u64 {
    let Some(t) = trunc_wide(x) else { return 0 };
    let m = width_mask(w);
    if signed {
        let (lo, hi) = (-pow2(w - 1), pow2(w - 1));
        if t < lo {
            (1u64 << (w - 1)) & m
        } else if t >= hi {
            m >> 1
        } else {
            (t as i64 as u64) & m
        }
    } else if t < 0.0 {
        0
    } else if t >= pow2(w) {
        m
    } else {
        (t as u64) & m
    }
}

/// Rust's integer-to-float `as` rounds to nearest, ties to even: RNE.
fn int_to_fp(x: u128, w: u32, is_signed: bool, f: FloatFormat) -> u128 {
    match (is_signed, f) {
        (true, FloatFormat::F32) => fbits32(signed(x, w) as f32),
        (true, FloatFormat::F64) => fbits64(signed(x, w) as f64),
        (false, FloatFormat::F32) => fbits32(x as f32),
        (false, FloatFormat::F64) => fbits64(x as f64),
    }
}

fn float_fmt(ty: SemType, name: &'static str) -> Result<FloatFormat, EvalError> {
    match ty {
        SemType::Float(f) => Ok(f),
        _ => Err(EvalError::IllTyped(name)),
    }
}

/// Evaluates a term with variable `i` bound to `env[i]`.
pub fn eval_sem(sem: &Sem, env: &[u128]) -> Result<u128, EvalError> {
    match sem {
        Sem::Var { index, ty } => {
            env.get(*index).map(|v| v & wide_mask(width(*ty))).ok_or(EvalError::UnboundVariable(*index))
        }
        Sem::Const { bits, .. } => Ok(*bits),
        Sem::App { prim, imms, args, ty } => {
            let vals = args.iter().map(|a| eval_sem(a, env)).collect::<Result<Vec<u128>, _>>()?;
            let arg_ty = args.first().map(Sem::ty).unwrap_or(*ty);
            apply(*prim, imms, &vals, arg_ty, *ty)
        }
    }
}

/// Evaluates a term as [`eval_sem`] does, with the set of bit patterns Wasm
/// allows its result ([`crate::nan`]): variable `i` has the set `env[i]`,
/// and each primitive's operands are taken at the bits computed for them.
pub fn eval_allowed(sem: &Sem, env: &[Allowed]) -> Result<Allowed, EvalError> {
    match sem {
        Sem::Var { index, ty } => {
            let a = env.get(*index).ok_or(EvalError::UnboundVariable(*index))?;
            Ok(Allowed { bits: a.bits & wide_mask(width(*ty)), ..*a })
        }
        Sem::Const { bits, .. } => Ok(Allowed::exact(*bits)),
        Sem::App { prim, imms, args, ty } => {
            let sets = args.iter().map(|a| eval_allowed(a, env)).collect::<Result<Vec<Allowed>, _>>()?;
            let vals: Vec<u128> = sets.iter().map(|a| a.bits).collect();
            let arg_ty = args.first().map(Sem::ty).unwrap_or(*ty);
            let bits = apply(*prim, imms, &vals, arg_ty, *ty)?;
            let SemType::Float(fmt) = ty else { return Ok(Allowed::exact(bits)) };
            let operands: Vec<(Option<FloatFormat>, Allowed)> = args
                .iter()
                .zip(sets)
                .map(|(a, set)| (if let SemType::Float(f) = a.ty() { Some(f) } else { None }, set))
                .collect();
            Ok(Allowed::of(*prim, *fmt, bits, &operands))
        }
    }
}

/// [`eval_op`] with the sets of [`eval_allowed`]: the trap conditions on
/// the operands' bits, then the set of the result.
pub fn eval_op_allowed(ops: &[OpInstance], id: OpInstId, args: &[Allowed]) -> Result<Allowed, EvalError> {
    let op = ops.get(id.index()).ok_or_else(|| EvalError::UnknownOperator(format!("#{}", id.0)))?;
    let bits: Vec<u128> = args.iter().map(|a| a.bits).collect();
    // The traps and the arity, exactly as `eval_op` checks them.
    let value = eval_op(ops, id, &bits)?;
    let args: Vec<Allowed> =
        args.iter().zip(&op.operands).map(|(a, t)| Allowed { bits: a.bits & t.wide_mask(), ..*a }).collect();
    let set = eval_allowed(&op.semantics, &args)?;
    debug_assert_eq!(set.bits, value);
    Ok(set)
}

fn apply(prim: Prim, imms: &[u32], v: &[u128], arg_ty: SemType, ty: SemType) -> Result<u128, EvalError> {
    use Prim::*;
    let ill = || EvalError::IllTyped(prim.name());
    let a = v.first().copied().ok_or_else(ill)?;
    let b = v.get(1).copied().unwrap_or(0);
    let w = width(arg_ty);
    let m = wide_mask(w);
    let imm0 = imms.first().copied().unwrap_or(0);
    let bool_ = |c: bool| Ok(u128::from(c));
    let (sa, sb) = (signed(a, w), signed(b, w));
    let msb = |x: u128| (x >> (w - 1)) & 1 == 1;
    Ok(match prim {
        BvAdd => a.wrapping_add(b) & m,
        BvSub => a.wrapping_sub(b) & m,
        BvMul => a.wrapping_mul(b) & m,
        BvUdiv => udiv(a, b, m),
        BvUrem => urem(a, b),
        BvSdiv => match (msb(a), msb(b)) {
            (false, false) => udiv(a, b, m),
            (true, false) => neg(udiv(neg(a, m), b, m), m),
            (false, true) => neg(udiv(a, neg(b, m), m), m),
            (true, true) => udiv(neg(a, m), neg(b, m), m),
        },
        BvSrem => match (msb(a), msb(b)) {
            (false, false) => urem(a, b),
            (true, false) => neg(urem(neg(a, m), b), m),
            (false, true) => urem(a, neg(b, m)),
            (true, true) => neg(urem(neg(a, m), neg(b, m)), m),
        },
        BvAnd => a & b,
        BvOr => a | b,
        BvXor => a ^ b,
        BvNot => !a & m,
        BvNeg => neg(a, m),
        BvShl => {
            if b >= u128::from(w) {
                0
            } else {
                (a << b) & m
            }
        }
        BvLshr => {
            if b >= u128::from(w) {
                0
            } else {
                a >> b
            }
        }
        BvAshr => {
            if b >= u128::from(w) {
                if msb(a) { m } else { 0 }
            } else {
                ((sa >> b) as u128) & m
            }
        }
        Rotl | Rotr => {
            let k = (b % u128::from(w)) as u32;
            let k = if prim == Rotr { (w - k) % w } else { k };
            if k == 0 { a } else { ((a << k) | (a >> (w - k))) & m }
        }
        Clz => u128::from(a.leading_zeros().saturating_sub(128 - w)),
        Ctz => {
            if a == 0 {
                u128::from(w)
            } else {
                u128::from(a.trailing_zeros())
            }
        }
        Popcnt => u128::from(a.count_ones()),
        Zext => a,
        Sext => (sa as u128) & wide_mask(imm0),
        Extract => {
            let lo = imms.get(1).copied().ok_or_else(ill)?;
            (a >> lo.min(127)) & wide_mask(imm0.saturating_sub(lo) + 1)
        }
        Concat => {
            // The low operand's width is what the high one leaves of the result.
            let low = width(ty).checked_sub(w).filter(|l| *l > 0 && *l < 128).ok_or_else(ill)?;
            (a << low) | (b & wide_mask(low))
        }
        Ssat | Usat if imm0 == 0 || imm0 > w => return Err(ill()),
        Ssat => {
            let half = 1i128 << (imm0 - 1);
            clamp(sa, -half, half - 1, imm0)
        }
        Usat => clamp(sa, 0, wide_mask(imm0).min(i128::MAX as u128) as i128, imm0),
        BvEq => return bool_(a == b),
        BvNe => return bool_(a != b),
        BvUlt => return bool_(a < b),
        BvUle => return bool_(a <= b),
        BvUgt => return bool_(a > b),
        BvUge => return bool_(a >= b),
        BvSlt => return bool_(sa < sb),
        BvSle => return bool_(sa <= sb),
        BvSgt => return bool_(sa > sb),
        BvSge => return bool_(sa >= sb),
        Ite => {
            if a != 0 {
                b
            } else {
                v.get(2).copied().ok_or_else(ill)?
            }
        }
        Bool2Bv => a & 1,
        And => a & b & 1,
        Or => (a | b) & 1,
        Not => !a & 1,
        FAdd | FSub | FMul | FDiv | FMinWasm | FMaxWasm | FCopysign | FSqrt | FRoundCeil | FRoundFloor
        | FRoundTrunc | FRoundNearest | FAbs | FNeg | FEq | FLt | FLe | FGt | FGe | FIsNan => {
            let f = float_fmt(arg_ty, prim.name())?;
            let (x, y) = (F::of(a, f).wide(), F::of(b, f).wide());
            match prim {
                FAdd => fbin(a, b, f, |x, y| x + y, |x, y| x + y),
                FSub => fbin(a, b, f, |x, y| x - y, |x, y| x - y),
                FMul => fbin(a, b, f, |x, y| x * y, |x, y| x * y),
                FDiv => fbin(a, b, f, |x, y| x / y, |x, y| x / y),
                FSqrt => fun(a, f, f32::sqrt, f64::sqrt),
                FRoundCeil => fun(a, f, f32::ceil, f64::ceil),
                FRoundFloor => fun(a, f, f32::floor, f64::floor),
                FRoundTrunc => fun(a, f, f32::trunc, f64::trunc),
                FRoundNearest => fun(a, f, f32::round_ties_even, f64::round_ties_even),
                FAbs => a & !sign_bit(f) & m,
                FNeg => a ^ sign_bit(f),
                FCopysign => (a & !sign_bit(f) & m) | (b & sign_bit(f)),
                FMinWasm => fminmax(a, b, f, true),
                FMaxWasm => fminmax(a, b, f, false),
                FEq => return bool_(x == y),
                FLt => return bool_(x < y),
                FLe => return bool_(x <= y),
                FGt => return bool_(x > y),
                FGe => return bool_(x >= y),
                _ => return bool_(x.is_nan()),
            }
        }
        ToFp => {
            let from = float_fmt(arg_ty, "to_fp")?;
            let to = float_fmt(ty, "to_fp")?;
            match (from, to) {
                (FloatFormat::F32, FloatFormat::F64) => fbits64(f64::from(f32::from_bits(a as u32))),
                (FloatFormat::F64, FloatFormat::F32) => fbits32(f64::from_bits(a as u64) as f32),
                _ => a,
            }
        }
        SbvToFp | UbvToFp => int_to_fp(a, w, prim == SbvToFp, float_fmt(ty, prim.name())?),
        FpToSbv | FpToUbv => {
            let x = F::of(a, float_fmt(arg_ty, prim.name())?);
            if x.is_nan() {
                return Err(EvalError::Undefined("float-to-integer conversion of NaN"));
            }
            fp_to_int(x, imm0, prim == FpToSbv)
                .ok_or(EvalError::Undefined("float-to-integer conversion out of range"))?
        }
        FpToSbvSat | FpToUbvSat => {
            fp_to_int_sat(F::of(a, float_fmt(arg_ty, prim.name())?), imm0, prim == FpToSbvSat)
        }
        FBits | BitsToFp => a,
        Bitcast => return Err(ill()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(prim: Prim, args: &[u128], w: u32) -> u128 {
        apply(prim, &[], args, SemType::Bv(w), SemType::Bv(w)).expect("defined")
    }

    #[test]
    fn division_by_zero_follows_smt_lib() {
        assert_eq!(app(Prim::BvUdiv, &[7, 0], 8), 0xff);
        assert_eq!(app(Prim::BvUrem, &[7, 0], 8), 7);
        // bvsdiv of a negative dividend by zero is 1, of a positive one is -1.
        assert_eq!(app(Prim::BvSdiv, &[0xf9, 0], 8), 1);
        assert_eq!(app(Prim::BvSdiv, &[7, 0], 8), 0xff);
        assert_eq!(app(Prim::BvSrem, &[0xf9, 0], 8), 0xf9);
        assert_eq!(app(Prim::BvSrem, &[0xf9, 2], 8), 0xff);
        assert_eq!(app(Prim::BvSdiv, &[0x80, 0xff], 8), 0x80);
    }

    #[test]
    fn oversized_shifts_follow_smt_lib() {
        assert_eq!(app(Prim::BvShl, &[1, 32], 32), 0);
        assert_eq!(app(Prim::BvLshr, &[0x8000_0000, 40], 32), 0);
        assert_eq!(app(Prim::BvAshr, &[0x8000_0000, 40], 32), 0xffff_ffff);
        assert_eq!(app(Prim::Rotl, &[0x8000_0001, 33], 32), 3);
        assert_eq!(app(Prim::Rotr, &[3, 1], 32), 0x8000_0001);
    }

    #[test]
    fn saturation_clamps_a_signed_value_to_the_target_range() {
        let sat =
            |prim, x, w, to| apply(prim, &[to], &[x], SemType::Bv(w), SemType::Bv(to)).expect("defined");
        assert_eq!(sat(Prim::Ssat, 0x1ff, 9, 8), 0xff, "-1 stays -1");
        assert_eq!(sat(Prim::Ssat, 0x0ff, 9, 8), 0x7f, "255 saturates to 127");
        assert_eq!(sat(Prim::Ssat, 0x100, 9, 8), 0x80, "-256 saturates to -128");
        assert_eq!(sat(Prim::Usat, 0x1ff, 9, 8), 0, "-1 saturates to 0");
        assert_eq!(sat(Prim::Usat, 0x0ff, 9, 8), 0xff);
        assert_eq!(sat(Prim::Usat, 0x8000_0000, 32, 32), 0, "at its own width only negatives clamp");
        let bad = apply(Prim::Ssat, &[0], &[1], SemType::Bv(8), SemType::Bv(8));
        assert_eq!(bad, Err(EvalError::IllTyped("ssat")));
    }

    #[test]
    fn concat_puts_its_first_operand_high() {
        let v = apply(Prim::Concat, &[], &[0xab, u128::from(u64::MAX)], SemType::Bv(64), SemType::Bv(128));
        assert_eq!(v, Ok(0xab << 64 | u128::from(u64::MAX)));
    }

    #[test]
    fn counting_is_at_the_operand_width() {
        assert_eq!(app(Prim::Clz, &[1], 32), 31);
        assert_eq!(app(Prim::Clz, &[0], 8), 8);
        assert_eq!(app(Prim::Ctz, &[0], 64), 64);
    }
}
