/*
 * object.h -- the object model every part of mini is written against.
 *
 * Conventions (read these first):
 *
 *  - Errors.  A function returning Value returns MN_ERR (0) on failure
 *    after setting the current thread's exception (mn_raise...).  A
 *    function returning int returns -1 on failure in the same way; where an
 *    int result is a truth value it is 1/0/-1.  Results marked MN_CHECK
 *    must not be ignored.
 *  - Iteration end.  A `next` slot / mn_next() returns MN_ERR *without*
 *    an exception set when the iterator is exhausted (StopIteration raised
 *    by user __next__ is caught and turned into that).  Use
 *    mn_exc_occurred() to tell the two apart.
 *  - Calls.  Every callable, native or not, is called as
 *        f(args, nargs, kwargs)
 *    with positional arguments in args[0..nargs-1] and kwargs either 0 or
 *    a dict Value mapping str -> value.  Native methods receive `self` as
 *    args[0].  mn_argparse() unpacks these.
 *  - Names are str Values; attribute and global names are always interned
 *    (mn_intern), so dict lookups on them hit the pointer-equality fast
 *    path.  Well-known names live in mn_id (MN_ID(__init__)).
 *  - Memory.  Everything is allocated with gc_alloc*; nothing is freed.
 *  - Threads.  Objects are shared between threads.  With the GIL on, only
 *    the thread holding it touches objects.  With the GIL off (free-threaded
 *    mode) containers protect themselves; see docs/free-threading.md.
 *    Never cache "the current frame" or "the current exception" in a
 *    global: they live in the ThreadState (vm/tstate.h).
 */
#ifndef MN_OBJECT_H
#define MN_OBJECT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <gmp.h>

#include "gc.h"
#include "value.h"

#define MN_CHECK __attribute__((warn_unused_result))

typedef struct Type Type;

/* Every heap object starts with this header.  The type pointer is written
 * once, when the object is created, and never changes. */
typedef struct Object {
    Type *type;
} Object;

/* ------------------------------------------------------------------ */
/* Slot signatures                                                     */
/* ------------------------------------------------------------------ */

typedef Value (*CFunc)(Value *args, int nargs, Value kwargs);

/* Binary operators: one slot receives every binary operator, told which
 * by `op`.  It returns mn_NotImplemented when it does not support the
 * operand types; mn_binop() then tries the reflected operation on the
 * right operand's type, exactly as CPython does (including trying the
 * right operand first when its type is a subclass of the left's). */
typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_TRUEDIV, OP_FLOORDIV, OP_MOD, OP_POW,
    OP_LSHIFT, OP_RSHIFT, OP_AND, OP_OR, OP_XOR,
    OP__NBINARY
} BinOp;
/* In-place variants (`+=`) share the enum: mn_inplace(op, a, b) tries
 * __iadd__ and friends first and falls back to mn_binop(op, a, b). */

typedef enum { UOP_NEG, UOP_POS, UOP_INVERT } UnOp;

/* Rich comparison operators, CPython's order. */
typedef enum { CMP_LT, CMP_LE, CMP_EQ, CMP_NE, CMP_GT, CMP_GE } CmpOp;

typedef struct MethodDef {
    const char *name;
    CFunc fn;
    int flags;          /* METH_STATIC, METH_CLASS, or 0 (bound to self) */
    const char *doc;    /* may be NULL */
} MethodDef;
#define METH_STATIC 1   /* no self: args are exactly what the caller passed */
#define METH_CLASS  2   /* args[0] is the type the method was looked up on */

/* A C-level attribute of a builtin type: get(self) / set(self, v) (v == 0
 * means delete; set may be NULL for read-only). */
typedef struct GetSetDef {
    const char *name;
    Value (*get)(Value self);
    int (*set)(Value self, Value v);
} GetSetDef;

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

