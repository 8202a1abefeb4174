/*
 * thread_sync.c -- how mini threads wait for each other: the thread
 * registry, the one wait primitive everything is built on, the deadlock
 * detector, and the synchronisation types of `_thread` / `threading`
 * (lock, RLock, Condition, Semaphore, BoundedSemaphore, Event and the
 * _ThreadHandle that Thread.join waits on).  The model is described in
 * stdlib/mn_thread.h.
 *
 * Every wait follows the same steps (sync_block):
 *
 *   1. with mn_sync_mu held (and the GIL): test the object; if it cannot
 *      be had, put the thread's record on the object's queue and, for a
 *      wait without timeout, count it as blocked forever -- and if that
 *      makes every live thread blocked forever, report the deadlock;
 *   2. release the GIL (MN_BEGIN_PEER_WAIT) and sleep on the record's
 *      condition variable until a waker marks it `woken`, the absolute
 *      CLOCK_MONOTONIC deadline passes, or -- main thread only -- a SIGINT
 *      is pending (the main thread sleeps in slices of SIGNAL_SLICE_NS so
 *      it notices Ctrl-C promptly);
 *   3. leave the queue, drop mn_sync_mu, THEN take the GIL back (never
 *      wait for the GIL while holding mn_sync_mu: gil.h's locking rule);
 *   4. test the object again.  A SIGINT goes through the eval breaker,
 *      which raises KeyboardInterrupt in the main thread.
 *
 * Deadlines are computed once, before the first wait, so the time spent
 * getting the GIL back never stretches a timeout.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../vm/eval.h"
#include "../vm/frame.h"
#include "../vm/gil.h"
#include "mn_stdlib.h"
#include "mn_thread.h"

/* How long the main thread sleeps at most between looks at the SIGINT
 * flag while it waits (Ctrl-C latency). */
#define SIGNAL_SLICE_NS 20000000L

pthread_mutex_t mn_sync_mu = PTHREAD_MUTEX_INITIALIZER;

/* All of these are guarded by mn_sync_mu. */
static MnThreadRec *reg_head, *reg_tail;   /* every record, start order */
static int nlive;                          /* records not exiting */
static int nblocked;                       /* records with `forever` set */
static int n_ext;                          /* records with ext_key set */
static uint64_t sync_epoch = 1;            /* bumped in a fork child */

static __thread MnThreadRec *cur_rec;

static void handle_done_locked(Value h);
static pthread_condattr_t cv_attr;
static pthread_once_t sync_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ */
/* Fork: the child keeps only the forking thread                       */
/* ------------------------------------------------------------------ */

static void fork_prepare(void) { pthread_mutex_lock(&mn_sync_mu); }
static void fork_parent(void) { pthread_mutex_unlock(&mn_sync_mu); }

/* Wait queues may still name records of threads that do not exist in the
 * child; the new epoch marks them stale and queue operations skip them
 * (never touching their condition variables). */
static void fork_child(void)
{
    pthread_mutex_init(&mn_sync_mu, NULL);
    sync_epoch++;
    reg_head = reg_tail = NULL;
    nlive = nblocked = n_ext = 0;
    MnThreadRec *r = cur_rec;
    if (r) {
        r->prev = r->next = NULL;
        r->wq = NULL;
        r->wq_prev = r->wq_next = NULL;
        r->woken = r->forever = false;
        r->ext_key = NULL;
        r->epoch = sync_epoch;
        pthread_cond_init(&r->cv, &cv_attr);
        reg_head = reg_tail = r;
        nlive = 1;
    }
}

