/*
 * str.c -- the str type: immutable UTF-8 text.
 *
 * Representation (object.h): `len` bytes of UTF-8 plus a NUL, `nchars`
 * code points.  len == nchars means pure ASCII, and then indexing and
 * slicing are plain byte operations; otherwise we walk the UTF-8 (the
 * iterator keeps a byte offset so iteration stays O(1) per step).
 * Comparing UTF-8 bytes with memcmp orders strings by code point, which
 * is exactly Python's order.
 *
 * Interning: one process-wide open-addressed table guarded by a mutex.
 * The table lives in uncollectable memory, so interned strings are
 * immortal.  Interned strings compare by pointer.
 *
 * Unicode beyond ASCII: case mapping and letter classes come from glibc's
 * C.UTF-8 locale through the *_l functions (thread-safe, no global
 * setlocale).  Python's whitespace, digit and printability rules are small
 * tables below.  Known limits: only the special casing of U+00DF (upper
 * 'SS') is done; titlecase digraphs map to their uppercase form; numeric
 * classes cover the common digit blocks, superscripts and vulgar
 * fractions, not every Unicode numeric.
 */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "object.h"


static locale_t utf8_locale;

/* ------------------------------------------------------------------ */
/* UTF-8 helpers                                                        */
/* ------------------------------------------------------------------ */

static inline bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Decode one code point of valid UTF-8 at p; *n receives its length. */
static inline uint32_t u8_decode(const unsigned char *p, int *n)
{
    unsigned char c = p[0];
    if (c < 0x80) { *n = 1; return c; }
    if (c < 0xE0) { *n = 2; return ((c & 0x1F) << 6) | (p[1] & 0x3F); }
    if (c < 0xF0) {
        *n = 3;
        return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    *n = 4;
    return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6)
           | (p[3] & 0x3F);
}

static inline int u8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Number of code points in valid UTF-8: count the non-continuation bytes,
 * eight at a time. */
static int64_t u8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int64_t conts = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (!(w & 0x8080808080808080ULL))
            continue;
        /* a continuation byte is 10xxxxxx: bit7 set and bit6 clear */
        uint64_t m = w & ~(w << 1) & 0x8080808080808080ULL;
        conts += __builtin_popcountll(m);
    }
    for (; i < len; i++)
        conts += is_cont(p[i]);
    return (int64_t)len - conts;
}

static inline bool is_ascii_str(const StrObject *s) { return s->len == s->nchars; }

/* Byte offset of code point i (0 <= i <= nchars). */
static int64_t cp_offset(const StrObject *s, int64_t i)
{
    if (is_ascii_str(s))
        return i;
    const unsigned char *p = (const unsigned char *)s->data;
    if (i > s->nchars / 2) {
        /* walk back from the end */
        int64_t off = s->len, k = s->nchars;
        while (k > i) {
            off--;
            while (is_cont(p[off]))
                off--;
            k--;
        }
        return off;
    }
    int64_t off = 0;
    while (i > 0) {
        off++;
        while (off < s->len && is_cont(p[off]))
            off++;
        i--;
    }
    return off;
}

/* ------------------------------------------------------------------ */
/* Unicode classification                                               */
/* ------------------------------------------------------------------ */

static bool u_isspace(uint32_t c)
{
    if (c < 128)
        return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
           || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
           || c == 0x3000;
}

/* Zero digits of the decimal-digit (Nd) blocks we know: c is a decimal
 * digit if zero <= c <= zero + 9 for one of them. */
static const uint32_t digit_zeros[] = {
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6,
    0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
    0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x11066, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
};

static int u_decimal(uint32_t c)
{
    if (c < 128)
        return (c >= '0' && c <= '9') ? (int)(c - '0') : -1;
    for (size_t i = 1; i < sizeof digit_zeros / sizeof *digit_zeros; i++)
        if (c >= digit_zeros[i] && c <= digit_zeros[i] + 9)
            return (int)(c - digit_zeros[i]);
    return -1;
}

static bool u_isdecimal(uint32_t c) { return u_decimal(c) >= 0; }

static bool u_isdigit(uint32_t c)
{
    if (u_isdecimal(c))
        return true;
    return c == 0xB2 || c == 0xB3 || c == 0xB9 || c == 0x2070
           || (c >= 0x2074 && c <= 0x2079) || (c >= 0x2080 && c <= 0x2089)
           || (c >= 0x2460 && c <= 0x2468) || (c >= 0x2474 && c <= 0x247C)
           || (c >= 0x2488 && c <= 0x2490) || c == 0x24EA
           || (c >= 0x2776 && c <= 0x277E) || (c >= 0x2780 && c <= 0x2788)
           || (c >= 0x278A && c <= 0x2792);
}

static bool u_isnumeric(uint32_t c)
{
    if (u_isdigit(c))
        return true;
    return (c >= 0xBC && c <= 0xBE) || (c >= 0x2150 && c <= 0x2189)
           || (c >= 0x2469 && c <= 0x2473) || (c >= 0x247D && c <= 0x2487)
           || (c >= 0x2491 && c <= 0x249B) || (c >= 0x24EB && c <= 0x24FF)
           || (c >= 0x2789 && c <= 0x2789) || c == 0x3007
           || (c >= 0x3021 && c <= 0x3029) || (c >= 0x3038 && c <= 0x303A)
           || c == 0x4E00 || c == 0x4E8C || c == 0x4E09 || c == 0x56DB
           || c == 0x4E94 || c == 0x516D || c == 0x4E03 || c == 0x516B
           || c == 0x4E5D || c == 0x5341 || c == 0x767E || c == 0x5343
           || c == 0x4E07;
}

static bool u_isalpha(uint32_t c)
{
    if (c < 128)
        return (c | 32) >= 'a' && (c | 32) <= 'z';
    return utf8_locale && iswalpha_l((wint_t)c, utf8_locale)
           && !u_isdigit(c) && !u_isnumeric(c);
}

static bool u_isupper(uint32_t c)
{
    if (c < 128)
        return c >= 'A' && c <= 'Z';
    return utf8_locale && iswupper_l((wint_t)c, utf8_locale);
}

static bool u_islower(uint32_t c)
{
    if (c < 128)
        return c >= 'a' && c <= 'z';
    if (c == 0xDF || c == 0xAA || c == 0xBA)
        return true;
    return utf8_locale && iswlower_l((wint_t)c, utf8_locale);
}

static uint32_t u_toupper(uint32_t c)
{
    if (c < 128)
        return (c >= 'a' && c <= 'z') ? c - 32 : c;
    return utf8_locale ? (uint32_t)towupper_l((wint_t)c, utf8_locale) : c;
}

static uint32_t u_tolower(uint32_t c)
{
    if (c < 128)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return utf8_locale ? (uint32_t)towlower_l((wint_t)c, utf8_locale) : c;
}

static bool u_isalnum(uint32_t c) { return u_isalpha(c) || u_isnumeric(c); }

/* Python's printable: not in categories Cc Cf Cs Co Cn Zl Zp Zs (except
 * the ASCII space). */
static bool u_isprintable(uint32_t c)
{
    if (c < 128)
        return c >= 0x20 && c < 0x7F;
    if (c < 0xA0 || c == 0xAD)
        return false;
    if (u_isspace(c))
        return false;
    if ((c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF
        || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xD800 && c <= 0xF8FF)
        || c == 0x600 || c == 0x601 || c == 0x602 || c == 0x603
        || c == 0x604 || c == 0x605 || c == 0x61C || c == 0x6DD
        || c == 0x70F || c == 0x180E || c >= 0xF0000
        || (c >= 0xE0000 && c <= 0xE0FFF))
        return false;
    if (!utf8_locale)
        return true;
    return iswprint_l((wint_t)c, utf8_locale) != 0;
}

/* ------------------------------------------------------------------ */
/* Construction                                                         */
/* ------------------------------------------------------------------ */

static Value empty_str;
static Value char_cache[256];       /* one-character strings, cp < 256 */

/* Uninitialised exact str of `len` bytes (caller fills data, nchars). */
static StrObject *str_alloc(int64_t len)
{
    StrObject *s = gc_alloc_atomic_uninit(sizeof(StrObject) + (size_t)len + 1);
    s->hdr.type = &StrType;
    s->len = len;
    s->hash = 0;
    s->interned = 0;
    s->data[len] = 0;
    return s;
}

/* Build from bytes known to be valid UTF-8 with a known char count. */
static Value str_from(const char *p, int64_t len, int64_t nchars)
{
    if (len == 0 && empty_str)
        return empty_str;
    if (nchars == 1) {
        int n;
        uint32_t cp = u8_decode((const unsigned char *)p, &n);
        if (cp < 256 && char_cache[cp])
            return char_cache[cp];
    }
    StrObject *s = str_alloc(len);
    memcpy(s->data, p, (size_t)len);
    s->nchars = nchars;
    return mn_val(s);
}

Value mn_str_new(const char *s, size_t len)
{
    return str_from(s, (int64_t)len, u8_count(s, len));
}

Value mn_str(const char *cstr) { return mn_str_new(cstr, strlen(cstr)); }

