//! `v128` loads and stores (spec §4.4.7 "Memory Instructions"): whole
//! vectors, narrower loads extended or splatted or zero-padded to 128 bits,
//! and single lanes. Bounds are those of every memory access: the effective
//! address `addr + offset` and the bytes touched must lie in the memory.

use super::{IShape, from_lanes, lane, signed, with_lane};
use crate::interp::code::memory_operators;
use crate::interp::exec::{read, write};
use crate::trap::Trap;

memory_operators! {
    /// Loads producing a whole `v128` (`v128.load*`).
    pub enum VectorLoadOp {
        V128Load = "v128.load" (16),
        Load8x8S = "v128.load8x8_s" (8),
        Load8x8U = "v128.load8x8_u" (8),
        Load16x4S = "v128.load16x4_s" (8),
        Load16x4U = "v128.load16x4_u" (8),
        Load32x2S = "v128.load32x2_s" (8),
        Load32x2U = "v128.load32x2_u" (8),
        Load8Splat = "v128.load8_splat" (1),
        Load16Splat = "v128.load16_splat" (2),
        Load32Splat = "v128.load32_splat" (4),
        Load64Splat = "v128.load64_splat" (8),
        Load32Zero = "v128.load32_zero" (4),
        Load64Zero = "v128.load64_zero" (8),
    }
}

/// Reads `n` bytes (at most 16) at `addr + offset` as a little-endian number.
fn read_le(bytes: &[u8], n: u64, addr: u64, offset: u64) -> Result<u128, Trap> {
    Ok(match n {
        1 => u128::from(u8::from_le_bytes(read(bytes, addr, offset)?)),
        2 => u128::from(u16::from_le_bytes(read(bytes, addr, offset)?)),
        4 => u128::from(u32::from_le_bytes(read(bytes, addr, offset)?)),
        8 => u128::from(u64::from_le_bytes(read(bytes, addr, offset)?)),
        _ => u128::from_le_bytes(read(bytes, addr, offset)?),
    })
}

/// `v128.loadMxN_sx`: the `N` lanes of `M` bits read, each extended to `2M` bits.
fn extend(m: u32, signed_lane: bool, data: u128) -> u128 {
    from_lanes(2 * m, |i| {
        let x = lane(data, m, i);
        if signed_lane { signed(x, m) as u64 } else { x }
    })
}

/// `v128.load*` (spec §4.4.7 `exec-load` for `v128.load`, `exec-load-extend`,
/// `exec-load-splat`, `exec-load-zero`).
pub(crate) fn load(bytes: &[u8], op: VectorLoadOp, addr: u64, offset: u64) -> Result<u128, Trap> {
    use VectorLoadOp::*;
    let data = read_le(bytes, op.bytes(), addr, offset)?;
    Ok(match op {
        V128Load | Load32Zero | Load64Zero => data,
        Load8x8S => extend(8, true, data),
        Load8x8U => extend(8, false, data),
        Load16x4S => extend(16, true, data),
        Load16x4U => extend(16, false, data),
        Load32x2S => extend(32, true, data),
        Load32x2U => extend(32, false, data),
        Load8Splat | Load16Splat | Load32Splat | Load64Splat => {
            from_lanes(8 * op.bytes() as u32, |_| data as u64)
        }
    })
}

/// `v128.store` (spec §4.4.7 `exec-store`): the 16 bytes, little-endian.
pub(crate) fn store(bytes: &mut [u8], addr: u64, offset: u64, v: u128) -> Result<(), Trap> {
    write(bytes, addr, offset, &v.to_le_bytes())
}

/// `v128.loadN_lane` (spec §4.4.7 `exec-load-lane`): `v` with lane `l` of
/// `shape` replaced by the `N` bits read.
pub(crate) fn load_lane(
    bytes: &[u8],
    shape: IShape,
    l: u8,
    addr: u64,
    offset: u64,
    v: u128,
) -> Result<u128, Trap> {
    let bits = shape.bits();
    let data = read_le(bytes, u64::from(bits / 8), addr, offset)? as u64;
    Ok(with_lane(v, bits, l, data))
}

/// `v128.storeN_lane` (spec §4.4.7 `exec-store-lane`): lane `l` of `shape`
/// written, little-endian.
pub(crate) fn store_lane(
    bytes: &mut [u8],
    shape: IShape,
    l: u8,
    addr: u64,
    offset: u64,
    v: u128,
) -> Result<(), Trap> {
    let n = (shape.bits() / 8) as usize;
    let data = lane(v, shape.bits(), usize::from(l)).to_le_bytes();
    write(bytes, addr, offset, &data[..n])
}