static void sync_init_once(void)
{
    pthread_condattr_init(&cv_attr);
    pthread_condattr_setclock(&cv_attr, CLOCK_MONOTONIC);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ------------------------------------------------------------------ */
/* The registry                                                        */
/* ------------------------------------------------------------------ */

static MnThreadRec *rec_alloc(void)
{
    pthread_once(&sync_once, sync_init_once);
    MnThreadRec *r = gc_alloc_uncollectable(sizeof *r);
    memset(r, 0, sizeof *r);
    pthread_cond_init(&r->cv, &cv_attr);
    return r;
}

/* mn_sync_mu held. */
static void reg_add(MnThreadRec *r)
{
    r->epoch = sync_epoch;
    r->prev = reg_tail;
    r->next = NULL;
    if (reg_tail)
        reg_tail->next = r;
    else
        reg_head = r;
    reg_tail = r;
    nlive++;
}

static void reg_remove(MnThreadRec *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (reg_head == r)
        reg_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else if (reg_tail == r)
        reg_tail = r->prev;
    r->prev = r->next = NULL;
}

MnThreadRec *mn_thread_me(void)
{
    MnThreadRec *r = cur_rec;
    if (r)
        return r;
    r = rec_alloc();
    ThreadState *ts = mn_ts();
    r->ts = ts;
    r->ident = ts ? ts->ident : (uint64_t)pthread_self();
    pthread_mutex_lock(&mn_sync_mu);
    reg_add(r);
    pthread_mutex_unlock(&mn_sync_mu);
    cur_rec = r;
    return r;
}

MnThreadRec *mn_thread_rec_new(void)
{
    MnThreadRec *r = rec_alloc();
    r->ours = true;
    pthread_mutex_lock(&mn_sync_mu);
    reg_add(r);
    pthread_mutex_unlock(&mn_sync_mu);
    return r;
}

void mn_thread_rec_abandon(MnThreadRec *rec)
{
    pthread_mutex_lock(&mn_sync_mu);
    reg_remove(rec);
    nlive--;
    pthread_mutex_unlock(&mn_sync_mu);
    pthread_cond_destroy(&rec->cv);
    GC_FREE(rec);
}

void mn_thread_rec_bind(MnThreadRec *rec, ThreadState *ts)
{
    pthread_mutex_lock(&mn_sync_mu);
    rec->ts = ts;
    rec->ident = ts->ident;
    pthread_mutex_unlock(&mn_sync_mu);
    cur_rec = rec;
}

void mn_thread_rec_free(MnThreadRec *rec)
{
    pthread_mutex_lock(&mn_sync_mu);
    if (rec->epoch == sync_epoch)
        reg_remove(rec);
    pthread_mutex_unlock(&mn_sync_mu);
    if (cur_rec == rec)
        cur_rec = NULL;
    pthread_cond_destroy(&rec->cv);
    GC_FREE(rec);
}

long mn_thread_count(void)
{
    long n = 0;
    pthread_mutex_lock(&mn_sync_mu);
    for (MnThreadRec *r = reg_head; r; r = r->next)
        if (r->ours && !r->exiting)
            n++;
    pthread_mutex_unlock(&mn_sync_mu);
    return n;
}

bool mn_thread_set_name(uint64_t ident, Value name)
{
    ThreadState *ts = NULL;
    pthread_mutex_lock(&mn_sync_mu);
    for (MnThreadRec *r = reg_head; r; r = r->next)
        if (r->ident == ident && !r->exiting && r->ts) {
            ts = r->ts;
            break;
        }
    pthread_mutex_unlock(&mn_sync_mu);
    if (!ts)
        return false;
    /* Values in a ThreadState are only touched with the GIL held. */
    ts->name = name;
    gil_set_thread_name(ts, mn_cstr(name));
    return true;
}

/* ------------------------------------------------------------------ */
/* Wait queues (mn_sync_mu held)                                       */
/* ------------------------------------------------------------------ */

static void waitq_push(MnWaitQ *q, MnThreadRec *r)
{
    r->wq = q;
    r->woken = false;
    r->wq_next = NULL;
    r->wq_prev = q->tail;
    if (q->tail)
        q->tail->wq_next = r;
    else
        q->head = r;
    q->tail = r;
    q->n++;
}

static void waitq_remove(MnThreadRec *r)
{
    MnWaitQ *q = r->wq;
    if (!q)
        return;
    if (r->wq_prev)
        r->wq_prev->wq_next = r->wq_next;
    else
        q->head = r->wq_next;
    if (r->wq_next)
        r->wq_next->wq_prev = r->wq_prev;
    else
        q->tail = r->wq_prev;
    r->wq = NULL;
    r->wq_prev = r->wq_next = NULL;
    q->n--;
}

/* Take the first live waiter off q and wake it.  false if none. */
static bool wake_one(MnWaitQ *q)
{
    MnThreadRec *r;
    while ((r = q->head)) {
        waitq_remove(r);
        if (r->epoch != sync_epoch)
            continue;           /* a thread that died in fork() */
        r->woken = true;
        if (r->forever) {
            r->forever = false;
            nblocked--;
        }
        pthread_cond_signal(&r->cv);
        return true;
    }
    return false;
}

static void wake_all(MnWaitQ *q)
{
    while (wake_one(q))
        ;
}

/* ------------------------------------------------------------------ */
/* The deadlock detector                                               */
/* ------------------------------------------------------------------ */

/* Where a thread waits: the innermost frame that is not stdlib code
 * ("<frozen threading>"), so a Condition.wait inside Barrier.wait is
 * reported at the user's barrier.wait() call. */
static void note_where(MnThreadRec *me)
{
    me->where_file = "?";
    me->where_line = 0;
    ThreadState *ts = me->ts;
    Frame *pick = ts ? ts->frame : NULL;
    for (Frame *f = pick; f; f = f->prev) {
        if (strncmp(mn_cstr(f->code->filename), "<frozen ", 8) != 0) {
            pick = f;
            break;
        }
    }
    if (pick) {
        me->where_file = mn_cstr(pick->code->filename);
        me->where_line = mn_frame_lineno(pick);
    }
}

static const char *rec_name(MnThreadRec *r, char *buf, size_t n)
{
    ThreadState *ts = r->ts;
    if (ts && ts->name && mn_is_str(ts->name))
        return mn_cstr(ts->name);
    if (ts && ts == mn_interp.main_thread)
        return "MainThread";
    snprintf(buf, n, "<thread %" PRIu64 ">", r->ident);
    return buf;
}

/* Every live thread is blocked forever: say so and exit.  Called with
 * mn_sync_mu and the GIL held; nothing else can run any more (all other
 * threads sleep until woken, and only a running thread could wake them),
 * so reading their records and thread states is safe. */
static void report_deadlock(void)
{
    int n = 0;
    for (MnThreadRec *r = reg_head; r; r = r->next)
        if (!r->exiting)
            n++;
    pthread_mutex_unlock(&mn_sync_mu);
    mn_flush_std_streams();
    fprintf(stderr, "deadlock detected: all %d thread%s blocked forever\n", n,
            n == 1 ? " is" : "s are");
    for (MnThreadRec *r = reg_head; r; r = r->next) {
        if (r->exiting)
            continue;
        char buf[48];
        fprintf(stderr, "  thread '%s' waits on %s at %s:%d\n", rec_name(r, buf, sizeof buf),
                r->what ? r->what : "?", r->where_file ? r->where_file : "?", r->where_line);
    }
    fflush(stderr);
    _exit(1);
}

/* mn_sync_mu held, the GIL held (the caller is about to block forever or
 * has just stopped being live). */
static void check_deadlock(void)
{
    if (nlive <= 0 || nblocked < nlive)
        return;
    /* A pending SIGINT wakes the main thread (KeyboardInterrupt). */
    if (mn_signal_pending())
        return;
    /* A thread state with no record belongs to a thread running mini code
     * that we know nothing about: it might wake someone. */
    bool foreign = false;
    pthread_mutex_lock(&mn_interp.lock);
    for (ThreadState *t = mn_interp.threads; t && !foreign; t = t->next) {
        bool known = false;
        for (MnThreadRec *r = reg_head; r; r = r->next)
            if (r->ts == t) {
                known = true;
                break;
            }
        foreign = !known;
    }
    pthread_mutex_unlock(&mn_interp.lock);
    if (!foreign)
        report_deadlock();
}

void mn_thread_rec_exit(MnThreadRec *rec)
{
    pthread_mutex_lock(&mn_sync_mu);
    if (rec->handle)
        handle_done_locked(rec->handle);
    if (!rec->exiting && rec->epoch == sync_epoch) {
        rec->exiting = true;
        nlive--;
        check_deadlock();
    }
    pthread_mutex_unlock(&mn_sync_mu);
}

/* Waits implemented elsewhere (mn_thread.h explains the protocol). */
void mn_deadlock_wait_begin(const void *key, const char *what)
{
    MnThreadRec *me = mn_thread_me();
    pthread_mutex_lock(&mn_sync_mu);
    if (!me->ext_key)
        __atomic_fetch_add(&n_ext, 1, __ATOMIC_RELAXED);
    me->ext_key = key;
    me->what = what;
    if (!me->forever) {
        note_where(me);
        me->forever = true;
        nblocked++;
        check_deadlock();
    }
    pthread_mutex_unlock(&mn_sync_mu);
}

void mn_deadlock_wait_end(void)
{
    MnThreadRec *me = cur_rec;
    if (!me)
        return;
    pthread_mutex_lock(&mn_sync_mu);
    if (me->ext_key) {
        me->ext_key = NULL;
        __atomic_fetch_sub(&n_ext, 1, __ATOMIC_RELAXED);
    }
    if (me->forever) {
        me->forever = false;
        nblocked--;
    }
    pthread_mutex_unlock(&mn_sync_mu);
}

void mn_deadlock_wake(const void *key, int n)
{
    /* The waker holds the mutex the waiter registered under, so a
     * registration it must see is already visible. */
    if (__atomic_load_n(&n_ext, __ATOMIC_RELAXED) == 0 || n == 0)
        return;
    pthread_mutex_lock(&mn_sync_mu);
    for (MnThreadRec *r = reg_head; r && n != 0; r = r->next) {
        if (r->ext_key == key && r->forever) {
            r->forever = false;
            nblocked--;
            n--;
        }
    }
    pthread_mutex_unlock(&mn_sync_mu);
}

/* ------------------------------------------------------------------ */
/* The wait primitive                                                  */
/* ------------------------------------------------------------------ */

typedef enum { WAIT_WOKEN, WAIT_TIMEOUT, WAIT_INTERRUPT } WaitResult;

static void deadline_in(double secs, struct timespec *d)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    double whole = floor(secs);
    d->tv_sec += (time_t)whole;
    d->tv_nsec += (long)((secs - whole) * 1e9);
    if (d->tv_nsec >= 1000000000L) {
        d->tv_sec++;
        d->tv_nsec -= 1000000000L;
    }
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Block the calling thread on q (steps 1-3 of the file comment).  Called
 * with mn_sync_mu and the GIL held; returns with mn_sync_mu RELEASED and
 * the GIL held.  With `enqueued` the caller has already put `me` on q
 * (Condition.wait: before it released the lock) and `me` may even be
 * woken already.  dl == NULL waits forever.
 */
static WaitResult sync_block(MnThreadRec *me, MnWaitQ *q, const struct timespec *dl,
                             const char *what, bool enqueued)
{
    ThreadState *ts = mn_ts();
    if (!enqueued)
        waitq_push(q, me);
    if (me->woken) {
        pthread_mutex_unlock(&mn_sync_mu);
        return WAIT_WOKEN;
    }
    me->what = what;
    if (!dl) {
        note_where(me);
        me->forever = true;
        nblocked++;
        check_deadlock();
    }
    bool is_main = ts && ts == mn_interp.main_thread;
    WaitResult res;
    if (ts)
        MN_BEGIN_PEER_WAIT(ts);
    for (;;) {
        if (me->woken) {
            res = WAIT_WOKEN;
            break;
        }
        if (is_main && mn_signal_pending()) {
            res = WAIT_INTERRUPT;
            break;
        }
        struct timespec until, now;
        bool timed = false;
        if (dl) {
            until = *dl;
            timed = true;
        }
        if (is_main) {
            struct timespec slice;
            clock_gettime(CLOCK_MONOTONIC, &slice);
            slice.tv_nsec += SIGNAL_SLICE_NS;
            if (slice.tv_nsec >= 1000000000L) {
                slice.tv_sec++;
                slice.tv_nsec -= 1000000000L;
            }
            if (!timed || ts_before(&slice, &until))
                until = slice;
            timed = true;
        }
        if (timed)
            pthread_cond_timedwait(&me->cv, &mn_sync_mu, &until);
        else
            pthread_cond_wait(&me->cv, &mn_sync_mu);
        if (!me->woken && dl) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (!ts_before(&now, dl)) {
                res = WAIT_TIMEOUT;
                break;
            }
        }
    }
    if (!me->woken)
        waitq_remove(me);
    if (me->forever) {
        me->forever = false;
        nblocked--;
    }
    pthread_mutex_unlock(&mn_sync_mu);
    if (ts)
        MN_END_PEER_WAIT(ts);
    return res;
}

