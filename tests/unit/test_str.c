/*
 * test_str.c -- str internals: UTF-8 lengths and indexing, interning,
 * hash caching, repr escaping (expected values from CPython 3.11), and
 * StrBuf.
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

TestSuite(str, .init = setup);

static void assert_str(Value v, const char *want)
{
    cr_assert(v, "unexpected exception");
    cr_assert(mn_is_str(v));
    cr_assert_str_eq(mn_cstr(v), want);
    cr_assert_eq(mn_str_len(v), (int64_t)strlen(want));
}

Test(str, utf8_lengths)
{
    Value a = mn_str("hello");
    cr_assert_eq(AS(StrObject, a)->len, 5);
    cr_assert_eq(AS(StrObject, a)->nchars, 5);
    Value b = mn_str("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");   /* "héllo € 😀" */
    cr_assert_eq(AS(StrObject, b)->len, 15);
    cr_assert_eq(AS(StrObject, b)->nchars, 9);
    cr_assert_eq(mn_len(b), 9);
    /* a long string whose multi-byte chars straddle 8-byte words */
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < 1000; i++)
        sb_adds(&sb, i % 3 ? "a" : "\xc3\xa9");
    Value c = sb_finish(&sb);
    cr_assert_eq(mn_len(c), 1000);
    cr_assert_eq(mn_str_len(c), 1000 + 334);
}

Test(str, indexing_by_code_point)
{
    Value s = mn_str("h\xc3\xa9llo \xf0\x9f\x98\x80!");     /* "héllo 😀!" */
    assert_str(mn_getitem(s, mn_int(1)), "\xc3\xa9");
    assert_str(mn_getitem(s, mn_int(6)), "\xf0\x9f\x98\x80");
    assert_str(mn_getitem(s, mn_int(-1)), "!");
    assert_str(mn_getitem(s, mn_int(-2)), "\xf0\x9f\x98\x80");
    cr_assert_eq(mn_str_codepoint_at(s, 6), 0x1F600);
    cr_assert_eq(mn_getitem(s, mn_int(8)), MN_ERR);
    cr_assert(mn_exc_matches(&IndexErrorType));
    mn_exc_clear();
    /* slices, including negative steps */
    assert_str(mn_getitem(s, mn_slice_new(mn_int(1), mn_int(4), mn_None)), "\xc3\xa9ll");
    assert_str(mn_getitem(s, mn_slice_new(mn_None, mn_None, mn_int(-1))),
               "!\xf0\x9f\x98\x80 oll\xc3\xa9h");
    assert_str(mn_getitem(s, mn_slice_new(mn_int(-2), mn_int(0), mn_int(-3))),
               "\xf0\x9f\x98\x80l");
    assert_str(mn_getitem(mn_str("abcdef"), mn_slice_new(mn_int(5), mn_int(1), mn_int(-2))),
               "fd");
    /* one-character ASCII strings are shared */
    cr_assert_eq(mn_getitem(mn_str("xyz"), mn_int(0)), mn_getitem(mn_str("axb"), mn_int(1)));
}

Test(str, interning_identity)
{
    Value a = mn_intern("some_name");
    Value b = mn_intern("some_name");
    cr_assert_eq(a, b);
    cr_assert(AS(StrObject, a)->interned);
    Value c = mn_str("some_name");
    cr_assert_neq(c, a);
    cr_assert_eq(mn_intern_value(c), a);
    Value d = mn_str("fresh_unique_name_42");
    cr_assert_eq(mn_intern_value(d), d);     /* an exact str becomes the interned one */
    cr_assert_eq(mn_intern("fresh_unique_name_42"), d);
    cr_assert(mn_str_eq(a, c));
    cr_assert(!mn_str_eq(a, mn_intern("some_namf")));
    /* many names: the table grows and keeps every one */
    char buf[32];
    Value first = mn_intern("name_0");
    for (int i = 0; i < 20000; i++) {
        snprintf(buf, sizeof buf, "name_%d", i);
        mn_intern(buf);
    }
    cr_assert_eq(mn_intern("name_0"), first);
    snprintf(buf, sizeof buf, "name_%d", 19999);
    cr_assert_str_eq(mn_cstr(mn_intern(buf)), "name_19999");
}

