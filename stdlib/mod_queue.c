/*
 * mod_queue.c -- the `queue` module, natively: Queue, LifoQueue,
 * PriorityQueue, SimpleQueue and the exceptions Empty and Full.
 *
 * CPython writes Queue in Python on top of threading.Condition; here one
 * C object does it all, for speed: a pthread mutex `mu` guards the items
 * and counters, and three condition variables (CLOCK_MONOTONIC) carry the
 * waits -- not_empty (getters), not_full (putters), all_done (join()).
 * The behaviour, argument rules and messages are CPython 3.11's,
 * including its quirks (a put() on an unbounded queue never looks at its
 * timeout; task_done() counts puts, not gets).
 *
 * Locking discipline.  `mu` is held only for a few instructions and never
 * while this thread waits for the GIL or runs mini code, so a thread
 * holding the GIL may take it with a plain pthread_mutex_lock (the holder
 * of `mu` always lets go without needing anything).  Waiting therefore
 * goes: count ourselves as a waiter, release the GIL (MN_BEGIN_PEER_WAIT
 * does not wait for anything), pthread_cond_(timed)wait, drop `mu`, THEN
 * wait for the GIL (MN_END_PEER_WAIT), then retake `mu` and look again.
 * Wake-ups are only hints: every waiter re-checks its condition.
 *
 * Timeouts are absolute CLOCK_MONOTONIC deadlines computed before the
 * first wait, so time spent getting the GIL back does not stretch them,
 * and "remaining <= 0" is checked before every wait exactly as in
 * queue.py.  The main thread waits in slices of SIGNAL_SLICE_NS so that a
 * Ctrl-C (which sets a flag, not a condition variable) interrupts a
 * blocked get()/put()/join() with KeyboardInterrupt.
 *
 * PriorityQueue is a binary heap kept with CPython's heapq algorithms
 * (same sift order, so equal priorities come out in the same order).  A
 * heap comparison may run user code (__lt__), which may switch the GIL,
 * so it must not run under `mu`.  Items whose comparisons cannot run user
 * code ("plain": ints, floats, strs, bytes, None, bools and tuples of
 * them) are sifted under `mu`; while the heap holds any other item, heap
 * operations instead claim the heap (`heap_busy`) under `mu`, release
 * `mu`, sift with user code running, and hand the heap back.  Other
 * threads wait on `heap_free` meanwhile.
 *
 * Deadlock detection: waits without a timeout (get/put/join) should be
 * reported to the thread module's deadlock detector as "blocked
 * forever"; stdlib/mn_thread.h does not export a wait/registration API to
 * other modules yet, so they are not counted (see forever_wait below).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/tstate.h"
#include "mn_stdlib.h"
#include "mn_thread.h"

/* The main thread re-checks for Ctrl-C this often while blocked. */
#define SIGNAL_SLICE_NS 20000000L

enum { Q_FIFO, Q_LIFO, Q_PRIO, Q_SIMPLE };

typedef struct {
    Object hdr;
    Value dict;                 /* instance attributes (CPython's have a __dict__) */
    int kind;                   /* Q_*: fixed at creation from the type */

    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t not_empty;   /* getters wait here */
    pthread_cond_t not_full;    /* putters wait here (bounded queues) */
    pthread_cond_t all_done;    /* join() waits here */
    pthread_cond_t heap_free;   /* PriorityQueue: waiting for heap_busy to clear */
    int getters, putters, joiners, heap_waiters;    /* sleeping on each cv */

    /* Items.  FIFO/LIFO/Simple: a ring of `cap` (a power of two) slots,
     * the live ones head..head+len-1 (mod cap).  PriorityQueue: a heap in
     * buf[0..len-1] (head stays 0). */
    Value *buf;
    int64_t cap, head, len;

    Value maxsize_obj;          /* q.maxsize as given */
    int64_t maxsize;            /* <= 0: unbounded */
    int64_t unfinished;         /* q.unfinished_tasks */

    bool heap_busy;             /* a thread is sifting with `mu` released */
    int64_t nunplain;           /* heap items that are not plain */
} QueueObject;

