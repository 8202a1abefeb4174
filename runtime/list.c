/*
 * list.c -- the list type, its iterators, and the per-thread repr guard.
 *
 * Storage discipline (see object.h): `items` points one word into a block
 * whose first word holds the block's capacity, so a reader can bound-check
 * against the array it actually loaded.  A writer that needs a different
 * size allocates a new block, copies, then publishes the pointer (release
 * store) -- it never reallocs in place, so a racing reader holding the old
 * block reads stale but valid memory.  Shrinking in place only lowers
 * `len`; the block itself is only ever replaced, never cut.
 *
 * Sorting is a stable natural merge sort: runs are found (descending runs
 * reversed), short runs extended by binary insertion to 32 elements, then
 * merged pairwise.  Keys are computed once.  If every key is a small int,
 * an exact float or an exact str, comparisons are done inline; otherwise
 * through `<` (mn_richcmp_bool), which may run user code and fail.  The
 * sort works on a copy, so on failure the list keeps its original order;
 * during the sort the list looks empty, and a list mutated by a key or
 * comparison raises "list modified during sort" (as CPython).
 */
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "../vm/eval.h"
#include "../vm/tstate.h"


#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The shared empty array: capacity word 0 (small int 0 is encoded as 1). */
static Value empty_block[1] = {1};
#define EMPTY_ITEMS (&empty_block[1])

static Value *alloc_items(int64_t cap)
{
    if (cap <= 0)
        return EMPTY_ITEMS;
    Value *blk = gc_alloc((size_t)(cap + 1) * sizeof(Value));
    blk[0] = mn_int(cap);
    return blk + 1;
}

/* Publish a new items array.  Order matters for racing readers: the new
 * array is complete before the pointer is stored (release). */
static inline void publish(ListObject *l, Value *items, int64_t cap, int64_t len)
{
    if (len < l->len)
        __atomic_store_n(&l->len, len, __ATOMIC_RELEASE);
    __atomic_store_n(&l->items, items, __ATOMIC_RELEASE);
    l->cap = cap;
    __atomic_store_n(&l->len, len, __ATOMIC_RELEASE);
}

static ListObject *list_alloc(Type *t)
{
    ListObject *l;
    if (t == &ListType) {
        l = gc_alloc(sizeof(ListObject));
        l->hdr.type = t;
    } else {
        l = mn_alloc_obj(t, sizeof(ListObject));
    }
    l->items = EMPTY_ITEMS;
    return l;
}

Value mn_list_new(int64_t len)
{
    ListObject *l = list_alloc(&ListType);
    if (len > 0) {
        l->items = alloc_items(len);
        for (int64_t i = 0; i < len; i++)
            l->items[i] = mn_None;
        l->cap = len;
        l->len = len;
    }
    return mn_val(l);
}

Value mn_list_from(const Value *items, int64_t n)
{
    ListObject *l = list_alloc(&ListType);
    if (n > 0) {
        l->items = alloc_items(n);
        memcpy(l->items, items, (size_t)n * sizeof(Value));
        l->cap = n;
        l->len = n;
    }
    return mn_val(l);
}

/* Make room for at least `need` items, keeping the first l->len. */
static void list_reserve(ListObject *l, int64_t need)
{
    if (need <= l->cap)
        return;
    int64_t cap = need + (need >> 1) + 4;
    if (need < 4)
        cap = 4;
    Value *ni = alloc_items(cap);
    memcpy(ni, l->items, (size_t)l->len * sizeof(Value));
    __atomic_store_n(&l->items, ni, __ATOMIC_RELEASE);
    l->cap = cap;
}

int mn_list_append(Value list, Value v)
{
    ListObject *l = AS(ListObject, list);
    int64_t n = l->len;
    if (__builtin_expect(n >= l->cap, 0))
        list_reserve(l, n + 1);
    l->items[n] = v;
    __atomic_store_n(&l->len, n + 1, __ATOMIC_RELEASE);
    return 0;
}

Value mn_list_to_tuple(Value list)
{
    ListObject *l = AS(ListObject, list);
    return mn_tuple_from(l->items, l->len);
}

int mn_list_extend(Value list, Value iterable)
{
    ListObject *l = AS(ListObject, list);
    const Value *src = NULL;
    int64_t n = 0;
    if (mn_is_list(iterable)) {
        src = AS(ListObject, iterable)->items;
        n = AS(ListObject, iterable)->len;
    } else if (mn_is_tuple(iterable)) {
        src = mn_tuple_items(iterable);
        n = mn_tuple_len(iterable);
    }
    if (src) {
        if (n == 0)
            return 0;
        /* l.extend(l) reads the source before growing: copy first */
        Value *tmp = (iterable == list) ? memcpy(gc_alloc((size_t)n * sizeof(Value)), src,
                                                 (size_t)n * sizeof(Value))
                                        : (Value *)src;
        list_reserve(l, l->len + n);
        memcpy(l->items + l->len, tmp, (size_t)n * sizeof(Value));
        __atomic_store_n(&l->len, l->len + n, __ATOMIC_RELEASE);
        return 0;
    }
    Value it = mn_iter(iterable);
    if (!it)
        return -1;
    Type *it_t = mn_typeof(it);
    for (;;) {
        Value v = it_t->next ? it_t->next(it) : mn_next(it);
        if (!v)
            return mn_exc_occurred() ? -1 : 0;
        if (mn_list_append(list, v) < 0)
            return -1;
    }
}

