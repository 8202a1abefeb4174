/*
 * format.c -- everything that turns numbers and strings into formatted
 * text, with CPython 3.11's exact output and error messages:
 *
 *   mn_double_to_cstr   PyOS_double_to_string: repr (shortest round-trip)
 *                       and the e/f/g/% renderings
 *   mn_int_format       format(int, spec)    \
 *   mn_float_format     format(float, spec)   } the format-spec
 *   mn_str_format_spec  format(str, spec)    /  mini-language
 *   mn_str_mod          str % args (printf-style)
 *   mn_str_format_method  str.format(*args, **kwargs)
 *   mn_ascii            ascii(v)
 *
 * Digits of doubles come from glibc, whose printf and strtod are exact
 * (correctly rounded, ties to even on exact halves), i.e. they agree with
 * David Gay's dtoa that CPython uses.  The layout of those digits -- where
 * the point goes, when to switch to an exponent, padding with zeros -- is
 * CPython's format_float_short rule set, re-expressed below.
 *
 * Widths and precisions count code points, not bytes: strings are UTF-8
 * and fill characters may be any character.
 */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "object.h"

/* ------------------------------------------------------------------ */
/* UTF-8 helpers                                                       */
/* ------------------------------------------------------------------ */

static uint32_t utf8_next(const char **pp, const char *end)
{
    const unsigned char *p = (const unsigned char *)*pp;
    uint32_t c = *p++;
    if (c >= 0xf0 && end - (const char *)p >= 3) {
        c = ((c & 7) << 18) | ((uint32_t)(p[0] & 0x3f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6)
            | (p[2] & 0x3f);
        p += 3;
    } else if (c >= 0xe0 && end - (const char *)p >= 2) {
        c = ((c & 15) << 12) | ((uint32_t)(p[0] & 0x3f) << 6) | (p[1] & 0x3f);
        p += 2;
    } else if (c >= 0xc0 && end - (const char *)p >= 1) {
        c = ((c & 31) << 6) | (p[0] & 0x3f);
        p += 1;
    }
    *pp = (const char *)p;
    return c;
}

static int utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* Byte length of the first n code points of s[0..len). */
static size_t utf8_prefix(const char *s, size_t len, int64_t n)
{
    size_t i = 0;
    while (i < len && n > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        n--;
    }
    return i;
}

static int64_t utf8_count(const char *s, size_t len)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

/* sb_add that tolerates n == 0 on a still-empty buffer (memcpy with a
 * NULL destination is undefined even for zero bytes). */
static inline void add(StrBuf *b, const char *s, size_t n)
{
    if (n)
        sb_add(b, s, n);
}

/* n copies of the character fill (fill_len bytes of UTF-8). */
static void sb_fill(StrBuf *b, const char *fill, int fill_len, int64_t n)
{
    if (n <= 0)
        return;
    if (fill_len == 1) {
        char chunk[64];
        memset(chunk, fill[0], sizeof chunk);
        for (; n > 64; n -= 64)
            add(b, chunk, 64);
        add(b, chunk, (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        add(b, fill, (size_t)fill_len);
}

static void sb_pad(StrBuf *b, char c, int64_t n) { sb_fill(b, &c, 1, n); }

static int64_t str_chars(Value s) { return AS(StrObject, s)->nchars; }

/* ------------------------------------------------------------------ */
/* Doubles to text                                                     */
/* ------------------------------------------------------------------ */

/* Parse glibc's "%.*e" output "d.ddde+XX" into digits (trailing zeros
 * removed, at least one kept) and the decimal point position. */
static int split_e(const char *buf, char *digits, int *decpt)
{
    int n = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    int exp = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    *decpt = exp + 1;
    return n;
}

static bool reads_back(const char *digits, int n, int decpt, double x)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.*se%d", n, digits, decpt - n);
    return strtod(buf, NULL) == x;
}

/* Round the 17 significant digits d17 (of x, decimal point at decpt17)
 * to p digits into out.  Rounding the 17-digit string agrees with rounding
 * x itself except when the string's tail is exactly a tie (5000...): x and
 * its 17-digit neighbour can only straddle a p-digit midpoint by sitting on
 * it.  In that case ask printf again. */
static int round_digits(double x, const char *d17, int decpt17, int p, char *out, int *decpt)
{
    bool tie = d17[p] == '5';
    for (int i = p + 1; tie && i < 17; i++)
        tie = d17[i] == '0';
    if (tie) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        return split_e(buf, out, decpt);
    }
    memcpy(out, d17, (size_t)p);
    *decpt = decpt17;
    if (d17[p] >= '5') {
        int i = p - 1;
        while (i >= 0 && out[i] == '9')
            out[i--] = '0';
        if (i >= 0) {
            out[i]++;
        } else {                        /* 999.. -> 1000.. */
            out[0] = '1';
            (*decpt)++;
        }
    }
    while (p > 1 && out[p - 1] == '0')
        p--;
    out[p] = 0;
    return p;
}

/* Shortest digit string that reads back as x (x finite, >= 0), and among
 * those the closest to x -- what repr() shows.
 *
 * Fast paths: integral values below 2**53 are their own digits.  For
 * normal doubles, any decimal of <= 15 significant digits survives the trip
 * decimal -> double -> 15 digits unchanged (DBL_DIG), so if x's 15-digit
 * rounding reads back as x it IS the shortest string, zero-padded; if not,
 * the answer has 16 or 17 digits.  All three candidates come from one
 * printf of 17 digits.  Subnormals (fewer significant bits) take the slow
 * exhaustive search. */
static int shortest_digits(double x, char *digits, int *decpt)
{
    if (x == 0.0) {
        digits[0] = '0';
        digits[1] = 0;
        *decpt = 1;
        return 1;
    }
    if (x < 9007199254740992.0 && x == floor(x)) {
        char tmp[24];
        int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)x);
        *decpt = n;
        while (n > 1 && tmp[n - 1] == '0')
            n--;
        memcpy(digits, tmp, (size_t)n);
        digits[n] = 0;
        return n;
    }
    if (x >= DBL_MIN) {
        char buf[40], d17[24];
        int dp17;
        snprintf(buf, sizeof buf, "%.16e", x);
        int n = 0;
        for (const char *p = buf; *p && *p != 'e'; p++)
            if (*p != '.')
                d17[n++] = *p;
        d17[n] = 0;
        dp17 = atoi(strchr(buf, 'e') + 1) + 1;
        for (int p = 15; p <= 16; p++) {
            int dp, k = round_digits(x, d17, dp17, p, digits, &dp);
            if (reads_back(digits, k, dp, x)) {
                *decpt = dp;
                return k;
            }
        }
        return split_e(buf, digits, decpt);
    }
    char buf[40];
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, sizeof buf, "%.*e", mid - 1, x);
        if (strtod(buf, NULL) == x)
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(buf, sizeof buf, "%.*e", lo - 1, x);
    return split_e(buf, digits, decpt);
}