Value mn_str_fmt(const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof small)
        return mn_str_new(small, (size_t)n);
    char *big = gc_alloc_atomic((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return mn_str_new(big, (size_t)n);
}

Value mn_str_from_codepoint(uint32_t cp)
{
    if (cp < 256 && char_cache[cp])
        return char_cache[cp];
    char buf[4];
    int n = u8_encode(cp, buf);
    return str_from(buf, n, 1);
}

int64_t mn_str_codepoint_at(Value sv, int64_t i)
{
    StrObject *s = AS(StrObject, sv);
    int n;
    return u8_decode((const unsigned char *)s->data + cp_offset(s, i), &n);
}

/* An exact str with the same contents (str subclass instances -> str). */
static Value exact_str(Value v)
{
    if (MN_IS_EXACT(v, StrType))
        return v;
    StrObject *s = AS(StrObject, v);
    return str_from(s->data, s->len, s->nchars);
}

/* ------------------------------------------------------------------ */
/* Hashing and interning                                                */
/* ------------------------------------------------------------------ */

/* A fast 64-bit hash in the style of the multiply-fold family (wyhash):
 * 16 bytes per round through a 64x64->128 multiply, tail folded in the
 * same way.  Not CPython's SipHash: Python randomises str hashes anyway,
 * so no program can depend on the values. */
static inline uint64_t fold(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t hash_bytes(const void *data, size_t len)
{
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                   k2 = 0x8ebc6af09c88c6e3ULL;
    const unsigned char *p = data;
    uint64_t h = 0x243f6a8885a308d3ULL ^ (len * k0);
    size_t n = len;
    while (n > 16) {
        h = fold(rd64(p) ^ k1, rd64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        a = rd64(p);
        b = rd64(p + n - 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
    }
    h = fold(a ^ k1, b ^ h ^ k2);
    h = fold(h ^ k0, (uint64_t)len ^ k1);
    return h ? h : 1;
}

/* Exported for bytes.c (bytes hash the same way; b'a' and 'a' need not
 * agree, they never compare equal). */
uint64_t mn_hash_bytes(const void *data, size_t len) { return hash_bytes(data, len); }

uint64_t mn_str_hash(Value sv)
{
    StrObject *s = AS(StrObject, sv);
    uint64_t h = s->hash;
    if (h)
        return h;
    h = hash_bytes(s->data, (size_t)s->len);
    s->hash = h;
    return h;
}

static struct {
    pthread_mutex_t lock;
    Value *slots;       /* uncollectable; 0 = empty */
    size_t mask;
    size_t count;
} itab = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };

static void itab_grow(void)
{
    size_t newcap = itab.slots ? (itab.mask + 1) * 2 : 4096;
    Value *ns = gc_alloc_uncollectable(newcap * sizeof(Value));
    memset(ns, 0, newcap * sizeof(Value));
    for (size_t i = 0; itab.slots && i <= itab.mask; i++) {
        Value v = itab.slots[i];
        if (!v)
            continue;
        size_t j = AS(StrObject, v)->hash & (newcap - 1);
        while (ns[j])
            j = (j + 1) & (newcap - 1);
        ns[j] = v;
    }
    /* The old table stays allocated (uncollectable, never freed): a few KB
     * at most, and it keeps the code free of a free() race. */
    itab.slots = ns;
    itab.mask = newcap - 1;
}

/* Find or insert; `make` builds the str when absent (called under the
 * lock; must not intern).  Returns the interned str. */
static Value intern_lookup(const char *p, int64_t len, uint64_t h, Value existing)
{
    pthread_mutex_lock(&itab.lock);
    if (!itab.slots || (itab.count + 1) * 2 > itab.mask + 1)
        itab_grow();
    size_t i = h & itab.mask;
    Value v;
    while ((v = itab.slots[i]) != 0) {
        StrObject *s = AS(StrObject, v);
        if (s->hash == h && s->len == len && memcmp(s->data, p, (size_t)len) == 0) {
            pthread_mutex_unlock(&itab.lock);
            return v;
        }
        i = (i + 1) & itab.mask;
    }
    if (!existing) {
        StrObject *s = str_alloc(len);
        memcpy(s->data, p, (size_t)len);
        s->nchars = u8_count(p, (size_t)len);
        existing = mn_val(s);
    }
    AS(StrObject, existing)->hash = h;
    AS(StrObject, existing)->interned = 1;
    itab.slots[i] = existing;
    itab.count++;
    pthread_mutex_unlock(&itab.lock);
    return existing;
}

Value mn_intern(const char *cstr)
{
    size_t len = strlen(cstr);
    return intern_lookup(cstr, (int64_t)len, hash_bytes(cstr, len), 0);
}

Value mn_intern_value(Value sv)
{
    StrObject *s = AS(StrObject, sv);
    if (s->interned)
        return sv;
    uint64_t h = mn_str_hash(sv);
    /* Only an exact str may itself become the interned instance. */
    return intern_lookup(s->data, s->len, h, MN_IS_EXACT(sv, StrType) ? sv : 0);
}

void mn_init_str(void)
{
    if (empty_str)
        return;
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!utf8_locale)
        utf8_locale = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
    empty_str = mn_intern("");
    for (uint32_t c = 0; c < 256; c++) {
        char buf[4];
        int n = u8_encode(c, buf);
        buf[n] = 0;
        char_cache[c] = c ? mn_intern(buf)
                          : intern_lookup(buf, 1, hash_bytes(buf, 1), 0);
    }
}

/* ------------------------------------------------------------------ */
/* Equality and comparison                                              */
/* ------------------------------------------------------------------ */

bool mn_str_eq(Value a, Value b)
{
    if (a == b)
        return true;
    StrObject *x = AS(StrObject, a), *y = AS(StrObject, b);
    if (x->len != y->len)
        return false;
    if (x->interned && y->interned && MN_IS_EXACT(a, StrType) && MN_IS_EXACT(b, StrType))
        return false;
    if (x->hash && y->hash && x->hash != y->hash)
        return false;
    return memcmp(x->data, y->data, (size_t)x->len) == 0;
}

static int str_cmp(Value a, Value b)
{
    StrObject *x = AS(StrObject, a), *y = AS(StrObject, b);
    int64_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, (size_t)n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static Value str_richcmp(Value a, Value b, CmpOp op)
{
    if (!mn_is_str(a) || !mn_is_str(b))
        return mn_NotImplemented;
    if (op == CMP_EQ)
        return mn_bool(mn_str_eq(a, b));
    if (op == CMP_NE)
        return mn_bool(!mn_str_eq(a, b));
    int c = str_cmp(a, b);
    switch (op) {
    case CMP_LT: return mn_bool(c < 0);
    case CMP_LE: return mn_bool(c <= 0);
    case CMP_GT: return mn_bool(c > 0);
    default:     return mn_bool(c >= 0);
    }
}

static int str_hash_slot(Value self, int64_t *out)
{
    *out = (int64_t)mn_str_hash(self);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Concatenation, repetition, containment                               */
/* ------------------------------------------------------------------ */

Value mn_str_concat(Value a, Value b)
{
    StrObject *x = AS(StrObject, a), *y = AS(StrObject, b);
    if (y->len == 0)
        return exact_str(a);
    if (x->len == 0)
        return exact_str(b);
    StrObject *r = str_alloc(x->len + y->len);
    memcpy(r->data, x->data, (size_t)x->len);
    memcpy(r->data + x->len, y->data, (size_t)y->len);
    r->nchars = x->nchars + y->nchars;
    return mn_val(r);
}

static Value str_repeat(Value sv, int64_t n)
{
    StrObject *s = AS(StrObject, sv);
    if (n <= 0 || s->len == 0)
        return empty_str;
    if (n == 1)
        return exact_str(sv);
    if (s->len > INT64_MAX / 2 / n)
        return mn_raise(&MemoryErrorType, "%s", "");
    int64_t total = s->len * n;
    StrObject *r = str_alloc(total);
    if (s->len == 1) {
        memset(r->data, s->data[0], (size_t)total);
    } else {
        /* doubling copies: log(n) memcpy calls */
        memcpy(r->data, s->data, (size_t)s->len);
        int64_t done = s->len;
        while (done < total) {
            int64_t k = done < total - done ? done : total - done;
            memcpy(r->data + done, r->data, (size_t)k);
            done += k;
        }
    }
    r->nchars = s->nchars * n;
    return mn_val(r);
}

static Value str_binop(BinOp op, Value a, Value b)
{
    switch (op) {
    case OP_ADD:
        if (mn_is_str(a) && mn_is_str(b))
            return mn_str_concat(a, b);
        if (mn_is_str(a)) {
            Value r;        /* "a" + Q(): Q.__radd__ answers first */
            if (mn_seq_binop_reflect(op, a, b, str_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can only concatenate str (not \"%s\") to str",
                            mn_type_name(b));
        }
        return mn_NotImplemented;
    case OP_MUL: {
        Value s = mn_is_str(a) ? a : b, n = mn_is_str(a) ? b : a;
        if (!mn_is_intlike(n)) {
            /* "a" * Q(): Q.__rmul__ answers first; with the str on the
             * right, the left operand has had its chance already. */
            Value r;
            if (s == a && mn_seq_binop_reflect(op, a, b, str_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can't multiply sequence by non-int of type '%s'",
                            mn_type_name(n));
        }
        int64_t k;
        if (mn_as_i64(n, &k) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return MN_ERR;
            mn_exc_clear();
            /* negative huge -> empty; positive huge -> too big */
            mpz_t z;
            mpz_init(z);
            mn_int_to_mpz(n, z);
            int sg = mpz_sgn(z);
            mpz_clear(z);
            if (sg < 0 || AS(StrObject, s)->len == 0)
                return empty_str;
            return mn_raise(&OverflowErrorType,
                            "cannot fit 'int' into an index-sized integer");
        }
        return str_repeat(s, k);
    }
    case OP_MOD:
        if (mn_is_str(a))
            return mn_str_mod(a, b);
        return mn_NotImplemented;
    default:
        return mn_NotImplemented;
    }
}

/* Find needle in hay[0..hlen) -> offset or -1. */
static inline int64_t find_bytes(const char *hay, int64_t hlen, const char *nd, int64_t nlen)
{
    if (nlen == 0)
        return 0;
    if (nlen > hlen)
        return -1;
    if (nlen == 1) {
        const char *p = memchr(hay, nd[0], (size_t)hlen);
        return p ? p - hay : -1;
    }
    const char *p = memmem(hay, (size_t)hlen, nd, (size_t)nlen);
    return p ? p - hay : -1;
}

static int64_t rfind_bytes(const char *hay, int64_t hlen, const char *nd, int64_t nlen)
{
    if (nlen == 0)
        return hlen;
    if (nlen > hlen)
        return -1;
    if (nlen == 1) {
        const char *p = memrchr(hay, nd[0], (size_t)hlen);
        return p ? p - hay : -1;
    }
    for (int64_t i = hlen - nlen; i >= 0; i--) {
        if (hay[i] == nd[0] && memcmp(hay + i, nd, (size_t)nlen) == 0)
            return i;
    }
    return -1;
}

static int str_contains(Value self, Value x)
{
    if (!mn_is_str(x)) {
        mn_raise(&TypeErrorType, "'in <string>' requires string as left operand, not %s",
                 mn_type_name(x));
        return -1;
    }
    StrObject *s = AS(StrObject, self), *n = AS(StrObject, x);
    return find_bytes(s->data, s->len, n->data, n->len) >= 0;
}

static int64_t str_len(Value self) { return AS(StrObject, self)->nchars; }

/* ------------------------------------------------------------------ */
/* Indexing and slicing                                                 */
/* ------------------------------------------------------------------ */

/* Substring by code point range [i, j) with step 1. */
static Value str_sub(Value sv, int64_t i, int64_t j)
{
    StrObject *s = AS(StrObject, sv);
    if (j <= i)
        return empty_str;
    if (i == 0 && j == s->nchars)
        return exact_str(sv);
    if (is_ascii_str(s))
        return str_from(s->data + i, j - i, j - i);
    int64_t bi = cp_offset(s, i);
    /* walk forward j-i characters from bi */
    const unsigned char *p = (const unsigned char *)s->data;
    int64_t bj = bi, k = j - i;
    while (k > 0) {
        bj++;
        while (bj < s->len && is_cont(p[bj]))
            bj++;
        k--;
    }
    return str_from(s->data + bi, bj - bi, j - i);
}

static Value str_getitem(Value self, Value key)
{
    StrObject *s = AS(StrObject, self);
    if (mn_is_int(key) || (mn_is_obj(key) && !MN_IS_EXACT(key, SliceType)
                           && mn_is_intlike(key))) {
        int64_t i;
        if (mn_is_int(key))
            i = mn_int_val(key);
        else if (mn_as_index(key, &i) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return MN_ERR;
            mn_exc_clear();
            return mn_raise(&IndexErrorType, "cannot fit 'int' into an index-sized integer");
        }
        if (i < 0)
            i += s->nchars;
        if (i < 0 || i >= s->nchars)
            return mn_raise(&IndexErrorType, "string index out of range");
        if (is_ascii_str(s))
            return char_cache[(unsigned char)s->data[i]];
        int n;
        uint32_t cp = u8_decode((const unsigned char *)s->data + cp_offset(s, i), &n);
        return mn_str_from_codepoint(cp);
    }
    if (MN_IS_EXACT(key, SliceType)) {
        int64_t start, stop, step, n;
        if (mn_slice_indices(key, s->nchars, &start, &stop, &step, &n) < 0)
            return MN_ERR;
        if (step == 1)
            return str_sub(self, start, start + n);
        if (n <= 0)
            return empty_str;
        if (is_ascii_str(s)) {
            StrObject *r = str_alloc(n);
            for (int64_t k = 0, i = start; k < n; k++, i += step)
                r->data[k] = s->data[i];
            r->nchars = n;
            return n == 1 ? str_from(r->data, 1, 1) : mn_val(r);
        }
        /* decode once into code-point offsets */
        int64_t *offs = gc_alloc_atomic(sizeof(int64_t) * (size_t)(s->nchars + 1));
        const unsigned char *p = (const unsigned char *)s->data;
        for (int64_t off = 0, k = 0; off < s->len; k++) {
            offs[k] = off;
            off++;
            while (off < s->len && is_cont(p[off]))
                off++;
        }
        offs[s->nchars] = s->len;
        StrBuf b;
        sb_init(&b);
        for (int64_t k = 0, i = start; k < n; k++, i += step)
            sb_add(&b, s->data + offs[i], (size_t)(offs[i + 1] - offs[i]));
        return sb_finish(&b);
    }
    /* __index__ objects */
    if (mn_is_obj(key) && mn_type_lookup(mn_typeof(key), MN_ID(__index__))) {
        int64_t i;
        if (mn_as_index(key, &i) < 0)
            return MN_ERR;
        return str_getitem(self, mn_int_from_i64(i));
    }
    return mn_raise(&TypeErrorType, "string indices must be integers, not '%s'",
                    mn_type_name(key));
}

/* ------------------------------------------------------------------ */
/* repr                                                                 */
/* ------------------------------------------------------------------ */

static const char hexdig[] = "0123456789abcdef";

Value mn_str_repr(Value sv)
{
    StrObject *s = AS(StrObject, sv);
    const unsigned char *p = (const unsigned char *)s->data;
    bool has_sq = memchr(p, '\'', (size_t)s->len) != NULL;
    bool has_dq = has_sq && memchr(p, '"', (size_t)s->len) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';

    /* fast path: printable ASCII without quotes or backslashes */
    bool plain = is_ascii_str(s);
    for (int64_t i = 0; plain && i < s->len; i++) {
        unsigned char c = p[i];
        if (c < 0x20 || c >= 0x7F || c == '\\' || c == (unsigned char)q)
            plain = false;
    }
    if (plain) {
        StrObject *r = str_alloc(s->len + 2);
        r->data[0] = q;
        memcpy(r->data + 1, p, (size_t)s->len);
        r->data[s->len + 1] = q;
        r->nchars = s->len + 2;
        return mn_val(r);
    }

    StrBuf b;
    sb_init(&b);
    sb_addc(&b, q);
    for (int64_t i = 0; i < s->len;) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        if (c == (uint32_t)q || c == '\\') {
            sb_addc(&b, '\\');
            sb_addc(&b, (char)c);
        } else if (c == '\n') {
            sb_add(&b, "\\n", 2);
        } else if (c == '\r') {
            sb_add(&b, "\\r", 2);
        } else if (c == '\t') {
            sb_add(&b, "\\t", 2);
        } else if (c < 0x20 || c == 0x7F) {
            char e[4] = {'\\', 'x', hexdig[c >> 4], hexdig[c & 15]};
            sb_add(&b, e, 4);
        } else if (c < 0x7F || u_isprintable(c)) {
            sb_add(&b, (const char *)p + i, (size_t)n);
        } else if (c < 0x100) {
            char e[4] = {'\\', 'x', hexdig[c >> 4], hexdig[c & 15]};
            sb_add(&b, e, 4);
        } else if (c < 0x10000) {
            sb_addf(&b, "\\u%04x", c);
        } else {
            sb_addf(&b, "\\U%08x", c);
        }
        i += n;
    }
    sb_addc(&b, q);
    return sb_finish(&b);
}

static Value str_repr_slot(Value self) { return mn_str_repr(self); }
static Value str_str_slot(Value self) { return exact_str(self); }

/* ------------------------------------------------------------------ */
/* Iteration                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value str;          /* 0 once exhausted */
    int64_t off;        /* byte offset of the next character */
} StrIterObject;

static Value str_iter(Value self)
{
    StrIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &StrIterType;
    it->str = self;
    it->off = 0;
    return mn_val(it);
}

static Value striter_next(Value self)
{
    StrIterObject *it = AS(StrIterObject, self);
    if (!it->str)
        return MN_ERR;
    StrObject *s = AS(StrObject, it->str);
    if (it->off >= s->len) {
        it->str = 0;
        return MN_ERR;
    }
    unsigned char c = (unsigned char)s->data[it->off];
    if (c < 0x80) {
        it->off++;
        return char_cache[c];
    }
    int n;
    uint32_t cp = u8_decode((const unsigned char *)s->data + it->off, &n);
    it->off += n;
    return mn_str_from_codepoint(cp);
}

static Value self_iter(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Construction from Python: str(), str(x), str(b, encoding, errors)    */
/* ------------------------------------------------------------------ */

static Value str_new_subtype(Type *t, Value exact)
{
    /* A str subclass instance: same layout; mn_alloc_obj places the
     * instance dict (in front of the object, see TF_VARSIZE). */
    StrObject *s = AS(StrObject, exact);
    StrObject *r = mn_alloc_obj(t, sizeof(StrObject) + (size_t)s->len + 1);
    r->len = s->len;
    r->nchars = s->nchars;
    memcpy(r->data, s->data, (size_t)s->len);
    return mn_val(r);
}

static Value bytes_like_decode(Value obj, Value enc, Value errors);

static Value str_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    Value a[3] = {0, 0, 0};
    if (nargs == 1 && !kwargs) {
        a[0] = args[0];
    } else if (mn_argparse("str", args, nargs, kwargs, "|object,encoding,errors", a) < 0) {
        return MN_ERR;
    }
    Value r;
    if (!a[0]) {
        r = empty_str;
    } else if (a[1] || a[2]) {
        r = bytes_like_decode(a[0], a[1], a[2]);
    } else {
        r = mn_to_str(a[0]);
    }
    if (!r || t == &StrType)
        return r;
    return str_new_subtype(t, r);
}

/* ------------------------------------------------------------------ */
/* Encoding / decoding                                                  */
/* ------------------------------------------------------------------ */

enum { ENC_UTF8, ENC_ASCII, ENC_LATIN1, ENC_UNKNOWN };

static int encoding_kind(const char *name)
{
    char buf[32];
    size_t n = 0;
    for (const char *p = name; *p && n < sizeof buf - 1; p++)
        buf[n++] = (*p == '_' || *p == ' ') ? '-' : (char)tolower((unsigned char)*p);
    buf[n] = 0;
    if (!strcmp(buf, "utf-8") || !strcmp(buf, "utf8") || !strcmp(buf, "u8")
        || !strcmp(buf, "utf"))
        return ENC_UTF8;
    if (!strcmp(buf, "ascii") || !strcmp(buf, "us-ascii") || !strcmp(buf, "646"))
        return ENC_ASCII;
    if (!strcmp(buf, "latin-1") || !strcmp(buf, "latin1") || !strcmp(buf, "iso-8859-1")
        || !strcmp(buf, "iso8859-1") || !strcmp(buf, "l1") || !strcmp(buf, "8859")
        || !strcmp(buf, "cp819") || !strcmp(buf, "latin"))
        return ENC_LATIN1;
    return ENC_UNKNOWN;
}

/* Raise UnicodeDecodeError(encoding, object, start, end, reason): its
 * str() is CPython's "'utf-8' codec can't decode byte 0xff in position
 * 0: invalid start byte". */
static Value raise_decode_error(const char *enc, const void *p, size_t len, size_t start,
                                size_t end, const char *reason)
{
    Value args[5] = {mn_str(enc), mn_bytes_new(p, len), mn_int((intptr_t)start),
                     mn_int((intptr_t)end), mn_str(reason)};
    Value exc = mn_call(mn_val(&UnicodeDecodeErrorType), args, 5, 0);
    return exc ? mn_raise_exc(exc) : MN_ERR;
}

/* UnicodeEncodeError(encoding, str, start, end, reason); start/end are
 * code-point positions. */
static Value raise_encode_error(const char *enc, Value str, int64_t start, int64_t end,
                                const char *reason)
{
    Value args[5] = {mn_str(enc), str, mn_int(start), mn_int(end), mn_str(reason)};
    Value exc = mn_call(mn_val(&UnicodeEncodeErrorType), args, 5, 0);
    return exc ? mn_raise_exc(exc) : MN_ERR;
}

/* Check the UTF-8 sequence starting at p[i].  Returns its length if
 * valid; otherwise 0, with *bad = the length of the maximal invalid prefix
 * (what CPython reports and replaces as one U+FFFD) and *why its reason. */
static int u8_check_one(const unsigned char *p, size_t len, size_t i, int *bad,
                        const char **why)
{
    unsigned char c = p[i];
    int need;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3;
    else {
        *bad = 1;
        *why = "invalid start byte";
        return 0;
    }
    for (int k = 1; k <= need; k++) {
        if (i + k >= len) {
            *bad = k;
            *why = "unexpected end of data";
            return 0;
        }
        unsigned char d = p[i + k];
        bool ok = is_cont(d);
        /* second-byte limits rule out overlongs, surrogates, > U+10FFFF */
        if (k == 1 && ok
            && ((c == 0xE0 && d < 0xA0) || (c == 0xED && d > 0x9F)
                || (c == 0xF0 && d < 0x90) || (c == 0xF4 && d > 0x8F)))
            ok = false;
        if (!ok) {
            *bad = k;
            *why = "invalid continuation byte";
            return 0;
        }
    }
    return need + 1;
}

Value mn_str_decode_utf8(const char *data, size_t len, const char *errors)
{
    const unsigned char *p = (const unsigned char *)data;
    /* fast scan: all ASCII? */
    size_t i = 0;
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL)
            break;
        i += 8;
    }
    while (i < len && p[i] < 0x80)
        i++;
    if (i == len)
        return str_from(data, (int64_t)len, (int64_t)len);

    int mode = 0;       /* 0 strict, 1 replace, 2 ignore */
    if (errors && !strcmp(errors, "replace"))
        mode = 1;
    else if (errors && !strcmp(errors, "ignore"))
        mode = 2;
    else if (errors && strcmp(errors, "strict") && strcmp(errors, "surrogateescape")
             && strcmp(errors, "backslashreplace"))
        return mn_raise(&LookupErrorType, "unknown error handler name '%s'", errors);

    StrBuf b;
    sb_init(&b);
    sb_add(&b, data, i);
    while (i < len) {
        if (p[i] < 0x80) {
            size_t j = i;
            while (j < len && p[j] < 0x80)
                j++;
            sb_add(&b, data + i, j - i);
            i = j;
            continue;
        }
        const char *why = NULL;
        int bad = 0;
        int r = u8_check_one(p, len, i, &bad, &why);
        if (r > 0) {
            sb_add(&b, data + i, (size_t)r);
            i += (size_t)r;
            continue;
        }
        if (mode == 0)
            return raise_decode_error("utf-8", data, len, i, i + (size_t)bad, why);
        if (mode == 1)
            sb_add(&b, "\xEF\xBF\xBD", 3);
        i += (size_t)bad;
    }
    return sb_finish(&b);
}

/* bytes-like object -> str via the named encoding. */
static Value decode_with(const unsigned char *p, size_t len, const char *enc,
                         const char *errors)
{
    switch (encoding_kind(enc)) {
    case ENC_UTF8:
        return mn_str_decode_utf8((const char *)p, len, errors);
    case ENC_LATIN1: {
        StrBuf b;
        sb_init(&b);
        for (size_t i = 0; i < len; i++) {
            char buf[4];
            int n = u8_encode(p[i], buf);
            sb_add(&b, buf, (size_t)n);
        }
        return sb_finish(&b);
    }
    case ENC_ASCII: {
        bool strict = !errors || !strcmp(errors, "strict");
        bool repl = errors && !strcmp(errors, "replace");
        StrBuf b;
        sb_init(&b);
        for (size_t i = 0; i < len; i++) {
            if (p[i] < 0x80) {
                sb_addc(&b, (char)p[i]);
            } else if (strict) {
                return raise_decode_error("ascii", p, len, i, i + 1, "ordinal not in range(128)");
            } else if (repl) {
                sb_add(&b, "\xEF\xBF\xBD", 3);
            }
        }
        return sb_finish(&b);
    }
    default:
        return mn_raise(&LookupErrorType, "unknown encoding: %s", enc);
    }
}

/* Exported for bytes.decode. */
Value mn_bytes_decode(const unsigned char *p, size_t len, const char *enc,
                      const char *errors)
{
    return decode_with(p, len, enc ? enc : "utf-8", errors);
}

static Value bytes_like_decode(Value obj, Value enc, Value errors)
{
    if (enc && !mn_is_str(enc))
        return mn_raise(&TypeErrorType, "str() argument 'encoding' must be str, not %s",
                        mn_type_name(enc));
    if (errors && !mn_is_str(errors))
        return mn_raise(&TypeErrorType, "str() argument 'errors' must be str, not %s",
                        mn_type_name(errors));
    if (!mn_is_obj(obj) || !mn_isinstance_t(obj, &BytesType)) {
        if (mn_is_str(obj))
            return mn_raise(&TypeErrorType, "decoding str is not supported");
        return mn_raise(&TypeErrorType,
                        "decoding to str: need a bytes-like object, %s found",
                        mn_type_name(obj));
    }
    BytesObject *b = AS(BytesObject, obj);
    return decode_with(b->data, (size_t)b->len, enc ? mn_cstr(enc) : "utf-8",
                       errors ? mn_cstr(errors) : "strict");
}

static Value str_encode(Value *args, int nargs, Value kwargs)
{
    Value a[2] = {0, 0};
    if (mn_argparse("encode", args + 1, nargs - 1, kwargs, "|encoding,errors", a) < 0)
        return MN_ERR;
    if ((a[0] && !mn_is_str(a[0])) || (a[1] && !mn_is_str(a[1])))
        return mn_raise(&TypeErrorType, "encode() argument must be str, not %s",
                        mn_type_name(a[0] && !mn_is_str(a[0]) ? a[0] : a[1]));
    const char *enc = a[0] ? mn_cstr(a[0]) : "utf-8";
    const char *errors = a[1] ? mn_cstr(a[1]) : "strict";
    StrObject *s = AS(StrObject, args[0]);
    int kind = encoding_kind(enc);
    if (kind == ENC_UNKNOWN)
        return mn_raise(&LookupErrorType, "unknown encoding: %s", enc);
    if (kind == ENC_UTF8 || is_ascii_str(s))
        return mn_bytes_new(s->data, (size_t)s->len);
    unsigned limit = kind == ENC_ASCII ? 128 : 256;
    const char *cname = kind == ENC_ASCII ? "ascii" : "latin-1";
    const unsigned char *p = (const unsigned char *)s->data;
    StrBuf b;           /* used as a byte buffer */
    sb_init(&b);
    int64_t pos = 0;
    for (int64_t i = 0; i < s->len; pos++) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        if (c < limit) {
            sb_addc(&b, (char)c);
            i += n;
            continue;
        }
        if (!strcmp(errors, "strict")) {
            /* extent of the run of unencodable characters */
            int64_t j = i + n, endpos = pos;
            while (j < s->len) {
                int m;
                uint32_t d = u8_decode(p + j, &m);
                if (d < limit)
                    break;
                j += m;
                endpos++;
            }
            return raise_encode_error(cname, exact_str(args[0]), pos, endpos + 1,
                                      limit == 128 ? "ordinal not in range(128)"
                                                   : "ordinal not in range(256)");
        } else if (!strcmp(errors, "replace")) {
            sb_addc(&b, '?');
        } else if (!strcmp(errors, "ignore")) {
            /* nothing */
        } else if (!strcmp(errors, "backslashreplace")) {
            if (c < 0x100)
                sb_addf(&b, "\\x%02x", c);
            else if (c < 0x10000)
                sb_addf(&b, "\\u%04x", c);
            else
                sb_addf(&b, "\\U%08x", c);
        } else if (!strcmp(errors, "xmlcharrefreplace")) {
            sb_addf(&b, "&#%u;", c);
        } else {
            return mn_raise(&LookupErrorType, "unknown error handler name '%s'", errors);
        }
        i += n;
    }
    return mn_bytes_new(b.buf, b.len);
}

/* ------------------------------------------------------------------ */
/* Method helpers                                                       */
/* ------------------------------------------------------------------ */

#define SELF AS(StrObject, args[0])

static int need_str_arg(Value v, const char *fname, int argno)
{
    if (mn_is_str(v))
        return 0;
    mn_raise(&TypeErrorType, "%s() argument %d must be str, not %s", fname, argno,
             mn_type_name(v));
    return -1;
}

/* Resolve optional start/end (code-point indices, None allowed) into a
 * byte range [*bs, *be) of s; returns -1 on error.  *cs receives the
 * code-point start (for converting results back). Returns 1 if the range
 * is empty/inverted (start > end after clamping, or start > len). */
static int resolve_range(StrObject *s, Value vs, Value ve, int64_t *bs, int64_t *be,
                         int64_t *cs, int64_t *ce)
{
    int64_t n = s->nchars, start = 0, end = n;
    if (vs && vs != mn_None && mn_as_index(vs, &start) < 0)
        return -1;
    if (ve && ve != mn_None && mn_as_index(ve, &end) < 0)
        return -1;
    if (start < 0) { start += n; if (start < 0) start = 0; }
    if (end < 0) { end += n; if (end < 0) end = 0; }
    if (end > n)
        end = n;
    *cs = start;
    *ce = end;
    if (start > n)
        return 1;
    if (start > end) {
        *bs = *be = 0;
        return 2;
    }
    *bs = cp_offset(s, start);
    *be = cp_offset(s, end);
    return 0;
}

/* ------------------------------------------------------------------ */
/* find / rfind / index / rindex / count                                */
/* ------------------------------------------------------------------ */

static Value find_common(Value *args, int nargs, Value kwargs, const char *name,
                         bool rev, bool raise)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 3) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "must be str, not %s", mn_type_name(args[1]));
    StrObject *s = SELF, *sub = AS(StrObject, args[1]);
    int64_t bs, be, cs, ce;
    int rr = resolve_range(s, nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0,
                           &bs, &be, &cs, &ce);
    if (rr < 0)
        return MN_ERR;
    int64_t res = -1;
    if (rr == 0) {
        int64_t off = rev ? rfind_bytes(s->data + bs, be - bs, sub->data, sub->len)
                          : find_bytes(s->data + bs, be - bs, sub->data, sub->len);
        if (off >= 0)
            res = cs + (is_ascii_str(s) ? off : u8_count(s->data + bs, (size_t)off));
    }
    if (res < 0 && raise)
        return mn_raise(&ValueErrorType, "substring not found");
    return mn_int(res);
}

