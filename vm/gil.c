/*
 * gil.c -- the global interpreter lock.
 *
 * ==== Design notes ====================================================
 *
 * What the GIL is for.  With the GIL on, exactly one thread at a time runs
 * bytecode or touches objects: the HOLDER.  Every other thread is either
 * WAITING for the GIL or DETACHED inside a blocking call (sleep, a lock
 * wait, a read...) that does not touch objects.  The lock is not a
 * pthread mutex but a small state machine, `struct Gil` below, guarded by
 * one ordinary mutex, `gil.mu`, that is only ever held for a few
 * instructions; threads sleep on their own condition variable
 * (GilLocal.cond), so a hand-over wakes exactly the thread it is meant for.
 *
 * Asking for the GIL, asking the holder to drop it.  The holder cannot be
 * interrupted: it gives the GIL up only at points of its own choosing --
 * eval-breaker checks (backward jumps and calls; between any two
 * instructions with --switch-instructions) and blocking calls.  A waiter
 * that wants the holder to let go sets EB_GIL_DROP in the holder's
 * eval-breaker word (and records why in gil.drop_cause); the holder's
 * loop sees a non-zero word at its next check and calls
 * gil_handle_breaker().  A lone thread never has a waiter, so it never
 * sees a bit, never enters this file on its hot path and reads no clock.
 *
 * Forced switches are hand-overs, not releases.  When the holder drops the
 * GIL because it was asked to (interval, instruction count, priority
 * return), it does not merely unlock: under gil.mu it picks the next
 * thread in line, makes THAT thread the holder (gil.holder = it,
 * it->granted = true), wakes it (see "Spinning"), and only then
 * queues itself as an ordinary waiter.  So the dropper cannot win the GIL
 * back before the waiter has had its turn -- the waiter owns it from the
 * moment of the hand-over, even while it is still waking up.  This is
 * CPython's "switch number" handshake (the dropper waits until
 * switch_number moves) made structural: ownership moves first, so there
 * is nothing to wait for.  gil.switch_number still counts changes of
 * holder; it is what --gil-stats reports as switches.
 *
 * Voluntary releases are different.  A thread entering a blocking call
 * or a peer wait sets the GIL free (gil.holder = NULL) and wakes the
 * first thread in line, without handing it over: if the call returns
 * before that thread has woken up (a write() to a pipe with room, a lock
 * that was free after all), the caller takes the GIL straight back
 * instead of paying two context switches.  That "barging" is limited by
 * the rules below so it can never starve the woken thread; and a release
 * while a drop request is pending (the holder's time was up) is turned
 * into a real hand-over.  For the statistics, a hand-over that happens at
 * a release counts as "blocking" (or "exit"); the forced causes
 * (instructions, interval, priority) count only forced drops, each
 * followed by exactly one re-acquisition by the dropper.
 *
 * The interval timer.  Who measures the switch interval?  The holder
 * could read a clock at every check site, but that is ~20 ns at every
 * backward jump -- far more than the 1% a lone thread may pay.  So, as in
 * CPython, a WAITER keeps time: it is idle anyway.  Exactly one waiter,
 * gil.timer, sleeps with pthread_cond_timedwait (CLOCK_MONOTONIC) until
 * gil.slice_start + interval; when it wakes and the same slice is still
 * running it requests a drop (GIL_CAUSE_INTERVAL).  Every other waiter
 * sleeps untimed (but for the head of the priority queue during a grace,
 * below), so N threads do not mean N timer wake-ups per interval.
 * gil.slice_start is when the current holder's time began to count: the
 * moment it was running with the GIL if someone was already waiting (a
 * grantee restarts the clock once awake, so a slow wake-up does not eat
 * its turn), else the moment the first waiter arrived (a thread that ran
 * alone for a minute is not "over its time" the instant a second thread
 * shows up).  A thread that takes the GIL straight back after its own
 * blocking call continues its slice rather than starting a new one, so
 * barging cannot reset the clock.  When the slice start moves while the timer sleeps with a later
 * deadline (or none), the timer is signalled to recompute.  When the
 * timer gets the GIL, the role passes to the next thread in line.
 *
 * The instruction trigger.  --switch-instructions=N counts instructions,
 * not time, and must be able to switch between ANY two instructions.
 * Counting costs a decrement and a branch per instruction, which a lone
 * thread must not pay, so counting is a mode: when a waiter appears and N
 * is set, it sets EB_INSTR_COUNT in the holder's word.  That non-zero
 * word sends the holder's loop to the slow path once, at its next check
 * site; the loop then re-reads its mask (gil_eb_mask) and switches to
 * counting dispatch, which decrements ts->instr_budget before every
 * instruction and calls gil_instr_expired() when it goes below zero.
 * There, if someone waits, the holder hands over (GIL_CAUSE_INSTR);
 * otherwise contention is over and it clears the bit, leaving counting
 * mode.  ts->instr_budget ("instructions left in this turn") is reset to
 * N whenever the thread acquires the GIL (N - 1 after an instruction
 * hand-over: the instruction whose tick failed runs first), and is
 * touched only by its own thread.  The interval timer keeps running
 * alongside: whichever trigger fires first wins.
 *
 * Two kinds of waits.  Blocking calls come in two kinds (vm/gil.h), and
 * they are treated differently when the thread wants the GIL back:
 *
 *   - a BLOCKING CALL (MN_BEGIN_BLOCKING: sleep, socket/pipe/file I/O,
 *     poll, waitpid) ends because of the outside world.  The thread has
 *     typically a little work to do and will block again: its return is
 *     a PRIORITY RETURN (below).
 *   - a PEER WAIT (MN_BEGIN_PEER_WAIT: locks, conditions, events,
 *     semaphores, queue get/put, join) is ended by another mini thread,
 *     which holds the GIL when it wakes us and usually has more to do --
 *     a producer that just put an item will put the next one.  Preempting
 *     it would switch the GIL once per item (the bounded-queue problem:
 *     one switch, two wake-ups and a spin per item, 10x slower than
 *     CPython).  So a peer-wait return is an ordinary waiter: it queues
 *     at the tail of the normal queue and gets the GIL when the waker
 *     blocks (a full queue, its own get) or its switch interval ends;
 *     the waker meanwhile produces a whole batch.  It may take a free GIL
 *     only when nobody is queued or it was itself the last holder.
 *
 * The convoy effect and the priority rule.  CPython's bpo-7946: an I/O
 * thread does a tiny bit of work per recv(); each time it returns from
 * the blocking call a CPU-bound thread holds the GIL, and the I/O thread
 * waits a whole interval (5 ms) before its timer forces a switch -- 1000
 * messages take 5 seconds.  mini's rule: a return from a blocking call
 * (not a peer wait) may OVERTAKE, paid from the overtaking budget below.
 * If the GIL is free it takes it even ahead of a woken waiter that has
 * not run yet; if the GIL is held it joins the PRIORITY QUEUE, and the
 * thread at the head of that queue asks the holder to drop
 * (GIL_CAUSE_PRIORITY) -- at once if the holder is CPU-bound, after a
 * GRACE if the holder is an I/O thread itself.  An I/O holder is one
 * whose hold began with a return from a blocking call, priority or not
 * (GilLocal.io_hold).  It gets PRIO_GRACE_NS (50 us) from the start of
 * its hold (gil.io_hold_start: the clock reading of the acquisition if
 * one was taken, else the moment the first priority waiter looked) to
 * block again by itself, which it nearly always does within
 * microseconds: two I/O threads ping-ponging a socket pass the GIL back
 * and forth at each blocking call without ever forcing a switch.  A
 * CPU-bound holder (or an I/O holder past its grace) honours the drop
 * request at its next check and hands the GIL over within microseconds.
 * Its slice is PAUSED, not ended: it goes to the HEAD of the normal queue
 * with the time it had used (paused_used), its remaining instruction
 * budget and its io_hold, and resumes exactly where it left off as soon
 * as the returning thread blocks again.  So a priority return steals time
 * from the thread it preempts, never from the others queued behind it,
 * and it never reorders the normal queue.  A thread preempted for an
 * interval or instruction count loses io_hold: its next turn is an
 * ordinary one.
 *
 * Why this cannot starve CPU-bound threads.  Jumping the queue is rationed
 * by one process-wide token bucket, the OVERTAKING BUDGET (gil.ot_tokens,
 * nanoseconds).  It refills at half the speed of the wall clock (rate
 * 1/2, OT_SHARE_SHIFT) up to a cap of one switch interval.  An
 * overtaking slice begins when a thread jumps the line -- a priority
 * return that leaves the priority queue while a normal waiter is queued,
 * a returning thread grabbing a free GIL in front of a woken waiter, or
 * the resumption of a slice that was overtaking when it was paused -- and
 * lasts until the GIL next passes to another thread; every nanosecond the
 * overtaker holds the GIL during it (its own quick re-takes included) is
 * charged.  A return may overtake only while the bucket is positive;
 * otherwise it queues at the tail of the normal queue like anyone else
 * (CPython's behaviour) and gets no priority.  Hence, over any window of
 * length T, threads that overtook held the GIL for at most T/2 + one
 * interval (plus one interval per priority waiter admitted before the
 * bucket ran dry, since the timer bounds every slice, paused or not), and
 * the rest of the time is shared by the normal queue in strict FIFO
 * order, each turn bounded by the interval timer.  A genuinely I/O-bound
 * thread holds the GIL for microseconds per return and never comes close
 * to the budget; a thread that "blocks" for nothing and then computes
 * drains it and loses the privilege.  The grace cannot be abused either:
 * it only delays the drop request by at most PRIO_GRACE_NS per hold, and
 * a thread preempted by priority resumes with only what remained of its
 * slice, so preemption cannot be used to lengthen anyone's turn.
 *
 * Spinning.  Sleeping on a condition variable costs a futex wake-up
 * (microseconds; on a loaded machine, milliseconds) every time the GIL
 * comes back.  But a spinning waiter burns a CPU that the holder -- or an
 * I/O thread the kernel just woke -- may need, and on a busy 2-core
 * machine that can make every hand-over 100x slower.  So only the head
 * of the priority queue ever spins, only when the GIL is about to come
 * its way, at most once per reason per wait, and only on a multi-core
 * machine: during an I/O holder's grace (until the grace ends; the holder
 * is about to block), and right after asking a CPU-bound holder to drop
 * (at most SPIN_DROP_NS; it honours the request at its next check).  A
 * paused thread, a normal waiter and the timer never spin.  The spin
 * loop watches gil.epoch (bumped whenever the holder changes or the GIL
 * is set free) and calls sched_yield() every few iterations, so a holder
 * that shares our CPU, or another process, runs instead of being starved
 * by the spinner.  Spinning is only a hint: the spinner re-checks
 * everything under gil.mu afterwards.  A waker does not signal a
 * spinner's condition variable (GilLocal.spinning): the spinner re-checks
 * under gil.mu before it sleeps, so no wake-up is lost and the waker
 * saves a futex call.
 *
 * Queues.  Waiters are in one of two FIFO lists: the priority queue
 * (returns from blocking calls with budget) and the normal queue (new
 * threads, dropped holders, peer-wait returns, returns without budget).
 * "Next in line" is the priority head, else the normal head.  A thread
 * woken on a free GIL takes it only if it is next in line; anyone else
 * who finds the GIL free with threads queued must either be the previous
 * holder coming back (continuing its slice) or return from a blocking
 * call and pay from the overtaking budget.
 *
 * MINI_NO_GIL_CHECKS (a benchmark baseline, vm/gil.h): the eval loop
 * ignores EB_GIL_DROP and EB_INSTR_COUNT, so EB_CHECKED is 0 here and the
 * GIL never sets them, never times a slice and never queues a priority
 * return: threads change hands only at blocking calls and exit.
 *
 * GIL off (--gil=off).  A second implementation of the same ops table
 * (gil_off_ops): attach/detach/blocking calls only record the thread's
 * state (for a future stop-the-world), breaker handlers clear their bits.
 * No queues, no clock, no lock on any hot path (the registry mutex is
 * taken only when a thread starts or ends).  Callers never test a flag;
 * gil_init() picks the table once.
 *
 * Daemon threads at exit.  gil_at_exit() names a final owner; after that
 * no other thread is ever next in line, so daemon threads asking for the
 * GIL sleep until the process ends instead of running during teardown.
 *
 * Statistics.  Counters are plain fields updated under gil.mu on paths
 * that take it anyway.  Clock-based statistics (hold, wait, longest wait)
 * and the trace are recorded only when --gil-stats or --gil-trace is on
 * (gil.timing); the trace appends fixed-size events to a per-thread
 * buffer, under gil.mu, and is formatted at exit by vm/gil_stats.c.
 * ===================================================================== */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gil.h"
