//! Turning faults in generated code into [`TrapCode`]s returned to the host.
//!
//! Generated code is entered through [`catch_traps`], which publishes a jump
//! buffer in a thread-local. A trap instruction, an access to a guard page or
//! a stack-limit check raises a signal; the handler looks the faulting
//! program counter up in the [registry](register_code) of compiled code and,
//! when it is a known trap site, records its code and jumps back to
//! `catch_traps`. Libcalls and host calls that must trap return a status, and
//! their call site in generated code traps.
//! Signals from anywhere else go to the handler that was installed before.
//!
//! This module must never let a fault in guest code crash the host, and must
//! never swallow a fault that is not the guest's.

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicPtr, AtomicUsize};
use std::sync::{Arc, Mutex, OnceLock};

use super::backtrace::{self, FrameInfo, FuncSpan};
use crate::trap::TrapCode;

unsafe extern "C" {
    fn plumb_catch_traps(
        body: extern "C" fn(*mut c_void),
        data: *mut c_void,
        slot: *mut *mut c_void,
    ) -> c_int;
    fn plumb_unwind(buf: *mut c_void) -> !;
}

thread_local! {
    /// The innermost active jump buffer of this thread, or null.
    static JUMP_BUFFER: Cell<*mut c_void> = const { Cell::new(null_mut()) };
    /// The trap being raised, set just before jumping.
    static PENDING: Cell<Option<TrapCode>> = const { Cell::new(None) };
    /// Whether this thread has an alternate signal stack.
    static ALT_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Trap sites of one piece of compiled code, and its functions for
/// backtraces: offsets from its start.
#[derive(Debug, Default)]
pub struct TrapTable {
    /// (code offset, trap code), sorted by offset.
    pub sites: Vec<(u32, TrapCode)>,
    /// The defined functions, sorted by start (trampolines are not among
    /// them).
    pub funcs: Vec<FuncSpan>,
}

impl TrapTable {
    fn lookup(&self, offset: u32) -> Option<TrapCode> {
        self.sites.binary_search_by_key(&offset, |&(o, _)| o).ok().map(|i| self.sites[i].1)
    }

    /// The Wasm frame of the code at `offset`, if a function's.
    fn frame(&self, offset: u32) -> Option<FrameInfo> {
        let i = self.funcs.partition_point(|f| f.start <= offset).checked_sub(1)?;
        let span = &self.funcs[i];
        (offset < span.end).then(|| span.frame(offset))
    }
}

/// One piece of registered code: `[start, end)` and its trap sites.
#[derive(Clone)]
struct CodeRange {
    start: usize,
    end: usize,
    traps: Arc<TrapTable>,
}

/// The code registry, readable from a signal handler without locks.
///
/// Writers (code being published or unmapped) take `ranges`, a mutex, and
/// publish an immutable sorted copy of it in one of two slots. Readers (the
/// signal handler) never block and never fail: they announce themselves in
/// the reader count of the current slot, check that it is still current,
/// and search its copy. A writer fills the slot that is not current, makes
/// it current, then waits for the readers of the previous slot to leave
/// before freeing its copy: a copy is freed only when no reader can reach
/// it. This is read-copy-update with two generations, built on sequentially
/// consistent atomics; the handler makes no system call and takes no lock,
/// so it is async-signal-safe. (The registry used to be an `RwLock` that
/// the handler tried 1,000 times: a writer waiting for the lock blocked new
/// readers, and a guest's fault then counted as not ours.)
struct Registry {
    ranges: Mutex<Vec<CodeRange>>,
    slots: [AtomicPtr<Vec<CodeRange>>; 2],
    readers: [AtomicUsize; 2],
    current: AtomicUsize,
}

static REGISTRY: Registry = Registry {
    ranges: Mutex::new(Vec::new()),
    slots: [AtomicPtr::new(null_mut()), AtomicPtr::new(null_mut())],
    readers: [AtomicUsize::new(0), AtomicUsize::new(0)],
    current: AtomicUsize::new(0),
};

impl Registry {
    /// Changes the ranges with `change` and publishes the result.
    fn update(&self, change: impl FnOnce(&mut Vec<CodeRange>)) {
        let mut ranges = self.ranges.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut ranges);
        let previous = self.current.load(SeqCst);
        let next = 1 - previous;
        // The slot that is not current has no readers left (the previous
        // writer drained it) and no copy (the previous writer freed it).
        let copy = Box::into_raw(Box::new(ranges.clone()));
        let stale = self.slots[next].swap(copy, SeqCst);
        self.current.store(next, SeqCst);
        // A reader that announced itself on `previous` before the switch may
        // still be searching its copy; once the count is zero, any later
        // reader of `previous` sees that it is no longer current and retries.
        while self.readers[previous].load(SeqCst) != 0 {
            std::thread::yield_now();
        }
        let old = self.slots[previous].swap(null_mut(), SeqCst);
        for copy in [stale, old] {
            if !copy.is_null() {
                // SAFETY: made by `Box::into_raw` above, unreachable by
                // readers (its slot is not current and has no readers).
                drop(unsafe { Box::from_raw(copy) });
            }
        }
    }

    /// `found` of the registered range holding `pc` and of `pc`'s offset
    /// in it, from the current copy. Lock-free: it retries only when a
    /// writer switched slots in between.
    fn with_range<R>(&self, pc: usize, found: impl Fn(&CodeRange, u32) -> Option<R>) -> Option<R> {
        loop {
            let slot = self.current.load(SeqCst);
            self.readers[slot].fetch_add(1, SeqCst);
            if self.current.load(SeqCst) != slot {
                self.readers[slot].fetch_sub(1, SeqCst);
                continue;
            }
            let copy = self.slots[slot].load(SeqCst);
            // SAFETY: the slot is current and we are counted among its
            // readers, so no writer frees its copy until we leave.
            let found = unsafe { copy.as_ref() }.and_then(|ranges| {
                let i = ranges.partition_point(|r| r.start <= pc).checked_sub(1)?;
                let range = &ranges[i];
                if pc < range.end { found(range, (pc - range.start) as u32) } else { None }
            });
            self.readers[slot].fetch_sub(1, SeqCst);
            return found;
        }
    }
}

