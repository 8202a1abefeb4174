/*
 * test_int.c -- ints (small, big, bool) and the float operations that
 * meet them, checked against CPython 3.11 (every expected value below was
 * produced by /usr/bin/python3).
 *
 * The point of most tests is the representation invariant: a value that
 * fits a small int is ALWAYS a tagged small int, whichever path (GMP or
 * machine arithmetic) computed it.
 */
#include <criterion/criterion.h>
#include <math.h>
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

TestSuite(int, .init = setup);

/* An int from literal text (base 0: prefixes allowed). */
static Value I(const char *s)
{
    Value v = mn_int_from_str(s, strlen(s), 0);
    cr_assert(v != MN_ERR, "bad literal %s", s);
    return v;
}

/* repr(v), or "!Type: message" if v is MN_ERR or repr fails. */
static const char *R(Value v)
{
    Value r = v == MN_ERR ? MN_ERR : mn_repr(v);
    if (r == MN_ERR) {
        Value exc = mn_exc_fetch();
        cr_assert(exc, "MN_ERR without an exception");
        static char buf[512];
        Value m = mn_to_str(exc);
        snprintf(buf, sizeof buf, "!%s: %s", mn_type_name(exc), m ? mn_cstr(m) : "?");
        return buf;
    }
    return mn_cstr(r);
}

static Value B(BinOp op, Value a, Value b) { return mn_binop(op, a, b); }
static Value F(double d) { return mn_float(d); }

static int64_t H(Value v)
{
    int64_t h;
    cr_assert(mn_hash(v, &h) == 0);
    return h;
}

Test(int, small_overflow_promotes)
{
    Value max = mn_int(MN_SMALL_MAX), min = mn_int(MN_SMALL_MIN);
    Value up = B(OP_ADD, max, mn_int(1));
    cr_expect(!mn_is_int(up) && MN_IS_EXACT(up, IntType));
    cr_expect_str_eq(R(up), "4611686018427387904");
    Value back = B(OP_SUB, up, mn_int(1));
    cr_expect(mn_is_int(back) && back == max, "big - 1 must be small again");
    Value down = B(OP_SUB, min, mn_int(1));
    cr_expect(!mn_is_int(down));
    cr_expect_str_eq(R(down), "-4611686018427387905");
    cr_expect(B(OP_ADD, down, mn_int(1)) == min);
    /* -MIN and MIN * -1 do not fit */
    cr_expect_str_eq(R(mn_unop(UOP_NEG, min)), "4611686018427387904");
    cr_expect_str_eq(R(B(OP_MUL, min, mn_int(-1))), "4611686018427387904");
    cr_expect_str_eq(R(B(OP_FLOORDIV, min, mn_int(-1))), "4611686018427387904");
    cr_expect(mn_unop(UOP_NEG, mn_unop(UOP_NEG, min)) == min);
    /* (2**62)*4 // 8 is small again */
    Value p = B(OP_MUL, up, mn_int(4));
    cr_expect_str_eq(R(p), "18446744073709551616");
    Value q = B(OP_FLOORDIV, p, mn_int(8));
    cr_expect(mn_is_int(q) && mn_int_val(q) == ((intptr_t)1 << 61));
    cr_expect(B(OP_SUB, I("18446744073709551616"), I("18446744073709551611")) == mn_int(5));
    cr_expect(mn_int_from_i64(MN_SMALL_MAX) == max);
    cr_expect(!mn_is_int(mn_int_from_i64(INT64_MIN)));
    cr_expect_str_eq(R(mn_int_from_i64(INT64_MIN)), "-9223372036854775808");
    cr_expect_str_eq(R(B(OP_POW, mn_int(2), mn_int(62))), "4611686018427387904");
    cr_expect(B(OP_POW, mn_int(2), mn_int(61)) == mn_int((intptr_t)1 << 61));
    cr_expect_str_eq(R(B(OP_LSHIFT, mn_int(1), mn_int(100))), "1267650600228229401496703205376");
    cr_expect(B(OP_RSHIFT, I("1267650600228229401496703205376"), mn_int(99)) == mn_int(2));
}

