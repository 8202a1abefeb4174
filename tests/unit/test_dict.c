/*
 * test_dict.c -- the compact ordered dict: insertion order across
 * deletions and resizes, a 100k-operation randomized run checked against
 * a reference model, and the str fast paths agreeing with the generic
 * ones.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/object.h"
#include "vm/tstate.h"

static void setup(void)
{
    if (mn_ts())
        return;
    gc_init();
    cr_assert(mn_runtime_init() == 0);
    mn_tstate_new(&mn_interp);
}

TestSuite(dict, .init = setup);

/* Keys of d in iteration order, as small ints, into out; returns count. */
static int64_t keys_of(Value d, int64_t *out)
{
    int64_t pos = 0, n = 0;
    Value k, v;
    while (mn_dict_next(d, &pos, &k, &v)) {
        cr_assert(mn_is_int(k));
        out[n++] = mn_int_val(k);
    }
    return n;
}

Test(dict, order_kept_across_deletes_and_resizes)
{
    Value d = mn_dict_new();
    for (int i = 0; i < 1000; i++)
        cr_assert(mn_dict_set(d, mn_int(i), mn_int(i * 2)) == 0);
    for (int i = 0; i < 1000; i += 2)
        cr_assert(mn_dict_del(d, mn_int(i)) == 0);
    /* re-inserting a deleted key puts it at the end; overwriting keeps
     * the position */
    cr_assert(mn_dict_set(d, mn_int(0), mn_int(-1)) == 0);
    cr_assert(mn_dict_set(d, mn_int(1), mn_int(-2)) == 0);
    for (int i = 1000; i < 3000; i++)          /* forces resizes/compaction */
        cr_assert(mn_dict_set(d, mn_int(i), mn_int(i)) == 0);
    static int64_t got[4000];
    int64_t n = keys_of(d, got);
    cr_assert_eq(n, 500 + 1 + 2000);
    cr_assert_eq(mn_dict_len(d), n);
    int64_t k = 0;
    for (int i = 1; i < 1000; i += 2)
        cr_assert_eq(got[k++], i);
    cr_assert_eq(got[k++], 0);
    for (int i = 1000; i < 3000; i++)
        cr_assert_eq(got[k++], i);
    cr_assert_eq(mn_dict_get(d, mn_int(1)), mn_int(-2));
    cr_assert_eq(mn_dict_get(d, mn_int(0)), mn_int(-1));
    cr_assert_eq(mn_dict_get(d, mn_int(2)), 0);
    cr_assert(!mn_exc_occurred());
    /* delete everything but the last key, then grow again */
    for (int64_t i = 0; i < n - 1; i++)
        cr_assert(mn_dict_del(d, mn_int(got[i])) == 0);
    cr_assert_eq(mn_dict_len(d), 1);
    cr_assert(mn_dict_set(d, mn_int(-7), mn_None) == 0);
    n = keys_of(d, got);
    cr_assert_eq(n, 2);
    cr_assert_eq(got[0], 2999);
    cr_assert_eq(got[1], -7);
    /* missing key: KeyError carrying the key */
    cr_assert(mn_dict_del(d, mn_int(12345)) < 0);
    cr_assert(mn_exc_matches(&KeyErrorType));
    mn_exc_clear();
}

/* Cheap deterministic PRNG (xorshift64*). */
static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

Test(dict, randomized_100k_ops_match_reference)
{
    enum { NKEYS = 5000, NOPS = 100000 };
    static int64_t val[NKEYS];      /* 0 = absent */
    static int64_t seq[NKEYS];      /* insertion sequence of present keys */
    memset(val, 0, sizeof val);
    Value d = mn_dict_new();
    int64_t present = 0, clock = 0;
    for (int op = 0; op < NOPS; op++) {
        int64_t k = (int64_t)(next_rand() % NKEYS);
        /* mix int keys and str keys that map to the same slot number */
        bool use_str = k % 3 == 0;
        char buf[24];
        snprintf(buf, sizeof buf, "k%lld", (long long)k);
        Value key = use_str ? mn_str(buf) : mn_int(k);
        if (next_rand() % 100 < 60) {
            int64_t v = (int64_t)(next_rand() % 1000000) + 1;
            cr_assert(mn_dict_set(d, key, mn_int(v)) == 0);
            if (!val[k]) {
                present++;
                seq[k] = clock++;
            }
            val[k] = v;
        } else {
            int r = mn_dict_del(d, key);
            if (val[k]) {
                cr_assert(r == 0);
                val[k] = 0;
                present--;
            } else {
                cr_assert(r < 0);
                cr_assert(mn_exc_matches(&KeyErrorType));
                mn_exc_clear();
            }
        }
        if (op % 10000 == 0)
            cr_assert_eq(mn_dict_len(d), present);
    }
    cr_assert_eq(mn_dict_len(d), present);
    /* every key: present with the right value, or absent */
    for (int64_t k = 0; k < NKEYS; k++) {
        char buf[24];
        snprintf(buf, sizeof buf, "k%lld", (long long)k);
        Value key = k % 3 == 0 ? mn_str(buf) : mn_int(k);
        Value v = mn_dict_get(d, key);
        if (val[k])
            cr_assert_eq(v, mn_int(val[k]));
        else
            cr_assert_eq(v, 0);
    }
    /* iteration yields present keys in insertion order */
    int64_t pos = 0, n = 0, last = -1;
    Value k, v;
    while (mn_dict_next(d, &pos, &k, &v)) {
        int64_t ki = mn_is_int(k) ? mn_int_val(k) : atoll(mn_cstr(k) + 1);
        cr_assert(val[ki]);
        cr_assert(seq[ki] > last, "order broken at key %lld", (long long)ki);
        last = seq[ki];
        n++;
    }
    cr_assert_eq(n, present);
}

