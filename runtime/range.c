/*
 * range.c -- range objects and their iterator.
 *
 * A range stores start, stop, step and its length as int64.  Limit: the
 * bounds must fit a small int (|x| < 2**62); larger ones raise
 * OverflowError ("Python int too large to convert to C ssize_t" as
 * CPython does for values past its own C limits).  In exchange every value
 * a range yields is a small int, and the VM can step a RangeIterObject
 * inline without allocating.
 */
#include <string.h>

#include "object.h"


static int64_t range_length(int64_t start, int64_t stop, int64_t step)
{
    if (step > 0 && start < stop)
        return (int64_t)(((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1);
    if (step < 0 && start > stop)
        return (int64_t)(((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1);
    return 0;
}

static RangeObject *range_make(Type *t, int64_t start, int64_t stop, int64_t step)
{
    RangeObject *r = gc_alloc_atomic(sizeof(RangeObject));
    r->hdr.type = t;
    r->start = start;
    r->stop = stop;
    r->step = step;
    r->len = range_length(start, stop, step);
    return r;
}

Value mn_range_new(int64_t start, int64_t stop, int64_t step)
{
    return mn_val(range_make(&RangeType, start, stop, step));
}

/* An int argument within the small-int range. */
static int range_arg(Value v, int64_t *out)
{
    if (mn_is_int(v)) {
        *out = mn_int_val(v);
        return 0;
    }
    if (mn_as_index(v, out) < 0)
        return -1;
    if (!mn_fits_small(*out)) {
        mn_raise(&OverflowErrorType, "Python int too large to convert to C ssize_t");
        return -1;
    }
    return 0;
}

static Value range_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "range() takes no keyword arguments");
    if (nargs == 0)
        return mn_raise(&TypeErrorType, "range expected at least 1 argument, got 0");
    if (nargs > 3)
        return mn_raise(&TypeErrorType, "range expected at most 3 arguments, got %d", nargs);
    int64_t start = 0, stop, step = 1;
    if (nargs == 1) {
        if (range_arg(args[0], &stop) < 0)
            return MN_ERR;
    } else {
        if (range_arg(args[0], &start) < 0 || range_arg(args[1], &stop) < 0)
            return MN_ERR;
        if (nargs == 3) {
            if (range_arg(args[2], &step) < 0)
                return MN_ERR;
            if (step == 0)
                return mn_raise(&ValueErrorType, "range() arg 3 must not be zero");
        }
    }
    return mn_val(range_make(&RangeType, start, stop, step));
}

static Value range_repr(Value self)
{
    RangeObject *r = AS(RangeObject, self);
    if (r->step == 1)
        return mn_str_fmt("range(%lld, %lld)", (long long)r->start, (long long)r->stop);
    return mn_str_fmt("range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop,
                      (long long)r->step);
}

static int64_t range_len(Value self) { return AS(RangeObject, self)->len; }
static int range_truthy(Value self) { return AS(RangeObject, self)->len != 0; }

static inline int64_t item_at(RangeObject *r, int64_t i)
{
    return (int64_t)((uint64_t)r->start + (uint64_t)i * (uint64_t)r->step);
}

static Value range_getitem(Value self, Value key)
{
    RangeObject *r = AS(RangeObject, self);
    int64_t i;
    if (mn_is_int(key)) {
        i = mn_int_val(key);
    } else if (MN_IS_EXACT(key, SliceType)) {
        int64_t start, stop, step, n;
        if (mn_slice_indices(key, r->len, &start, &stop, &step, &n) < 0)
            return MN_ERR;
        int64_t nstep = r->step * step;
        int64_t nstart = item_at(r, start);
        int64_t nstop = (int64_t)((uint64_t)r->start + (uint64_t)stop * (uint64_t)r->step);
        RangeObject *nr = range_make(&RangeType, nstart, nstop, nstep);
        nr->len = n;
        return mn_val(nr);
    } else if (mn_is_intlike(key) || mn_type_lookup(mn_typeof(key), MN_ID(__index__))) {
        if (mn_as_index(key, &i) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return MN_ERR;
            mn_exc_clear();
            return mn_raise(&IndexErrorType, "range object index out of range");
        }
    } else {
        return mn_raise(&TypeErrorType, "range indices must be integers or slices, not %s",
                        mn_type_name(key));
    }
    if (i < 0)
        i += r->len;
    if (i < 0 || i >= r->len)
        return mn_raise(&IndexErrorType, "range object index out of range");
    return mn_int(item_at(r, i));
}

/* Position of an int value in the range, or -1. */
static int64_t int_pos(RangeObject *r, Value x)
{
    if (!mn_is_int(x)) {
        /* bools count as 0/1; big ints are never inside */
        if (x == mn_True)
            x = mn_int(1);
        else if (x == mn_False)
            x = mn_int(0);
        else
            return -1;
    }
    int64_t v = mn_int_val(x);
    if (r->len == 0)
        return -1;
    if (r->step > 0 ? (v < r->start || v >= r->stop) : (v > r->start || v <= r->stop))
        return -1;
    uint64_t d = r->step > 0 ? (uint64_t)v - (uint64_t)r->start
                             : (uint64_t)r->start - (uint64_t)v;
    uint64_t s = r->step > 0 ? (uint64_t)r->step : 0 - (uint64_t)r->step;
    if (d % s)
        return -1;
    return (int64_t)(d / s);
}

static bool is_int_exactish(Value x)
{
    return mn_is_int(x) || MN_IS_EXACT(x, IntType) || MN_IS_EXACT(x, BoolType);
}

static int range_contains(Value self, Value x)
{
    RangeObject *r = AS(RangeObject, self);
    if (is_int_exactish(x))
        return int_pos(r, x) >= 0;
    for (int64_t i = 0; i < r->len; i++) {
        int c = mn_eq(mn_int(item_at(r, i)), x);
        if (c)
            return c;
    }
    return 0;
}

static Value range_richcmp(Value a, Value b, CmpOp op)
{
    if ((op != CMP_EQ && op != CMP_NE) || !MN_IS_EXACT(a, RangeType)
        || !MN_IS_EXACT(b, RangeType))
        return mn_NotImplemented;
    RangeObject *x = AS(RangeObject, a), *y = AS(RangeObject, b);
    bool eq;
    if (x->len != y->len)
        eq = false;
    else if (x->len == 0)
        eq = true;
    else if (x->start != y->start)
        eq = false;
    else
        eq = x->len == 1 || x->step == y->step;
    return mn_bool(op == CMP_EQ ? eq : !eq);
}

static int range_hash(Value self, int64_t *out)
{
    RangeObject *r = AS(RangeObject, self);
    Value t;
    if (r->len == 0)
        t = mn_tuple_pack(3, mn_int(0), mn_None, mn_None);
    else if (r->len == 1)
        t = mn_tuple_pack(3, mn_int(1), mn_int(r->start), mn_None);
    else
        t = mn_tuple_pack(3, mn_int_from_i64(r->len), mn_int(r->start), mn_int(r->step));
    return mn_hash(t, out);
}

/* ------------------------------------------------------------------ */
/* Iterator                                                            */
/* ------------------------------------------------------------------ */

static Value rangeiter_new(int64_t start, int64_t step, int64_t n)
{
    RangeIterObject *it = gc_alloc_atomic(sizeof *it);
    it->hdr.type = &RangeIterType;
    it->next = start;
    it->step = step;
    it->remaining = n;
    return mn_val(it);
}

static Value range_iter(Value self)
{
    RangeObject *r = AS(RangeObject, self);
    return rangeiter_new(r->start, r->step, r->len);
}

static Value rangeiter_next(Value self)
{
    RangeIterObject *it = AS(RangeIterObject, self);
    if (it->remaining <= 0)
        return MN_ERR;
    int64_t v = it->next;
    it->next = (int64_t)((uint64_t)v + (uint64_t)it->step);   /* may wrap past the end */
    it->remaining--;
    return mn_int(v);
}

static Value iter_self(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Methods and attributes                                              */
/* ------------------------------------------------------------------ */

static Value range_reversed_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__reversed__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    RangeObject *r = AS(RangeObject, args[0]);
    if (r->len == 0)
        return rangeiter_new(r->start, r->step, 0);
    return rangeiter_new(item_at(r, r->len - 1), (int64_t)(0 - (uint64_t)r->step), r->len);
}

static Value range_count_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("count", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    RangeObject *r = AS(RangeObject, args[0]);
    if (is_int_exactish(args[1]))
        return mn_int(int_pos(r, args[1]) >= 0);
    int64_t c = 0;
    for (int64_t i = 0; i < r->len; i++) {
        int e = mn_eq(mn_int(item_at(r, i)), args[1]);
        if (e < 0)
            return MN_ERR;
        c += e;
    }
    return mn_int(c);
}

static Value range_index_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("index", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    RangeObject *r = AS(RangeObject, args[0]);
    if (is_int_exactish(args[1])) {
        int64_t p = int_pos(r, args[1]);
        if (p >= 0)
            return mn_int(p);
    } else {
        for (int64_t i = 0; i < r->len; i++) {
            int e = mn_eq(mn_int(item_at(r, i)), args[1]);
            if (e < 0)
                return MN_ERR;
            if (e)
                return mn_int(i);
        }
    }
    Value rep = mn_repr(args[1]);
    if (!rep)
        return MN_ERR;
    return mn_raise(&ValueErrorType, "%s is not in range", mn_cstr(rep));
}




static Value get_start(Value self) { return mn_int(AS(RangeObject, self)->start); }
static Value get_stop(Value self) { return mn_int_from_i64(AS(RangeObject, self)->stop); }
static Value get_step(Value self) { return mn_int_from_i64(AS(RangeObject, self)->step); }

static MethodDef range_methods[] = {
    {"__reversed__", range_reversed_m, 0, NULL},
    {"count", range_count_m, 0, NULL},
    {"index", range_index_m, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef range_getset[] = {
    {"start", get_start, NULL},
    {"stop", get_stop, NULL},
    {"step", get_step, NULL},
    {NULL, NULL, NULL},
};

Type RangeType = {
    .hdr = {&TypeType},
    .name = "range",
    .base = &ObjectType,
    .basicsize = sizeof(RangeObject),
    .methods = range_methods,
    .getset = range_getset,
    .new = range_new_slot,
    .repr = range_repr,
    .hash = range_hash,
    .richcmp = range_richcmp,
    .truthy = range_truthy,
    .iter = range_iter,
    .len = range_len,
    .getitem = range_getitem,
    .contains = range_contains,
};

static MethodDef rangeiter_methods[] = {
    {NULL, NULL, 0, NULL},
};

Type RangeIterType = {
    .hdr = {&TypeType},
    .name = "range_iterator",
    .base = &ObjectType,
    .basicsize = sizeof(RangeIterObject),
    .methods = rangeiter_methods,
    .iter = iter_self,
    .next = rangeiter_next,
};
