/*
 * float.c -- the float type: a boxed IEEE double.
 *
 * Arithmetic follows CPython's float object to the letter: floor
 * division and modulo take the sign of the divisor, pow() sorts out the
 * special cases (0**neg, inf, nan, negative bases) itself before trusting
 * libm, and int operands are converted with correct rounding (OverflowError
 * when they do not fit).  Comparisons with ints are exact (int.c's
 * mn_int_cmp_double), and hashes agree with int hashes for integral
 * values, so 1 == 1.0 == True behave as one key in dicts and sets.
 *
 * Deliberate difference: CPython returns a complex number for a negative
 * base raised to a non-integral power; mini has no complex type and
 * raises ValueError("negative number cannot be raised to a fractional
 * power") instead (Python 2's wording).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "object.h"

#define HASH_BITS 61
#define HASH_MOD (((uint64_t)1 << HASH_BITS) - 1)
#define HASH_INF 314159

Value mn_float(double d)
{
    FloatObject *o = mn_alloc_obj_atomic(&FloatType, 0);
    o->v = d;
    return mn_val(o);
}

static inline bool is_float(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type == &FloatType
                            || mn_is_subtype(mn_obj(v)->type, &FloatType));
}

static inline double fval(Value v) { return AS(FloatObject, v)->v; }

int mn_as_double(Value v, double *out)
{
    if (mn_is_int(v)) {
        *out = (double)mn_int_val(v);
        return 0;
    }
    if (is_float(v)) {
        *out = fval(v);
        return 0;
    }
    if (mn_is_intlike(v))
        return mn_int_as_double(v, out);
    mn_raise(&TypeErrorType, "must be real number, not %s", mn_type_name(v));
    return -1;
}

/* __float__() of a non-float: must return a float. */
static int call_dunder_float(Value v, Value *res)
{
    Value r = mn_call_special(v, MN_ID(__float__), NULL, 0);
    if (!r) {
        *res = 0;
        return mn_exc_occurred() ? -1 : 0;
    }
    if (r == MN_ERR)
        return -1;
    if (!is_float(r)) {
        mn_raise(&TypeErrorType, "%s.__float__ returned non-float (type %s)",
                 mn_type_name(v), mn_type_name(r));
        return -1;
    }
    *res = r;
    return 0;
}

int mn_to_double(Value v, double *out)
{
    if (mn_is_int(v) || is_float(v) || mn_is_intlike(v))
        return mn_as_double(v, out);
    Value r;
    if (call_dunder_float(v, &r) < 0)
        return -1;
    if (r) {
        *out = fval(r);
        return 0;
    }
    if (mn_type_lookup(mn_typeof(v), MN_ID(__index__))) {
        Value i = mn_number_index(v);
        if (!i)
            return -1;
        return mn_int_as_double(i, out);
    }
    mn_raise(&TypeErrorType, "must be real number, not %s", mn_type_name(v));
    return -1;
}

Value mn_float_repr(double d)
{
    size_t n;
    char *s = mn_double_to_cstr(d, 'r', 0, MN_DTSF_ADD_DOT_0, &n);
    return mn_str_new(s, n);
}

static Value float_repr(Value v) { return mn_float_repr(fval(v)); }

/* ------------------------------------------------------------------ */
/* Hash                                                                */
/* ------------------------------------------------------------------ */