/* Digits of x rounded to nd places after the point (x finite, >= 0);
 * digits may be empty-ish ("0") when everything rounds away. */
static int fixed_digits(double x, int nd, char **digits_out, int *decpt)
{
    size_t cap = 330 + (size_t)nd;
    char *buf = gc_alloc_atomic(cap);
    snprintf(buf, cap, "%.*f", nd, x);
    char *digits = gc_alloc_atomic(cap);
    int n = 0, ip = 0;
    bool seen_point = false;
    for (const char *p = buf; *p; p++) {
        if (*p == '.') {
            seen_point = true;
            continue;
        }
        digits[n++] = *p;
        if (!seen_point)
            ip++;
    }
    int start = 0;
    while (start < n && digits[start] == '0')
        start++;
    if (start == n) {                     /* rounds to zero */
        digits[0] = '0';
        digits[1] = 0;
        *decpt = 1;
        *digits_out = digits;
        return 1;
    }
    while (n > start + 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    *decpt = ip - start;
    *digits_out = digits + start;
    return n - start;
}

char *mn_double_to_cstr(double x, char type, int prec, int flags, size_t *lenp)
{
    bool upper = type == 'E' || type == 'F' || type == 'G';
    type = (char)tolower((unsigned char)type);
    bool alt = flags & MN_DTSF_ALT, add_dot_0 = flags & MN_DTSF_ADD_DOT_0;

    if (!isfinite(x)) {
        char *out = gc_alloc_atomic(8), *p = out;
        if (isinf(x)) {
            if (x < 0)
                *p++ = '-';
            else if (flags & MN_DTSF_SIGN)
                *p++ = '+';
            memcpy(p, upper ? "INF" : "inf", 3);
        } else {
            if (flags & MN_DTSF_SIGN)
                *p++ = '+';
            memcpy(p, upper ? "NAN" : "nan", 3);
        }
        p += 3;
        *p = 0;
        *lenp = (size_t)(p - out);
        return out;
    }

    bool neg = signbit(x);
    double ax = fabs(x);
    char sbuf[40], *digits = sbuf;
    int dl, decpt;
    switch (type) {
    case 'e':
        prec++;                         /* digits wanted, incl. the first */
        /* fall through */
    case 'g':
        if (prec == 0)
            prec = 1;
        if (prec <= 20) {
            char buf[48];
            snprintf(buf, sizeof buf, "%.*e", prec - 1, ax);
            dl = split_e(buf, sbuf, &decpt);
        } else {
            size_t cap = (size_t)prec + 16;
            char *buf = gc_alloc_atomic(cap);
            digits = gc_alloc_atomic(cap);
            snprintf(buf, cap, "%.*e", prec - 1, ax);
            dl = split_e(buf, digits, &decpt);
        }
        break;
    case 'f':
        dl = fixed_digits(ax, prec, &digits, &decpt);
        break;
    default:                            /* 'r' */
        dl = shortest_digits(ax, sbuf, &decpt);
        prec = 0;
        break;
    }
    if ((flags & MN_DTSF_NO_NEG_0) && neg && dl == 1 && digits[0] == '0')
        neg = false;

    /* Lay the digits out: the output is a slice [vstart, vend) of the
     * digit string padded with zeros on both sides, a decimal point at
     * decpt, and maybe an exponent. */
    bool use_exp = false;
    int exp = 0, vend = dl;
    switch (type) {
    case 'e':
        use_exp = true;
        vend = prec;
        break;
    case 'f':
        vend = decpt + prec;
        break;
    case 'g':
        if (decpt <= -4 || decpt > (add_dot_0 ? prec - 1 : prec))
            use_exp = true;
        if (alt)
            vend = prec;
        break;
    default:
        if (decpt <= -4 || decpt > 16)
            use_exp = true;
        break;
    }
    if (use_exp) {
        exp = decpt - 1;
        decpt = 1;
    }
    int vstart = decpt <= 0 ? decpt - 1 : 0;
    if (!use_exp && add_dot_0)
        vend = vend > decpt ? vend : decpt + 1;
    else
        vend = vend > decpt ? vend : decpt;

    size_t cap = (size_t)(dl + (decpt < 0 ? -decpt : decpt) + (vend > 0 ? vend : 0) + 32);
    char *out = gc_alloc_atomic(cap), *p = out;
    if (neg)
        *p++ = '-';
    else if (flags & MN_DTSF_SIGN)
        *p++ = '+';
    if (decpt <= 0) {
        memset(p, '0', (size_t)(decpt - vstart));
        p += decpt - vstart;
        *p++ = '.';
        memset(p, '0', (size_t)-decpt);
        p += -decpt;
    } else {
        memset(p, '0', (size_t)-vstart);
        p += -vstart;
    }
    if (0 < decpt && decpt <= dl) {
        memcpy(p, digits, (size_t)decpt);
        p += decpt;
        *p++ = '.';
        memcpy(p, digits + decpt, (size_t)(dl - decpt));
        p += dl - decpt;
    } else {
        memcpy(p, digits, (size_t)dl);
        p += dl;
    }
    if (dl < decpt) {
        memset(p, '0', (size_t)(decpt - dl));
        p += decpt - dl;
        *p++ = '.';
        memset(p, '0', (size_t)(vend - decpt));
        p += vend - decpt;
    } else {
        memset(p, '0', (size_t)(vend - dl));
        p += vend - dl;
    }
    if (p[-1] == '.' && !alt)
        p--;
    if (use_exp) {
        *p++ = upper ? 'E' : 'e';
        p += sprintf(p, "%+.02d", exp);
    }
    *p = 0;
    *lenp = (size_t)(p - out);
    return out;
}

/* ------------------------------------------------------------------ */
/* The format-spec mini-language                                       */
/*   [[fill]align][sign][z][#][0][width][grouping][.precision][type]   */
/* ------------------------------------------------------------------ */

typedef struct {
    char fill[4];               /* UTF-8 of the fill character */
    int fill_len;
    bool fill_zero;             /* fill is '0' */
    char align;                 /* < > = ^ */
    char sign;                  /* 0, '+', '-', ' ' */
    bool no_neg_0;              /* z */
    bool alternate;             /* # */
    int64_t width;              /* -1: none */
    char thousands;             /* 0, ',' or '_' */
    int group;                  /* digits per group: 3, or 4 for _ with b/o/x/X */
    int64_t precision;          /* -1: none */
    uint32_t type;              /* presentation type (code point), 0 = none */
} Spec;

static bool is_align(uint32_t c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

/* Digits at s[*i..n): the value, or -2 when none; -1 on overflow. */
static int64_t spec_integer(const uint32_t *s, size_t n, size_t *i)
{
    int64_t v = 0;
    size_t start = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        int d = (int)(s[*i] - '0');
        if (v > (INT64_MAX - d) / 10) {
            mn_raise(&ValueErrorType, "Too many decimal digits in format string");
            return -1;
        }
        v = v * 10 + d;
        (*i)++;
    }
    return *i == start ? -2 : v;
}

static void type_char_msg(char *buf, uint32_t c)
{
    if (c > 32 && c < 128)
        sprintf(buf, "%c", (char)c);
    else
        sprintf(buf, "\\x%x", (unsigned)c);
}

static Value unknown_type(uint32_t type, Value obj)
{
    char t[16];
    type_char_msg(t, type);
    return mn_raise(&ValueErrorType, "Unknown format code '%s' for object of type '%s'", t,
                    mn_type_name(obj));
}

static int parse_spec(Value obj, Value spec, Spec *f, char default_type, char default_align)
{
    const char *text = mn_cstr(spec);
    size_t tlen = (size_t)mn_str_len(spec);
    uint32_t small[64], *s = small;
    if (tlen > 64)
        s = gc_alloc_atomic(tlen * sizeof *s);
    size_t n = 0;
    for (const char *p = text, *end = text + tlen; p < end;)
        s[n++] = utf8_next(&p, end);

    f->fill[0] = ' ';
    f->fill_len = 1;
    f->fill_zero = false;
    f->align = default_align;
    f->sign = 0;
    f->no_neg_0 = false;
    f->alternate = false;
    f->width = -1;
    f->thousands = 0;
    f->group = 3;
    f->precision = -1;
    f->type = (uint32_t)default_type;

    size_t i = 0;
    bool align_given = false, fill_given = false;
    if (n >= 2 && is_align(s[1])) {
        f->align = (char)s[1];
        f->fill_len = utf8_put(s[0], f->fill);
        f->fill_zero = s[0] == '0';
        fill_given = align_given = true;
        i = 2;
    } else if (n >= 1 && is_align(s[0])) {
        f->align = (char)s[0];
        align_given = true;
        i = 1;
    }
    if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' '))
        f->sign = (char)s[i++];
    if (i < n && s[i] == 'z') {
        f->no_neg_0 = true;
        i++;
    }
    if (i < n && s[i] == '#') {
        f->alternate = true;
        i++;
    }
    if (!fill_given && i < n && s[i] == '0') {
        f->fill[0] = '0';
        f->fill_len = 1;
        f->fill_zero = true;
        if (!align_given && default_align == '>')
            f->align = '=';
        i++;
    }
    int64_t w = spec_integer(s, n, &i);
    if (w == -1)
        return -1;
    f->width = w == -2 ? -1 : w;
    if (i < n && s[i] == ',') {
        f->thousands = ',';
        i++;
    }
    if (i < n && s[i] == '_') {
        if (f->thousands) {
            mn_raise(&ValueErrorType, "Cannot specify both ',' and '_'.");
            return -1;
        }
        f->thousands = '_';
        i++;
    }
    if (i < n && s[i] == ',' && f->thousands == '_') {
        mn_raise(&ValueErrorType, "Cannot specify both ',' and '_'.");
        return -1;
    }
    if (i < n && s[i] == '.') {
        i++;
        int64_t p = spec_integer(s, n, &i);
        if (p == -1)
            return -1;
        if (p == -2) {
            mn_raise(&ValueErrorType, "Format specifier missing precision");
            return -1;
        }
        f->precision = p;
    }
    if (n - i > 1) {
        mn_raise(&ValueErrorType, "Invalid format specifier '%s' for object of type '%s'",
                 text, mn_type_name(obj));
        return -1;
    }
    if (n - i == 1)
        f->type = s[i];
    if (f->thousands) {
        switch (f->type) {
        case 'd': case 'e': case 'f': case 'g': case 'E': case 'G': case '%': case 'F': case 0:
            break;
        case 'b': case 'o': case 'x': case 'X':
            if (f->thousands == '_') {
                f->group = 4;
                break;
            }
            /* fall through */
        default: {
            char t[16];
            type_char_msg(t, f->type);
            mn_raise(&ValueErrorType, "Cannot specify '%c' with '%s'.", f->thousands, t);
            return -1;
        }
        }
    }
    return 0;
}

