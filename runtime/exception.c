/*
 * exception.c -- the builtin exception hierarchy, raising and fetching
 * the current thread's exception, the line cache, and printing
 * tracebacks in CPython's format.
 *
 * Every exception instance is an ExceptionObject (object.h), possibly
 * followed by type-specific fields (StopIteration.value, OSError.errno,
 * ...), which are exposed as member descriptors that read None when unset.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "objmodel.h"
#include "../vm/tstate.h"

/* ------------------------------------------------------------------ */
/* Layouts of the exceptions with extra fields                         */
/* ------------------------------------------------------------------ */

typedef struct { ExceptionObject base; Value value; } StopIterationObject;
typedef struct { ExceptionObject base; Value code; } SystemExitObject;
typedef struct {
    ExceptionObject base;
    Value myerrno, strerror, filename, filename2;
} OSErrorObject;
typedef struct { ExceptionObject base; Value msg, name, path; } ImportErrorObject;
typedef struct {
    ExceptionObject base;
    Value msg, filename, lineno, offset, text, end_lineno, end_offset;
} SyntaxErrorObject;
typedef struct {
    ExceptionObject base;
    Value encoding, object, start, end, reason;
} UnicodeErrorObject;
typedef struct { ExceptionObject base; Value name, obj; } AttributeErrorObject;
typedef struct { ExceptionObject base; Value name; } NameErrorObject;

#define EXC(ex) AS(ExceptionObject, ex)

static bool is_exc(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type->flags & TF_EXCEPTION);
}

static bool no_kwargs(Value kwargs)
{
    return !kwargs || mn_dict_len(kwargs) == 0;
}

/* ------------------------------------------------------------------ */
/* BaseException                                                       */
/* ------------------------------------------------------------------ */

static Value exc_new(Type *t, Value *args, int nargs, Value kwargs)
{
    ExceptionObject *e = mn_alloc_obj(t, 0);
    e->args = mn_tuple_from(args, nargs);
    return mn_val(e);
}

/* args = tuple(args), reusing the tuple `new` made when it matches (the
 * usual case: type_call passes the same arguments to both). */
static void set_args(Value self, Value *args, int nargs)
{
    Value old = EXC(self)->args;
    if (old && mn_tuple_len(old) == nargs
        && (nargs == 0 || !memcmp(mn_tuple_items(old), args, sizeof(Value) * (size_t)nargs)))
        return;
    EXC(self)->args = mn_tuple_from(args, nargs);
}

static int exc_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (!no_kwargs(kwargs))
        return mn_raise_int(&TypeErrorType, "%s() takes no keyword arguments",
                            mn_type_name(self));
    set_args(self, args, nargs);
    return 0;
}

static Value exc_str(Value self)
{
    Value a = EXC(self)->args;
    int64_t n = a ? mn_tuple_len(a) : 0;
    if (n == 0)
        return mn_str("");
    if (n == 1)
        return mn_to_str(mn_tuple_items(a)[0]);
    return mn_to_str(a);
}

static Value exc_repr(Value self)
{
    Value a = EXC(self)->args;
    StrBuf sb;
    sb_init(&sb);
    sb_adds(&sb, mn_type_name(self));
    if (a && mn_tuple_len(a) == 1) {
        sb_addc(&sb, '(');
        if (sb_add_value_repr(&sb, mn_tuple_items(a)[0]) < 0)
            return MN_ERR;
        sb_addc(&sb, ')');
    } else if (!a || mn_tuple_len(a) == 0) {
        sb_adds(&sb, "()");
    } else if (sb_add_value_repr(&sb, a) < 0) {
        return MN_ERR;
    }
    return sb_finish(&sb);
}

static Value exc_get_args(Value self)
{
    Value a = EXC(self)->args;
    return a ? a : mn_empty_tuple;
}

static int exc_set_args(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&TypeErrorType, "args may not be deleted");
    Value t = mn_is_tuple(v) ? v : 0;
    if (!t) {
        Value l = mn_sequence_to_list(v);
        if (!l)
            return -1;
        t = mn_list_to_tuple(l);
    }
    EXC(self)->args = t;
    return 0;
}

static Value exc_get_tb(Value self)
{
    Value tb = EXC(self)->traceback;
    return tb ? tb : mn_None;
}

static int exc_set_tb(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&TypeErrorType, "__traceback__ may not be deleted");
    if (v != mn_None && !mn_is_list(v))
        return mn_raise_int(&TypeErrorType, "__traceback__ must be a traceback or None");
    EXC(self)->traceback = v == mn_None ? 0 : v;
    return 0;
}

static Value exc_get_context(Value self)
{
    Value c = EXC(self)->context;
    return c ? c : mn_None;
}

static int exc_set_context(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&TypeErrorType, "__context__ may not be deleted");
    if (v != mn_None && !is_exc(v))
        return mn_raise_int(&TypeErrorType, "exception context must be None or derive from "
                            "BaseException");
    EXC(self)->context = v == mn_None ? 0 : v;
    return 0;
}

static Value exc_get_cause(Value self)
{
    Value c = EXC(self)->cause;
    return c ? c : mn_None;
}

static int exc_set_cause(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&TypeErrorType, "__cause__ may not be deleted");
    if (v != mn_None && !is_exc(v))
        return mn_raise_int(&TypeErrorType, "exception cause must be None or derive from "
                            "BaseException");
    EXC(self)->cause = v == mn_None ? 0 : v;
    EXC(self)->suppress_context = true;
    return 0;
}

static Value exc_get_suppress(Value self)
{
    return mn_bool(EXC(self)->suppress_context);
}

static int exc_set_suppress(Value self, Value v)
{
    if (!v)
        return mn_raise_int(&TypeErrorType, "__suppress_context__ may not be deleted");
    int t = mn_truthy(v);
    if (t < 0)
        return -1;
    EXC(self)->suppress_context = t;
    return 0;
}

