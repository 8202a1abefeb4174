/*
 * abstract.c -- the generic operations of object.h: repr/str/hash/truth,
 * comparison and arithmetic dispatch, attribute access, calls,
 * iteration, subscripts, isinstance, format(), and argument parsing for
 * native functions.  Each follows CPython's algorithm and wording.
 */
#include <stdlib.h>
#include <string.h>

#include "objmodel.h"

const char *mn_type_name(Value v)
{
    return mn_typeof(v)->name;
}

static bool kwargs_empty(Value kwargs)
{
    return !kwargs || mn_dict_len(kwargs) == 0;
}

/* ------------------------------------------------------------------ */
/* repr, str, hash, truth                                              */
/* ------------------------------------------------------------------ */

Value mn_repr(Value v)
{
    Type *t = mn_typeof(v);
    Value r = t->repr ? t->repr(v) : mn_default_repr(v);
    if (r && !mn_is_str(r))
        return mn_raise(&TypeErrorType, "__repr__ returned non-string (type %s)",
                        mn_type_name(r));
    return r;
}

Value mn_to_str(Value v)
{
    Type *t = mn_typeof(v);
    if (t == &StrType)
        return v;
    if (!t->str)
        return mn_repr(v);
    Value r = t->str(v);
    if (r && !mn_is_str(r))
        return mn_raise(&TypeErrorType, "__str__ returned non-string (type %s)",
                        mn_type_name(r));
    return r;
}

int mn_hash(Value v, int64_t *out)
{
    if (mn_is_int(v)) {
        /* Small ints hash to themselves except -1 (CPython's error code);
         * the rare ones beyond 2**61-1 are reduced like int.__hash__. */
        *out = mn_small_int_hash(mn_int_val(v));
        return 0;
    }
    if (MN_IS_EXACT(v, StrType)) {
        *out = (int64_t)mn_str_hash(v);
        return 0;
    }
    Type *t = mn_typeof(v);
    if (!t->hash)
        return mn_raise_int(&TypeErrorType, "unhashable type: '%s'", t->name);
    return t->hash(v, out);
}

