//! Integer lane operators (spec §4.3.2 "Integer Operations", applied lane
//! by lane by §4.4.3) and the operators that change the lane width:
//! narrowing, extension, extended multiplication, pairwise addition and the
//! dot product.
//!
//! A lane arrives as its bits, zero-extended to `u64`; results may carry
//! bits above the lane width, which `from_lanes` drops (that drop is the
//! spec's "modulo 2^N").

use super::{Half, IShape, from_lanes, lane, signed};

/// Integer lane operators of one operand (spec §4.4.3 `vunop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IUnOp {
    /// `iabs` (spec §4.3.2): the magnitude of the signed lane; `abs(MIN)` is `MIN`.
    Abs,
    /// `ineg` (spec §4.3.2): `0 - x` modulo 2^N.
    Neg,
    /// `ipopcnt` (spec §4.3.2): the number of set bits (`i8x16` only).
    Popcnt,
}

impl IUnOp {
    /// The operator on one `bits`-bit lane.
    pub(super) fn lane(self, bits: u32, x: u64) -> u64 {
        match self {
            IUnOp::Abs => signed(x, bits).unsigned_abs(),
            IUnOp::Neg => x.wrapping_neg(),
            IUnOp::Popcnt => u64::from(x.count_ones()),
        }
    }
}

/// Integer lane operators of two operands (spec §4.4.3 `vbinop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IBinOp {
    /// `iadd` (spec §4.3.2): modulo 2^N.
    Add,
    /// `isub` (spec §4.3.2): modulo 2^N.
    Sub,
    /// `imul` (spec §4.3.2): modulo 2^N.
    Mul,
    /// `iadd_sat_s` (spec §4.3.2): the signed sum, saturated to the signed range.
    AddSatS,
    /// `iadd_sat_u` (spec §4.3.2): the unsigned sum, saturated to the unsigned range.
    AddSatU,
    /// `isub_sat_s` (spec §4.3.2): the signed difference, saturated.
    SubSatS,
    /// `isub_sat_u` (spec §4.3.2): the unsigned difference, saturated (at 0).
    SubSatU,
    /// `imin_s` (spec §4.3.2): the smaller, read signed.
    MinS,
    /// `imin_u` (spec §4.3.2): the smaller, read unsigned.
    MinU,
    /// `imax_s` (spec §4.3.2): the larger, read signed.
    MaxS,
    /// `imax_u` (spec §4.3.2): the larger, read unsigned.
    MaxU,
    /// `iavgr_u` (spec §4.3.2): `(a + b + 1) / 2`, unsigned, without overflow.
    AvgrU,
    /// `iq15mulr_sat_s` (spec §4.3.2): `sat_s((a * b + 2^14) >> 15)`, signed
    /// (`i16x8` only): Q15 fixed-point multiplication, rounded.
    Q15MulrSatS,
}

/// `sat_s` (spec §4.3.2 "Saturation"): `x` clamped to the signed range of `bits` bits.
fn sat_s(bits: u32, x: i128) -> u64 {
    let max = (1i128 << (bits - 1)) - 1;
    x.clamp(-max - 1, max) as u64
}

/// `sat_u` (spec §4.3.2 "Saturation"): `x` clamped to the unsigned range of `bits` bits.
fn sat_u(bits: u32, x: i128) -> u64 {
    x.clamp(0, (1i128 << bits) - 1) as u64
}

impl IBinOp {
    /// The operator on one pair of `bits`-bit lanes.
    pub(super) fn lane(self, bits: u32, a: u64, b: u64) -> u64 {
        // Every value read both ways, wide enough that no sum or product overflows.
        let (sa, sb) = (i128::from(signed(a, bits)), i128::from(signed(b, bits)));
        let (ua, ub) = (i128::from(a), i128::from(b));
        match self {
            IBinOp::Add => a.wrapping_add(b),
            IBinOp::Sub => a.wrapping_sub(b),
            IBinOp::Mul => a.wrapping_mul(b),
            IBinOp::AddSatS => sat_s(bits, sa + sb),
            IBinOp::AddSatU => sat_u(bits, ua + ub),
            IBinOp::SubSatS => sat_s(bits, sa - sb),
            IBinOp::SubSatU => sat_u(bits, ua - ub),
            IBinOp::MinS => {
                if sa <= sb {
                    a
                } else {
                    b
                }
            }
            IBinOp::MinU => a.min(b),
            IBinOp::MaxS => {
                if sa >= sb {
                    a
                } else {
                    b
                }
            }
            IBinOp::MaxU => a.max(b),
            IBinOp::AvgrU => ((ua + ub + 1) / 2) as u64,
            IBinOp::Q15MulrSatS => sat_s(bits, (sa * sb + (1 << 14)) >> 15),
        }
    }
}

