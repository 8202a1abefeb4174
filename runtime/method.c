/*
 * method.c -- callables and descriptors that are not mini functions:
 * builtin functions (bound or not), method descriptors of builtin types,
 * bound methods, classmethod / staticmethod / property, getset and
 * member descriptors, and slot wrappers (list.__len__, object.__init__).
 *
 * Binding never happens on the hot path of a method call: the VM calls
 * mn_lookup_method, which hands back the descriptor and self separately,
 * and calling a method descriptor with self as args[0] goes straight to
 * the C function.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "objmodel.h"

/* Up to `bufn` arguments with `first` in front, without allocating. */
Value *om_prepend(Value first, Value *args, int nargs, Value *buf, int bufn)
{
    Value *argv = nargs + 1 <= bufn ? buf : gc_alloc(sizeof(Value) * (size_t)(nargs + 1));
    argv[0] = first;
    if (nargs)
        memcpy(argv + 1, args, sizeof(Value) * (size_t)nargs);
    return argv;
}

static bool no_kwargs(Value kwargs)
{
    return !kwargs || mn_dict_len(kwargs) == 0;
}

static Value str_or_none(const char *s)
{
    return s ? mn_str(s) : mn_None;
}

/* ------------------------------------------------------------------ */
/* Builtin functions                                                   */
/* ------------------------------------------------------------------ */

Value mn_native_new(const char *name, CFunc fn, Value self)
{
    NativeFunctionObject *f = mn_alloc_obj(&NativeFunctionType, sizeof *f);
    f->name = name;
    f->fn = fn;
    f->self = self;
    return mn_val(f);
}

static Value native_call(Value self, Value *args, int nargs, Value kwargs)
{
    NativeFunctionObject *f = AS(NativeFunctionObject, self);
    if (!f->self)
        return f->fn(args, nargs, kwargs);
    Value buf[8];
    Value *argv = om_prepend(f->self, args, nargs, buf, 8);
    return f->fn(argv, nargs + 1, kwargs);
}

static Value native_repr(Value self)
{
    NativeFunctionObject *f = AS(NativeFunctionObject, self);
    if (!f->self || MN_IS_EXACT(f->self, ModuleType))
        return mn_str_fmt("<built-in function %s>", f->name);
    return mn_str_fmt("<built-in method %s of %s object at 0x%" PRIxPTR ">", f->name,
                      mn_type_name(f->self), (uintptr_t)f->self);
}

static Value native_richcmp(Value a, Value b, CmpOp op)
{
    if ((op != CMP_EQ && op != CMP_NE) || !MN_IS_EXACT(b, NativeFunctionType))
        return mn_NotImplemented;
    NativeFunctionObject *x = AS(NativeFunctionObject, a), *y = AS(NativeFunctionObject, b);
    bool eq = x->fn == y->fn && x->self == y->self && !strcmp(x->name, y->name);
    return mn_bool(op == CMP_EQ ? eq : !eq);
}

static int native_hash(Value self, int64_t *out)
{
    NativeFunctionObject *f = AS(NativeFunctionObject, self);
    *out = (int64_t)(((uintptr_t)f->fn >> 4) ^ (f->self >> 4));
    if (*out == -1)
        *out = -2;
    return 0;
}

static Value native_get_name(Value self) { return mn_str(AS(NativeFunctionObject, self)->name); }

static Value native_get_qualname(Value self)
{
    NativeFunctionObject *f = AS(NativeFunctionObject, self);
    if (!f->self || MN_IS_EXACT(f->self, ModuleType))
        return mn_str(f->name);
    Type *t = mn_isinstance_t(f->self, &TypeType) ? AS(Type, f->self) : mn_typeof(f->self);
    return mn_str_fmt("%s.%s", t->name, f->name);
}

static Value native_get_self(Value self)
{
    NativeFunctionObject *f = AS(NativeFunctionObject, self);
    return f->self ? f->self : mn_None;
}

static Value native_get_module(Value self)
{
    NativeFunctionObject *f = AS(NativeFunctionObject, self);
    return f->module ? f->module : mn_None;
}

static Value get_none(Value self) { return mn_None; }

static GetSetDef native_getset[] = {
    {"__name__", native_get_name, NULL},
    {"__qualname__", native_get_qualname, NULL},
    {"__self__", native_get_self, NULL},
    {"__module__", native_get_module, NULL},
    {"__doc__", get_none, NULL},
    {NULL, NULL, NULL},
};