#include "../runtime/ftlock.h"

/* Overtaking budget refill rate: 1 / (1 << OT_SHARE_SHIFT) of wall time. */
#define OT_SHARE_SHIFT 1
/* A priority return waits up to PRIO_GRACE_NS after an I/O holder's hold
 * began for it to block again by itself before asking it to drop (see
 * "The priority rule" above). */
#define PRIO_GRACE_NS 50000
/* Spinning (see "Spinning" above): a priority return that has asked the
 * holder to drop spins at most SPIN_DROP_NS for the hand-over; during a
 * grace it spins at most until the grace ends.  Once each per wait. */
#define SPIN_DROP_NS 20000
/* Cap on recorded trace events (24 bytes each, ~96 MB). */
#define TRACE_MAX_EVENTS (4u * 1000 * 1000)

/* With MINI_NO_GIL_CHECKS the eval loop ignores EB_GIL_DROP and
 * EB_INSTR_COUNT (vm/gil.h), so nothing here may wait for them. */
#ifdef MINI_NO_GIL_CHECKS
#define EB_CHECKED 0
#else
#define EB_CHECKED 1
#endif

enum { Q_NONE, Q_PRIO, Q_NORMAL };
/* How acquire() was reached. */
enum { ACQ_NEW, ACQ_IO, ACQ_PEER };
enum { GL_DETACHED, GL_WAITING, GL_ATTACHED };
/* Why the last holder let go (decides which hand-over counter the next
 * acquirer bumps, if it is a different thread). */
