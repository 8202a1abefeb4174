/*
 * test_parser.c -- the bison grammar (grammar/parser.y) through mn_parse:
 * AST shapes (via mn_ast_dump), node positions, f-strings, syntax error
 * messages and positions, incomplete-input detection for the REPL,
 * mn_format_syntax_error, and hostile inputs.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/ast.h"
#include "runtime/gc.h"

static void setup(void) { gc_init(); }

TestSuite(parser, .init = setup);

/* The AST dump of `src` without the (Module ...) wrapper, or
 * "L:C: MSG" for a syntax error. */
static const char *parse_mode(const char *src, ParseMode mode)
{
    ParseError e;
    Node *m = mn_parse(src, strlen(src), "t.py", mode, &e);
    static char buf[4096];
    if (!m) {
        snprintf(buf, sizeof buf, "%d:%d: %s", e.line, e.col, e.msg);
        return buf;
    }
    const char *d = mn_ast_dump_str(m);
    cr_assert(strncmp(d, "(Module", 7) == 0);
    d += 7;
    if (*d == ' ')
        d++;
    snprintf(buf, sizeof buf, "%.*s", (int)strlen(d) - 1, d);
    return buf;
}

static const char *parse(const char *src) { return parse_mode(src, PARSE_FILE); }

#define EXPECT(src, want) cr_assert_str_eq(parse(src), want, "source: %s", src)

static Node *parse_ok(const char *src)
{
    ParseError e;
    Node *m = mn_parse(src, strlen(src), "t.py", PARSE_FILE, &e);
    cr_assert(m, "parse failed: %d:%d %s", e.line, e.col, e.msg);
    return m;
}

/* First statement's expression (for S_EXPR) or the statement. */
static Node *first_expr(const char *src)
{
    Node *s = parse_ok(src)->u.block.body.items[0];
    return s->kind == S_EXPR ? s->u.expr.value : s;
}

#define EXPECT_POS(n, l, c, el, ec) \
    cr_assert((n)->line == (l) && (n)->col == (c) && (n)->end_line == (el) \
              && (n)->end_col == (ec), "position %d:%d-%d:%d, expected " \
              "%d:%d-%d:%d", (n)->line, (n)->col, (n)->end_line, \
              (n)->end_col, l, c, el, ec)

/* ---- expressions ------------------------------------------------- */

Test(parser, arithmetic_precedence)
{
    EXPECT("-2**2", "(Expr (Unary - (BinOp ** 2 2)))");
    EXPECT("2**-1", "(Expr (BinOp ** 2 (Unary - 1)))");
    EXPECT("2**3**4", "(Expr (BinOp ** 2 (BinOp ** 3 4)))");
    EXPECT("a + b * c - d / e // f % g",
           "(Expr (BinOp - (BinOp + a (BinOp * b c)) (BinOp % (BinOp // "
           "(BinOp / d e) f) g)))");
    EXPECT("a | b ^ c & d << e >> f",
           "(Expr (BinOp | a (BinOp ^ b (BinOp & c (BinOp >> (BinOp << d e) "
           "f)))))");
    EXPECT("~a + -b - +c", "(Expr (BinOp - (BinOp + (Unary ~ a) (Unary - b)) "
           "(Unary + c)))");
    EXPECT("(a + b) * c", "(Expr (BinOp * (BinOp + a b) c))");
}

Test(parser, boolean_and_comparison)
{
    EXPECT("not a == b", "(Expr (Unary not (Compare a == b)))");
    EXPECT("a or b and not c or d", "(Expr (or a (and b (Unary not c)) d))");
    EXPECT("a < b <= c != d in e not in f is g is not h",
           "(Expr (Compare a < b <= c != d in e not in f is g is not h))");
    EXPECT("a == b > c >= d", "(Expr (Compare a == b > c >= d))");
    EXPECT("x if c else y if d else z", "(Expr (IfExp c x (IfExp d y z)))");
    EXPECT("a if b or c else d and e", "(Expr (IfExp (or b c) a (and d e)))");
}

Test(parser, lambdas)
{
    EXPECT("lambda: 0", "(Expr (Lambda (params) 0))");
    EXPECT("lambda a, b=1, *args, c, d=2, **kw: a",
           "(Expr (Lambda (params a b=1 *args c d=2 **kw) a))");
    EXPECT("lambda *, a: a", "(Expr (Lambda (params * a) a))");
    EXPECT("lambda a, /, b: a", "(Expr (Lambda (params a / b) a))");
    EXPECT("lambda x: lambda y: x + y",
           "(Expr (Lambda (params x) (Lambda (params y) (BinOp + x y))))");
    EXPECT("f = lambda: x if y else z",
           "(Assign f = (Lambda (params) (IfExp y x z)))");
}

Test(parser, calls)
{
    EXPECT("f()", "(Expr (Call f))");
    EXPECT("f(a, b=1, *c, **d)", "(Expr (Call f a (* c) (kw b 1) (** d)))");
    EXPECT("f(*a, b, *c, d=1, **e, f=2,)",
           "(Expr (Call f (* a) b (* c) (kw d 1) (** e) (kw f 2)))");
    EXPECT("f(x for x in y)", "(Expr (Call f (GenExp x (for x y))))");
    EXPECT("f((x for x in y), 1)", "(Expr (Call f (GenExp x (for x y)) 1))");
    EXPECT("f(x for x in y if x for z in x)",
           "(Expr (Call f (GenExp x (for x y (if x)) (for z x))))");
    EXPECT("f(a)(b)[c].d", "(Expr (Attr (Sub (Call (Call f a) b) c) d))");
    EXPECT("f(y := 1)", "(Expr (Call f (:= y 1)))");
}

