/*
 * builtins.c -- the `builtins` module: the builtin functions, the builtin
 * types and exceptions bound by name, NotImplemented and Ellipsis.
 *
 * Hot paths are written out by hand:
 *   - print() formats exact str / small-int arguments without allocating
 *     and hands all pieces (args, separators, end) to the file in one
 *     locked copy (mn_file_write_pieces).  Arguments whose str() might run
 *     user code (anything but str/int/float/bool/None) first flush the
 *     pieces gathered so far, so output interleaves exactly as CPython's
 *     piece-by-piece writes would.
 *   - sum/min/max/any/all walk exact lists and tuples directly (loading
 *     the items array once per step and bounds-checking against its own
 *     capacity, so a list resized by another thread is never overrun);
 *     sum keeps an int64 / double accumulator like CPython's fast paths.
 * Everything else follows CPython 3.11's bltinmodule.c semantics and
 * messages.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MINI_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/tstate.h"
#include "mn_stdlib.h"

static Value builtins_module;

Value mn_module_builtins_init(void) { return builtins_module; }

/* Raise TypeError for an unexpected keyword, CPython's wording. */
static Value bad_keyword(Value key, const char *fname)
{
    return mn_raise(&TypeErrorType, "'%s' is an invalid keyword argument for %s()",
                    mn_is_str(key) ? mn_cstr(key) : "?", fname);
}

static inline bool key_is(Value k, const char *name)
{
    return mn_is_str(k) && strcmp(mn_cstr(k), name) == 0;
}

static int no_kwargs(const char *fname, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise_int(&TypeErrorType, "%s() takes no keyword arguments", fname);
    return 0;
}

static int exactly_one(const char *fname, int nargs, Value kwargs)
{
    if (no_kwargs(fname, kwargs) < 0)
        return -1;
    if (nargs != 1)
        return mn_raise_int(&TypeErrorType, "%s() takes exactly one argument (%d given)",
                            fname, nargs);
    return 0;
}

/* Step through an exact list or tuple without an iterator object.  Sets
 * *item and returns true while items remain. */
typedef struct { Value seq; int64_t i; Value it; } Walk;

static int walk_init(Walk *w, Value seq)
{
    w->seq = seq;
    w->i = 0;
    w->it = 0;
    if (MN_IS_EXACT(seq, ListType) || MN_IS_EXACT(seq, TupleType))
        return 0;
    w->it = mn_iter(seq);
    return w->it ? 0 : -1;
}

/* 1: *item set; 0: exhausted; -1: error. */
static inline int walk_next(Walk *w, Value *item)
{
    if (!w->it) {
        if (MN_IS_EXACT(w->seq, ListType)) {
            ListObject *l = AS(ListObject, w->seq);
            Value *items = l->items;
            if (w->i >= l->len || w->i >= mn_items_cap(items))
                return 0;
            *item = items[w->i++];
            return 1;
        }
        if (w->i >= mn_tuple_len(w->seq))
            return 0;
        *item = mn_tuple_items(w->seq)[w->i++];
        return 1;
    }
    Value v = mn_next(w->it);
    if (v) {
        *item = v;
        return 1;
    }
    return mn_exc_occurred() ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* print / input / open                                                */
/* ------------------------------------------------------------------ */

static size_t format_small_int(intptr_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    return k;
}

/* str(v) cannot run user code for these. */
static inline bool plain_str_type(Value v)
{
    return mn_is_int(v) || MN_IS_EXACT(v, FloatType) || v == mn_None || v == mn_True
        || v == mn_False || MN_IS_EXACT(v, IntType);
}

#define PRINT_INLINE 16

static Value b_print(Value *args, int nargs, Value kwargs)
{
    Value sep = 0, end = 0, file = 0, flushv = 0;
    if (kwargs) {
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(kwargs, &pos, &k, &v)) {
            if (key_is(k, "sep"))
                sep = v;
            else if (key_is(k, "end"))
                end = v;
            else if (key_is(k, "file"))
                file = v;
            else if (key_is(k, "flush"))
                flushv = v;
            else
                return bad_keyword(k, "print");
        }
    }
    if (sep && sep != mn_None && !mn_is_str(sep))
        return mn_raise(&TypeErrorType, "sep must be None or a string, not %s", mn_type_name(sep));
    if (end && end != mn_None && !mn_is_str(end))
        return mn_raise(&TypeErrorType, "end must be None or a string, not %s", mn_type_name(end));
    if (!file || file == mn_None) {
        file = mn_sys_stream(MN_STDOUT);
        if (!file)
            return MN_ERR;
        if (file == mn_None)
            return mn_None;
    }
    bool flush = false;
    if (flushv) {
        int t = mn_truthy(flushv);
        if (t < 0)
            return MN_ERR;
        flush = t;
    }
    MnPiece sep_p = {" ", 1, 0}, end_p = {"\n", 1, 0};
    if (sep && sep != mn_None)
        sep_p = (MnPiece){mn_cstr(sep), (size_t)mn_str_len(sep), sep};
    if (end && end != mn_None)
        end_p = (MnPiece){mn_cstr(end), (size_t)mn_str_len(end), end};

    MnPiece inline_pieces[2 * PRINT_INLINE + 1];
    char numbuf[PRINT_INLINE][24];
    MnPiece *p = nargs <= PRINT_INLINE ? inline_pieces
                                       : gc_alloc(sizeof(MnPiece) * (size_t)(2 * nargs + 1));
    int np = 0;
    for (int i = 0; i < nargs; i++) {
        if (i > 0)
            p[np++] = sep_p;
        Value v = args[i];
        if (mn_is_obj(v) && mn_obj(v)->type == &StrType) {
            p[np++] = (MnPiece){mn_cstr(v), (size_t)mn_str_len(v), v};
            continue;
        }
        if (mn_is_int(v) && i < PRINT_INLINE) {
            p[np++] = (MnPiece){numbuf[i], format_small_int(mn_int_val(v), numbuf[i]), 0};
            continue;
        }
        if (!plain_str_type(v) && np > 0) {
            /* str(v) may print or fail: what CPython would have written
             * by now goes out first. */
            if (mn_file_write_pieces(file, p, np, false) < 0)
                return MN_ERR;
            np = 0;
        }
        Value s = mn_to_str(v);
        if (!s) {
            if (np > 0) {
                Value saved = mn_exc_fetch();
                if (mn_file_write_pieces(file, p, np, false) < 0)
                    return MN_ERR;
                mn_raise_exc(saved);
            }
            return MN_ERR;
        }
        p[np++] = (MnPiece){mn_cstr(s), (size_t)mn_str_len(s), s};
    }
    p[np++] = end_p;
    if (mn_file_write_pieces(file, p, np, flush) < 0)
        return MN_ERR;
    return mn_None;
}

