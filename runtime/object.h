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

    /* Bookkeeping owned by runtime/type.c: leave these zero in static
     * initialisers. */
    Value qualname;             /* heap types: __qualname__ (0: use name) */
    Value subclasses;           /* list of heap subclasses (slot updates) */
    uint32_t version;           /* attribute-cache tag; 0 = none yet */
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
/* Instances have a variable-size tail (str, bytes, tuple).  A user
 * subclass of such a type keeps its instance dict in a word allocated in
 * FRONT of the object (dictoffset is then (size_t)-8), so the base's own
 * `new` may size the object as it likes.  Set by runtime/init.c. */
#define TF_VARSIZE   0x400

/*
 * Rules for builtin (static) types, enforced by mn_type_ready:
 *  - Each slot a type defines itself gets a "slot wrapper" in its dict
 *    under the dunder name (__len__, __add__/__radd__, __init__, ...), so
 *    list.__len__(x), super().__init__() and user subclasses see it.  A
 *    MethodDef of the same name wins over the wrapper.
 *  - NULL slots are inherited from `base` one by one, except that `hash`
 *    and `richcmp` are inherited only together: a type that defines
 *    richcmp but no hash is unhashable (its __hash__ is None).
 *  - A type whose base is object and whose `new` is NULL cannot be
 *    instantiated from mini ("cannot create 'X' instances").
 *  - basicsize/dictoffset/TF_*_SUB/TF_EXCEPTION are inherited when 0.
 *  - Instances of a user subclass of a builtin are made by the builtin's
 *    `new` with the SUBTYPE as `t`: always allocate with mn_alloc_obj(t,
 *    ...) (never a hard-coded type), and accept subtypes in methods.
 *    mn_alloc_obj adds room for the subclass's instance dict itself.
 * Modify a type's dict after start-up only with mn_setattr (or call
 * mn_type_modified), or the attribute cache goes stale.
 */
void mn_type_modified(Type *t);

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

/* ---- Numbers: additions (runtime/int.c float.c format.c) ---- */

/* Small-int fast paths for the eval loop.  They work on the tagged words
 * directly ((2a+1) + 2b = 2(a+b)+1, ...), so the overflow check of the
 * machine add is exactly "the result left the small range".  They return
 * false on overflow; then call mn_int_binop, which promotes to a big int.
 * Both operands must be small ints (mn_is_int). */
static inline bool mn_small_add(Value a, Value b, Value *r)
{
    intptr_t t;
    if (__builtin_add_overflow((intptr_t)a, (intptr_t)(b - 1), &t))
        return false;
    *r = (Value)t;
    return true;
}
static inline bool mn_small_sub(Value a, Value b, Value *r)
{
    intptr_t t;
    if (__builtin_sub_overflow((intptr_t)a, (intptr_t)(b - 1), &t))
        return false;
    *r = (Value)t;
    return true;
}
static inline bool mn_small_mul(Value a, Value b, Value *r)
{
    intptr_t t;
    if (__builtin_mul_overflow(mn_int_val(a), (intptr_t)(b - 1), &t))
        return false;
    *r = (Value)t | 1;
    return true;
}
/* Small-int comparison: the tagged words order like the values. */
static inline bool mn_small_lt(Value a, Value b) { return (intptr_t)a < (intptr_t)b; }
/* hash() of a small int exactly as CPython: |x| mod 2**61-1 with x's sign,
 * and -1 becomes -2.  (hash(1) == hash(1.0) == hash(True).) */
static inline int64_t mn_small_int_hash(intptr_t x)
{
    const int64_t mod = ((int64_t)1 << 61) - 1;
    int64_t h = x;
    if (x >= mod || x <= -mod)
        h = x < 0 ? -((-(int64_t)x) % mod) : x % mod;
    return h == -1 ? -2 : h;
}
/* hash() of any int-like (small, big, bool), and of a float's value
 * (self is the float object: NaN hashes by identity, as in 3.10+). */
int64_t mn_int_hash_value(Value v);
int64_t mn_float_hash_value(Value self, double d);

/* The binop slots of int and float, callable directly from the VM.
 * mn_int_binop handles two int/bool operands, mn_float_binop any mix of
 * floats and int-likes; anything else returns mn_NotImplemented (so
 * int op float goes int slot -> NotImplemented -> float slot). */