/* Digits grouped with separators, left-padded with zeros to min_width
 * characters (CPython's _PyUnicode_InsertThousandsGrouping). */
static void add_grouped(StrBuf *b, const char *digits, int64_t nd, int64_t min_width,
                        int group, char sep)
{
    int64_t cap = (nd > min_width ? nd : min_width) * 2 + 8;
    char small[128], *rev = cap <= (int64_t)sizeof small ? small : gc_alloc_atomic((size_t)cap);
    int64_t k = 0, pos = nd, remaining = nd;
    bool use_sep = false, done = false;
    if (group > 0) {
        for (;;) {
            int64_t len = remaining > min_width ? remaining : min_width;
            if (len < 1)
                len = 1;
            if (len > group)
                len = group;
            int64_t zeros = len - remaining > 0 ? len - remaining : 0;
            int64_t chars = remaining < len ? remaining : len;
            if (chars < 0)
                chars = 0;
            if (use_sep)
                rev[k++] = sep;
            for (int64_t i = 0; i < chars; i++)
                rev[k++] = digits[--pos];
            for (int64_t i = 0; i < zeros; i++)
                rev[k++] = '0';
            use_sep = true;
            remaining -= chars;
            min_width -= len;
            if (remaining <= 0 && min_width <= 0) {
                done = true;
                break;
            }
            min_width -= 1;
        }
    }
    if (!done) {
        int64_t len = remaining > min_width ? remaining : min_width;
        if (len < 1)
            len = 1;
        int64_t zeros = len - remaining > 0 ? len - remaining : 0;
        int64_t chars = remaining < len ? remaining : len;
        if (chars < 0)
            chars = 0;
        if (use_sep)
            rev[k++] = sep;
        for (int64_t i = 0; i < chars; i++)
            rev[k++] = digits[--pos];
        for (int64_t i = 0; i < zeros; i++)
            rev[k++] = '0';
    }
    for (int64_t i = 0, j = k - 1; i < j; i++, j--) {
        char t = rev[i];
        rev[i] = rev[j];
        rev[j] = t;
    }
    add(b, rev, (size_t)k);
}

