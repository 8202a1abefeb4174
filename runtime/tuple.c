/*
 * tuple.c -- the tuple type: an immutable array of values stored inline.
 *
 * The hash is CPython's (the xxHash-derived combination of the element
 * hashes, 64-bit variant), so hash((1, 2)) is the same number as in
 * CPython whenever the elements' hashes are; it is cached in the object.
 */
#include <string.h>

#include "object.h"
#include "../vm/eval.h"

static TupleObject empty_tuple_obj = {{&TupleType}, 0, 0};
Value mn_empty_tuple = (Value)&empty_tuple_obj;

Value mn_tuple_new(int64_t n)
{
    if (n <= 0)
        return mn_empty_tuple;
    TupleObject *t = gc_alloc(sizeof(TupleObject) + (size_t)n * sizeof(Value));
    t->hdr.type = &TupleType;
    t->len = n;
    return mn_val(t);
}

Value mn_tuple_from(const Value *items, int64_t n)
{
    if (n <= 0)
        return mn_empty_tuple;
    Value t = mn_tuple_new(n);
    memcpy(mn_tuple_items(t), items, (size_t)n * sizeof(Value));
    return t;
}

Value mn_tuple_pack(int n, ...)
{
    Value t = mn_tuple_new(n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        mn_tuple_items(t)[i] = va_arg(ap, Value);
    va_end(ap);
    return t;
}

/* ------------------------------------------------------------------ */
/* Shared sequence helpers                                              */
/* ------------------------------------------------------------------ */

/* Classify a subscript: 1 = integer (in *i), 0 = slice, -1 = error with
 * "<tname> indices must be integers or slices, not X". */
static int seq_key(Value key, int64_t *i, const char *tname)
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
    mn_raise(&TypeErrorType, "%s indices must be integers or slices, not %s", tname,
             mn_type_name(key));
    return -1;
}

/* Lexicographic comparison of two item arrays (tuples and lists). */
Value mn_seq_richcmp(const Value *a, int64_t na, const Value *b, int64_t nb, CmpOp op)
{
    if ((op == CMP_EQ || op == CMP_NE) && na != nb)
        return mn_bool(op == CMP_NE);
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    int64_t i;
    for (i = 0; i < na && i < nb; i++) {
        if (a[i] == b[i])
            continue;
        int r = mn_eq(a[i], b[i]);
        if (r < 0)
            return MN_ERR;
        if (!r)
            break;
    }
    if (i >= na || i >= nb) {
        int c = na < nb ? -1 : na > nb;
        switch (op) {
        case CMP_LT: return mn_bool(c < 0);
        case CMP_LE: return mn_bool(c <= 0);
        case CMP_EQ: return mn_bool(c == 0);
        case CMP_NE: return mn_bool(c != 0);
        case CMP_GT: return mn_bool(c > 0);
        default:     return mn_bool(c >= 0);
        }
    }
    if (op == CMP_EQ)
        return mn_False;
    if (op == CMP_NE)
        return mn_True;
    return mn_richcmp(a[i], b[i], op);
}

/* ------------------------------------------------------------------ */
/* Slots                                                                */
/* ------------------------------------------------------------------ */

static Value tuple_subtype_from(Type *t, const Value *items, int64_t n)
{
    TupleObject *r = mn_alloc_obj(t, sizeof(TupleObject) + (size_t)n * sizeof(Value));
    r->len = n;
    memcpy(r->items, items, (size_t)n * sizeof(Value));
    return mn_val(r);
}

static Value tuple_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs) && t == &TupleType)
        return mn_raise(&TypeErrorType, "tuple() takes no keyword arguments");
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "tuple expected at most 1 argument, got %d", nargs);
    Value r;
    if (nargs == 0)
        r = mn_empty_tuple;
    else if (MN_IS_EXACT(args[0], TupleType))
        r = args[0];
    else if (mn_is_list(args[0]))
        r = mn_list_to_tuple(args[0]);
    else {
        Value l = mn_sequence_to_list(args[0]);
        if (!l)
            return MN_ERR;
        r = mn_list_to_tuple(l);
    }
    if (t == &TupleType)
        return r;
    return tuple_subtype_from(t, mn_tuple_items(r), mn_tuple_len(r));
}

/* xxHash-style constants, as in CPython's 64-bit tuplehash. */
#define XXPRIME_1 11400714785074694791ULL
#define XXPRIME_2 14029467366897019727ULL
#define XXPRIME_5 2870177450012600261ULL
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

static int tuple_hash(Value self, int64_t *out)
{
    TupleObject *t = AS(TupleObject, self);
    if (t->hash) {
        *out = (int64_t)t->hash;
        return 0;
    }
    if (mn_check_c_stack() < 0)
        return -1;
    uint64_t acc = XXPRIME_5;
    for (int64_t i = 0; i < t->len; i++) {
        int64_t h;
        if (mn_hash(t->items[i], &h) < 0)
            return -1;
        acc += (uint64_t)h * XXPRIME_2;
        acc = XXROTATE(acc);
        acc *= XXPRIME_1;
    }
    acc += (uint64_t)t->len ^ (XXPRIME_5 ^ 3527539UL);
    if (acc == (uint64_t)-1)
        acc = 1546275796;
    t->hash = acc;
    *out = (int64_t)acc;
    return 0;
}