Value mn_int_binop(BinOp op, Value a, Value b);
Value mn_float_binop(BinOp op, Value a, Value b);
/* pow(a, b, m) with three ints (TypeError otherwise, CPython's wording). */
Value mn_int_pow3(Value a, Value b, Value m);
/* divmod(a, b) for int/bool/float operands: a (q, r) tuple, or
 * mn_NotImplemented for other types (then try __divmod__/__rdivmod__). */
Value mn_num_divmod(Value a, Value b);
Value mn_float_divmod(Value a, Value b);
/* operator.index(v): v for int-likes, else v.__index__() (must return
 * an int); TypeError "'float' object cannot be interpreted as an integer". */
Value mn_number_index(Value v);
/* bin()/oct()/hex() (base 2, 8, 16; also 10): index(v) in that base with
 * the 0b/0o/0x prefix after the sign, e.g. "-0xff". */
Value mn_int_to_base(Value v, int base);
/* int(d) for a double: truncates; ValueError for NaN, OverflowError for
 * infinities ("cannot convert float infinity to integer"). */
Value mn_int_from_double(double d);
/* Digits of an int-like in base 2..36 (lower case), '-' first when
 * negative; a GC-allocated C string.  NULL with ValueError when base is
 * 10 and the value exceeds the int<->str digit limit. */
char *mn_int_to_cstr(Value v, int base, size_t *len);
/* int-like -> double, correctly rounded; OverflowError "int too large to
 * convert to float". */
int mn_int_as_double(Value v, double *out) MN_CHECK;
/* Exact comparison of int-like i with d: -1/0/1 (i <, ==, > d), or 2 if
 * d is NaN (unordered). */
int mn_int_cmp_double(Value i, double d);
/* PyFloat_AsDouble: floats, int-likes, __float__, then __index__;
 * TypeError "must be real number, not str". */
int mn_to_double(Value v, double *out) MN_CHECK;
/* CPython 3.11's int<->str conversion limit in decimal digits (default
 * 4300; 0 = unlimited).  sys.set_int_max_str_digits(n) stores n here
 * (CPython rejects 0 < n < 640: "maxdigits must be 0 or larger than
 * 640"); read/written with relaxed atomics. */
extern int mn_int_max_str_digits;
/* int()/float() text preparation: with `unicode`, non-ASCII whitespace
 * becomes ' ', non-ASCII decimal digits (Nd) their ASCII digit and any
 * other non-ASCII char '?'; then surrounding whitespace is stripped. */
const char *mn_num_text(const char *s, size_t len, bool unicode, size_t *outlen);

/* PyOS_double_to_string (runtime/format.c): type is 'e' 'E' 'f' 'F' 'g'
 * 'G' or 'r' (repr: shortest round-trip, prec ignored); flags below.
 * Returns a GC-allocated C string ("inf"/"nan" for non-finite values). */
#define MN_DTSF_SIGN      0x01  /* always add a sign */
#define MN_DTSF_ADD_DOT_0 0x02  /* "1.0", not "1", for integral values */
#define MN_DTSF_ALT       0x04  /* '#' alternate form */
#define MN_DTSF_NO_NEG_0  0x08  /* 'z': -0.0 rounds to "0.0" */
char *mn_double_to_cstr(double x, char type, int prec, int flags, size_t *len);
/* ascii(v): repr(v) with non-ASCII characters escaped (\xe9, \u20ac,
 * \U0001f600). */
Value mn_ascii(Value v);

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
/* For the VM's LOAD_GLOBAL cache (vm/eval.c): like mn_dict_get_str, with
 * *hint the entry position where `key` (an interned str) was found last
 * time (-1 at first).  If that entry still holds key, its value is
 * returned without hashing or probing; otherwise a normal lookup runs
 * and stores the new position (or -1) in *hint.  Racing writers may leave
 * a stale hint; it must then just miss.  Optional: the VM references it
 * weakly and falls back to mn_dict_get_str (runtime/dict.c). */
Value mn_dict_get_str_hint(Value d, Value key, int32_t *hint);
/* mn_dict_set_str with the same kind of position hint (STORE_ATTR). */
void mn_dict_set_str_hint(Value d, Value key, Value v, int32_t *hint);
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

/* ---- Strings & containers: additions (runtime/str.c ... iter.c) ---- */

/* A list's items array keeps its own capacity in the word just before
 * items[0] (as a small int), so a reader racing with a writer that swaps
 * the array can bound-check against the array it actually loaded:
 *     Value *it = l->items; if (i < l->len && i < mn_items_cap(it)) it[i]
 * `items` is never NULL (an empty list points at a shared 0-cap array).
 * ListObject.cap mirrors it for the (single) writer. */
