/*
 * strbuf.c -- StrBuf, the growable UTF-8 buffer used to build strings.
 *
 * The buffer is allocated as the body of a future StrObject: `buf` points
 * at the `data` member of an (unfinished) string object, so sb_finish only
 * fills in the header and never copies the bytes.  The collector treats
 * `buf` as an interior pointer, which keeps the block alive while we build.
 * A StrBuf is private to the code building it (it is not an object and is
 * never shared between threads).
 */
#include <stdlib.h>
#include <string.h>

#include "object.h"

#define HDR offsetof(StrObject, data)

void sb_init(StrBuf *b)
{
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
}

static void sb_grow(StrBuf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 30;
    while (cap < need)
        cap = cap + (cap >> 1) + 16;
    char *base;
    if (b->buf)
        base = gc_realloc(b->buf - HDR, HDR + cap + 1);
    else
        base = gc_alloc_atomic_uninit(HDR + cap + 1);   /* sb_finish fills the header */
    b->buf = base + HDR;
    b->cap = cap;
}

void sb_add(StrBuf *b, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap)
        sb_grow(b, b->len + n);
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

void sb_adds(StrBuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_addc(StrBuf *b, char c)
{
    if (b->len + 1 > b->cap)
        sb_grow(b, b->len + 1);
    b->buf[b->len++] = c;
}

void sb_addf(StrBuf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? room + 1 : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > room || !b->buf) {
        sb_grow(b, b->len + (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Decimal text of a small int, without going through an object. */
static void add_small_int(StrBuf *b, intptr_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uintptr_t u = v < 0 ? (uintptr_t)0 - (uintptr_t)v : (uintptr_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    sb_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

int sb_add_value_str(StrBuf *b, Value v)
{
    if (mn_is_int(v)) {
        add_small_int(b, mn_int_val(v));
        return 0;
    }
    if (!MN_IS_EXACT(v, StrType)) {
        v = mn_to_str(v);
        if (!v)
            return -1;
    }
    sb_add(b, mn_cstr(v), (size_t)mn_str_len(v));
    return 0;
}

int sb_add_value_repr(StrBuf *b, Value v)
{
    if (mn_is_int(v)) {
        add_small_int(b, mn_int_val(v));
        return 0;
    }
    v = MN_IS_EXACT(v, StrType) ? mn_str_repr(v) : mn_repr(v);
    if (!v)
        return -1;
    sb_add(b, mn_cstr(v), (size_t)mn_str_len(v));
    return 0;
}

/* Count code points (non-continuation bytes). */
static int64_t count_chars(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int64_t conts = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (!(w & 0x8080808080808080ULL))
            continue;
        conts += __builtin_popcountll(w & ~(w << 1) & 0x8080808080808080ULL);
    }
    for (; i < len; i++)
        conts += (p[i] & 0xC0) == 0x80;
    return (int64_t)len - conts;
}

Value sb_finish(StrBuf *b)
{
    if (b->len <= 1) {
        /* empty and one-byte results come from the shared caches */
        Value r = mn_str_new(b->buf ? b->buf : "", b->len);
        sb_init(b);
        return r;
    }
    char *base = b->buf - HDR;
    /* give back a large unused tail */
    if (b->cap > 256 && b->cap - b->len > b->len / 4)
        base = gc_realloc(base, HDR + b->len + 1);
    StrObject *s = (StrObject *)base;
    s->hdr.type = &StrType;
    s->len = (int64_t)b->len;
    s->nchars = count_chars(s->data, b->len);
    s->hash = 0;
    s->interned = 0;
    s->data[b->len] = 0;
    sb_init(b);
    return mn_val(s);
}