static GetSetDef exc_getset[] = {
    {"args", exc_get_args, exc_set_args},
    {"__traceback__", exc_get_tb, exc_set_tb},
    {"__context__", exc_get_context, exc_set_context},
    {"__cause__", exc_get_cause, exc_set_cause},
    {"__suppress_context__", exc_get_suppress, exc_set_suppress},
    {NULL, NULL, NULL},
};

static Value exc_with_traceback(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("with_traceback", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (exc_set_tb(args[0], args[1]) < 0)
        return MN_ERR;
    return args[0];
}

static Value exc_add_note(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("add_note", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value note = args[1];
    if (!mn_is_str(note))
        return mn_raise(&TypeErrorType, "note must be a str, not '%s'", mn_type_name(note));
    Value d = om_instance_dict(args[0], true);
    Value notes = mn_dict_get_str(d, om_id_notes);
    if (!notes) {
        notes = mn_list_new(0);
        mn_dict_set_str(d, om_id_notes, notes);
    } else if (!mn_is_list(notes)) {
        return mn_raise(&TypeErrorType, "Cannot add note: __notes__ is not a list");
    }
    if (mn_list_append(notes, note) < 0)
        return MN_ERR;
    return mn_None;
}

static MethodDef exc_methods[] = {
    {"with_traceback", exc_with_traceback, 0, NULL},
    {"add_note", exc_add_note, 0, NULL},
    {NULL, NULL, 0, NULL},
};

#define EXC_FLAGS (TF_BASETYPE | TF_EXCEPTION)
#define DEFEXC(var, nm, basev, ...) \
    Type var = {.hdr = {&TypeType}, .name = nm, .base = &basev, .flags = EXC_FLAGS, \
                ##__VA_ARGS__}

Type BaseExceptionType = {
    .hdr = {&TypeType},
    .name = "BaseException",
    .base = &ObjectType,
    .flags = EXC_FLAGS,
    .basicsize = sizeof(ExceptionObject),
    .dictoffset = offsetof(ExceptionObject, dict),
    .methods = exc_methods,
    .getset = exc_getset,
    .new = exc_new,
    .init = exc_init,
    .repr = exc_repr,
    .str = exc_str,
};

/* ------------------------------------------------------------------ */
/* Exceptions with their own behaviour                                 */
/* ------------------------------------------------------------------ */

static Value first_arg_or_none(Value *args, int nargs)
{
    return nargs > 0 ? args[0] : mn_None;
}

static int stopiter_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (exc_init(self, args, nargs, kwargs) < 0)
        return -1;
    AS(StopIterationObject, self)->value = first_arg_or_none(args, nargs);
    return 0;
}

static int sysexit_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (exc_init(self, args, nargs, kwargs) < 0)
        return -1;
    AS(SystemExitObject, self)->code = nargs == 0 ? mn_None
        : nargs == 1 ? args[0] : EXC(self)->args;
    return 0;
}

static Value keyerror_str(Value self)
{
    Value a = EXC(self)->args;
    if (a && mn_tuple_len(a) == 1)
        return mn_repr(mn_tuple_items(a)[0]);
    return exc_str(self);
}

/* Keyword arguments allowed by ImportError/AttributeError/NameError. */
static int take_kwargs(Value self, Value kwargs, const char *const *names, Value *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = 0;
    if (!kwargs)
        return 0;
    int64_t pos = 0;
    Value k, v;
    while (mn_dict_next(kwargs, &pos, &k, &v)) {
        int idx = -1;
        for (int i = 0; i < n; i++)
            if (mn_is_str(k) && !strcmp(mn_cstr(k), names[i]))
                idx = i;
        if (idx < 0)
            return mn_raise_int(&TypeErrorType, "'%s' is an invalid keyword argument for %s()",
                                mn_is_str(k) ? mn_cstr(k) : "?", mn_type_name(self));
        out[idx] = v;
    }
    return 0;
}

static int importerror_init(Value self, Value *args, int nargs, Value kwargs)
{
    static const char *const names[] = {"name", "path"};
    Value kw[2];
    if (take_kwargs(self, kwargs, names, kw, 2) < 0)
        return -1;
    EXC(self)->args = mn_tuple_from(args, nargs);
    ImportErrorObject *e = AS(ImportErrorObject, self);
    e->name = kw[0] ? kw[0] : mn_None;
    e->path = kw[1] ? kw[1] : mn_None;
    e->msg = nargs == 1 ? args[0] : mn_None;
    return 0;
}

static Value importerror_str(Value self)
{
    ImportErrorObject *e = AS(ImportErrorObject, self);
    if (e->msg && e->msg != mn_None)
        return mn_to_str(e->msg);
    return exc_str(self);
}

static int attrerror_init(Value self, Value *args, int nargs, Value kwargs)
{
    static const char *const names[] = {"name", "obj"};
    Value kw[2];
    if (take_kwargs(self, kwargs, names, kw, 2) < 0)
        return -1;
    EXC(self)->args = mn_tuple_from(args, nargs);
    AS(AttributeErrorObject, self)->name = kw[0] ? kw[0] : mn_None;
    AS(AttributeErrorObject, self)->obj = kw[1] ? kw[1] : mn_None;
    return 0;
}

static int nameerror_init(Value self, Value *args, int nargs, Value kwargs)
{
    static const char *const names[] = {"name"};
    Value kw[1];
    if (take_kwargs(self, kwargs, names, kw, 1) < 0)
        return -1;
    EXC(self)->args = mn_tuple_from(args, nargs);
    AS(NameErrorObject, self)->name = kw[0] ? kw[0] : mn_None;
    return 0;
}

/* OSError: errno -> subclass mapping, as CPython's OSError.__new__. */
static Type *oserror_subtype(int err)
{
    switch (err) {
    case EAGAIN: case EALREADY: case EINPROGRESS:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
        return &BlockingIOErrorType;
    case ECHILD: return &ChildProcessErrorType;
    case EPIPE: case ESHUTDOWN: return &BrokenPipeErrorType;
    case ECONNABORTED: return &ConnectionAbortedErrorType;
    case ECONNREFUSED: return &ConnectionRefusedErrorType;
    case ECONNRESET: return &ConnectionResetErrorType;
    case EEXIST: return &FileExistsErrorType;
    case ENOENT: return &FileNotFoundErrorType;
    case EISDIR: return &IsADirectoryErrorType;
    case ENOTDIR: return &NotADirectoryErrorType;
    case EINTR: return &InterruptedErrorType;
    case EACCES: case EPERM: return &PermissionErrorType;
    case ESRCH: return &ProcessLookupErrorType;
    case ETIMEDOUT: return &TimeoutErrorType;
    default: return NULL;
    }
}

static void oserror_parse(Value self, Value *args, int nargs)
{
    OSErrorObject *e = AS(OSErrorObject, self);
    e->myerrno = e->strerror = e->filename = e->filename2 = 0;
    EXC(self)->args = mn_tuple_from(args, nargs);
    if (nargs < 2 || nargs > 5)
        return;
    e->myerrno = args[0];
    e->strerror = args[1];
    if (nargs >= 3 && args[2] != mn_None) {
        e->filename = args[2];
        if (nargs >= 5 && args[4] != mn_None)
            e->filename2 = args[4];
        /* CPython keeps only (errno, strerror) in args then. */
        EXC(self)->args = mn_tuple_from(args, 2);
    }
}

static Value oserror_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (t == &OSErrorType && nargs >= 2 && mn_is_int(args[0])) {
        Type *sub = oserror_subtype((int)mn_int_val(args[0]));
        if (sub) {
            if (mn_type_ready(sub) < 0)
                return MN_ERR;
            t = sub;
        }
    }
    Value self = mn_val(mn_alloc_obj(t, 0));
    oserror_parse(self, args, nargs);
    return self;
}

