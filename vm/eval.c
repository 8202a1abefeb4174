/*
 * eval.c -- the bytecode interpreter.
 *
 * One loop, written once against TARGET(op)/DISPATCH() so that it compiles
 * to computed-goto threading (default: every instruction ends with its own
 * indirect jump, which predicts far better than one shared switch jump) or,
 * with -DMINI_SWITCH_DISPATCH=1, to a portable switch.  The dispatch table
 * is generated from vm/opcodes.h, so a missing TARGET is a compile error.
 *
 * Frames live on the thread's VM stack (vm/frame.h).  A call from mini to
 * a mini function pushes a frame and continues in this same loop; only
 * calls that pass through C (a class's __init__, a sort key, __eq__ ...)
 * re-enter eval_frame().  Both count toward mn_interp.recursion_limit; C
 * re-entries are additionally bounded by the real C stack (mn_check_c_stack)
 * so even a limit of 100000 can never overflow the C stack.
 *
 * Exceptions: a failing instruction jumps to `error`, which records a
 * traceback entry for the frame (filename, line, function) and the
 * implicit __context__, then `exception_unwind` consults the code's
 * exception table (vm/code.h): if a handler covers the instruction, the
 * stack is cut to the handler's depth, the exception pushed and execution
 * continues at the handler; otherwise the frame is popped and the caller's
 * instruction fails in turn.  RERAISE / bare `raise` skip the traceback
 * entry (the exception already has one for this frame), as in CPython.
 *
 * The eval breaker (ts->eval_breaker) is read with one relaxed atomic load
 * at every backward jump and before every call of a mini function; a bit
 * selected by the loop's eb_mask sends us to mn_eval_breaker_slow() (the
 * GIL hand-over, signals, async exceptions).  With --switch-instructions
 * and a waiting thread the loop enters "counting mode" (vm/gil.h): the
 * dispatch table is swapped for one whose every entry ticks the thread's
 * instruction budget first, so the normal path pays nothing for it.
 *
 * Fast paths, all falling back to the generic runtime/abstract.c calls:
 *  - small-int + - * // % and comparisons inline with overflow checks;
 *    a small-int COMPARE_OP followed by a forward POP_JUMP_IF_* is fused
 *    (no bool is materialised, one dispatch saved);
 *  - calls of FunctionObjects bind positional arguments straight into the
 *    new frame's slots; bound methods of mini functions are unwrapped in
 *    place; LOAD_METHOD/CALL_METHOD never allocate a bound method;
 *  - LOAD_ATTR / STORE_ATTR / LOAD_METHOD use per-instruction inline
 *    caches validated by the receiver type's version tag (vm/code.h), so a
 *    monomorphic attribute access costs one instance-dict lookup;
 *  - LOAD_GLOBAL uses per-name position hints into the globals/builtins
 *    dicts when runtime/dict.c provides mn_dict_get_str_hint;
 *  - FOR_ITER steps range, list and tuple iterators inline;
 *  - list/tuple subscripts with a small-int index inline.
 */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "eval.h"
#include "gil.h"
#include "opcodes.h"

/* Optional runtime/dict.c API (see object.h): without it LOAD_GLOBAL
 * does plain lookups. */
#pragma weak mn_dict_get_str_hint

/* Later VM stack chunks hold this many Values (or what one frame needs). */
#define CHUNK_SLOTS (64 * 1024)

static _Atomic int sigint_pending;

/* ------------------------------------------------------------------ */
/* frames                                                              */
/* ------------------------------------------------------------------ */

static Frame *push_frame_slow(ThreadState *ts, CodeObject *co)
{
    size_t need = (size_t)co->framesize + MN_CHUNK_HEADER;
    Value *chunk = ts->stack_chunk;
    Value *next = (Value *)chunk[1];
    if (!next || (size_t)next[2] < need) {
        size_t n = need > CHUNK_SLOTS ? need : CHUNK_SLOTS;
        next = mn_stack_chunk_new(chunk, n);
        chunk[1] = (Value)next;
    }
    Value *old_top = ts->stack_top;
    ts->stack_chunk = next;
    ts->stack_base = next + MN_CHUNK_HEADER;
    ts->stack_limit = next + (size_t)next[2];
    Frame *f = (Frame *)ts->stack_base;
    f->prev_top = old_top;
    f->flags = FRAME_NEWCHUNK;
    ts->stack_top = ts->stack_base + co->framesize;
    return f;
}

/* Reserve a frame for `co` (header and slots uninitialised except
 * prev_top and flags).  Returns NULL with RecursionError set. */
static inline Frame *push_frame(ThreadState *ts, CodeObject *co, bool from_c)
{
    if (__builtin_expect(++ts->recursion_depth > mn_interp.recursion_limit, 0)) {
        ts->recursion_depth--;
        (void)from_c;
        mn_raise(&RecursionErrorType, "maximum recursion depth exceeded");
        return NULL;
    }
    Value *top = ts->stack_top;
    if (__builtin_expect(top + co->framesize > ts->stack_limit, 0))
        return push_frame_slow(ts, co);
    Frame *f = (Frame *)top;
    f->prev_top = top;
    f->flags = 0;
    ts->stack_top = top + co->framesize;
    return f;
}

static inline void pop_frame(ThreadState *ts, Frame *f)
{
    if (__builtin_expect(f->flags & FRAME_NEWCHUNK, 0)) {
        Value *prev = (Value *)ts->stack_chunk[0];
        ts->stack_chunk = prev;
        ts->stack_base = prev + MN_CHUNK_HEADER;
        ts->stack_limit = prev + (size_t)prev[2];
    }
    ts->stack_top = f->prev_top;
    ts->recursion_depth--;
}

static inline void init_function_frame(Frame *f, FunctionObject *fn, CodeObject *co)
{
    f->code = co;
    f->func = mn_val(fn);
    f->globals = fn->globals;
    f->builtins = fn->builtins;
    f->locals = 0;
    f->ip = co->code;
    f->sp = f->localsplus + co->nlocalsplus;
    if (co->nfree) {
        Value *cells = mn_tuple_items(fn->closure);
        Value *dst = f->localsplus + co->nlocalsplus - co->nfree;
        for (int i = 0; i < co->nfree; i++)
            dst[i] = cells[i];
    }
}

int mn_frame_lineno(Frame *f)
{
    int off = (int)(f->ip - f->code->code) - 1;
    return mn_code_addr2line(f->code, off < 0 ? 0 : off);
}

/* ------------------------------------------------------------------ */
/* argument binding                                                    */
/* ------------------------------------------------------------------ */

static const char *fn_qualname(FunctionObject *fn)
{
    Value q = fn->qualname ? fn->qualname : fn->code->qualname;
    return mn_is_str(q) ? mn_cstr(q) : "?";
}

static void missing_arguments(FunctionObject *fn, Value *L, int from, int to,
                              bool kwonly, int missing)
{
    Value *names = mn_tuple_items(fn->code->localnames);
    StrBuf b;
    sb_init(&b);
    int k = 0;
    for (int i = from; i < to; i++) {
        if (L[i])
            continue;
        if (k > 0) {
            if (missing == 2)
                sb_adds(&b, " and ");
            else if (k == missing - 1)
                sb_adds(&b, ", and ");
            else
                sb_adds(&b, ", ");
        }
        sb_addf(&b, "'%s'", mn_cstr(names[i]));
        k++;
    }
    Value list = sb_finish(&b);
    mn_raise(&TypeErrorType, "%s() missing %d required %s argument%s: %s", fn_qualname(fn),
             missing, kwonly ? "keyword-only" : "positional", missing == 1 ? "" : "s",
             mn_cstr(list));
}

static void too_many_positional(FunctionObject *fn, Value *L, int given)
{
    CodeObject *co = fn->code;
    int kwonly_given = 0;
    for (int i = co->argcount; i < co->argcount + co->kwonlyargcount; i++)
        if (L[i])
            kwonly_given++;
    int defcount = fn->defaults ? (int)mn_tuple_len(fn->defaults) : 0;
    char sig[64], kwsig[96] = "";
    bool plural;
    if (defcount) {
        plural = true;
        snprintf(sig, sizeof sig, "from %d to %d", co->argcount - defcount, co->argcount);
    } else {
        plural = co->argcount != 1;
        snprintf(sig, sizeof sig, "%d", co->argcount);
    }
    if (kwonly_given)
        snprintf(kwsig, sizeof kwsig, " positional argument%s (and %d keyword-only argument%s)",
                 given != 1 ? "s" : "", kwonly_given, kwonly_given != 1 ? "s" : "");
    mn_raise(&TypeErrorType, "%s() takes %s positional argument%s but %d%s %s given",
             fn_qualname(fn), sig, plural ? "s" : "", given, kwsig,
             given == 1 && !kwonly_given ? "was" : "were");
}

static void posonly_passed_as_keyword(FunctionObject *fn, Value kwnames, Value kwdict)
{
    CodeObject *co = fn->code;
    Value *names = mn_tuple_items(co->localnames);
    StrBuf b;
    sb_init(&b);
    int k = 0;
    for (int p = 0; p < co->posonlyargcount; p++) {
        bool given = false;
        if (kwnames) {
            for (int64_t i = 0; i < mn_tuple_len(kwnames); i++)
                if (mn_str_eq(mn_tuple_items(kwnames)[i], names[p]))
                    given = true;
        } else if (kwdict) {
            given = mn_dict_get(kwdict, names[p]) != 0;
        }
        if (!given)
            continue;
        if (k++)
            sb_adds(&b, ", ");
        sb_adds(&b, mn_cstr(names[p]));
    }
    Value list = sb_finish(&b);
    mn_raise(&TypeErrorType,
             "%s() got some positional-only arguments passed as keyword arguments: '%s'",
             fn_qualname(fn), mn_cstr(list));
}

/* Bind a call's arguments into the (zeroed) locals L of fn's new frame.
 * Keyword arguments come either as kwnames (tuple of str) with their
 * values in kwvals, or as a dict kwdict. */