Test(parser, subscripts)
{
    EXPECT("a[1]", "(Expr (Sub a 1))");
    EXPECT("a[1:2]", "(Expr (Sub a (Slice 1 2 -)))");
    EXPECT("a[::3]", "(Expr (Sub a (Slice - - 3)))");
    EXPECT("a[:]", "(Expr (Sub a (Slice - - -)))");
    EXPECT("a[x:y:z]", "(Expr (Sub a (Slice x y z)))");
    EXPECT("a[1:2, 3]", "(Expr (Sub a (Tuple (Slice 1 2 -) 3)))");
    EXPECT("a[:, ...]", "(Expr (Sub a (Tuple (Slice - - -) ...)))");
    EXPECT("a[1,]", "(Expr (Sub a (Tuple 1)))");
    EXPECT("a[b:=1]", "(Expr (Sub a (:= b 1)))");
    EXPECT("a[*b]", "(Expr (Sub a (Tuple (* b))))");
}

Test(parser, displays)
{
    EXPECT("()", "(Expr (Tuple))");
    EXPECT("(1,)", "(Expr (Tuple 1))");
    EXPECT("(1)", "(Expr 1)");
    EXPECT("1, 2,", "(Expr (Tuple 1 2))");
    EXPECT("(*a, b)", "(Expr (Tuple (* a) b))");
    EXPECT("[]", "(Expr (List))");
    EXPECT("[1, *a, 2,]", "(Expr (List 1 (* a) 2))");
    EXPECT("{}", "(Expr (Dict))");
    EXPECT("{1: 2, **d, 3: 4,}", "(Expr (Dict (1 2) (** d) (3 4)))");
    EXPECT("{1, *s}", "(Expr (Set 1 (* s)))");
    EXPECT("x = ...", "(Assign x = ...)");
    EXPECT("x = None, True, False", "(Assign x = (Tuple None True False))");
}

Test(parser, comprehensions)
{
    EXPECT("[x * y for x in a for y in b if x if y]",
           "(Expr (ListComp (BinOp * x y) (for x a) (for y b (if x) (if y))))");
    EXPECT("{k: v for k, v in d}", "(Expr (DictComp k v (for (Tuple k v) d)))");
    EXPECT("{x for x in y}", "(Expr (SetComp x (for x y)))");
    EXPECT("(x for x, in y)", "(Expr (GenExp x (for (Tuple x) y)))");
    EXPECT("[a if b else c for d in e if not f]",
           "(Expr (ListComp (IfExp b a c) (for d e (if (Unary not f)))))");
    EXPECT("[x for x in a or b]", "(Expr (ListComp x (for x (or a b))))");
}

Test(parser, walrus)
{
    EXPECT("(x := 5)", "(Expr (:= x 5))");
    EXPECT("if (n := len(a)) > 10: pass",
           "(If (Compare (:= n (Call len a)) > 10) (body (Pass)))");
    EXPECT("while x := f(): pass", "(While (:= x (Call f)) (body (Pass)))");
    EXPECT("[y := 1, y]", "(Expr (List (:= y 1) y))");
}

/* ---- statements -------------------------------------------------- */

Test(parser, assignments)
{
    EXPECT("a = b = 1", "(Assign a = b = 1)");
    EXPECT("a, *b = c", "(Assign (Tuple a (* b)) = c)");
    EXPECT("[a, b] = c", "(Assign (List a b) = c)");
    EXPECT("(a, [b, *c]), d = e", "(Assign (Tuple (Tuple a (List b (* c))) d) = e)");
    EXPECT("x.y, z[0] = 1, 2", "(Assign (Tuple (Attr x y) (Sub z 0)) = (Tuple 1 2))");
    EXPECT("(a) = 1", "(Assign a = 1)");
    EXPECT("x = *a, b", "(Assign x = (Tuple (* a) b))");
}

Test(parser, augmented_and_annotated)
{
    EXPECT("x += 1", "(AugAssign x += 1)");
    EXPECT("x -= 1; x *= 2; x /= 3; x //= 4; x %= 5; x **= 6",
           "(AugAssign x -= 1) (AugAssign x *= 2) (AugAssign x /= 3) "
           "(AugAssign x //= 4) (AugAssign x %= 5) (AugAssign x **= 6)");
    EXPECT("x &= 1; x |= 2; x ^= 3; x <<= 4; x >>= 5",
           "(AugAssign x &= 1) (AugAssign x |= 2) (AugAssign x ^= 3) "
           "(AugAssign x <<= 4) (AugAssign x >>= 5)");
    EXPECT("a.b[0] += 1, 2", "(AugAssign (Sub (Attr a b) 0) += (Tuple 1 2))");
    EXPECT("x: int", "(AnnAssign x int)");
    EXPECT("x: int = 1", "(AnnAssign x int 1)");
    EXPECT("a.b: str = 'x'", "(AnnAssign (Attr a b) str 'x')");
    EXPECT("(x): int = 1", "(AnnAssign x int 1)");
}

