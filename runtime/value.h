/*
 * value.h -- the one-word value representation.
 *
 * A Value is a single machine word (uintptr_t).  Two encodings share it:
 *
 *   ...xxxxxxx1   a small int: the signed integer is the word shifted right
 *                 by one (so 63 bits of range on x86-64).  Arithmetic that
 *                 leaves this range promotes to a GMP big int object.
 *   ...xxxxxxx0   a pointer to an Object (every object is at least 8-byte
 *                 aligned by the collector, so bit 0 is always clear).
 *
 * The word 0 is never a valid value: it is MN_ERR, the "an exception has
 * been set in the current thread state" result that every fallible
 * function returns.  (Small int 0 is encoded as 1.)
 *
 * Why this shape:
 *  - Object pointers are stored as plain addresses, so the conservative
 *    Boehm collector recognises them when it scans frames, stacks and
 *    object bodies.  Tagged ints look like odd addresses and at worst keep
 *    something alive by accident; they never confuse the collector.
 *  - One aligned word is loaded and stored atomically on every platform we
 *    target, so when threads race on a variable or a list slot with the GIL
 *    off, a reader sees either the old or the new value, never half of each.
 *  - None, True, False are statically allocated objects, so `is` is word
 *    equality and there is no third encoding to test for.
 */
#ifndef MN_VALUE_H
#define MN_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uintptr_t Value;

struct Object;

/* The error sentinel: the function failed and tstate->exc holds the
 * exception.  Never stored in a variable or container. */
#define MN_ERR ((Value)0)

/* ---- small ints ---------------------------------------------------- */
#define MN_SMALL_MAX (INTPTR_MAX >> 1)
#define MN_SMALL_MIN (INTPTR_MIN >> 1)

static inline bool mn_is_int(Value v) { return (v & 1) != 0; }
/* Arithmetic right shift of a signed value: GCC/Clang define it. */
static inline intptr_t mn_int_val(Value v) { return (intptr_t)v >> 1; }
/* Caller guarantees MN_SMALL_MIN <= i <= MN_SMALL_MAX. */
static inline Value mn_int(intptr_t i) { return ((Value)i << 1) | 1; }
static inline bool mn_fits_small(intptr_t i) {
    return i >= MN_SMALL_MIN && i <= MN_SMALL_MAX;
}

/* ---- objects ------------------------------------------------------- */
static inline bool mn_is_obj(Value v) { return (v & 1) == 0 && v != 0; }
static inline struct Object *mn_obj(Value v) { return (struct Object *)v; }
static inline Value mn_val(const void *o) { return (Value)o; }

/* Handy casts for concrete object types: AS(ListObject, v). */
#define AS(T, v) ((T *)(v))

#endif