Test(dict, str_fast_path_equals_generic_path)
{
    Value d = mn_dict_new();
    char buf[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "key-%d", i);
        if (i % 2)
            mn_dict_set_str(d, mn_intern(buf), mn_int(i));   /* interned, fast path */
        else
            cr_assert(mn_dict_set(d, mn_str(buf), mn_int(i)) == 0);   /* generic */
    }
    cr_assert_eq(mn_dict_len(d), 3000);
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "key-%d", i);
        Value fresh = mn_str(buf), interned = mn_intern(buf);
        Value a = mn_dict_get_str(d, fresh);
        Value b = mn_dict_get(d, fresh);
        Value c = mn_dict_get_str(d, interned);
        Value e = mn_dict_get_cstr(d, buf);
        cr_assert_eq(a, mn_int(i));
        cr_assert_eq(a, b);
        cr_assert_eq(a, c);
        cr_assert_eq(a, e);
    }
    cr_assert_eq(mn_dict_get_str(d, mn_str("key-3000")), 0);
    cr_assert_eq(mn_dict_get(d, mn_str("key-3000")), 0);
    /* overwriting through either path updates the same entry */
    mn_dict_set_str(d, mn_intern("key-2"), mn_int(-2));
    cr_assert_eq(mn_dict_get(d, mn_str("key-2")), mn_int(-2));
    cr_assert(mn_dict_set(d, mn_str("key-3"), mn_int(-3)) == 0);
    cr_assert_eq(mn_dict_get_str(d, mn_intern("key-3")), mn_int(-3));
    cr_assert_eq(mn_dict_len(d), 3000);
    /* non-str keys with colliding hashes do not confuse the str path */
    cr_assert(mn_dict_set(d, mn_int((intptr_t)mn_str_hash(mn_str("zz")) >> 3), mn_True) == 0);
    cr_assert_eq(mn_dict_get_str(d, mn_str("zz")), 0);
}

Test(dict, copy_update_and_equality)
{
    Value d = mn_dict_new();
    for (int i = 0; i < 100; i++)
        cr_assert(mn_dict_set(d, mn_int(i), mn_int(i * i)) == 0);
    Value c = mn_dict_copy(d);
    cr_assert_eq(mn_dict_len(c), 100);
    cr_assert_eq(mn_richcmp_bool(c, d, CMP_EQ), 1);
    cr_assert(mn_dict_set(c, mn_int(5), mn_int(0)) == 0);
    cr_assert_eq(mn_richcmp_bool(c, d, CMP_EQ), 0);
    Value e = mn_dict_new();
    cr_assert(mn_dict_update(e, d) == 0);
    cr_assert(mn_dict_update(e, c) == 0);
    cr_assert_eq(mn_dict_get(e, mn_int(5)), mn_int(0));
    Value keys = mn_dict_keys_list(e);
    cr_assert_eq(AS(ListObject, keys)->len, 100);
    cr_assert_eq(AS(ListObject, keys)->items[99], mn_int(99));
    /* update from a list of pairs */
    Value pairs = mn_list_new(0);
    cr_assert(mn_list_append(pairs, mn_tuple_pack(2, mn_str("a"), mn_int(1))) == 0);
    cr_assert(mn_dict_update(e, pairs) == 0);
    cr_assert_eq(mn_dict_get_cstr(e, "a"), mn_int(1));
    Value r = mn_repr(mn_dict_copy(mn_dict_new()));
    cr_assert_str_eq(mn_cstr(r), "{}");
}