#ifdef MINI_HAVE_LIBEDIT
/* input() on a terminal: line editing and history through libedit, as
 * CPython uses readline when stdin and stdout are the console.  Returns 0
 * (no exception) when this path does not apply. */
static Value input_readline(Value in, Value out, Value prompt)
{
    if (in != mn_std_file(MN_STDIN) || out != mn_std_file(MN_STDOUT) || !isatty(0) || !isatty(1)
        || mn_file_input_buffered(in))
        return 0;
    const char *p = "";
    if (prompt) {
        Value s = mn_to_str(prompt);
        if (!s)
            return MN_ERR;
        p = mn_cstr(s);
    }
    if (mn_file_flush(out) < 0)
        mn_exc_clear();
    rl_catch_signals = 0;       /* our SIGINT handler stays in charge */
    ThreadState *ts = mn_ts();
    for (;;) {
        MN_BEGIN_BLOCKING(ts);
        char *line = readline(p);
        MN_END_BLOCKING(ts);
        if (line) {
            if (*line)
                add_history(line);
            Value r = mn_str_decode_utf8(line, strlen(line), "surrogateescape");
            free(line);
            return r;
        }
        if (!mn_signal_pending())
            return mn_raise(&EOFErrorType, "EOF when reading a line");
        if (mn_eval_breaker_slow(ts) < 0)
            return MN_ERR;
    }
}
#endif

static Value b_input(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("input", kwargs) < 0)
        return MN_ERR;
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "input expected at most 1 argument, got %d", nargs);
    Value in = mn_sys_dict ? mn_dict_get_cstr(mn_sys_dict, "stdin") : mn_std_file(MN_STDIN);
    Value out = mn_sys_dict ? mn_dict_get_cstr(mn_sys_dict, "stdout") : mn_std_file(MN_STDOUT);
    Value err = mn_sys_dict ? mn_dict_get_cstr(mn_sys_dict, "stderr") : mn_std_file(MN_STDERR);
    if (!in || in == mn_None)
        return mn_raise(&RuntimeErrorType, "input(): lost sys.stdin");
    if (!out || out == mn_None)
        return mn_raise(&RuntimeErrorType, "input(): lost sys.stdout");
    if (err && err != mn_None && mn_file_flush(err) < 0)
        mn_exc_clear();
#ifdef MINI_HAVE_LIBEDIT
    Value edited = input_readline(in, out, nargs ? args[0] : 0);
    if (edited || mn_exc_occurred())
        return edited;
#endif
    if (nargs == 1) {
        Value s = mn_to_str(args[0]);
        if (!s)
            return MN_ERR;
        MnPiece pc = {mn_cstr(s), (size_t)mn_str_len(s), s};
        if (mn_file_write_pieces(out, &pc, 1, true) < 0)
            return MN_ERR;
    } else if (mn_file_flush(out) < 0) {
        mn_exc_clear();
    }
    Value line = mn_file_readline(in);
    if (!line)
        return MN_ERR;
    if (!mn_is_str(line))
        return mn_raise(&TypeErrorType, "object.readline() returned non-string");
    int64_t n = mn_str_len(line);
    if (n == 0)
        return mn_raise(&EOFErrorType, "EOF when reading a line");
    if (mn_cstr(line)[n - 1] == '\n')
        return mn_str_new(mn_cstr(line), (size_t)n - 1);
    return line;
}