static inline int64_t mn_items_cap(const Value *items) { return mn_int_val(items[-1]); }

/* Iterators the VM's FOR_ITER may step inline (exact type check first).
 *  ListIterObject (ListIterType): yields list->items[index++] while
 *    index < list->len; sets `list` to 0 when exhausted, so a list that
 *    grows later is not seen again (CPython behaviour).
 *  TupleIterObject (TupleIterType): the same over a tuple (never shrinks).
 *  RangeIterObject (RangeIterType): yields mn_int(next) then next += step,
 *    `remaining` times.  range() only accepts bounds within the small-int
 *    range, so every value yielded is a small int. */
typedef struct { Object hdr; Value list; int64_t index; } ListIterObject;
typedef struct { Object hdr; Value tuple; int64_t index; } TupleIterObject;
typedef struct { Object hdr; int64_t next, step, remaining; } RangeIterObject;
extern Type ListIterType, ListRevIterType, TupleIterType, RangeIterType,
    StrIterType, BytesIterType, DictKeysType, DictValuesType, DictItemsType,
    DictIterType, SetIterType;
/* Builtin iterator types (runtime/iter.c); the builtins engineer binds
 * them as enumerate, zip, map, filter, reversed.  Calling the type
 * constructs one (new slot) with CPython's argument rules. */
extern Type EnumerateType, ZipType, MapType, FilterType, ReversedType;

/* Init hooks (runtime/init.c):
 *   mn_init_str()         FIRST, before anything is interned: intern table
 *                         and the one-character string cache.  Readies no
 *                         type (mn_id does not exist yet).
 *   mn_init_containers()  at the "mn_type_ready every type" stage: readies
 *                         every type of str.c bytes.c tuple.c list.c dict.c
 *                         set.c range.c slice.c iter.c, incl. the private
 *                         iterator/view types.  Returns -1 on failure. */
void mn_init_str(void);
int mn_init_containers(void) MN_CHECK;

/* A `hash` slot for unhashable types: raises "unhashable type: 'list'". */
int mn_unhashable(Value self, int64_t *out);

/* Per-thread repr recursion guard (uses ThreadState.repr_active):
 * mn_repr_enter returns 1 if `obj` is already being repr'd on this thread
 * (print "[...]" / "{...}"), else records it and returns 0; every 0 must be
 * paired with mn_repr_leave(obj). */
int mn_repr_enter(Value obj);
void mn_repr_leave(Value obj);

/* Strings */
Value mn_str_from_codepoint(uint32_t cp);       /* chr(); caller checks range */
int64_t mn_str_codepoint_at(Value s, int64_t i);/* 0 <= i < nchars */
/* True if v is a str (exact or subclass). */
static inline bool mn_is_str(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type->flags & TF_STR_SUB);
}
/* Decode/validate UTF-8 (bytes.decode, file reads): returns a str or raises
 * UnicodeDecodeError with CPython's message.  errors is "strict",
 * "replace" or "ignore". */
Value mn_str_decode_utf8(const char *p, size_t len, const char *errors);
/* Raised by str.encode / bytes.decode (runtime/exception.c, subclasses of
 * UnicodeError, constructed with CPython's 5 arguments). */
extern Type UnicodeDecodeErrorType, UnicodeEncodeErrorType;
/* str.format(*args, **kwargs) -- implemented in runtime/format.c. */
Value mn_str_format_method(Value *args, int nargs, Value kwargs);

/* Tuples / lists / dicts / sets */
static inline bool mn_is_tuple(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type->flags & TF_TUPLE_SUB);
}
static inline bool mn_is_list(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type->flags & TF_LIST_SUB);
}
static inline bool mn_is_dict(Value v)
{
    return mn_is_obj(v) && (mn_obj(v)->type->flags & TF_DICT_SUB);
}
int mn_list_extend(Value list, Value iterable) MN_CHECK;   /* list.extend */
Value mn_list_pop(Value list, int64_t i);       /* IndexError as CPython */
Value mn_dict_keys_list(Value d);               /* list(d) */
Value mn_range_new(int64_t start, int64_t stop, int64_t step);
/* set.update(iterable) with CPython's merge algorithm.  Set displays:
 * CPython compiles {c1, c2, c3, ...} with three or more constant elements
 * to BUILD_SET 0 + LOAD_CONST frozenset(...) + SET_UPDATE, and the merge
 * of a frozenset into an empty set places elements differently from
 * adding them one by one, so print({1, 2, 3, 17, 33, 9, 8}) only matches
 * CPython if the compiler does the same (frozenset constant built with
 * mn_set_new(&FrozenSetType) + mn_set_add in source order, then this). */
