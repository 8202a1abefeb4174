/*
 * bytes.c -- the immutable bytes type (bytearray is not provided).
 *
 * Stored inline like str, NUL-terminated for convenience.  Indexing gives
 * ints, iteration yields ints; text conversion goes through the codecs in
 * str.c (mn_bytes_decode / str.encode).
 */
#include <ctype.h>
#include <string.h>

#include "object.h"


static BytesObject *bytes_alloc(Type *t, int64_t len)
{
    BytesObject *b;
    if (t == &BytesType) {
        b = gc_alloc_atomic_uninit(sizeof(BytesObject) + (size_t)len + 1);
        b->hdr.type = t;
        b->hash = 0;
        b->data[len] = 0;
    } else {
        b = mn_alloc_obj(t, sizeof(BytesObject) + (size_t)len + 1);
    }
    b->len = len;
    return b;
}

static Value empty_bytes;

Value mn_bytes_new(const void *p, size_t len)
{
    if (len == 0 && empty_bytes)
        return empty_bytes;
    BytesObject *b = bytes_alloc(&BytesType, (int64_t)len);
    if (len)
        memcpy(b->data, p, len);
    if (len == 0)
        empty_bytes = mn_val(b);
    return mn_val(b);
}

#define B(v) AS(BytesObject, v)

static inline bool is_bytes(Value v) { return mn_is_obj(v) && mn_isinstance_t(v, &BytesType); }

/* ------------------------------------------------------------------ */
/* Construction                                                         */
/* ------------------------------------------------------------------ */

/* Append an int 0..255 from a Value. */
static int byte_value(Value v, unsigned char *out)
{
    int64_t x;
    if (mn_is_int(v)) {
        x = mn_int_val(v);
    } else if (mn_as_index(v, &x) < 0) {
        if (!mn_exc_matches(&OverflowErrorType))
            return -1;
        mn_exc_clear();
        x = -1;
    }
    if (x < 0 || x > 255) {
        mn_raise(&ValueErrorType, "bytes must be in range(0, 256)");
        return -1;
    }
    *out = (unsigned char)x;
    return 0;
}

static Value bytes_from_iterable(Value src)
{
    Value l = mn_sequence_to_list(src);
    if (!l)
        return MN_ERR;
    ListObject *lo = AS(ListObject, l);
    BytesObject *b = bytes_alloc(&BytesType, lo->len);
    for (int64_t i = 0; i < lo->len; i++)
        if (byte_value(lo->items[i], &b->data[i]) < 0)
            return MN_ERR;
    return mn_val(b);
}

static Value bytes_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    Value a[3] = {0, 0, 0};
    if (mn_argparse("bytes", args, nargs, kwargs, "|source,encoding,errors", a) < 0)
        return MN_ERR;
    Value r;
    Value src = a[0];
    if (!src) {
        if (a[1] || a[2])
            return mn_raise(&TypeErrorType, a[1] ? "encoding without a string argument"
                                                 : "errors without a string argument");
        r = mn_bytes_new("", 0);
    } else if (mn_is_str(src)) {
        if (!a[1])
            return mn_raise(&TypeErrorType, "string argument without an encoding");
        Value eargs[2] = {a[1], a[2] ? a[2] : mn_str("strict")};
        r = mn_call_method(src, "encode", eargs, 2);
    } else if (a[1] || a[2]) {
        return mn_raise(&TypeErrorType, a[1] ? "encoding without a string argument"
                                             : "errors without a string argument");
    } else if (is_bytes(src)) {
        r = MN_IS_EXACT(src, BytesType) ? src : mn_bytes_new(B(src)->data, (size_t)B(src)->len);
    } else if (mn_is_intlike(src)) {
        int64_t n;
        if (mn_as_index(src, &n) < 0)
            return MN_ERR;
        if (n < 0)
            return mn_raise(&ValueErrorType, "negative count");
        BytesObject *b = bytes_alloc(&BytesType, n);
        memset(b->data, 0, (size_t)n);      /* bytes(n): n zero bytes */
        r = mn_val(b);
    } else {
        Type *st = mn_typeof(src);
        if (!st->iter && !st->getitem)
            return mn_raise(&TypeErrorType, "cannot convert '%s' object to bytes", st->name);
        r = bytes_from_iterable(src);
    }
    if (!r || t == &BytesType)
        return r;
    BytesObject *sub = bytes_alloc(t, B(r)->len);
    memcpy(sub->data, B(r)->data, (size_t)B(r)->len);
    return mn_val(sub);
}

