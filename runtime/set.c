/*
 * set.c -- set and frozenset.
 *
 * The table follows CPython's setobject.c algorithm exactly, because the
 * iteration order of a set is visible (print({3, 1, 2})) and programs
 * compare it with CPython's: open addressing over (key, hash) entries,
 * each probe scanning LINEAR_PROBES=9 neighbours before the perturbed
 * jump i = 5*i + 1 + perturb (perturb >>= 5); minimum size 8; a table is
 * resized when fill*5 >= mask*3 to the smallest power of two above
 * used*4 (used*2 beyond 50000 entries); deleted entries become dummies.
 * The union/intersection/difference algorithms iterate the same operand
 * CPython does, so results come out in the same order too.
 *
 * A resize builds a complete new table and publishes its pointer; the old
 * table is left to the collector (growth discipline for free threading).
 */
#include <string.h>

#include "object.h"
#include "../vm/eval.h"

#define MINSIZE 8
#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5

typedef struct {
    Value key;          /* 0 = never used, DUMMY = deleted */
    int64_t hash;
} SetEntry;

typedef struct {
    Object hdr;
    int64_t fill;       /* active + dummy entries */
    int64_t used;       /* active entries */
    int64_t mask;       /* table size - 1 */
    SetEntry *table;
    int64_t finger;     /* pop() search start */
    int64_t hash;       /* frozenset: cached hash, -1 = not yet */
} SetObject;

static Object dummy_obj;
#define DUMMY ((Value)&dummy_obj)

#define S(v) AS(SetObject, v)

static inline bool is_anyset(Value v)
{
    return mn_is_obj(v) && (mn_isinstance_t(v, &SetType) || mn_isinstance_t(v, &FrozenSetType));
}

static inline bool is_frozen_type(Type *t)
{
    return t == &FrozenSetType || mn_is_subtype(t, &FrozenSetType);
}

static SetEntry *table_new(int64_t size)
{
    return gc_alloc((size_t)size * sizeof(SetEntry));
}

static SetObject *set_alloc(Type *t)
{
    SetObject *s = mn_alloc_obj(t, sizeof(SetObject));
    s->mask = MINSIZE - 1;
    s->table = table_new(MINSIZE);
    s->hash = -1;
    return s;
}

Value mn_set_new(Type *t) { return mn_val(set_alloc(t)); }

/* Result type of set operations: set for set subclasses, frozenset for
 * frozenset subclasses (CPython's make_new_set_basetype). */
static SetObject *new_basetype(Value so)
{
    return set_alloc(is_frozen_type(mn_typeof(so)) ? &FrozenSetType : &SetType);
}

static int key_hash(Value k, int64_t *h)
{
    if (mn_is_int(k)) {
        *h = mn_small_int_hash(mn_int_val(k));
        return 0;
    }
    if (MN_IS_EXACT(k, StrType)) {
        *h = (int64_t)mn_str_hash(k);
        return 0;
    }
    return mn_hash(k, h);
}

/* ------------------------------------------------------------------ */
/* Table algorithm                                                      */
/* ------------------------------------------------------------------ */

static inline int keys_equal(Value a, Value b)
{
    if (a == b)
        return 1;
    if (mn_is_int(a) && mn_is_int(b))
        return 0;
    if (MN_IS_EXACT(a, StrType) && MN_IS_EXACT(b, StrType))
        return mn_str_eq(a, b);
    return mn_eq(a, b);
}

/* The entry holding key, or the empty entry that ends the probe; NULL on
 * error.  Restarts if a comparison mutated the table. */
