/*
 * gil.h -- the global interpreter lock: what the eval loop, the thread
 * module and every blocking call must use.  The design (hand-over
 * protocol, timer, anti-convoy priority rule) is explained at the top of
 * vm/gil.c; this header is the contract.
 *
 * Vocabulary.  A thread state is ATTACHED when it holds the GIL and may
 * touch objects, WAITING when it has asked for the GIL, DETACHED when it
 * is inside a blocking call (or finished).  With --gil=off every thread
 * is attached all the time and all of this costs nothing (the calls go to
 * a second, do-nothing implementation; see "GIL off" in vm/gil.c).
 *
 * Locking rule for callers: never wait for the GIL (mn_blocking_end,
 * gil_handle_breaker, gil_instr_expired, gil_thread_attach) while holding
 * any other lock, or a thread that holds the GIL and wants that lock
 * deadlocks with you.
 */
#ifndef MN_GIL_H
#define MN_GIL_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tstate.h"

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

/* Once, in the main thread, after the flags are parsed into `interp`
 * (gil_enabled, switch_interval, switch_instructions, gil_stats,
 * gil_trace_path) and before any thread attaches.  Picks the GIL-on or the
 * GIL-off implementation.  Until it is called the GIL-off one is active,
 * so code that runs before it (or unit tests that never call it) may use
 * the blocking bracket freely. */
void gil_init(Interp *interp);

/* A thread (the main thread too) starts running mini code: registers its
 * GIL bookkeeping and takes the GIL, queueing behind current waiters
 * (a new thread gets no priority).  Call on the thread itself, after
 * mn_tstate_new() and, preferably, after gil_set_thread_name().  The
 * thread must be registered with the collector (gc_pthread_create). */
void gil_thread_attach(ThreadState *ts);

/* The thread is done with mini code: gives the GIL up for good (to the
 * next waiter) and retires its bookkeeping; its statistics stay for the
 * --gil-stats table.  Call on the thread itself before mn_tstate_delete().
 * Works whether or not the thread currently holds the GIL. */
void gil_thread_detach(ThreadState *ts);

/* Name shown in --gil-stats and --gil-trace ("MainThread", "Thread-1
 * (worker)").  Copied; may be called any time, from any thread. */
void gil_set_thread_name(ThreadState *ts, const char *name);

/* Interpreter exit (mn_finalize, on the main thread, holding the GIL):
 * from now on only `ts` may hold the GIL; daemon threads that ask for it
 * wait forever (they die with the process), so they cannot run mini code
 * while the runtime is being torn down.  Then, if --gil-stats /
 * --gil-trace were given, prints the table to stderr and writes the trace
 * file.  Safe to call more than once. */
void gil_at_exit(ThreadState *ts);

/* fork() support (the `process`/os.fork issue).  Call gil_before_fork()
 * right before fork() while holding the GIL, then exactly one of the
 * other two in the parent / child.  In the child the surviving thread
 * `ts` holds the GIL, every other thread state is forgotten, counters
 * restart from zero and the trace is switched off (the parent writes it;
 * two processes must not clobber one file). */
void gil_before_fork(void);
void gil_after_fork_parent(void);
void gil_after_fork_child(ThreadState *ts);

/* ------------------------------------------------------------------ */
/* Run-time configuration (sys.setswitchinterval & co.)                 */
/* ------------------------------------------------------------------ */

/* Call with the GIL held.  `seconds` > 0 (the caller validates and raises
 * ValueError like CPython).  As in CPython the interval is kept in whole
 * microseconds, truncated: gil_get_switch_interval() and
 * interp->switch_interval (which gil_init() normalises the same way) read
 * back 0.09999999999999999 after 0.1 and 0.0 below 1 us; the GIL itself
 * never times a slice shorter than 1 us.  Also updates
 * interp->switch_interval / switch_instructions. */
void gil_set_switch_interval(double seconds);
double gil_get_switch_interval(void);
void gil_set_switch_instructions(long n);     /* 0 = off */
long gil_get_switch_instructions(void);
bool gil_is_enabled(void);

/* ------------------------------------------------------------------ */
/* The ops table (GIL on / GIL off are two implementations)            */
/* ------------------------------------------------------------------ */

typedef struct GilOps {
    void (*thread_attach)(ThreadState *ts);
    void (*thread_detach)(ThreadState *ts);
    void (*blocking_begin)(ThreadState *ts);
    void (*peer_wait_begin)(ThreadState *ts);
    void (*blocking_end)(ThreadState *ts);
    int (*handle_breaker)(ThreadState *ts);
    int (*instr_expired)(ThreadState *ts);
} GilOps;

