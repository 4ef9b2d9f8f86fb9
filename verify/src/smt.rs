//! The SMT encoding of the semantic primitives of `docs/rules-contract.md`:
//! one Z3 term constructor per primitive, over bit vectors and Z3's
//! floating-point theory.
//!
//! Floats are carried as their IEEE-754 bit patterns (a [`Term::Float`] holds
//! a bit vector), exactly as the engine and the evaluator carry them; a
//! primitive that needs the float's value converts the bits with
//! `(_ to_fp eb sb)`, which is total and maps every NaN pattern to the one
//! NaN of the theory. Going back is where care is needed: Z3's
//! `fp.to_ieee_bv` is not injective on NaNs (it picks one unspecified
//! pattern), so it is only ever applied to a result that is not NaN. A NaN
//! result of an arithmetic primitive is a quiet ("arithmetic") NaN whose sign
//! and payload are a free variable: Wasm lets them be anything of that kind,
//! so a proof may not depend on them. The variable is shared by structurally
//! identical applications (the same primitive on the same operand terms), so
//! a subterm that appears on both sides of a rule has the same bits on both.
//! (An uninterpreted function of the operands would also equate NaNs of
//! operands that are only semantically equal, but it takes Z3 4.8 out of its
//! fast bit-blasting path: float rules that prove in a second with variables
//! time out with functions.) The sign-bit operations (`fneg`, `fabs`,
//! `fcopysign`) and `fbits`/`bits_to_fp` act on the bits directly, as Wasm
//! specifies, so they are exact on NaNs too.
//!
//! This module never panics on ill-typed input: the z3 crate aborts on a
//! sort error, so every constructor checks its operands first and returns an
//! [`EncodeError`].

use std::collections::HashMap;

use plumb_rules::ast::Prim;
use plumb_rules::{FloatFormat, SemType};
use z3::Sort;
use z3::ast::{Ast, BV, Bool, Float, RoundingMode};

/// The Z3 floating-point sort of a format.
fn fp_sort(fmt: FloatFormat) -> Sort {
    Sort::float(fmt.exponent_bits(), fmt.significand_bits())
}

/// Stored fraction bits of a format (`sb - 1`).
fn fraction_bits(fmt: FloatFormat) -> u32 {
    fmt.significand_bits() - 1
}

/// The bits of the power of two `2^exp` in format `fmt` (`exp` small enough
/// to be a normal number, which every caller guarantees).
fn power_of_two_bits(fmt: FloatFormat, exp: u32) -> u64 {
    let bias = (1u64 << (fmt.exponent_bits() - 1)) - 1;
    (bias + u64::from(exp)) << fraction_bits(fmt)
}

/// A semantic value as a Z3 term.
#[derive(Debug, Clone)]
pub enum Term {
    /// A bit vector.
    Bv(BV),
    /// A float of the given format: one of the IEEE-754 bit patterns it may
    /// have, and the set of them Wasm allows.
    Float(FloatFormat, BV, Nans),
    /// A boolean.
    Bool(Bool),
}

impl Term {
    /// The term's type.
    pub fn ty(&self) -> SemType {
        match self {
            Term::Bv(bv) => SemType::Bv(bv.get_size()),
            Term::Float(fmt, _, _) => SemType::Float(*fmt),
            Term::Bool(_) => SemType::Bool,
        }
    }

    /// A fresh-named constant (free variable) of the given type. Floats are
    /// bit-vector constants: every bit pattern, every NaN payload included,
    /// is a possible value.
    pub fn var(name: &str, ty: SemType) -> Term {
        match ty {
            SemType::Bv(w) => Term::Bv(BV::new_const(name, w)),
            SemType::Float(fmt) => Term::Float(fmt, BV::new_const(name, fmt.bits()), Nans::exact()),
            SemType::Bool => Term::Bool(Bool::new_const(name)),
        }
    }

    /// The literal of type `ty` with these bits (taken modulo the width; a
    /// float literal is its bit pattern). `None` for the boolean type.
    pub fn literal(bits: u128, ty: SemType) -> Option<Term> {
        match ty {
            SemType::Bv(w) => Some(Term::Bv(bv_lit_wide(bits, w))),
            SemType::Float(fmt) => Some(Term::Float(fmt, bv_lit_wide(bits, fmt.bits()), Nans::exact())),
            SemType::Bool => None,
        }
    }

    /// The bits of a bit-vector or float term.
    pub fn bits(&self) -> Option<&BV> {
        match self {
            Term::Bv(bv) | Term::Float(_, bv, _) => Some(bv),
            Term::Bool(_) => None,
        }
    }
}

/// The set of bit patterns Wasm allows a float term
/// ([`plumb_rules::nan::Allowed`], here as Z3 booleans over the inputs):
/// the term's bits, with the sign free or not, and the other bits exact,
/// those of any canonical NaN, or those of any arithmetic NaN.
#[derive(Debug, Clone)]
pub struct Nans {
    /// Whether the sign bit may be either.
    pub sign_free: Bool,
    /// Whether the other bits may be those of any canonical NaN (and only those).
    pub canonical: Bool,
    /// Whether the other bits may be those of any arithmetic NaN (and only those).
    pub arithmetic: Bool,
}

impl Nans {
    /// Exactly the term's bits.
    pub fn exact() -> Nans {
        Nans {
            sign_free: Bool::from_bool(false),
            canonical: Bool::from_bool(false),
            arithmetic: Bool::from_bool(false),
        }
    }

    /// Whether `bits` are in the set of a float term of format `fmt` with
    /// bits `own` (see [`plumb_rules::nan::Allowed::contains`]).
    pub fn contains(&self, fmt: FloatFormat, own: &BV, bits: &BV) -> Bool {
        let top = fmt.bits() - 1;
        let sign_ok = Bool::or(&[self.sign_free.clone(), bits.extract(top, top).eq(own.extract(top, top))]);
        let rest = bits.extract(top - 1, 0);
        let rest_ok = self.canonical.ite(
            &rest.eq(bv_lit(canonical_rest(fmt), top)),
            &self.arithmetic.ite(&is_arithmetic_nan(fmt, bits), &rest.eq(own.extract(top - 1, 0))),
        );
        Bool::and(&[sign_ok, rest_ok])
    }

    /// Whether a NaN that is not canonical is in the set of a float term
    /// with bits `own`.
    fn may_be_non_canonical_nan(&self, fmt: FloatFormat, own: &BV) -> Bool {
        let top = fmt.bits() - 1;
        let canonical = own.extract(top - 1, 0).eq(bv_lit(canonical_rest(fmt), top));
        Bool::or(&[self.arithmetic.clone(), Bool::and(&[is_nan_bits(fmt, own), canonical.not()])])
    }

    fn ite(c: &Bool, x: &Nans, y: &Nans) -> Nans {
        Nans {
            sign_free: c.ite(&x.sign_free, &y.sign_free),
            canonical: c.ite(&x.canonical, &y.canonical),
            arithmetic: c.ite(&x.arithmetic, &y.arithmetic),
        }
    }
}

/// The bits below the sign of a canonical NaN: exponent all ones, quiet bit.
fn canonical_rest(fmt: FloatFormat) -> u64 {
    let frac = fraction_bits(fmt);
    (((1u64 << fmt.exponent_bits()) - 1) << frac) | (1u64 << (frac - 1))
}

/// Whether float bits are a NaN: all-ones exponent, non-zero fraction.
pub fn is_nan_bits(fmt: FloatFormat, bits: &BV) -> Bool {
    let frac = fraction_bits(fmt);
    let exponent = bits.extract(fmt.bits() - 2, frac);
    let fraction = bits.extract(frac - 1, 0);
    Bool::and(&[exponent.eq(bv_lit(u64::MAX, fmt.exponent_bits())), fraction.eq(bv_lit(0, frac)).not()])
}

/// Whether float bits are an arithmetic (quiet) NaN: all-ones exponent,
/// quiet bit set.
fn is_arithmetic_nan(fmt: FloatFormat, bits: &BV) -> Bool {
    let frac = fraction_bits(fmt);
    bits.extract(fmt.bits() - 2, frac - 1).eq(bv_lit(u64::MAX, fmt.exponent_bits() + 1))
}

/// A primitive applied to operands it is not defined on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{prim}`: {what}")]
pub struct EncodeError {
    /// The primitive's name.
    pub prim: String,
    /// What is wrong.
    pub what: String,
}