static Value b_open(Value *args, int nargs, Value kwargs)
{
    return mn_builtin_open(args, nargs, kwargs);
}

/* ------------------------------------------------------------------ */
/* Simple one-argument functions                                       */
/* ------------------------------------------------------------------ */

static Value b_len(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("len", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = args[0];
    if (mn_is_obj(v)) {
        Type *t = mn_obj(v)->type;
        if (t == &StrType)
            return mn_int(AS(StrObject, v)->nchars);
        if (t == &ListType)
            return mn_int(AS(ListObject, v)->len);
        if (t == &TupleType)
            return mn_int(mn_tuple_len(v));
    }
    int64_t n = mn_len(v);
    return n < 0 ? MN_ERR : mn_int_from_i64(n);
}

static Value b_repr(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("repr", nargs, kwargs) < 0)
        return MN_ERR;
    return mn_repr(args[0]);
}

static Value b_ascii(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("ascii", nargs, kwargs) < 0)
        return MN_ERR;
    return mn_ascii(args[0]);
}

static Value b_abs(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("abs", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = args[0];
    if (mn_is_int(v)) {
        intptr_t i = mn_int_val(v);
        if (i >= 0)
            return v;
        return mn_int_from_i64(-(int64_t)i);
    }
    if (MN_IS_EXACT(v, FloatType))
        return mn_float(fabs(AS(FloatObject, v)->v));
    Value r = mn_call_special(v, MN_ID(__abs__), NULL, 0);
    if (!r && !mn_exc_occurred())
        return mn_raise(&TypeErrorType, "bad operand type for abs(): '%s'", mn_type_name(v));
    return r;
}

static Value b_hash(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("hash", nargs, kwargs) < 0)
        return MN_ERR;
    int64_t h;
    if (mn_hash(args[0], &h) < 0)
        return MN_ERR;
    return mn_int_from_i64(h);
}

static Value b_id(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("id", nargs, kwargs) < 0)
        return MN_ERR;
    /* The object's address; an unboxed int's tagged word (odd, so never
     * equal to an object's id; equal small ints are the same object). */
    uint64_t u = (uint64_t)args[0];
    if (u <= (uint64_t)INT64_MAX)
        return mn_int_from_i64((int64_t)u);
    mpz_t z;
    mpz_init(z);
    mpz_import(z, 1, 1, sizeof u, 0, 0, &u);
    Value r = mn_int_from_mpz(z);
    mpz_clear(z);
    return r;
}

static Value b_callable(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("callable", nargs, kwargs) < 0)
        return MN_ERR;
    return mn_bool(mn_is_callable(args[0]));
}

static Value b_chr(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("chr", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = mn_number_index(args[0]);
    if (!v)
        return MN_ERR;
    int64_t i;
    if (mn_as_i64(v, &i) < 0 || i > INT32_MAX || i < INT32_MIN) {
        if (mn_exc_occurred() && !mn_exc_matches(&OverflowErrorType))
            return MN_ERR;
        mn_exc_clear();
        return mn_raise(&OverflowErrorType, "Python int too large to convert to C int");
    }
    if (i < 0 || i > 0x10FFFF)
        return mn_raise(&ValueErrorType, "chr() arg not in range(0x110000)");
    return mn_str_from_codepoint((uint32_t)i);
}

static Value b_ord(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("ord", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = args[0];
    if (mn_is_str(v)) {
        int64_t n = AS(StrObject, v)->nchars;
        if (n != 1)
            return mn_raise(&TypeErrorType, "ord() expected a character, but string of "
                            "length %lld found", (long long)n);
        return mn_int(mn_str_codepoint_at(v, 0));
    }
    if (mn_isinstance_t(v, &BytesType)) {
        int64_t n = AS(BytesObject, v)->len;
        if (n != 1)
            return mn_raise(&TypeErrorType, "ord() expected a character, but string of "
                            "length %lld found", (long long)n);
        return mn_int(AS(BytesObject, v)->data[0]);
    }
    return mn_raise(&TypeErrorType, "ord() expected string of length 1, but %s found",
                    mn_type_name(v));
}

static Value b_hex(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("hex", nargs, kwargs) < 0)
        return MN_ERR;
    return mn_int_to_base(args[0], 16);
}

static Value b_oct(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("oct", nargs, kwargs) < 0)
        return MN_ERR;
    return mn_int_to_base(args[0], 8);
}