static int64_t grouped_len(int64_t nd, int64_t min_width, int group)
{
    /* count by running the same algorithm without output */
    int64_t count = 0, remaining = nd;
    bool use_sep = false;
    if (group > 0) {
        for (;;) {
            int64_t len = remaining > min_width ? remaining : min_width;
            if (len < 1)
                len = 1;
            if (len > group)
                len = group;
            int64_t zeros = len - remaining > 0 ? len - remaining : 0;
            int64_t chars = remaining < len ? remaining : len;
            if (chars < 0)
                chars = 0;
            count += (use_sep ? 1 : 0) + zeros + chars;
            use_sep = true;
            remaining -= chars;
            min_width -= len;
            if (remaining <= 0 && min_width <= 0)
                return count;
            min_width -= 1;
        }
    }
    int64_t len = remaining > min_width ? remaining : min_width;
    if (len < 1)
        len = 1;
    return count + len;
}

/* Lay out a number: [lpad][sign][prefix][spad][digits][rest][rpad].
 * digits are the integer digits (grouped and zero-padded per spec), rest
 * is everything after them (decimal point, fraction, exponent, '%', or
 * the character of 'c'), rest_chars its length in code points. */
static Value fill_number(const Spec *f, bool negative, const char *prefix, int nprefix,
                         const char *digits, int64_t nd, const char *rest, size_t rest_len,
                         int64_t rest_chars, bool upper)
{
    char sign = 0;
    if (f->sign == '+')
        sign = negative ? '-' : '+';
    else if (f->sign == ' ')
        sign = negative ? '-' : ' ';
    else if (negative)
        sign = '-';
    int64_t non_digit = (sign ? 1 : 0) + nprefix + rest_chars;
    int64_t min_width = (f->fill_zero && f->align == '=') ? f->width - non_digit : 0;
    int group = f->thousands ? f->group : 0;
    int64_t ngrouped = nd ? grouped_len(nd, min_width, group) : 0;
    int64_t pad = f->width - (non_digit + ngrouped);
    int64_t lpad = 0, spad = 0, rpad = 0;
    if (pad > 0) {
        switch (f->align) {
        case '<': rpad = pad; break;
        case '^': lpad = pad / 2; rpad = pad - lpad; break;
        case '=': spad = pad; break;
        default: lpad = pad; break;
        }
    }
    StrBuf b;
    sb_init(&b);
    sb_fill(&b, f->fill, f->fill_len, lpad);
    if (sign)
        sb_addc(&b, sign);
    for (int i = 0; i < nprefix; i++)
        sb_addc(&b, upper ? (char)toupper((unsigned char)prefix[i]) : prefix[i]);
    sb_fill(&b, f->fill, f->fill_len, spad);
    if (nd) {
        size_t at = b.len;
        add_grouped(&b, digits, nd, min_width, group, f->thousands);
        if (upper)
            for (size_t i = at; i < b.len; i++)
                b.buf[i] = (char)toupper((unsigned char)b.buf[i]);
    }
    add(&b, rest, rest_len);
    sb_fill(&b, f->fill, f->fill_len, rpad);
    return sb_finish(&b);
}

/* format(x, spec) for a float value with a parsed spec (also ints with
 * e/f/g/%). */
static Value format_double(double x, const Spec *f)
{
    int flags = 0;
    uint32_t type = f->type;
    int default_prec = 6;
    if (f->precision > INT32_MAX)
        return mn_raise(&ValueErrorType, "precision too big");
    int prec = (int)f->precision;
    if (f->alternate)
        flags |= MN_DTSF_ALT;
    if (f->no_neg_0)
        flags |= MN_DTSF_NO_NEG_0;
    if (type == 0) {
        flags |= MN_DTSF_ADD_DOT_0;
        type = 'r';
        default_prec = 0;
    }
    if (type == 'n')
        type = 'g';
    bool pct = false;
    if (type == '%') {
        type = 'f';
        x *= 100;
        pct = true;
    }
    if (prec < 0)
        prec = default_prec;
    else if (type == 'r')
        type = 'g';
    size_t len;
    char *buf = mn_double_to_cstr(x, (char)type, prec, flags, &len);
    if (f->sign != '+' && f->sign != ' ' && f->width == -1 && f->type != 'n' && !f->thousands
        && !pct)
        return mn_str_new(buf, len);            /* nothing to lay out */
    bool neg = buf[0] == '-';
    const char *p = buf + neg, *end = buf + len;
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    size_t rest_len = (size_t)(end - q);
    char *rest = (char *)q;
    if (pct) {
        rest = gc_alloc_atomic(rest_len + 2);
        memcpy(rest, q, rest_len);
        rest[rest_len++] = '%';
    }
    Spec g = *f;
    if (f->type == 'n')
        g.thousands = 0;
    return fill_number(&g, neg, "", 0, p, q - p, rest, rest_len, (int64_t)rest_len, false);
}

