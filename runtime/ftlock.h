/*
 * ftlock.h -- free-threaded mode (--gil=off): per-object locks and the
 * helpers for words that threads read and write without a common lock.
 *
 * The rules (docs/free-threading.md has the user-facing table):
 *
 *  - Readers never lock.  A reader loads a container's storage pointer
 *    once (MN_LOAD_ACQ), bounds-checks against the capacity recorded in
 *    the block it loaded, and treats an empty (0) slot as "not there".
 *    Every word that another thread may write concurrently is read with
 *    MN_LOAD / MN_LOAD_ACQ and written with MN_STORE / MN_STORE_REL, so
 *    the compiler cannot tear, cache or reorder it and ThreadSanitizer
 *    sees an atomic access.  On x86-64 and arm64 a relaxed load or store
 *    of an aligned word is one ordinary instruction: the GIL mode pays
 *    nothing for them.
 *
 *  - Writers of one container serialise on its MnMutex, taken only when
 *    mn_ft is true (MN_OBJ_LOCK), so with the GIL on a mutation costs one
 *    well-predicted branch.  A critical section is short and NEVER runs
 *    user code (no __eq__, __hash__, __del__, no mini call), never blocks
 *    on anything but another object lock, and never takes two object
 *    locks at once unless it is a documented pair ordered by address
 *    (mn_obj_lock2).  Operations that need user code (a dict insert
 *    with a key whose __eq__ is Python code, list.remove, sort with a
 *    key) do the user-code part unlocked and validate under the lock
 *    (see each type's file).
 *
 *  - New storage is fully initialised before it is published with
 *    MN_STORE_REL; a reader that loaded the old block keeps using it
 *    (the collector keeps it alive).
 *
 *  - Object locks are never held at a safe point (eval-breaker check),
 *    so a stop-the-world (fork in free-threaded mode) never parks a
 *    thread that holds one, and the child of fork() finds them all free.
 */
#ifndef MN_FTLOCK_H
#define MN_FTLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* True when the GIL is off.  Written once by gil_init() before any second
 * thread exists, read everywhere. */
extern bool mn_ft;

/* A one-word futex lock: 0 free, 1 held, 2 held with sleepers.  Zero
 * initialised memory is an unlocked mutex. */
typedef struct { _Atomic uint32_t v; } MnMutex;

void mn_mutex_lock_slow(MnMutex *m);
void mn_mutex_wake(MnMutex *m);

static inline void mn_mutex_lock(MnMutex *m)
{
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong_explicit(&m->v, &z, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        mn_mutex_lock_slow(m);
}

static inline void mn_mutex_unlock(MnMutex *m)
{
    if (atomic_exchange_explicit(&m->v, 0, memory_order_release) == 2)
        mn_mutex_wake(m);
}

static inline bool mn_mutex_trylock(MnMutex *m)
{
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(&m->v, &z, 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

/* Lock / unlock a container's mutex in free-threaded mode only. */
#define MN_OBJ_LOCK(m)   do { if (mn_ft) mn_mutex_lock(m); } while (0)
#define MN_OBJ_UNLOCK(m) do { if (mn_ft) mn_mutex_unlock(m); } while (0)

/* Two object locks at once (e.g. a = b[:] style copies between two
 * containers, list.extend(other_list)): always in address order. */
static inline void mn_obj_lock2(MnMutex *a, MnMutex *b)
{
    if (!mn_ft)
        return;
    if (a == b) {
        mn_mutex_lock(a);
    } else if ((uintptr_t)a < (uintptr_t)b) {
        mn_mutex_lock(a);
        mn_mutex_lock(b);
    } else {
        mn_mutex_lock(b);
        mn_mutex_lock(a);
    }
}

static inline void mn_obj_unlock2(MnMutex *a, MnMutex *b)
{
    if (!mn_ft)
        return;
    mn_mutex_unlock(a);
    if (a != b)
        mn_mutex_unlock(b);
}

/* Racy word access (any scalar or pointer lvalue). */
#define MN_LOAD(x)         __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define MN_STORE(x, v)     __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define MN_LOAD_ACQ(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define MN_STORE_REL(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

#endif