Type NativeFunctionType = {
    .hdr = {&TypeType},
    .name = "builtin_function_or_method",
    .basicsize = sizeof(NativeFunctionObject),
    .getset = native_getset,
    .repr = native_repr,
    .richcmp = native_richcmp,
    .hash = native_hash,
    .call = native_call,
};

/* ------------------------------------------------------------------ */
/* Method descriptors                                                  */
/* ------------------------------------------------------------------ */

static Value descr_type_error(const char *name, Type *owner, Value obj)
{
    return mn_raise(&TypeErrorType, "descriptor '%s' for '%s' objects doesn't apply to a "
                    "'%s' object", name, owner->name, mn_type_name(obj));
}

static Value mdescr_call(Value self, Value *args, int nargs, Value kwargs)
{
    MethodDescrObject *d = AS(MethodDescrObject, self);
    if (nargs < 1)
        return mn_raise(&TypeErrorType, "unbound method %s.%s() needs an argument",
                        d->owner->name, d->def->name);
    if (d->def->flags & METH_CLASS) {
        if (!mn_isinstance_t(args[0], &TypeType))
            return mn_raise(&TypeErrorType, "descriptor '%s' for type '%s' needs a type, "
                            "not a '%s' as arg 2", d->def->name, d->owner->name,
                            mn_type_name(args[0]));
        if (!mn_is_subtype(AS(Type, args[0]), d->owner))
            return mn_raise(&TypeErrorType, "descriptor '%s' requires a subtype of '%s' but "
                            "received '%s'", d->def->name, d->owner->name,
                            AS(Type, args[0])->name);
    } else if (!mn_isinstance_t(args[0], d->owner)) {
        return descr_type_error(d->def->name, d->owner, args[0]);
    }
    return d->def->fn(args, nargs, kwargs);
}

static Value mdescr_get(Value self, Value obj, Type *owner)
{
    MethodDescrObject *d = AS(MethodDescrObject, self);
    if (d->def->flags & METH_CLASS) {
        Type *t = owner ? owner : (obj ? mn_typeof(obj) : NULL);
        if (!t)
            return self;
        return mn_native_new(d->def->name, d->def->fn, mn_val(t));
    }
    if (!obj)
        return self;
    if (!mn_isinstance_t(obj, d->owner))
        return descr_type_error(d->def->name, d->owner, obj);
    return mn_native_new(d->def->name, d->def->fn, obj);
}

static Value mdescr_repr(Value self)
{
    MethodDescrObject *d = AS(MethodDescrObject, self);
    return mn_str_fmt("<method '%s' of '%s' objects>", d->def->name, d->owner->name);
}

static Value mdescr_get_name(Value self) { return mn_str(AS(MethodDescrObject, self)->def->name); }
static Value mdescr_get_qualname(Value self)
{
    MethodDescrObject *d = AS(MethodDescrObject, self);
    return mn_str_fmt("%s.%s", d->owner->name, d->def->name);
}
static Value mdescr_get_objclass(Value self) { return mn_val(AS(MethodDescrObject, self)->owner); }
static Value mdescr_get_doc(Value self) { return str_or_none(AS(MethodDescrObject, self)->def->doc); }

static GetSetDef mdescr_getset[] = {
    {"__name__", mdescr_get_name, NULL},
    {"__qualname__", mdescr_get_qualname, NULL},
    {"__objclass__", mdescr_get_objclass, NULL},
    {"__doc__", mdescr_get_doc, NULL},
    {NULL, NULL, NULL},
};

Type MethodDescrType = {
    .hdr = {&TypeType},
    .name = "method_descriptor",
    .basicsize = sizeof(MethodDescrObject),
    .getset = mdescr_getset,
    .repr = mdescr_repr,
    .call = mdescr_call,
    .descr_get = mdescr_get,
};

/* ------------------------------------------------------------------ */
/* Bound methods                                                       */
/* ------------------------------------------------------------------ */

Value mn_method_new(Value func, Value self)
{
    MethodObject *m = mn_alloc_obj(&MethodType, sizeof *m);
    m->func = func;
    m->self = self;
    return mn_val(m);
}