/* format(int, spec) after parsing, for b c d o x X n. */
static Value format_long(Value v, const Spec *f)
{
    if (f->precision != -1)
        return mn_raise(&ValueErrorType, "Precision not allowed in integer format specifier");
    if (f->no_neg_0)
        return mn_raise(&ValueErrorType,
                        "Negative zero coercion (z) not allowed in integer format specifier");
    if (f->type == 'c') {
        if (f->sign)
            return mn_raise(&ValueErrorType, "Sign not allowed with integer format specifier 'c'");
        if (f->alternate)
            return mn_raise(&ValueErrorType,
                            "Alternate form (#) not allowed with integer format specifier 'c'");
        int64_t x;
        if (mn_as_i64(v, &x) < 0)
            return MN_ERR;
        if (x < 0 || x > 0x10ffff)
            return mn_raise(&OverflowErrorType, "%%c arg not in range(0x110000)");
        char ch[4];
        int n = utf8_put((uint32_t)x, ch);
        return fill_number(f, false, "", 0, "", 0, ch, (size_t)n, 1, false);
    }
    if (mn_is_int(v) && f->type == 'd' && f->sign != '+' && f->sign != ' ' && f->width == -1
        && !f->thousands)
        return IntType.repr(v);                 /* plain decimal: nothing to lay out */
    int base = 10;
    const char *prefix = "";
    switch (f->type) {
    case 'b': base = 2; prefix = "0b"; break;
    case 'o': base = 8; prefix = "0o"; break;
    case 'x': case 'X': base = 16; prefix = "0x"; break;
    default: break;
    }
    size_t len;
    char *digits = mn_int_to_cstr(v, base, &len);
    if (!digits)
        return MN_ERR;
    bool neg = digits[0] == '-';
    Spec g = *f;
    if (f->type == 'n')
        g.thousands = 0;
    return fill_number(&g, neg, prefix, f->alternate ? 2 : 0, digits + neg,
                       (int64_t)len - neg, "", 0, 0, f->type == 'X');
}

Value mn_int_format(Value v, Value spec)
{
    if (mn_str_len(spec) == 0) {
        if (mn_is_int(v) || MN_IS_EXACT(v, IntType))
            return mn_repr(v);
        return mn_to_str(v);
    }
    Spec f;
    if (parse_spec(v, spec, &f, 'd', '>') < 0)
        return MN_ERR;
    switch (f.type) {
    case 'b': case 'c': case 'd': case 'o': case 'x': case 'X': case 'n':
        return format_long(v, &f);
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%': {
        double d;
        if (mn_int_as_double(v, &d) < 0)
            return MN_ERR;
        return format_double(d, &f);
    }
    default:
        return unknown_type(f.type, v);
    }
}

Value mn_float_format(Value v, Value spec)
{
    if (mn_str_len(spec) == 0)
        return mn_to_str(v);
    Spec f;
    if (parse_spec(v, spec, &f, 0, '>') < 0)
        return MN_ERR;
    switch (f.type) {
    case 0: case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'n': case '%':
        return format_double(AS(FloatObject, v)->v, &f);
    default:
        return unknown_type(f.type, v);
    }
}

Value mn_str_format_spec(Value s, Value spec)
{
    if (mn_str_len(spec) == 0)
        return MN_IS_EXACT(s, StrType) ? s : mn_to_str(s);
    Spec f;
    if (parse_spec(s, spec, &f, 's', '<') < 0)
        return MN_ERR;
    if (f.type != 's')
        return unknown_type(f.type, s);
    if (f.sign == ' ')
        return mn_raise(&ValueErrorType, "Space not allowed in string format specifier");
    if (f.sign)
        return mn_raise(&ValueErrorType, "Sign not allowed in string format specifier");
    if (f.no_neg_0)
        return mn_raise(&ValueErrorType,
                        "Negative zero coercion (z) not allowed in string format specifier");
    if (f.alternate)
        return mn_raise(&ValueErrorType,
                        "Alternate form (#) not allowed in string format specifier");
    if (f.align == '=')
        return mn_raise(&ValueErrorType, "'=' alignment not allowed in string format specifier");
    int64_t len = str_chars(s);
    if ((f.width == -1 || f.width <= len) && (f.precision == -1 || f.precision >= len))
        return MN_IS_EXACT(s, StrType) ? s : mn_str_new(mn_cstr(s), (size_t)mn_str_len(s));
    if (f.precision >= 0 && len >= f.precision)
        len = f.precision;
    size_t bytes = utf8_prefix(mn_cstr(s), (size_t)mn_str_len(s), len);
    int64_t total = f.width > len ? f.width : len;
    int64_t lpad = f.align == '>' ? total - len : f.align == '^' ? (total - len) / 2 : 0;
    int64_t rpad = total - len - lpad;
    StrBuf b;
    sb_init(&b);
    sb_fill(&b, f.fill, f.fill_len, lpad);
    add(&b, mn_cstr(s), bytes);
    sb_fill(&b, f.fill, f.fill_len, rpad);
    return sb_finish(&b);
}

/* ------------------------------------------------------------------ */
/* ascii()                                                             */
/* ------------------------------------------------------------------ */

static Value ascii_escape(Value r)
{
    const char *p = mn_cstr(r), *end = p + mn_str_len(r);
    const char *q = p;
    while (q < end && (unsigned char)*q < 0x80)
        q++;
    if (q == end)
        return r;
    StrBuf b;
    sb_init(&b);
    while (p < end) {
        if ((unsigned char)*p < 0x80) {
            sb_addc(&b, *p++);
            continue;
        }
        uint32_t c = utf8_next(&p, end);
        if (c < 0x100)
            sb_addf(&b, "\\x%02x", c);
        else if (c < 0x10000)
            sb_addf(&b, "\\u%04x", c);
        else
            sb_addf(&b, "\\U%08x", c);
    }
    return sb_finish(&b);
}

Value mn_ascii(Value v)
{
    Value r = mn_repr(v);
    return r ? ascii_escape(r) : MN_ERR;
}

/* ------------------------------------------------------------------ */
/* printf-style formatting: str % args                                  */
/* ------------------------------------------------------------------ */

enum { F_LJUST = 1, F_SIGN = 2, F_BLANK = 4, F_ALT = 8, F_ZERO = 16 };

typedef struct {
    Value args;                 /* the tuple, the single value, or a %(key) value */
    int64_t arglen, argidx;     /* arglen -1: a single value (argidx -2 unused) */
    Value dict;                 /* mapping for %(key)s, or 0 */
} ModCtx;

static Value next_arg(ModCtx *c)
{
    if (c->argidx < c->arglen) {
        int64_t i = c->argidx++;
        if (c->arglen < 0)
            return c->args;
        return mn_tuple_items(c->args)[i];
    }
    return mn_raise(&TypeErrorType, "not enough arguments for format string");
}

/* Does v act as a number for %d (PyNumber_Check)? */
static bool is_number(Value v)
{
    if (mn_is_int(v) || mn_is_intlike(v) || mn_isinstance_t(v, &FloatType))
        return true;
    Type *t = mn_typeof(v);
    return mn_type_lookup(t, MN_ID(__index__)) || mn_type_lookup(t, MN_ID(__int__))
        || mn_type_lookup(t, MN_ID(__float__));
}

