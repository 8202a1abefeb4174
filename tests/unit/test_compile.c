/*
 * test_compile.c -- the exact instruction sequences the compiler emits for
 * a few constructs (Lua's test build checks its code generator the same
 * way), plus compile-time errors with CPython's wording.
 *
 * Sequences are opcode names only (mn_dis_opnames); operands are checked
 * where they matter by running the code in the script tests.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "runtime/object.h"
#include "vm/compile.h"
#include "vm/tstate.h"

static void setup(void)
{
    if (mn_ts())
        return;
    gc_init();
    cr_assert(mn_runtime_init() == 0);
    mn_tstate_new(&mn_interp);
}

TestSuite(compile, .init = setup);

static CodeObject *compile_src(const char *src)
{
    ParseError err;
    memset(&err, 0, sizeof err);
    Node *mod = mn_parse(src, strlen(src), "<test>", PARSE_FILE, &err);
    cr_assert(mod, "parse error: %s", err.msg);
    CodeObject *co = mn_compile(mod, "<test>", MN_COMPILE_FILE, &err);
    cr_assert(co, "compile error: %s", err.msg);
    return co;
}

/* The code object named `name` among co's constants (depth-first). */
static CodeObject *find_code(CodeObject *co, const char *name)
{
    if (!strcmp(mn_cstr(co->name), name))
        return co;
    for (int64_t i = 0; i < mn_tuple_len(co->consts); i++) {
        Value c = mn_tuple_items(co->consts)[i];
        if (MN_IS_EXACT(c, CodeType)) {
            CodeObject *r = find_code(AS(CodeObject, c), name);
            if (r)
                return r;
        }
    }
    return NULL;
}

static void expect_ops(const char *src, const char *name, const char *expected)
{
    CodeObject *co = find_code(compile_src(src), name);
    cr_assert(co, "no code object named %s", name);
    char *got = mn_dis_opnames(co);
    cr_assert_str_eq(got, expected, "\nsource:\n%s\ngot:      %s\nexpected: %s", src, got,
                     expected);
}

static void expect_error(const char *src, const char *msg, int line)
{
    ParseError err;
    memset(&err, 0, sizeof err);
    Node *mod = mn_parse(src, strlen(src), "<test>", PARSE_FILE, &err);
    cr_assert(mod, "parse error: %s", err.msg);
    CodeObject *co = mn_compile(mod, "<test>", MN_COMPILE_FILE, &err);
    cr_assert(!co, "expected a compile error for:\n%s", src);
    cr_assert_str_eq(err.msg, msg);
    cr_assert_eq(err.line, line, "line %d, expected %d", err.line, line);
}

Test(compile, assignment)
{
    expect_ops("x = 1\n", "<module>",
               "LOAD_CONST STORE_GLOBAL LOAD_CONST RETURN_VALUE");
    expect_ops("def f(a):\n    b = a\n    a, b = b, a\n", "f",
               "LOAD_FAST STORE_FAST LOAD_FAST_CHECK LOAD_FAST ROT_TWO STORE_FAST "
               "STORE_FAST LOAD_CONST RETURN_VALUE");
    expect_ops("def f(o):\n    o.x += 1\n", "f",
               "LOAD_FAST DUP_TOP LOAD_ATTR LOAD_CONST INPLACE_ADD ROT_TWO STORE_ATTR "
               "LOAD_CONST RETURN_VALUE");
}

Test(compile, if_else)
{
    expect_ops("def f(a):\n    if a:\n        return 1\n    else:\n        return 2\n", "f",
               "LOAD_FAST POP_JUMP_IF_FALSE LOAD_CONST RETURN_VALUE LOAD_CONST RETURN_VALUE");
    expect_ops("def f(a, b):\n    if a and not b:\n        g()\n", "f",
               "LOAD_FAST POP_JUMP_IF_FALSE LOAD_FAST POP_JUMP_IF_TRUE LOAD_GLOBAL CALL "
               "POP_TOP LOAD_CONST RETURN_VALUE");
}

Test(compile, while_loop)
{
    /* the test is duplicated at the bottom (loop inversion) */
    expect_ops("def f(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n", "f",
               "LOAD_CONST STORE_FAST LOAD_FAST_CHECK LOAD_FAST COMPARE_OP POP_JUMP_IF_FALSE "
               "LOAD_FAST_CHECK LOAD_CONST INPLACE_ADD STORE_FAST LOAD_FAST_CHECK LOAD_FAST "
               "COMPARE_OP POP_JUMP_BACK_IF_TRUE LOAD_FAST_CHECK RETURN_VALUE");
    expect_ops("def f(xs):\n    for x in xs:\n        if x:\n            break\n", "f",
               "LOAD_FAST GET_ITER FOR_ITER STORE_FAST LOAD_FAST_CHECK POP_JUMP_BACK_IF_FALSE "
               "POP_TOP LOAD_CONST RETURN_VALUE");
}

Test(compile, call_with_kwargs)
{
    expect_ops("f(1, b=2)\n", "<module>",
               "LOAD_GLOBAL LOAD_CONST LOAD_CONST LOAD_CONST CALL_KW POP_TOP LOAD_CONST "
               "RETURN_VALUE");
    expect_ops("o.m(1)\n", "<module>",
               "LOAD_GLOBAL LOAD_METHOD LOAD_CONST CALL_METHOD POP_TOP LOAD_CONST RETURN_VALUE");
    expect_ops("f(*a, **k)\n", "<module>",
               "LOAD_GLOBAL LOAD_GLOBAL BUILD_MAP LOAD_GLOBAL DICT_MERGE CALL_EX POP_TOP "
               "LOAD_CONST RETURN_VALUE");
}

Test(compile, closure)
{
    const char *src = "def f():\n    x = 1\n    def g():\n        return x\n    return g\n";
    expect_ops(src, "f",
               "MAKE_CELL LOAD_CONST STORE_DEREF LOAD_CLOSURE BUILD_TUPLE LOAD_CONST "
               "MAKE_FUNCTION STORE_FAST LOAD_FAST_CHECK RETURN_VALUE");
    expect_ops(src, "g", "LOAD_DEREF RETURN_VALUE");
}

Test(compile, try_except)
{
    expect_ops("try:\n    a()\nexcept E as e:\n    b()\n", "<module>",
               "LOAD_GLOBAL CALL POP_TOP JUMP_FORWARD "
               "PUSH_EXC_INFO LOAD_GLOBAL CHECK_EXC_MATCH POP_JUMP_IF_FALSE STORE_GLOBAL "
               "LOAD_GLOBAL CALL POP_TOP LOAD_CONST STORE_GLOBAL DELETE_GLOBAL POP_EXCEPT "
               "JUMP_FORWARD LOAD_CONST STORE_GLOBAL DELETE_GLOBAL RERAISE RERAISE "
               "POP_EXCEPT_RERAISE LOAD_CONST RETURN_VALUE");
}

Test(compile, errors)
{
    expect_error("return 1\n", "'return' outside function", 1);
    expect_error("x = 1\nbreak\n", "'break' outside loop", 2);
    expect_error("def f():\n    continue\n", "'continue' not properly in loop", 2);
    expect_error("def f():\n    x = 1\n    global x\n",
                 "name 'x' is assigned to before global declaration", 3);
    expect_error("def f():\n    print(x)\n    global x\n",
                 "name 'x' is used prior to global declaration", 3);
    expect_error("nonlocal x\n", "nonlocal declaration not allowed at module level", 1);
    expect_error("def f():\n    nonlocal x\n", "no binding for nonlocal 'x' found", 2);
}
