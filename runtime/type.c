/*
 * type.c -- `type`: readying builtin types, creating user classes, the
 * slot functions of user classes, attribute lookup along the base chain
 * (with a process-wide cache), super, and the `list[int]` / `int | None`
 * alias objects.
 *
 * How a user class gets its behaviour: its slots point at the generic
 * slot_* functions below for every special method some user class in its
 * chain defines; each call looks the dunder up again (through the
 * attribute cache), so `Cls.__add__ = f` after creation works.  Slots no
 * user class defines are copied from the base, so a user subclass of list
 * uses list's C slots directly.  Builtin types expose their C slots as
 * "slot wrappers" in their dicts (list.__len__, object.__init__), which
 * is what super().__init__() and explicit calls find.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "objmodel.h"

/* ------------------------------------------------------------------ */
/* The special-method table                                            */
/* ------------------------------------------------------------------ */

#define BIN(n, op) {"__" n "__", WK_BINOP, op, SG_BINOP}, \
                   {"__r" n "__", WK_RBINOP, op, SG_BINOP}, \
                   {"__i" n "__", WK_INPLACE, op, SG_INPLACE},

const SlotName om_slotnames[] = {
    {"__repr__", WK_REPR, 0, SG_REPR},
    {"__str__", WK_STR, 0, SG_STR},
    {"__hash__", WK_HASH, 0, SG_HASH},
    {"__lt__", WK_RICHCMP, CMP_LT, SG_RICHCMP},
    {"__le__", WK_RICHCMP, CMP_LE, SG_RICHCMP},
    {"__eq__", WK_RICHCMP, CMP_EQ, SG_RICHCMP},
    {"__ne__", WK_RICHCMP, CMP_NE, SG_RICHCMP},
    {"__gt__", WK_RICHCMP, CMP_GT, SG_RICHCMP},
    {"__ge__", WK_RICHCMP, CMP_GE, SG_RICHCMP},
    {"__bool__", WK_BOOL, 0, SG_BOOL},
    {"__call__", WK_CALL, 0, SG_CALL},
    {"__getattribute__", WK_GETATTRO, 0, SG_GETATTR},
    {"__getattr__", WK_NONE, 0, SG_GETATTR},
    {"__setattr__", WK_SETATTR, 0, SG_SETATTR},
    {"__delattr__", WK_DELATTR, 0, SG_SETATTR},
    {"__iter__", WK_ITER, 0, SG_ITER},
    {"__next__", WK_NEXT, 0, SG_NEXT},
    {"__len__", WK_LEN, 0, SG_LEN},
    {"__getitem__", WK_GETITEM, 0, SG_GETITEM},
    {"__setitem__", WK_SETITEM, 0, SG_SETITEM},
    {"__delitem__", WK_DELITEM, 0, SG_SETITEM},
    {"__contains__", WK_CONTAINS, 0, SG_CONTAINS},
    BIN("add", OP_ADD) BIN("sub", OP_SUB) BIN("mul", OP_MUL)
    BIN("truediv", OP_TRUEDIV) BIN("floordiv", OP_FLOORDIV) BIN("mod", OP_MOD)
    BIN("pow", OP_POW) BIN("lshift", OP_LSHIFT) BIN("rshift", OP_RSHIFT)
    BIN("and", OP_AND) BIN("or", OP_OR) BIN("xor", OP_XOR)
    {"__neg__", WK_UNOP, UOP_NEG, SG_UNOP},
    {"__pos__", WK_UNOP, UOP_POS, SG_UNOP},
    {"__invert__", WK_UNOP, UOP_INVERT, SG_UNOP},
    {"__get__", WK_GET, 0, SG_DESCR_GET},
    {"__set__", WK_SET, 0, SG_DESCR_SET},
    {"__delete__", WK_DELETE, 0, SG_DESCR_SET},
    {"__init__", WK_INIT, 0, SG_INIT},
    {"__new__", WK_NONE, 0, SG_NEW},
};
#undef BIN
const int om_nslotnames = sizeof om_slotnames / sizeof om_slotnames[0];
#define NSLOTNAMES (sizeof om_slotnames / sizeof om_slotnames[0])
Value om_slotname_ids[NSLOTNAMES];

Value om_id_getattribute, om_id_delete, om_id_class_getitem, om_id_notes, om_id_qualname;

/* Interned names per operator, for the slot functions. */
static Value binop_name[OP__NBINARY], rbinop_name[OP__NBINARY],
    ibinop_name[OP__NBINARY], cmp_name[6], unop_name[3];
static Value id_getattr, id_set, id_delete, id_set_name, id_class_getitem;

static pthread_mutex_t ready_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static bool names_ready;

void om_ready_lock(void) { pthread_mutex_lock(&ready_lock); }
void om_ready_unlock(void) { pthread_mutex_unlock(&ready_lock); }

/* Intern the table's names.  Runs inside the first mn_type_ready, so it
 * only needs the intern table (mn_init_str) to exist. */
static void init_names(void)
{
    if (names_ready)
        return;
    for (size_t i = 0; i < NSLOTNAMES; i++) {
        const SlotName *s = &om_slotnames[i];
        Value id = mn_intern(s->name);
        om_slotname_ids[i] = id;
        switch (s->kind) {
        case WK_BINOP: binop_name[s->op] = id; break;
        case WK_RBINOP: rbinop_name[s->op] = id; break;
        case WK_INPLACE: ibinop_name[s->op] = id; break;
        case WK_RICHCMP: cmp_name[s->op] = id; break;
        case WK_UNOP: unop_name[s->op] = id; break;
        default: break;
        }
    }
    om_id_getattribute = mn_intern("__getattribute__");
    om_id_delete = mn_intern("__delete__");
    om_id_class_getitem = id_class_getitem = mn_intern("__class_getitem__");
    om_id_notes = mn_intern("__notes__");
    om_id_qualname = mn_intern("__qualname__");
    id_getattr = mn_intern("__getattr__");
    id_set = mn_intern("__set__");
    id_delete = om_id_delete;
    id_set_name = mn_intern("__set_name__");
    names_ready = true;
}

/* ------------------------------------------------------------------ */
/* Attribute cache                                                     */
/* ------------------------------------------------------------------ */

/*
 * (type version, interned name) -> attribute (or 0 for "absent"), like
 * CPython's method cache.  A type gets a fresh version number the first
 * time it is looked up; changing a class's dict clears the version of the
 * class and all its subclasses (mn_type_modified), so their old entries
 * can never match again.  Versions are never reused.
 *
 * Each entry is guarded by a sequence count so a reader racing with a
 * writer (GIL off) sees either a whole entry or a miss: the writer makes
 * the count odd, writes, then makes it even again; the reader retries
 * nothing, it just treats any change as a miss.
 */
#define MCACHE_BITS 12
#define MCACHE_SIZE (1u << MCACHE_BITS)

typedef struct {
    uint32_t seq;
    uint32_t version;
    Value name;
    Value value;
} MCacheEntry;

static MCacheEntry mcache[MCACHE_SIZE];
static uint32_t next_version = 1;

static inline uint32_t mcache_hash(uint32_t version, Value name)
{
    return ((version * 2654435761u) ^ (uint32_t)(name >> 3)) & (MCACHE_SIZE - 1);
}