Test(parser, if_while_for)
{
    EXPECT("if a: b\nelif c: d\nelif e: f\nelse: g",
           "(If a (body (Expr b)) (else (If c (body (Expr d)) (else (If e "
           "(body (Expr f)) (else (Expr g)))))))");
    EXPECT("if a:\n    b\n    c\nelse:\n    d\n",
           "(If a (body (Expr b) (Expr c)) (else (Expr d)))");
    EXPECT("while a: b\nelse: c", "(While a (body (Expr b)) (else (Expr c)))");
    EXPECT("for a, b in c: d\nelse: e",
           "(For (Tuple a b) c (body (Expr d)) (else (Expr e)))");
    EXPECT("for x in *a, *b: pass", "(For x (Tuple (* a) (* b)) (body (Pass)))");
    EXPECT("for i in range(3):\n    if i: break\n    else: continue\n",
           "(For i (Call range 3) (body (If i (body (Break)) (else "
           "(Continue)))))");
}

Test(parser, simple_statements)
{
    EXPECT("pass; pass;", "(Pass) (Pass)");
    EXPECT("x = 1; y = 2\nz = 3", "(Assign x = 1) (Assign y = 2) (Assign z = 3)");
    EXPECT("global a, b", "(Global a b)");
    EXPECT("nonlocal c", "(Nonlocal c)");
    EXPECT("assert x", "(Assert x)");
    EXPECT("assert x, 'msg'", "(Assert x 'msg')");
    EXPECT("del a, b[0], c.d", "(Del a (Sub b 0) (Attr c d))");
    EXPECT("del (a, b), [c]", "(Del (Tuple a b) (List c))");
    EXPECT("return", "(Return)");
    EXPECT("return 1, *a", "(Return (Tuple 1 (* a)))");
    EXPECT("raise", "(Raise)");
    EXPECT("raise E('x')", "(Raise (Call E 'x'))");
    EXPECT("raise E from X", "(Raise E from X)");
}

Test(parser, functions_and_classes)
{
    EXPECT("def f(a, b=1, *args, c, d=2, **kw): pass",
           "(Def f (params a b=1 *args c d=2 **kw) (body (Pass)))");
    EXPECT("def f(a: int = 1, *, b: str) -> int: return a",
           "(Def f (params a=1 * b) (body (Return a)))");
    EXPECT("def f(a, /, b, *, c, **d,): pass",
           "(Def f (params a / b * c **d) (body (Pass)))");
    EXPECT("@d1\n@d2.x(1)\ndef f(): pass",
           "(Def f (params) (body (Pass)) (decorators d1 (Call (Attr d2 x) 1)))");
    EXPECT("class A: pass", "(Class A (body (Pass)))");
    EXPECT("class A(B, C, metaclass=M): x = 1",
           "(Class A (bases B C) (keywords (kw metaclass M)) (body (Assign x = 1)))");
    EXPECT("@dec\nclass A(): pass", "(Class A (body (Pass)) (decorators dec))");
    EXPECT("class A(B):\n    def __init__(self, x):\n        super().__init__()\n"
           "        self.x = x\n",
           "(Class A (bases B) (body (Def __init__ (params self x) (body (Expr "
           "(Call (Attr (Call super) __init__))) (Assign (Attr self x) = x)))))");
}

Test(parser, positional_only_params)
{
    Node *d = parse_ok("def f(a, b, /, c): pass")->u.block.body.items[0];
    cr_assert_eq(d->u.func.params.npos, 3);
    cr_assert_eq(d->u.func.params.nposonly, 2);
}

Test(parser, imports)
{
    EXPECT("import a.b.c", "(Import a.b.c)");
    EXPECT("import a as b, c.d as e", "(Import (a as b) (c.d as e))");
    EXPECT("from m import a, b as c", "(ImportFrom m a (b as c))");
    EXPECT("from m import (a,\n    b,)", "(ImportFrom m a b)");
    EXPECT("from . import x", "(ImportFrom . x)");
    EXPECT("from .. m import *", "(ImportFrom ..m *)");
    EXPECT("from ...a.b import c", "(ImportFrom ...a.b c)");
    EXPECT("from .... import c", "(ImportFrom .... c)");
    Node *s = parse_ok("from .a import b")->u.block.body.items[0];
    cr_assert_eq(s->u.import.level, 1);
    cr_assert_str_eq(s->u.import.module, "a");
    s = parse_ok("from . import b")->u.block.body.items[0];
    cr_assert_null(s->u.import.module);
}

Test(parser, try_statements)
{
    EXPECT("try: a\nexcept E as e: b\nexcept (A, B): c\nexcept: d\nelse: e\n"
           "finally: f",
           "(Try (body (Expr a)) (Except E as e (body (Expr b))) (Except "
           "(Tuple A B) (body (Expr c))) (Except - (body (Expr d))) (else "
           "(Expr e)) (finally (Expr f)))");
    EXPECT("try: a\nfinally: b", "(Try (body (Expr a)) (finally (Expr b)))");
}

Test(parser, with_statements)
{
    EXPECT("with a as x, b: pass", "(With (item a as x) (item b) (body (Pass)))");
    EXPECT("with (a as x, b as y,): pass",
           "(With (item a as x) (item b as y) (body (Pass)))");
    EXPECT("with (a, b): pass", "(With (item a) (item b) (body (Pass)))");
    EXPECT("with (a, b) as c: pass", "(With (item (Tuple a b) as c) (body (Pass)))");
    EXPECT("with (a): pass", "(With (item a) (body (Pass)))");
    EXPECT("with (open(f) as g): pass",
           "(With (item (Call open f) as g) (body (Pass)))");
    EXPECT("with a as (b, c): pass", "(With (item a as (Tuple b c)) (body (Pass)))");
}

