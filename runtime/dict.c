/*
 * dict.c -- the dict type: a compact, insertion-ordered hash table.
 *
 * Layout (CPython's since 3.6):
 *   DictKeys  one block holding an open-addressed index table of `size`
 *             small ints (1, 2, 4 or 8 bytes wide by table size), followed
 *             by the entries array (hash, key, value) in insertion order.
 *             An index slot holds an entry position, IX_EMPTY, or
 *             IX_DUMMY (a deleted entry: probing continues past it).
 *   Deleting leaves a hole (key 0) in the entries; a resize compacts.
 *
 * Probing: i = hash & mask, then i = 5*i + 1 + perturb, perturb >>= 5,
 * so every bit of the hash takes part.  Key comparison: identity, then
 * equal hashes and mn_eq (which may run user __eq__ and fail; if it
 * mutated the dict we restart the lookup).  Exact str keys compare by
 * bytes without calling anything, and the *_str entry points never run
 * user code at all.
 *
 * Growth discipline (for the free-threaded mode to come): a resize builds
 * a complete new DictKeys and publishes the pointer; the old block is
 * never freed or shrunk under a reader, and every reader bounds its walk
 * by the counts of the block it loaded.
 */
#include <string.h>

#include "object.h"
#include "../vm/eval.h"

#define IX_EMPTY (-1)
#define IX_DUMMY (-2)
#define PERTURB_SHIFT 5

typedef struct DictKeys {
    int64_t size;           /* index slots, a power of two */
    int64_t usable;         /* entry capacity: size * 2 / 3 */
    int64_t nentries;       /* entries used, holes included */
    DictEntry *entries;     /* inside this block, after the indices */
    int64_t width;          /* bytes per index slot (int64: keeps indices[]
                               at sizeof(DictKeys), see empty_keys) */
    char indices[];
} DictKeys;
_Static_assert(offsetof(DictKeys, indices) == sizeof(DictKeys), "DictKeys layout");

struct DictObject {
    Object hdr;
    DictKeys *keys;
    int64_t used;           /* live entries */
};

/* The shared empty table: lookups miss at once; the first insert
 * allocates a real table because usable == 0. */
static struct {
    DictKeys k;
    int8_t ix[8];
} empty_keys = {{1, 0, 0, NULL, 1}, {-1, -1, -1, -1, -1, -1, -1, -1}};
#define EMPTY_KEYS (&empty_keys.k)

static Type DictValueIterType, DictItemIterType, DictRevIterType;

/* ------------------------------------------------------------------ */
/* Index table                                                          */
/* ------------------------------------------------------------------ */

static inline int64_t ix_get(const DictKeys *k, size_t i)
{
    switch (k->width) {
    case 1:  return ((const int8_t *)k->indices)[i];
    case 2:  return ((const int16_t *)k->indices)[i];
    case 4:  return ((const int32_t *)k->indices)[i];
    default: return ((const int64_t *)k->indices)[i];
    }
}

static inline void ix_set(DictKeys *k, size_t i, int64_t ix)
{
    switch (k->width) {
    case 1:  ((int8_t *)k->indices)[i] = (int8_t)ix; break;
    case 2:  ((int16_t *)k->indices)[i] = (int16_t)ix; break;
    case 4:  ((int32_t *)k->indices)[i] = (int32_t)ix; break;
    default: ((int64_t *)k->indices)[i] = ix; break;
    }
}

static DictKeys *keys_new(int64_t size)
{
    int64_t width = size <= 128 ? 1 : size <= 32768 ? 2 : size <= (1LL << 31) ? 4 : 8;
    int64_t usable = size * 2 / 3;
    size_t ixbytes = ((size_t)size * (size_t)width + 7) & ~(size_t)7;
    DictKeys *k = gc_alloc(sizeof(DictKeys) + ixbytes + (size_t)usable * sizeof(DictEntry));
    k->size = size;
    k->usable = usable;
    k->nentries = 0;
    k->width = width;
    k->entries = (DictEntry *)(k->indices + ixbytes);
    memset(k->indices, 0xFF, (size_t)size * (size_t)width);   /* all IX_EMPTY */
    return k;
}

