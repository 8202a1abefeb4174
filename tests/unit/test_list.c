/*
 * test_list.c -- list sort (stability, reverse, key, failure leaves a
 * permutation, mutation detection) and slice assignment, plus the
 * capacity word the VM's lock-free readers rely on.
 */
#include <criterion/criterion.h>
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

TestSuite(list, .init = setup);

static Value ints(const int *v, int n)
{
    Value l = mn_list_new(0);
    for (int i = 0; i < n; i++)
        cr_assert(mn_list_append(l, mn_int(v[i])) == 0);
    return l;
}

static void assert_ints(Value l, const int *v, int n)
{
    ListObject *lo = AS(ListObject, l);
    cr_assert_eq(lo->len, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(lo->items[i], mn_int(v[i]), "item %d: got %ld want %d", i,
                     (long)mn_int_val(lo->items[i]), v[i]);
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

/* A native key function: (a, b) tuple -> a. */
static Value first_of(Value *args, int nargs, Value kwargs)
{
    return mn_tuple_items(args[0])[0];
}

Test(list, sort_is_stable_with_keys_and_reverse)
{
    enum { N = 5000 };
    Value l = mn_list_new(0);
    for (int i = 0; i < N; i++)
        cr_assert(mn_list_append(l, mn_tuple_pack(2, mn_int((int)(next_rand() % 50)),
                                                  mn_int(i))) == 0);
    Value key = mn_native_new("first", first_of, 0);
    cr_assert_eq(mn_list_sort(l, key, false), mn_None);
    ListObject *lo = AS(ListObject, l);
    for (int i = 1; i < N; i++) {
        Value *a = mn_tuple_items(lo->items[i - 1]), *b = mn_tuple_items(lo->items[i]);
        cr_assert(mn_int_val(a[0]) <= mn_int_val(b[0]));
        if (a[0] == b[0])
            cr_assert(mn_int_val(a[1]) < mn_int_val(b[1]), "unstable at %d", i);
    }
    /* reverse=True keeps equal keys in their original order too */
    cr_assert_eq(mn_list_sort(l, key, true), mn_None);
    for (int i = 1; i < N; i++) {
        Value *a = mn_tuple_items(lo->items[i - 1]), *b = mn_tuple_items(lo->items[i]);
        cr_assert(mn_int_val(a[0]) >= mn_int_val(b[0]));
        if (a[0] == b[0])
            cr_assert(mn_int_val(a[1]) < mn_int_val(b[1]), "unstable (reverse) at %d", i);
    }
}

Test(list, sort_fast_paths_and_generic_agree)
{
    enum { N = 3000 };
    Value a = mn_list_new(0), b = mn_list_new(0), s = mn_list_new(0);
    for (int i = 0; i < N; i++) {
        int v = (int)(next_rand() % 1000) - 500;
        cr_assert(mn_list_append(a, mn_int(v)) == 0);
        cr_assert(mn_list_append(b, mn_float(v)) == 0);
        cr_assert(mn_list_append(s, mn_str_fmt("%06d", v + 500)) == 0);
    }
    /* a mixed int/float list takes the generic path */
    cr_assert(mn_list_append(b, mn_int(10000)) == 0);
    cr_assert_eq(mn_list_sort(a, mn_None, false), mn_None);
    cr_assert_eq(mn_list_sort(b, mn_None, false), mn_None);
    cr_assert_eq(mn_list_sort(s, mn_None, false), mn_None);
    ListObject *la = AS(ListObject, a), *lb = AS(ListObject, b), *ls = AS(ListObject, s);
    for (int i = 0; i < N; i++) {
        double d;
        cr_assert(mn_as_double(lb->items[i], &d) == 0);
        cr_assert_eq((int)d, (int)mn_int_val(la->items[i]));
        cr_assert_eq(atoi(mn_cstr(ls->items[i])) - 500, (int)mn_int_val(la->items[i]));
        if (i)
            cr_assert(mn_int_val(la->items[i - 1]) <= mn_int_val(la->items[i]));
    }
    cr_assert_eq(lb->items[N], mn_int(10000));
    /* already sorted and reversed inputs (natural runs) */
    int asc[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    int desc[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    Value x = ints(desc, 10);
    cr_assert_eq(mn_list_sort(x, mn_None, false), mn_None);
    assert_ints(x, asc, 10);
    cr_assert_eq(mn_list_sort(x, mn_None, true), mn_None);
    assert_ints(x, desc, 10);
}

Test(list, sort_failure_leaves_original_order)
{
    Value l = mn_list_new(0);
    cr_assert(mn_list_append(l, mn_int(3)) == 0);
    cr_assert(mn_list_append(l, mn_str("a")) == 0);
    cr_assert(mn_list_append(l, mn_int(1)) == 0);
    cr_assert_eq(mn_list_sort(l, mn_None, false), MN_ERR);
    cr_assert(mn_exc_matches(&TypeErrorType));
    mn_exc_clear();
    ListObject *lo = AS(ListObject, l);
    cr_assert_eq(lo->len, 3);
    cr_assert_eq(lo->items[0], mn_int(3));
    cr_assert(mn_is_str(lo->items[1]));
    cr_assert_eq(lo->items[2], mn_int(1));
}

Test(list, slice_assignment)
{
    int base[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    Value l = ints(base, 10);
    /* shrink: l[2:5] = [-1, -2] */
    int r1[] = {-1, -2};
    cr_assert(mn_setitem(l, mn_slice_new(mn_int(2), mn_int(5), mn_None), ints(r1, 2)) == 0);
    int w1[] = {0, 1, -1, -2, 5, 6, 7, 8, 9};
    assert_ints(l, w1, 9);
    /* grow past the capacity: l[1:1] = 20 items */
    int many[20];
    for (int i = 0; i < 20; i++)
        many[i] = 100 + i;
    cr_assert(mn_setitem(l, mn_slice_new(mn_int(1), mn_int(1), mn_None), ints(many, 20)) == 0);
    cr_assert_eq(AS(ListObject, l)->len, 29);
    cr_assert_eq(AS(ListObject, l)->items[1], mn_int(100));
    cr_assert_eq(AS(ListObject, l)->items[21], mn_int(1));
    /* self-assignment through a reversed copy: l[:] = l[::-1] */
    Value rev = mn_getitem(l, mn_slice_new(mn_None, mn_None, mn_int(-1)));
    cr_assert(mn_setitem(l, mn_slice_new(mn_None, mn_None, mn_None), rev) == 0);
    cr_assert_eq(AS(ListObject, l)->items[0], mn_int(9));
    cr_assert_eq(AS(ListObject, l)->items[28], mn_int(0));
    /* l[:] = l keeps the contents */
    cr_assert(mn_setitem(l, mn_slice_new(mn_None, mn_None, mn_None), l) == 0);
    cr_assert_eq(AS(ListObject, l)->len, 29);
    /* extended slice assignment needs the exact size */
    Value m = ints(base, 10);
    int odd[] = {-1, -3, -5, -7, -9};
    cr_assert(mn_setitem(m, mn_slice_new(mn_int(1), mn_None, mn_int(2)), ints(odd, 5)) == 0);
    int w2[] = {0, -1, 2, -3, 4, -5, 6, -7, 8, -9};
    assert_ints(m, w2, 10);
    cr_assert(mn_setitem(m, mn_slice_new(mn_None, mn_None, mn_int(2)), ints(odd, 4)) < 0);
    cr_assert(mn_exc_matches(&ValueErrorType));
    mn_exc_clear();
    /* deletions: del m[::3], del m[7:2:-2] */
    cr_assert(mn_setitem(m, mn_slice_new(mn_None, mn_None, mn_int(3)), 0) == 0);
    int w3[] = {-1, 2, 4, -5, -7, 8};
    assert_ints(m, w3, 6);
    Value n = ints(base, 10);
    cr_assert(mn_setitem(n, mn_slice_new(mn_int(7), mn_int(2), mn_int(-2)), 0) == 0);
    int w4[] = {0, 1, 2, 4, 6, 8, 9};
    assert_ints(n, w4, 7);
    /* index assignment out of range */
    cr_assert(mn_setitem(n, mn_int(7), mn_None) < 0);
    cr_assert(mn_exc_matches(&IndexErrorType));
    mn_exc_clear();
}

Test(list, capacity_word_bounds_the_items_array)
{
    Value l = mn_list_new(0);
    cr_assert_eq(mn_items_cap(AS(ListObject, l)->items), 0);
    for (int i = 0; i < 1000; i++) {
        cr_assert(mn_list_append(l, mn_int(i)) == 0);
        ListObject *lo = AS(ListObject, l);
        cr_assert(lo->len <= mn_items_cap(lo->items));
        cr_assert_eq(lo->cap, mn_items_cap(lo->items));
    }
    cr_assert_eq(mn_list_pop(l, 0), mn_int(0));
    cr_assert_eq(mn_list_pop(l, -1), mn_int(999));
    cr_assert_eq(AS(ListObject, l)->len, 998);
    Value e = mn_list_new(0);
    cr_assert_eq(mn_list_pop(e, -1), MN_ERR);
    cr_assert(mn_exc_matches(&IndexErrorType));
    mn_exc_clear();
}