static int oserror_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (!no_kwargs(kwargs))
        return mn_raise_int(&TypeErrorType, "%s() takes no keyword arguments",
                            mn_type_name(self));
    oserror_parse(self, args, nargs);
    return 0;
}

static Value oserror_str(Value self)
{
    OSErrorObject *e = AS(OSErrorObject, self);
    StrBuf sb;
    if (e->filename || (e->myerrno && e->strerror)) {
        sb_init(&sb);
        sb_adds(&sb, "[Errno ");
        if (sb_add_value_str(&sb, e->myerrno ? e->myerrno : mn_None) < 0)
            return MN_ERR;
        sb_adds(&sb, "] ");
        if (sb_add_value_str(&sb, e->strerror ? e->strerror : mn_None) < 0)
            return MN_ERR;
        if (e->filename) {
            sb_adds(&sb, ": ");
            if (sb_add_value_repr(&sb, e->filename) < 0)
                return MN_ERR;
            if (e->filename2) {
                sb_adds(&sb, " -> ");
                if (sb_add_value_repr(&sb, e->filename2) < 0)
                    return MN_ERR;
            }
        }
        return sb_finish(&sb);
    }
    return exc_str(self);
}

Value mn_oserror_new(int err, const char *filename)
{
    char buf[256];
    const char *msg = strerror_r(err, buf, sizeof buf);
    Value args[3] = {mn_int(err), mn_str(msg), filename ? mn_str(filename) : mn_None};
    return om_exc_new_v(&OSErrorType, args, filename ? 3 : 2);
}

/* SyntaxError(msg, (filename, lineno, offset, text[, end_lineno, end_offset])) */
static int syntaxerror_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (exc_init(self, args, nargs, kwargs) < 0)
        return -1;
    SyntaxErrorObject *e = AS(SyntaxErrorObject, self);
    if (nargs >= 1)
        e->msg = args[0];
    if (nargs == 2) {
        Value info = args[1];
        if (!mn_is_tuple(info)) {
            Value l = mn_sequence_to_list(info);
            if (!l)
                return -1;
            info = mn_list_to_tuple(l);
        }
        int64_t n = mn_tuple_len(info);
        if (n != 4 && n != 6)
            return mn_raise_int(&IndexErrorType, "tuple index out of range");
        Value *it = mn_tuple_items(info);
        e->filename = it[0];
        e->lineno = it[1];
        e->offset = it[2];
        e->text = it[3];
        if (n == 6) {
            e->end_lineno = it[4];
            e->end_offset = it[5];
        }
    }
    return 0;
}

static Value syntaxerror_str(Value self)
{
    SyntaxErrorObject *e = AS(SyntaxErrorObject, self);
    Value msg = e->msg ? mn_to_str(e->msg) : exc_str(self);
    if (!msg)
        return MN_ERR;
    const char *file = NULL;
    if (e->filename && mn_is_str(e->filename)) {
        file = mn_cstr(e->filename);
        const char *slash = strrchr(file, '/');
        if (slash)
            file = slash + 1;
    }
    bool have_line = e->lineno && mn_is_int(e->lineno);
    if (file && have_line)
        return mn_str_fmt("%s (%s, line %ld)", mn_cstr(msg), file, (long)mn_int_val(e->lineno));
    if (file)
        return mn_str_fmt("%s (%s)", mn_cstr(msg), file);
    if (have_line)
        return mn_str_fmt("%s (line %ld)", mn_cstr(msg), (long)mn_int_val(e->lineno));
    return msg;
}