static SetEntry *set_lookkey(SetObject *so, Value key, int64_t hash)
{
restart:;
    SetEntry *table = so->table;
    size_t mask = (size_t)so->mask, i = (size_t)hash & mask;
    uint64_t perturb = (uint64_t)hash;
    for (;;) {
        SetEntry *e = &table[i];
        int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
        do {
            if (e->key == 0)
                return e;
            if (e->hash == hash && e->key != DUMMY) {
                Value start = e->key;
                int r = keys_equal(start, key);
                if (r < 0)
                    return NULL;
                if (table != so->table || e->key != start)
                    goto restart;
                if (r)
                    return e;
            }
            e++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

static void insert_clean(SetEntry *table, size_t mask, Value key, int64_t hash)
{
    size_t i = (size_t)hash & mask;
    uint64_t perturb = (uint64_t)hash;
    for (;;) {
        SetEntry *e = &table[i];
        if (e->key == 0)
            goto found;
        if (i + LINEAR_PROBES <= mask) {
            for (int j = 0; j < LINEAR_PROBES; j++) {
                e++;
                if (e->key == 0)
                    goto found;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
        continue;
    found:
        e->key = key;
        e->hash = hash;
        return;
    }
}

static void table_resize(SetObject *so, int64_t minused)
{
    size_t newsize = MINSIZE;
    while (newsize <= (size_t)minused)
        newsize <<= 1;
    SetEntry *old = so->table, *nt = table_new((int64_t)newsize);
    size_t oldmask = (size_t)so->mask, newmask = newsize - 1;
    for (size_t i = 0; i <= oldmask; i++) {
        Value k = old[i].key;
        if (k && k != DUMMY)
            insert_clean(nt, newmask, k, old[i].hash);
    }
    so->fill = so->used;
    __atomic_store_n(&so->table, nt, __ATOMIC_RELEASE);
    so->mask = (int64_t)newmask;
}

static int set_add_entry(SetObject *so, Value key, int64_t hash)
{
restart:;
    SetEntry *table = so->table, *freeslot = NULL, *e;
    size_t mask = (size_t)so->mask, i = (size_t)hash & mask;
    uint64_t perturb = (uint64_t)hash;
    for (;;) {
        e = &table[i];
        int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
        do {
            if (e->key == 0)
                goto found_unused_or_dummy;
            if (e->key == DUMMY) {
                freeslot = e;
            } else if (e->hash == hash) {
                Value start = e->key;
                int r = keys_equal(start, key);
                if (r > 0)
                    return 0;
                if (r < 0)
                    return -1;
                if (table != so->table || e->key != start)
                    goto restart;
                mask = (size_t)so->mask;
            }
            e++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
found_unused_or_dummy:
    if (freeslot) {
        freeslot->hash = hash;
        freeslot->key = key;
        so->used++;
        return 0;
    }
    e->hash = hash;
    e->key = key;
    so->fill++;
    so->used++;
    if ((size_t)so->fill * 5 < mask * 3)
        return 0;
    table_resize(so, so->used > 50000 ? so->used * 2 : so->used * 4);
    return 0;
}

static int set_contains_entry(SetObject *so, Value key, int64_t hash)
{
    SetEntry *e = set_lookkey(so, key, hash);
    return e ? e->key != 0 : -1;
}

enum { DISCARD_NOTFOUND = 0, DISCARD_FOUND = 1 };

static int set_discard_entry(SetObject *so, Value key, int64_t hash)
{
    SetEntry *e = set_lookkey(so, key, hash);
    if (!e)
        return -1;
    if (e->key == 0)
        return DISCARD_NOTFOUND;
    e->key = DUMMY;
    e->hash = -1;
    so->used--;
    return DISCARD_FOUND;
}

/* Hash a key for lookup; an unhashable set is looked up as a frozenset
 * (CPython does the same for `in`, remove and discard). */
static int lookup_hash(Value *key, int64_t *h)
{
    if (key_hash(*key, h) == 0)
        return 0;
    if (!mn_is_obj(*key) || !mn_isinstance_t(*key, &SetType) || !mn_exc_matches(&TypeErrorType))
        return -1;
    mn_exc_clear();
    SetObject *f = set_alloc(&FrozenSetType);
    SetObject *src = S(*key);
    for (int64_t i = 0; i <= src->mask; i++) {
        Value k = src->table[i].key;
        if (k && k != DUMMY && set_add_entry(f, k, src->table[i].hash) < 0)
            return -1;
    }
    *key = mn_val(f);
    return key_hash(*key, h);
}

static int set_add_key(SetObject *so, Value key)
{
    int64_t h;
    if (key_hash(key, &h) < 0)
        return -1;
    return set_add_entry(so, key, h);
}

static bool set_next_entry(SetObject *so, int64_t *pos, SetEntry **out)
{
    int64_t i = *pos, mask = so->mask;
    SetEntry *t = so->table;
    while (i <= mask && (t[i].key == 0 || t[i].key == DUMMY))
        i++;
    *pos = i + 1;
    if (i > mask)
        return false;
    *out = &t[i];
    return true;
}

static void set_clear_internal(SetObject *so)
{
    SetEntry *nt = table_new(MINSIZE);
    so->used = 0;
    so->fill = 0;
    __atomic_store_n(&so->table, nt, __ATOMIC_RELEASE);
    so->mask = MINSIZE - 1;
    so->hash = -1;
}

static int set_merge(SetObject *so, SetObject *other)
{
    if (other == so || other->used == 0)
        return 0;
    if ((so->fill + other->used) * 5 >= so->mask * 3)
        table_resize(so, (so->used + other->used) * 2);
    SetEntry *ot = other->table;
    if (so->fill == 0 && so->mask == other->mask && other->fill == other->used) {
        for (int64_t i = 0; i <= other->mask; i++)
            if (ot[i].key)
                so->table[i] = ot[i];
        so->fill = other->fill;
        so->used = other->used;
        return 0;
    }
    if (so->fill == 0) {
        so->fill = other->used;
        so->used = other->used;
        for (int64_t i = 0; i <= other->mask; i++) {
            Value k = ot[i].key;
            if (k && k != DUMMY)
                insert_clean(so->table, (size_t)so->mask, k, ot[i].hash);
        }
        return 0;
    }
    for (int64_t i = 0; i <= other->mask; i++) {
        Value k = ot[i].key;
        if (k && k != DUMMY && set_add_entry(so, k, ot[i].hash) < 0)
            return -1;
    }
    return 0;
}

/* Hash-carrying dict walk for set.update(dict). */
static int set_update_internal(SetObject *so, Value other)
{
    if (is_anyset(other))
        return set_merge(so, S(other));
    if (MN_IS_EXACT(other, DictType)) {
        int64_t n = mn_dict_len(other);
        if ((so->fill + n) * 5 >= so->mask * 3)
            table_resize(so, (so->used + n) * 2);
        int64_t pos = 0;
        Value k;
        while (mn_dict_next(other, &pos, &k, NULL))
            if (set_add_key(so, k) < 0)
                return -1;
        return 0;
    }
    Value it = mn_iter(other);
    if (!it)
        return -1;
    Type *it_t = mn_typeof(it);
    for (;;) {
        Value k = it_t->next ? it_t->next(it) : mn_next(it);
        if (!k)
            return mn_exc_occurred() ? -1 : 0;
        if (set_add_key(so, k) < 0)
            return -1;
    }
}

int mn_set_add(Value s, Value v) { return set_add_key(S(s), v); }

int mn_set_update(Value s, Value iterable) { return set_update_internal(S(s), iterable); }

int mn_set_contains(Value s, Value v)
{
    int64_t h;
    if (lookup_hash(&v, &h) < 0)
        return -1;
    return set_contains_entry(S(s), v, h);
}

int64_t mn_set_len(Value s) { return S(s)->used; }

bool mn_set_next(Value s, int64_t *pos, Value *key)
{
    SetEntry *e;
    if (!set_next_entry(S(s), pos, &e))
        return false;
    *key = e->key;
    return true;
}

/* ------------------------------------------------------------------ */
/* Set algebra (CPython's operand order)                                */
/* ------------------------------------------------------------------ */

static SetObject *set_copy(Value so)
{
    SetObject *r = new_basetype(so);
    if (set_merge(r, S(so)) < 0)
        return NULL;
    return r;
}

static SetObject *set_intersection(Value sov, Value other)
{
    if (sov == other)
        return set_copy(sov);
    SetObject *result = new_basetype(sov);
    SetObject *so = S(sov);
    if (is_anyset(other)) {
        SetObject *o = S(other);
        if (o->used > so->used) {
            SetObject *t = so;
            so = o;
            o = t;
        }
        int64_t pos = 0;
        SetEntry *e;
        while (set_next_entry(o, &pos, &e)) {
            Value k = e->key;
            int64_t h = e->hash;
            int r = set_contains_entry(so, k, h);
            if (r < 0)
                return NULL;
            if (r && set_add_entry(result, k, h) < 0)
                return NULL;
        }
        return result;
    }
    Value it = mn_iter(other);
    if (!it)
        return NULL;
    for (;;) {
        Value k = mn_next(it);
        if (!k)
            return mn_exc_occurred() ? NULL : result;
        int64_t h;
        if (key_hash(k, &h) < 0)
            return NULL;
        int r = set_contains_entry(so, k, h);
        if (r < 0)
            return NULL;
        if (r) {
            if (set_add_entry(result, k, h) < 0)
                return NULL;
            if (result->used >= so->used)
                return result;
        }
    }
}

static int set_difference_update_internal(SetObject *so, Value other)
{
    if (mn_val(so) == other) {
        set_clear_internal(so);
        return 0;
    }
    if (is_anyset(other)) {
        SetObject *o = S(other);
        if ((o->used >> 3) > so->used) {
            o = set_intersection(mn_val(so), other);
            if (!o)
                return -1;
        }
        int64_t pos = 0;
        SetEntry *e;
        while (set_next_entry(o, &pos, &e))
            if (set_discard_entry(so, e->key, e->hash) < 0)
                return -1;
    } else {
        Value it = mn_iter(other);
        if (!it)
            return -1;
        for (;;) {
            Value k = mn_next(it);
            if (!k) {
                if (mn_exc_occurred())
                    return -1;
                break;
            }
            int64_t h;
            if (lookup_hash(&k, &h) < 0 || set_discard_entry(so, k, h) < 0)
                return -1;
        }
    }
    if ((size_t)(so->fill - so->used) <= (size_t)so->mask / 4)
        return 0;
    table_resize(so, so->used > 50000 ? so->used * 2 : so->used * 4);
    return 0;
}

static SetObject *set_copy_and_difference(Value so, Value other)
{
    SetObject *r = set_copy(so);
    if (!r || set_difference_update_internal(r, other) < 0)
        return NULL;
    return r;
}

static SetObject *set_difference(Value sov, Value other)
{
    int64_t other_size;
    if (is_anyset(other))
        other_size = S(other)->used;
    else if (MN_IS_EXACT(other, DictType))
        other_size = mn_dict_len(other);
    else
        return set_copy_and_difference(sov, other);
    SetObject *so = S(sov);
    if ((so->used >> 2) > other_size)
        return set_copy_and_difference(sov, other);
    SetObject *result = new_basetype(sov);
    int64_t pos = 0;
    SetEntry *e;
    while (set_next_entry(so, &pos, &e)) {
        Value k = e->key;
        int64_t h = e->hash;
        int r = is_anyset(other) ? set_contains_entry(S(other), k, h) : mn_contains(other, k);
        if (r < 0)
            return NULL;
        if (!r && set_add_entry(result, k, h) < 0)
            return NULL;
    }
    return result;
}

static int set_symmetric_difference_update(SetObject *so, Value other)
{
    if (mn_val(so) == other) {
        set_clear_internal(so);
        return 0;
    }
    SetObject *o;
    if (MN_IS_EXACT(other, DictType)) {
        int64_t pos = 0;
        Value k;
        while (mn_dict_next(other, &pos, &k, NULL)) {
            int64_t h;
            if (key_hash(k, &h) < 0)
                return -1;
            int r = set_discard_entry(so, k, h);
            if (r < 0)
                return -1;
            if (r == DISCARD_NOTFOUND && set_add_entry(so, k, h) < 0)
                return -1;
        }
        return 0;
    }
    if (is_anyset(other)) {
        o = S(other);
    } else {
        o = new_basetype(mn_val(so));
        if (set_update_internal(o, other) < 0)
            return -1;
    }
    int64_t pos = 0;
    SetEntry *e;
    while (set_next_entry(o, &pos, &e)) {
        Value k = e->key;
        int64_t h = e->hash;
        int r = set_discard_entry(so, k, h);
        if (r < 0)
            return -1;
        if (r == DISCARD_NOTFOUND && set_add_entry(so, k, h) < 0)
            return -1;
    }
    return 0;
}

static SetObject *set_symmetric_difference(Value so, Value other)
{
    SetObject *r = new_basetype(so);
    if (set_update_internal(r, other) < 0)
        return NULL;
    if (set_symmetric_difference_update(r, so) < 0)
        return NULL;
    return r;
}

/* so <= other (other any iterable). */
static int set_issubset(Value so, Value other)
{
    if (!is_anyset(other)) {
        SetObject *tmp = set_alloc(&SetType);
        if (set_update_internal(tmp, other) < 0)
            return -1;
        other = mn_val(tmp);
    }
    if (S(so)->used > S(other)->used)
        return 0;
    int64_t pos = 0;
    SetEntry *e;
    while (set_next_entry(S(so), &pos, &e)) {
        int r = set_contains_entry(S(other), e->key, e->hash);
        if (r <= 0)
            return r;
    }
    return 1;
}

static int set_issuperset(Value so, Value other)
{
    if (is_anyset(other))
        return set_issubset(other, so);
    Value it = mn_iter(other);
    if (!it)
        return -1;
    for (;;) {
        Value k = mn_next(it);
        if (!k)
            return mn_exc_occurred() ? -1 : 1;
        int r = mn_set_contains(so, k);
        if (r <= 0)
            return r;
    }
}

/* ------------------------------------------------------------------ */
/* Slots                                                                */
/* ------------------------------------------------------------------ */

static Value set_binop(BinOp op, Value a, Value b)
{
    if (!is_anyset(a) || !is_anyset(b))
        return mn_NotImplemented;
    SetObject *r;
    switch (op) {
    case OP_OR:
        r = set_copy(a);
        if (r && a != b && set_update_internal(r, b) < 0)
            r = NULL;
        break;
    case OP_AND: r = set_intersection(a, b); break;
    case OP_SUB: r = set_difference(a, b); break;
    case OP_XOR: r = set_symmetric_difference(a, b); break;
    default: return mn_NotImplemented;
    }
    return r ? mn_val(r) : MN_ERR;
}

static Value set_inplace(BinOp op, Value a, Value b)
{
    if (!is_anyset(b) || !mn_isinstance_t(a, &SetType))
        return mn_NotImplemented;
    SetObject *so = S(a);
    switch (op) {
    case OP_OR:
        if (set_update_internal(so, b) < 0)
            return MN_ERR;
        return a;
    case OP_AND: {
        SetObject *t = set_intersection(a, b);
        if (!t)
            return MN_ERR;
        so->fill = t->fill;
        so->used = t->used;
        __atomic_store_n(&so->table, t->table, __ATOMIC_RELEASE);
        so->mask = t->mask;
        return a;
    }
    case OP_SUB:
        if (set_difference_update_internal(so, b) < 0)
            return MN_ERR;
        return a;
    case OP_XOR:
        if (set_symmetric_difference_update(so, b) < 0)
            return MN_ERR;
        return a;
    default:
        return mn_NotImplemented;
    }
}

static Value set_richcmp(Value a, Value b, CmpOp op)
{
    if (!is_anyset(b) || !is_anyset(a))
        return mn_NotImplemented;
    SetObject *x = S(a), *y = S(b);
    int r;
    switch (op) {
    case CMP_EQ:
    case CMP_NE:
        if (x->used != y->used)
            r = 0;
        else if (x->hash != -1 && y->hash != -1 && x->hash != y->hash)
            r = 0;
        else
            r = set_issubset(a, b);
        if (r < 0)
            return MN_ERR;
        return mn_bool(op == CMP_EQ ? r : !r);
    case CMP_LE:
        r = set_issubset(a, b);
        break;
    case CMP_GE:
        r = set_issubset(b, a);
        break;
    case CMP_LT:
        r = x->used < y->used ? set_issubset(a, b) : 0;
        break;
    default:
        r = x->used > y->used ? set_issubset(b, a) : 0;
        break;
    }
    return r < 0 ? MN_ERR : mn_bool(r);
}

static uint64_t shuffle_bits(uint64_t h)
{
    return ((h ^ 89869747UL) ^ (h << 16)) * 3644798167UL;
}

static int frozenset_hash(Value self, int64_t *out)
{
    SetObject *so = S(self);
    if (so->hash != -1) {
        *out = so->hash;
        return 0;
    }
    uint64_t hash = 0;
    for (int64_t i = 0; i <= so->mask; i++) {
        Value k = so->table[i].key;
        if (k && k != DUMMY)
            hash ^= shuffle_bits((uint64_t)so->table[i].hash);
    }
    hash ^= ((uint64_t)so->used + 1) * 1927868237UL;
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + 907133923UL;
    if (hash == (uint64_t)-1)
        hash = 590923713UL;
    so->hash = (int64_t)hash;
    *out = (int64_t)hash;
    return 0;
}

static int64_t set_len(Value self) { return S(self)->used; }

static int set_contains_slot(Value self, Value x) { return mn_set_contains(self, x); }

static Value set_repr(Value self)
{
    SetObject *so = S(self);
    Type *t = mn_typeof(self);
    if (mn_check_c_stack() < 0)
        return MN_ERR;
    if (mn_repr_enter(self))
        return mn_str_fmt("%s(...)", t->name);
    if (so->used == 0) {
        mn_repr_leave(self);
        return mn_str_fmt("%s()", t->name);
    }
    StrBuf b;
    sb_init(&b);
    bool plain = t == &SetType;
    if (!plain) {
        sb_adds(&b, t->name);
        sb_addc(&b, '(');
    }
    sb_addc(&b, '{');
    int64_t pos = 0;
    SetEntry *e;
    bool first = true;
    while (set_next_entry(so, &pos, &e)) {
        if (!first)
            sb_add(&b, ", ", 2);
        first = false;
        if (sb_add_value_repr(&b, e->key) < 0) {
            mn_repr_leave(self);
            return MN_ERR;
        }
    }
    sb_addc(&b, '}');
    if (!plain)
        sb_addc(&b, ')');
    mn_repr_leave(self);
    return sb_finish(&b);
}

/* ------------------------------------------------------------------ */
/* Iterator                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value set;          /* 0 once exhausted */
    int64_t pos;
    int64_t used;
} SetIterObject;

static Value set_iter(Value self)
{
    SetIterObject *it = gc_alloc(sizeof *it);
    it->hdr.type = &SetIterType;
    it->set = self;
    it->used = S(self)->used;
    return mn_val(it);
}

static Value setiter_next(Value self)
{
    SetIterObject *it = AS(SetIterObject, self);
    if (!it->set)
        return MN_ERR;
    SetObject *so = S(it->set);
    if (it->used != so->used) {
        it->used = -1;
        return mn_raise(&RuntimeErrorType, "Set changed size during iteration");
    }
    SetEntry *e;
    if (!set_next_entry(so, &it->pos, &e)) {
        it->set = 0;
        return MN_ERR;
    }
    return e->key;
}

static Value iter_self(Value self) { return self; }

/* ------------------------------------------------------------------ */
/* Construction                                                         */
/* ------------------------------------------------------------------ */

static Value set_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    return mn_val(set_alloc(t));
}

static int set_init_slot(Value self, Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise_int(&TypeErrorType, "set() takes no keyword arguments");
    if (nargs > 1)
        return mn_raise_int(&TypeErrorType, "set expected at most 1 argument, got %d", nargs);
    SetObject *so = S(self);
    if (so->fill)
        set_clear_internal(so);
    if (nargs == 1)
        return set_update_internal(so, args[0]);
    return 0;
}

static Value frozenset_new_slot(Type *t, Value *args, int nargs, Value kwargs)
{
    if (t == &FrozenSetType && kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "frozenset() takes no keyword arguments");
    if (nargs > 1)
        return mn_raise(&TypeErrorType, "%s expected at most 1 argument, got %d", t->name,
                        nargs);
    if (t == &FrozenSetType && nargs == 1 && MN_IS_EXACT(args[0], FrozenSetType))
        return args[0];
    SetObject *so = set_alloc(t);
    if (nargs == 1 && set_update_internal(so, args[0]) < 0)
        return MN_ERR;
    return mn_val(so);
}

/* ------------------------------------------------------------------ */
/* Methods                                                              */
/* ------------------------------------------------------------------ */

#define SELF S(args[0])

static Value m_add(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("add", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return set_add_key(SELF, args[1]) < 0 ? MN_ERR : mn_None;
}

static Value m_remove(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("remove", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value k = args[1];
    int64_t h;
    if (lookup_hash(&k, &h) < 0)
        return MN_ERR;
    int r = set_discard_entry(SELF, k, h);
    if (r < 0)
        return MN_ERR;
    if (r == DISCARD_NOTFOUND)
        return mn_raise_value(&KeyErrorType, args[1]);
    return mn_None;
}

static Value m_discard(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("discard", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value k = args[1];
    int64_t h;
    if (lookup_hash(&k, &h) < 0)
        return MN_ERR;
    return set_discard_entry(SELF, k, h) < 0 ? MN_ERR : mn_None;
}

static Value m_pop(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("pop", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    SetObject *so = SELF;
    if (so->used == 0)
        return mn_raise(&KeyErrorType, "pop from an empty set");
    SetEntry *t = so->table, *e = t + (so->finger & so->mask), *limit = t + so->mask;
    while (e->key == 0 || e->key == DUMMY) {
        e++;
        if (e > limit)
            e = t;
    }
    Value k = e->key;
    e->key = DUMMY;
    e->hash = -1;
    so->used--;
    so->finger = e - t + 1;
    return k;
}

static Value m_clear(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("clear", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    set_clear_internal(SELF);
    return mn_None;
}

static Value m_copy(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("copy", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    if (MN_IS_EXACT(args[0], FrozenSetType))
        return args[0];
    SetObject *r = set_copy(args[0]);
    return r ? mn_val(r) : MN_ERR;
}

static Value m_union(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("union", 0, kwargs, 0, 0) < 0)
        return MN_ERR;
    SetObject *r = set_copy(args[0]);
    if (!r)
        return MN_ERR;
    for (int i = 1; i < nargs; i++) {
        if (args[i] == args[0])
            continue;
        if (set_update_internal(r, args[i]) < 0)
            return MN_ERR;
    }
    return mn_val(r);
}

static Value m_intersection(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("intersection", 0, kwargs, 0, 0) < 0)
        return MN_ERR;
    if (nargs == 1) {
        SetObject *r = set_copy(args[0]);
        return r ? mn_val(r) : MN_ERR;
    }
    Value result = args[0];
    for (int i = 1; i < nargs; i++) {
        SetObject *r = set_intersection(result, args[i]);
        if (!r)
            return MN_ERR;
        result = mn_val(r);
    }
    return result;
}

static Value m_difference(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("difference", 0, kwargs, 0, 0) < 0)
        return MN_ERR;
    if (nargs == 1) {
        SetObject *r = set_copy(args[0]);
        return r ? mn_val(r) : MN_ERR;
    }
    SetObject *r = set_difference(args[0], args[1]);
    if (!r)
        return MN_ERR;
    for (int i = 2; i < nargs; i++)
        if (set_difference_update_internal(r, args[i]) < 0)
            return MN_ERR;
    return mn_val(r);
}

static Value m_symmetric_difference(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("symmetric_difference", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    SetObject *r = set_symmetric_difference(args[0], args[1]);
    return r ? mn_val(r) : MN_ERR;
}

static Value m_update(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("update", 0, kwargs, 0, 0) < 0)
        return MN_ERR;
    for (int i = 1; i < nargs; i++)
        if (set_update_internal(SELF, args[i]) < 0)
            return MN_ERR;
    return mn_None;
}

static Value m_intersection_update(Value *args, int nargs, Value kwargs)
{
    Value r = m_intersection(args, nargs, kwargs);
    if (!r)
        return MN_ERR;
    SetObject *so = SELF, *t = S(r);
    if (t == so)
        return mn_None;
    /* swap bodies */
    so->fill = t->fill;
    so->used = t->used;
    __atomic_store_n(&so->table, t->table, __ATOMIC_RELEASE);
    so->mask = t->mask;
    return mn_None;
}

static Value m_difference_update(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("difference_update", 0, kwargs, 0, 0) < 0)
        return MN_ERR;
    for (int i = 1; i < nargs; i++)
        if (set_difference_update_internal(SELF, args[i]) < 0)
            return MN_ERR;
    return mn_None;
}

static Value m_symmetric_difference_update(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("symmetric_difference_update", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return set_symmetric_difference_update(SELF, args[1]) < 0 ? MN_ERR : mn_None;
}

static Value m_issubset(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("issubset", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int r = set_issubset(args[0], args[1]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value m_issuperset(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("issuperset", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int r = set_issuperset(args[0], args[1]);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value m_isdisjoint(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("isdisjoint", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value so = args[0], other = args[1];
    if (so == other)
        return mn_bool(S(so)->used == 0);
    if (is_anyset(other)) {
        if (S(other)->used > S(so)->used) {
            Value t = so;
            so = other;
            other = t;
        }
        int64_t pos = 0;
        SetEntry *e;
        while (set_next_entry(S(other), &pos, &e)) {
            int r = set_contains_entry(S(so), e->key, e->hash);
            if (r < 0)
                return MN_ERR;
            if (r)
                return mn_False;
        }
        return mn_True;
    }
    Value it = mn_iter(other);
    if (!it)
        return MN_ERR;
    for (;;) {
        Value k = mn_next(it);
        if (!k)
            return mn_exc_occurred() ? MN_ERR : mn_True;
        int r = mn_set_contains(so, k);
        if (r < 0)
            return MN_ERR;
        if (r)
            return mn_False;
    }
}







static MethodDef set_methods[] = {
    {"add", m_add, 0, NULL},
    {"remove", m_remove, 0, NULL},
    {"discard", m_discard, 0, NULL},
    {"pop", m_pop, 0, NULL},
    {"clear", m_clear, 0, NULL},
    {"copy", m_copy, 0, NULL},
    {"union", m_union, 0, NULL},
    {"intersection", m_intersection, 0, NULL},
    {"difference", m_difference, 0, NULL},
    {"symmetric_difference", m_symmetric_difference, 0, NULL},
    {"update", m_update, 0, NULL},
    {"intersection_update", m_intersection_update, 0, NULL},
    {"difference_update", m_difference_update, 0, NULL},
    {"symmetric_difference_update", m_symmetric_difference_update, 0, NULL},
    {"issubset", m_issubset, 0, NULL},
    {"issuperset", m_issuperset, 0, NULL},
    {"isdisjoint", m_isdisjoint, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static MethodDef frozenset_methods[] = {
    {"copy", m_copy, 0, NULL},
    {"union", m_union, 0, NULL},
    {"intersection", m_intersection, 0, NULL},
    {"difference", m_difference, 0, NULL},
    {"symmetric_difference", m_symmetric_difference, 0, NULL},
    {"issubset", m_issubset, 0, NULL},
    {"issuperset", m_issuperset, 0, NULL},
    {"isdisjoint", m_isdisjoint, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static int set_truthy(Value self) { return S(self)->used != 0; }

Type SetType = {
    .hdr = {&TypeType},
    .name = "set",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(SetObject),
    .methods = set_methods,
    .new = set_new_slot,
    .init = set_init_slot,
    .repr = set_repr,
    .hash = mn_unhashable,
    .richcmp = set_richcmp,
    .truthy = set_truthy,
    .iter = set_iter,
    .len = set_len,
    .contains = set_contains_slot,
    .binop = set_binop,
    .inplace = set_inplace,
};

Type FrozenSetType = {
    .hdr = {&TypeType},
    .name = "frozenset",
    .base = &ObjectType,
    .flags = TF_BASETYPE,
    .basicsize = sizeof(SetObject),
    .methods = frozenset_methods,
    .new = frozenset_new_slot,
    .repr = set_repr,
    .hash = frozenset_hash,
    .richcmp = set_richcmp,
    .truthy = set_truthy,
    .iter = set_iter,
    .len = set_len,
    .contains = set_contains_slot,
    .binop = set_binop,
};

static MethodDef setiter_methods[] = {
    {NULL, NULL, 0, NULL},
};

Type SetIterType = {
    .hdr = {&TypeType},
    .name = "set_iterator",
    .base = &ObjectType,
    .basicsize = sizeof(SetIterObject),
    .methods = setiter_methods,
    .iter = iter_self,
    .next = setiter_next,
};
