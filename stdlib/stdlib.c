/*
 * stdlib.c -- registers the native standard-library modules, and the
 * struct-sequence helper they share.
 *
 * Native modules are built lazily: mn_register_native_module records a
 * constructor, and the import system calls it on the first import (then
 * caches the module).  Only the file objects behind sys.stdin/stdout/
 * stderr are created eagerly here, because print() needs them before
 * anything imports sys.
 */
#include <string.h>

#include "mn_stdlib.h"

void mn_init_stdlib(void)
{
    if (mn_fileio_init() < 0) {
        fprintf(stderr, "mini: cannot initialise the standard streams\n");
        return;
    }
    mn_register_native_module("builtins", mn_module_builtins_init);
    mn_register_native_module("sys", mn_module_sys_init);
    mn_register_native_module("time", mn_module_time_init);
    mn_register_native_module("random", mn_module_random_init);
    mn_register_native_module("os", mn_module_os_init);
    mn_register_native_module("os.path", mn_module_os_path_init);
    mn_register_native_module("math", mn_module_math_init);
    mn_register_native_module("_thread", mn_module_thread_init);
    mn_register_native_module("queue", mn_module_queue_init);
    mn_register_native_module("socket", mn_module_socket_init);
}

/* ------------------------------------------------------------------ */
/* Struct sequences                                                    */
/* ------------------------------------------------------------------ */

static inline StructSeqType *ss_type(Value v) { return (StructSeqType *)mn_typeof(v); }

static Value structseq_getattr(Value self, Value name)
{
    StructSeqType *t = ss_type(self);
    if (mn_is_str(name)) {
        const char *s = mn_cstr(name);
        /* Backwards: attribute-only fields may refine a visible one of
         * the same name (os.stat_result.st_mtime is a float attribute
         * over an int item). */
        for (int i = t->nfields - 1; i >= 0; i--)
            if (strcmp(s, t->fields[i]) == 0)
                return AS(TupleObject, self)->items[i];
    }
    return mn_generic_getattr(self, name);
}

static Value structseq_repr(Value self)
{
    StructSeqType *t = ss_type(self);
    StrBuf b;
    sb_init(&b);
    if (t->type.module)
        sb_addf(&b, "%s.", mn_cstr(t->type.module));
    sb_addf(&b, "%s(", t->type.name);
    for (int i = 0; i < t->nvisible; i++) {
        if (i)
            sb_adds(&b, ", ");
        sb_addf(&b, "%s=", t->fields[i]);
        if (sb_add_value_repr(&b, AS(TupleObject, self)->items[i]) < 0)
            return MN_ERR;
    }
    sb_addc(&b, ')');
    return sb_finish(&b);
}

/* struct_time(sequence): CPython's structseq_new (no dict argument). */
static Value structseq_new_slot(Type *type, Value *args, int nargs, Value kwargs)
{
    StructSeqType *t = (StructSeqType *)type;
    if (nargs != 1 || (kwargs && mn_dict_len(kwargs)))
        return mn_raise(&TypeErrorType, "%s() takes exactly 1 positional argument", type->name);
    Value seq = mn_sequence_to_list(args[0]);
    if (!seq)
        return MN_ERR;
    int64_t n = AS(ListObject, seq)->len;
    if (n < t->nvisible) {
        if (t->nvisible == t->nfields)
            return mn_raise(&TypeErrorType, "%s.%s() takes a %d-sequence (%lld-sequence given)",
                            t->type.module ? mn_cstr(t->type.module) : "", type->name,
                            t->nvisible, (long long)n);
        return mn_raise(&TypeErrorType, "%s.%s() takes an at least %d-sequence (%lld-sequence given)",
                        t->type.module ? mn_cstr(t->type.module) : "", type->name,
                        t->nvisible, (long long)n);
    }
    if (n > t->nfields)
        return mn_raise(&TypeErrorType, "%s.%s() takes an at most %d-sequence (%lld-sequence given)",
                        t->type.module ? mn_cstr(t->type.module) : "", type->name,
                        t->nfields, (long long)n);
    Value items[32];
    for (int i = 0; i < t->nfields; i++)
        items[i] = i < n ? AS(ListObject, seq)->items[i] : mn_None;
    return mn_structseq_new(t, items);
}

int mn_structseq_init(StructSeqType *t, const char *name, const char *module,
                      const char *const *fields, int nvisible, int nfields)
{
    if (t->type.flags & TF_READY)
        return 0;
    t->type.hdr.type = &TypeType;
    t->type.name = name;
    t->type.base = &TupleType;
    t->type.module = module ? mn_intern(module) : 0;
    t->type.flags = TF_TUPLE_SUB | TF_VARSIZE;
    t->type.basicsize = sizeof(TupleObject);
    t->type.repr = structseq_repr;
    t->type.getattr = structseq_getattr;
    t->type.new = structseq_new_slot;
    t->fields = fields;
    t->nvisible = nvisible;
    t->nfields = nfields;
    return mn_type_ready(&t->type);
}

Value mn_structseq_new(StructSeqType *t, const Value *items)
{
    TupleObject *o = mn_alloc_obj(&t->type, sizeof(TupleObject) + (size_t)t->nfields * sizeof(Value));
    o->len = t->nvisible;
    for (int i = 0; i < t->nfields; i++)
        o->items[i] = items[i];
    return mn_val(o);
}
