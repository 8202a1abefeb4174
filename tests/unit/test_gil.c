/*
 * test_gil.c -- the GIL state machine (vm/gil.c) driven by raw pthreads
 * and fake ThreadStates; no interpreter needed.
 *
 * Each test thread emulates the eval loop exactly as vm/gil.h's "eval
 * loop contract" prescribes (fake_loop_* below): an eb_mask local, the
 * breaker check at "back-edges", and the counting tick before every
 * "instruction".  Assertions are made on the test's main thread after the
 * workers are joined (workers only record what they saw).
 *
 * Timing bounds are deliberately loose: the machine may be busy.  The
 * tests assert orderings and invariants, not exact times.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vm/gil.h"

static Interp g_interp;

static void gil_setup(bool enabled, double interval, long instr, bool stats,
                      const char *trace)
{
    memset(&g_interp, 0, sizeof g_interp);
    g_interp.gil_enabled = enabled;
    g_interp.switch_interval = interval;
    g_interp.switch_instructions = instr;
    g_interp.gil_stats = stats;
    g_interp.gil_trace_path = trace;
    gil_init(&g_interp);
}

/* Fake thread states stay reachable (from here) for the leak checker. */
static ThreadState *fake_all[64];
static atomic_int fake_n;

static ThreadState *fake_ts(void)
{
    ThreadState *ts = calloc(1, sizeof *ts);
    ts->interp = &g_interp;
    int i = atomic_fetch_add(&fake_n, 1);
    if (i < 64)
        fake_all[i] = ts;
    return ts;
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void spin_ns(uint64_t ns)
{
    uint64_t end = mono_ns() + ns;
    while (mono_ns() < end)
        ;
}

/* ---- the eval loop contract, emulated ------------------------------ */

typedef struct FakeLoop {
    ThreadState *ts;
    uint32_t eb_mask;
} FakeLoop;

static void fake_loop_enter(FakeLoop *l, ThreadState *ts)
{
    l->ts = ts;
    l->eb_mask = gil_eb_mask(ts);
}

/* A check site (backward jump / call). */
static void fake_loop_check(FakeLoop *l)
{
    if (atomic_load_explicit(&l->ts->eval_breaker, memory_order_relaxed) & l->eb_mask) {
        uint32_t w = atomic_load_explicit(&l->ts->eval_breaker, memory_order_relaxed);
        if (w & EB_GIL_DROP)
            cr_assert_eq(gil_handle_breaker(l->ts), 0);
        l->eb_mask = gil_eb_mask(l->ts);
    }
}

/* Before every instruction. */
static void fake_loop_tick(FakeLoop *l)
{
    if (l->eb_mask != GIL_EB_MASK_NORMAL && GIL_INSTR_TICK(l->ts)) {
        cr_assert_eq(gil_instr_expired(l->ts), 0);
        l->eb_mask = gil_eb_mask(l->ts);
    }
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, fn, arg), 0);
    return t;
}

/* ================================================================== */
/* Mutual exclusion                                                    */
/* ================================================================== */

#define MX_THREADS 4
#define MX_ITERS 20000

static long mx_counter;                 /* incremented non-atomically */
static atomic_int mx_inside, mx_overlaps;

