/*
 * test_lexer.c -- the tokenizer (grammar/scanner.l) through the token dump
 * of grammar/lexer.h: INDENT/DEDENT logic, literals, positions, errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "grammar/lexer.h"
#include "runtime/gc.h"

static void setup(void) { gc_init(); }

TestSuite(lexer, .init = setup);

/* Token dump without positions, or "ERR line:col message". */
static const char *toks_n(const char *src, size_t len)
{
    ParseError e;
    char *d = mn_tokens_dump(src, len, false, &e);
    if (d)
        return d;
    static char buf[512];
    snprintf(buf, sizeof buf, "ERR %d:%d %s%s", e.line, e.col, e.msg,
             e.incomplete ? " [incomplete]" : "");
    return buf;
}

static const char *toks(const char *src) { return toks_n(src, strlen(src)); }

static const char *ptoks(const char *src)
{
    ParseError e;
    char *d = mn_tokens_dump(src, strlen(src), true, &e);
    if (d)
        return d;
    static char buf[512];
    snprintf(buf, sizeof buf, "ERR %d:%d %s%s", e.line, e.col, e.msg,
             e.incomplete ? " [incomplete]" : "");
    return buf;
}

#define EXPECT_TOKS(src, want) cr_assert_str_eq(toks(src), want, "source: %s", src)
#define EXPECT_PTOKS(src, want) cr_assert_str_eq(ptoks(src), want, "source: %s", src)

/* ---- basic tokens ------------------------------------------------ */

Test(lexer, simple_statement)
{
    EXPECT_PTOKS("x = 1\n",
                 "1:1 NAME x\n1:3 OP =\n1:5 NUMBER 1\n1:6 NEWLINE\n"
                 "1:6 ENDMARKER\n");
}

Test(lexer, empty_and_blank_inputs)
{
    EXPECT_TOKS("", "ENDMARKER\n");
    EXPECT_TOKS("\n\n   \n", "ENDMARKER\n");
    EXPECT_TOKS("# just a comment", "ENDMARKER\n");
    EXPECT_TOKS("   # indented comment\n\t\n", "ENDMARKER\n");
}

Test(lexer, eof_without_newline)
{
    EXPECT_PTOKS("x", "1:1 NAME x\n1:2 NEWLINE\n1:2 ENDMARKER\n");
    EXPECT_TOKS("if x:\n    y",
                "KEYWORD if\nNAME x\nOP :\nNEWLINE\nINDENT\nNAME y\nNEWLINE\n"
                "DEDENT\nENDMARKER\n");
    EXPECT_TOKS("x  # trailing comment", "NAME x\nNEWLINE\nENDMARKER\n");
}

Test(lexer, operators)
{
    EXPECT_TOKS("** // << >> <= >= == != -> := ... += -= *= /= //= %= **= "
                "&= |= ^= <<= >>= + - * / % & | ^ ~ < > , : . ; @ =",
                "OP **\nOP //\nOP <<\nOP >>\nOP <=\nOP >=\nOP ==\nOP !=\n"
                "OP ->\nOP :=\nOP ...\nOP +=\nOP -=\nOP *=\nOP /=\nOP //=\n"
                "OP %=\nOP **=\nOP &=\nOP |=\nOP ^=\nOP <<=\nOP >>=\nOP +\n"
                "OP -\nOP *\nOP /\nOP %\nOP &\nOP |\nOP ^\nOP ~\nOP <\nOP >\n"
                "OP ,\nOP :\nOP .\nOP ;\nOP @\nOP =\nNEWLINE\nENDMARKER\n");
}

