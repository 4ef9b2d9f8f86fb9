/* The one piece of C in Plumb: Rust cannot call setjmp soundly, so the entry
 * into generated code and the jump back out of a trap live here.
 *
 * plumb_catch_traps(body, data, slot) runs body(data) with a jump buffer
 * published in *slot (a thread-local of the caller). A trap handler, or a
 * libcall that traps, calls plumb_unwind(*slot), which returns control to
 * plumb_catch_traps with result 1. Frames skipped by the jump are generated
 * code and Rust frames that hold nothing to drop. */
#include <setjmp.h>
#include <stddef.h>

typedef void (*plumb_body)(void *data);

int plumb_catch_traps(plumb_body body, void *data, void **slot) {
    sigjmp_buf buf;
    void *previous = *slot;
    /* Signal handlers are installed with SA_NODEFER, so the signal mask
     * need not be saved and restored (0). */
    if (sigsetjmp(buf, 0) != 0) {
        *slot = previous;
        return 1;
    }
    *slot = &buf;
    body(data);
    *slot = previous;
    return 0;
}

void plumb_unwind(void *buf) {
    siglongjmp(*(sigjmp_buf *)buf, 1);
}