static Value tuple_richcmp(Value a, Value b, CmpOp op)
{
    if (!mn_is_tuple(a) || !mn_is_tuple(b))
        return mn_NotImplemented;
    return mn_seq_richcmp(mn_tuple_items(a), mn_tuple_len(a), mn_tuple_items(b),
                          mn_tuple_len(b), op);
}

static int64_t tuple_len(Value self) { return AS(TupleObject, self)->len; }

static Value tuple_getitem(Value self, Value key)
{
    TupleObject *t = AS(TupleObject, self);
    int64_t i;
    int k = seq_key(key, &i, "tuple");
    if (k < 0)
        return MN_ERR;
    if (k == 1) {
        if (i < 0)
            i += t->len;
        if ((uint64_t)i >= (uint64_t)t->len)
            return mn_raise(&IndexErrorType, "tuple index out of range");
        return t->items[i];
    }
    int64_t start, stop, step, n;
    if (mn_slice_indices(key, t->len, &start, &stop, &step, &n) < 0)
        return MN_ERR;
    if (n == t->len && step == 1 && MN_IS_EXACT(self, TupleType))
        return self;
    if (step == 1)
        return mn_tuple_from(t->items + start, n);
    Value r = mn_tuple_new(n);
    for (int64_t j = 0, x = start; j < n; j++, x += step)
        mn_tuple_items(r)[j] = t->items[x];
    return r;
}

static int tuple_contains(Value self, Value x)
{
    TupleObject *t = AS(TupleObject, self);
    for (int64_t i = 0; i < t->len; i++) {
        if (t->items[i] == x)
            return 1;
        int r = mn_eq(t->items[i], x);
        if (r)
            return r;
    }
    return 0;
}

static Value tuple_repeat(Value self, int64_t n)
{
    TupleObject *t = AS(TupleObject, self);
    if (n <= 0 || t->len == 0)
        return mn_empty_tuple;
    if (n == 1 && MN_IS_EXACT(self, TupleType))
        return self;
    if (t->len > INT64_MAX / 16 / n)
        return mn_raise(&MemoryErrorType, "%s", "");
    Value r = mn_tuple_new(t->len * n);
    Value *w = mn_tuple_items(r);
    for (int64_t k = 0; k < n; k++, w += t->len)
        memcpy(w, t->items, (size_t)t->len * sizeof(Value));
    return r;
}

/* Shared by tuple and list: the repeat count of `seq * n` / `n * seq`.
 * Returns 1 with *n set, 0 if the other operand should get a chance
 * (NotImplemented), -1 on error. */
int mn_seq_repeat_count(Value other, int64_t *n)
{
    if (mn_is_int(other)) {
        *n = mn_int_val(other);
        return 1;
    }
    if (!mn_is_intlike(other)) {
        if (mn_is_obj(other) && (mn_obj(other)->type->flags & TF_HEAPTYPE)
            && mn_type_lookup(mn_typeof(other), MN_ID(__index__)) == 0)
            return 0;
        if (mn_is_obj(other) && mn_type_lookup(mn_typeof(other), MN_ID(__index__))) {
            if (mn_as_index(other, n) < 0)
                return -1;
            return 1;
        }
        mn_raise(&TypeErrorType, "can't multiply sequence by non-int of type '%s'",
                 mn_type_name(other));
        return -1;
    }
    if (mn_as_i64(other, n) == 0)
        return 1;
    if (!mn_exc_matches(&OverflowErrorType))
        return -1;
    mn_exc_clear();
    mpz_t z;
    mpz_init(z);
    mn_int_to_mpz(other, z);
    int sg = mpz_sgn(z);
    mpz_clear(z);
    if (sg < 0) {
        *n = 0;
        return 1;
    }
    mn_raise(&OverflowErrorType, "cannot fit 'int' into an index-sized integer");
    return -1;
}

