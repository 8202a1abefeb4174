/*
 * int.c -- int and bool.
 *
 * An int is either a tagged small int (value.h: 63 bits, no allocation) or
 * a BigIntObject holding a GMP mpz_t.  Exact big ints exist only for values
 * outside the small range: every operation funnels its result through
 * int_from_mpz_move()/mn_int_from_i64(), which hand back a small int when
 * the value fits, so `x == y` on equal ints never compares a small int
 * against a big one of the same value.  Instances of user subclasses of
 * int share the BigIntObject layout (their mpz may hold any value), and
 * bool's two singletons carry no payload: their value is which one they
 * are.  int_norm() folds those two cases back into the plain encoding
 * before arithmetic.
 *
 * GMP allocates limbs through the collector (gc.c), so nothing here ever
 * calls mpz_clear; temporaries simply die.  Small operands are shown to
 * GMP without allocating through mpz_roinit_n over a stack limb (MpzView).
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "object.h"

/* CPython 3.11's int<->str digit limit (sys.set_int_max_str_digits);
 * 0 disables it.  Process-wide, read with a relaxed atomic load. */
int mn_int_max_str_digits = 4300;

/* Largest result, in bits, an operation may build before we refuse with
 * MemoryError (GMP aborts the process on its own size overflow). */
#define MAX_RESULT_BITS ((uint64_t)1 << 34)

#define HASH_BITS 61
#define HASH_MOD (((uint64_t)1 << HASH_BITS) - 1)

static Value str_true, str_false;     /* "True"/"False", made at init */

/* ------------------------------------------------------------------ */
/* Representation helpers                                              */
/* ------------------------------------------------------------------ */

static inline bool is_bool(Value v) { return v == mn_True || v == mn_False; }

/* An int-like value in plain form: a small int or an exact big int. */
static Value int_norm(Value v)
{
    if (mn_is_int(v))
        return v;
    if (v == mn_True)
        return mn_int(1);
    if (v == mn_False)
        return mn_int(0);
    if (mn_obj(v)->type == &IntType)
        return v;
    return mn_int_from_mpz(AS(BigIntObject, v)->z);   /* subclass instance */
}

/* A read-only mpz view of any int-like value; small values live in the
 * view's own limb, so the view must outlive every use of the result. */
typedef struct { mpz_t z; mp_limb_t limb; } MpzView;

static mpz_srcptr view(Value v, MpzView *t)
{
    intptr_t i;
    if (mn_is_int(v))
        i = mn_int_val(v);
    else if (is_bool(v))
        i = v == mn_True;
    else
        return AS(BigIntObject, v)->z;
    t->limb = i < 0 ? (mp_limb_t)0 - (mp_limb_t)i : (mp_limb_t)i;
    mpz_roinit_n(t->z, &t->limb, i < 0 ? -1 : 1);
    return t->z;
}

/* Wrap a freshly computed mpz; the result owns its limbs from now on. */
static Value int_from_mpz_move(mpz_t z)
{
    if (mpz_fits_slong_p(z)) {
        long l = mpz_get_si(z);
        if (mn_fits_small(l))
            return mn_int(l);
    }
    BigIntObject *o = mn_alloc_obj(&IntType, 0);
    o->z[0] = z[0];
    return mn_val(o);
}

Value mn_int_from_i64(int64_t i)
{
    if (mn_fits_small(i))
        return mn_int(i);
    mpz_t z;
    mpz_init_set_si(z, i);
    return int_from_mpz_move(z);
}

Value mn_int_from_mpz(const mpz_t z)
{
    if (mpz_fits_slong_p(z)) {
        long l = mpz_get_si(z);
        if (mn_fits_small(l))
            return mn_int(l);
    }
    BigIntObject *o = mn_alloc_obj(&IntType, 0);
    mpz_init_set(o->z, z);
    return mn_val(o);
}

void mn_int_to_mpz(Value v, mpz_t out)
{
    MpzView t;
    mpz_set(out, view(v, &t));
}

static inline int sgn(int c) { return (c > 0) - (c < 0); }

static Value too_big(void)
{
    return mn_raise_exc(mn_val(&MemoryErrorType));
}

/* ------------------------------------------------------------------ */
/* Conversions                                                         */
/* ------------------------------------------------------------------ */

/* operator.index(v): v itself for ints, else __index__(), which must
 * return an int. */
Value mn_number_index(Value v)
{
    if (mn_is_int(v) || mn_is_intlike(v))
        return v;
    Value r = mn_call_special(v, MN_ID(__index__), NULL, 0);
    if (r == 0) {
        if (mn_exc_occurred())
            return MN_ERR;
        return mn_raise(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                        mn_type_name(v));
    }
    if (r != MN_ERR && !mn_is_intlike(r))
        return mn_raise(&TypeErrorType, "__index__ returned non-int (type %s)",
                        mn_type_name(r));
    return r;
}

static int int_to_i64(Value v, int64_t *out, Type *exc, const char *msg)
{
    if (is_bool(v)) {
        *out = v == mn_True;
        return 0;
    }
    mpz_srcptr z = AS(BigIntObject, v)->z;
    if (!mpz_fits_slong_p(z)) {
        mn_raise(exc, "%s", msg);
        return -1;
    }
    *out = mpz_get_si(z);
    return 0;
}

int mn_as_i64(Value v, int64_t *out)
{
    if (mn_is_int(v)) {
        *out = mn_int_val(v);
        return 0;
    }
    if (!mn_is_intlike(v)) {
        v = mn_number_index(v);
        if (!v)
            return -1;
        if (mn_is_int(v)) {
            *out = mn_int_val(v);
            return 0;
        }
    }
    return int_to_i64(v, out, &OverflowErrorType, "Python int too large to convert to C long");
}

int mn_as_index(Value v, int64_t *out)
{
    if (mn_is_int(v)) {
        *out = mn_int_val(v);
        return 0;
    }
    if (!mn_is_intlike(v)) {
        v = mn_number_index(v);
        if (!v)
            return -1;
        if (mn_is_int(v)) {
            *out = mn_int_val(v);
            return 0;
        }
    }
    return int_to_i64(v, out, &OverflowErrorType,
                      "cannot fit 'int' into an index-sized integer");
}