/* ------------------------------------------------------------------ */
/* Slots                                                                */
/* ------------------------------------------------------------------ */

static Value bytes_repr(Value self)
{
    BytesObject *b = B(self);
    bool sq = memchr(b->data, '\'', (size_t)b->len) != NULL;
    bool dq = memchr(b->data, '"', (size_t)b->len) != NULL;
    char q = (sq && !dq) ? '"' : '\'';
    static const char hex[] = "0123456789abcdef";
    StrBuf s;
    sb_init(&s);
    sb_addc(&s, 'b');
    sb_addc(&s, q);
    for (int64_t i = 0; i < b->len; i++) {
        unsigned char c = b->data[i];
        if (c == q || c == '\\') {
            sb_addc(&s, '\\');
            sb_addc(&s, (char)c);
        } else if (c == '\t') {
            sb_add(&s, "\\t", 2);
        } else if (c == '\n') {
            sb_add(&s, "\\n", 2);
        } else if (c == '\r') {
            sb_add(&s, "\\r", 2);
        } else if (c < 0x20 || c >= 0x7F) {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            sb_add(&s, e, 4);
        } else {
            sb_addc(&s, (char)c);
        }
    }
    sb_addc(&s, q);
    return sb_finish(&s);
}

static int bytes_hash(Value self, int64_t *out)
{
    BytesObject *b = B(self);
    if (!b->hash)
        b->hash = mn_hash_bytes(b->data, (size_t)b->len);
    *out = (int64_t)b->hash;
    return 0;
}

static Value bytes_richcmp(Value a, Value b, CmpOp op)
{
    if (!is_bytes(a) || !is_bytes(b))
        return mn_NotImplemented;
    BytesObject *x = B(a), *y = B(b);
    if ((op == CMP_EQ || op == CMP_NE) && x->len != y->len)
        return mn_bool(op == CMP_NE);
    int64_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, (size_t)n);
    if (!c)
        c = x->len < y->len ? -1 : x->len > y->len;
    switch (op) {
    case CMP_LT: return mn_bool(c < 0);
    case CMP_LE: return mn_bool(c <= 0);
    case CMP_EQ: return mn_bool(c == 0);
    case CMP_NE: return mn_bool(c != 0);
    case CMP_GT: return mn_bool(c > 0);
    default:     return mn_bool(c >= 0);
    }
}

static int64_t bytes_len(Value self) { return B(self)->len; }
static int bytes_truthy(Value self) { return B(self)->len != 0; }

static Value bytes_getitem(Value self, Value key)
{
    BytesObject *b = B(self);
    int64_t i;
    if (MN_IS_EXACT(key, SliceType)) {
        int64_t start, stop, step, n;
        if (mn_slice_indices(key, b->len, &start, &stop, &step, &n) < 0)
            return MN_ERR;
        if (step == 1)
            return mn_bytes_new(b->data + start, (size_t)n);
        BytesObject *r = bytes_alloc(&BytesType, n);
        for (int64_t j = 0, x = start; j < n; j++, x += step)
            r->data[j] = b->data[x];
        return mn_val(r);
    }
    if (mn_is_int(key)) {
        i = mn_int_val(key);
    } else if (mn_is_intlike(key) || mn_type_lookup(mn_typeof(key), MN_ID(__index__))) {
        if (mn_as_index(key, &i) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return MN_ERR;
            mn_exc_clear();
            return mn_raise(&IndexErrorType, "cannot fit 'int' into an index-sized integer");
        }
    } else {
        return mn_raise(&TypeErrorType, "byte indices must be integers or slices, not %s",
                        mn_type_name(key));
    }
    if (i < 0)
        i += b->len;
    if (i < 0 || i >= b->len)
        return mn_raise(&IndexErrorType, "index out of range");
    return mn_int(b->data[i]);
}