static Value tuple_binop(BinOp op, Value a, Value b)
{
    if (op == OP_ADD) {
        if (!mn_is_tuple(a))
            return mn_NotImplemented;
        if (!mn_is_tuple(b)) {
            Value r;        /* (1,) + Q(): Q.__radd__ answers first */
            if (mn_seq_binop_reflect(op, a, b, tuple_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can only concatenate tuple (not \"%s\") to tuple",
                            mn_type_name(b));
        }
        TupleObject *x = AS(TupleObject, a), *y = AS(TupleObject, b);
        if (y->len == 0 && MN_IS_EXACT(a, TupleType))
            return a;
        if (x->len == 0 && MN_IS_EXACT(b, TupleType))
            return b;
        Value r = mn_tuple_new(x->len + y->len);
        memcpy(mn_tuple_items(r), x->items, (size_t)x->len * sizeof(Value));
        memcpy(mn_tuple_items(r) + x->len, y->items, (size_t)y->len * sizeof(Value));
        return r;
    }
    if (op == OP_MUL) {
        Value seq = mn_is_tuple(a) ? a : b, other = mn_is_tuple(a) ? b : a;
        int64_t n;
        int k = mn_seq_repeat_count(other, &n);
        if (k < 0)
            return MN_ERR;
        if (k == 0) {
            Value r;        /* (1,) * Q(): Q.__rmul__ answers first */
            if (seq == a && mn_seq_binop_reflect(op, a, b, tuple_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can't multiply sequence by non-int of type '%s'",
                            mn_type_name(other));
        }
        return tuple_repeat(seq, n);
    }
    return mn_NotImplemented;
}

static Value tuple_repr(Value self)
{
    TupleObject *t = AS(TupleObject, self);
    if (t->len == 0)
        return mn_str("()");
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    if (mn_repr_enter(self))
        return mn_str("(...)");
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, '(');
    for (int64_t i = 0; i < t->len; i++) {
        if (i)
            sb_add(&b, ", ", 2);
        if (sb_add_value_repr(&b, t->items[i]) < 0) {
            mn_repr_leave(self);
            return MN_ERR;
        }
    }
    if (t->len == 1)
        sb_addc(&b, ',');
    sb_addc(&b, ')');
    mn_repr_leave(self);
    return sb_finish(&b);
}

static Value tuple_iter(Value self)
{
    TupleIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &TupleIterType;
    it->tuple = self;
    it->index = 0;
    return mn_val(it);
}

static Value tupleiter_next(Value self)
{
    TupleIterObject *it = AS(TupleIterObject, self);
    if (!it->tuple)
        return MN_ERR;
    TupleObject *t = AS(TupleObject, it->tuple);
    if (it->index < t->len)
        return t->items[it->index++];
    it->tuple = 0;
    return MN_ERR;
}

static Value tupleiter_self(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Methods                                                              */
/* ------------------------------------------------------------------ */

static Value tuple_count(Value *args, int nargs, Value kwargs)
{
    if (nargs != 2 || (kwargs && mn_dict_len(kwargs)))
        return mn_raise(&TypeErrorType, "tuple.count() takes exactly one argument (%d given)",
                        nargs - 1);
    TupleObject *t = AS(TupleObject, args[0]);
    int64_t c = 0;
    for (int64_t i = 0; i < t->len; i++) {
        int r = t->items[i] == args[1] ? 1 : mn_eq(t->items[i], args[1]);
        if (r < 0)
            return MN_ERR;
        c += r;
    }
    return mn_int(c);
}

/* Clamp optional start/stop Values like CPython's index(). */
int mn_seq_clamp_range(Value vstart, Value vstop, int64_t len, int64_t *start, int64_t *stop)
{
    *start = 0;
    *stop = len;
    if (vstart && vstart != mn_None) {
        if (mn_as_index(vstart, start) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return -1;
            mn_exc_clear();
            *start = INT64_MAX;
        }
    }
    if (vstop && vstop != mn_None) {
        if (mn_as_index(vstop, stop) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return -1;
            mn_exc_clear();
            *stop = INT64_MAX;
        }
    }
    if (*start < 0) { *start += len; if (*start < 0) *start = 0; }
    if (*stop < 0) { *stop += len; if (*stop < 0) *stop = 0; }
    if (*stop > len)
        *stop = len;
    return 0;
}

static Value tuple_index(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("index", nargs - 1, kwargs, 1, 3) < 0)
        return MN_ERR;
    TupleObject *t = AS(TupleObject, args[0]);
    int64_t start, stop;
    if (mn_seq_clamp_range(nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0, t->len,
                           &start, &stop) < 0)
        return MN_ERR;
    for (int64_t i = start; i < stop && i < t->len; i++) {
        int r = t->items[i] == args[1] ? 1 : mn_eq(t->items[i], args[1]);
        if (r < 0)
            return MN_ERR;
        if (r)
            return mn_int(i);
    }
    return mn_raise(&ValueErrorType, "tuple.index(x): x not in tuple");
}









static MethodDef tuple_methods[] = {
    {"count", tuple_count, 0, NULL},
    {"index", tuple_index, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static int tuple_truthy(Value self) { return AS(TupleObject, self)->len != 0; }

Type TupleType = {
    .hdr = {&TypeType},
    .name = "tuple",
    .base = &ObjectType,
    .flags = TF_BASETYPE | TF_TUPLE_SUB,
    .basicsize = sizeof(TupleObject),
    .methods = tuple_methods,
    .new = tuple_new_slot,
    .repr = tuple_repr,
    .hash = tuple_hash,
    .richcmp = tuple_richcmp,
    .truthy = tuple_truthy,
    .iter = tuple_iter,
    .len = tuple_len,
    .getitem = tuple_getitem,
    .contains = tuple_contains,
    .binop = tuple_binop,
};

static MethodDef tupleiter_methods[] = {
    {NULL, NULL, 0, NULL},
};

Type TupleIterType = {
    .hdr = {&TypeType},
    .name = "tuple_iterator",
    .base = &ObjectType,
    .basicsize = sizeof(TupleIterObject),
    .methods = tupleiter_methods,
    .iter = tupleiter_self,
    .next = tupleiter_next,
};
