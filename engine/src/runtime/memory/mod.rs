//! Linear memories: each reserves its whole 4 GiB index space plus a 4 GiB
//! guard region, so any `i32` address plus any `u32` offset lands either in
//! the accessible pages or in inaccessible ones. Generated code therefore
//! emits no bounds checks; an out-of-bounds access faults and becomes a
//! `MemoryOutOfBounds` trap.
//!
//! A memory may start from a copy-on-write image of its module's data
//! segments (image.rs) instead of having them written.

pub(crate) mod image;
pub(crate) mod pool;

use std::ptr::null_mut;
use std::sync::Arc;

use crate::trap::TrapCode;
use image::MemoryImage;
use pool::PoolSlot;

/// Bytes in a Wasm page.
pub const PAGE_SIZE: u64 = 65536;
/// Most pages a 32-bit memory can have.
pub const MAX_PAGES: u64 = 65536;
/// Virtual address space reserved per memory: 4 GiB of index space plus a
/// 4 GiB guard region covering the largest static offset.
const RESERVATION: usize = 8 << 30;

/// What generated code reads through `vmctx`: the base (fixed for the
/// memory's life) and the current length in bytes.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemory {
    /// First byte of the memory.
    pub base: *mut u8,
    /// Accessible bytes.
    pub len: u64,
}

/// A linear memory.
#[derive(Debug)]
pub struct LinearMemory {
    /// Base and length, boxed so that instances can point at it.
    def: Box<VMMemory>,
    /// Largest size in pages this memory may grow to.
    max_pages: u64,
    /// The maximum it was declared with, if any: import matching compares
    /// it (a declared `max 65536` is not the same type as no maximum,
    /// although both stop growth at the same size).
    declared_max: Option<u64>,
    /// The copy-on-write image mapped over its first pages, if any.
    image: Option<Arc<MemoryImage>>,
    /// The pooling allocator's slot it lives in; `None` for a reservation
    /// of its own.
    slot: Option<PoolSlot>,
    /// Whether its addresses are `i64` (memory64). Such a memory has the
    /// same reservation and the same 4 GiB bound on its size as a 32-bit
    /// one; generated code checks its accesses against its length.
    pub index64: bool,
}

// SAFETY: the mapping is owned by this value alone; access to it is
// synchronised by whoever owns the `LinearMemory` (a `Store`).
unsafe impl Send for LinearMemory {}

impl LinearMemory {
    /// Reserves a memory of `min` pages growing up to `max` pages.
    pub fn new(min: u64, max: Option<u64>) -> Result<LinearMemory, String> {
        let max_pages = max.unwrap_or(MAX_PAGES).min(MAX_PAGES);
        if min > max_pages {
            return Err(format!("memory minimum {min} pages exceeds its maximum {max_pages}"));
        }
        // SAFETY: a fresh anonymous reservation, inaccessible until grown.
        let base = unsafe {
            libc::mmap(
                null_mut(),
                RESERVATION,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err("cannot reserve address space for a linear memory".to_string());
        }
        let mut memory = LinearMemory {
            def: Box::new(VMMemory { base: base.cast(), len: 0 }),
            max_pages,
            declared_max: max,
            image: None,
            slot: None,
            index64: false,
        };
        if memory.grow(min).is_none() {
            return Err(format!("cannot commit {min} pages of linear memory"));
        }
        Ok(memory)
    }

    /// A memory in a slot of the pooling allocator whose first `len` bytes
    /// are accessible (zero, or `image`'s bytes) and the rest inaccessible.
    fn in_slot(
        base: *mut u8,
        len: usize,
        max_pages: u64,
        declared_max: Option<u64>,
        image: Option<Arc<MemoryImage>>,
        slot: PoolSlot,
    ) -> LinearMemory {
        LinearMemory {
            def: Box::new(VMMemory { base, len: len as u64 }),
            max_pages,
            declared_max,
            image,
            slot: Some(slot),
            index64: false,
        }
    }

    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.def.len / PAGE_SIZE
    }

    /// The most pages it can grow to: its declared maximum, or the whole
    /// 32-bit index space.
    pub fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// The maximum in pages the memory was declared with, if any.
    pub fn declared_max(&self) -> Option<u64> {
        self.declared_max
    }

    /// Grows by `delta` pages, returning the old size in pages, or `None`
    /// (leaving the memory unchanged) past the maximum.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta).filter(|&n| n <= self.max_pages)?;
        if delta > 0 {
            let new_len = (new * PAGE_SIZE) as usize;
            // SAFETY: `[base, base + new_len)` lies within the reservation.
            let ok = unsafe {
                libc::mprotect(self.def.base.cast(), new_len, libc::PROT_READ | libc::PROT_WRITE) == 0
            };
            if !ok {
                return None;
            }
            self.def.len = new_len as u64;
        }
        Some(old)
    }

    /// The accessible bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: `len` bytes from `base` are mapped read-write.
        unsafe { std::slice::from_raw_parts(self.def.base, self.def.len as usize) }
    }

    /// The accessible bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as `data`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.len as usize) }
    }

    /// Where generated code finds base and length.
    pub fn vm_memory(&mut self) -> *mut VMMemory {
        &mut *self.def
    }

    /// Makes the memory's contents `image`, which must fit in its current
    /// size. The memory must be as new (all zero) or hold `image` already
    /// (then nothing is done).
    pub fn install_image(&mut self, image: &Arc<MemoryImage>) -> Result<(), String> {
        if self.image.as_ref().is_some_and(|mine| Arc::ptr_eq(mine, image)) {
            return Ok(());
        }
        self.clear_image()?;
        if image.range().end as u64 > self.def.len {
            return Err("a memory image larger than its memory".to_string());
        }
        // SAFETY: the image's range is accessible pages of this memory's
        // reservation (checked just above), which `&mut self` owns.
        unsafe { image.map_at(self.def.base)? };
        self.image = Some(Arc::clone(image));
        Ok(())
    }

    /// Replaces the mapped image, if any, by zero pages.
    pub fn clear_image(&mut self) -> Result<(), String> {
        if let Some(image) = self.image.take() {
            // SAFETY: the image is mapped at `base` within the accessible
            // pages (it was when installed, and memories never shrink).
            unsafe { image.unmap_at(self.def.base)? };
        }
        Ok(())
    }

    /// Copies `bytes` to `offset`, or fails out of bounds (data segments,
    /// `memory.init`).
    pub fn write(&mut self, offset: u64, bytes: &[u8]) -> Result<(), TrapCode> {
        let start = usize::try_from(offset).map_err(|_| TrapCode::MemoryOutOfBounds)?;
        let end = start.checked_add(bytes.len()).ok_or(TrapCode::MemoryOutOfBounds)?;
        self.data_mut().get_mut(start..end).ok_or(TrapCode::MemoryOutOfBounds)?.copy_from_slice(bytes);
        Ok(())
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        match self.slot.take() {
            Some(slot) => slot.release(self.def.len as usize, self.image.take()),
            // SAFETY: the reservation was made in `new` and is unmapped once.
            None => unsafe {
                libc::munmap(self.def.base.cast(), RESERVATION);
            },
        }
    }
}