enum { REL_NONE, REL_FORCED, REL_BLOCKING, REL_EXIT };

/* Per-thread GIL bookkeeping, ts->gil_local.  malloc'd (it holds a pthread
 * condition variable and only points at other GilLocals and at the
 * uncollectable ThreadState).  Fields marked (mu) are read and written
 * only under gil.mu. */
typedef struct GilLocal GilLocal;
struct GilLocal {
    ThreadState *ts;            /* owner; NULL once retired (mu) */
    pthread_cond_t cond;        /* the owner sleeps here while waiting */
    GilLocal *qnext;            /* wait-queue link (mu) */
    uint8_t queue;              /* Q_*: which queue it is in (mu) */
    bool granted;               /* the GIL was handed to it (mu) */
    bool paused;                /* preempted by priority; resumes its slice (mu) */
    bool paused_ot;             /* ...and was overtaking then: the rest of
                                   the slice is charged too (mu) */
    bool io_hold;               /* its current (or awaited) hold began with
                                   a return from a real blocking call, not
                                   a peer wait: it gets a grace (mu) */
    bool spinning;              /* spinning with mu released: no need to
                                   signal its cond (mu) */
    uint8_t how;                /* GilHow of the current/next hold (mu) */
    _Atomic int state;          /* GL_*; written by the owner (under mu
                                   with the GIL on), readable by anyone */
    uint64_t paused_used;       /* ns of its slice used before the pause (mu) */
    uint64_t wait_start;        /* ns; when it started waiting (timing) (mu) */
    uint64_t hold_start;        /* ns; when the current hold began (timing) (mu) */
    uint64_t blocked_start;     /* ns; when it released for a blocking call (trace) */
    uint64_t ot_hold_start;     /* ns; start of the part of an overtaking slice
                                   not yet charged to the budget (mu) */
    GilThreadStats st;          /* (mu) */
    GilTraceEvent *ev;          /* trace buffer (mu) */
    size_t nev, evcap;
    GilLocal *all_next;         /* registry of every thread (mu) */
    int tid;                    /* 1, 2, 3... in order of registration */
    bool retired;               /* thread finished (mu) */
    bool in_blocking;           /* released by mn_blocking_begin (owner only) */
    bool peer_wait;             /* ...for a peer wait (owner only) */
    bool new_slice;             /* assign() started a slice for it; it
                                   restarts the clock once awake (mu) */
    char name[64];              /* (mu) */
};

/* The GIL.  Everything is guarded by `mu` unless noted. */
static struct Gil {
    pthread_mutex_t mu;
    Interp *interp;             /* configuration mirror (written under mu) */
    bool enabled;               /* GIL on (immutable after gil_init) */

    GilLocal *holder;           /* current holder, NULL = free.  Set by the
                                   acquirer, or by the dropper when it hands
                                   over (the grantee may still be asleep). */
    GilLocal *last_holder;      /* most recent holder, NULL after fork or if
                                   it was freed; lets a thread coming back
                                   from its own blocking call continue its
                                   slice, and attributes hand-overs */
    int last_release;           /* REL_*: how last_holder let go */
    uint64_t switch_number;     /* number of holder changes */

    GilLocal *pq_head, *pq_tail;/* priority queue (priority returns) */
    GilLocal *nq_head, *nq_tail;/* normal queue */
    int nwaiting;               /* threads in either queue */

    GilLocal *timer;            /* the waiter timing the slice, or NULL */
    uint64_t timer_deadline;    /* what the timer sleeps until; 0 = untimed */
    uint64_t slice_start;       /* ns; when the holder's time began to count;
                                   0 = nobody waits, no slice running */
    int drop_cause;             /* GilCause of the pending EB_GIL_DROP on
                                   the holder, 0 = none */
    uint64_t io_hold_start;     /* ns; when the holder's io_hold began,
                                   0 = not read yet (set by the first
                                   priority waiter that needs it) */

    int64_t ot_tokens;          /* overtaking budget, ns (may go negative) */
    uint64_t ot_refill_at;      /* ns of the last refill */
    GilLocal *ot_owner;         /* holder whose slice began by overtaking, so
                                   its hold time is being charged */

    uint64_t interval_ns;       /* switch interval, >= 1 us */
    double interval_s;          /* ...as sys.getswitchinterval() reports it */
    long switch_instr;          /* --switch-instructions, 0 = off */

    GilLocal *final_owner;      /* after gil_at_exit: the only thread that
                                   may hold the GIL */

    _Atomic unsigned epoch;     /* bumped (under mu) whenever the holder
                                   changes; read without mu by spinners */
    bool multicore;             /* spinning can help (immutable) */

    bool timing;                /* stats or trace: read clocks (immutable) */
    bool stats;                 /* --gil-stats */
    bool trace;                 /* record trace events */
    const char *trace_path;
    bool trace_truncated;
    size_t trace_events;        /* events recorded, all threads */
    bool exit_done;             /* gil_at_exit ran */
    uint64_t t0;                /* ns at gil_init: trace time origin */

    GilLocal *all_head, *all_tail;  /* every registered thread */
    int nregistered;
} gil = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .interval_ns = 15000000,
    .interval_s = 0.015,
};

extern const GilOps gil_on_ops, gil_off_ops;
const GilOps *gil_ops = &gil_off_ops;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Read the clock at most once per operation: *nowp == 0 means "not yet". */
static uint64_t lazy_now(uint64_t *nowp)
{
    if (!*nowp)
        *nowp = now_ns();
    return *nowp;
}

static void fatal(const char *what, int err)
{
    fprintf(stderr, "mini: fatal GIL error: %s: %s\n", what, strerror(err));
    abort();
}

static void lock(void)
{
    int r = pthread_mutex_lock(&gil.mu);
    if (r)
        fatal("pthread_mutex_lock", r);
}

static void unlock(void)
{
    pthread_mutex_unlock(&gil.mu);
}

static void init_cond(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int r = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    if (r)
        fatal("pthread_cond_init", r);
}

static void wait_until(pthread_cond_t *c, uint64_t deadline)
{
    struct timespec t = {
        .tv_sec = (time_t)(deadline / 1000000000u),
        .tv_nsec = (long)(deadline % 1000000000u),
    };
    pthread_cond_timedwait(c, &gil.mu, &t);
}

static void eb_set(ThreadState *ts, uint32_t bits)
{
    atomic_fetch_or_explicit(&ts->eval_breaker, bits, memory_order_relaxed);
}

static void eb_clear(ThreadState *ts, uint32_t bits)
{
    atomic_fetch_and_explicit(&ts->eval_breaker, ~bits, memory_order_relaxed);
}

static void set_state(GilLocal *gl, int s)
{
    atomic_store_explicit(&gl->state, s, memory_order_relaxed);
}

