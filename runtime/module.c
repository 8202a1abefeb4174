/*
 * module.c -- module objects and the registry of native (C) modules.
 *
 * A module is a name and a dict; attribute access goes straight to the
 * dict.  Native modules are registered at start-up with the function that
 * builds them and are built the first time they are imported; the
 * registry is process-wide, so it is guarded by a mutex.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "objmodel.h"

Value mn_module_new(Value name)
{
    ModuleObject *m = mn_alloc_obj(&ModuleType, 0);
    m->name = name;
    m->dict = mn_dict_new();
    mn_dict_set_str(m->dict, MN_ID(__name__), name);
    mn_dict_set_str(m->dict, MN_ID(__doc__), mn_None);
    mn_dict_set_str(m->dict, MN_ID(__package__), mn_None);
    mn_dict_set_cstr(m->dict, "__loader__", mn_None);
    mn_dict_set_cstr(m->dict, "__spec__", mn_None);
    return mn_val(m);
}

static Value module_new(Type *t, Value *args, int nargs, Value kwargs)
{
    ModuleObject *m = mn_alloc_obj(t, 0);
    m->name = mn_str("?");
    m->dict = mn_dict_new();
    return mn_val(m);
}

static int module_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("module", args, nargs, kwargs, "name|doc", a) < 0)
        return -1;
    if (!mn_is_str(a[0]))
        return mn_raise_int(&TypeErrorType, "module.__init__() argument 'name' must be str, "
                            "not %s", mn_type_name(a[0]));
    ModuleObject *m = AS(ModuleObject, self);
    m->name = a[0];
    mn_dict_set_str(m->dict, MN_ID(__name__), a[0]);
    mn_dict_set_str(m->dict, MN_ID(__doc__), a[1] ? a[1] : mn_None);
    mn_dict_set_str(m->dict, MN_ID(__package__), mn_None);
    mn_dict_set_cstr(m->dict, "__loader__", mn_None);
    mn_dict_set_cstr(m->dict, "__spec__", mn_None);
    return 0;
}

static bool is_native_module(Value m);

static Value module_repr(Value self)
{
    ModuleObject *m = AS(ModuleObject, self);
    Value name = mn_dict_get_str(m->dict, MN_ID(__name__));
    if (!name || !mn_is_str(name))
        name = m->name;
    StrBuf sb;
    sb_init(&sb);
    sb_adds(&sb, "<module ");
    if (sb_add_value_repr(&sb, name) < 0)
        return MN_ERR;
    Value file = mn_dict_get_str(m->dict, MN_ID(__file__));
    if (file && mn_is_str(file)) {
        sb_adds(&sb, " from ");
        if (sb_add_value_repr(&sb, file) < 0)
            return MN_ERR;
    } else if (is_native_module(self)) {
        sb_adds(&sb, " (built-in)");
    }
    sb_addc(&sb, '>');
    return sb_finish(&sb);
}

/* The module dict first (modules are all about their dict), then the
 * module type, then a module-level __getattr__ (PEP 562). */
static Value module_getattro(Value self, Value name)
{
    ModuleObject *m = AS(ModuleObject, self);
    Value v = mn_dict_get_str(m->dict, name);
    if (v)
        return v;
    v = om_generic_getattr(self, name, true);
    if (v || mn_exc_occurred())
        return v;
    Value ga = mn_dict_get_cstr(m->dict, "__getattr__");
    if (ga)
        return mn_call1(ga, name);
    return om_attr_error(self, name);
}

static Value module_dir(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__dir__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_dict_keys_list(AS(ModuleObject, args[0])->dict);
}

static MethodDef module_methods[] = {
    {"__dir__", module_dir, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static Value module_get_dict(Value self)
{
    return AS(ModuleObject, self)->dict;
}

static GetSetDef module_getset[] = {
    {"__dict__", module_get_dict, NULL},
    {NULL, NULL, NULL},
};

Type ModuleType = {
    .hdr = {&TypeType},
    .name = "module",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(ModuleObject),
    .dictoffset = offsetof(ModuleObject, dict),
    .methods = module_methods,
    .getset = module_getset,
    .new = module_new,
    .init = module_init,
    .repr = module_repr,
    .getattr = module_getattro,
};

void mn_module_add_methods(Value module, const MethodDef *defs)
{
    ModuleObject *m = AS(ModuleObject, module);
    Value modname = mn_dict_get_str(m->dict, MN_ID(__name__));
    for (const MethodDef *d = defs; d->name; d++) {
        Value f = mn_native_new(d->name, d->fn, 0);
        AS(NativeFunctionObject, f)->module = modname;
        mn_dict_set_str(m->dict, mn_intern(d->name), f);
    }
}

void mn_module_add(Value module, const char *name, Value v)
{
    mn_dict_set_str(AS(ModuleObject, module)->dict, mn_intern(name), v);
}

/* ------------------------------------------------------------------ */
/* Native module registry                                              */
/* ------------------------------------------------------------------ */

#define MAX_NATIVE 128

typedef struct {
    const char *name;
    ModuleInit init;
    Value module;       /* built module, or 0 */
} NativeModule;

/* In static data, so the collector sees the built modules. */
static NativeModule natives[MAX_NATIVE];
static int nnatives;
static pthread_mutex_t natives_lock = PTHREAD_MUTEX_INITIALIZER;

void mn_register_native_module(const char *name, ModuleInit init)
{
    pthread_mutex_lock(&natives_lock);
    for (int i = 0; i < nnatives; i++) {
        if (!strcmp(natives[i].name, name)) {
            natives[i].init = init;
            natives[i].module = 0;
            pthread_mutex_unlock(&natives_lock);
            return;
        }
    }
    if (nnatives == MAX_NATIVE) {
        pthread_mutex_unlock(&natives_lock);
        fprintf(stderr, "mini: too many native modules (registering %s)\n", name);
        abort();
    }
    natives[nnatives].name = name;
    natives[nnatives].init = init;
    natives[nnatives].module = 0;
    nnatives++;
    pthread_mutex_unlock(&natives_lock);
}

Value mn_find_native_module(const char *name)
{
    pthread_mutex_lock(&natives_lock);
    int idx = -1;
    for (int i = 0; i < nnatives; i++)
        if (!strcmp(natives[i].name, name))
            idx = i;
    if (idx < 0) {
        pthread_mutex_unlock(&natives_lock);
        return 0;
    }
    Value m = natives[idx].module;
    ModuleInit init = natives[idx].init;
    pthread_mutex_unlock(&natives_lock);
    if (m)
        return m;
    /* Build outside the lock: an init function may import other native
     * modules.  If two threads race, the first one published wins. */
    m = init();
    if (!m)
        return MN_ERR;
    pthread_mutex_lock(&natives_lock);
    if (natives[idx].module)
        m = natives[idx].module;
    else
        natives[idx].module = m;
    pthread_mutex_unlock(&natives_lock);
    return m;
}

static bool is_native_module(Value m)
{
    bool found = false;
    pthread_mutex_lock(&natives_lock);
    for (int i = 0; i < nnatives && !found; i++)
        found = natives[i].module == m;
    pthread_mutex_unlock(&natives_lock);
    return found;
}

void mn_init_module(void)
{
    if (mn_type_ready(&ModuleType) < 0)
        abort();
}