/* A wait was cut short by a SIGINT: let the eval breaker raise
 * KeyboardInterrupt (-1).  0 means the signal was handled without an
 * exception and the wait goes on. */
static int handle_interrupt(void)
{
    ThreadState *ts = mn_ts();
    return ts ? mn_eval_breaker_slow(ts) : 0;
}

/* "Take the object if possible" for acquire_generic: mn_sync_mu held. */
typedef bool (*TryFn)(Value obj, MnThreadRec *me);

/* Acquire obj with try_fn, waiting on q.  timeout < 0: forever; 0: do
 * not block.  1 = acquired, 0 = timed out, -1 = exception. */
static int acquire_generic(Value obj, MnWaitQ *q, TryFn try_fn, double timeout,
                           const char *what)
{
    MnThreadRec *me = mn_thread_me();
    struct timespec dl;
    if (timeout > 0)
        deadline_in(timeout, &dl);
    pthread_mutex_lock(&mn_sync_mu);
    for (;;) {
        if (try_fn(obj, me)) {
            pthread_mutex_unlock(&mn_sync_mu);
            return 1;
        }
        if (timeout == 0) {
            pthread_mutex_unlock(&mn_sync_mu);
            return 0;
        }
        WaitResult r = sync_block(me, q, timeout > 0 ? &dl : NULL, what, false);
        if (r == WAIT_INTERRUPT && handle_interrupt() < 0)
            return -1;
        pthread_mutex_lock(&mn_sync_mu);
        if (r == WAIT_TIMEOUT) {
            bool got = try_fn(obj, me);
            pthread_mutex_unlock(&mn_sync_mu);
            return got;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Argument helpers                                                    */
/* ------------------------------------------------------------------ */

static int check_timeout_range(double t)
{
    if (t > MN_TIMEOUT_MAX)
        return mn_raise_int(&OverflowErrorType, "timestamp too large to convert to C _PyTime_t");
    return 0;
}

int mn_lock_timeout_args(Value blocking, Value timeout, double *out)
{
    int b = 1;
    if (blocking && (b = mn_truthy(blocking)) < 0)
        return -1;
    double t = -1;
    if (timeout && mn_to_double(timeout, &t) < 0)
        return -1;
    if (!b && t != -1)
        return mn_raise_int(&ValueErrorType, "can't specify a timeout for a non-blocking call");
    if (t < 0 && t != -1)
        return mn_raise_int(&ValueErrorType, "timeout value must be positive");
    if (!b)
        t = 0;
    else if (t > 0 && check_timeout_range(t) < 0)
        return -1;
    *out = t;
    return 0;
}

/* A `timeout=None` argument of the threading API: -1 for None/missing
 * (forever), else max(t, 0). */
static int optional_timeout(Value v, double *out)
{
    if (!v || v == mn_None) {
        *out = -1;
        return 0;
    }
    double t;
    if (mn_to_double(v, &t) < 0)
        return -1;
    if (isnan(t))
        return mn_raise_int(&ValueErrorType, "Invalid value NaN (not a number)");
    if (t < 0)
        t = 0;
    if (t > 0 && check_timeout_range(t) < 0)
        return -1;
    *out = t;
    return 0;
}

/* "<threading.Event at 0x7f...: " -- module and qualname of the actual
 * class, as CPython's reprs use self.__class__. */
static int sb_add_class_at(StrBuf *b, Value self)
{
    Value t = mn_val(mn_typeof(self));
    Value mod = mn_getattr_s(t, "__module__");
    Value qn = mod ? mn_getattr_s(t, "__qualname__") : 0;
    if (!qn)
        return -1;
    sb_addc(b, '<');
    if (sb_add_value_str(b, mod) < 0)
        return -1;
    sb_addc(b, '.');
    if (sb_add_value_str(b, qn) < 0)
        return -1;
    sb_addf(b, " at %#" PRIxPTR ": ", (uintptr_t)self);
    return 0;
}

/* ------------------------------------------------------------------ */
/* _thread.lock                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    bool locked;
    MnWaitQ q;
} LockObject;

#define LOCK(v) AS(LockObject, v)

Value mn_lock_new(void)
{
    return mn_val(mn_alloc_obj(&MnLockType, sizeof(LockObject)));
}

/* Plain reads of the state go through the mutex too: with the GIL off
 * another thread may be changing it. */
static bool lock_is_locked(Value obj)
{
    pthread_mutex_lock(&mn_sync_mu);
    bool r = LOCK(obj)->locked;
    pthread_mutex_unlock(&mn_sync_mu);
    return r;
}

static bool lock_try(Value obj, MnThreadRec *me)
{
    if (LOCK(obj)->locked)
        return false;
    LOCK(obj)->locked = true;
    return true;
}

/* mn_sync_mu held. */
static void lock_release_locked(Value obj)
{
    LOCK(obj)->locked = false;
    wake_one(&LOCK(obj)->q);
}

static int lock_acquire_forever(Value obj)
{
    return acquire_generic(obj, &LOCK(obj)->q, lock_try, -1, "lock");
}

static Value lock_acquire(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    double t;
    if (mn_argparse("acquire", args + 1, nargs - 1, kwargs, "|blocking,timeout", a) < 0 ||
        mn_lock_timeout_args(a[0], a[1], &t) < 0)
        return MN_ERR;
    int r = acquire_generic(args[0], &LOCK(args[0])->q, lock_try, t, "lock");
    return r < 0 ? MN_ERR : mn_bool(r);
}

static int lock_release_impl(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    if (!LOCK(self)->locked) {
        pthread_mutex_unlock(&mn_sync_mu);
        return mn_raise_int(&RuntimeErrorType, "release unlocked lock");
    }
    lock_release_locked(self);
    pthread_mutex_unlock(&mn_sync_mu);
    return 0;
}

static Value lock_release(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("release", nargs - 1, kwargs, 0, 0) < 0 || lock_release_impl(args[0]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value lock_enter(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__enter__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    int r = lock_acquire_forever(args[0]);
    return r < 0 ? MN_ERR : mn_True;
}

static Value lock_exit(Value *args, int nargs, Value kwargs)
{
    if (lock_release_impl(args[0]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value lock_locked(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("locked", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_bool(lock_is_locked(args[0]));
}

static Value lock_at_fork_reinit(Value *args, int nargs, Value kwargs)
{
    pthread_mutex_lock(&mn_sync_mu);
    LOCK(args[0])->locked = false;
    LOCK(args[0])->q = (MnWaitQ){0};
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_None;
}

static Value lock_repr(Value self)
{
    return mn_str_fmt("<%s _thread.lock object at %#" PRIxPTR ">",
                      lock_is_locked(self) ? "locked" : "unlocked", (uintptr_t)self);
}

static MethodDef lock_methods[] = {
    {"acquire", lock_acquire, 0, NULL},
    {"acquire_lock", lock_acquire, 0, NULL},
    {"release", lock_release, 0, NULL},
    {"release_lock", lock_release, 0, NULL},
    {"locked", lock_locked, 0, NULL},
    {"locked_lock", lock_locked, 0, NULL},
    {"__enter__", lock_enter, 0, NULL},
    {"__exit__", lock_exit, 0, NULL},
    {"_at_fork_reinit", lock_at_fork_reinit, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Type MnLockType = {
    .hdr = {&TypeType},
    .name = "lock",
    .basicsize = sizeof(LockObject),
    .methods = lock_methods,
    .repr = lock_repr,
};

/* ------------------------------------------------------------------ */
/* _thread.RLock                                                       */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    uint64_t owner;         /* ident of the owner, 0 = none */
    int64_t count;
    MnWaitQ q;
} RLockObject;

#define RLOCK(v) AS(RLockObject, v)

static Value rlock_new(Type *t, Value *args, int nargs, Value kwargs)
{
    return mn_val(mn_alloc_obj(t, 0));
}

static bool rlock_try(Value obj, MnThreadRec *me)
{
    RLockObject *l = RLOCK(obj);
    if (l->count == 0) {
        l->owner = me->ident;
        l->count = 1;
        return true;
    }
    if (l->owner == me->ident) {
        l->count++;
        return true;
    }
    return false;
}

static int rlock_acquire_impl(Value self, double t)
{
    return acquire_generic(self, &RLOCK(self)->q, rlock_try, t, "lock");
}

static Value rlock_acquire(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    double t;
    if (mn_argparse("acquire", args + 1, nargs - 1, kwargs, "|blocking,timeout", a) < 0 ||
        mn_lock_timeout_args(a[0], a[1], &t) < 0)
        return MN_ERR;
    int r = rlock_acquire_impl(args[0], t);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static int rlock_release_impl(Value self)
{
    MnThreadRec *me = mn_thread_me();
    RLockObject *l = RLOCK(self);
    pthread_mutex_lock(&mn_sync_mu);
    if (l->count == 0 || l->owner != me->ident) {
        pthread_mutex_unlock(&mn_sync_mu);
        return mn_raise_int(&RuntimeErrorType, "cannot release un-acquired lock");
    }
    if (--l->count == 0) {
        l->owner = 0;
        wake_one(&l->q);
    }
    pthread_mutex_unlock(&mn_sync_mu);
    return 0;
}

static Value rlock_release(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("release", nargs - 1, kwargs, 0, 0) < 0 || rlock_release_impl(args[0]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value rlock_enter(Value *args, int nargs, Value kwargs)
{
    int r = rlock_acquire_impl(args[0], -1);
    return r < 0 ? MN_ERR : mn_True;
}

static Value rlock_exit(Value *args, int nargs, Value kwargs)
{
    if (rlock_release_impl(args[0]) < 0)
        return MN_ERR;
    return mn_None;
}

static bool rlock_owned(Value self)
{
    MnThreadRec *me = mn_thread_me();
    pthread_mutex_lock(&mn_sync_mu);
    bool r = RLOCK(self)->count > 0 && RLOCK(self)->owner == me->ident;
    pthread_mutex_unlock(&mn_sync_mu);
    return r;
}

static Value rlock_is_owned(Value *args, int nargs, Value kwargs)
{
    return mn_bool(rlock_owned(args[0]));
}

/* Release completely, returning the saved count (Condition.wait).  The
 * caller holds mn_sync_mu and has checked ownership. */
static int64_t rlock_release_all_locked(Value self)
{
    RLockObject *l = RLOCK(self);
    int64_t n = l->count;
    l->count = 0;
    l->owner = 0;
    wake_one(&l->q);
    return n;
}

static Value rlock_release_save(Value *args, int nargs, Value kwargs)
{
    MnThreadRec *me = mn_thread_me();
    RLockObject *l = RLOCK(args[0]);
    pthread_mutex_lock(&mn_sync_mu);
    if (l->count == 0 || l->owner != me->ident) {
        pthread_mutex_unlock(&mn_sync_mu);
        return mn_raise(&RuntimeErrorType, "cannot release un-acquired lock");
    }
    uint64_t owner = l->owner;
    int64_t n = rlock_release_all_locked(args[0]);
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_tuple_pack(2, mn_int_from_i64(n), mn_int_from_i64((int64_t)owner));
}

/* Re-acquire after Condition.wait: blocking, then restore the count. */
static int rlock_restore(Value self, int64_t count)
{
    if (rlock_acquire_impl(self, -1) < 0)
        return -1;
    pthread_mutex_lock(&mn_sync_mu);
    RLOCK(self)->count = count;
    pthread_mutex_unlock(&mn_sync_mu);
    return 0;
}

static Value rlock_acquire_restore(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("_acquire_restore", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value st = args[1];
    int64_t count;
    if (!mn_is_tuple(st) || mn_tuple_len(st) != 2)
        return mn_raise(&TypeErrorType, "_acquire_restore() argument must be a 2-tuple");
    if (mn_as_i64(mn_tuple_items(st)[0], &count) < 0)
        return MN_ERR;
    if (rlock_restore(args[0], count) < 0)
        return MN_ERR;
    return mn_None;
}

static Value rlock_recursion_count(Value *args, int nargs, Value kwargs)
{
    MnThreadRec *me = mn_thread_me();
    pthread_mutex_lock(&mn_sync_mu);
    int64_t n = RLOCK(args[0])->owner == me->ident ? RLOCK(args[0])->count : 0;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_int_from_i64(n);
}

static Value rlock_at_fork_reinit(Value *args, int nargs, Value kwargs)
{
    pthread_mutex_lock(&mn_sync_mu);
    RLOCK(args[0])->owner = 0;
    RLOCK(args[0])->count = 0;
    RLOCK(args[0])->q = (MnWaitQ){0};
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_None;
}

static Value rlock_repr(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    uint64_t owner = RLOCK(self)->owner;
    int64_t count = RLOCK(self)->count;
    pthread_mutex_unlock(&mn_sync_mu);
    StrBuf b;
    sb_init(&b);
    sb_addf(&b, "<%s ", count ? "locked" : "unlocked");
    Type *t = mn_typeof(self);
    if (t == &MnRLockType) {
        sb_adds(&b, "_thread.RLock");
    } else {
        Value mod = mn_getattr_s(mn_val(t), "__module__");
        Value qn = mod ? mn_getattr_s(mn_val(t), "__qualname__") : 0;
        if (!qn || sb_add_value_str(&b, mod) < 0)
            return MN_ERR;
        sb_addc(&b, '.');
        if (sb_add_value_str(&b, qn) < 0)
            return MN_ERR;
    }
    sb_addf(&b, " object owner=%" PRIu64 " count=%" PRId64 " at %#" PRIxPTR ">", owner, count,
            (uintptr_t)self);
    return sb_finish(&b);
}

static MethodDef rlock_methods[] = {
    {"acquire", rlock_acquire, 0, NULL},
    {"release", rlock_release, 0, NULL},
    {"__enter__", rlock_enter, 0, NULL},
    {"__exit__", rlock_exit, 0, NULL},
    {"_is_owned", rlock_is_owned, 0, NULL},
    {"_release_save", rlock_release_save, 0, NULL},
    {"_acquire_restore", rlock_acquire_restore, 0, NULL},
    {"_recursion_count", rlock_recursion_count, 0, NULL},
    {"_at_fork_reinit", rlock_at_fork_reinit, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Type MnRLockType = {
    .hdr = {&TypeType},
    .name = "RLock",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(RLockObject),
    .methods = rlock_methods,
    .new = rlock_new,
    .repr = rlock_repr,
};

/* ------------------------------------------------------------------ */
/* threading.Condition                                                 */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value lock;
    MnWaitQ q;
} CondObject;

#define COND(v) AS(CondObject, v)

enum { LK_OTHER, LK_LOCK, LK_RLOCK };

static int lock_kind(Value lock)
{
    Type *t = mn_typeof(lock);
    return t == &MnLockType ? LK_LOCK : t == &MnRLockType ? LK_RLOCK : LK_OTHER;
}

static Value cond_new(Type *t, Value *args, int nargs, Value kwargs)
{
    CondObject *c = mn_alloc_obj(t, 0);
    c->lock = mn_None;
    return mn_val(c);
}

static int cond_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("Condition", args, nargs, kwargs, "|lock", a) < 0)
        return -1;
    Value lock = a[0];
    if (!lock || lock == mn_None)
        lock = rlock_new(&MnRLockType, NULL, 0, 0);
    COND(self)->lock = lock;
    return 0;
}

/* The lock of a Condition whose __init__ never ran gets created lazily. */
static Value cond_lock(Value self)
{
    if (COND(self)->lock == mn_None || !COND(self)->lock)
        COND(self)->lock = rlock_new(&MnRLockType, NULL, 0, 0);
    return COND(self)->lock;
}

/* 1/0/-1: does the calling thread own the condition's lock? */
static int cond_is_owned(Value self)
{
    Value lock = cond_lock(self);
    switch (lock_kind(lock)) {
    case LK_LOCK:
        return lock_is_locked(lock);
    case LK_RLOCK:
        return rlock_owned(lock);
    default:
        break;
    }
    Value f = mn_getattr_opt(lock, mn_intern("_is_owned"));
    if (f == MN_ERR && mn_exc_occurred())
        return -1;
    if (f) {
        Value r = mn_call0(f);
        return r ? mn_truthy(r) : -1;
    }
    /* CPython's fallback for locks without _is_owned. */
    Value r = mn_call_method(lock, "acquire", (Value[]){mn_False}, 1);
    if (!r)
        return -1;
    int got = mn_truthy(r);
    if (got < 0)
        return -1;
    if (got) {
        if (!mn_call_method(lock, "release", NULL, 0))
            return -1;
        return 0;
    }
    return 1;
}

/* Release a lock of another kind for waiting: its _release_save() if it
 * has one, else release().  Returns the state for restore (None for a
 * plain release), or MN_ERR. */
static Value other_release_save(Value lock)
{
    Value f = mn_getattr_opt(lock, mn_intern("_release_save"));
    if (f == MN_ERR && mn_exc_occurred())
        return MN_ERR;
    if (f)
        return mn_call0(f);
    Value r = mn_call_method(lock, "release", NULL, 0);
    return r ? mn_None : MN_ERR;
}

static int other_acquire_restore(Value lock, Value state)
{
    Value f = mn_getattr_opt(lock, mn_intern("_acquire_restore"));
    if (f == MN_ERR && mn_exc_occurred())
        return -1;
    Value r = f ? mn_call1(f, state) : mn_call_method(lock, "acquire", NULL, 0);
    return r ? 0 : -1;
}

/* Condition.wait: 1 notified, 0 timed out, -1 exception.  timeout < 0
 * waits forever, 0 only looks. */
static int cond_wait_impl(Value self, double timeout)
{
    int owned = cond_is_owned(self);
    if (owned < 0)
        return -1;
    if (!owned)
        return mn_raise_int(&RuntimeErrorType, "cannot wait on un-acquired lock");
    CondObject *c = COND(self);
    Value lock = c->lock;
    int kind = lock_kind(lock);
    MnThreadRec *me = mn_thread_me();
    ThreadState *ts = mn_ts();
    struct timespec dl;
    if (timeout > 0)
        deadline_in(timeout, &dl);
    int64_t saved_count = 0;
    Value saved_state = 0;

    /* Queue up BEFORE releasing the lock, so a notify() issued by the
     * next owner of the lock cannot be missed. */
    pthread_mutex_lock(&mn_sync_mu);
    waitq_push(&c->q, me);
    if (kind == LK_LOCK) {
        lock_release_locked(lock);
    } else if (kind == LK_RLOCK) {
        saved_count = rlock_release_all_locked(lock);
    } else {
        pthread_mutex_unlock(&mn_sync_mu);
        saved_state = other_release_save(lock);
        pthread_mutex_lock(&mn_sync_mu);
        if (!saved_state) {
            waitq_remove(me);
            pthread_mutex_unlock(&mn_sync_mu);
            return -1;
        }
    }

    int notified = 0;
    Value err = 0;
    for (;;) {
        if (timeout == 0) {
            notified = me->woken;
            if (!me->woken)
                waitq_remove(me);
            pthread_mutex_unlock(&mn_sync_mu);
            break;
        }
        WaitResult r = sync_block(me, &c->q, timeout > 0 ? &dl : NULL, "condition", true);
        if (r != WAIT_INTERRUPT) {
            notified = r == WAIT_WOKEN;
            break;
        }
        if (handle_interrupt() < 0) {
            err = mn_exc_fetch();
            break;
        }
        pthread_mutex_lock(&mn_sync_mu);
        waitq_push(&c->q, me);      /* the signal was handled: keep waiting */
    }

    /* Take the lock back whatever happened (CPython's `finally`). */
    int rr;
    if (kind == LK_LOCK)
        rr = lock_acquire_forever(lock);
    else if (kind == LK_RLOCK)
        rr = rlock_restore(lock, saved_count);
    else
        rr = other_acquire_restore(lock, saved_state);
    if (err) {
        if (rr < 0)
            mn_exc_clear();
        ts->exc = err;
        return -1;
    }
    return rr < 0 ? -1 : notified;
}

static Value cond_wait(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    double t;
    if (mn_argparse("wait", args + 1, nargs - 1, kwargs, "|timeout", a) < 0 ||
        optional_timeout(a[0], &t) < 0)
        return MN_ERR;
    int r = cond_wait_impl(args[0], t);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value cond_wait_for(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("wait_for", args + 1, nargs - 1, kwargs, "predicate|timeout", a) < 0)
        return MN_ERR;
    Value pred = a[0];
    bool timed = a[1] && a[1] != mn_None;
    double waittime = -1;
    struct timespec end;
    if (timed) {
        if (mn_to_double(a[1], &waittime) < 0)
            return MN_ERR;
    }
    bool have_end = false;
    Value result = mn_call0(pred);
    for (;;) {
        if (!result)
            return MN_ERR;
        int t = mn_truthy(result);
        if (t < 0)
            return MN_ERR;
        if (t)
            break;
        if (timed) {
            if (!have_end) {
                deadline_in(waittime > 0 ? waittime : 0, &end);
                have_end = true;
                if (waittime < 0)
                    waittime = 0;
            } else {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                waittime = (double)(end.tv_sec - now.tv_sec) +
                           (double)(end.tv_nsec - now.tv_nsec) / 1e9;
                if (waittime <= 0)
                    break;
            }
        }
        if (cond_wait_impl(args[0], timed ? waittime : -1) < 0)
            return MN_ERR;
        result = mn_call0(pred);
    }
    return result;
}

static Value cond_notify_n(Value self, int64_t n)
{
    int owned = cond_is_owned(self);
    if (owned < 0)
        return MN_ERR;
    if (!owned)
        return mn_raise(&RuntimeErrorType, "cannot notify on un-acquired lock");
    pthread_mutex_lock(&mn_sync_mu);
    while (n-- > 0 && wake_one(&COND(self)->q))
        ;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_None;
}

static Value cond_notify(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t n = 1;
    if (mn_argparse("notify", args + 1, nargs - 1, kwargs, "|n", a) < 0 ||
        (a[0] && mn_as_i64(a[0], &n) < 0))
        return MN_ERR;
    return cond_notify_n(args[0], n);
}

static Value cond_notify_all(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("notify_all", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return cond_notify_n(args[0], INT64_MAX);
}

static Value cond_enter(Value *args, int nargs, Value kwargs)
{
    Value lock = cond_lock(args[0]);
    switch (lock_kind(lock)) {
    case LK_LOCK:
        return lock_acquire_forever(lock) < 0 ? MN_ERR : mn_True;
    case LK_RLOCK:
        return rlock_acquire_impl(lock, -1) < 0 ? MN_ERR : mn_True;
    default:
        return mn_call_method(lock, "__enter__", NULL, 0);
    }
}

static Value cond_exit(Value *args, int nargs, Value kwargs)
{
    Value lock = cond_lock(args[0]);
    switch (lock_kind(lock)) {
    case LK_LOCK:
        return lock_release_impl(lock) < 0 ? MN_ERR : mn_None;
    case LK_RLOCK:
        return rlock_release_impl(lock) < 0 ? MN_ERR : mn_None;
    default: {
        Value f = mn_getattr_s(lock, "__exit__");
        return f ? mn_call(f, args + 1, nargs - 1, kwargs) : MN_ERR;
    }
    }
}

/* acquire/release/_is_owned forward to the lock (CPython binds the lock's
 * methods onto the instance). */
static Value cond_acquire(Value *args, int nargs, Value kwargs)
{
    Value f = mn_getattr_s(cond_lock(args[0]), "acquire");
    return f ? mn_call(f, args + 1, nargs - 1, kwargs) : MN_ERR;
}

static Value cond_release(Value *args, int nargs, Value kwargs)
{
    Value f = mn_getattr_s(cond_lock(args[0]), "release");
    return f ? mn_call(f, args + 1, nargs - 1, kwargs) : MN_ERR;
}

static Value cond_is_owned_m(Value *args, int nargs, Value kwargs)
{
    int r = cond_is_owned(args[0]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value cond_get_lock(Value self) { return cond_lock(self); }

static Value cond_get_waiters(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    long n = COND(self)->q.n;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_int(n);
}

static Value cond_repr(Value self)
{
    Value lr = mn_repr(cond_lock(self));
    if (!lr)
        return MN_ERR;
    pthread_mutex_lock(&mn_sync_mu);
    long n = COND(self)->q.n;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_str_fmt("<Condition(%s, %ld)>", mn_cstr(lr), n);
}

static MethodDef cond_methods[] = {
    {"wait", cond_wait, 0, NULL},
    {"wait_for", cond_wait_for, 0, NULL},
    {"notify", cond_notify, 0, NULL},
    {"notify_all", cond_notify_all, 0, NULL},
    {"notifyAll", cond_notify_all, 0, NULL},
    {"acquire", cond_acquire, 0, NULL},
    {"release", cond_release, 0, NULL},
    {"__enter__", cond_enter, 0, NULL},
    {"__exit__", cond_exit, 0, NULL},
    {"_is_owned", cond_is_owned_m, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef cond_getset[] = {
    {"_lock", cond_get_lock, NULL},
    {"_nwaiters", cond_get_waiters, NULL},
    {NULL, NULL, NULL},
};

Type MnConditionType = {
    .hdr = {&TypeType},
    .name = "Condition",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(CondObject),
    .methods = cond_methods,
    .getset = cond_getset,
    .new = cond_new,
    .init = cond_init,
    .repr = cond_repr,
};

/* ------------------------------------------------------------------ */
/* threading.Semaphore / BoundedSemaphore                              */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    int64_t value;
    int64_t initial;
    MnWaitQ q;
} SemObject;

#define SEM(v) AS(SemObject, v)

static Value sem_new(Type *t, Value *args, int nargs, Value kwargs)
{
    SemObject *s = mn_alloc_obj(t, 0);
    s->value = s->initial = 1;
    return mn_val(s);
}

static int sem_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t v = 1;
    const char *name = mn_isinstance_t(self, &MnBoundedSemaphoreType) ? "BoundedSemaphore"
                                                                      : "Semaphore";
    if (mn_argparse(name, args, nargs, kwargs, "|value", a) < 0 ||
        (a[0] && mn_as_i64(a[0], &v) < 0))
        return -1;
    if (v < 0)
        return mn_raise_int(&ValueErrorType, "semaphore initial value must be >= 0");
    SEM(self)->value = SEM(self)->initial = v;
    return 0;
}

static bool sem_try(Value obj, MnThreadRec *me)
{
    if (SEM(obj)->value <= 0)
        return false;
    SEM(obj)->value--;
    return true;
}

static Value sem_acquire(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("acquire", args + 1, nargs - 1, kwargs, "|blocking,timeout", a) < 0)
        return MN_ERR;
    int blocking = 1;
    if (a[0] && (blocking = mn_truthy(a[0])) < 0)
        return MN_ERR;
    bool has_timeout = a[1] && a[1] != mn_None;
    if (!blocking && has_timeout)
        return mn_raise(&ValueErrorType, "can't specify timeout for non-blocking acquire");
    double t = -1;
    if (!blocking)
        t = 0;
    else if (optional_timeout(a[1], &t) < 0)
        return MN_ERR;
    int r = acquire_generic(args[0], &SEM(args[0])->q, sem_try, t, "semaphore");
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value sem_release_n(Value self, int64_t n)
{
    if (n < 1)
        return mn_raise(&ValueErrorType, "n must be one or more");
    SemObject *s = SEM(self);
    pthread_mutex_lock(&mn_sync_mu);
    if (mn_isinstance_t(self, &MnBoundedSemaphoreType) && s->value + n > s->initial) {
        pthread_mutex_unlock(&mn_sync_mu);
        return mn_raise(&ValueErrorType, "Semaphore released too many times");
    }
    s->value += n;
    for (int64_t i = 0; i < n && wake_one(&s->q); i++)
        ;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_None;
}

static Value sem_release(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t n = 1;
    if (mn_argparse("release", args + 1, nargs - 1, kwargs, "|n", a) < 0 ||
        (a[0] && mn_as_i64(a[0], &n) < 0))
        return MN_ERR;
    return sem_release_n(args[0], n);
}

static Value sem_enter(Value *args, int nargs, Value kwargs)
{
    int r = acquire_generic(args[0], &SEM(args[0])->q, sem_try, -1, "semaphore");
    return r < 0 ? MN_ERR : mn_True;
}

static Value sem_exit(Value *args, int nargs, Value kwargs)
{
    return sem_release_n(args[0], 1);
}

static int64_t sem_value(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    int64_t v = SEM(self)->value;
    pthread_mutex_unlock(&mn_sync_mu);
    return v;
}

static Value sem_get_value(Value self) { return mn_int_from_i64(sem_value(self)); }
static Value sem_get_initial(Value self) { return mn_int_from_i64(SEM(self)->initial); }

static Value sem_repr(Value self)
{
    StrBuf b;
    sb_init(&b);
    if (sb_add_class_at(&b, self) < 0)
        return MN_ERR;
    if (mn_isinstance_t(self, &MnBoundedSemaphoreType))
        sb_addf(&b, "value=%" PRId64 "/%" PRId64 ">", sem_value(self), SEM(self)->initial);
    else
        sb_addf(&b, "value=%" PRId64 ">", sem_value(self));
    return sb_finish(&b);
}

static MethodDef sem_methods[] = {
    {"acquire", sem_acquire, 0, NULL},
    {"release", sem_release, 0, NULL},
    {"__enter__", sem_enter, 0, NULL},
    {"__exit__", sem_exit, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef sem_getset[] = {
    {"_value", sem_get_value, NULL},
    {NULL, NULL, NULL},
};

static GetSetDef bsem_getset[] = {
    {"_initial_value", sem_get_initial, NULL},
    {NULL, NULL, NULL},
};

Type MnSemaphoreType = {
    .hdr = {&TypeType},
    .name = "Semaphore",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(SemObject),
    .methods = sem_methods,
    .getset = sem_getset,
    .new = sem_new,
    .init = sem_init,
    .repr = sem_repr,
};

Type MnBoundedSemaphoreType = {
    .hdr = {&TypeType},
    .name = "BoundedSemaphore",
    .base = &MnSemaphoreType,
    .flags = TF_BASETYPE,
    .getset = bsem_getset,
};

/* ------------------------------------------------------------------ */
/* threading.Event                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    bool flag;
    MnWaitQ q;
} EventObject;

#define EVENT(v) AS(EventObject, v)

static Value event_new(Type *t, Value *args, int nargs, Value kwargs)
{
    return mn_val(mn_alloc_obj(t, 0));
}

static int event_init(Value self, Value *args, int nargs, Value kwargs)
{
    return mn_argcheck("Event", nargs, kwargs, 0, 0);
}

static bool event_flag(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    bool f = EVENT(self)->flag;
    pthread_mutex_unlock(&mn_sync_mu);
    return f;
}

static Value event_is_set(Value *args, int nargs, Value kwargs)
{
    return mn_bool(event_flag(args[0]));
}

static Value event_set(Value *args, int nargs, Value kwargs)
{
    pthread_mutex_lock(&mn_sync_mu);
    EVENT(args[0])->flag = true;
    wake_all(&EVENT(args[0])->q);
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_None;
}

static Value event_clear(Value *args, int nargs, Value kwargs)
{
    pthread_mutex_lock(&mn_sync_mu);
    EVENT(args[0])->flag = false;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_None;
}

/* Shared by Event.wait and _ThreadHandle.join: wait until *flag (or a
 * wake-up: a set() followed by a quick clear() still ends the wait with
 * True, as in CPython).  1/0/-1. */
static int flag_wait(bool *flag, MnWaitQ *q, double timeout, const char *what)
{
    MnThreadRec *me = mn_thread_me();
    struct timespec dl;
    if (timeout > 0)
        deadline_in(timeout, &dl);
    pthread_mutex_lock(&mn_sync_mu);
    for (;;) {
        if (*flag) {
            pthread_mutex_unlock(&mn_sync_mu);
            return 1;
        }
        if (timeout == 0) {
            pthread_mutex_unlock(&mn_sync_mu);
            return 0;
        }
        WaitResult r = sync_block(me, q, timeout > 0 ? &dl : NULL, what, false);
        if (r == WAIT_WOKEN)
            return 1;
        if (r == WAIT_TIMEOUT) {
            pthread_mutex_lock(&mn_sync_mu);
            bool f = *flag;
            pthread_mutex_unlock(&mn_sync_mu);
            return f;
        }
        if (handle_interrupt() < 0)
            return -1;
        pthread_mutex_lock(&mn_sync_mu);
    }
}

static Value event_wait(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    double t;
    if (mn_argparse("wait", args + 1, nargs - 1, kwargs, "|timeout", a) < 0 ||
        optional_timeout(a[0], &t) < 0)
        return MN_ERR;
    int r = flag_wait(&EVENT(args[0])->flag, &EVENT(args[0])->q, t, "event");
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value event_get_flag(Value self) { return mn_bool(event_flag(self)); }

static Value event_repr(Value self)
{
    StrBuf b;
    sb_init(&b);
    if (sb_add_class_at(&b, self) < 0)
        return MN_ERR;
    sb_adds(&b, event_flag(self) ? "set>" : "unset>");
    return sb_finish(&b);
}

static MethodDef event_methods[] = {
    {"is_set", event_is_set, 0, NULL},
    {"isSet", event_is_set, 0, NULL},
    {"set", event_set, 0, NULL},
    {"clear", event_clear, 0, NULL},
    {"wait", event_wait, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef event_getset[] = {
    {"_flag", event_get_flag, NULL},
    {NULL, NULL, NULL},
};

Type MnEventType = {
    .hdr = {&TypeType},
    .name = "Event",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(EventObject),
    .methods = event_methods,
    .getset = event_getset,
    .new = event_new,
    .init = event_init,
    .repr = event_repr,
};

/* ------------------------------------------------------------------ */
/* _thread._ThreadHandle: what Thread.join waits on                    */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    bool done;
    uint64_t ident;
    MnWaitQ q;
} HandleObject;

#define HANDLE(v) AS(HandleObject, v)

Value mn_thread_handle_new(void)
{
    return mn_val(mn_alloc_obj(&MnThreadHandleType, sizeof(HandleObject)));
}

void mn_thread_handle_set_ident(Value h, uint64_t ident)
{
    pthread_mutex_lock(&mn_sync_mu);
    HANDLE(h)->ident = ident;
    pthread_mutex_unlock(&mn_sync_mu);
}

/* mn_sync_mu held: the thread finished; wake every joiner. */
static void handle_done_locked(Value h)
{
    HANDLE(h)->done = true;
    wake_all(&HANDLE(h)->q);
}

static Value handle_join(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    double t;
    if (mn_argparse("join", args + 1, nargs - 1, kwargs, "|timeout", a) < 0 ||
        optional_timeout(a[0], &t) < 0)
        return MN_ERR;
    int r = flag_wait(&HANDLE(args[0])->done, &HANDLE(args[0])->q, t, "join");
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value handle_is_done(Value *args, int nargs, Value kwargs)
{
    pthread_mutex_lock(&mn_sync_mu);
    bool d = HANDLE(args[0])->done;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_bool(d);
}

static Value handle_get_ident(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    uint64_t id = HANDLE(self)->ident;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_int_from_i64((int64_t)id);
}

static Value handle_repr(Value self)
{
    pthread_mutex_lock(&mn_sync_mu);
    uint64_t id = HANDLE(self)->ident;
    pthread_mutex_unlock(&mn_sync_mu);
    return mn_str_fmt("<_thread._ThreadHandle object: ident=%" PRIu64 ">", id);
}

static MethodDef handle_methods[] = {
    {"join", handle_join, 0, NULL},
    {"is_done", handle_is_done, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef handle_getset[] = {
    {"ident", handle_get_ident, NULL},
    {NULL, NULL, NULL},
};

Type MnThreadHandleType = {
    .hdr = {&TypeType},
    .name = "_ThreadHandle",
    .basicsize = sizeof(HandleObject),
    .methods = handle_methods,
    .getset = handle_getset,
    .repr = handle_repr,
};

/* ------------------------------------------------------------------ */

int mn_thread_sync_init(void)
{
    static Type *const types[] = {
        &MnLockType, &MnRLockType, &MnConditionType, &MnSemaphoreType,
        &MnBoundedSemaphoreType, &MnEventType, &MnThreadHandleType,
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        Type *t = types[i];
        if (t->flags & TF_READY)
            continue;
        bool threading = t == &MnConditionType || t == &MnSemaphoreType ||
                         t == &MnBoundedSemaphoreType || t == &MnEventType;
        t->module = mn_intern(threading ? "threading" : "_thread");
        if (mn_type_ready(t) < 0)
            return -1;
    }
    return 0;
}