Test(parser, one_line_compound_and_nesting)
{
    EXPECT("if x: a; b", "(If x (body (Expr a) (Expr b)))");
    EXPECT("def f():\n    if a:\n        return 1\n    return 2\nx = f()",
           "(Def f (params) (body (If a (body (Return 1))) (Return 2))) "
           "(Assign x = (Call f))");
    EXPECT("class A:\n\n    # comment\n\n    x = 1\n\n\ny = 2",
           "(Class A (body (Assign x = 1))) (Assign y = 2)");
}

/* ---- literals ----------------------------------------------------- */

Test(parser, literals)
{
    EXPECT("x = 1_000, 0x_1f, 0o17, 0b101, 1.5, 1e-3, .5, 2.",
           "(Assign x = (Tuple 1000 0x1f 0o17 0b101 1.5 0.001 0.5 2.0))");
    Node *n = first_expr("123456789012345678901234567890");
    cr_assert_eq(n->kind, E_INT);
    cr_assert_str_eq(n->u.lit.text, "123456789012345678901234567890");
    n = first_expr("1_5.2_5e1_0");
    cr_assert_eq(n->kind, E_FLOAT);
    cr_assert(n->u.lit.f == 15.25e10);
}

Test(parser, string_concatenation)
{
    EXPECT("x = 'a' 'b' \"c\"", "(Assign x = 'abc')");
    EXPECT("x = ('a'\n     'b')", "(Assign x = 'ab')");
    EXPECT("x = b'a' b'b'", "(Assign x = b'ab')");
    EXPECT("x = 'a' f'{b}' 'c'", "(Assign x = (FString 'a' (Fmt b) 'c'))");
    Node *s = first_expr("'a\\x00b'");
    cr_assert_eq(s->kind, E_STR);
    cr_assert_eq(s->u.lit.len, 3);
    cr_assert(memcmp(s->u.lit.s, "a\0b", 3) == 0);
}

Test(parser, fstrings)
{
    EXPECT("f'{x!r:>{width}} {y:.2f} {{literal}}'",
           "(Expr (FString (Fmt x !r (FString '>' (Fmt width))) ' ' (Fmt y "
           "(FString '.2f')) ' {literal}'))");
    EXPECT("f'{x=}' f'{x = !s:>5}' f'{x=:>5}'",
           "(Expr (FString 'x=' (Fmt x !r) 'x = ' (Fmt x !s (FString '>5')) "
           "'x=' (Fmt x (FString '>5'))))");
    EXPECT("f'{a[\"k\"]}' f\"{'}'}\"", "(Expr (FString (Fmt (Sub a 'k')) (Fmt '}')))");
    EXPECT("f''", "(Expr (FString))");
    EXPECT("f'{x!a}{y!s}'", "(Expr (FString (Fmt x !a) (Fmt y !s)))");
    EXPECT("f'{a, b}'", "(Expr (FString (Fmt (Tuple a b))))");
    EXPECT("f'{a == b}{a != b}{a >= b}'",
           "(Expr (FString (Fmt (Compare a == b)) (Fmt (Compare a != b)) "
           "(Fmt (Compare a >= b))))");
    EXPECT("f'{x:}'", "(Expr (FString (Fmt x)))");
    EXPECT("f'a\\tb{x}\\n'", "(Expr (FString 'a\\tb' (Fmt x) '\\n'))");
    EXPECT("rf'\\d{x}'", "(Expr (FString '\\\\d' (Fmt x)))");
    EXPECT("f'{f\"{x}\"}'", "(Expr (FString (Fmt (FString (Fmt x)))))");
    EXPECT("f'''{\n  x +\n  y}'''", "(Expr (FString (Fmt (BinOp + x y))))");
    EXPECT("f'{d[1:2]}' f'{lambda x: 1}'",
           "1:24: f-string: invalid syntax");
}

/* ---- positions ---------------------------------------------------- */

Test(parser, node_positions)
{
    Node *s = parse_ok("x = foo(a,\n    b)\n")->u.block.body.items[0];
    EXPECT_POS(s, 1, 1, 2, 7);
    Node *c = s->u.assign.value;
    EXPECT_POS(c, 1, 5, 2, 7);
    EXPECT_POS(c->u.call.args.items[1], 2, 5, 2, 6);

    /* columns count characters */
    s = parse_ok("\xc3\xa9 = '\xe2\x82\xac' + y")->u.block.body.items[0];
    EXPECT_POS(s->u.assign.value, 1, 5, 1, 12);
    EXPECT_POS(s->u.assign.value->u.bin.right, 1, 11, 1, 12);

    Node *b = first_expr("a + b * c");
    EXPECT_POS(b, 1, 1, 1, 10);
    EXPECT_POS(b->u.bin.right, 1, 5, 1, 10);

    /* compound statements end with their last clause */
    Node *i = parse_ok("if x:\n    a\nelif y:\n    b = 22\n\nz\n")
                  ->u.block.body.items[0];
    EXPECT_POS(i, 1, 1, 4, 11);
    EXPECT_POS(i->u.cond.orelse.items[0], 3, 1, 4, 11);
    Node *t = parse_ok("try:\n    a\nexcept E:\n    bb\n")->u.block.body.items[0];
    EXPECT_POS(t, 1, 1, 4, 7);

    Node *d = parse_ok("if x:\n    pass\n\ndef f():\n    return 1\n")
                  ->u.block.body.items[1];
    cr_assert_eq(d->kind, S_DEF);
    cr_assert_eq(d->line, 4);
    cr_assert_eq(d->u.func.body.items[0]->line, 5);
    cr_assert_eq(d->u.func.body.items[0]->col, 5);
}