int mn_set_update(Value s, Value iterable) MN_CHECK;

/* Helpers shared by the string/container files (usable elsewhere too). */
/* Lexicographic rich comparison of two item arrays (tuple/list rules). */
Value mn_seq_richcmp(const Value *a, int64_t na, const Value *b, int64_t nb, CmpOp op);
/* Repeat count for `seq * other`: 1 (count in *n), 0 (NotImplemented:
 * let a user class answer), -1 (error; "can't multiply sequence by
 * non-int of type 'float'"). */
int mn_seq_repeat_count(Value other, int64_t *n);
/* index()/count() style optional start/stop, clamped to [0, len]. */
int mn_seq_clamp_range(Value vstart, Value vstop, int64_t len, int64_t *start,
                       int64_t *stop) MN_CHECK;
/* The str hash function applied to raw bytes (bytes objects use it). */
uint64_t mn_hash_bytes(const void *data, size_t len);
/* bytes.decode(encoding, errors): utf-8, ascii, latin-1; LookupError for
 * others. */
Value mn_bytes_decode(const unsigned char *p, size_t len, const char *enc,
                      const char *errors);

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
/* (For containers: `x is y` implies equal.  The == operator itself must
 * use mn_richcmp, so that nan == nan is False.) */
Value mn_binop(BinOp op, Value a, Value b);
Value mn_inplace(BinOp op, Value a, Value b);
/* For a sequence type's binop that must raise its own error ("can only
 * concatenate str (not "int") to str") only after the right operand had
 * its chance, as CPython tries both operands' numeric slots before the
 * sequence concat: returns b's slot result for (op, a, b) when b's type
 * has a binop slot different from a's (and is not a subtype of a's type:
 * binop1 tried that one first), else mn_NotImplemented. */
Value mn_binop_try_right(BinOp op, Value a, Value b);
/* The error path of a builtin sequence's `a + b` / `a * b` (a of that
 * type, `own` its binop slot, b unusable): returns 1 with *out to return
 * (b's reflected answer, MN_ERR, or mn_NotImplemented to let a subclass's
 * slot go on), or 0: raise the sequence's own error now. */
int mn_seq_binop_reflect(BinOp op, Value a, Value b, Value (*own)(BinOp, Value, Value),
                         Value *out);
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
/* (name is normally a literal: its interned str is cached by address.) */
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
 *   Also accepted: a '/' after the last positional-only parameter (those
 *   cannot be passed by keyword), e.g. "iterable,/|start".
 *   fname is the bare name ("print", "split"); messages add the "()".
 * Raises TypeError with CPython's wording on a bad call. */
int mn_argparse(const char *fname, Value *args, int nargs, Value kwargs,
                const char *spec, Value *out) MN_CHECK;
/* TypeError unless nargs is in [min, max] and kwargs is empty. */
int mn_argcheck(const char *fname, int nargs, Value kwargs, int min, int max) MN_CHECK;

/* ---- Object model additions (runtime/object.c type.c abstract.c
 *      method.c module.c) ---- */

/* More descriptor types: getset descriptors (a GetSetDef in a type's
 * dict), slot wrappers (list.__len__, object.__init__ ...), member
 * descriptors (__slots__ entries) and the `list[int]` alias object. */
extern Type GetSetDescrType, WrapperDescrType, MemberDescrType, GenericAliasType;
/* super(type, obj); zero-argument super() is compiled to
 * mn_super_new(__class__ cell contents, first argument). */
Value mn_super_new(Value type, Value obj);
/* issubclass(derived, cls): cls a class or tuple of classes. */
int mn_issubclass(Value derived, Value cls) MN_CHECK;
/* callable(v) */
static inline bool mn_is_callable(Value v) { return mn_typeof(v)->call != NULL; }
/* "<__main__.Point object at 0x...>" -- object.__repr__. */
Value mn_default_repr(Value v);
/* Look `name` up on the TYPE of obj only (how CPython finds special
 * methods: __enter__, __exit__, __abs__, __round__ ...) and call it with
 * obj prepended.  Returns 0 with no exception if the type has no such
 * attribute. */