/* UnicodeDecodeError(encoding, object, start, end, reason) and friends. */
static int unicode_init_common(Value self, Value *args, int nargs, Value kwargs, int want,
                               bool has_encoding)
{
    if (exc_init(self, args, nargs, kwargs) < 0)
        return -1;
    if (nargs != want)
        return mn_raise_int(&TypeErrorType, "function takes exactly %d arguments (%d given)",
                            want, nargs);
    UnicodeErrorObject *e = AS(UnicodeErrorObject, self);
    int i = 0;
    e->encoding = has_encoding ? args[i++] : mn_None;
    e->object = args[i++];
    e->start = args[i++];
    e->end = args[i++];
    e->reason = args[i];
    if (has_encoding && !mn_is_str(e->encoding))
        return mn_raise_int(&TypeErrorType, "argument 1 must be str, not %s",
                            mn_type_name(e->encoding));
    if (!mn_is_int(e->start) || !mn_is_int(e->end))
        return mn_raise_int(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                            mn_type_name(mn_is_int(e->start) ? e->end : e->start));
    return 0;
}

static int udecode_init(Value self, Value *args, int nargs, Value kwargs)
{
    return unicode_init_common(self, args, nargs, kwargs, 5, true);
}

static int uencode_init(Value self, Value *args, int nargs, Value kwargs)
{
    return unicode_init_common(self, args, nargs, kwargs, 5, true);
}

static int utranslate_init(Value self, Value *args, int nargs, Value kwargs)
{
    return unicode_init_common(self, args, nargs, kwargs, 4, false);
}

static bool unicode_fields_ok(UnicodeErrorObject *e)
{
    return e->object && e->start && mn_is_int(e->start) && e->end && mn_is_int(e->end)
        && e->reason && mn_is_str(e->reason);
}

static Value udecode_str(Value self)
{
    UnicodeErrorObject *e = AS(UnicodeErrorObject, self);
    if (!unicode_fields_ok(e) || !MN_IS_EXACT(e->object, BytesType))
        return exc_str(self);
    int64_t start = mn_int_val(e->start), end = mn_int_val(e->end);
    const char *enc = mn_is_str(e->encoding) ? mn_cstr(e->encoding) : "?";
    BytesObject *b = AS(BytesObject, e->object);
    if (start >= 0 && start < b->len && end == start + 1)
        return mn_str_fmt("'%s' codec can't decode byte 0x%02x in position %ld: %s", enc,
                          b->data[start], (long)start, mn_cstr(e->reason));
    return mn_str_fmt("'%s' codec can't decode bytes in position %ld-%ld: %s", enc,
                      (long)start, (long)(end - 1), mn_cstr(e->reason));
}

static void add_char_escape(StrBuf *sb, int64_t cp)
{
    if (cp < 0x100)
        sb_addf(sb, "'\\x%02x'", (unsigned)cp);
    else if (cp < 0x10000)
        sb_addf(sb, "'\\u%04x'", (unsigned)cp);
    else
        sb_addf(sb, "'\\U%08x'", (unsigned)cp);
}

static Value uencode_str_common(Value self, const char *verb, bool has_encoding)
{
    UnicodeErrorObject *e = AS(UnicodeErrorObject, self);
    if (!unicode_fields_ok(e) || !mn_is_str(e->object))
        return exc_str(self);
    int64_t start = mn_int_val(e->start), end = mn_int_val(e->end);
    StrBuf sb;
    sb_init(&sb);
    if (has_encoding)
        sb_addf(&sb, "'%s' codec can't %s ",
                mn_is_str(e->encoding) ? mn_cstr(e->encoding) : "?", verb);
    else
        sb_addf(&sb, "can't %s ", verb);
    int64_t n = AS(StrObject, e->object)->nchars;
    if (start >= 0 && start < n && end == start + 1) {
        sb_adds(&sb, "character ");
        add_char_escape(&sb, mn_str_codepoint_at(e->object, start));
        sb_addf(&sb, " in position %ld: %s", (long)start, mn_cstr(e->reason));
    } else {
        sb_addf(&sb, "characters in position %ld-%ld: %s", (long)start, (long)(end - 1),
                mn_cstr(e->reason));
    }
    return sb_finish(&sb);
}

static Value uencode_str(Value self)
{
    return uencode_str_common(self, "encode", true);
}

static Value utranslate_str(Value self)
{
    return uencode_str_common(self, "translate", false);
}

/* ------------------------------------------------------------------ */
/* The hierarchy                                                       */
/* ------------------------------------------------------------------ */

DEFEXC(ExceptionType, "Exception", BaseExceptionType);
DEFEXC(GeneratorExitType, "GeneratorExit", BaseExceptionType);
DEFEXC(KeyboardInterruptType, "KeyboardInterrupt", BaseExceptionType);
DEFEXC(SystemExitType, "SystemExit", BaseExceptionType,
       .basicsize = sizeof(SystemExitObject), .init = sysexit_init);

DEFEXC(ArithmeticErrorType, "ArithmeticError", ExceptionType);
DEFEXC(FloatingPointErrorType, "FloatingPointError", ArithmeticErrorType);
DEFEXC(OverflowErrorType, "OverflowError", ArithmeticErrorType);
DEFEXC(ZeroDivisionErrorType, "ZeroDivisionError", ArithmeticErrorType);
DEFEXC(AssertionErrorType, "AssertionError", ExceptionType);
DEFEXC(AttributeErrorType, "AttributeError", ExceptionType,
       .basicsize = sizeof(AttributeErrorObject), .init = attrerror_init);
DEFEXC(BufferErrorType, "BufferError", ExceptionType);
DEFEXC(EOFErrorType, "EOFError", ExceptionType);
DEFEXC(ImportErrorType, "ImportError", ExceptionType,
       .basicsize = sizeof(ImportErrorObject), .init = importerror_init,
       .str = importerror_str);