int64_t mn_float_hash_value(Value self, double v)
{
    if (!isfinite(v)) {
        if (isinf(v))
            return v > 0 ? HASH_INF : -HASH_INF;
        /* NaN: by identity (CPython's _Py_HashPointer: rotate by 4) */
        uintptr_t y = (uintptr_t)self;
        int64_t h = (int64_t)((y >> 4) | (y << (8 * sizeof y - 4)));
        return h == -1 ? -2 : h;
    }
    /* Integral values that fit: the int hash, directly. */
    if (v > -2305843009213693951.0 && v < 2305843009213693951.0 && v == (double)(int64_t)v) {
        int64_t h = (int64_t)v;
        return h == -1 ? -2 : h;
    }
    /* The general case is the value mod 2**61-1 computed on the binary
     * expansion, 28 bits at a time, then the exponent applied as a
     * rotation (2**61 == 1 mod 2**61-1). */
    int e;
    double m = frexp(v, &e);
    int sign = 1;
    if (m < 0) {
        sign = -1;
        m = -m;
    }
    uint64_t x = 0;
    while (m) {
        x = ((x << 28) & HASH_MOD) | x >> (HASH_BITS - 28);
        m *= 268435456.0;                   /* 2**28 */
        e -= 28;
        uint64_t y = (uint64_t)m;
        m -= (double)y;
        x += y;
        if (x >= HASH_MOD)
            x -= HASH_MOD;
    }
    e = e >= 0 ? e % HASH_BITS : HASH_BITS - 1 - ((-1 - e) % HASH_BITS);
    x = ((x << e) & HASH_MOD) | x >> (HASH_BITS - e);
    x = x * (uint64_t)(int64_t)sign;
    int64_t h = (int64_t)x;
    return h == -1 ? -2 : h;
}

static int float_hash(Value v, int64_t *out)
{
    *out = mn_float_hash_value(v, fval(v));
    return 0;
}

static int float_truthy(Value v) { return fval(v) != 0.0; }

/* ------------------------------------------------------------------ */
/* Arithmetic                                                          */
/* ------------------------------------------------------------------ */

/* An operand of float arithmetic: 1 ok, 0 unsupported type, -1 error. */
static int operand(Value v, double *d)
{
    if (mn_is_int(v)) {
        *d = (double)mn_int_val(v);
        return 1;
    }
    if (!mn_is_obj(v))
        return 0;
    if (is_float(v)) {
        *d = fval(v);
        return 1;
    }
    if (mn_is_intlike(v))
        return mn_int_as_double(v, d) < 0 ? -1 : 1;
    return 0;
}

static Value zdiv(const char *msg)
{
    return mn_raise(&ZeroDivisionErrorType, "%s", msg);
}

static void div_mod(double vx, double wx, double *floordiv, double *mod)
{
    double div;
    *mod = fmod(vx, wx);
    /* fmod is exact, but (vx - mod) / wx may be a hair off an integer */
    div = (vx - *mod) / wx;
    if (*mod) {
        if ((wx < 0) != (*mod < 0)) {
            *mod += wx;
            div -= 1.0;
        }
    } else {
        *mod = copysign(0.0, wx);
    }
    if (div) {
        *floordiv = floor(div);
        if (div - *floordiv > 0.5)
            *floordiv += 1.0;
    } else {
        *floordiv = copysign(0.0, vx / wx);
    }
}

static bool is_odd_integer(double w)
{
    return fmod(fabs(w), 2.0) == 1.0;
}

static Value range_error(void)
{
    Value args = mn_tuple_pack(2, mn_int(34), mn_str("Numerical result out of range"));
    return mn_raise_exc(mn_exc_new(&OverflowErrorType, args));
}

static Value float_pow(double iv, double iw)
{
    if (iw == 0)
        return mn_float(1.0);                   /* v**0 is 1, even 0**0 */
    if (isnan(iv))
        return mn_float(iv);
    if (isnan(iw))
        return mn_float(iv == 1.0 ? 1.0 : iw);
    if (isinf(iw)) {
        iv = fabs(iv);
        if (iv == 1.0)
            return mn_float(1.0);
        if ((iw > 0.0) == (iv > 1.0))
            return mn_float(fabs(iw));
        return mn_float(0.0);
    }
    if (isinf(iv)) {
        bool odd = is_odd_integer(iw);
        if (iw > 0.0)
            return mn_float(odd ? iv : fabs(iv));
        return mn_float(odd ? copysign(0.0, iv) : 0.0);
    }
    if (iv == 0.0) {
        if (iw < 0.0)
            return zdiv("0.0 cannot be raised to a negative power");
        return mn_float(is_odd_integer(iw) ? iv : 0.0);
    }
    bool negate = false;
    if (iv < 0.0) {
        if (iw != floor(iw))
            return mn_raise(&ValueErrorType,
                            "negative number cannot be raised to a fractional power");
        iv = -iv;
        negate = is_odd_integer(iw);
    }
    if (iv == 1.0)
        return mn_float(negate ? -1.0 : 1.0);
    errno = 0;
    double r = pow(iv, iw);
    if (isinf(r))
        return range_error();
    return mn_float(negate ? -r : r);
}