Test(int, inline_fast_paths)
{
    Value r;
    cr_expect(mn_small_add(mn_int(2), mn_int(3), &r) && r == mn_int(5));
    cr_expect(mn_small_sub(mn_int(2), mn_int(3), &r) && r == mn_int(-1));
    cr_expect(mn_small_mul(mn_int(-7), mn_int(6), &r) && r == mn_int(-42));
    cr_expect(!mn_small_add(mn_int(MN_SMALL_MAX), mn_int(1), &r));
    cr_expect(!mn_small_sub(mn_int(MN_SMALL_MIN), mn_int(1), &r));
    cr_expect(!mn_small_mul(mn_int((intptr_t)1 << 31), mn_int((intptr_t)1 << 31), &r));
    cr_expect(mn_small_mul(mn_int((intptr_t)1 << 30), mn_int((intptr_t)1 << 31), &r)
              && r == mn_int(MN_SMALL_MAX / 2 + 1));
    cr_expect(mn_small_lt(mn_int(-5), mn_int(3)) && !mn_small_lt(mn_int(3), mn_int(3)));
}

Test(int, floor_division_signs)
{
    struct { intptr_t a, b, q, r; } c[] = {
        {-7, 2, -4, 1}, {7, -2, -4, -1}, {-7, -2, 3, -1}, {7, 2, 3, 1}, {0, -3, 0, 0}, {-6, 3, -2, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cr_expect(B(OP_FLOORDIV, mn_int(c[i].a), mn_int(c[i].b)) == mn_int(c[i].q));
        cr_expect(B(OP_MOD, mn_int(c[i].a), mn_int(c[i].b)) == mn_int(c[i].r));
    }
    Value big = I("-1000000000000000000000000000000");
    cr_expect_str_eq(R(B(OP_FLOORDIV, big, mn_int(7))), "-142857142857142857142857142858");
    cr_expect_str_eq(R(B(OP_MOD, big, mn_int(7))), "6");
    Value pbig = I("1000000000000000000000000000000");
    cr_expect_str_eq(R(B(OP_FLOORDIV, pbig, mn_int(-7))), "-142857142857142857142857142858");
    cr_expect_str_eq(R(B(OP_MOD, pbig, mn_int(-7))), "-6");
    cr_expect_str_eq(R(B(OP_FLOORDIV, mn_int(1), mn_int(0))),
                     "!ZeroDivisionError: integer division or modulo by zero");
    cr_expect_str_eq(R(B(OP_MOD, mn_int(1), mn_int(0))), "!ZeroDivisionError: integer modulo by zero");
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_int(1), mn_int(0))), "!ZeroDivisionError: division by zero");
    cr_expect_str_eq(R(B(OP_MOD, big, mn_False)), "!ZeroDivisionError: integer modulo by zero");
    cr_expect_str_eq(R(mn_num_divmod(mn_int(-7), mn_int(2))), "(-4, 1)");
    cr_expect_str_eq(R(mn_num_divmod(mn_int(7), mn_int(0))),
                     "!ZeroDivisionError: integer division or modulo by zero");
    cr_expect_str_eq(R(mn_num_divmod(F(-7.5), mn_int(2))), "(-4.0, 0.5)");
    cr_expect_str_eq(R(mn_num_divmod(F(1.0), F(0.0))), "!ZeroDivisionError: float divmod()");
}

