//! Copy-on-write memory images: the initial contents of a module's memory 0,
//! laid out once in a sealed memfd, so that instantiation maps them
//! private over the start of the new memory instead of copying segments.
//! The first write to a page of the image copies that one page; pages
//! never written stay shared by every instance of the module.
//!
//! An image exists only where mapping it is exactly the same as writing
//! the segments: every active segment has a constant offset and fits in
//! the memory's initial size, so none of them can trap. This module never
//! decides that; it is given the segments that qualify.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

/// The host's page size: the granularity of mappings.
pub fn host_page_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        // SAFETY: sysconf only reads a system constant.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).ok().filter(|s| s.is_power_of_two()).unwrap_or(4096)
    })
}

/// The initial contents of a memory, from `offset` for `len` bytes (both
/// multiples of the host page size); everything else starts zero.
#[derive(Debug)]
pub struct MemoryImage {
    /// The contents; `None` when the segments wrote no byte.
    fd: Option<OwnedFd>,
    offset: usize,
    len: usize,
}

impl MemoryImage {
    /// The image of a memory of `initial` bytes after writing `segments`
    /// `(offset, bytes)` in order (later ones overwrite earlier ones, as
    /// instantiation would); `Ok(None)` when a segment does not fit, and an
    /// error when the memfd cannot be made.
    pub fn new<'a>(
        initial: u64,
        segments: impl Iterator<Item = (u64, &'a [u8])> + Clone,
    ) -> Result<Option<MemoryImage>, String> {
        let page = host_page_size() as u64;
        let (mut start, mut end) = (u64::MAX, 0u64);
        for (offset, bytes) in segments.clone() {
            let Some(last) = offset.checked_add(bytes.len() as u64).filter(|&e| e <= initial) else {
                return Ok(None);
            };
            if !bytes.is_empty() {
                start = start.min(offset);
                end = end.max(last);
            }
        }
        if start >= end {
            return Ok(Some(MemoryImage { fd: None, offset: 0, len: 0 }));
        }
        let start = start / page * page;
        // `initial` is a whole number of Wasm pages, so of host pages too.
        let end = end.div_ceil(page) * page;
        let len = end - start;
        // SAFETY: the name is a NUL-terminated string; the flags are valid.
        let raw = unsafe {
            libc::memfd_create(c"plumb-memory-image".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        };
        if raw < 0 {
            return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let os_error = |what: &str| format!("{what} of a memory image: {}", std::io::Error::last_os_error());
        let size = libc::off_t::try_from(len).map_err(|_| "memory image too large".to_string())?;
        // SAFETY: `fd` is a memfd we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(os_error("ftruncate"));
        }
        for (offset, bytes) in segments {
            let mut done = 0;
            while done < bytes.len() {
                let at =
                    libc::off_t::try_from(offset - start + done as u64).map_err(|_| "offset".to_string())?;
                let rest = &bytes[done..];
                // SAFETY: `rest` is a live buffer of `rest.len()` bytes; `at`
                // plus that length lies within the file (checked above).
                let written = unsafe { libc::pwrite(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len(), at) };
                if written <= 0 {
                    return Err(os_error("pwrite"));
                }
                done += written as usize;
            }
        }
        // Sealed so that the file under every instance's mapping can neither
        // change nor shrink (a shrunk file would make pages of the mapping
        // raise SIGBUS). Private writable mappings stay allowed.
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: `fd` is a memfd made with MFD_ALLOW_SEALING.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(os_error("sealing"));
        }
        Ok(Some(MemoryImage { fd: Some(fd), offset: start as usize, len: len as usize }))
    }

    /// The bytes `[offset, offset + len)` of memory the image covers.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len
    }

    /// Maps the image private over the memory at `base`, replacing what
    /// was there.
    ///
    /// # Safety
    /// `[base + offset, base + offset + len)` must be accessible pages of a
    /// reservation owned by the caller, which nothing else uses meanwhile.
    pub unsafe fn map_at(&self, base: *mut u8) -> Result<(), String> {
        let Some(fd) = &self.fd else { return Ok(()) };
        // SAFETY: per the contract, the range is the caller's own pages;
        // MAP_FIXED replaces them atomically.
        let mapped = unsafe {
            libc::mmap(
                base.add(self.offset).cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                fd.as_raw_fd(),
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            return Err(format!("cannot map a memory image: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Replaces the image mapped at `base` by zero pages, read-write as it
    /// was.
    ///
    /// # Safety
    /// As [`MemoryImage::map_at`]; the image must be mapped there.
    pub unsafe fn unmap_at(&self, base: *mut u8) -> Result<(), String> {
        if self.fd.is_none() {
            return Ok(());
        }
        // SAFETY: per the contract.
        let mapped = unsafe {
            libc::mmap(
                base.add(self.offset).cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            return Err(format!("cannot unmap a memory image: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }
}