Value mn_float_binop(BinOp op, Value a, Value b)
{
    double x, y;
    int ka = operand(a, &x);
    if (ka <= 0)
        return ka < 0 ? MN_ERR : mn_NotImplemented;
    int kb = operand(b, &y);
    if (kb <= 0)
        return kb < 0 ? MN_ERR : mn_NotImplemented;
    double fd, md;
    switch (op) {
    case OP_ADD:
        return mn_float(x + y);
    case OP_SUB:
        return mn_float(x - y);
    case OP_MUL:
        return mn_float(x * y);
    case OP_TRUEDIV:
        if (y == 0.0)
            return zdiv("float division by zero");
        return mn_float(x / y);
    case OP_FLOORDIV:
        if (y == 0.0)
            return zdiv("float floor division by zero");
        div_mod(x, y, &fd, &md);
        return mn_float(fd);
    case OP_MOD:
        if (y == 0.0)
            return zdiv("float modulo");
        md = fmod(x, y);
        if (md) {
            if ((y < 0) != (md < 0))
                md += y;
        } else {
            md = copysign(0.0, y);
        }
        return mn_float(md);
    case OP_POW:
        return float_pow(x, y);
    default:
        return mn_NotImplemented;
    }
}

Value mn_float_divmod(Value a, Value b)
{
    double x, y;
    int ka = operand(a, &x);
    if (ka <= 0)
        return ka < 0 ? MN_ERR : mn_NotImplemented;
    int kb = operand(b, &y);
    if (kb <= 0)
        return kb < 0 ? MN_ERR : mn_NotImplemented;
    if (y == 0.0)
        return zdiv("float divmod()");
    double fd, md;
    div_mod(x, y, &fd, &md);
    return mn_tuple_pack(2, mn_float(fd), mn_float(md));
}

static Value float_unop(UnOp op, Value a)
{
    switch (op) {
    case UOP_NEG:
        return mn_float(-fval(a));
    case UOP_POS:
        return MN_IS_EXACT(a, FloatType) ? a : mn_float(fval(a));
    default:
        return mn_raise(&TypeErrorType, "bad operand type for unary ~: '%s'", mn_type_name(a));
    }
}

static Value float_richcmp(Value a, Value b, CmpOp op)
{
    double x, y;
    int c;
    if (is_float(a) && is_float(b)) {
        x = fval(a);
        y = fval(b);
    } else if (is_float(a) && mn_is_intlike(b)) {
        c = mn_int_cmp_double(b, fval(a));
        goto from_cmp;
    } else if (mn_is_intlike(a) && is_float(b)) {
        c = -mn_int_cmp_double(a, fval(b));
        goto from_cmp;
    } else {
        return mn_NotImplemented;
    }
    switch (op) {
    case CMP_LT: return mn_bool(x < y);
    case CMP_LE: return mn_bool(x <= y);
    case CMP_EQ: return mn_bool(x == y);
    case CMP_NE: return mn_bool(x != y);
    case CMP_GT: return mn_bool(x > y);
    case CMP_GE: return mn_bool(x >= y);
    }
    return mn_NotImplemented;
from_cmp:
    if (c == 2 || c == -2)                /* NaN */
        return mn_bool(op == CMP_NE);
    switch (op) {
    case CMP_LT: return mn_bool(c > 0);   /* c compares int to float: flip */
    case CMP_LE: return mn_bool(c >= 0);
    case CMP_EQ: return mn_bool(c == 0);
    case CMP_NE: return mn_bool(c != 0);
    case CMP_GT: return mn_bool(c < 0);
    case CMP_GE: return mn_bool(c <= 0);
    }
    return mn_NotImplemented;
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */
/* ------------------------------------------------------------------ */

static bool match_ci(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - p) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != word[i])
            return false;
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Copy a run of digits with single underscores between digits into
 * out; returns the number of digits, or -1 on a misplaced underscore. */
