//! The memory slots of the pooling allocator: one reservation, made when
//! the engine is, of `total_memories` slots of 8 GiB each (the 4 GiB index
//! space and the 4 GiB guard region of an on-demand memory), so that taking
//! a memory maps nothing and returning it unmaps nothing.
//!
//! A returned slot is reset at once: `madvise(MADV_DONTNEED)` over its
//! accessible pages (anonymous pages read zero again, pages of an image
//! read the image's bytes again) and `mprotect(PROT_NONE)` over what the
//! memory grew past its initial size. The slot remembers its image and the
//! size left accessible, so the next instance of the same module takes it
//! as it is; any other memory first has the image replaced by zero pages
//! and the accessible size set to its own initial size. No slot is handed
//! out with a byte of an earlier instance in it, nor with accessible pages
//! past its memory's size.

use std::sync::{Arc, Mutex};

use super::image::MemoryImage;
use super::{LinearMemory, MAX_PAGES, PAGE_SIZE, RESERVATION};

/// A free slot and the state its last memory left it in.
#[derive(Debug)]
struct FreeSlot {
    index: usize,
    /// Bytes from the slot's start that are read-write (and zero, or the
    /// image's bytes).
    accessible: usize,
    /// The image mapped over its start, if any.
    image: Option<Arc<MemoryImage>>,
}

/// The memory slots of a pooling allocator.
#[derive(Debug)]
pub struct MemoryPool {
    base: *mut u8,
    slots: usize,
    /// Largest size a memory may have in a slot, in bytes.
    max_bytes: u64,
    free: Mutex<Vec<FreeSlot>>,
}

// SAFETY: the reservation is only touched through slots, each owned by one
// `LinearMemory` at a time or by the free list behind its mutex.
unsafe impl Send for MemoryPool {}
// SAFETY: as above.
unsafe impl Sync for MemoryPool {}

/// What a pooled memory holds to give its slot back.
#[derive(Debug)]
pub struct PoolSlot {
    pool: Arc<MemoryPool>,
    index: usize,
    /// The memory's initial size in bytes: what stays accessible once the
    /// slot is returned.
    initial: usize,
}

