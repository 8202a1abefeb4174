/*
 * test_object.c -- the object model: class creation and slot dispatch,
 * attribute lookup along the base chain, binary-operator dispatch and its
 * errors, exceptions (str/repr/hierarchy/printing), descriptors, super,
 * and argument parsing.  Expected strings are CPython 3.11's.
 *
 * "User" methods are written in C here: a method descriptor whose owner
 * is `object` behaves exactly like a function stored in a class (it is
 * called with self prepended), so no compiler is needed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/objmodel.h"
#include "vm/tstate.h"

static void setup(void)
{
    if (mn_ts())
        return;
    gc_init();
    cr_assert(mn_runtime_init() == 0);
    mn_tstate_new(&mn_interp);
}

TestSuite(object, .init = setup);

/* ---- helpers ------------------------------------------------------- */

/* "Type: message" of the pending exception, which is cleared. */
static const char *exc_text(void)
{
    static char buf[512];
    Value e = mn_exc_fetch();
    if (!e)
        return "<no exception>";
    Value s = mn_to_str(e);
    snprintf(buf, sizeof buf, "%s: %s", mn_type_name(e), s ? mn_cstr(s) : "?");
    return buf;
}

#define assert_raises(expr, msg) do { \
        Value r_ = (Value)(expr); \
        (void)r_; \
        cr_assert_str_eq(exc_text(), msg); \
    } while (0)

static const char *repr_of(Value v)
{
    cr_assert(v, "unexpected error: %s", exc_text());
    Value r = mn_repr(v);
    cr_assert(r, "repr failed: %s", exc_text());
    return mn_cstr(r);
}

static const char *str_of(Value v)
{
    cr_assert(v, "unexpected error: %s", exc_text());
    Value r = mn_to_str(v);
    cr_assert(r, "str failed: %s", exc_text());
    return mn_cstr(r);
}

static void def_method(Value ns, const char *name, CFunc fn)
{
    MethodDef *def = calloc(1, sizeof *def);
    def->name = name;
    def->fn = fn;
    MethodDescrObject *m = mn_alloc_obj(&MethodDescrType, sizeof *m);
    m->def = def;
    m->owner = &ObjectType;
    mn_dict_set_str(ns, mn_intern(name), mn_val(m));
}

static Value make_class(const char *name, Type *base, Value ns)
{
    Value c = mn_class_new(mn_str(name), base, ns ? ns : mn_dict_new(), mn_str("__main__"));
    cr_assert(c, "class creation failed: %s", exc_text());
    return c;
}

static Value attr(Value o, const char *name)
{
    return mn_getattr(o, mn_intern(name));
}

static Value kwargs1(const char *k, Value v)
{
    Value d = mn_dict_new();
    mn_dict_set_cstr(d, k, v);
    return d;
}

/* ---- methods used by the tests ---------------------------------- */