Value mn_sequence_to_list(Value iterable)
{
    if (mn_is_list(iterable)) {
        ListObject *l = AS(ListObject, iterable);
        return mn_list_from(l->items, l->len);
    }
    if (mn_is_tuple(iterable))
        return mn_list_from(mn_tuple_items(iterable), mn_tuple_len(iterable));
    Value r = mn_list_new(0);
    if (mn_list_extend(r, iterable) < 0)
        return MN_ERR;
    return r;
}

/* ------------------------------------------------------------------ */
/* Repr recursion guard (per thread)                                   */
/* ------------------------------------------------------------------ */

/* The active set is a small open-addressed hash set (linear probing,
 * backward-shift deletion) in ts->repr_active: repr_cap slots, a power of
 * two, repr_depth of them used.  O(1) per enter/leave, so repr of a
 * 100000-deep nesting is not quadratic. */
static inline size_t ptr_slot(const void *p, size_t mask)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    return (size_t)x & mask;
}

static bool repr_set_grow(ThreadState *ts)
{
    int cap = ts->repr_cap ? ts->repr_cap * 2 : 64;
    void **na = calloc((size_t)cap, sizeof(void *));
    if (!na)
        return false;
    for (int i = 0; i < ts->repr_cap; i++) {
        void *p = ts->repr_active[i];
        if (!p)
            continue;
        size_t j = ptr_slot(p, (size_t)cap - 1);
        while (na[j])
            j = (j + 1) & ((size_t)cap - 1);
        na[j] = p;
    }
    free(ts->repr_active);
    ts->repr_active = na;
    ts->repr_cap = cap;
    return true;
}

int mn_repr_enter(Value obj)
{
    ThreadState *ts = mn_ts();
    if (!ts)
        return 0;
    void *p = (void *)obj;
    if (ts->repr_cap) {
        size_t mask = (size_t)ts->repr_cap - 1;
        for (size_t j = ptr_slot(p, mask); ts->repr_active[j]; j = (j + 1) & mask)
            if (ts->repr_active[j] == p)
                return 1;
    }
    if ((ts->repr_depth + 1) * 2 > ts->repr_cap && !repr_set_grow(ts))
        return 0;       /* out of memory: no guard, never a false "..." */
    size_t mask = (size_t)ts->repr_cap - 1, j = ptr_slot(p, mask);
    while (ts->repr_active[j])
        j = (j + 1) & mask;
    ts->repr_active[j] = p;
    ts->repr_depth++;
    return 0;
}

void mn_repr_leave(Value obj)
{
    ThreadState *ts = mn_ts();
    if (!ts || !ts->repr_cap)
        return;
    void *p = (void *)obj;
    size_t mask = (size_t)ts->repr_cap - 1, j = ptr_slot(p, mask);
    while (ts->repr_active[j] && ts->repr_active[j] != p)
        j = (j + 1) & mask;
    if (!ts->repr_active[j])
        return;
    /* backward-shift deletion keeps every probe chain unbroken */
    size_t hole = j;
    for (size_t k = (j + 1) & mask; ts->repr_active[k]; k = (k + 1) & mask) {
        size_t home = ptr_slot(ts->repr_active[k], mask);
        /* move k into the hole unless its home lies cyclically in (hole, k] */
        bool in_between = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
        if (!in_between) {
            ts->repr_active[hole] = ts->repr_active[k];
            hole = k;
        }
    }
    ts->repr_active[hole] = NULL;
    ts->repr_depth--;
}

int mn_unhashable(Value self, int64_t *out)
{
    (void)out;
    mn_raise(&TypeErrorType, "unhashable type: '%s'", mn_type_name(self));
    return -1;
}

/* ------------------------------------------------------------------ */
/* Indexing                                                            */
/* ------------------------------------------------------------------ */

static int list_key(Value key, int64_t *i)
{
    if (mn_is_int(key)) {
        *i = mn_int_val(key);
        return 1;
    }
    if (MN_IS_EXACT(key, SliceType))
        return 0;
    if (mn_is_intlike(key) || mn_type_lookup(mn_typeof(key), MN_ID(__index__))) {
        if (mn_as_index(key, i) == 0)
            return 1;
        if (mn_exc_matches(&OverflowErrorType)) {
            mn_exc_clear();
            mn_raise(&IndexErrorType, "cannot fit 'int' into an index-sized integer");
        }
        return -1;
    }
    mn_raise(&TypeErrorType, "list indices must be integers or slices, not %s",
             mn_type_name(key));
    return -1;
}

