/*
 * tstate.c -- the interpreter record and per-thread states.
 *
 * mn_interp is the one process-wide Interp (defaults below; vm/main.c
 * overrides them from flags and environment).  Each OS thread that runs
 * mini code owns a ThreadState reached through the __thread pointer
 * mn_ts_current.  Because the collector does not scan __thread variables,
 * thread states are allocated uncollectable (scanned, never freed until
 * mn_tstate_delete); they point at their VM stack chunks, so frames and
 * everything they reference stay visible to the collector.
 *
 * The thread list is guarded by mn_interp.lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/gc.h"
#include "frame.h"
#include "tstate.h"

Interp mn_interp = {
    .recursion_limit = 1000,
    .gil_enabled = true,
    .switch_interval = 0.015,
    .switch_instructions = 0,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

__thread ThreadState *mn_ts_current;

/* Default size of the first VM stack chunk, in Values.  Later chunks are
 * larger (vm/eval.c); deep recursion allocates more chunks. */
#define FIRST_CHUNK_SLOTS (4 * 1024)

/* Bytes of C stack kept in reserve below the RecursionError threshold:
 * enough for any native function (printf, GMP, the collector's own
 * marking) to run after the last check. */
#define C_STACK_MARGIN (256 * 1024)

static void init_c_stack_limit(ThreadState *ts)
{
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) != 0) {
            addr = NULL;
            size = 0;
        }
        pthread_attr_destroy(&attr);
    }
    if (!addr || size == 0) {
        /* Unknown: assume 1 MB below the current position. */
        uintptr_t here = (uintptr_t)__builtin_frame_address(0);
        ts->c_stack_limit = (char *)(here - (1024 * 1024 - C_STACK_MARGIN));
        return;
    }
    size_t margin = C_STACK_MARGIN;
    if (margin > size / 4)
        margin = size / 4;
    /* Stacks grow down on every platform we target: the usable region
     * is [addr, addr + size). */
    ts->c_stack_limit = (char *)addr + margin;
}

/* Allocate a VM stack chunk of n slots.  Header words: [0] previous
 * chunk, [1] a cached next chunk, [2] the chunk's slot count. */
Value *mn_stack_chunk_new(Value *prev, size_t n)
{
    Value *c = gc_alloc(n * sizeof(Value));
    c[0] = (Value)prev;
    c[1] = 0;
    c[2] = (Value)n;
    return c;
}

ThreadState *mn_tstate_new(Interp *interp)
{
    ThreadState *ts = gc_alloc_uncollectable(sizeof *ts);
    memset(ts, 0, sizeof *ts);
    ts->interp = interp;
    ts->thread = pthread_self();
    ts->ident = (uint64_t)pthread_self();
    ts->native_id = (long)gettid();

    Value *chunk = mn_stack_chunk_new(NULL, FIRST_CHUNK_SLOTS);
    ts->stack_chunk = chunk;
    ts->stack_base = chunk + MN_CHUNK_HEADER;
    ts->stack_top = ts->stack_base;
    ts->stack_limit = chunk + FIRST_CHUNK_SLOTS;
    init_c_stack_limit(ts);

    pthread_mutex_lock(&interp->lock);
    ts->next = interp->threads;
    if (interp->threads)
        interp->threads->prev = ts;
    interp->threads = ts;
    if (!interp->main_thread)
        interp->main_thread = ts;
    pthread_mutex_unlock(&interp->lock);

    mn_ts_current = ts;
    return ts;
}

void mn_tstate_delete(ThreadState *ts)
{
    Interp *interp = ts->interp;
    pthread_mutex_lock(&interp->lock);
    if (ts->prev)
        ts->prev->next = ts->next;
    else if (interp->threads == ts)
        interp->threads = ts->next;
    if (ts->next)
        ts->next->prev = ts->prev;
    if (interp->main_thread == ts)
        interp->main_thread = NULL;
    pthread_mutex_unlock(&interp->lock);
    if (mn_ts_current == ts)
        mn_ts_current = NULL;
    /* The record itself stays allocated (another subsystem, e.g. the GIL's
     * bookkeeping, may still hold its address); drop what it references so
     * the stack chunks and values can be collected. */
    ts->stack_chunk = NULL;
    ts->stack_base = ts->stack_top = ts->stack_limit = NULL;
    ts->frame = NULL;
    ts->exc = ts->handled = ts->async_exc = 0;
    ts->name = ts->thread_obj = 0;
    /* The repr guard set is malloc'd (runtime/list.c), not collected. */
    free(ts->repr_active);
    ts->repr_active = NULL;
    ts->repr_depth = ts->repr_cap = 0;
}