/// Records that `[start, start + len)` is generated code with these trap sites.
pub fn register_code(start: usize, len: usize, traps: Arc<TrapTable>) {
    REGISTRY.update(|ranges| {
        let at = ranges.partition_point(|r| r.start < start);
        ranges.insert(at, CodeRange { start, end: start + len, traps });
    });
}

/// Forgets the code starting at `start`. When it returns, no signal handler
/// is looking at the code's trap table, so its memory may be unmapped.
pub fn unregister_code(start: usize) {
    REGISTRY.update(|ranges| ranges.retain(|r| r.start != start));
}

/// The trap at program counter `pc`, if `pc` is a trap site of generated
/// code. Called from the signal handler: it never blocks and never fails
/// for want of a lock.
fn trap_at(pc: usize) -> Option<TrapCode> {
    REGISTRY.with_range(pc, |range, offset| range.traps.lookup(offset))
}

/// Whether `pc` lies in registered generated code (signal-safe, as above).
fn in_code(pc: usize) -> bool {
    REGISTRY.with_range(pc, |_, _| Some(())).is_some()
}

/// The Wasm frames of the last trap on this thread, innermost first.
pub fn take_backtrace() -> Vec<FrameInfo> {
    backtrace::take(|pc| REGISTRY.with_range(pc, |range, offset| range.traps.frame(offset)))
}

/// Runs `body` (which enters generated code) and returns the trap that
/// ended it early, if any.
pub fn catch_traps<F: FnOnce()>(body: F) -> Result<(), TrapCode> {
    // The signal handlers are in place: every engine installed them
    // (Engine::new fails otherwise), and generated code needs an engine.
    ensure_alt_stack();
    extern "C" fn call<F: FnOnce()>(data: *mut c_void) {
        // SAFETY: `data` is the `Option<F>` below, alive for this call.
        let body = unsafe { &mut *data.cast::<Option<F>>() };
        if let Some(body) = body.take() {
            body();
        }
    }
    let mut body = Some(body);
    let slot = JUMP_BUFFER.with(Cell::as_ptr);
    // SAFETY: the shim calls `call::<F>` with `data` and publishes its jump
    // buffer in this thread's slot, restoring the previous one on return.
    let trapped = unsafe { plumb_catch_traps(call::<F>, (&raw mut body).cast(), slot) };
    if trapped == 0 { Ok(()) } else { Err(PENDING.with(Cell::take).unwrap_or(TrapCode::HostError)) }
}

const SIGNALS: [c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The handlers that were installed before ours, to chain to.
static PREVIOUS: OnceLock<[libc::sigaction; 4]> = OnceLock::new();

/// Installs the signal handlers that turn faults in generated code into
/// traps, once per process. Fails, naming the signal, when the process
/// refuses a handler: a sanitizer runtime may keep a signal to itself
/// (AddressSanitizer with `handle_segv=2` or `allow_user_segv_handler=0`, as
/// ClusterFuzz runs it), and without the handler a guest's trap would crash
/// the host.
pub fn install_handlers() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let ours = handle_signal as *const () as usize;
            // SAFETY: plain sigaction calls with zero-initialised structs.
            let previous = SIGNALS.map(|signal| unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = ours;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(signal, &action, &mut old);
                old
            });
            let _ = PREVIOUS.set(previous);
            for signal in SIGNALS {
                if current_action(signal).sa_sigaction != ours {
                    return Err(format!(
                        "the {} handler that turns faults of guest code into traps could not be installed \
                         (something in this process keeps the signal to itself; under AddressSanitizer set \
                         ASAN_OPTIONS=allow_user_segv_handler=1:handle_segv=1:handle_sigbus=1:handle_sigill=1:handle_sigfpe=1)",
                        signal_name(signal)
                    ));
                }
            }
            Ok(())
        })
        .clone()
}