/* Append a trace event (mu held, gil.trace). */
static void trace_event(GilLocal *gl, int kind, int how, int cause,
                        uint64_t start, uint64_t end)
{
    if (gil.trace_events >= TRACE_MAX_EVENTS) {
        gil.trace_truncated = true;
        return;
    }
    if (gl->nev == gl->evcap) {
        size_t cap = gl->evcap ? gl->evcap * 2 : 256;
        GilTraceEvent *ev = realloc(gl->ev, cap * sizeof *ev);
        if (!ev) {
            gil.trace_truncated = true;
            return;
        }
        gl->ev = ev;
        gl->evcap = cap;
    }
    uint64_t s = start > gil.t0 ? start - gil.t0 : 0;
    gl->ev[gl->nev++] = (GilTraceEvent){
        .start_ns = s,
        .dur_ns = end > start ? end - start : 0,
        .kind = (uint8_t)kind,
        .how = (uint8_t)how,
        .cause = (uint8_t)cause,
    };
    gil.trace_events++;
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

static GilLocal *local_get(ThreadState *ts)
{
    GilLocal *gl = ts->gil_local;
    if (gl)
        return gl;
    gl = calloc(1, sizeof *gl);
    if (!gl)
        fatal("out of memory", ENOMEM);
    gl->ts = ts;
    init_cond(&gl->cond);
    set_state(gl, GL_DETACHED);
    lock();
    gl->tid = ++gil.nregistered;
    if (gl->tid == 1)
        snprintf(gl->name, sizeof gl->name, "MainThread");
    else
        snprintf(gl->name, sizeof gl->name, "Thread-%d", gl->tid - 1);
    if (gil.all_tail)
        gil.all_tail->all_next = gl;
    else
        gil.all_head = gl;
    gil.all_tail = gl;
    ts->gil_local = gl;         /* under mu: gil_thread_stats reads it */
    unlock();
    return gl;
}

/* Forget a finished thread's bookkeeping (mu held).  Kept for the report
 * when stats or trace are on. */
static void retire(GilLocal *gl)
{
    gl->retired = true;
    gl->ts = NULL;
    if (gil.timing)
        return;
    GilLocal **pp = &gil.all_head, *prev = NULL;
    while (*pp && *pp != gl) {
        prev = *pp;
        pp = &(*pp)->all_next;
    }
    if (*pp) {
        *pp = gl->all_next;
        if (gil.all_tail == gl)
            gil.all_tail = prev;
    }
    if (gil.last_holder == gl)
        gil.last_holder = NULL;
    if (gil.ot_owner == gl)
        gil.ot_owner = NULL;
    pthread_cond_destroy(&gl->cond);
    free(gl->ev);
    free(gl);
}

void gil_set_thread_name(ThreadState *ts, const char *name)
{
    GilLocal *gl = local_get(ts);
    lock();
    snprintf(gl->name, sizeof gl->name, "%s", name ? name : "?");
    unlock();
}

/* ------------------------------------------------------------------ */
/* Queues and the timer (mu held throughout)                           */
/* ------------------------------------------------------------------ */

static GilLocal *next_in_line(void)
{
    GilLocal *n = gil.pq_head ? gil.pq_head : gil.nq_head;
    if (gil.final_owner && n != gil.final_owner)
        return gil.final_owner->queue != Q_NONE ? gil.final_owner : NULL;
    return n;
}

/* Wake a waiter.  A spinner re-checks everything under mu when it stops
 * spinning, so it needs no signal (saves the waker a futex call). */
static void wake(GilLocal *gl)
{
    if (!gl->spinning)
        pthread_cond_signal(&gl->cond);
}

/* Make the first thread in line the timer and wake it so it starts
 * timing (it was sleeping untimed). */
static void elect_timer(void)
{
    gil.timer = next_in_line();
    gil.timer_deadline = 0;
    if (gil.timer)
        wake(gil.timer);
}

/* The slice start moved: a timer sleeping untimed or past the new
 * deadline must recompute. */
static void rearm_timer(GilLocal *self)
{
    if (!gil.timer || gil.timer == self || !gil.slice_start)
        return;
    uint64_t deadline = gil.slice_start + gil.interval_ns;
    if (gil.timer_deadline == 0 || deadline < gil.timer_deadline)
        wake(gil.timer);
}

static void enqueue(GilLocal *gl, int q, bool at_head)
{
    GilLocal **head = q == Q_PRIO ? &gil.pq_head : &gil.nq_head;
    GilLocal **tail = q == Q_PRIO ? &gil.pq_tail : &gil.nq_tail;
    gl->queue = (uint8_t)q;
    gl->granted = false;
    if (at_head) {
        gl->qnext = *head;
        *head = gl;
        if (!*tail)
            *tail = gl;
    } else {
        gl->qnext = NULL;
        if (*tail)
            (*tail)->qnext = gl;
        else
            *head = gl;
        *tail = gl;
    }
    gil.nwaiting++;
    if (!gil.timer) {
        gil.timer = gl;         /* gl is the caller: about to wait */
        gil.timer_deadline = 0;
    }
}

static void dequeue(GilLocal *gl)
{
    GilLocal **head = gl->queue == Q_PRIO ? &gil.pq_head : &gil.nq_head;
    GilLocal **tail = gl->queue == Q_PRIO ? &gil.pq_tail : &gil.nq_tail;
    GilLocal *prev = NULL;
    for (GilLocal *p = *head; p; prev = p, p = p->qnext) {
        if (p != gl)
            continue;
        if (prev)
            prev->qnext = p->qnext;
        else
            *head = p->qnext;
        if (*tail == p)
            *tail = prev;
        break;
    }
    gl->qnext = NULL;
    gl->queue = Q_NONE;
    gil.nwaiting--;
    if (gil.timer == gl)
        elect_timer();
}

/* Ask the holder to drop at its next check (keeps the first cause). */
static void request_drop(int cause)
{
    if (!EB_CHECKED || gil.drop_cause || !gil.holder || !gil.holder->ts)
        return;
    gil.drop_cause = cause;
    eb_set(gil.holder->ts, EB_GIL_DROP);
}

/* A waiter was just queued while someone holds the GIL. */
static void contention_begins(GilLocal *self, uint64_t *nowp)
{
    if (!gil.holder)
        return;
    if (!gil.slice_start) {
        gil.slice_start = lazy_now(nowp);
        rearm_timer(self);
    }
    if (EB_CHECKED && gil.switch_instr > 0 && gil.holder->ts)
        eb_set(gil.holder->ts, EB_INSTR_COUNT);
}

/* Overtaking budget: refill, then is there any left? */
static bool overtake_allowed(uint64_t *nowp)
{
    uint64_t now = lazy_now(nowp);
    if (now > gil.ot_refill_at) {
        int64_t cap = (int64_t)gil.interval_ns;
        int64_t add = (int64_t)((now - gil.ot_refill_at) >> OT_SHARE_SHIFT);
        gil.ot_tokens = gil.ot_tokens + add > cap ? cap : gil.ot_tokens + add;
        gil.ot_refill_at = now;
    }
    return gil.ot_tokens > 0;
}

/* ------------------------------------------------------------------ */
/* The state machine (mu held throughout)                              */
/* ------------------------------------------------------------------ */

/* Make gl the holder.  Run by gl itself, or by a dropper handing over.
 * Everything here is global bookkeeping; gl's own per-thread part is
 * on_acquired(), which gl runs once it is actually awake. */
static void assign(GilLocal *gl, int how, bool overtaking, uint64_t *nowp)
{
    GilLocal *prev = gil.last_holder;
    gil.holder = gl;
    atomic_fetch_add_explicit(&gil.epoch, 1, memory_order_relaxed);
    gil.drop_cause = 0;
    gil.io_hold_start = *nowp;      /* 0 (unknown) unless read already */
    gl->how = (uint8_t)how;
    if (prev != gl) {
        if (prev) {
            gil.switch_number++;
            if (gil.last_release == REL_BLOCKING)
                prev->st.handovers[GIL_CAUSE_BLOCKING]++;
            else if (gil.last_release == REL_EXIT)
                prev->st.handovers[GIL_CAUSE_EXIT]++;
        }
        gil.last_holder = gl;
        gil.ot_owner = overtaking ? gl : NULL;
        gl->new_slice = true;
        if (gl->paused)
            gil.slice_start = lazy_now(nowp) - gl->paused_used;
        else
            gil.slice_start = gil.nwaiting ? lazy_now(nowp) : 0;
        rearm_timer(gl);
    } else if (gil.nwaiting && !gil.slice_start) {
        gil.slice_start = lazy_now(nowp);
        rearm_timer(gl);
    }
    gil.last_release = REL_NONE;
}

/* gl, now awake and holding the GIL, sets up its own side. */
static void on_acquired(GilLocal *gl, bool waited, uint64_t *nowp)
{
    ThreadState *ts = gl->ts;
    gl->granted = false;
    set_state(gl, GL_ATTACHED);
    gl->st.acquisitions++;
    if (waited)
        gl->st.waits++;
    if (gl->how == GIL_HOW_PRIORITY)
        gl->st.priority_grants++;
    if (gl->new_slice) {
        /* The slice counts from now, not from the hand-over: a slow
         * wake-up must not eat the grantee's turn.  (The timer, sleeping
         * until the earlier deadline, recomputes when it wakes.) */
        gl->new_slice = false;
        if (gil.slice_start)
            gil.slice_start = lazy_now(nowp) - (gl->paused ? gl->paused_used : 0);
    }
    if (gl->paused)
        gl->paused = false;     /* resumes with the budget it had left */
    else
        ts->instr_budget = gil.switch_instr > 0 ? gil.switch_instr : LONG_MAX;
    if (EB_CHECKED && gil.switch_instr > 0 && gil.nwaiting)
        eb_set(ts, EB_INSTR_COUNT);
    else
        eb_clear(ts, EB_INSTR_COUNT);
    if (gil.ot_owner == gl)
        gl->ot_hold_start = lazy_now(nowp);
    if (gil.timing) {
        uint64_t now = lazy_now(nowp);
        if (waited) {
            uint64_t w = now > gl->wait_start ? now - gl->wait_start : 0;
            gl->st.wait_ns += w;
            if (w > gl->st.longest_wait_ns)
                gl->st.longest_wait_ns = w;
            if (gil.trace)
                trace_event(gl, GIL_EV_WAIT, 0, 0, gl->wait_start, now);
        }
        gl->hold_start = now;
    }
}

/* gl stops holding (any reason): charge time. */
static void end_hold(GilLocal *gl, int cause, uint64_t *nowp)
{
    if (gil.ot_owner == gl) {
        uint64_t now = lazy_now(nowp);
        if (now > gl->ot_hold_start)
            gil.ot_tokens -= (int64_t)(now - gl->ot_hold_start);
    }
    if (gil.timing) {
        uint64_t now = lazy_now(nowp);
        gl->st.hold_ns += now > gl->hold_start ? now - gl->hold_start : 0;
        if (gil.trace)
            trace_event(gl, GIL_EV_HOLD, gl->how, cause, gl->hold_start, now);
    }
}

/* Take gl out of its queue and make it the holder; the caller wakes it
 * (grant) or is it (wait_loop).  `woken_how`: the GilHow if it comes
 * from the normal queue without a pause. */
static void dequeue_and_assign(GilLocal *gl, int woken_how, uint64_t *nowp)
{
    bool from_prio = gl->queue == Q_PRIO;
    dequeue(gl);
    /* Leaving the priority queue ahead of a normal waiter is overtaking;
     * so is resuming a slice that was overtaking when it was paused. */
    bool overtaking = (from_prio && gil.nq_head) || (gl->paused && gl->paused_ot);
    int how = from_prio ? GIL_HOW_PRIORITY : gl->paused ? GIL_HOW_RESUME : woken_how;
    assign(gl, how, overtaking, nowp);
}

/* Hand the GIL directly to `to` (queued), waking it. */
static void grant(GilLocal *to, uint64_t *nowp)
{
    dequeue_and_assign(to, GIL_HOW_HANDOFF, nowp);
    to->granted = true;
    wake(to);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spin (mu released) until the GIL changes hands (gil.epoch moves) or
 * `until` passes.  Only a hint: the caller re-checks everything under mu
 * afterwards, and a waker that skipped the signal because we spun set
 * its state under mu before we re-lock, so no wake-up is ever lost. */
static void spin_for_change(GilLocal *gl, uint64_t until)
{
    unsigned e = atomic_load_explicit(&gil.epoch, memory_order_relaxed);
    gl->spinning = true;
    unlock();
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&gil.epoch, memory_order_relaxed) != e)
            break;
        if ((i & 7) == 0) {
            if (now_ns() >= until)
                break;
            sched_yield();
        }
        cpu_relax();
    }
    lock();
    gl->spinning = false;
}