DEFEXC(ModuleNotFoundErrorType, "ModuleNotFoundError", ImportErrorType);
DEFEXC(LookupErrorType, "LookupError", ExceptionType);
DEFEXC(IndexErrorType, "IndexError", LookupErrorType);
DEFEXC(KeyErrorType, "KeyError", LookupErrorType, .str = keyerror_str);
DEFEXC(MemoryErrorType, "MemoryError", ExceptionType);
DEFEXC(NameErrorType, "NameError", ExceptionType,
       .basicsize = sizeof(NameErrorObject), .init = nameerror_init);
DEFEXC(UnboundLocalErrorType, "UnboundLocalError", NameErrorType);
DEFEXC(OSErrorType, "OSError", ExceptionType,
       .basicsize = sizeof(OSErrorObject), .new = oserror_new, .init = oserror_init,
       .str = oserror_str);
DEFEXC(BlockingIOErrorType, "BlockingIOError", OSErrorType);
DEFEXC(ChildProcessErrorType, "ChildProcessError", OSErrorType);
DEFEXC(ConnectionErrorType, "ConnectionError", OSErrorType);
DEFEXC(BrokenPipeErrorType, "BrokenPipeError", ConnectionErrorType);
DEFEXC(ConnectionAbortedErrorType, "ConnectionAbortedError", ConnectionErrorType);
DEFEXC(ConnectionRefusedErrorType, "ConnectionRefusedError", ConnectionErrorType);
DEFEXC(ConnectionResetErrorType, "ConnectionResetError", ConnectionErrorType);
DEFEXC(FileExistsErrorType, "FileExistsError", OSErrorType);
DEFEXC(FileNotFoundErrorType, "FileNotFoundError", OSErrorType);
DEFEXC(InterruptedErrorType, "InterruptedError", OSErrorType);
DEFEXC(IsADirectoryErrorType, "IsADirectoryError", OSErrorType);
DEFEXC(NotADirectoryErrorType, "NotADirectoryError", OSErrorType);
DEFEXC(PermissionErrorType, "PermissionError", OSErrorType);
DEFEXC(ProcessLookupErrorType, "ProcessLookupError", OSErrorType);
DEFEXC(TimeoutErrorType, "TimeoutError", OSErrorType);
DEFEXC(ReferenceErrorType, "ReferenceError", ExceptionType);
DEFEXC(RuntimeErrorType, "RuntimeError", ExceptionType);
DEFEXC(NotImplementedErrorType, "NotImplementedError", RuntimeErrorType);
DEFEXC(RecursionErrorType, "RecursionError", RuntimeErrorType);
DEFEXC(StopAsyncIterationType, "StopAsyncIteration", ExceptionType);
DEFEXC(StopIterationType, "StopIteration", ExceptionType,
       .basicsize = sizeof(StopIterationObject), .init = stopiter_init);
DEFEXC(SyntaxErrorType, "SyntaxError", ExceptionType,
       .basicsize = sizeof(SyntaxErrorObject), .init = syntaxerror_init,
       .str = syntaxerror_str);
DEFEXC(IndentationErrorType, "IndentationError", SyntaxErrorType);
DEFEXC(TabErrorType, "TabError", IndentationErrorType);
DEFEXC(SystemErrorType, "SystemError", ExceptionType);
DEFEXC(TypeErrorType, "TypeError", ExceptionType);
DEFEXC(ValueErrorType, "ValueError", ExceptionType);
DEFEXC(UnicodeErrorType, "UnicodeError", ValueErrorType,
       .basicsize = sizeof(UnicodeErrorObject));
DEFEXC(UnicodeDecodeErrorType, "UnicodeDecodeError", UnicodeErrorType,
       .init = udecode_init, .str = udecode_str);
DEFEXC(UnicodeEncodeErrorType, "UnicodeEncodeError", UnicodeErrorType,
       .init = uencode_init, .str = uencode_str);
DEFEXC(UnicodeTranslateErrorType, "UnicodeTranslateError", UnicodeErrorType,
       .init = utranslate_init, .str = utranslate_str);
DEFEXC(WarningType, "Warning", ExceptionType);
DEFEXC(BytesWarningType, "BytesWarning", WarningType);
DEFEXC(DeprecationWarningType, "DeprecationWarning", WarningType);
DEFEXC(EncodingWarningType, "EncodingWarning", WarningType);
DEFEXC(FutureWarningType, "FutureWarning", WarningType);
DEFEXC(ImportWarningType, "ImportWarning", WarningType);
DEFEXC(PendingDeprecationWarningType, "PendingDeprecationWarning", WarningType);
DEFEXC(ResourceWarningType, "ResourceWarning", WarningType);
DEFEXC(RuntimeWarningType, "RuntimeWarning", WarningType);
DEFEXC(SyntaxWarningType, "SyntaxWarning", WarningType);
DEFEXC(UnicodeWarningType, "UnicodeWarning", WarningType);
DEFEXC(UserWarningType, "UserWarning", WarningType);

Type *const mn_exception_types[] = {
    &BaseExceptionType, &ExceptionType, &GeneratorExitType, &KeyboardInterruptType,
    &SystemExitType, &ArithmeticErrorType, &FloatingPointErrorType, &OverflowErrorType,
    &ZeroDivisionErrorType, &AssertionErrorType, &AttributeErrorType, &BufferErrorType,
    &EOFErrorType, &ImportErrorType, &ModuleNotFoundErrorType, &LookupErrorType,
    &IndexErrorType, &KeyErrorType, &MemoryErrorType, &NameErrorType,
    &UnboundLocalErrorType, &OSErrorType, &BlockingIOErrorType, &ChildProcessErrorType,
    &ConnectionErrorType, &BrokenPipeErrorType, &ConnectionAbortedErrorType,
    &ConnectionRefusedErrorType, &ConnectionResetErrorType, &FileExistsErrorType,
    &FileNotFoundErrorType, &InterruptedErrorType, &IsADirectoryErrorType,
    &NotADirectoryErrorType, &PermissionErrorType, &ProcessLookupErrorType,
    &TimeoutErrorType, &ReferenceErrorType, &RuntimeErrorType, &NotImplementedErrorType,
    &RecursionErrorType, &StopAsyncIterationType, &StopIterationType, &SyntaxErrorType,
    &IndentationErrorType, &TabErrorType, &SystemErrorType, &TypeErrorType,
    &ValueErrorType, &UnicodeErrorType, &UnicodeDecodeErrorType, &UnicodeEncodeErrorType,
    &UnicodeTranslateErrorType, &WarningType, &BytesWarningType, &DeprecationWarningType,
    &EncodingWarningType, &FutureWarningType, &ImportWarningType,
    &PendingDeprecationWarningType, &ResourceWarningType, &RuntimeWarningType,
    &SyntaxWarningType, &UnicodeWarningType, &UserWarningType,
    NULL,
};