static Value list_getitem(Value self, Value key)
{
    ListObject *l = AS(ListObject, self);
    int64_t i;
    if (__builtin_expect(mn_is_int(key), 1)) {
        i = mn_int_val(key);
    } else {
        int k = list_key(key, &i);
        if (k < 0)
            return MN_ERR;
        if (k == 0) {
            int64_t start, stop, step, n;
            if (mn_slice_indices(key, l->len, &start, &stop, &step, &n) < 0)
                return MN_ERR;
            if (step == 1)
                return mn_list_from(l->items + start, n);
            Value r = mn_list_new(0);
            ListObject *rl = AS(ListObject, r);
            rl->items = alloc_items(n);
            rl->cap = n;
            for (int64_t j = 0, x = start; j < n; j++, x += step)
                rl->items[j] = l->items[x];
            rl->len = n;
            return r;
        }
    }
    Value *items = __atomic_load_n(&l->items, __ATOMIC_ACQUIRE);
    int64_t n = l->len;
    if (i < 0)
        i += n;
    if ((uint64_t)i >= (uint64_t)n || i >= mn_items_cap(items))
        return mn_raise(&IndexErrorType, "list index out of range");
    return items[i];
}

/* Collect the items of an assigned iterable into a private array. */
static Value *snapshot(Value v, int64_t *n, const char *errmsg)
{
    if (mn_is_list(v)) {
        ListObject *s = AS(ListObject, v);
        *n = s->len;
        Value *a = gc_alloc((size_t)(s->len ? s->len : 1) * sizeof(Value));
        memcpy(a, s->items, (size_t)s->len * sizeof(Value));
        return a;
    }
    if (mn_is_tuple(v)) {
        *n = mn_tuple_len(v);
        return mn_tuple_items(v);
    }
    Type *t = mn_typeof(v);
    if (!t->iter && !t->getitem) {
        mn_raise(&TypeErrorType, "%s", errmsg);
        return NULL;
    }
    Value l = mn_sequence_to_list(v);
    if (!l)
        return NULL;
    *n = AS(ListObject, l)->len;
    return AS(ListObject, l)->items;
}

/* Replace l[lo:hi] with src[0..n). */
static void replace_range(ListObject *l, int64_t lo, int64_t hi, const Value *src, int64_t n)
{
    static const Value no_items[1];
    if (!src)
        src = no_items;         /* memcpy wants a valid pointer even for 0 */
    int64_t len = l->len, d = n - (hi - lo), newlen = len + d;
    if (newlen > l->cap) {
        int64_t cap = newlen + (newlen >> 3) + 6;
        Value *ni = alloc_items(cap);
        memcpy(ni, l->items, (size_t)lo * sizeof(Value));
        memcpy(ni + lo, src, (size_t)n * sizeof(Value));
        memcpy(ni + lo + n, l->items + hi, (size_t)(len - hi) * sizeof(Value));
        publish(l, ni, cap, newlen);
        return;
    }
    if (newlen < l->cap / 4 && l->cap > 16) {
        /* give memory back: a fresh, smaller block */
        int64_t cap = newlen + (newlen >> 3) + 6;
        Value *ni = alloc_items(cap);
        memcpy(ni, l->items, (size_t)lo * sizeof(Value));
        memcpy(ni + lo, src, (size_t)n * sizeof(Value));
        memcpy(ni + lo + n, l->items + hi, (size_t)(len - hi) * sizeof(Value));
        publish(l, ni, cap, newlen);
        return;
    }
    Value *items = l->items;
    if (d < 0) {
        memmove(items + lo + n, items + hi, (size_t)(len - hi) * sizeof(Value));
        memcpy(items + lo, src, (size_t)n * sizeof(Value));
        for (int64_t k = newlen; k < len; k++)
            items[k] = 0;       /* drop references for the collector */
        __atomic_store_n(&l->len, newlen, __ATOMIC_RELEASE);
    } else {
        memmove(items + lo + n, items + hi, (size_t)(len - hi) * sizeof(Value));
        memcpy(items + lo, src, (size_t)n * sizeof(Value));
        __atomic_store_n(&l->len, newlen, __ATOMIC_RELEASE);
    }
}