static Value str_find(Value *a, int n, Value k) { return find_common(a, n, k, "find", false, false); }
static Value str_rfind(Value *a, int n, Value k) { return find_common(a, n, k, "rfind", true, false); }
static Value str_index(Value *a, int n, Value k) { return find_common(a, n, k, "index", false, true); }
static Value str_rindex(Value *a, int n, Value k) { return find_common(a, n, k, "rindex", true, true); }

static Value str_count(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("count", nargs - 1, kwargs, 1, 3) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "must be str, not %s", mn_type_name(args[1]));
    StrObject *s = SELF, *sub = AS(StrObject, args[1]);
    int64_t bs, be, cs, ce;
    int rr = resolve_range(s, nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0,
                           &bs, &be, &cs, &ce);
    if (rr < 0)
        return MN_ERR;
    if (rr)
        return mn_int(0);
    if (sub->len == 0)
        return mn_int(ce - cs + 1);
    int64_t cnt = 0, pos = bs;
    if (sub->len == 1) {
        const char *p = s->data + bs, *end = s->data + be;
        while ((p = memchr(p, sub->data[0], (size_t)(end - p))) != NULL) {
            cnt++;
            p++;
        }
        return mn_int(cnt);
    }
    for (;;) {
        int64_t off = find_bytes(s->data + pos, be - pos, sub->data, sub->len);
        if (off < 0)
            break;
        cnt++;
        pos += off + sub->len;
    }
    return mn_int(cnt);
}