/*
 * A Type is itself an object (its header's type is &TypeType).  Builtin
 * types are static structs initialised with designated initialisers and
 * made ready by mn_type_ready(), which fills `dict` from `methods` and
 * `getset` and inherits NULL slots from `base`.  User classes are
 * allocated at run time by mn_class_new(); their slots point at generic
 * functions that look the special method up in the class (so assigning
 * Cls.__add__ later works).
 *
 * Single inheritance only: `base` is the one base class (NULL only for
 * `object`).  mro is implied: self, base, base->base, ..., object.
 */
struct Type {
    Object hdr;
    const char *name;           /* "int", "ValueError", "Point" */
    Type *base;
    Value dict;                 /* class namespace: a dict Value */
    Value module;               /* str: defining module name, or 0 (builtins) */
    uint32_t flags;             /* TF_* below */
    size_t basicsize;           /* bytes of an instance */
    size_t dictoffset;          /* offset of the instance's `Value dict`, 0 = none */

    MethodDef *methods;         /* NULL-name terminated; builtin types */
    GetSetDef *getset;          /* NULL-name terminated; builtin types */

    /* Construction: calling the type object.  `new` allocates and returns
     * the object; then, if the result is an instance of the type, `init`
     * runs (if set).  For user classes these dispatch to __new__/__init__. */
    Value (*new)(Type *t, Value *args, int nargs, Value kwargs);
    int (*init)(Value self, Value *args, int nargs, Value kwargs);

    Value (*repr)(Value self);                      /* -> str */
    Value (*str)(Value self);                       /* -> str; NULL: repr */
    int (*hash)(Value self, int64_t *out);          /* NULL: unhashable */
    Value (*richcmp)(Value a, Value b, CmpOp op);    /* or mn_NotImplemented */
    int (*truthy)(Value self);                      /* NULL: len, else true */
    Value (*call)(Value self, Value *args, int nargs, Value kwargs);

    /* Attribute access.  NULL means the generic algorithm
     * (mn_generic_getattr / mn_generic_setattr): data descriptors in the
     * type, then the instance dict, then the type (binding functions). */
    Value (*getattr)(Value self, Value name);
    int (*setattr)(Value self, Value name, Value v);    /* v == 0: del */

    Value (*iter)(Value self);
    Value (*next)(Value self);                      /* see "Iteration end" */
    int64_t (*len)(Value self);                     /* -1 on error */
    Value (*getitem)(Value self, Value key);
    int (*setitem)(Value self, Value key, Value v); /* v == 0: del */
    int (*contains)(Value self, Value x);           /* NULL: iterate */

    Value (*binop)(BinOp op, Value a, Value b);     /* see BinOp */
    Value (*inplace)(BinOp op, Value a, Value b);   /* NULL: use binop */
    Value (*unop)(UnOp op, Value a);
    /* __enter__/__exit__, __get__ and everything else are looked up by
     * name in the class dict; only the hot protocols have slots. */

    /* Descriptor protocol (for function, classmethod, staticmethod,
     * property, method descriptors): bind to an instance.  `obj` is 0
     * when looked up on the class itself. */
    Value (*descr_get)(Value descr, Value obj, Type *owner);
    int (*descr_set)(Value descr, Value obj, Value v);  /* data descriptor */
};

#define TF_BASETYPE  0x01   /* may be subclassed */
#define TF_HEAPTYPE  0x02   /* a user class, created at run time */
#define TF_READY     0x04   /* mn_type_ready has run */
#define TF_EXCEPTION 0x08   /* BaseException or a subclass */
#define TF_INT_SUB   0x10   /* int or a subclass (bool) */
#define TF_STR_SUB   0x20
#define TF_TUPLE_SUB 0x40
#define TF_LIST_SUB  0x80
#define TF_DICT_SUB  0x100
#define TF_TYPE_SUB  0x200

int mn_type_ready(Type *t) MN_CHECK;
/* Create a user class: name, single base (NULL = object), namespace dict. */
Value mn_class_new(Value name, Type *base, Value ns, Value module);
bool mn_is_subtype(const Type *t, const Type *base);
/* Look `name` up along the type's base chain (class dicts only); 0 if absent,
 * no exception set. */