static int bind_args(FunctionObject *fn, Value *L, Value *args, int nargs, Value *kwvals,
                     Value kwnames, Value kwdict)
{
    CodeObject *co = fn->code;
    int argcount = co->argcount, total = argcount + co->kwonlyargcount;
    Value varkw = 0;
    if (co->flags & CO_VARKW) {
        varkw = mn_dict_new();
        L[total + ((co->flags & CO_VARARGS) ? 1 : 0)] = varkw;
    }
    int n = nargs < argcount ? nargs : argcount;
    for (int i = 0; i < n; i++)
        L[i] = args[i];
    if (co->flags & CO_VARARGS)
        L[total] = nargs > argcount ? mn_tuple_from(args + argcount, nargs - argcount)
                                    : mn_empty_tuple;

    Value *names = mn_tuple_items(co->localnames);
    int nkw = kwnames ? (int)mn_tuple_len(kwnames) : 0;
    int64_t pos = 0;
    for (int k = 0;; k++) {
        Value key, val;
        if (kwnames) {
            if (k >= nkw)
                break;
            key = mn_tuple_items(kwnames)[k];
            val = kwvals[k];
        } else if (kwdict) {
            if (!mn_dict_next(kwdict, &pos, &key, &val))
                break;
        } else {
            break;
        }
        if (!mn_is_str(key)) {
            mn_raise(&TypeErrorType, "%s() keywords must be strings", fn_qualname(fn));
            return -1;
        }
        int j, first = co->posonlyargcount;
        for (j = first; j < total; j++)
            if (names[j] == key)
                break;
        if (j == total && !AS(StrObject, key)->interned)
            for (j = first; j < total; j++)
                if (mn_str_eq(names[j], key))
                    break;
        if (j == total && first && !varkw) {
            for (int p = 0; p < first; p++)
                if (mn_str_eq(names[p], key)) {
                    posonly_passed_as_keyword(fn, kwvals ? kwnames : 0, kwdict);
                    return -1;
                }
        }
        if (j < total) {
            if (L[j]) {
                mn_raise(&TypeErrorType, "%s() got multiple values for argument '%s'",
                         fn_qualname(fn), mn_cstr(key));
                return -1;
            }
            L[j] = val;
        } else if (varkw) {
            if (mn_dict_set(varkw, key, val) < 0)
                return -1;
        } else {
            mn_raise(&TypeErrorType, "%s() got an unexpected keyword argument '%s'",
                     fn_qualname(fn), mn_cstr(key));
            return -1;
        }
    }
    if (nargs > argcount && !(co->flags & CO_VARARGS)) {
        too_many_positional(fn, L, nargs);
        return -1;
    }
    if (nargs < argcount) {
        int ndefs = fn->defaults ? (int)mn_tuple_len(fn->defaults) : 0;
        int m = argcount - ndefs;
        int missing = 0;
        for (int i = nargs; i < m; i++)
            if (!L[i])
                missing++;
        if (missing) {
            missing_arguments(fn, L, nargs, m, false, missing);
            return -1;
        }
        Value *defs = ndefs ? mn_tuple_items(fn->defaults) : NULL;
        for (int i = nargs > m ? nargs : m; i < argcount; i++)
            if (!L[i])
                L[i] = defs[i - m];
    }
    if (co->kwonlyargcount) {
        int missing = 0;
        for (int i = argcount; i < total; i++) {
            if (L[i])
                continue;
            Value d = fn->kwdefaults ? mn_dict_get_str(fn->kwdefaults, names[i]) : 0;
            if (d)
                L[i] = d;
            else
                missing++;
        }
        if (missing) {
            missing_arguments(fn, L, argcount, total, true, missing);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* exceptions                                                          */
/* ------------------------------------------------------------------ */

static inline bool is_exc_instance(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type->flags & TF_EXCEPTION);
}

static inline bool is_exc_class(Value v)
{
    return mn_is_obj(v) && mn_obj(v)->type && (mn_obj(v)->type->flags & TF_TYPE_SUB) &&
           (AS(Type, v)->flags & TF_EXCEPTION);
}

static void add_traceback(Value exc, Frame *f, const uint32_t *ip)
{
    if (!is_exc_instance(exc))
        return;
    ExceptionObject *e = AS(ExceptionObject, exc);
    if (!e->traceback)
        e->traceback = mn_list_new(0);
    CodeObject *co = f->code;
    int off = (int)(ip - co->code) - 1;
    int line = mn_code_addr2line(co, off < 0 ? 0 : off);
    Value entry = mn_tuple_pack(3, co->filename, mn_int(line), co->name);
    if (mn_list_append(e->traceback, entry) < 0)
        mn_exc_clear();
}

/* exc.__context__ = handled, breaking any cycle that would create. */
static void set_context(Value exc, Value handled)
{
    if (!handled || handled == exc || !is_exc_instance(exc) || !is_exc_instance(handled))
        return;
    Value o = handled;
    for (int guard = 0; o && guard < 1000; guard++) {
        ExceptionObject *oe = AS(ExceptionObject, o);
        if (oe->context == exc) {
            oe->context = 0;
            break;
        }
        o = oe->context;
    }
    AS(ExceptionObject, exc)->context = handled;
}

/* `raise exc [from cause]`: returns -1 with the exception set. */
static int do_raise(ThreadState *ts, Value exc, Value cause)
{
    Value inst;
    if (is_exc_class(exc)) {
        inst = mn_call0(exc);
        if (!inst)
            return -1;
        if (!is_exc_instance(inst)) {
            mn_raise(&TypeErrorType,
                     "calling %s should have returned an instance of BaseException, not %s",
                     mn_type_name(exc), mn_type_name(inst));
            return -1;
        }
    } else if (is_exc_instance(exc)) {
        inst = exc;
    } else {
        mn_raise(&TypeErrorType, "exceptions must derive from BaseException");
        return -1;
    }
    if (cause) {
        Value c;
        if (cause == mn_None) {
            c = 0;
        } else if (is_exc_class(cause)) {
            c = mn_call0(cause);
            if (!c)
                return -1;
        } else if (is_exc_instance(cause)) {
            c = cause;
        } else {
            mn_raise(&TypeErrorType, "exception causes must derive from BaseException");
            return -1;
        }
        AS(ExceptionObject, inst)->cause = c;
        AS(ExceptionObject, inst)->suppress_context = true;
    }
    set_context(inst, ts->handled);
    ts->exc = inst;
    return -1;
}

static Value exc_match(Value exc, Value type)
{
    if (mn_is_tuple(type)) {
        for (int64_t i = 0; i < mn_tuple_len(type); i++)
            if (!is_exc_class(mn_tuple_items(type)[i]))
                goto bad;
    } else if (!is_exc_class(type)) {
        goto bad;
    }
    int r = mn_isinstance(exc, type);
    if (r < 0)
        return MN_ERR;
    return mn_bool(r);
bad:
    mn_raise(&TypeErrorType,
             "catching classes that do not inherit from BaseException is not allowed");
    return MN_ERR;
}

/* ------------------------------------------------------------------ */
/* helpers for individual instructions                                 */
/* ------------------------------------------------------------------ */

static Value name_error(Value name)
{
    return mn_raise(&NameErrorType, "name '%s' is not defined", mn_cstr(name));
}

static Value unbound_local(CodeObject *co, int slot)
{
    Value name = mn_tuple_items(co->localnames)[slot];
    return mn_raise(&UnboundLocalErrorType,
                    "cannot access local variable '%s' where it is not associated with a value",
                    mn_cstr(name));
}

static Value unbound_deref(CodeObject *co, int slot)
{
    if (co->localkinds[slot] & LK_FREE) {
        Value name = mn_tuple_items(co->localnames)[slot];
        return mn_raise(&NameErrorType,
                        "cannot access free variable '%s' where it is not associated with a "
                        "value in enclosing scope", mn_cstr(name));
    }
    return unbound_local(co, slot);
}

/* "__main__.f()" for call-site error messages (CPython's _PyObject_FunctionStr). */
static const char *func_str(Value f)
{
    Value q = mn_getattr_opt(f, MN_ID(__qualname__));
    if (!q || !mn_is_str(q)) {
        if (!q)
            mn_exc_clear();
        return gc_strdup(mn_type_name(f));
    }
    Value m = mn_getattr_opt(f, MN_ID(__module__));
    if (!m)
        mn_exc_clear();
    if (m && mn_is_str(m) && strcmp(mn_cstr(m), "builtins"))
        return mn_cstr(mn_str_fmt("%s.%s()", mn_cstr(m), mn_cstr(q)));
    return mn_cstr(mn_str_fmt("%s()", mn_cstr(q)));
}

static Value kwnames_to_dict(Value kwnames, Value *vals)
{
    Value d = mn_dict_new();
    int64_t n = mn_tuple_len(kwnames);
    for (int64_t i = 0; i < n; i++)
        mn_dict_set_str(d, mn_tuple_items(kwnames)[i], vals[i]);
    return d;
}

static int dict_merge(Value func, Value dict, Value other)
{
    if (mn_is_dict(other)) {
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(other, &pos, &k, &v)) {
            if (!mn_is_str(k)) {
                mn_raise(&TypeErrorType, "keywords must be strings");
                return -1;
            }
            Value old = mn_dict_get(dict, k);
            if (old) {
                mn_raise(&TypeErrorType, "%s got multiple values for keyword argument '%s'",
                         func_str(func), mn_cstr(k));
                return -1;
            }
            if (mn_dict_set(dict, k, v) < 0)
                return -1;
        }
        return 0;
    }
    Value keys = mn_getattr_opt(other, mn_intern("keys"));
    if (!keys) {
        if (!mn_exc_occurred())
            mn_raise(&TypeErrorType, "%s argument after ** must be a mapping, not %s",
                     func_str(func), mn_type_name(other));
        return -1;
    }
    Value ks = mn_call0(keys);
    if (!ks)
        return -1;
    Value it = mn_iter(ks);
    if (!it)
        return -1;
    Value k;
    while ((k = mn_next(it))) {
        if (!mn_is_str(k)) {
            mn_raise(&TypeErrorType, "keywords must be strings");
            return -1;
        }
        if (mn_dict_get(dict, k)) {
            mn_raise(&TypeErrorType, "%s got multiple values for keyword argument '%s'",
                     func_str(func), mn_cstr(k));
            return -1;
        }
        Value v = mn_getitem(other, k);
        if (!v || mn_dict_set(dict, k, v) < 0)
            return -1;
    }
    return mn_exc_occurred() ? -1 : 0;
}

static Value ascii_of(Value s)
{
    const unsigned char *p = (const unsigned char *)mn_cstr(s);
    int64_t n = mn_str_len(s);
    StrBuf b;
    sb_init(&b);
    for (int64_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x80) {
            sb_addc(&b, (char)c);
            i++;
            continue;
        }
        uint32_t cp;
        int len;
        if ((c & 0xe0) == 0xc0) { cp = c & 0x1f; len = 2; }
        else if ((c & 0xf0) == 0xe0) { cp = c & 0x0f; len = 3; }
        else { cp = c & 0x07; len = 4; }
        for (int k = 1; k < len && i + k < n; k++)
            cp = (cp << 6) | (p[i + k] & 0x3f);
        i += len;
        if (cp < 0x100)
            sb_addf(&b, "\\x%02x", cp);
        else if (cp < 0x10000)
            sb_addf(&b, "\\u%04x", cp);
        else
            sb_addf(&b, "\\U%08x", cp);
    }
    return sb_finish(&b);
}