Test(parser, fstring_positions)
{
    /* replacement fields are parsed where they are in the source */
    Node *f = first_expr("f'ab{x + y}'");
    cr_assert_eq(f->kind, E_FSTRING);
    Node *fmt = f->u.seq.elts.items[1];
    cr_assert_eq(fmt->kind, E_FORMATTED);
    EXPECT_POS(fmt->u.fmt.value, 1, 6, 1, 11);
    EXPECT_POS(fmt->u.fmt.value->u.bin.right, 1, 10, 1, 11);

    f = first_expr("s = f'''\n  {val}\n'''");
    Node *v = f->u.assign.value->u.seq.elts.items[1]->u.fmt.value;
    EXPECT_POS(v, 2, 4, 2, 7);

    /* errors inside fields point into the source */
    cr_assert_str_eq(parse("x = 1\ny = f'{a b}'"),
                     "2:8: f-string: invalid syntax. Perhaps you forgot a comma?");
    cr_assert_str_eq(parse("f'''\n{\n1 +\n}'''"), "4:1: f-string: invalid syntax");
}

/* ---- syntax errors ------------------------------------------------- */

static const struct {
    const char *src, *want;
} errors[] = {
    {"print(1 +)", "1:10: invalid syntax"},
    {"if x:\ny", "2:1: expected an indented block after 'if' statement on line 1"},
    {"if x:\n    y\n  z", "3:3: unindent does not match any outer indentation level"},
    {"  x", "1:3: unexpected indent"},
    {"x = 1\n    y = 2", "2:5: unexpected indent"},
    {"x = (1,\n2", "1:5: '(' was never closed"},
    {"x = (1,\ny = 2", "1:5: '(' was never closed"},
    {"def f():", "1:9: expected an indented block after function definition on line 1"},
    {"class A:\n", "1:9: expected an indented block after class definition on line 1"},
    {"for x in y:\npass", "2:1: expected an indented block after 'for' statement on line 1"},
    {"while 1:\npass", "2:1: expected an indented block after 'while' statement on line 1"},
    {"try:\npass", "2:1: expected an indented block after 'try' statement on line 1"},
    {"try:\n    pass\nexcept:\npass", "4:1: expected an indented block after 'except' statement on line 3"},
    {"try:\n    pass\nfinally:\npass", "4:1: expected an indented block after 'finally' statement on line 3"},
    {"if x:\n    pass\nelif y:\npass", "4:1: expected an indented block after 'elif' statement on line 3"},
    {"if x:\n    pass\nelse:\npass", "4:1: expected an indented block after 'else' statement on line 3"},
    {"with a:\npass", "2:1: expected an indented block after 'with' statement on line 1"},
    {"if x\n    pass", "1:5: expected ':'"},
    {"def f(x)", "1:9: expected ':'"},
    {"class A\n", "1:8: expected ':'"},
    {"f(a b)", "1:3: invalid syntax. Perhaps you forgot a comma?"},
    {"[1, 2 3]", "1:5: invalid syntax. Perhaps you forgot a comma?"},
    {"f(a \"x\")", "1:5: invalid syntax"},
    {"1 = x", "1:1: cannot assign to literal here. Maybe you meant '==' instead of '='?"},
    {"f() = 1", "1:1: cannot assign to function call here. Maybe you meant '==' instead of '='?"},
    {"a + 1 = 2", "1:1: cannot assign to expression here. Maybe you meant '==' instead of '='?"},
    {"del 1", "1:5: cannot delete literal"},
    {"del f()", "1:5: cannot delete function call"},
    {"for 1 in x: pass", "1:5: cannot assign to literal"},
    {"[x for 1 in y]", "1:8: cannot assign to literal"},
    {"with a as 1: pass", "1:11: cannot assign to literal"},
    {"x += ", "1:6: invalid syntax"},
    {"(a, b) += 1", "1:1: 'tuple' is an illegal expression for augmented assignment"},
    {"f() += 1", "1:1: 'function call' is an illegal expression for augmented assignment"},
    {"True = 1", "1:1: cannot assign to True"},
    {"(a, 1) = x", "1:5: cannot assign to literal"},
    {"None = 1", "1:1: cannot assign to None"},
    {"a, *b, *c = d", "1:1: multiple starred expressions in assignment"},
    {"*a = b", "1:1: starred assignment target must be in a list or tuple"},
    {"x = *a", "1:5: can't use starred expression here"},
    {"(*a)", "1:2: cannot use starred expression here"},
    {"(a, b): int", "1:1: only single target (not tuple) can be annotated"},
    {"a + 1: int", "1:1: illegal target for annotation"},
    {"f(a=1, b)", "1:8: positional argument follows keyword argument"},
    {"f(**a, *b)", "1:8: iterable argument unpacking follows keyword argument unpacking"},
    {"f(**c, d)", "1:8: positional argument follows keyword argument unpacking"},
    {"f(a=1, a=2)", "1:8: keyword argument repeated: a"},
    {"f(a.b=1)", "1:3: expression cannot contain assignment, perhaps you meant \"==\"?"},
    {"f(True=1)", "1:3: cannot assign to True"},
    {"f(x for x in y, 1)", "1:3: Generator expression must be parenthesized"},
    {"(1 + 2 := 3)", "1:2: cannot use assignment expressions with expression"},
    {"def f(a=1, b): pass", "1:12: non-default argument follows default argument"},
    {"def f(*): pass", "1:7: named arguments must follow bare *"},
    {"def f(*, **k): pass", "1:7: named arguments must follow bare *"},
    {"def f(**k, a): pass", "1:12: arguments cannot follow var-keyword argument"},
    {"def f(*a, *b): pass", "1:11: * argument may appear only once"},
    {"def f(a, a): pass", "1:10: duplicate argument 'a' in function definition"},
    {"def f(/, a): pass", "1:7: at least one argument must precede /"},
    {"def f(a, /, b, /): pass", "1:16: / may appear only once"},
    {"def f(*, a, /): pass", "1:13: / must be ahead of *"},
    {"lambda x=1, y: 0", "1:13: non-default argument follows default argument"},
    {"from m import a,", "1:17: trailing comma not allowed without surrounding parentheses"},
    {"try:\n  pass\nexcept A, B: pass", "3:8: multiple exception types must be parenthesized"},
    {"try:\n    pass\nx = 1", "3:1: expected 'except' or 'finally' block"},
    {"x = (a as b)", "1:8: invalid syntax"},
    {"x = 1 +", "1:8: invalid syntax"},
    {"print \"x\"", "1:1: Missing parentheses in call to 'print'. Did you mean print(...)?"},
    {"if x: print \"y\"", "1:7: Missing parentheses in call to 'print'. Did you mean print(...)?"},
    {"f(a if b)", "1:3: expected 'else' after 'if' expression"},
    {"x = 'a' b'b'", "1:5: cannot mix bytes and nonbytes literals"},
    {"a $ b", "1:3: invalid syntax"},
    {"x = ?", "1:5: invalid syntax"},
    {"x = a @ b", "1:7: invalid syntax"},
    {"else: pass", "1:1: invalid syntax"},
    {"  if x:\n pass", "1:3: unexpected indent"},
    {"x = )", "1:5: unmatched ')'"},
    {"x = 1abc", "1:5: invalid decimal literal"},
    {"x = 'abc", "1:5: unterminated string literal (detected at line 1)"},
    {"x = '''abc\n", "1:5: unterminated triple-quoted string literal (detected at line 1)"},
    {"y = €", "1:5: invalid character '€' (U+20AC)"},
    {"x = f'{1 +}'", "1:11: f-string: invalid syntax"},
    {"x = f'{}'", "1:8: f-string: empty expression not allowed"},
    {"x = f'{'", "1:7: f-string: expecting '}'"},
    {"x = f'}'", "1:7: f-string: single '}' is not allowed"},
    {"x = f'{x!z}'", "1:10: f-string: invalid conversion character: expected 's', 'r', or 'a'"},
    {"x = f'{x!}'", "1:10: f-string: invalid conversion character: expected 's', 'r', or 'a'"},
    {"x = f'{x#}'", "1:9: f-string expression part cannot include '#'"},
    {"x = f'{x\\n}'", "1:9: f-string expression part cannot include a backslash"},
    {"x = f'{x:{y:{z}}}'", "1:13: f-string: expressions nested too deeply"},
    {"x = f'{a)}'", "1:9: f-string: unmatched ')'"},
    {"x = f'{*a}'", "1:8: f-string: can't use starred expression here"},
    /* a tokenizer error later in the file wins over a parser error, as in
     * CPython */
    {"x = = 1\ny = 'abc", "2:5: unterminated string literal (detected at line 2)"},
};

