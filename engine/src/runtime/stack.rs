//! Where guest code must stop using the native stack.
//!
//! Guest code runs on the stack of the thread that calls it. Cranelift's
//! prologue check traps (`call stack exhausted`) when a frame would go
//! below `VMLimits::stack_limit`, which the outermost host-to-Wasm call sets
//! to [`guest_stack_limit`]: `Config::max_wasm_stack` below the current
//! stack pointer, but never closer than [`HOST_STACK_RESERVE`] to the end
//! of the thread's real stack, read from the OS. On a thread with a small
//! stack the guest gets less than `max_wasm_stack`, and still traps rather
//! than running into the guard page.

use std::cell::Cell;

/// Native stack kept free below the guest's limit for what guest code
/// calls on the same stack: libcalls, host functions (WASI among them) and
/// the signal handler's entry (the handler itself runs on an alternate
/// stack). A host function that needs more stack than this, called when
/// the guest is at its limit, can still overflow the thread's stack.
pub const HOST_STACK_RESERVE: usize = 64 * 1024;

thread_local! {
    /// The lowest usable address of this thread's stack, once read.
    static STACK_LOW: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The lowest address of the calling thread's stack (its guard page
/// excluded), from `pthread_getattr_np`; `None` if the OS does not say.
fn stack_low() -> Option<usize> {
    if let Some(low) = STACK_LOW.with(Cell::get) {
        return Some(low);
    }
    // SAFETY: `attr` is initialised by pthread_getattr_np before it is read
    // and destroyed once; the out-pointers are valid locals.
    let low = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let mut guard: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0
            && libc::pthread_attr_getguardsize(&attr, &mut guard) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if !ok || addr.is_null() {
            return None;
        }
        // glibc reports the guard page as part of the stack of threads it
        // created; staying above it costs at most a page or two.
        (addr as usize).checked_add(guard)?
    };
    STACK_LOW.with(|l| l.set(Some(low)));
    Some(low)
}

/// The stack limit for guest code entered now, with the stack pointer at
/// `sp`: `max_wasm_stack` below it, clamped to keep [`HOST_STACK_RESERVE`]
/// of the thread's real stack free. Above `sp` (an immediate `call stack
/// exhausted`) if the host itself has less than that reserve left.
pub fn guest_stack_limit(sp: usize, max_wasm_stack: usize) -> usize {
    let wanted = sp.saturating_sub(max_wasm_stack);
    match stack_low().and_then(|low| low.checked_add(HOST_STACK_RESERVE)) {
        Some(floor) => wanted.max(floor),
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::traps::stack_pointer;

    #[test]
    fn the_limit_stays_inside_a_small_threads_stack() {
        let size = 256 * 1024;
        let (sp, limit, low) = std::thread::Builder::new()
            .stack_size(size)
            .spawn(|| {
                let sp = stack_pointer();
                (sp, guest_stack_limit(sp, 512 * 1024), stack_low().expect("the OS tells"))
            })
            .expect("spawns")
            .join()
            .expect("joins");
        assert!(low < sp && sp - low <= size, "stack low {low:#x}, sp {sp:#x}");
        assert_eq!(limit, low + HOST_STACK_RESERVE, "512 KiB do not fit: clamped to the real stack");
        // On a large stack, the configured amount is what the guest gets.
        let given = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || {
                let sp = stack_pointer();
                sp - guest_stack_limit(sp, 512 * 1024)
            })
            .expect("spawns")
            .join()
            .expect("joins");
        assert_eq!(given, 512 * 1024);
    }
}