/* Points at the GIL-on or GIL-off table; written only by gil_init() and
 * fork support, before other threads exist. */
extern const GilOps *gil_ops;

/* ------------------------------------------------------------------ */
/* Blocking calls                                                      */
/* ------------------------------------------------------------------ */

/* Every call that may block (sleep, lock/condition/event/semaphore/
 * barrier waits, queue get/put, join, socket/pipe/file I/O, waitpid,
 * subprocess waits) is bracketed:
 *
 *     MN_BEGIN_BLOCKING(ts);
 *     r = clock_nanosleep(...);        // no object access in here!
 *     MN_END_BLOCKING(ts);
 *
 * Between the two the thread must not touch any mini object or call
 * anything that allocates (another thread is running the interpreter);
 * copy what the call needs (buffers: gc_alloc_atomic memory owned by the
 * caller is fine) before, and build result objects after.  Compute
 * timeout deadlines BEFORE the bracket so the time spent re-acquiring the
 * GIL does not stretch them.  Try the non-blocking form first where there
 * is one (pthread_mutex_trylock, MSG_DONTWAIT) and bracket only the call
 * that really waits: an uncontended lock must not give the GIL away.
 *
 * Two kinds of bracket, which differ only in how the GIL is taken back:
 *
 *   MN_BEGIN_BLOCKING / MN_END_BLOCKING     the wait ends because of the
 *       outside world: sleep, socket/pipe/file I/O, select/poll, waitpid,
 *       input().  The return is a PRIORITY RETURN (vm/gil.c, the
 *       anti-convoy rule): if a CPU-bound thread holds the GIL, it is
 *       asked to hand it over at its next eval-breaker check (after a
 *       short grace if the holder is itself an I/O thread about to block).
 *
 *   MN_BEGIN_PEER_WAIT / MN_END_PEER_WAIT   the wait is ended by ANOTHER
 *       MINI THREAD: lock / RLock / Condition / Semaphore / Event / Barrier
 *       waits, queue get/put, join.  The waker holds the GIL and usually
 *       has more to do (a producer filling a queue), so the woken thread
 *       queues for the GIL like anyone else and gets it when the waker
 *       blocks or its switch interval ends -- the waker then hands over a
 *       batch, not one item per GIL switch.  No priority, no preemption.
 *
 * A peer wait bracketed as a plain blocking call still works; it only
 * switches the GIL far more often than needed.  errno is preserved across
 * the END.  Brackets do not nest; the END matching either BEGIN is the
 * same call (the kind is remembered from the BEGIN). */
static inline void mn_blocking_begin(ThreadState *ts)
{
    gil_ops->blocking_begin(ts);
}

static inline void mn_peer_wait_begin(ThreadState *ts)
{
    gil_ops->peer_wait_begin(ts);
}

static inline void mn_blocking_end(ThreadState *ts)
{
    int saved = errno;
    gil_ops->blocking_end(ts);
    errno = saved;
}

#define MN_BEGIN_BLOCKING(ts)  mn_blocking_begin(ts)
#define MN_END_BLOCKING(ts)    mn_blocking_end(ts)
#define MN_BEGIN_PEER_WAIT(ts) mn_peer_wait_begin(ts)
#define MN_END_PEER_WAIT(ts)   mn_blocking_end(ts)

/* ------------------------------------------------------------------ */
/* The eval loop contract                                              */
/* ------------------------------------------------------------------ */

