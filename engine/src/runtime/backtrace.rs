//! Wasm backtraces of traps: which functions were on the stack, and where.
//!
//! Every function is compiled with frame pointers (Cranelift's
//! `preserve_frame_pointers`) and a source location, its module byte
//! offset, on every instruction. When a guest faults, the signal handler
//! walks the frame-pointer chain from the faulting frame while the return
//! addresses lie in registered code, writing the program counters to a
//! fixed thread-local buffer (no allocation: it runs in a signal handler).
//! Back in the host, [`take`] turns them into [`FrameInfo`]s through the
//! code registry: the function whose span holds each pc, its name from the
//! name section, and the byte offset of the Wasm instruction.
//!
//! Libcalls and host functions never trap from Rust frames (which need not
//! keep a frame pointer): they return a status, and their call site in
//! generated code traps, so their traps have backtraces too.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_void;

/// One frame of a trap's Wasm call stack, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    /// The function's index in its module's function index space.
    pub func_index: u32,
    /// Its name from the module's name section, if there is one.
    pub func_name: Option<String>,
    /// The byte offset, from the start of the module, of the instruction
    /// that trapped (innermost frame) or made the call (the others).
    pub module_offset: Option<usize>,
}

/// A defined function's code within its module's code memory, with the
/// Wasm byte offset of each run of instructions.
#[derive(Debug, Clone, Default)]
pub struct FuncSpan {
    /// First byte, from the start of the code memory.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// Index in the function index space.
    pub index: u32,
    /// Name from the name section.
    pub name: Option<String>,
    /// (code offset from `start`, module byte offset), sorted.
    pub srclocs: Vec<(u32, u32)>,
}

impl FuncSpan {
    /// The frame of code at `offset` (from the code memory's start).
    pub fn frame(&self, offset: u32) -> FrameInfo {
        let within = offset - self.start;
        let at = self.srclocs.partition_point(|&(o, _)| o <= within).checked_sub(1);
        FrameInfo {
            func_index: self.index,
            func_name: self.name.clone(),
            module_offset: at.map(|i| self.srclocs[i].1 as usize),
        }
    }
}

/// Most frames recorded per trap.
pub const MAX_FRAMES: usize = 128;

thread_local! {
    /// The program counters of the last trap's Wasm frames.
    static PCS: UnsafeCell<[usize; MAX_FRAMES]> = const { UnsafeCell::new([0; MAX_FRAMES]) };
    /// How many of `PCS` the last trap recorded.
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

/// Records the frames of a fault at `pc` with frame pointer `fp`, while the
/// return addresses satisfy `in_code`. Called from the signal handler: no
/// allocation, no lock.
///
/// # Safety
/// `fp` must be the frame pointer of the faulting generated code, whose
/// frames all keep a frame pointer chain.
pub unsafe fn record(pc: usize, mut fp: usize, in_code: impl Fn(usize) -> bool) {
    PCS.with(|pcs| {
        // SAFETY: only this thread touches its buffer, and not re-entrantly
        // (a fault inside the handler is not a guest fault).
        let pcs = unsafe { &mut *pcs.get() };
        let mut n = 0;
        pcs[n] = pc;
        n += 1;
        while n < MAX_FRAMES && fp != 0 && fp.is_multiple_of(8) {
            // SAFETY: `fp` is a frame of generated code (per the contract
            // for the first, then checked through `in_code` for each next).
            let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
            if !in_code(ret) {
                break;
            }
            // The call instruction ends just before the return address.
            pcs[n] = ret - 1;
            n += 1;
            if next <= fp {
                break;
            }
            fp = next;
        }
        COUNT.with(|c| c.set(n));
    });
}

/// The frame pointer at the fault.
///
/// # Safety
/// `context` must be the `ucontext_t` the kernel passed to the handler.
pub unsafe fn frame_pointer(context: *mut c_void) -> usize {
    let context = context.cast::<libc::ucontext_t>();
    // SAFETY: per the function's contract.
    unsafe {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        return (*context).uc_mcontext.gregs[libc::REG_RBP as usize] as usize;
        #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
        return (*context).uc_mcontext.regs[29] as usize;
    }
}

/// The frames the last trap recorded, symbolized with `frame_at` (which
/// finds the function span holding a pc); clears the record.
pub fn take(frame_at: impl Fn(usize) -> Option<FrameInfo>) -> Vec<FrameInfo> {
    let n = COUNT.with(|c| c.replace(0));
    PCS.with(|pcs| {
        // SAFETY: this thread's buffer, not being written now.
        let pcs = unsafe { &*pcs.get() };
        pcs[..n.min(MAX_FRAMES)].iter().filter_map(|&pc| frame_at(pc)).collect()
    })
}