static long digit_run(const char **pp, const char *end, char *out, size_t *o)
{
    const char *p = *pp;
    long n = 0;
    while (p < end) {
        if (is_digit(*p)) {
            out[(*o)++] = *p++;
            n++;
        } else if (*p == '_' && n > 0 && p + 1 < end && is_digit(p[1])) {
            p++;
        } else {
            break;
        }
    }
    *pp = p;
    return n;
}

/* float(text): Python's float syntax, then glibc's correctly rounded
 * strtod on a cleaned copy. */
static int parse_float_text(const char *text, size_t textlen, bool unicode, double *out)
{
    size_t len;
    const char *s = mn_num_text(text, textlen, unicode, &len);
    const char *p = s, *end = s + len;
    char *buf = gc_alloc_atomic(len + 2);
    size_t o = 0;
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (match_ci(p, end, "inf") || match_ci(p, end, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (match_ci(p, end, "nan")) {
        *out = neg ? -NAN : NAN;
        return 0;
    }
    if (neg)
        buf[o++] = '-';
    long ni = digit_run(&p, end, buf, &o), nf = 0;
    if (p < end && *p == '.') {
        buf[o++] = *p++;
        nf = digit_run(&p, end, buf, &o);
    }
    if (ni + nf == 0)
        return -1;
    if (p < end && (*p == 'e' || *p == 'E')) {
        buf[o++] = *p++;
        if (p < end && (*p == '+' || *p == '-'))
            buf[o++] = *p++;
        if (digit_run(&p, end, buf, &o) == 0)
            return -1;
    }
    if (p != end)
        return -1;
    buf[o] = 0;
    *out = strtod(buf, NULL);
    return 0;
}

static Value float_from_text(const char *text, size_t len, Value orig, bool unicode)
{
    double d;
    if (parse_float_text(text, len, unicode, &d) < 0) {
        Value r = mn_repr(orig);
        if (!r)
            return MN_ERR;
        return mn_raise(&ValueErrorType, "could not convert string to float: %s", mn_cstr(r));
    }
    return mn_float(d);
}

/* float(x) for one argument. */
static Value float_from_object(Value x)
{
    if (MN_IS_EXACT(x, FloatType))
        return x;
    if (mn_is_int(x))
        return mn_float((double)mn_int_val(x));
    if (is_float(x) || mn_is_intlike(x)) {
        double d;
        if (mn_as_double(x, &d) < 0)
            return MN_ERR;
        return mn_float(d);
    }
    if (mn_is_str(x))
        return float_from_text(mn_cstr(x), (size_t)mn_str_len(x), x, true);
    if (mn_isinstance_t(x, &BytesType))
        return float_from_text((const char *)AS(BytesObject, x)->data,
                               (size_t)AS(BytesObject, x)->len, x, false);
    Value r;
    if (call_dunder_float(x, &r) < 0)
        return MN_ERR;
    if (r)
        return MN_IS_EXACT(r, FloatType) ? r : mn_float(fval(r));
    if (mn_type_lookup(mn_typeof(x), MN_ID(__index__))) {
        Value i = mn_number_index(x);
        double d;
        if (!i || mn_int_as_double(i, &d) < 0)
            return MN_ERR;
        return mn_float(d);
    }
    return mn_raise(&TypeErrorType, "float() argument must be a string or a real number, not '%s'",
                    mn_type_name(x));
}

static Value float_as_type(Type *t, Value v)
{
    if (t == &FloatType || !v)
        return v;
    FloatObject *o = mn_alloc_obj(t, 0);
    o->v = fval(v);
    return mn_val(o);
}

static Value float_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs) > 0)
        return mn_raise(&TypeErrorType, "float() takes no keyword arguments");
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "float expected at most 1 argument, got %d", nargs);
    if (nargs == 0)
        return float_as_type(t, mn_float(0.0));
    return float_as_type(t, float_from_object(args[0]));
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */
/* ------------------------------------------------------------------ */