/* Two dispatch modes.  NORMAL: the usual one.  COUNTING: entered while
 * EB_INSTR_COUNT is set in ts->eval_breaker (--switch-instructions and a
 * waiter), every instruction first ticks ts->instr_budget.
 * gil_eb_mask(ts) tells which mode to be in (GIL_EB_MASK_NORMAL or
 * GIL_EB_MASK_COUNTING).
 *
 * (1) At loop entry and after EVERY call to mn_eval_breaker_slow() or
 *     gil_instr_expired(), pick the mode again.  With computed goto:
 *         table = gil_eb_mask(ts) == GIL_EB_MASK_NORMAL
 *                 ? dispatch_table : counting_table;
 *     where every entry of counting_table jumps to one label doing (3)
 *     then `goto *dispatch_table[op]`.  The normal path then pays nothing
 *     for counting (the table pointer lives in a register either way).
 *
 * (2) At every check site (backward jumps, calls), one load and a test
 *     against a CONSTANT:
 *         if (UNLIKELY(atomic_load_explicit(&ts->eval_breaker,
 *                          memory_order_relaxed) & GIL_EB_MASK_NORMAL)) {
 *             <save ip / stack pointer into the frame>;
 *             if (mn_eval_breaker_slow(ts) < 0) goto error;
 *             <(1)>;
 *         }
 *     Do not keep the mask in a variable: in this register-hungry loop
 *     one more live value makes gcc spill the dispatch table pointer and
 *     reload it from the stack before nearly every indirect jump (46 such
 *     reloads in eval_frame with an `eb_mask` local, 1 without; none in a
 *     -DMINI_NO_GIL_CHECKS=ON build, where the mask is a constant).  In
 *     counting mode EB_INSTR_COUNT stays set, so every check site visits
 *     the slow path -- a price paid only while contended with
 *     --switch-instructions.  mn_eval_breaker_slow() calls
 *     gil_handle_breaker(ts) when EB_GIL_DROP is set (first, before
 *     signals: it may block), and must simply return 0 when the only bit
 *     set is EB_INSTR_COUNT: that visit exists so the loop picks the mode.
 *     (A loop that does keep `eb_mask = gil_eb_mask(ts)` in a local and
 *     tests `& eb_mask` is also correct: GIL_EB_MASK_COUNTING masks
 *     EB_INSTR_COUNT out so counting mode does not visit the slow path.)
 *
 * (3) Only in counting mode, before EVERY instruction (so a hand-over can
 *     fall between any two instructions):
 *         if (GIL_INSTR_TICK(ts)) {           // --ts->instr_budget < 0
 *             <save ip / stack pointer>;
 *             if (gil_instr_expired(ts) < 0) goto error;
 *             <(1)>;
 *         }
 *     The switch build may test `gil_eb_mask(ts) != GIL_EB_MASK_NORMAL`
 *     (or a local copy of it) in DISPATCH instead.
 *
 * EB_INSTR_COUNT is set on the holder only while --switch-instructions is
 * on AND another thread waits, so a lone thread never counts.  Counting
 * starts at the first check site after a waiter appears and from then on
 * is exact: the holder runs exactly N instructions per turn.
 *
 * MINI_NO_GIL_CHECKS (cmake -DMINI_NO_GIL_CHECKS=ON; a benchmark baseline
 * only, for measuring what the GIL machinery costs a lone thread): the
 * hand-over checks compile out with no change to the loop.  Both masks
 * become the same constant without the two GIL bits, gil_eb_mask()
 * returns it without reading anything, and GIL_INSTR_TICK is 0, so the
 * compiler folds `table` to the normal dispatch table, drops the counting
 * stub and the tick, and the breaker test only looks at the non-GIL bits
 * (signals, async exceptions -- Ctrl-C keeps working).  vm/gil.c then
 * never sets EB_GIL_DROP or EB_INSTR_COUNT: threads change hands only at
 * blocking calls and thread exit (no interval, no instruction count, no
 * priority preemption), so a CPU-bound thread keeps the GIL until it
 * blocks.  Do not ship or test-run such a build. */
#ifdef MINI_NO_GIL_CHECKS
#define GIL_EB_MASK_NORMAL   (~(uint32_t)(EB_GIL_DROP | EB_INSTR_COUNT))
#define GIL_EB_MASK_COUNTING GIL_EB_MASK_NORMAL

static inline uint32_t gil_eb_mask(ThreadState *ts)
{
    (void)ts;
    return GIL_EB_MASK_NORMAL;
}

#define GIL_INSTR_TICK(ts) ((void)(ts), 0)
#else
#define GIL_EB_MASK_NORMAL   (~(uint32_t)0)
#define GIL_EB_MASK_COUNTING (~(uint32_t)EB_INSTR_COUNT)

static inline uint32_t gil_eb_mask(ThreadState *ts)
{
    uint32_t w = atomic_load_explicit(&ts->eval_breaker, memory_order_relaxed);
    return (w & EB_INSTR_COUNT) ? GIL_EB_MASK_COUNTING : GIL_EB_MASK_NORMAL;
}

/* ts->instr_budget = instructions this thread may still run in its turn;
 * the tick before the (N+1)th instruction fails, and that instruction runs
 * first when the thread gets the GIL back. */
#define GIL_INSTR_TICK(ts) (__builtin_expect(--(ts)->instr_budget < 0, 0))
#endif

/* Slow path for EB_GIL_DROP: if a waiter is still there, hand the GIL to
 * it and wait for our next turn (a real switch: we cannot get the GIL
 * back before the waiter has had it).  Returns 0; -1 is reserved for a
 * future "this thread must raise" and then has the exception set. */
static inline int gil_handle_breaker(ThreadState *ts)
{
    return gil_ops->handle_breaker(ts);
}

