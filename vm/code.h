/*
 * code.h -- code objects, functions and cells: what the compiler produces
 * and the eval loop runs.
 *
 * A CodeObject is immutable once built (vm/compile.c builds it, vm/code.c
 * holds its type), so threads share it without locks.  A FunctionObject
 * pairs a code object with the environment it runs in (globals, builtins,
 * defaults, closure); vm/function.c holds FunctionType, CellType and
 * CodeType.
 *
 * Variables of a scope live in the frame's `localsplus` array (vm/frame.h),
 * one slot per name, in this order:
 *
 *   [0, nparams)            parameters: positional, keyword-only, *args,
 *                           **kwargs (CPython's co_varnames order)
 *   [nparams, nlocalsplus - nfree)
 *                           other locals of the scope, in order of first
 *                           appearance.  A local that an inner scope
 *                           captures is a CELL slot: MAKE_CELL at the start
 *                           of the code replaces the slot's value (an
 *                           argument or nothing) by a new CellObject and
 *                           LOAD_DEREF/STORE_DEREF go through the cell.
 *   [nlocalsplus - nfree, nlocalsplus)
 *                           free variables: the frame is entered with the
 *                           cells of the function's closure tuple copied
 *                           here.
 *
 * Module and class-body code keep their variables in dicts (globals /
 * the class namespace), so their localsplus holds only cells and free
 * variables (e.g. the implicit __class__ cell of a class body).
 */
#ifndef MN_CODE_H
#define MN_CODE_H

#include "../runtime/object.h"

/* Exception table entry: an exception raised by an instruction in
 * [start, end) jumps to `handler` after the value stack is cut back to
 * `depth` items and the exception is pushed.  Entries are sorted by start
 * and never overlap (each instruction has at most one, the innermost,
 * handler), so lookup is a binary search. */
typedef struct {
    uint32_t start, end;
    uint32_t handler;
    uint32_t depth;
} ExcEntry;

/* Line table: instructions from `start` up to the next entry's start come
 * from source line `line` (sorted by start; binary searched). */
typedef struct {
    uint32_t start;
    int32_t line;
} LineEntry;

/* Inline caches of the attribute instructions (LOAD_ATTR, STORE_ATTR,
 * LOAD_METHOD): their arg indexes CodeObject.caches, whose slot holds the
 * attribute name and the last lookup result for one receiver type,
 * validated by the type's version tag (Type.version, cleared by
 * runtime/type.c whenever the class or a base changes).  An entry is
 * immutable and replaced by one atomic pointer store, so a reader racing
 * with a refill (GIL off) sees the old or the new entry, never a mix.
 * After MN_CACHE_MAX_FILLS refills a site is megamorphic and stops caching. */
typedef struct AttrCacheEntry {
    Type *type;                 /* receiver type */
    uint32_t version;           /* type->version when filled (never 0) */
    uint32_t kind;              /* AC_* in vm/eval.c */
    Value value;                /* the class attribute / descriptor, or 0 */
} AttrCacheEntry;

typedef struct AttrCache {
    AttrCacheEntry *entry;      /* atomic; NULL = empty */
    Value name;                 /* interned attribute name */
    uint32_t fills;
    /* Entry position of `name` in the last instance dict seen here (see
     * mn_dict_get_str_hint); instances of one class usually insert their
     * attributes in the same order, so one compare finds them.  Racy by
     * design (relaxed atomics), zero-initialised: a stale or wrong hint
     * only costs a normal lookup. */
    int32_t hint;
} AttrCache;
#define MN_CACHE_MAX_FILLS 32

/* Kinds of localsplus slots (CodeObject.localkinds). */
#define LK_LOCAL  0x01   /* a plain fast local */
#define LK_CELL   0x02   /* a local captured by an inner scope */
#define LK_FREE   0x04   /* a variable of an enclosing scope (closure) */
#define LK_PARAM  0x08   /* a parameter (also LK_LOCAL or LK_CELL) */