static Value method_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (!no_kwargs(kwargs))
        return mn_raise(&TypeErrorType, "method() takes no keyword arguments");
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "method expected 2 arguments, got %d", nargs);
    if (!mn_is_callable(args[0]))
        return mn_raise(&TypeErrorType, "first argument must be callable");
    if (args[1] == mn_None)
        return mn_raise(&TypeErrorType, "instance must not be None");
    return mn_method_new(args[0], args[1]);
}

static Value method_call(Value self, Value *args, int nargs, Value kwargs)
{
    MethodObject *m = AS(MethodObject, self);
    Value buf[8];
    Value *argv = om_prepend(m->self, args, nargs, buf, 8);
    return mn_call(m->func, argv, nargs + 1, kwargs);
}

static Value method_repr(Value self)
{
    MethodObject *m = AS(MethodObject, self);
    if (MN_IS_EXACT(m->func, WrapperDescrType))
        return mn_str_fmt("<method-wrapper '%s' of %s object at 0x%" PRIxPTR ">",
                          mn_cstr(AS(WrapperDescrObject, m->func)->name),
                          mn_type_name(m->self), (uintptr_t)m->self);
    Value name = mn_getattr_opt(m->func, om_id_qualname);
    if (!name)
        name = mn_getattr_opt(m->func, MN_ID(__name__));
    if (name == MN_ERR)
        return MN_ERR;
    StrBuf sb;
    sb_init(&sb);
    sb_adds(&sb, "<bound method ");
    if (name && mn_is_str(name))
        sb_add(&sb, mn_cstr(name), mn_str_len(name));
    else
        sb_adds(&sb, "?");
    sb_adds(&sb, " of ");
    if (sb_add_value_repr(&sb, m->self) < 0)
        return MN_ERR;
    sb_addc(&sb, '>');
    return sb_finish(&sb);
}

static Value method_richcmp(Value a, Value b, CmpOp op)
{
    if ((op != CMP_EQ && op != CMP_NE) || !MN_IS_EXACT(b, MethodType))
        return mn_NotImplemented;
    MethodObject *x = AS(MethodObject, a), *y = AS(MethodObject, b);
    int eq = x->self == y->self;
    if (eq) {
        eq = mn_eq(x->func, y->func);
        if (eq < 0)
            return MN_ERR;
    }
    return mn_bool(op == CMP_EQ ? eq : !eq);
}

static int method_hash(Value self, int64_t *out)
{
    MethodObject *m = AS(MethodObject, self);
    int64_t h;
    if (mn_hash(m->func, &h) < 0)
        return -1;
    *out = (int64_t)(m->self >> 4) ^ h;
    if (*out == -1)
        *out = -2;
    return 0;
}

/* Attributes of the bound method itself, then the function's. */
static Value method_getattro(Value self, Value name)
{
    Value v = om_generic_getattr(self, name, true);
    if (v || mn_exc_occurred())
        return v;
    return mn_getattr(AS(MethodObject, self)->func, name);
}

static Value method_get_self(Value self) { return AS(MethodObject, self)->self; }
static Value method_get_func(Value self) { return AS(MethodObject, self)->func; }
static Value method_get_name(Value self)
{
    return mn_getattr(AS(MethodObject, self)->func, MN_ID(__name__));
}
static Value method_get_qualname(Value self)
{
    return mn_getattr(AS(MethodObject, self)->func, om_id_qualname);
}
static Value method_get_doc(Value self)
{
    Value d = mn_getattr_opt(AS(MethodObject, self)->func, MN_ID(__doc__));
    return d ? d : (mn_exc_occurred() ? MN_ERR : mn_None);
}

static GetSetDef method_getset[] = {
    {"__self__", method_get_self, NULL},
    {"__func__", method_get_func, NULL},
    {"__name__", method_get_name, NULL},
    {"__qualname__", method_get_qualname, NULL},
    {"__doc__", method_get_doc, NULL},
    {NULL, NULL, NULL},
};

Type MethodType = {
    .hdr = {&TypeType},
    .name = "method",
    .basicsize = sizeof(MethodObject),
    .getset = method_getset,
    .new = method_new,
    .repr = method_repr,
    .richcmp = method_richcmp,
    .hash = method_hash,
    .call = method_call,
    .getattr = method_getattro,
};

