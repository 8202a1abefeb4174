/*
 * function.c -- FunctionType (functions defined in mini) and CellType.
 *
 * Calling a function from C goes through the type's call slot,
 * mn_function_call (vm/eval.c), which binds the arguments and runs a new
 * eval loop; calls from mini code bypass it (the CALL opcodes push the
 * frame directly).  A function found on a class binds to an instance
 * through descr_get, producing a MethodObject (runtime/method.c) -- but
 * `obj.m(x)` never gets that far: LOAD_METHOD/CALL_METHOD call the
 * function with obj prepended and allocate nothing.
 */
#include <stddef.h>

#include "eval.h"

Value mn_function_new(CodeObject *code, Value globals)
{
    FunctionObject *fn = mn_alloc_obj(&FunctionType, sizeof(FunctionObject));
    fn->code = code;
    fn->globals = globals;
    fn->builtins = mn_interp.builtins;
    fn->name = code->name;
    fn->qualname = code->qualname;
    fn->doc = code->doc ? code->doc : mn_None;
    Value m = mn_dict_get_str(globals, MN_ID(__name__));
    fn->module = m ? m : mn_None;
    return mn_val(fn);
}

static Value func_repr(Value self)
{
    FunctionObject *fn = AS(FunctionObject, self);
    return mn_str_fmt("<function %s at %p>", mn_cstr(fn->qualname), (void *)fn);
}

static Value func_descr_get(Value descr, Value obj, Type *owner)
{
    if (!obj)
        return descr;
    return mn_method_new(descr, obj);
}

static Value func_call(Value self, Value *args, int nargs, Value kwargs)
{
    return mn_function_call(self, args, nargs, kwargs);
}

static Value fget_name(Value self) { return AS(FunctionObject, self)->name; }
static int fset_name(Value self, Value v)
{
    if (!v || !mn_is_str(v))
        return mn_raise_int(&TypeErrorType, "__name__ must be set to a string object");
    AS(FunctionObject, self)->name = v;
    return 0;
}
static Value fget_qualname(Value self) { return AS(FunctionObject, self)->qualname; }
static int fset_qualname(Value self, Value v)
{
    if (!v || !mn_is_str(v))
        return mn_raise_int(&TypeErrorType, "__qualname__ must be set to a string object");
    AS(FunctionObject, self)->qualname = v;
    return 0;
}
static Value fget_doc(Value self) { return AS(FunctionObject, self)->doc; }
static int fset_doc(Value self, Value v)
{
    AS(FunctionObject, self)->doc = v ? v : mn_None;
    return 0;
}
static Value fget_module(Value self) { return AS(FunctionObject, self)->module; }
static int fset_module(Value self, Value v)
{
    AS(FunctionObject, self)->module = v ? v : mn_None;
    return 0;
}
static Value fget_defaults(Value self)
{
    Value d = AS(FunctionObject, self)->defaults;
    return d ? d : mn_None;
}
static int fset_defaults(Value self, Value v)
{
    if (v && v != mn_None && !mn_is_tuple(v))
        return mn_raise_int(&TypeErrorType, "__defaults__ must be set to a tuple object");
    AS(FunctionObject, self)->defaults = (v && v != mn_None && mn_tuple_len(v)) ? v : 0;
    return 0;
}
static Value fget_kwdefaults(Value self)
{
    Value d = AS(FunctionObject, self)->kwdefaults;
    return d ? d : mn_None;
}
static int fset_kwdefaults(Value self, Value v)
{
    if (v && v != mn_None && !mn_is_dict(v))
        return mn_raise_int(&TypeErrorType, "__kwdefaults__ must be set to a dict object");
    AS(FunctionObject, self)->kwdefaults = (v && v != mn_None) ? v : 0;
    return 0;
}
static Value fget_code(Value self) { return mn_val(AS(FunctionObject, self)->code); }
static Value fget_globals(Value self) { return AS(FunctionObject, self)->globals; }
static Value fget_builtins(Value self) { return AS(FunctionObject, self)->builtins; }
static Value fget_closure(Value self)
{
    Value c = AS(FunctionObject, self)->closure;
    return c ? c : mn_None;
}
static Value fget_annotations(Value self)
{
    FunctionObject *fn = AS(FunctionObject, self);
    if (!fn->dict)
        fn->dict = mn_dict_new();
    Value a = mn_dict_get_str(fn->dict, MN_ID(__annotations__));
    if (!a) {
        a = mn_dict_new();
        mn_dict_set_str(fn->dict, MN_ID(__annotations__), a);
    }
    return a;
}
static Value fget_dict(Value self)
{
    FunctionObject *fn = AS(FunctionObject, self);
    if (!fn->dict)
        fn->dict = mn_dict_new();
    return fn->dict;
}
static int fset_dict(Value self, Value v)
{
    if (!v || !mn_is_dict(v))
        return mn_raise_int(&TypeErrorType, "__dict__ must be set to a dictionary, not a '%s'",
                            v ? mn_type_name(v) : "NoneType");
    AS(FunctionObject, self)->dict = v;
    return 0;
}

static GetSetDef func_getset[] = {
    {"__name__", fget_name, fset_name},
    {"__qualname__", fget_qualname, fset_qualname},
    {"__doc__", fget_doc, fset_doc},
    {"__module__", fget_module, fset_module},
    {"__defaults__", fget_defaults, fset_defaults},
    {"__kwdefaults__", fget_kwdefaults, fset_kwdefaults},
    {"__code__", fget_code, NULL},
    {"__globals__", fget_globals, NULL},
    {"__builtins__", fget_builtins, NULL},
    {"__closure__", fget_closure, NULL},
    {"__annotations__", fget_annotations, NULL},
    {"__dict__", fget_dict, fset_dict},
    {NULL, NULL, NULL},
};

Type FunctionType = {
    .hdr = {&TypeType},
    .name = "function",
    .base = &ObjectType,
    .basicsize = sizeof(FunctionObject),
    .dictoffset = offsetof(FunctionObject, dict),
    .repr = func_repr,
    .call = func_call,
    .descr_get = func_descr_get,
    .getset = func_getset,
};

/* ------------------------------------------------------------------ */
/* cells                                                               */
/* ------------------------------------------------------------------ */

Value mn_cell_new(Value v)
{
    CellObject *c = mn_alloc_obj(&CellType, sizeof(CellObject));
    c->ref = v;
    return mn_val(c);
}

static Value cell_repr(Value self)
{
    CellObject *c = AS(CellObject, self);
    if (!c->ref)
        return mn_str_fmt("<cell at %p: empty>", (void *)c);
    return mn_str_fmt("<cell at %p: %s object at %p>", (void *)c, mn_type_name(c->ref),
                      (void *)c->ref);
}

static Value cell_get_contents(Value self)
{
    Value v = AS(CellObject, self)->ref;
    if (!v)
        return mn_raise(&ValueErrorType, "Cell is empty");
    return v;
}

static int cell_set_contents(Value self, Value v)
{
    AS(CellObject, self)->ref = v;
    return 0;
}

static GetSetDef cell_getset[] = {
    {"cell_contents", cell_get_contents, cell_set_contents},
    {NULL, NULL, NULL},
};

Type CellType = {
    .hdr = {&TypeType},
    .name = "cell",
    .base = &ObjectType,
    .basicsize = sizeof(CellObject),
    .repr = cell_repr,
    .getset = cell_getset,
};

void mn_init_function(void)
{
    /* FunctionType, CellType and CodeType are readied by the final sweep
     * of mn_runtime_init; nothing else to set up. */
}