fn err<T>(prim: &str, what: impl Into<String>) -> Result<T, EncodeError> {
    Err(EncodeError { prim: prim.to_owned(), what: what.into() })
}

/// A bit-vector literal of width `w` (the value is taken modulo `2^w`).
pub fn bv_lit(bits: u64, w: u32) -> BV {
    let masked = if w >= 64 { bits } else { bits & ((1u64 << w) - 1) };
    BV::from_u64(masked, w)
}

/// A bit-vector literal of width `w` up to 128 (a `v128`), from a `u128`.
pub fn bv_lit_wide(bits: u128, w: u32) -> BV {
    if w <= 64 {
        return bv_lit(bits as u64, w);
    }
    let high = bv_lit((bits >> 64) as u64, w - 64);
    high.concat(BV::from_u64(bits as u64, 64))
}

/// The value of a bit-vector numeral of up to 128 bits (Z3 only reads
/// numerals of up to 64 bits as integers).
pub fn numeral_value(bv: &BV) -> Option<u128> {
    let w = bv.get_size();
    if w <= 64 {
        return bv.as_u64().map(u128::from);
    }
    let low = bv.extract(63, 0).simplify().as_u64()?;
    let high = bv.extract(w - 1, 64).simplify().as_u64()?;
    Some(u128::from(high) << 64 | u128::from(low))
}

/// `x` read signed, clamped to the signed (`ssat`) or, read signed, to the
/// unsigned (`usat`) range of `w` bits, as `w` bits.
fn saturate(x: &BV, w: u32, signed: bool) -> BV {
    let from = x.get_size();
    let wide = |v: u128| bv_lit_wide(v, from);
    let narrow = |v: u128| bv_lit_wide(v, w);
    let low = if w == from { x.clone() } else { x.extract(w - 1, 0) };
    let max: u128 = if signed { (1u128 << (w - 1)) - 1 } else { u128::MAX >> (128 - w) };
    let min: u128 = if signed { 1u128 << (w - 1) } else { 0 };
    // The bounds as `from`-bit signed numbers.
    let above = if !signed && w == from { Bool::from_bool(false) } else { x.bvsgt(wide(max)) };
    let below = if signed {
        let min_wide = if w == from { wide(min) } else { narrow(min).sign_ext(from - w) };
        x.bvslt(&min_wide)
    } else {
        x.bvslt(wide(0))
    };
    above.ite(&narrow(max), &below.ite(&narrow(min), &low))
}

/// `x` if it is a bit vector, else an error naming `prim`.
fn want_bv<'t>(prim: &str, x: &'t Term) -> Result<&'t BV, EncodeError> {
    match x {
        Term::Bv(bv) => Ok(bv),
        other => err(prim, format!("expects a bit vector, got {}", other.ty())),
    }
}

/// Two bit vectors of the same width.
fn want_bv2<'t>(prim: &str, a: &'t Term, b: &'t Term) -> Result<(&'t BV, &'t BV), EncodeError> {
    let (a, b) = (want_bv(prim, a)?, want_bv(prim, b)?);
    if a.get_size() != b.get_size() {
        return err(prim, format!("operands of widths {} and {}", a.get_size(), b.get_size()));
    }
    Ok((a, b))
}

/// `x` if it is a float: its format and bits.
fn want_float<'t>(prim: &str, x: &'t Term) -> Result<(FloatFormat, &'t BV), EncodeError> {
    match x {
        Term::Float(fmt, bits, _) => Ok((*fmt, bits)),
        other => err(prim, format!("expects a float, got {}", other.ty())),
    }
}

/// The set of patterns of a float operand.
fn nans_of(x: &Term) -> Nans {
    match x {
        Term::Float(_, _, nans) => nans.clone(),
        _ => Nans::exact(),
    }
}

/// Two floats of the same format.
fn want_float2<'t>(
    prim: &str,
    a: &'t Term,
    b: &'t Term,
) -> Result<(FloatFormat, &'t BV, &'t BV), EncodeError> {
    let ((fa, a), (fb, b)) = (want_float(prim, a)?, want_float(prim, b)?);
    if fa != fb {
        return err(prim, format!("operands of formats {} and {}", fa.ty(), fb.ty()));
    }
    Ok((fa, a, b))
}

fn want_bool<'t>(prim: &str, x: &'t Term) -> Result<&'t Bool, EncodeError> {
    match x {
        Term::Bool(b) => Ok(b),
        other => err(prim, format!("expects a boolean, got {}", other.ty())),
    }
}

/// The float value of a bit pattern: `((_ to_fp eb sb) bits)`.
pub fn fp_of_bits(fmt: FloatFormat, bits: &BV) -> Result<Float, EncodeError> {
    if bits.get_size() != fmt.bits() {
        return err("to_fp", format!("a bv{} is not the bits of an {}", bits.get_size(), fmt.ty()));
    }
    let ctx = bits.get_ctx();
    let sort = fp_sort(fmt);
    // SAFETY: `ctx` is the live context `bits` belongs to, `bits` is a valid
    // bit-vector AST of width `fmt.bits()` (checked above) and `sort` is a
    // floating-point sort of that total width, which is all
    // Z3_mk_fpa_to_fp_bv requires. `wrap` takes its own reference.
    let raw =
        unsafe { z3_sys::Z3_mk_fpa_to_fp_bv(ctx.get_z3_context(), bits.get_z3_ast(), sort.get_z3_sort()) };
    match raw {
        // SAFETY: a non-null AST Z3 just returned in `ctx`.
        Some(raw) => Ok(unsafe { Float::wrap(ctx, raw) }),
        None => err("to_fp", "Z3 rejected the conversion from bits"),
    }
}

/// The float value of a signed (`signed`) or unsigned bit vector, RNE.
fn fp_of_int(fmt: FloatFormat, x: &BV, signed: bool) -> Result<Float, EncodeError> {
    let ctx = x.get_ctx();
    let sort = fp_sort(fmt);
    let rne = RoundingMode::round_nearest_ties_to_even();
    let c = ctx.get_z3_context();
    // SAFETY: as in `fp_of_bits`: a live context, and a rounding-mode AST, a
    // bit-vector AST and a floating-point sort all of that context.
    let raw = unsafe {
        if signed {
            z3_sys::Z3_mk_fpa_to_fp_signed(c, rne.get_z3_ast(), x.get_z3_ast(), sort.get_z3_sort())
        } else {
            z3_sys::Z3_mk_fpa_to_fp_unsigned(c, rne.get_z3_ast(), x.get_z3_ast(), sort.get_z3_sort())
        }
    };
    match raw {
        // SAFETY: a non-null AST Z3 just returned in `ctx`.
        Some(raw) => Ok(unsafe { Float::wrap(ctx, raw) }),
        None => err("to_fp", "Z3 rejected the conversion from an integer"),
    }
}

/// The float literal `2^exp` of format `fmt`.
fn fp_power_of_two(fmt: FloatFormat, exp: u32) -> Result<Float, EncodeError> {
    fp_of_bits(fmt, &bv_lit(power_of_two_bits(fmt, exp), fmt.bits()))
}

/// The sign-bit mask of a format, as a bit vector.
fn sign_mask(fmt: FloatFormat) -> BV {
    bv_lit(1u64 << (fmt.bits() - 1), fmt.bits())
}

/// Builds the Z3 terms of primitives. Holds the uninterpreted functions that
/// give NaN results their bits, so one encoder must build both sides of a
/// query.
#[derive(Debug, Default)]
pub struct Encoder {
    nan_payloads: HashMap<(String, FloatFormat, Vec<BV>), BV>,
}

impl Encoder {
    /// A new encoder (for one query).
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// The bits of a NaN produced by primitive `prim` from `operands`: a
    /// quiet NaN whose sign and payload are a free variable, one per
    /// primitive, format and (structurally identical) operands, with the
    /// payload below the quiet bit 0 unless `non_canonical`.
    fn nan_bits(
        &mut self,
        prim: &str,
        fmt: FloatFormat,
        operands: &[&Term],
        non_canonical: &Bool,
    ) -> Result<BV, EncodeError> {
        // The payload gives the sign and the fraction bits below the quiet bit.
        let payload_width = fraction_bits(fmt);
        let key: Vec<BV> = operands.iter().filter_map(|t| t.bits().cloned()).collect();
        let fresh = self.nan_payloads.len();
        let r = self
            .nan_payloads
            .entry((prim.to_owned(), fmt, key))
            .or_insert_with(|| BV::new_const(format!("nan_{prim}_{}_{fresh}", fmt.ty()), payload_width))
            .clone();
        let sign = r.extract(payload_width - 1, payload_width - 1);
        let exponent = bv_lit(u64::MAX, fmt.exponent_bits());
        let quiet = bv_lit(1, 1);
        let rest = non_canonical.ite(&r.extract(payload_width - 2, 0), &bv_lit(0, payload_width - 1));
        Ok(sign.concat(&exponent).concat(&quiet).concat(&rest))
    }