static int list_setitem(Value self, Value key, Value v)
{
    ListObject *l = AS(ListObject, self);
    int64_t i;
    int k = list_key(key, &i);
    if (k < 0)
        return -1;
    if (k == 1) {
        int64_t n = l->len;
        if (i < 0)
            i += n;
        if ((uint64_t)i >= (uint64_t)n)
            return mn_raise_int(&IndexErrorType, "list assignment index out of range");
        if (v) {
            l->items[i] = v;
        } else {
            replace_range(l, i, i + 1, NULL, 0);
        }
        return 0;
    }
    int64_t start, stop, step, n;
    if (mn_slice_indices(key, l->len, &start, &stop, &step, &n) < 0)
        return -1;
    if (step == 1) {
        if (stop < start)
            stop = start;
        if (!v) {
            replace_range(l, start, stop, NULL, 0);
            return 0;
        }
        int64_t m;
        Value *src = snapshot(v, &m, "can only assign an iterable");
        if (!src)
            return -1;
        /* the snapshot may have run user code that changed the list */
        if (stop > l->len)
            stop = l->len;
        if (start > stop)
            start = stop;
        replace_range(l, start, stop, src, m);
        return 0;
    }
    if (!v) {
        if (n <= 0)
            return 0;
        if (step < 0) {
            /* delete the same positions walking forward */
            start = start + step * (n - 1);
            step = -step;
        }
        Value *items = l->items;
        int64_t w = start, len = l->len;
        for (int64_t r = start, k2 = 0; r < len; r++) {
            if (k2 < n && r == start + k2 * step) {
                k2++;
                continue;
            }
            items[w++] = items[r];
        }
        for (int64_t x = w; x < len; x++)
            items[x] = 0;
        __atomic_store_n(&l->len, w, __ATOMIC_RELEASE);
        return 0;
    }
    int64_t m;
    Value *src = snapshot(v, &m, "must assign iterable to extended slice");
    if (!src)
        return -1;
    if (m != n)
        return mn_raise_int(&ValueErrorType,
                            "attempt to assign sequence of size %lld to extended slice of size %lld",
                            (long long)m, (long long)n);
    for (int64_t j = 0, x = start; j < n; j++, x += step)
        if (x >= 0 && x < l->len)
            l->items[x] = src[j];
    return 0;
}

static int64_t list_len(Value self) { return AS(ListObject, self)->len; }