static void *mx_worker(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    FakeLoop l;
    gil_thread_attach(ts);
    fake_loop_enter(&l, ts);
    for (int i = 0; i < MX_ITERS; i++) {
        fake_loop_check(&l);
        if (atomic_exchange(&mx_inside, 1))
            atomic_fetch_add(&mx_overlaps, 1);
        long v = *(volatile long *)&mx_counter;
        for (volatile int k = 0; k < 20; k++)
            ;
        *(volatile long *)&mx_counter = v + 1;
        atomic_store(&mx_inside, 0);
        if (i % 500 == 0) {
            MN_BEGIN_BLOCKING(ts);
            usleep(50);
            MN_END_BLOCKING(ts);
        }
    }
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, mutual_exclusion, .timeout = 60)
{
    gil_setup(true, 0.0005, 0, true, NULL);
    pthread_t t[MX_THREADS];
    for (int i = 0; i < MX_THREADS; i++)
        t[i] = start(mx_worker, NULL);
    for (int i = 0; i < MX_THREADS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(mx_counter, (long)MX_THREADS * MX_ITERS, "lost updates: %ld", mx_counter);
    cr_assert_eq(atomic_load(&mx_overlaps), 0);

    GilThreadStats tot;
    uint64_t switches;
    gil_total_stats(&tot, &switches);
    cr_assert_gt(switches, 0);
    uint64_t handed = 0;
    for (int c = 1; c < GIL_NCAUSES; c++)
        handed += tot.handovers[c];
    /* every change of holder is attributed to exactly one cause */
    cr_assert_eq(handed, switches, "hand-overs %llu != switches %llu",
                 (unsigned long long)handed, (unsigned long long)switches);
    /* each thread: 1 attach + at least one re-acquire per blocking call */
    cr_assert_geq(tot.acquisitions, (uint64_t)MX_THREADS * (1 + MX_ITERS / 500));
    cr_assert_geq(tot.acquisitions, switches);
}

/* With --switch-instructions=1 the increment must still be exact when it
 * is one instruction. */
static long si_counter;
static atomic_int si_inside, si_overlaps, si_arrived;

static void *si_worker(void *arg)
{
    int iters = (int)(intptr_t)arg;
    ThreadState *ts = fake_ts();
    FakeLoop l;
    atomic_fetch_add(&si_arrived, 1);
    gil_thread_attach(ts);
    fake_loop_enter(&l, ts);
    while (atomic_load(&si_arrived) < 3)    /* all three in the game */
        fake_loop_check(&l);
    for (int k = 0; k < iters; k++) {
        if (k % 4 == 0)
            fake_loop_check(&l);
        fake_loop_tick(&l);
        if (atomic_exchange(&si_inside, 1))
            atomic_fetch_add(&si_overlaps, 1);
        long v = *(volatile long *)&si_counter;
        spin_ns(1000);
        *(volatile long *)&si_counter = v + 1;
        atomic_store(&si_inside, 0);
    }
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, mutual_exclusion_switch_every_instruction, .timeout = 60)
{
    gil_setup(true, 0.005, 1, true, NULL);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = start(si_worker, (void *)(intptr_t)3000);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(si_counter, 3L * 3000);
    cr_assert_eq(atomic_load(&si_overlaps), 0);
    GilThreadStats tot;
    uint64_t sw;
    gil_total_stats(&tot, &sw);
    cr_assert_gt(tot.handovers[GIL_CAUSE_INSTR], 100, "only %llu instruction hand-overs",
                 (unsigned long long)tot.handovers[GIL_CAUSE_INSTR]);
}

/* ================================================================== */
/* Forced switch is a real switch                                      */
/* ================================================================== */

static atomic_int fs_waiter_done, fs_waiter_queued;
static ThreadState *fs_waiter_ts;

static void *fs_waiter(void *arg)
{
    (void)arg;
    ThreadState *ts = fs_waiter_ts;
    atomic_store(&fs_waiter_queued, 1);
    gil_thread_attach(ts);              /* waits behind the holder */
    FakeLoop l;
    fake_loop_enter(&l, ts);
    for (int i = 0; i < 200; i++) {
        fake_loop_check(&l);
        spin_ns(20000);
    }
    atomic_store(&fs_waiter_done, 1);
    gil_thread_detach(ts);
    return NULL;
}

/* Every time the holder comes back from a forced drop, the waiter must
 * have acquired the GIL in between: the dropper cannot win it back. */
Test(gil, forced_switch_is_real, .timeout = 60)
{
    gil_setup(true, 0.002, 0, false, NULL);
    ThreadState *main_ts = fake_ts();
    fs_waiter_ts = fake_ts();
    gil_thread_attach(main_ts);
    FakeLoop l;
    fake_loop_enter(&l, main_ts);
    pthread_t t = start(fs_waiter, NULL);
    while (!atomic_load(&fs_waiter_queued))
        sched_yield();

    int drops = 0, bad = 0;
    uint64_t deadline = mono_ns() + 30ull * 1000000000u;
    while (!atomic_load(&fs_waiter_done) && mono_ns() < deadline) {
        GilThreadStats before, after, w_before, w_after;
        gil_thread_stats(main_ts, &before);
        gil_thread_stats(fs_waiter_ts, &w_before);
        fake_loop_check(&l);
        gil_thread_stats(main_ts, &after);
        gil_thread_stats(fs_waiter_ts, &w_after);
        if (after.handovers[GIL_CAUSE_INTERVAL] > before.handovers[GIL_CAUSE_INTERVAL]) {
            drops++;
            /* (a waiter that finished and detached reads as all zeros) */
            if (w_after.acquisitions <= w_before.acquisitions && !atomic_load(&fs_waiter_done))
                bad++;
        }
        spin_ns(10000);
    }
    cr_assert(atomic_load(&fs_waiter_done), "waiter never finished");
    cr_assert_gt(drops, 0);
    cr_assert_eq(bad, 0, "%d of %d hand-overs came back before the waiter took the GIL",
                 bad, drops);
    gil_thread_detach(main_ts);
    pthread_join(t, NULL);
}

/* ================================================================== */
/* Interval hand-over happens after ~interval                          */
/* ================================================================== */

static atomic_ullong iv_arrive, iv_got;

static void *iv_waiter(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    atomic_store(&iv_arrive, mono_ns());
    gil_thread_attach(ts);
    atomic_store(&iv_got, mono_ns());
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, interval_handover, .timeout = 60)
{
    const double interval = 0.010;
    gil_setup(true, interval, 0, true, NULL);
    ThreadState *main_ts = fake_ts();
    gil_thread_attach(main_ts);
    FakeLoop l;
    fake_loop_enter(&l, main_ts);
    spin_ns(30 * 1000000);              /* ran alone for 3 intervals */
    pthread_t t = start(iv_waiter, NULL);
    uint64_t deadline = mono_ns() + 10ull * 1000000000u;
    while (!atomic_load(&iv_got) && mono_ns() < deadline) {
        fake_loop_check(&l);
        spin_ns(5000);
    }
    pthread_join(t, NULL);
    uint64_t waited = atomic_load(&iv_got) - atomic_load(&iv_arrive);
    /* Time counts from the waiter's arrival (not from our acquisition),
     * and the switch comes at our next check after the interval. */
    cr_assert_geq(waited, (uint64_t)(interval * 1e9 * 0.9), "switched too early: %llu ns",
                  (unsigned long long)waited);
    cr_assert_lt(waited, (uint64_t)(interval * 1e9) + 500000000ull, "switched too late: %llu ns",
                 (unsigned long long)waited);
    GilThreadStats st;
    gil_thread_stats(main_ts, &st);
    cr_assert_eq(st.handovers[GIL_CAUSE_INTERVAL], 1);
    gil_thread_detach(main_ts);
}

/* sys.setswitchinterval while a waiter sleeps on the old, long deadline. */
Test(gil, set_switch_interval_rearms_timer, .timeout = 60)
{
    gil_setup(true, 30.0, 0, false, NULL);
    ThreadState *main_ts = fake_ts();
    gil_thread_attach(main_ts);
    FakeLoop l;
    fake_loop_enter(&l, main_ts);
    atomic_store(&iv_got, 0);
    pthread_t t = start(iv_waiter, NULL);
    while (!atomic_load(&iv_arrive))
        sched_yield();
    spin_ns(20 * 1000000);
    gil_set_switch_interval(0.002);
    cr_assert_float_eq(gil_get_switch_interval(), 0.002, 1e-9);
    cr_assert_float_eq(g_interp.switch_interval, 0.002, 1e-9);
    uint64_t t0 = mono_ns();
    while (!atomic_load(&iv_got) && mono_ns() < t0 + 10ull * 1000000000u) {
        fake_loop_check(&l);
        spin_ns(5000);
    }
    cr_assert(atomic_load(&iv_got), "waiter still waiting on the old 30 s deadline");
    pthread_join(t, NULL);
    gil_thread_detach(main_ts);
}

/* ================================================================== */
/* Priority return (anti-convoy)                                       */
/* ================================================================== */

#define PR_MAX_ROUNDS 200
#define PR_WANT 10

static atomic_int pr_stop, pr_io_attached;
static atomic_long pr_hog_progress;
static uint64_t pr_latency[PR_MAX_ROUNDS];     /* of contended rounds */
static int pr_contended, pr_rounds;
static GilThreadStats pr_io_st, pr_hog_st;     /* snapshots before detach */

static void *pr_io(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    atomic_store(&pr_io_attached, 1);
    while (pr_rounds < PR_MAX_ROUNDS && pr_contended < PR_WANT) {
        GilThreadStats before, after;
        gil_thread_stats(ts, &before);
        uint64_t back;
        MN_BEGIN_BLOCKING(ts);
        usleep(3000);
        back = mono_ns();
        MN_END_BLOCKING(ts);
        uint64_t lat = mono_ns() - back;
        gil_thread_stats(ts, &after);
        pr_rounds++;
        /* Count the round only if the hog held the GIL when we came back
         * (on a loaded machine it may not even have woken up). */
        if (after.waits > before.waits)
            pr_latency[pr_contended++] = lat;
        spin_ns(20000);                 /* a little work per message */
    }
    atomic_store(&pr_stop, 1);
    gil_thread_stats(ts, &pr_io_st);
    gil_thread_detach(ts);
    return NULL;
}

static void *pr_hog(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    while (!atomic_load(&pr_stop)) {
        fake_loop_check(&l);
        atomic_fetch_add(&pr_hog_progress, 1);
        spin_ns(2000);
    }
    gil_thread_stats(ts, &pr_hog_st);
    gil_thread_detach(ts);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(gil, priority_return_beats_interval, .timeout = 60)
{
    const double interval = 0.200;      /* a convoy would cost 200 ms/round */
    gil_setup(true, interval, 0, true, NULL);
    pthread_t io = start(pr_io, NULL);
    while (!atomic_load(&pr_io_attached))   /* a new thread gets no priority */
        sched_yield();
    pthread_t hog = start(pr_hog, NULL);
    pthread_join(io, NULL);
    pthread_join(hog, NULL);

    cr_assert_geq(pr_contended, 3, "the hog held the GIL at only %d of %d returns",
                  pr_contended, pr_rounds);
    qsort(pr_latency, (size_t)pr_contended, sizeof pr_latency[0], cmp_u64);
    uint64_t median = pr_latency[pr_contended / 2];
    /* A return takes the GIL at the hog's next check, not after an
     * interval. */
    cr_assert_lt(median, (uint64_t)(interval * 1e9 / 4), "median return latency %llu ns",
                 (unsigned long long)median);
    cr_assert_geq(pr_io_st.priority_grants, (uint64_t)pr_contended / 2);
    cr_assert_geq(pr_hog_st.handovers[GIL_CAUSE_PRIORITY], (uint64_t)pr_contended / 2);
    cr_assert_eq(pr_hog_st.handovers[GIL_CAUSE_INTERVAL], 0);
}

static int cmp_u64_early(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ================================================================== */
/* Peer waits and the grace of I/O holders                             */
/* ================================================================== */

/* A thread woken by another mini thread (peer wait) must not preempt the
 * CPU-bound holder: it waits for the interval, so a producer hands over
 * a batch rather than one item per switch. */
static atomic_int pw_stop, pw_attached;
static GilThreadStats pw_waiter_st, pw_hog_st;
static uint64_t pw_waits[8];

static void *pw_waiter(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    atomic_store(&pw_attached, 1);
    for (int i = 0; i < 8; i++) {
        MN_BEGIN_PEER_WAIT(ts);
        usleep(2000);                   /* "woken by a notify" after 2 ms */
        uint64_t back = mono_ns();
        MN_END_PEER_WAIT(ts);
        pw_waits[i] = mono_ns() - back;
    }
    gil_thread_stats(ts, &pw_waiter_st);
    atomic_store(&pw_stop, 1);
    gil_thread_detach(ts);
    return NULL;
}

static void *pw_hog(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    while (!atomic_load(&pw_stop)) {
        fake_loop_check(&l);
        spin_ns(2000);
    }
    gil_thread_stats(ts, &pw_hog_st);
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, peer_wait_return_does_not_preempt, .timeout = 60)
{
    const double interval = 0.020;
    gil_setup(true, interval, 0, true, NULL);
    pthread_t w = start(pw_waiter, NULL);
    while (!atomic_load(&pw_attached))
        sched_yield();
    pthread_t h = start(pw_hog, NULL);
    pthread_join(w, NULL);
    pthread_join(h, NULL);
    cr_assert_eq(pw_waiter_st.priority_grants, 0);
    cr_assert_eq(pw_hog_st.handovers[GIL_CAUSE_PRIORITY], 0,
                 "a peer-wait return preempted the holder");
    /* Most returns found the hog holding and waited for its interval. */
    qsort(pw_waits, 8, sizeof pw_waits[0], cmp_u64_early);
    cr_assert_gt(pw_waits[4], (uint64_t)(interval * 1e9 / 4), "median wait %llu ns",
                 (unsigned long long)pw_waits[4]);
    cr_assert_gt(pw_hog_st.handovers[GIL_CAUSE_INTERVAL], 0);
}

/* Two I/O threads ping-pong: each returns from its "recv" while the other
 * still holds the GIL for a few microseconds before blocking again.  The
 * returner must wait for that (the grace), not force a switch. */
#define GR_ROUNDS 200
static atomic_int gr_go[2], gr_arrived[2];
static GilThreadStats gr_st[2];

/* Hold for `ns` with a check every 200 ns (a running eval loop).  It
 * yields the CPU too: on a busy machine both threads may share one CPU,
 * and the peer must run to get into the GIL's queue at all. */
static void gr_hold(FakeLoop *l, uint64_t ns)
{
    uint64_t end = mono_ns() + ns;
    while (mono_ns() < end) {
        fake_loop_check(l);
        spin_ns(200);
        sched_yield();
    }
}

static void *gr_io(void *arg)
{
    int me = (int)(intptr_t)arg, peer = 1 - me;
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    for (int r = 1; r <= GR_ROUNDS; r++) {
        MN_BEGIN_BLOCKING(ts);
        for (unsigned n = 1; atomic_load(&gr_go[me]) < r; n++)     /* "recv" */
            if (n % 256 == 0)
                sched_yield();
        atomic_store(&gr_arrived[me], r);
        MN_END_BLOCKING(ts);
        atomic_store(&gr_go[peer], me == 0 ? r : r + 1);           /* "send" */
        /* Stay a little, until the peer's return is under way (or 200 us
         * pass), then 20 us more -- well inside the 50 us grace. */
        uint64_t until = mono_ns() + 200000;
        int want = me == 0 ? r : r + 1;
        while (atomic_load(&gr_arrived[peer]) < want && mono_ns() < until)
            gr_hold(&l, 200);
        gr_hold(&l, 20000);
    }
    gil_thread_stats(ts, &gr_st[me]);
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, io_holder_gets_grace, .timeout = 60)
{
    gil_setup(true, 0.005, 0, true, NULL);
    atomic_store(&gr_go[0], 1);
    pthread_t a = start(gr_io, (void *)0), b = start(gr_io, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    uint64_t prio = gr_st[0].handovers[GIL_CAUSE_PRIORITY]
                  + gr_st[1].handovers[GIL_CAUSE_PRIORITY];
    uint64_t waits = gr_st[0].waits + gr_st[1].waits;
    /* Most returns find the other thread holding and wait; a forced
     * switch is allowed only when the OS delayed the holder past the
     * 50 us grace.  (Without the grace about 1 in 5 forces one here.) */
    cr_assert_gt(waits, GR_ROUNDS / 4, "only %llu contended returns", (unsigned long long)waits);
    cr_assert_lt(prio, waits / 8, "%llu of %llu contended returns forced a switch",
                 (unsigned long long)prio, (unsigned long long)waits);
}

/* ...but an I/O thread that goes on computing is preempted soon after
 * the grace, long before its interval ends. */
static atomic_int gp_phase;
static uint64_t gp_wait_ns;
static GilThreadStats gp_st;

static void *gp_cruncher(void *arg)
{
    (void)arg;
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    MN_BEGIN_BLOCKING(ts);
    atomic_store(&gp_phase, 1);
    while (atomic_load(&gp_phase) != 2)
        sched_yield();
    MN_END_BLOCKING(ts);                /* an I/O hold begins... */
    atomic_store(&gp_phase, 3);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    uint64_t end = mono_ns() + 300ull * 1000000;
    while (mono_ns() < end && atomic_load(&gp_phase) != 4) {
        fake_loop_check(&l);            /* ...and goes on and on */
        spin_ns(2000);
    }
    gil_thread_stats(ts, &gp_st);
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, io_holder_preempted_after_grace, .timeout = 60)
{
    gil_setup(true, 0.500, 0, true, NULL);
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    pthread_t c = start(gp_cruncher, NULL);
    MN_BEGIN_BLOCKING(ts);
    while (atomic_load(&gp_phase) != 1)
        sched_yield();
    atomic_store(&gp_phase, 2);
    while (atomic_load(&gp_phase) != 3)
        sched_yield();
    usleep(1000);                       /* our "recv" returns meanwhile */
    uint64_t back = mono_ns();
    MN_END_BLOCKING(ts);
    gp_wait_ns = mono_ns() - back;
    atomic_store(&gp_phase, 4);
    MN_BEGIN_BLOCKING(ts);
    pthread_join(c, NULL);
    MN_END_BLOCKING(ts);
    cr_assert_lt(gp_wait_ns, 100ull * 1000000, "waited %llu ns: not preempted",
                 (unsigned long long)gp_wait_ns);
    cr_assert_eq(gp_st.handovers[GIL_CAUSE_PRIORITY], 1);
    gil_thread_detach(ts);
}

/* ================================================================== */
/* No starvation                                                       */
/* ================================================================== */

typedef struct Hog {
    ThreadState *ts;
    atomic_long progress;
    atomic_int *stop;
    int block_every;                    /* 0: pure CPU hog */
    useconds_t block_us;
    uint64_t work_ns;
} Hog;

static void *hog_main(void *arg)
{
    Hog *h = arg;
    ThreadState *ts = h->ts;
    gil_thread_attach(ts);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    long n = 0;
    while (!atomic_load(h->stop)) {
        fake_loop_check(&l);
        atomic_fetch_add(&h->progress, 1);
        spin_ns(h->work_ns);
        if (h->block_every && ++n % h->block_every == 0) {
            MN_BEGIN_BLOCKING(ts);
            if (h->block_us)
                usleep(h->block_us);
            MN_END_BLOCKING(ts);
        }
    }
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, two_hogs_share, .timeout = 60)
{
    gil_setup(true, 0.002, 0, true, NULL);
    atomic_int stop = 0;
    Hog a = { .ts = fake_ts(), .stop = &stop, .work_ns = 2000 };
    Hog b = { .ts = fake_ts(), .stop = &stop, .work_ns = 2000 };
    uint64_t t0 = mono_ns();
    pthread_t ta = start(hog_main, &a), tb = start(hog_main, &b);
    usleep(400 * 1000);
    atomic_store(&stop, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    uint64_t elapsed = mono_ns() - t0;
    long pa = atomic_load(&a.progress), pb = atomic_load(&b.progress);
    cr_assert_gt(pa * 5, pa + pb, "a starved: %ld vs %ld", pa, pb);
    cr_assert_gt(pb * 5, pa + pb, "b starved: %ld vs %ld", pb, pa);

    GilThreadStats sa, sb, tot;
    gil_thread_stats(a.ts, &sa);    /* detached: the fake ts lost its local */
    cr_assert_eq(sa.acquisitions, 0);
    uint64_t switches;
    gil_total_stats(&tot, &switches);
    cr_assert_gt(tot.handovers[GIL_CAUSE_INTERVAL], 10);
    /* Pure hogs: every acquisition but the first of each thread follows a
     * forced drop of that thread. */
    uint64_t forced = tot.handovers[GIL_CAUSE_INSTR] + tot.handovers[GIL_CAUSE_INTERVAL]
                    + tot.handovers[GIL_CAUSE_PRIORITY];
    cr_assert_eq(tot.acquisitions, 2 + forced);
    uint64_t handed = forced + tot.handovers[GIL_CAUSE_BLOCKING] + tot.handovers[GIL_CAUSE_EXIT];
    cr_assert_eq(handed, switches);
    /* Holds are mutually exclusive: their total fits in the elapsed time. */
    cr_assert_leq(tot.hold_ns, elapsed + 1000000, "held %llu ns in %llu ns",
                  (unsigned long long)tot.hold_ns, (unsigned long long)elapsed);
    (void)sb;
}

/* A thread that "blocks" briefly and then computes a lot must not be able
 * to use priority returns to starve a CPU-bound thread. */
Test(gil, priority_abuser_cannot_starve_hog, .timeout = 60)
{
    gil_setup(true, 0.005, 0, true, NULL);
    atomic_int stop = 0;
    Hog hog = { .ts = fake_ts(), .stop = &stop, .work_ns = 2000 };
    Hog abuser = { .ts = fake_ts(), .stop = &stop, .work_ns = 2000,
                   .block_every = 250, .block_us = 100 };   /* ~0.5 ms CPU per 0.1 ms block */
    pthread_t ta = start(hog_main, &abuser), th = start(hog_main, &hog);
    usleep(600 * 1000);
    GilThreadStats sh, sa;
    gil_thread_stats(hog.ts, &sh);
    gil_thread_stats(abuser.ts, &sa);
    atomic_store(&stop, 1);
    pthread_join(ta, NULL);
    pthread_join(th, NULL);
    double share = (double)sh.hold_ns / (double)(sh.hold_ns + sa.hold_ns);
    cr_assert_gt(sa.priority_grants, 0, "the abuser should have used priority returns");
    cr_assert_gt(share, 0.20, "hog got only %.1f%% of the GIL", share * 100);
}

/* ================================================================== */
/* --switch-instructions: exact turns                                  */
/* ================================================================== */

#define IC_N 7
#define IC_LOG 4000

static int ic_log[IC_LOG];
static int ic_len;

static atomic_int ic_arrived;

static void *ic_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    ThreadState *ts = fake_ts();
    atomic_fetch_add(&ic_arrived, 1);
    gil_thread_attach(ts);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    while (atomic_load(&ic_arrived) < 2)    /* both threads in the game */
        fake_loop_check(&l);
    for (long k = 0;; k++) {
        if (k % 10 == 0)
            fake_loop_check(&l);        /* a back-edge every 10 instructions */
        fake_loop_tick(&l);
        if (ic_len >= IC_LOG)           /* under the GIL */
            break;
        ic_log[ic_len++] = id;
        spin_ns(2000);
    }
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, switch_instructions_exact_turns, .timeout = 60)
{
    gil_setup(true, 30.0, IC_N, true, NULL);   /* interval never fires */
    pthread_t a = start(ic_worker, (void *)1), b = start(ic_worker, (void *)2);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    cr_assert_eq(ic_len, IC_LOG);
    /* Split the log into runs; all but the first and the last are exactly
     * N instructions long. */
    int runs = 0, bad = 0, first_len = -1, len = 1;
    for (int i = 1; i <= IC_LOG; i++) {
        if (i < IC_LOG && ic_log[i] == ic_log[i - 1]) {
            len++;
            continue;
        }
        if (first_len < 0)
            first_len = len;
        else if (i < IC_LOG && len != IC_N)
            bad++;
        runs++;
        len = 1;
    }
    cr_assert_gt(runs, IC_LOG / IC_N / 2, "only %d runs", runs);
    cr_assert_eq(bad, 0, "%d turns were not exactly %d instructions", bad, IC_N);
    GilThreadStats tot;
    uint64_t sw;
    gil_total_stats(&tot, &sw);
    cr_assert_gt(tot.handovers[GIL_CAUSE_INSTR], (uint64_t)runs - 4);
    cr_assert_eq(tot.handovers[GIL_CAUSE_INTERVAL], 0);
}

Test(gil, lone_thread_never_counts)
{
    gil_setup(true, 0.001, 3, false, NULL);
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    FakeLoop l;
    fake_loop_enter(&l, ts);
    long budget = ts->instr_budget;
    for (int i = 0; i < 100000; i++) {
        if (i % 10 == 0)
            fake_loop_check(&l);
        fake_loop_tick(&l);
    }
    cr_assert_eq(l.eb_mask, GIL_EB_MASK_NORMAL);
    cr_assert_eq(ts->instr_budget, budget, "a lone thread must not count");
    cr_assert_eq(atomic_load(&ts->eval_breaker), 0);
    GilThreadStats st;
    gil_thread_stats(ts, &st);
    cr_assert_eq(st.acquisitions, 1);
    gil_thread_detach(ts);
}

/* ================================================================== */
/* Trace JSON                                                          */
/* ================================================================== */

/* A tiny strict JSON validator (RFC 8259 grammar, no semantic checks). */
static const char *js_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *js_value(const char *p);

static const char *js_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || !*p) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *js_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

static const char *js_value(const char *p)
{
    p = js_ws(p);
    if (*p == '{') {
        p = js_ws(p + 1);
        if (*p == '}')
            return p + 1;
        for (;;) {
            if (!(p = js_string(js_ws(p))))
                return NULL;
            p = js_ws(p);
            if (*p++ != ':' || !(p = js_value(p)))
                return NULL;
            p = js_ws(p);
            if (*p == '}')
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    if (*p == '[') {
        p = js_ws(p + 1);
        if (*p == ']')
            return p + 1;
        for (;;) {
            if (!(p = js_value(p)))
                return NULL;
            p = js_ws(p);
            if (*p == ']')
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    if (*p == '"')
        return js_string(p);
    if (!strncmp(p, "true", 4))
        return p + 4;
    if (!strncmp(p, "false", 5))
        return p + 5;
    if (!strncmp(p, "null", 4))
        return p + 4;
    return js_number(p);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

static int count_substr(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
        n++;
    return n;
}

Test(gil, trace_json_is_well_formed, .timeout = 60)
{
    char path[] = "/tmp/mini_gil_trace_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    gil_setup(true, 0.001, 0, false, path);

    ThreadState *main_ts = fake_ts();
    gil_set_thread_name(main_ts, "Main \"quoted\"\tname");
    gil_thread_attach(main_ts);
    atomic_int stop = 0;
    Hog a = { .ts = fake_ts(), .stop = &stop, .work_ns = 3000, .block_every = 50, .block_us = 200 };
    Hog b = { .ts = fake_ts(), .stop = &stop, .work_ns = 3000 };
    gil_set_thread_name(a.ts, "io-ish");
    pthread_t ta = start(hog_main, &a), tb = start(hog_main, &b);
    MN_BEGIN_BLOCKING(main_ts);
    usleep(50 * 1000);
    MN_END_BLOCKING(main_ts);
    MN_BEGIN_PEER_WAIT(main_ts);
    usleep(50 * 1000);
    atomic_store(&stop, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    MN_END_PEER_WAIT(main_ts);

    gil_at_exit(main_ts);               /* writes the trace (still holding) */
    char *json = slurp(path);
    cr_assert_not_null(json);
    const char *end = js_value(json);
    cr_assert_not_null(end, "trace is not valid JSON");
    cr_assert_eq(*js_ws(end), 0, "garbage after the JSON value");
    cr_assert_eq(strncmp(json, "{\"traceEvents\":[", 16), 0);
    cr_assert_gt(count_substr(json, "\"name\":\"hold\""), 10);
    cr_assert_gt(count_substr(json, "\"name\":\"wait\""), 0);
    cr_assert_gt(count_substr(json, "\"name\":\"blocking call\""), 0);
    cr_assert_eq(count_substr(json, "\"name\":\"peer wait\""), 1);
    cr_assert_eq(count_substr(json, "\"name\":\"thread_name\""), 3);
    cr_assert_not_null(strstr(json, "Main \\\"quoted\\\"\\u0009name"));
    cr_assert_not_null(strstr(json, "\"released\":\"still held\""));

    /* Cross-check with CPython's json module when it is around: holds of
     * different threads never overlap. */
    if (access("/usr/bin/python3", X_OK) == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c '"
                 "import json,sys\n"
                 "d=json.load(open(sys.argv[1]))\n"
                 "h=sorted((e[\"ts\"],e[\"dur\"]) for e in d[\"traceEvents\"]\n"
                 "         if e.get(\"name\")==\"hold\")\n"
                 "assert len(h)>10\n"
                 "bad=[i for i in range(len(h)-1) if h[i][0]+h[i][1]>h[i+1][0]+0.002]\n"
                 "sys.exit(1 if bad else 0)' %s",
                 path);
        cr_assert_eq(system(cmd), 0, "python3 rejected the trace or holds overlap");
    }
    free(json);
    unlink(path);
}

Test(gil, stats_table_prints)
{
    gil_setup(true, 0.001, 0, true, NULL);
    ThreadState *ts = fake_ts();
    gil_thread_attach(ts);
    MN_BEGIN_BLOCKING(ts);
    MN_END_BLOCKING(ts);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gil_print_stats(f);
    fclose(f);
    cr_assert_not_null(strstr(buf, "GIL statistics: 1 thread, 0 switches"));
    cr_assert_not_null(strstr(buf, "MainThread"));
    cr_assert_not_null(strstr(buf, "total"));
    cr_assert_not_null(strstr(buf, "hand-overs: 0"));
    free(buf);
    gil_thread_detach(ts);
}

/* ================================================================== */
/* GIL off, exit, fork                                                 */
/* ================================================================== */

static atomic_int off_inside;

static void *off_worker(void *arg)
{
    ThreadState *ts = arg;
    gil_thread_attach(ts);
    atomic_fetch_add(&off_inside, 1);
    /* Both threads "hold" at once: impossible with a GIL. */
    uint64_t deadline = mono_ns() + 5ull * 1000000000u;
    while (atomic_load(&off_inside) < 2 && mono_ns() < deadline)
        sched_yield();
    MN_BEGIN_BLOCKING(ts);
    MN_END_BLOCKING(ts);
    cr_assert_eq(gil_handle_breaker(ts), 0);
    gil_thread_detach(ts);
    return NULL;
}

Test(gil, gil_off_is_a_noop, .timeout = 30)
{
    gil_setup(false, 0.005, 10, true, NULL);
    cr_assert(!gil_is_enabled());
    ThreadState *a = fake_ts(), *b = fake_ts();
    pthread_t ta = start(off_worker, a), tb = start(off_worker, b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(atomic_load(&off_inside), 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gil_print_stats(f);
    fclose(f);
    cr_assert_not_null(strstr(buf, "disabled"));
    free(buf);
}

Test(gil, blocking_bracket_before_init_is_harmless)
{
    ThreadState *ts = fake_ts();        /* no gil_init, no attach */
    MN_BEGIN_BLOCKING(ts);
    MN_END_BLOCKING(ts);
    errno = EAGAIN;
    MN_BEGIN_BLOCKING(ts);
    MN_END_BLOCKING(ts);
    cr_assert_eq(errno, EAGAIN);
}

static atomic_long ex_daemon_progress;

static void *ex_daemon(void *arg)
{
    Hog *h = arg;
    gil_thread_attach(h->ts);
    for (;;) {
        atomic_fetch_add(&ex_daemon_progress, 1);
        MN_BEGIN_BLOCKING(h->ts);
        usleep(200);
        MN_END_BLOCKING(h->ts);
    }
    return NULL;
}

Test(gil, daemon_threads_stay_out_after_exit, .timeout = 30)
{
    gil_setup(true, 0.002, 0, false, NULL);
    ThreadState *main_ts = fake_ts();
    gil_thread_attach(main_ts);
    Hog d = { .ts = fake_ts() };
    pthread_t t = start(ex_daemon, &d);
    pthread_detach(t);
    MN_BEGIN_BLOCKING(main_ts);
    while (atomic_load(&ex_daemon_progress) < 5)
        usleep(1000);
    MN_END_BLOCKING(main_ts);
    gil_at_exit(main_ts);
    long before = atomic_load(&ex_daemon_progress);
    MN_BEGIN_BLOCKING(main_ts);         /* e.g. flushing stdout at exit */
    usleep(30 * 1000);
    MN_END_BLOCKING(main_ts);
    FakeLoop l;
    fake_loop_enter(&l, main_ts);
    for (int i = 0; i < 100; i++) {
        fake_loop_check(&l);
        spin_ns(100000);
    }
    /* The daemon may finish the iteration it was in, no more. */
    cr_assert_leq(atomic_load(&ex_daemon_progress), before + 1);
}

Test(gil, fork_child_reinitialises, .timeout = 30)
{
    gil_setup(true, 0.002, 0, true, NULL);
    ThreadState *main_ts = fake_ts();
    gil_thread_attach(main_ts);
    atomic_int stop = 0;
    Hog h = { .ts = fake_ts(), .stop = &stop, .work_ns = 2000 };
    pthread_t t = start(hog_main, &h);
    usleep(5000);                       /* the hog queues behind us */

    gil_before_fork();
    pid_t pid = fork();
    if (pid == 0) {
        gil_after_fork_child(main_ts);
        /* Alone now: blocking calls and checks must not hang. */
        for (int i = 0; i < 10; i++) {
            MN_BEGIN_BLOCKING(main_ts);
            usleep(100);
            MN_END_BLOCKING(main_ts);
        }
        GilThreadStats st;
        uint64_t sw;
        gil_total_stats(&st, &sw);
        _exit(st.acquisitions == 10 && sw == 0 && gil_handle_breaker(main_ts) == 0 ? 0 : 3);
    }
    gil_after_fork_parent();
    cr_assert_gt(pid, 0);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    atomic_store(&stop, 1);
    MN_BEGIN_BLOCKING(main_ts);
    pthread_join(t, NULL);
    MN_END_BLOCKING(main_ts);
    gil_thread_detach(main_ts);
}
