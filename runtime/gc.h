/*
 * gc.h -- the single allocation entry point.
 *
 * All runtime memory comes from the Boehm-Demers-Weiser collector built
 * with GC_THREADS.  Nothing is ever freed by hand.  Every thread that
 * touches objects must be registered with the collector (threads created
 * through gc_pthread_create are registered automatically).
 *
 *   gc_alloc(n)         zeroed memory that may contain pointers (scanned)
 *   gc_alloc_atomic(n)  memory the collector does NOT scan: string bytes,
 *                       float payloads, bytecode -- never store a Value here
 *   gc_realloc(p, n)    grow/shrink; keeps the scanned/atomic kind of p
 *
 * Setting MINI_GC_STRESS=1 in the environment makes every allocation run a
 * full collection first (very slow; finds missing roots).
 */
#ifndef MN_GC_H
#define MN_GC_H

#include <stddef.h>

void gc_init(void);                       /* once, first thing in main */
void *gc_alloc(size_t n) __attribute__((malloc, alloc_size(1)));
void *gc_alloc_atomic(size_t n) __attribute__((malloc, alloc_size(1)));
/* gc_alloc_atomic without the zeroing, for callers that write every byte
 * they will ever read (string/bytes bodies filled right away). */
void *gc_alloc_atomic_uninit(size_t n) __attribute__((malloc, alloc_size(1)));
void *gc_realloc(void *p, size_t n) __attribute__((alloc_size(2)));
char *gc_strdup(const char *s);
char *gc_strndup(const char *s, size_t n);
/* Memory that is scanned but never collected (process-wide tables whose
 * only reference lives in a static variable the collector may not see). */
void *gc_alloc_uncollectable(size_t n);

#endif