/* Correctly rounded (half-even) int -> double, like PyLong_AsDouble. */
static int mpz_to_double(mpz_srcptr z, double *out)
{
    size_t nbits = mpz_sizeinbase(z, 2);
    if (nbits <= 53) {
        *out = mpz_get_d(z);                 /* exact */
        return 0;
    }
    if (nbits > DBL_MAX_EXP)
        goto overflow;
    /* Keep the top 55 bits and fold everything below into a sticky bit;
     * the hardware's uint64 -> double conversion then rounds exactly as
     * rounding the full value would. */
    size_t shift = nbits - 55;
    mpz_t t;
    mpz_init(t);
    mpz_abs(t, z);
    int sticky = !mpz_divisible_2exp_p(t, shift);
    mpz_tdiv_q_2exp(t, t, shift);
    uint64_t top = (uint64_t)mpz_get_ui(t) | (uint64_t)sticky;
    double d = ldexp((double)top, (int)shift);
    if (isinf(d))
        goto overflow;
    *out = mpz_sgn(z) < 0 ? -d : d;
    return 0;
overflow:
    mn_raise(&OverflowErrorType, "int too large to convert to float");
    return -1;
}

/* int-like -> double (the int half of mn_as_double, in float.c). */
int mn_int_as_double(Value v, double *out)
{
    if (mn_is_int(v)) {
        *out = (double)mn_int_val(v);
        return 0;
    }
    if (is_bool(v)) {
        *out = v == mn_True;
        return 0;
    }
    return mpz_to_double(AS(BigIntObject, v)->z, out);
}

Value mn_int_from_double(double d)
{
    if (d > -4611686018427387904.0 && d < 4611686018427387904.0)   /* 2**62 */
        return mn_int((intptr_t)d);
    if (isnan(d))
        return mn_raise(&ValueErrorType, "cannot convert float NaN to integer");
    if (isinf(d))
        return mn_raise(&OverflowErrorType, "cannot convert float infinity to integer");
    mpz_t z;
    mpz_init_set_d(z, d);                   /* truncates; exact for |d| >= 2**52 */
    return int_from_mpz_move(z);
}

