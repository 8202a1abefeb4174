/*
 * iter.c -- generic iterators and the builtin iterator types:
 * the sequence iterator (anything with __getitem__), enumerate, zip, map,
 * filter and reversed.  Each is a complete type whose `new` slot takes
 * CPython's arguments; the builtins module binds the type objects.
 *
 * Also the start-up hook mn_init_containers(), which readies every type
 * of the string and container files.
 */
#include <string.h>

#include "object.h"

static Value iter_self(Value self) { return self; }

static Value addr_repr(Value self)
{
    return mn_str_fmt("<%s object at %p>", mn_obj(self)->type->name, (void *)self);
}

/* Call the iterator's next slot directly when it has one. */
static inline Value next_of(Value it)
{
    Type *t = mn_typeof(it);
    return t->next ? t->next(it) : mn_next(it);
}

static bool no_kwargs(const char *name, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs)) {
        mn_raise(&TypeErrorType, "%s() takes no keyword arguments", name);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Sequence iterator                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value seq;          /* 0 once exhausted */
    int64_t index;
} SeqIterObject;

Value mn_seqiter_new(Value seq)
{
    SeqIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &SeqIterType;
    it->seq = seq;
    return mn_val(it);
}

static Value seqiter_next(Value self)
{
    SeqIterObject *it = AS(SeqIterObject, self);
    if (!it->seq)
        return MN_ERR;
    Value v = mn_getitem(it->seq, mn_int(it->index));
    if (!v) {
        if (mn_exc_matches(&IndexErrorType) || mn_exc_matches(&StopIterationType)) {
            mn_exc_clear();
            it->seq = 0;
        }
        return MN_ERR;
    }
    it->index++;
    return v;
}

Type SeqIterType = {
    .hdr = {&TypeType},
    .name = "iterator",
    .base = &ObjectType,
    .basicsize = sizeof(SeqIterObject),
    .repr = addr_repr,
    .iter = iter_self,
    .next = seqiter_next,
};

/* ------------------------------------------------------------------ */
/* enumerate(iterable, start=0)                                         */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value it;
    Value count;        /* next index: a small int, or a big int */
} EnumerateObject;

static Value enumerate_new(Type *t, Value *args, int nargs, Value kwargs)
{
    Value a[2] = {0, 0};
    if (mn_argparse("enumerate", args, nargs, kwargs, "iterable|start", a) < 0)
        return MN_ERR;
    Value start = a[1] ? a[1] : mn_int(0);
    if (!mn_is_intlike(start)) {
        int64_t dummy;
        if (mn_as_index(start, &dummy) < 0)
            return MN_ERR;
        start = mn_int_from_i64(dummy);
    }
    Value it = mn_iter(a[0]);
    if (!it)
        return MN_ERR;
    EnumerateObject *e = mn_alloc_obj(t, sizeof *e);
    e->it = it;
    e->count = start;
    return mn_val(e);
}

static Value enumerate_next(Value self)
{
    EnumerateObject *e = AS(EnumerateObject, self);
    Value v = next_of(e->it);
    if (!v)
        return MN_ERR;
    Value c = e->count;
    if (mn_is_int(c) && mn_int_val(c) < MN_SMALL_MAX) {
        e->count = mn_int(mn_int_val(c) + 1);
    } else {
        Value n = mn_binop(OP_ADD, c, mn_int(1));
        if (!n)
            return MN_ERR;
        e->count = n;
    }
    return mn_tuple_pack(2, c, v);
}

Type EnumerateType = {
    .hdr = {&TypeType},
    .name = "enumerate",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(EnumerateObject),
    .new = enumerate_new,
    .repr = addr_repr,
    .iter = iter_self,
    .next = enumerate_next,
};