static int64_t find_sub(const unsigned char *h, int64_t hl, const unsigned char *n, int64_t nl)
{
    if (nl == 0)
        return 0;
    if (nl > hl)
        return -1;
    if (nl == 1) {      /* memchr: ASan checks only what it reads, memmem all of h */
        const unsigned char *p = memchr(h, n[0], (size_t)hl);
        return p ? p - h : -1;
    }
    const unsigned char *p = memmem(h, (size_t)hl, n, (size_t)nl);
    return p ? p - h : -1;
}

static int64_t rfind_sub(const unsigned char *h, int64_t hl, const unsigned char *n, int64_t nl)
{
    if (nl > hl)
        return -1;
    for (int64_t i = hl - nl; i >= 0; i--)
        if (memcmp(h + i, n, (size_t)nl) == 0)
            return i;
    return -1;
}

static int bytes_contains(Value self, Value x)
{
    BytesObject *b = B(self);
    if (mn_is_intlike(x)) {
        int64_t v;
        if (mn_as_index(x, &v) < 0) {
            if (!mn_exc_matches(&OverflowErrorType))
                return -1;
            mn_exc_clear();
            v = -1;
        }
        if (v < 0 || v > 255) {
            mn_raise(&ValueErrorType, "byte must be in range(0, 256)");
            return -1;
        }
        return memchr(b->data, (int)v, (size_t)b->len) != NULL;
    }
    if (!is_bytes(x)) {
        mn_raise(&TypeErrorType, "a bytes-like object is required, not '%s'", mn_type_name(x));
        return -1;
    }
    return find_sub(b->data, b->len, B(x)->data, B(x)->len) >= 0;
}