/* The priority rule, for the thread at the head of the priority queue
 * while someone holds the GIL: 0 if the holder has been asked to drop
 * (now or before), else the end of the holder's grace -- an I/O holder
 * gets PRIO_GRACE_NS from the start of its hold to block by itself. */
static uint64_t priority_grace(uint64_t *nowp)
{
    if (gil.drop_cause)
        return 0;
    if (gil.holder->io_hold) {
        uint64_t now = lazy_now(nowp);
        if (!gil.io_hold_start)
            gil.io_hold_start = now;
        uint64_t until = gil.io_hold_start + PRIO_GRACE_NS;
        if (now < until)
            return until;
    }
    request_drop(GIL_CAUSE_PRIORITY);
    return 0;
}

/* Sleep until gl may hold the GIL, then take it.  gl is queued. */
static void wait_loop(GilLocal *gl)
{
    bool spin_grace = gil.multicore, spin_drop = gil.multicore;
    set_state(gl, GL_WAITING);
    for (;;) {
        if (gl->granted)
            return;
        if (!gil.holder && next_in_line() == gl) {
            uint64_t now = 0;
            dequeue_and_assign(gl, GIL_HOW_WOKEN, &now);
            return;
        }
        /* The head of the priority queue applies the priority rule. */
        uint64_t grace_until = 0;
        if (EB_CHECKED && gil.holder && gl->queue == Q_PRIO && next_in_line() == gl) {
            uint64_t now = 0;
            grace_until = priority_grace(&now);
            if (grace_until && spin_grace) {
                /* An I/O holder usually blocks within microseconds. */
                spin_grace = false;
                spin_for_change(gl, grace_until);
                continue;
            }
            if (!grace_until && gil.drop_cause && spin_drop) {
                /* Honoured at the holder's next check. */
                spin_drop = false;
                spin_for_change(gl, lazy_now(&now) + SPIN_DROP_NS);
                continue;
            }
        }
        if (!gil.timer)
            gil.timer = gl;
        uint64_t deadline = 0;
        if (EB_CHECKED && gil.timer == gl && gil.holder && gil.slice_start
            && !gil.drop_cause) {
            deadline = gil.slice_start + gil.interval_ns;
            if (now_ns() >= deadline) {
                request_drop(GIL_CAUSE_INTERVAL);
                continue;
            }
        }
        if (grace_until && (!deadline || grace_until < deadline))
            deadline = grace_until;
        if (gil.timer == gl)
            gil.timer_deadline = deadline;
        if (deadline)
            wait_until(&gl->cond, deadline);
        else
            pthread_cond_wait(&gl->cond, &gil.mu);
        if (gil.timer == gl)
            gil.timer_deadline = 0;
    }
}