/* Counting-mode budget ran out: hand over if anyone waits, else leave
 * counting mode.  Same return convention as gil_handle_breaker(). */
static inline int gil_instr_expired(ThreadState *ts)
{
    return gil_ops->instr_expired(ts);
}

/* ------------------------------------------------------------------ */
/* Statistics and trace (--gil-stats, --gil-trace)                      */
/* ------------------------------------------------------------------ */

/* Why a thread gave the GIL to ANOTHER thread ("hand-over").  Every
 * change of holder is counted exactly once, against the thread that gave
 * the GIL away, so the per-cause totals add up to the number of switches. */
typedef enum GilCause {
    GIL_CAUSE_NONE = 0,
    GIL_CAUSE_INSTR,        /* --switch-instructions budget ran out */
    GIL_CAUSE_INTERVAL,     /* held for the switch interval */
    GIL_CAUSE_PRIORITY,     /* preempted by a thread returning from a blocking call */
    GIL_CAUSE_BLOCKING,     /* released for a blocking call or a peer
                               wait; another thread took it */
    GIL_CAUSE_EXIT,         /* thread finished; another thread took it */
    GIL_NCAUSES
} GilCause;

/* How a hold began (trace "args"). */
typedef enum GilHow {
    GIL_HOW_NONE = 0,
    GIL_HOW_FREE,           /* GIL was free, nobody queued */
    GIL_HOW_WOKEN,          /* waited, then took it when it became free */
    GIL_HOW_HANDOFF,        /* handed over directly by a forced drop */
    GIL_HOW_PRIORITY,       /* priority return (overtook queued threads) */
    GIL_HOW_RESUME,         /* resumed the slice a priority return paused */
    GIL_NHOW
} GilHow;

typedef struct GilThreadStats {
    uint64_t acquisitions;          /* every time it took the GIL */
    uint64_t waits;                 /* acquisitions that had to wait */
    uint64_t priority_grants;       /* acquisitions by a priority return */
    uint64_t handovers[GIL_NCAUSES];/* GIL given to another thread, by cause */
    /* Clock-based, filled only with --gil-stats or --gil-trace: */
    uint64_t hold_ns;               /* total time holding */
    uint64_t wait_ns;               /* total time waiting (until running) */
    uint64_t longest_wait_ns;
} GilThreadStats;

/* Counters of one thread (alive or finished while stats were on): 0 and
 * *out zeroed if it has no GIL bookkeeping. */
int gil_thread_stats(ThreadState *ts, GilThreadStats *out);
/* Sums over every thread ever registered (finished ones only if stats or
 * trace are on), and the number of holder changes (switches). */
void gil_total_stats(GilThreadStats *out, uint64_t *switches);

/* The readable table (the --gil-stats output; gil_at_exit() sends it to
 * stderr).  Includes the still-open hold of the current holder. */
void gil_print_stats(FILE *f);
/* Write the Chrome trace-event JSON (opens in Perfetto / chrome://tracing)
 * of every hold / wait / blocking-call interval recorded so far.  Events
 * are recorded only when a trace path was configured.  0 or -1 (errno). */
int gil_write_trace(const char *path);

/* ---- shared by vm/gil.c and vm/gil_stats.c (not for other callers) -- */

enum { GIL_EV_HOLD, GIL_EV_WAIT, GIL_EV_BLOCKED, GIL_EV_PEER_WAIT };

typedef struct GilTraceEvent {
    uint64_t start_ns;              /* since gil_init() */
    uint64_t dur_ns;
    uint8_t kind;                   /* GIL_EV_* */
    uint8_t how;                    /* GilHow (holds) */
    uint8_t cause;                  /* GilCause that ended a hold, or
                                       GIL_NCAUSES for "still held" */
} GilTraceEvent;

typedef struct GilReportRow {
    const char *name;
    int tid;                        /* small sequential id, 1 = first */
    bool alive;
    GilThreadStats st;
    const GilTraceEvent *events;
    size_t nevents;
    bool has_open_hold;             /* holding right now: open_hold is the
                                       hold so far (cause GIL_NCAUSES) */
    GilTraceEvent open_hold;
} GilReportRow;

typedef struct GilReportInfo {
    bool enabled;
    double switch_interval;         /* seconds */
    long switch_instructions;
    uint64_t switches;
    bool truncated;                 /* trace event cap reached */
    uint64_t elapsed_ns;            /* since gil_init() */
} GilReportInfo;

void gil_stats_format(FILE *f, const GilReportRow *rows, size_t n,
                      const GilReportInfo *info);
int gil_trace_format(FILE *f, const GilReportRow *rows, size_t n,
                     const GilReportInfo *info, long pid);

#endif