static void add_member(Type *t, const char *name, size_t offset)
{
    mn_dict_set_str(t->dict, mn_intern(name), om_member_new(t, name, offset, true));
}

void mn_init_exceptions(void)
{
    for (Type *const *t = mn_exception_types; *t; t++)
        if (mn_type_ready(*t) < 0)
            abort();
    add_member(&StopIterationType, "value", offsetof(StopIterationObject, value));
    add_member(&SystemExitType, "code", offsetof(SystemExitObject, code));
    add_member(&OSErrorType, "errno", offsetof(OSErrorObject, myerrno));
    add_member(&OSErrorType, "strerror", offsetof(OSErrorObject, strerror));
    add_member(&OSErrorType, "filename", offsetof(OSErrorObject, filename));
    add_member(&OSErrorType, "filename2", offsetof(OSErrorObject, filename2));
    add_member(&ImportErrorType, "msg", offsetof(ImportErrorObject, msg));
    add_member(&ImportErrorType, "name", offsetof(ImportErrorObject, name));
    add_member(&ImportErrorType, "path", offsetof(ImportErrorObject, path));
    add_member(&AttributeErrorType, "name", offsetof(AttributeErrorObject, name));
    add_member(&AttributeErrorType, "obj", offsetof(AttributeErrorObject, obj));
    add_member(&NameErrorType, "name", offsetof(NameErrorObject, name));
    static const struct { const char *n; size_t off; } se[] = {
        {"msg", offsetof(SyntaxErrorObject, msg)},
        {"filename", offsetof(SyntaxErrorObject, filename)},
        {"lineno", offsetof(SyntaxErrorObject, lineno)},
        {"offset", offsetof(SyntaxErrorObject, offset)},
        {"text", offsetof(SyntaxErrorObject, text)},
        {"end_lineno", offsetof(SyntaxErrorObject, end_lineno)},
        {"end_offset", offsetof(SyntaxErrorObject, end_offset)},
    };
    for (size_t i = 0; i < sizeof se / sizeof *se; i++)
        add_member(&SyntaxErrorType, se[i].n, se[i].off);
    static const struct { const char *n; size_t off; } ue[] = {
        {"encoding", offsetof(UnicodeErrorObject, encoding)},
        {"object", offsetof(UnicodeErrorObject, object)},
        {"start", offsetof(UnicodeErrorObject, start)},
        {"end", offsetof(UnicodeErrorObject, end)},
        {"reason", offsetof(UnicodeErrorObject, reason)},
    };
    for (size_t i = 0; i < sizeof ue / sizeof *ue; i++)
        add_member(&UnicodeErrorType, ue[i].n, ue[i].off);
}

/* ------------------------------------------------------------------ */
/* Raising and fetching                                                */
/* ------------------------------------------------------------------ */

void om_set_exc(Value exc)
{
    ThreadState *ts = mn_ts();
    if (!ts) {
        /* Only during start-up, before any thread state: a bug. */
        fprintf(stderr, "mini: exception raised before the runtime was ready:\n");
        mn_print_exception(exc, stderr);
        abort();
    }
    Value handled = ts->handled;
    if (handled && handled != exc && is_exc(exc) && is_exc(handled)) {
        /* Chain implicitly, cutting any cycle through exc (CPython). */
        Value o = handled;
        for (int steps = 0; o && steps < 10000; steps++) {
            Value c = EXC(o)->context;
            if (c == exc) {
                EXC(o)->context = 0;
                break;
            }
            o = c;
        }
        EXC(exc)->context = handled;
    }
    ts->exc = exc;
}

Value om_exc_new_v(Type *t, Value *args, int nargs)
{
    return mn_call(mn_val(t), args, nargs, 0);
}

Value mn_exc_new(Type *t, Value args_tuple)
{
    return om_exc_new_v(t, mn_tuple_items(args_tuple), (int)mn_tuple_len(args_tuple));
}