static Value bytes_binop(BinOp op, Value a, Value b)
{
    if (op == OP_ADD) {
        if (!is_bytes(a))
            return mn_NotImplemented;
        if (!is_bytes(b)) {
            Value r;        /* b"" + Q(): Q.__radd__ answers first */
            if (mn_seq_binop_reflect(op, a, b, bytes_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can't concat %s to %s", mn_type_name(b),
                            mn_type_name(a));
        }
        BytesObject *r = bytes_alloc(&BytesType, B(a)->len + B(b)->len);
        memcpy(r->data, B(a)->data, (size_t)B(a)->len);
        memcpy(r->data + B(a)->len, B(b)->data, (size_t)B(b)->len);
        return mn_val(r);
    }
    if (op == OP_MUL) {
        Value seq = is_bytes(a) ? a : b, other = is_bytes(a) ? b : a;
        if (!mn_is_intlike(other)) {
            Value r;        /* the left operand, if not the bytes, was tried */
            if (seq == a && mn_seq_binop_reflect(op, a, b, bytes_binop, &r))
                return r;
            return mn_raise(&TypeErrorType, "can't multiply sequence by non-int of type '%s'",
                            mn_type_name(other));
        }
        int64_t n;
        if (mn_as_i64(other, &n) < 0)
            return MN_ERR;
        int64_t len = B(seq)->len;
        if (n <= 0 || len == 0)
            return mn_bytes_new("", 0);
        if (len > INT64_MAX / 2 / n)
            return mn_raise(&MemoryErrorType, "%s", "");
        BytesObject *r = bytes_alloc(&BytesType, len * n);
        for (int64_t k = 0; k < n; k++)
            memcpy(r->data + k * len, B(seq)->data, (size_t)len);
        return mn_val(r);
    }
    return mn_NotImplemented;
}

/* ------------------------------------------------------------------ */
/* Iterator                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value bytes;
    int64_t index;
} BytesIterObject;

static Value bytes_iter(Value self)
{
    BytesIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &BytesIterType;
    it->bytes = self;
    return mn_val(it);
}

static Value bytesiter_next(Value self)
{
    BytesIterObject *it = AS(BytesIterObject, self);
    if (!it->bytes)
        return MN_ERR;
    BytesObject *b = B(it->bytes);
    if (it->index < b->len)
        return mn_int(b->data[it->index++]);
    it->bytes = 0;
    return MN_ERR;
}

static Value iter_self(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Methods                                                              */
/* ------------------------------------------------------------------ */

#define SELF B(args[0])

static Value need_bytes(Value v, const char *what)
{
    if (is_bytes(v))
        return v;
    return mn_raise(&TypeErrorType, "%s a bytes-like object is required, not '%s'", what,
                    mn_type_name(v));
}

static Value m_decode(Value *args, int nargs, Value kwargs)
{
    Value a[2] = {0, 0};
    if (mn_argparse("decode", args + 1, nargs - 1, kwargs, "|encoding,errors", a) < 0)
        return MN_ERR;
    if ((a[0] && !mn_is_str(a[0])) || (a[1] && !mn_is_str(a[1])))
        return mn_raise(&TypeErrorType, "decode() argument must be str, not %s",
                        mn_type_name(a[0] && !mn_is_str(a[0]) ? a[0] : a[1]));
    return mn_bytes_decode(SELF->data, (size_t)SELF->len, a[0] ? mn_cstr(a[0]) : "utf-8",
                           a[1] ? mn_cstr(a[1]) : "strict");
}

static Value m_hex(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("hex", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    static const char hex[] = "0123456789abcdef";
    StrBuf s;
    sb_init(&s);
    for (int64_t i = 0; i < SELF->len; i++) {
        sb_addc(&s, hex[SELF->data[i] >> 4]);
        sb_addc(&s, hex[SELF->data[i] & 15]);
    }
    return sb_finish(&s);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 32;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static Value m_fromhex(Value *args, int nargs, Value kwargs)
{
    /* classmethod: args[0] is the class */
    if (mn_argcheck("fromhex", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[1]))
        return mn_raise(&TypeErrorType, "fromhex() argument must be str, not %s",
                        mn_type_name(args[1]));
    const unsigned char *p = (const unsigned char *)mn_cstr(args[1]);
    int64_t n = mn_str_len(args[1]);
    BytesObject *r = bytes_alloc(&BytesType, n / 2);
    int64_t w = 0;
    for (int64_t i = 0; i < n;) {
        if (isspace(p[i])) {
            i++;
            continue;
        }
        int hi = hexval(p[i]);
        if (hi < 0)
            return mn_raise(&ValueErrorType,
                            "non-hexadecimal number found in fromhex() arg at position %lld",
                            (long long)i);
        int lo = i + 1 < n ? hexval(p[i + 1]) : -1;
        if (lo < 0)
            return mn_raise(&ValueErrorType,
                            "non-hexadecimal number found in fromhex() arg at position %lld",
                            (long long)(i + 1));
        r->data[w++] = (unsigned char)(hi * 16 + lo);
        i += 2;
    }
    r->len = w;
    r->data[w] = 0;
    Value res = mn_val(r);
    if (args[0] != mn_val(&BytesType))
        return mn_call1(args[0], res);
    return res;
}

static Value m_join(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("join", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value l = mn_sequence_to_list(args[1]);
    if (!l)
        return MN_ERR;
    ListObject *lo = AS(ListObject, l);
    int64_t total = SELF->len * (lo->len > 0 ? lo->len - 1 : 0);
    for (int64_t i = 0; i < lo->len; i++) {
        if (!is_bytes(lo->items[i]))
            return mn_raise(&TypeErrorType,
                            "sequence item %lld: expected a bytes-like object, %s found",
                            (long long)i, mn_type_name(lo->items[i]));
        total += B(lo->items[i])->len;
    }
    BytesObject *r = bytes_alloc(&BytesType, total);
    unsigned char *w = r->data;
    for (int64_t i = 0; i < lo->len; i++) {
        if (i) {
            memcpy(w, SELF->data, (size_t)SELF->len);
            w += SELF->len;
        }
        memcpy(w, B(lo->items[i])->data, (size_t)B(lo->items[i])->len);
        w += B(lo->items[i])->len;
    }
    return mn_val(r);
}

static inline bool bspace(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13); }

static Value m_split(Value *args, int nargs, Value kwargs)
{
    Value a[2] = {0, 0};
    if (mn_argparse("split", args + 1, nargs - 1, kwargs, "|sep,maxsplit", a) < 0)
        return MN_ERR;
    int64_t maxsplit = -1;
    if (a[1] && mn_as_index(a[1], &maxsplit) < 0)
        return MN_ERR;
    if (maxsplit < 0)
        maxsplit = INT64_MAX;
    BytesObject *b = SELF;
    Value list = mn_list_new(0);
    if (!a[0] || a[0] == mn_None) {
        int64_t i = 0, n = b->len;
        while (i < n) {
            while (i < n && bspace(b->data[i]))
                i++;
            if (i >= n)
                break;
            int64_t j = i;
            if (maxsplit-- == 0) {
                j = n;
            } else {
                while (j < n && !bspace(b->data[j]))
                    j++;
            }
            if (mn_list_append(list, mn_bytes_new(b->data + i, (size_t)(j - i))) < 0)
                return MN_ERR;
            i = j;
            if (maxsplit < 0)
                break;
        }
        return list;
    }
    if (!need_bytes(a[0], ""))
        return MN_ERR;
    BytesObject *sep = B(a[0]);
    if (sep->len == 0)
        return mn_raise(&ValueErrorType, "empty separator");
    int64_t i = 0;
    while (maxsplit-- > 0) {
        int64_t off = find_sub(b->data + i, b->len - i, sep->data, sep->len);
        if (off < 0)
            break;
        if (mn_list_append(list, mn_bytes_new(b->data + i, (size_t)off)) < 0)
            return MN_ERR;
        i += off + sep->len;
    }
    if (mn_list_append(list, mn_bytes_new(b->data + i, (size_t)(b->len - i))) < 0)
        return MN_ERR;
    return list;
}

static Value do_strip(Value *args, int nargs, Value kwargs, const char *name, bool l, bool r)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 0, 1) < 0)
        return MN_ERR;
    BytesObject *b = SELF, *chars = NULL;
    if (nargs > 1 && args[1] != mn_None) {
        if (!is_bytes(args[1]))
            return mn_raise(&TypeErrorType, "a bytes-like object is required, not '%s'",
                            mn_type_name(args[1]));
        chars = B(args[1]);
    }
    int64_t i = 0, j = b->len;
#define STRIPPED(c) (chars ? memchr(chars->data, (c), (size_t)chars->len) != NULL : bspace(c))
    if (l)
        while (i < j && STRIPPED(b->data[i]))
            i++;
    if (r)
        while (j > i && STRIPPED(b->data[j - 1]))
            j--;
#undef STRIPPED
    return mn_bytes_new(b->data + i, (size_t)(j - i));
}