/* Take the GIL for gl: a new thread (ACQ_NEW), or back from a blocking
 * call (ACQ_IO: a priority return) or a peer wait (ACQ_PEER). */
static void acquire(GilLocal *gl, int kind)
{
    uint64_t now = 0;
    bool io = kind == ACQ_IO;
    lock();
    if (gil.trace && kind != ACQ_NEW && gl->blocked_start) {
        trace_event(gl, io ? GIL_EV_BLOCKED : GIL_EV_PEER_WAIT, 0, 0,
                    gl->blocked_start, lazy_now(&now));
        gl->blocked_start = 0;
    }
    gl->io_hold = io;
    bool final_block = gil.final_owner && gil.final_owner != gl;
    if (!gil.holder && !final_block) {
        bool take = false, overtaking = false;
        if (!gil.nwaiting || gil.last_holder == gl)
            take = true;        /* free, or continuing our own slice */
        else if (io && overtake_allowed(&now))
            take = overtaking = true;
        if (take) {
            /* (overtaking implies last_holder != gl, so assign() starts a
             * new, charged slice) */
            assign(gl, overtaking ? GIL_HOW_PRIORITY : GIL_HOW_FREE,
                   overtaking, &now);
            on_acquired(gl, false, &now);
            unlock();
            return;
        }
    }
    bool prio = EB_CHECKED && io && !final_block && overtake_allowed(&now);
    if (gil.timing)
        gl->wait_start = lazy_now(&now);
    enqueue(gl, prio ? Q_PRIO : Q_NORMAL, false);
    contention_begins(gl, &now);
    wait_loop(gl);
    now = 0;
    on_acquired(gl, true, &now);
    unlock();
}

/* gl gives the GIL up for a blocking call or for good. */
static void release(GilLocal *gl, int why)
{
    uint64_t now = 0;
    int cause = gil.drop_cause;
    eb_clear(gl->ts, EB_GIL_DROP);
    gil.drop_cause = 0;
    end_hold(gl, why == REL_EXIT ? GIL_CAUSE_EXIT : GIL_CAUSE_BLOCKING, &now);
    gil.holder = NULL;
    atomic_fetch_add_explicit(&gil.epoch, 1, memory_order_relaxed);
    gil.last_release = why;
    set_state(gl, GL_DETACHED);
    if (gil.trace && why == REL_BLOCKING)
        gl->blocked_start = lazy_now(&now);
    GilLocal *next = next_in_line();
    if (!next)
        return;
    if (cause) {
        /* Its time was up: this release is the hand-over it owed, so it
         * may not barge back in.  (Counted as a blocking/exit hand-over by
         * assign(): the forced causes count only drop_and_wait(), each of
         * which is followed by exactly one re-acquisition.) */
        grant(next, &now);
    } else {
        wake(next);
    }
}

/* Forced switch: hand the GIL to the next in line, queue, wait our turn.
 * gl holds the GIL and someone is in line. */
static void drop_and_wait(GilLocal *gl, int cause)
{
    uint64_t now = 0;
    GilLocal *next = next_in_line();
    bool was_overtaking = gil.ot_owner == gl;
    eb_clear(gl->ts, EB_GIL_DROP);
    end_hold(gl, cause, &now);
    gl->st.handovers[cause]++;
    gil.holder = NULL;
    gil.last_release = REL_FORCED;
    bool pause = cause == GIL_CAUSE_PRIORITY && next->queue == Q_PRIO;
    if (pause) {
        uint64_t t = lazy_now(&now);
        gl->paused = true;
        gl->paused_ot = was_overtaking;
        gl->paused_used = t > gil.slice_start ? t - gil.slice_start : 0;
        if (gl->paused_used > gil.interval_ns)
            gl->paused_used = gil.interval_ns;
    } else {
        gl->io_hold = false;    /* its next turn is an ordinary one */
    }
    if (gil.timing)
        gl->wait_start = lazy_now(&now);
    /* Queue first, so the grantee's slice starts with a waiter present. */
    enqueue(gl, Q_NORMAL, pause);
    grant(next, &now);
    wait_loop(gl);
    now = 0;
    on_acquired(gl, true, &now);
}

/* ------------------------------------------------------------------ */
/* GIL on                                                              */
/* ------------------------------------------------------------------ */

static void on_thread_attach(ThreadState *ts)
{
    GilLocal *gl = local_get(ts);
    if (atomic_load_explicit(&gl->state, memory_order_relaxed) == GL_ATTACHED)
        return;                 /* already attached: nothing to take */
    acquire(gl, ACQ_NEW);
}

static void on_thread_detach(ThreadState *ts)
{
    GilLocal *gl = ts->gil_local;
    if (!gl)
        return;
    lock();
    if (gil.holder == gl)
        release(gl, REL_EXIT);
    ts->gil_local = NULL;
    retire(gl);
    unlock();
}

/* A bracket on a thread that does not hold the GIL (not attached yet,
 * or during start-up) is a no-op, and so is its end. */
static void begin_wait(ThreadState *ts, bool peer)
{
    GilLocal *gl = ts ? ts->gil_local : NULL;
    if (!gl)
        return;
    lock();
    if (gil.holder == gl && !gl->granted) {
        release(gl, REL_BLOCKING);
        gl->in_blocking = true;
        gl->peer_wait = peer;
    }
    unlock();
}

static void on_blocking_begin(ThreadState *ts)
{
    begin_wait(ts, false);
}

static void on_peer_wait_begin(ThreadState *ts)
{
    begin_wait(ts, true);
}

static void on_blocking_end(ThreadState *ts)
{
    GilLocal *gl = ts ? ts->gil_local : NULL;
    if (!gl || !gl->in_blocking)
        return;
    gl->in_blocking = false;
    acquire(gl, gl->peer_wait ? ACQ_PEER : ACQ_IO);
}

static int on_handle_breaker(ThreadState *ts)
{
    uint32_t w = atomic_load_explicit(&ts->eval_breaker, memory_order_relaxed);
    if (!(w & EB_GIL_DROP))
        return 0;
    GilLocal *gl = ts->gil_local;
    if (!gl) {
        eb_clear(ts, EB_GIL_DROP);
        return 0;
    }
    lock();
    eb_clear(ts, EB_GIL_DROP);
    int cause = gil.drop_cause;
    if (gil.holder == gl) {
        if (cause && next_in_line())
            drop_and_wait(gl, cause);
        else
            gil.drop_cause = 0;
    }
    unlock();
    return 0;
}

