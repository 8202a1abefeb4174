/*
 * mn_thread.h -- private interface between the two halves of the `_thread`
 * module: stdlib/thread_sync.c (the wait machinery, the deadlock detector
 * and the synchronisation types) and stdlib/mod_thread.c (thread start,
 * thread-local data, the module table).  Nothing outside these two files
 * should include it.
 *
 * The model.  Every OS thread that runs mini code and was started through
 * `_thread` (plus the thread that first imports it, normally the main
 * thread) has a ThreadRec.  All synchronisation state -- whether a lock is
 * held, a semaphore's value, an event's flag, every wait queue, and the
 * deadlock detector's counters -- is protected by ONE process-wide mutex,
 * mn_sync_mu.  It is held only for a few instructions at a time and never
 * while waiting for the GIL, so it cannot take part in a deadlock with the
 * GIL.  (One mutex instead of one per object: with the GIL on there is no
 * contention to speak of, and it is what makes the deadlock check exact --
 * the counters and all queues change together.)
 *
 * Waiting.  A thread that must block puts its ThreadRec on the object's
 * wait queue (MnWaitQ) and sleeps on the condition variable in its own
 * record.  A waker takes records off the queue and marks them `woken`
 * BEFORE signalling, under mn_sync_mu.  Woken threads re-check the object
 * (locks are not handed over: like CPython's, they may be taken by a
 * running thread first), so a wake-up is never a promise, only a reason
 * to look again.
 *
 * The deadlock detector.  A wait without a timeout marks the record
 * `forever` and counts it in mn_sync_nblocked; waking clears both.  When
 * every live record is blocked forever (and no thread runs mini code
 * unknown to us), nothing can ever wake any of them: the detector prints
 * "deadlock detected" with each thread's name and the file:line it waits
 * at, and exits with status 1.  Sleeps, timed waits, I/O, waitpid and
 * threads not yet running are never counted, so they can never cause a
 * false alarm.
 */
#ifndef MN_THREAD_H
#define MN_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../runtime/object.h"
#include "../vm/tstate.h"

typedef struct MnThreadRec MnThreadRec;

/* A FIFO of waiting threads, embedded in every waitable object. */
typedef struct MnWaitQ {
    MnThreadRec *head, *tail;
    long n;                     /* how many wait (Condition's repr) */
} MnWaitQ;

struct MnThreadRec {
    /* The registry of live threads (mn_sync_mu), in start order. */
    MnThreadRec *prev, *next;
    ThreadState *ts;            /* NULL until the new thread has one */
    uint64_t ident;             /* get_ident() of the thread (0 until known) */
    uint64_t epoch;             /* mn_sync_epoch when created (fork safety) */
    bool exiting;               /* finished running mini code; no longer live */
    bool ours;                  /* started by _thread (counted by _count()) */

    /* Waiting (all mn_sync_mu). */
    pthread_cond_t cv;          /* CLOCK_MONOTONIC; this thread sleeps on it */
    MnWaitQ *wq;                /* the queue it is in, or NULL */
    MnThreadRec *wq_prev, *wq_next;
    bool woken;                 /* a waker took it off wq */
    bool forever;               /* counted in mn_sync_nblocked */
    const char *what;           /* "lock", "condition", "join", ... */
    const char *where_file;     /* mini file:line of the wait (forever only) */
    int where_line;
    const void *ext_key;        /* waiting outside thread_sync.c (see
                                   mn_deadlock_wait_begin), or NULL */

    /* Start-up arguments (new threads only) and per-thread data.  The
     * record lives in uncollectable memory, so these are GC roots. */
    Value func, args, kwargs;
    Value handle;               /* the _ThreadHandle joiners wait on, or 0 */
    Value name;                 /* initial thread name (str) or 0 */
    Value local_dicts;          /* dict id(local) -> (local, its __dict__) */
};

extern pthread_mutex_t mn_sync_mu;

/* The calling thread's record, created (and counted live) on first use. */
MnThreadRec *mn_thread_me(void);
/* A new record for a thread about to be started: counted live at once,
 * so the thread is "running" for the detector before it exists. */
MnThreadRec *mn_thread_rec_new(void);
/* The starting thread failed to be created: forget the record. */
void mn_thread_rec_abandon(MnThreadRec *rec);
/* The new thread, first thing: bind the record to its thread state. */
void mn_thread_rec_bind(MnThreadRec *rec, ThreadState *ts);
/* The thread has finished running mini code (it still holds the GIL):
 * marks its handle done, wakes joiners, leaves the live set (which may
 * reveal a deadlock among the others). */
void mn_thread_rec_exit(MnThreadRec *rec);
/* After gil_thread_detach/mn_tstate_delete: drop the record for good. */
void mn_thread_rec_free(MnThreadRec *rec);
/* Threads started by _thread still running (_thread._count()). */
long mn_thread_count(void);
/* Update the name the deadlock report and --gil-stats show for the live
 * thread `ident`; false if there is no such thread. */
bool mn_thread_set_name(uint64_t ident, Value name);

/* Types (thread_sync.c). */
extern Type MnLockType, MnRLockType, MnConditionType, MnSemaphoreType,
    MnBoundedSemaphoreType, MnEventType, MnThreadHandleType;
int mn_thread_sync_init(void) MN_CHECK;
Value mn_lock_new(void);
/* A new _ThreadHandle (not done) for thread `ident`. */
Value mn_thread_handle_new(void);
void mn_thread_handle_set_ident(Value h, uint64_t ident);

/* Timeout argument parsing shared by the modules: CPython's
 * lock.acquire(blocking=True, timeout=-1) rules and messages.  *out is
 * -1 for "forever", else >= 0 seconds. */
int mn_lock_timeout_args(Value blocking, Value timeout, double *out) MN_CHECK;

/* ------------------------------------------------------------------ */
/* For other stdlib modules (queue, ...) that wait on their own mutex  */
/* and condition variables: join the deadlock detector                  */
/* ------------------------------------------------------------------ */

/*
 * Around EACH wait that has no timeout (re-register after every wake-up
 * that goes back to waiting):
 *
 *     pthread_mutex_lock(&q->mu);
 *     while (!ready) {
 *         mn_deadlock_wait_begin(&q->not_empty, "queue");  // GIL held
 *         MN_BEGIN_BLOCKING(ts);
 *         pthread_cond_wait(&q->not_empty, &q->mu);       // or slices
 *         pthread_mutex_unlock(&q->mu);  MN_END_BLOCKING(ts);
 *         mn_deadlock_wait_end();
 *         pthread_mutex_lock(&q->mu);
 *     }
 *
 * and every waker, while it holds the same mutex, right before
 * pthread_cond_signal/broadcast:  mn_deadlock_wake(&q->not_empty, 1 / -1).
 *
 * `key` names what is waited on (the condition variable's address is a
 * good key); `what` is a static string for the report ("queue get").
 * mn_deadlock_wait_begin must be called with the GIL held and may print
 * the deadlock report and exit the process.  mn_deadlock_wake marks up to
 * n (all if n < 0) registered waiters on `key` as no longer blocked; it
 * returns at once (no lock taken) when nobody waits through this API.
 * mn_deadlock_wait_end may be called whether or not the thread was woken
 * that way.  Waits WITH a timeout must not register at all.
 */
void mn_deadlock_wait_begin(const void *key, const char *what);
void mn_deadlock_wait_end(void);
void mn_deadlock_wake(const void *key, int n);

/* CPython's _thread.TIMEOUT_MAX. */
#define MN_TIMEOUT_MAX 9223372036.0

#endif