/* ------------------------------------------------------------------ */
/* zip(*iterables, strict=False)                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value *its;
    int n;
    bool strict;
    bool done;
} ZipObject;

static Value zip_new(Type *t, Value *args, int nargs, Value kwargs)
{
    bool strict = false;
    if (kwargs && mn_dict_len(kwargs)) {
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(kwargs, &pos, &k, &v)) {
            if (!mn_is_str(k) || strcmp(mn_cstr(k), "strict") != 0)
                return mn_raise(&TypeErrorType,
                                "zip() got an unexpected keyword argument '%s'",
                                mn_is_str(k) ? mn_cstr(k) : "?");
            int r = mn_truthy(v);
            if (r < 0)
                return MN_ERR;
            strict = r;
        }
    }
    ZipObject *z = mn_alloc_obj(t, sizeof *z);
    z->n = nargs;
    z->strict = strict;
    z->its = gc_alloc(sizeof(Value) * (size_t)(nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++) {
        z->its[i] = mn_iter(args[i]);
        if (!z->its[i])
            return MN_ERR;
    }
    return mn_val(z);
}

static Value zip_strict_error(int i, bool longer)
{
    /* arguments are numbered from 1 */
    if (i == 1)
        return mn_raise(&ValueErrorType, "zip() argument 2 is %s than argument 1",
                        longer ? "longer" : "shorter");
    return mn_raise(&ValueErrorType, "zip() argument %d is %s than arguments 1-%d", i + 1,
                    longer ? "longer" : "shorter", i);
}

static Value zip_next(Value self)
{
    ZipObject *z = AS(ZipObject, self);
    if (z->done || z->n == 0)
        return MN_ERR;
    Value r = mn_tuple_new(z->n);
    Value *items = mn_tuple_items(r);
    for (int i = 0; i < z->n; i++) {
        Value v = next_of(z->its[i]);
        if (v) {
            items[i] = v;
            continue;
        }
        if (mn_exc_occurred())
            return MN_ERR;
        z->done = true;
        if (!z->strict)
            return MN_ERR;
        if (i > 0)
            return zip_strict_error(i, false);
        for (int j = 1; j < z->n; j++) {
            Value w = next_of(z->its[j]);
            if (w)
                return zip_strict_error(j, true);
            if (mn_exc_occurred())
                return MN_ERR;
        }
        return MN_ERR;
    }
    return r;
}

Type ZipType = {
    .hdr = {&TypeType},
    .name = "zip",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(ZipObject),
    .new = zip_new,
    .repr = addr_repr,
    .iter = iter_self,
    .next = zip_next,
};

/* ------------------------------------------------------------------ */
/* map(func, *iterables)                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value func;
    Value *its;
    int n;
} MapObject;

static Value map_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (t == &MapType && !no_kwargs("map", kwargs))
        return MN_ERR;
    if (nargs < 2)
        return mn_raise(&TypeErrorType, "map() must have at least two arguments.");
    MapObject *m = mn_alloc_obj(t, sizeof *m);
    m->func = args[0];
    m->n = nargs - 1;
    m->its = gc_alloc(sizeof(Value) * (size_t)m->n);
    for (int i = 0; i < m->n; i++) {
        m->its[i] = mn_iter(args[i + 1]);
        if (!m->its[i])
            return MN_ERR;
    }
    return mn_val(m);
}

static Value map_next(Value self)
{
    MapObject *m = AS(MapObject, self);
    if (m->n == 1) {
        Value v = next_of(m->its[0]);
        if (!v)
            return MN_ERR;
        return mn_call1(m->func, v);
    }
    Value small[8];
    Value *argv = m->n <= 8 ? small : gc_alloc(sizeof(Value) * (size_t)m->n);
    for (int i = 0; i < m->n; i++) {
        argv[i] = next_of(m->its[i]);
        if (!argv[i])
            return MN_ERR;
    }
    return mn_call(m->func, argv, m->n, 0);
}

Type MapType = {
    .hdr = {&TypeType},
    .name = "map",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(MapObject),
    .new = map_new,
    .repr = addr_repr,
    .iter = iter_self,
    .next = map_next,
};

/* ------------------------------------------------------------------ */
/* filter(function or None, iterable)                                   */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value func;         /* None: test the items themselves */
    Value it;
} FilterObject;

