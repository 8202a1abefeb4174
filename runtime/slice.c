/*
 * slice.c -- slice objects and the index arithmetic every sequence uses.
 *
 * mn_slice_indices follows CPython's PySlice_Unpack + PySlice_AdjustIndices:
 * None defaults depend on the sign of the step, out-of-range bounds are
 * clamped (never an error), and huge ints clamp to +-INT64_MAX.
 */
#include <string.h>

#include "object.h"


Value mn_slice_new(Value start, Value stop, Value step)
{
    SliceObject *s = gc_alloc(sizeof(SliceObject));
    s->hdr.type = &SliceType;
    s->start = start ? start : mn_None;
    s->stop = stop ? stop : mn_None;
    s->step = step ? step : mn_None;
    return mn_val(s);
}

/* A slice bound as int64, clamped; -1 with TypeError for non-integers. */
static int slice_index(Value v, int64_t *out)
{
    if (mn_is_int(v)) {
        *out = mn_int_val(v);
        return 0;
    }
    if (!mn_is_intlike(v) && !mn_type_lookup(mn_typeof(v), MN_ID(__index__))) {
        mn_raise(&TypeErrorType,
                 "slice indices must be integers or None or have an __index__ method");
        return -1;
    }
    if (mn_as_index(v, out) == 0)
        return 0;
    if (!mn_exc_matches(&OverflowErrorType))
        return -1;
    mn_exc_clear();
    /* clamp by sign */
    Value zero = mn_int(0);
    int neg = mn_richcmp_bool(v, zero, CMP_LT);
    if (neg < 0)
        return -1;
    *out = neg ? -INT64_MAX : INT64_MAX;
    return 0;
}

int mn_slice_indices(Value slice, int64_t len, int64_t *start, int64_t *stop,
                     int64_t *step, int64_t *slicelen)
{
    SliceObject *s = AS(SliceObject, slice);
    int64_t st = 1, a, b;
    if (s->step != mn_None) {
        if (slice_index(s->step, &st) < 0)
            return -1;
        if (st == 0)
            return mn_raise_int(&ValueErrorType, "slice step cannot be zero");
        if (st < -INT64_MAX)
            st = -INT64_MAX;
    }
    if (s->start == mn_None)
        a = st < 0 ? INT64_MAX : 0;
    else if (slice_index(s->start, &a) < 0)
        return -1;
    if (s->stop == mn_None)
        b = st < 0 ? INT64_MIN : INT64_MAX;
    else if (slice_index(s->stop, &b) < 0)
        return -1;

    if (a < 0) {
        a += len;
        if (a < 0)
            a = st < 0 ? -1 : 0;
    } else if (a >= len) {
        a = st < 0 ? len - 1 : len;
    }
    if (b < 0) {
        b = b == INT64_MIN ? -1 : b + len;
        if (b < 0)
            b = st < 0 ? -1 : 0;
    } else if (b >= len) {
        b = st < 0 ? len - 1 : len;
    }
    int64_t n = 0;
    if (st < 0) {
        if (b < a)
            n = (int64_t)(((uint64_t)a - (uint64_t)b - 1) / (0 - (uint64_t)st) + 1);
    } else if (a < b) {
        n = (int64_t)(((uint64_t)b - (uint64_t)a - 1) / (uint64_t)st + 1);
    }
    *start = a;
    *stop = b;
    *step = st;
    *slicelen = n;
    return 0;
}

static Value slice_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "slice() takes no keyword arguments");
    if (nargs == 0)
        return mn_raise(&TypeErrorType, "slice expected at least 1 argument, got 0");
    if (nargs > 3)
        return mn_raise(&TypeErrorType, "slice expected at most 3 arguments, got %d", nargs);
    if (nargs == 1)
        return mn_slice_new(mn_None, args[0], mn_None);
    return mn_slice_new(args[0], args[1], nargs == 3 ? args[2] : mn_None);
}

static Value slice_repr(Value self)
{
    SliceObject *s = AS(SliceObject, self);
    StrBuf b;
    sb_init(&b);
    sb_adds(&b, "slice(");
    if (sb_add_value_repr(&b, s->start) < 0)
        return MN_ERR;
    sb_add(&b, ", ", 2);
    if (sb_add_value_repr(&b, s->stop) < 0)
        return MN_ERR;
    sb_add(&b, ", ", 2);
    if (sb_add_value_repr(&b, s->step) < 0)
        return MN_ERR;
    sb_addc(&b, ')');
    return sb_finish(&b);
}

static Value slice_richcmp(Value a, Value b, CmpOp op)
{
    if (!MN_IS_EXACT(a, SliceType) || !MN_IS_EXACT(b, SliceType))
        return mn_NotImplemented;
    SliceObject *x = AS(SliceObject, a), *y = AS(SliceObject, b);
    Value ta[3] = {x->start, x->stop, x->step}, tb[3] = {y->start, y->stop, y->step};
    return mn_seq_richcmp(ta, 3, tb, 3, op);
}

static Value slice_indices_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("indices", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int64_t len;
    if (mn_as_index(args[1], &len) < 0)
        return MN_ERR;
    if (len < 0)
        return mn_raise(&ValueErrorType, "length should not be negative");
    int64_t a, b, st, n;
    if (mn_slice_indices(args[0], len, &a, &b, &st, &n) < 0)
        return MN_ERR;
    return mn_tuple_pack(3, mn_int_from_i64(a), mn_int_from_i64(b), mn_int_from_i64(st));
}

static Value get_start(Value self) { return AS(SliceObject, self)->start; }
static Value get_stop(Value self) { return AS(SliceObject, self)->stop; }
static Value get_step(Value self) { return AS(SliceObject, self)->step; }

static MethodDef slice_methods[] = {
    {"indices", slice_indices_m, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef slice_getset[] = {
    {"start", get_start, NULL},
    {"stop", get_stop, NULL},
    {"step", get_step, NULL},
    {NULL, NULL, NULL},
};

Type SliceType = {
    .hdr = {&TypeType},
    .name = "slice",
    .base = &ObjectType,
    .basicsize = sizeof(SliceObject),
    .methods = slice_methods,
    .getset = slice_getset,
    .new = slice_new_slot,
    .repr = slice_repr,
    .hash = mn_unhashable,
    .richcmp = slice_richcmp,
};