Test(int, hash_compat)
{
    cr_expect(H(mn_int(1)) == 1 && H(F(1.0)) == 1 && H(mn_True) == 1 && H(mn_False) == 0);
    cr_expect(H(mn_int(-1)) == -2 && H(mn_int(-2)) == -2 && H(F(-1.0)) == -2);
    cr_expect(H(I("2305843009213693951")) == 0);              /* 2**61-1 */
    cr_expect(H(I("2305843009213693952")) == 1);              /* 2**61 */
    cr_expect(H(mn_int(-((intptr_t)1 << 61))) == -2);
    cr_expect(H(I("4611686018427387909")) == 7);              /* 2**62+5 */
    cr_expect(H(I("1267650600228229401496703205376")) == 549755813888);
    cr_expect(H(I("-1267650600228229401496703205376")) == -549755813888);
    cr_expect(H(F(ldexp(1, 100))) == 549755813888);
    cr_expect(H(F(ldexp(1, 70))) == 512 && H(I("1180591620717411303424")) == 512);
    cr_expect(H(F(1.5)) == 1152921504606846977LL);
    cr_expect(H(F(-1.5)) == -1152921504606846977LL);
    cr_expect(H(F(0.5)) == 1152921504606846976LL);
    cr_expect(H(F(1e-300)) == 482449582752280463LL);
    cr_expect(H(F(1e300)) == 1224995262755759164LL);
    cr_expect(H(F(0.1)) == 230584300921369408LL);
    cr_expect(H(F(INFINITY)) == 314159 && H(F(-INFINITY)) == -314159);
    cr_expect(mn_small_int_hash(MN_SMALL_MAX) == mn_int_hash_value(mn_int(MN_SMALL_MAX)));
    /* sets of numbers: 1, 1.0 and True are one element */
    Value s = mn_set_new(&SetType);
    cr_assert(mn_set_add(s, mn_int(1)) == 0);
    cr_assert(mn_set_add(s, F(1.0)) == 0);
    cr_assert(mn_set_add(s, mn_True) == 0);
    cr_assert(mn_set_add(s, I("4611686018427387904")) == 0);
    cr_assert(mn_set_add(s, F(4611686018427387904.0)) == 0);
    cr_expect(mn_set_len(s) == 2);
}

Test(int, int_from_str_edges)
{
    cr_expect(I("0x1F") == mn_int(31) && I("0o17") == mn_int(15) && I("0B101") == mn_int(5));
    cr_expect(I("1_000") == mn_int(1000) && I("0") == mn_int(0) && I("00") == mn_int(0));
    cr_expect(I("0_0") == mn_int(0) && I("-0x_ff") == mn_int(-255) && I(" \t+42\n") == mn_int(42));
    cr_expect_str_eq(R(I("123456789012345678901234567890")), "123456789012345678901234567890");
    cr_expect_str_eq(R(I("0xffffffffffffffffffff")), "1208925819614629174706175");
    cr_expect(I("999999999999999999") == mn_int(999999999999999999LL));
    cr_expect(mn_int_from_str("z", 1, 36) == mn_int(35));
    cr_expect(mn_int_from_str("0x10", 4, 16) == mn_int(16));
    /* U+0661 U+0662: Arabic-Indic digits 1 2 */
    cr_expect(mn_int_from_str("\xd9\xa1\xd9\xa2", 4, 10) == mn_int(12));
    const char *bad[] = {"010", "1__0", "_1", "1_", "0x", "", "  ", "12a", "--1", "0b2", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect(mn_int_from_str(bad[i], strlen(bad[i]), 0) == MN_ERR
                  && mn_exc_matches(&ValueErrorType), "%s should be invalid", bad[i]);
        mn_exc_clear();
    }
    cr_expect_str_eq(R(mn_int_from_str("abc", 3, 10)),
                     "!ValueError: invalid literal for int() with base 10: 'abc'");
    cr_expect_str_eq(R(mn_int_from_str("0x", 2, 16)),
                     "!ValueError: invalid literal for int() with base 16: '0x'");
    char many[4302];
    memset(many, '1', 4301);
    many[4301] = 0;
    cr_expect_str_eq(R(mn_int_from_str(many, 4301, 10)),
                     "!ValueError: Exceeds the limit (4300 digits) for integer string conversion: "
                     "value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit");
    cr_expect(mn_int_from_str(many, 4301, 16) != MN_ERR);   /* power-of-two bases are exempt */
}