/* ------------------------------------------------------------------ */
/* startswith / endswith                                                */
/* ------------------------------------------------------------------ */

static int match_at(StrObject *s, int64_t bs, int64_t be, Value prefix, bool end)
{
    StrObject *p = AS(StrObject, prefix);
    if (p->len > be - bs)
        return 0;
    const char *at = end ? s->data + be - p->len : s->data + bs;
    return memcmp(at, p->data, (size_t)p->len) == 0;
}

static Value starts_ends(Value *args, int nargs, Value kwargs, bool end)
{
    const char *name = end ? "endswith" : "startswith";
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 3) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    int64_t bs, be, cs, ce;
    int rr = resolve_range(s, nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0,
                           &bs, &be, &cs, &ce);
    if (rr < 0)
        return MN_ERR;
    Value x = args[1];
    if (mn_is_str(x)) {
        if (rr)
            return mn_False;
        return mn_bool(match_at(s, bs, be, x, end));
    }
    if (mn_is_tuple(x)) {
        for (int64_t i = 0; i < mn_tuple_len(x); i++) {
            Value p = mn_tuple_items(x)[i];
            if (!mn_is_str(p))
                return mn_raise(&TypeErrorType,
                                "tuple for %s must only contain str, not %s", name,
                                mn_type_name(p));
            if (!rr && match_at(s, bs, be, p, end))
                return mn_True;
        }
        return mn_False;
    }
    return mn_raise(&TypeErrorType, "%s first arg must be str or a tuple of str, not %s",
                    name, mn_type_name(x));
}

