//! Wasm's NaN rules as a relation: which bit patterns a float result may
//! have. The verifier (`plumb-verify`), the evaluator-based rule checks and
//! the fuzz oracles all judge a rewrite by it, so the three agree.
//!
//! Wasm fixes a float result's bits except where an arithmetic operator
//! returns a NaN (spec §4.3.3, "NaN propagation"):
//!
//! - bit-exact operators (`select`, `local.get`, loads, `reinterpret`, and
//!   here `ite`, `fbits`, `bits_to_fp`, constants) pass their operand's
//!   bits through, whatever they are;
//! - `fneg`, `fabs` and `fcopysign` act on the sign bit alone: on a NaN
//!   they keep its payload and fix (or flip) its sign;
//! - an arithmetic operator returning a NaN returns a *canonical* NaN
//!   (quiet bit alone, either sign) when every NaN operand is canonical or
//!   there is none, and otherwise any *arithmetic* NaN (quiet bit set, any
//!   payload, either sign).
//!
//! So a result is a set of bit patterns, the product of a sign part (fixed
//! or free) and a part for the other bits (exact, any canonical NaN, any
//! arithmetic NaN): [`Allowed`]. A rewrite is correct when every result its
//! right side can give is in the set of its left side. [`nan_rule`] says
//! how each primitive transforms the sets; [`Allowed::of`] applies it to
//! numbers. Never panics.

use crate::ast::Prim;
use crate::types::FloatFormat;

/// What a float result's bits other than the sign may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NanClass {
    /// Exactly those of [`Allowed::bits`].
    Exact,
    /// Those of a canonical NaN (quiet bit set, the rest of the fraction 0).
    Canonical,
    /// Those of any arithmetic NaN (quiet bit set).
    Arithmetic,
}

/// The bit patterns a float result may have: `bits` (one of them) with its
/// sign free or fixed, and its other bits as `class` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Allowed {
    /// One allowed pattern (the one an evaluation produced).
    pub bits: u128,
    /// Whether the sign bit may be either.
    pub sign_free: bool,
    /// What the other bits may be.
    pub class: NanClass,
}

/// How a primitive's float result relates to its operands' sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanRule {
    /// An arithmetic operator: a NaN result is canonical if every NaN
    /// operand may only be canonical, else arithmetic; sign free.
    Arithmetic,
    /// `fneg`: the operand's set, sign flipped.
    Negate,
    /// `fabs`: the operand's set, sign fixed to 0.
    Absolute,
    /// `fcopysign a b`: `a`'s set but for the sign, which is `b`'s.
    Copysign,
    /// `ite c x y`: the set of the chosen arm.
    Select,
    /// Anything else: the result's bits are those computed (its float
    /// operands are taken at the bits they have).
    Exact,
}

/// The NaN rule of primitive `prim`. (`to_fp` from a format to itself is
/// the identity: [`Allowed::of`] checks the formats.)
pub fn nan_rule(prim: Prim) -> NanRule {
    use Prim::*;
    match prim {
        FAdd | FSub | FMul | FDiv | FSqrt | FRoundCeil | FRoundFloor | FRoundTrunc | FRoundNearest
        | FMinWasm | FMaxWasm | ToFp => NanRule::Arithmetic,
        FNeg => NanRule::Negate,
        FAbs => NanRule::Absolute,
        FCopysign => NanRule::Copysign,
        Ite => NanRule::Select,
        _ => NanRule::Exact,
    }
}

/// The sign bit of a format.
pub fn sign_bit(fmt: FloatFormat) -> u128 {
    1u128 << (fmt.bits() - 1)
}

/// The quiet bit of a format (the top fraction bit).
pub fn quiet_bit(fmt: FloatFormat) -> u128 {
    1u128 << (fmt.significand_bits() - 2)
}

fn exponent_mask(fmt: FloatFormat) -> u128 {
    ((1u128 << fmt.exponent_bits()) - 1) << (fmt.significand_bits() - 1)
}

fn fraction_mask(fmt: FloatFormat) -> u128 {
    (1u128 << (fmt.significand_bits() - 1)) - 1
}

/// Whether `bits` are a NaN of format `fmt`.
pub fn is_nan(fmt: FloatFormat, bits: u128) -> bool {
    bits & exponent_mask(fmt) == exponent_mask(fmt) && bits & fraction_mask(fmt) != 0
}

/// Whether `bits` are a canonical NaN (either sign).
pub fn is_canonical_nan(fmt: FloatFormat, bits: u128) -> bool {
    bits & !sign_bit(fmt) & crate::types::wide_mask(fmt.bits()) == exponent_mask(fmt) | quiet_bit(fmt)
}

/// Whether `bits` are an arithmetic (quiet) NaN (either sign).
pub fn is_arithmetic_nan(fmt: FloatFormat, bits: u128) -> bool {
    bits & exponent_mask(fmt) == exponent_mask(fmt) && bits & quiet_bit(fmt) != 0
}

impl Allowed {
    /// Exactly `bits`.
    pub fn exact(bits: u128) -> Allowed {
        Allowed { bits, sign_free: false, class: NanClass::Exact }
    }