static Value format_value(Value v, uint32_t flags, Value spec)
{
    switch (flags & FV_CONV_MASK) {
    case FV_CONV_STR: v = mn_to_str(v); break;
    case FV_CONV_REPR: v = mn_repr(v); break;
    case FV_CONV_ASCII:
        v = mn_repr(v);
        if (v)
            v = ascii_of(v);
        break;
    default: break;
    }
    if (!v)
        return MN_ERR;
    if (!spec && MN_IS_EXACT(v, StrType))
        return v;
    if (!spec && mn_is_int(v))
        return mn_to_str(v);
    return mn_format(v, spec ? spec : mn_intern(""));
}

static Value build_string(Value *items, int n)
{
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < n; i++)
        sb_add(&b, mn_cstr(items[i]), mn_str_len(items[i]));
    return sb_finish(&b);
}

static int unpack_iterable(Value seq, int n, Value *out /* out[0] = first */)
{
    if (MN_IS_EXACT(seq, TupleType) || MN_IS_EXACT(seq, ListType)) {
        int64_t len;
        Value *items;
        if (MN_IS_EXACT(seq, TupleType)) {
            len = mn_tuple_len(seq);
            items = mn_tuple_items(seq);
        } else {
            len = AS(ListObject, seq)->len;
            items = AS(ListObject, seq)->items;
        }
        if (len == n) {
            for (int i = 0; i < n; i++)
                out[i] = items[i];
            return 0;
        }
        if (len < n)
            mn_raise(&ValueErrorType, "not enough values to unpack (expected %d, got %lld)", n,
                     (long long)len);
        else
            mn_raise(&ValueErrorType, "too many values to unpack (expected %d)", n);
        return -1;
    }
    Value it = mn_iter(seq);
    if (!it) {
        if (mn_exc_matches(&TypeErrorType)) {
            mn_exc_clear();
            mn_raise(&TypeErrorType, "cannot unpack non-iterable %s object", mn_type_name(seq));
        }
        return -1;
    }
    for (int i = 0; i < n; i++) {
        Value v = mn_next(it);
        if (!v) {
            if (!mn_exc_occurred())
                mn_raise(&ValueErrorType, "not enough values to unpack (expected %d, got %d)",
                         n, i);
            return -1;
        }
        out[i] = v;
    }
    Value extra = mn_next(it);
    if (extra) {
        mn_raise(&ValueErrorType, "too many values to unpack (expected %d)", n);
        return -1;
    }
    return mn_exc_occurred() ? -1 : 0;
}

static Value import_from(Value module, Value name)
{
    Value v = mn_getattr_opt(module, name);
    if (v)
        return v;
    if (mn_exc_occurred())
        return MN_ERR;
    /* Fall back to a submodule: from pkg import mod */
    Value modname = mn_getattr_opt(module, MN_ID(__name__));
    if (!modname) {
        mn_exc_clear();
        modname = mn_str("<unknown module name>");
    }
    if (mn_is_str(modname)) {
        Value full = mn_str_fmt("%s.%s", mn_cstr(modname), mn_cstr(name));
        Value sub = mn_dict_get(mn_sys_modules(), full);
        if (!sub) {
            sub = mn_import_module(mn_cstr(full));
            if (!sub) {
                if (!mn_exc_matches(&ModuleNotFoundErrorType))
                    return MN_ERR;
                mn_exc_clear();
            }
        }
        if (sub)
            return sub;
    }
    Value file = mn_getattr_opt(module, MN_ID(__file__));
    if (!file)
        mn_exc_clear();
    return mn_raise(&ImportErrorType, "cannot import name '%s' from '%s' (%s)", mn_cstr(name),
                    mn_is_str(modname) ? mn_cstr(modname) : "?",
                    file && mn_is_str(file) ? mn_cstr(file) : "unknown location");
}

static int import_star(Value module, Value locals)
{
    Value all = mn_getattr_opt(module, MN_ID(__all__));
    if (all) {
        Value it = mn_iter(all);
        if (!it)
            return -1;
        Value name;
        while ((name = mn_next(it))) {
            if (!mn_is_str(name)) {
                mn_raise(&TypeErrorType, "Item in %s.__all__ must be str, not %s", "module",
                         mn_type_name(name));
                return -1;
            }
            Value v = mn_getattr(module, name);
            if (!v || mn_setitem(locals, mn_intern_value(name), v) < 0)
                return -1;
        }
        return mn_exc_occurred() ? -1 : 0;
    }
    if (mn_exc_occurred())
        return -1;
    Value d = AS(ModuleObject, module)->dict;
    if (!MN_IS_EXACT(module, ModuleType) && !mn_isinstance_t(module, &ModuleType)) {
        mn_raise(&TypeErrorType, "import * requires a module");
        return -1;
    }
    int64_t pos = 0;
    Value k, v;
    while (mn_dict_next(d, &pos, &k, &v)) {
        if (mn_is_str(k) && mn_cstr(k)[0] == '_')
            continue;
        if (mn_setitem(locals, k, v) < 0)
            return -1;
    }
    return 0;
}

static Value before_with(Value mgr, Value *exit_out)
{
    Type *t = mn_typeof(mgr);
    Value enter = mn_type_lookup(t, MN_ID(__enter__));
    if (!enter)
        return mn_raise(&TypeErrorType,
                        "'%s' object does not support the context manager protocol", t->name);
    Value exit = mn_type_lookup(t, MN_ID(__exit__));
    if (!exit)
        return mn_raise(&TypeErrorType,
                        "'%s' object does not support the context manager protocol "
                        "(missed __exit__ method)", t->name);
    Value bound = mn_getattr(mgr, MN_ID(__exit__));
    if (!bound)
        return MN_ERR;
    *exit_out = bound;
    Value self;
    Value m = mn_lookup_method(mgr, MN_ID(__enter__), &self);
    if (!m)
        return MN_ERR;
    return self ? mn_call(m, &self, 1, 0) : mn_call(m, NULL, 0, 0);
}

static int print_expr(Value builtins, Value v)
{
    if (v == mn_None)
        return 0;
    Value r = mn_repr(v);
    if (!r)
        return -1;
    Value pr = builtins ? mn_dict_get_cstr(builtins, "print") : 0;
    if (!pr) {
        fprintf(stdout, "%s\n", mn_cstr(r));
    } else if (!mn_call1(pr, r)) {
        return -1;
    }
    if (builtins)
        mn_dict_set_cstr(builtins, "_", v);
    return 0;
}

static Value make_function(Frame *f, Value code, uint32_t flags, Value defaults,
                           Value kwdefaults, Value closure)
{
    Value fnv = mn_function_new(AS(CodeObject, code), f->globals);
    if (!fnv)
        return MN_ERR;
    FunctionObject *fn = AS(FunctionObject, fnv);
    fn->builtins = f->builtins;
    if (flags & MF_DEFAULTS)
        fn->defaults = defaults;
    if (flags & MF_KWDEFAULTS)
        fn->kwdefaults = kwdefaults;
    if (flags & MF_CLOSURE)
        fn->closure = closure;
    return fnv;
}

/* ------------------------------------------------------------------ */
/* attribute inline caches (see AttrCache in vm/code.h)                */
/* ------------------------------------------------------------------ */

enum {
    AC_DICT,            /* no class attribute: instance dict only */
    AC_DICT_OR_VALUE,   /* instance dict, else the plain class attribute */
    AC_DICT_OR_METHOD,  /* instance dict, else bind the function */
    AC_DICT_OR_NONDATA, /* instance dict, else value->descr_get */
    AC_DATA_DESCR,      /* a data descriptor (property, slot) */
    AC_METHOD,          /* LOAD_METHOD: instance dict, else (func, self) */
    AC_STORE_DICT,      /* STORE_ATTR into the instance dict */
    AC_STORE_DESCR,     /* STORE_ATTR through value->descr_set */
};
enum { CP_LOAD, CP_METHOD, CP_STORE };

static inline AttrCacheEntry *cache_hit(AttrCache *c, Type *t)
{
    AttrCacheEntry *e = __atomic_load_n(&c->entry, __ATOMIC_ACQUIRE);
    if (e && e->type == t && e->version == __atomic_load_n(&t->version, __ATOMIC_RELAXED))
        return e;
    return NULL;
}

static inline Value inst_dict(Value obj, Type *t)
{
    return t->dictoffset ? __atomic_load_n((Value *)((char *)obj + t->dictoffset),
                                           __ATOMIC_ACQUIRE)
                         : 0;
}

static bool is_plain_method(Value f)
{
    if (!mn_is_obj(f))
        return false;
    Type *ft = mn_obj(f)->type;
    return ft == &FunctionType || ft == &WrapperDescrType ||
           (ft == &MethodDescrType && !(AS(MethodDescrObject, f)->def->flags & METH_CLASS));
}

/* After a slow-path lookup on `t`, remember how the attribute resolves. */
static void cache_fill(AttrCache *c, Type *t, int purpose)
{
    if (c->fills >= MN_CACHE_MAX_FILLS)
        return;
    if (purpose == CP_STORE) {
        if (t->setattr && t->setattr != mn_generic_setattr)
            return;
    } else if (t->getattr && t->getattr != mn_generic_getattr) {
        return;
    }
    uint32_t v1 = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
    Value attr = mn_type_lookup(t, c->name);
    uint32_t v2 = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
    if (v1 == 0 || v1 != v2 || v1 == UINT32_MAX)
        return;     /* no version yet (the lookup assigned one): next time */
    uint32_t kind;
    Type *at = attr ? mn_typeof(attr) : NULL;
    if (purpose == CP_STORE) {
        if (at && at->descr_set)
            kind = AC_STORE_DESCR;
        else if (t->dictoffset)
            kind = AC_STORE_DICT;
        else
            return;
    } else if (!attr) {
        if (!t->dictoffset)
            return;
        kind = AC_DICT;
    } else if (at->descr_get && at->descr_set) {
        kind = AC_DATA_DESCR;
    } else if (purpose == CP_METHOD && is_plain_method(attr)) {
        kind = AC_METHOD;
    } else if (at == &FunctionType) {
        kind = AC_DICT_OR_METHOD;
    } else if (at->descr_get) {
        kind = AC_DICT_OR_NONDATA;
    } else {
        kind = AC_DICT_OR_VALUE;
    }
    AttrCacheEntry *e = gc_alloc(sizeof *e);
    e->type = t;
    e->version = v1;
    e->kind = kind;
    e->value = attr;
    c->fills++;
    __atomic_store_n(&c->entry, e, __ATOMIC_RELEASE);
}

/* A LOAD_ATTR-style read through a cache hit; 0 (no exception) when the
 * instance dict misses under AC_DICT and the slow path must decide. */
