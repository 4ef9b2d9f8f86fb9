//! What the agreement tests share: a deterministic generator and the
//! float edge values (bit patterns) that every float test starts from.

#![allow(dead_code)]

/// Deterministic xorshift64*, so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// `f32` edges: ±0, ±1, ±inf, NaNs (quiet, signalling, with payloads),
/// subnormals, normal bounds, halves, and the integer conversion bounds.
pub fn f32_edges() -> Vec<u64> {
    [
        0u32,
        0x8000_0000, // +-0
        0x3f80_0000,
        0xbf80_0000, // +-1
        0x7f80_0000,
        0xff80_0000, // +-inf
        0x7fc0_0000,
        0xffc0_0000,
        0x7fa0_0001,
        0xffc0_0123,
        0x7f80_0001, // NaNs
        1,
        0x8000_0001,
        0x007f_ffff,
        0x0080_0000,
        0x7f7f_ffff,
        0xff7f_ffff, // subnormal, normal bounds
        0x3f00_0000,
        0x3fc0_0000,
        0x4020_0000,
        0xbf00_0000,
        0xbfc0_0000,
        0xbf7f_ffff, // halves
        0x4f00_0000,
        0xcf00_0000,
        0x4eff_ffff,
        0xcf00_0001,
        0x4f80_0000,
        0x4f7f_ffff, // 2^31, 2^32
        0x5f00_0000,
        0xdf00_0000,
        0x5eff_ffff,
        0xdf00_0001,
        0x5f80_0000,
        0x5f7f_ffff, // 2^63, 2^64
    ]
    .into_iter()
    .map(u64::from)
    .collect()
}

/// `f64` edges, as [`f32_edges`] plus `f32`'s rounding boundaries.
pub fn f64_edges() -> Vec<u64> {
    vec![
        0,
        0x8000_0000_0000_0000,
        0x3ff0_0000_0000_0000,
        0xbff0_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0xfff8_0000_0000_0000,
        0x7ff4_0000_0000_0001,
        0xfff8_0000_0000_0123,
        0x7ff0_0000_0000_0001,
        1,
        0x8000_0000_0000_0001,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x7fef_ffff_ffff_ffff,
        0x3fe0_0000_0000_0000,
        0x3ff8_0000_0000_0000,
        0x4004_0000_0000_0000,
        0xbfe0_0000_0000_0000,
        0xbfef_ffff_ffff_ffff,
        0x41e0_0000_0000_0000, // 2^31
        0x41df_ffff_ffc0_0000, // 2^31 - 1
        0xc1e0_0000_0000_0000, // -2^31
        0xc1e0_0000_0020_0000, // -2^31 - 1
        0xc1e0_0000_0010_0000, // -2^31 - 0.5
        0x41f0_0000_0000_0000, // 2^32
        0x41ef_ffff_ffe0_0000, // 2^32 - 1
        0x43e0_0000_0000_0000, // 2^63
        0x43df_ffff_ffff_ffff,
        0xc3e0_0000_0000_0000, // -2^63
        0xc3e0_0000_0000_0001,
        0x43f0_0000_0000_0000, // 2^64
        0x43ef_ffff_ffff_ffff,
        0x3810_0000_0000_0000, // below f32's normal range
        0x47ef_ffff_e000_0000, // f32::MAX rounding boundary
        0x36a0_0000_0000_0000, // f32 min subnormal
    ]
}