Test(lexer, keywords)
{
    EXPECT_TOKS("True False None and or not in is if elif else while for "
                "break continue pass def return lambda class global nonlocal "
                "import from as try except finally raise with assert del",
                "KEYWORD True\nKEYWORD False\nKEYWORD None\nKEYWORD and\n"
                "KEYWORD or\nKEYWORD not\nKEYWORD in\nKEYWORD is\nKEYWORD if\n"
                "KEYWORD elif\nKEYWORD else\nKEYWORD while\nKEYWORD for\n"
                "KEYWORD break\nKEYWORD continue\nKEYWORD pass\nKEYWORD def\n"
                "KEYWORD return\nKEYWORD lambda\nKEYWORD class\n"
                "KEYWORD global\nKEYWORD nonlocal\nKEYWORD import\n"
                "KEYWORD from\nKEYWORD as\nKEYWORD try\nKEYWORD except\n"
                "KEYWORD finally\nKEYWORD raise\nKEYWORD with\n"
                "KEYWORD assert\nKEYWORD del\nNEWLINE\nENDMARKER\n");
    /* prefixes/suffixes of keywords are names; soft keywords are names */
    EXPECT_TOKS("iff _if Tru match case print",
                "NAME iff\nNAME _if\nNAME Tru\nNAME match\nNAME case\n"
                "NAME print\nNEWLINE\nENDMARKER\n");
}

Test(lexer, unsupported_keywords)
{
    EXPECT_TOKS("def f():\n    yield 1\n",
                "ERR 2:5 'yield' is not supported by mini");
    EXPECT_TOKS("async def f(): pass", "ERR 1:1 'async' is not supported by mini");
    EXPECT_TOKS("x = await y", "ERR 1:5 'await' is not supported by mini");
}

/* ---- indentation ------------------------------------------------- */

Test(lexer, indent_dedent)
{
    EXPECT_PTOKS("if a:\n    b\nc\n",
                 "1:1 KEYWORD if\n1:4 NAME a\n1:5 OP :\n1:6 NEWLINE\n"
                 "2:5 INDENT\n2:5 NAME b\n2:6 NEWLINE\n3:1 DEDENT\n"
                 "3:1 NAME c\n3:2 NEWLINE\n3:2 ENDMARKER\n");
}

Test(lexer, dedent_several_levels_at_once)
{
    EXPECT_TOKS("if a:\n  if b:\n    if c:\n      d\ne\n",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nKEYWORD if\n"
                "NAME b\nOP :\nNEWLINE\nINDENT\nKEYWORD if\nNAME c\nOP :\n"
                "NEWLINE\nINDENT\nNAME d\nNEWLINE\nDEDENT\nDEDENT\nDEDENT\n"
                "NAME e\nNEWLINE\nENDMARKER\n");
    /* partial dedent */
    EXPECT_TOKS("if a:\n  if b:\n    c\n  d\n",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nKEYWORD if\n"
                "NAME b\nOP :\nNEWLINE\nINDENT\nNAME c\nNEWLINE\nDEDENT\n"
                "NAME d\nNEWLINE\nDEDENT\nENDMARKER\n");
}

Test(lexer, dedents_at_eof)
{
    EXPECT_TOKS("if a:\n  if b:\n    c",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nKEYWORD if\n"
                "NAME b\nOP :\nNEWLINE\nINDENT\nNAME c\nNEWLINE\nDEDENT\n"
                "DEDENT\nENDMARKER\n");
}

Test(lexer, blank_and_comment_lines_ignored)
{
    /* comments at odd indents and blank lines produce no tokens and do
     * not affect indentation */
    EXPECT_TOKS("if a:\n\n      # odd comment\n    b\n# col 0 comment\n"
                "  \n    c\nd\n",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nNAME b\nNEWLINE\n"
                "NAME c\nNEWLINE\nDEDENT\nNAME d\nNEWLINE\nENDMARKER\n");
}