Test(int, true_division)
{
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_int(1), mn_int(3))), "0.3333333333333333");
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_int(0), mn_int(-5))), "-0.0");
    Value two80 = B(OP_POW, mn_int(2), mn_int(80)), two1100 = B(OP_POW, mn_int(2), mn_int(1100));
    cr_expect_str_eq(R(B(OP_TRUEDIV, two1100, two80)), "1.1235582092889474e+307");
    Value t400 = B(OP_POW, mn_int(10), mn_int(400)), t399 = B(OP_POW, mn_int(10), mn_int(399));
    cr_expect_str_eq(R(B(OP_TRUEDIV, t400, t399)), "10.0");
    cr_expect_str_eq(R(B(OP_TRUEDIV, I("9007199254740993"), mn_int(1))), "9007199254740992.0");
    cr_expect_str_eq(R(B(OP_TRUEDIV, I("18014398509481987"), I("18014398509481985"))), "1.0");
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_int(1), B(OP_POW, mn_int(2), mn_int(1074)))), "5e-324");
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_int(1), B(OP_POW, mn_int(2), mn_int(1075)))), "0.0");
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_int(3), B(OP_POW, mn_int(2), mn_int(1075)))), "1e-323");
    cr_expect_str_eq(R(B(OP_TRUEDIV, B(OP_POW, mn_int(2), mn_int(2000)), mn_int(3))),
                     "!OverflowError: integer division result too large for a float");
    cr_expect_str_eq(R(B(OP_ADD, t400, F(1.0))), "!OverflowError: int too large to convert to float");
    cr_expect_str_eq(R(B(OP_POW, mn_int(2), mn_int(-1))), "0.5");
    cr_expect_str_eq(R(B(OP_POW, mn_int(0), mn_int(-1))),
                     "!ZeroDivisionError: 0.0 cannot be raised to a negative power");
}

Test(int, pow3)
{
    cr_expect(mn_int_pow3(mn_int(3), mn_int(-1), mn_int(7)) == mn_int(5));
    cr_expect(mn_int_pow3(mn_int(3), mn_int(2), mn_int(-5)) == mn_int(-1));
    cr_expect(mn_int_pow3(mn_int(-2), mn_int(3), mn_int(5)) == mn_int(2));
    cr_expect(mn_int_pow3(mn_int(0), mn_int(-1), mn_int(1)) == mn_int(0));
    cr_expect(mn_int_pow3(B(OP_POW, mn_int(2), mn_int(100)), mn_int(3), mn_int(1000000007))
              == mn_int(322050759));
    cr_expect(mn_int_pow3(mn_int(5), mn_int(-2), mn_int(((intptr_t)1 << 61) - 1))
              == mn_int(2213609288845146193LL));
    cr_expect(mn_int_pow3(mn_int(7), I("100000000000000000000"), mn_int(-13)) == mn_int(-4));
    cr_expect_str_eq(R(mn_int_pow3(mn_int(2), mn_int(-1), mn_int(4))),
                     "!ValueError: base is not invertible for the given modulus");
    cr_expect_str_eq(R(mn_int_pow3(mn_int(2), mn_int(3), mn_int(0))),
                     "!ValueError: pow() 3rd argument cannot be 0");
    cr_expect_str_eq(R(mn_int_pow3(F(2.0), mn_int(3), mn_int(5))),
                     "!TypeError: pow() 3rd argument not allowed unless all arguments are integers");
}

Test(int, bitwise_twos_complement)
{
    cr_expect(B(OP_AND, mn_int(-5), mn_int(3)) == mn_int(3));
    cr_expect(B(OP_OR, mn_int(-5), mn_int(3)) == mn_int(-5));
    cr_expect(B(OP_XOR, mn_int(-5), mn_int(3)) == mn_int(-8));
    cr_expect(mn_unop(UOP_INVERT, mn_int(5)) == mn_int(-6));
    Value b70 = I("1180591620717411303424");
    Value nb70 = mn_unop(UOP_NEG, b70);
    cr_expect(B(OP_AND, nb70, B(OP_SUB, b70, mn_int(1))) == mn_int(0));
    cr_expect_str_eq(R(B(OP_RSHIFT, nb70, mn_int(3))), "-147573952589676412928");
    cr_expect_str_eq(R(B(OP_OR, nb70, mn_int(5))), "-1180591620717411303419");
    cr_expect_str_eq(R(B(OP_XOR, b70, mn_int(-1))), "-1180591620717411303425");
    cr_expect(B(OP_RSHIFT, mn_int(-1), mn_int(100)) == mn_int(-1));
    cr_expect(B(OP_RSHIFT, mn_int(-5), mn_int(1)) == mn_int(-3));
    cr_expect(B(OP_RSHIFT, mn_unop(UOP_NEG, B(OP_POW, mn_int(2), mn_int(65))), mn_int(64)) == mn_int(-2));
    cr_expect(B(OP_RSHIFT, b70, I("100000000000000000000000")) == mn_int(0));
    cr_expect_str_eq(R(B(OP_LSHIFT, mn_int(1), mn_int(-1))), "!ValueError: negative shift count");
    cr_expect_str_eq(R(B(OP_RSHIFT, b70, mn_int(-1))), "!ValueError: negative shift count");
}

