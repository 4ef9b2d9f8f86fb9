//! Float literals of the rule language, as Wasm's text format writes them:
//! a decimal (`1.0`, `-0.0`, `2.5e-3`), `inf`, `-inf`, `nan` (the canonical
//! NaN) or `nan:0xPAYLOAD` (the NaN with that significand), each optionally
//! negative. A literal's bits depend on the format its context gives it, so
//! parsing and encoding are separate steps; neither ever panics.
//!
//! A float can also be written as its bit pattern in hex (`0x3f800000`):
//! that is an integer literal, which the type checker takes as the bits.

use std::fmt;

use crate::types::FloatFormat;

/// A float literal before its format is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloatLit {
    /// A finite decimal, as written (`-1.5e3`); correctly rounded to the
    /// nearest float, ties to even.
    Decimal(String),
    /// An infinity.
    Inf {
        /// `-inf`.
        negative: bool,
    },
    /// A NaN: all exponent bits set and a non-zero significand.
    Nan {
        /// `-nan`: the sign bit set.
        negative: bool,
        /// The significand bits (`nan:0x200000`); `None` for the canonical
        /// NaN, whose significand is the quiet bit alone.
        payload: Option<u64>,
    },
}

impl FloatLit {
    /// Reads `text` as a float literal: `None` if it is not written as one
    /// (an integer or a name), otherwise the literal or what is wrong with it.
    pub fn parse(text: &str) -> Option<Result<FloatLit, String>> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if body == "inf" {
            return Some(Ok(FloatLit::Inf { negative }));
        }
        if body == "nan" {
            return Some(Ok(FloatLit::Nan { negative, payload: None }));
        }
        if let Some(payload) = body.strip_prefix("nan:") {
            return Some(nan_payload(text, payload).map(|p| FloatLit::Nan { negative, payload: Some(p) }));
        }
        let decimal = body.starts_with(|c: char| c.is_ascii_digit())
            && !body.starts_with("0x")
            && body.contains(['.', 'e', 'E']);
        if !decimal {
            return None;
        }
        Some(if is_decimal(body) {
            Ok(FloatLit::Decimal(text.to_owned()))
        } else {
            Err(format!(
                "malformed float literal `{text}`: expected a decimal such as `1.5` or `-2.0e-3`, \
                 `inf`, `nan` or `nan:0xPAYLOAD`"
            ))
        })
    }

    /// The literal's bits in `format`, or why it has none there.
    pub fn bits(&self, format: FloatFormat) -> Result<u64, String> {
        let name = format.ty();
        let fraction_bits = format.significand_bits() - 1;
        let sign = 1u64 << (format.bits() - 1);
        let exponent = ((1u64 << format.exponent_bits()) - 1) << fraction_bits;
        let signed = |negative: bool, bits: u64| if negative { bits | sign } else { bits };
        match self {
            FloatLit::Inf { negative } => Ok(signed(*negative, exponent)),
            FloatLit::Nan { negative, payload } => {
                let quiet = 1u64 << (fraction_bits - 1);
                let payload = payload.unwrap_or(quiet);
                if payload >> fraction_bits != 0 {
                    return Err(format!(
                        "NaN payload {payload:#x} does not fit the {fraction_bits} significand bits of \
                         {name} (at most {:#x})",
                        (1u64 << fraction_bits) - 1
                    ));
                }
                Ok(signed(*negative, exponent | payload))
            }
            FloatLit::Decimal(text) => {
                let (bits, infinite, zero) = match format {
                    FloatFormat::F32 => {
                        text.parse::<f32>().map(|f| (u64::from(f.to_bits()), f.is_infinite(), f == 0.0))
                    }
                    FloatFormat::F64 => text.parse::<f64>().map(|f| (f.to_bits(), f.is_infinite(), f == 0.0)),
                }
                .map_err(|_| format!("malformed float literal `{text}`"))?;
                if infinite {
                    return Err(format!(
                        "`{text}` is too large for {name}: it rounds to infinity (write `inf`)"
                    ));
                }
                if zero && !is_zero(text) {
                    return Err(format!("`{text}` is too small for {name}: it rounds to zero"));
                }
                Ok(bits)
            }
        }
    }
}

impl fmt::Display for FloatLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = |negative: bool| if negative { "-" } else { "" };
        match self {
            FloatLit::Decimal(text) => f.write_str(text),
            FloatLit::Inf { negative } => write!(f, "{}inf", sign(*negative)),
            FloatLit::Nan { negative, payload: None } => write!(f, "{}nan", sign(*negative)),
            FloatLit::Nan { negative, payload: Some(p) } => write!(f, "{}nan:{p:#x}", sign(*negative)),
        }
    }
}

/// The significand of `nan:0xPAYLOAD`; zero would be an infinity.
fn nan_payload(text: &str, payload: &str) -> Result<u64, String> {
    let value = payload
        .strip_prefix("0x")
        .filter(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
        .and_then(|hex| u64::from_str_radix(&hex.replace('_', ""), 16).ok())
        .ok_or_else(|| {
            format!("malformed NaN literal `{text}`: its payload is written `nan:0x` and hex digits")
        })?;
    if value == 0 {
        return Err(format!("`{text}` has payload 0, which is an infinity, not a NaN: write `inf`"));
    }
    Ok(value)
}

/// `DIGITS [. DIGITS] [(e|E) [+|-] DIGITS]`, with a fraction or an exponent.
fn is_decimal(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (text, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa) && exponent.is_some(),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

/// Whether a decimal is zero as written (so rounding to zero is no surprise).
fn is_zero(text: &str) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    !mantissa.contains(|c: char| ('1'..='9').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(text: &str, format: FloatFormat) -> Result<u64, String> {
        FloatLit::parse(text).expect("a float literal")?.bits(format)
    }

    #[test]
    fn integers_and_names_are_not_float_literals() {
        for text in ["1", "-1", "0x3f800000", "-0x1", "x", "nan_x", "info"] {
            assert_eq!(FloatLit::parse(text), None, "{text}");
        }
    }

    #[test]
    fn malformed_literals_say_what_is_wrong() {
        let err = |text: &str| FloatLit::parse(text).expect("a float literal").expect_err(text);
        assert!(err("1.0.0").starts_with("malformed float literal `1.0.0`"));
        assert!(err("1.").starts_with("malformed float literal"));
        assert!(err("1e").starts_with("malformed float literal"));
        assert!(err("-1.5e+").starts_with("malformed float literal"));
        assert!(err("nan:0x0").contains("an infinity, not a NaN"));
        assert!(err("nan:12").starts_with("malformed NaN literal"));
        assert!(err("nan:0x").starts_with("malformed NaN literal"));
        assert!(err("nan:0x1_0000_0000_0000_0000").starts_with("malformed NaN literal"));
        assert!(
            bits("nan:0x800000", FloatFormat::F32).expect_err("too wide").contains("23 significand bits")
        );
        assert!(bits("nan:0x800000", FloatFormat::F64).is_ok());
        assert!(bits("1e39", FloatFormat::F32).expect_err("too large").contains("rounds to infinity"));
        assert!(bits("1e-50", FloatFormat::F32).expect_err("too small").contains("rounds to zero"));
        assert_eq!(bits("0.0e5", FloatFormat::F32), Ok(0));
    }
}