static int on_instr_expired(ThreadState *ts)
{
    GilLocal *gl = ts->gil_local;
    lock();
    if (gl && gil.holder == gl && gil.switch_instr > 0 && next_in_line()) {
        drop_and_wait(gl, GIL_CAUSE_INSTR);
        /* The instruction whose tick failed runs first in the new turn. */
        ts->instr_budget--;
    } else {
        /* Nobody waits (or counting was switched off): leave counting
         * mode; the loop re-reads its mask right after this call. */
        ts->instr_budget = gil.switch_instr > 0 ? gil.switch_instr : LONG_MAX;
        eb_clear(ts, EB_INSTR_COUNT);
    }
    unlock();
    return 0;
}

const GilOps gil_on_ops = {
    .thread_attach = on_thread_attach,
    .thread_detach = on_thread_detach,
    .blocking_begin = on_blocking_begin,
    .peer_wait_begin = on_peer_wait_begin,
    .blocking_end = on_blocking_end,
    .handle_breaker = on_handle_breaker,
    .instr_expired = on_instr_expired,
};

/* ------------------------------------------------------------------ */
/* GIL off: every thread is always attached; we only keep the state    */
/* ------------------------------------------------------------------ */

static void off_thread_attach(ThreadState *ts)
{
    GilLocal *gl = local_get(ts);
    lock();
    gl->st.acquisitions++;
    unlock();
    set_state(gl, GL_ATTACHED);
}

static void off_thread_detach(ThreadState *ts)
{
    GilLocal *gl = ts->gil_local;
    if (!gl)
        return;
    lock();
    ts->gil_local = NULL;
    retire(gl);
    unlock();
}

static void off_blocking_begin(ThreadState *ts)
{
    if (ts && ts->gil_local)
        set_state(ts->gil_local, GL_DETACHED);
}

static void off_blocking_end(ThreadState *ts)
{
    if (ts && ts->gil_local)
        set_state(ts->gil_local, GL_ATTACHED);
}

static int off_handle_breaker(ThreadState *ts)
{
    eb_clear(ts, EB_GIL_DROP);
    return 0;
}

static int off_instr_expired(ThreadState *ts)
{
    ts->instr_budget = LONG_MAX;
    eb_clear(ts, EB_INSTR_COUNT);
    return 0;
}

const GilOps gil_off_ops = {
    .thread_attach = off_thread_attach,
    .thread_detach = off_thread_detach,
    .blocking_begin = off_blocking_begin,
    .peer_wait_begin = off_blocking_begin,
    .blocking_end = off_blocking_end,
    .handle_breaker = off_handle_breaker,
    .instr_expired = off_instr_expired,
};

/* ------------------------------------------------------------------ */
/* Public entry points                                                 */
/* ------------------------------------------------------------------ */

/* Like CPython, the interval is kept in whole microseconds (truncated),
 * so sys.getswitchinterval() reads back exactly what CPython's does --
 * 0.1 reads 0.09999999999999999, anything below 1 us reads 0.0.  The GIL
 * itself never times a slice shorter than 1 us (nor, to stay clear of
 * overflow, longer than ~11.6 days). */
static double interval_truncate(double seconds)
{
    double us = seconds * 1e6;
    if (!(us >= 0.0))
        us = 0.0;               /* also catches NaN */
    if (us > 1e18)
        us = 1e18;
    return 1.0e-6 * (double)(unsigned long long)us;
}

static uint64_t interval_to_ns(double seconds)
{
    double ns = seconds * 1e9;
    if (!(ns >= 1000.0))
        ns = 1000.0;
    if (ns > 1e15)
        ns = 1e15;
    return (uint64_t)ns;
}

void gil_init(Interp *interp)
{
    pthread_mutex_init(&gil.mu, NULL);
    /* Bookkeeping of a previous gil_init (unit tests) is abandoned. */
    gil.interp = interp;
    gil.enabled = interp->gil_enabled;
    gil.holder = gil.last_holder = NULL;
    gil.last_release = REL_NONE;
    gil.switch_number = 0;
    gil.pq_head = gil.pq_tail = gil.nq_head = gil.nq_tail = NULL;
    gil.nwaiting = 0;
    gil.timer = NULL;
    gil.timer_deadline = 0;
    gil.slice_start = 0;
    gil.drop_cause = 0;
    gil.io_hold_start = 0;
    interp->switch_interval =
        interval_truncate(interp->switch_interval > 0 ? interp->switch_interval : 0.015);
    gil.interval_s = interp->switch_interval;
    gil.interval_ns = interval_to_ns(gil.interval_s);
    gil.switch_instr = interp->switch_instructions > 0 ? interp->switch_instructions : 0;
    gil.ot_tokens = (int64_t)gil.interval_ns;
    gil.multicore = sysconf(_SC_NPROCESSORS_ONLN) > 1;
    gil.t0 = now_ns();
    gil.ot_refill_at = gil.t0;
    gil.ot_owner = NULL;
    gil.final_owner = NULL;
    gil.stats = interp->gil_stats;
    gil.trace_path = interp->gil_trace_path;
    gil.trace = gil.trace_path && *gil.trace_path;
    gil.timing = gil.stats || gil.trace;
    gil.trace_truncated = false;
    gil.trace_events = 0;
    gil.exit_done = false;
    gil.all_head = gil.all_tail = NULL;
    gil.nregistered = 0;
    gil_ops = gil.enabled ? &gil_on_ops : &gil_off_ops;
    mn_ft = !gil.enabled;
}

void gil_thread_attach(ThreadState *ts)
{
    gil_ops->thread_attach(ts);
}

void gil_thread_detach(ThreadState *ts)
{
    gil_ops->thread_detach(ts);
}

bool gil_is_enabled(void)
{
    return gil_ops == &gil_on_ops;
}

void gil_set_switch_interval(double seconds)
{
    lock();
    gil.interval_s = interval_truncate(seconds);
    gil.interval_ns = interval_to_ns(gil.interval_s);
    if (gil.interp)
        gil.interp->switch_interval = gil.interval_s;
    if (gil.ot_tokens > (int64_t)gil.interval_ns)
        gil.ot_tokens = (int64_t)gil.interval_ns;
    if (gil.timer)
        wake(gil.timer);
    unlock();
}

double gil_get_switch_interval(void)
{
    lock();
    double s = gil.interval_s;
    unlock();
    return s;
}

void gil_set_switch_instructions(long n)
{
    if (n < 0)
        n = 0;
    lock();
    gil.switch_instr = n;
    if (gil.interp)
        gil.interp->switch_instructions = n;
    if (gil.enabled) {
        for (GilLocal *p = gil.all_head; p; p = p->all_next) {
            if (!p->ts)
                continue;
            if (EB_CHECKED && p == gil.holder && n > 0 && gil.nwaiting) {
                /* The caller is the holder, so its budget is ours to set. */
                p->ts->instr_budget = n;
                eb_set(p->ts, EB_INSTR_COUNT);
            } else if (n == 0) {
                eb_clear(p->ts, EB_INSTR_COUNT);
            }
        }
    }
    unlock();
}