Test(str, hash_is_cached_and_content_based)
{
    Value a = mn_str("hash me please");
    cr_assert_eq(AS(StrObject, a)->hash, 0);
    uint64_t h = mn_str_hash(a);
    cr_assert_neq(h, 0);
    cr_assert_eq(AS(StrObject, a)->hash, h);
    cr_assert_eq(mn_str_hash(a), h);
    Value b = mn_str_concat(mn_str("hash me "), mn_str("please"));
    cr_assert_eq(mn_str_hash(b), h);
    cr_assert_neq(mn_str_hash(mn_str("hash me pleasf")), h);
    int64_t viahash;
    cr_assert(mn_hash(b, &viahash) == 0);
    cr_assert_eq((uint64_t)viahash, h);
    /* every tail length hashes differently */
    const char *txt = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t n = 1; n < strlen(txt); n++)
        cr_assert_neq(mn_str_hash(mn_str_new(txt, n)), mn_str_hash(mn_str_new(txt, n - 1)));
}

Test(str, repr_escaping)
{
    assert_str(mn_str_repr(mn_str("abc")), "'abc'");
    assert_str(mn_str_repr(mn_str("it's")), "\"it's\"");
    assert_str(mn_str_repr(mn_str("say \"hi\"")), "'say \"hi\"'");
    assert_str(mn_str_repr(mn_str("both ' and \"")), "'both \\' and \"'");
    assert_str(mn_str_repr(mn_str("tab\tnew\nret\r\\")), "'tab\\tnew\\nret\\r\\\\'");
    assert_str(mn_str_repr(mn_str_new("\x00\x1b\x7f", 3)), "'\\x00\\x1b\\x7f'");
    /* printable non-ASCII kept; non-printable escaped like CPython */
    assert_str(mn_str_repr(mn_str("caf\xc3\xa9 \xf0\x9f\x98\x80")), "'caf\xc3\xa9 \xf0\x9f\x98\x80'");
    assert_str(mn_str_repr(mn_str("\xc2\x80\xc2\xa0\xc2\xad")), "'\\x80\\xa0\\xad'");
    assert_str(mn_str_repr(mn_str("\xe2\x80\x8b\xef\xbb\xbf")), "'\\u200b\\ufeff'");
    assert_str(mn_str_repr(mn_str("")), "''");
}

Test(str, strbuf_builds_strings)
{
    StrBuf b;
    sb_init(&b);
    sb_adds(&b, "x=");
    cr_assert(sb_add_value_str(&b, mn_int(-42)) == 0);
    sb_addc(&b, ' ');
    cr_assert(sb_add_value_repr(&b, mn_str("q")) == 0);
    sb_addf(&b, " %d%s", 7, "!");
    for (int i = 0; i < 100; i++)
        sb_addf(&b, "%03d", i);
    Value s = sb_finish(&b);
    cr_assert_eq(mn_str_len(s), 12 + 300);
    cr_assert(strncmp(mn_cstr(s), "x=-42 'q' 7!000001", 18) == 0);
    cr_assert_eq(mn_cstr(s)[mn_str_len(s)], 0);
    sb_init(&b);
    assert_str(sb_finish(&b), "");
}

Test(str, decode_errors_match_cpython)
{
    cr_assert_eq(mn_str_decode_utf8("\xff", 1, "strict"), MN_ERR);
    cr_assert(mn_exc_matches(&UnicodeDecodeErrorType));
    Value e = mn_exc_fetch();
    assert_str(mn_to_str(e), "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte");
    cr_assert_eq(mn_str_decode_utf8("ab\xe4\xb8", 4, "strict"), MN_ERR);
    e = mn_exc_fetch();
    assert_str(mn_to_str(e), "'utf-8' codec can't decode bytes in position 2-3: unexpected end of data");
    assert_str(mn_str_decode_utf8("a\xffz\xe4\xb8", 5, "replace"), "a\xef\xbf\xbdz\xef\xbf\xbd");
    assert_str(mn_str_decode_utf8("a\xffz", 3, "ignore"), "az");
    Value ok = mn_str_decode_utf8("\xc3\xa9t\xc3\xa9", 5, "strict");
    assert_str(ok, "\xc3\xa9t\xc3\xa9");
    cr_assert_eq(mn_len(ok), 3);
}