Value mn_call_special(Value obj, Value name, Value *args, int nargs);
/* Native modules: the module built by its registered ModuleInit (built on
 * first use, then cached); 0 with no exception if no native module has
 * that name, MN_ERR if its init failed.  Thread-safe. */
Value mn_find_native_module(const char *name);

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
/* The rest of CPython's builtin hierarchy (UnicodeDecodeErrorType and
 * UnicodeEncodeErrorType are declared with the strings above). */
extern Type GeneratorExitType, StopAsyncIterationType, FloatingPointErrorType,
    BufferErrorType, ReferenceErrorType, SystemErrorType,
    IndentationErrorType, TabErrorType, UnicodeTranslateErrorType,
    ConnectionErrorType, BrokenPipeErrorType, ConnectionAbortedErrorType,
    ConnectionRefusedErrorType, ConnectionResetErrorType,
    FileExistsErrorType, PermissionErrorType, InterruptedErrorType,
    ChildProcessErrorType, ProcessLookupErrorType, BlockingIOErrorType,
    IsADirectoryErrorType, NotADirectoryErrorType, WarningType,
    UserWarningType, DeprecationWarningType, PendingDeprecationWarningType,
    RuntimeWarningType, SyntaxWarningType, FutureWarningType,
    ImportWarningType, UnicodeWarningType, BytesWarningType,
    ResourceWarningType, EncodingWarningType;
/* Every builtin exception type above, NULL-terminated, base classes
 * before subclasses: the builtins module binds each under t->name. */
extern Type *const mn_exception_types[];
/* OSError(errno, strerror[, filename]): an instance of the subclass that
 * CPython picks for the errno (ENOENT -> FileNotFoundError ...). */
Value mn_oserror_new(int err, const char *filename);

/* Raise: set the current thread's exception and return MN_ERR. */
Value mn_raise(Type *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
Value mn_raise_value(Type *t, Value arg);       /* t(arg) */
Value mn_raise_exc(Value exc);                  /* an exception instance or class */
/* Every raise helper sets the new exception's __context__ to the
 * thread's `handled` exception (if different), as CPython does.  To
 * re-raise without touching the context, store ts->exc directly. */
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
/* Write out everything buffered in sys.stdout, sys.stderr and every
 * unclosed output file (stdlib/fileio.c).  Call it before writing to the
 * C-level stderr (tracebacks: so stdout text printed before the error
 * appears before it), in mn_finalize, and before fork().  Errors (a
 * closed pipe) are ignored and the data dropped. */
void mn_flush_std_streams(void);

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
/* Each runtime/stdlib part with static types or tables exposes a hook
 * that mn_runtime_init (runtime/init.c) calls in this order:
 *
 *   1. mn_init_str()          intern table (declared with the strings)
 *   2. the names in mn_id are interned
 *   3. mn_init_object() mn_init_type() mn_init_method() mn_init_module()
 *      mn_init_exceptions()   (object model: ready their own types)
 *      mn_init_containers()   (declared with the containers)
 *      mn_init_int() mn_init_float() mn_init_function()
 *   4. init.c calls mn_type_ready on EVERY type declared in this header
 *   5. mn_init_builtins() then mn_init_stdlib()  (builtins module, native
 *      module registry: everything may be used by now)
 *
 * The rule for types: a hook in step 3 readies the types its file owns
 * that are NOT declared here (private iterator types ...); step 4 sweeps
 * the rest, so forgetting one is harmless.  mn_type_ready is idempotent,
 * readies the base first, and needs only str and dict to work, so hooks
 * may ready types in any order.  Hooks must not run mini code or depend on
 * another hook of step 3 having run.  A hook returning int returns -1
 * with an exception set (or after printing) on failure. */
void mn_init_object(void);
void mn_init_type(void);
void mn_init_method(void);
void mn_init_module(void);
void mn_init_exceptions(void);
void mn_init_int(void);
void mn_init_float(void);
void mn_init_function(void);
void mn_init_builtins(void);
void mn_init_stdlib(void);

/* ---- Threads (stdlib/mod_thread.c) ---- */
/* Constructor of the native `_thread` module (registered in stdlib.c;
 * `threading`/`thread` are stdlib/threading.mini on top of it). */
Value mn_module_thread_init(void);

/* ---- queue / socket (stdlib/mod_queue.c, stdlib/mod_socket.c) ---- */
/* Constructors of the native `queue` and `socket` modules (registered in
 * stdlib.c). */
Value mn_module_queue_init(void);
Value mn_module_socket_init(void);

#endif