static Value str_startswith(Value *a, int n, Value k) { return starts_ends(a, n, k, false); }
static Value str_endswith(Value *a, int n, Value k) { return starts_ends(a, n, k, true); }

/* ------------------------------------------------------------------ */
/* join                                                                 */
/* ------------------------------------------------------------------ */

static Value join_items(Value sep, const Value *items, int64_t n)
{
    StrObject *sp = AS(StrObject, sep);
    if (n == 0)
        return empty_str;
    if (n == 1 && MN_IS_EXACT(items[0], StrType))
        return items[0];
    int64_t total = sp->len * (n - 1), chars = sp->nchars * (n - 1);
    for (int64_t i = 0; i < n; i++) {
        Value it = items[i];
        if (!mn_is_str(it))
            return mn_raise(&TypeErrorType, "sequence item %lld: expected str instance, %s found",
                            (long long)i, mn_type_name(it));
        total += AS(StrObject, it)->len;
        chars += AS(StrObject, it)->nchars;
    }
    StrObject *r = str_alloc(total);
    char *w = r->data;
    for (int64_t i = 0; i < n; i++) {
        StrObject *x = AS(StrObject, items[i]);
        if (i && sp->len) {
            if (sp->len == 1)
                *w++ = sp->data[0];
            else {
                memcpy(w, sp->data, (size_t)sp->len);
                w += sp->len;
            }
        }
        memcpy(w, x->data, (size_t)x->len);
        w += x->len;
    }
    r->nchars = chars;
    if (chars == 1)
        return str_from(r->data, r->len, 1);
    return mn_val(r);
}

Value mn_str_join(Value sep, Value iterable)
{
    if (mn_is_list(iterable)) {
        ListObject *l = AS(ListObject, iterable);
        return join_items(sep, l->items, l->len);
    }
    if (mn_is_tuple(iterable))
        return join_items(sep, mn_tuple_items(iterable), mn_tuple_len(iterable));
    Type *t = mn_typeof(iterable);
    if (!t->iter && !t->getitem)
        return mn_raise(&TypeErrorType, "can only join an iterable");
    /* Any other iterable (typically a generator) streams into a StrBuf:
     * no temporary list of n pointers to grow, zero and scan.  CPython
     * materialises the whole sequence before type-checking the items, so
     * after a non-str item we still drain the iterator (its errors win)
     * and only then report the first bad item. */
    Value it = mn_iter(iterable);
    if (!it)
        return MN_ERR;
    StrObject *sp = AS(StrObject, sep);
    StrBuf b;
    sb_init(&b);
    Value first = 0, bad = 0;
    int64_t n = 0, bad_at = -1;
    for (Value x; (x = mn_next(it)); n++) {
        if (bad)
            continue;
        if (!mn_is_str(x)) {
            bad = x;
            bad_at = n;
            continue;
        }
        if (n == 0)
            first = x;
        else if (sp->len)
            sb_add(&b, sp->data, (size_t)sp->len);
        sb_add(&b, AS(StrObject, x)->data, (size_t)AS(StrObject, x)->len);
    }
    if (mn_exc_occurred())
        return MN_ERR;
    if (bad)
        return mn_raise(&TypeErrorType, "sequence item %lld: expected str instance, %s found",
                        (long long)bad_at, mn_type_name(bad));
    if (n == 1 && MN_IS_EXACT(first, StrType))
        return first;
    return sb_finish(&b);
}

static Value str_join(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("join", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return mn_str_join(args[0], args[1]);
}

/* ------------------------------------------------------------------ */
/* split / rsplit / splitlines                                          */
/* ------------------------------------------------------------------ */

/* Whitespace test at byte i; *n receives the char length. */
static inline bool ws_at(const unsigned char *p, int64_t i, int *n)
{
    unsigned char c = p[i];
    if (c < 0x80) {
        *n = 1;
        return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x1F);
    }
    return u_isspace(u8_decode(p + i, n));
}

/* Is the byte at i the last byte of a whitespace char ending at i+1?  For
 * backward scans: find the start of the char ending at `end`. */
static inline int64_t prev_char(const unsigned char *p, int64_t end)
{
    int64_t i = end - 1;
    while (i > 0 && is_cont(p[i]))
        i--;
    return i;
}

static int parse_split_args(Value *args, int nargs, Value kwargs, const char *name,
                            Value *sep, int64_t *maxsplit)
{
    Value a[2] = {0, 0};
    if (nargs == 1 && !kwargs) {
        *sep = 0;
        *maxsplit = -1;
        return 0;
    }
    if (mn_argparse(name, args + 1, nargs - 1, kwargs, "|sep,maxsplit", a) < 0)
        return -1;
    *sep = (a[0] && a[0] != mn_None) ? a[0] : 0;
    *maxsplit = -1;
    if (a[1] && mn_as_index(a[1], maxsplit) < 0)
        return -1;
    if (*sep && !mn_is_str(*sep)) {
        mn_raise(&TypeErrorType, "must be str or None, not %s", mn_type_name(*sep));
        return -1;
    }
    if (*sep && AS(StrObject, *sep)->len == 0) {
        mn_raise(&ValueErrorType, "empty separator");
        return -1;
    }
    return 0;
}

/* Append a substring s[bi..bj) (byte offsets) to list. */
static int add_piece(Value list, StrObject *s, int64_t bi, int64_t bj)
{
    Value v;
    if (is_ascii_str(s))
        v = (bj - bi == 1) ? char_cache[(unsigned char)s->data[bi]]
                           : str_from(s->data + bi, bj - bi, bj - bi);
    else
        v = str_from(s->data + bi, bj - bi, u8_count(s->data + bi, (size_t)(bj - bi)));
    return mn_list_append(list, v);
}