static Value m_strip(Value *a, int n, Value k) { return do_strip(a, n, k, "strip", true, true); }
static Value m_lstrip(Value *a, int n, Value k) { return do_strip(a, n, k, "lstrip", true, false); }
static Value m_rstrip(Value *a, int n, Value k) { return do_strip(a, n, k, "rstrip", false, true); }

static Value starts_ends(Value *args, int nargs, Value kwargs, bool end)
{
    const char *name = end ? "endswith" : "startswith";
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 3) < 0)
        return MN_ERR;
    BytesObject *b = SELF;
    int64_t s, e;
    if (mn_seq_clamp_range(nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0, b->len, &s, &e) < 0)
        return MN_ERR;
    Value x = args[1];
    Value one[1] = {x};
    const Value *cands = one;
    int64_t nc = 1;
    if (mn_is_tuple(x)) {
        cands = mn_tuple_items(x);
        nc = mn_tuple_len(x);
    } else if (!is_bytes(x)) {
        return mn_raise(&TypeErrorType,
                        "%s first arg must be bytes or a tuple of bytes, not %s", name,
                        mn_type_name(x));
    }
    for (int64_t i = 0; i < nc; i++) {
        if (!is_bytes(cands[i]))
            return mn_raise(&TypeErrorType,
                            "a bytes-like object is required, not '%s'", mn_type_name(cands[i]));
        BytesObject *p = B(cands[i]);
        if (s > b->len || p->len > e - s)
            continue;
        const unsigned char *at = end ? b->data + e - p->len : b->data + s;
        if (memcmp(at, p->data, (size_t)p->len) == 0)
            return mn_True;
    }
    return mn_False;
}