    /// The arithmetic result `value` of `prim` on `operands`: its IEEE
    /// encoding when it is not NaN, else [`Encoder::nan_bits`].
    fn float_result(
        &mut self,
        prim: &str,
        fmt: FloatFormat,
        operands: &[&Term],
        value: &Float,
    ) -> Result<Term, EncodeError> {
        self.nan_or(prim, fmt, operands, &value.is_nan(), &value.to_ieee_bv())
    }

    /// The result of arithmetic primitive `prim` on `operands`: a NaN where
    /// `is_nan` holds (canonical unless an operand may be a non-canonical
    /// NaN; sign and, if not canonical, payload free), else `number`.
    fn nan_or(
        &mut self,
        prim: &str,
        fmt: FloatFormat,
        operands: &[&Term],
        is_nan: &Bool,
        number: &BV,
    ) -> Result<Term, EncodeError> {
        let non_canonical: Vec<Bool> = operands
            .iter()
            .filter_map(|t| match t {
                Term::Float(f, bits, nans) => Some(nans.may_be_non_canonical_nan(*f, bits)),
                _ => None,
            })
            .collect();
        let non_canonical = Bool::or(&non_canonical);
        let nan = self.nan_bits(prim, fmt, operands, &non_canonical)?;
        let nans = Nans {
            sign_free: is_nan.clone(),
            canonical: Bool::and(&[is_nan.clone(), non_canonical.not()]),
            arithmetic: Bool::and(&[is_nan.clone(), non_canonical]),
        };
        Ok(Term::Float(fmt, is_nan.ite(&nan, number), nans))
    }