static Value filter_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (t == &FilterType && !no_kwargs("filter", kwargs))
        return MN_ERR;
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "filter expected 2 arguments, got %d", nargs);
    Value it = mn_iter(args[1]);
    if (!it)
        return MN_ERR;
    FilterObject *f = mn_alloc_obj(t, sizeof *f);
    f->func = args[0];
    f->it = it;
    return mn_val(f);
}

static Value filter_next(Value self)
{
    FilterObject *f = AS(FilterObject, self);
    for (;;) {
        Value v = next_of(f->it);
        if (!v)
            return MN_ERR;
        int ok;
        if (f->func == mn_None || f->func == mn_val(&BoolType)) {
            ok = mn_truthy(v);
        } else {
            Value r = mn_call1(f->func, v);
            if (!r)
                return MN_ERR;
            ok = mn_truthy(r);
        }
        if (ok < 0)
            return MN_ERR;
        if (ok)
            return v;
    }
}

Type FilterType = {
    .hdr = {&TypeType},
    .name = "filter",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(FilterObject),
    .new = filter_new,
    .repr = addr_repr,
    .iter = iter_self,
    .next = filter_next,
};

/* ------------------------------------------------------------------ */
/* reversed(seq)                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value seq;          /* 0 once exhausted */
    int64_t index;
} ReversedObject;

static Value reversed_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (t == &ReversedType && !no_kwargs("reversed", kwargs))
        return MN_ERR;
    if (nargs != 1)
        return mn_raise(&TypeErrorType, "reversed expected 1 argument, got %d", nargs);
    Value seq = args[0];
    Type *st = mn_typeof(seq);
    Value rev = mn_type_lookup(st, MN_ID(__reversed__));
    if (rev == mn_None)
        return mn_raise(&TypeErrorType, "'%s' object is not reversible", st->name);
    if (rev)
        return mn_call_method(seq, "__reversed__", NULL, 0);
    if (!st->getitem || !st->len || (st->flags & TF_DICT_SUB))
        return mn_raise(&TypeErrorType, "'%s' object is not reversible", st->name);
    int64_t n = mn_len(seq);
    if (n < 0)
        return MN_ERR;
    ReversedObject *r = mn_alloc_obj(t, sizeof *r);
    r->seq = seq;
    r->index = n - 1;
    return mn_val(r);
}

static Value reversed_next(Value self)
{
    ReversedObject *r = AS(ReversedObject, self);
    if (!r->seq || r->index < 0) {
        r->seq = 0;
        return MN_ERR;
    }
    Value v = mn_getitem(r->seq, mn_int(r->index));
    if (!v) {
        if (mn_exc_matches(&IndexErrorType) || mn_exc_matches(&StopIterationType)) {
            mn_exc_clear();
            r->seq = 0;
        }
        return MN_ERR;
    }
    r->index--;
    return v;
}

Type ReversedType = {
    .hdr = {&TypeType},
    .name = "reversed",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(ReversedObject),
    .new = reversed_new,
    .repr = addr_repr,
    .iter = iter_self,
    .next = reversed_next,
};

/* ------------------------------------------------------------------ */
/* Start-up                                                             */
/* ------------------------------------------------------------------ */

int mn_ready_dict_private_types(void);

int mn_init_containers(void)
{
    Type *types[] = {
        &StrType, &StrIterType, &BytesType, &BytesIterType, &TupleType, &TupleIterType,
        &ListType, &ListIterType, &ListRevIterType, &DictType, &DictIterType,
        &DictKeysType, &DictValuesType, &DictItemsType, &SetType, &FrozenSetType,
        &SetIterType, &RangeType, &RangeIterType, &SliceType, &SeqIterType,
        &EnumerateType, &ZipType, &MapType, &FilterType, &ReversedType,
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (mn_type_ready(types[i]) < 0)
            return -1;
    return mn_ready_dict_private_types();
}