    /// Whether the set is the single pattern [`Allowed::bits`].
    pub fn is_exact(&self) -> bool {
        !self.sign_free && self.class == NanClass::Exact
    }

    /// Whether `bits` (of format `fmt`) is in the set.
    pub fn contains(&self, fmt: FloatFormat, bits: u128) -> bool {
        let sign = sign_bit(fmt);
        let rest = crate::types::wide_mask(fmt.bits()) & !sign;
        let sign_ok = self.sign_free || bits & sign == self.bits & sign;
        let rest_ok = match self.class {
            NanClass::Exact => bits & rest == self.bits & rest,
            NanClass::Canonical => is_canonical_nan(fmt, bits),
            NanClass::Arithmetic => is_arithmetic_nan(fmt, bits),
        };
        sign_ok && rest_ok
    }

    /// Whether a NaN that is not canonical is in the set.
    pub fn may_be_non_canonical_nan(&self, fmt: FloatFormat) -> bool {
        match self.class {
            NanClass::Arithmetic => true,
            NanClass::Canonical => false,
            NanClass::Exact => is_nan(fmt, self.bits) && !is_canonical_nan(fmt, self.bits),
        }
    }

    /// The set of a result `bits` of format `fmt` computed by `prim` from
    /// operands with sets `args`, each with its format if it is a float (an
    /// identity `to_fp` passes its operand's set on).
    pub fn of(prim: Prim, fmt: FloatFormat, bits: u128, args: &[(Option<FloatFormat>, Allowed)]) -> Allowed {
        let arg = |i: usize| args.get(i).map_or(Allowed::exact(0), |(_, a)| *a);
        match nan_rule(prim) {
            NanRule::Arithmetic if prim == Prim::ToFp && args.first().and_then(|a| a.0) == Some(fmt) => {
                Allowed { bits, ..arg(0) }
            }
            NanRule::Arithmetic if is_nan(fmt, bits) => {
                let non_canonical =
                    args.iter().any(|(f, a)| f.is_some_and(|f| a.may_be_non_canonical_nan(f)));
                let class = if non_canonical { NanClass::Arithmetic } else { NanClass::Canonical };
                Allowed { bits, sign_free: true, class }
            }
            NanRule::Arithmetic | NanRule::Exact => Allowed::exact(bits),
            NanRule::Negate => Allowed { bits, ..arg(0) },
            NanRule::Absolute => Allowed { bits, sign_free: false, ..arg(0) },
            NanRule::Copysign => Allowed { bits, sign_free: arg(1).sign_free, class: arg(0).class },
            // `ite c x y`: the set of the arm the condition (0 or 1) chose.
            NanRule::Select => Allowed { bits, ..if arg(0).bits != 0 { arg(1) } else { arg(2) } },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: FloatFormat = FloatFormat::F32;

    #[test]
    fn canonical_and_arithmetic_nans_are_told_apart_at_either_sign() {
        assert!(is_canonical_nan(F, 0x7fc0_0000) && is_canonical_nan(F, 0xffc0_0000));
        assert!(!is_canonical_nan(F, 0x7fc0_0001) && is_arithmetic_nan(F, 0x7fc0_0001));
        assert!(!is_arithmetic_nan(F, 0x7fa0_0000) && is_nan(F, 0x7fa0_0000));
        assert!(!is_nan(F, 0x7f80_0000));
    }

    #[test]
    fn arithmetic_over_canonical_or_no_nans_allows_only_canonical_nans() {
        let inf = Allowed::exact(0x7f80_0000);
        let r = Allowed::of(Prim::FSub, F, 0xffc0_0000, &[(Some(F), inf), (Some(F), inf)]);
        assert!(r.contains(F, 0x7fc0_0000) && r.contains(F, 0xffc0_0000));
        assert!(!r.contains(F, 0x7fc0_0001));
        let snan = Allowed::exact(0x7fa0_0000);
        let r = Allowed::of(Prim::FAdd, F, 0x7fe0_0000, &[(Some(F), snan), (Some(F), inf)]);
        assert!(r.contains(F, 0xffc0_0001) && !r.contains(F, 0x7fa0_0000));
    }

    #[test]
    fn sign_operations_fix_the_sign_and_keep_the_class() {
        let any = Allowed { bits: 0xffc0_0000, sign_free: true, class: NanClass::Arithmetic };
        let abs = Allowed::of(Prim::FAbs, F, 0x7fc0_0000, &[(Some(F), any)]);
        assert!(abs.contains(F, 0x7fc0_1234) && !abs.contains(F, 0xffc0_0000));
        let neg = Allowed::of(Prim::FNeg, F, 0xffc0_0000, &[(Some(F), abs)]);
        assert!(neg.contains(F, 0xffc0_0001) && !neg.contains(F, 0x7fc0_0000));
        let payload = Allowed::exact(0x7fa0_0001);
        let cs = Allowed::of(Prim::FCopysign, F, 0xffa0_0001, &[(Some(F), payload), (Some(F), any)]);
        assert!(cs.contains(F, 0x7fa0_0001) && cs.contains(F, 0xffa0_0001) && !cs.contains(F, 0x7fe0_0001));
    }
}