static Value b_bin(Value *args, int nargs, Value kwargs)
{
    if (exactly_one("bin", nargs, kwargs) < 0)
        return MN_ERR;
    return mn_int_to_base(args[0], 2);
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

static Value b_round(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("round", args, nargs, kwargs, "number|ndigits", a) < 0)
        return MN_ERR;
    Value x = a[0], nd = a[1] && a[1] != mn_None ? a[1] : 0;
    if (!nd && mn_is_int(x))
        return x;
    Value r = mn_call_special(x, MN_ID(__round__), nd ? &nd : NULL, nd ? 1 : 0);
    if (!r && !mn_exc_occurred())
        return mn_raise(&TypeErrorType, "type %s doesn't define __round__ method", mn_type_name(x));
    return r;
}

static Value b_divmod(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("divmod", kwargs) < 0)
        return MN_ERR;
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "divmod expected 2 arguments, got %d", nargs);
    Value a = args[0], b = args[1];
    /* The numeric helper treats int/float subclasses as plain numbers, so
     * a user class (maybe overriding __divmod__/__rdivmod__) goes the slow
     * way; int's and float's own dunders answer if it does not override. */
    bool user = (mn_is_obj(a) && (mn_obj(a)->type->flags & TF_HEAPTYPE)) ||
                (mn_is_obj(b) && (mn_obj(b)->type->flags & TF_HEAPTYPE));
    Value r = user ? mn_NotImplemented : mn_num_divmod(a, b);
    if (r != mn_NotImplemented)
        return r;
    Value name = mn_intern("__divmod__"), rname = mn_intern("__rdivmod__");
    Type *ta = mn_typeof(a), *tb = mn_typeof(b);
    /* A subclass on the right gets first try, as for binary operators. */
    bool right_first = ta != tb && mn_is_subtype(tb, ta) && mn_type_lookup(tb, rname);
    if (right_first) {
        r = mn_call_special(b, rname, &a, 1);
        if (!r && mn_exc_occurred())
            return MN_ERR;
        if (r && r != mn_NotImplemented)
            return r;
    }
    r = mn_call_special(a, name, &b, 1);
    if (!r && mn_exc_occurred())
        return MN_ERR;
    if (r && r != mn_NotImplemented)
        return r;
    if (ta != tb && !right_first) {
        r = mn_call_special(b, rname, &a, 1);
        if (!r && mn_exc_occurred())
            return MN_ERR;
        if (r && r != mn_NotImplemented)
            return r;
    }
    return mn_raise(&TypeErrorType, "unsupported operand type(s) for divmod(): '%s' and '%s'",
                    ta->name, tb->name);
}

static Value b_pow(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("pow", args, nargs, kwargs, "base,exp|mod", a) < 0)
        return MN_ERR;
    if (!a[2] || a[2] == mn_None)
        return mn_binop(OP_POW, a[0], a[1]);
    return mn_int_pow3(a[0], a[1], a[2]);
}

/* sum(iterable, /, start=0): CPython's int and float fast paths. */
static Value b_sum(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (nargs < 1 && !(kwargs && mn_dict_len(kwargs)))
        return mn_raise(&TypeErrorType, "sum() takes at least 1 positional argument (0 given)");
    if (nargs > 2)
        return mn_raise(&TypeErrorType, "sum() takes at most 2 arguments (%d given)", nargs);
    if (mn_argparse("sum", args, nargs, kwargs, "iterable,/|start", a) < 0)
        return MN_ERR;
    Value result = a[1] ? a[1] : mn_int(0);
    if (mn_is_str(result))
        return mn_raise(&TypeErrorType, "sum() can't sum strings [use ''.join(seq) instead]");
    if (mn_isinstance_t(result, &BytesType))
        return mn_raise(&TypeErrorType, "sum() can't sum bytes [use b''.join(seq) instead]");
    Walk w;
    if (walk_init(&w, a[0]) < 0)
        return MN_ERR;
    Value item;
    int st;

    if (mn_is_int(result) || MN_IS_EXACT(result, IntType)) {
        int64_t acc;
        bool ok = true;
        if (mn_as_i64(result, &acc) < 0) {
            mn_exc_clear();
            ok = false;
        }
        while (ok) {
            st = walk_next(&w, &item);
            if (st < 0)
                return MN_ERR;
            if (st == 0)
                return mn_int_from_i64(acc);
            int64_t b, t;
            if (mn_is_int(item)) {
                if (!__builtin_add_overflow(acc, (int64_t)mn_int_val(item), &t)) {
                    acc = t;
                    continue;
                }
            } else if (item == mn_True || item == mn_False) {
                if (!__builtin_add_overflow(acc, (int64_t)(item == mn_True), &t)) {
                    acc = t;
                    continue;
                }
            } else if (MN_IS_EXACT(item, IntType) && mn_as_i64(item, &b) == 0) {
                if (!__builtin_add_overflow(acc, b, &t)) {
                    acc = t;
                    continue;
                }
            } else {
                mn_exc_clear();
            }
            /* Overflow or not an int: continue generically from here. */
            result = mn_binop(OP_ADD, mn_int_from_i64(acc), item);
            if (!result)
                return MN_ERR;
            break;
        }
    }

    if (MN_IS_EXACT(result, FloatType)) {
        double acc = AS(FloatObject, result)->v;
        for (;;) {
            st = walk_next(&w, &item);
            if (st < 0)
                return MN_ERR;
            if (st == 0)
                return mn_float(acc);
            if (MN_IS_EXACT(item, FloatType)) {
                acc += AS(FloatObject, item)->v;
                continue;
            }
            if (mn_is_int(item)) {
                acc += (double)mn_int_val(item);
                continue;
            }
            if (mn_is_intlike(item)) {
                int64_t b;
                if (mn_as_i64(item, &b) == 0) {
                    acc += (double)b;
                    continue;
                }
                mn_exc_clear();
            }
            result = mn_binop(OP_ADD, mn_float(acc), item);
            if (!result)
                return MN_ERR;
            break;
        }
    }

    for (;;) {
        st = walk_next(&w, &item);
        if (st < 0)
            return MN_ERR;
        if (st == 0)
            return result;
        result = mn_binop(OP_ADD, result, item);
        if (!result)
            return MN_ERR;
    }
}