#define Q(v) AS(QueueObject, v)

static Type QueueType, LifoQueueType, PriorityQueueType, SimpleQueueType;
static Type *EmptyType, *FullType;

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

static void now_mono(struct timespec *t)
{
    clock_gettime(CLOCK_MONOTONIC, t);
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void ts_add_ns(struct timespec *t, int64_t ns)
{
    t->tv_sec += ns / 1000000000;
    t->tv_nsec += ns % 1000000000;
    if (t->tv_nsec >= 1000000000) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000;
    }
}

/* Deadline = now + secs (secs >= 0, finite).  Absurdly long timeouts are
 * clamped to about 300 years, which no wait will outlive. */
static void deadline_after(double secs, struct timespec *dl)
{
    now_mono(dl);
    if (secs > 1e10)
        secs = 1e10;
    double whole = floor(secs);
    dl->tv_sec += (time_t)whole;
    ts_add_ns(dl, (int64_t)((secs - whole) * 1e9));
}

/* ------------------------------------------------------------------ */
/* Item storage                                                        */
/* ------------------------------------------------------------------ */

/* Make room for one more item (mu held).  Allocation may collect, which
 * is harmless under `mu`: the collector needs no lock of ours. */
static void grow(QueueObject *q)
{
    int64_t ncap = q->cap ? q->cap * 2 : 8;
    Value *nb = gc_alloc((size_t)ncap * sizeof(Value));
    int64_t mask = q->cap - 1;
    for (int64_t i = 0; i < q->len; i++)
        nb[i] = q->buf[(q->head + i) & mask];
    q->buf = nb;
    q->cap = ncap;
    q->head = 0;
}

/* After a removal: give memory back when a big queue has drained. */
static void maybe_shrink(QueueObject *q)
{
    if (q->cap <= 1024 || q->len > q->cap / 8)
        return;
    int64_t ncap = q->cap / 4;
    Value *nb = gc_alloc((size_t)ncap * sizeof(Value));
    int64_t mask = q->cap - 1;
    for (int64_t i = 0; i < q->len; i++)
        nb[i] = q->buf[(q->head + i) & mask];
    q->buf = nb;
    q->cap = ncap;
    q->head = 0;
}

static inline void ring_push(QueueObject *q, Value v)
{
    if (q->len == q->cap)
        grow(q);
    q->buf[(q->head + q->len) & (q->cap - 1)] = v;
    q->len++;
}

static inline Value ring_pop_front(QueueObject *q)
{
    Value v = q->buf[q->head];
    q->buf[q->head] = 0;        /* let the collector have it */
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    maybe_shrink(q);
    return v;
}

static inline Value ring_pop_back(QueueObject *q)
{
    int64_t i = (q->head + q->len - 1) & (q->cap - 1);
    Value v = q->buf[i];
    q->buf[i] = 0;
    q->len--;
    maybe_shrink(q);
    return v;
}

/* True if comparing v with another plain value can run no user code and
 * so cannot switch the GIL: it is safe under `mu`. */
static bool plain(Value v, int depth)
{
    if (mn_is_int(v))
        return true;
    Type *t = mn_obj(v)->type;
    if (t == &IntType || t == &FloatType || t == &StrType || t == &BytesType
        || t == &BoolType || t == &NoneType)
        return true;
    if (t == &TupleType && depth < 4) {
        int64_t n = mn_tuple_len(v);
        Value *it = mn_tuple_items(v);
        for (int64_t i = 0; i < n; i++)
            if (!plain(it[i], depth + 1))
                return false;
        return true;
    }
    return false;
}

/* heapq's _siftdown(heap, startpos, pos) and _siftup(heap, pos), exactly
 * as CPython's _heapq does them (the comparison order decides where equal
 * items land).  `arr` is reloaded after every comparison: with the heap
 * claimed nobody else changes it, but a comparison may allocate. */