    /// Applies `prim` to its immediates and operands. Immediates are numbers
    /// as in [`plumb_rules::Sem::App`]: widths in bits, bit indices for
    /// `extract`, and 32 or 64 for the format of `to_fp`, `sbv_to_fp`,
    /// `ubv_to_fp` and `bits_to_fp`.
    pub fn apply(&mut self, prim: Prim, imms: &[u32], args: &[Term]) -> Result<Term, EncodeError> {
        use Term::{Bool as B, Bv};
        let name = prim.name();
        let arity = |n: usize, m: usize| -> Result<(), EncodeError> {
            if imms.len() != n || args.len() != m {
                return err(
                    name,
                    format!("takes {n} immediates and {m} operands, given {} and {}", imms.len(), args.len()),
                );
            }
            Ok(())
        };
        let bin_bv = |f: fn(&BV, &BV) -> BV| -> Result<Term, EncodeError> {
            arity(0, 2)?;
            let (a, b) = want_bv2(name, &args[0], &args[1])?;
            Ok(Bv(f(a, b)))
        };
        let cmp_bv = |f: fn(&BV, &BV) -> Bool| -> Result<Term, EncodeError> {
            arity(0, 2)?;
            let (a, b) = want_bv2(name, &args[0], &args[1])?;
            Ok(B(f(a, b)))
        };
        let cmp_fp = |f: fn(&Float, &Float) -> Bool| -> Result<Term, EncodeError> {
            arity(0, 2)?;
            let (fmt, a, b) = want_float2(name, &args[0], &args[1])?;
            Ok(B(f(&fp_of_bits(fmt, a)?, &fp_of_bits(fmt, b)?)))
        };
        match prim {
            Prim::BvAdd => bin_bv(|a, b| a.bvadd(b)),
            Prim::BvSub => bin_bv(|a, b| a.bvsub(b)),
            Prim::BvMul => bin_bv(|a, b| a.bvmul(b)),
            Prim::BvUdiv => bin_bv(|a, b| a.bvudiv(b)),
            Prim::BvSdiv => bin_bv(|a, b| a.bvsdiv(b)),
            Prim::BvUrem => bin_bv(|a, b| a.bvurem(b)),
            Prim::BvSrem => bin_bv(|a, b| a.bvsrem(b)),
            Prim::BvAnd => bin_bv(|a, b| a.bvand(b)),
            Prim::BvOr => bin_bv(|a, b| a.bvor(b)),
            Prim::BvXor => bin_bv(|a, b| a.bvxor(b)),
            Prim::BvShl => bin_bv(|a, b| shift(a, b, Shift::Left)),
            Prim::BvLshr => bin_bv(|a, b| shift(a, b, Shift::LogicalRight)),
            Prim::BvAshr => bin_bv(|a, b| shift(a, b, Shift::ArithmeticRight)),
            Prim::Rotl => bin_bv(|a, b| shift(a, b, Shift::RotateLeft)),
            Prim::Rotr => bin_bv(|a, b| shift(a, b, Shift::RotateRight)),
            Prim::BvNot | Prim::BvNeg | Prim::Clz | Prim::Ctz | Prim::Popcnt => {
                arity(0, 1)?;
                let a = want_bv(name, &args[0])?;
                Ok(Bv(match prim {
                    Prim::BvNot => a.bvnot(),
                    Prim::BvNeg => a.bvneg(),
                    Prim::Clz => count_zeros(a, true),
                    Prim::Ctz => count_zeros(a, false),
                    _ => popcnt(a),
                }))
            }
            Prim::Zext | Prim::Sext => {
                arity(1, 1)?;
                let w = imms[0];
                let a = want_bv(name, &args[0])?;
                let from = a.get_size();
                if w < from || w > 128 {
                    return err(name, format!("cannot extend a bv{from} to {w} bits"));
                }
                Ok(Bv(match (w - from, prim) {
                    (0, _) => a.clone(),
                    (n, Prim::Zext) => a.zero_ext(n),
                    (n, _) => a.sign_ext(n),
                }))
            }
            Prim::Extract => {
                arity(2, 1)?;
                let (hi, lo) = (imms[0], imms[1]);
                let a = want_bv(name, &args[0])?;
                if lo > hi || hi >= a.get_size() {
                    return err(name, format!("bits {hi}..{lo} of a bv{}", a.get_size()));
                }
                Ok(Bv(a.extract(hi, lo)))
            }
            Prim::Concat => {
                arity(0, 2)?;
                let (high, low) = (want_bv(name, &args[0])?, want_bv(name, &args[1])?);
                if high.get_size() + low.get_size() > 128 {
                    return err(name, "more than 128 bits");
                }
                Ok(Bv(high.concat(low)))
            }
            Prim::Ssat | Prim::Usat => {
                arity(1, 1)?;
                let a = want_bv(name, &args[0])?;
                let w = imms[0];
                if w == 0 || w > a.get_size() {
                    return err(name, format!("cannot saturate a bv{} to {w} bits", a.get_size()));
                }
                Ok(Bv(saturate(a, w, prim == Prim::Ssat)))
            }
            Prim::BvEq => cmp_bv(|a, b| a.eq(b)),
            Prim::BvNe => cmp_bv(|a, b| a.eq(b).not()),
            Prim::BvUlt => cmp_bv(|a, b| a.bvult(b)),
            Prim::BvUle => cmp_bv(|a, b| a.bvule(b)),
            Prim::BvUgt => cmp_bv(|a, b| a.bvugt(b)),
            Prim::BvUge => cmp_bv(|a, b| a.bvuge(b)),
            Prim::BvSlt => cmp_bv(|a, b| a.bvslt(b)),
            Prim::BvSle => cmp_bv(|a, b| a.bvsle(b)),
            Prim::BvSgt => cmp_bv(|a, b| a.bvsgt(b)),
            Prim::BvSge => cmp_bv(|a, b| a.bvsge(b)),
            Prim::Ite => {
                arity(0, 3)?;
                let c = want_bool(name, &args[0])?;
                ite(name, c, &args[1], &args[2])
            }
            Prim::Bool2Bv => {
                arity(1, 1)?;
                let w = imms[0];
                if w == 0 || w > 128 {
                    return err(name, format!("no bit vector of {w} bits"));
                }
                let c = want_bool(name, &args[0])?;
                Ok(Bv(c.ite(&bv_lit(1, w), &bv_lit(0, w))))
            }
            Prim::And | Prim::Or => {
                arity(0, 2)?;
                let (a, b) = (want_bool(name, &args[0])?, want_bool(name, &args[1])?);
                Ok(B(if prim == Prim::And { Bool::and(&[a, b]) } else { Bool::or(&[a, b]) }))
            }
            Prim::Not => {
                arity(0, 1)?;
                Ok(B(want_bool(name, &args[0])?.not()))
            }
            Prim::FAdd | Prim::FSub | Prim::FMul | Prim::FDiv => {
                arity(0, 2)?;
                let (fmt, a, b) = want_float2(name, &args[0], &args[1])?;
                let (x, y) = (fp_of_bits(fmt, a)?, fp_of_bits(fmt, b)?);
                let rne = RoundingMode::round_nearest_ties_to_even();
                let value = match prim {
                    Prim::FAdd => x.add_with_rounding_mode(&y, &rne),
                    Prim::FSub => x.sub_with_rounding_mode(&y, &rne),
                    Prim::FMul => x.mul_with_rounding_mode(&y, &rne),
                    _ => x.div_with_rounding_mode(&y, &rne),
                };
                self.float_result(name, fmt, &[&args[0], &args[1]], &value)
            }
            Prim::FSqrt | Prim::FRoundCeil | Prim::FRoundFloor | Prim::FRoundTrunc | Prim::FRoundNearest => {
                arity(0, 1)?;
                let (fmt, a) = want_float(name, &args[0])?;
                let x = fp_of_bits(fmt, a)?;
                let value = match prim {
                    Prim::FSqrt => x.sqrt_with_rounding_mode(&RoundingMode::round_nearest_ties_to_even()),
                    Prim::FRoundCeil => {
                        x.round_to_integral_with_rounding_mode(&RoundingMode::round_towards_positive())
                    }
                    Prim::FRoundFloor => {
                        x.round_to_integral_with_rounding_mode(&RoundingMode::round_towards_negative())
                    }
                    Prim::FRoundTrunc => {
                        x.round_to_integral_with_rounding_mode(&RoundingMode::round_towards_zero())
                    }
                    _ => x.round_to_integral_with_rounding_mode(&RoundingMode::round_nearest_ties_to_even()),
                };
                self.float_result(name, fmt, &[&args[0]], &value)
            }
            Prim::FAbs | Prim::FNeg => {
                arity(0, 1)?;
                let (fmt, a) = want_float(name, &args[0])?;
                let mask = sign_mask(fmt);
                let mut nans = nans_of(&args[0]);
                if prim == Prim::FAbs {
                    nans.sign_free = Bool::from_bool(false);
                    Ok(Term::Float(fmt, a.bvand(mask.bvnot()), nans))
                } else {
                    Ok(Term::Float(fmt, a.bvxor(&mask), nans))
                }
            }
            Prim::FCopysign => {
                arity(0, 2)?;
                let (fmt, a, b) = want_float2(name, &args[0], &args[1])?;
                let mask = sign_mask(fmt);
                let nans = Nans { sign_free: nans_of(&args[1]).sign_free, ..nans_of(&args[0]) };
                Ok(Term::Float(fmt, a.bvand(mask.bvnot()).bvor(b.bvand(&mask)), nans))
            }
            Prim::FMinWasm | Prim::FMaxWasm => {
                arity(0, 2)?;
                let (fmt, a, b) = want_float2(name, &args[0], &args[1])?;
                let (x, y) = (fp_of_bits(fmt, a)?, fp_of_bits(fmt, b)?);
                let is_min = prim == Prim::FMinWasm;
                // Written out rather than fp.min/fp.max, whose result on
                // (+0, -0) SMT-LIB leaves unspecified: Wasm orders -0 < +0,
                // so of two zeros min has a sign bit if either has (the OR of
                // the two patterns) and max only if both have (the AND).
                let zeros = if is_min { a.bvor(b) } else { a.bvand(b) };
                let ordered = if is_min { x.lt(&y) } else { x.gt(&y) };
                let both_zero = Bool::and(&[x.is_zero(), y.is_zero()]);
                let number = both_zero.ite(&zeros, &ordered.ite(a, b));
                // A NaN operand makes the result NaN.
                let either_nan = Bool::or(&[x.is_nan(), y.is_nan()]);
                self.nan_or(name, fmt, &[&args[0], &args[1]], &either_nan, &number)
            }
            Prim::FEq => cmp_fp(|a, b| a.eq_fpa(b)),
            Prim::FLt => cmp_fp(|a, b| a.lt(b)),
            Prim::FLe => cmp_fp(|a, b| a.le(b)),
            Prim::FGt => cmp_fp(|a, b| a.gt(b)),
            Prim::FGe => cmp_fp(|a, b| a.ge(b)),
            Prim::FIsNan => {
                arity(0, 1)?;
                let (fmt, a) = want_float(name, &args[0])?;
                Ok(B(fp_of_bits(fmt, a)?.is_nan()))
            }
            Prim::ToFp => {
                arity(1, 1)?;
                let to = format_of(name, imms[0])?;
                let (from, a) = want_float(name, &args[0])?;
                if from == to {
                    return Ok(args[0].clone());
                }
                let value = fp_of_bits(from, a)?
                    .to_fp_with_rounding_mode(&RoundingMode::round_nearest_ties_to_even(), &fp_sort(to));
                self.float_result(name, to, &[&args[0]], &value)
            }
            Prim::SbvToFp | Prim::UbvToFp => {
                arity(1, 1)?;
                let to = format_of(name, imms[0])?;
                let a = want_bv(name, &args[0])?;
                // Never NaN, so its encoding is exact.
                Ok(Term::Float(to, fp_of_int(to, a, prim == Prim::SbvToFp)?.to_ieee_bv(), Nans::exact()))
            }
            Prim::FpToSbv | Prim::FpToUbv => {
                arity(1, 1)?;
                let w = int_width(name, imms[0])?;
                let (fmt, a) = want_float(name, &args[0])?;
                let x = fp_of_bits(fmt, a)?;
                let rtz = RoundingMode::round_towards_zero();
                Ok(Bv(if prim == Prim::FpToSbv {
                    x.to_sbv_with_rounding_mode(&rtz, w)
                } else {
                    x.to_ubv_with_rounding_mode(&rtz, w)
                }))
            }
            Prim::FpToSbvSat | Prim::FpToUbvSat => {
                arity(1, 1)?;
                let w = int_width(name, imms[0])?;
                let (fmt, a) = want_float(name, &args[0])?;
                Ok(Bv(saturating_truncation(fmt, a, w, prim == Prim::FpToSbvSat)?))
            }
            Prim::FBits => {
                arity(0, 1)?;
                let (_, a) = want_float(name, &args[0])?;
                Ok(Bv(a.clone()))
            }
            Prim::BitsToFp => {
                arity(1, 1)?;
                let to = format_of(name, imms[0])?;
                let a = want_bv(name, &args[0])?;
                if a.get_size() != to.bits() {
                    return err(name, format!("a bv{} is not the bits of an {}", a.get_size(), to.ty()));
                }
                Ok(Term::Float(to, a.clone(), Nans::exact()))
            }
            Prim::Bitcast => err(name, "is resolved by instantiation and has no encoding of its own"),
        }
    }

    /// The condition under which the partial primitive `prim` (`fp_to_sbv`,
    /// `fp_to_ubv`) is defined on `args`; `None` for a total primitive.
    pub fn domain(&self, prim: Prim, imms: &[u32], args: &[Term]) -> Result<Option<Bool>, EncodeError> {
        if prim != Prim::FpToSbv && prim != Prim::FpToUbv {
            return Ok(None);
        }
        let name = prim.name();
        let (Some(&imm), Some(arg)) = (imms.first(), args.first()) else {
            return err(name, "takes 1 immediate and 1 operand");
        };
        let w = int_width(name, imm)?;
        let (fmt, a) = want_float(name, arg)?;
        Ok(Some(truncation_in_range(fmt, a, w, prim == Prim::FpToSbv)?))
    }
}

/// The float format an immediate of 32 or 64 bits stands for.
fn format_of(prim: &str, imm: u32) -> Result<FloatFormat, EncodeError> {
    match imm {
        32 => Ok(FloatFormat::F32),
        64 => Ok(FloatFormat::F64),
        other => err(prim, format!("no float format of {other} bits")),
    }
}