Test(int, bool_semantics)
{
    cr_expect(B(OP_AND, mn_True, mn_True) == mn_True);
    cr_expect(B(OP_OR, mn_True, mn_False) == mn_True);
    cr_expect(B(OP_XOR, mn_True, mn_True) == mn_False);
    cr_expect(B(OP_ADD, mn_True, mn_True) == mn_int(2));
    cr_expect(B(OP_AND, mn_True, mn_int(3)) == mn_int(1));
    cr_expect(mn_unop(UOP_NEG, mn_True) == mn_int(-1));
    cr_expect(mn_unop(UOP_INVERT, mn_True) == mn_int(-2));
    cr_expect_str_eq(R(mn_True), "True");
    cr_expect_str_eq(R(B(OP_TRUEDIV, mn_True, mn_int(2))), "0.5");
    cr_expect(mn_richcmp_bool(mn_True, mn_int(1), CMP_EQ) == 1);
    cr_expect(mn_richcmp_bool(mn_True, F(1.0), CMP_EQ) == 1);
}

Test(int, int_float_comparison)
{
    Value p53_1 = I("9007199254740993"), f53 = F(9007199254740992.0);
    cr_expect(mn_richcmp_bool(p53_1, f53, CMP_GT) == 1);
    cr_expect(mn_richcmp_bool(p53_1, f53, CMP_EQ) == 0);
    cr_expect(mn_richcmp_bool(f53, p53_1, CMP_LT) == 1);
    cr_expect(mn_richcmp_bool(I("9007199254740992"), f53, CMP_EQ) == 1);
    Value t400 = B(OP_POW, mn_int(10), mn_int(400));
    cr_expect(mn_richcmp_bool(t400, F(1e308), CMP_GT) == 1);
    cr_expect(mn_richcmp_bool(t400, F(INFINITY), CMP_LT) == 1);
    cr_expect(mn_richcmp_bool(mn_unop(UOP_NEG, t400), F(-INFINITY), CMP_GT) == 1);
    cr_expect(mn_richcmp_bool(mn_int(1), F(NAN), CMP_EQ) == 0);
    cr_expect(mn_richcmp_bool(mn_int(1), F(NAN), CMP_NE) == 1);
    cr_expect(mn_richcmp_bool(mn_int(1), F(NAN), CMP_LT) == 0);
    cr_expect(mn_richcmp_bool(mn_int(3), F(2.5), CMP_GT) == 1);
    cr_expect(mn_richcmp_bool(mn_int(-3), F(-2.5), CMP_LT) == 1);
    cr_expect(mn_richcmp_bool(F(2.5), mn_int(3), CMP_LE) == 1);
    cr_expect(mn_richcmp_bool(I("4611686018427387905"), F(4611686018427387904.0), CMP_GT) == 1);
}