#define ARGS0(name)                                                      \
    if (mn_argcheck(name, nargs - 1, kwargs, 0, 0) < 0)                  \
        return MN_ERR

static Value float_is_integer(Value *args, int nargs, Value kwargs)
{
    ARGS0("is_integer");
    double x = fval(args[0]);
    return mn_bool(isfinite(x) && floor(x) == x);
}

static Value float_as_integer_ratio(Value *args, int nargs, Value kwargs)
{
    ARGS0("as_integer_ratio");
    double x = fval(args[0]);
    if (isinf(x))
        return mn_raise(&OverflowErrorType, "cannot convert Infinity to integer ratio");
    if (isnan(x))
        return mn_raise(&ValueErrorType, "cannot convert NaN to integer ratio");
    int e;
    double m = frexp(x, &e);                 /* x = m * 2**e, 0.5 <= |m| < 1 */
    mpz_t num, den;
    mpz_init_set_d(num, ldexp(m, 53));       /* exact 53-bit integer */
    e -= 53;
    mpz_init_set_ui(den, 1);
    if (mpz_sgn(num) != 0) {
        /* cancel common powers of two */
        mp_bitcnt_t tz = mpz_scan1(num, 0);
        if (e < 0) {
            mp_bitcnt_t k = tz < (mp_bitcnt_t)-e ? tz : (mp_bitcnt_t)-e;
            mpz_tdiv_q_2exp(num, num, k);
            e += (int)k;
        }
    } else {
        e = 0;
    }
    if (e > 0)
        mpz_mul_2exp(num, num, (mp_bitcnt_t)e);
    else
        mpz_mul_2exp(den, den, (mp_bitcnt_t)-e);
    return mn_tuple_pack(2, mn_int_from_mpz(num), mn_int_from_mpz(den));
}