/* CodeObject.flags */
#define CO_VARARGS       0x0001  /* has *args (slot after the kw-only params) */
#define CO_VARKW         0x0002  /* has **kwargs (last parameter slot) */
#define CO_FUNCTION      0x0004  /* def/lambda/comprehension: fast locals */
#define CO_CLASSBODY     0x0008  /* class body: locals in a dict */
#define CO_MODULE        0x0010  /* module: locals are the globals */
#define CO_COMPREHENSION 0x0020
#define CO_LAMBDA        0x0040
#define CO_SIMPLE_ARGS   0x0080  /* no *args, **kwargs, kw-only: a call with
                                    exactly argcount positionals just copies */
#define CO_INTERACTIVE   0x0100  /* compiled for the REPL */

typedef struct CodeObject {
    Object hdr;
    const uint32_t *code;       /* instruction words (see vm/opcodes.h) */
    int32_t ncode;
    Value consts;               /* tuple */
    Value names;                /* tuple of interned strs: globals, attrs */
    Value localnames;           /* tuple of interned strs, one per slot */
    const uint8_t *localkinds;  /* LK_* per slot */
    int32_t nlocalsplus;
    int32_t nfree;              /* the last nfree slots are free variables */
    int32_t argcount;           /* positional parameters (incl. pos-only) */
    int32_t posonlyargcount;    /* the first ones, written before `/` */
    int32_t kwonlyargcount;
    int32_t nparams;            /* argcount + kwonly + (*args) + (**kwargs) */
    int32_t stacksize;          /* maximum value-stack depth */
    int32_t framesize;          /* Value slots a frame needs (vm/frame.h) */
    uint32_t flags;             /* CO_* */
    int32_t firstlineno;
    Value name;                 /* "f", "<module>", "<lambda>", "<listcomp>" */
    Value qualname;             /* "C.f", "g.<locals>.h" */
    Value filename;             /* str */
    Value doc;                  /* docstring or None */
    const LineEntry *lines;
    int32_t nlines;
    const ExcEntry *exctab;
    int32_t nexc;
    AttrCache *caches;          /* mutable: see AttrCache */
    int32_t ncaches;
    /* LOAD_GLOBAL position hints, two per name (globals, builtins): see
     * mn_dict_get_str_hint.  Mutable, racy by design (a stale hint only
     * costs a normal lookup). */
    int32_t *global_hints;
} CodeObject;

/* Source line of the instruction at `offset` (index into code). */
int mn_code_addr2line(const CodeObject *co, int offset);
/* The handler covering `offset`, or NULL. */
const ExcEntry *mn_code_find_handler(const CodeObject *co, int offset);

/* Disassembler (vm/dis.c): print `co` CPython-dis style (line numbers,
 * offsets, ">>" at jump targets, opcode names, args with resolved names
 * and constants); with `recursive`, nested code objects follow.  */
void mn_dis(CodeObject *co, FILE *out, bool recursive);
/* The opcode names of co's instructions, space separated (for tests). */
char *mn_dis_opnames(CodeObject *co);

/* ------------------------------------------------------------------ */

typedef struct FunctionObject {
    Object hdr;
    CodeObject *code;
    Value globals;              /* dict the function reads globals from */
    Value builtins;             /* builtins dict (mn_interp.builtins) */
    Value defaults;             /* tuple of positional defaults, or 0 */
    Value kwdefaults;           /* dict name -> default for kw-only, or 0 */
    Value closure;              /* tuple of CellObjects (code->nfree), or 0 */
    Value name;                 /* __name__ (str, assignable) */
    Value qualname;             /* __qualname__ */
    Value module;               /* __module__: globals['__name__'] at def */
    Value doc;                  /* __doc__ */
    Value dict;                 /* function attributes (via dictoffset) */
} FunctionObject;

/* A function for `code` running in `globals` (builtins are mn_interp's). */
Value mn_function_new(CodeObject *code, Value globals);

/* A cell holds one variable captured by a closure; ref == 0 while the
 * variable is unbound. */
typedef struct CellObject {
    Object hdr;
    Value ref;
} CellObject;

Value mn_cell_new(Value v);     /* v may be 0 (empty cell) */

#endif
