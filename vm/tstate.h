/*
 * tstate.h -- per-thread and process-wide interpreter state.
 *
 * Everything that differs between threads lives in ThreadState: the
 * current frame, the pending exception, the exception being handled, the
 * eval-breaker word, the recursion depth and the VM value stack.  It is
 * reached through one accessor, mn_ts(), backed by a __thread pointer, so
 * no C global ever means "the current frame".
 *
 * Process-wide state (the module table, builtins, interpreter flags) lives
 * in the single Interp `mn_interp`.  After fork() the child keeps it and
 * re-initialises its locks (see docs/ARCHITECTURE.md).
 */
#ifndef MN_TSTATE_H
#define MN_TSTATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "../runtime/object.h"

struct Frame;

/* Eval-breaker bits.  The eval loop tests the whole word with one relaxed
 * load at every backward jump and call (and, when --switch-instructions is
 * set, every instruction); only if it is non-zero does it look at which
 * bit is set. */
enum {
    EB_GIL_DROP     = 1u << 0,  /* another thread wants the GIL */
    EB_STOP_WORLD   = 1u << 1,  /* free-threaded stop-the-world request */
    EB_SIGNAL       = 1u << 2,  /* a signal handler ran (SIGINT) */
    EB_ASYNC_EXC    = 1u << 3,  /* an exception was posted to this thread */
    EB_INSTR_COUNT  = 1u << 4,  /* count instructions for --switch-instructions */
};

typedef struct ThreadState {
    struct Interp *interp;
    struct ThreadState *prev, *next;   /* interp->threads list (interp->lock) */

    /* Execution */
    struct Frame *frame;        /* innermost running frame, or NULL */
    Value *stack_base;          /* this thread's VM value stack */
    Value *stack_top;           /* first free slot above the current frame */
    Value *stack_limit;
    int recursion_depth;        /* mini-level call depth */

    /* Exceptions */
    Value exc;                  /* raised, propagating: 0 if none */
    Value handled;              /* being handled by an except block (for
                                   bare `raise` and __context__): 0 if none */

    _Atomic uint32_t eval_breaker;
    /* --switch-instructions countdown (vm/gil.h, "eval loop contract"):
     * while the eval loop runs in counting mode it decrements this before
     * every instruction and calls gil_instr_expired() when it drops below 0.
     * Read and written only by the owning thread (vm/gil.c resets it when
     * this thread acquires the GIL). */
    long instr_budget;
    Value async_exc;            /* posted exception for EB_ASYNC_EXC */

    /* Identity */
    pthread_t thread;
    uint64_t ident;             /* thread.get_ident() */
    long native_id;             /* gettid() */
    Value name;                 /* str, for tracebacks / deadlock reports */
    Value thread_obj;           /* the mini Thread object, or 0 */

    void *gil_local;            /* per-thread GIL bookkeeping (vm/gil.c) */

    /* Containers whose repr is in progress on this thread, so a list that
     * contains itself prints [[...]] (mn_repr_enter/leave, runtime/list.c).
     * A malloc'd hash set (repr_cap slots, repr_depth used) owned by
     * list.c; the objects in it are kept alive by the C frames repr'ing
     * them, so the collector need not see it. */
    void **repr_active;
    int repr_depth, repr_cap;

    /* VM stack and C-stack guards (vm/eval.c, vm/tstate.c).
     * stack_base..stack_limit is the CURRENT chunk of the VM stack; chunks
     * are chained through their first word (the previous chunk) so deep
     * recursion grows the stack without moving frames.  c_stack_limit is
     * the lowest C stack address eval may reach before raising
     * RecursionError (the thread's stack bottom plus a safety margin);
     * c_depth counts nested C re-entries of the eval loop. */
    Value *stack_chunk;
    char *c_stack_limit;
    int c_depth;
} ThreadState;

typedef struct Interp {
    Value modules;              /* dict: name -> module (sys.modules) */
    Value builtins;             /* the builtins module's dict */
    Value sys_path;             /* list of str */
    Value argv;                 /* list of str */
    const char *main_path;      /* the script, or "<stdin>" / "-c" */
    int recursion_limit;        /* sys.setrecursionlimit; default 1000 */

    /* GIL configuration (parsed from flags/env; behaviour in vm/gil.c). */
    bool gil_enabled;
    double switch_interval;     /* seconds */
    long switch_instructions;   /* 0 = off */
    bool gil_stats;
    const char *gil_trace_path;

    pthread_mutex_t lock;       /* guards `threads` and the module table */
    ThreadState *threads;       /* every live thread state */
    ThreadState *main_thread;
} Interp;

extern Interp mn_interp;
extern __thread ThreadState *mn_ts_current;

static inline ThreadState *mn_ts(void) { return mn_ts_current; }

/* Create the thread state for the calling OS thread and make it current. */
ThreadState *mn_tstate_new(Interp *interp);
void mn_tstate_delete(ThreadState *ts);

#endif