Value mn_type_lookup(Type *t, Value name);

extern Type TypeType, ObjectType, NoneType, NotImplementedType, BoolType,
    IntType, FloatType, StrType, BytesType, TupleType, ListType, DictType,
    SetType, FrozenSetType, RangeType, SliceType, FunctionType,
    NativeFunctionType, MethodType, MethodDescrType, ClassMethodType,
    StaticMethodType, PropertyType, SuperType, ModuleType, CodeType,
    CellType, SeqIterType, EllipsisType;

static inline Type *mn_typeof(Value v)
{
    return mn_is_int(v) ? &IntType : mn_obj(v)->type;
}
static inline bool mn_isinstance_t(Value v, const Type *t)
{
    Type *vt = mn_typeof(v);
    return vt == t || mn_is_subtype(vt, t);
}
#define MN_IS_EXACT(v, T) (mn_is_obj(v) && mn_obj(v)->type == &(T))

/* Allocate a zeroed object of type t (t->basicsize bytes when size == 0). */
void *mn_alloc_obj(Type *t, size_t size);
/* The same for objects that hold no Values after the header (not scanned). */
void *mn_alloc_obj_atomic(Type *t, size_t size);

/* ------------------------------------------------------------------ */
/* Singletons                                                          */
/* ------------------------------------------------------------------ */

extern Object mn_None_obj, mn_NotImplemented_obj, mn_Ellipsis_obj;
typedef struct { Object hdr; } BoolObject;   /* value is which singleton */
extern BoolObject mn_True_obj, mn_False_obj;
#define mn_None           mn_val(&mn_None_obj)
#define mn_NotImplemented mn_val(&mn_NotImplemented_obj)
#define mn_Ellipsis       mn_val(&mn_Ellipsis_obj)
#define mn_True           mn_val(&mn_True_obj)
#define mn_False          mn_val(&mn_False_obj)
static inline Value mn_bool(bool b) { return b ? mn_True : mn_False; }

/* ------------------------------------------------------------------ */
/* Numbers (runtime/int.c, runtime/float.c)                            */
/* ------------------------------------------------------------------ */

/* A big int: used only when the value does not fit a small int; every
 * operation normalises its result back to a small int when it fits. */
typedef struct { Object hdr; mpz_t z; } BigIntObject;
typedef struct { Object hdr; double v; } FloatObject;

Value mn_int_from_i64(int64_t i);
Value mn_int_from_mpz(const mpz_t z);          /* copies; normalises */
Value mn_int_from_str(const char *s, size_t len, int base); /* int('..', b); ValueError */
/* True if v is an int (small, big, or bool). */
static inline bool mn_is_intlike(Value v)
{
    return mn_is_int(v) || (mn_obj(v)->type->flags & TF_INT_SUB);
}
/* Convert an int-like value to int64; OverflowError if too big,
 * TypeError if not an int. */
int mn_as_i64(Value v, int64_t *out) MN_CHECK;
/* Index conversion for subscripts (accepts ints, bools, __index__). */
int mn_as_index(Value v, int64_t *out) MN_CHECK;
/* Fill an initialised mpz from an int-like value. */
void mn_int_to_mpz(Value v, mpz_t out);
Value mn_float(double d);
/* float(x) semantics for ints/floats/bools: TypeError otherwise. */
int mn_as_double(Value v, double *out) MN_CHECK;
/* repr(float): shortest string that round-trips, CPython's formatting. */
Value mn_float_repr(double d);
/* format(v, spec) for ints and floats (format-spec mini-language). */
Value mn_int_format(Value v, Value spec);
Value mn_float_format(Value v, Value spec);

/* ------------------------------------------------------------------ */
/* Strings and bytes (runtime/str.c, runtime/bytes.c)                  */
/* ------------------------------------------------------------------ */