static uint32_t assign_version(Type *t)
{
    uint32_t v = __atomic_fetch_add(&next_version, 1, __ATOMIC_RELAXED);
    if (v == 0 || v == UINT32_MAX) {
        /* Out of versions: stop caching (never wrap around). */
        __atomic_store_n(&next_version, UINT32_MAX, __ATOMIC_RELAXED);
        return 0;
    }
    uint32_t expected = 0;
    if (!__atomic_compare_exchange_n(&t->version, &expected, v, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return expected;
    return v;
}

static Value lookup_uncached(Type *t, Value name)
{
    for (; t; t = t->base) {
        if (t->dict) {
            Value v = mn_dict_get_str(t->dict, name);
            if (v)
                return v;
        }
    }
    return 0;
}

Value mn_type_lookup(Type *t, Value name)
{
    if (__builtin_expect(!(t->flags & TF_READY), 0) && mn_type_ready(t) < 0)
        return 0;
    if (!AS(StrObject, name)->interned)
        return lookup_uncached(t, name);
    uint32_t ver = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
    if (ver) {
        MCacheEntry *e = &mcache[mcache_hash(ver, name)];
        uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
        if (!(s1 & 1) && __atomic_load_n(&e->version, __ATOMIC_RELAXED) == ver
            && __atomic_load_n(&e->name, __ATOMIC_RELAXED) == name) {
            Value v = __atomic_load_n(&e->value, __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s1)
                return v;
        }
    } else {
        /* Take a version BEFORE reading the dicts: if the class changes
         * while we look, its version is cleared and our entry is dead. */
        ver = assign_version(t);
    }
    Value v = lookup_uncached(t, name);
    if (ver) {
        MCacheEntry *e = &mcache[mcache_hash(ver, name)];
        uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
        if (!(s & 1) && __atomic_compare_exchange_n(&e->seq, &s, s + 1, false,
                                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            __atomic_store_n(&e->version, ver, __ATOMIC_RELAXED);
            __atomic_store_n(&e->name, name, __ATOMIC_RELAXED);
            __atomic_store_n(&e->value, v, __ATOMIC_RELAXED);
            __atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
        }
    }
    return v;
}

void mn_type_modified(Type *t)
{
    __atomic_store_n(&t->version, 0, __ATOMIC_RELEASE);
    if (t->subclasses) {
        Value l = t->subclasses;
        for (int64_t i = 0; i < AS(ListObject, l)->len; i++)
            mn_type_modified(AS(Type, AS(ListObject, l)->items[i]));
    }
}

bool mn_is_subtype(const Type *t, const Type *base)
{
    for (; t; t = t->base)
        if (t == base)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *om_type_module(Type *t)
{
    if (t->flags & TF_HEAPTYPE) {
        Value m = t->dict ? mn_dict_get_str(t->dict, MN_ID(__module__)) : 0;
        if (m && mn_is_str(m))
            return mn_cstr(m);
        return "builtins";
    }
    return t->module ? mn_cstr(t->module) : "builtins";
}

const char *om_type_qualname(Type *t)
{
    if ((t->flags & TF_HEAPTYPE) && t->qualname)
        return mn_cstr(t->qualname);
    return t->name;
}

Value om_type_fullname(Type *t, bool skip_main)
{
    const char *mod = om_type_module(t);
    if (!strcmp(mod, "builtins") || (skip_main && !strcmp(mod, "__main__")))
        return mn_str(om_type_qualname(t));
    return mn_str_fmt("%s.%s", mod, om_type_qualname(t));
}

/* ------------------------------------------------------------------ */
/* mn_type_ready                                                       */
/* ------------------------------------------------------------------ */

static bool slot_defined(Type *t, WrapKind k)
{
    switch (k) {
    case WK_REPR: return t->repr;
    case WK_STR: return t->str;
    case WK_HASH: return t->hash && t->hash != mn_unhashable;
    case WK_RICHCMP: return t->richcmp;
    case WK_BOOL: return t->truthy;
    case WK_CALL: return t->call;
    case WK_GETATTRO: return t->getattr;
    case WK_SETATTR: case WK_DELATTR: return t->setattr;
    case WK_ITER: return t->iter;
    case WK_NEXT: return t->next;
    case WK_LEN: return t->len;
    case WK_GETITEM: return t->getitem;
    case WK_SETITEM: case WK_DELITEM: return t->setitem;
    case WK_CONTAINS: return t->contains;
    case WK_BINOP: case WK_RBINOP: return t->binop;
    case WK_INPLACE: return t->inplace;
    case WK_UNOP: return t->unop;
    case WK_GET: return t->descr_get;
    case WK_SET: case WK_DELETE: return t->descr_set;
    case WK_INIT: return t->init;
    case WK_NONE: return false;
    }
    return false;
}

static void dict_set_default(Value d, Value name, Value v)
{
    if (!mn_dict_get_str(d, name))
        mn_dict_set_str(d, name, v);
}

void om_add_dict_descriptors(Type *t, bool weakref)
{
    for (GetSetDef *g = om_dict_getset; g->name; g++) {
        if (g != om_dict_getset && !weakref)
            break;
        Value name = mn_intern(g->name);
        if (mn_dict_get_str(t->dict, name))
            continue;
        GetSetDescrObject *gd = mn_alloc_obj(&GetSetDescrType, sizeof *gd);
        gd->def = g;
        gd->owner = t;
        mn_dict_set_str(t->dict, name, mn_val(gd));
    }
}

#define INHERIT(f) do { if (!t->f) t->f = b->f; } while (0)

int mn_type_ready(Type *t)
{
    if (t->flags & TF_READY)
        return 0;
    om_ready_lock();
    if (t->flags & TF_READY) {
        om_ready_unlock();
        return 0;
    }
    init_names();
    if (!t->hdr.type)
        t->hdr.type = &TypeType;
    if (t != &ObjectType && !t->base)
        t->base = &ObjectType;
    Type *b = t->base;
    if (b && mn_type_ready(b) < 0) {
        om_ready_unlock();
        return -1;
    }
    if (!t->dict)
        t->dict = mn_dict_new();
    Value d = t->dict;

    /* Methods and getsets first: they win over slot wrappers. */
    if (t->methods) {
        for (MethodDef *m = t->methods; m->name; m++) {
            Value name = mn_intern(m->name);
            Value v;
            if (m->flags & METH_STATIC) {
                Value f = mn_native_new(m->name, m->fn, 0);
                v = om_staticmethod_new(f);
            } else {
                MethodDescrObject *md = mn_alloc_obj(&MethodDescrType, sizeof *md);
                md->def = m;
                md->owner = t;
                v = mn_val(md);
            }
            mn_dict_set_str(d, name, v);
        }
    }
    if (t->getset) {
        for (GetSetDef *g = t->getset; g->name; g++) {
            GetSetDescrObject *gd = mn_alloc_obj(&GetSetDescrType, sizeof *gd);
            gd->def = g;
            gd->owner = t;
            mn_dict_set_str(d, mn_intern(g->name), mn_val(gd));
        }
    }
    /* Slot wrappers for the slots this type defines itself. */
    for (size_t i = 0; i < NSLOTNAMES; i++) {
        const SlotName *s = &om_slotnames[i];
        if (s->kind == WK_HASH
            && (t->hash == mn_unhashable || (t->richcmp && !t->hash))) {
            /* Defines equality but no hash: unhashable, like CPython. */
            dict_set_default(d, om_slotname_ids[i], mn_None);
            continue;
        }
        if (s->group == SG_NEW) {
            if (t->new)
                dict_set_default(d, om_slotname_ids[i],
                                 mn_native_new("__new__", om_tp_new_wrapper, mn_val(t)));
            continue;
        }
        if (slot_defined(t, s->kind))
            dict_set_default(d, om_slotname_ids[i], om_wrapper_new(t, (int)i));
    }
    if (t->dictoffset && (!b || !b->dictoffset))
        om_add_dict_descriptors(t, false);
    dict_set_default(d, MN_ID(__doc__), mn_None);

    if (b) {
        if (!t->basicsize)
            t->basicsize = b->basicsize;
        if (!t->dictoffset)
            t->dictoffset = b->dictoffset;
        t->flags |= b->flags & (TF_EXCEPTION | TF_INT_SUB | TF_STR_SUB | TF_TUPLE_SUB
                                | TF_LIST_SUB | TF_DICT_SUB | TF_TYPE_SUB | TF_VARSIZE);
        /* `new` is not inherited straight from object: such a type is not
         * meant to be instantiated from mini. */
        if (!t->new && b != &ObjectType)
            t->new = b->new;
        INHERIT(init);
        INHERIT(repr);
        INHERIT(str);
        if (!t->hash && !t->richcmp) {
            t->hash = b->hash;
            t->richcmp = b->richcmp;
        } else if (!t->richcmp) {
            t->richcmp = b->richcmp;
        }
        INHERIT(truthy);
        INHERIT(call);
        INHERIT(getattr);
        INHERIT(setattr);
        INHERIT(iter);
        INHERIT(next);
        INHERIT(len);
        INHERIT(getitem);
        INHERIT(setitem);
        INHERIT(contains);
        INHERIT(binop);
        INHERIT(inplace);
        INHERIT(unop);
        INHERIT(descr_get);
        INHERIT(descr_set);
    }
    __atomic_or_fetch(&t->flags, TF_READY, __ATOMIC_RELEASE);
    om_ready_unlock();
    return 0;
}
#undef INHERIT

/* ------------------------------------------------------------------ */
/* Slot functions of user classes                                     */
/* ------------------------------------------------------------------ */

static inline Value special(Value self, Value name)
{
    return mn_type_lookup(mn_typeof(self), name);
}

static inline WrapperDescrObject *as_wrapper(Value f, WrapKind k)
{
    if (mn_is_obj(f) && mn_obj(f)->type == &WrapperDescrType
        && AS(WrapperDescrObject, f)->kind == k)
        return AS(WrapperDescrObject, f);
    return NULL;
}

static Value call_self0(Value f, Value self)
{
    return om_call_unbound(f, self, NULL, 0, 0);
}

static Value call_self1(Value f, Value self, Value a)
{
    return om_call_unbound(f, self, &a, 1, 0);
}

static Value slot_repr(Value self)
{
    Value f = special(self, MN_ID(__repr__));
    WrapperDescrObject *w;
    if (!f)
        return mn_default_repr(self);
    if ((w = as_wrapper(f, WK_REPR)))
        return w->owner->repr(self);
    return call_self0(f, self);
}

static Value slot_str(Value self)
{
    Value f = special(self, MN_ID(__str__));
    WrapperDescrObject *w;
    if (!f)
        return mn_repr(self);
    if ((w = as_wrapper(f, WK_STR)))
        return w->owner->str(self);
    return call_self0(f, self);
}

static int slot_hash(Value self, int64_t *out)
{
    Value f = special(self, MN_ID(__hash__));
    WrapperDescrObject *w;
    if (!f || f == mn_None)
        return mn_raise_int(&TypeErrorType, "unhashable type: '%s'", mn_type_name(self));
    if ((w = as_wrapper(f, WK_HASH)))
        return w->owner->hash(self, out);
    Value r = call_self0(f, self);
    if (!r)
        return -1;
    if (!mn_is_intlike(r))
        return mn_raise_int(&TypeErrorType, "__hash__ method should return an integer");
    if (mn_is_int(r)) {
        int64_t h = mn_int_val(r);
        *out = h == -1 ? -2 : h;
        return 0;
    }
    /* A big int (or int subclass): reduce it as int's own hash does. */
    return mn_hash(r, out);
}

static Value slot_richcmp(Value a, Value b, CmpOp op)
{
    Value f = special(a, cmp_name[op]);
    WrapperDescrObject *w;
    if (!f)
        return mn_NotImplemented;
    if ((w = as_wrapper(f, WK_RICHCMP)) && w->op == op)
        return w->owner->richcmp(a, b, op);
    return call_self1(f, a, b);
}

static int slot_truthy(Value self)
{
    Value f = special(self, MN_ID(__bool__));
    WrapperDescrObject *w;
    if (!f) {
        /* __bool__ was deleted since the slot was set. */
        if (mn_typeof(self)->len) {
            int64_t n = mn_len(self);
            return n < 0 ? -1 : n != 0;
        }
        return 1;
    }
    if ((w = as_wrapper(f, WK_BOOL)))
        return w->owner->truthy(self);
    Value r = call_self0(f, self);
    if (!r)
        return -1;
    if (r == mn_True)
        return 1;
    if (r == mn_False)
        return 0;
    return mn_raise_int(&TypeErrorType, "__bool__ should return bool, returned %s",
                        mn_type_name(r));
}

static Value slot_call(Value self, Value *args, int nargs, Value kwargs)
{
    Value f = special(self, MN_ID(__call__));
    if (!f)
        return mn_raise(&TypeErrorType, "'%s' object is not callable", mn_type_name(self));
    return om_call_unbound(f, self, args, nargs, kwargs);
}

static Value slot_getattr(Value self, Value name)
{
    Value ga = special(self, om_id_getattribute);
    Value r;
    WrapperDescrObject *w;
    if (!ga || ((w = as_wrapper(ga, WK_GETATTRO)) && w->owner->getattr == mn_generic_getattr)) {
        r = om_generic_getattr(self, name, true);
        if (r)
            return r;
        if (mn_exc_occurred() && !mn_exc_matches(&AttributeErrorType))
            return MN_ERR;
    } else {
        r = (w = as_wrapper(ga, WK_GETATTRO)) ? w->owner->getattr(self, name)
                                               : call_self1(ga, self, name);
        if (r)
            return r;
        if (!mn_exc_matches(&AttributeErrorType))
            return MN_ERR;
    }
    Value gf = special(self, id_getattr);
    if (!gf) {
        if (!mn_exc_occurred())
            return om_attr_error(self, name);
        return MN_ERR;
    }
    mn_exc_clear();
    return call_self1(gf, self, name);
}

static int slot_setattr(Value self, Value name, Value v)
{
    Value f = special(self, v ? MN_ID(__setattr__) : MN_ID(__delattr__));
    WrapperDescrObject *w;
    if (f && ((w = as_wrapper(f, v ? WK_SETATTR : WK_DELATTR))))
        return w->owner->setattr(self, name, v);
    if (!f)
        return mn_generic_setattr(self, name, v);
    Value args[2] = {name, v};
    Value r = om_call_unbound(f, self, args, v ? 2 : 1, 0);
    return r ? 0 : -1;
}

static Value slot_iter(Value self)
{
    Value f = special(self, MN_ID(__iter__));
    WrapperDescrObject *w;
    if (!f || f == mn_None) {
        if (mn_typeof(self)->getitem)
            return mn_seqiter_new(self);
        return mn_raise(&TypeErrorType, "'%s' object is not iterable", mn_type_name(self));
    }
    if ((w = as_wrapper(f, WK_ITER)))
        return w->owner->iter(self);
    return call_self0(f, self);
}

static Value slot_next(Value self)
{
    Value f = special(self, MN_ID(__next__));
    WrapperDescrObject *w;
    if (!f)
        return mn_raise(&TypeErrorType, "'%s' object is not an iterator", mn_type_name(self));
    if ((w = as_wrapper(f, WK_NEXT)))
        return w->owner->next(self);
    Value r = call_self0(f, self);
    if (!r && mn_exc_matches(&StopIterationType))
        mn_exc_clear();     /* exhausted: MN_ERR with no exception */
    return r;
}

static int64_t slot_len(Value self)
{
    Value f = special(self, MN_ID(__len__));
    WrapperDescrObject *w;
    if (!f)
        return mn_raise_int(&TypeErrorType, "object of type '%s' has no len()",
                            mn_type_name(self));
    if ((w = as_wrapper(f, WK_LEN)))
        return w->owner->len(self);
    Value r = call_self0(f, self);
    if (!r)
        return -1;
    int64_t n;
    if (mn_is_int(r)) {
        n = mn_int_val(r);
    } else if (mn_as_index(r, &n) < 0) {
        if (!mn_exc_matches(&OverflowErrorType))
            return -1;
        mn_exc_clear();
        int neg = mn_richcmp_bool(r, mn_int(0), CMP_LT);
        if (neg < 0)
            return -1;
        if (!neg)
            return mn_raise_int(&OverflowErrorType,
                                "cannot fit 'int' into an index-sized integer");
        n = -1;
    }
    if (n < 0)
        return mn_raise_int(&ValueErrorType, "__len__() should return >= 0");
    return n;
}

static Value slot_getitem(Value self, Value key)
{
    Value f = special(self, MN_ID(__getitem__));
    WrapperDescrObject *w;
    if (!f)
        return mn_raise(&TypeErrorType, "'%s' object is not subscriptable", mn_type_name(self));
    if ((w = as_wrapper(f, WK_GETITEM)))
        return w->owner->getitem(self, key);
    return call_self1(f, self, key);
}

static int slot_setitem(Value self, Value key, Value v)
{
    Value name = v ? MN_ID(__setitem__) : MN_ID(__delitem__);
    Value f = special(self, name);
    WrapperDescrObject *w;
    if (!f)     /* the class defines only the other one: CPython 3.11 says */
        return mn_raise_int(&AttributeErrorType, "%s", mn_cstr(name));
    if ((w = as_wrapper(f, v ? WK_SETITEM : WK_DELITEM)))
        return w->owner->setitem(self, key, v);
    Value args[2] = {key, v};
    Value r = om_call_unbound(f, self, args, v ? 2 : 1, 0);
    return r ? 0 : -1;
}

static int slot_contains(Value self, Value x)
{
    Value f = special(self, MN_ID(__contains__));
    WrapperDescrObject *w;
    if (!f) {
        /* Deleted since: iterate like a class without __contains__. */
        Value it = mn_iter(self);
        if (!it)
            return -1;
        for (;;) {
            Value item = mn_next(it);
            if (!item)
                return mn_exc_occurred() ? -1 : 0;
            int eq = mn_eq(item, x);
            if (eq)
                return eq;
        }
    }
    if (f == mn_None)
        return mn_raise_int(&TypeErrorType, "'%s' object is not a container",
                            mn_type_name(self));
    if ((w = as_wrapper(f, WK_CONTAINS)))
        return w->owner->contains(self, x);
    Value r = call_self1(f, self, x);
    if (!r)
        return -1;
    return mn_truthy(r);
}

static Value slot_binop(BinOp op, Value a, Value b);

/* a.__op__(b) where a's class has the slot; NotImplemented if absent. */
static Value call_binop_left(BinOp op, Value a, Value b)
{
    Value f = special(a, binop_name[op]);
    WrapperDescrObject *w;
    if (!f)
        return mn_NotImplemented;
    if ((w = as_wrapper(f, WK_BINOP)) && w->op == op)
        return w->owner->binop(op, a, b);
    return call_self1(f, a, b);
}

/* b.__rop__(a) */
static Value call_binop_right(BinOp op, Value a, Value b)
{
    Value f = special(b, rbinop_name[op]);
    WrapperDescrObject *w;
    if (!f)
        return mn_NotImplemented;
    if ((w = as_wrapper(f, WK_RBINOP)) && w->op == op)
        return w->owner->binop(op, a, b);
    return call_self1(f, b, a);
}

/* CPython's SLOT1BINFULL: the one slot serves both operand positions. */
static Value slot_binop(BinOp op, Value a, Value b)
{
    Type *ta = mn_typeof(a), *tb = mn_typeof(b);
    bool do_other = ta != tb && tb->binop == slot_binop;
    if (ta->binop == slot_binop) {
        if (do_other && mn_is_subtype(tb, ta)
            && mn_type_lookup(tb, rbinop_name[op]) != mn_type_lookup(ta, rbinop_name[op])) {
            Value r = call_binop_right(op, a, b);
            if (r != mn_NotImplemented)
                return r;
            do_other = false;
        }
        Value r = call_binop_left(op, a, b);
        if (r != mn_NotImplemented || ta == tb)
            return r;
    }
    if (do_other)
        return call_binop_right(op, a, b);
    return mn_NotImplemented;
}

static Value slot_inplace(BinOp op, Value a, Value b)
{
    Value f = special(a, ibinop_name[op]);
    WrapperDescrObject *w;
    if (!f)
        return mn_NotImplemented;
    if ((w = as_wrapper(f, WK_INPLACE)) && w->op == op)
        return w->owner->inplace(op, a, b);
    return call_self1(f, a, b);
}

static Value slot_unop(UnOp op, Value a)
{
    static const char sym[] = "-+~";
    Value f = special(a, unop_name[op]);
    WrapperDescrObject *w;
    if (!f)
        return mn_raise(&TypeErrorType, "bad operand type for unary %c: '%s'", sym[op],
                        mn_type_name(a));
    if ((w = as_wrapper(f, WK_UNOP)) && w->op == op)
        return w->owner->unop(op, a);
    return call_self0(f, a);
}

static Value slot_descr_get(Value descr, Value obj, Type *owner)
{
    Value f = special(descr, MN_ID(__get__));
    WrapperDescrObject *w;
    if (!f)
        return descr;
    if ((w = as_wrapper(f, WK_GET)))
        return w->owner->descr_get(descr, obj, owner);
    Value args[2] = {obj ? obj : mn_None, owner ? mn_val(owner) : mn_None};
    return om_call_unbound(f, descr, args, 2, 0);
}

static int slot_descr_set(Value descr, Value obj, Value v)
{
    Value f = special(descr, v ? id_set : id_delete);
    WrapperDescrObject *w;
    if (!f)
        return mn_raise_int(&AttributeErrorType, v ? "__set__" : "__delete__");
    if ((w = as_wrapper(f, v ? WK_SET : WK_DELETE)))
        return w->owner->descr_set(descr, obj, v);
    Value args[2] = {obj, v};
    Value r = om_call_unbound(f, descr, args, v ? 2 : 1, 0);
    return r ? 0 : -1;
}

static int slot_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value f = special(self, MN_ID(__init__));
    WrapperDescrObject *w;
    if (!f)
        return 0;
    if ((w = as_wrapper(f, WK_INIT)))
        return w->owner->init(self, args, nargs, kwargs);
    Value r = om_call_unbound(f, self, args, nargs, kwargs);
    if (!r)
        return -1;
    if (r != mn_None)
        return mn_raise_int(&TypeErrorType, "__init__() should return None, not '%s'",
                            mn_type_name(r));
    return 0;
}

static Value slot_new(Type *t, Value *args, int nargs, Value kwargs)
{
    Value f = mn_type_lookup(t, MN_ID(__new__));
    if (!f)
        return mn_raise(&TypeErrorType, "cannot create '%s' instances", t->name);
    if (MN_IS_EXACT(f, StaticMethodType))
        f = AS(StaticMethodObject, f)->func;
    if (MN_IS_EXACT(f, NativeFunctionType)
        && AS(NativeFunctionObject, f)->fn == om_tp_new_wrapper) {
        /* Inherited from a builtin: call its C constructor directly. */
        Type *owner = AS(Type, AS(NativeFunctionObject, f)->self);
        return owner->new(t, args, nargs, kwargs);
    }
    Value buf[8];
    Value *argv = om_prepend(mn_val(t), args, nargs, buf, 8);
    return mn_call(f, argv, nargs + 1, kwargs);
}

/* object.__new__ and friends as found in a builtin type's dict: the
 * native function's self is the type (args[0]), args[1] the class to
 * instantiate.  Checks what CPython's tp_new_wrapper checks. */
Value om_tp_new_wrapper(Value *args, int nargs, Value kwargs)
{
    Type *owner = AS(Type, args[0]);
    if (nargs < 2)
        return mn_raise(&TypeErrorType, "%s.__new__(): not enough arguments", owner->name);
    Value sub = args[1];
    if (!mn_isinstance_t(sub, &TypeType))
        return mn_raise(&TypeErrorType, "%s.__new__(X): X is not a type object (%s)",
                        owner->name, mn_type_name(sub));
    Type *st = AS(Type, sub);
    if (!mn_is_subtype(st, owner))
        return mn_raise(&TypeErrorType, "%s.__new__(%s): %s is not a subtype of %s",
                        owner->name, st->name, st->name, owner->name);
    Type *sb = st;
    while (sb && sb->new == slot_new)
        sb = sb->base;
    if (sb && sb->new != owner->new)
        return mn_raise(&TypeErrorType, "%s.__new__(%s) is not safe, use %s.__new__()",
                        owner->name, st->name, sb->name);
    return owner->new(st, args + 2, nargs - 2, kwargs);
}

/* ------------------------------------------------------------------ */
/* Class creation                                                      */
/* ------------------------------------------------------------------ */

bool om_is_heap_defined(Type *t, Value name)
{
    for (Type *c = t; c && (c->flags & TF_HEAPTYPE); c = c->base)
        if (c->dict && mn_dict_get_str(c->dict, name))
            return true;
    return false;
}

void om_fixup_slots(Type *t)
{
    bool def[SG__COUNT] = {false};
    for (size_t i = 0; i < NSLOTNAMES; i++) {
        SlotGroup g = om_slotnames[i].group;
        if (!def[g] && om_is_heap_defined(t, om_slotname_ids[i]))
            def[g] = true;
    }
    Type *b = t->base;
#define SET(slot, g, fn) t->slot = def[g] ? fn : b->slot
    SET(repr, SG_REPR, slot_repr);
    SET(str, SG_STR, slot_str);
    SET(hash, SG_HASH, slot_hash);
    SET(richcmp, SG_RICHCMP, slot_richcmp);
    SET(call, SG_CALL, slot_call);
    SET(getattr, SG_GETATTR, slot_getattr);
    SET(setattr, SG_SETATTR, slot_setattr);
    SET(iter, SG_ITER, slot_iter);
    SET(next, SG_NEXT, slot_next);
    SET(len, SG_LEN, slot_len);
    SET(getitem, SG_GETITEM, slot_getitem);
    SET(setitem, SG_SETITEM, slot_setitem);
    SET(contains, SG_CONTAINS, slot_contains);
    SET(binop, SG_BINOP, slot_binop);
    SET(inplace, SG_INPLACE, slot_inplace);
    SET(unop, SG_UNOP, slot_unop);
    SET(descr_get, SG_DESCR_GET, slot_descr_get);
    SET(descr_set, SG_DESCR_SET, slot_descr_set);
    SET(init, SG_INIT, slot_init);
    SET(new, SG_NEW, slot_new);
#undef SET
    /* A class defining __len__ but not __bool__ is falsy when empty. */
    if (def[SG_BOOL])
        t->truthy = slot_truthy;
    else if (def[SG_LEN])
        t->truthy = NULL;
    else
        t->truthy = b->truthy;
    if (t->subclasses) {
        Value l = t->subclasses;
        for (int64_t i = 0; i < AS(ListObject, l)->len; i++)
            om_fixup_slots(AS(Type, AS(ListObject, l)->items[i]));
    }
}

static bool is_slot_name(Value name)
{
    const char *s = mn_cstr(name);
    if (s[0] != '_' || s[1] != '_')
        return false;
    for (size_t i = 0; i < NSLOTNAMES; i++)
        if (om_slotname_ids[i] == name)
            return true;
    return false;
}

/* Wrap a plain function found under `name` in the namespace. */
static void wrap_implicit(Value dict, Value name, bool classmeth)
{
    Value f = mn_dict_get_str(dict, name);
    if (f && MN_IS_EXACT(f, FunctionType))
        mn_dict_set_str(dict, name, classmeth ? om_classmethod_new(f) : om_staticmethod_new(f));
}

static int add_slots(Type *t, Value dict, Value slots, bool *want_dict)
{
    Value names;
    if (mn_is_str(slots)) {
        names = mn_list_from(&slots, 1);
    } else {
        names = mn_sequence_to_list(slots);
        if (!names)
            return -1;
    }
    for (int64_t i = 0; i < AS(ListObject, names)->len; i++) {
        Value n = AS(ListObject, names)->items[i];
        if (!mn_is_str(n))
            return mn_raise_int(&TypeErrorType, "__slots__ items must be strings, not '%s'",
                                mn_type_name(n));
        const char *s = mn_cstr(n);
        if (!strcmp(s, "__dict__")) {
            if (*want_dict || t->base->dictoffset)
                return mn_raise_int(&TypeErrorType, "__dict__ slot disallowed: "
                                    "we already got one");
            *want_dict = true;
            continue;
        }
        if (!strcmp(s, "__weakref__"))
            continue;
        n = mn_intern_value(n);
        if (mn_dict_get_str(dict, n))
            return mn_raise_int(&ValueErrorType, "'%s' in __slots__ conflicts with class "
                                "variable", s);
        if (t->flags & TF_VARSIZE)
            return mn_raise_int(&TypeErrorType, "nonempty __slots__ not supported for "
                                "subtype of '%s'", t->base->name);
        mn_dict_set_str(dict, n, om_member_new(t, s, t->basicsize, false));
        t->basicsize += sizeof(Value);
    }
    return 0;
}

static void add_instance_dict(Type *t)
{
    if (t->flags & TF_VARSIZE) {
        t->dictoffset = (size_t)-(intptr_t)sizeof(Value);
    } else {
        t->dictoffset = t->basicsize;
        t->basicsize += sizeof(Value);
    }
}

static int call_set_names(Type *t)
{
    Value items = mn_dict_copy(t->dict);
    int64_t pos = 0;
    Value k, v;
    while (mn_dict_next(items, &pos, &k, &v)) {
        Type *vt = mn_typeof(v);
        if (vt == &FunctionType || vt == &NativeFunctionType)
            continue;
        Value f = mn_type_lookup(vt, id_set_name);
        if (!f)
            continue;
        Value args[2] = {mn_val(t), k};
        if (!om_call_unbound(f, v, args, 2, 0))
            return -1;
    }
    return 0;
}

static int call_init_subclass(Type *t, Value kwargs)
{
    Value f = mn_type_lookup(t->base, mn_id.__init_subclass__);
    if (!f)
        return 0;
    Type *ft = mn_typeof(f);
    Value bound = ft->descr_get ? ft->descr_get(f, 0, t) : f;
    if (!bound)
        return -1;
    return mn_call(bound, NULL, 0, kwargs) ? 0 : -1;
}

static void add_subclass(Type *base, Type *t)
{
    Value l = __atomic_load_n(&base->subclasses, __ATOMIC_ACQUIRE);
    if (!l) {
        Value nl = mn_list_new(0), expected = 0;
        /* Two classes of the same base created at once: one list wins. */
        l = __atomic_compare_exchange_n(&base->subclasses, &expected, nl, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ? nl : expected;
    }
    if (mn_list_append(l, mn_val(t)) < 0)
        mn_exc_clear();
}

Value mn_class_new(Value name, Type *base, Value ns, Value module)
{
    if (!base)
        base = &ObjectType;
    if (mn_type_ready(base) < 0)
        return MN_ERR;
    if (!mn_is_str(name))
        return mn_raise(&TypeErrorType, "type.__new__() argument 1 must be str, not %s",
                        mn_type_name(name));
    if (!(base->flags & TF_BASETYPE))
        return mn_raise(&TypeErrorType, "type '%s' is not an acceptable base type",
                        base->name);
    Type *t = gc_alloc(sizeof(Type));
    t->hdr.type = &TypeType;
    t->name = gc_strdup(mn_cstr(name));
    t->base = base;
    Value dict = ns ? mn_dict_copy(ns) : mn_dict_new();

    Value mod = mn_dict_get_str(dict, MN_ID(__module__));
    if (!mod) {
        mod = module ? module : mn_str("__main__");
        mn_dict_set_str(dict, MN_ID(__module__), mod);
    }
    t->module = mn_is_str(mod) ? mod : 0;
    Value qn = mn_dict_get_str(dict, MN_ID(__qualname__));
    if (qn) {
        if (!mn_is_str(qn))
            return mn_raise(&TypeErrorType, "type __qualname__ must be a str, not %s",
                            mn_type_name(qn));
        t->qualname = qn;
        if (mn_dict_del(dict, MN_ID(__qualname__)) < 0)
            return MN_ERR;
    } else {
        t->qualname = name;
    }
    wrap_implicit(dict, MN_ID(__new__), false);
    wrap_implicit(dict, mn_id.__init_subclass__, true);
    wrap_implicit(dict, id_class_getitem, true);
    if (mn_dict_get_str(dict, MN_ID(__eq__)) && !mn_dict_get_str(dict, MN_ID(__hash__)))
        mn_dict_set_str(dict, MN_ID(__hash__), mn_None);

    t->flags = TF_HEAPTYPE | TF_BASETYPE
        | (base->flags & (TF_EXCEPTION | TF_INT_SUB | TF_STR_SUB | TF_TUPLE_SUB
                          | TF_LIST_SUB | TF_DICT_SUB | TF_TYPE_SUB | TF_VARSIZE));
    t->basicsize = base->basicsize;
    t->dictoffset = base->dictoffset;
    t->dict = dict;
    Value slots = mn_dict_get_str(dict, MN_ID(__slots__));
    bool want_dict = !slots;
    if (slots && add_slots(t, dict, slots, &want_dict) < 0)
        return MN_ERR;
    if (want_dict && !t->dictoffset) {
        add_instance_dict(t);
        om_add_dict_descriptors(t, true);
    }
    dict_set_default(dict, MN_ID(__doc__), mn_None);
    om_fixup_slots(t);
    t->flags |= TF_READY;
    add_subclass(base, t);

    if (call_set_names(t) < 0 || call_init_subclass(t, 0) < 0)
        return MN_ERR;
    return mn_val(t);
}

/* ------------------------------------------------------------------ */
/* The type object                                                     */
/* ------------------------------------------------------------------ */

static Value type_new(Type *meta, Value *args, int nargs, Value kwargs)
{
    if (nargs == 1 && (!kwargs || mn_dict_len(kwargs) == 0))
        return mn_val(mn_typeof(args[0]));
    if (nargs != 3)
        return mn_raise(&TypeErrorType, "type() takes 1 or 3 arguments");
    if (!mn_is_str(args[0]))
        return mn_raise(&TypeErrorType, "type.__new__() argument 1 must be str, not %s",
                        mn_type_name(args[0]));
    if (!mn_is_tuple(args[1]))
        return mn_raise(&TypeErrorType, "type.__new__() argument 2 must be tuple, not %s",
                        mn_type_name(args[1]));
    if (!mn_is_dict(args[2]))
        return mn_raise(&TypeErrorType, "type.__new__() argument 3 must be dict, not %s",
                        mn_type_name(args[2]));
    int64_t nb = mn_tuple_len(args[1]);
    Type *base = &ObjectType;
    if (nb > 1)
        return mn_raise(&TypeErrorType, "multiple inheritance is not supported");
    if (nb == 1) {
        Value b = mn_tuple_items(args[1])[0];
        if (!mn_isinstance_t(b, &TypeType))
            return mn_raise(&TypeErrorType, "metaclass conflict: the metaclass of a derived "
                            "class must be a (non-strict) subclass of the metaclasses of all "
                            "its bases");
        base = AS(Type, b);
    }
    return mn_class_new(args[0], base, args[2], 0);
}

static int type_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (nargs != 1 && nargs != 3)
        return mn_raise_int(&TypeErrorType, "type.__init__() takes 1 or 3 arguments");
    return 0;
}

static Value type_call(Value self, Value *args, int nargs, Value kwargs)
{
    Type *t = AS(Type, self);
    if (t == &TypeType && nargs == 1 && (!kwargs || mn_dict_len(kwargs) == 0))
        return mn_val(mn_typeof(args[0]));
    if (!(t->flags & TF_READY) && mn_type_ready(t) < 0)
        return MN_ERR;
    if (!t->new)
        return mn_raise(&TypeErrorType, "cannot create '%s' instances", t->name);
    Value obj = t->new(t, args, nargs, kwargs);
    if (!obj)
        return MN_ERR;
    Type *ot = mn_typeof(obj);
    if (ot != t && !mn_is_subtype(ot, t))
        return obj;
    if (ot->init && ot->init(obj, args, nargs, kwargs) < 0)
        return MN_ERR;
    return obj;
}

static Value type_repr(Value self)
{
    Type *t = AS(Type, self);
    const char *mod = om_type_module(t);
    if (!strcmp(mod, "builtins"))
        return mn_str_fmt("<class '%s'>", om_type_qualname(t));
    return mn_str_fmt("<class '%s.%s'>", mod, om_type_qualname(t));
}

static Value type_attr_error(Type *t, Value name)
{
    return mn_raise(&AttributeErrorType, "type object '%s' has no attribute '%s'", t->name,
                    mn_cstr(name));
}

static Value type_getattr_impl(Value self, Value name, bool suppress)
{
    Type *t = AS(Type, self);
    Type *meta = mn_typeof(self);
    Value ma = mn_type_lookup(meta, name);
    Value (*mget)(Value, Value, Type *) = NULL;
    if (ma) {
        Type *mt = mn_typeof(ma);
        mget = mt->descr_get;
        if (mget && mt->descr_set)
            return mget(ma, self, meta);
    }
    Value a = mn_type_lookup(t, name);
    if (a) {
        Type *at = mn_typeof(a);
        if (at->descr_get)
            return at->descr_get(a, 0, t);
        return a;
    }
    if (ma)
        return mget ? mget(ma, self, meta) : ma;
    if (suppress)
        return 0;
    return type_attr_error(t, name);
}

static Value type_getattro(Value self, Value name)
{
    return type_getattr_impl(self, name, false);
}

static int type_setattro(Value self, Value name, Value v)
{
    Type *t = AS(Type, self);
    if (!(t->flags & TF_HEAPTYPE))
        return mn_raise_int(&TypeErrorType, "cannot set '%s' attribute of immutable type '%s'",
                            mn_cstr(name), t->name);
    Value ma = mn_type_lookup(mn_typeof(self), name);
    if (ma && mn_typeof(ma)->descr_set)
        return mn_typeof(ma)->descr_set(ma, self, v);
    name = mn_intern_value(name);
    if (v) {
        mn_dict_set_str(t->dict, name, v);
    } else {
        if (!mn_dict_get_str(t->dict, name)) {
            type_attr_error(t, name);
            return -1;
        }
        if (mn_dict_del(t->dict, name) < 0)
            return -1;
    }
    mn_type_modified(t);
    if (is_slot_name(name))
        om_fixup_slots(t);
    return 0;
}

/* getset */

static Value type_get_name(Value self) { return mn_str(AS(Type, self)->name); }

static int check_heap_set(Value self, Value v, const char *what)
{
    Type *t = AS(Type, self);
    if (!(t->flags & TF_HEAPTYPE))
        return mn_raise_int(&TypeErrorType, "cannot set '%s' attribute of immutable type '%s'",
                            what, t->name);
    if (!v)
        return mn_raise_int(&TypeErrorType, "cannot delete '%s' attribute of immutable type "
                            "'%s'", what, t->name);
    return 0;
}

static int type_set_name(Value self, Value v)
{
    if (check_heap_set(self, v, "__name__") < 0)
        return -1;
    if (!mn_is_str(v))
        return mn_raise_int(&TypeErrorType, "can only assign string to %s.__name__, not '%s'",
                            AS(Type, self)->name, mn_type_name(v));
    AS(Type, self)->name = gc_strdup(mn_cstr(v));
    return 0;
}

static Value type_get_qualname(Value self) { return mn_str(om_type_qualname(AS(Type, self))); }

static int type_set_qualname(Value self, Value v)
{
    if (check_heap_set(self, v, "__qualname__") < 0)
        return -1;
    if (!mn_is_str(v))
        return mn_raise_int(&TypeErrorType, "can only assign string to %s.__qualname__, "
                            "not '%s'", AS(Type, self)->name, mn_type_name(v));
    AS(Type, self)->qualname = v;
    return 0;
}

static Value type_get_module(Value self)
{
    Type *t = AS(Type, self);
    if (t->flags & TF_HEAPTYPE) {
        Value m = mn_dict_get_str(t->dict, MN_ID(__module__));
        if (m)
            return m;
    }
    return mn_str(om_type_module(t));
}

static int type_set_module(Value self, Value v)
{
    if (check_heap_set(self, v, "__module__") < 0)
        return -1;
    Type *t = AS(Type, self);
    mn_dict_set_str(t->dict, MN_ID(__module__), v);
    t->module = mn_is_str(v) ? v : 0;
    mn_type_modified(t);
    return 0;
}

static Value type_get_bases(Value self)
{
    Type *t = AS(Type, self);
    if (!t->base)
        return mn_empty_tuple;
    return mn_tuple_pack(1, mn_val(t->base));
}

static Value type_get_base(Value self)
{
    Type *t = AS(Type, self);
    return t->base ? mn_val(t->base) : mn_None;
}

static Value type_get_mro(Value self)
{
    int64_t n = 0;
    for (Type *t = AS(Type, self); t; t = t->base)
        n++;
    Value tup = mn_tuple_new(n);
    n = 0;
    for (Type *t = AS(Type, self); t; t = t->base)
        mn_tuple_items(tup)[n++] = mn_val(t);
    return tup;
}

static Value type_get_dict(Value self)
{
    Type *t = AS(Type, self);
    if (!(t->flags & TF_READY) && mn_type_ready(t) < 0)
        return MN_ERR;
    return mn_dict_copy(t->dict);
}

static Value type_get_doc(Value self)
{
    Type *t = AS(Type, self);
    Value d = t->dict ? mn_dict_get_str(t->dict, MN_ID(__doc__)) : 0;
    if (!d)
        return mn_None;
    Type *dt = mn_typeof(d);
    if (dt->descr_get && (t->flags & TF_HEAPTYPE) && d != mn_None)
        return dt->descr_get(d, 0, t);
    return d;
}

static int type_set_doc(Value self, Value v)
{
    if (check_heap_set(self, v, "__doc__") < 0)
        return -1;
    mn_dict_set_str(AS(Type, self)->dict, MN_ID(__doc__), v);
    mn_type_modified(AS(Type, self));
    return 0;
}

static Value type_get_annotations(Value self)
{
    Type *t = AS(Type, self);
    Value a = t->dict ? mn_dict_get_str(t->dict, MN_ID(__annotations__)) : 0;
    if (a)
        return a;
    if (!(t->flags & TF_HEAPTYPE))
        return mn_raise(&AttributeErrorType, "type object '%s' has no attribute "
                        "'__annotations__'", t->name);
    a = mn_dict_new();
    mn_dict_set_str(t->dict, MN_ID(__annotations__), a);
    mn_type_modified(t);
    return a;
}

static GetSetDef type_getset[] = {
    {"__name__", type_get_name, type_set_name},
    {"__qualname__", type_get_qualname, type_set_qualname},
    {"__module__", type_get_module, type_set_module},
    {"__bases__", type_get_bases, NULL},
    {"__base__", type_get_base, NULL},
    {"__mro__", type_get_mro, NULL},
    {"__dict__", type_get_dict, NULL},
    {"__doc__", type_get_doc, type_set_doc},
    {"__annotations__", type_get_annotations, NULL},
    {NULL, NULL, NULL},
};

static Value type_mro(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("mro", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value t = type_get_mro(args[0]);
    return mn_sequence_to_list(t);
}

static Value type_subclasses(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__subclasses__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Type *t = AS(Type, args[0]);
    if (!t->subclasses)
        return mn_list_new(0);
    return mn_list_from(AS(ListObject, t->subclasses)->items,
                        AS(ListObject, t->subclasses)->len);
}

static Value type_instancecheck(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__instancecheck__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return mn_bool(mn_isinstance_t(args[1], AS(Type, args[0])));
}

static Value type_subclasscheck(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__subclasscheck__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int r = mn_issubclass(args[1], args[0]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value type_dir(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__dir__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value seen = mn_dict_new();
    for (Type *t = AS(Type, args[0]); t; t = t->base) {
        if (!t->dict)
            continue;
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(t->dict, &pos, &k, &v))
            if (mn_dict_set(seen, k, mn_None) < 0)
                return MN_ERR;
    }
    return mn_dict_keys_list(seen);
}

static MethodDef type_methods[] = {
    {"mro", type_mro, 0, NULL},
    {"__subclasses__", type_subclasses, 0, NULL},
    {"__instancecheck__", type_instancecheck, 0, NULL},
    {"__subclasscheck__", type_subclasscheck, 0, NULL},
    {"__dir__", type_dir, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static Value alias_union(Value a, Value b);

static bool unionable(Value v)
{
    return v == mn_None || mn_isinstance_t(v, &TypeType) || MN_IS_EXACT(v, GenericAliasType);
}

static Value type_binop(BinOp op, Value a, Value b)
{
    if (op == OP_OR && unionable(a) && unionable(b))
        return alias_union(a, b);
    return mn_NotImplemented;
}

Type TypeType = {
    .hdr = {&TypeType},
    .name = "type",
    .base = &ObjectType,
    .flags = TF_TYPE_SUB,
    .basicsize = sizeof(Type),
    .methods = type_methods,
    .getset = type_getset,
    .new = type_new,
    .init = type_init,
    .repr = type_repr,
    .call = type_call,
    .getattr = type_getattro,
    .setattr = type_setattro,
    .binop = type_binop,
};

/* For mn_getattr_opt on a type without raising. */
Value om_type_getattr_opt(Value self, Value name)
{
    return type_getattr_impl(self, name, true);
}

/* ------------------------------------------------------------------ */
/* super                                                               */
/* ------------------------------------------------------------------ */

Value om_super_lookup(SuperObject *s, Value name, bool *found)
{
    *found = false;
    Type *c = s->obj_type;
    if (!c)
        return 0;
    while (c && c != s->type)
        c = c->base;
    if (!c)
        return 0;
    for (c = c->base; c; c = c->base) {
        if (!c->dict)
            continue;
        Value v = mn_dict_get_str(c->dict, name);
        if (v) {
            *found = true;
            return v;
        }
    }
    return 0;
}

Value mn_super_new(Value type, Value obj)
{
    if (!mn_isinstance_t(type, &TypeType))
        return mn_raise(&TypeErrorType, "super() argument 1 must be a type, not %s",
                        mn_type_name(type));
    Type *t = AS(Type, type), *ot = NULL;
    if (obj) {
        if (mn_isinstance_t(obj, &TypeType) && mn_is_subtype(AS(Type, obj), t))
            ot = AS(Type, obj);
        else if (mn_isinstance_t(obj, t))
            ot = mn_typeof(obj);
        else
            return mn_raise(&TypeErrorType, "super(type, obj): obj must be an instance or "
                            "subtype of type");
    }
    SuperObject *s = mn_alloc_obj(&SuperType, sizeof *s);
    s->type = t;
    s->obj = obj;
    s->obj_type = ot;
    return mn_val(s);
}

static Value super_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs) > 0)
        return mn_raise(&TypeErrorType, "super() takes no keyword arguments");
    if (nargs == 0)
        return mn_raise(&RuntimeErrorType, "super(): no arguments");
    if (nargs > 2)
        return mn_raise(&TypeErrorType, "super() takes at most 2 arguments (%d given)", nargs);
    return mn_super_new(args[0], nargs == 2 ? args[1] : 0);
}

static int super_init(Value self, Value *args, int nargs, Value kwargs)
{
    return 0;
}

static Value super_getattro(Value self, Value name)
{
    SuperObject *s = AS(SuperObject, self);
    if (name != MN_ID(__class__)) {
        bool found;
        Value v = om_super_lookup(s, name, &found);
        if (found) {
            Value (*f)(Value, Value, Type *) = mn_typeof(v)->descr_get;
            if (f)
                return f(v, s->obj == mn_val(s->obj_type) ? 0 : s->obj, s->obj_type);
            return v;
        }
    }
    return om_generic_getattr(self, name, false);
}

static Value super_repr(Value self)
{
    SuperObject *s = AS(SuperObject, self);
    if (s->obj_type)
        return mn_str_fmt("<super: <class '%s'>, <%s object>>", s->type->name,
                          s->obj_type->name);
    return mn_str_fmt("<super: <class '%s'>, NULL>", s->type->name);
}

static Value super_get_thisclass(Value self) { return mn_val(AS(SuperObject, self)->type); }
static Value super_get_self(Value self)
{
    Value o = AS(SuperObject, self)->obj;
    return o ? o : mn_None;
}
static Value super_get_self_class(Value self)
{
    Type *t = AS(SuperObject, self)->obj_type;
    return t ? mn_val(t) : mn_None;
}

static GetSetDef super_getset[] = {
    {"__thisclass__", super_get_thisclass, NULL},
    {"__self__", super_get_self, NULL},
    {"__self_class__", super_get_self_class, NULL},
    {NULL, NULL, NULL},
};

Type SuperType = {
    .hdr = {&TypeType},
    .name = "super",
    .basicsize = sizeof(SuperObject),
    .getset = super_getset,
    .new = super_new,
    .init = super_init,
    .repr = super_repr,
    .getattr = super_getattro,
};

/* ------------------------------------------------------------------ */
/* list[int] and int | None                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value origin;       /* the class, or 0 for a union */
    Value args;         /* tuple */
} AliasObject;

Value om_alias_new(Value origin, Value args)
{
    AliasObject *a = mn_alloc_obj(&GenericAliasType, sizeof *a);
    a->origin = origin;
    a->args = mn_is_tuple(args) ? args : mn_tuple_pack(1, args);
    return mn_val(a);
}

static Value alias_union(Value a, Value b)
{
    Value items[64];
    int n = 0;
    Value parts[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        Value p = parts[i];
        if (p == mn_None)
            p = mn_val(&NoneType);
        if (MN_IS_EXACT(p, GenericAliasType) && !AS(AliasObject, p)->origin) {
            Value t = AS(AliasObject, p)->args;
            for (int64_t j = 0; j < mn_tuple_len(t) && n < 64; j++) {
                bool dup = false;
                for (int k = 0; k < n; k++)
                    dup |= items[k] == mn_tuple_items(t)[j];
                if (!dup)
                    items[n++] = mn_tuple_items(t)[j];
            }
            continue;
        }
        bool dup = false;
        for (int k = 0; k < n; k++)
            dup |= items[k] == p;
        if (!dup && n < 64)
            items[n++] = p;
    }
    if (n == 1)
        return items[0];
    return om_alias_new(0, mn_tuple_from(items, n));
}

static int alias_item_repr(StrBuf *sb, Value v)
{
    if (v == mn_Ellipsis) {
        sb_adds(sb, "...");
        return 0;
    }
    if (v == mn_val(&NoneType) || v == mn_None) {
        sb_adds(sb, "None");
        return 0;
    }
    if (mn_isinstance_t(v, &TypeType)) {
        Value s = om_type_fullname(AS(Type, v), false);
        sb_add(sb, mn_cstr(s), mn_str_len(s));
        return 0;
    }
    return sb_add_value_repr(sb, v);
}

static Value alias_repr(Value self)
{
    AliasObject *a = AS(AliasObject, self);
    StrBuf sb;
    sb_init(&sb);
    if (a->origin) {
        if (alias_item_repr(&sb, a->origin) < 0)
            return MN_ERR;
        sb_addc(&sb, '[');
    }
    for (int64_t i = 0; i < mn_tuple_len(a->args); i++) {
        if (i)
            sb_adds(&sb, a->origin ? ", " : " | ");
        if (alias_item_repr(&sb, mn_tuple_items(a->args)[i]) < 0)
            return MN_ERR;
    }
    if (a->origin)
        sb_addc(&sb, ']');
    return sb_finish(&sb);
}

static Value alias_call(Value self, Value *args, int nargs, Value kwargs)
{
    AliasObject *a = AS(AliasObject, self);
    if (!a->origin)
        return mn_raise(&TypeErrorType, "'types.UnionType' object is not callable");
    return mn_call(a->origin, args, nargs, kwargs);
}

static Value alias_getattro(Value self, Value name)
{
    AliasObject *a = AS(AliasObject, self);
    const char *s = mn_cstr(name);
    if (!strcmp(s, "__origin__") && a->origin)
        return a->origin;
    if (!strcmp(s, "__args__"))
        return a->args;
    Value v = om_generic_getattr(self, name, true);
    if (v || mn_exc_occurred() || !a->origin)
        return v ? v : (mn_exc_occurred() ? MN_ERR : om_attr_error(self, name));
    return mn_getattr(a->origin, name);
}

static Value alias_richcmp(Value a, Value b, CmpOp op)
{
    if ((op != CMP_EQ && op != CMP_NE) || !MN_IS_EXACT(b, GenericAliasType))
        return mn_NotImplemented;
    AliasObject *x = AS(AliasObject, a), *y = AS(AliasObject, b);
    int eq = x->origin == y->origin;
    if (eq) {
        eq = mn_eq(x->args, y->args);
        if (eq < 0)
            return MN_ERR;
    }
    return mn_bool(op == CMP_EQ ? eq : !eq);
}

static int alias_hash(Value self, int64_t *out)
{
    AliasObject *a = AS(AliasObject, self);
    int64_t h;
    if (mn_hash(a->args, &h) < 0)
        return -1;
    *out = h ^ (int64_t)(a->origin >> 4);
    if (*out == -1)
        *out = -2;
    return 0;
}

Type GenericAliasType = {
    .hdr = {&TypeType},
    .name = "GenericAlias",
    .basicsize = sizeof(AliasObject),
    .repr = alias_repr,
    .call = alias_call,
    .getattr = alias_getattro,
    .richcmp = alias_richcmp,
    .hash = alias_hash,
    .binop = type_binop,
};

/* Members of a union alias, for isinstance(); 0 if v is not a union. */
Value om_union_args(Value v)
{
    if (MN_IS_EXACT(v, GenericAliasType) && !AS(AliasObject, v)->origin)
        return AS(AliasObject, v)->args;
    return 0;
}

bool om_is_generic_alias(Value v)
{
    return MN_IS_EXACT(v, GenericAliasType) && AS(AliasObject, v)->origin;
}

void mn_init_type(void)
{
    static Type *const types[] = {&TypeType, &SuperType, &GenericAliasType};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (mn_type_ready(types[i]) < 0)
            abort();
}