impl MemoryPool {
    /// Reserves `slots` slots for memories of at most `max_bytes` bytes.
    pub fn new(slots: usize, max_bytes: u64) -> Result<MemoryPool, String> {
        let size = slots
            .checked_mul(RESERVATION)
            .ok_or_else(|| format!("{slots} memory slots of 8 GiB do not fit in the address space"))?;
        let base = if size == 0 {
            std::ptr::null_mut()
        } else {
            // SAFETY: a fresh anonymous reservation, inaccessible until a
            // slot's pages are made accessible.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    size,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Err(format!(
                    "cannot reserve {} GiB of address space for {slots} memory slots \
                     (PoolingAllocationConfig::total_memories)",
                    size >> 30
                ));
            }
            base.cast()
        };
        let free = (0..slots).rev().map(|index| FreeSlot { index, accessible: 0, image: None }).collect();
        Ok(MemoryPool {
            base,
            slots,
            max_bytes: max_bytes.min(MAX_PAGES * PAGE_SIZE),
            free: Mutex::new(free),
        })
    }

    fn slot_base(&self, index: usize) -> *mut u8 {
        // SAFETY: `index < slots`, so the offset stays in the reservation.
        unsafe { self.base.add(index * RESERVATION) }
    }

    /// A memory of `min` pages growing up to `max` pages (and no further
    /// than the pool's `max_memory_size`), in a free slot: preferably one
    /// that already holds `image`.
    pub fn take(
        self: &Arc<MemoryPool>,
        min: u64,
        max: Option<u64>,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<LinearMemory, String> {
        let max_pages = max.unwrap_or(MAX_PAGES).min(MAX_PAGES).min(self.max_bytes / PAGE_SIZE);
        if min > max.unwrap_or(MAX_PAGES).min(MAX_PAGES) {
            return Err(format!("memory minimum {min} pages exceeds its maximum"));
        }
        if min > max_pages {
            return Err(format!(
                "a memory of {min} pages is larger than the pooling allocator's max_memory_size of {} bytes",
                self.max_bytes
            ));
        }
        let mut slot = {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            let holds = |s: &FreeSlot| matches!((&s.image, image), (Some(a), Some(b)) if Arc::ptr_eq(a, b));
            let at = free
                .iter()
                .rposition(holds)
                .or_else(|| free.iter().rposition(|s| s.image.is_none()))
                .or(free.len().checked_sub(1))
                .ok_or_else(|| {
                    format!(
                        "all {} memory slots of the pooling allocator are in use \
                         (PoolingAllocationConfig::total_memories)",
                        self.slots
                    )
                })?;
            free.swap_remove(at)
        };
        let initial = (min * PAGE_SIZE) as usize;
        match self.prepare(&mut slot, initial, image) {
            Ok(()) => {
                let pool = PoolSlot { pool: Arc::clone(self), index: slot.index, initial };
                let base = self.slot_base(slot.index);
                Ok(LinearMemory::in_slot(base, initial, max_pages, max, slot.image, pool))
            }
            Err(e) => {
                self.reset(slot.index);
                Err(e)
            }
        }
    }

    /// Makes `slot` hold zero pages (or `image`'s, if it holds that image
    /// already) over exactly `initial` accessible bytes.
    fn prepare(
        &self,
        slot: &mut FreeSlot,
        initial: usize,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<(), String> {
        let base = self.slot_base(slot.index);
        let keep = matches!((&slot.image, image), (Some(mine), Some(wanted)) if Arc::ptr_eq(mine, wanted));
        if !keep && let Some(old) = slot.image.take() {
            // SAFETY: the image is mapped at the slot's start within its
            // accessible pages, and the slot is ours alone.
            unsafe { old.unmap_at(base)? };
        }
        let protect = |from: usize, to: usize, prot| {
            // SAFETY: `[from, to)` lies in this slot's reservation.
            let ok = unsafe { libc::mprotect(base.add(from).cast(), to - from, prot) == 0 };
            if ok {
                Ok(())
            } else {
                Err(format!("mprotect of a memory slot: {}", std::io::Error::last_os_error()))
            }
        };
        if slot.accessible < initial {
            protect(slot.accessible, initial, libc::PROT_READ | libc::PROT_WRITE)?;
        } else if slot.accessible > initial {
            protect(initial, slot.accessible, libc::PROT_NONE)?;
        }
        slot.accessible = initial;
        Ok(())
    }

    /// Returns slot `index` to the pool as it was when the pool was made
    /// (inaccessible, no image), or leaves it out of the pool for good if
    /// even that fails.
    fn reset(&self, index: usize) {
        // SAFETY: MAP_FIXED over this slot alone, which nothing uses now.
        let mapped = unsafe {
            libc::mmap(
                self.slot_base(index).cast(),
                RESERVATION,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            self.give_back(FreeSlot { index, accessible: 0, image: None });
        }
    }

    fn give_back(&self, slot: FreeSlot) {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).push(slot);
    }
}

impl PoolSlot {
    /// Resets the slot of a memory of `len` accessible bytes holding
    /// `image`, and returns it to the pool.
    pub fn release(self, len: usize, image: Option<Arc<MemoryImage>>) {
        let pool = &self.pool;
        let base = pool.slot_base(self.index);
        // SAFETY: `[base, base + len)` are the accessible pages of this
        // slot, whose memory is being dropped.
        let zeroed = unsafe { libc::madvise(base.cast(), len, libc::MADV_DONTNEED) == 0 };
        let initial = self.initial.min(len);
        // SAFETY: as above; `[initial, len)` are the pages it grew by.
        let closed = len == initial
            || unsafe { libc::mprotect(base.add(initial).cast(), len - initial, libc::PROT_NONE) == 0 };
        if zeroed && closed {
            pool.give_back(FreeSlot { index: self.index, accessible: initial, image });
        } else {
            pool.reset(self.index);
        }
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        if !self.base.is_null() {
            // SAFETY: the reservation made in `new`; every slot's memory
            // holds the pool alive, so none is in use now.
            unsafe {
                libc::munmap(self.base.cast(), self.slots * RESERVATION);
            }
        }
    }
}