/* Immutable UTF-8 text.  `len` counts bytes, `nchars` code points; when
 * they are equal the string is ASCII and indexing is O(1).  data is NUL
 * terminated.  hash is computed lazily (0 = not yet; a real hash of 0 is
 * stored as 1).  Interned strings are unique per content, so two interned
 * strings are equal iff their pointers are. */
typedef struct {
    Object hdr;
    int64_t len;
    int64_t nchars;
    uint64_t hash;
    uint8_t interned;
    char data[];
} StrObject;

Value mn_str_new(const char *s, size_t len);   /* copies; must be valid UTF-8 */
Value mn_str(const char *cstr);                /* NUL-terminated C string */
Value mn_str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
Value mn_intern(const char *cstr);             /* thread-safe */
Value mn_intern_value(Value s);                /* intern an existing str */
static inline const char *mn_cstr(Value s) { return AS(StrObject, s)->data; }
static inline int64_t mn_str_len(Value s) { return AS(StrObject, s)->len; }
bool mn_str_eq(Value a, Value b);               /* both str */
uint64_t mn_str_hash(Value s);
Value mn_str_concat(Value a, Value b);
/* str.format-spec for str values; and str % args. */
Value mn_str_format_spec(Value s, Value spec);
Value mn_str_mod(Value fmt, Value args);
Value mn_str_join(Value sep, Value iterable);
/* repr of a str with CPython's quote choice and escapes. */
Value mn_str_repr(Value s);

/* Growable UTF-8 buffer for building strings (not an object). */
typedef struct { char *buf; size_t len, cap; } StrBuf;
void sb_init(StrBuf *b);
void sb_add(StrBuf *b, const char *s, size_t n);
void sb_adds(StrBuf *b, const char *s);
void sb_addc(StrBuf *b, char c);
void sb_addf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sb_add_value_str(StrBuf *b, Value v) MN_CHECK;   /* str(v) */
int sb_add_value_repr(StrBuf *b, Value v) MN_CHECK;  /* repr(v) */
Value sb_finish(StrBuf *b);                          /* -> str Value */

typedef struct {
    Object hdr;
    int64_t len;
    uint64_t hash;
    uint8_t data[];     /* NUL after the end for convenience */
} BytesObject;
Value mn_bytes_new(const void *p, size_t len);

/* ------------------------------------------------------------------ */
/* Containers (runtime/tuple.c list.c dict.c set.c range.c)            */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    int64_t len;
    uint64_t hash;      /* cached, 0 = not yet */
    Value items[];
} TupleObject;
Value mn_tuple_new(int64_t n);                  /* items zeroed: fill them all */
Value mn_tuple_from(const Value *items, int64_t n);
Value mn_tuple_pack(int n, ...);
static inline int64_t mn_tuple_len(Value t) { return AS(TupleObject, t)->len; }
static inline Value *mn_tuple_items(Value t) { return AS(TupleObject, t)->items; }
extern Value mn_empty_tuple;

/*
 * Lists.  `items` points at a separately allocated array of `cap` slots of
 * which the first `len` are live.  Growing allocates a new array, copies,
 * and publishes the new pointer; the old array stays valid until the
 * collector finds no reader holds it.  A reader that may race with a
 * writer (GIL off) must load `items` and `len` once and bound-check its
 * index against the capacity of the array it loaded, never re-load.
 */
typedef struct {
    Object hdr;
    Value *items;
    int64_t len;
    int64_t cap;
} ListObject;
Value mn_list_new(int64_t len);                 /* len slots set to None */
Value mn_list_from(const Value *items, int64_t n);
int mn_list_append(Value list, Value v) MN_CHECK;
Value mn_list_to_tuple(Value list);
Value mn_list_sort(Value list, Value key, bool reverse);  /* -> None/MN_ERR */
/* list(iterable) */
Value mn_sequence_to_list(Value iterable);

/*
 * Dicts keep insertion order: an entries array (hash, key, value) in
 * insertion order plus an open-addressed index table of entry positions.
 * Deleted entries leave a hole (key 0) that compaction removes on resize.
 */