/* ------------------------------------------------------------------ */
/* classmethod / staticmethod                                          */
/* ------------------------------------------------------------------ */

Value om_classmethod_new(Value func)
{
    ClassMethodObject *c = mn_alloc_obj(&ClassMethodType, sizeof *c);
    c->func = func;
    return mn_val(c);
}

Value om_staticmethod_new(Value func)
{
    StaticMethodObject *s = mn_alloc_obj(&StaticMethodType, sizeof *s);
    s->func = func;
    return mn_val(s);
}

/* Both share the layout {func, dict}. */
static Value wrapfunc_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (!no_kwargs(kwargs))
        return mn_raise(&TypeErrorType, "%s() takes no keyword arguments", t->name);
    if (nargs != 1)
        return mn_raise(&TypeErrorType, "%s expected 1 argument, got %d", t->name, nargs);
    ClassMethodObject *c = mn_alloc_obj(t, 0);
    c->func = args[0];
    return mn_val(c);
}

static int wrapfunc_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (nargs == 1)
        AS(ClassMethodObject, self)->func = args[0];
    return 0;
}

static Value cm_get(Value self, Value obj, Type *owner)
{
    Type *t = owner ? owner : mn_typeof(obj);
    return mn_method_new(AS(ClassMethodObject, self)->func, mn_val(t));
}

static Value sm_get(Value self, Value obj, Type *owner)
{
    return AS(StaticMethodObject, self)->func;
}

static Value sm_call(Value self, Value *args, int nargs, Value kwargs)
{
    return mn_call(AS(StaticMethodObject, self)->func, args, nargs, kwargs);
}

static Value wrapfunc_repr(Value self)
{
    StrBuf sb;
    sb_init(&sb);
    sb_addc(&sb, '<');
    sb_adds(&sb, mn_typeof(self)->name);
    sb_addc(&sb, '(');
    if (sb_add_value_repr(&sb, AS(ClassMethodObject, self)->func) < 0)
        return MN_ERR;
    sb_adds(&sb, ")>");
    return sb_finish(&sb);
}

static Value wrapfunc_get_func(Value self) { return AS(ClassMethodObject, self)->func; }

static Value wrapfunc_get_doc(Value self)
{
    Value d = mn_getattr_opt(AS(ClassMethodObject, self)->func, MN_ID(__doc__));
    return d ? d : (mn_exc_occurred() ? MN_ERR : mn_None);
}

static Value wrapfunc_get_attr(Value self, Value name)
{
    return mn_getattr(AS(ClassMethodObject, self)->func, name);
}

static Value wrapfunc_get_name(Value self) { return wrapfunc_get_attr(self, MN_ID(__name__)); }
static Value wrapfunc_get_qualname(Value self) { return wrapfunc_get_attr(self, om_id_qualname); }

static GetSetDef wrapfunc_getset[] = {
    {"__func__", wrapfunc_get_func, NULL},
    {"__wrapped__", wrapfunc_get_func, NULL},
    {"__doc__", wrapfunc_get_doc, NULL},
    {"__name__", wrapfunc_get_name, NULL},
    {"__qualname__", wrapfunc_get_qualname, NULL},
    {NULL, NULL, NULL},
};

Type ClassMethodType = {
    .hdr = {&TypeType},
    .name = "classmethod",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(ClassMethodObject),
    .dictoffset = offsetof(ClassMethodObject, dict),
    .getset = wrapfunc_getset,
    .new = wrapfunc_new,
    .init = wrapfunc_init,
    .repr = wrapfunc_repr,
    .descr_get = cm_get,
};

Type StaticMethodType = {
    .hdr = {&TypeType},
    .name = "staticmethod",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(StaticMethodObject),
    .dictoffset = offsetof(StaticMethodObject, dict),
    .getset = wrapfunc_getset,
    .new = wrapfunc_new,
    .init = wrapfunc_init,
    .repr = wrapfunc_repr,
    .call = sm_call,
    .descr_get = sm_get,
};

/* ------------------------------------------------------------------ */
/* property                                                            */
/* ------------------------------------------------------------------ */

static Value prop_new(Type *t, Value *args, int nargs, Value kwargs)
{
    PropertyObject *p = mn_alloc_obj(t, 0);
    p->fget = p->fset = p->fdel = p->doc = mn_None;
    return mn_val(p);
}