/// Integer lane comparisons (spec §4.4.3 `vrelop`, §4.3.2 `ieq` … `ige_u`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IRelOp {
    /// `ieq`.
    Eq,
    /// `ine`.
    Ne,
    /// `ilt_s`.
    LtS,
    /// `ilt_u`.
    LtU,
    /// `igt_s`.
    GtS,
    /// `igt_u`.
    GtU,
    /// `ile_s`.
    LeS,
    /// `ile_u`.
    LeU,
    /// `ige_s`.
    GeS,
    /// `ige_u`.
    GeU,
}

impl IRelOp {
    /// Whether the comparison holds for one pair of `bits`-bit lanes.
    pub(super) fn holds(self, bits: u32, a: u64, b: u64) -> bool {
        let (sa, sb) = (signed(a, bits), signed(b, bits));
        match self {
            IRelOp::Eq => a == b,
            IRelOp::Ne => a != b,
            IRelOp::LtS => sa < sb,
            IRelOp::LtU => a < b,
            IRelOp::GtS => sa > sb,
            IRelOp::GtU => a > b,
            IRelOp::LeS => sa <= sb,
            IRelOp::LeU => a <= b,
            IRelOp::GeS => sa >= sb,
            IRelOp::GeU => a >= b,
        }
    }
}

/// Lane shifts (spec §4.4.3 `vishiftop`, §4.3.2 `ishl`, `ishr_s`, `ishr_u`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShiftOp {
    /// `ishl`: left, zeros shifted in.
    Shl,
    /// `ishr_s`: right, copies of the sign bit shifted in.
    ShrS,
    /// `ishr_u`: right, zeros shifted in.
    ShrU,
}

impl ShiftOp {
    /// One `bits`-bit lane shifted by `count` modulo `bits`.
    pub(super) fn lane(self, bits: u32, x: u64, count: u32) -> u64 {
        let k = count % bits;
        match self {
            ShiftOp::Shl => x << k,
            ShiftOp::ShrS => (signed(x, bits) >> k) as u64,
            ShiftOp::ShrU => x >> k,
        }
    }
}

/// A lane of `bits` bits extended to 64 as `signed` says (spec `extend_s`/`extend_u`).
fn extend_lane(x: u64, bits: u32, signed_lane: bool) -> i128 {
    if signed_lane { i128::from(signed(x, bits)) } else { i128::from(x) }
}

/// The first input lane a widening operator producing `to` reads.
fn first_lane(to: IShape, half: Half) -> usize {
    match half {
        Half::Low => 0,
        Half::High => to.lanes(),
    }
}

/// `narrow` (spec §4.4.3 `to.narrow_from_sx`): the lanes of `a`, then of
/// `b`, each read signed and saturated (`sat_s` or `sat_u`) to the lanes of
/// `to`, half as wide.
pub(super) fn narrow(to: IShape, signed_result: bool, a: u128, b: u128) -> u128 {
    let (bits, half) = (to.bits(), to.lanes() / 2);
    from_lanes(bits, |i| {
        let x = if i < half { lane(a, 2 * bits, i) } else { lane(b, 2 * bits, i - half) };
        let x = i128::from(signed(x, 2 * bits));
        if signed_result { sat_s(bits, x) } else { sat_u(bits, x) }
    })
}