static Value m_startswith(Value *a, int n, Value k) { return starts_ends(a, n, k, false); }
static Value m_endswith(Value *a, int n, Value k) { return starts_ends(a, n, k, true); }

/* Shared by find/rfind/index/count: the needle (bytes or int) and range. */
static int sub_args(Value *args, int nargs, Value kwargs, const char *name,
                    unsigned char *one, const unsigned char **nd, int64_t *nl,
                    int64_t *s, int64_t *e)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 1, 3) < 0)
        return -1;
    Value x = args[1];
    if (mn_is_intlike(x)) {
        if (byte_value(x, one) < 0) {
            mn_exc_clear();
            mn_raise(&ValueErrorType, "byte must be in range(0, 256)");
            return -1;
        }
        *nd = one;
        *nl = 1;
    } else if (is_bytes(x)) {
        *nd = B(x)->data;
        *nl = B(x)->len;
    } else {
        mn_raise(&TypeErrorType,
                 "argument should be integer or bytes-like object, not '%s'", mn_type_name(x));
        return -1;
    }
    return mn_seq_clamp_range(nargs > 2 ? args[2] : 0, nargs > 3 ? args[3] : 0, SELF->len, s, e);
}

static Value find_common(Value *args, int nargs, Value kwargs, const char *name, bool rev,
                         bool raise)
{
    unsigned char one;
    const unsigned char *nd;
    int64_t nl, s, e;
    if (sub_args(args, nargs, kwargs, name, &one, &nd, &nl, &s, &e) < 0)
        return MN_ERR;
    int64_t r = -1;
    if (s <= e && s <= SELF->len) {
        int64_t off = rev ? rfind_sub(SELF->data + s, e - s, nd, nl)
                          : find_sub(SELF->data + s, e - s, nd, nl);
        if (off >= 0)
            r = s + off;
    }
    if (r < 0 && raise)
        return mn_raise(&ValueErrorType, "subsection not found");
    return mn_int(r);
}

static Value m_find(Value *a, int n, Value k) { return find_common(a, n, k, "find", false, false); }
static Value m_rfind(Value *a, int n, Value k) { return find_common(a, n, k, "rfind", true, false); }
static Value m_index(Value *a, int n, Value k) { return find_common(a, n, k, "index", false, true); }
static Value m_rindex(Value *a, int n, Value k) { return find_common(a, n, k, "rindex", true, true); }

static Value m_count(Value *args, int nargs, Value kwargs)
{
    unsigned char one;
    const unsigned char *nd;
    int64_t nl, s, e;
    if (sub_args(args, nargs, kwargs, "count", &one, &nd, &nl, &s, &e) < 0)
        return MN_ERR;
    if (s > e || s > SELF->len)
        return mn_int(0);
    if (nl == 0)
        return mn_int(e - s + 1);
    int64_t c = 0, i = s;
    if (nl == 1) {
        for (; i < e; i++)
            c += SELF->data[i] == nd[0];
        return mn_int(c);
    }
    for (;;) {
        int64_t off = find_sub(SELF->data + i, e - i, nd, nl);
        if (off < 0)
            break;
        c++;
        i += off + nl;
    }
    return mn_int(c);
}