/// The action installed for `signal`; zeroed (`SIG_DFL`) when a runtime
/// that intercepts sigaction refuses to tell.
fn current_action(signal: c_int) -> libc::sigaction {
    // SAFETY: reads the current action into a zeroed struct.
    unsafe {
        let mut now: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, null_mut(), &mut now);
        now
    }
}

fn signal_name(signal: c_int) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        _ => "SIGFPE",
    }
}

/// The machine stack pointer of the caller, for the stack limit of
/// generated code. Not the address of a local: instrumentation may place
/// locals elsewhere (AddressSanitizer's use-after-return mode moves them to
/// a heap-allocated fake stack), far from the stack generated code runs on.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads a register, touches no memory.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags));
        #[cfg(target_arch = "aarch64")]
        std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Gives this thread an alternate signal stack, so the handler can run even
/// when the fault is a stack overflow.
fn ensure_alt_stack() {
    if ALT_STACK.with(Cell::get) {
        return;
    }
    const SIZE: usize = 256 * 1024;
    // SAFETY: a fresh private mapping; it is leaked on purpose, as the
    // thread may take a signal at any point until it exits.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        libc::sigaltstack(null_mut(), &mut current);
        if current.ss_flags & libc::SS_DISABLE == 0 && current.ss_size >= SIZE {
            ALT_STACK.with(|a| a.set(true));
            return;
        }
        let stack = libc::mmap(
            null_mut(),
            SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if stack == libc::MAP_FAILED {
            return;
        }
        let alt = libc::stack_t { ss_sp: stack, ss_flags: 0, ss_size: SIZE };
        if libc::sigaltstack(&alt, null_mut()) == 0 {
            ALT_STACK.with(|a| a.set(true));
        }
    }
}

/// The program counter at the fault.
///
/// # Safety
/// `context` must be the `ucontext_t` the kernel passed to the handler.
unsafe fn faulting_pc(context: *mut c_void) -> usize {
    let context = context.cast::<libc::ucontext_t>();
    // SAFETY: per the function's contract.
    unsafe {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        return (*context).uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
        #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
        return (*context).uc_mcontext.pc as usize;
    }
}

extern "C" fn handle_signal(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let buf = JUMP_BUFFER.with(Cell::get);
    if !buf.is_null() {
        // SAFETY: the kernel passes a valid context to an SA_SIGINFO handler.
        let pc = unsafe { faulting_pc(context) };
        if let Some(code) = trap_at(pc) {
            PENDING.with(|p| p.set(Some(code)));
            // SAFETY: the fault is in generated code, which keeps frame
            // pointers; the walk stops at the first return address outside it.
            unsafe { backtrace::record(pc, backtrace::frame_pointer(context), in_code) };
            // SAFETY: `buf` belongs to the `catch_traps` that entered the
            // generated code which faulted; the skipped frames are that code.
            unsafe { plumb_unwind(buf) }
        }
    }
    chain(signal, info, context);
}

/// Passes a signal that is not a guest trap to the previous handler, or
/// restores the default action so that the fault, re-executed, is fatal.
fn chain(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let Some(index) = SIGNALS.iter().position(|&s| s == signal) else { return };
    let Some(previous) = PREVIOUS.get().map(|p| p[index]) else { return };
    // SAFETY: calling or reinstating the handler that was registered before
    // ours, with the arguments the kernel gave us.
    unsafe {
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                std::mem::transmute(previous.sa_sigaction);
            handler(signal, info, context);
        } else if previous.sa_sigaction == libc::SIG_DFL || previous.sa_sigaction == libc::SIG_IGN {
            libc::sigaction(signal, &previous, null_mut());
        } else {
            let handler: extern "C" fn(c_int) = std::mem::transmute(previous.sa_sigaction);
            handler(signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_pointer_is_on_this_threads_stack() {
        let local = 0u8;
        let here = std::hint::black_box(&local) as *const u8 as usize;
        let sp = stack_pointer();
        // The stack grows down: the stack pointer is below this frame's
        // local, within a frame's size.
        assert!(sp < here && here - sp < 64 * 1024, "sp {sp:#x}, local at {here:#x}");
    }

    #[test]
    fn handlers_are_installed_and_are_ours() {
        install_handlers().expect("a plain test process accepts the handlers");
        for signal in SIGNALS {
            let now = current_action(signal);
            assert_eq!(now.sa_sigaction, handle_signal as *const () as usize, "{}", signal_name(signal));
        }
    }
}