Test(parser, syntax_errors)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        cr_expect_str_eq(parse(errors[i].src), errors[i].want, "source: %s",
                         errors[i].src);
}

Test(parser, valid_edge_cases)
{
    EXPECT("x = 1if 1 else 2", "(Assign x = (IfExp 1 1 2))");
    EXPECT("x = 0x1for", "1:11: invalid syntax");  /* 0x1f or <EOF> */
    EXPECT("print(*a, sep='')", "(Expr (Call print (* a) (kw sep '')))");
    EXPECT("", "");
    EXPECT("\n\n# only comments\n", "");
    EXPECT("x = 1 \\\n  + 2", "(Assign x = (BinOp + 1 2))");
    EXPECT("if x:\n\tpass\n", "(If x (body (Pass)))");
    EXPECT("x\r\ny\r\n", "(Expr x) (Expr y)");
}

/* ---- incomplete input (REPL) ---------------------------------------- */

static const struct {
    const char *src;
    ParseMode mode;
    bool ok, incomplete;
} incompletes[] = {
    {"x = 1\n", PARSE_INTERACTIVE, true, false},
    {"", PARSE_INTERACTIVE, true, false},
    {"\n", PARSE_INTERACTIVE, true, false},
    {"if x:\n", PARSE_INTERACTIVE, false, true},
    {"if x:\n    y\n", PARSE_INTERACTIVE, false, true},
    {"if x:\n    y\n\n", PARSE_INTERACTIVE, true, false},
    {"if x: y\n", PARSE_INTERACTIVE, false, true},
    {"if x: y\n\n", PARSE_INTERACTIVE, true, false},
    {"if x:\n\n", PARSE_INTERACTIVE, false, false},
    {"if x:\n    y\nelse:\n", PARSE_INTERACTIVE, false, true},
    {"def f():\n    return 1\n", PARSE_INTERACTIVE, false, true},
    {"class A:\n    def f(self):\n        pass\n", PARSE_INTERACTIVE, false, true},
    {"class A:\n    def f(self):\n        pass\n\n", PARSE_INTERACTIVE, true, false},
    {"try:\n    x\n", PARSE_INTERACTIVE, false, true},
    {"@dec\n", PARSE_INTERACTIVE, false, true},
    {"x = (1,\n", PARSE_INTERACTIVE, false, true},
    {"x = (1,\n\n\n", PARSE_INTERACTIVE, false, true},
    {"x = [1, {2:\n", PARSE_INTERACTIVE, false, true},
    {"x = \"\"\"abc\n", PARSE_INTERACTIVE, false, true},
    {"x = 1 + \\\n", PARSE_INTERACTIVE, false, true},
    {"x = 1 +\n", PARSE_INTERACTIVE, false, false},
    {"x = 'abc\n", PARSE_INTERACTIVE, false, false},
    {"if x:\n    y = 1 +\n", PARSE_INTERACTIVE, false, false},
    {"if x:\n    y\n  z\n", PARSE_INTERACTIVE, false, false},
    {"x = )\n", PARSE_INTERACTIVE, false, false},
    /* file mode: what the input ended inside of */
    {"if x:\n    y\n", PARSE_FILE, true, false},
    {"if x:\n", PARSE_FILE, false, true},
    {"x = (1,\n", PARSE_FILE, false, true},
    {"x = '''", PARSE_FILE, false, true},
    {"x = 1 +\n", PARSE_FILE, false, false},
};

