//! Executable memory: code is copied into a fresh read-write mapping, which
//! is then made read-execute. It is never writable and executable at once.

use std::ptr::null_mut;
use std::sync::Arc;

use super::traps::{TrapTable, register_code, unregister_code};

/// A mapping of read-execute machine code, registered for trap lookup while
/// it lives.
#[derive(Debug)]
pub struct CodeMemory {
    ptr: *mut u8,
    /// Length of the mapping.
    len: usize,
    /// Length of the code in it.
    code_len: usize,
    traps: Arc<TrapTable>,
}

// SAFETY: the mapping is immutable once published.
unsafe impl Send for CodeMemory {}
// SAFETY: as above.
unsafe impl Sync for CodeMemory {}

impl CodeMemory {
    /// Publishes `code` with its trap sites.
    pub fn new(code: &[u8], traps: TrapTable) -> Result<CodeMemory, String> {
        let len = code.len().max(1).next_multiple_of(page_size());
        // SAFETY: a fresh private anonymous mapping.
        let ptr = unsafe {
            libc::mmap(
                null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err("cannot map memory for code".to_string());
        }
        let ptr = ptr.cast::<u8>();
        // SAFETY: `ptr` is a writable mapping of at least `code.len()` bytes;
        // afterwards it becomes read-execute and is never written again.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), ptr, code.len());
            if libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                libc::munmap(ptr.cast(), len);
                return Err("cannot make code executable".to_string());
            }
        }
        let traps = Arc::new(traps);
        register_code(ptr as usize, code.len(), Arc::clone(&traps));
        Ok(CodeMemory { ptr, len, code_len: code.len(), traps })
    }

    /// The code, as it was given to [`CodeMemory::new`].
    pub fn code(&self) -> &[u8] {
        // SAFETY: the mapping is readable, holds `code_len` bytes of code and
        // is never written again.
        unsafe { std::slice::from_raw_parts(self.ptr, self.code_len) }
    }

    /// The trap sites of the code.
    pub fn traps(&self) -> &TrapTable {
        &self.traps
    }

    /// The address of the byte at `offset`.
    pub fn at(&self, offset: usize) -> *const u8 {
        self.ptr.wrapping_add(offset)
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        unregister_code(self.ptr as usize);
        // SAFETY: the mapping was made in `new` and is unmapped once.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}