static Value str_split(Value *args, int nargs, Value kwargs)
{
    Value sep;
    int64_t maxsplit;
    if (parse_split_args(args, nargs, kwargs, "split", &sep, &maxsplit) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    Value list = mn_list_new(0);
    if (maxsplit < 0)
        maxsplit = INT64_MAX;
    if (!sep) {
        int64_t i = 0, n = s->len;
        int cl;
        while (i < n) {
            while (i < n && ws_at(p, i, &cl))
                i += cl;
            if (i >= n)
                break;
            if (maxsplit-- == 0) {
                /* the rest of the string, as it is */
                if (add_piece(list, s, i, n) < 0)
                    return MN_ERR;
                break;
            }
            int64_t j = i;
            while (j < n && !ws_at(p, j, &cl))
                j += cl;
            if (add_piece(list, s, i, j) < 0)
                return MN_ERR;
            i = j;
        }
        return list;
    }
    StrObject *sp = AS(StrObject, sep);
    int64_t i = 0;
    while (maxsplit-- > 0) {
        int64_t off = find_bytes(s->data + i, s->len - i, sp->data, sp->len);
        if (off < 0)
            break;
        if (add_piece(list, s, i, i + off) < 0)
            return MN_ERR;
        i += off + sp->len;
    }
    if (i == 0 && MN_IS_EXACT(args[0], StrType)) {
        if (mn_list_append(list, args[0]) < 0)
            return MN_ERR;
    } else if (add_piece(list, s, i, s->len) < 0) {
        return MN_ERR;
    }
    return list;
}

static void list_reverse_inplace(Value list)
{
    ListObject *l = AS(ListObject, list);
    for (int64_t i = 0, j = l->len - 1; i < j; i++, j--) {
        Value t = l->items[i];
        l->items[i] = l->items[j];
        l->items[j] = t;
    }
}

static Value str_rsplit(Value *args, int nargs, Value kwargs)
{
    Value sep;
    int64_t maxsplit;
    if (parse_split_args(args, nargs, kwargs, "rsplit", &sep, &maxsplit) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    Value list = mn_list_new(0);
    if (maxsplit < 0)
        maxsplit = INT64_MAX;
    if (!sep) {
        int64_t j = s->len;
        int cl;
        while (j > 0) {
            while (j > 0) {
                int64_t k = prev_char(p, j);
                if (!ws_at(p, k, &cl))
                    break;
                j = k;
            }
            if (j <= 0)
                break;
            if (maxsplit-- == 0) {
                if (add_piece(list, s, 0, j) < 0)
                    return MN_ERR;
                break;
            }
            int64_t i = j;
            while (i > 0) {
                int64_t k = prev_char(p, i);
                if (ws_at(p, k, &cl))
                    break;
                i = k;
            }
            if (add_piece(list, s, i, j) < 0)
                return MN_ERR;
            j = i;
        }
        list_reverse_inplace(list);
        return list;
    }
    StrObject *sp = AS(StrObject, sep);
    int64_t j = s->len;
    while (maxsplit-- > 0) {
        int64_t off = rfind_bytes(s->data, j, sp->data, sp->len);
        if (off < 0)
            break;
        if (add_piece(list, s, off + sp->len, j) < 0)
            return MN_ERR;
        j = off;
    }
    if (add_piece(list, s, 0, j) < 0)
        return MN_ERR;
    list_reverse_inplace(list);
    return list;
}

/* Line break at byte i? Returns its byte length (0 if none). */
static int linebreak_at(const unsigned char *p, int64_t i, int64_t n)
{
    unsigned char c = p[i];
    if (c == '\n' || c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1E))
        return 1;
    if (c == '\r')
        return (i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
    if (c == 0xC2 && i + 1 < n && p[i + 1] == 0x85)
        return 2;
    if (c == 0xE2 && i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
        return 3;
    return 0;
}

static Value str_splitlines(Value *args, int nargs, Value kwargs)
{
    Value a[1] = {0};
    if (mn_argparse("splitlines", args + 1, nargs - 1, kwargs, "|keepends", a) < 0)
        return MN_ERR;
    int keep = 0;
    if (a[0] && (keep = mn_truthy(a[0])) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    Value list = mn_list_new(0);
    int64_t i = 0, start = 0, n = s->len;
    while (i < n) {
        int lb = linebreak_at(p, i, n);
        if (!lb) {
            i++;
            continue;
        }
        if (add_piece(list, s, start, keep ? i + lb : i) < 0)
            return MN_ERR;
        i += lb;
        start = i;
    }
    if (start < n && add_piece(list, s, start, n) < 0)
        return MN_ERR;
    return list;
}

/* ------------------------------------------------------------------ */
/* strip family                                                         */
/* ------------------------------------------------------------------ */

static bool in_chars(uint32_t c, StrObject *chars)
{
    const unsigned char *p = (const unsigned char *)chars->data;
    if (c < 0x80)
        return memchr(p, (int)c, (size_t)chars->len) != NULL;
    for (int64_t i = 0; i < chars->len;) {
        int n;
        if (u8_decode(p + i, &n) == c)
            return true;
        i += n;
    }
    return false;
}

static Value do_strip(Value *args, int nargs, Value kwargs, const char *name,
                      bool left, bool right)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "str.%s() takes no keyword arguments", name);
    if (nargs > 2)
        return mn_raise(&TypeErrorType, "%s expected at most 1 argument, got %d", name,
                        nargs - 1);
    StrObject *s = SELF, *chars = NULL;
    if (nargs == 2 && args[1] != mn_None) {
        if (!mn_is_str(args[1]))
            return mn_raise(&TypeErrorType, "%s arg must be None or str", name);
        chars = AS(StrObject, args[1]);
    }
    const unsigned char *p = (const unsigned char *)s->data;
    int64_t i = 0, j = s->len;
    int n;
    if (left) {
        while (i < j) {
            uint32_t c = u8_decode(p + i, &n);
            if (chars ? !in_chars(c, chars) : !u_isspace(c))
                break;
            i += n;
        }
    }
    if (right) {
        while (j > i) {
            int64_t k = prev_char(p, j);
            uint32_t c = u8_decode(p + k, &n);
            if (chars ? !in_chars(c, chars) : !u_isspace(c))
                break;
            j = k;
        }
    }
    if (i == 0 && j == s->len)
        return exact_str(args[0]);
    return str_from(s->data + i, j - i,
                    is_ascii_str(s) ? j - i : u8_count(s->data + i, (size_t)(j - i)));
}

static Value str_strip(Value *a, int n, Value k) { return do_strip(a, n, k, "strip", true, true); }
static Value str_lstrip(Value *a, int n, Value k) { return do_strip(a, n, k, "lstrip", true, false); }
static Value str_rstrip(Value *a, int n, Value k) { return do_strip(a, n, k, "rstrip", false, true); }

/* ------------------------------------------------------------------ */
/* replace                                                              */
/* ------------------------------------------------------------------ */

static Value str_replace(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("replace", nargs - 1, kwargs, 2, 3) < 0)
        return MN_ERR;
    if (need_str_arg(args[1], "replace", 1) < 0 || need_str_arg(args[2], "replace", 2) < 0)
        return MN_ERR;
    int64_t count = -1;
    if (nargs > 3 && mn_as_index(args[3], &count) < 0)
        return MN_ERR;
    if (count < 0)
        count = INT64_MAX;
    StrObject *s = SELF, *old = AS(StrObject, args[1]), *new = AS(StrObject, args[2]);
    if (count == 0)
        return exact_str(args[0]);
    StrBuf b;
    if (old->len == 0) {
        /* insert `new` before every character and at the end */
        sb_init(&b);
        const unsigned char *p = (const unsigned char *)s->data;
        int64_t i = 0;
        while (i < s->len && count > 0) {
            sb_add(&b, new->data, (size_t)new->len);
            count--;
            int64_t j = i + 1;
            while (j < s->len && is_cont(p[j]))
                j++;
            sb_add(&b, s->data + i, (size_t)(j - i));
            i = j;
        }
        if (i < s->len)
            sb_add(&b, s->data + i, (size_t)(s->len - i));
        else if (count > 0)
            sb_add(&b, new->data, (size_t)new->len);
        return sb_finish(&b);
    }
    int64_t first = find_bytes(s->data, s->len, old->data, old->len);
    if (first < 0)
        return exact_str(args[0]);
    sb_init(&b);
    int64_t i = 0, off = first;
    while (off >= 0 && count > 0) {
        sb_add(&b, s->data + i, (size_t)off);
        sb_add(&b, new->data, (size_t)new->len);
        i += off + old->len;
        count--;
        if (!count)
            break;
        off = find_bytes(s->data + i, s->len - i, old->data, old->len);
    }
    sb_add(&b, s->data + i, (size_t)(s->len - i));
    return sb_finish(&b);
}

/* ------------------------------------------------------------------ */
/* Case mapping                                                         */
/* ------------------------------------------------------------------ */

enum { CASE_UPPER, CASE_LOWER, CASE_SWAP, CASE_TITLE, CASE_CAP, CASE_FOLD };

static void add_cp(StrBuf *b, uint32_t c)
{
    char buf[4];
    int n = u8_encode(c, buf);
    sb_add(b, buf, (size_t)n);
}

static Value case_map(Value self, int mode)
{
    StrObject *s = AS(StrObject, self);
    if (s->len == 0)
        return empty_str;
    if (is_ascii_str(s)) {
        StrObject *r = str_alloc(s->len);
        r->nchars = s->len;
        bool prev_cased = false;
        for (int64_t i = 0; i < s->len; i++) {
            unsigned char c = (unsigned char)s->data[i];
            bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
            switch (mode) {
            case CASE_UPPER: if (lo) c -= 32; break;
            case CASE_LOWER: case CASE_FOLD: if (up) c += 32; break;
            case CASE_SWAP: if (up) c += 32; else if (lo) c -= 32; break;
            case CASE_TITLE:
                if (prev_cased) { if (up) c += 32; }
                else if (lo) c -= 32;
                prev_cased = up || lo;
                break;
            case CASE_CAP:
                if (i == 0) { if (lo) c -= 32; }
                else if (up) c += 32;
                break;
            }
            r->data[i] = (char)c;
        }
        if (s->len == 1)
            return char_cache[(unsigned char)r->data[0]];
        return mn_val(r);
    }
    StrBuf b;
    sb_init(&b);
    const unsigned char *p = (const unsigned char *)s->data;
    bool prev_cased = false;
    for (int64_t i = 0, k = 0; i < s->len; k++) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        i += n;
        bool up = u_isupper(c), lo = u_islower(c);
        bool to_up = false, to_lo = false;
        switch (mode) {
        case CASE_UPPER: to_up = true; break;
        case CASE_LOWER: case CASE_FOLD: to_lo = true; break;
        case CASE_SWAP: to_up = lo; to_lo = up; break;
        case CASE_TITLE:
            if (prev_cased) to_lo = true; else to_up = true;
            prev_cased = up || lo;
            break;
        case CASE_CAP:
            if (k == 0) to_up = true; else to_lo = true;
            break;
        }
        if (to_up) {
            if (c == 0xDF) {
                sb_add(&b, mode == CASE_TITLE || mode == CASE_CAP ? "Ss" : "SS", 2);
                continue;
            }
            c = u_toupper(c);
        } else if (to_lo) {
            if (c == 0xDF && mode == CASE_FOLD) {
                sb_add(&b, "ss", 2);
                continue;
            }
            c = u_tolower(c);
        }
        add_cp(&b, c);
    }
    return sb_finish(&b);
}