/// `extend` (spec §4.4.3 `to.extend_half_from_sx`): half the lanes of `a`,
/// each extended to the lanes of `to`, twice as wide.
pub(super) fn extend(to: IShape, half: Half, signed_lane: bool, a: u128) -> u128 {
    let (bits, first) = (to.bits(), first_lane(to, half));
    from_lanes(bits, |i| extend_lane(lane(a, bits / 2, first + i), bits / 2, signed_lane) as u64)
}

/// `extmul` (spec §4.4.3 `to.extmul_half_from_sx`): half the lanes of `a` and
/// `b`, extended, multiplied (exactly: the product fits the wider lane).
pub(super) fn extmul(to: IShape, half: Half, signed_lane: bool, a: u128, b: u128) -> u128 {
    let (bits, first) = (to.bits(), first_lane(to, half));
    from_lanes(bits, |i| {
        let x = extend_lane(lane(a, bits / 2, first + i), bits / 2, signed_lane);
        let y = extend_lane(lane(b, bits / 2, first + i), bits / 2, signed_lane);
        (x * y) as u64
    })
}

/// `extadd_pairwise` (spec §4.4.3 `to.extadd_pairwise_from_sx`): lane `i` of
/// the result is the sum of input lanes `2i` and `2i+1`, extended.
pub(super) fn extadd_pairwise(to: IShape, signed_lane: bool, a: u128) -> u128 {
    let bits = to.bits();
    from_lanes(bits, |i| {
        let x = extend_lane(lane(a, bits / 2, 2 * i), bits / 2, signed_lane);
        let y = extend_lane(lane(a, bits / 2, 2 * i + 1), bits / 2, signed_lane);
        (x + y) as u64
    })
}

/// `i32x4.dot_i16x8_s` (spec §4.4.3 `dot`): lane `i` of the result is
/// `a[2i]*b[2i] + a[2i+1]*b[2i+1]` on signed 16-bit lanes, modulo 2^32.
pub(super) fn dot(a: u128, b: u128) -> u128 {
    let product = |j| i128::from(signed(lane(a, 16, j), 16)) * i128::from(signed(lane(b, 16, j), 16));
    from_lanes(32, |i| (product(2 * i) + product(2 * i + 1)) as u64)
}

/// `i16x8.relaxed_dot_i8x16_i7x16_s` as Plumb computes it: lane `i` is
/// `a[2i]*b[2i] + a[2i+1]*b[2i+1]`, every byte signed, modulo 2¹⁶.
pub(super) fn relaxed_dot(a: u128, b: u128) -> u128 {
    let product = |j| signed(lane(a, 8, j), 8) * signed(lane(b, 8, j), 8);
    from_lanes(16, |i| (product(2 * i) + product(2 * i + 1)) as u64)
}

/// `i32x4.relaxed_dot_i8x16_i7x16_add_s` as Plumb computes it: lane `i`
/// is the two 16-bit sums of `relaxed_dot` for bytes `4i..4i+4`,
/// sign-extended and added, plus `c[i]`, modulo 2³².
pub(super) fn relaxed_dot_add(a: u128, b: u128, c: u128) -> u128 {
    let dot = relaxed_dot(a, b);
    let sum16 = |j| signed(lane(dot, 16, j), 16);
    from_lanes(32, |i| (sum16(2 * i) + sum16(2 * i + 1) + signed(lane(c, 32, i), 32)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturating_and_rounding_lane_operators_follow_the_spec() {
        assert_eq!(IBinOp::AddSatS.lane(8, 0x7f, 1), 0x7f);
        assert_eq!(IBinOp::AddSatS.lane(8, 0x80, 0xff), 0xffff_ffff_ffff_ff80, "-128 + -1 stays -128");
        assert_eq!(IBinOp::SubSatU.lane(16, 1, 2), 0);
        assert_eq!(IBinOp::AvgrU.lane(8, 0xff, 0xff), 0xff);
        assert_eq!(IBinOp::Q15MulrSatS.lane(16, 0x8000, 0x8000), 0x7fff, "(-1) * (-1) saturates");
        assert_eq!(IUnOp::Abs.lane(8, 0x80) & 0xff, 0x80, "abs(MIN) is MIN");
        assert_eq!(ShiftOp::ShrS.lane(8, 0x80, 9) & 0xff, 0xc0, "the count is taken modulo 8");
    }
}