static int siftdown(QueueObject *q, int64_t startpos, int64_t pos)
{
    Value newitem = q->buf[pos];
    while (pos > startpos) {
        int64_t parentpos = (pos - 1) >> 1;
        Value parent = q->buf[parentpos];
        int lt = mn_richcmp_bool(newitem, parent, CMP_LT);
        if (lt < 0)
            return -1;
        if (!lt)
            break;
        q->buf[pos] = parent;
        q->buf[parentpos] = newitem;
        pos = parentpos;
    }
    return 0;
}

static int siftup(QueueObject *q, int64_t pos)
{
    int64_t endpos = q->len, startpos = pos, limit = endpos >> 1;
    while (pos < limit) {
        int64_t childpos = 2 * pos + 1;
        if (childpos + 1 < endpos) {
            int lt = mn_richcmp_bool(q->buf[childpos], q->buf[childpos + 1], CMP_LT);
            if (lt < 0)
                return -1;
            childpos += lt ^ 1;
        }
        Value t = q->buf[childpos];
        q->buf[childpos] = q->buf[pos];
        q->buf[pos] = t;
        pos = childpos;
    }
    return siftdown(q, startpos, pos);
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */
/* ------------------------------------------------------------------ */

/* Sleep on `cv` (mu held, GIL held) until woken, `deadline` (NULL: none)
 * passes, or -- main thread only -- a Ctrl-C arrives.  Returns 0 with mu
 * held again (the caller re-checks everything), or -1 with mu RELEASED
 * and KeyboardInterrupt (or whatever the eval breaker raised) set.
 *
 * An untimed wait with a `what` is "blocked forever" for the deadlock
 * detector (stdlib/mn_thread.h) until a waker calls mn_deadlock_wake on
 * `cv`; heap_settle's transient waits pass what == NULL and never count. */
static int q_wait(QueueObject *q, pthread_cond_t *cv, int *nwaiting,
                  const struct timespec *deadline, ThreadState *ts, const char *what)
{
    bool is_main = ts == mn_interp.main_thread;
    bool forever = !deadline && what;
    (*nwaiting)++;
    if (forever)
        mn_deadlock_wait_begin(cv, what);
    MN_BEGIN_PEER_WAIT(ts);
    if (!is_main) {
        if (deadline)
            pthread_cond_timedwait(cv, &q->mu, deadline);
        else
            pthread_cond_wait(cv, &q->mu);
    } else {
        /* Slices, so a Ctrl-C is noticed; only atomics are read here. */
        for (;;) {
            struct timespec slice;
            now_mono(&slice);
            ts_add_ns(&slice, SIGNAL_SLICE_NS);
            bool last = deadline && !ts_before(&slice, deadline);
            int r = pthread_cond_timedwait(cv, &q->mu, last ? deadline : &slice);
            if (r != ETIMEDOUT || last || mn_signal_pending())
                break;
        }
    }
    (*nwaiting)--;
    pthread_mutex_unlock(&q->mu);
    MN_END_PEER_WAIT(ts);
    if (forever)
        mn_deadlock_wait_end();
    if (is_main && mn_signal_pending() && mn_eval_breaker_slow(ts) < 0)
        return -1;
    pthread_mutex_lock(&q->mu);
    return 0;
}

/* True (mu held) once `deadline` has passed. */
static bool expired(const struct timespec *deadline)
{
    if (!deadline)
        return false;
    struct timespec now;
    now_mono(&now);
    return !ts_before(&now, deadline);
}

/* Wait (mu held) until no other thread has the heap claimed. */
static int heap_settle(QueueObject *q, ThreadState *ts)
{
    while (q->heap_busy)
        if (q_wait(q, &q->heap_free, &q->heap_waiters, NULL, ts, NULL) < 0)
            return -1;
    return 0;
}

/* Hand a claimed heap back (mu not held). */
static void heap_release(QueueObject *q)
{
    pthread_mutex_lock(&q->mu);
    q->heap_busy = false;
    bool wake = q->heap_waiters > 0;
    pthread_mutex_unlock(&q->mu);
    if (wake)
        pthread_cond_broadcast(&q->heap_free);
}

/* ------------------------------------------------------------------ */
/* Argument helpers                                                    */
/* ------------------------------------------------------------------ */

static Value raise_class(Type *t)
{
    return mn_raise_exc(mn_val(t));
}

/* queue.py's timeout handling for a blocking call: None -> no deadline;
 * `timeout < 0` -> ValueError (a non-number fails that comparison with
 * CPython's TypeError); else a deadline `timeout` seconds from now. */
static int py_timeout(Value timeout, struct timespec *dl, const struct timespec **out)
{
    if (!timeout || timeout == mn_None) {
        *out = NULL;
        return 0;
    }
    double secs;
    if (mn_is_int(timeout)) {
        secs = (double)mn_int_val(timeout);
    } else if (MN_IS_EXACT(timeout, FloatType)) {
        secs = AS(FloatObject, timeout)->v;
    } else {
        int neg = mn_richcmp_bool(timeout, mn_int(0), CMP_LT);
        if (neg < 0)
            return -1;
        if (neg)
            secs = -1;
        else if (mn_to_double(timeout, &secs) < 0)
            return -1;
    }
    if (secs < 0)
        return mn_raise_int(&ValueErrorType, "'timeout' must be a non-negative number");
    if (isnan(secs))
        secs = 0;       /* queue.py: remaining <= 0.0 is False for NaN... and
                           wait(nan) raises; treat as "do not wait" */
    deadline_after(secs, dl);
    *out = dl;
    return 0;
}

/* _queue.SimpleQueue.get's rules: _PyTime_FromSecondsObject (ints and
 * floats only) then the sign check. */
static int simple_timeout(Value timeout, struct timespec *dl, const struct timespec **out)
{
    if (!timeout || timeout == mn_None) {
        *out = NULL;
        return 0;
    }
    double secs;
    if (mn_is_intlike(timeout)) {
        if (mn_int_as_double(timeout, &secs) < 0)
            return -1;
    } else if (mn_isinstance_t(timeout, &FloatType)) {
        secs = AS(FloatObject, timeout)->v;
        if (isnan(secs))
            return mn_raise_int(&ValueErrorType, "Invalid value NaN (not a number)");
    } else {
        return mn_raise_int(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                            mn_type_name(timeout));
    }
    if (secs < 0)
        return mn_raise_int(&ValueErrorType, "'timeout' must be a non-negative number");
    deadline_after(secs, dl);
    *out = dl;
    return 0;
}

/* maxsize -> the bound used internally: ints as they are (huge ones
 * clamp), floats rounded up (qsize >= 2.5 iff qsize >= 3). */
static int maxsize_arg(Value v, int64_t *out)
{
    if (mn_is_int(v)) {
        *out = mn_int_val(v);
        return 0;
    }
    if (mn_is_intlike(v)) {
        mpz_t z;
        mpz_init(z);
        mn_int_to_mpz(v, z);
        *out = mpz_sgn(z) < 0 ? 0 : INT64_MAX;
        mpz_clear(z);
        return 0;
    }
    if (mn_isinstance_t(v, &FloatType)) {
        double d = AS(FloatObject, v)->v;
        *out = !(d > 0) ? 0 : d >= 9.2e18 ? INT64_MAX : (int64_t)ceil(d);
        return 0;
    }
    /* queue.py compares `self.maxsize > 0` on every put(). */
    int pos = mn_richcmp_bool(v, mn_int(0), CMP_GT);
    if (pos < 0)
        return -1;
    if (pos)
        return mn_raise_int(&TypeErrorType, "'>=' not supported between instances of 'int' and '%s'",
                            mn_type_name(v));
    *out = 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */
/* ------------------------------------------------------------------ */

static void init_cond(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

static Value queue_new(Type *t, Value *args, int nargs, Value kwargs)
{
    Type *k = t;
    while (k != &QueueType && k != &LifoQueueType && k != &PriorityQueueType
           && k != &SimpleQueueType)
        k = k->base;
    if (k == &SimpleQueueType && t == k && (nargs || (kwargs && mn_dict_len(kwargs))))
        return mn_raise(&TypeErrorType, "SimpleQueue() takes no arguments");
    QueueObject *q = mn_alloc_obj(t, 0);
    q->kind = k == &QueueType ? Q_FIFO : k == &LifoQueueType ? Q_LIFO
            : k == &PriorityQueueType ? Q_PRIO : Q_SIMPLE;
    pthread_mutex_init(&q->mu, NULL);
    init_cond(&q->not_empty);
    init_cond(&q->not_full);
    init_cond(&q->all_done);
    init_cond(&q->heap_free);
    q->maxsize_obj = mn_int(0);
    return mn_val(q);
}

static int queue_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("__init__", args, nargs, kwargs, "|maxsize", a) < 0)
        return -1;
    Value m = a[0] ? a[0] : mn_int(0);
    int64_t n;
    if (maxsize_arg(m, &n) < 0)
        return -1;
    QueueObject *q = Q(self);
    pthread_mutex_lock(&q->mu);
    q->maxsize_obj = m;
    q->maxsize = n;
    pthread_mutex_unlock(&q->mu);
    return 0;
}

/* ------------------------------------------------------------------ */
/* put                                                                 */
/* ------------------------------------------------------------------ */

/* Insert (mu held, room checked, heap settled).  Returns 0, 1 if the
 * heap had to be claimed (mu is then RELEASED and the caller must finish
 * with heap_finish_put), or -1 with mu released and an error set. */
static int insert_locked(QueueObject *q, Value item)
{
    if (q->kind != Q_PRIO) {
        ring_push(q, item);
        return 0;
    }
    bool p = plain(item, 0);
    ring_push(q, item);         /* heappush: append ... */
    if (!p)
        q->nunplain++;
    if (p && q->nunplain == 0) {
        if (siftdown(q, 0, q->len - 1) < 0) {   /* ... then sift, under mu */
            pthread_mutex_unlock(&q->mu);
            return -1;
        }
        return 0;
    }
    q->heap_busy = true;
    pthread_mutex_unlock(&q->mu);
    return 1;
}

/* The wake-up a put owes (mu held on entry, released on return). */
static void put_done_unlock(QueueObject *q)
{
    if (q->kind != Q_SIMPLE)
        q->unfinished++;
    bool wake = q->getters > 0;
    pthread_mutex_unlock(&q->mu);
    if (wake) {
        mn_deadlock_wake(&q->not_empty, 1);
        pthread_cond_signal(&q->not_empty);
    }
}

static Value do_put(QueueObject *q, Value item, bool block, Value timeout)
{
    ThreadState *ts = mn_ts();
    struct timespec dlbuf;
    const struct timespec *dl = NULL;
    bool bounded;

    pthread_mutex_lock(&q->mu);
    bounded = q->kind != Q_SIMPLE && q->maxsize > 0;
    if (bounded && block && timeout && timeout != mn_None) {
        /* Validating may run user code (timeout.__lt__): not under mu. */
        pthread_mutex_unlock(&q->mu);
        if (py_timeout(timeout, &dlbuf, &dl) < 0)
            return MN_ERR;
        pthread_mutex_lock(&q->mu);
    }
    for (;;) {
        if (q->kind == Q_PRIO && q->heap_busy && heap_settle(q, ts) < 0)
            return MN_ERR;
        bounded = q->kind != Q_SIMPLE && q->maxsize > 0;
        if (!bounded || q->len < q->maxsize)
            break;
        if (!block || expired(dl)) {
            pthread_mutex_unlock(&q->mu);
            return raise_class(FullType);
        }
        if (q_wait(q, &q->not_full, &q->putters, dl, ts, "queue put") < 0)
            return MN_ERR;
    }
    int r = insert_locked(q, item);
    if (r < 0)
        return MN_ERR;
    if (r == 1) {
        /* Claimed heap: sift with user comparisons running, mu released. */
        int s = siftdown(q, 0, q->len - 1);
        heap_release(q);
        if (s < 0)
            return MN_ERR;
        pthread_mutex_lock(&q->mu);
    }
    put_done_unlock(q);
    return mn_None;
}

static Value q_put(Value *args, int nargs, Value kwargs)
{
    if (nargs == 2 && !kwargs)
        return do_put(Q(args[0]), args[1], true, 0);
    Value a[3];
    if (mn_argparse("put", args + 1, nargs - 1, kwargs, "item|block,timeout", a) < 0)
        return MN_ERR;
    int block = a[1] ? mn_truthy(a[1]) : 1;
    if (block < 0)
        return MN_ERR;
    return do_put(Q(args[0]), a[0], block, a[2]);
}

static Value q_put_nowait(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("put_nowait", args + 1, nargs - 1, kwargs, "item", a) < 0)
        return MN_ERR;
    return do_put(Q(args[0]), a[0], false, 0);
}