static Value float_hex(Value *args, int nargs, Value kwargs)
{
    ARGS0("hex");
    double x = fval(args[0]);
    if (isnan(x) || isinf(x))
        return mn_float_repr(x);
    if (x == 0.0)
        return mn_str(copysign(1.0, x) == -1.0 ? "-0x0.0p+0" : "0x0.0p+0");
    int e;
    double m = frexp(fabs(x), &e);
    /* normalise to 1.xxx (or 0.xxx for subnormals) */
    int shift = 1 - (DBL_MIN_EXP - e > 0 ? DBL_MIN_EXP - e : 0);
    m = ldexp(m, shift);
    e -= shift;
    char digits[20];
    int si = 0;
    static const char hexd[] = "0123456789abcdef";
    digits[si++] = hexd[(int)m];
    m -= (int)m;
    digits[si++] = '.';
    for (int i = 0; i < 13; i++) {
        m *= 16.0;
        digits[si++] = hexd[(int)m];
        m -= (int)m;
    }
    digits[si] = 0;
    return mn_str_fmt("%s0x%sp%c%d", x < 0 ? "-" : "", digits, e < 0 ? '-' : '+',
                      e < 0 ? -e : e);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static Value float_fromhex(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("fromhex", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value sv = args[1];
    if (!mn_is_str(sv))
        return mn_raise(&TypeErrorType, "fromhex() argument must be str, not %s",
                        mn_type_name(sv));
    size_t len;
    const char *s = mn_num_text(mn_cstr(sv), (size_t)mn_str_len(sv), false, &len);
    const char *p = s, *end = s + len;
    double d;
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (match_ci(p, end, "inf") || match_ci(p, end, "infinity")) {
        d = neg ? -INFINITY : INFINITY;
        goto done;
    }
    if (match_ci(p, end, "nan")) {
        d = NAN;
        goto done;
    }
    /* Validate [0x] hexdigits [. hexdigits] [p [sign] digits], then let
     * strtod (which rounds hex input correctly) convert "0x...". */
    char *buf = gc_alloc_atomic(len + 8);
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    buf[o++] = '0';
    buf[o++] = 'x';
    if (end - p >= 2 && p[0] == '0' && (p[1] | 0x20) == 'x')
        p += 2;
    int nd = 0;
    while (p < end && hexval(*p) >= 0)
        buf[o++] = *p++, nd++;
    if (p < end && *p == '.') {
        buf[o++] = *p++;
        while (p < end && hexval(*p) >= 0)
            buf[o++] = *p++, nd++;
    }
    if (nd == 0)
        goto invalid;
    if (p < end && (*p | 0x20) == 'p') {
        buf[o++] = 'p';
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            buf[o++] = *p++;
        int ne = 0;
        while (p < end && is_digit(*p))
            buf[o++] = *p++, ne++;
        if (ne == 0)
            goto invalid;
    }
    if (p != end)
        goto invalid;
    buf[o] = 0;
    errno = 0;
    d = strtod(buf, NULL);
    if (isinf(d))
        return mn_raise(&OverflowErrorType, "hexadecimal value too large to represent as a float");
done:;
    Value r = mn_float(d);
    if (AS(Type, args[0]) != &FloatType)
        return mn_call(args[0], &r, 1, 0);
    return r;
invalid:
    return mn_raise(&ValueErrorType, "invalid hexadecimal floating-point string");
}

static Value float_self(Value *args, int nargs, Value kwargs)
{
    ARGS0("conjugate");
    return MN_IS_EXACT(args[0], FloatType) ? args[0] : mn_float(fval(args[0]));
}

static Value float_trunc(Value *args, int nargs, Value kwargs)
{
    ARGS0("__trunc__");
    return mn_int_from_double(fval(args[0]));
}

static Value float_floor(Value *args, int nargs, Value kwargs)
{
    ARGS0("__floor__");
    return mn_int_from_double(floor(fval(args[0])));
}

static Value float_ceil(Value *args, int nargs, Value kwargs)
{
    ARGS0("__ceil__");
    return mn_int_from_double(ceil(fval(args[0])));
}

static Value float_abs(Value *args, int nargs, Value kwargs)
{
    ARGS0("__abs__");
    return mn_float(fabs(fval(args[0])));
}

/* round(x, nd) for finite x: round x * 10**nd to an integer exactly (x
 * is a dyadic rational, so GMP does it without error), ties to even,
 * then let strtod turn "<q>e<-nd>" into the nearest double. */
static Value double_round(double x, int nd)
{
    int e;
    double m = frexp(x, &e);
    mpz_t num, den, q, r;
    mpz_init_set_d(num, ldexp(fabs(m), 53));
    e -= 53;
    mpz_init_set_ui(den, 1);
    mpz_init(q);
    mpz_init(r);
    if (e > 0)
        mpz_mul_2exp(num, num, (mp_bitcnt_t)e);
    else
        mpz_mul_2exp(den, den, (mp_bitcnt_t)-e);
    mpz_t p10;
    mpz_init(p10);
    mpz_ui_pow_ui(p10, 10, (unsigned long)(nd >= 0 ? nd : -nd));
    if (nd >= 0)
        mpz_mul(num, num, p10);
    else
        mpz_mul(den, den, p10);
    mpz_fdiv_qr(q, r, num, den);
    mpz_mul_2exp(r, r, 1);
    int c = mpz_cmp(r, den);
    if (c > 0 || (c == 0 && mpz_odd_p(q)))
        mpz_add_ui(q, q, 1);
    char *digits = mpz_get_str(NULL, 10, q);
    char *buf = gc_alloc_atomic(strlen(digits) + 16);
    sprintf(buf, "%s%se%d", x < 0 ? "-" : "", digits, -nd);
    errno = 0;
    double rounded = strtod(buf, NULL);
    if (isinf(rounded))
        return mn_raise(&OverflowErrorType, "rounded value too large to represent");
    return mn_float(rounded);
}

static Value float_round(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__round__", nargs - 1, kwargs, 0, 1) < 0)
        return MN_ERR;
    double x = fval(args[0]);
    if (nargs < 2 || args[1] == mn_None)
        return mn_int_from_double(nearbyint(x));   /* half-even in the default mode */
    Value ndv = mn_number_index(args[1]);
    if (!ndv)
        return MN_ERR;
    /* clip huge ndigits, like PyNumber_AsSsize_t(o, NULL) */
    int64_t nd;
    if (mn_as_i64(ndv, &nd) < 0) {
        mn_exc_clear();
        mpz_t z;
        mpz_init(z);
        mn_int_to_mpz(ndv, z);
        nd = mpz_sgn(z) < 0 ? INT64_MIN : INT64_MAX;
    }
    if (!isfinite(x))
        return mn_float(x);
    /* 323 and -308: beyond these x rounds to itself / to zero */
    if (nd > (int)((DBL_MANT_DIG - DBL_MIN_EXP) * 0.30103))
        return mn_float(x);
    if (nd < -(int)((DBL_MAX_EXP + 1) * 0.30103))
        return mn_float(0.0 * x);
    if (x == 0.0)
        return mn_float(x);
    return double_round(x, (int)nd);
}

static Value float_dunder_format(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__format__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "__format__() argument must be str, not %s",
                        mn_type_name(args[1]));
    return mn_float_format(args[0], args[1]);
}

static Value float_divmod_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__divmod__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return mn_float_divmod(args[0], args[1]);
}