static Value pt_init(Value *a, int n, Value kw)
{
    if (n != 3)
        return mn_raise(&TypeErrorType, "Point.__init__() takes 3 positional arguments "
                        "but %d were given", n);
    if (mn_setattr(a[0], mn_intern("x"), a[1]) < 0 || mn_setattr(a[0], mn_intern("y"), a[2]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value pt_repr(Value *a, int n, Value kw)
{
    return mn_str_fmt("Point(%s, %s)", repr_of(attr(a[0], "x")), repr_of(attr(a[0], "y")));
}

static Value pt_eq(Value *a, int n, Value kw)
{
    if (mn_typeof(a[1]) != mn_typeof(a[0]))
        return mn_NotImplemented;
    return mn_bool(mn_eq(attr(a[0], "x"), attr(a[1], "x")) == 1);
}

static Value pt_add(Value *a, int n, Value kw) { return mn_str("Point.__add__"); }
static Value pt_radd(Value *a, int n, Value kw) { return mn_str_fmt("Point.__radd__(%s)", repr_of(a[1])); }
static Value ret_zero(Value *a, int n, Value kw) { return mn_int(0); }
static Value ret_seven(Value *a, int n, Value kw) { return mn_int(7); }
static Value ret_str_sub(Value *a, int n, Value kw) { return mn_str("Sub.__radd__"); }
static Value ret_int(Value *a, int n, Value kw) { return mn_int(1); }

static Value sq_getitem(Value *a, int n, Value kw)
{
    if (mn_is_int(a[1]) && mn_int_val(a[1]) < 3)
        return mn_int(mn_int_val(a[1]) * 10);
    return mn_raise(&IndexErrorType, "out of range");
}

/* super().__init__(x, y); self.z = 99 */
static Value sub_init(Value *a, int n, Value kw)
{
    Value s = mn_super_new(mn_val(mn_typeof(a[0])), a[0]);
    if (!s)
        return MN_ERR;
    Value self;
    Value f = mn_lookup_method(s, MN_ID(__init__), &self);
    if (!f)
        return MN_ERR;
    Value args[3] = {self, a[1], a[2]};
    if (!mn_call(f, self ? args : args + 1, self ? 3 : 2, 0))
        return MN_ERR;
    return mn_setattr(a[0], mn_intern("z"), mn_int(99)) < 0 ? MN_ERR : mn_None;
}

/* super().__init__(msg); self.code = code */
static Value err_init(Value *a, int n, Value kw)
{
    Value s = mn_super_new(mn_val(mn_typeof(a[0])), a[0]);
    Value self;
    Value f = s ? mn_lookup_method(s, MN_ID(__init__), &self) : MN_ERR;
    if (!f)
        return MN_ERR;
    Value args[2] = {a[0], a[1]};
    if (!mn_call(f, self ? args : args + 1, self ? 2 : 1, 0))
        return MN_ERR;
    return mn_setattr(a[0], mn_intern("code"), a[2]) < 0 ? MN_ERR : mn_None;
}

static Value point_class(void)
{
    Value ns = mn_dict_new();
    def_method(ns, "__init__", pt_init);
    def_method(ns, "__repr__", pt_repr);
    def_method(ns, "__eq__", pt_eq);
    def_method(ns, "__add__", pt_add);
    def_method(ns, "__radd__", pt_radd);
    return make_class("Point", NULL, ns);
}

/* ---- class creation ----------------------------------------------- */

Test(object, plain_class)
{
    Value C = make_class("Plain", NULL, 0);
    cr_assert_str_eq(repr_of(C), "<class '__main__.Plain'>");
    Value o = mn_call0(C);
    cr_assert(o);
    cr_assert(strncmp(repr_of(o), "<__main__.Plain object at 0x", 28) == 0);
    cr_assert_str_eq(str_of(o), repr_of(o));
    assert_raises(mn_call1(C, mn_int(1)), "TypeError: Plain() takes no arguments");
    assert_raises(mn_call(mn_val(&ObjectType), (Value[]){mn_int(1)}, 1, 0),
                  "TypeError: object() takes no arguments");
    cr_assert_str_eq(mn_cstr(attr(C, "__name__")), "Plain");
    cr_assert_str_eq(mn_cstr(attr(C, "__module__")), "__main__");
    cr_assert(attr(C, "__doc__") == mn_None);
    cr_assert_str_eq(repr_of(attr(C, "__bases__")), "(<class 'object'>,)");
    int64_t h;
    cr_assert(mn_hash(o, &h) == 0);
    cr_assert(mn_truthy(o) == 1);
}

Test(object, instance_attributes)
{
    Value C = make_class("Point", NULL, 0);
    Value o = mn_call0(C);
    assert_raises(attr(o, "x"), "AttributeError: 'Point' object has no attribute 'x'");
    assert_raises(attr(C, "x"), "AttributeError: type object 'Point' has no attribute 'x'");
    cr_assert(mn_getattr_opt(o, mn_intern("x")) == 0 && !mn_exc_occurred());
    cr_assert(mn_setattr(o, mn_intern("x"), mn_int(3)) == 0);
    cr_assert(attr(o, "x") == mn_int(3));
    cr_assert(mn_setattr(o, mn_intern("x"), 0) == 0);
    assert_raises(mn_setattr(o, mn_intern("x"), 0),
                  "AttributeError: 'Point' object has no attribute 'x'");
    assert_raises(mn_setattr(mn_int(1), mn_intern("x"), mn_int(1)),
                  "AttributeError: 'int' object has no attribute 'x'");
    assert_raises(mn_setattr(mn_list_new(0), mn_intern("append"), mn_int(1)),
                  "AttributeError: 'list' object attribute 'append' is read-only");
    assert_raises(mn_setattr(mn_val(&IntType), mn_intern("x"), mn_int(1)),
                  "TypeError: cannot set 'x' attribute of immutable type 'int'");
    /* class attributes are visible on instances, instance ones shadow */
    cr_assert(mn_setattr(C, mn_intern("k"), mn_int(1)) == 0);
    cr_assert(attr(o, "k") == mn_int(1));
    cr_assert(mn_setattr(o, mn_intern("k"), mn_int(2)) == 0);
    cr_assert(attr(o, "k") == mn_int(2) && attr(C, "k") == mn_int(1));
}

Test(object, dunder_dispatch)
{
    Value P = point_class();
    Value p = mn_call2(P, mn_int(1), mn_int(2));
    cr_assert_str_eq(repr_of(p), "Point(1, 2)");
    cr_assert_str_eq(str_of(p), "Point(1, 2)");
    assert_raises(mn_call1(P, mn_int(1)),
                  "TypeError: Point.__init__() takes 3 positional arguments but 2 were given");
    int64_t h;
    assert_raises(mn_hash(p, &h), "TypeError: unhashable type: 'Point'");
    cr_assert(attr(P, "__hash__") == mn_None);
    Value q = mn_call2(P, mn_int(1), mn_int(9));
    cr_assert(mn_eq(p, q) == 1);
    /* default __ne__ inverts __eq__ */
    cr_assert(mn_richcmp(p, q, CMP_NE) == mn_False);
    cr_assert(mn_richcmp(p, mn_int(1), CMP_EQ) == mn_False);
    assert_raises(mn_richcmp(p, q, CMP_LT),
                  "TypeError: '<' not supported between instances of 'Point' and 'Point'");
}

Test(object, slots_follow_later_assignment)
{
    Value P = point_class();
    Value p = mn_call2(P, mn_int(1), mn_int(2));
    assert_raises(mn_len(p), "TypeError: object of type 'Point' has no len()");
    Value tmp = mn_dict_new();
    def_method(tmp, "__len__", ret_zero);
    cr_assert(mn_setattr(P, mn_intern("__len__"), mn_dict_get_cstr(tmp, "__len__")) == 0);
    cr_assert(mn_len(p) == 0);
    cr_assert(mn_truthy(p) == 0);
    /* a subclass created before sees its base's new dunder too */
    Value Sub = make_class("Sub", AS(Type, P), 0);
    Value s = mn_call2(Sub, mn_int(1), mn_int(2));
    def_method(tmp, "__len__", ret_seven);
    cr_assert(mn_setattr(P, mn_intern("__len__"), mn_dict_get_cstr(tmp, "__len__")) == 0);
    cr_assert(mn_len(s) == 7);
    cr_assert(mn_setattr(P, mn_intern("__len__"), 0) == 0);
    assert_raises(mn_len(s), "TypeError: object of type 'Sub' has no len()");
    cr_assert(mn_truthy(p) == 1);
}

Test(object, getitem_only_is_iterable)
{
    Value ns = mn_dict_new();
    def_method(ns, "__getitem__", sq_getitem);
    Value S = make_class("Seq", NULL, ns);
    Value s = mn_call0(S);
    Value it = mn_iter(s);
    cr_assert(it);
    int n = 0;
    while (mn_next(it))
        n++;
    cr_assert(n == 3 && !mn_exc_occurred());
    cr_assert(mn_contains(s, mn_int(20)) == 1);
    cr_assert(mn_contains(s, mn_int(21)) == 0);
}

/* ---- lookup along the base chain ----------------------------------- */

Test(object, mro_and_super)
{
    Value P = point_class();
    Value ns = mn_dict_new();
    def_method(ns, "__init__", sub_init);
    Value B = make_class("B", AS(Type, P), ns);
    Value b = mn_call2(B, mn_int(3), mn_int(4));
    cr_assert_str_eq(repr_of(b), "Point(3, 4)");           /* inherited __repr__ */
    cr_assert(attr(b, "z") == mn_int(99));
    cr_assert_str_eq(repr_of(attr(B, "__mro__")),
                     "(<class '__main__.B'>, <class '__main__.Point'>, <class 'object'>)");
    cr_assert(mn_isinstance(b, P) == 1);
    cr_assert(mn_isinstance(mn_call2(P, mn_int(0), mn_int(0)), B) == 0);
    cr_assert(mn_isinstance(b, mn_tuple_pack(2, mn_val(&IntType), P)) == 1);
    cr_assert(mn_issubclass(B, P) == 1);
    cr_assert(mn_type_lookup(AS(Type, B), mn_intern("__add__"))
              == mn_type_lookup(AS(Type, P), mn_intern("__add__")));
    cr_assert(mn_type_lookup(AS(Type, B), mn_intern("nope")) == 0);
    assert_raises(mn_isinstance(b, mn_int(1)),
                  "TypeError: isinstance() arg 2 must be a type, a tuple of types, or a union");
    assert_raises(mn_issubclass(mn_int(1), P), "TypeError: issubclass() arg 1 must be a class");
    assert_raises(mn_super_new(mn_val(&IntType), mn_str("a")),
                  "TypeError: super(type, obj): obj must be an instance or subtype of type");
}

Test(object, builtin_slot_wrappers)
{
    cr_assert_str_eq(repr_of(attr(mn_val(&IntType), "__add__")),
                     "<slot wrapper '__add__' of 'int' objects>");
    Value oi = attr(mn_val(&ObjectType), "__init__");
    Value C = make_class("C", NULL, 0);
    Value o = mn_call0(C);
    cr_assert(mn_call1(oi, o) == mn_None);
    Value P = point_class();
    Value p = mn_call2(P, mn_int(1), mn_int(2));
    assert_raises(mn_call2(oi, p, mn_int(1)), "TypeError: object.__init__() takes exactly one "
                  "argument (the instance to initialize)");
    Value on = attr(mn_val(&ObjectType), "__new__");
    cr_assert(mn_typeof(mn_call1(on, C)) == AS(Type, C));
    assert_raises(mn_call1(on, mn_int(1)),
                  "TypeError: object.__new__(X): X is not a type object (int)");
    assert_raises(mn_call1(on, mn_val(&ListType)),
                  "TypeError: object.__new__(list) is not safe, use list.__new__()");
    Value osa = attr(mn_val(&ObjectType), "__setattr__");
    cr_assert(mn_call(osa, (Value[]){o, mn_str("w"), mn_int(5)}, 3, 0) == mn_None);
    cr_assert(attr(o, "w") == mn_int(5));
    /* list.append(l, x) unbound, and the no-allocation method lookup */
    Value l = mn_list_new(0), self;
    Value app = mn_lookup_method(l, mn_intern("append"), &self);
    cr_assert(app && self == l);
    cr_assert_str_eq(repr_of(app), "<method 'append' of 'list' objects>");
    cr_assert(mn_call2(app, l, mn_int(2)) == mn_None);
    cr_assert(mn_len(l) == 1);
    assert_raises(mn_call2(app, mn_int(1), mn_int(2)), "TypeError: descriptor 'append' for "
                  "'list' objects doesn't apply to a 'int' object");
    cr_assert(strncmp(repr_of(attr(l, "append")), "<built-in method append of list object at 0x",
                      44) == 0);
}

Test(object, builtin_subclasses)
{
    Value L = make_class("L", &ListType, 0);
    Value l = mn_call0(L);
    cr_assert(mn_list_append(l, mn_int(5)) == 0);
    cr_assert(mn_len(l) == 1);
    cr_assert(mn_setattr(l, mn_intern("tag"), mn_int(7)) == 0);
    cr_assert(attr(l, "tag") == mn_int(7));
    cr_assert_str_eq(repr_of(l), "[5]");
    Value S = make_class("S", &StrType, 0);
    Value s = mn_call1(S, mn_str("hey"));
    cr_assert(mn_setattr(s, mn_intern("tag"), mn_int(7)) == 0);
    cr_assert(attr(s, "tag") == mn_int(7));
    cr_assert_str_eq(repr_of(s), "'hey'");
    Value E = make_class("E", &ExceptionType, 0);
    cr_assert_str_eq(repr_of(mn_call1(E, mn_str("x"))), "E('x')");
    assert_raises(mn_class_new(mn_str("X"), &BoolType, mn_dict_new(), 0),
                  "TypeError: type 'bool' is not an acceptable base type");
}

Test(object, slots_and_property)
{
    Value ns = mn_dict_new();
    mn_dict_set_cstr(ns, "__slots__", mn_tuple_pack(2, mn_str("a"), mn_str("b")));
    Value SL = make_class("SL", NULL, ns);
    Value o = mn_call0(SL);
    assert_raises(attr(o, "a"), "AttributeError: 'SL' object has no attribute 'a'");
    cr_assert(mn_setattr(o, mn_intern("a"), mn_int(1)) == 0);
    cr_assert(attr(o, "a") == mn_int(1));
    assert_raises(mn_setattr(o, mn_intern("c"), mn_int(1)),
                  "AttributeError: 'SL' object has no attribute 'c'");

    Value g = mn_dict_new();
    def_method(g, "getter", ret_seven);
    Value prop = mn_call1(mn_val(&PropertyType), mn_dict_get_cstr(g, "getter"));
    Value cns = mn_dict_new();
    mn_dict_set_cstr(cns, "x", prop);
    Value C = make_class("C", NULL, cns);
    Value c = mn_call0(C);
    cr_assert(attr(c, "x") == mn_int(7));
    cr_assert(attr(C, "x") == prop);
    assert_raises(mn_setattr(c, mn_intern("x"), mn_int(1)),
                  "AttributeError: property 'x' of 'C' object has no setter");
    assert_raises(mn_setattr(c, mn_intern("x"), 0),
                  "AttributeError: property 'x' of 'C' object has no deleter");
}

/* ---- operators ----------------------------------------------------- */

Test(object, binop_dispatch)
{
    Value P = point_class();
    Value p = mn_call2(P, mn_int(1), mn_int(2));
    cr_assert_str_eq(mn_cstr(mn_binop(OP_ADD, p, mn_int(1))), "Point.__add__");
    cr_assert_str_eq(mn_cstr(mn_binop(OP_ADD, mn_int(7), p)), "Point.__radd__(7)");
    /* no __iadd__: += falls back to __add__ */
    cr_assert_str_eq(mn_cstr(mn_inplace(OP_ADD, p, mn_int(1))), "Point.__add__");
    /* a subclass overriding the reflected method goes first */
    Value ns = mn_dict_new();
    def_method(ns, "__radd__", ret_str_sub);
    Value Sub = make_class("Sub", AS(Type, P), ns);
    Value s = mn_call2(Sub, mn_int(0), mn_int(0));
    cr_assert_str_eq(mn_cstr(mn_binop(OP_ADD, p, s)), "Sub.__radd__");
    assert_raises(mn_binop(OP_SUB, mn_int(7), p),
                  "TypeError: unsupported operand type(s) for -: 'int' and 'Point'");
}

Test(object, operator_errors)
{
    Value C = make_class("N", NULL, 0);
    Value n = mn_call0(C);
    assert_raises(mn_binop(OP_ADD, n, mn_int(1)),
                  "TypeError: unsupported operand type(s) for +: 'N' and 'int'");
    assert_raises(mn_binop(OP_POW, n, mn_int(1)),
                  "TypeError: unsupported operand type(s) for ** or pow(): 'N' and 'int'");
    assert_raises(mn_inplace(OP_ADD, n, mn_int(1)),
                  "TypeError: unsupported operand type(s) for +=: 'N' and 'int'");
    assert_raises(mn_inplace(OP_POW, n, mn_int(1)),
                  "TypeError: unsupported operand type(s) for **=: 'N' and 'int'");
    assert_raises(mn_unop(UOP_NEG, n), "TypeError: bad operand type for unary -: 'N'");
    assert_raises(mn_unop(UOP_INVERT, mn_str("s")), "TypeError: bad operand type for unary ~: 'str'");
    assert_raises(mn_binop(OP_ADD, mn_int(1), mn_str("a")),
                  "TypeError: unsupported operand type(s) for +: 'int' and 'str'");
    assert_raises(mn_richcmp(mn_int(1), mn_str("a"), CMP_LT),
                  "TypeError: '<' not supported between instances of 'int' and 'str'");
    cr_assert(mn_richcmp(n, mn_call0(C), CMP_EQ) == mn_False);
    cr_assert(mn_richcmp(n, n, CMP_EQ) == mn_True);
    int64_t h;
    assert_raises(mn_hash(mn_list_new(0), &h), "TypeError: unhashable type: 'list'");
    assert_raises(mn_len(n), "TypeError: object of type 'N' has no len()");
    assert_raises(mn_iter(n), "TypeError: 'N' object is not iterable");
    assert_raises(mn_next(n), "TypeError: 'N' object is not an iterator");
    assert_raises(mn_getitem(n, mn_int(0)), "TypeError: 'N' object is not subscriptable");
    assert_raises(mn_getitem(mn_val(&IntType), mn_int(0)), "TypeError: type 'int' is not subscriptable");
    assert_raises(mn_setitem(mn_tuple_pack(1, mn_int(1)), mn_int(0), mn_int(1)),
                  "TypeError: 'tuple' object does not support item assignment");
    assert_raises(mn_setitem(mn_tuple_pack(1, mn_int(1)), mn_int(0), 0),
                  "TypeError: 'tuple' object doesn't support item deletion");
    assert_raises(mn_contains(mn_int(1), mn_int(0)), "TypeError: argument of type 'int' is not iterable");
    assert_raises(mn_call0(mn_None), "TypeError: 'NoneType' object is not callable");
    assert_raises(mn_format(n, mn_str("x")),
                  "TypeError: unsupported format string passed to N.__format__");
}

Test(object, bad_dunder_results)
{
    Value ns = mn_dict_new();
    def_method(ns, "__repr__", ret_int);
    def_method(ns, "__str__", ret_int);
    def_method(ns, "__bool__", ret_int);
    def_method(ns, "__hash__", ret_str_sub);
    def_method(ns, "__init__", ret_int);
    Value C = make_class("Bad", NULL, ns);
    assert_raises(mn_call0(C), "TypeError: __init__() should return None, not 'int'");
    Value o = mn_val(mn_alloc_obj(AS(Type, C), 0));
    assert_raises(mn_repr(o), "TypeError: __repr__ returned non-string (type int)");
    assert_raises(mn_to_str(o), "TypeError: __str__ returned non-string (type int)");
    assert_raises(mn_truthy(o), "TypeError: __bool__ should return bool, returned int");
    int64_t h;
    assert_raises(mn_hash(o, &h), "TypeError: __hash__ method should return an integer");
}

/* ---- exceptions ---------------------------------------------------- */

Test(object, exception_str_repr)
{
    Value ve = mn_val(&ValueErrorType);
    cr_assert_str_eq(repr_of(mn_call1(ve, mn_str("bad"))), "ValueError('bad')");
    cr_assert_str_eq(str_of(mn_call1(ve, mn_str("bad"))), "bad");
    cr_assert_str_eq(repr_of(mn_call0(ve)), "ValueError()");
    cr_assert_str_eq(str_of(mn_call0(ve)), "");
    cr_assert_str_eq(repr_of(mn_call2(ve, mn_int(1), mn_int(2))), "ValueError(1, 2)");
    cr_assert_str_eq(str_of(mn_call2(ve, mn_int(1), mn_int(2))), "(1, 2)");
    cr_assert_str_eq(str_of(mn_call1(mn_val(&KeyErrorType), mn_str("k"))), "'k'");
    cr_assert_str_eq(repr_of(mn_call1(mn_val(&KeyErrorType), mn_str("k"))), "KeyError('k')");
    assert_raises(mn_call(ve, NULL, 0, kwargs1("x", mn_int(1))),
                  "TypeError: ValueError() takes no keyword arguments");
    Value oe = mn_call(mn_val(&OSErrorType), (Value[]){mn_int(2),
                       mn_str("No such file or directory"), mn_str("x")}, 3, 0);
    cr_assert_str_eq(mn_type_name(oe), "FileNotFoundError");
    cr_assert_str_eq(str_of(oe), "[Errno 2] No such file or directory: 'x'");
    cr_assert_str_eq(repr_of(attr(oe, "args")), "(2, 'No such file or directory')");
    cr_assert(attr(oe, "errno") == mn_int(2));
    cr_assert_str_eq(str_of(mn_oserror_new(2, "y")), "[Errno 2] No such file or directory: 'y'");
    cr_assert(attr(mn_call1(mn_val(&StopIterationType), mn_int(5)), "value") == mn_int(5));
    cr_assert(attr(mn_call0(mn_val(&SystemExitType)), "code") == mn_None);
    Value se = mn_call2(mn_val(&SyntaxErrorType), mn_str("invalid syntax"),
                        mn_tuple_pack(4, mn_str("dir/f.py"), mn_int(1), mn_int(2), mn_str("x y\n")));
    cr_assert_str_eq(str_of(se), "invalid syntax (f.py, line 1)");
}

Test(object, exception_hierarchy_and_subclass)
{
    cr_assert(mn_is_subtype(&ZeroDivisionErrorType, &ArithmeticErrorType));
    cr_assert(mn_is_subtype(&KeyErrorType, &LookupErrorType));
    cr_assert(mn_is_subtype(&FileNotFoundErrorType, &OSErrorType));
    cr_assert(mn_is_subtype(&ModuleNotFoundErrorType, &ImportErrorType));
    cr_assert(!mn_is_subtype(&KeyboardInterruptType, &ExceptionType));
    cr_assert(mn_is_subtype(&RecursionErrorType, &RuntimeErrorType));
    Value ns = mn_dict_new();
    def_method(ns, "__init__", err_init);
    Value ME = make_class("MyError", &ExceptionType, ns);
    Value e = mn_call2(ME, mn_int(1), mn_int(2));
    cr_assert_str_eq(repr_of(e), "MyError(1)");
    cr_assert(attr(e, "code") == mn_int(2));
    cr_assert_str_eq(repr_of(attr(ME, "__mro__")), "(<class '__main__.MyError'>, "
                     "<class 'Exception'>, <class 'BaseException'>, <class 'object'>)");
    assert_raises(mn_raise_exc(mn_int(1)), "TypeError: exceptions must derive from BaseException");
    mn_raise_exc(mn_val(&ValueErrorType));
    cr_assert(mn_exc_matches(&ValueErrorType) && mn_exc_matches(&ExceptionType));
    cr_assert(!mn_exc_matches(&KeyErrorType));
    cr_assert_str_eq(exc_text(), "ValueError: ");
    mn_raise(&KeyErrorType, "%s-%d", "k", 1);
    cr_assert_str_eq(exc_text(), "KeyError: 'k-1'");
}

Test(object, print_exception)
{
    FILE *src = fopen("/tmp/mini_test_object_tb.mini", "w");
    cr_assert(src);
    fputs("def f():\n    raise ValueError('x')\nf()\n", src);
    fclose(src);
    Value tb = mn_list_new(0);
    cr_assert(mn_list_append(tb, mn_tuple_pack(3, mn_str("/tmp/mini_test_object_tb.mini"),
                                               mn_int(2), mn_str("f"))) == 0);
    cr_assert(mn_list_append(tb, mn_tuple_pack(3, mn_str("/tmp/mini_test_object_tb.mini"),
                                               mn_int(3), mn_str("<module>"))) == 0);
    Value ctx = mn_call1(mn_val(&KeyErrorType), mn_str("k"));
    Value e = mn_call1(mn_val(&ValueErrorType), mn_str("x"));
    AS(ExceptionObject, e)->traceback = tb;
    AS(ExceptionObject, e)->context = ctx;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mn_print_exception(e, f);
    fclose(f);
    cr_assert_str_eq(buf,
        "KeyError: 'k'\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "Traceback (most recent call last):\n"
        "  File \"/tmp/mini_test_object_tb.mini\", line 3, in <module>\n"
        "    f()\n"
        "  File \"/tmp/mini_test_object_tb.mini\", line 2, in f\n"
        "    raise ValueError('x')\n"
        "ValueError: x\n");
    free(buf);
    mn_linecache_add("<string>", "a\n  b  \nc", 9);
    cr_assert_str_eq(mn_linecache_get("<string>", 2), "  b  ");
    cr_assert(mn_linecache_get("<string>", 4) == NULL);
}

/* ---- argument parsing ---------------------------------------------- */

Test(object, argparse)
{
    Value out[4];
    assert_raises(mn_argparse("round", (Value[]){1, 1, 1}, 3, 0, "number|ndigits", out),
                  "TypeError: round() takes at most 2 arguments (3 given)");
    assert_raises(mn_argparse("round", NULL, 0, 0, "number|ndigits", out),
                  "TypeError: round() missing required argument 'number' (pos 1)");
    assert_raises(mn_argparse("print", NULL, 0, kwargs1("x", mn_int(1)), "|sep,end,file,flush",
                              out), "TypeError: 'x' is an invalid keyword argument for print()");
    assert_raises(mn_argparse("sort", (Value[]){mn_int(1)}, 1, 0, "$key,reverse", out),
                  "TypeError: sort() takes no positional arguments");
    assert_raises(mn_argparse("round", (Value[]){mn_int(3)}, 1, kwargs1("number", mn_int(1)),
                              "number|ndigits", out),
                  "TypeError: argument for round() given by name ('number') and position (1)");
    assert_raises(mn_argparse("to_bytes", (Value[]){1, 1, 1}, 3, 0, "|length,byteorder,$signed",
                              out),
                  "TypeError: to_bytes() takes at most 2 positional arguments (3 given)");
    cr_assert(mn_argparse("round", (Value[]){mn_int(3)}, 1, kwargs1("ndigits", mn_int(2)),
                          "number|ndigits", out) == 0);
    cr_assert(out[0] == mn_int(3) && out[1] == mn_int(2));
    cr_assert(mn_argparse("round", (Value[]){mn_int(3)}, 1, 0, "number|ndigits", out) == 0);
    cr_assert(out[1] == 0);
    assert_raises(mn_argcheck("len", 2, 0, 1, 1), "TypeError: len() takes exactly one argument (2 given)");
    assert_raises(mn_argcheck("getattr", 1, 0, 2, 3),
                  "TypeError: getattr expected at least 2 arguments, got 1");
    assert_raises(mn_argcheck("hasattr", 1, 0, 2, 2), "TypeError: hasattr expected 2 arguments, got 1");
    assert_raises(mn_argcheck("get", 3, 0, 1, 2), "TypeError: get expected at most 2 arguments, got 3");
    assert_raises(mn_argcheck("f", 0, kwargs1("x", mn_int(1)), 0, 2),
                  "TypeError: f() takes no keyword arguments");
    cr_assert(mn_argcheck("f", 1, mn_dict_new(), 0, 2) == 0);
}

/* ---- misc ---------------------------------------------------------- */

Test(object, singletons_and_modules)
{
    cr_assert_str_eq(repr_of(mn_None), "None");
    cr_assert_str_eq(repr_of(mn_NotImplemented), "NotImplemented");
    cr_assert_str_eq(repr_of(mn_Ellipsis), "Ellipsis");
    cr_assert_str_eq(repr_of(mn_val(&NoneType)), "<class 'NoneType'>");
    cr_assert(mn_truthy(mn_None) == 0);
    Value m = mn_module_new(mn_str("foo"));
    cr_assert_str_eq(repr_of(m), "<module 'foo'>");
    assert_raises(attr(m, "x"), "AttributeError: module 'foo' has no attribute 'x'");
    mn_module_add(m, "x", mn_int(1));
    cr_assert(attr(m, "x") == mn_int(1));
    mn_dict_set_cstr(AS(ModuleObject, m)->dict, "__file__", mn_str("/p/foo.mini"));
    cr_assert_str_eq(repr_of(m), "<module 'foo' from '/p/foo.mini'>");
    cr_assert_str_eq(repr_of(mn_getitem(mn_val(&ListType), mn_val(&IntType))), "list[int]");
    Value u = mn_binop(OP_OR, mn_val(&IntType), mn_None);
    cr_assert_str_eq(repr_of(u), "int | None");
    cr_assert(mn_isinstance(mn_None, u) == 1);
}