static inline Value cached_load(AttrCacheEntry *e, Value obj, Type *t, AttrCache *c)
{
    if (e->kind == AC_DATA_DESCR)
        return mn_typeof(e->value)->descr_get(e->value, obj, t);
    Value d = inst_dict(obj, t);
    Value v = d ? mn_dict_get_str_hint(d, c->name, &c->hint) : 0;
    if (v)
        return v;
    switch (e->kind) {
    case AC_DICT_OR_VALUE: return e->value;
    case AC_DICT_OR_METHOD:
    case AC_METHOD: return mn_method_new(e->value, obj);
    case AC_DICT_OR_NONDATA: return mn_typeof(e->value)->descr_get(e->value, obj, t);
    default: return 0;
    }
}

static Value eval_frame(ThreadState *ts, Frame *entry);

/* Run a class body function with a fresh namespace; build the class. */
static Value build_class(ThreadState *ts, Frame *cur, Value func, Value name, Value *bases,
                         int nbases)
{
    if (nbases > 1)
        return mn_raise(&TypeErrorType, "multiple inheritance is not supported");
    Type *base = NULL;
    if (nbases == 1) {
        Value b = bases[0];
        if (!mn_is_obj(b) || !(mn_obj(b)->type->flags & TF_TYPE_SUB))
            return mn_raise(&TypeErrorType, "bases must be types");
        base = AS(Type, b);
    }
    FunctionObject *fn = AS(FunctionObject, func);
    CodeObject *co = fn->code;
    Value ns = mn_dict_new();
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    Frame *f = push_frame(ts, co, true);
    if (!f)
        return MN_ERR;
    init_function_frame(f, fn, co);
    for (int i = 0; i < co->nlocalsplus - co->nfree; i++)
        f->localsplus[i] = 0;
    f->locals = ns;
    f->flags |= FRAME_ENTRY;
    f->prev = cur;
    Value r = eval_frame(ts, f);
    if (!r)
        return MN_ERR;
    Value cell = mn_dict_get_cstr(ns, "__classcell__");
    if (cell && mn_dict_del(ns, mn_intern("__classcell__")) < 0)
        return MN_ERR;
    Value module = mn_dict_get_str(ns, MN_ID(__module__));
    if (!module)
        module = mn_dict_get_str(fn->globals, MN_ID(__name__));
    Value cls = mn_class_new(name, base, ns, module ? module : mn_None);
    if (!cls)
        return MN_ERR;
    if (cell && MN_IS_EXACT(cell, CellType))
        AS(CellObject, cell)->ref = cls;
    return cls;
}

/* ------------------------------------------------------------------ */
/* the eval breaker                                                    */
/* ------------------------------------------------------------------ */

bool mn_signal_pending(void)
{
    return atomic_load_explicit(&sigint_pending, memory_order_relaxed) != 0;
}

void mn_signal_interrupt(void)
{
    /* async-signal-safe: lock-free atomics only */
    atomic_store(&sigint_pending, 1);
    ThreadState *m = mn_interp.main_thread;
    if (m)
        atomic_fetch_or(&m->eval_breaker, EB_SIGNAL);
}

int mn_eval_breaker_slow(ThreadState *ts)
{
    uint32_t eb = atomic_load_explicit(&ts->eval_breaker, memory_order_acquire);

    /* GIL hand-over (vm/gil.c): EB_GIL_DROP is set by a thread waiting for
     * the GIL once the switch interval has elapsed.  gil_handle_breaker
     * releases the GIL, waits until the waiter has had it (forced
     * switching) and re-acquires it.  First, since it may block.
     * EB_INSTR_COUNT alone needs nothing here: the caller re-reads the
     * mask and starts counting instructions. */
    if (eb & EB_GIL_DROP) {
        if (gil_handle_breaker(ts) < 0)
            return -1;
        eb = atomic_load_explicit(&ts->eval_breaker, memory_order_acquire);
    }

    /* --- stop-the-world hook (free-threaded mode, later issue) ----------
     * EB_STOP_WORLD: park this thread at a safe point until the requester
     * resumes the world.
     * --------------------------------------------------------------------- */

    if (eb & EB_SIGNAL) {
        atomic_fetch_and(&ts->eval_breaker, ~(uint32_t)EB_SIGNAL);
        if (ts == mn_interp.main_thread && atomic_exchange(&sigint_pending, 0)) {
            mn_raise_exc(mn_val(&KeyboardInterruptType));
            return -1;
        }
    }
    if (eb & EB_ASYNC_EXC) {
        atomic_fetch_and(&ts->eval_breaker, ~(uint32_t)EB_ASYNC_EXC);
        Value exc = ts->async_exc;
        ts->async_exc = 0;
        if (exc) {
            mn_raise_exc(exc);
            return -1;
        }
    }
    return 0;
}

