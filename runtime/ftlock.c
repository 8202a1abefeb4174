/*
 * ftlock.c -- the slow paths of MnMutex (runtime/ftlock.h).
 *
 * Ulrich Drepper's three-state futex mutex ("Futexes Are Tricky", mutex
 * 3): a contended locker spins briefly (critical sections are a few
 * dozen instructions), then marks the word 2 and sleeps in the kernel;
 * an unlocker that sees 2 wakes one sleeper.
 */
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ftlock.h"

bool mn_ft;

#define SPIN_TRIES 100

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

void mn_mutex_lock_slow(MnMutex *m)
{
    for (int i = 0; i < SPIN_TRIES; i++) {
        uint32_t z = 0;
        if (atomic_load_explicit(&m->v, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&m->v, &z, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        cpu_relax();
    }
    /* From here on we may be a sleeper, so we take the lock as "2". */
    while (atomic_exchange_explicit(&m->v, 2, memory_order_acquire) != 0)
        futex_wait(&m->v, 2);
}

void mn_mutex_wake(MnMutex *m)
{
    syscall(SYS_futex, (uint32_t *)&m->v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