typedef struct { uint64_t hash; Value key; Value value; } DictEntry;
typedef struct DictObject DictObject;   /* layout private to dict.c */
Value mn_dict_new(void);
Value mn_dict_get(Value d, Value key);          /* 0 if absent (no exc) or MN_ERR with exc */
int mn_dict_set(Value d, Value key, Value v) MN_CHECK;
int mn_dict_del(Value d, Value key) MN_CHECK;   /* KeyError if absent */
/* Fast paths for str keys (the key must be a str; no user __eq__ runs so
 * these never fail). */
Value mn_dict_get_str(Value d, Value key);      /* 0 if absent */
void mn_dict_set_str(Value d, Value key, Value v);
Value mn_dict_get_cstr(Value d, const char *key);
void mn_dict_set_cstr(Value d, const char *key, Value v);
int64_t mn_dict_len(Value d);
/* Iterate: int64_t pos = 0; Value k, v; while (mn_dict_next(d, &pos, &k, &v)) ... */
bool mn_dict_next(Value d, int64_t *pos, Value *key, Value *value);
Value mn_dict_copy(Value d);
int mn_dict_update(Value d, Value other) MN_CHECK;  /* dict or iterable of pairs */

Value mn_set_new(Type *t);                      /* &SetType or &FrozenSetType */
int mn_set_add(Value s, Value v) MN_CHECK;
int mn_set_contains(Value s, Value v);          /* 1/0/-1 */
int64_t mn_set_len(Value s);
bool mn_set_next(Value s, int64_t *pos, Value *key);

typedef struct { Object hdr; int64_t start, stop, step, len; } RangeObject;
typedef struct { Object hdr; Value start, stop, step; } SliceObject;
Value mn_slice_new(Value start, Value stop, Value step);
/* Resolve a slice against a length: Python's slice.indices(). */
int mn_slice_indices(Value slice, int64_t len, int64_t *start, int64_t *stop,
                     int64_t *step, int64_t *slicelen) MN_CHECK;

/* A generic iterator over anything with __getitem__ / a C sequence. */
Value mn_seqiter_new(Value seq);

/* ------------------------------------------------------------------ */
/* Functions, methods, modules (runtime/function.c, module.c)          */
/* ------------------------------------------------------------------ */

/* A builtin function or a builtin method bound to `self` (self == 0:
 * unbound/free function).  The call passes self as args[0] if set. */
typedef struct {
    Object hdr;
    const char *name;
    CFunc fn;
    Value self;
    Value module;       /* str or 0 */
} NativeFunctionObject;
Value mn_native_new(const char *name, CFunc fn, Value self);

/* A method descriptor: a MethodDef living in a builtin type's dict. */
typedef struct { Object hdr; MethodDef *def; Type *owner; } MethodDescrObject;

/* A bound method: calling it prepends self. */
typedef struct { Object hdr; Value func; Value self; } MethodObject;
Value mn_method_new(Value func, Value self);

typedef struct { Object hdr; Value name; Value dict; } ModuleObject;
Value mn_module_new(Value name);                /* dict gets __name__ */
/* Native modules: registered at startup, built on first import. */
typedef Value (*ModuleInit)(void);              /* -> module Value or MN_ERR */
void mn_register_native_module(const char *name, ModuleInit init);
/* Helpers for native module init functions. */
void mn_module_add_methods(Value module, const MethodDef *defs);
void mn_module_add(Value module, const char *name, Value v);

/* ------------------------------------------------------------------ */
/* Generic operations (runtime/abstract.c)                             */
/* ------------------------------------------------------------------ */