/// The integer width of a float-to-integer conversion: 8 to 64 bits.
fn int_width(prim: &str, w: u32) -> Result<u32, EncodeError> {
    if !(8..=64).contains(&w) {
        return err(prim, format!("cannot convert to a {w}-bit integer"));
    }
    Ok(w)
}

/// `ite c x y` over any two terms of the same type.
fn ite(prim: &str, c: &Bool, x: &Term, y: &Term) -> Result<Term, EncodeError> {
    match (x, y) {
        (Term::Bv(a), Term::Bv(b)) if a.get_size() == b.get_size() => Ok(Term::Bv(c.ite(a, b))),
        (Term::Float(fa, a, na), Term::Float(fb, b, nb)) if fa == fb => {
            Ok(Term::Float(*fa, c.ite(a, b), Nans::ite(c, na, nb)))
        }
        (Term::Bool(a), Term::Bool(b)) => Ok(Term::Bool(c.ite(a, b))),
        _ => err(prim, format!("branches of types {} and {}", x.ty(), y.ty())),
    }
}

/// A shift or rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    /// `bvshl`: zeros in at the bottom; 0 for counts of the width or more.
    Left,
    /// `bvlshr`: zeros in at the top; 0 for counts of the width or more.
    LogicalRight,
    /// `bvashr`: copies of the sign bit in at the top; all sign for counts
    /// of the width or more.
    ArithmeticRight,
    /// `rotl`: count modulo the width.
    RotateLeft,
    /// `rotr`: count modulo the width.
    RotateRight,
}

/// `a` shifted or rotated by the constant `k`, `0 < k < width`: rewiring.
fn shift_by_constant(a: &BV, k: u32, kind: Shift) -> BV {
    let w = a.get_size();
    match kind {
        Shift::Left => a.extract(w - 1 - k, 0).concat(bv_lit(0, k)),
        Shift::LogicalRight => bv_lit(0, k).concat(a.extract(w - 1, k)),
        Shift::ArithmeticRight => a.extract(w - 1, k).sign_ext(k),
        Shift::RotateLeft => a.extract(w - 1 - k, 0).concat(a.extract(w - 1, w - k)),
        Shift::RotateRight => a.extract(k - 1, 0).concat(a.extract(w - 1, k)),
    }
}

/// `a` shifted or rotated by `n`, with SMT-LIB's meaning for shifts (counts
/// of the width or more shift everything out) and the count taken modulo
/// the width for rotations.
///
/// Written as a logarithmic shifter: stage `i` moves by `2^i` when bit `i`
/// of the count is set. This is the same function as Z3's own `bvshl`,
/// but Z3 4.8 bit-blasts a shift by a variable into a circuit quadratic in
/// the width, and on 64 bits that makes rules such as
/// `(x << a) << b == x << (a + b)` time out; the logarithmic form keeps
/// them fast.
fn shift(a: &BV, n: &BV, kind: Shift) -> BV {
    let w = a.get_size();
    if w < 2 || !w.is_power_of_two() {
        let width = bv_lit(u64::from(w), w);
        return match kind {
            Shift::Left => a.bvshl(n),
            Shift::LogicalRight => a.bvlshr(n),
            Shift::ArithmeticRight => a.bvashr(n),
            // For a count of 0 the shift back is by the width, which gives 0.
            Shift::RotateLeft => {
                let n = n.bvurem(&width);
                a.bvshl(&n).bvor(a.bvlshr(width.bvsub(&n)))
            }
            Shift::RotateRight => {
                let n = n.bvurem(&width);
                a.bvlshr(&n).bvor(a.bvshl(width.bvsub(&n)))
            }
        };
    }
    let stages = w.trailing_zeros();
    let mut r = a.clone();
    for i in 0..stages {
        let set = n.extract(i, i).eq(bv_lit(1, 1));
        r = set.ite(&shift_by_constant(&r, 1 << i, kind), &r);
    }
    let too_far = n.extract(w - 1, stages).eq(bv_lit(0, w - stages)).not();
    match kind {
        Shift::RotateLeft | Shift::RotateRight => r,
        Shift::Left | Shift::LogicalRight => too_far.ite(&bv_lit(0, w), &r),
        Shift::ArithmeticRight => {
            let sign = a.extract(w - 1, w - 1).sign_ext(w - 1);
            too_far.ite(&sign, &r)
        }
    }
}

/// Leading (`leading`) or trailing zero count, as a chain of tests from the
/// end being counted from.
fn count_zeros(a: &BV, leading: bool) -> BV {
    let w = a.get_size();
    let mut count = bv_lit(u64::from(w), w);
    // Built from the far end inwards, so that the outermost test is the bit
    // nearest the counted end.
    for i in 0..w {
        let (bit, zeros_before) = if leading { (i, w - 1 - i) } else { (w - 1 - i, w - 1 - i) };
        let set = a.extract(bit, bit).eq(bv_lit(1, 1));
        count = set.ite(&bv_lit(u64::from(zeros_before), w), &count);
    }
    count
}

/// The number of one bits.
///
/// Summed as a balanced tree of narrow additions (no wider than the count
/// needs), far smaller once bit-blasted than a chain of full-width ones.
fn popcnt(a: &BV) -> BV {
    let w = a.get_size();
    // Enough bits to hold the count `w`.
    let count_width = u32::BITS - w.leading_zeros();
    let widen = |bit: BV| if count_width > 1 { bit.zero_ext(count_width - 1) } else { bit };
    let mut sums: Vec<BV> = (0..w).map(|i| widen(a.extract(i, i))).collect();
    while sums.len() > 1 {
        sums =
            sums.chunks(2).map(|pair| if let [x, y] = pair { x.bvadd(y) } else { pair[0].clone() }).collect();
    }
    let total = sums.pop().unwrap_or_else(|| bv_lit(0, count_width));
    if w > count_width { total.zero_ext(w - count_width) } else { total }
}

/// The bounds `[low, high)` of the integers of `w` bits, signed or not, as
/// floats: powers of two (or zero), which every format represents exactly.
fn integer_range(fmt: FloatFormat, w: u32, signed: bool) -> Result<(Float, Float), EncodeError> {
    Ok(if signed {
        (fp_power_of_two(fmt, w - 1)?.unary_neg(), fp_power_of_two(fmt, w - 1)?)
    } else {
        (fp_of_bits(fmt, &bv_lit(0, fmt.bits()))?, fp_power_of_two(fmt, w)?)
    })
}

/// Whether truncating the float with bits `a` toward zero gives an integer
/// representable in `w` bits, signed or not: Wasm's exact bounds, since the
/// truncated value is an integer and is compared with exact bounds.
fn truncation_in_range(fmt: FloatFormat, a: &BV, w: u32, signed: bool) -> Result<Bool, EncodeError> {
    let t = fp_of_bits(fmt, a)?.round_to_integral_with_rounding_mode(&RoundingMode::round_towards_zero());
    let (low, high) = integer_range(fmt, w, signed)?;
    // Comparisons with NaN are false, so NaN is out of range.
    Ok(Bool::and(&[t.ge(&low), t.lt(&high)]))
}

/// Wasm's `trunc_sat`: NaN → 0, below the range → the minimum, above → the
/// maximum, else truncation toward zero.
fn saturating_truncation(fmt: FloatFormat, a: &BV, w: u32, signed: bool) -> Result<BV, EncodeError> {
    let x = fp_of_bits(fmt, a)?;
    let rtz = RoundingMode::round_towards_zero();
    let (min, max, in_range) = if signed {
        let min = bv_lit(1u64 << (w - 1), w);
        (min.clone(), min.bvnot(), x.to_sbv_with_rounding_mode(&rtz, w))
    } else {
        (bv_lit(0, w), bv_lit(u64::MAX, w), x.to_ubv_with_rounding_mode(&rtz, w))
    };
    let t = x.round_to_integral_with_rounding_mode(&rtz);
    let (low, high) = integer_range(fmt, w, signed)?;
    Ok(x.is_nan().ite(&bv_lit(0, w), &t.lt(&low).ite(&min, &t.ge(&high).ite(&max, &in_range))))
}

#[cfg(test)]
mod tests {
    //! Each primitive on concrete operands, against Rust's own arithmetic
    //! (IEEE-754 with round-to-nearest-even, like Wasm) or hand-computed
    //! values where Rust's differs from Wasm's (`min`, `max`).