Test(int, conversions)
{
    double d;
    cr_expect(mn_as_double(I("9007199254740993"), &d) == 0 && d == 9007199254740992.0);
    cr_expect(mn_as_double(I("18014398509481987"), &d) == 0 && d == 18014398509481988.0);
    cr_expect(mn_as_double(B(OP_POW, mn_int(10), mn_int(300)), &d) == 0 && d == 1e300);
    cr_expect(mn_as_double(B(OP_POW, mn_int(10), mn_int(400)), &d) < 0);
    cr_expect_str_eq(R(MN_ERR), "!OverflowError: int too large to convert to float");
    int64_t i;
    cr_expect(mn_as_i64(mn_int(-5), &i) == 0 && i == -5);
    cr_expect(mn_as_i64(I("9223372036854775807"), &i) == 0 && i == INT64_MAX);
    cr_expect(mn_as_i64(I("9223372036854775808"), &i) < 0 && mn_exc_matches(&OverflowErrorType));
    mn_exc_clear();
    cr_expect(mn_as_index(mn_True, &i) == 0 && i == 1);
    cr_expect(mn_as_index(F(1.0), &i) < 0);
    cr_expect_str_eq(R(MN_ERR), "!TypeError: 'float' object cannot be interpreted as an integer");
    cr_expect_str_eq(R(mn_int_from_double(-2.9)), "-2");
    cr_expect_str_eq(R(mn_int_from_double(1e20)), "100000000000000000000");
    cr_expect_str_eq(R(mn_int_from_double(NAN)), "!ValueError: cannot convert float NaN to integer");
    cr_expect_str_eq(R(mn_int_from_double(-INFINITY)),
                     "!OverflowError: cannot convert float infinity to integer");
    cr_expect_str_eq(R(mn_int_to_base(mn_int(-255), 16)), "'-0xff'");
    cr_expect_str_eq(R(mn_int_to_base(mn_int(5), 2)), "'0b101'");
    cr_expect_str_eq(R(mn_int_to_base(mn_int(8), 8)), "'0o10'");
    mpz_t z;
    mpz_init(z);
    mn_int_to_mpz(mn_int(-42), z);
    cr_expect(mpz_cmp_si(z, -42) == 0);
    cr_expect(mn_int_from_mpz(z) == mn_int(-42));
}

Test(int, str_digit_limit)
{
    Value big = B(OP_POW, mn_int(10), mn_int(4300));
    cr_expect_str_eq(R(big),
                     "!ValueError: Exceeds the limit (4300 digits) for integer string conversion; "
                     "use sys.set_int_max_str_digits() to increase the limit");
    Value ok = B(OP_SUB, big, mn_int(1));       /* 4300 nines */
    cr_expect(strlen(R(ok)) == 4300);
}

Test(int, float_arith)
{
    cr_expect_str_eq(R(B(OP_FLOORDIV, F(7.5), F(-2.0))), "-4.0");
    cr_expect_str_eq(R(B(OP_MOD, F(7.5), F(-2.0))), "-0.5");
    cr_expect_str_eq(R(B(OP_MOD, F(-0.0), F(3.0))), "0.0");
    cr_expect_str_eq(R(B(OP_MOD, F(6.0), F(-3.0))), "-0.0");
    cr_expect_str_eq(R(B(OP_TRUEDIV, F(1.0), mn_int(0))), "!ZeroDivisionError: float division by zero");
    cr_expect_str_eq(R(B(OP_FLOORDIV, F(1.0), F(0.0))),
                     "!ZeroDivisionError: float floor division by zero");
    cr_expect_str_eq(R(B(OP_MOD, mn_int(1), F(0.0))), "!ZeroDivisionError: float modulo");
    cr_expect_str_eq(R(B(OP_POW, F(10.0), mn_int(400))),
                     "!OverflowError: (34, 'Numerical result out of range')");
    cr_expect_str_eq(R(B(OP_POW, F(-8.0), F(1.0 / 3))),
                     "!ValueError: negative number cannot be raised to a fractional power");
    cr_expect_str_eq(R(B(OP_POW, F(-2.0), mn_int(3))), "-8.0");
    cr_expect_str_eq(R(B(OP_POW, F(-1.0), F(1e300))), "1.0");
    cr_expect_str_eq(R(B(OP_POW, F(0.0), F(0.0))), "1.0");
    cr_expect_str_eq(R(B(OP_POW, F(INFINITY), mn_int(-3))), "0.0");
    cr_expect_str_eq(R(B(OP_POW, F(-INFINITY), mn_int(3))), "-inf");
    cr_expect_str_eq(R(B(OP_POW, F(0.5), F(-INFINITY))), "inf");
    cr_expect_str_eq(R(B(OP_ADD, mn_int(1), F(0.5))), "1.5");
    cr_expect_str_eq(R(B(OP_MUL, F(1e308), mn_int(10))), "inf");
}
