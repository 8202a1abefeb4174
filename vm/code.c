/*
 * code.c -- the CodeType object and code-object queries.
 *
 * Code objects are built by the assembler (vm/compile.c) and immutable
 * afterwards; the line and exception tables are sorted arrays searched by
 * binary search (used only on the slow paths: raising and tracebacks).
 */
#include "code.h"

int mn_code_addr2line(const CodeObject *co, int offset)
{
    int lo = 0, hi = co->nlines - 1;
    if (hi < 0)
        return co->firstlineno;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if ((int)co->lines[mid].start <= offset)
            lo = mid;
        else
            hi = mid - 1;
    }
    return co->lines[lo].line;
}

const ExcEntry *mn_code_find_handler(const CodeObject *co, int offset)
{
    int lo = 0, hi = co->nexc - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const ExcEntry *e = &co->exctab[mid];
        if (offset < (int)e->start)
            hi = mid - 1;
        else if (offset >= (int)e->end)
            lo = mid + 1;
        else
            return e;
    }
    return NULL;
}

static Value code_repr(Value self)
{
    CodeObject *co = AS(CodeObject, self);
    return mn_str_fmt("<code object %s at %p, file \"%s\", line %d>", mn_cstr(co->name),
                      (void *)co, mn_cstr(co->filename), co->firstlineno);
}

static Value code_get_name(Value self) { return AS(CodeObject, self)->name; }
static Value code_get_qualname(Value self) { return AS(CodeObject, self)->qualname; }
static Value code_get_filename(Value self) { return AS(CodeObject, self)->filename; }
static Value code_get_firstlineno(Value self) { return mn_int(AS(CodeObject, self)->firstlineno); }
static Value code_get_argcount(Value self) { return mn_int(AS(CodeObject, self)->argcount); }
static Value code_get_kwonlyargcount(Value self)
{
    return mn_int(AS(CodeObject, self)->kwonlyargcount);
}
static Value code_get_consts(Value self) { return AS(CodeObject, self)->consts; }
static Value code_get_names(Value self) { return AS(CodeObject, self)->names; }
static Value code_get_flags(Value self) { return mn_int(AS(CodeObject, self)->flags); }
static Value code_get_stacksize(Value self) { return mn_int(AS(CodeObject, self)->stacksize); }

static Value code_names_of_kind(CodeObject *co, int kind, bool exclude_free_params)
{
    Value l = mn_list_new(0);
    Value *names = mn_tuple_items(co->localnames);
    for (int i = 0; i < co->nlocalsplus; i++) {
        uint8_t k = co->localkinds[i];
        if (!(k & kind))
            continue;
        if (exclude_free_params && (k & LK_FREE))
            continue;
        if (mn_list_append(l, names[i]) < 0)
            return MN_ERR;
    }
    return mn_list_to_tuple(l);
}

/* co_varnames: parameters and plain locals (CPython also lists cell
 * locals that are parameters). */
static Value code_get_varnames(Value self)
{
    CodeObject *co = AS(CodeObject, self);
    Value l = mn_list_new(0);
    Value *names = mn_tuple_items(co->localnames);
    for (int i = 0; i < co->nlocalsplus; i++) {
        uint8_t k = co->localkinds[i];
        if ((k & LK_LOCAL) || (k & LK_PARAM))
            if (mn_list_append(l, names[i]) < 0)
                return MN_ERR;
    }
    return mn_list_to_tuple(l);
}
static Value code_get_cellvars(Value self)
{
    return code_names_of_kind(AS(CodeObject, self), LK_CELL, true);
}
static Value code_get_freevars(Value self)
{
    return code_names_of_kind(AS(CodeObject, self), LK_FREE, false);
}

static GetSetDef code_getset[] = {
    {"co_name", code_get_name, NULL},
    {"co_qualname", code_get_qualname, NULL},
    {"co_filename", code_get_filename, NULL},
    {"co_firstlineno", code_get_firstlineno, NULL},
    {"co_argcount", code_get_argcount, NULL},
    {"co_kwonlyargcount", code_get_kwonlyargcount, NULL},
    {"co_consts", code_get_consts, NULL},
    {"co_names", code_get_names, NULL},
    {"co_varnames", code_get_varnames, NULL},
    {"co_cellvars", code_get_cellvars, NULL},
    {"co_freevars", code_get_freevars, NULL},
    {"co_flags", code_get_flags, NULL},
    {"co_stacksize", code_get_stacksize, NULL},
    {NULL, NULL, NULL},
};

Type CodeType = {
    .hdr = {&TypeType},
    .name = "code",
    .base = &ObjectType,
    .basicsize = sizeof(CodeObject),
    .repr = code_repr,
    .getset = code_getset,
};