/* %d %i %u %o %x %X: the text of the number (sign, prefix with '#',
 * precision as minimum digits, upper case for X), or MN_ERR. */
static Value format_long_mod(Value v, uint32_t type, int flags, int64_t prec)
{
    char tc = (char)type;
    if (!is_number(v))
        goto wrongtype;
    if (!mn_is_intlike(v)) {
        Value iobj;
        if (tc == 'o' || tc == 'x' || tc == 'X')
            iobj = mn_number_index(v);
        else if (MN_IS_EXACT(v, FloatType))
            iobj = mn_int_from_double(AS(FloatObject, v)->v);
        else {
            Value it = mn_val(&IntType);
            iobj = mn_call(it, &v, 1, 0);
        }
        if (!iobj) {
            if (mn_exc_matches(&TypeErrorType)) {
                mn_exc_clear();
                goto wrongtype;
            }
            return MN_ERR;
        }
        v = iobj;
    }
    int base = tc == 'o' ? 8 : (tc == 'x' || tc == 'X') ? 16 : 10;
    size_t len;
    char *d = mn_int_to_cstr(v, base, &len);
    if (!d)
        return MN_ERR;
    bool neg = d[0] == '-';
    const char *digits = d + neg;
    int64_t nd = (int64_t)len - neg;
    StrBuf b;
    sb_init(&b);
    if (neg)
        sb_addc(&b, '-');
    if ((flags & F_ALT) && base != 10) {
        sb_addc(&b, '0');
        sb_addc(&b, tc == 'o' ? 'o' : tc);
    }
    sb_pad(&b, '0', prec - nd);
    size_t at = b.len;
    add(&b, digits, (size_t)nd);
    if (tc == 'X')
        for (size_t i = at; i < b.len; i++)
            b.buf[i] = (char)toupper((unsigned char)b.buf[i]);
    return sb_finish(&b);
wrongtype:
    if (tc == 'o' || tc == 'x' || tc == 'X')
        return mn_raise(&TypeErrorType, "%%%c format: an integer is required, not %s", tc,
                        mn_type_name(v));
    return mn_raise(&TypeErrorType, "%%%c format: a real number is required, not %s", tc,
                    mn_type_name(v));
}

/* %c: a one-character str or an integer code point. */
static Value format_char_mod(Value v)
{
    if (mn_is_str(v)) {
        if (str_chars(v) == 1)
            return mn_str_new(mn_cstr(v), (size_t)mn_str_len(v));
        goto bad;
    }
    if (!mn_is_intlike(v) && !mn_type_lookup(mn_typeof(v), MN_ID(__index__)))
        goto bad;
    int64_t x;
    if (mn_as_index(v, &x) < 0) {
        if (mn_exc_matches(&OverflowErrorType)) {
            mn_exc_clear();
            x = -1;
        } else if (mn_exc_matches(&TypeErrorType)) {
            mn_exc_clear();
            goto bad;
        } else {
            return MN_ERR;
        }
    }
    if (x < 0 || x > 0x10ffff)
        return mn_raise(&OverflowErrorType, "%%c arg not in range(0x110000)");
    return mn_str_from_codepoint((uint32_t)x);
bad:
    return mn_raise(&TypeErrorType, "%%c requires int or char");
}

/* Pad/sign one converted argument into the output
 * (unicode_format_arg_output). */
static void mod_output(StrBuf *out, Value str, uint32_t ch, int flags, int64_t width,
                       int64_t prec, bool numeric)
{
    const char *s = mn_cstr(str);
    size_t blen = (size_t)mn_str_len(str);
    int64_t len = str_chars(str);
    char fill = (numeric && (flags & F_ZERO)) ? '0' : ' ';
    if ((width == -1 || width <= len) && (prec == -1 || prec >= len)
        && !(flags & (F_SIGN | F_BLANK))) {
        add(out, s, blen);
        return;
    }
    if ((ch == 's' || ch == 'r' || ch == 'a') && prec >= 0 && len > prec)
        len = prec;
    size_t pindex = 0;
    char signchar = 0;
    bool sign = numeric;
    if (sign) {
        if (s[0] == '-' || s[0] == '+') {
            signchar = s[0];
            len--;
            pindex++;
        } else if (flags & F_SIGN) {
            signchar = '+';
        } else if (flags & F_BLANK) {
            signchar = ' ';
        } else {
            sign = false;
        }
    }
    if (width < len)
        width = len;
    if (sign) {
        if (fill != ' ')
            sb_addc(out, signchar);
        if (width > len)
            width--;
    }
    bool hexpfx = (flags & F_ALT) && (ch == 'x' || ch == 'X' || ch == 'o');
    if (hexpfx) {
        if (fill != ' ') {
            add(out, s + pindex, 2);
            pindex += 2;
        }
        width -= 2;
        if (width < 0)
            width = 0;
        len -= 2;
    }
    if (width > len && !(flags & F_LJUST)) {
        sb_pad(out, fill, width - len);
        width = len;
    }
    if (fill == ' ') {
        if (sign)
            sb_addc(out, signchar);
        if (hexpfx) {
            add(out, s + pindex, 2);
            pindex += 2;
        }
    }
    if (len > 0)
        add(out, s + pindex, utf8_prefix(s + pindex, blen - pindex, len));
    sb_pad(out, ' ', width - len);
}

static Value unsupported_char(uint32_t ch, const char *fmt, const char *at)
{
    return mn_raise(&ValueErrorType, "unsupported format character '%c' (0x%x) at index %lld",
                    (ch >= 31 && ch <= 126) ? (char)ch : '?', (unsigned)ch,
                    (long long)utf8_count(fmt, (size_t)(at - fmt)));
}