static Value raise_msg(Type *t, const char *fmt, va_list ap)
{
    char buf[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    Value msg;
    if (n < (int)sizeof buf) {
        msg = mn_str_new(buf, (size_t)(n < 0 ? 0 : n));
    } else {
        char *big = gc_alloc_atomic((size_t)n + 1);
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        msg = mn_str_new(big, (size_t)n);
    }
    va_end(ap2);
    Value exc = om_exc_new_v(t, &msg, 1);
    if (exc)
        om_set_exc(exc);
    return MN_ERR;
}

Value mn_raise(Type *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_msg(t, fmt, ap);
    va_end(ap);
    return MN_ERR;
}

int mn_raise_int(Type *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_msg(t, fmt, ap);
    va_end(ap);
    return -1;
}

Value mn_raise_value(Type *t, Value arg)
{
    Value exc = om_exc_new_v(t, &arg, 1);
    if (exc)
        om_set_exc(exc);
    return MN_ERR;
}

Value mn_raise_exc(Value exc)
{
    if (mn_is_obj(exc) && (mn_obj(exc)->type->flags & TF_TYPE_SUB)
        && (AS(Type, exc)->flags & TF_EXCEPTION)) {
        Value inst = mn_call0(exc);
        if (!inst)
            return MN_ERR;
        if (!is_exc(inst))
            return mn_raise(&TypeErrorType, "calling %s should have returned an instance of "
                            "BaseException, not %s", AS(Type, exc)->name,
                            mn_type_name(inst));
        exc = inst;
    } else if (!is_exc(exc)) {
        return mn_raise(&TypeErrorType, "exceptions must derive from BaseException");
    }
    om_set_exc(exc);
    return MN_ERR;
}

bool mn_exc_occurred(void)
{
    return mn_ts()->exc != 0;
}

Value mn_exc_current(void)
{
    return mn_ts()->exc;
}

bool mn_exc_matches(Type *t)
{
    Value e = mn_ts()->exc;
    return e && mn_isinstance_t(e, t);
}

Value mn_exc_fetch(void)
{
    ThreadState *ts = mn_ts();
    Value e = ts->exc;
    ts->exc = 0;
    return e;
}

void mn_exc_clear(void)
{
    mn_ts()->exc = 0;
}

/* ------------------------------------------------------------------ */
/* Line cache                                                          */
/* ------------------------------------------------------------------ */

/* Plain malloc memory: these are C strings nobody frees, and a returned
 * line must stay valid even if its file is registered again later. */
typedef struct LineFile {
    char *filename;
    char **lines;
    int nlines;
    struct LineFile *next;
} LineFile;

static LineFile *lc_files;
static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;

static void lc_split(LineFile *f, const char *src, size_t len)
{
    int cap = 16, n = 0;
    char **lines = malloc(sizeof(char *) * (size_t)cap);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && src[j] != '\n')
            j++;
        size_t e = j;
        if (e > i && src[e - 1] == '\r')
            e--;
        if (n == cap) {
            cap *= 2;
            lines = realloc(lines, sizeof(char *) * (size_t)cap);
        }
        lines[n] = malloc(e - i + 1);
        memcpy(lines[n], src + i, e - i);
        lines[n][e - i] = 0;
        n++;
        i = j + 1;
    }
    f->lines = lines;
    f->nlines = n;
}

static LineFile *lc_find(const char *filename)
{
    for (LineFile *f = lc_files; f; f = f->next)
        if (!strcmp(f->filename, filename))
            return f;
    return NULL;
}

static LineFile *lc_new(const char *filename)
{
    LineFile *f = calloc(1, sizeof *f);
    f->filename = strdup(filename);
    f->next = lc_files;
    lc_files = f;
    return f;
}

void mn_linecache_add(const char *filename, const char *src, size_t len)
{
    pthread_mutex_lock(&lc_lock);
    LineFile *f = lc_find(filename);
    if (!f)
        f = lc_new(filename);
    /* The old lines leak on purpose: another thread may be printing them. */
    LineFile tmp;
    lc_split(&tmp, src, len);
    f->lines = tmp.lines;
    f->nlines = tmp.nlines;
    pthread_mutex_unlock(&lc_lock);
}

const char *mn_linecache_get(const char *filename, int lineno)
{
    if (!filename)
        return NULL;
    pthread_mutex_lock(&lc_lock);
    LineFile *f = lc_find(filename);
    if (!f) {
        f = lc_new(filename);
        FILE *fp = filename[0] != '<' ? fopen(filename, "rb") : NULL;
        if (fp) {
            size_t cap = 4096, len = 0, got;
            char *buf = malloc(cap);
            while ((got = fread(buf + len, 1, cap - len, fp)) > 0) {
                len += got;
                if (len == cap) {
                    cap *= 2;
                    buf = realloc(buf, cap);
                }
            }
            fclose(fp);
            lc_split(f, buf, len);
            free(buf);
        }
    }
    const char *line = lineno >= 1 && lineno <= f->nlines ? f->lines[lineno - 1] : NULL;
    pthread_mutex_unlock(&lc_lock);
    return line;
}

/* ------------------------------------------------------------------ */
/* Printing                                                            */
/* ------------------------------------------------------------------ */

static void print_source_line(FILE *f, const char *filename, int lineno)
{
    const char *line = mn_linecache_get(filename, lineno);
    if (!line)
        return;
    while (*line == ' ' || *line == '\t' || *line == '\f')
        line++;
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        n--;
    if (n)
        fprintf(f, "    %.*s\n", (int)n, line);
}

/* One traceback entry, or false if it is not a (file, line, name) tuple. */
static bool tb_entry(Value e, const char **file, long *line, const char **name)
{
    if (!mn_is_tuple(e) || mn_tuple_len(e) < 3)
        return false;
    Value *it = mn_tuple_items(e);
    if (!mn_is_str(it[0]) || !mn_is_int(it[1]) || !mn_is_str(it[2]))
        return false;
    *file = mn_cstr(it[0]);
    *line = (long)mn_int_val(it[1]);
    *name = mn_cstr(it[2]);
    return true;
}

static void print_traceback(Value tb, FILE *f)
{
    if (!tb || !mn_is_list(tb) || AS(ListObject, tb)->len == 0)
        return;
    fputs("Traceback (most recent call last):\n", f);
    ListObject *l = AS(ListObject, tb);
    const char *lfile = NULL, *lname = NULL;
    long lline = -1;
    long repeat = 0;
    /* Innermost first in the list: print it backwards.  Runs of the same
     * entry past the third are summarised, as CPython does. */
    for (int64_t i = l->len - 1; i >= 0; i--) {
        const char *file, *name;
        long line;
        if (!tb_entry(l->items[i], &file, &line, &name))
            continue;
        if (lfile && line == lline && !strcmp(file, lfile) && !strcmp(name, lname)) {
            repeat++;
        } else {
            if (repeat > 3)
                fprintf(f, "  [Previous line repeated %ld more time%s]\n", repeat - 3,
                        repeat - 3 > 1 ? "s" : "");
            lfile = file;
            lname = name;
            lline = line;
            repeat = 1;
        }
        if (repeat <= 3) {
            fprintf(f, "  File \"%s\", line %ld, in %s\n", file, line, name);
            print_source_line(f, file, (int)line);
        }
    }
    if (repeat > 3)
        fprintf(f, "  [Previous line repeated %ld more time%s]\n", repeat - 3,
                repeat - 3 > 1 ? "s" : "");
}