static int list_contains(Value self, Value x)
{
    ListObject *l = AS(ListObject, self);
    for (int64_t i = 0; i < l->len; i++) {
        Value it = l->items[i];
        if (it == x)
            return 1;
        /* small ints are equal only to themselves and equal-valued numbers */
        if (mn_is_int(it) && mn_is_int(x))
            continue;
        int r = mn_eq(it, x);
        if (r)
            return r;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Operators                                                           */
/* ------------------------------------------------------------------ */

static Value list_richcmp(Value a, Value b, CmpOp op)
{
    if (!mn_is_list(a) || !mn_is_list(b))
        return mn_NotImplemented;
    ListObject *x = AS(ListObject, a), *y = AS(ListObject, b);
    return mn_seq_richcmp(x->items, x->len, y->items, y->len, op);
}

static Value list_repeat(Value self, int64_t n)
{
    ListObject *l = AS(ListObject, self);
    if (n <= 0 || l->len == 0)
        return mn_list_new(0);
    if (l->len > INT64_MAX / 16 / n)
        return mn_raise(&MemoryErrorType, "%s", "");
    int64_t len = l->len, total = len * n;
    Value r = mn_list_new(0);
    ListObject *rl = AS(ListObject, r);
    rl->items = alloc_items(total);
    rl->cap = total;
    if (len == 1) {
        Value v = l->items[0];
        for (int64_t i = 0; i < total; i++)
            rl->items[i] = v;
    } else {
        memcpy(rl->items, l->items, (size_t)len * sizeof(Value));
        int64_t done = len;
        while (done < total) {
            int64_t k = done < total - done ? done : total - done;
            memcpy(rl->items + done, rl->items, (size_t)k * sizeof(Value));
            done += k;
        }
    }
    rl->len = total;
    return r;
}

static Value list_binop(BinOp op, Value a, Value b)
{
    if (op == OP_ADD) {
        if (!mn_is_list(a))
            return mn_NotImplemented;
        if (!mn_is_list(b)) {
            Value r;        /* [1] + Q(): Q.__radd__ answers first */
            if (mn_seq_binop_reflect(op, a, b, list_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can only concatenate list (not \"%s\") to list",
                            mn_type_name(b));
        }
        ListObject *x = AS(ListObject, a), *y = AS(ListObject, b);
        int64_t n = x->len + y->len;
        Value r = mn_list_new(0);
        ListObject *rl = AS(ListObject, r);
        rl->items = alloc_items(n);
        rl->cap = n;
        memcpy(rl->items, x->items, (size_t)x->len * sizeof(Value));
        memcpy(rl->items + x->len, y->items, (size_t)y->len * sizeof(Value));
        rl->len = n;
        return r;
    }
    if (op == OP_MUL) {
        Value seq = mn_is_list(a) ? a : b, other = mn_is_list(a) ? b : a;
        int64_t n;
        int k = mn_seq_repeat_count(other, &n);
        if (k < 0)
            return MN_ERR;
        if (k == 0) {
            Value r;        /* [1] * Q(): Q.__rmul__ answers first */
            if (seq == a && mn_seq_binop_reflect(op, a, b, list_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can't multiply sequence by non-int of type '%s'",
                            mn_type_name(other));
        }
        return list_repeat(seq, n);
    }
    return mn_NotImplemented;
}

static Value list_inplace(BinOp op, Value a, Value b)
{
    if (!mn_is_list(a))
        return mn_NotImplemented;
    if (op == OP_ADD) {
        /* CPython tries the numeric slots (b's __radd__) before the
         * in-place concat; lists and tuples go straight to extend. */
        if (!mn_is_list(b) && !MN_IS_EXACT(b, TupleType)) {
            Value r = mn_binop_try_right(op, a, b);
            if (r != mn_NotImplemented)
                return r;
        }
        if (mn_list_extend(a, b) < 0)
            return MN_ERR;
        return a;
    }
    if (op == OP_MUL) {
        int64_t n;
        int k = mn_seq_repeat_count(b, &n);
        if (k <= 0)
            return k < 0 ? MN_ERR : mn_NotImplemented;
        ListObject *l = AS(ListObject, a);
        if (n <= 0) {
            publish(l, EMPTY_ITEMS, 0, 0);
            return a;
        }
        if (n == 1 || l->len == 0)
            return a;
        Value r = list_repeat(a, n);
        if (!r)
            return MN_ERR;
        ListObject *rl = AS(ListObject, r);
        publish(l, rl->items, rl->cap, rl->len);
        return a;
    }
    return mn_NotImplemented;
}

static Value list_repr(Value self)
{
    ListObject *l = AS(ListObject, self);
    if (l->len == 0)
        return mn_str("[]");
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    if (mn_repr_enter(self))
        return mn_str("[...]");
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, '[');
    for (int64_t i = 0; i < l->len; i++) {
        if (i)
            sb_add(&b, ", ", 2);
        if (sb_add_value_repr(&b, l->items[i]) < 0) {
            mn_repr_leave(self);
            return MN_ERR;
        }
    }
    sb_addc(&b, ']');
    mn_repr_leave(self);
    return sb_finish(&b);
}

/* ------------------------------------------------------------------ */
/* Iterators                                                           */
/* ------------------------------------------------------------------ */

static Value list_iter(Value self)
{
    ListIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &ListIterType;
    it->list = self;
    it->index = 0;
    return mn_val(it);
}

static Value listiter_next(Value self)
{
    ListIterObject *it = AS(ListIterObject, self);
    Value lv = it->list;
    if (!lv)
        return MN_ERR;
    ListObject *l = AS(ListObject, lv);
    Value *items = __atomic_load_n(&l->items, __ATOMIC_ACQUIRE);
    int64_t i = it->index;
    if (i < l->len && i < mn_items_cap(items)) {
        it->index = i + 1;
        return items[i];
    }
    it->list = 0;
    return MN_ERR;
}

static Value list_reversed_iter(Value self)
{
    ListIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &ListRevIterType;
    it->list = self;
    it->index = AS(ListObject, self)->len - 1;
    return mn_val(it);
}

static Value listreviter_next(Value self)
{
    ListIterObject *it = AS(ListIterObject, self);
    Value lv = it->list;
    if (!lv)
        return MN_ERR;
    ListObject *l = AS(ListObject, lv);
    Value *items = __atomic_load_n(&l->items, __ATOMIC_ACQUIRE);
    int64_t i = it->index;
    if (i >= 0 && i < l->len && i < mn_items_cap(items)) {
        it->index = i - 1;
        return items[i];
    }
    it->list = 0;
    return MN_ERR;
}

static Value iter_self(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Sorting                                                             */
/* ------------------------------------------------------------------ */

enum { K_GENERIC, K_INT, K_FLOAT, K_STR };

ALWAYS_INLINE int str_lt(Value a, Value b)
{
    if (a == b)
        return 0;
    StrObject *x = AS(StrObject, a), *y = AS(StrObject, b);
    int64_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, (size_t)n);
    return c ? c < 0 : x->len < y->len;
}

ALWAYS_INLINE int lt(int kind, Value a, Value b)
{
    switch (kind) {
    case K_INT:   return (intptr_t)a < (intptr_t)b;   /* tagging keeps order */
    case K_FLOAT: return AS(FloatObject, a)->v < AS(FloatObject, b)->v;
    case K_STR:   return str_lt(a, b);
    default:      return mn_richcmp_bool(a, b, CMP_LT);
    }
}

/* Binary insertion: k[lo..start) is sorted; insert k[start..hi). */
ALWAYS_INLINE int binsort(Value *k, Value *v, int64_t lo, int64_t hi, int64_t start,
                          int kind, bool hv)
{
    for (int64_t i = start; i < hi; i++) {
        Value pk = k[i], pv = hv ? v[i] : 0;
        int64_t l = lo, r = i;
        while (l < r) {
            int64_t m = l + ((r - l) >> 1);
            int c = lt(kind, pk, k[m]);
            if (c < 0)
                return -1;
            if (c)
                r = m;
            else
                l = m + 1;
        }
        memmove(k + l + 1, k + l, (size_t)(i - l) * sizeof(Value));
        k[l] = pk;
        if (hv) {
            memmove(v + l + 1, v + l, (size_t)(i - l) * sizeof(Value));
            v[l] = pv;
        }
    }
    return 0;
}

/* Length of the run at lo (reversing a strictly descending one), -1 on error. */
ALWAYS_INLINE int64_t count_run(Value *k, Value *v, int64_t lo, int64_t hi, int kind, bool hv)
{
    if (lo + 1 >= hi)
        return hi - lo;
    int c = lt(kind, k[lo + 1], k[lo]);
    if (c < 0)
        return -1;
    int64_t n = 2;
    if (c) {
        while (lo + n < hi) {
            c = lt(kind, k[lo + n], k[lo + n - 1]);
            if (c < 0)
                return -1;
            if (!c)
                break;
            n++;
        }
        for (int64_t i = lo, j = lo + n - 1; i < j; i++, j--) {
            Value t = k[i]; k[i] = k[j]; k[j] = t;
            if (hv) { t = v[i]; v[i] = v[j]; v[j] = t; }
        }
    } else {
        while (lo + n < hi) {
            c = lt(kind, k[lo + n], k[lo + n - 1]);
            if (c < 0)
                return -1;
            if (c)
                break;
            n++;
        }
    }
    return n;
}

/* Merge sorted k[lo..mid) and k[mid..hi) using temp space tk/tv. */
ALWAYS_INLINE int merge(Value *k, Value *v, Value *tk, Value *tv, int64_t lo, int64_t mid,
                        int64_t hi, int kind, bool hv)
{
    /* Already in order? */
    int c = lt(kind, k[mid], k[mid - 1]);
    if (c <= 0)
        return c;
    /* Left elements <= k[mid] are already in place. */
    int64_t l = lo, r = mid;
    while (l < r) {
        int64_t m = l + ((r - l) >> 1);
        c = lt(kind, k[mid], k[m]);
        if (c < 0)
            return -1;
        if (c)
            r = m;
        else
            l = m + 1;
    }
    lo = l;
    /* Right elements >= k[mid-1] are already in place. */
    l = mid;
    r = hi;
    while (l < r) {
        int64_t m = l + ((r - l) >> 1);
        c = lt(kind, k[m], k[mid - 1]);
        if (c < 0)
            return -1;
        if (c)
            l = m + 1;
        else
            r = m;
    }
    hi = l;
    int64_t nl = mid - lo;
    memcpy(tk, k + lo, (size_t)nl * sizeof(Value));
    if (hv)
        memcpy(tv, v + lo, (size_t)nl * sizeof(Value));
    int64_t i = 0, j = mid, w = lo;
    while (i < nl && j < hi) {
        c = lt(kind, k[j], tk[i]);
        if (c < 0)
            return -1;
        if (c) {
            k[w] = k[j];
            if (hv) v[w] = v[j];
            j++;
        } else {
            k[w] = tk[i];
            if (hv) v[w] = tv[i];
            i++;
        }
        w++;
    }
    while (i < nl) {
        k[w] = tk[i];
        if (hv) v[w] = tv[i];
        i++;
        w++;
    }
    return 0;
}

#define MINRUN 32

ALWAYS_INLINE int sort_impl(Value *k, Value *v, int64_t n, int kind, bool hv)
{
    if (n < 2)
        return 0;
    /* Find runs; run starts go into `runs`, with n as the final bound. */
    int64_t cap = n / MINRUN + 2;
    int64_t *runs = malloc((size_t)(cap + 1) * sizeof(int64_t));
    Value *tk = malloc((size_t)n * sizeof(Value) * (hv ? 2 : 1));
    if (!runs || !tk) {
        free(runs);
        free(tk);
        mn_raise(&MemoryErrorType, "%s", "");
        return -1;
    }
    Value *tv = hv ? tk + n : NULL;
    int64_t nruns = 0, lo = 0;
    int rc = 0;
    while (lo < n) {
        int64_t rl = count_run(k, v, lo, n, kind, hv);
        if (rl < 0) { rc = -1; goto done; }
        if (rl < MINRUN && lo + rl < n) {
            int64_t force = n - lo < MINRUN ? n - lo : MINRUN;
            if (binsort(k, v, lo, lo + force, lo + rl, kind, hv) < 0) { rc = -1; goto done; }
            rl = force;
        }
        if (nruns == cap) {
            cap *= 2;
            int64_t *nr = realloc(runs, (size_t)(cap + 1) * sizeof(int64_t));
            if (!nr) { rc = -1; mn_raise(&MemoryErrorType, "%s", ""); goto done; }
            runs = nr;
        }
        runs[nruns++] = lo;
        lo += rl;
    }
    runs[nruns] = n;
    /* Merge neighbouring runs pass by pass (the temp buffer can hold any
     * left run). */
    while (nruns > 1) {
        int64_t w = 0;
        for (int64_t r = 0; r < nruns; r += 2) {
            if (r + 1 < nruns) {
                int64_t a = runs[r], m = runs[r + 1], b = runs[r + 2];
                if (merge(k, v, tk, tv, a, m, b, kind, hv) < 0) { rc = -1; goto done; }
            }
            runs[w++] = runs[r];
        }
        runs[w] = runs[nruns];
        nruns = w;
    }
done:
    free(runs);
    free(tk);
    return rc;
}

static int sort_generic(Value *k, Value *v, int64_t n) { return sort_impl(k, v, n, K_GENERIC, v != NULL); }
static int sort_any(Value *k, Value *v, int64_t n, int kind)
{
    if (v) {
        switch (kind) {
        case K_INT:   return sort_impl(k, v, n, K_INT, true);
        case K_FLOAT: return sort_impl(k, v, n, K_FLOAT, true);
        case K_STR:   return sort_impl(k, v, n, K_STR, true);
        default:      return sort_generic(k, v, n);
        }
    }
    switch (kind) {
    case K_INT:   return sort_impl(k, NULL, n, K_INT, false);
    case K_FLOAT: return sort_impl(k, NULL, n, K_FLOAT, false);
    case K_STR:   return sort_impl(k, NULL, n, K_STR, false);
    default:      return sort_generic(k, NULL, n);
    }
}

static void reverse_arr(Value *a, int64_t n)
{
    for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
        Value t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

Value mn_list_sort(Value list, Value key, bool reverse)
{
    ListObject *l = AS(ListObject, list);
    int64_t n = l->len;
    Value *orig = l->items;
    int64_t origcap = l->cap;
    /* The list looks empty while we sort. */
    publish(l, EMPTY_ITEMS, 0, 0);

    Value *work = alloc_items(n);
    memcpy(work, orig, (size_t)n * sizeof(Value));
    Value *keys = work, *vals = NULL;
    int rc = 0;
    if (key && key != mn_None) {
        keys = gc_alloc((size_t)(n ? n : 1) * sizeof(Value));
        for (int64_t i = 0; i < n; i++) {
            Value kv = mn_call1(key, work[i]);
            if (!kv) {
                rc = -1;
                break;
            }
            keys[i] = kv;
        }
        vals = work;
    }
    if (rc == 0 && n > 1) {
        int kind = K_GENERIC;
        Value k0 = keys[0];
        if (mn_is_int(k0))
            kind = K_INT;
        else if (MN_IS_EXACT(k0, FloatType))
            kind = K_FLOAT;
        else if (MN_IS_EXACT(k0, StrType))
            kind = K_STR;
        for (int64_t i = 1; i < n && kind != K_GENERIC; i++) {
            Value x = keys[i];
            if ((kind == K_INT && !mn_is_int(x))
                || (kind == K_FLOAT && !MN_IS_EXACT(x, FloatType))
                || (kind == K_STR && !MN_IS_EXACT(x, StrType)))
                kind = K_GENERIC;
        }
        if (reverse) {
            reverse_arr(keys, n);
            if (vals)
                reverse_arr(vals, n);
        }
        rc = sort_any(keys, vals, n, kind);
        if (rc == 0 && reverse) {
            reverse_arr(keys, n);
            if (vals)
                reverse_arr(vals, n);
        }
    }
    bool modified = l->len != 0 || l->items != EMPTY_ITEMS;
    if (rc < 0) {
        publish(l, orig, origcap, n);
        return MN_ERR;
    }
    publish(l, work, n, n);
    if (modified)
        return mn_raise(&ValueErrorType, "list modified during sort");
    return mn_None;
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */
/* ------------------------------------------------------------------ */

#define SELF AS(ListObject, args[0])

static Value list_append_m(Value *args, int nargs, Value kwargs)
{
    if (nargs != 2 || kwargs)
        if (mn_argcheck("append", nargs - 1, kwargs, 1, 1) < 0)
            return MN_ERR;
    if (mn_list_append(args[0], args[1]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value list_extend_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("extend", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (mn_list_extend(args[0], args[1]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value list_insert_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("insert", nargs - 1, kwargs, 2, 2) < 0)
        return MN_ERR;
    int64_t i;
    if (mn_as_index(args[1], &i) < 0)
        return MN_ERR;
    ListObject *l = SELF;
    int64_t n = l->len;
    if (i < 0) {
        i += n;
        if (i < 0)
            i = 0;
    }
    if (i > n)
        i = n;
    if (n >= l->cap)
        list_reserve(l, n + 1);
    memmove(l->items + i + 1, l->items + i, (size_t)(n - i) * sizeof(Value));
    l->items[i] = args[2];
    __atomic_store_n(&l->len, n + 1, __ATOMIC_RELEASE);
    return mn_None;
}

Value mn_list_pop(Value list, int64_t i)
{
    ListObject *l = AS(ListObject, list);
    int64_t n = l->len;
    if (n == 0)
        return mn_raise(&IndexErrorType, "pop from empty list");
    if (i < 0)
        i += n;
    if (i < 0 || i >= n)
        return mn_raise(&IndexErrorType, "pop index out of range");
    Value v = l->items[i];
    if (i == n - 1) {
        l->items[i] = 0;
        __atomic_store_n(&l->len, n - 1, __ATOMIC_RELEASE);
        if (n - 1 < l->cap / 4 && l->cap > 64)
            replace_range(l, n - 1, n - 1, NULL, 0);
    } else {
        replace_range(l, i, i + 1, NULL, 0);
    }
    return v;
}

static Value list_pop_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("pop", nargs - 1, kwargs, 0, 1) < 0)
        return MN_ERR;
    int64_t i = -1;
    if (nargs > 1 && mn_as_index(args[1], &i) < 0)
        return MN_ERR;
    return mn_list_pop(args[0], i);
}

static Value list_remove_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("remove", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    ListObject *l = SELF;
    for (int64_t i = 0; i < l->len; i++) {
        Value it = l->items[i];
        int r = it == args[1] ? 1 : mn_eq(it, args[1]);
        if (r < 0)
            return MN_ERR;
        if (r) {
            if (i < l->len)
                replace_range(l, i, i + 1, NULL, 0);
            return mn_None;
        }
    }
    return mn_raise(&ValueErrorType, "list.remove(x): x not in list");
}

static Value list_index_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("index", nargs - 1, kwargs, 1, 3) < 0)
        return MN_ERR;
    ListObject *l = SELF;
    int64_t start, stop;
    if (mn_seq_clamp_range(nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0, l->len,
                           &start, &stop) < 0)
        return MN_ERR;
    for (int64_t i = start; i < stop && i < l->len; i++) {
        Value it = l->items[i];
        int r = it == args[1] ? 1 : mn_eq(it, args[1]);
        if (r < 0)
            return MN_ERR;
        if (r)
            return mn_int(i);
    }
    Value rep = mn_repr(args[1]);
    if (!rep)
        return MN_ERR;
    return mn_raise(&ValueErrorType, "%s is not in list", mn_cstr(rep));
}

static Value list_count_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("count", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    ListObject *l = SELF;
    int64_t c = 0;
    for (int64_t i = 0; i < l->len; i++) {
        Value it = l->items[i];
        int r = it == args[1] ? 1 : mn_eq(it, args[1]);
        if (r < 0)
            return MN_ERR;
        c += r;
    }
    return mn_int(c);
}

static Value list_sort_m(Value *args, int nargs, Value kwargs)
{
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "sort() takes no positional arguments");
    Value a[2] = {0, 0};
    if (kwargs && mn_argparse("sort", args + 1, 0, kwargs, "|$key,reverse", a) < 0)
        return MN_ERR;
    int rev = 0;
    if (a[1]) {
        if (!mn_is_intlike(a[1]))
            return mn_raise(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                            mn_type_name(a[1]));
        if ((rev = mn_truthy(a[1])) < 0)
            return MN_ERR;
    }
    return mn_list_sort(args[0], a[0], rev);
}

static Value list_reverse_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("reverse", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    ListObject *l = SELF;
    reverse_arr(l->items, l->len);
    return mn_None;
}

static Value list_copy_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("copy", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_list_from(SELF->items, SELF->len);
}

static Value list_clear_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("clear", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    publish(SELF, EMPTY_ITEMS, 0, 0);
    return mn_None;
}

static Value list_reversed_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__reversed__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return list_reversed_iter(args[0]);
}

static Value list_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    return mn_val(list_alloc(t));
}

static int list_init_slot(Value self, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise_int(&TypeErrorType, "list() takes no keyword arguments");
    if (nargs > 1)
        return mn_raise_int(&TypeErrorType, "list expected at most 1 argument, got %d", nargs);
    ListObject *l = AS(ListObject, self);
    if (l->len)
        publish(l, EMPTY_ITEMS, 0, 0);
    if (nargs == 1)
        return mn_list_extend(self, args[0]);
    return 0;
}












static MethodDef list_methods[] = {
    {"append", list_append_m, 0, NULL},
    {"extend", list_extend_m, 0, NULL},
    {"insert", list_insert_m, 0, NULL},
    {"pop", list_pop_m, 0, NULL},
    {"remove", list_remove_m, 0, NULL},
    {"index", list_index_m, 0, NULL},
    {"count", list_count_m, 0, NULL},
    {"sort", list_sort_m, 0, NULL},
    {"reverse", list_reverse_m, 0, NULL},
    {"copy", list_copy_m, 0, NULL},
    {"clear", list_clear_m, 0, NULL},
    {"__reversed__", list_reversed_m, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static int list_truthy(Value self) { return AS(ListObject, self)->len != 0; }

Type ListType = {
    .hdr = {&TypeType},
    .name = "list",
    .base = &ObjectType,
    .flags = TF_BASETYPE | TF_LIST_SUB,
    .basicsize = sizeof(ListObject),
    .methods = list_methods,
    .new = list_new_slot,
    .init = list_init_slot,
    .repr = list_repr,
    .hash = mn_unhashable,
    .richcmp = list_richcmp,
    .truthy = list_truthy,
    .iter = list_iter,
    .len = list_len,
    .getitem = list_getitem,
    .setitem = list_setitem,
    .contains = list_contains,
    .binop = list_binop,
    .inplace = list_inplace,
};

static MethodDef listiter_methods[] = {
    {NULL, NULL, 0, NULL},
};

Type ListIterType = {
    .hdr = {&TypeType},
    .name = "list_iterator",
    .base = &ObjectType,
    .basicsize = sizeof(ListIterObject),
    .methods = listiter_methods,
    .iter = iter_self,
    .next = listiter_next,
};

Type ListRevIterType = {
    .hdr = {&TypeType},
    .name = "list_reverseiterator",
    .base = &ObjectType,
    .basicsize = sizeof(ListIterObject),
    .methods = listiter_methods,
    .iter = iter_self,
    .next = listreviter_next,
};
