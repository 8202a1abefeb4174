/*
 * object.c -- `object`, the root of every class, plus the singleton types
 * (None, NotImplemented, Ellipsis) and object allocation.
 *
 * object's slots are the defaults everything inherits: identity hash and
 * equality, "<__main__.P object at 0x...>" repr, the generic attribute
 * algorithm, and CPython's rules for surplus constructor arguments.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "objmodel.h"

/* ------------------------------------------------------------------ */
/* Allocation                                                          */
/* ------------------------------------------------------------------ */

/* Instances of a user subclass of a variable-size builtin carry their
 * dict in a word in front of the object (see TF_VARSIZE).  The collector
 * recognises interior pointers, so the object pointer keeps the whole
 * block alive. */
static bool dict_in_front(Type *t)
{
    return (t->flags & (TF_HEAPTYPE | TF_VARSIZE)) == (TF_HEAPTYPE | TF_VARSIZE)
        && t->dictoffset == (size_t)-(intptr_t)sizeof(Value);
}

void *mn_alloc_obj(Type *t, size_t size)
{
    if (!size)
        size = t->basicsize;
    Object *o;
    if (t->flags & TF_HEAPTYPE) {
        if (dict_in_front(t)) {
            o = (Object *)((char *)gc_alloc(size + sizeof(Value)) + sizeof(Value));
        } else {
            /* A builtin base may pass its own struct size: make room for
             * the subclass's dict and __slots__ too. */
            if (size < t->basicsize)
                size = t->basicsize;
            o = gc_alloc(size);
        }
    } else {
        o = gc_alloc(size);
    }
    o->type = t;
    return o;
}

void *mn_alloc_obj_atomic(Type *t, size_t size)
{
    /* A user subclass instance holds a dict: it must be scanned. */
    if (t->flags & TF_HEAPTYPE)
        return mn_alloc_obj(t, size);
    Object *o = gc_alloc_atomic(size ? size : t->basicsize);
    o->type = t;
    return o;
}

Value om_instance_dict(Value obj, bool create)
{
    if (!mn_is_obj(obj))
        return 0;
    Type *t = mn_obj(obj)->type;
    if (!t->dictoffset)
        return 0;
    Value *dp = om_dict_ptr(obj, t);
    Value d = __atomic_load_n(dp, __ATOMIC_ACQUIRE);
    if (d || !create)
        return d;
    Value nd = mn_dict_new();
    Value expected = 0;
    /* Two threads may race to create it: the loser adopts the winner's. */
    if (__atomic_compare_exchange_n(dp, &expected, nd, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return nd;
    return expected;
}

/* ------------------------------------------------------------------ */
/* object                                                              */
/* ------------------------------------------------------------------ */

static bool excess_args(int nargs, Value kwargs)
{
    return nargs > 0 || (kwargs && mn_dict_len(kwargs) > 0);
}

Value om_object_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (excess_args(nargs, kwargs)) {
        if (t->new != om_object_new)
            return mn_raise(&TypeErrorType, "object.__new__() takes exactly one "
                            "argument (the type to instantiate)");
        if (t->init == om_object_init)
            return mn_raise(&TypeErrorType, "%s() takes no arguments", t->name);
    }
    return mn_val(mn_alloc_obj(t, 0));
}

int om_object_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (excess_args(nargs, kwargs)) {
        Type *t = mn_typeof(self);
        if (t->init != om_object_init)
            return mn_raise_int(&TypeErrorType, "object.__init__() takes exactly "
                                "one argument (the instance to initialize)");
        if (t->new == om_object_new)
            return mn_raise_int(&TypeErrorType, "%s.__init__() takes exactly one argument "
                                "(the instance to initialize)", t->name);
    }
    return 0;
}

Value mn_default_repr(Value v)
{
    Type *t = mn_typeof(v);
    const char *mod = om_type_module(t);
    const char *qn = om_type_qualname(t);
    if (!strcmp(mod, "builtins"))
        return mn_str_fmt("<%s object at 0x%" PRIxPTR ">", qn, (uintptr_t)v);
    return mn_str_fmt("<%s.%s object at 0x%" PRIxPTR ">", mod, qn, (uintptr_t)v);
}

static Value object_str(Value self)
{
    return mn_repr(self);
}