Test(lexer, brackets_span_lines)
{
    EXPECT_TOKS("x = (1,\n        2,\n  3)\ny = [\n]\nz = {\n  'a':\n1}\n",
                "NAME x\nOP =\nOP (\nNUMBER 1\nOP ,\nNUMBER 2\nOP ,\n"
                "NUMBER 3\nOP )\nNEWLINE\nNAME y\nOP =\nOP [\nOP ]\nNEWLINE\n"
                "NAME z\nOP =\nOP {\nSTRING 'a'\nOP :\nNUMBER 1\nOP }\n"
                "NEWLINE\nENDMARKER\n");
    /* indentation inside brackets is meaningless */
    EXPECT_TOKS("if a:\n    f(1,\n2)\n    g\n",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nNAME f\nOP (\n"
                "NUMBER 1\nOP ,\nNUMBER 2\nOP )\nNEWLINE\nNAME g\nNEWLINE\n"
                "DEDENT\nENDMARKER\n");
}

Test(lexer, backslash_continuation)
{
    EXPECT_PTOKS("x = 1 + \\\n    2\ny\n",
                 "1:1 NAME x\n1:3 OP =\n1:5 NUMBER 1\n1:7 OP +\n2:5 NUMBER 2\n"
                 "2:6 NEWLINE\n3:1 NAME y\n3:2 NEWLINE\n3:2 ENDMARKER\n");
    EXPECT_TOKS("x = 1 \\", "ERR 1:8 unexpected EOF while parsing [incomplete]");
    EXPECT_TOKS("x = 1 \\\n", "ERR 2:1 unexpected EOF while parsing [incomplete]");
    EXPECT_TOKS("x = \\ 1", "ERR 1:6 unexpected character after line "
                "continuation character");
}

Test(lexer, tabs)
{
    EXPECT_TOKS("if a:\n\tb\n\tc\n",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nNAME b\nNEWLINE\n"
                "NAME c\nNEWLINE\nDEDENT\nENDMARKER\n");
    /* a tab and eight spaces only agree for tab size 8 */
    EXPECT_TOKS("if a:\n\tb\n        c\n",
                "ERR 3:9 inconsistent use of tabs and spaces in indentation");
    EXPECT_TOKS("if a:\n        b\n\tc\n",
                "ERR 3:2 inconsistent use of tabs and spaces in indentation");
    /* consistent mixtures are fine: tab then spaces, at each level */
    EXPECT_TOKS("if a:\n\tif b:\n\t  c\n\td\n",
                "KEYWORD if\nNAME a\nOP :\nNEWLINE\nINDENT\nKEYWORD if\n"
                "NAME b\nOP :\nNEWLINE\nINDENT\nNAME c\nNEWLINE\nDEDENT\n"
                "NAME d\nNEWLINE\nDEDENT\nENDMARKER\n");
}

Test(lexer, unindent_mismatch)
{
    EXPECT_TOKS("if a:\n    b\n  c\n",
                "ERR 3:3 unindent does not match any outer indentation level");
}

Test(lexer, too_deep_indentation)
{
    char src[40000];
    size_t o = 0;
    for (int i = 0; i < 120; i++) {
        for (int k = 0; k < i; k++)
            src[o++] = ' ';
        o += (size_t)sprintf(src + o, "if x:\n");
    }
    src[o] = 0;
    cr_assert(strstr(toks(src), "too many levels of indentation"));
}

/* ---- numbers ------------------------------------------------------- */

Test(lexer, integers)
{
    EXPECT_TOKS("0 7 1_000_000 0x1F 0XfF 0o17 0O7_7 0b1010 0B1_0 00 0_0",
                "NUMBER 0\nNUMBER 7\nNUMBER 1000000\nNUMBER 0x1F\n"
                "NUMBER 0xfF\nNUMBER 0o17\nNUMBER 0o77\nNUMBER 0b1010\n"
                "NUMBER 0b10\nNUMBER 00\nNUMBER 00\nNEWLINE\nENDMARKER\n");
    /* big values keep their exact text */
    EXPECT_TOKS("123456789012345678901234567890_1",
                "NUMBER 1234567890123456789012345678901\nNEWLINE\nENDMARKER\n");
}

Test(lexer, floats)
{
    EXPECT_TOKS("1.5 .5 1. 1e-3 1E+3 1_000.5 1.5e1_0 0.0 00.5 1e5",
                "NUMBER 1.5\nNUMBER .5\nNUMBER 1.\nNUMBER 1e-3\nNUMBER 1E+3\n"
                "NUMBER 1000.5\nNUMBER 1.5e10\nNUMBER 0.0\nNUMBER 00.5\n"
                "NUMBER 1e5\nNEWLINE\nENDMARKER\n");
    /* a number followed by an attribute or a keyword */
    EXPECT_TOKS("0.5.hex 1if x else 2",
                "NUMBER 0.5\nOP .\nNAME hex\nNUMBER 1\nKEYWORD if\nNAME x\n"
                "KEYWORD else\nNUMBER 2\nNEWLINE\nENDMARKER\n");
}

Test(lexer, bad_numbers)
{
    EXPECT_TOKS("x = 1abc", "ERR 1:5 invalid decimal literal");
    EXPECT_TOKS("x = 1_", "ERR 1:6 invalid decimal literal");
    EXPECT_TOKS("x = 1__0", "ERR 1:6 invalid decimal literal");
    EXPECT_TOKS("x = 1e", "ERR 1:5 invalid decimal literal");
    EXPECT_TOKS("x = 1.real", "ERR 1:5 invalid decimal literal");
    EXPECT_TOKS("x = 0x", "ERR 1:6 invalid hexadecimal literal");
    EXPECT_TOKS("x = 0b2", "ERR 1:7 invalid digit '2' in binary literal");
    EXPECT_TOKS("x = 0o8", "ERR 1:7 invalid digit '8' in octal literal");
    EXPECT_TOKS("x = 0xfg", "ERR 1:5 invalid hexadecimal literal");
    EXPECT_TOKS("x = 01", "ERR 1:5 leading zeros in decimal integer literals "
                "are not permitted; use an 0o prefix for octal integers");
    EXPECT_TOKS("x = 1j", "ERR 1:5 imaginary literals are not supported by mini");
}

/* ---- strings ------------------------------------------------------- */

Test(lexer, string_quotes_and_prefixes)
{
    EXPECT_TOKS("'a' \"b\" '''c''' \"\"\"d\"\"\" u'e' r'\\n' R\"\\t\" b'f' "
                "Rb'\\x' bR'g' f'{x}' F'y' rf'{z}' fR'w'",
                "STRING 'a'\nSTRING 'b'\nSTRING 'c'\nSTRING 'd'\nSTRING 'e'\n"
                "STRING '\\\\n'\nSTRING '\\\\t'\nBYTES b'f'\nBYTES b'\\\\x'\n"
                "BYTES b'g'\nFSTRING '{x}'\nFSTRING 'y'\nFSTRING '{z}'\n"
                "FSTRING 'w'\nNEWLINE\nENDMARKER\n");
}

Test(lexer, string_escapes)
{
    EXPECT_TOKS("'\\n\\t\\r\\\\\\'\\\"\\a\\b\\f\\v\\0'",
                "STRING '\\n\\t\\x0d\\\\\\'\"\\x07\\x08\\x0c\\x0b\\x00'\n"
                "NEWLINE\nENDMARKER\n");
    EXPECT_TOKS("'\\101\\7\\x41\\u00e9\\U0001F600\\q'",
                "STRING 'A\\x07A\xc3\xa9\xf0\x9f\x98\x80\\\\q'\nNEWLINE\n"
                "ENDMARKER\n");
    /* backslash-newline inside a string joins lines */
    EXPECT_TOKS("'ab\\\ncd'", "STRING 'abcd'\nNEWLINE\nENDMARKER\n");
    /* bytes: \\u is not an escape, octal wraps to a byte */
    EXPECT_TOKS("b'\\xff\\u1234\\101'",
                "BYTES b'\\xff\\\\u1234A'\nNEWLINE\nENDMARKER\n");
    /* non-ASCII passes through str literals as UTF-8 */
    EXPECT_TOKS("'h\xc3\xa9\xe2\x82\xac'",
                "STRING 'h\xc3\xa9\xe2\x82\xac'\nNEWLINE\nENDMARKER\n");
}

Test(lexer, bad_escapes)
{
    EXPECT_TOKS("x = '\\xz'", "ERR 1:5 (unicode error) 'unicodeescape' codec "
                "can't decode bytes in position 0-1: truncated \\xXX escape");
    EXPECT_TOKS("x = '\\u12'", "ERR 1:5 (unicode error) 'unicodeescape' codec "
                "can't decode bytes in position 0-3: truncated \\uXXXX escape");
    EXPECT_TOKS("x = '\\U00110000'", "ERR 1:5 (unicode error) 'unicodeescape' "
                "codec can't decode bytes in position 0-9: illegal Unicode "
                "character");
    EXPECT_TOKS("x = '\\N{DASH}'", "ERR 1:5 (unicode error) \\N{...} escapes "
                "are not supported by mini");
    EXPECT_TOKS("x = b'\xc3\xa9'", "ERR 1:5 bytes can only contain ASCII "
                "literal characters");
}

Test(lexer, triple_quoted)
{
    EXPECT_PTOKS("x = '''a\n'b'\n''c'''\ny\n",
                 "1:1 NAME x\n1:3 OP =\n1:5 STRING 'a\\n\\'b\\'\\n\\'\\'c'\n"
                 "3:7 NEWLINE\n4:1 NAME y\n4:2 NEWLINE\n4:2 ENDMARKER\n");
    /* a quote right before the closing quotes */
    EXPECT_TOKS("'''a''''", "ERR 1:8 unterminated string literal (detected at "
                "line 1)");
    EXPECT_TOKS("\"\"\"a\\\"\"\"\"", "STRING 'a\"'\nNEWLINE\nENDMARKER\n");
}

Test(lexer, unterminated_strings)
{
    EXPECT_TOKS("x = 'abc", "ERR 1:5 unterminated string literal (detected at "
                "line 1)");
    EXPECT_TOKS("x = 'abc\ny = 1\n", "ERR 1:5 unterminated string literal "
                "(detected at line 1)");
    EXPECT_TOKS("x = \"\"\"abc\ndef\n", "ERR 1:5 unterminated triple-quoted "
                "string literal (detected at line 2) [incomplete]");
    EXPECT_TOKS("x = '''abc", "ERR 1:5 unterminated triple-quoted string "
                "literal (detected at line 1) [incomplete]");
}

/* ---- identifiers and characters -------------------------------------- */

Test(lexer, unicode_identifiers_and_columns)
{
    /* columns count characters, not bytes */
    EXPECT_PTOKS("\xc3\xa9t\xc3\xa9 = '\xe2\x82\xac' + x\n",
                 "1:1 NAME \xc3\xa9t\xc3\xa9\n1:5 OP =\n"
                 "1:7 STRING '\xe2\x82\xac'\n1:11 OP +\n1:13 NAME x\n"
                 "1:14 NEWLINE\n1:14 ENDMARKER\n");
    EXPECT_TOKS("\xce\xb1\xce\xb2 \xe5\x90\x8d\xe5\x89\x8d",
                "NAME \xce\xb1\xce\xb2\nNAME \xe5\x90\x8d\xe5\x89\x8d\n"
                "NEWLINE\nENDMARKER\n");
    /* NFKC: fullwidth letters and ligatures fold to ASCII */
    EXPECT_TOKS("\xef\xbd\x97\xef\xbd\x89 \xef\xac\x81le",
                "NAME wi\nNAME file\nNEWLINE\nENDMARKER\n");
}

Test(lexer, invalid_characters)
{
    EXPECT_TOKS("x = '\xe2\x82\xac'\ny = \xe2\x82\xac",
                "ERR 2:5 invalid character '\xe2\x82\xac' (U+20AC)");
    EXPECT_TOKS("ab\xe2\x80\x94" "cd", "ERR 1:3 invalid character "
                "'\xe2\x80\x94' (U+2014)");
    EXPECT_TOKS("x = \xc2\xa0 1", "ERR 1:5 invalid non-printable character U+00A0");
    EXPECT_TOKS("x = \x01", "ERR 1:5 invalid non-printable character U+0001");
    /* `$`, `?`, `!` pass through and the parser rejects them */
    EXPECT_TOKS("$ ? !", "ERRORTOKEN\nERRORTOKEN\nERRORTOKEN\nNEWLINE\n"
                "ENDMARKER\n");
}

Test(lexer, brackets)
{
    EXPECT_TOKS("x = )", "ERR 1:5 unmatched ')'");
    EXPECT_TOKS("x = (1]", "ERR 1:7 closing parenthesis ']' does not match "
                "opening parenthesis '('");
    EXPECT_TOKS("x = (1,\n2]", "ERR 2:2 closing parenthesis ']' does not match "
                "opening parenthesis '(' on line 1");
    EXPECT_TOKS("x = [1, (2,\n", "ERR 1:9 '(' was never closed [incomplete]");
    char src[1000];
    memset(src, '(', 300);
    src[300] = 0;
    EXPECT_TOKS(src, "ERR 1:201 too many nested parentheses");
}

/* ---- encoding and raw bytes ---------------------------------------- */

Test(lexer, source_encoding)
{
    EXPECT_TOKS("\xef\xbb\xbfx", "NAME x\nNEWLINE\nENDMARKER\n");  /* BOM */
    EXPECT_PTOKS("a\r\nb\rc\r\n",
                 "1:1 NAME a\n1:2 NEWLINE\n2:1 NAME b\n2:2 NEWLINE\n"
                 "3:1 NAME c\n3:2 NEWLINE\n3:2 ENDMARKER\n");
    EXPECT_TOKS("'''a\r\nb'''", "STRING 'a\\nb'\nNEWLINE\nENDMARKER\n");
    cr_assert_str_eq(toks_n("x = 1\n\0\n", 8),
                     "ERR 2:1 source code cannot contain null bytes");
    EXPECT_TOKS("x = 1\ny = '\xff'", "ERR 2:6 (unicode error) 'utf-8' codec "
                "can't decode byte 0xff in position 11: invalid start byte");
    EXPECT_TOKS("x = '\xc3('", "ERR 1:6 (unicode error) 'utf-8' codec can't "
                "decode byte 0xc3 in position 5: invalid continuation byte");
    EXPECT_TOKS("\xed\xa0\x80", "ERR 1:1 (unicode error) 'utf-8' codec can't "
                "decode byte 0xed in position 0: invalid continuation byte");
    /* PEP 263 cookies: latin-1 is re-encoded, unknown ones refused */
    EXPECT_TOKS("# -*- coding: latin-1 -*-\nx = '\xe9'\n",
                "NAME x\nOP =\nSTRING '\xc3\xa9'\nNEWLINE\nENDMARKER\n");
    EXPECT_TOKS("# coding=koi8-r\n", "ERR 1:1 encoding 'koi8-r' is not "
                "supported by mini (use UTF-8)");
}

Test(lexer, random_garbage_never_crashes)
{
    /* A deterministic generator; every input must either tokenize or
     * produce an error, never crash or hang. */
    unsigned long long s = 88172645463325252ULL;
    static const char alphabet[] = "()[]{}'\"\\\n\t :=.,f{}#rbx01e_j!\xc3\xa9\xff";
    char buf[400];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = (size_t)(iter % 397);
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[i] = iter & 1 ? (char)(s & 0xff)
                              : alphabet[s % (sizeof alphabet - 1)];
        }
        ParseError e;
        char *d = mn_tokens_dump(buf, n, true, &e);
        if (!d) {
            cr_assert(e.msg[0] != 0, "error without a message");
            cr_assert(e.line >= 1 && e.col >= 1);
        }
    }
}