static int prop_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[4];
    if (mn_argparse("property", args, nargs, kwargs, "|fget,fset,fdel,doc", a) < 0)
        return -1;
    PropertyObject *p = AS(PropertyObject, self);
    p->fget = a[0] ? a[0] : mn_None;
    p->fset = a[1] ? a[1] : mn_None;
    p->fdel = a[2] ? a[2] : mn_None;
    p->doc = a[3] ? a[3] : mn_None;
    if (p->doc == mn_None && p->fget != mn_None) {
        Value d = mn_getattr_opt(p->fget, MN_ID(__doc__));
        if (d == MN_ERR)
            return -1;
        if (d)
            p->doc = d;
    }
    return 0;
}

static Value prop_missing(PropertyObject *p, Value obj, const char *what)
{
    const char *qn = om_type_qualname(mn_typeof(obj));
    if (p->name && mn_is_str(p->name))
        return mn_raise(&AttributeErrorType, "property '%s' of '%s' object has no %s",
                        mn_cstr(p->name), qn, what);
    return mn_raise(&AttributeErrorType, "property of '%s' object has no %s", qn, what);
}

static Value prop_get(Value self, Value obj, Type *owner)
{
    PropertyObject *p = AS(PropertyObject, self);
    if (!obj)
        return self;
    if (p->fget == mn_None)
        return prop_missing(p, obj, "getter");
    return mn_call1(p->fget, obj);
}

static int prop_set(Value self, Value obj, Value v)
{
    PropertyObject *p = AS(PropertyObject, self);
    Value f = v ? p->fset : p->fdel;
    if (f == mn_None) {
        prop_missing(p, obj, v ? "setter" : "deleter");
        return -1;
    }
    Value r = v ? mn_call2(f, obj, v) : mn_call1(f, obj);
    return r ? 0 : -1;
}

/* property.setter & co: a copy with one accessor replaced. */
static Value prop_copy(Value self, Value *repl, int which)
{
    PropertyObject *p = AS(PropertyObject, self);
    Value f[3] = {p->fget, p->fset, p->fdel};
    f[which] = *repl == mn_None ? mn_None : *repl;
    Value doc = p->doc;
    /* A doc taken from the old getter is re-derived from the new one. */
    if (which == 0 && p->fget != mn_None && doc != mn_None) {
        Value gd = mn_getattr_opt(p->fget, MN_ID(__doc__));
        if (gd == MN_ERR)
            return MN_ERR;
        if (gd == doc)
            doc = mn_None;
    }
    Value args[4] = {f[0], f[1], f[2], doc};
    Value np = mn_call(mn_val(mn_typeof(self)), args, 4, 0);
    if (np && mn_isinstance_t(np, &PropertyType))
        AS(PropertyObject, np)->name = p->name;
    return np;
}

static Value prop_getter(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getter", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return prop_copy(args[0], &args[1], 0);
}

static Value prop_setter(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setter", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return prop_copy(args[0], &args[1], 1);
}