static Value float_rdivmod_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__rdivmod__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return mn_float_divmod(args[1], args[0]);
}

static Value float_pow_m(Value *args, int nargs, Value kwargs, bool refl)
{
    if (mn_argcheck(refl ? "__rpow__" : "__pow__", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    if (nargs > 2 && args[2] != mn_None)
        return mn_raise(&TypeErrorType,
                        "pow() 3rd argument not allowed unless all arguments are integers");
    return refl ? mn_float_binop(OP_POW, args[1], args[0])
                : mn_float_binop(OP_POW, args[0], args[1]);
}

static Value float_pow_method(Value *args, int nargs, Value kwargs)
{
    return float_pow_m(args, nargs, kwargs, false);
}

static Value float_rpow_method(Value *args, int nargs, Value kwargs)
{
    return float_pow_m(args, nargs, kwargs, true);
}

static Value float_get_real(Value self)
{
    return MN_IS_EXACT(self, FloatType) ? self : mn_float(fval(self));
}

static Value float_get_imag(Value self) { return mn_float(0.0); }

static MethodDef float_methods[] = {
    {"is_integer", float_is_integer, 0, "Return True if the float is an integer."},
    {"as_integer_ratio", float_as_integer_ratio, 0, NULL},
    {"hex", float_hex, 0, "Return a hexadecimal representation of a floating-point number."},
    {"fromhex", float_fromhex, METH_CLASS, "Create a floating-point number from a hexadecimal string."},
    {"conjugate", float_self, 0, NULL},
    {"__float__", float_self, 0, NULL},
    {"__int__", float_trunc, 0, NULL},
    {"__trunc__", float_trunc, 0, NULL},
    {"__floor__", float_floor, 0, NULL},
    {"__ceil__", float_ceil, 0, NULL},
    {"__abs__", float_abs, 0, NULL},
    {"__round__", float_round, 0, NULL},
    {"__format__", float_dunder_format, 0, NULL},
    {"__divmod__", float_divmod_m, 0, NULL},
    {"__rdivmod__", float_rdivmod_m, 0, NULL},
    {"__pow__", float_pow_method, 0, NULL},
    {"__rpow__", float_rpow_method, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef float_getset[] = {
    {"real", float_get_real, NULL},
    {"imag", float_get_imag, NULL},
    {NULL, NULL, NULL},
};

Type FloatType = {
    .hdr = {&TypeType},
    .name = "float",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(FloatObject),
    .methods = float_methods,
    .getset = float_getset,
    .new = float_new,
    .repr = float_repr,
    .hash = float_hash,
    .richcmp = float_richcmp,
    .truthy = float_truthy,
    .binop = mn_float_binop,
    .unop = float_unop,
};

void mn_init_float(void)
{
}