/* ------------------------------------------------------------------ */
/* min / max / sorted / any / all                                      */
/* ------------------------------------------------------------------ */

static Value min_max(Value *args, int nargs, Value kwargs, CmpOp op, const char *name)
{
    Value key = 0, dflt = 0;
    if (kwargs) {
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(kwargs, &pos, &k, &v)) {
            if (key_is(k, "key"))
                key = v;
            else if (key_is(k, "default"))
                dflt = v;
            else
                return bad_keyword(k, name);
        }
    }
    if (nargs == 0)
        return mn_raise(&TypeErrorType, "%s expected at least 1 argument, got 0", name);
    if (nargs > 1 && dflt)
        return mn_raise(&TypeErrorType, "Cannot specify a default for %s() with multiple "
                        "positional arguments", name);
    if (key == mn_None)
        key = 0;
    Walk w;
    Value seq;
    if (nargs == 1) {
        seq = args[0];
    } else {
        seq = mn_tuple_from(args, nargs);
    }
    if (walk_init(&w, seq) < 0)
        return MN_ERR;
    Value best = 0, bestkey = 0, item;
    int st;
    while ((st = walk_next(&w, &item)) > 0) {
        Value kv = key ? mn_call1(key, item) : item;
        if (!kv)
            return MN_ERR;
        if (!best) {
            best = item;
            bestkey = kv;
            continue;
        }
        int better;
        if (mn_is_int(kv) && mn_is_int(bestkey)) {
            better = op == CMP_GT ? (intptr_t)kv > (intptr_t)bestkey
                                  : (intptr_t)kv < (intptr_t)bestkey;
        } else if (MN_IS_EXACT(kv, FloatType) && MN_IS_EXACT(bestkey, FloatType)) {
            double x = AS(FloatObject, kv)->v, y = AS(FloatObject, bestkey)->v;
            better = op == CMP_GT ? x > y : x < y;
        } else {
            better = mn_richcmp_bool(kv, bestkey, op);
            if (better < 0)
                return MN_ERR;
        }
        if (better) {
            best = item;
            bestkey = kv;
        }
    }
    if (st < 0)
        return MN_ERR;
    if (!best) {
        if (dflt)
            return dflt;
        return mn_raise(&ValueErrorType, "%s() arg is an empty sequence", name);
    }
    return best;
}

static Value b_min(Value *args, int nargs, Value kwargs)
{
    return min_max(args, nargs, kwargs, CMP_LT, "min");
}

static Value b_max(Value *args, int nargs, Value kwargs)
{
    return min_max(args, nargs, kwargs, CMP_GT, "max");
}

static Value b_sorted(Value *args, int nargs, Value kwargs)
{
    if (nargs != 1)
        return mn_raise(&TypeErrorType, "sorted expected 1 argument, got %d", nargs);
    Value key = 0, reverse = 0;
    if (kwargs) {
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(kwargs, &pos, &k, &v)) {
            if (key_is(k, "key"))
                key = v;
            else if (key_is(k, "reverse"))
                reverse = v;
            else
                return bad_keyword(k, "sort");
        }
    }
    bool rev = false;
    if (reverse) {
        if (mn_isinstance_t(reverse, &FloatType))
            return mn_raise(&TypeErrorType, "'float' object cannot be interpreted as an integer");
        int t = mn_truthy(reverse);
        if (t < 0)
            return MN_ERR;
        rev = t;
    }
    Value list = mn_sequence_to_list(args[0]);
    if (!list)
        return MN_ERR;
    if (!mn_list_sort(list, key && key != mn_None ? key : 0, rev))
        return MN_ERR;
    return list;
}