static int object_hash(Value self, int64_t *out)
{
    /* Identity: the address without its always-zero low bits. */
    *out = (int64_t)(self >> 4);
    return 0;
}

static Value object_richcmp(Value a, Value b, CmpOp op)
{
    switch (op) {
    case CMP_EQ:
        return a == b ? mn_True : mn_NotImplemented;
    case CMP_NE: {
        /* Default __ne__ inverts whatever __eq__ says. */
        Type *t = mn_typeof(a);
        if (!t->richcmp)
            return mn_NotImplemented;
        Value r = t->richcmp(a, b, CMP_EQ);
        if (!r || r == mn_NotImplemented)
            return r;
        int truth = mn_truthy(r);
        if (truth < 0)
            return MN_ERR;
        return mn_bool(!truth);
    }
    default:
        return mn_NotImplemented;
    }
}

static Value object_format(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__format__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value spec = args[1];
    if (!mn_is_str(spec))
        return mn_raise(&TypeErrorType, "__format__() argument must be str, not %s",
                        mn_type_name(spec));
    if (mn_str_len(spec) > 0)
        return mn_raise(&TypeErrorType, "unsupported format string passed to %s.__format__",
                        mn_typeof(args[0])->name);
    return mn_to_str(args[0]);
}

/* Names visible on obj: its dict's keys plus everything on its class
 * chain (dir() sorts them). */
static int add_keys(Value seen, Value d)
{
    int64_t pos = 0;
    Value k, v;
    while (mn_dict_next(d, &pos, &k, &v))
        if (mn_dict_set(seen, k, mn_None) < 0)
            return -1;
    return 0;
}

static Value object_dir(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__dir__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value self = args[0];
    Value seen = mn_dict_new();
    Value d = om_instance_dict(self, false);
    if (d && mn_is_dict(d) && add_keys(seen, d) < 0)
        return MN_ERR;
    for (Type *t = mn_typeof(self); t; t = t->base)
        if (t->dict && add_keys(seen, t->dict) < 0)
            return MN_ERR;
    return mn_dict_keys_list(seen);
}

static Value object_init_subclass(Value *args, int nargs, Value kwargs)
{
    /* args[0] is the new class.  object's version accepts nothing. */
    if (nargs > 1 || (kwargs && mn_dict_len(kwargs) > 0))
        return mn_raise(&TypeErrorType, "%s.__init_subclass__() takes no keyword arguments",
                        mn_is_obj(args[0]) ? AS(Type, args[0])->name : "object");
    return mn_None;
}

static Value object_reduce_ex(Value *args, int nargs, Value kwargs)
{
    return mn_raise(&TypeErrorType, "cannot pickle '%s' object", mn_type_name(args[0]));
}

static Value object_getstate(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__getstate__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value d = om_instance_dict(args[0], false);
    return d && mn_is_dict(d) && mn_dict_len(d) > 0 ? d : mn_None;
}

static Value object_subclasshook(Value *args, int nargs, Value kwargs)
{
    return mn_NotImplemented;
}

static Value object_sizeof(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__sizeof__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int((intptr_t)mn_typeof(args[0])->basicsize);
}