Value mn_str_mod(Value fmtv, Value args)
{
    const char *fmt = mn_cstr(fmtv), *p = fmt, *end = fmt + mn_str_len(fmtv);
    ModCtx c;
    c.dict = 0;
    if (mn_is_tuple(args)) {
        c.args = args;
        c.arglen = mn_tuple_len(args);
        c.argidx = 0;
    } else {
        c.args = args;
        c.arglen = -1;
        c.argidx = -2;
        if (!mn_is_str(args) && mn_typeof(args)->getitem)
            c.dict = args;
    }
    StrBuf out;
    sb_init(&out);
    while (p < end) {
        const char *pct = memchr(p, '%', (size_t)(end - p));
        if (!pct) {
            add(&out, p, (size_t)(end - p));
            break;
        }
        add(&out, p, (size_t)(pct - p));
        p = pct + 1;
        if (p < end && *p == '%') {
            sb_addc(&out, '%');
            p++;
            continue;
        }
        int flags = 0;
        int64_t width = -1, prec = -1;
        if (p < end && *p == '(') {
            if (!c.dict)
                return mn_raise(&TypeErrorType, "format requires a mapping");
            const char *ks = ++p;
            int depth = 1;
            while (p < end && depth > 0) {
                if (*p == ')')
                    depth--;
                else if (*p == '(')
                    depth++;
                p++;
            }
            if (depth > 0)
                return mn_raise(&ValueErrorType, "incomplete format key");
            Value key = mn_str_new(ks, (size_t)(p - 1 - ks));
            Value v = mn_getitem(c.dict, key);
            if (!v)
                return MN_ERR;
            c.args = v;
            c.arglen = -1;
            c.argidx = -2;
        }
        for (; p < end; p++) {
            if (*p == '-') flags |= F_LJUST;
            else if (*p == '+') flags |= F_SIGN;
            else if (*p == ' ') flags |= F_BLANK;
            else if (*p == '#') flags |= F_ALT;
            else if (*p == '0') flags |= F_ZERO;
            else break;
        }
        if (p < end && *p == '*') {
            Value v = next_arg(&c);
            if (!v)
                return MN_ERR;
            if (!mn_is_intlike(v))
                return mn_raise(&TypeErrorType, "* wants int");
            if (mn_as_i64(v, &width) < 0)
                return MN_ERR;
            if (width < 0) {
                flags |= F_LJUST;
                width = -width;
            }
            p++;
        } else if (p < end && *p >= '0' && *p <= '9') {
            width = 0;
            while (p < end && *p >= '0' && *p <= '9') {
                if (width > (INT64_MAX - 9) / 10)
                    return mn_raise(&ValueErrorType, "width too big");
                width = width * 10 + (*p++ - '0');
            }
        }
        if (p < end && *p == '.') {
            prec = 0;
            p++;
            if (p < end && *p == '*') {
                Value v = next_arg(&c);
                if (!v)
                    return MN_ERR;
                if (!mn_is_intlike(v))
                    return mn_raise(&TypeErrorType, "* wants int");
                if (mn_as_i64(v, &prec) < 0)
                    return MN_ERR;
                if (prec < 0)
                    prec = 0;
                p++;
            } else {
                while (p < end && *p >= '0' && *p <= '9') {
                    if (prec > (INT32_MAX - 9) / 10)
                        return mn_raise(&ValueErrorType, "precision too big");
                    prec = prec * 10 + (*p++ - '0');
                }
            }
        }
        if (p < end && (*p == 'h' || *p == 'l' || *p == 'L'))
            p++;
        if (p >= end)
            return mn_raise(&ValueErrorType, "incomplete format");
        const char *at = p;
        uint32_t ch = utf8_next(&p, end);
        Value v = next_arg(&c);
        if (!v)
            return MN_ERR;
        Value str;
        bool numeric = false;
        switch (ch) {
        case 's':
            str = MN_IS_EXACT(v, StrType) ? v : mn_to_str(v);
            break;
        case 'r':
            str = mn_repr(v);
            break;
        case 'a':
            str = mn_ascii(v);
            break;
        case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
            if (mn_is_int(v) && ch != 'o' && ch != 'x' && ch != 'X' && !flags &&
                prec < 0 && width < 0) {
                /* plain %d of a small int: digits straight into the output */
                if (sb_add_value_str(&out, v) < 0)   /* cannot fail for ints */
                    return MN_ERR;
                continue;
            }
            str = format_long_mod(v, ch == 'i' || ch == 'u' ? 'd' : ch, flags, prec);
            numeric = true;
            break;
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': {
            double x;
            if (mn_to_double(v, &x) < 0)
                return MN_ERR;
            size_t n;
            char *t = mn_double_to_cstr(x, (char)ch, prec < 0 ? 6 : (int)prec,
                                        (flags & F_ALT) ? MN_DTSF_ALT : 0, &n);
            str = mn_str_new(t, n);
            numeric = true;
            break;
        }
        case 'c':
            str = format_char_mod(v);
            break;
        default:
            return unsupported_char(ch, fmt, at);
        }
        if (!str)
            return MN_ERR;
        mod_output(&out, str, ch, flags, width, prec, numeric);
    }
    if (c.argidx < c.arglen && !c.dict)
        return mn_raise(&TypeErrorType, "not all arguments converted during string formatting");
    return sb_finish(&out);
}

/* ------------------------------------------------------------------ */
/* str.format                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    Value *args;                /* positional arguments */
    int nargs;
    Value kwargs;               /* dict or 0 */
    int auto_state;             /* 0 unknown, 1 automatic, 2 manual */
    int64_t auto_next;
} FmtCtx;

/* A field index: all ASCII digits -> value, else -1 (-2 on overflow). */
static int64_t field_integer(const char *s, const char *e)
{
    if (s == e)
        return -1;
    int64_t v = 0;
    for (const char *p = s; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (v > (INT64_MAX - 9) / 10) {
            mn_raise(&ValueErrorType, "Too many decimal digits in format string");
            return -2;
        }
        v = v * 10 + (*p - '0');
    }
    return v;
}