static Value any_all(Value *args, int nargs, Value kwargs, bool want, const char *name)
{
    if (exactly_one(name, nargs, kwargs) < 0)
        return MN_ERR;
    Walk w;
    if (walk_init(&w, args[0]) < 0)
        return MN_ERR;
    Value item;
    int st;
    while ((st = walk_next(&w, &item)) > 0) {
        int t;
        if (item == mn_True)
            t = 1;
        else if (item == mn_False || item == mn_None)
            t = 0;
        else if (mn_is_int(item))
            t = item != mn_int(0);
        else if ((t = mn_truthy(item)) < 0)
            return MN_ERR;
        if (t == want)
            return mn_bool(want);
    }
    if (st < 0)
        return MN_ERR;
    return mn_bool(!want);
}

static Value b_any(Value *args, int nargs, Value kwargs)
{
    return any_all(args, nargs, kwargs, true, "any");
}

static Value b_all(Value *args, int nargs, Value kwargs)
{
    return any_all(args, nargs, kwargs, false, "all");
}

/* ------------------------------------------------------------------ */
/* iter / next                                                         */
/* ------------------------------------------------------------------ */

/* iter(callable, sentinel): CPython's callable_iterator. */
typedef struct {
    Object hdr;
    Value func;         /* 0 once exhausted */
    Value sentinel;
} CallIterObject;

static Value calliter_iter(Value self) { return self; }

static Value calliter_next(Value self)
{
    CallIterObject *c = AS(CallIterObject, self);
    Value f = c->func;
    if (!f)
        return MN_ERR;
    Value r = mn_call0(f);
    if (!r) {
        if (mn_exc_matches(&StopIterationType)) {
            mn_exc_clear();
            c->func = 0;
        }
        return MN_ERR;
    }
    int eq = mn_eq(r, c->sentinel);
    if (eq < 0)
        return MN_ERR;
    if (eq) {
        c->func = 0;
        return MN_ERR;
    }
    return r;
}

static Type CallIterType = {
    .hdr = {&TypeType},
    .name = "callable_iterator",
    .basicsize = sizeof(CallIterObject),
    .iter = calliter_iter,
    .next = calliter_next,
};

static Value b_iter(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("iter", kwargs) < 0)
        return MN_ERR;
    if (nargs < 1 || nargs > 2)
        return mn_raise(&TypeErrorType, nargs < 1 ? "iter expected at least 1 argument, got %d"
                                                  : "iter expected at most 2 arguments, got %d",
                        nargs);
    if (nargs == 1)
        return mn_iter(args[0]);
    if (!mn_is_callable(args[0]))
        return mn_raise(&TypeErrorType, "iter(v, w): v must be callable");
    CallIterObject *c = mn_alloc_obj(&CallIterType, 0);
    c->func = args[0];
    c->sentinel = args[1];
    return mn_val(c);
}

static Value b_next(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("next", kwargs) < 0)
        return MN_ERR;
    if (nargs < 1 || nargs > 2)
        return mn_raise(&TypeErrorType, nargs < 1 ? "next expected at least 1 argument, got %d"
                                                  : "next expected at most 2 arguments, got %d",
                        nargs);
    Value it = args[0], r;
    if (mn_is_obj(it) && (mn_obj(it)->type->flags & TF_HEAPTYPE)) {
        /* Call a user __next__ directly: the `next` slot would turn its
         * StopIteration into bare exhaustion, and next() must re-raise
         * that very exception (StopIteration("done").value). */
        r = mn_call_special(it, MN_ID(__next__), NULL, 0);
        if (r)
            return r;
        if (mn_exc_occurred()) {
            if (nargs < 2 || !mn_exc_matches(&StopIterationType))
                return MN_ERR;
            mn_exc_clear();
            return args[1];
        }
        /* no __next__: mn_next raises "'X' object is not an iterator" */
    }
    r = mn_next(it);
    if (r)
        return r;
    if (mn_exc_occurred())
        return MN_ERR;
    if (nargs == 2)
        return args[1];
    return mn_raise_exc(mn_val(&StopIterationType));
}

/* ------------------------------------------------------------------ */
/* Attributes and types                                                */
/* ------------------------------------------------------------------ */

static Value attr_name(Value name)
{
    if (!mn_is_str(name))
        return mn_raise(&TypeErrorType, "attribute name must be string, not '%s'",
                        mn_type_name(name));
    return AS(StrObject, name)->interned ? name : mn_intern_value(name);
}

static Value b_getattr(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("getattr", kwargs) < 0)
        return MN_ERR;
    if (nargs < 2 || nargs > 3)
        return mn_raise(&TypeErrorType, nargs < 2 ? "getattr expected at least 2 arguments, got %d"
                                                  : "getattr expected at most 3 arguments, got %d",
                        nargs);
    Value name = attr_name(args[1]);
    if (!name)
        return MN_ERR;
    if (nargs == 2)
        return mn_getattr(args[0], name);
    Value v = mn_getattr_opt(args[0], name);
    if (v)
        return v;
    return mn_exc_occurred() ? MN_ERR : args[2];
}