static Value prop_deleter(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("deleter", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return prop_copy(args[0], &args[1], 2);
}

static Value prop_set_name(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__set_name__", nargs - 1, kwargs, 2, 2) < 0)
        return MN_ERR;
    AS(PropertyObject, args[0])->name = args[2];
    return mn_None;
}

static MethodDef prop_methods[] = {
    {"getter", prop_getter, 0, NULL},
    {"setter", prop_setter, 0, NULL},
    {"deleter", prop_deleter, 0, NULL},
    {"__set_name__", prop_set_name, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static Value prop_get_fget(Value self) { return AS(PropertyObject, self)->fget; }
static Value prop_get_fset(Value self) { return AS(PropertyObject, self)->fset; }
static Value prop_get_fdel(Value self) { return AS(PropertyObject, self)->fdel; }
static Value prop_get_doc(Value self) { return AS(PropertyObject, self)->doc; }
static int prop_set_doc(Value self, Value v)
{
    AS(PropertyObject, self)->doc = v ? v : mn_None;
    return 0;
}

static GetSetDef prop_getset[] = {
    {"fget", prop_get_fget, NULL},
    {"fset", prop_get_fset, NULL},
    {"fdel", prop_get_fdel, NULL},
    {"__doc__", prop_get_doc, prop_set_doc},
    {NULL, NULL, NULL},
};

Type PropertyType = {
    .hdr = {&TypeType},
    .name = "property",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(PropertyObject),
    .methods = prop_methods,
    .getset = prop_getset,
    .new = prop_new,
    .init = prop_init,
    .descr_get = prop_get,
    .descr_set = prop_set,
};

/* ------------------------------------------------------------------ */
/* getset descriptors                                                  */
/* ------------------------------------------------------------------ */

static Value gsd_get(Value self, Value obj, Type *owner)
{
    GetSetDescrObject *d = AS(GetSetDescrObject, self);
    if (!obj)
        return self;
    if (!mn_isinstance_t(obj, d->owner))
        return descr_type_error(d->def->name, d->owner, obj);
    if (!d->def->get)
        return mn_raise(&AttributeErrorType, "attribute '%s' of '%s' objects is not readable",
                        d->def->name, d->owner->name);
    return d->def->get(obj);
}

static int gsd_set(Value self, Value obj, Value v)
{
    GetSetDescrObject *d = AS(GetSetDescrObject, self);
    if (!mn_isinstance_t(obj, d->owner)) {
        descr_type_error(d->def->name, d->owner, obj);
        return -1;
    }
    if (!d->def->set)
        return mn_raise_int(&AttributeErrorType, "attribute '%s' of '%s' objects is not writable",
                            d->def->name, d->owner->name);
    return d->def->set(obj, v);
}

static Value gsd_repr(Value self)
{
    GetSetDescrObject *d = AS(GetSetDescrObject, self);
    return mn_str_fmt("<attribute '%s' of '%s' objects>", d->def->name, d->owner->name);
}

static Value gsd_get_name(Value self) { return mn_str(AS(GetSetDescrObject, self)->def->name); }
static Value gsd_get_objclass(Value self) { return mn_val(AS(GetSetDescrObject, self)->owner); }

static GetSetDef gsd_getset[] = {
    {"__name__", gsd_get_name, NULL},
    {"__objclass__", gsd_get_objclass, NULL},
    {NULL, NULL, NULL},
};

Type GetSetDescrType = {
    .hdr = {&TypeType},
    .name = "getset_descriptor",
    .basicsize = sizeof(GetSetDescrObject),
    .getset = gsd_getset,
    .repr = gsd_repr,
    .descr_get = gsd_get,
    .descr_set = gsd_set,
};

/* ------------------------------------------------------------------ */
/* member descriptors (__slots__)                                      */
/* ------------------------------------------------------------------ */

Value om_member_new(Type *owner, const char *name, size_t offset, bool none_if_unset)
{
    MemberDescrObject *m = mn_alloc_obj(&MemberDescrType, sizeof *m);
    m->name = mn_intern(name);
    m->offset = offset;
    m->owner = owner;
    m->none_if_unset = none_if_unset;
    return mn_val(m);
}

static Value member_unset(MemberDescrObject *m, Value obj)
{
    return mn_raise(&AttributeErrorType, "'%s' object has no attribute '%s'",
                    mn_type_name(obj), mn_cstr(m->name));
}

static Value member_get(Value self, Value obj, Type *owner)
{
    MemberDescrObject *m = AS(MemberDescrObject, self);
    if (!obj)
        return self;
    if (!mn_isinstance_t(obj, m->owner))
        return descr_type_error(mn_cstr(m->name), m->owner, obj);
    Value v = __atomic_load_n((Value *)((char *)obj + m->offset), __ATOMIC_ACQUIRE);
    if (!v)
        return m->none_if_unset ? mn_None : member_unset(m, obj);
    return v;
}

static int member_set(Value self, Value obj, Value v)
{
    MemberDescrObject *m = AS(MemberDescrObject, self);
    if (!mn_isinstance_t(obj, m->owner)) {
        descr_type_error(mn_cstr(m->name), m->owner, obj);
        return -1;
    }
    if (m->readonly)
        return mn_raise_int(&AttributeErrorType, "readonly attribute");
    Value *slot = (Value *)((char *)obj + m->offset);
    if (!v && !m->none_if_unset && !__atomic_load_n(slot, __ATOMIC_ACQUIRE)) {
        member_unset(m, obj);
        return -1;
    }
    __atomic_store_n(slot, v, __ATOMIC_RELEASE);
    return 0;
}

static Value member_repr(Value self)
{
    MemberDescrObject *m = AS(MemberDescrObject, self);
    return mn_str_fmt("<member '%s' of '%s' objects>", mn_cstr(m->name), m->owner->name);
}

static Value member_get_name(Value self) { return AS(MemberDescrObject, self)->name; }
static Value member_get_objclass(Value self) { return mn_val(AS(MemberDescrObject, self)->owner); }

static GetSetDef member_getset[] = {
    {"__name__", member_get_name, NULL},
    {"__objclass__", member_get_objclass, NULL},
    {NULL, NULL, NULL},
};

Type MemberDescrType = {
    .hdr = {&TypeType},
    .name = "member_descriptor",
    .basicsize = sizeof(MemberDescrObject),
    .getset = member_getset,
    .repr = member_repr,
    .descr_get = member_get,
    .descr_set = member_set,
};

/* ------------------------------------------------------------------ */
/* slot wrappers                                                       */
/* ------------------------------------------------------------------ */

Value om_wrapper_new(Type *owner, int index)
{
    WrapperDescrObject *w = mn_alloc_obj(&WrapperDescrType, sizeof *w);
    w->owner = owner;
    w->name = om_slotname_ids[index];
    w->kind = (uint8_t)om_slotnames[index].kind;
    w->op = (uint8_t)om_slotnames[index].op;
    return mn_val(w);
}

static Value int_result(int r)
{
    return r < 0 ? MN_ERR : mn_None;
}

Value om_wrapper_call(Value wv, Value *args, int nargs, Value kwargs)
{
    WrapperDescrObject *w = AS(WrapperDescrObject, wv);
    const char *name = mn_cstr(w->name);
    Type *o = w->owner;
    if (nargs < 1)
        return mn_raise(&TypeErrorType, "descriptor '%s' of '%s' object needs an argument",
                        name, o->name);
    Value self = args[0];
    if (!mn_isinstance_t(self, o))
        return mn_raise(&TypeErrorType, "descriptor '%s' requires a '%s' object but received "
                        "a '%s'", name, o->name, mn_type_name(self));
    Value *a = args + 1;
    int n = nargs - 1;
    if (w->kind != WK_CALL && w->kind != WK_INIT && !no_kwargs(kwargs))
        return mn_raise(&TypeErrorType, "wrapper %s() takes no keyword arguments", name);

    /* Expected argument counts per kind (-1: variable). */
    int want;
    switch (w->kind) {
    case WK_CALL: case WK_INIT: case WK_GET: want = -1; break;
    case WK_RICHCMP: case WK_GETATTRO: case WK_DELATTR: case WK_GETITEM:
    case WK_DELITEM: case WK_CONTAINS: case WK_BINOP: case WK_RBINOP:
    case WK_INPLACE: case WK_DELETE: want = 1; break;
    case WK_SETATTR: case WK_SETITEM: case WK_SET: want = 2; break;
    default: want = 0; break;
    }
    if (want >= 0 && n != want)
        return mn_raise(&TypeErrorType, "expected %d argument%s, got %d", want,
                        want == 1 ? "" : "s", n);

    switch ((WrapKind)w->kind) {
    case WK_REPR: return o->repr(self);
    case WK_STR: return o->str(self);
    case WK_HASH: {
        int64_t h;
        if (o->hash(self, &h) < 0)
            return MN_ERR;
        return mn_int_from_i64(h);
    }
    case WK_RICHCMP: return o->richcmp(self, a[0], (CmpOp)w->op);
    case WK_BOOL: {
        int r = o->truthy(self);
        return r < 0 ? MN_ERR : mn_bool(r);
    }
    case WK_CALL: return o->call(self, a, n, kwargs);
    case WK_GETATTRO:
        if (!mn_is_str(a[0]))
            return mn_raise(&TypeErrorType, "attribute name must be string, not '%s'",
                            mn_type_name(a[0]));
        return o->getattr(self, mn_intern_value(a[0]));
    case WK_SETATTR:
    case WK_DELATTR:
        if (!mn_is_str(a[0]))
            return mn_raise(&TypeErrorType, "attribute name must be string, not '%s'",
                            mn_type_name(a[0]));
        return int_result(o->setattr(self, mn_intern_value(a[0]),
                                     w->kind == WK_SETATTR ? a[1] : 0));
    case WK_ITER: return o->iter(self);
    case WK_NEXT: {
        Value r = o->next(self);
        if (!r && !mn_exc_occurred())
            return mn_raise_exc(mn_val(&StopIterationType));
        return r;
    }
    case WK_LEN: {
        int64_t len = o->len(self);
        return len < 0 ? MN_ERR : mn_int_from_i64(len);
    }
    case WK_GETITEM: return o->getitem(self, a[0]);
    case WK_SETITEM: return int_result(o->setitem(self, a[0], a[1]));
    case WK_DELITEM: return int_result(o->setitem(self, a[0], 0));
    case WK_CONTAINS: {
        int r = o->contains(self, a[0]);
        return r < 0 ? MN_ERR : mn_bool(r);
    }
    case WK_BINOP: return o->binop((BinOp)w->op, self, a[0]);
    case WK_RBINOP: return o->binop((BinOp)w->op, a[0], self);
    case WK_INPLACE: return o->inplace((BinOp)w->op, self, a[0]);
    case WK_UNOP: return o->unop((UnOp)w->op, self);
    case WK_GET: {
        if (n < 1 || n > 2)
            return mn_raise(&TypeErrorType, "expected 1 or 2 arguments, got %d", n);
        Value obj = a[0] == mn_None ? 0 : a[0];
        Value tv = n > 1 && a[1] != mn_None ? a[1] : 0;
        if (!obj && !tv)
            return mn_raise(&TypeErrorType, "__get__(None, None) is invalid");
        if (tv && !mn_isinstance_t(tv, &TypeType))
            return mn_raise(&TypeErrorType, "__get__() argument 2 must be a type, not %s",
                            mn_type_name(tv));
        return o->descr_get(self, obj, tv ? AS(Type, tv) : NULL);
    }
    case WK_SET: return int_result(o->descr_set(self, a[0], a[1]));
    case WK_DELETE: return int_result(o->descr_set(self, a[0], 0));
    case WK_INIT: return int_result(o->init(self, a, n, kwargs));
    case WK_NONE: break;
    }
    return mn_raise(&SystemErrorType, "bad slot wrapper");
}

static Value wrapper_call_slot(Value self, Value *args, int nargs, Value kwargs)
{
    return om_wrapper_call(self, args, nargs, kwargs);
}

static Value wrapper_get(Value self, Value obj, Type *owner)
{
    WrapperDescrObject *w = AS(WrapperDescrObject, self);
    if (!obj)
        return self;
    if (!mn_isinstance_t(obj, w->owner))
        return descr_type_error(mn_cstr(w->name), w->owner, obj);
    return mn_method_new(self, obj);
}

static Value wrapper_repr(Value self)
{
    WrapperDescrObject *w = AS(WrapperDescrObject, self);
    return mn_str_fmt("<slot wrapper '%s' of '%s' objects>", mn_cstr(w->name), w->owner->name);
}

static Value wrapper_get_name(Value self) { return AS(WrapperDescrObject, self)->name; }
static Value wrapper_get_qualname(Value self)
{
    WrapperDescrObject *w = AS(WrapperDescrObject, self);
    return mn_str_fmt("%s.%s", w->owner->name, mn_cstr(w->name));
}
static Value wrapper_get_objclass(Value self) { return mn_val(AS(WrapperDescrObject, self)->owner); }

static GetSetDef wrapper_getset[] = {
    {"__name__", wrapper_get_name, NULL},
    {"__qualname__", wrapper_get_qualname, NULL},
    {"__objclass__", wrapper_get_objclass, NULL},
    {"__doc__", get_none, NULL},
    {NULL, NULL, NULL},
};

Type WrapperDescrType = {
    .hdr = {&TypeType},
    .name = "wrapper_descriptor",
    .basicsize = sizeof(WrapperDescrObject),
    .getset = wrapper_getset,
    .repr = wrapper_repr,
    .call = wrapper_call_slot,
    .descr_get = wrapper_get,
};

void mn_init_method(void)
{
    static Type *const types[] = {
        &NativeFunctionType, &MethodDescrType, &MethodType, &ClassMethodType,
        &StaticMethodType, &PropertyType, &GetSetDescrType, &MemberDescrType,
        &WrapperDescrType,
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (mn_type_ready(types[i]) < 0)
            abort();
}