/* The SyntaxError location block: file/line, the text and a caret. */
static void print_syntax_details(Value exc, FILE *f)
{
    SyntaxErrorObject *e = AS(SyntaxErrorObject, exc);
    if (e->lineno && mn_is_int(e->lineno)) {
        const char *file = e->filename && mn_is_str(e->filename) ? mn_cstr(e->filename)
                                                                 : "<string>";
        fprintf(f, "  File \"%s\", line %ld\n", file, (long)mn_int_val(e->lineno));
    }
    if (!e->text || !mn_is_str(e->text))
        return;
    const char *text = mn_cstr(e->text);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    size_t spaces = 0;
    while (spaces < n && (text[spaces] == ' ' || text[spaces] == '\n' || text[spaces] == '\f'))
        spaces++;
    const char *lt = text + spaces;
    size_t ln = n - spaces;
    fprintf(f, "    %.*s\n", (int)ln, lt);
    if (!e->offset || !mn_is_int(e->offset))
        return;
    /* Offsets count characters; this treats the line as ASCII-ish, which
     * only misplaces the caret on lines with wide characters. */
    long off = (long)mn_int_val(e->offset);
    long end = e->end_offset && mn_is_int(e->end_offset) ? (long)mn_int_val(e->end_offset) : 0;
    if (end == 0)
        end = off;
    if (off == end || end == -1)
        end = off + 1;
    long col = off - 1 - (long)spaces, ecol = end - 1 - (long)spaces;
    if (col < 0)
        return;
    fputs("    ", f);
    for (long i = 0; i < col && (size_t)i < ln; i++)
        fputc(lt[i] == '\t' || lt[i] == '\f' ? lt[i] : ' ', f);
    for (long i = col; i < ecol || i == col; i++)
        fputc('^', f);
    fputc('\n', f);
}

static void print_exc_line(Value exc, FILE *f)
{
    Type *t = mn_typeof(exc);
    Value name = om_type_fullname(t, true);
    bool syntax = mn_isinstance_t(exc, &SyntaxErrorType);
    if (syntax)
        print_syntax_details(exc, f);
    Value s;
    if (syntax && AS(SyntaxErrorObject, exc)->msg)
        s = mn_to_str(AS(SyntaxErrorObject, exc)->msg);
    else
        s = mn_to_str(exc);
    if (!s) {
        mn_exc_clear();
        fprintf(f, "%s: <exception str() failed>\n", mn_cstr(name));
    } else if (mn_str_len(s) == 0) {
        fprintf(f, "%s\n", mn_cstr(name));
    } else {
        fprintf(f, "%s: %s\n", mn_cstr(name), mn_cstr(s));
    }
    /* add_note() notes, one per line. */
    Value d = om_instance_dict(exc, false);
    Value notes = d && mn_is_dict(d) ? mn_dict_get_str(d, om_id_notes) : 0;
    if (notes && (mn_is_list(notes) || mn_is_tuple(notes))) {
        Value *items = mn_is_list(notes) ? AS(ListObject, notes)->items : mn_tuple_items(notes);
        int64_t n = mn_is_list(notes) ? AS(ListObject, notes)->len : mn_tuple_len(notes);
        for (int64_t i = 0; i < n; i++) {
            Value ns = mn_is_str(items[i]) ? items[i] : mn_to_str(items[i]);
            if (!ns) {
                mn_exc_clear();
                fputs("<note str() failed>\n", f);
            } else {
                fprintf(f, "%s\n", mn_cstr(ns));
            }
        }
    }
}

#define MAX_CHAIN 64

static void print_chain(Value exc, FILE *f, Value *seen, int *nseen)
{
    if (*nseen < MAX_CHAIN)
        seen[(*nseen)++] = exc;
    ExceptionObject *e = EXC(exc);
    Value next = 0;
    const char *msg = NULL;
    if (e->cause) {
        next = e->cause;
        msg = "\nThe above exception was the direct cause of the following exception:\n\n";
    } else if (e->context && !e->suppress_context) {
        next = e->context;
        msg = "\nDuring handling of the above exception, another exception occurred:\n\n";
    }
    if (next && is_exc(next) && *nseen < MAX_CHAIN) {
        bool dup = false;
        for (int i = 0; i < *nseen; i++)
            dup |= seen[i] == next;
        if (!dup) {
            print_chain(next, f, seen, nseen);
            fputs(msg, f);
        }
    }
    print_traceback(e->traceback, f);
    print_exc_line(exc, f);
}

void mn_print_exception(Value exc, FILE *f)
{
    if (!is_exc(exc)) {
        fprintf(f, "TypeError: print_exception(): Exception expected for value, %s found\n",
                mn_type_name(exc));
        return;
    }
    /* Printing may run str() on user objects: keep any pending exception. */
    ThreadState *ts = mn_ts();
    Value saved = ts ? ts->exc : 0;
    if (ts)
        ts->exc = 0;
    Value seen[MAX_CHAIN];
    int nseen = 0;
    if (ts)
        print_chain(exc, f, seen, &nseen);
    else
        fprintf(f, "%s\n", mn_typeof(exc)->name);
    if (ts)
        ts->exc = saved;
    fflush(f);
}