static Value b_setattr(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("setattr", kwargs) < 0)
        return MN_ERR;
    if (nargs != 3)
        return mn_raise(&TypeErrorType, "setattr expected 3 arguments, got %d", nargs);
    Value name = attr_name(args[1]);
    if (!name || mn_setattr(args[0], name, args[2]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value b_delattr(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("delattr", kwargs) < 0)
        return MN_ERR;
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "delattr expected 2 arguments, got %d", nargs);
    Value name = attr_name(args[1]);
    if (!name || mn_setattr(args[0], name, 0) < 0)
        return MN_ERR;
    return mn_None;
}

static Value b_hasattr(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("hasattr", kwargs) < 0)
        return MN_ERR;
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "hasattr expected 2 arguments, got %d", nargs);
    Value name = attr_name(args[1]);
    if (!name)
        return MN_ERR;
    Value v = mn_getattr_opt(args[0], name);
    if (v)
        return mn_True;
    return mn_exc_occurred() ? MN_ERR : mn_False;
}

static Value b_isinstance(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("isinstance", kwargs) < 0)
        return MN_ERR;
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "isinstance expected 2 arguments, got %d", nargs);
    int r = mn_isinstance(args[0], args[1]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value b_issubclass(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("issubclass", kwargs) < 0)
        return MN_ERR;
    if (nargs != 2)
        return mn_raise(&TypeErrorType, "issubclass expected 2 arguments, got %d", nargs);
    int r = mn_issubclass(args[0], args[1]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value b_format(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("format", kwargs) < 0)
        return MN_ERR;
    if (nargs < 1 || nargs > 2)
        return mn_raise(&TypeErrorType, nargs < 1 ? "format expected at least 1 argument, got %d"
                                                  : "format expected at most 2 arguments, got %d",
                        nargs);
    Value spec = nargs > 1 ? args[1] : mn_str("");
    if (!mn_is_str(spec))
        return mn_raise(&TypeErrorType, "format() argument 2 must be str, not %s",
                        mn_type_name(spec));
    return mn_format(args[0], spec);
}

static Value b_vars(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("vars", kwargs) < 0)
        return MN_ERR;
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "vars expected at most 1 argument, got %d", nargs);
    if (nargs == 0) {
        Value l = mn_frame_locals();
        return l ? l : mn_exc_occurred() ? MN_ERR : mn_dict_new();
    }
    Value d = mn_getattr_opt(args[0], MN_ID(__dict__));
    if (d)
        return d;
    if (mn_exc_occurred())
        return MN_ERR;
    return mn_raise(&TypeErrorType, "vars() argument must have __dict__ attribute");
}

static Value b_dir(Value *args, int nargs, Value kwargs)
{
    if (no_kwargs("dir", kwargs) < 0)
        return MN_ERR;
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "dir expected at most 1 argument, got %d", nargs);
    Value names;
    if (nargs == 0) {
        Value l = mn_frame_locals();
        if (!l)
            return mn_exc_occurred() ? MN_ERR : mn_list_new(0);
        names = mn_dict_keys_list(l);
    } else {
        Value r = mn_call_special(args[0], mn_intern("__dir__"), NULL, 0);
        if (!r) {
            if (mn_exc_occurred())
                return MN_ERR;
            return mn_raise(&TypeErrorType, "object does not provide __dir__");
        }
        names = mn_sequence_to_list(r);
    }
    if (!names || !mn_list_sort(names, 0, false))
        return MN_ERR;
    return names;
}