int mn_truthy(Value v)
{
    if (v == mn_True)
        return 1;
    if (v == mn_False || v == mn_None)
        return 0;
    if (mn_is_int(v))
        return v != mn_int(0);
    Type *t = mn_typeof(v);
    if (t->truthy)
        return t->truthy(v);
    if (t->len) {
        int64_t n = t->len(v);
        return n < 0 ? -1 : n > 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Comparison                                                          */
/* ------------------------------------------------------------------ */

static const CmpOp swapped_op[] = {CMP_GT, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_LE};
static const char *const cmp_sym[] = {"<", "<=", "==", "!=", ">", ">="};

Value mn_richcmp(Value a, Value b, CmpOp op)
{
    if (mn_is_int(a) && mn_is_int(b)) {
        intptr_t x = mn_int_val(a), y = mn_int_val(b);
        switch (op) {
        case CMP_LT: return mn_bool(x < y);
        case CMP_LE: return mn_bool(x <= y);
        case CMP_EQ: return mn_bool(x == y);
        case CMP_NE: return mn_bool(x != y);
        case CMP_GT: return mn_bool(x > y);
        case CMP_GE: return mn_bool(x >= y);
        }
    }
    Type *ta = mn_typeof(a), *tb = mn_typeof(b);
    bool checked_reverse = false;
    Value r;
    /* A subclass on the right gets the first go, so it can override. */
    if (ta != tb && tb->richcmp && mn_is_subtype(tb, ta)) {
        checked_reverse = true;
        r = tb->richcmp(b, a, swapped_op[op]);
        if (r != mn_NotImplemented)
            return r;
    }
    if (ta->richcmp) {
        r = ta->richcmp(a, b, op);
        if (r != mn_NotImplemented)
            return r;
    }
    if (!checked_reverse && tb->richcmp) {
        r = tb->richcmp(b, a, swapped_op[op]);
        if (r != mn_NotImplemented)
            return r;
    }
    if (op == CMP_EQ)
        return mn_bool(a == b);
    if (op == CMP_NE)
        return mn_bool(a != b);
    return mn_raise(&TypeErrorType, "'%s' not supported between instances of '%s' and '%s'",
                    cmp_sym[op], ta->name, tb->name);
}

int mn_richcmp_bool(Value a, Value b, CmpOp op)
{
    Value r = mn_richcmp(a, b, op);
    if (r == mn_True)
        return 1;
    if (r == mn_False)
        return 0;
    if (!r)
        return -1;
    return mn_truthy(r);
}

int mn_eq(Value a, Value b)
{
    /* Identity implies equality here, as in CPython's containers (so a
     * NaN is found in a list holding it).  The == operator itself must
     * use mn_richcmp. */
    if (a == b)
        return 1;
    if (mn_is_int(a) && mn_is_int(b))
        return 0;
    return mn_richcmp_bool(a, b, CMP_EQ);
}

/* ------------------------------------------------------------------ */
/* Arithmetic                                                          */
/* ------------------------------------------------------------------ */

static const char *const binop_sym[OP__NBINARY] = {
    "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^",
};
static const char *const ibinop_sym[OP__NBINARY] = {
    "+=", "-=", "*=", "/=", "//=", "%=", "**=", "<<=", ">>=", "&=", "|=", "^=",
};

/* CPython's binary_op1: NotImplemented when neither side handles it. */
static Value binop1(BinOp op, Value a, Value b)
{
    Type *ta = mn_typeof(a), *tb = mn_typeof(b);
    Value (*slotv)(BinOp, Value, Value) = ta->binop;
    Value (*slotw)(BinOp, Value, Value) = NULL;
    if (tb != ta) {
        slotw = tb->binop;
        if (slotw == slotv)
            slotw = NULL;
    }
    Value r;
    if (slotv) {
        if (slotw && mn_is_subtype(tb, ta)) {
            r = slotw(op, a, b);
            if (r != mn_NotImplemented)
                return r;
            slotw = NULL;
        }
        r = slotv(op, a, b);
        if (r != mn_NotImplemented)
            return r;
    }
    if (slotw)
        return slotw(op, a, b);
    return mn_NotImplemented;
}

static Value binop_error(BinOp op, Value a, Value b, bool inplace)
{
    if (op == OP_POW && !inplace)
        return mn_raise(&TypeErrorType, "unsupported operand type(s) for ** or pow(): "
                        "'%s' and '%s'", mn_type_name(a), mn_type_name(b));
    return mn_raise(&TypeErrorType, "unsupported operand type(s) for %s: '%s' and '%s'",
                    inplace ? ibinop_sym[op] : binop_sym[op], mn_type_name(a),
                    mn_type_name(b));
}

Value mn_binop(BinOp op, Value a, Value b)
{
    Value r = binop1(op, a, b);
    if (r == mn_NotImplemented)
        return binop_error(op, a, b, false);
    return r;
}

Value mn_binop_try_right(BinOp op, Value a, Value b)
{
    Type *ta = mn_typeof(a), *tb = mn_typeof(b);
    /* A subtype's slot was already tried first by binop1: once is enough. */
    if (tb != ta && tb->binop && tb->binop != ta->binop && !mn_is_subtype(tb, ta))
        return tb->binop(op, a, b);
    return mn_NotImplemented;
}

int mn_seq_binop_reflect(BinOp op, Value a, Value b, Value (*own)(BinOp, Value, Value),
                         Value *out)
{
    if (mn_typeof(a)->binop != own) {
        /* Reached through a subclass's slot (type.c slot_binop), which
         * calls a user-class b's reflected method itself once we decline. */
        if (mn_is_obj(b) && (mn_obj(b)->type->flags & TF_HEAPTYPE)) {
            *out = mn_NotImplemented;
            return 1;
        }
        return 0;
    }
    Value r = mn_binop_try_right(op, a, b);
    if (r == mn_NotImplemented)
        return 0;
    *out = r;
    return 1;
}

Value mn_inplace(BinOp op, Value a, Value b)
{
    Type *ta = mn_typeof(a);
    if (ta->inplace) {
        Value r = ta->inplace(op, a, b);
        if (r != mn_NotImplemented)
            return r;
    }
    Value r = binop1(op, a, b);
    if (r == mn_NotImplemented)
        return binop_error(op, a, b, true);
    return r;
}

Value mn_unop(UnOp op, Value a)
{
    static const char sym[] = "-+~";
    Type *t = mn_typeof(a);
    if (t->unop) {
        Value r = t->unop(op, a);
        if (r != mn_NotImplemented)
            return r;
    }
    return mn_raise(&TypeErrorType, "bad operand type for unary %c: '%s'", sym[op], t->name);
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */
/* ------------------------------------------------------------------ */

Value om_attr_error(Value obj, Value name)
{
    const char *n = mn_cstr(name);
    if (mn_isinstance_t(obj, &TypeType))
        mn_raise(&AttributeErrorType, "type object '%s' has no attribute '%s'",
                 AS(Type, obj)->name, n);
    else if (mn_isinstance_t(obj, &ModuleType)) {
        Value mn = mn_dict_get_str(AS(ModuleObject, obj)->dict, MN_ID(__name__));
        if (mn && mn_is_str(mn))
            mn_raise(&AttributeErrorType, "module '%s' has no attribute '%s'", mn_cstr(mn), n);
        else
            mn_raise(&AttributeErrorType, "module has no attribute '%s'", n);
    } else {
        mn_raise(&AttributeErrorType, "'%s' object has no attribute '%s'", mn_type_name(obj), n);
    }
    return MN_ERR;
}

/*
 * The generic algorithm: a data descriptor on the type wins, then the
 * instance dict, then a non-data descriptor (binding functions) or plain
 * class attribute.
 */
Value om_generic_getattr(Value obj, Value name, bool suppress)
{
    Type *t = mn_typeof(obj);
    Value attr = mn_type_lookup(t, name);
    Value (*get)(Value, Value, Type *) = NULL;
    if (attr) {
        Type *at = mn_typeof(attr);
        get = at->descr_get;
        if (get && at->descr_set)
            return get(attr, obj, t);
    }
    if (t->dictoffset && mn_is_obj(obj)) {
        Value d = __atomic_load_n(om_dict_ptr(obj, t), __ATOMIC_ACQUIRE);
        if (d) {
            Value v = mn_dict_get_str(d, name);
            if (v)
                return v;
        }
    }
    if (attr)
        return get ? get(attr, obj, t) : attr;
    if (suppress)
        return 0;
    return om_attr_error(obj, name);
}

Value mn_generic_getattr(Value obj, Value name)
{
    return om_generic_getattr(obj, name, false);
}

static Value bad_attr_name(Value name)
{
    return mn_raise(&TypeErrorType, "attribute name must be string, not '%s'",
                    mn_type_name(name));
}

Value mn_getattr(Value obj, Value name)
{
    if (__builtin_expect(!mn_is_str(name), 0))
        return bad_attr_name(name);
    Type *t = mn_typeof(obj);
    if (t->getattr == mn_generic_getattr || !t->getattr)
        return om_generic_getattr(obj, name, false);
    return t->getattr(obj, name);
}

static Value intern_literal(const char *s);

Value mn_getattr_s(Value obj, const char *name)
{
    return mn_getattr(obj, intern_literal(name));
}

Value mn_getattr_opt(Value obj, Value name)
{
    if (!mn_is_str(name))
        return bad_attr_name(name);
    Type *t = mn_typeof(obj);
    Value v;
    if (t->getattr == mn_generic_getattr || !t->getattr)
        v = om_generic_getattr(obj, name, true);
    else if (t->getattr == TypeType.getattr)
        v = om_type_getattr_opt(obj, name);
    else
        v = t->getattr(obj, name);
    if (!v && mn_exc_matches(&AttributeErrorType)) {
        mn_exc_clear();
        return 0;
    }
    return v;
}

int mn_generic_setattr(Value obj, Value name, Value v)
{
    Type *t = mn_typeof(obj);
    Value attr = mn_type_lookup(t, name);
    if (attr) {
        Type *at = mn_typeof(attr);
        if (at->descr_set)
            return at->descr_set(attr, obj, v);
    }
    if (t->dictoffset && mn_is_obj(obj)) {
        Value d = om_instance_dict(obj, v != 0);
        if (v) {
            if (!AS(StrObject, name)->interned)
                name = mn_intern_value(name);
            if (MN_IS_EXACT(d, DictType)) {
                mn_dict_set_str(d, name, v);
                return 0;
            }
            return mn_setitem(d, name, v);
        }
        if (d && mn_dict_get_str(d, name))
            return mn_dict_del(d, name);
        om_attr_error(obj, name);
        return -1;
    }
    if (attr)
        return mn_raise_int(&AttributeErrorType, "'%s' object attribute '%s' is read-only",
                            t->name, mn_cstr(name));
    om_attr_error(obj, name);
    return -1;
}

int mn_setattr(Value obj, Value name, Value v)
{
    if (__builtin_expect(!mn_is_str(name), 0)) {
        bad_attr_name(name);
        return -1;
    }
    Type *t = mn_typeof(obj);
    if (t->setattr)
        return t->setattr(obj, name, v);
    return mn_generic_setattr(obj, name, v);
}

bool om_is_plain_method(Value f)
{
    if (!mn_is_obj(f))
        return false;
    Type *ft = mn_obj(f)->type;
    return ft == &FunctionType || ft == &WrapperDescrType
        || (ft == &MethodDescrType && !(AS(MethodDescrObject, f)->def->flags & METH_CLASS));
}

Value mn_lookup_method(Value obj, Value name, Value *self_out)
{
    Type *t = mn_typeof(obj);
    *self_out = 0;
    if (t->getattr != mn_generic_getattr && t->getattr) {
        if (t == &SuperType) {
            /* super().m(...): find m past the class without binding. */
            SuperObject *s = AS(SuperObject, obj);
            bool found;
            Value v = om_super_lookup(s, name, &found);
            if (found && om_is_plain_method(v) && s->obj && s->obj != mn_val(s->obj_type)) {
                *self_out = s->obj;
                return v;
            }
        }
        return t->getattr(obj, name);
    }
    Value attr = mn_type_lookup(t, name);
    Value (*get)(Value, Value, Type *) = NULL;
    if (attr) {
        if (om_is_plain_method(attr)) {
            if (t->dictoffset && mn_is_obj(obj)) {
                Value d = __atomic_load_n(om_dict_ptr(obj, t), __ATOMIC_ACQUIRE);
                if (d) {
                    Value v = mn_dict_get_str(d, name);
                    if (v)
                        return v;
                }
            }
            *self_out = obj;
            return attr;
        }
        Type *at = mn_typeof(attr);
        get = at->descr_get;
        if (get && at->descr_set)
            return get(attr, obj, t);
    }
    if (t->dictoffset && mn_is_obj(obj)) {
        Value d = __atomic_load_n(om_dict_ptr(obj, t), __ATOMIC_ACQUIRE);
        if (d) {
            Value v = mn_dict_get_str(d, name);
            if (v)
                return v;
        }
    }
    if (attr)
        return get ? get(attr, obj, t) : attr;
    return om_attr_error(obj, name);
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

Value mn_call(Value f, Value *args, int nargs, Value kwargs)
{
    Type *t = mn_typeof(f);
    if (__builtin_expect(!t->call, 0))
        return mn_raise(&TypeErrorType, "'%s' object is not callable", t->name);
    return t->call(f, args, nargs, kwargs);
}

Value mn_call0(Value f)
{
    return mn_call(f, NULL, 0, 0);
}

Value mn_call1(Value f, Value a)
{
    return mn_call(f, &a, 1, 0);
}

Value mn_call2(Value f, Value a, Value b)
{
    Value args[2] = {a, b};
    return mn_call(f, args, 2, 0);
}

Value om_call_unbound(Value f, Value self, Value *args, int nargs, Value kwargs)
{
    if (om_is_plain_method(f)) {
        Value buf[8];
        Value *argv = om_prepend(self, args, nargs, buf, 8);
        return mn_call(f, argv, nargs + 1, kwargs);
    }
    Type *ft = mn_typeof(f);
    if (ft->descr_get) {
        Value bound = ft->descr_get(f, self, mn_typeof(self));
        if (!bound)
            return MN_ERR;
        return mn_call(bound, args, nargs, kwargs);
    }
    return mn_call(f, args, nargs, kwargs);
}

/* C string -> interned name, cached by the string's address (callers
 * usually pass literals; the content is compared too, in case the same
 * buffer is reused for another name).  Entries are immutable once
 * published, so a racing reader sees a whole entry or the old one. */
typedef struct { const char *key; Value name; } NameCacheEntry;
static NameCacheEntry *name_cache[256];

static Value intern_literal(const char *s)
{
    size_t h = ((uintptr_t)s >> 3) & 255;
    NameCacheEntry *e = __atomic_load_n(&name_cache[h], __ATOMIC_ACQUIRE);
    if (e && e->key == s && !strcmp(mn_cstr(e->name), s))
        return e->name;
    Value name = mn_intern(s);
    NameCacheEntry *ne = gc_alloc(sizeof *ne);
    ne->key = s;
    ne->name = name;
    __atomic_store_n(&name_cache[h], ne, __ATOMIC_RELEASE);
    return name;
}

Value mn_call_method(Value obj, const char *name, Value *args, int nargs)
{
    Value self;
    Value f = mn_lookup_method(obj, intern_literal(name), &self);
    if (!f)
        return MN_ERR;
    if (!self)
        return mn_call(f, args, nargs, 0);
    Value buf[8];
    Value *argv = om_prepend(self, args, nargs, buf, 8);
    return mn_call(f, argv, nargs + 1, 0);
}

Value mn_call_special(Value obj, Value name, Value *args, int nargs)
{
    Value f = mn_type_lookup(mn_typeof(obj), name);
    if (!f)
        return 0;
    return om_call_unbound(f, obj, args, nargs, 0);
}

/* ------------------------------------------------------------------ */
/* Iteration, length, subscripts, membership                           */
/* ------------------------------------------------------------------ */

Value mn_iter(Value v)
{
    Type *t = mn_typeof(v);
    if (t->iter) {
        Value r = t->iter(v);
        if (r && !mn_typeof(r)->next)
            return mn_raise(&TypeErrorType, "iter() returned non-iterator of type '%s'",
                            mn_type_name(r));
        return r;
    }
    if (t->getitem && !(t->flags & TF_DICT_SUB))
        return mn_seqiter_new(v);
    return mn_raise(&TypeErrorType, "'%s' object is not iterable", t->name);
}

Value mn_next(Value it)
{
    Type *t = mn_typeof(it);
    if (__builtin_expect(!t->next, 0))
        return mn_raise(&TypeErrorType, "'%s' object is not an iterator", t->name);
    return t->next(it);
}

int64_t mn_len(Value v)
{
    Type *t = mn_typeof(v);
    if (!t->len)
        return mn_raise_int(&TypeErrorType, "object of type '%s' has no len()", t->name);
    return t->len(v);
}

/* Builtin classes that can be parameterised: list[int] ... */
static bool builtin_generic(Type *t)
{
    for (; t; t = t->base)
        if (t == &ListType || t == &DictType || t == &TupleType || t == &SetType
            || t == &FrozenSetType || t == &TypeType)
            return true;
    return false;
}

Value mn_getitem(Value obj, Value key)
{
    Type *t = mn_typeof(obj);
    if (t->getitem)
        return t->getitem(obj, key);
    if (t->flags & TF_TYPE_SUB) {
        Type *ct = AS(Type, obj);
        Value f = mn_type_lookup(ct, om_id_class_getitem);
        if (f) {
            Type *ft = mn_typeof(f);
            Value bound = ft->descr_get ? ft->descr_get(f, 0, ct) : f;
            return bound ? mn_call1(bound, key) : MN_ERR;
        }
        if (builtin_generic(ct))
            return om_alias_new(obj, key);
        return mn_raise(&TypeErrorType, "type '%s' is not subscriptable", ct->name);
    }
    return mn_raise(&TypeErrorType, "'%s' object is not subscriptable", t->name);
}

/* CPython's PyObject_SetItem/DelItem failures: for a type with sequence
 * methods (here: item access, `in`, or any user class) an index key goes
 * through PySequence_SetItem/DelItem -- a too-big index is an IndexError
 * there, and deletion words its error "doesn't" instead of "does not". */
static int setitem_error(Type *t, Value key, bool set)
{
    const char *verb = "does not";
    bool seq = (t->flags & TF_HEAPTYPE) || t->getitem || t->contains;
    if (seq && (mn_is_intlike(key) ||
                (mn_is_obj(key) && mn_type_lookup(mn_typeof(key), MN_ID(__index__))))) {
        int64_t n;
        if (mn_as_index(key, &n) < 0) {
            if (mn_exc_matches(&OverflowErrorType)) {
                mn_exc_clear();
                mn_raise(&IndexErrorType, "cannot fit 'int' into an index-sized integer");
            }
            return -1;
        }
        if (!set)
            verb = "doesn't";
    }
    return mn_raise_int(&TypeErrorType, "'%s' object %s support item %s", t->name, verb,
                        set ? "assignment" : "deletion");
}

int mn_setitem(Value obj, Value key, Value v)
{
    Type *t = mn_typeof(obj);
    if (t->setitem)
        return t->setitem(obj, key, v);
    return setitem_error(t, key, v != 0);
}

int mn_contains(Value container, Value x)
{
    Type *t = mn_typeof(container);
    if (t->contains)
        return t->contains(container, x);
    if (!t->iter && !t->getitem)
        return mn_raise_int(&TypeErrorType, "argument of type '%s' is not iterable", t->name);
    Value it = mn_iter(container);
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

/* ------------------------------------------------------------------ */
/* isinstance / issubclass                                             */
/* ------------------------------------------------------------------ */

int mn_isinstance(Value v, Value cls)
{
    if (mn_is_obj(cls) && (mn_obj(cls)->type->flags & TF_TYPE_SUB))
        return mn_isinstance_t(v, AS(Type, cls));
    if (mn_is_tuple(cls)) {
        for (int64_t i = 0; i < mn_tuple_len(cls); i++) {
            int r = mn_isinstance(v, mn_tuple_items(cls)[i]);
            if (r)
                return r;
        }
        return 0;
    }
    Value members = om_union_args(cls);
    if (members)
        return mn_isinstance(v, members);
    if (om_is_generic_alias(cls))
        return mn_raise_int(&TypeErrorType, "isinstance() argument 2 cannot be a "
                            "parameterized generic");
    return mn_raise_int(&TypeErrorType, "isinstance() arg 2 must be a type, a tuple of "
                        "types, or a union");
}

static int issubclass_inner(Type *d, Value cls)
{
    if (mn_is_obj(cls) && (mn_obj(cls)->type->flags & TF_TYPE_SUB))
        return mn_is_subtype(d, AS(Type, cls));
    if (mn_is_tuple(cls)) {
        for (int64_t i = 0; i < mn_tuple_len(cls); i++) {
            int r = issubclass_inner(d, mn_tuple_items(cls)[i]);
            if (r)
                return r;
        }
        return 0;
    }
    Value members = om_union_args(cls);
    if (members)
        return issubclass_inner(d, members);
    if (om_is_generic_alias(cls))
        return mn_raise_int(&TypeErrorType, "issubclass() argument 2 cannot be a "
                            "parameterized generic");
    return mn_raise_int(&TypeErrorType, "issubclass() arg 2 must be a class, a tuple of "
                        "classes, or a union");
}

int mn_issubclass(Value derived, Value cls)
{
    if (!mn_isinstance_t(derived, &TypeType))
        return mn_raise_int(&TypeErrorType, "issubclass() arg 1 must be a class");
    return issubclass_inner(AS(Type, derived), cls);
}

/* ------------------------------------------------------------------ */
/* format()                                                            */
/* ------------------------------------------------------------------ */

Value mn_format(Value v, Value spec)
{
    if (!spec)
        spec = mn_str("");
    Type *t = mn_typeof(v);
    bool user = (t->flags & TF_HEAPTYPE) && om_is_heap_defined(t, MN_ID(__format__));
    if (!user) {
        /* Every builtin __format__ gives str(v) for an empty spec. */
        if (mn_str_len(spec) == 0)
            return mn_to_str(v);
        if (mn_is_intlike(v))
            return mn_int_format(v, spec);
        if (mn_isinstance_t(v, &FloatType))
            return mn_float_format(v, spec);
        if (t->flags & TF_STR_SUB)
            return mn_str_format_spec(v, spec);
    }
    Value f = mn_type_lookup(t, MN_ID(__format__));
    if (!f)
        return mn_raise(&TypeErrorType, "Type %s doesn't define __format__", t->name);
    Value r = om_call_unbound(f, v, &spec, 1, 0);
    if (r && !mn_is_str(r))
        return mn_raise(&TypeErrorType, "__format__ must return a str, not %s",
                        mn_type_name(r));
    return r;
}

/* ------------------------------------------------------------------ */
/* Argument parsing                                                    */
/* ------------------------------------------------------------------ */

#define MAX_PARAMS 32

typedef struct {
    const char *name;
    int len;
} Param;

/* CPython's _PyArg_UnpackKeywords messages. */
int mn_argparse(const char *fname, Value *args, int nargs, Value kwargs,
                const char *spec, Value *out)
{
    Param p[MAX_PARAMS];
    int n = 0, posonly = 0, minpos = -1, maxpos = -1;
    for (const char *s = spec; *s;) {
        if (*s == ',' || *s == ' ') {
            s++;
        } else if (*s == '|') {
            if (minpos < 0)
                minpos = n;
            s++;
        } else if (*s == '$') {
            if (maxpos < 0)
                maxpos = n;
            s++;
        } else if (*s == '/') {
            posonly = n;
            s++;
        } else {
            const char *e = s;
            while (*e && *e != ',' && *e != '|' && *e != '$' && *e != '/' && *e != ' ')
                e++;
            if (n < MAX_PARAMS) {
                p[n].name = s;
                p[n].len = (int)(e - s);
                n++;
            }
            s = e;
        }
    }
    if (minpos < 0)
        minpos = n;
    if (maxpos < 0)
        maxpos = n;
    /* Required keyword-only parameters: those after '$' but before '|'. */
    int reqlimit = minpos > maxpos ? minpos : maxpos;
    if (minpos > maxpos)
        minpos = maxpos;
    int64_t nkw = kwargs ? mn_dict_len(kwargs) : 0;

    for (int i = 0; i < n; i++)
        out[i] = 0;
    if (nkw == 0 && nargs >= minpos && nargs <= maxpos && reqlimit <= maxpos) {
        for (int i = 0; i < nargs; i++)
            out[i] = args[i];
        return 0;
    }
    if (nargs + nkw > n)
        return mn_raise_int(&TypeErrorType, "%s() takes at most %d %sargument%s (%d given)",
                            fname, n, nargs == 0 ? "keyword " : "", n == 1 ? "" : "s",
                            (int)(nargs + nkw));
    if (nargs > maxpos) {
        if (maxpos == 0)
            return mn_raise_int(&TypeErrorType, "%s() takes no positional arguments", fname);
        return mn_raise_int(&TypeErrorType, "%s() takes %s %d positional argument%s (%d given)",
                            fname, minpos < maxpos ? "at most" : "exactly", maxpos,
                            maxpos == 1 ? "" : "s", nargs);
    }
    if (nargs < posonly && posonly <= minpos)
        return mn_raise_int(&TypeErrorType, "%s() takes %s %d positional argument%s (%d given)",
                            fname, posonly < maxpos ? "at least" : "exactly", posonly,
                            posonly == 1 ? "" : "s", nargs);
    for (int i = 0; i < nargs; i++)
        out[i] = args[i];
    int64_t used = 0;
    for (int i = nargs > posonly ? nargs : posonly; i < n; i++) {
        Value v = 0;
        if (nkw) {
            int64_t pos = 0;
            Value k, val;
            while (mn_dict_next(kwargs, &pos, &k, &val)) {
                if (mn_is_str(k) && mn_str_len(k) == p[i].len
                    && !memcmp(mn_cstr(k), p[i].name, (size_t)p[i].len)) {
                    v = val;
                    break;
                }
            }
        }
        if (v) {
            out[i] = v;
            used++;
        } else if (i < minpos || (maxpos <= i && i < reqlimit)) {
            return mn_raise_int(&TypeErrorType, "%s() missing required argument '%.*s' "
                                "(pos %d)", fname, p[i].len, p[i].name, i + 1);
        }
    }
    if (used < nkw) {
        int64_t pos = 0;
        Value k, val;
        while (mn_dict_next(kwargs, &pos, &k, &val)) {
            if (!mn_is_str(k))
                return mn_raise_int(&TypeErrorType, "keywords must be strings");
            int idx = -1;
            for (int i = 0; i < n; i++)
                if (mn_str_len(k) == p[i].len
                    && !memcmp(mn_cstr(k), p[i].name, (size_t)p[i].len))
                    idx = i;
            if (idx >= posonly && idx < nargs)
                return mn_raise_int(&TypeErrorType, "argument for %s() given by name ('%s') "
                                    "and position (%d)", fname, mn_cstr(k), idx + 1);
            if (idx < posonly)
                return mn_raise_int(&TypeErrorType, "'%s' is an invalid keyword argument "
                                    "for %s()", mn_cstr(k), fname);
        }
    }
    return 0;
}

int mn_argcheck(const char *fname, int nargs, Value kwargs, int min, int max)
{
    if (!kwargs_empty(kwargs))
        return mn_raise_int(&TypeErrorType, "%s() takes no keyword arguments", fname);
    if (nargs >= min && nargs <= max)
        return 0;
    if (min == 1 && max == 1)
        return mn_raise_int(&TypeErrorType, "%s() takes exactly one argument (%d given)",
                            fname, nargs);
    if (min == 0 && max == 0)
        return mn_raise_int(&TypeErrorType, "%s() takes no arguments (%d given)", fname, nargs);
    if (nargs < min)
        return mn_raise_int(&TypeErrorType, "%s expected %s%d argument%s, got %d", fname,
                            min == max ? "" : "at least ", min, min == 1 ? "" : "s", nargs);
    return mn_raise_int(&TypeErrorType, "%s expected %s%d argument%s, got %d", fname,
                        min == max ? "" : "at most ", max, max == 1 ? "" : "s", nargs);
}