static Value get_field(const char *s, const char *e, FmtCtx *c)
{
    const char *q = s;
    while (q < e && *q != '.' && *q != '[')
        q++;
    int64_t idx = field_integer(s, q);
    if (idx == -2)
        return MN_ERR;
    bool empty = q == s;
    if (empty || idx != -1) {
        if (c->auto_state == 0)
            c->auto_state = empty ? 1 : 2;
        if (c->auto_state == 2 && empty)
            return mn_raise(&ValueErrorType, "cannot switch from manual field specification "
                                             "to automatic field numbering");
        if (c->auto_state == 1 && !empty)
            return mn_raise(&ValueErrorType, "cannot switch from automatic field numbering "
                                             "to manual field specification");
        if (empty)
            idx = c->auto_next++;
    }
    Value obj;
    if (idx == -1) {
        Value key = mn_str_new(s, (size_t)(q - s));
        if (!c->kwargs)
            return mn_raise_value(&KeyErrorType, key);
        obj = mn_getitem(c->kwargs, key);
    } else {
        if (idx >= c->nargs)
            return mn_raise(&IndexErrorType,
                            "Replacement index %lld out of range for positional args tuple",
                            (long long)idx);
        obj = c->args[idx];
    }
    while (obj && q < e) {
        char kind = *q++;
        const char *ns = q;
        if (kind == '.') {
            while (q < e && *q != '.' && *q != '[')
                q++;
            if (q == ns)
                return mn_raise(&ValueErrorType, "Empty attribute in format string");
            obj = mn_getattr(obj, mn_intern(gc_strndup(ns, (size_t)(q - ns))));
        } else if (kind == '[') {
            while (q < e && *q != ']')
                q++;
            if (q >= e)
                return mn_raise(&ValueErrorType, "Missing ']' in format string");
            const char *ne = q++;
            if (ne == ns)
                return mn_raise(&ValueErrorType, "Empty attribute in format string");
            int64_t i = field_integer(ns, ne);
            if (i == -2)
                return MN_ERR;
            obj = mn_getitem(obj, i >= 0 ? mn_int_from_i64(i) : mn_str_new(ns, (size_t)(ne - ns)));
        } else {
            return mn_raise(&ValueErrorType,
                            "Only '.' or '[' may follow ']' in format field specifier");
        }
    }
    return obj;
}

static int render_format(StrBuf *out, const char *s, const char *end, FmtCtx *c, int depth);

/* One replacement field; p points just after its '{'.  Returns the
 * position after the closing '}' or NULL on error. */
static const char *render_field(StrBuf *out, const char *p, const char *end, FmtCtx *c,
                                int depth)
{
    const char *fs = p;
    char ch = 0;
    while (p < end) {
        ch = *p++;
        if (ch == '{') {
            mn_raise(&ValueErrorType, "unexpected '{' in field name");
            return NULL;
        }
        if (ch == '[') {
            while (p < end && *p != ']')
                p++;
            continue;
        }
        if (ch == '}' || ch == ':' || ch == '!')
            break;
    }
    const char *fe = p - 1;
    uint32_t conv = 0;
    const char *ss = NULL, *se = NULL;
    bool expand = false;
    if (ch == '!' || ch == ':') {
        bool have_spec = true;
        if (ch == '!') {
            if (p >= end) {
                mn_raise(&ValueErrorType, "end of string while looking for conversion specifier");
                return NULL;
            }
            conv = utf8_next(&p, end);
            if (p < end) {
                char c2 = *p++;
                if (c2 == '}')
                    have_spec = false;
                else if (c2 != ':') {
                    mn_raise(&ValueErrorType, "expected ':' after conversion specifier");
                    return NULL;
                }
            }
        }
        if (have_spec) {
            ss = p;
            int count = 1;
            while (p < end) {
                char x = *p++;
                if (x == '{') {
                    expand = true;
                    count++;
                } else if (x == '}' && --count == 0) {
                    se = p - 1;
                    break;
                }
            }
            if (!se) {
                mn_raise(&ValueErrorType, "unmatched '{' in format spec");
                return NULL;
            }
        }
    } else if (ch != '}') {
        mn_raise(&ValueErrorType, "expected '}' before end of string");
        return NULL;
    }

    Value obj = get_field(fs, fe, c);
    if (!obj)
        return NULL;
    if (conv) {
        switch (conv) {
        case 'r': obj = mn_repr(obj); break;
        case 's': obj = mn_to_str(obj); break;
        case 'a': obj = mn_ascii(obj); break;
        default:
            if (conv > 32 && conv < 127)
                mn_raise(&ValueErrorType, "Unknown conversion specifier %c", (char)conv);
            else
                mn_raise(&ValueErrorType, "Unknown conversion specifier \\x%x", (unsigned)conv);
            return NULL;
        }
        if (!obj)
            return NULL;
    }
    Value spec;
    if (!ss || ss == se) {
        /* the common "{}" / "{0}" case: skip the __format__ machinery */
        if (MN_IS_EXACT(obj, StrType)) {
            add(out, mn_cstr(obj), (size_t)mn_str_len(obj));
            return p;
        }
        if (mn_is_int(obj))
            return sb_add_value_str(out, obj) < 0 ? NULL : p;
        spec = mn_str_new("", 0);
    } else if (expand) {
        StrBuf sb;
        sb_init(&sb);
        if (render_format(&sb, ss, se, c, depth - 1) < 0)
            return NULL;
        spec = sb_finish(&sb);
    } else {
        spec = mn_str_new(ss, (size_t)(se - ss));
    }
    Value r = mn_format(obj, spec);
    if (!r)
        return NULL;
    add(out, mn_cstr(r), (size_t)mn_str_len(r));
    return p;
}

static int render_format(StrBuf *out, const char *s, const char *end, FmtCtx *c, int depth)
{
    if (depth <= 0) {
        mn_raise(&ValueErrorType, "Max string recursion exceeded");
        return -1;
    }
    const char *p = s;
    while (p < end) {
        const char *start = p;
        char ch = 0;
        bool markup = false;
        while (p < end) {
            ch = *p++;
            if (ch == '{' || ch == '}') {
                markup = true;
                break;
            }
        }
        size_t len = (size_t)(p - start);
        if (markup) {
            bool at_end = p >= end;
            if (ch == '}' && (at_end || *p != '}')) {
                mn_raise(&ValueErrorType, "Single '}' encountered in format string");
                return -1;
            }
            if (at_end && ch == '{') {
                mn_raise(&ValueErrorType, "Single '{' encountered in format string");
                return -1;
            }
            if (*p == ch) {             /* {{ or }} */
                p++;
                markup = false;
            } else {
                len--;
            }
        }
        add(out, start, len);
        if (markup) {
            p = render_field(out, p, end, c, depth);
            if (!p)
                return -1;
        }
    }
    return 0;
}

Value mn_str_format_method(Value *args, int nargs, Value kwargs)
{
    Value fmt = args[0];
    FmtCtx c = {args + 1, nargs - 1, kwargs, 0, 0};
    StrBuf out;
    sb_init(&out);
    const char *s = mn_cstr(fmt);
    if (render_format(&out, s, s + mn_str_len(fmt), &c, 2) < 0)
        return MN_ERR;
    return sb_finish(&out);
}