static Value m_replace(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("replace", nargs - 1, kwargs, 2, 3) < 0)
        return MN_ERR;
    if (!need_bytes(args[1], "") || !need_bytes(args[2], ""))
        return MN_ERR;
    int64_t count = -1;
    if (nargs > 3 && mn_as_index(args[3], &count) < 0)
        return MN_ERR;
    if (count < 0)
        count = INT64_MAX;
    BytesObject *b = SELF, *old = B(args[1]), *new = B(args[2]);
    StrBuf s;           /* a byte buffer; turned into bytes at the end */
    sb_init(&s);
    if (old->len == 0) {
        int64_t i = 0;
        for (; i <= b->len && count > 0; i++, count--) {
            sb_add(&s, (const char *)new->data, (size_t)new->len);
            if (i < b->len)
                sb_addc(&s, (char)b->data[i]);
        }
        if (i < b->len)
            sb_add(&s, (const char *)b->data + i, (size_t)(b->len - i));
    } else {
        int64_t i = 0;
        while (count > 0) {
            int64_t off = find_sub(b->data + i, b->len - i, old->data, old->len);
            if (off < 0)
                break;
            sb_add(&s, (const char *)b->data + i, (size_t)off);
            sb_add(&s, (const char *)new->data, (size_t)new->len);
            i += off + old->len;
            count--;
        }
        sb_add(&s, (const char *)b->data + i, (size_t)(b->len - i));
    }
    return mn_bytes_new(s.buf ? s.buf : "", s.len);
}

static Value case_map(Value *args, int nargs, Value kwargs, const char *name, bool upper)
{
    if (mn_argcheck(name, nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    BytesObject *r = bytes_alloc(&BytesType, SELF->len);
    for (int64_t i = 0; i < SELF->len; i++) {
        unsigned char c = SELF->data[i];
        if (upper && c >= 'a' && c <= 'z')
            c -= 32;
        else if (!upper && c >= 'A' && c <= 'Z')
            c += 32;
        r->data[i] = c;
    }
    return mn_val(r);
}

static Value m_upper(Value *a, int n, Value k) { return case_map(a, n, k, "upper", true); }
static Value m_lower(Value *a, int n, Value k) { return case_map(a, n, k, "lower", false); }




static MethodDef bytes_methods[] = {
    {"decode", m_decode, 0, NULL},
    {"hex", m_hex, 0, NULL},
    {"fromhex", m_fromhex, METH_CLASS, NULL},
    {"join", m_join, 0, NULL},
    {"split", m_split, 0, NULL},
    {"strip", m_strip, 0, NULL},
    {"lstrip", m_lstrip, 0, NULL},
    {"rstrip", m_rstrip, 0, NULL},
    {"startswith", m_startswith, 0, NULL},
    {"endswith", m_endswith, 0, NULL},
    {"find", m_find, 0, NULL},
    {"rfind", m_rfind, 0, NULL},
    {"index", m_index, 0, NULL},
    {"rindex", m_rindex, 0, NULL},
    {"count", m_count, 0, NULL},
    {"replace", m_replace, 0, NULL},
    {"upper", m_upper, 0, NULL},
    {"lower", m_lower, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Type BytesType = {
    .hdr = {&TypeType},
    .name = "bytes",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(BytesObject),
    .methods = bytes_methods,
    .new = bytes_new_slot,
    .repr = bytes_repr,
    .hash = bytes_hash,
    .richcmp = bytes_richcmp,
    .truthy = bytes_truthy,
    .iter = bytes_iter,
    .len = bytes_len,
    .getitem = bytes_getitem,
    .contains = bytes_contains,
    .binop = bytes_binop,
};

Type BytesIterType = {
    .hdr = {&TypeType},
    .name = "bytes_iterator",
    .base = &ObjectType,
    .basicsize = sizeof(BytesIterObject),
    .iter = iter_self,
    .next = bytesiter_next,
};