Test(parser, incomplete_detection)
{
    for (size_t i = 0; i < sizeof incompletes / sizeof incompletes[0]; i++) {
        const char *src = incompletes[i].src;
        ParseError e;
        Node *m = mn_parse(src, strlen(src), "<stdin>", incompletes[i].mode, &e);
        cr_expect_eq(m != NULL, incompletes[i].ok, "ok? source: %s", src);
        if (!m)
            cr_expect_eq(e.incomplete, incompletes[i].incomplete,
                         "incomplete? source: %s (%s)", src, e.msg);
    }
}

/* ---- error formatting ------------------------------------------------ */

static const char *format(const char *src)
{
    ParseError e;
    cr_assert_null(mn_parse(src, strlen(src), "x.mini", PARSE_FILE, &e));
    static char out[1024];
    mn_format_syntax_error("x.mini", src, strlen(src), &e, out, sizeof out);
    return out;
}

Test(parser, format_syntax_error)
{
    cr_assert_str_eq(format("a = 1\nb = 2\nprint(1 +)\n"),
                     "x.mini:3:10: SyntaxError: invalid syntax\n"
                     "    print(1 +)\n"
                     "             ^\n");
    /* leading whitespace stripped, caret moved with it */
    cr_assert_str_eq(format("if x:\n        y = (1 +)\n"),
                     "x.mini:2:17: SyntaxError: invalid syntax\n"
                     "    y = (1 +)\n"
                     "            ^\n");
    /* tabs in the line are echoed in the caret line */
    cr_assert_str_eq(format("x = (1,\t+)\n"),
                     "x.mini:1:10: SyntaxError: invalid syntax\n"
                     "    x = (1,\t+)\n"
                     "           \t ^\n");
    /* columns are characters */
    cr_assert_str_eq(format("\xc3\xa9 = (1 +)"),
                     "x.mini:1:9: SyntaxError: invalid syntax\n"
                     "    \xc3\xa9 = (1 +)\n"
                     "            ^\n");
    /* error at the end of a line */
    cr_assert_str_eq(format("x = 1 +\r\n"),
                     "x.mini:1:8: SyntaxError: invalid syntax\n"
                     "    x = 1 +\n"
                     "           ^\n");
    /* error on a line that does not exist: no echo */
    ParseError e = {.line = 9, .col = 1};
    strcpy(e.msg, "boom");
    char out[256];
    mn_format_syntax_error("f", "x\n", 2, &e, out, sizeof out);
    cr_assert_str_eq(out, "f:9:1: SyntaxError: boom\n");
    /* a tiny buffer is truncated, not overrun */
    char small[12];
    memset(small, 'Z', sizeof small);
    mn_format_syntax_error("x.mini", "print(1 +)", 10, &(ParseError){
                           .line = 1, .col = 10, .msg = "invalid syntax"},
                           small, 10);
    cr_assert_eq(small[9], 0);
    cr_assert_eq(small[10], 'Z');
}

/* ---- hostile input ---------------------------------------------------- */

static char *repeat(const char *pre, const char *unit, int n, const char *post)
{
    size_t lu = strlen(unit), lp = strlen(pre), lq = strlen(post);
    char *s = malloc(lp + lu * (size_t)n + lq + 1);
    memcpy(s, pre, lp);
    for (int i = 0; i < n; i++)
        memcpy(s + lp + lu * (size_t)i, unit, lu);
    memcpy(s + lp + lu * (size_t)n, post, lq + 1);
    return s;
}