static Value b_globals(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("globals", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value g = mn_frame_globals();
    return g ? g : mn_exc_occurred() ? MN_ERR : mn_dict_new();
}

static Value b_locals(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("locals", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value l = mn_frame_locals();
    return l ? l : mn_exc_occurred() ? MN_ERR : mn_dict_new();
}

static Value b_import(Value *args, int nargs, Value kwargs)
{
    Value a[5];
    if (mn_argparse("__import__", args, nargs, kwargs, "name|globals,locals,fromlist,level", a) < 0)
        return MN_ERR;
    if (!mn_is_str(a[0]))
        return mn_raise(&TypeErrorType, "__import__() argument 1 must be str, not %s",
                        mn_type_name(a[0]));
    int64_t level = 0;
    if (a[4] && mn_as_index(a[4], &level) < 0)
        return MN_ERR;
    if (level < 0)
        return mn_raise(&ValueErrorType, "level must be >= 0");
    Value globals = a[1] && a[1] != mn_None ? a[1] : 0;
    if (!globals)
        globals = mn_frame_globals();
    return mn_import_name(a[0], globals ? globals : mn_dict_new(),
                          a[3] ? a[3] : mn_None, (int)level);
}

/* ------------------------------------------------------------------ */
/* exit / quit                                                         */
/* ------------------------------------------------------------------ */

typedef struct { Object hdr; const char *name; } QuitterObject;

static Value quitter_repr(Value self)
{
    return mn_str_fmt("Use %s() or Ctrl-D (i.e. EOF) to exit", AS(QuitterObject, self)->name);
}

static Value quitter_call(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse(AS(QuitterObject, self)->name, args, nargs, kwargs, "|code", a) < 0)
        return MN_ERR;
    /* Like site.Quitter: close sys.stdin first (ignoring errors). */
    Value t = a[0] ? mn_tuple_pack(1, a[0]) : mn_empty_tuple;
    Value exc = mn_exc_new(&SystemExitType, t);
    return exc ? mn_raise_exc(exc) : MN_ERR;
}

static Type QuitterType = {
    .hdr = {&TypeType},
    .name = "Quitter",
    .basicsize = sizeof(QuitterObject),
    .repr = quitter_repr,
    .call = quitter_call,
};

/* ------------------------------------------------------------------ */
/* The module                                                          */
/* ------------------------------------------------------------------ */

static const MethodDef builtin_methods[] = {
    {"print", b_print, 0, "print(value, ..., sep=' ', end='\\n', file=sys.stdout, flush=False)"},
    {"input", b_input, 0, NULL},
    {"open", b_open, 0, NULL},
    {"len", b_len, 0, NULL},
    {"repr", b_repr, 0, NULL},
    {"ascii", b_ascii, 0, NULL},
    {"abs", b_abs, 0, NULL},
    {"hash", b_hash, 0, NULL},
    {"id", b_id, 0, NULL},
    {"callable", b_callable, 0, NULL},
    {"chr", b_chr, 0, NULL},
    {"ord", b_ord, 0, NULL},
    {"hex", b_hex, 0, NULL},
    {"oct", b_oct, 0, NULL},
    {"bin", b_bin, 0, NULL},
    {"round", b_round, 0, NULL},
    {"divmod", b_divmod, 0, NULL},
    {"pow", b_pow, 0, NULL},
    {"sum", b_sum, 0, NULL},
    {"min", b_min, 0, NULL},
    {"max", b_max, 0, NULL},
    {"sorted", b_sorted, 0, NULL},
    {"any", b_any, 0, NULL},
    {"all", b_all, 0, NULL},
    {"iter", b_iter, 0, NULL},
    {"next", b_next, 0, NULL},
    {"getattr", b_getattr, 0, NULL},
    {"setattr", b_setattr, 0, NULL},
    {"delattr", b_delattr, 0, NULL},
    {"hasattr", b_hasattr, 0, NULL},
    {"isinstance", b_isinstance, 0, NULL},
    {"issubclass", b_issubclass, 0, NULL},
    {"format", b_format, 0, NULL},
    {"vars", b_vars, 0, NULL},
    {"dir", b_dir, 0, NULL},
    {"globals", b_globals, 0, NULL},
    {"locals", b_locals, 0, NULL},
    {"__import__", b_import, 0, NULL},
    {NULL, NULL, 0, NULL},
};

void mn_init_builtins(void)
{
    if (mn_type_ready(&CallIterType) < 0 || mn_type_ready(&QuitterType) < 0) {
        fprintf(stderr, "mini: cannot initialise builtins\n");
        return;
    }
    Value mod = mn_module_new(mn_intern("builtins"));
    mn_module_add_methods(mod, builtin_methods);

    static Type *const types[] = {
        &ObjectType, &TypeType, &IntType, &FloatType, &BoolType, &StrType, &BytesType,
        &TupleType, &ListType, &DictType, &SetType, &FrozenSetType, &RangeType, &SliceType,
        &EnumerateType, &ZipType, &MapType, &FilterType, &ReversedType, &SuperType,
        &PropertyType, &ClassMethodType, &StaticMethodType,
    };
    static const char *const type_names[] = {
        "object", "type", "int", "float", "bool", "str", "bytes", "tuple", "list", "dict",
        "set", "frozenset", "range", "slice", "enumerate", "zip", "map", "filter",
        "reversed", "super", "property", "classmethod", "staticmethod",
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        mn_module_add(mod, type_names[i], mn_val(types[i]));
    for (Type *const *t = mn_exception_types; *t; t++)
        mn_module_add(mod, (*t)->name, mn_val(*t));
    mn_module_add(mod, "EnvironmentError", mn_val(&OSErrorType));
    mn_module_add(mod, "IOError", mn_val(&OSErrorType));

    mn_module_add(mod, "None", mn_None);
    mn_module_add(mod, "True", mn_True);
    mn_module_add(mod, "False", mn_False);
    mn_module_add(mod, "NotImplemented", mn_NotImplemented);
    mn_module_add(mod, "Ellipsis", mn_Ellipsis);
    mn_module_add(mod, "__debug__", mn_True);

    QuitterObject *ex = mn_alloc_obj(&QuitterType, 0), *qu = mn_alloc_obj(&QuitterType, 0);
    ex->name = "exit";
    qu->name = "quit";
    mn_module_add(mod, "exit", mn_val(ex));
    mn_module_add(mod, "quit", mn_val(qu));

    builtins_module = mod;
    mn_interp.builtins = AS(ModuleObject, mod)->dict;
}