int mn_check_c_stack(void)
{
    ThreadState *ts = mn_ts();
    char *here = (char *)__builtin_frame_address(0);
    if (ts && ts->c_stack_limit && here < ts->c_stack_limit) {
        mn_raise(&RecursionErrorType,
                 "maximum recursion depth exceeded while calling a Python object");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* the loop                                                            */
/* ------------------------------------------------------------------ */

/* Dispatch.  In counting mode (--switch-instructions with a waiter, see
 * vm/gil.h) every instruction first ticks the thread's budget: the
 * computed-goto build switches `table` to counting_table, whose every
 * entry is the `count_instr` stub; the switch build tests eb_mask. */
#ifdef MINI_SWITCH_DISPATCH
#define TARGET(op) case OP_##op:
#define DISPATCH() goto dispatch
#define SET_TABLE() ((void)0)
#else
#define TARGET(op) TARGET_##op:
#define DISPATCH()                              \
    do {                                        \
        word = *ip++;                           \
        oparg = MN_INSTR_ARG(word);             \
        goto *table[MN_INSTR_OP(word)];         \
    } while (0)
#define SET_TABLE() \
    (table = eb_mask == GIL_EB_MASK_NORMAL ? dispatch_table : counting_table)
#endif

#define LOAD_FRAME()                                        \
    do {                                                    \
        code_base = f->code->code;                          \
        ip = f->ip;                                         \
        sp = f->sp;                                         \
        locals = f->localsplus;                             \
        consts = mn_tuple_items(f->code->consts);           \
        names = mn_tuple_items(f->code->names);             \
        caches = f->code->caches;                           \
    } while (0)

#define PUSH(v) (*sp++ = (v))
#define POP() (*--sp)
#define TOP() (sp[-1])
#define SECOND() (sp[-2])
#define CHECK_BREAKER()                                                         \
    do {                                                                        \
        if (__builtin_expect(atomic_load_explicit(&ts->eval_breaker,            \
                                                  memory_order_relaxed) &       \
                             eb_mask, 0)) {                                     \
            f->ip = ip;                                                         \
            if (mn_eval_breaker_slow(ts) < 0)                                   \
                goto error;                                                     \
            eb_mask = gil_eb_mask(ts);                                          \
            SET_TABLE();                                                        \
        }                                                                       \
    } while (0)

static Value eval_frame(ThreadState *ts, Frame *entry)
{
#ifndef MINI_SWITCH_DISPATCH
    static void *const dispatch_table[MN_NUM_OPCODES] = {
#define MN_LABEL(name, kind, pop, push) [OP_##name] = &&TARGET_##name,
        MN_OPCODES(MN_LABEL)
#undef MN_LABEL
    };
    static void *const counting_table[MN_NUM_OPCODES] = {
        [0 ... MN_NUM_OPCODES - 1] = &&count_instr,
    };
    void *const *table;
#endif
    uint32_t eb_mask = gil_eb_mask(ts);
    Frame *f = entry;
    const uint32_t *ip, *code_base;
    Value *sp, *locals, *consts, *names;
    AttrCache *caches;
    uint32_t word, oparg;
    /* pending call (shared by the CALL* opcodes) */
    Value callable, kwnames;
    Value *cargs, *cret;
    int cnargs;

    ts->c_depth++;
    ts->frame = f;
    SET_TABLE();
    LOAD_FRAME();

#ifdef MINI_SWITCH_DISPATCH
dispatch:
    word = *ip++;
    oparg = MN_INSTR_ARG(word);
    if (__builtin_expect(eb_mask != GIL_EB_MASK_NORMAL, 0) && GIL_INSTR_TICK(ts)) {
        f->ip = ip;
        if (gil_instr_expired(ts) < 0)
            goto error;
        eb_mask = gil_eb_mask(ts);
    }
    switch (MN_INSTR_OP(word)) {
#else
    DISPATCH();

count_instr:
    /* counting mode: the instruction in `word` has been fetched */
    if (GIL_INSTR_TICK(ts)) {
        f->ip = ip;
        if (gil_instr_expired(ts) < 0)
            goto error;
        eb_mask = gil_eb_mask(ts);
        SET_TABLE();
    }
    goto *dispatch_table[MN_INSTR_OP(word)];
#endif

    TARGET(NOP) {
        DISPATCH();
    }
    TARGET(POP_TOP) {
        sp--;
        DISPATCH();
    }
    TARGET(ROT_TWO) {
        Value a = sp[-1];
        sp[-1] = sp[-2];
        sp[-2] = a;
        DISPATCH();
    }
    TARGET(ROT_THREE) {
        Value c = sp[-1];
        sp[-1] = sp[-2];
        sp[-2] = sp[-3];
        sp[-3] = c;
        DISPATCH();
    }
    TARGET(ROT_FOUR) {
        Value d = sp[-1];
        sp[-1] = sp[-2];
        sp[-2] = sp[-3];
        sp[-3] = sp[-4];
        sp[-4] = d;
        DISPATCH();
    }
    TARGET(DUP_TOP) {
        Value v = TOP();
        PUSH(v);
        DISPATCH();
    }
    TARGET(DUP_TOP_TWO) {
        sp[0] = sp[-2];
        sp[1] = sp[-1];
        sp += 2;
        DISPATCH();
    }
    TARGET(LOAD_CONST) {
        PUSH(consts[oparg]);
        DISPATCH();
    }
    TARGET(LOAD_FAST) {
        PUSH(locals[oparg]);
        DISPATCH();
    }
    TARGET(LOAD_FAST_CHECK) {
        Value v = locals[oparg];
        if (__builtin_expect(!v, 0)) {
            unbound_local(f->code, oparg);
            goto error;
        }
        PUSH(v);
        DISPATCH();
    }
    TARGET(STORE_FAST) {
        locals[oparg] = POP();
        DISPATCH();
    }
    TARGET(DELETE_FAST) {
        if (!locals[oparg]) {
            unbound_local(f->code, oparg);
            goto error;
        }
        locals[oparg] = 0;
        DISPATCH();
    }
    TARGET(MAKE_CELL) {
        locals[oparg] = mn_cell_new(locals[oparg]);
        DISPATCH();
    }
    TARGET(LOAD_DEREF) {
        Value v = AS(CellObject, locals[oparg])->ref;
        if (!v) {
            unbound_deref(f->code, oparg);
            goto error;
        }
        PUSH(v);
        DISPATCH();
    }
    TARGET(LOAD_CLASSDEREF) {
        Value name = mn_tuple_items(f->code->localnames)[oparg];
        Value v = f->locals ? mn_dict_get(f->locals, name) : 0;
        if (!v) {
            if (mn_exc_occurred())
                goto error;
            v = AS(CellObject, locals[oparg])->ref;
            if (!v) {
                unbound_deref(f->code, oparg);
                goto error;
            }
        }
        PUSH(v);
        DISPATCH();
    }
    TARGET(STORE_DEREF) {
        AS(CellObject, locals[oparg])->ref = POP();
        DISPATCH();
    }
    TARGET(DELETE_DEREF) {
        CellObject *cell = AS(CellObject, locals[oparg]);
        if (!cell->ref) {
            unbound_deref(f->code, oparg);
            goto error;
        }
        cell->ref = 0;
        DISPATCH();
    }
    TARGET(LOAD_CLOSURE) {
        PUSH(locals[oparg]);
        DISPATCH();
    }
    TARGET(LOAD_GLOBAL) {
        Value name = names[oparg];
        Value v;
        if (mn_dict_get_str_hint) {
            int32_t *hints = f->code->global_hints + 2 * oparg;
            v = mn_dict_get_str_hint(f->globals, name, hints);
            if (!v)
                v = mn_dict_get_str_hint(f->builtins, name, hints + 1);
            if (v) {
                PUSH(v);
                DISPATCH();
            }
        }
        v = mn_dict_get_str(f->globals, name);
        if (!v) {
            v = mn_dict_get_str(f->builtins, name);
            if (!v) {
                name_error(name);
                goto error;
            }
        }
        PUSH(v);
        DISPATCH();
    }
    TARGET(STORE_GLOBAL) {
        /* shares LOAD_GLOBAL's globals-dict hint for this name */
        mn_dict_set_str_hint(f->globals, names[oparg], POP(), f->code->global_hints + 2 * oparg);
        DISPATCH();
    }
    TARGET(DELETE_GLOBAL) {
        Value name = names[oparg];
        if (!mn_dict_get_str(f->globals, name)) {
            name_error(name);
            goto error;
        }
        if (mn_dict_del(f->globals, name) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(LOAD_NAME) {
        Value name = names[oparg];
        Value v = 0;
        if (f->locals) {
            v = mn_is_dict(f->locals) ? mn_dict_get_str(f->locals, name)
                                      : mn_getitem(f->locals, name);
            if (!v && mn_exc_occurred()) {
                if (!mn_exc_matches(&KeyErrorType))
                    goto error;
                mn_exc_clear();
            }
        }
        if (!v)
            v = mn_dict_get_str(f->globals, name);
        if (!v)
            v = mn_dict_get_str(f->builtins, name);
        if (!v) {
            name_error(name);
            goto error;
        }
        PUSH(v);
        DISPATCH();
    }
    TARGET(STORE_NAME) {
        Value v = POP();
        Value d = f->locals ? f->locals : f->globals;
        if (mn_is_dict(d))
            mn_dict_set_str(d, names[oparg], v);
        else if (mn_setitem(d, names[oparg], v) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(DELETE_NAME) {
        Value name = names[oparg];
        Value d = f->locals ? f->locals : f->globals;
        if (mn_is_dict(d) && !mn_dict_get_str(d, name)) {
            name_error(name);
            goto error;
        }
        if (mn_setitem(d, name, 0) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(LOAD_LOCALS) {
        PUSH(f->locals ? f->locals : f->globals);
        DISPATCH();
    }
    TARGET(LOAD_ATTR) {
        AttrCache *c = &caches[oparg];
        Value obj = TOP();
        AttrCacheEntry *e = NULL;
        if (mn_is_obj(obj)) {
            Type *t = mn_obj(obj)->type;
            e = cache_hit(c, t);
            if (e) {
                Value v = cached_load(e, obj, t, c);
                if (v) {
                    TOP() = v;
                    DISPATCH();
                }
                if (mn_exc_occurred())
                    goto error;
            }
        }
        Value v = mn_getattr(obj, c->name);
        if (!v)
            goto error;
        TOP() = v;
        if (!e && mn_is_obj(obj))
            cache_fill(c, mn_obj(obj)->type, CP_LOAD);
        DISPATCH();
    }
    TARGET(STORE_ATTR) {
        AttrCache *c = &caches[oparg];
        Value obj = sp[-1], v = sp[-2];
        sp -= 2;
        AttrCacheEntry *e = NULL;
        if (mn_is_obj(obj)) {
            Type *t = mn_obj(obj)->type;
            e = cache_hit(c, t);
            if (e) {
                if (e->kind == AC_STORE_DICT) {
                    Value *dp = (Value *)((char *)obj + t->dictoffset);
                    Value d = __atomic_load_n(dp, __ATOMIC_ACQUIRE);
                    if (!d) {
                        Value nd = mn_dict_new(), expected = 0;
                        d = __atomic_compare_exchange_n(dp, &expected, nd, false,
                                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
                                ? nd : expected;
                    }
                    if (MN_IS_EXACT(d, DictType)) {
                        mn_dict_set_str_hint(d, c->name, v, &c->hint);
                        DISPATCH();
                    }
                } else {
                    if (mn_typeof(e->value)->descr_set(e->value, obj, v) < 0)
                        goto error;
                    DISPATCH();
                }
            }
        }
        if (mn_setattr(obj, c->name, v) < 0)
            goto error;
        if (!e && mn_is_obj(obj))
            cache_fill(c, mn_obj(obj)->type, CP_STORE);
        DISPATCH();
    }
    TARGET(DELETE_ATTR) {
        Value obj = POP();
        if (mn_setattr(obj, names[oparg], 0) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(LOAD_METHOD) {
        AttrCache *c = &caches[oparg];
        Value obj = TOP();
        AttrCacheEntry *e = NULL;
        if (mn_is_obj(obj)) {
            Type *t = mn_obj(obj)->type;
            e = cache_hit(c, t);
            if (e) {
                if (e->kind == AC_METHOD) {
                    Value d = inst_dict(obj, t);
                    Value v = d ? mn_dict_get_str(d, c->name) : 0;
                    if (v) {
                        TOP() = v;
                        PUSH(0);
                    } else {
                        TOP() = e->value;
                        PUSH(obj);
                    }
                    DISPATCH();
                }
                Value v = cached_load(e, obj, t, c);
                if (v) {
                    TOP() = v;
                    PUSH(0);
                    DISPATCH();
                }
                if (mn_exc_occurred())
                    goto error;
            }
        }
        Value self = 0;
        Value m = mn_lookup_method(obj, c->name, &self);
        if (!m)
            goto error;
        TOP() = m;
        PUSH(self);
        if (!e && mn_is_obj(obj))
            cache_fill(c, mn_obj(obj)->type, CP_METHOD);
        DISPATCH();
    }
    TARGET(BINARY_SUBSCR) {
        Value key = sp[-1], obj = sp[-2];
        Value r;
        if (mn_is_int(key) && MN_IS_EXACT(obj, ListType)) {
            ListObject *l = AS(ListObject, obj);
            intptr_t i = mn_int_val(key);
            Value *items = l->items;
            int64_t len = l->len;
            if (i < 0)
                i += len;
            if (i >= 0 && i < len && i < mn_items_cap(items)) {
                sp--;
                TOP() = items[i];
                DISPATCH();
            }
        } else if (mn_is_int(key) && MN_IS_EXACT(obj, TupleType)) {
            intptr_t i = mn_int_val(key);
            int64_t len = mn_tuple_len(obj);
            if (i < 0)
                i += len;
            if (i >= 0 && i < len) {
                sp--;
                TOP() = mn_tuple_items(obj)[i];
                DISPATCH();
            }
        }
        r = mn_getitem(obj, key);
        if (!r)
            goto error;
        sp--;
        TOP() = r;
        DISPATCH();
    }
    TARGET(STORE_SUBSCR) {
        Value key = sp[-1], obj = sp[-2], v = sp[-3];
        sp -= 3;
        if (mn_is_int(key) && MN_IS_EXACT(obj, ListType)) {
            ListObject *l = AS(ListObject, obj);
            intptr_t i = mn_int_val(key);
            Value *items = l->items;
            int64_t len = l->len;
            if (i < 0)
                i += len;
            if (i >= 0 && i < len && i < mn_items_cap(items)) {
                items[i] = v;
                DISPATCH();
            }
        }
        if (mn_setitem(obj, key, v) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(DELETE_SUBSCR) {
        Value key = sp[-1], obj = sp[-2];
        sp -= 2;
        if (mn_setitem(obj, key, 0) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(BUILD_SLICE) {
        Value step = oparg == 3 ? POP() : mn_None;
        Value stop = POP();
        Value start = TOP();
        Value s = mn_slice_new(start, stop, step);
        if (!s)
            goto error;
        TOP() = s;
        DISPATCH();
    }

    /* ---- arithmetic ---- */
#define BINARY_SLOW(opk)                            \
    do {                                            \
        Value r_ = mn_binop(opk, sp[-2], sp[-1]);   \
        if (!r_)                                    \
            goto error;                             \
        sp--;                                       \
        TOP() = r_;                                 \
        DISPATCH();                                 \
    } while (0)
#define INPLACE_SLOW(opk)                           \
    do {                                            \
        Value r_ = mn_inplace(opk, sp[-2], sp[-1]); \
        if (!r_)                                    \
            goto error;                             \
        sp--;                                       \
        TOP() = r_;                                 \
        DISPATCH();                                 \
    } while (0)

    TARGET(BINARY_ADD) {
        Value a = sp[-2], b = sp[-1];
        intptr_t r;
        if (mn_is_int(a & b) &&
            !__builtin_add_overflow((intptr_t)a, (intptr_t)b - 1, &r)) {
            sp--;
            TOP() = (Value)r;
            DISPATCH();
        }
        if (MN_IS_EXACT(a, FloatType) && MN_IS_EXACT(b, FloatType)) {
            sp--;
            TOP() = mn_float(AS(FloatObject, a)->v + AS(FloatObject, b)->v);
            DISPATCH();
        }
        BINARY_SLOW(OP_ADD);
    }
    TARGET(INPLACE_ADD) {
        Value a = sp[-2], b = sp[-1];
        intptr_t r;
        if (mn_is_int(a & b) &&
            !__builtin_add_overflow((intptr_t)a, (intptr_t)b - 1, &r)) {
            sp--;
            TOP() = (Value)r;
            DISPATCH();
        }
        if (MN_IS_EXACT(a, FloatType) && MN_IS_EXACT(b, FloatType)) {
            sp--;
            TOP() = mn_float(AS(FloatObject, a)->v + AS(FloatObject, b)->v);
            DISPATCH();
        }
        INPLACE_SLOW(OP_ADD);
    }
    TARGET(BINARY_SUB) {
        Value a = sp[-2], b = sp[-1];
        intptr_t r;
        if (mn_is_int(a & b) &&
            !__builtin_sub_overflow((intptr_t)a, (intptr_t)b - 1, &r)) {
            sp--;
            TOP() = (Value)r;
            DISPATCH();
        }
        if (MN_IS_EXACT(a, FloatType) && MN_IS_EXACT(b, FloatType)) {
            sp--;
            TOP() = mn_float(AS(FloatObject, a)->v - AS(FloatObject, b)->v);
            DISPATCH();
        }
        BINARY_SLOW(OP_SUB);
    }
    TARGET(INPLACE_SUB) {
        Value a = sp[-2], b = sp[-1];
        intptr_t r;
        if (mn_is_int(a & b) &&
            !__builtin_sub_overflow((intptr_t)a, (intptr_t)b - 1, &r)) {
            sp--;
            TOP() = (Value)r;
            DISPATCH();
        }
        INPLACE_SLOW(OP_SUB);
    }
    TARGET(BINARY_MUL) {
        Value a = sp[-2], b = sp[-1];
        intptr_t r;
        if (mn_is_int(a & b) &&
            !__builtin_mul_overflow(mn_int_val(a), mn_int_val(b), &r) && mn_fits_small(r)) {
            sp--;
            TOP() = mn_int(r);
            DISPATCH();
        }
        if (MN_IS_EXACT(a, FloatType) && MN_IS_EXACT(b, FloatType)) {
            sp--;
            TOP() = mn_float(AS(FloatObject, a)->v * AS(FloatObject, b)->v);
            DISPATCH();
        }
        BINARY_SLOW(OP_MUL);
    }
    TARGET(BINARY_FLOORDIV) {
        Value a = sp[-2], b = sp[-1];
        if (mn_is_int(a & b) && b != mn_int(0)) {
            intptr_t x = mn_int_val(a), y = mn_int_val(b);
            intptr_t q = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0)))
                q--;
            if (mn_fits_small(q)) {
                sp--;
                TOP() = mn_int(q);
                DISPATCH();
            }
        }
        BINARY_SLOW(OP_FLOORDIV);
    }
    TARGET(BINARY_MOD) {
        Value a = sp[-2], b = sp[-1];
        if (mn_is_int(a & b) && b != mn_int(0)) {
            intptr_t x = mn_int_val(a), y = mn_int_val(b);
            intptr_t r = x % y;
            if (r != 0 && ((r < 0) != (y < 0)))
                r += y;
            sp--;
            TOP() = mn_int(r);
            DISPATCH();
        }
        BINARY_SLOW(OP_MOD);
    }
    TARGET(BINARY_OP) {
        if (oparg == OP_TRUEDIV && MN_IS_EXACT(sp[-2], FloatType) &&
            MN_IS_EXACT(sp[-1], FloatType) && AS(FloatObject, sp[-1])->v != 0.0) {
            double r = AS(FloatObject, sp[-2])->v / AS(FloatObject, sp[-1])->v;
            sp--;
            TOP() = mn_float(r);
            DISPATCH();
        }
        BINARY_SLOW((BinOp)oparg);
    }
    TARGET(INPLACE_OP) {
        Value a = sp[-2], b = sp[-1];
        if (mn_is_int(a & b)) {
            intptr_t r;
            switch (oparg) {
            case OP_MUL:
                if (!__builtin_mul_overflow(mn_int_val(a), mn_int_val(b), &r) &&
                    mn_fits_small(r)) {
                    sp--;
                    TOP() = mn_int(r);
                    DISPATCH();
                }
                break;
            case OP_AND: sp--; TOP() = a & b; DISPATCH();
            case OP_OR: sp--; TOP() = a | b; DISPATCH();
            case OP_XOR: sp--; TOP() = (a ^ b) | 1; DISPATCH();
            default: break;
            }
        }
        INPLACE_SLOW((BinOp)oparg);
    }
    TARGET(UNARY_NEG) {
        Value a = TOP();
        if (mn_is_int(a) && mn_int_val(a) != MN_SMALL_MIN) {
            TOP() = mn_int(-mn_int_val(a));
            DISPATCH();
        }
        Value r = mn_unop(UOP_NEG, a);
        if (!r)
            goto error;
        TOP() = r;
        DISPATCH();
    }
    TARGET(UNARY_POS) {
        Value r = mn_unop(UOP_POS, TOP());
        if (!r)
            goto error;
        TOP() = r;
        DISPATCH();
    }
    TARGET(UNARY_INVERT) {
        Value a = TOP();
        if (mn_is_int(a)) {
            TOP() = mn_int(~mn_int_val(a));
            DISPATCH();
        }
        Value r = mn_unop(UOP_INVERT, a);
        if (!r)
            goto error;
        TOP() = r;
        DISPATCH();
    }
    TARGET(UNARY_NOT) {
        Value a = TOP();
        if (a == mn_True || a == mn_False) {
            TOP() = a == mn_True ? mn_False : mn_True;
            DISPATCH();
        }
        int t = mn_truthy(a);
        if (t < 0)
            goto error;
        TOP() = mn_bool(!t);
        DISPATCH();
    }
    TARGET(COMPARE_OP) {
        Value a = sp[-2], b = sp[-1];
        if (mn_is_int(a & b)) {
            intptr_t x = (intptr_t)a, y = (intptr_t)b;
            bool r;
            switch (oparg) {
            case CMP_LT: r = x < y; break;
            case CMP_LE: r = x <= y; break;
            case CMP_EQ: r = x == y; break;
            case CMP_NE: r = x != y; break;
            case CMP_GT: r = x > y; break;
            default: r = x >= y; break;
            }
            /* fused with a following forward conditional jump */
            uint32_t nw = *ip;
            if (MN_INSTR_OP(nw) == OP_POP_JUMP_IF_FALSE) {
                sp -= 2;
                ip = r ? ip + 1 : code_base + MN_INSTR_ARG(nw);
                DISPATCH();
            }
            if (MN_INSTR_OP(nw) == OP_POP_JUMP_IF_TRUE) {
                sp -= 2;
                ip = r ? code_base + MN_INSTR_ARG(nw) : ip + 1;
                DISPATCH();
            }
            sp--;
            TOP() = mn_bool(r);
            DISPATCH();
        }
        if (MN_IS_EXACT(a, FloatType) && MN_IS_EXACT(b, FloatType)) {
            double x = AS(FloatObject, a)->v, y = AS(FloatObject, b)->v;
            bool r;
            switch (oparg) {
            case CMP_LT: r = x < y; break;
            case CMP_LE: r = x <= y; break;
            case CMP_EQ: r = x == y; break;
            case CMP_NE: r = x != y; break;
            case CMP_GT: r = x > y; break;
            default: r = x >= y; break;
            }
            sp--;
            TOP() = mn_bool(r);
            DISPATCH();
        }
        Value r = mn_richcmp(a, b, (CmpOp)oparg);
        if (!r)
            goto error;
        sp--;
        TOP() = r;
        DISPATCH();
    }
    TARGET(IS_OP) {
        bool r = (sp[-2] == sp[-1]) ^ (oparg != 0);
        sp--;
        TOP() = mn_bool(r);
        DISPATCH();
    }
    TARGET(CONTAINS_OP) {
        int r = mn_contains(sp[-1], sp[-2]);
        if (r < 0)
            goto error;
        sp--;
        TOP() = mn_bool(r ^ (oparg != 0));
        DISPATCH();
    }

    /* ---- control flow ---- */
    TARGET(JUMP_FORWARD) {
        ip = code_base + oparg;
        DISPATCH();
    }
    TARGET(JUMP_BACKWARD) {
        CHECK_BREAKER();
        ip = code_base + oparg;
        DISPATCH();
    }
#define TRUTH_OF(v, t)                  \
    do {                                \
        if ((v) == mn_True)             \
            t = 1;                      \
        else if ((v) == mn_False || (v) == mn_None) \
            t = 0;                      \
        else if (mn_is_int(v))          \
            t = (v) != mn_int(0);       \
        else {                          \
            t = mn_truthy(v);           \
            if (t < 0)                  \
                goto error;             \
        }                               \
    } while (0)
    TARGET(POP_JUMP_IF_FALSE) {
        Value v = POP();
        int t;
        TRUTH_OF(v, t);
        if (!t)
            ip = code_base + oparg;
        DISPATCH();
    }
    TARGET(POP_JUMP_IF_TRUE) {
        Value v = POP();
        int t;
        TRUTH_OF(v, t);
        if (t)
            ip = code_base + oparg;
        DISPATCH();
    }
    TARGET(POP_JUMP_BACK_IF_FALSE) {
        Value v = POP();
        int t;
        TRUTH_OF(v, t);
        if (!t) {
            CHECK_BREAKER();
            ip = code_base + oparg;
        }
        DISPATCH();
    }
    TARGET(POP_JUMP_BACK_IF_TRUE) {
        Value v = POP();
        int t;
        TRUTH_OF(v, t);
        if (t) {
            CHECK_BREAKER();
            ip = code_base + oparg;
        }
        DISPATCH();
    }
    TARGET(JUMP_IF_FALSE_OR_POP) {
        Value v = TOP();
        int t;
        TRUTH_OF(v, t);
        if (!t)
            ip = code_base + oparg;
        else
            sp--;
        DISPATCH();
    }
    TARGET(JUMP_IF_TRUE_OR_POP) {
        Value v = TOP();
        int t;
        TRUTH_OF(v, t);
        if (t)
            ip = code_base + oparg;
        else
            sp--;
        DISPATCH();
    }
    TARGET(GET_ITER) {
        Value it = mn_iter(TOP());
        if (!it)
            goto error;
        TOP() = it;
        DISPATCH();
    }
    TARGET(FOR_ITER) {
        Value it = TOP();
        Type *t = mn_obj(it)->type;
        if (t == &RangeIterType) {
            RangeIterObject *r = AS(RangeIterObject, it);
            if (r->remaining > 0) {
                int64_t v = r->next;
                r->next = v + r->step;
                r->remaining--;
                PUSH(mn_int((intptr_t)v));
                DISPATCH();
            }
        } else if (t == &ListIterType) {
            ListIterObject *li = AS(ListIterObject, it);
            Value l = li->list;
            if (l) {
                ListObject *lo = AS(ListObject, l);
                Value *items = lo->items;
                int64_t i = li->index;
                if (i < lo->len && i < mn_items_cap(items)) {
                    li->index = i + 1;
                    PUSH(items[i]);
                    DISPATCH();
                }
                li->list = 0;
            }
        } else if (t == &TupleIterType) {
            TupleIterObject *ti = AS(TupleIterObject, it);
            Value tup = ti->tuple;
            if (tup) {
                int64_t i = ti->index;
                if (i < mn_tuple_len(tup)) {
                    ti->index = i + 1;
                    PUSH(mn_tuple_items(tup)[i]);
                    DISPATCH();
                }
                ti->tuple = 0;
            }
        } else {
            Value v = t->next ? t->next(it) : mn_next(it);
            if (v) {
                PUSH(v);
                DISPATCH();
            }
            if (mn_exc_occurred()) {
                /* StopIteration raised by a user __next__ ends the loop */
                if (!mn_exc_matches(&StopIterationType))
                    goto error;
                mn_exc_clear();
            }
        }
        sp--;
        ip = code_base + oparg;
        DISPATCH();
    }
    TARGET(RETURN_VALUE) {
        Value v = POP();
        if (f->flags & FRAME_ENTRY) {
            pop_frame(ts, f);
            ts->frame = f->prev;
            ts->c_depth--;
            return v;
        }
        Frame *caller = f->prev;
        pop_frame(ts, f);
        f = caller;
        ts->frame = f;
        LOAD_FRAME();
        PUSH(v);
        DISPATCH();
    }

    /* ---- calls ---- */
    TARGET(CALL) {
        cnargs = (int)oparg;
        cargs = sp - cnargs;
        cret = cargs - 1;
        callable = *cret;
        kwnames = 0;
        goto do_call;
    }
    TARGET(CALL_KW) {
        kwnames = POP();
        cnargs = (int)oparg;
        cargs = sp - cnargs;
        cret = cargs - 1;
        callable = *cret;
        goto do_call;
    }
    TARGET(CALL_METHOD) {
        cnargs = (int)oparg;
        cret = sp - cnargs - 2;
        callable = *cret;
        kwnames = 0;
        if (cret[1]) {
            cargs = cret + 1;
            cnargs++;
        } else {
            cargs = cret + 2;
        }
        goto do_call;
    }
    TARGET(CALL_METHOD_KW) {
        kwnames = POP();
        cnargs = (int)oparg;
        cret = sp - cnargs - 2;
        callable = *cret;
        if (cret[1]) {
            cargs = cret + 1;
            cnargs++;
        } else {
            cargs = cret + 2;
        }
        goto do_call;
    }
    TARGET(CALL_EX) {
        Value kwargs = (oparg & CX_KWARGS) ? POP() : 0;
        Value pargs = POP();
        Value fnv = TOP();
        Value *items;
        int64_t n;
        if (MN_IS_EXACT(pargs, TupleType)) {
            items = mn_tuple_items(pargs);
            n = mn_tuple_len(pargs);
        } else if (MN_IS_EXACT(pargs, ListType)) {
            items = AS(ListObject, pargs)->items;
            n = AS(ListObject, pargs)->len;
        } else {
            Value l = mn_sequence_to_list(pargs);
            if (!l) {
                if (mn_exc_matches(&TypeErrorType) && !mn_typeof(pargs)->iter &&
                    !mn_typeof(pargs)->getitem) {
                    mn_exc_clear();
                    mn_raise(&TypeErrorType, "%s argument after * must be an iterable, not %s",
                             func_str(fnv), mn_type_name(pargs));
                }
                goto error;
            }
            items = AS(ListObject, l)->items;
            n = AS(ListObject, l)->len;
        }
        if (kwargs && !mn_is_dict(kwargs)) {
            Value d = mn_dict_new();
            if (dict_merge(fnv, d, kwargs) < 0)
                goto error;
            kwargs = d;
        }
        if (kwargs && mn_dict_len(kwargs) == 0)
            kwargs = 0;
        if (MN_IS_EXACT(fnv, FunctionType) && n < 0x7fffffff) {
            FunctionObject *fn = AS(FunctionObject, fnv);
            CodeObject *co = fn->code;
            CHECK_BREAKER();
            Frame *nf = push_frame(ts, co, false);
            if (!nf)
                goto error;
            init_function_frame(nf, fn, co);
            Value *L = nf->localsplus;
            for (int i = 0; i < co->nlocalsplus - co->nfree; i++)
                L[i] = 0;
            if (bind_args(fn, L, items, (int)n, NULL, 0, kwargs) < 0) {
                pop_frame(ts, nf);
                goto error;
            }
            f->ip = ip;
            f->sp = sp - 1;
            nf->prev = f;
            f = nf;
            ts->frame = f;
            LOAD_FRAME();
            DISPATCH();
        }
        Value r = mn_call(fnv, items, (int)n, kwargs);
        if (!r)
            goto error;
        TOP() = r;
        DISPATCH();
    }

do_call: {
        /* callable, cargs[0..cnargs) (the last len(kwnames) are keyword
         * values), result into *cret; cargs[-1] is a free slot */
        if (MN_IS_EXACT(callable, MethodType) &&
            MN_IS_EXACT(AS(MethodObject, callable)->func, FunctionType)) {
            cargs--;
            cargs[0] = AS(MethodObject, callable)->self;
            callable = AS(MethodObject, callable)->func;
            cnargs++;
        }
        if (MN_IS_EXACT(callable, FunctionType)) {
            FunctionObject *fn = AS(FunctionObject, callable);
            CodeObject *co = fn->code;
            CHECK_BREAKER();
            Frame *nf = push_frame(ts, co, false);
            if (!nf)
                goto error;
            init_function_frame(nf, fn, co);
            Value *L = nf->localsplus;
            int nloc = co->nlocalsplus - co->nfree;
            if (!kwnames && (co->flags & CO_SIMPLE_ARGS) && cnargs == co->argcount) {
                int i = 0;
                for (; i < cnargs; i++)
                    L[i] = cargs[i];
                for (; i < nloc; i++)
                    L[i] = 0;
            } else {
                for (int i = 0; i < nloc; i++)
                    L[i] = 0;
                int nkw = kwnames ? (int)mn_tuple_len(kwnames) : 0;
                if (bind_args(fn, L, cargs, cnargs - nkw, cargs + cnargs - nkw, kwnames, 0) < 0) {
                    pop_frame(ts, nf);
                    goto error;
                }
            }
            f->ip = ip;
            f->sp = cret;
            nf->prev = f;
            f = nf;
            ts->frame = f;
            LOAD_FRAME();
            DISPATCH();
        }
        Value r;
        f->ip = ip;
        if (MN_IS_EXACT(callable, NativeFunctionType) && !kwnames) {
            NativeFunctionObject *nfo = AS(NativeFunctionObject, callable);
            if (nfo->self) {
                cargs[-1] = nfo->self;
                r = nfo->fn(cargs - 1, cnargs + 1, 0);
            } else {
                r = nfo->fn(cargs, cnargs, 0);
            }
        } else if (MN_IS_EXACT(callable, MethodDescrType) && !kwnames && cnargs >= 1 &&
                   !(AS(MethodDescrObject, callable)->def->flags & (METH_CLASS | METH_STATIC)) &&
                   mn_typeof(cargs[0]) == AS(MethodDescrObject, callable)->owner) {
            /* lst.append(x) after LOAD_METHOD: self's type is exactly the owner */
            r = AS(MethodDescrObject, callable)->def->fn(cargs, cnargs, 0);
        } else if (kwnames) {
            int nkw = (int)mn_tuple_len(kwnames);
            Value kw = kwnames_to_dict(kwnames, cargs + cnargs - nkw);
            r = mn_call(callable, cargs, cnargs - nkw, kw);
        } else {
            r = mn_call(callable, cargs, cnargs, 0);
        }
        sp = cret;
        if (!r)
            goto error;
        PUSH(r);
        DISPATCH();
    }

    TARGET(MAKE_FUNCTION) {
        Value code = POP();
        Value closure = (oparg & MF_CLOSURE) ? POP() : 0;
        Value kwdefaults = (oparg & MF_KWDEFAULTS) ? POP() : 0;
        Value defaults = (oparg & MF_DEFAULTS) ? POP() : 0;
        Value fn = make_function(f, code, oparg, defaults, kwdefaults, closure);
        if (!fn)
            goto error;
        PUSH(fn);
        DISPATCH();
    }
    TARGET(BUILD_CLASS) {
        int nb = (int)oparg;
        Value *base = sp - nb - 2;
        f->ip = ip;
        f->sp = sp;
        Value cls = build_class(ts, f, base[0], base[1], base + 2, nb);
        if (!cls)
            goto error;
        sp = base;
        PUSH(cls);
        DISPATCH();
    }

    /* ---- building ---- */
    TARGET(BUILD_TUPLE) {
        Value t = mn_tuple_from(sp - oparg, oparg);
        sp -= oparg;
        PUSH(t);
        DISPATCH();
    }
    TARGET(BUILD_LIST) {
        Value l = mn_list_from(sp - oparg, oparg);
        sp -= oparg;
        PUSH(l);
        DISPATCH();
    }
    TARGET(BUILD_SET) {
        Value s = mn_set_new(&SetType);
        for (uint32_t i = 0; i < oparg; i++)
            if (mn_set_add(s, sp[(int)i - (int)oparg]) < 0)
                goto error;
        sp -= oparg;
        PUSH(s);
        DISPATCH();
    }
    TARGET(BUILD_MAP) {
        Value d = mn_dict_new();
        Value *base = sp - 2 * oparg;
        for (uint32_t i = 0; i < oparg; i++)
            if (mn_dict_set(d, base[2 * i], base[2 * i + 1]) < 0)
                goto error;
        sp = base;
        PUSH(d);
        DISPATCH();
    }
    TARGET(BUILD_STRING) {
        Value s = build_string(sp - oparg, oparg);
        sp -= oparg;
        PUSH(s);
        DISPATCH();
    }
    TARGET(LIST_APPEND) {
        Value v = POP();
        if (mn_list_append(sp[-(int)oparg], v) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(SET_ADD) {
        Value v = POP();
        if (mn_set_add(sp[-(int)oparg], v) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(MAP_ADD) {
        Value v = POP();
        Value k = POP();
        if (mn_dict_set(sp[-(int)oparg], k, v) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(LIST_EXTEND) {
        Value it = POP();
        if (mn_list_extend(sp[-(int)oparg], it) < 0) {
            if (mn_exc_matches(&TypeErrorType) && !mn_typeof(it)->iter &&
                !mn_typeof(it)->getitem) {
                mn_exc_clear();
                mn_raise(&TypeErrorType, "Value after * must be an iterable, not %s",
                         mn_type_name(it));
            }
            goto error;
        }
        DISPATCH();
    }
    TARGET(SET_UPDATE) {
        Value it = POP();
        /* mn_set_update merges a set table in slot order, as CPython's
         * set_merge does, so displays iterate in the same order. */
        if (mn_set_update(sp[-(int)oparg], it) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(DICT_UPDATE) {
        Value m = POP();
        if (!mn_is_dict(m) && !mn_getattr_opt(m, mn_intern("keys"))) {
            if (!mn_exc_occurred())
                mn_raise(&TypeErrorType, "'%s' object is not a mapping", mn_type_name(m));
            goto error;
        }
        if (mn_dict_update(sp[-(int)oparg], m) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(DICT_MERGE) {
        Value m = POP();
        Value d = sp[-(int)oparg];
        Value fnv = sp[-(int)oparg - 2];
        if (dict_merge(fnv, d, m) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(LIST_TO_TUPLE) {
        TOP() = mn_list_to_tuple(TOP());
        DISPATCH();
    }
    TARGET(UNPACK_SEQUENCE) {
        Value seq = POP();
        int n = (int)oparg;
        Value tmp[8];
        Value *out = n <= 8 ? tmp : gc_alloc(n * sizeof(Value));
        if (unpack_iterable(seq, n, out) < 0)
            goto error;
        for (int i = n - 1; i >= 0; i--)
            PUSH(out[i]);
        DISPATCH();
    }
    TARGET(UNPACK_EX) {
        int before = oparg & 0xfff, after = oparg >> 12;
        Value seq = POP();
        Value l = mn_sequence_to_list(seq);
        if (!l) {
            if (mn_exc_matches(&TypeErrorType) && !mn_typeof(seq)->iter &&
                !mn_typeof(seq)->getitem) {
                mn_exc_clear();
                mn_raise(&TypeErrorType, "cannot unpack non-iterable %s object",
                         mn_type_name(seq));
            }
            goto error;
        }
        ListObject *lo = AS(ListObject, l);
        int64_t len = lo->len;
        if (len < before + after) {
            mn_raise(&ValueErrorType,
                     "not enough values to unpack (expected at least %d, got %lld)",
                     before + after, (long long)len);
            goto error;
        }
        for (int i = 0; i < after; i++)
            PUSH(lo->items[len - 1 - i]);
        PUSH(mn_list_from(lo->items + before, len - before - after));
        for (int i = before - 1; i >= 0; i--)
            PUSH(lo->items[i]);
        DISPATCH();
    }
    TARGET(FORMAT_VALUE) {
        Value spec = (oparg & FV_HAVE_SPEC) ? POP() : 0;
        Value r = format_value(TOP(), oparg, spec);
        if (!r)
            goto error;
        TOP() = r;
        DISPATCH();
    }

    /* ---- exceptions ---- */
    TARGET(RAISE_VARARGS) {
        if (oparg == 0) {
            if (!ts->handled) {
                mn_raise(&RuntimeErrorType, "No active exception to reraise");
                goto error;
            }
            ts->exc = ts->handled;
            goto exception_unwind;
        }
        Value cause = oparg == 2 ? POP() : 0;
        Value exc = POP();
        do_raise(ts, exc, cause);
        goto error;
    }
    TARGET(RERAISE) {
        ts->exc = POP();
        goto exception_unwind;
    }
    TARGET(PUSH_EXC_INFO) {
        Value exc = TOP();
        TOP() = ts->handled ? ts->handled : mn_None;
        PUSH(exc);
        ts->handled = exc;
        DISPATCH();
    }
    TARGET(POP_EXCEPT) {
        Value prev = POP();
        ts->handled = prev == mn_None ? 0 : prev;
        DISPATCH();
    }
    TARGET(POP_EXCEPT_RERAISE) {
        Value exc = POP();
        Value prev = POP();
        ts->handled = prev == mn_None ? 0 : prev;
        ts->exc = exc;
        goto exception_unwind;
    }
    TARGET(CHECK_EXC_MATCH) {
        Value r = exc_match(sp[-2], TOP());
        if (!r)
            goto error;
        TOP() = r;
        DISPATCH();
    }
    TARGET(LOAD_ASSERTION_ERROR) {
        PUSH(mn_val(&AssertionErrorType));
        DISPATCH();
    }
    TARGET(BEFORE_WITH) {
        Value exit = 0;
        f->ip = ip;
        Value r = before_with(TOP(), &exit);
        if (!r)
            goto error;
        TOP() = exit;
        PUSH(r);
        DISPATCH();
    }
    TARGET(WITH_EXCEPT_START) {
        Value exc = sp[-1];
        Value exit = sp[-3];
        /* tb: what exc.__traceback__ gives (runtime/exception.c) */
        Value tb = is_exc_instance(exc) ? AS(ExceptionObject, exc)->traceback : 0;
        Value args[3] = {mn_val(mn_typeof(exc)), exc, tb ? tb : mn_None};
        Value r = mn_call(exit, args, 3, 0);
        if (!r)
            goto error;
        PUSH(r);
        DISPATCH();
    }

    /* ---- modules ---- */
    TARGET(IMPORT_NAME) {
        Value fromlist = POP();
        Value level = TOP();
        f->ip = ip;
        Value m = mn_import_name(names[oparg], f->globals, fromlist,
                                 mn_is_int(level) ? (int)mn_int_val(level) : 0);
        if (!m)
            goto error;
        TOP() = m;
        DISPATCH();
    }
    TARGET(IMPORT_FROM) {
        Value v = import_from(TOP(), names[oparg]);
        if (!v)
            goto error;
        PUSH(v);
        DISPATCH();
    }
    TARGET(IMPORT_STAR) {
        Value m = POP();
        if (import_star(m, f->locals ? f->locals : f->globals) < 0)
            goto error;
        DISPATCH();
    }
    TARGET(PRINT_EXPR) {
        Value v = POP();
        if (print_expr(f->builtins, v) < 0)
            goto error;
        DISPATCH();
    }

#ifdef MINI_SWITCH_DISPATCH
    default:
        mn_raise(&RuntimeErrorType, "unknown opcode %u", (unsigned)MN_INSTR_OP(word));
        goto error;
    }
#endif

error:
    /* An instruction raised: record where, and the implicit context. */
    {
        Value exc = ts->exc;
        if (__builtin_expect(!exc, 0)) {
            /* a native function failed without setting an exception */
            mn_raise(&SystemErrorType, "error return without exception set");
            exc = ts->exc;
        }
        if (exc && is_exc_instance(exc)) {
            ExceptionObject *e = AS(ExceptionObject, exc);
            if (!e->traceback && !e->context)
                set_context(exc, ts->handled);
            add_traceback(exc, f, ip);
        }
    }
exception_unwind: {
        int off = (int)(ip - code_base) - 1;
        const ExcEntry *h = mn_code_find_handler(f->code, off < 0 ? 0 : off);
        if (h) {
            sp = mn_frame_stack(f) + h->depth;
            Value exc = ts->exc;
            ts->exc = 0;
            PUSH(exc);
            ip = code_base + h->handler;
            DISPATCH();
        }
        if (f->flags & FRAME_ENTRY) {
            pop_frame(ts, f);
            ts->frame = f->prev;
            ts->c_depth--;
            return MN_ERR;
        }
        Frame *caller = f->prev;
        pop_frame(ts, f);
        f = caller;
        ts->frame = f;
        LOAD_FRAME();
        goto error;
    }
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */
/* ------------------------------------------------------------------ */

Value mn_eval_code(CodeObject *co, Value globals, Value locals)
{
    ThreadState *ts = mn_ts();
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    Frame *f = push_frame(ts, co, true);
    if (!f)
        return MN_ERR;
    f->code = co;
    f->func = 0;
    f->globals = globals;
    Value b = mn_interp.builtins;
    f->builtins = b ? b : mn_dict_new();
    f->locals = locals;
    f->ip = co->code;
    f->sp = f->localsplus + co->nlocalsplus;
    for (int i = 0; i < co->nlocalsplus; i++)
        f->localsplus[i] = 0;
    f->flags |= FRAME_ENTRY;
    f->prev = ts->frame;
    return eval_frame(ts, f);
}

Value mn_function_call(Value func, Value *args, int nargs, Value kwargs)
{
    ThreadState *ts = mn_ts();
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    FunctionObject *fn = AS(FunctionObject, func);
    CodeObject *co = fn->code;
    Frame *f = push_frame(ts, co, true);
    if (!f)
        return MN_ERR;
    init_function_frame(f, fn, co);
    Value *L = f->localsplus;
    int nloc = co->nlocalsplus - co->nfree;
    if (kwargs && mn_dict_len(kwargs) == 0)
        kwargs = 0;
    if (!kwargs && (co->flags & CO_SIMPLE_ARGS) && nargs == co->argcount) {
        int i = 0;
        for (; i < nargs; i++)
            L[i] = args[i];
        for (; i < nloc; i++)
            L[i] = 0;
    } else {
        for (int i = 0; i < nloc; i++)
            L[i] = 0;
        if (bind_args(fn, L, args, nargs, NULL, 0, kwargs) < 0) {
            pop_frame(ts, f);
            return MN_ERR;
        }
    }
    f->flags |= FRAME_ENTRY;
    f->prev = ts->frame;
    return eval_frame(ts, f);
}

/* ------------------------------------------------------------------ */
/* introspection                                                       */
/* ------------------------------------------------------------------ */

Value mn_frame_globals(void)
{
    ThreadState *ts = mn_ts();
    return ts && ts->frame ? ts->frame->globals : 0;
}

Value mn_frame_builtins(void)
{
    ThreadState *ts = mn_ts();
    return ts && ts->frame ? ts->frame->builtins : mn_interp.builtins;
}

Value mn_frame_locals(void)
{
    ThreadState *ts = mn_ts();
    if (!ts || !ts->frame)
        return 0;
    Frame *f = ts->frame;
    if (f->locals)
        return f->locals;
    CodeObject *co = f->code;
    Value d = mn_dict_new();
    Value *names = mn_tuple_items(co->localnames);
    for (int i = 0; i < co->nlocalsplus; i++) {
        Value v = f->localsplus[i];
        if (v && (co->localkinds[i] & (LK_CELL | LK_FREE)) && MN_IS_EXACT(v, CellType))
            v = AS(CellObject, v)->ref;
        if (v)
            mn_dict_set_str(d, names[i], v);
    }
    return d;
}

const char *mn_frame_filename(void)
{
    ThreadState *ts = mn_ts();
    return ts && ts->frame ? mn_cstr(ts->frame->code->filename) : NULL;
}

int mn_frame_current_line(void)
{
    ThreadState *ts = mn_ts();
    return ts && ts->frame ? mn_frame_lineno(ts->frame) : 0;
}