/* Slot for a key known to be absent: the first empty or dummy slot. */
static inline size_t find_empty_slot(const DictKeys *k, uint64_t hash)
{
    size_t mask = (size_t)k->size - 1, i = hash & mask;
    uint64_t perturb = hash;
    while (ix_get(k, i) >= 0) {
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

/* Rebuild into a table of at least `minsize` index slots, compacting. */
static void dict_resize(DictObject *d, int64_t minsize)
{
    int64_t size = 8;
    while (size < minsize)
        size <<= 1;
    DictKeys *old = d->keys, *k = keys_new(size);
    DictEntry *src = old->entries, *dst = k->entries;
    int64_t n = 0;
    for (int64_t i = 0; i < old->nentries; i++) {
        if (!src[i].key)
            continue;
        dst[n] = src[i];
        ix_set(k, find_empty_slot(k, src[i].hash), n);
        n++;
    }
    k->nentries = n;
    __atomic_store_n(&d->keys, k, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* Hashing and lookup                                                   */
/* ------------------------------------------------------------------ */

/* A str's cached hash without the call (0 = not computed yet). */
static inline uint64_t str_hash(Value s)
{
    uint64_t h = AS(StrObject, s)->hash;
    return h ? h : mn_str_hash(s);
}

static inline int key_hash(Value k, uint64_t *h)
{
    if (mn_is_int(k)) {
        *h = mn_small_int_hash(mn_int_val(k));
        return 0;
    }
    if (MN_IS_EXACT(k, StrType)) {
        *h = str_hash(k);
        return 0;
    }
    int64_t x;
    if (mn_hash(k, &x) < 0)
        return -1;
    *h = (uint64_t)x;
    return 0;
}

/* Short keys (the usual case) compare inline with overlapping word
 * loads that stay inside [0, len); longer ones go to memcmp. */
static inline bool str_bytes_eq(Value a, Value b)
{
    StrObject *x = AS(StrObject, a), *y = AS(StrObject, b);
    size_t n = (size_t)x->len;
    if (n != (size_t)y->len)
        return false;
    const char *p = x->data, *q = y->data;
    if (n >= 8 && n <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, p, 8);
        memcpy(&b0, q, 8);
        memcpy(&a1, p + n - 8, 8);
        memcpy(&b1, q + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, p, 4);
        memcpy(&b0, q, 4);
        memcpy(&a1, p + n - 4, 4);
        memcpy(&b1, q + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n < 4) {
        for (size_t i = 0; i < n; i++)
            if (p[i] != q[i])
                return false;
        return true;
    }
    return memcmp(p, q, n) == 0;
}

/* Entry index of `key`, -1 if absent, -2 on error (exception set). */
static int64_t lookup(DictObject *d, Value key, uint64_t hash)
{
    bool kstr = MN_IS_EXACT(key, StrType);
restart:;
    DictKeys *k = __atomic_load_n(&d->keys, __ATOMIC_ACQUIRE);
    size_t mask = (size_t)k->size - 1, i = hash & mask;
    uint64_t perturb = hash;
    for (;;) {
        int64_t ix = ix_get(k, i);
        if (ix == IX_EMPTY)
            return -1;
        if (ix >= 0 && ix < k->nentries) {
            DictEntry *e = &k->entries[ix];
            Value ek = e->key;
            if (ek == key)
                return ix;
            if (ek && e->hash == hash) {
                if (kstr && MN_IS_EXACT(ek, StrType)) {
                    if (str_bytes_eq(ek, key))
                        return ix;
                } else if (!(mn_is_int(ek) && mn_is_int(key))) {
                    int r = mn_eq(ek, key);
                    if (r < 0)
                        return -2;
                    if (d->keys != k || e->key != ek)
                        goto restart;
                    if (r)
                        return ix;
                }
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
}

/* Lookup for a str key that never runs user code: a non-str key that
 * merely hashes the same is skipped (a user class whose __eq__ claims
 * equality with a str is not consulted on this path). */
static __attribute__((noinline)) int64_t lookup_str_probe(DictKeys *k, Value key,
                                                           uint64_t hash)
{
    size_t mask = (size_t)k->size - 1, i = hash & mask;
    uint64_t perturb = hash;
    bool interned = AS(StrObject, key)->interned && MN_IS_EXACT(key, StrType);
    for (;;) {
        int64_t ix = ix_get(k, i);
        if (ix == IX_EMPTY)
            return -1;
        if (ix >= 0 && ix < k->nentries) {
            DictEntry *e = &k->entries[ix];
            Value ek = e->key;
            if (ek == key)
                return ix;
            if (ek && e->hash == hash && mn_is_str(ek)
                && !(interned && AS(StrObject, ek)->interned && MN_IS_EXACT(ek, StrType))
                && str_bytes_eq(ek, key))
                return ix;
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
}

/* The common outcomes -- the first slot is empty, or holds this very
 * (interned) key -- cost no call and no register spills; anything else
 * takes the full probe loop. */
static inline int64_t lookup_str(DictKeys *k, Value key, uint64_t hash)
{
    size_t i = hash & ((size_t)k->size - 1);
    int64_t ix = ix_get(k, i);
    if (ix == IX_EMPTY)
        return -1;
    if (ix >= 0 && ix < k->nentries && k->entries[ix].key == key)
        return ix;
    return lookup_str_probe(k, key, hash);
}

/* Append a new entry for an absent key. */
static void insert_new(DictObject *d, Value key, uint64_t hash, Value v)
{
    DictKeys *k = d->keys;
    if (k->nentries >= k->usable) {
        dict_resize(d, d->used * 3);
        k = d->keys;
    }
    DictEntry *e = &k->entries[k->nentries];
    e->hash = hash;
    e->key = key;
    e->value = v;
    ix_set(k, find_empty_slot(k, hash), k->nentries);
    k->nentries++;
    d->used++;
}

static int insert_hashed(DictObject *d, Value key, uint64_t hash, Value v)
{
    int64_t ix = lookup(d, key, hash);
    if (ix == -2)
        return -1;
    if (ix >= 0) {
        d->keys->entries[ix].value = v;
        return 0;
    }
    insert_new(d, key, hash, v);
    return 0;
}

static void delete_at(DictObject *d, int64_t ix, uint64_t hash)
{
    DictKeys *k = d->keys;
    size_t mask = (size_t)k->size - 1, i = hash & mask;
    uint64_t perturb = hash;
    while (ix_get(k, i) != ix) {
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
    ix_set(k, i, IX_DUMMY);
    k->entries[ix].key = 0;
    k->entries[ix].value = 0;
    d->used--;
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

#define D(v) AS(DictObject, v)

static DictObject *dict_alloc(Type *t)
{
    DictObject *d;
    if (t == &DictType) {
        d = gc_alloc(sizeof(DictObject));
        d->hdr.type = t;
    } else {
        d = mn_alloc_obj(t, sizeof(DictObject));
    }
    d->keys = EMPTY_KEYS;
    return d;
}

Value mn_dict_new(void) { return mn_val(dict_alloc(&DictType)); }

Value mn_dict_get(Value dv, Value key)
{
    uint64_t h;
    if (key_hash(key, &h) < 0)
        return MN_ERR;
    int64_t ix = lookup(D(dv), key, h);
    if (ix == -2)
        return MN_ERR;
    if (ix < 0)
        return 0;
    return D(dv)->keys->entries[ix].value;
}

int mn_dict_set(Value dv, Value key, Value v)
{
    uint64_t h;
    if (key_hash(key, &h) < 0)
        return -1;
    return insert_hashed(D(dv), key, h, v);
}

int mn_dict_del(Value dv, Value key)
{
    uint64_t h;
    if (key_hash(key, &h) < 0)
        return -1;
    int64_t ix = lookup(D(dv), key, h);
    if (ix == -2)
        return -1;
    if (ix < 0) {
        mn_raise_value(&KeyErrorType, key);
        return -1;
    }
    delete_at(D(dv), ix, h);
    return 0;
}

Value mn_dict_get_str(Value dv, Value key)
{
    DictKeys *k = __atomic_load_n(&D(dv)->keys, __ATOMIC_ACQUIRE);
    int64_t ix = lookup_str(k, key, str_hash(key));
    return ix < 0 ? 0 : k->entries[ix].value;
}

/* Entry positions only grow while a key stays in the dict (a resize
 * compacts, but then the identity check below just misses), so a hint is
 * validated by reloading the entry's key: a stale hint costs one compare. */
static __attribute__((noinline)) Value get_str_hint_slow(DictKeys *k, Value key,
                                                         int32_t *hint, int32_t h)
{
    int64_t ix = lookup_str(k, key, str_hash(key));
    int32_t nh = ix >= 0 && ix <= INT32_MAX ? (int32_t)ix : -1;
    if (nh != h)
        __atomic_store_n(hint, nh, __ATOMIC_RELAXED);
    return ix < 0 ? 0 : k->entries[ix].value;
}

Value mn_dict_get_str_hint(Value dv, Value key, int32_t *hint)
{
    DictKeys *k = __atomic_load_n(&D(dv)->keys, __ATOMIC_ACQUIRE);
    int32_t h = __atomic_load_n(hint, __ATOMIC_RELAXED);
    if (h >= 0 && h < k->nentries) {
        DictEntry *e = &k->entries[h];
        if (e->key == key) {
            Value v = e->value;
            if (v)
                return v;
        }
    }
    return get_str_hint_slow(k, key, hint, h);
}

void mn_dict_set_str_hint(Value dv, Value key, Value v, int32_t *hint)
{
    DictObject *d = D(dv);
    DictKeys *k = d->keys;
    int32_t h = __atomic_load_n(hint, __ATOMIC_RELAXED);
    if (h >= 0 && h < k->nentries && k->entries[h].key == key) {
        __atomic_store_n(&k->entries[h].value, v, __ATOMIC_RELEASE);
        return;
    }
    uint64_t hash = str_hash(key);
    int64_t ix = lookup_str(k, key, hash);
    if (ix >= 0) {
        __atomic_store_n(&k->entries[ix].value, v, __ATOMIC_RELEASE);
    } else {
        insert_new(d, key, hash, v);
        ix = d->keys->nentries - 1;
    }
    if (ix <= INT32_MAX && ix != h)
        __atomic_store_n(hint, (int32_t)ix, __ATOMIC_RELAXED);
}

void mn_dict_set_str(Value dv, Value key, Value v)
{
    DictObject *d = D(dv);
    uint64_t h = str_hash(key);
    int64_t ix = lookup_str(d->keys, key, h);
    if (ix >= 0)
        d->keys->entries[ix].value = v;
    else
        insert_new(d, key, h, v);
}

/* By C string, without making a str: the str hash is mn_hash_bytes of
 * the UTF-8 bytes. */
Value mn_dict_get_cstr(Value dv, const char *key)
{
    size_t n = strlen(key);
    uint64_t hash = mn_hash_bytes(key, n);
    DictKeys *k = __atomic_load_n(&D(dv)->keys, __ATOMIC_ACQUIRE);
    size_t mask = (size_t)k->size - 1, i = hash & mask;
    uint64_t perturb = hash;
    for (;;) {
        int64_t ix = ix_get(k, i);
        if (ix == IX_EMPTY)
            return 0;
        if (ix >= 0 && ix < k->nentries) {
            DictEntry *e = &k->entries[ix];
            Value ek = e->key;
            if (ek && e->hash == hash && mn_is_str(ek) && mn_str_len(ek) == (int64_t)n
                && memcmp(mn_cstr(ek), key, n) == 0)
                return e->value;
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
}
void mn_dict_set_cstr(Value d, const char *key, Value v) { mn_dict_set_str(d, mn_intern(key), v); }

int64_t mn_dict_len(Value d) { return D(d)->used; }

bool mn_dict_next(Value dv, int64_t *pos, Value *key, Value *value)
{
    DictKeys *k = __atomic_load_n(&D(dv)->keys, __ATOMIC_ACQUIRE);
    int64_t i = *pos, n = k->nentries;
    while (i < n && !k->entries[i].key)
        i++;
    if (i >= n)
        return false;
    if (key)
        *key = k->entries[i].key;
    if (value)
        *value = k->entries[i].value;
    *pos = i + 1;
    return true;
}

static void copy_into(DictObject *dst, DictObject *src)
{
    /* Build a compact copy of the right size in one go. */
    DictKeys *sk = src->keys;
    int64_t size = 8;
    while (size * 2 / 3 < src->used)
        size <<= 1;
    DictKeys *k = keys_new(size);
    int64_t n = 0;
    for (int64_t i = 0; i < sk->nentries; i++) {
        if (!sk->entries[i].key)
            continue;
        k->entries[n] = sk->entries[i];
        ix_set(k, find_empty_slot(k, sk->entries[i].hash), n);
        n++;
    }
    k->nentries = n;
    dst->used = n;
    __atomic_store_n(&dst->keys, k, __ATOMIC_RELEASE);
}

Value mn_dict_copy(Value dv)
{
    DictObject *r = dict_alloc(&DictType);
    if (D(dv)->used)
        copy_into(r, D(dv));
    return mn_val(r);
}

Value mn_dict_keys_list(Value dv)
{
    DictKeys *k = D(dv)->keys;
    Value l = mn_list_new(0);
    for (int64_t i = 0; i < k->nentries; i++)
        if (k->entries[i].key && mn_list_append(l, k->entries[i].key) < 0)
            return MN_ERR;
    return l;
}

/* Merge a dict into d: fast, no user code except __eq__ on collisions. */
static int merge_dict(DictObject *d, DictObject *o, bool override)
{
    if (d == o || o->used == 0)
        return 0;
    if (d->used == 0 && override) {
        copy_into(d, o);
        return 0;
    }
    if (d->keys->usable - d->keys->nentries < o->used)
        dict_resize(d, (d->used + o->used) * 3 / 2 + 1);
    DictKeys *ok = o->keys;
    for (int64_t i = 0; i < ok->nentries; i++) {
        DictEntry e = ok->entries[i];
        if (!e.key)
            continue;
        if (override) {
            if (insert_hashed(d, e.key, e.hash, e.value) < 0)
                return -1;
        } else {
            int64_t ix = lookup(d, e.key, e.hash);
            if (ix == -2)
                return -1;
            if (ix < 0)
                insert_new(d, e.key, e.hash, e.value);
        }
        if (o->keys != ok) {
            mn_raise(&RuntimeErrorType, "dictionary changed size during iteration");
            return -1;
        }
    }
    return 0;
}

/* Update from an object with keys() and __getitem__. */
static int merge_mapping(Value d, Value m)
{
    Value keys = mn_call_method(m, "keys", NULL, 0);
    if (!keys)
        return -1;
    Value it = mn_iter(keys);
    if (!it)
        return -1;
    for (;;) {
        Value k = mn_next(it);
        if (!k)
            return mn_exc_occurred() ? -1 : 0;
        Value v = mn_getitem(m, k);
        if (!v || mn_dict_set(d, k, v) < 0)
            return -1;
    }
}

/* Update from an iterable of key/value pairs. */
static int merge_pairs(Value d, Value seq)
{
    Value it = mn_iter(seq);
    if (!it)
        return -1;
    for (int64_t n = 0;; n++) {
        Value item = mn_next(it);
        if (!item)
            return mn_exc_occurred() ? -1 : 0;
        Value k, v;
        if (mn_is_tuple(item) || mn_is_list(item)) {
            int64_t len = mn_is_tuple(item) ? mn_tuple_len(item) : AS(ListObject, item)->len;
            if (len != 2) {
                mn_raise(&ValueErrorType,
                         "dictionary update sequence element #%lld has length %lld; 2 is required",
                         (long long)n, (long long)len);
                return -1;
            }
            const Value *p = mn_is_tuple(item) ? mn_tuple_items(item)
                                               : AS(ListObject, item)->items;
            k = p[0];
            v = p[1];
        } else {
            Type *t = mn_typeof(item);
            if (!t->iter && !t->getitem) {
                mn_raise(&TypeErrorType,
                         "cannot convert dictionary update sequence element #%lld to a sequence",
                         (long long)n);
                return -1;
            }
            Value l = mn_sequence_to_list(item);
            if (!l)
                return -1;
            if (AS(ListObject, l)->len != 2) {
                mn_raise(&ValueErrorType,
                         "dictionary update sequence element #%lld has length %lld; 2 is required",
                         (long long)n, (long long)AS(ListObject, l)->len);
                return -1;
            }
            k = AS(ListObject, l)->items[0];
            v = AS(ListObject, l)->items[1];
        }
        if (mn_dict_set(d, k, v) < 0)
            return -1;
    }
}

static Value id_keys;            /* interned "keys" */
static Value dict_keys_descr;    /* dict's own keys method */

int mn_dict_update(Value d, Value other)
{
    if (mn_is_dict(other)) {
        /* dicts (and subclasses keeping dict.keys) merge table to table */
        if (MN_IS_EXACT(other, DictType)
            || mn_type_lookup(mn_typeof(other), id_keys) == dict_keys_descr)
            return merge_dict(D(d), D(other), true);
        return merge_mapping(d, other);
    }
    if (mn_is_obj(other) && mn_type_lookup(mn_typeof(other), id_keys))
        return merge_mapping(d, other);
    return merge_pairs(d, other);
}

/* ------------------------------------------------------------------ */
/* Slots                                                                */
/* ------------------------------------------------------------------ */

static Value dict_missing(Value self, Value key)
{
    if (!MN_IS_EXACT(self, DictType)) {
        Value m = mn_type_lookup(mn_typeof(self), MN_ID(__missing__));
        if (m)
            return mn_call_method(self, "__missing__", &key, 1);
    }
    return mn_raise_value(&KeyErrorType, key);
}

static Value dict_getitem(Value self, Value key)
{
    uint64_t h;
    if (key_hash(key, &h) < 0)
        return MN_ERR;
    int64_t ix = lookup(D(self), key, h);
    if (ix >= 0)
        return D(self)->keys->entries[ix].value;
    if (ix == -2)
        return MN_ERR;
    return dict_missing(self, key);
}

static int dict_setitem(Value self, Value key, Value v)
{
    if (v)
        return mn_dict_set(self, key, v);
    return mn_dict_del(self, key);
}

static int64_t dict_len(Value self) { return D(self)->used; }

static int dict_contains(Value self, Value key)
{
    uint64_t h;
    if (key_hash(key, &h) < 0)
        return -1;
    int64_t ix = lookup(D(self), key, h);
    return ix == -2 ? -1 : ix >= 0;
}

static Value dict_richcmp(Value a, Value b, CmpOp op)
{
    if (!mn_is_dict(a) || !mn_is_dict(b) || (op != CMP_EQ && op != CMP_NE))
        return mn_NotImplemented;
    DictObject *x = D(a), *y = D(b);
    bool eq = true;
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    if (x->used != y->used) {
        eq = false;
    } else {
        DictKeys *k = x->keys;
        for (int64_t i = 0; i < k->nentries && eq; i++) {
            DictEntry e = k->entries[i];
            if (!e.key)
                continue;
            int64_t ix = lookup(y, e.key, e.hash);
            if (ix == -2)
                return MN_ERR;
            if (ix < 0) {
                eq = false;
                break;
            }
            Value bv = y->keys->entries[ix].value;
            if (bv == e.value)
                continue;
            int r = mn_eq(e.value, bv);
            if (r < 0)
                return MN_ERR;
            eq = r;
            k = x->keys;
        }
    }
    return mn_bool(op == CMP_EQ ? eq : !eq);
}

static Value dict_repr(Value self)
{
    DictObject *d = D(self);
    if (d->used == 0)
        return mn_str("{}");
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    if (mn_repr_enter(self))
        return mn_str("{...}");
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, '{');
    bool first = true;
    for (int64_t i = 0; i < d->keys->nentries; i++) {
        DictEntry e = d->keys->entries[i];
        if (!e.key)
            continue;
        if (!first)
            sb_add(&b, ", ", 2);
        first = false;
        if (sb_add_value_repr(&b, e.key) < 0)
            goto fail;
        sb_add(&b, ": ", 2);
        if (sb_add_value_repr(&b, e.value) < 0)
            goto fail;
    }
    sb_addc(&b, '}');
    mn_repr_leave(self);
    return sb_finish(&b);
fail:
    mn_repr_leave(self);
    return MN_ERR;
}

/* ------------------------------------------------------------------ */
/* Iterators                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value dict;         /* 0 once exhausted */
    int64_t pos;        /* next entry position (reverse: counts down) */
    int64_t used;       /* d->used when created */
} DictIterObject;

static Value dictiter_new(Value d, Type *t)
{
    DictIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = t;
    it->dict = d;
    it->used = D(d)->used;
    it->pos = t == &DictRevIterType ? D(d)->keys->nentries - 1 : 0;
    return mn_val(it);
}

/* Advance to the next live entry; NULL at the end or on error. */
static DictEntry *dictiter_step(DictIterObject *it)
{
    if (!it->dict)
        return NULL;
    DictObject *d = D(it->dict);
    if (d->used != it->used) {
        it->used = -1;     /* sticky */
        mn_raise(&RuntimeErrorType, "dictionary changed size during iteration");
        return NULL;
    }
    DictKeys *k = __atomic_load_n(&d->keys, __ATOMIC_ACQUIRE);
    int64_t i = it->pos, n = k->nentries;
    while (i < n && !k->entries[i].key)
        i++;
    if (i >= n) {
        it->dict = 0;
        return NULL;
    }
    it->pos = i + 1;
    return &k->entries[i];
}

static Value dictiter_next_key(Value self)
{
    DictEntry *e = dictiter_step(AS(DictIterObject, self));
    return e ? e->key : MN_ERR;
}

static Value dictiter_next_value(Value self)
{
    DictEntry *e = dictiter_step(AS(DictIterObject, self));
    return e ? e->value : MN_ERR;
}

static Value dictiter_next_item(Value self)
{
    DictEntry *e = dictiter_step(AS(DictIterObject, self));
    return e ? mn_tuple_pack(2, e->key, e->value) : MN_ERR;
}

static Value dictiter_next_rev(Value self)
{
    DictIterObject *it = AS(DictIterObject, self);
    if (!it->dict)
        return MN_ERR;
    DictObject *d = D(it->dict);
    if (d->used != it->used) {
        it->used = -1;
        return mn_raise(&RuntimeErrorType, "dictionary changed size during iteration");
    }
    DictKeys *k = d->keys;
    int64_t i = it->pos;
    if (i >= k->nentries)
        i = k->nentries - 1;
    while (i >= 0 && !k->entries[i].key)
        i--;
    if (i < 0) {
        it->dict = 0;
        return MN_ERR;
    }
    it->pos = i - 1;
    return k->entries[i].key;
}

static Value dict_iter(Value self) { return dictiter_new(self, &DictIterType); }
static Value iter_self(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Views                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value dict;
} DictViewObject;

static Value view_new(Value d, Type *t)
{
    DictViewObject *v = gc_alloc(sizeof *v);
    v->hdr.type = t;
    v->dict = d;
    return mn_val(v);
}

#define VIEW_DICT(v) (AS(DictViewObject, v)->dict)

static int64_t view_len(Value self) { return D(VIEW_DICT(self))->used; }

static Value keys_iter(Value self) { return dictiter_new(VIEW_DICT(self), &DictIterType); }
static Value values_iter(Value self) { return dictiter_new(VIEW_DICT(self), &DictValueIterType); }
static Value items_iter(Value self) { return dictiter_new(VIEW_DICT(self), &DictItemIterType); }

static int keys_contains(Value self, Value x) { return dict_contains(VIEW_DICT(self), x); }

static int values_contains(Value self, Value x)
{
    DictObject *d = D(VIEW_DICT(self));
    for (int64_t i = 0; i < d->keys->nentries; i++) {
        Value v = d->keys->entries[i].value;
        if (!d->keys->entries[i].key)
            continue;
        int r = v == x ? 1 : mn_eq(v, x);
        if (r)
            return r;
    }
    return 0;
}

static int items_contains(Value self, Value x)
{
    if (!mn_is_tuple(x) || mn_tuple_len(x) != 2)
        return 0;
    Value v = mn_dict_get(VIEW_DICT(self), mn_tuple_items(x)[0]);
    if (!v)
        return mn_exc_occurred() ? -1 : 0;
    Value want = mn_tuple_items(x)[1];
    return v == want ? 1 : mn_eq(v, want);
}

static Value view_repr(Value self)
{
    const char *name = mn_obj(self)->type->name;
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    if (mn_repr_enter(self))
        return mn_str("...");
    Value l = mn_sequence_to_list(self);
    Value r = l ? mn_repr(l) : MN_ERR;
    mn_repr_leave(self);
    if (!r)
        return MN_ERR;
    return mn_str_fmt("%s(%s)", name, mn_cstr(r));
}

/* Set operations on keys/items views produce sets (CPython semantics). */
static Value view_binop(BinOp op, Value a, Value b)
{
    if (op != OP_AND && op != OP_OR && op != OP_SUB && op != OP_XOR)
        return mn_NotImplemented;
    Type *ta = mn_typeof(a), *tb = mn_typeof(b);
    bool av = ta == &DictKeysType || ta == &DictItemsType;
    bool bv = tb == &DictKeysType || tb == &DictItemsType;
    if (!av && !bv)
        return mn_NotImplemented;
    Value sa = mn_set_new(&SetType);
    Value it = mn_iter(a);
    if (!it)
        return MN_ERR;
    for (;;) {
        Value x = mn_next(it);
        if (!x) {
            if (mn_exc_occurred())
                return MN_ERR;
            break;
        }
        if (mn_set_add(sa, x) < 0)
            return MN_ERR;
    }
    Value sb = b;
    if (!mn_isinstance_t(b, &SetType) && !mn_isinstance_t(b, &FrozenSetType)) {
        sb = mn_set_new(&SetType);
        it = mn_iter(b);
        if (!it)
            return MN_ERR;
        for (;;) {
            Value x = mn_next(it);
            if (!x) {
                if (mn_exc_occurred())
                    return MN_ERR;
                break;
            }
            if (mn_set_add(sb, x) < 0)
                return MN_ERR;
        }
    }
    return mn_binop(op, sa, sb);
}

static Value keys_richcmp(Value a, Value b, CmpOp op)
{
    Type *tb = mn_typeof(b);
    bool setlike = tb == &DictKeysType || tb == &DictItemsType
                   || mn_isinstance_t(b, &SetType) || mn_isinstance_t(b, &FrozenSetType);
    if (!setlike)
        return mn_NotImplemented;
    /* compare as sets */
    Value sa = mn_set_new(&SetType), sb = mn_set_new(&SetType);
    Value srcs[2] = {a, b}, dsts[2] = {sa, sb};
    for (int j = 0; j < 2; j++) {
        Value it = mn_iter(srcs[j]);
        if (!it)
            return MN_ERR;
        for (;;) {
            Value x = mn_next(it);
            if (!x) {
                if (mn_exc_occurred())
                    return MN_ERR;
                break;
            }
            if (mn_set_add(dsts[j], x) < 0)
                return MN_ERR;
        }
    }
    return mn_richcmp(sa, sb, op);
}

static Value view_isdisjoint(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("isdisjoint", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value it = mn_iter(args[1]);
    if (!it)
        return MN_ERR;
    Type *t = mn_typeof(args[0]);
    for (;;) {
        Value x = mn_next(it);
        if (!x)
            return mn_exc_occurred() ? MN_ERR : mn_True;
        int r = t->contains(args[0], x);
        if (r < 0)
            return MN_ERR;
        if (r)
            return mn_False;
    }
}

static Value view_reversed(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__reversed__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value d = VIEW_DICT(args[0]);
    Type *t = mn_typeof(args[0]);
    if (t == &DictKeysType)
        return dictiter_new(d, &DictRevIterType);
    /* values/items reversed: materialise (rare) */
    Value l = mn_sequence_to_list(args[0]);
    if (!l)
        return MN_ERR;
    Value *items = AS(ListObject, l)->items;
    for (int64_t i = 0, j = AS(ListObject, l)->len - 1; i < j; i++, j--) {
        Value tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
    }
    return mn_iter(l);
}

static MethodDef keys_methods[] = {
    {"isdisjoint", view_isdisjoint, 0, NULL},
    {"__reversed__", view_reversed, 0, NULL},
    {NULL, NULL, 0, NULL},
};
static MethodDef values_methods[] = {
    {"__reversed__", view_reversed, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Type DictKeysType = {
    .hdr = {&TypeType},
    .name = "dict_keys",
    .base = &ObjectType,
    .basicsize = sizeof(DictViewObject),
    .methods = keys_methods,
    .repr = view_repr,
    .hash = mn_unhashable,
    .richcmp = keys_richcmp,
    .iter = keys_iter,
    .len = view_len,
    .contains = keys_contains,
    .binop = view_binop,
};

Type DictValuesType = {
    .hdr = {&TypeType},
    .name = "dict_values",
    .base = &ObjectType,
    .basicsize = sizeof(DictViewObject),
    .methods = values_methods,
    .repr = view_repr,
    .iter = values_iter,
    .len = view_len,
    .contains = values_contains,
};

Type DictItemsType = {
    .hdr = {&TypeType},
    .name = "dict_items",
    .base = &ObjectType,
    .basicsize = sizeof(DictViewObject),
    .methods = keys_methods,
    .repr = view_repr,
    .hash = mn_unhashable,
    .richcmp = keys_richcmp,
    .iter = items_iter,
    .len = view_len,
    .contains = items_contains,
    .binop = view_binop,
};

/* ------------------------------------------------------------------ */
/* Methods                                                              */
/* ------------------------------------------------------------------ */

#define SELF D(args[0])

static Value dict_get_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("get", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    Value v = mn_dict_get(args[0], args[1]);
    if (v)
        return v;
    if (mn_exc_occurred())
        return MN_ERR;
    return nargs > 2 ? args[2] : mn_None;
}

static Value dict_keys_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("keys", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return view_new(args[0], &DictKeysType);
}

static Value dict_values_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("values", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return view_new(args[0], &DictValuesType);
}

static Value dict_items_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("items", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return view_new(args[0], &DictItemsType);
}

static Value dict_pop_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("pop", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    uint64_t h;
    if (key_hash(args[1], &h) < 0)
        return MN_ERR;
    int64_t ix = lookup(SELF, args[1], h);
    if (ix == -2)
        return MN_ERR;
    if (ix < 0) {
        if (nargs > 2)
            return args[2];
        return mn_raise_value(&KeyErrorType, args[1]);
    }
    Value v = SELF->keys->entries[ix].value;
    delete_at(SELF, ix, h);
    return v;
}

static Value dict_popitem_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("popitem", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    DictObject *d = SELF;
    if (d->used == 0)
        return mn_raise(&KeyErrorType, "popitem(): dictionary is empty");
    DictKeys *k = d->keys;
    int64_t i = k->nentries - 1;
    while (i >= 0 && !k->entries[i].key)
        i--;
    DictEntry e = k->entries[i];
    delete_at(d, i, e.hash);
    k->nentries = i;    /* trailing holes are dropped, so popitem stays O(1) */
    return mn_tuple_pack(2, e.key, e.value);
}

static Value dict_setdefault_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setdefault", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    Value dflt = nargs > 2 ? args[2] : mn_None;
    uint64_t h;
    if (key_hash(args[1], &h) < 0)
        return MN_ERR;
    int64_t ix = lookup(SELF, args[1], h);
    if (ix == -2)
        return MN_ERR;
    if (ix >= 0)
        return SELF->keys->entries[ix].value;
    insert_new(SELF, args[1], h, dflt);
    return dflt;
}

static int update_common(Value self, Value *args, int nargs, Value kwargs, const char *name)
{
    if (nargs > 1) {
        mn_raise(&TypeErrorType, "%s expected at most 1 argument, got %d", name, nargs);
        return -1;
    }
    if (nargs == 1 && mn_dict_update(self, args[0]) < 0)
        return -1;
    if (kwargs && mn_dict_len(kwargs) && merge_dict(D(self), D(kwargs), true) < 0)
        return -1;
    return 0;
}

static Value dict_update_m(Value *args, int nargs, Value kwargs)
{
    return update_common(args[0], args + 1, nargs - 1, kwargs, "update") < 0 ? MN_ERR
                                                                               : mn_None;
}

static Value dict_copy_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("copy", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_dict_copy(args[0]);
}

static Value dict_clear_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("clear", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    SELF->used = 0;
    __atomic_store_n(&SELF->keys, EMPTY_KEYS, __ATOMIC_RELEASE);
    return mn_None;
}

static Value dict_fromkeys_m(Value *args, int nargs, Value kwargs)
{
    /* classmethod: args[0] is the class */
    if (mn_argcheck("fromkeys", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    Value v = nargs > 2 ? args[2] : mn_None;
    Value d = mn_call0(args[0]);
    if (!d)
        return MN_ERR;
    Value it = mn_iter(args[1]);
    if (!it)
        return MN_ERR;
    bool fast = MN_IS_EXACT(d, DictType);
    for (;;) {
        Value k = mn_next(it);
        if (!k)
            return mn_exc_occurred() ? MN_ERR : d;
        if (fast ? mn_dict_set(d, k, v) < 0 : mn_setitem(d, k, v) < 0)
            return MN_ERR;
    }
}

static Value dict_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    return mn_val(dict_alloc(t));
}

static int dict_init_slot(Value self, Value *args, int nargs, Value kwargs)
{
    return update_common(self, args, nargs, kwargs, "dict");
}









static Value dict_reversed_m(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__reversed__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return dictiter_new(args[0], &DictRevIterType);
}


static Value dict_binop(BinOp op, Value a, Value b)
{
    if (op != OP_OR || !mn_is_dict(a) || !mn_is_dict(b))
        return mn_NotImplemented;
    Value r = mn_dict_copy(a);
    if (mn_dict_update(r, b) < 0)
        return MN_ERR;
    return r;
}

static Value dict_inplace(BinOp op, Value a, Value b)
{
    if (op != OP_OR || !mn_is_dict(a))
        return mn_NotImplemented;
    if (mn_dict_update(a, b) < 0)
        return MN_ERR;
    return a;
}


static MethodDef dict_methods[] = {
    {"get", dict_get_m, 0, NULL},
    {"keys", dict_keys_m, 0, NULL},
    {"values", dict_values_m, 0, NULL},
    {"items", dict_items_m, 0, NULL},
    {"pop", dict_pop_m, 0, NULL},
    {"popitem", dict_popitem_m, 0, NULL},
    {"setdefault", dict_setdefault_m, 0, NULL},
    {"update", dict_update_m, 0, NULL},
    {"copy", dict_copy_m, 0, NULL},
    {"clear", dict_clear_m, 0, NULL},
    {"fromkeys", dict_fromkeys_m, METH_CLASS, NULL},
    {"__reversed__", dict_reversed_m, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static int dict_truthy(Value self) { return D(self)->used != 0; }

Type DictType = {
    .hdr = {&TypeType},
    .name = "dict",
    .base = &ObjectType,
    .flags = TF_BASETYPE | TF_DICT_SUB,
    .basicsize = sizeof(DictObject),
    .methods = dict_methods,
    .new = dict_new_slot,
    .init = dict_init_slot,
    .repr = dict_repr,
    .hash = mn_unhashable,
    .richcmp = dict_richcmp,
    .truthy = dict_truthy,
    .iter = dict_iter,
    .len = dict_len,
    .getitem = dict_getitem,
    .setitem = dict_setitem,
    .contains = dict_contains,
    .binop = dict_binop,
    .inplace = dict_inplace,
};

static MethodDef dictiter_methods[] = {
    {NULL, NULL, 0, NULL},
};

Type DictIterType = {
    .hdr = {&TypeType},
    .name = "dict_keyiterator",
    .base = &ObjectType,
    .basicsize = sizeof(DictIterObject),
    .methods = dictiter_methods,
    .iter = iter_self,
    .next = dictiter_next_key,
};

static Type DictValueIterType = {
    .hdr = {&TypeType},
    .name = "dict_valueiterator",
    .base = &ObjectType,
    .basicsize = sizeof(DictIterObject),
    .methods = dictiter_methods,
    .iter = iter_self,
    .next = dictiter_next_value,
};

static Type DictItemIterType = {
    .hdr = {&TypeType},
    .name = "dict_itemiterator",
    .base = &ObjectType,
    .basicsize = sizeof(DictIterObject),
    .methods = dictiter_methods,
    .iter = iter_self,
    .next = dictiter_next_item,
};

static Type DictRevIterType = {
    .hdr = {&TypeType},
    .name = "dict_reversekeyiterator",
    .base = &ObjectType,
    .basicsize = sizeof(DictIterObject),
    .methods = dictiter_methods,
    .iter = iter_self,
    .next = dictiter_next_rev,
};

/* For mn_init_containers (iter.c). */
int mn_ready_dict_private_types(void);
int mn_ready_dict_private_types(void)
{
    id_keys = mn_intern("keys");
    dict_keys_descr = mn_type_lookup(&DictType, id_keys);
    if (mn_type_ready(&DictValueIterType) < 0 || mn_type_ready(&DictItemIterType) < 0
        || mn_type_ready(&DictRevIterType) < 0)
        return -1;
    return 0;
}