static MethodDef object_methods[] = {
    {"__reduce_ex__", object_reduce_ex, 0, NULL},
    {"__reduce__", object_reduce_ex, 0, NULL},
    {"__getstate__", object_getstate, 0, NULL},
    {"__subclasshook__", object_subclasshook, METH_CLASS, NULL},
    {"__init_subclass__", object_init_subclass, METH_CLASS, NULL},
    {"__format__", object_format, 0, NULL},
    {"__sizeof__", object_sizeof, 0, NULL},
    {"__dir__", object_dir, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static Value object_get_class(Value self)
{
    return mn_val(mn_typeof(self));
}

/* The builtin type whose layout a class's instances have. */
static Type *solid_base(Type *t)
{
    while (t->flags & TF_HEAPTYPE)
        t = t->base;
    return t;
}

static int object_set_class(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&TypeErrorType, "can't delete __class__ attribute");
    if (!mn_isinstance_t(v, &TypeType))
        return mn_raise_int(&TypeErrorType, "__class__ must be set to a class, not '%s' object",
                            mn_type_name(v));
    Type *old = mn_typeof(self), *nt = AS(Type, v);
    if (!(old->flags & TF_HEAPTYPE) || !(nt->flags & TF_HEAPTYPE))
        return mn_raise_int(&TypeErrorType, "__class__ assignment only supported for "
                            "mutable types or ModuleType subclasses");
    if (solid_base(old) != solid_base(nt) || old->basicsize != nt->basicsize
        || old->dictoffset != nt->dictoffset)
        return mn_raise_int(&TypeErrorType, "__class__ assignment: '%s' object layout "
                            "differs from '%s'", nt->name, old->name);
    __atomic_store_n(&mn_obj(self)->type, nt, __ATOMIC_RELEASE);
    return 0;
}

static Value object_get_dict(Value self)
{
    Value d = om_instance_dict(self, true);
    if (!d)
        return mn_raise(&AttributeErrorType, "'%s' object has no attribute '__dict__'",
                        mn_type_name(self));
    return d;
}

static int object_set_dict(Value self, Value v)
{
    Type *t = mn_typeof(self);
    if (!t->dictoffset || !mn_is_obj(self))
        return mn_raise_int(&AttributeErrorType, "'%s' object has no attribute '__dict__'",
                            t->name);
    if (!v)
        return mn_raise_int(&TypeErrorType, "cannot delete __dict__");
    if (!mn_is_dict(v))
        return mn_raise_int(&TypeErrorType, "__dict__ must be set to a dictionary, not a '%s'",
                            mn_type_name(v));
    __atomic_store_n(om_dict_ptr(self, t), v, __ATOMIC_RELEASE);
    return 0;
}

static GetSetDef object_getset[] = {
    {"__class__", object_get_class, object_set_class},
    {NULL, NULL, NULL},
};

static Value object_get_weakref(Value self)
{
    return mn_None;
}

/* Put in the dict of each type whose instances gain a dict (see
 * om_add_dict_descriptors): what `obj.__dict__` finds. */
GetSetDef om_dict_getset[] = {
    {"__dict__", object_get_dict, object_set_dict},
    {"__weakref__", object_get_weakref, NULL},
    {NULL, NULL, NULL},
};

Type ObjectType = {
    .hdr = {&TypeType},
    .name = "object",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(Object),
    .methods = object_methods,
    .getset = object_getset,
    .new = om_object_new,
    .init = om_object_init,
    .repr = mn_default_repr,
    .str = object_str,
    .hash = object_hash,
    .richcmp = object_richcmp,
    .getattr = mn_generic_getattr,
    .setattr = mn_generic_setattr,
};

/* ------------------------------------------------------------------ */
/* None, NotImplemented, Ellipsis                                      */
/* ------------------------------------------------------------------ */

static Value none_repr(Value self) { return mn_str("None"); }
static int none_truthy(Value self) { return 0; }

static Value none_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (excess_args(nargs, kwargs))
        return mn_raise(&TypeErrorType, "NoneType takes no arguments");
    return mn_None;
}

Type NoneType = {
    .hdr = {&TypeType},
    .name = "NoneType",
    .basicsize = sizeof(Object),
    .new = none_new,
    .repr = none_repr,
    .truthy = none_truthy,
};

static Value notimpl_repr(Value self) { return mn_str("NotImplemented"); }

static Value notimpl_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (excess_args(nargs, kwargs))
        return mn_raise(&TypeErrorType, "NotImplementedType takes no arguments");
    return mn_NotImplemented;
}

Type NotImplementedType = {
    .hdr = {&TypeType},
    .name = "NotImplementedType",
    .basicsize = sizeof(Object),
    .new = notimpl_new,
    .repr = notimpl_repr,
};

static Value ellipsis_repr(Value self) { return mn_str("Ellipsis"); }

static Value ellipsis_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (excess_args(nargs, kwargs))
        return mn_raise(&TypeErrorType, "ellipsis takes no arguments");
    return mn_Ellipsis;
}

Type EllipsisType = {
    .hdr = {&TypeType},
    .name = "ellipsis",
    .basicsize = sizeof(Object),
    .new = ellipsis_new,
    .repr = ellipsis_repr,
};

Object mn_None_obj = {&NoneType};
Object mn_NotImplemented_obj = {&NotImplementedType};
Object mn_Ellipsis_obj = {&EllipsisType};

void mn_init_object(void)
{
    static Type *const types[] = {&ObjectType, &NoneType, &NotImplementedType,
                                  &EllipsisType};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (mn_type_ready(types[i]) < 0)
            abort();
}