/* Compare int-like i with double d exactly: -1/0/1, or 2 if d is NaN. */
int mn_int_cmp_double(Value i, double d)
{
    if (isnan(d))
        return 2;
    if (isinf(d))
        return d > 0 ? -1 : 1;
    if (mn_is_int(i)) {
        intptr_t x = mn_int_val(i);
        if (x >= -(1LL << 53) && x <= (1LL << 53)) {
            double xd = (double)x;
            return (xd > d) - (xd < d);
        }
    }
    double t = trunc(d), frac = d - t;
    mpz_t zt;
    mpz_init_set_d(zt, t);
    MpzView v;
    int c = sgn(mpz_cmp(view(i, &v), zt));
    if (c)
        return c;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* int <-> text                                                        */
/* ------------------------------------------------------------------ */

static int max_str_digits(void)
{
    return __atomic_load_n(&mn_int_max_str_digits, __ATOMIC_RELAXED);
}

static Value str_limit_error(void)
{
    return mn_raise(&ValueErrorType,
                    "Exceeds the limit (%d digits) for integer string conversion; "
                    "use sys.set_int_max_str_digits() to increase the limit",
                    max_str_digits());
}

/* Decimal digits of a small int into the END of buf; returns the start. */
static char *small_to_dec(intptr_t v, char *end)
{
    char *p = end;
    uintptr_t u = v < 0 ? (uintptr_t)0 - (uintptr_t)v : (uintptr_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

char *mn_int_to_cstr(Value v, int base, size_t *len)
{
    if (mn_is_int(v) && base == 10) {
        char tmp[24];
        char *p = small_to_dec(mn_int_val(v), tmp + sizeof tmp);
        *len = (size_t)(tmp + sizeof tmp - p);
        return gc_strndup(p, *len);
    }
    MpzView t;
    mpz_srcptr z = view(v, &t);
    int limit = max_str_digits();
    /* power-of-two bases are exempt, as in CPython */
    if (base == 10 && limit > 0 && mpz_sizeinbase(z, 10) > (size_t)limit + 1) {
        str_limit_error();
        return NULL;
    }
    char *s = gc_alloc_atomic(mpz_sizeinbase(z, base) + 2);
    mpz_get_str(s, base, z);
    *len = strlen(s);
    if (base == 10 && limit > 0 && *len - (s[0] == '-') > (size_t)limit) {
        str_limit_error();
        return NULL;
    }
    return s;
}

/* bin()/oct()/hex(): "-0x1f" style, after __index__. */
Value mn_int_to_base(Value v, int base)
{
    v = mn_number_index(v);
    if (!v)
        return MN_ERR;
    size_t n;
    char *d = mn_int_to_cstr(v, base, &n);
    if (!d)
        return MN_ERR;
    if (base == 10)
        return mn_str_new(d, n);
    StrBuf b;
    sb_init(&b);
    const char *digits = d;
    if (*digits == '-') {
        sb_addc(&b, '-');
        digits++;
    }
    sb_adds(&b, base == 2 ? "0b" : base == 8 ? "0o" : "0x");
    sb_adds(&b, digits);
    return sb_finish(&b);
}

static Value int_repr(Value v)
{
    if (mn_is_int(v)) {
        char tmp[24];
        char *p = small_to_dec(mn_int_val(v), tmp + sizeof tmp);
        return mn_str_new(p, (size_t)(tmp + sizeof tmp - p));
    }
    if (is_bool(v))
        return mn_str(v == mn_True ? "1" : "0");
    size_t n;
    char *s = mn_int_to_cstr(v, 10, &n);
    return s ? mn_str_new(s, n) : MN_ERR;
}

/* Unicode decimal digit blocks (category Nd) above ASCII: each starts at
 * the code point of its zero.  int() and float() accept these digits. */
static const uint32_t nd_zeros[] = {
    0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66,
    0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0,
    0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50,
    0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0,
    0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
    0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce,
    0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

static bool uni_space(uint32_t c)
{
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a)
        || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool ascii_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* The number text of int()/float(): non-ASCII whitespace becomes ' ',
 * non-ASCII decimal digits their ASCII digit, other non-ASCII chars '?'
 * (so they fail to parse); then surrounding whitespace is stripped.
 * Returns s itself when no change was needed. */
const char *mn_num_text(const char *s, size_t len, bool unicode, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = NULL;
    size_t i = 0, o = 0;
    for (; i < len; i++)
        if (u[i] >= 0x80)
            break;
    if (i < len && !unicode) {
        out = gc_strndup(s, len);           /* bytes: non-ASCII never parses */
        for (; i < len; i++)
            if (u[i] >= 0x80)
                out[i] = '?';
        s = out;
    } else if (i < len) {
        out = gc_alloc_atomic(len + 1);
        memcpy(out, s, i);
        o = i;
        while (i < len) {
            uint32_t c = u[i];
            int n = 1;
            if (c >= 0xf0 && i + 3 < len) {
                c = ((c & 7) << 18) | ((u[i + 1] & 0x3f) << 12) | ((u[i + 2] & 0x3f) << 6)
                    | (u[i + 3] & 0x3f);
                n = 4;
            } else if (c >= 0xe0 && i + 2 < len) {
                c = ((c & 15) << 12) | ((u[i + 1] & 0x3f) << 6) | (u[i + 2] & 0x3f);
                n = 3;
            } else if (c >= 0xc0 && i + 1 < len) {
                c = ((c & 31) << 6) | (u[i + 1] & 0x3f);
                n = 2;
            }
            char r = (char)c;
            if (c >= 0x80) {
                r = '?';
                if (uni_space(c)) {
                    r = ' ';
                } else {
                    for (size_t k = 0; k < sizeof nd_zeros / sizeof nd_zeros[0]; k++)
                        if (c >= nd_zeros[k] && c < nd_zeros[k] + 10) {
                            r = (char)('0' + (c - nd_zeros[k]));
                            break;
                        }
                }
            }
            out[o++] = r;
            i += (size_t)n;
        }
        s = out;
        len = o;
    }
    while (len && ascii_space(s[0]))
        s++, len--;
    while (len && ascii_space(s[len - 1]))
        len--;
    *outlen = len;
    return s;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* "invalid literal for int() with base 10: 'abc'" -- the repr of the
 * original argument, cut to 200 characters as CPython's %.200R does. */
static Value invalid_literal(int base, Value orig, const char *s, size_t len)
{
    Value r = orig ? mn_repr(orig) : 0;
    if (orig && !r)
        return MN_ERR;
    if (!r) {
        Value sv = mn_str_decode_utf8(s, len, "replace");
        if (!sv)
            return MN_ERR;
        r = mn_str_repr(sv);
        if (!r)
            return MN_ERR;
    }
    const char *p = mn_cstr(r);
    size_t n = (size_t)mn_str_len(r), i = 0;
    int chars = 0;
    while (i < n && chars < 200) {
        i++;
        while (i < n && ((unsigned char)p[i] & 0xc0) == 0x80)
            i++;
        chars++;
    }
    return mn_raise(&ValueErrorType, "invalid literal for int() with base %d: %.*s",
                    base, (int)i, p);
}

/* int(text, base): the parser shared by int(), the compiler's literals
 * (mn_int_from_str) and int(bytes). */
static Value parse_int(const char *text, size_t textlen, int base, Value orig, bool unicode)
{
    size_t len;
    const char *s = mn_num_text(text, textlen, unicode, &len);
    const char *p = s, *end = s + len;
    bool neg = false;
    int b = base;

    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    bool zero_lead = false;          /* base 0 decimal starting with '0' */
    bool after_prefix = false;
    if (end - p >= 2 && p[0] == '0') {
        char c = (char)(p[1] | 0x20);
        int pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
        if (pb && (b == 0 || b == pb)) {
            b = pb;
            p += 2;
            after_prefix = true;
        }
    }
    if (b == 0) {
        b = 10;
        zero_lead = p < end && *p == '0';
    }
    if (after_prefix && p < end && *p == '_')
        p++;

    /* Scan digits; underscores only between two digits. */
    char small_buf[64];
    char *digits = (size_t)(end - p) < sizeof small_buf ? small_buf
                                                         : gc_alloc_atomic((size_t)(end - p) + 1);
    size_t nd = 0;
    bool ok = p < end;
    for (const char *q = p; q < end; q++) {
        if (*q == '_') {
            if (q == p || q + 1 >= end || q[-1] == '_' || q[1] == '_') {
                ok = false;
                break;
            }
            continue;
        }
        if (digit_value(*q) >= b) {
            ok = false;
            break;
        }
        digits[nd++] = *q;
    }
    if ((b & (b - 1)) != 0) {
        int limit = max_str_digits();
        if (limit > 0 && nd > (size_t)limit)
            return mn_raise(&ValueErrorType,
                            "Exceeds the limit (%d digits) for integer string conversion: "
                            "value has %zu digits; use sys.set_int_max_str_digits() "
                            "to increase the limit", limit, nd);
    }
    if (!ok || nd == 0)
        return invalid_literal(base, orig, text, textlen);
    if (zero_lead)
        for (size_t i = 0; i < nd; i++)
            if (digits[i] != '0')
                return invalid_literal(base, orig, text, textlen);

    if (b == 10 && nd <= 18) {
        int64_t v = 0;
        for (size_t i = 0; i < nd; i++)
            v = v * 10 + (digits[i] - '0');
        return mn_int_from_i64(neg ? -v : v);
    }
    digits[nd] = 0;
    mpz_t z;
    mpz_init(z);
    mpz_set_str(z, digits, b);
    if (neg)
        mpz_neg(z, z);
    return int_from_mpz_move(z);
}

Value mn_int_from_str(const char *s, size_t len, int base)
{
    return parse_int(s, len, base, 0, true);
}

/* ------------------------------------------------------------------ */
/* Arithmetic                                                          */
/* ------------------------------------------------------------------ */

static Value zdiv(const char *msg)
{
    return mn_raise(&ZeroDivisionErrorType, "%s", msg);
}

/* int / int, correctly rounded (CPython's long_true_divide contract). */
static Value int_truediv(mpz_srcptr a, mpz_srcptr b)
{
    if (mpz_sgn(b) == 0)
        return zdiv("division by zero");
    bool neg = (mpz_sgn(a) < 0) != (mpz_sgn(b) < 0);
    if (mpz_sgn(a) == 0)
        return mn_float(neg ? -0.0 : 0.0);
    size_t na = mpz_sizeinbase(a, 2), nb = mpz_sizeinbase(b, 2);
    if (na <= 53 && nb <= 53)
        return mn_float(mpz_get_d(a) / mpz_get_d(b));   /* both exact */

    /* E = floor(log2(|a|/|b|)) is na-nb or na-nb-1. */
    long e = (long)na - (long)nb;
    mpz_t n, d, q, r;
    mpz_init(n);
    mpz_init(d);
    mpz_init(q);
    mpz_init(r);
    mpz_abs(n, a);
    mpz_abs(d, b);
    if (e >= 0)
        mpz_mul_2exp(q, d, (mp_bitcnt_t)e);
    else
        mpz_mul_2exp(q, n, (mp_bitcnt_t)-e);
    int c = e >= 0 ? mpz_cmp(n, q) : mpz_cmp(q, d);
    long E = c >= 0 ? e : e - 1;
    if (E >= DBL_MAX_EXP)
        return mn_raise(&OverflowErrorType, "integer division result too large for a float");
    if (E < DBL_MIN_EXP - DBL_MANT_DIG - 1)         /* below half the least subnormal */
        return mn_float(neg ? -0.0 : 0.0);
    /* Round |a|/|b| to a multiple of 2**k: 53 significant bits, or fewer
     * in the subnormal range (k never below -1074). */
    long k = E - (DBL_MANT_DIG - 1);
    if (k < DBL_MIN_EXP - DBL_MANT_DIG)
        k = DBL_MIN_EXP - DBL_MANT_DIG;
    if (k < 0)
        mpz_mul_2exp(n, n, (mp_bitcnt_t)-k);
    else
        mpz_mul_2exp(d, d, (mp_bitcnt_t)k);
    mpz_fdiv_qr(q, r, n, d);
    mpz_mul_2exp(r, r, 1);
    c = mpz_cmp(r, d);
    if (c > 0 || (c == 0 && mpz_odd_p(q)))
        mpz_add_ui(q, q, 1);
    double res = ldexp(mpz_get_d(q), (int)k);      /* q <= 2**53: exact */
    if (isinf(res))
        return mn_raise(&OverflowErrorType, "integer division result too large for a float");
    return mn_float(neg ? -res : res);
}

static bool small_pow(intptr_t base, intptr_t exp, intptr_t *out)
{
    intptr_t r = 1;
    for (;;) {
        if ((exp & 1) && __builtin_mul_overflow(r, base, &r))
            return false;
        exp >>= 1;
        if (!exp)
            break;
        if (__builtin_mul_overflow(base, base, &base))
            return false;
    }
    *out = r;
    return true;
}

/* Arithmetic on two plain ints (small or exact big). */
static Value int_arith(BinOp op, Value a, Value b)
{
    if (mn_is_int(a) && mn_is_int(b)) {
        intptr_t x = mn_int_val(a), y = mn_int_val(b), r;
        Value rv;
        switch (op) {
        case OP_ADD:
            if (mn_small_add(a, b, &rv))
                return rv;
            break;
        case OP_SUB:
            if (mn_small_sub(a, b, &rv))
                return rv;
            break;
        case OP_MUL:
            if (mn_small_mul(a, b, &rv))
                return rv;
            break;
        case OP_TRUEDIV:
            if (y == 0)
                return zdiv("division by zero");
            if (x >= -(1LL << 53) && x <= (1LL << 53) && y >= -(1LL << 53) && y <= (1LL << 53))
                return mn_float((double)x / (double)y);
            break;
        case OP_FLOORDIV:
            if (y == 0)
                return zdiv("integer division or modulo by zero");
            r = x / y;
            if ((x % y != 0) && ((x ^ y) < 0))
                r--;
            return mn_int_from_i64(r);
        case OP_MOD:
            if (y == 0)
                return zdiv("integer modulo by zero");
            r = x % y;
            if (r != 0 && ((r ^ y) < 0))
                r += y;
            return mn_int(r);
        case OP_POW:
            if (y < 0)
                return mn_float_binop(OP_POW, a, b);
            if (small_pow(x, y, &r) && mn_fits_small(r))
                return mn_int(r);
            break;
        case OP_LSHIFT:
            if (y < 0)
                return mn_raise(&ValueErrorType, "negative shift count");
            if (x == 0)
                return a;
            if (y < 62 && (x >= 0 ? x <= (MN_SMALL_MAX >> y) : x >= (MN_SMALL_MIN >> y)))
                return mn_int((intptr_t)((uintptr_t)x << y));
            break;
        case OP_RSHIFT:
            if (y < 0)
                return mn_raise(&ValueErrorType, "negative shift count");
            return mn_int(y >= 63 ? (x < 0 ? -1 : 0) : x >> y);
        case OP_AND:
            return a & b;
        case OP_OR:
            return a | b;
        case OP_XOR:
            return (a ^ b) | 1;
        default:
            return mn_NotImplemented;
        }
    }

    MpzView va, vb;
    mpz_srcptr x = view(a, &va), y = view(b, &vb);
    mpz_t r;
    mpz_init(r);
    switch (op) {
    case OP_ADD:
        mpz_add(r, x, y);
        break;
    case OP_SUB:
        mpz_sub(r, x, y);
        break;
    case OP_MUL:
        if (mpz_sizeinbase(x, 2) + mpz_sizeinbase(y, 2) > MAX_RESULT_BITS)
            return too_big();
        mpz_mul(r, x, y);
        break;
    case OP_TRUEDIV:
        return int_truediv(x, y);
    case OP_FLOORDIV:
        if (mpz_sgn(y) == 0)
            return zdiv("integer division or modulo by zero");
        mpz_fdiv_q(r, x, y);
        break;
    case OP_MOD:
        if (mpz_sgn(y) == 0)
            return zdiv("integer modulo by zero");
        mpz_fdiv_r(r, x, y);
        break;
    case OP_POW: {
        if (mpz_sgn(y) < 0)
            return mn_float_binop(OP_POW, a, b);
        if (mpz_cmp_ui(x, 1) == 0 || mpz_sgn(x) == 0)
            return a;
        if (mpz_cmp_si(x, -1) == 0)
            return mn_int(mpz_odd_p(y) ? -1 : 1);
        if (!mpz_fits_ulong_p(y))
            return too_big();
        unsigned long e = mpz_get_ui(y);
        if ((uint64_t)(mpz_sizeinbase(x, 2) - 1) * e > MAX_RESULT_BITS)
            return too_big();
        mpz_pow_ui(r, x, e);
        break;
    }
    case OP_LSHIFT:
        if (mpz_sgn(y) < 0)
            return mn_raise(&ValueErrorType, "negative shift count");
        if (mpz_sgn(x) == 0)
            return a;
        if (!mpz_fits_ulong_p(y) || mpz_sizeinbase(x, 2) + mpz_get_ui(y) > MAX_RESULT_BITS)
            return mn_raise(&OverflowErrorType, "too many digits in integer");
        mpz_mul_2exp(r, x, mpz_get_ui(y));
        break;
    case OP_RSHIFT:
        if (mpz_sgn(y) < 0)
            return mn_raise(&ValueErrorType, "negative shift count");
        if (!mpz_fits_ulong_p(y))
            return mn_int(mpz_sgn(x) < 0 ? -1 : 0);
        mpz_fdiv_q_2exp(r, x, mpz_get_ui(y));
        break;
    case OP_AND:
        mpz_and(r, x, y);
        break;
    case OP_OR:
        mpz_ior(r, x, y);
        break;
    case OP_XOR:
        mpz_xor(r, x, y);
        break;
    default:
        return mn_NotImplemented;
    }
    return int_from_mpz_move(r);
}

/* The binop slot of int (and, via bool_binop, bool).  Anything but two
 * int-likes is NotImplemented, so the other operand's type gets its turn:
 * int op float is done by float's slot (and int.__add__(1, 1.5) is
 * NotImplemented, as in CPython). */
Value mn_int_binop(BinOp op, Value a, Value b)
{
    if (mn_is_int(a) && mn_is_int(b))
        return int_arith(op, a, b);
    if (mn_is_intlike(a) && mn_is_intlike(b))
        return int_arith(op, int_norm(a), int_norm(b));
    return mn_NotImplemented;
}

/* pow(a, b, m) for ints: the sign of a nonzero result follows m, and a
 * negative exponent means the modular inverse of a raised to -b. */
Value mn_int_pow3(Value a, Value b, Value m)
{
    if (!mn_is_intlike(a) || !mn_is_intlike(b) || !mn_is_intlike(m))
        return mn_raise(&TypeErrorType,
                        "pow() 3rd argument not allowed unless all arguments are integers");
    MpzView va, vb, vm;
    mpz_srcptr x = view(a, &va), y = view(b, &vb), z = view(m, &vm);
    if (mpz_sgn(z) == 0)
        return mn_raise(&ValueErrorType, "pow() 3rd argument cannot be 0");
    mpz_t mod, base, r;
    mpz_init(mod);
    mpz_init(base);
    mpz_init(r);
    mpz_abs(mod, z);
    if (mpz_cmp_ui(mod, 1) == 0)
        return mn_int(0);
    mpz_set(base, x);
    if (mpz_sgn(y) < 0) {
        if (!mpz_invert(base, base, mod))
            return mn_raise(&ValueErrorType, "base is not invertible for the given modulus");
        mpz_t e;
        mpz_init(e);
        mpz_neg(e, y);
        mpz_powm(r, base, e, mod);
    } else {
        mpz_powm(r, base, y, mod);          /* r in [0, |m|) */
    }
    if (mpz_sgn(z) < 0 && mpz_sgn(r) != 0)
        mpz_add(r, r, z);
    return int_from_mpz_move(r);
}

static Value int_unop(UnOp op, Value a)
{
    if (mn_is_int(a)) {
        intptr_t x = mn_int_val(a);
        switch (op) {
        case UOP_NEG:
            return mn_int_from_i64(-(int64_t)x);
        case UOP_POS:
            return a;
        case UOP_INVERT:
            return mn_int(~x);
        }
    }
    a = int_norm(a);
    if (mn_is_int(a))
        return int_unop(op, a);
    if (op == UOP_POS)
        return a;
    mpz_t r;
    mpz_init(r);
    if (op == UOP_NEG)
        mpz_neg(r, AS(BigIntObject, a)->z);
    else
        mpz_com(r, AS(BigIntObject, a)->z);
    return int_from_mpz_move(r);
}

static bool cmp_holds(int c, CmpOp op)
{
    switch (op) {
    case CMP_LT: return c < 0;
    case CMP_LE: return c <= 0;
    case CMP_EQ: return c == 0;
    case CMP_NE: return c != 0;
    case CMP_GT: return c > 0;
    case CMP_GE: return c >= 0;
    }
    return false;
}

static Value int_richcmp(Value a, Value b, CmpOp op)
{
    int c;
    if (mn_is_int(a) && mn_is_int(b)) {
        c = ((intptr_t)a > (intptr_t)b) - ((intptr_t)a < (intptr_t)b);
    } else if (mn_is_intlike(a) && mn_is_intlike(b)) {
        MpzView va, vb;
        c = sgn(mpz_cmp(view(a, &va), view(b, &vb)));
    } else {
        return mn_NotImplemented;       /* int vs float: float's richcmp */
    }
    return mn_bool(cmp_holds(c, op));
}

int64_t mn_int_hash_value(Value v)
{
    if (mn_is_int(v))
        return mn_small_int_hash(mn_int_val(v));
    if (is_bool(v))
        return v == mn_True;
    mpz_srcptr z = AS(BigIntObject, v)->z;
    uint64_t u = mpz_tdiv_ui(z, HASH_MOD);
    int64_t h = mpz_sgn(z) < 0 ? -(int64_t)u : (int64_t)u;
    return h == -1 ? -2 : h;
}

static int int_hash(Value v, int64_t *out)
{
    *out = mn_int_hash_value(v);
    return 0;
}

static int int_truthy(Value v)
{
    if (mn_is_int(v))
        return v != mn_int(0);
    if (is_bool(v))
        return v == mn_True;
    return mpz_sgn(AS(BigIntObject, v)->z) != 0;
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */
/* ------------------------------------------------------------------ */

/* Make an instance of int or a subclass t holding the int value v. */
static Value int_as_type(Type *t, Value v)
{
    if (t == &IntType || !v)
        return v;
    BigIntObject *o = mn_alloc_obj(t, 0);
    mpz_init(o->z);
    mn_int_to_mpz(v, o->z);
    return mn_val(o);
}

/* int(x) for one argument (PyNumber_Long). */
static Value int_from_object(Value x)
{
    if (mn_is_int(x))
        return x;
    if (mn_is_intlike(x))
        return int_norm(x);
    if (MN_IS_EXACT(x, FloatType))
        return mn_int_from_double(AS(FloatObject, x)->v);
    Value r = mn_call_special(x, MN_ID(__int__), NULL, 0);
    if (r) {
        if (r != MN_ERR && !mn_is_intlike(r))
            return mn_raise(&TypeErrorType, "__int__ returned non-int (type %s)",
                            mn_type_name(r));
        return r == MN_ERR ? MN_ERR : int_norm(r);
    }
    if (mn_exc_occurred())
        return MN_ERR;
    r = mn_call_special(x, MN_ID(__index__), NULL, 0);
    if (r) {
        if (r != MN_ERR && !mn_is_intlike(r))
            return mn_raise(&TypeErrorType, "__index__ returned non-int (type %s)",
                            mn_type_name(r));
        return r == MN_ERR ? MN_ERR : int_norm(r);
    }
    if (mn_exc_occurred())
        return MN_ERR;
    r = mn_call_special(x, mn_intern("__trunc__"), NULL, 0);
    if (r) {
        if (r == MN_ERR || mn_is_intlike(r))
            return r == MN_ERR ? MN_ERR : int_norm(r);
        Value i = mn_number_index(r);
        if (!i) {
            if (mn_exc_matches(&TypeErrorType)) {
                mn_exc_clear();
                return mn_raise(&TypeErrorType, "__trunc__ returned non-Integral (type %s)",
                                mn_type_name(r));
            }
            return MN_ERR;
        }
        return int_norm(i);
    }
    if (mn_exc_occurred())
        return MN_ERR;
    if (mn_is_str(x))
        return parse_int(mn_cstr(x), (size_t)mn_str_len(x), 10, x, true);
    if (mn_isinstance_t(x, &BytesType))
        return parse_int((const char *)AS(BytesObject, x)->data,
                         (size_t)AS(BytesObject, x)->len, 10, x, false);
    return mn_raise(&TypeErrorType,
                    "int() argument must be a string, a bytes-like object or a real number, not '%s'",
                    mn_type_name(x));
}

static Value int_new(Type *t, Value *args, int nargs, Value kwargs)
{
    Value x = nargs > 0 ? args[0] : 0, base = nargs > 1 ? args[1] : 0;
    if (nargs > 2)
        return mn_raise(&TypeErrorType, "int() takes at most 2 arguments (%d given)", nargs);
    if (kwargs && mn_dict_len(kwargs) > 0) {
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(kwargs, &pos, &k, &v)) {
            if (mn_is_str(k) && strcmp(mn_cstr(k), "base") == 0 && !base) {
                base = v;
            } else if (mn_is_str(k) && strcmp(mn_cstr(k), "base") == 0) {
                return mn_raise(&TypeErrorType,
                                "argument for int() given by name ('base') and position (2)");
            } else {
                return mn_raise(&TypeErrorType, "'%s' is an invalid keyword argument for int()",
                                mn_is_str(k) ? mn_cstr(k) : "?");
            }
        }
    }
    if (!x) {
        if (base)
            return mn_raise(&TypeErrorType, "int() missing string argument");
        return int_as_type(t, mn_int(0));
    }
    if (!base)
        return int_as_type(t, int_from_object(x));
    int64_t b;
    if (mn_as_index(base, &b) < 0) {
        if (mn_exc_matches(&OverflowErrorType)) {
            mn_exc_clear();
            b = -1;
        } else {
            return MN_ERR;
        }
    }
    if (b != 0 && (b < 2 || b > 36))
        return mn_raise(&ValueErrorType, "int() base must be >= 2 and <= 36, or 0");
    if (mn_is_str(x))
        return int_as_type(t, parse_int(mn_cstr(x), (size_t)mn_str_len(x), (int)b, x, true));
    if (mn_isinstance_t(x, &BytesType))
        return int_as_type(t, parse_int((const char *)AS(BytesObject, x)->data,
                                        (size_t)AS(BytesObject, x)->len, (int)b, x, false));
    return mn_raise(&TypeErrorType, "int() can't convert non-string with explicit base");
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */
/* ------------------------------------------------------------------ */

#define SELF int_norm(args[0])

static Value int_bit_length(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("bit_length", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value v = SELF;
    if (mn_is_int(v)) {
        intptr_t x = mn_int_val(v);
        uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
        return mn_int(u ? 64 - __builtin_clzll(u) : 0);
    }
    return mn_int_from_i64((int64_t)mpz_sizeinbase(AS(BigIntObject, v)->z, 2));
}

static Value int_bit_count(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("bit_count", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value v = SELF;
    if (mn_is_int(v)) {
        intptr_t x = mn_int_val(v);
        uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
        return mn_int(__builtin_popcountll(u));
    }
    mpz_t t;
    mpz_init(t);
    mpz_abs(t, AS(BigIntObject, v)->z);
    return mn_int_from_i64((int64_t)mpz_popcount(t));
}

/* byteorder argument: 1 little, 0 big, -1 error. */
static int byteorder_arg(const char *fname, Value v)
{
    if (!v)
        return 0;
    if (!mn_is_str(v)) {
        mn_raise(&TypeErrorType, "%s() argument 'byteorder' must be str, not %s",
                 fname, mn_type_name(v));
        return -1;
    }
    if (strcmp(mn_cstr(v), "little") == 0)
        return 1;
    if (strcmp(mn_cstr(v), "big") == 0)
        return 0;
    mn_raise(&ValueErrorType, "byteorder must be either 'little' or 'big'");
    return -1;
}

static Value int_to_bytes(Value *args, int nargs, Value kwargs)
{
    Value a[3] = {0, 0, 0};
    if (mn_argparse("to_bytes", args + 1, nargs - 1, kwargs, "|length,byteorder,$signed", a) < 0)
        return MN_ERR;
    int64_t length = 1;
    if (a[0] && mn_as_index(a[0], &length) < 0)
        return MN_ERR;
    if (length < 0)
        return mn_raise(&ValueErrorType, "length argument must be non-negative");
    int little = byteorder_arg("to_bytes", a[1]);
    if (little < 0)
        return MN_ERR;
    int is_signed = 0;
    if (a[2] && (is_signed = mn_truthy(a[2])) < 0)
        return MN_ERR;
    MpzView tv;
    mpz_srcptr x = view(args[0], &tv);
    if (!is_signed && mpz_sgn(x) < 0)
        return mn_raise(&OverflowErrorType, "can't convert negative int to unsigned");
    /* Representable iff -2**(8n-1) <= x < 2**(8n-1) (signed) or x < 2**(8n). */
    mpz_t u;
    mpz_init(u);
    if (mpz_sgn(x) < 0) {
        mpz_add_ui(u, x, 1);
        mpz_neg(u, u);                  /* -x-1 >= 0 */
    } else {
        mpz_set(u, x);
    }
    size_t bits = mpz_sgn(u) ? mpz_sizeinbase(u, 2) : 0;
    if (bits + (size_t)is_signed > (uint64_t)length * 8)
        return mn_raise(&OverflowErrorType, "int too big to convert");
    uint8_t *buf = gc_alloc_atomic((size_t)length + 1);
    if (mpz_sgn(x) < 0) {
        /* two's complement: x + 2**(8n) */
        mpz_set_ui(u, 1);
        mpz_mul_2exp(u, u, (mp_bitcnt_t)length * 8);
        mpz_add(u, u, x);
    }
    size_t count = 0;
    if (length)
        mpz_export(buf, &count, -1, 1, 0, 0, u);    /* little-endian bytes */
    memset(buf + count, 0, (size_t)length - count);
    if (!little)
        for (int64_t i = 0, j = length - 1; i < j; i++, j--) {
            uint8_t c = buf[i];
            buf[i] = buf[j];
            buf[j] = c;
        }
    return mn_bytes_new(buf, (size_t)length);
}

static Value int_from_bytes(Value *args, int nargs, Value kwargs)
{
    Value a[3] = {0, 0, 0};
    if (mn_argparse("from_bytes", args + 1, nargs - 1, kwargs, "bytes|byteorder,$signed", a) < 0)
        return MN_ERR;
    Value data = a[0];
    if (!mn_isinstance_t(data, &BytesType)) {
        Value bt = mn_val(&BytesType);
        data = mn_call(bt, &a[0], 1, 0);
        if (!data)
            return MN_ERR;
    }
    int little = byteorder_arg("from_bytes", a[1]);
    if (little < 0)
        return MN_ERR;
    int is_signed = 0;
    if (a[2] && (is_signed = mn_truthy(a[2])) < 0)
        return MN_ERR;
    BytesObject *bo = AS(BytesObject, data);
    mpz_t z;
    mpz_init(z);
    if (bo->len)
        mpz_import(z, (size_t)bo->len, little ? -1 : 1, 1, 0, 0, bo->data);
    if (is_signed && bo->len) {
        uint8_t top = little ? bo->data[bo->len - 1] : bo->data[0];
        if (top & 0x80) {
            mpz_t p;
            mpz_init_set_ui(p, 1);
            mpz_mul_2exp(p, p, (mp_bitcnt_t)bo->len * 8);
            mpz_sub(z, z, p);
        }
    }
    Value r = int_from_mpz_move(z);
    Type *cls = AS(Type, args[0]);
    if (cls != &IntType)
        return mn_call(args[0], &r, 1, 0);
    return r;
}

static Value int_self(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("int", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return SELF;
}

static Value int_float(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__float__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    double d;
    if (mn_int_as_double(args[0], &d) < 0)
        return MN_ERR;
    return mn_float(d);
}

static Value int_abs(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__abs__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value v = SELF;
    if (mn_is_int(v))
        return mn_int_val(v) < 0 ? int_unop(UOP_NEG, v) : v;
    if (mpz_sgn(AS(BigIntObject, v)->z) >= 0)
        return v;
    return int_unop(UOP_NEG, v);
}

/* round(n, nd): n itself for nd >= 0, else the nearest multiple of
 * 10**-nd with ties to the even multiple. */
static Value int_round(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__round__", nargs - 1, kwargs, 0, 1) < 0)
        return MN_ERR;
    Value v = SELF;
    if (nargs < 2 || args[1] == mn_None)
        return v;
    Value nd = mn_number_index(args[1]);
    if (!nd)
        return MN_ERR;
    MpzView tn, tv;
    mpz_srcptr n = view(nd, &tn);
    if (mpz_sgn(n) >= 0)
        return v;
    mpz_srcptr x = view(v, &tv);
    if (!mpz_fits_slong_p(n) || mpz_get_si(n) < -(long)(mpz_sizeinbase(x, 10) + 1))
        return mn_int(0);               /* 10**-nd exceeds 2|x|: rounds to 0 */
    mpz_t q, base, r;
    mpz_init(q);
    mpz_init(base);
    mpz_init(r);
    mpz_ui_pow_ui(q, 10, (unsigned long)-mpz_get_si(n));
    mpz_fdiv_qr(base, r, x, q);
    mpz_mul_2exp(r, r, 1);
    int c = mpz_cmp(r, q);
    if (c > 0 || (c == 0 && mpz_odd_p(base)))
        mpz_add_ui(base, base, 1);
    mpz_mul(base, base, q);
    return int_from_mpz_move(base);
}

static Value int_dunder_format(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__format__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "__format__() argument must be str, not %s",
                        mn_type_name(args[1]));
    return mn_int_format(args[0], args[1]);
}

static Value int_as_integer_ratio(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("as_integer_ratio", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_tuple_pack(2, SELF, mn_int(1));
}

static Value int_divmod_pair(Value a, Value b)
{
    Value q = int_arith(OP_FLOORDIV, a, b);
    if (!q)
        return MN_ERR;
    Value r = int_arith(OP_MOD, a, b);
    if (!r)
        return MN_ERR;
    return mn_tuple_pack(2, q, r);
}

/* divmod(a, b) for numbers: ints, floats, bools; NotImplemented otherwise. */
Value mn_num_divmod(Value a, Value b)
{
    if (mn_is_intlike(a) && mn_is_intlike(b)) {
        /* FLOORDIV runs first, so a zero divisor reports "integer
         * division or modulo by zero" as CPython's divmod does. */
        return int_divmod_pair(int_norm(a), int_norm(b));
    }
    return mn_float_divmod(a, b);
}

static Value int_divmod(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__divmod__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_intlike(args[1]))
        return mn_NotImplemented;
    return mn_num_divmod(args[0], args[1]);
}

static Value int_rdivmod(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__rdivmod__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_intlike(args[1]))
        return mn_NotImplemented;
    return mn_num_divmod(args[1], args[0]);
}

static Value int_pow_method(Value *args, int nargs, Value kwargs, bool reflected)
{
    if (mn_argcheck(reflected ? "__rpow__" : "__pow__", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    Value self = args[0], other = args[1];
    if (!mn_is_intlike(other))
        return mn_NotImplemented;
    Value a = reflected ? other : self, b = reflected ? self : other;
    if (nargs > 2 && args[2] != mn_None) {
        if (!mn_is_intlike(args[2]))
            return mn_NotImplemented;
        return mn_int_pow3(a, b, args[2]);
    }
    return int_arith(OP_POW, int_norm(a), int_norm(b));
}

static Value int_pow(Value *args, int nargs, Value kwargs)
{
    return int_pow_method(args, nargs, kwargs, false);
}

static Value int_rpow(Value *args, int nargs, Value kwargs)
{
    return int_pow_method(args, nargs, kwargs, true);
}

static Value int_get_self(Value self) { return int_norm(self); }
static Value int_get_zero(Value self) { return mn_int(0); }
static Value int_get_one(Value self) { return mn_int(1); }

static MethodDef int_methods[] = {
    {"bit_length", int_bit_length, 0, "Number of bits necessary to represent self in binary."},
    {"bit_count", int_bit_count, 0, "Number of ones in the binary representation of abs(self)."},
    {"to_bytes", int_to_bytes, 0, "Return an array of bytes representing an integer."},
    {"from_bytes", int_from_bytes, METH_CLASS, "Return the integer represented by the given array of bytes."},
    {"as_integer_ratio", int_as_integer_ratio, 0, NULL},
    {"conjugate", int_self, 0, NULL},
    {"__index__", int_self, 0, NULL},
    {"__int__", int_self, 0, NULL},
    {"__trunc__", int_self, 0, NULL},
    {"__floor__", int_self, 0, NULL},
    {"__ceil__", int_self, 0, NULL},
    {"__float__", int_float, 0, NULL},
    {"__abs__", int_abs, 0, NULL},
    {"__round__", int_round, 0, NULL},
    {"__format__", int_dunder_format, 0, NULL},
    {"__divmod__", int_divmod, 0, NULL},
    {"__rdivmod__", int_rdivmod, 0, NULL},
    {"__pow__", int_pow, 0, NULL},
    {"__rpow__", int_rpow, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef int_getset[] = {
    {"real", int_get_self, NULL},
    {"imag", int_get_zero, NULL},
    {"numerator", int_get_self, NULL},
    {"denominator", int_get_one, NULL},
    {NULL, NULL, NULL},
};

Type IntType = {
    .hdr = {&TypeType},
    .name = "int",
    .base = &ObjectType,
    .flags = TF_BASETYPE | TF_INT_SUB,
    .basicsize = sizeof(BigIntObject),
    .methods = int_methods,
    .getset = int_getset,
    .new = int_new,
    .repr = int_repr,
    .hash = int_hash,
    .richcmp = int_richcmp,
    .truthy = int_truthy,
    .binop = mn_int_binop,
    .unop = int_unop,
};

/* ------------------------------------------------------------------ */
/* bool                                                                */
/* ------------------------------------------------------------------ */

BoolObject mn_True_obj = {{&BoolType}};
BoolObject mn_False_obj = {{&BoolType}};

static Value bool_repr(Value v)
{
    if (!str_true) {
        str_true = mn_intern("True");
        str_false = mn_intern("False");
    }
    return v == mn_True ? str_true : str_false;
}

/* & | ^ of two bools stay bool; everything else is int arithmetic. */
static Value bool_binop(BinOp op, Value a, Value b)
{
    if ((op == OP_AND || op == OP_OR || op == OP_XOR) && is_bool(a) && is_bool(b)) {
        bool x = a == mn_True, y = b == mn_True;
        return mn_bool(op == OP_AND ? (x & y) : op == OP_OR ? (x | y) : (x ^ y));
    }
    return mn_int_binop(op, a, b);
}

static Value bool_new(Type *t, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs) > 0)
        return mn_raise(&TypeErrorType, "bool() takes no keyword arguments");
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "bool expected at most 1 argument, got %d", nargs);
    if (nargs == 0)
        return mn_False;
    int r = mn_truthy(args[0]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

#define BOOL_BITOP(name, op, refl)                                          \
    static Value name(Value *args, int nargs, Value kwargs)                 \
    {                                                                       \
        if (mn_argcheck(#name, nargs - 1, kwargs, 1, 1) < 0)                \
            return MN_ERR;                                                  \
        if (!mn_is_intlike(args[1]))                                        \
            return mn_NotImplemented;                                       \
        return refl ? bool_binop(op, args[1], args[0])                      \
                    : bool_binop(op, args[0], args[1]);                     \
    }
BOOL_BITOP(__and__, OP_AND, 0)
BOOL_BITOP(__rand__, OP_AND, 1)
BOOL_BITOP(__or__, OP_OR, 0)
BOOL_BITOP(__ror__, OP_OR, 1)
BOOL_BITOP(__xor__, OP_XOR, 0)
BOOL_BITOP(__rxor__, OP_XOR, 1)

static MethodDef bool_methods[] = {
    {"__and__", __and__, 0, NULL},
    {"__rand__", __rand__, 0, NULL},
    {"__or__", __or__, 0, NULL},
    {"__ror__", __ror__, 0, NULL},
    {"__xor__", __xor__, 0, NULL},
    {"__rxor__", __rxor__, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Type BoolType = {
    .hdr = {&TypeType},
    .name = "bool",
    .base = &IntType,
    .flags = TF_INT_SUB,
    .basicsize = sizeof(BoolObject),
    .methods = bool_methods,
    .new = bool_new,
    .repr = bool_repr,
    .hash = int_hash,
    .richcmp = int_richcmp,
    .truthy = int_truthy,
    .binop = bool_binop,
    .unop = int_unop,
};

void mn_init_int(void)
{
    str_true = mn_intern("True");
    str_false = mn_intern("False");
}
