/*
 * test_random.c -- the random module reproduces CPython's Mersenne Twister
 * streams bit for bit.
 *
 * Expected values were produced by CPython 3.11 (/usr/bin/python3), e.g.
 *     r = random.Random(42); [r.getrandbits(32) for _ in range(5)]
 * The first group drives the generator core (stdlib/mn_stdlib.h) with no
 * interpreter; the second goes through the module's Python-level API
 * (seeding with big ints, str and float, randrange, choice, sample).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "runtime/object.h"
#include "stdlib/mn_stdlib.h"
#include "vm/tstate.h"

/* ---- the generator core ------------------------------------------- */

Test(random_core, seed42_words)
{
    static const uint32_t expect[] = {2746317213u, 478163327u, 107420369u, 3184935163u,
                                      1181241943u};
    MnMT m;
    mn_mt_seed_i64(&m, 42);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(mn_mt_genrand(&m), expect[i], "word %d", i);
}

Test(random_core, seed42_random)
{
    static const double expect[] = {0.6394267984578837, 0.025010755222666936,
                                    0.27502931836911926, 0.22321073814882275,
                                    0.7364712141640124};
    MnMT m;
    mn_mt_seed_i64(&m, 42);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(mn_mt_random(&m), expect[i], "random() #%d", i);
}

Test(random_core, seed_zero_and_two_words)
{
    MnMT m;
    mn_mt_seed_i64(&m, 0);
    cr_assert_eq(mn_mt_genrand(&m), 3626764237u);
    cr_assert_eq(mn_mt_genrand(&m), 1654615998u);
    cr_assert_eq(mn_mt_genrand(&m), 3255389356u);
    /* 2**32 + 5: two key words, least significant first. */
    mn_mt_seed_i64(&m, ((int64_t)1 << 32) + 5);
    cr_assert_eq(mn_mt_genrand(&m), 675479763u);
    cr_assert_eq(mn_mt_genrand(&m), 2085189291u);
    cr_assert_eq(mn_mt_genrand(&m), 1213270837u);
}

Test(random_core, negative_seed_uses_abs)
{
    MnMT m;
    mn_mt_seed_i64(&m, -123456789);
    cr_assert_eq(mn_mt_random(&m), 0.6414006161858726);
    cr_assert_eq(mn_mt_random(&m), 0.5421892680969495);
}

Test(random_core, getrandbits64_and_randbelow)
{
    MnMT m;
    mn_mt_seed_i64(&m, 7);
    cr_assert_eq(mn_mt_getrandbits64(&m, 64), 17485029721327973432ull);
    cr_assert_eq(mn_mt_getrandbits64(&m, 64), 7283207964119141687ull);

    static const uint64_t expect[] = {5, 2, 6, 0, 1, 8, 1, 5, 9, 0};
    mn_mt_seed_i64(&m, 7);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(mn_mt_randbelow(&m, 10), expect[i], "randrange(10) #%d", i);

    mn_mt_seed_i64(&m, 9);
    cr_assert_eq(mn_mt_randbelow(&m, 1000000007), 497150363);
    cr_assert_eq(mn_mt_randbelow(&m, 1000000007), 658434843);
    cr_assert_eq(mn_mt_randbelow(&m, 1000000007), 400840636);
}

/* ---- through the module ------------------------------------------- */

static void setup(void)
{
    /* init.c calls the stdlib hook through a weak reference, which does not
     * pull stdlib.o out of the static library by itself: name it here. */
    void (*volatile hook)(void) = mn_init_stdlib;
    cr_assert(hook != NULL);
    if (mn_ts())
        return;
    gc_init();
    cr_assert(mn_runtime_init() == 0);
    mn_tstate_new(&mn_interp);
}

TestSuite(random_module, .init = setup);

static Value rnd(void)
{
    Value m = mn_find_native_module("random");
    if (!m && mn_exc_occurred())
        mn_print_exception(mn_exc_fetch(), stderr);
    cr_assert(m, "import random");
    return m;
}

static Value call(Value obj, const char *name, int nargs, ...)
{
    Value args[4];
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++)
        args[i] = va_arg(ap, Value);
    va_end(ap);
    Value f = mn_getattr_s(obj, name);
    cr_assert(f, "getattr %s", name);
    Value r = mn_call(f, args, nargs, 0);
    cr_assert(r, "call %s", name);
    return r;
}

static double as_double(Value v)
{
    double d;
    cr_assert(mn_as_double(v, &d) == 0);
    return d;
}

static const char *repr_of(Value v)
{
    Value r = mn_repr(v);
    cr_assert(r);
    return mn_cstr(r);
}

Test(random_module, seeds_of_every_kind)
{
    Value m = rnd();
    call(m, "seed", 1, mn_binop(OP_POW, mn_int(2), mn_int(100)));
    cr_assert_eq(as_double(call(m, "random", 0)), 0.7586581712996778);
    call(m, "seed", 1, mn_str("hello"));
    cr_assert_eq(as_double(call(m, "random", 0)), 0.3537754404730722);
    call(m, "seed", 1, mn_bytes_new("abc", 3));
    cr_assert_eq(as_double(call(m, "random", 0)), 0.7720246314157545);
    call(m, "seed", 1, mn_float(3.5));
    cr_assert_eq(as_double(call(m, "random", 0)), 0.3039190124834461);
}

Test(random_module, integer_methods)
{
    Value m = rnd();
    Value r = call(call(m, "Random", 1, mn_int(1)), "randrange", 1,
                   mn_binop(OP_POW, mn_int(10), mn_int(20)));
    cr_assert_str_eq(repr_of(r), "14089154938208861744");
    Value inst = call(m, "Random", 1, mn_int(1));
    call(inst, "randrange", 1, mn_binop(OP_POW, mn_int(10), mn_int(20)));
    cr_assert_str_eq(repr_of(call(inst, "randint", 2, mn_int(-5), mn_int(5))), "-1");
    cr_assert_str_eq(repr_of(call(inst, "choice", 1, mn_str("abcdef"))), "'a'");
    Value pop = mn_call1(mn_val(&RangeType), mn_int(50));
    cr_assert_str_eq(repr_of(call(inst, "sample", 2, pop, mn_int(4))), "[31, 48, 28, 30]");
}

Test(random_module, module_functions_share_hidden_instance)
{
    Value m = rnd();
    call(m, "seed", 1, mn_int(42));
    cr_assert_eq(as_double(call(m, "random", 0)), 0.6394267984578837);
    cr_assert_eq(as_double(call(m, "random", 0)), 0.025010755222666936);
    cr_assert_str_eq(repr_of(call(m, "randint", 2, mn_int(1), mn_int(100))), "36");
}