/* ------------------------------------------------------------------ */
/* get                                                                 */
/* ------------------------------------------------------------------ */

static Value do_get(QueueObject *q, bool block, Value timeout)
{
    ThreadState *ts = mn_ts();
    struct timespec dlbuf;
    const struct timespec *dl = NULL;
    if (block) {
        int r = q->kind == Q_SIMPLE ? simple_timeout(timeout, &dlbuf, &dl)
                                    : py_timeout(timeout, &dlbuf, &dl);
        if (r < 0)
            return MN_ERR;
    }
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->kind == Q_PRIO && q->heap_busy && heap_settle(q, ts) < 0)
            return MN_ERR;
        if (q->len > 0)
            break;
        if (!block || expired(dl)) {
            pthread_mutex_unlock(&q->mu);
            return raise_class(EmptyType);
        }
        if (q_wait(q, &q->not_empty, &q->getters, dl, ts, "queue get") < 0)
            return MN_ERR;
    }
    Value item;
    bool claimed = false;
    if (q->kind == Q_LIFO) {
        item = ring_pop_back(q);
    } else if (q->kind != Q_PRIO) {
        item = ring_pop_front(q);
    } else {
        /* heappop: pop the last item; if the heap is not empty, the
         * result is heap[0], the last item goes there and sifts up. */
        Value last = ring_pop_back(q);
        if (q->len == 0) {
            item = last;
        } else {
            item = q->buf[0];
            q->buf[0] = last;
            if (q->nunplain == 0) {
                if (siftup(q, 0) < 0) {
                    /* As _heapq: the popped item is lost, the wake-up skipped. */
                    pthread_mutex_unlock(&q->mu);
                    return MN_ERR;
                }
            } else {
                claimed = true;
                q->heap_busy = true;
            }
        }
        if (q->nunplain && !plain(item, 0))
            q->nunplain--;
        if (claimed) {
            pthread_mutex_unlock(&q->mu);
            int s = siftup(q, 0);
            heap_release(q);
            if (s < 0)
                return MN_ERR;
            pthread_mutex_lock(&q->mu);
        }
    }
    bool wake = q->putters > 0;
    pthread_mutex_unlock(&q->mu);
    if (wake) {
        mn_deadlock_wake(&q->not_full, 1);
        pthread_cond_signal(&q->not_full);
    }
    return item;
}

