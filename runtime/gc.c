/* gc.c -- thin wrapper over the Boehm collector (see gc.h). */
#include <gc/gc.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

static int gc_stress;

static void *oom(size_t n)
{
    fprintf(stderr, "mini: out of memory allocating %zu bytes\n", n);
    abort();
}

void *gc_alloc(size_t n)
{
    if (gc_stress)
        GC_gcollect();
    void *p = GC_MALLOC(n ? n : 1);
    return p ? p : oom(n);
}

void *gc_alloc_atomic(size_t n)
{
    if (gc_stress)
        GC_gcollect();
    void *p = GC_MALLOC_ATOMIC(n ? n : 1);
    if (!p)
        return oom(n);
    /* Atomic memory is not zeroed by the collector; callers expect it. */
    memset(p, 0, n);
    return p;
}

void *gc_alloc_atomic_uninit(size_t n)
{
    if (gc_stress)
        GC_gcollect();
    void *p = GC_MALLOC_ATOMIC(n ? n : 1);
    return p ? p : oom(n);
}

void *gc_realloc(void *p, size_t n)
{
    void *q = GC_REALLOC(p, n ? n : 1);
    return q ? q : oom(n);
}

void *gc_alloc_uncollectable(size_t n)
{
    void *p = GC_MALLOC_UNCOLLECTABLE(n ? n : 1);
    return p ? p : oom(n);
}

char *gc_strndup(const char *s, size_t n)
{
    char *d = gc_alloc_atomic_uninit(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *gc_strdup(const char *s) { return gc_strndup(s, strlen(s)); }

/* GMP big ints allocate their limbs through the collector, so a big int
 * object and its digits die together. */
static void *gmp_alloc(size_t n) { return gc_alloc_atomic(n); }
static void *gmp_realloc(void *p, size_t old, size_t n)
{
    (void)old;
    return gc_realloc(p, n);
}
static void gmp_free(void *p, size_t n) { (void)p; (void)n; }

void gc_init(void)
{
    GC_INIT();
    GC_allow_register_threads();
    /* Start with a 16 MiB heap (unless GC_INITIAL_HEAP_SIZE says otherwise):
     * growing from the default few hundred KiB costs a dozen collections
     * and many page faults in any program that builds real data, while
     * untouched heap pages cost nothing. */
    if (!getenv("GC_INITIAL_HEAP_SIZE"))
        GC_expand_hp(16u << 20);
    const char *s = getenv("MINI_GC_STRESS");
    gc_stress = s && *s && *s != '0';
    mp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
}