Value mn_repr(Value v);
Value mn_to_str(Value v);                       /* str(v) */
int mn_hash(Value v, int64_t *out) MN_CHECK;
int mn_truthy(Value v);                         /* 1/0/-1 */
Value mn_richcmp(Value a, Value b, CmpOp op);
int mn_richcmp_bool(Value a, Value b, CmpOp op);/* 1/0/-1 */
int mn_eq(Value a, Value b);                    /* identity fast path; 1/0/-1 */
Value mn_binop(BinOp op, Value a, Value b);
Value mn_inplace(BinOp op, Value a, Value b);
Value mn_unop(UnOp op, Value a);
Value mn_getattr(Value obj, Value name);        /* AttributeError */
Value mn_getattr_s(Value obj, const char *name);
Value mn_getattr_opt(Value obj, Value name);    /* 0 if missing (no exc), MN_ERR on other errors */
int mn_setattr(Value obj, Value name, Value v) MN_CHECK;  /* v == 0: delattr */
Value mn_generic_getattr(Value obj, Value name);
int mn_generic_setattr(Value obj, Value name, Value v);
/* Method lookup without allocating a bound method: returns the callable
 * and sets *self_out to the object to prepend (or 0 if the callable is
 * already bound / not a method). */
Value mn_lookup_method(Value obj, Value name, Value *self_out);
Value mn_call(Value f, Value *args, int nargs, Value kwargs);
Value mn_call0(Value f);
Value mn_call1(Value f, Value a);
Value mn_call2(Value f, Value a, Value b);
Value mn_call_method(Value obj, const char *name, Value *args, int nargs);
Value mn_iter(Value v);
Value mn_next(Value it);                        /* see "Iteration end" */
int64_t mn_len(Value v);
Value mn_getitem(Value obj, Value key);
int mn_setitem(Value obj, Value key, Value v) MN_CHECK;  /* v == 0: del */
int mn_contains(Value container, Value x);      /* 1/0/-1 */
int mn_isinstance(Value v, Value cls) MN_CHECK; /* cls: type or tuple */
const char *mn_type_name(Value v);
/* format(v, spec) -> str, via __format__. */
Value mn_format(Value v, Value spec);

/* Argument parsing for native functions.
 *   spec: comma-separated parameter names; a '|' before the first optional
 *   one, a '$' before the first keyword-only one, e.g. "x|base" or
 *   "*|sep,end,file,flush" is NOT supported (collect *args yourself).
 *   out[i] receives each parameter, 0 where an optional one is missing.
 * Raises TypeError with CPython's wording on a bad call. */
int mn_argparse(const char *fname, Value *args, int nargs, Value kwargs,
                const char *spec, Value *out) MN_CHECK;
/* TypeError unless nargs is in [min, max] and kwargs is empty. */
int mn_argcheck(const char *fname, int nargs, Value kwargs, int min, int max) MN_CHECK;

/* ------------------------------------------------------------------ */
/* Exceptions (runtime/exception.c)                                    */
/* ------------------------------------------------------------------ */

/* Instances of BaseException and subclasses. `dict` holds user attributes
 * (exception classes defined in mini add their own). */
typedef struct {
    Object hdr;
    Value dict;
    Value args;         /* tuple */
    Value traceback;    /* list of (filename, lineno, funcname) tuples,
                           appended while unwinding, so innermost FIRST
                           (printed in reverse); 0 until first unwound */
    Value cause;        /* __cause__ or 0 */
    Value context;      /* __context__ or 0 */
    bool suppress_context;
} ExceptionObject;

extern Type BaseExceptionType, ExceptionType, ArithmeticErrorType,
    ZeroDivisionErrorType, OverflowErrorType, AssertionErrorType,
    AttributeErrorType, LookupErrorType, IndexErrorType, KeyErrorType,
    NameErrorType, UnboundLocalErrorType, RuntimeErrorType,
    RecursionErrorType, NotImplementedErrorType, StopIterationType,
    TypeErrorType, ValueErrorType, UnicodeErrorType, OSErrorType,
    FileNotFoundErrorType, TimeoutErrorType, KeyboardInterruptType,
    SystemExitType, MemoryErrorType, SyntaxErrorType, ImportErrorType,
    ModuleNotFoundErrorType, EOFErrorType;