static Value q_get(Value *args, int nargs, Value kwargs)
{
    if (nargs == 1 && !kwargs)
        return do_get(Q(args[0]), true, 0);
    Value a[2];
    if (mn_argparse("get", args + 1, nargs - 1, kwargs, "|block,timeout", a) < 0)
        return MN_ERR;
    int block = a[0] ? mn_truthy(a[0]) : 1;
    if (block < 0)
        return MN_ERR;
    return do_get(Q(args[0]), block, a[1]);
}

static Value q_get_nowait(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("get_nowait", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return do_get(Q(args[0]), false, 0);
}

/* ------------------------------------------------------------------ */
/* task_done / join / sizes                                            */
/* ------------------------------------------------------------------ */

static Value q_task_done(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("task_done", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    QueueObject *q = Q(args[0]);
    pthread_mutex_lock(&q->mu);
    int64_t unfinished = q->unfinished - 1;
    bool wake = false;
    if (unfinished <= 0) {
        if (unfinished < 0) {
            pthread_mutex_unlock(&q->mu);
            return mn_raise(&ValueErrorType, "task_done() called too many times");
        }
        wake = q->joiners > 0;
    }
    q->unfinished = unfinished;
    pthread_mutex_unlock(&q->mu);
    if (wake) {
        mn_deadlock_wake(&q->all_done, -1);
        pthread_cond_broadcast(&q->all_done);
    }
    return mn_None;
}

static Value q_join(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("join", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    QueueObject *q = Q(args[0]);
    ThreadState *ts = mn_ts();
    pthread_mutex_lock(&q->mu);
    while (q->unfinished)
        if (q_wait(q, &q->all_done, &q->joiners, NULL, ts, "queue join") < 0)
            return MN_ERR;
    pthread_mutex_unlock(&q->mu);
    return mn_None;
}

static int64_t locked_len(QueueObject *q)
{
    pthread_mutex_lock(&q->mu);
    int64_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static Value q_qsize(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("qsize", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(locked_len(Q(args[0])));
}

static Value q_empty(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("empty", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_bool(locked_len(Q(args[0])) == 0);
}

static Value q_full(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("full", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    QueueObject *q = Q(args[0]);
    pthread_mutex_lock(&q->mu);
    bool full = q->maxsize > 0 && q->len >= q->maxsize;
    pthread_mutex_unlock(&q->mu);
    return mn_bool(full);
}

static Value q_class_getitem(Value *args, int nargs, Value kwargs)
{
    /* Queue[int] is accepted (and means Queue), as typing code writes it. */
    if (mn_argcheck("__class_getitem__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return args[0];
}

static Value get_maxsize(Value self)
{
    return Q(self)->maxsize_obj;
}

static int set_maxsize(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&AttributeErrorType, "cannot delete attribute 'maxsize'");
    int64_t n;
    if (maxsize_arg(v, &n) < 0)
        return -1;
    QueueObject *q = Q(self);
    pthread_mutex_lock(&q->mu);
    bool grew = n <= 0 || n > q->maxsize;
    q->maxsize_obj = v;
    q->maxsize = n;
    bool wake = grew && q->putters > 0;
    pthread_mutex_unlock(&q->mu);
    if (wake) {
        mn_deadlock_wake(&q->not_full, -1);
        pthread_cond_broadcast(&q->not_full);
    }
    return 0;
}

static Value get_unfinished(Value self)
{
    QueueObject *q = Q(self);
    pthread_mutex_lock(&q->mu);
    int64_t n = q->unfinished;
    pthread_mutex_unlock(&q->mu);
    return mn_int(n);
}

/* ------------------------------------------------------------------ */
/* Types and the module                                                */
/* ------------------------------------------------------------------ */

static MethodDef queue_methods[] = {
    {"put", q_put, 0, "Put an item into the queue."},
    {"get", q_get, 0, "Remove and return an item from the queue."},
    {"put_nowait", q_put_nowait, 0, "Put an item into the queue without blocking."},
    {"get_nowait", q_get_nowait, 0, "Remove and return an item from the queue without blocking."},
    {"task_done", q_task_done, 0, "Indicate that a formerly enqueued task is complete."},
    {"join", q_join, 0, "Blocks until all items in the Queue have been gotten and processed."},
    {"qsize", q_qsize, 0, "Return the approximate size of the queue (not reliable!)."},
    {"empty", q_empty, 0, "Return True if the queue is empty, False otherwise (not reliable!)."},
    {"full", q_full, 0, "Return True if the queue is full, False otherwise (not reliable!)."},
    {"__class_getitem__", q_class_getitem, METH_CLASS, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef queue_getset[] = {
    {"maxsize", get_maxsize, set_maxsize},
    {"unfinished_tasks", get_unfinished, NULL},
    {NULL, NULL, NULL},
};

static MethodDef simple_methods[] = {
    {"put", q_put, 0, "Put the item on the queue."},
    {"get", q_get, 0, "Remove and return an item from the queue."},
    {"put_nowait", q_put_nowait, 0, "Put an item into the queue without blocking."},
    {"get_nowait", q_get_nowait, 0, "Remove and return an item from the queue without blocking."},
    {"qsize", q_qsize, 0, "Return the approximate size of the queue (not reliable!)."},
    {"empty", q_empty, 0, "Return True if the queue is empty, False otherwise (not reliable!)."},
    {"__class_getitem__", q_class_getitem, METH_CLASS, NULL},
    {NULL, NULL, 0, NULL},
};

static Type QueueType = {
    .hdr = {&TypeType},
    .name = "Queue",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(QueueObject),
    .dictoffset = offsetof(QueueObject, dict),
    .methods = queue_methods,
    .getset = queue_getset,
    .new = queue_new,
    .init = queue_init,
};

static Type LifoQueueType = {
    .hdr = {&TypeType},
    .name = "LifoQueue",
    .base = &QueueType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(QueueObject),
    .dictoffset = offsetof(QueueObject, dict),
    .new = queue_new,
    .init = queue_init,
};

static Type PriorityQueueType = {
    .hdr = {&TypeType},
    .name = "PriorityQueue",
    .base = &QueueType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(QueueObject),
    .dictoffset = offsetof(QueueObject, dict),
    .new = queue_new,
    .init = queue_init,
};

static Type SimpleQueueType = {
    .hdr = {&TypeType},
    .name = "SimpleQueue",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(QueueObject),
    .methods = simple_methods,
    .new = queue_new,
};

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

/* The exceptions, created once: Empty is `_queue.Empty` in CPython (its
 * repr and tracebacks say so), Full is `queue.Full`. */
static Type *make_exc(const char *name, const char *module, const char *doc)
{
    Value ns = mn_dict_new();
    mn_dict_set_cstr(ns, "__module__", mn_str(module));
    mn_dict_set_cstr(ns, "__doc__", mn_str(doc));
    Value t = mn_class_new(mn_intern(name), &ExceptionType, ns, mn_str(module));
    return t ? AS(Type, t) : NULL;
}

static int ready_types(void)
{
    if (SimpleQueueType.flags & TF_READY)
        return 0;
    QueueType.module = LifoQueueType.module = PriorityQueueType.module = mn_intern("queue");
    SimpleQueueType.module = mn_intern("_queue");
    Type *ts[] = {&QueueType, &LifoQueueType, &PriorityQueueType, &SimpleQueueType};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++)
        if (mn_type_ready(ts[i]) < 0)
            return -1;
    return 0;
}

Value mn_module_queue_init(void)
{
    pthread_mutex_lock(&init_mu);
    int r = 0;
    if (!EmptyType) {
        EmptyType = make_exc("Empty", "_queue", "Exception raised by Queue.get(block=0)/get_nowait().");
        FullType = make_exc("Full", "queue", "Exception raised by Queue.put(block=0)/put_nowait().");
        if (!EmptyType || !FullType)
            r = -1;
    }
    if (r == 0)
        r = ready_types();
    pthread_mutex_unlock(&init_mu);
    if (r < 0)
        return MN_ERR;
    Value mod = mn_module_new(mn_intern("queue"));
    mn_module_add(mod, "Empty", mn_val(EmptyType));
    mn_module_add(mod, "Full", mn_val(FullType));
    mn_module_add(mod, "Queue", mn_val(&QueueType));
    mn_module_add(mod, "LifoQueue", mn_val(&LifoQueueType));
    mn_module_add(mod, "PriorityQueue", mn_val(&PriorityQueueType));
    mn_module_add(mod, "SimpleQueue", mn_val(&SimpleQueueType));
    Value all = mn_list_new(0);
    const char *names[] = {"Empty", "Full", "Queue", "PriorityQueue", "LifoQueue", "SimpleQueue"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (mn_list_append(all, mn_str(names[i])) < 0)
            return MN_ERR;
    mn_module_add(mod, "__all__", all);
    return mod;
}