Test(parser, deep_nesting)
{
    char *s = repeat("x = ", "(", 10000, "1");
    cr_assert_str_eq(parse(s), "1:205: too many nested parentheses");
    free(s);
    s = repeat("x = ", "-", 100000, "1");
    cr_assert(strstr(parse(s), "too many nested expressions"), "%s", parse(s));
    free(s);
    s = repeat("x = 1", "+1", 100000, "");
    cr_assert(strstr(parse(s), "too many nested expressions"), "%s", parse(s));
    free(s);
    s = repeat("x = ", "not ", 50000, "y");
    cr_assert(strstr(parse(s), "too many nested expressions"), "%s", parse(s));
    free(s);
    /* reasonable nesting is fine */
    s = repeat("x = 1", "+1", 1000, "");
    cr_assert_eq(strncmp(parse(s), "(Assign", 7), 0);
    free(s);
    s = repeat("x = ", "[", 150, "");
    char *t = repeat(s, "]", 150, "");
    cr_assert_eq(strncmp(parse(t), "(Assign", 7), 0);
    free(s);
    free(t);
}

Test(parser, big_input_is_linear)
{
    /* 100k statements and a 100k-element list parse fine */
    char *s = repeat("", "x = [1, 'a', f(y)]\n", 100000, "");
    ParseError e;
    Node *m = mn_parse(s, strlen(s), "big", PARSE_FILE, &e);
    cr_assert(m);
    cr_assert_eq(m->u.block.body.n, 100000);
    free(s);
    /* many keywords: duplicates still found (hash set past a few) */
    char *k = malloc(20 * 2000 + 64);
    size_t o = (size_t)sprintf(k, "f(");
    for (int i = 0; i < 2000; i++)
        o += (size_t)sprintf(k + o, "a%d=1, ", i);
    strcpy(k + o, "a1234=2)");
    cr_assert(strstr(parse(k), "keyword argument repeated: a1234"), "%s", parse(k));
    strcpy(k + o, "b=2)");
    cr_assert_eq(strncmp(parse(k), "(Expr (Call f", 13), 0);
    free(k);
    /* a long run of literals after an f-string is merged in one piece */
    s = repeat("x = f'{y}' ", "'ab' ", 20000, "");
    m = mn_parse(s, strlen(s), "big", PARSE_FILE, &e);
    cr_assert(m);
    Node *fs = m->u.block.body.items[0]->u.assign.value;
    cr_assert_eq(fs->u.seq.elts.n, 2);
    cr_assert_eq(fs->u.seq.elts.items[1]->u.lit.len, 40000);
    free(s);
    s = repeat("x = [", "1, ", 100000, "]");
    m = mn_parse(s, strlen(s), "big", PARSE_FILE, &e);
    cr_assert(m);
    cr_assert_eq(m->u.block.body.items[0]->u.assign.value->u.seq.elts.n, 100000);
    free(s);
}

Test(parser, null_bytes_and_bad_utf8)
{
    ParseError e;
    cr_assert_null(mn_parse("x = 1\0", 6, "t", PARSE_FILE, &e));
    cr_assert_str_eq(e.msg, "source code cannot contain null bytes");
    cr_assert_eq(e.line, 1);
    cr_assert_eq(e.col, 6);
    cr_assert_null(mn_parse("x = '\x80'", 7, "t", PARSE_FILE, &e));
    cr_assert(strstr(e.msg, "invalid start byte"));
    cr_assert_null(mn_parse("'\xe2\x82'", 4, "t", PARSE_FILE, &e));
    cr_assert(strstr(e.msg, "invalid continuation byte"), "%s", e.msg);
}

Test(parser, random_garbage_never_crashes)
{
    static const char *const seeds[] = {
        "def f(a, b=1, *c, **d):\n    return [x for x in a if x]\n",
        "class A(B):\n    x: int = 1\n    def g(self): return f'{self.x!r:>{w}}'\n",
        "try:\n    import a.b as c\nexcept (E, F) as e:\n    raise X from e\n",
        "with (a as b, c):\n    d[1:2, ::3] += {**e, 'k': [*f]}\n",
    };
    unsigned long long s = 0x9E3779B97F4A7C15ULL;
    char buf[512];
    for (int iter = 0; iter < 4000; iter++) {
        const char *seed = seeds[iter % 4];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int edits = 1 + iter % 6;
        for (int k = 0; k < edits; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            size_t pos = (size_t)(s % (n ? n : 1));
            switch ((s >> 20) % 4) {
            case 0:                 /* delete a run */
                if (n) {
                    size_t len = 1 + (s >> 30) % 8;
                    if (pos + len > n)
                        len = n - pos;
                    memmove(buf + pos, buf + pos + len, n - pos - len);
                    n -= len;
                }
                break;
            case 1:                 /* random byte */
                if (n)
                    buf[pos] = (char)(s >> 40);
                break;
            case 2:                 /* insert a structural character */
                if (n < sizeof buf - 1) {
                    memmove(buf + pos + 1, buf + pos, n - pos);
                    buf[pos] = "()[]{}'\"\\\n\t:=,.#f"[(s >> 33) % 18];
                    n++;
                }
                break;
            default:                /* random bytes everywhere */
                if (iter % 17 == 0)
                    for (size_t i = 0; i < n; i++)
                        buf[i] = (char)((s >> (i % 56)) ^ i);
                break;
            }
        }
        ParseError e;
        Node *m = mn_parse(buf, n, "fuzz", iter & 1 ? PARSE_INTERACTIVE
                                                     : PARSE_FILE, &e);
        if (!m) {
            cr_assert(e.msg[0], "error without message");
            cr_assert(e.line >= 1 && e.col >= 1, "bad position %d:%d",
                      e.line, e.col);
            char out[1024];
            mn_format_syntax_error("fuzz", buf, n, &e, out, sizeof out);
        } else {
            (void)mn_ast_dump_str(m);
        }
    }
}