long gil_get_switch_instructions(void)
{
    lock();
    long n = gil.switch_instr;
    unlock();
    return n;
}

/* ------------------------------------------------------------------ */
/* fork                                                                */
/* ------------------------------------------------------------------ */

void gil_before_fork(void)
{
    lock();
}

void gil_after_fork_parent(void)
{
    unlock();
}

void gil_after_fork_child(ThreadState *ts)
{
    /* The child has one thread; the mutex and the condition variables of
     * the threads that did not survive may be in any state.  Rebuild. */
    pthread_mutex_init(&gil.mu, NULL);
    GilLocal *gl = ts->gil_local;
    /* Other threads' GilLocals are leaked: their memory may be mid-update
     * and nobody will ever use them again. */
    gil.all_head = gil.all_tail = NULL;
    gil.nregistered = 0;
    gil.pq_head = gil.pq_tail = gil.nq_head = gil.nq_tail = NULL;
    gil.nwaiting = 0;
    gil.timer = NULL;
    gil.timer_deadline = 0;
    gil.slice_start = 0;
    gil.drop_cause = 0;
    gil.io_hold_start = 0;
    gil.switch_number = 0;
    gil.ot_owner = NULL;
    gil.ot_tokens = (int64_t)gil.interval_ns;
    gil.ot_refill_at = now_ns();
    gil.final_owner = NULL;
    gil.exit_done = false;
    gil.trace = false;          /* the parent owns the trace file */
    gil.trace_path = NULL;
    gil.trace_events = 0;
    gil.trace_truncated = false;
    gil.timing = gil.stats;
    eb_clear(ts, EB_GIL_DROP | EB_INSTR_COUNT);
    if (gl) {
        init_cond(&gl->cond);
        gl->all_next = NULL;
        gl->qnext = NULL;
        gl->queue = Q_NONE;
        gl->granted = gl->paused = gl->paused_ot = gl->spinning = false;
        gl->io_hold = false;
        gl->retired = false;
        gl->tid = ++gil.nregistered;
        memset(&gl->st, 0, sizeof gl->st);
        free(gl->ev);
        gl->ev = NULL;
        gl->nev = gl->evcap = 0;
        gl->blocked_start = 0;
        gil.all_head = gil.all_tail = gl;
        gil.holder = gil.enabled ? gl : NULL;
        gil.last_holder = gil.holder;
        gil.last_release = REL_NONE;
        gl->how = GIL_HOW_FREE;
        gl->hold_start = now_ns();
        set_state(gl, GL_ATTACHED);
    } else {
        gil.holder = gil.last_holder = NULL;
    }
}

/* ------------------------------------------------------------------ */
/* Statistics snapshots                                                */
/* ------------------------------------------------------------------ */

int gil_thread_stats(ThreadState *ts, GilThreadStats *out)
{
    memset(out, 0, sizeof *out);
    lock();
    GilLocal *gl = ts->gil_local;
    if (!gl) {
        unlock();
        return 0;
    }
    *out = gl->st;
    if (gil.timing && gil.holder == gl && gl->granted == false
        && atomic_load_explicit(&gl->state, memory_order_relaxed) == GL_ATTACHED) {
        uint64_t now = now_ns();
        out->hold_ns += now > gl->hold_start ? now - gl->hold_start : 0;
    }
    unlock();
    return 1;
}

static void add_stats(GilThreadStats *sum, const GilThreadStats *s)
{
    sum->acquisitions += s->acquisitions;
    sum->waits += s->waits;
    sum->priority_grants += s->priority_grants;
    for (int i = 0; i < GIL_NCAUSES; i++)
        sum->handovers[i] += s->handovers[i];
    sum->hold_ns += s->hold_ns;
    sum->wait_ns += s->wait_ns;
    if (s->longest_wait_ns > sum->longest_wait_ns)
        sum->longest_wait_ns = s->longest_wait_ns;
}

void gil_total_stats(GilThreadStats *out, uint64_t *switches)
{
    memset(out, 0, sizeof *out);
    lock();
    for (GilLocal *p = gil.all_head; p; p = p->all_next)
        add_stats(out, &p->st);
    if (switches)
        *switches = gil.switch_number;
    unlock();
}

/* Build report rows (mu held).  The current holder's open hold is closed
 * at `now` in its row (stats) and given as open_hold (trace). */
static GilReportRow *build_rows(size_t *n, GilReportInfo *info, uint64_t now)
{
    size_t cnt = 0;
    for (GilLocal *p = gil.all_head; p; p = p->all_next)
        cnt++;
    GilReportRow *rows = calloc(cnt ? cnt : 1, sizeof *rows);
    if (!rows)
        cnt = 0;
    size_t i = 0;
    for (GilLocal *p = gil.all_head; p && rows; p = p->all_next, i++) {
        GilReportRow *r = &rows[i];
        r->name = p->name;
        r->tid = p->tid;
        r->alive = !p->retired;
        r->st = p->st;
        r->events = p->ev;
        r->nevents = p->nev;
        bool holding = gil.holder == p && !p->granted
            && atomic_load_explicit(&p->state, memory_order_relaxed) == GL_ATTACHED;
        if (gil.timing && holding) {
            uint64_t held = now > p->hold_start ? now - p->hold_start : 0;
            r->st.hold_ns += held;
            r->has_open_hold = gil.trace;
            r->open_hold = (GilTraceEvent){
                .start_ns = p->hold_start > gil.t0 ? p->hold_start - gil.t0 : 0,
                .dur_ns = held, .kind = GIL_EV_HOLD, .how = p->how,
                .cause = GIL_NCAUSES,
            };
        }
    }
    *n = cnt;
    info->enabled = gil.enabled;
    info->switch_interval = (double)gil.interval_ns / 1e9;
    info->switch_instructions = gil.switch_instr;
    info->switches = gil.switch_number;
    info->truncated = gil.trace_truncated;
    info->elapsed_ns = now > gil.t0 ? now - gil.t0 : 0;
    return rows;
}

void gil_print_stats(FILE *f)
{
    GilReportInfo info;
    size_t n;
    lock();
    GilReportRow *rows = build_rows(&n, &info, now_ns());
    gil_stats_format(f, rows, n, &info);
    unlock();
    free(rows);
}

int gil_write_trace(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    GilReportInfo info;
    size_t n;
    lock();
    GilReportRow *rows = build_rows(&n, &info, now_ns());
    int r = gil_trace_format(f, rows, n, &info, (long)getpid());
    unlock();
    free(rows);
    if (fclose(f) != 0)
        r = -1;
    return r;
}

void gil_at_exit(ThreadState *ts)
{
    lock();
    bool first = !gil.exit_done;
    gil.exit_done = true;
    if (ts && ts->gil_local && gil.enabled)
        gil.final_owner = ts->gil_local;
    bool stats = gil.stats, trace = gil.trace;
    const char *path = gil.trace_path;
    unlock();
    if (!first)
        return;
    if (stats)
        gil_print_stats(stderr);
    if (trace && gil_write_trace(path) < 0)
        fprintf(stderr, "mini: cannot write GIL trace '%s': %s\n", path, strerror(errno));
}