    use super::*;
    use z3::{SatResult, Solver};

    /// Ground inputs: a deterministic spread plus the edge cases.
    fn u32s() -> Vec<u32> {
        let mut v = vec![0, 1, 2, 31, 32, 33, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, u32::MAX, 0xdead_beef];
        let mut x = 0x1234_5678u32;
        for _ in 0..8 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v.push(x);
        }
        v
    }

    fn u64s() -> Vec<u64> {
        let mut v = vec![0, 1, 63, 64, 65, i64::MAX as u64, 1 << 63, u64::MAX, 0x0123_4567_89ab_cdef];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(x);
        }
        v
    }

    fn f32s() -> Vec<f32> {
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.1,
            3.0e38,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::from_bits(0x8000_0001),
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::from_bits(0xff80_0001),
            2147483648.0,
            -2147483648.0,
            4294967296.0,
            -2147483904.0,
            16777217.0,
        ];
        v.extend(u32s().into_iter().map(f32::from_bits));
        v
    }

    fn f64s() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.5,
            -3.5,
            0.1,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            2147483647.9,
            2147483648.0,
            -2147483648.9,
            -2147483649.0,
            4294967295.5,
            -0.9,
            9223372036854775807.0,
            -9223372036854775808.0,
            18446744073709551616.0,
        ];
        v.extend(u64s().into_iter().map(f64::from_bits));
        v
    }

    /// The value of a ground term: Z3's simplifier folds constants; a term
    /// with a NaN payload function is evaluated in one model of it.
    fn eval_bits(t: &Term) -> u64 {
        let bits = t.bits().expect("a bit-vector or float term");
        if let Some(v) = bits.simplify().as_u64() {
            return v;
        }
        let solver = Solver::new();
        assert_eq!(solver.check(), SatResult::Sat);
        let model = solver.get_model().expect("a model");
        let bits = t.bits().expect("a bit-vector or float term");
        model.eval(bits, true).and_then(|v| v.as_u64()).expect("a numeral")
    }

    fn eval_bool(t: &Term) -> bool {
        let Term::Bool(b) = t else { panic!("not a boolean: {t:?}") };
        if let Some(v) = b.simplify().as_bool() {
            return v;
        }
        let solver = Solver::new();
        assert_eq!(solver.check(), SatResult::Sat);
        let model = solver.get_model().expect("a model");
        model.eval(b, true).and_then(|v| v.as_bool()).expect("a boolean")
    }

    fn bv(v: u64, w: u32) -> Term {
        Term::Bv(bv_lit(v, w))
    }
    fn f32t(v: f32) -> Term {
        Term::Float(FloatFormat::F32, bv_lit(u64::from(v.to_bits()), 32), Nans::exact())
    }
    fn f64t(v: f64) -> Term {
        Term::Float(FloatFormat::F64, bv_lit(v.to_bits(), 64), Nans::exact())
    }

    fn prim(name: &str) -> Prim {
        Prim::from_name(name).unwrap_or_else(|| panic!("no primitive {name}"))
    }

    fn app(name: &str, imms: &[u32], args: impl AsRef<[Term]>) -> Term {
        Encoder::new().apply(prim(name), imms, args.as_ref()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Whether `bits` is a quiet NaN of `fmt` (what Wasm calls an arithmetic NaN).
    fn is_quiet_nan(fmt: FloatFormat, bits: u64) -> bool {
        let exp = (bits >> fraction_bits(fmt)) & ((1 << fmt.exponent_bits()) - 1);
        exp == (1 << fmt.exponent_bits()) - 1 && bits >> (fraction_bits(fmt) - 1) & 1 == 1
    }

    /// A float result matches: NaN for NaN (quiet, any payload), else the bits.
    fn check_f32(prim: &str, got: &Term, want: f32) {
        let bits = eval_bits(got);
        if want.is_nan() {
            assert!(is_quiet_nan(FloatFormat::F32, bits), "{prim}: {bits:#x} is not a quiet NaN");
        } else {
            assert_eq!(
                bits,
                u64::from(want.to_bits()),
                "{prim}: got {}, want {want}",
                f32::from_bits(bits as u32)
            );
        }
    }

    fn check_f64(prim: &str, got: &Term, want: f64) {
        let bits = eval_bits(got);
        if want.is_nan() {
            assert!(is_quiet_nan(FloatFormat::F64, bits), "{prim}: {bits:#x} is not a quiet NaN");
        } else {
            assert_eq!(bits, want.to_bits(), "{prim}: got {}, want {want}", f64::from_bits(bits));
        }
    }

    #[test]
    fn vector_literals_concatenation_and_saturation_match_the_evaluator() {
        let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        let lit = Term::literal(v, SemType::Bv(128)).expect("a literal");
        assert_eq!(lit.bits().and_then(|b| numeral_value(&b.simplify())), Some(v));
        let joined = app("concat", &[], [bv(0xab, 8), bv(u64::MAX, 64)]);
        let joined = joined.bits().and_then(|b| numeral_value(&b.simplify()));
        assert_eq!(joined, Some(0xab << 64 | u128::from(u64::MAX)));
        // (value, from width, to width, ssat, usat)
        for (x, from, to, s, u) in [
            (0x1ffu64, 9, 8, 0xffu64, 0u64),
            (0x0ff, 9, 8, 0x7f, 0xff),
            (0x100, 9, 8, 0x80, 0),
            (0x07f, 9, 8, 0x7f, 0x7f),
            (0x8000_0000, 32, 32, 0x8000_0000, 0),
            (0x7fff_ffff, 32, 16, 0x7fff, 0xffff),
            (0xffff_8000, 32, 16, 0x8000, 0),
        ] {
            assert_eq!(eval_bits(&app("ssat", &[to], [bv(x, from)])), s, "ssat {to} {x:#x}");
            assert_eq!(eval_bits(&app("usat", &[to], [bv(x, from)])), u, "usat {to} {x:#x}");
        }
    }

    #[test]
    fn integer_arithmetic_matches_wrapping_arithmetic() {
        for &a in &u32s() {
            for &b in &u32s()[..6] {
                let (ta, tb) = (bv(a.into(), 32), bv(b.into(), 32));
                let ops: [(&str, u32); 6] = [
                    ("bvadd", a.wrapping_add(b)),
                    ("bvsub", a.wrapping_sub(b)),
                    ("bvmul", a.wrapping_mul(b)),
                    ("bvand", a & b),
                    ("bvor", a | b),
                    ("bvxor", a ^ b),
                ];
                for (prim, want) in ops {
                    assert_eq!(
                        eval_bits(&app(prim, &[], [ta.clone(), tb.clone()])),
                        u64::from(want),
                        "{prim}"
                    );
                }
                if b != 0 {
                    let (sa, sb) = (a as i32, b as i32);
                    assert_eq!(eval_bits(&app("bvudiv", &[], [ta.clone(), tb.clone()])), u64::from(a / b));
                    assert_eq!(eval_bits(&app("bvurem", &[], [ta.clone(), tb.clone()])), u64::from(a % b));
                    let sdiv = sa.wrapping_div(sb) as u32;
                    let srem = sa.wrapping_rem(sb) as u32;
                    assert_eq!(eval_bits(&app("bvsdiv", &[], [ta.clone(), tb.clone()])), u64::from(sdiv));
                    assert_eq!(eval_bits(&app("bvsrem", &[], [ta.clone(), tb.clone()])), u64::from(srem));
                }
            }
            let ta = bv(a.into(), 32);
            assert_eq!(eval_bits(&app("bvnot", &[], [ta.clone()])), u64::from(!a));
            assert_eq!(eval_bits(&app("bvneg", &[], [ta])), u64::from(a.wrapping_neg()));
        }
        // SMT-LIB's total division: x / 0 is all ones, x % 0 is x.
        assert_eq!(eval_bits(&app("bvudiv", &[], [bv(7, 32), bv(0, 32)])), 0xffff_ffff);
        assert_eq!(eval_bits(&app("bvurem", &[], [bv(7, 32), bv(0, 32)])), 7);
        // INT_MIN % -1 is 0 (Wasm does not trap on it).
        assert_eq!(eval_bits(&app("bvsrem", &[], [bv(1 << 31, 32), bv(u64::MAX, 32)])), 0);
    }

    #[test]
    fn shifts_follow_smt_lib_and_rotates_take_the_count_modulo_the_width() {
        for &a in &u32s() {
            for n in [0u32, 1, 5, 31, 32, 33, 63, 64, 0xffff_ffff] {
                let (ta, tn) = (bv(a.into(), 32), bv(n.into(), 32));
                let shl = if n < 32 { a << n } else { 0 };
                let lshr = if n < 32 { a >> n } else { 0 };
                let ashr = if n < 32 { ((a as i32) >> n) as u32 } else { ((a as i32) >> 31) as u32 };
                assert_eq!(eval_bits(&app("bvshl", &[], [ta.clone(), tn.clone()])), u64::from(shl));
                assert_eq!(eval_bits(&app("bvlshr", &[], [ta.clone(), tn.clone()])), u64::from(lshr));
                assert_eq!(eval_bits(&app("bvashr", &[], [ta.clone(), tn.clone()])), u64::from(ashr));
                let rotl = app("rotl", &[], [ta.clone(), tn.clone()]);
                let rotr = app("rotr", &[], [ta, tn]);
                assert_eq!(eval_bits(&rotl), u64::from(a.rotate_left(n % 32)), "rotl {a:#x} {n}");
                assert_eq!(eval_bits(&rotr), u64::from(a.rotate_right(n % 32)), "rotr {a:#x} {n}");
            }
        }
        for &a in &u64s() {
            for n in [0u64, 1, 63, 64, 65, u64::MAX] {
                let rotl = app("rotl", &[], [bv(a, 64), bv(n, 64)]);
                assert_eq!(eval_bits(&rotl), a.rotate_left((n % 64) as u32), "rotl {a:#x} {n}");
            }
        }
    }

    #[test]
    fn bit_counts_match_rusts_at_every_width() {
        for &a in &u64s() {
            let t = bv(a, 64);
            assert_eq!(eval_bits(&app("clz", &[], [t.clone()])), u64::from(a.leading_zeros()));
            assert_eq!(eval_bits(&app("ctz", &[], [t.clone()])), u64::from(a.trailing_zeros()));
            assert_eq!(eval_bits(&app("popcnt", &[], [t])), u64::from(a.count_ones()));
        }
        for &a in &u32s() {
            let t = bv(a.into(), 32);
            assert_eq!(eval_bits(&app("clz", &[], [t.clone()])), u64::from(a.leading_zeros()));
            assert_eq!(eval_bits(&app("ctz", &[], [t.clone()])), u64::from(a.trailing_zeros()));
            assert_eq!(eval_bits(&app("popcnt", &[], [t])), u64::from(a.count_ones()));
            let b = a as u8;
            let t8 = bv(b.into(), 8);
            assert_eq!(eval_bits(&app("clz", &[], [t8.clone()])), u64::from(b.leading_zeros()));
            assert_eq!(eval_bits(&app("ctz", &[], [t8.clone()])), u64::from(b.trailing_zeros()));
            assert_eq!(eval_bits(&app("popcnt", &[], [t8])), u64::from(b.count_ones()));
        }
    }

    #[test]
    fn extensions_and_extraction_move_the_right_bits() {
        let w = |n: u32| [n];
        for &a in &u32s() {
            let t = bv(a.into(), 32);
            assert_eq!(eval_bits(&app("zext", &w(64), [t.clone()])), u64::from(a));
            assert_eq!(eval_bits(&app("sext", &w(64), [t.clone()])), a as i32 as i64 as u64);
            assert_eq!(eval_bits(&app("zext", &w(32), [t.clone()])), u64::from(a));
            let low8 = app("extract", &[7, 0], [t.clone()]);
            assert_eq!(eval_bits(&low8), u64::from(a as u8));
            let sext8 = app("sext", &w(32), [low8]);
            assert_eq!(eval_bits(&sext8), u64::from(a as i8 as i32 as u32));
            let high = app("extract", &[31, 16], [t]);
            assert_eq!(eval_bits(&high), u64::from(a >> 16));
        }
    }

    #[test]
    fn comparisons_and_boolean_connectives_match() {
        for &a in &u32s() {
            for &b in &u32s()[..8] {
                let (ta, tb) = (bv(a.into(), 32), bv(b.into(), 32));
                let (sa, sb) = (a as i32, b as i32);
                let cases = [
                    ("bveq", a == b),
                    ("bvne", a != b),
                    ("bvult", a < b),
                    ("bvule", a <= b),
                    ("bvugt", a > b),
                    ("bvuge", a >= b),
                    ("bvslt", sa < sb),
                    ("bvsle", sa <= sb),
                    ("bvsgt", sa > sb),
                    ("bvsge", sa >= sb),
                ];
                for (prim, want) in cases {
                    let c = app(prim, &[], [ta.clone(), tb.clone()]);
                    assert_eq!(eval_bool(&c), want, "{prim} {a:#x} {b:#x}");
                    let as_bv = app("bool2bv", &[8], [c.clone()]);
                    assert_eq!(eval_bits(&as_bv), u64::from(want));
                    let chosen = app("ite", &[], [c.clone(), ta.clone(), tb.clone()]);
                    assert_eq!(eval_bits(&chosen), u64::from(if want { a } else { b }));
                    let negated = app("not", &[], [c.clone()]);
                    assert_eq!(eval_bool(&negated), !want);
                    assert!(!eval_bool(&app("and", &[], [c.clone(), negated.clone()])));
                    assert!(eval_bool(&app("or", &[], [c, negated])));
                }
            }
        }
    }

    #[test]
    fn float_arithmetic_rounds_to_nearest_even_like_rust() {
        let vs = f32s();
        for &a in &vs {
            for &b in &vs[..20] {
                let (ta, tb) = (f32t(a), f32t(b));
                check_f32("fadd", &app("fadd", &[], [ta.clone(), tb.clone()]), a + b);
                check_f32("fsub", &app("fsub", &[], [ta.clone(), tb.clone()]), a - b);
                check_f32("fmul", &app("fmul", &[], [ta.clone(), tb.clone()]), a * b);
                check_f32("fdiv", &app("fdiv", &[], [ta, tb]), a / b);
            }
            check_f32("fsqrt", &app("fsqrt", &[], [f32t(a)]), a.sqrt());
        }
        let vs = f64s();
        for &a in &vs {
            for &b in &vs[..12] {
                let (ta, tb) = (f64t(a), f64t(b));
                check_f64("fadd", &app("fadd", &[], [ta.clone(), tb.clone()]), a + b);
                check_f64("fmul", &app("fmul", &[], [ta.clone(), tb.clone()]), a * b);
                check_f64("fdiv", &app("fdiv", &[], [ta, tb]), a / b);
            }
            check_f64("fsqrt", &app("fsqrt", &[], [f64t(a)]), a.sqrt());
        }
    }

    #[test]
    fn rounding_to_integral_uses_each_mode() {
        for &a in &f32s() {
            let t = f32t(a);
            check_f32("fround_ceil", &app("fround_ceil", &[], [t.clone()]), a.ceil());
            check_f32("fround_floor", &app("fround_floor", &[], [t.clone()]), a.floor());
            check_f32("fround_trunc", &app("fround_trunc", &[], [t.clone()]), a.trunc());
            check_f32("fround_nearest", &app("fround_nearest", &[], [t]), a.round_ties_even());
        }
        for &a in &f64s() {
            let t = f64t(a);
            check_f64("fround_ceil", &app("fround_ceil", &[], [t.clone()]), a.ceil());
            check_f64("fround_nearest", &app("fround_nearest", &[], [t]), a.round_ties_even());
        }
        // The sign of a zero result follows the operand: ceil(-0.5) = -0.
        assert_eq!(eval_bits(&app("fround_ceil", &[], [f32t(-0.5)])), 0x8000_0000);
    }

    /// Wasm's `fmin`: NaN if either operand is, and -0 < +0.
    fn wasm_min(a: f64, b: f64) -> f64 {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else if a == 0.0 && b == 0.0 {
            if a.is_sign_negative() { a } else { b }
        } else {
            a.min(b)
        }
    }

    fn wasm_max(a: f64, b: f64) -> f64 {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else if a == 0.0 && b == 0.0 {
            if a.is_sign_positive() { a } else { b }
        } else {
            a.max(b)
        }
    }

    #[test]
    fn min_and_max_propagate_nan_and_order_negative_zero_first() {
        let vs = f64s();
        for &a in &vs {
            for &b in &vs[..16] {
                let (ta, tb) = (f64t(a), f64t(b));
                check_f64("fmin_wasm", &app("fmin_wasm", &[], [ta.clone(), tb.clone()]), wasm_min(a, b));
                check_f64("fmax_wasm", &app("fmax_wasm", &[], [ta, tb]), wasm_max(a, b));
            }
        }
        for (a, b) in [(0.0f32, -0.0f32), (-0.0, 0.0)] {
            assert_eq!(eval_bits(&app("fmin_wasm", &[], [f32t(a), f32t(b)])), 0x8000_0000);
            assert_eq!(eval_bits(&app("fmax_wasm", &[], [f32t(a), f32t(b)])), 0);
        }
    }

    #[test]
    fn sign_operations_are_exact_on_nan_payloads() {
        let nan = f32::from_bits(0x7fa0_0001); // a signalling NaN with a payload
        assert_eq!(eval_bits(&app("fneg", &[], [f32t(nan)])), 0xffa0_0001);
        assert_eq!(eval_bits(&app("fabs", &[], [f32t(f32::from_bits(0xffa0_0001))])), 0x7fa0_0001);
        let neg_nan = f32::from_bits(0xffc0_0000);
        assert_eq!(
            eval_bits(&app("fcopysign", &[], [f32t(1.0), f32t(neg_nan)])),
            u64::from((-1.0f32).to_bits())
        );
        assert_eq!(eval_bits(&app("fcopysign", &[], [f32t(nan), f32t(-0.0)])), 0xffa0_0001);
        for &a in &f64s() {
            for &b in &f64s()[..10] {
                let got = eval_bits(&app("fcopysign", &[], [f64t(a), f64t(b)]));
                assert_eq!(got, a.copysign(b).to_bits());
            }
            assert_eq!(eval_bits(&app("fneg", &[], [f64t(a)])), (-a).to_bits());
            assert_eq!(eval_bits(&app("fabs", &[], [f64t(a)])), a.abs().to_bits());
        }
    }

    #[test]
    fn float_comparisons_are_ieee_and_false_on_nan() {
        let vs = f32s();
        for &a in &vs {
            for &b in &vs[..20] {
                let (ta, tb) = (f32t(a), f32t(b));
                let cases =
                    [("feq", a == b), ("flt", a < b), ("fle", a <= b), ("fgt", a > b), ("fge", a >= b)];
                for (prim, want) in cases {
                    assert_eq!(eval_bool(&app(prim, &[], [ta.clone(), tb.clone()])), want, "{prim} {a} {b}");
                }
            }
            assert_eq!(eval_bool(&app("fisnan", &[], [f32t(a)])), a.is_nan());
        }
    }

    #[test]
    fn conversions_round_to_nearest_even_like_rust_casts() {
        let f32_fmt = [32];
        let f64_fmt = [64];
        for &a in &f64s() {
            check_f32("to_fp", &app("to_fp", &f32_fmt, [f64t(a)]), a as f32);
        }
        for &a in &f32s() {
            check_f64("to_fp", &app("to_fp", &f64_fmt, [f32t(a)]), f64::from(a));
        }
        for &a in &u64s() {
            check_f32("sbv_to_fp", &app("sbv_to_fp", &f32_fmt, [bv(a, 64)]), a as i64 as f32);
            check_f64("sbv_to_fp", &app("sbv_to_fp", &f64_fmt, [bv(a, 64)]), a as i64 as f64);
            check_f32("ubv_to_fp", &app("ubv_to_fp", &f32_fmt, [bv(a, 64)]), a as f32);
            check_f64("ubv_to_fp", &app("ubv_to_fp", &f64_fmt, [bv(a, 64)]), a as f64);
        }
        for &a in &u32s() {
            check_f32("sbv_to_fp", &app("sbv_to_fp", &f32_fmt, [bv(a.into(), 32)]), a as i32 as f32);
            check_f32("ubv_to_fp", &app("ubv_to_fp", &f32_fmt, [bv(a.into(), 32)]), a as f32);
        }
    }

    #[test]
    fn truncations_are_exact_in_range_and_saturate_like_rust_casts() {
        let w = |n: u32| [n];
        let enc = Encoder::new();
        for &a in &f64s() {
            let t = f64t(a);
            // Rust's `as` is Wasm's trunc_sat: NaN → 0, saturating at the bounds.
            assert_eq!(eval_bits(&app("fp_to_sbv_sat", &w(32), [t.clone()])), u64::from(a as i32 as u32));
            assert_eq!(eval_bits(&app("fp_to_ubv_sat", &w(32), [t.clone()])), u64::from(a as u32));
            assert_eq!(eval_bits(&app("fp_to_sbv_sat", &w(64), [t.clone()])), a as i64 as u64);
            assert_eq!(eval_bits(&app("fp_to_ubv_sat", &w(64), [t.clone()])), a as u64);
            let in_range = enc
                .domain(prim("fp_to_sbv"), &w(32), std::slice::from_ref(&t))
                .expect("domain")
                .expect("partial");
            let fits = !a.is_nan() && a.trunc() >= -2147483648.0 && a.trunc() <= 2147483647.0;
            assert_eq!(eval_bool(&Term::Bool(in_range)), fits, "fp_to_sbv 32 domain at {a}");
            if fits {
                assert_eq!(eval_bits(&app("fp_to_sbv", &w(32), [t.clone()])), u64::from(a as i32 as u32));
            }
            let in_range = enc
                .domain(prim("fp_to_ubv"), &w(32), std::slice::from_ref(&t))
                .expect("domain")
                .expect("partial");
            let fits = !a.is_nan() && a.trunc() >= 0.0 && a.trunc() <= 4294967295.0;
            assert_eq!(eval_bool(&Term::Bool(in_range)), fits, "fp_to_ubv 32 domain at {a}");
            if fits {
                assert_eq!(eval_bits(&app("fp_to_ubv", &w(32), [t])), u64::from(a as u32));
            }
        }
        for &a in &f32s() {
            let t = f32t(a);
            assert_eq!(eval_bits(&app("fp_to_sbv_sat", &w(32), [t.clone()])), u64::from(a as i32 as u32));
            assert_eq!(eval_bits(&app("fp_to_ubv_sat", &w(64), [t.clone()])), a as u64);
            let in_range = enc
                .domain(prim("fp_to_sbv"), &w(64), std::slice::from_ref(&t))
                .expect("domain")
                .expect("partial");
            let fits =
                !a.is_nan() && a.trunc() >= -9223372036854775808.0 && a.trunc() < 9223372036854775808.0;
            assert_eq!(eval_bool(&Term::Bool(in_range)), fits, "fp_to_sbv 64 domain at {a}");
        }
        assert_eq!(enc.domain(prim("fadd"), &[], &[f32t(1.0), f32t(2.0)]), Ok(None));
    }

    #[test]
    fn bit_casts_are_identities_on_every_pattern() {
        let nan = 0x7fa0_0001u64;
        let as_float = app("bits_to_fp", &[32], [bv(nan, 32)]);
        assert_eq!(as_float.ty(), SemType::Float(FloatFormat::F32));
        let back = app("fbits", &[], [as_float]);
        assert_eq!(back.ty(), SemType::Bv(32));
        assert_eq!(eval_bits(&back), nan);
    }

    #[test]
    fn ill_typed_applications_are_errors_not_panics() {
        let mut enc = Encoder::new();
        let cases: Vec<(&str, Vec<u32>, Vec<Term>)> = vec![
            ("bvadd", vec![], vec![bv(1, 32), bv(1, 64)]),
            ("bvadd", vec![], vec![bv(1, 32)]),
            ("fadd", vec![], vec![f32t(1.0), f64t(1.0)]),
            ("fadd", vec![], vec![bv(1, 32), bv(1, 32)]),
            ("zext", vec![16], vec![bv(1, 32)]),
            ("extract", vec![40, 0], vec![bv(1, 32)]),
            ("bits_to_fp", vec![64], vec![bv(1, 32)]),
            ("to_fp", vec![16], vec![f32t(1.0)]),
            ("ite", vec![], vec![bv(1, 1), bv(1, 32), bv(1, 32)]),
            ("fp_to_sbv", vec![128], vec![f32t(1.0)]),
            ("bitcast", vec![32], vec![f32t(1.0)]),
        ];
        for (name, imms, args) in cases {
            assert!(enc.apply(prim(name), &imms, &args).is_err(), "{name} accepted ill-typed operands");
        }
    }
}