/* Raise: set the current thread's exception and return MN_ERR. */
Value mn_raise(Type *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
Value mn_raise_value(Type *t, Value arg);       /* t(arg) */
Value mn_raise_exc(Value exc);                  /* an exception instance or class */
int mn_raise_int(Type *t, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* returns -1 */
Value mn_exc_new(Type *t, Value args_tuple);
bool mn_exc_occurred(void);
Value mn_exc_current(void);                     /* the pending exception or 0 */
bool mn_exc_matches(Type *t);                   /* pending exception is a t */
Value mn_exc_fetch(void);                       /* take it and clear */
void mn_exc_clear(void);
/* Source text for tracebacks: files are read on demand; sources that are
 * not files (-c, stdin, the REPL) are registered under their pseudo name. */
void mn_linecache_add(const char *filename, const char *src, size_t len);
/* Line `lineno` (1-based) of `filename` without its newline, or NULL. */
const char *mn_linecache_get(const char *filename, int lineno);
/* Print `Traceback (most recent call last):` ... `ValueError: msg` in
 * CPython's format (with chained causes/contexts) to f. */
void mn_print_exception(Value exc, FILE *f);

/* ------------------------------------------------------------------ */
/* Well-known interned names                                           */
/* ------------------------------------------------------------------ */

#define MN_IDS(X) \
    X(__init__) X(__new__) X(__repr__) X(__str__) X(__hash__) X(__eq__) \
    X(__ne__) X(__lt__) X(__le__) X(__gt__) X(__ge__) X(__len__) \
    X(__bool__) X(__getitem__) X(__setitem__) X(__delitem__) \
    X(__contains__) X(__iter__) X(__next__) X(__call__) X(__enter__) \
    X(__exit__) X(__getattr__) X(__setattr__) X(__delattr__) X(__get__) \
    X(__set__) X(__add__) X(__radd__) X(__iadd__) X(__sub__) X(__rsub__) \
    X(__isub__) X(__mul__) X(__rmul__) X(__imul__) X(__truediv__) \
    X(__rtruediv__) X(__itruediv__) X(__floordiv__) X(__rfloordiv__) \
    X(__ifloordiv__) X(__mod__) X(__rmod__) X(__imod__) X(__pow__) \
    X(__rpow__) X(__ipow__) X(__lshift__) X(__rlshift__) X(__ilshift__) \
    X(__rshift__) X(__rrshift__) X(__irshift__) X(__and__) X(__rand__) \
    X(__iand__) X(__or__) X(__ror__) X(__ior__) X(__xor__) X(__rxor__) \
    X(__ixor__) X(__neg__) X(__pos__) X(__invert__) X(__index__) \
    X(__int__) X(__float__) X(__format__) X(__name__) X(__qualname__) \
    X(__module__) X(__class__) X(__dict__) X(__doc__) X(__main__) \
    X(__builtins__) X(__file__) X(__abs__) X(__reversed__) X(__slots__) \
    X(__init_subclass__) X(__set_name__) X(__missing__) X(__round__) \
    X(__cause__) X(__context__) X(__traceback__) X(args) X(self) \
    X(__bases__) X(__base__) X(__mro__) \
    X(__annotations__) X(__all__) X(__path__) X(__package__)

struct MnIds {
#define MN_ID_FIELD(n) Value n;
    MN_IDS(MN_ID_FIELD)
#undef MN_ID_FIELD
};
extern struct MnIds mn_id;
#define MN_ID(n) (mn_id.n)

/* ------------------------------------------------------------------ */
/* Runtime start-up (runtime/init.c)                                   */
/* ------------------------------------------------------------------ */

/* Initialise every builtin type, the interned-name table, the builtins
 * module and the native module registry.  Called once from main after
 * gc_init and before the first thread state is made. */
int mn_runtime_init(void) MN_CHECK;
/* Each runtime/stdlib file with static types or tables exposes a hook
 * `void mn_init_<file>(void)` that mn_runtime_init (runtime/init.c) calls
 * in dependency order: str (interning) and dict first, then the names in
 * mn_id, then every type via mn_type_ready, then builtins and the native
 * module registry.  The list of hooks is in runtime/init.c. */

#endif