static Value str_upper(Value *a, int n, Value k)
{ return mn_argcheck("upper", n - 1, k, 0, 0) < 0 ? MN_ERR : case_map(a[0], CASE_UPPER); }
static Value str_lower(Value *a, int n, Value k)
{ return mn_argcheck("lower", n - 1, k, 0, 0) < 0 ? MN_ERR : case_map(a[0], CASE_LOWER); }
static Value str_swapcase(Value *a, int n, Value k)
{ return mn_argcheck("swapcase", n - 1, k, 0, 0) < 0 ? MN_ERR : case_map(a[0], CASE_SWAP); }
static Value str_title(Value *a, int n, Value k)
{ return mn_argcheck("title", n - 1, k, 0, 0) < 0 ? MN_ERR : case_map(a[0], CASE_TITLE); }
static Value str_capitalize(Value *a, int n, Value k)
{ return mn_argcheck("capitalize", n - 1, k, 0, 0) < 0 ? MN_ERR : case_map(a[0], CASE_CAP); }
static Value str_casefold(Value *a, int n, Value k)
{ return mn_argcheck("casefold", n - 1, k, 0, 0) < 0 ? MN_ERR : case_map(a[0], CASE_FOLD); }

/* ------------------------------------------------------------------ */
/* Predicates                                                           */
/* ------------------------------------------------------------------ */

typedef bool (*CharPred)(uint32_t);

static Value all_chars(Value *args, int nargs, Value kwargs, const char *name, CharPred f)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    if (s->len == 0)
        return mn_False;
    const unsigned char *p = (const unsigned char *)s->data;
    for (int64_t i = 0; i < s->len;) {
        int n;
        if (!f(u8_decode(p + i, &n)))
            return mn_False;
        i += n;
    }
    return mn_True;
}

static Value str_isdigit(Value *a, int n, Value k) { return all_chars(a, n, k, "isdigit", u_isdigit); }
static Value str_isdecimal(Value *a, int n, Value k) { return all_chars(a, n, k, "isdecimal", u_isdecimal); }
static Value str_isnumeric(Value *a, int n, Value k) { return all_chars(a, n, k, "isnumeric", u_isnumeric); }
static Value str_isalpha(Value *a, int n, Value k) { return all_chars(a, n, k, "isalpha", u_isalpha); }
static Value str_isalnum(Value *a, int n, Value k) { return all_chars(a, n, k, "isalnum", u_isalnum); }
static Value str_isspace(Value *a, int n, Value k) { return all_chars(a, n, k, "isspace", u_isspace); }

static Value str_isprintable(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("isprintable", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    for (int64_t i = 0; i < s->len;) {
        int n;
        if (!u_isprintable(u8_decode(p + i, &n)))
            return mn_False;
        i += n;
    }
    return mn_True;
}

/* isupper: at least one cased char and no lowercase ones (and vice versa). */
static Value case_pred(Value *args, int nargs, Value kwargs, const char *name, bool upper)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    bool cased = false;
    for (int64_t i = 0; i < s->len;) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        i += n;
        if (upper ? u_islower(c) : u_isupper(c))
            return mn_False;
        if (upper ? u_isupper(c) : u_islower(c))
            cased = true;
    }
    return mn_bool(cased);
}

static Value str_isupper(Value *a, int n, Value k) { return case_pred(a, n, k, "isupper", true); }
static Value str_islower(Value *a, int n, Value k) { return case_pred(a, n, k, "islower", false); }

static Value str_istitle(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("istitle", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    bool cased = false, prev_cased = false;
    for (int64_t i = 0; i < s->len;) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        i += n;
        if (u_isupper(c)) {
            if (prev_cased)
                return mn_False;
            prev_cased = cased = true;
        } else if (u_islower(c)) {
            if (!prev_cased)
                return mn_False;
            prev_cased = cased = true;
        } else {
            prev_cased = false;
        }
    }
    return mn_bool(cased);
}

static Value str_isidentifier(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("isidentifier", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    const unsigned char *p = (const unsigned char *)s->data;
    if (s->len == 0)
        return mn_False;
    for (int64_t i = 0, k = 0; i < s->len; k++) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        i += n;
        bool ok = c == '_' || u_isalpha(c) || (k > 0 && (u_isdecimal(c) || u_isdigit(c)));
        if (!ok)
            return mn_False;
    }
    return mn_True;
}

static Value str_isascii(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("isascii", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_bool(is_ascii_str(SELF));
}

/* ------------------------------------------------------------------ */
/* Padding                                                              */
/* ------------------------------------------------------------------ */

static Value pad(Value self, int64_t left, int64_t right, uint32_t fill)
{
    StrObject *s = AS(StrObject, self);
    if (left < 0) left = 0;
    if (right < 0) right = 0;
    if (!left && !right)
        return exact_str(self);
    char fb[4];
    int fl = u8_encode(fill, fb);
    StrObject *r = str_alloc(s->len + (left + right) * fl);
    char *w = r->data;
    for (int64_t i = 0; i < left; i++, w += fl)
        memcpy(w, fb, (size_t)fl);
    memcpy(w, s->data, (size_t)s->len);
    w += s->len;
    for (int64_t i = 0; i < right; i++, w += fl)
        memcpy(w, fb, (size_t)fl);
    r->nchars = s->nchars + left + right;
    return mn_val(r);
}

static int pad_args(Value *args, int nargs, Value kwargs, const char *name,
                    int64_t *width, uint32_t *fill)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 2) < 0)
        return -1;
    if (mn_as_index(args[1], width) < 0)
        return -1;
    *fill = ' ';
    if (nargs > 2) {
        Value f = args[2];
        if (!mn_is_str(f)) {
            mn_raise(&TypeErrorType, "%s() argument 2 must be str, not %s", name,
                     mn_type_name(f));
            return -1;
        }
        if (AS(StrObject, f)->nchars != 1) {
            mn_raise(&TypeErrorType, "The fill character must be exactly one character long");
            return -1;
        }
        int n;
        *fill = u8_decode((const unsigned char *)mn_cstr(f), &n);
    }
    return 0;
}

static Value str_center(Value *args, int nargs, Value kwargs)
{
    int64_t w;
    uint32_t f;
    if (pad_args(args, nargs, kwargs, "center", &w, &f) < 0)
        return MN_ERR;
    int64_t marg = w - SELF->nchars;
    if (marg <= 0)
        return exact_str(args[0]);
    int64_t left = marg / 2 + (marg & w & 1);
    return pad(args[0], left, marg - left, f);
}

static Value str_ljust(Value *args, int nargs, Value kwargs)
{
    int64_t w;
    uint32_t f;
    if (pad_args(args, nargs, kwargs, "ljust", &w, &f) < 0)
        return MN_ERR;
    return pad(args[0], 0, w - SELF->nchars, f);
}

static Value str_rjust(Value *args, int nargs, Value kwargs)
{
    int64_t w;
    uint32_t f;
    if (pad_args(args, nargs, kwargs, "rjust", &w, &f) < 0)
        return MN_ERR;
    return pad(args[0], w - SELF->nchars, 0, f);
}

static Value str_zfill(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("zfill", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int64_t w;
    if (mn_as_index(args[1], &w) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    int64_t fill = w - s->nchars;
    if (fill <= 0)
        return exact_str(args[0]);
    StrObject *r = str_alloc(s->len + fill);
    r->nchars = s->nchars + fill;
    int64_t sign = (s->len && (s->data[0] == '+' || s->data[0] == '-')) ? 1 : 0;
    memcpy(r->data, s->data, (size_t)sign);
    memset(r->data + sign, '0', (size_t)fill);
    memcpy(r->data + sign + fill, s->data + sign, (size_t)(s->len - sign));
    return mn_val(r);
}

static Value str_expandtabs(Value *args, int nargs, Value kwargs)
{
    Value a[1] = {0};
    if (mn_argparse("expandtabs", args + 1, nargs - 1, kwargs, "|tabsize", a) < 0)
        return MN_ERR;
    int64_t ts = 8;
    if (a[0] && mn_as_index(a[0], &ts) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    if (!memchr(s->data, '\t', (size_t)s->len))
        return exact_str(args[0]);
    StrBuf b;
    sb_init(&b);
    const unsigned char *p = (const unsigned char *)s->data;
    int64_t col = 0;
    for (int64_t i = 0; i < s->len;) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        if (c == '\t') {
            if (ts > 0) {
                int64_t k = ts - col % ts;
                for (int64_t j = 0; j < k; j++)
                    sb_addc(&b, ' ');
                col += k;
            }
        } else {
            sb_add(&b, (const char *)p + i, (size_t)n);
            col = (c == '\n' || c == '\r') ? 0 : col + 1;
        }
        i += n;
    }
    return sb_finish(&b);
}

/* ------------------------------------------------------------------ */
/* partition, prefixes                                                  */
/* ------------------------------------------------------------------ */

static Value partition(Value *args, int nargs, Value kwargs, bool rev)
{
    const char *name = rev ? "rpartition" : "partition";
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "must be str, not %s", mn_type_name(args[1]));
    StrObject *s = SELF, *sep = AS(StrObject, args[1]);
    if (sep->len == 0)
        return mn_raise(&ValueErrorType, "empty separator");
    int64_t off = rev ? rfind_bytes(s->data, s->len, sep->data, sep->len)
                      : find_bytes(s->data, s->len, sep->data, sep->len);
    if (off < 0) {
        Value whole = exact_str(args[0]);
        return rev ? mn_tuple_pack(3, empty_str, empty_str, whole)
                   : mn_tuple_pack(3, whole, empty_str, empty_str);
    }
    Value a = mn_str_new(s->data, (size_t)off);
    Value c = mn_str_new(s->data + off + sep->len, (size_t)(s->len - off - sep->len));
    return mn_tuple_pack(3, a, exact_str(args[1]), c);
}

static Value str_partition(Value *a, int n, Value k) { return partition(a, n, k, false); }
static Value str_rpartition(Value *a, int n, Value k) { return partition(a, n, k, true); }

static Value remove_affix(Value *args, int nargs, Value kwargs, bool suffix)
{
    const char *name = suffix ? "removesuffix" : "removeprefix";
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "%s() argument must be str, not %s", name,
                        mn_type_name(args[1]));
    StrObject *s = SELF, *a = AS(StrObject, args[1]);
    if (a->len == 0 || a->len > s->len
        || !match_at(s, 0, s->len, args[1], suffix))
        return exact_str(args[0]);
    if (suffix)
        return str_from(s->data, s->len - a->len, s->nchars - a->nchars);
    return str_from(s->data + a->len, s->len - a->len, s->nchars - a->nchars);
}

static Value str_removeprefix(Value *a, int n, Value k) { return remove_affix(a, n, k, false); }
static Value str_removesuffix(Value *a, int n, Value k) { return remove_affix(a, n, k, true); }

/* ------------------------------------------------------------------ */
/* maketrans / translate                                                */
/* ------------------------------------------------------------------ */

static Value str_maketrans(Value *args, int nargs, Value kwargs)
{
    /* static method: args are exactly the caller's */
    if (mn_argcheck("maketrans", nargs, kwargs, 1, 3) < 0)
        return MN_ERR;
    Value d = mn_dict_new();
    if (nargs == 1) {
        Value m = args[0];
        if (!mn_is_dict(m))
            return mn_raise(&TypeErrorType,
                            "if you give only one argument to maketrans it must be a dict");
        int64_t pos = 0;
        Value k, v;
        while (mn_dict_next(m, &pos, &k, &v)) {
            Value key = k;
            if (mn_is_str(k)) {
                if (AS(StrObject, k)->nchars != 1)
                    return mn_raise(&ValueErrorType,
                                    "string keys in translate table must be of length 1");
                key = mn_int(mn_str_codepoint_at(k, 0));
            } else if (!mn_is_intlike(k)) {
                return mn_raise(&TypeErrorType,
                                "keys in translate table must be strings or integers");
            }
            if (mn_dict_set(d, key, v) < 0)
                return MN_ERR;
        }
        return d;
    }
    if (!mn_is_str(args[0]) || !mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "maketrans() argument must be str, not %s",
                        mn_type_name(mn_is_str(args[0]) ? args[1] : args[0]));
    StrObject *x = AS(StrObject, args[0]), *y = AS(StrObject, args[1]);
    if (x->nchars != y->nchars)
        return mn_raise(&ValueErrorType,
                        "the first two maketrans arguments must have equal length");
    for (int64_t i = 0, j = 0; i < x->len;) {
        int n, m;
        uint32_t a = u8_decode((const unsigned char *)x->data + i, &n);
        uint32_t b = u8_decode((const unsigned char *)y->data + j, &m);
        if (mn_dict_set(d, mn_int(a), mn_int(b)) < 0)
            return MN_ERR;
        i += n;
        j += m;
    }
    if (nargs == 3) {
        if (!mn_is_str(args[2]))
            return mn_raise(&TypeErrorType, "maketrans() argument 3 must be str, not %s",
                            mn_type_name(args[2]));
        StrObject *z = AS(StrObject, args[2]);
        for (int64_t i = 0; i < z->len;) {
            int n;
            uint32_t a = u8_decode((const unsigned char *)z->data + i, &n);
            if (mn_dict_set(d, mn_int(a), mn_None) < 0)
                return MN_ERR;
            i += n;
        }
    }
    return d;
}

static Value str_translate(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("translate", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    StrObject *s = SELF;
    Value table = args[1];
    StrBuf b;
    sb_init(&b);
    const unsigned char *p = (const unsigned char *)s->data;
    for (int64_t i = 0; i < s->len;) {
        int n;
        uint32_t c = u8_decode(p + i, &n);
        Value r = mn_getitem(table, mn_int(c));
        if (!r) {
            if (!mn_exc_matches(&LookupErrorType))
                return MN_ERR;
            mn_exc_clear();
            sb_add(&b, (const char *)p + i, (size_t)n);
        } else if (r == mn_None) {
            /* deleted */
        } else if (mn_is_intlike(r)) {
            int64_t v;
            if (mn_as_i64(r, &v) < 0)
                return MN_ERR;
            if (v < 0 || v > 0x10FFFF)
                return mn_raise(&ValueErrorType,
                                "character mapping must be in range(0x110000)");
            add_cp(&b, (uint32_t)v);
        } else if (mn_is_str(r)) {
            sb_add(&b, mn_cstr(r), (size_t)mn_str_len(r));
        } else {
            return mn_raise(&TypeErrorType,
                            "character mapping must return integer, None or str");
        }
        i += n;
    }
    return sb_finish(&b);
}

/* ------------------------------------------------------------------ */
/* Dunder methods (for super() calls in subclasses) and formatting      */
/* ------------------------------------------------------------------ */

static Value str_dunder_format(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__format__", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "__format__() argument must be str, not %s",
                        mn_type_name(args[1]));
    return mn_str_format_spec(args[0], args[1]);
}










static MethodDef str_methods[] = {
    {"format", mn_str_format_method, 0, NULL},
    {"join", str_join, 0, NULL},
    {"split", str_split, 0, NULL},
    {"rsplit", str_rsplit, 0, NULL},
    {"splitlines", str_splitlines, 0, NULL},
    {"strip", str_strip, 0, NULL},
    {"lstrip", str_lstrip, 0, NULL},
    {"rstrip", str_rstrip, 0, NULL},
    {"replace", str_replace, 0, NULL},
    {"startswith", str_startswith, 0, NULL},
    {"endswith", str_endswith, 0, NULL},
    {"find", str_find, 0, NULL},
    {"rfind", str_rfind, 0, NULL},
    {"index", str_index, 0, NULL},
    {"rindex", str_rindex, 0, NULL},
    {"count", str_count, 0, NULL},
    {"upper", str_upper, 0, NULL},
    {"lower", str_lower, 0, NULL},
    {"title", str_title, 0, NULL},
    {"capitalize", str_capitalize, 0, NULL},
    {"swapcase", str_swapcase, 0, NULL},
    {"casefold", str_casefold, 0, NULL},
    {"center", str_center, 0, NULL},
    {"ljust", str_ljust, 0, NULL},
    {"rjust", str_rjust, 0, NULL},
    {"zfill", str_zfill, 0, NULL},
    {"encode", str_encode, 0, NULL},
    {"isdigit", str_isdigit, 0, NULL},
    {"isalpha", str_isalpha, 0, NULL},
    {"isalnum", str_isalnum, 0, NULL},
    {"isspace", str_isspace, 0, NULL},
    {"isupper", str_isupper, 0, NULL},
    {"islower", str_islower, 0, NULL},
    {"isnumeric", str_isnumeric, 0, NULL},
    {"isdecimal", str_isdecimal, 0, NULL},
    {"isidentifier", str_isidentifier, 0, NULL},
    {"isprintable", str_isprintable, 0, NULL},
    {"istitle", str_istitle, 0, NULL},
    {"isascii", str_isascii, 0, NULL},
    {"partition", str_partition, 0, NULL},
    {"rpartition", str_rpartition, 0, NULL},
    {"removeprefix", str_removeprefix, 0, NULL},
    {"removesuffix", str_removesuffix, 0, NULL},
    {"expandtabs", str_expandtabs, 0, NULL},
    {"maketrans", str_maketrans, METH_STATIC, NULL},
    {"translate", str_translate, 0, NULL},
    {"__format__", str_dunder_format, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static int str_truthy(Value self) { return AS(StrObject, self)->len != 0; }

Type StrType = {
    .hdr = {&TypeType},
    .name = "str",
    .base = &ObjectType,
    .flags = TF_BASETYPE | TF_STR_SUB,
    .basicsize = sizeof(StrObject),
    .methods = str_methods,
    .new = str_new_slot,
    .repr = str_repr_slot,
    .str = str_str_slot,
    .hash = str_hash_slot,
    .richcmp = str_richcmp,
    .truthy = str_truthy,
    .iter = str_iter,
    .len = str_len,
    .getitem = str_getitem,
    .contains = str_contains,
    .binop = str_binop,
};

static MethodDef striter_methods[] = {
    {NULL, NULL, 0, NULL},
};

Type StrIterType = {
    .hdr = {&TypeType},
    .name = "str_ascii_iterator",
    .base = &ObjectType,
    .basicsize = sizeof(StrIterObject),
    .methods = striter_methods,
    .iter = self_iter,
    .next = striter_next,
};
