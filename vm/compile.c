/*
 * compile.c -- AST to bytecode.
 *
 * Passes (see compile.h): scope analysis (symtable.c), then per code
 * object: EMIT instructions into a Unit with symbolic labels, then
 * ASSEMBLE (stack depth by flow analysis, dead-code removal, jump
 * resolution, exception and line tables).
 *
 * Exceptions use a zero-cost exception TABLE, as in CPython 3.11: no
 * instruction runs on entry to a `try`; instead every emitted instruction
 * records which handler covers it (the compiler tracks the innermost one
 * while it walks the structured AST) and at what stack depth the handler
 * expects the stack.  When an exception is raised, eval.c cuts the stack
 * to that depth, pushes the exception and jumps to the handler.  Handler
 * code follows CPython's shape:
 *
 *   try/except   H: PUSH_EXC_INFO (save ts->handled, set it to exc)
 *                   [DUP_TOP, type, CHECK_EXC_MATCH, POP_JUMP_IF_FALSE next]
 *                   STORE name | POP_TOP;  body;  [name = None; del name]
 *                   POP_EXCEPT (restore ts->handled);  JUMP end
 *                next: ...  RERAISE
 *                cleanup: POP_EXCEPT_RERAISE (covers the handler bodies)
 *   try/finally  the finally body is emitted inline on every exit path
 *                (fall-through, return, break, continue) and once more as
 *                the exception handler, which re-raises at its end.
 *   with         BEFORE_WITH; body; exit(None, None, None); on exception
 *                WITH_EXCEPT_START calls exit(type, exc, tb) and a true
 *                result suppresses it.
 *
 * Leaving a block early (return/break/continue) "unwinds" the compiler's
 * block stack (FBlock): popping for-loop iterators, calling with-exits,
 * running finally bodies, restoring the handled exception -- emitted as
 * plain code, so the VM has no block stack at all.
 *
 * Generator expressions are compiled exactly like list comprehensions and
 * then turned into an iterator over the resulting list (GET_ITER): they are
 * evaluated eagerly (a documented difference from CPython).
 *
 * Errors are reported through a longjmp to mn_compile(), which fills the
 * caller's ParseError; all memory comes from the collector.
 */
#include <gmp.h>
#include <setjmp.h>
#include <string.h>

#include "compile.h"
#include "frame.h"
#include "opcodes.h"

/* exported by symtable.c for the code generator */
Value mn_scope_mangle(const Scope *s, const char *id);

/* ------------------------------------------------------------------ */
/* data structures                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
    uint8_t op;
    uint32_t arg;       /* for jumps: a label id until assembly */
    int line;
    int handler;        /* index into Unit.handlers, or -1 */
} Instr;

typedef struct {
    int label;          /* where the handler code starts */
    int depth;          /* stack items kept below the pushed exception */
} Handler;

typedef enum {
    FB_WHILE, FB_FOR, FB_TRY_EXCEPT, FB_FINALLY_TRY, FB_FINALLY_END,
    FB_WITH, FB_HANDLER_CLEANUP, FB_POP_VALUE
} FBType;

typedef struct {
    FBType type;
    int start;          /* loops: `continue` target */
    int exit;           /* loops: `break` target */
    int outer_handler;  /* handler active outside this block */
    NodeList *finalbody;/* FB_FINALLY_TRY */
    const char *name;   /* FB_HANDLER_CLEANUP: `except E as name` */
} FBlock;

#define MAX_FBLOCKS 64

/* A growable array of Values with an optional hash index for finding an
 * equal entry again (constants by value, names by identity). */
typedef struct {
    Value *items;
    int n, cap;
    int *hash;          /* open addressing: index + 1; NULL = no index yet */
    int hashcap;
} ValTable;

typedef struct Unit {
    struct Unit *parent;
    Scope *scope;
    ScopeKind kind;
    Instr *instrs;
    int n, cap;
    int *labels;        /* label -> instruction index (-1 unplaced) */
    int nlabels, caplabels;
    Handler *handlers;
    int nhandlers, caphandlers;
    int cur_handler;
    int depth;          /* stack items held by enclosing blocks */
    int line;
    FBlock fblocks[MAX_FBLOCKS];
    int nfblocks;
    /* constants and names */
    ValTable consts;    /* co_consts, deduplicated by value */
    ValTable names;     /* co_names, deduplicated by identity (interned) */
    ValTable cachenames; /* attribute name of each inline cache slot */
    /* variables */
    Value *slot_names;
    uint8_t *slot_kinds;
    int nslots, nfree;
    int firstlineno;
} Unit;

typedef struct Compiler {
    SymTable *st;
    const char *filename;
    Value filename_v;
    CompileMode mode;
    Unit *u;
    ParseError *err;
    jmp_buf jb;
    int nesting;
} Compiler;

/* ------------------------------------------------------------------ */
/* errors                                                              */
/* ------------------------------------------------------------------ */

static void cerror(Compiler *c, int line, int col, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

static void cerror(Compiler *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    c->err->line = line;
    c->err->col = col;
    c->err->incomplete = false;
    longjmp(c->jb, 1);
}

/* ------------------------------------------------------------------ */
/* emission                                                            */
/* ------------------------------------------------------------------ */

static int new_label(Compiler *c)
{
    Unit *u = c->u;
    if (u->nlabels == u->caplabels) {
        u->caplabels = u->caplabels ? u->caplabels * 2 : 32;
        int *n = gc_alloc_atomic(u->caplabels * sizeof(int));
        if (u->nlabels)
            memcpy(n, u->labels, u->nlabels * sizeof(int));
        u->labels = n;
    }
    u->labels[u->nlabels] = -1;
    return u->nlabels++;
}

static void place_label(Compiler *c, int label)
{
    c->u->labels[label] = c->u->n;
}

static void emit(Compiler *c, int op, uint32_t arg)
{
    Unit *u = c->u;
    if (arg > MN_MAX_ARG)
        cerror(c, u->line, 1, "code object too large");
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 64;
        Instr *n = gc_alloc_atomic(u->cap * sizeof(Instr));
        if (u->n)
            memcpy(n, u->instrs, u->n * sizeof(Instr));
        u->instrs = n;
    }
    Instr *i = &u->instrs[u->n++];
    i->op = (uint8_t)op;
    i->arg = arg;
    i->line = u->line;
    i->handler = u->cur_handler;
}

static void emit_jump(Compiler *c, int op, int label) { emit(c, op, (uint32_t)label); }

static bool is_jump(int op)
{
    return mn_opcode_operand[op] == OPK_JUMP;
}

static int new_handler(Compiler *c, int label, int depth)
{
    Unit *u = c->u;
    if (u->nhandlers == u->caphandlers) {
        u->caphandlers = u->caphandlers ? u->caphandlers * 2 : 8;
        Handler *n = gc_alloc_atomic(u->caphandlers * sizeof(Handler));
        if (u->nhandlers)
            memcpy(n, u->handlers, u->nhandlers * sizeof(Handler));
        u->handlers = n;
    }
    u->handlers[u->nhandlers].label = label;
    u->handlers[u->nhandlers].depth = depth;
    return u->nhandlers++;
}

/* ---- constants ----------------------------------------------------- */

static uint64_t const_hash(Value v)
{
    if (mn_is_int(v))
        return (uint64_t)v * 0x9E3779B97F4A7C15ull;
    Type *t = mn_typeof(v);
    if (t == &StrType)
        return mn_str_hash(v) ^ 0x51;
    if (t == &FloatType) {
        uint64_t bits;
        memcpy(&bits, &AS(FloatObject, v)->v, 8);
        return bits * 31 + 7;
    }
    if (t == &BytesType) {
        uint64_t h = 1469598103934665603ull;
        BytesObject *b = AS(BytesObject, v);
        for (int64_t i = 0; i < b->len; i++)
            h = (h ^ b->data[i]) * 1099511628211ull;
        return h;
    }
    if (t == &TupleType) {
        uint64_t h = 0x345678;
        for (int64_t i = 0; i < mn_tuple_len(v); i++)
            h = (h ^ const_hash(mn_tuple_items(v)[i])) * 1000003;
        return h;
    }
    return (uint64_t)v >> 3;
}

static bool const_same(Value a, Value b)
{
    if (a == b)
        return true;
    if (mn_is_int(a) || mn_is_int(b))
        return false;
    Type *t = mn_typeof(a);
    if (t != mn_typeof(b))
        return false;
    if (t == &StrType)
        return mn_str_eq(a, b);
    if (t == &FloatType) {
        /* by bits: keeps 0.0 and -0.0 apart */
        return memcmp(&AS(FloatObject, a)->v, &AS(FloatObject, b)->v, 8) == 0;
    }
    if (t == &BytesType) {
        BytesObject *x = AS(BytesObject, a), *y = AS(BytesObject, b);
        return x->len == y->len && memcmp(x->data, y->data, x->len) == 0;
    }
    if (t == &TupleType) {
        int64_t n = mn_tuple_len(a);
        if (n != mn_tuple_len(b))
            return false;
        for (int64_t i = 0; i < n; i++)
            if (!const_same(mn_tuple_items(a)[i], mn_tuple_items(b)[i]))
                return false;
        return true;
    }
    if (t == &IntType) {     /* big ints */
        mpz_t x, y;
        mpz_init(x);
        mpz_init(y);
        mn_int_to_mpz(a, x);
        mn_int_to_mpz(b, y);
        bool r = mpz_cmp(x, y) == 0;
        mpz_clear(x);
        mpz_clear(y);
        return r;
    }
    return false;
}

static bool const_dedupable(Value v)
{
    if (mn_is_int(v))
        return true;
    Type *t = mn_typeof(v);
    if (t == &TupleType) {
        for (int64_t i = 0; i < mn_tuple_len(v); i++)
            if (!const_dedupable(mn_tuple_items(v)[i]))
                return false;
        return true;
    }
    return t == &StrType || t == &FloatType || t == &BytesType || t == &IntType ||
           t == &NoneType || t == &BoolType || t == &EllipsisType;
}

/* How a table finds an equal entry: `key` hashes, `same` compares, and
 * `indexed` says whether a value takes part in deduplication at all. */
typedef struct {
    uint64_t (*key)(Value);
    bool (*same)(Value, Value);
    bool (*indexed)(Value);
} ValTableKind;

static void vt_index_insert(ValTable *t, const ValTableKind *kind, Value v, int k)
{
    uint32_t m = t->hashcap - 1, i = (uint32_t)kind->key(v) & m;
    while (t->hash[i])
        i = (i + 1) & m;
    t->hash[i] = k;
}

/* Append v (no dedup) and return its index. */
static int vt_push(ValTable *t, Value v)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        Value *n = gc_alloc(t->cap * sizeof(Value));
        if (t->n)
            memcpy(n, t->items, t->n * sizeof(Value));
        t->items = n;
    }
    t->items[t->n] = v;
    return t->n++;
}

/* The index of an entry equal to v, adding v if there is none. */
static int vt_add(ValTable *t, const ValTableKind *kind, Value v)
{
    bool indexed = kind->indexed(v);
    if (indexed && t->hashcap) {
        uint32_t m = t->hashcap - 1, i = (uint32_t)kind->key(v) & m;
        while (t->hash[i]) {
            int k = t->hash[i] - 1;
            if (kind->same(t->items[k], v))
                return k;
            i = (i + 1) & m;
        }
    }
    int k = vt_push(t, v);
    if (indexed) {
        if (t->n * 2 > t->hashcap) {
            t->hashcap = t->hashcap ? t->hashcap * 2 : 32;
            t->hash = gc_alloc_atomic(t->hashcap * sizeof(int));
            for (int j = 0; j < t->n; j++)
                if (kind->indexed(t->items[j]))
                    vt_index_insert(t, kind, t->items[j], j + 1);
        } else {
            vt_index_insert(t, kind, v, k + 1);
        }
    }
    return k;
}

static const ValTableKind const_kind = {const_hash, const_same, const_dedupable};

static uint64_t name_key(Value v) { return ((uintptr_t)v >> 4) * 2654435761u; }
static bool name_same(Value a, Value b) { return a == b; }
static bool name_indexed(Value v) { (void)v; return true; }
static const ValTableKind name_kind = {name_key, name_same, name_indexed};

static int add_const(Compiler *c, Value v) { return vt_add(&c->u->consts, &const_kind, v); }

static void emit_const(Compiler *c, Value v) { emit(c, OP_LOAD_CONST, add_const(c, v)); }

static int add_name_v(Compiler *c, Value name) { return vt_add(&c->u->names, &name_kind, name); }

/* A name as the current scope spells it (private names mangled). */
static Value mangled(Compiler *c, const char *id)
{
    return mn_scope_mangle(c->u->scope, id);
}

static int add_name(Compiler *c, const char *id) { return add_name_v(c, mangled(c, id)); }

/* A new inline-cache slot for an attribute instruction on `id`. */
static int add_attr_cache(Compiler *c, const char *id)
{
    return vt_push(&c->u->cachenames, mangled(c, id));
}

static int slot_of(Unit *u, Value name)
{
    for (int i = 0; i < u->nslots; i++)
        if (u->slot_names[i] == name)
            return i;
    return -1;
}

/* ------------------------------------------------------------------ */
/* blocks                                                              */
/* ------------------------------------------------------------------ */

static FBlock *push_fblock(Compiler *c, FBType type, int start, int exit)
{
    Unit *u = c->u;
    if (u->nfblocks >= MAX_FBLOCKS)
        cerror(c, u->line, 1, "too many statically nested blocks");
    FBlock *f = &u->fblocks[u->nfblocks++];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->start = start;
    f->exit = exit;
    f->outer_handler = u->cur_handler;
    return f;
}

static void pop_fblock(Compiler *c) { c->u->nfblocks--; }

typedef enum { NCTX_LOAD, NCTX_STORE, NCTX_DEL } NameCtx;
static void compile_nameop(Compiler *c, const char *id, NameCtx ctx);
static void compile_expr(Compiler *c, Node *e);
static void compile_stmts(Compiler *c, NodeList *l);
static void compile_store(Compiler *c, Node *t);
static void compile_jump_if(Compiler *c, Node *e, bool cond, int label);

/* Emit the code that leaves block `f` on an early exit.  With
 * preserve_tos the value on top of the stack (a return value) stays on
 * top.  Adjusts u->depth and u->cur_handler for the code that follows;
 * the caller restores both. */
static void unwind_fblock(Compiler *c, FBlock *f, bool preserve_tos)
{
    Unit *u = c->u;
    switch (f->type) {
    case FB_WHILE:
        break;
    case FB_FOR:
        if (preserve_tos)
            emit(c, OP_ROT_TWO, 0);
        emit(c, OP_POP_TOP, 0);
        u->depth--;
        break;
    case FB_TRY_EXCEPT:
        u->cur_handler = f->outer_handler;
        break;
    case FB_FINALLY_TRY: {
        u->cur_handler = f->outer_handler;
        if (preserve_tos)
            push_fblock(c, FB_POP_VALUE, -1, -1);
        compile_stmts(c, f->finalbody);
        if (preserve_tos)
            pop_fblock(c);
        break;
    }
    case FB_FINALLY_END:
        /* stack: prev exc [value] */
        if (preserve_tos)
            emit(c, OP_ROT_TWO, 0);
        emit(c, OP_POP_TOP, 0);
        if (preserve_tos)
            emit(c, OP_ROT_TWO, 0);
        emit(c, OP_POP_EXCEPT, 0);
        u->depth -= 2;
        u->cur_handler = f->outer_handler;
        break;
    case FB_WITH:
        /* stack: exit [value] */
        u->cur_handler = f->outer_handler;
        if (preserve_tos)
            emit(c, OP_ROT_TWO, 0);
        emit_const(c, mn_None);
        emit_const(c, mn_None);
        emit_const(c, mn_None);
        emit(c, OP_CALL, 3);
        emit(c, OP_POP_TOP, 0);
        u->depth--;
        break;
    case FB_HANDLER_CLEANUP:
        /* stack: prev [value] */
        u->cur_handler = f->outer_handler;
        if (f->name) {
            emit_const(c, mn_None);
            compile_nameop(c, f->name, NCTX_STORE);
            compile_nameop(c, f->name, NCTX_DEL);
        }
        if (preserve_tos)
            emit(c, OP_ROT_TWO, 0);
        emit(c, OP_POP_EXCEPT, 0);
        u->depth--;
        break;
    case FB_POP_VALUE:
        if (preserve_tos)
            emit(c, OP_ROT_TWO, 0);
        emit(c, OP_POP_TOP, 0);
        u->depth--;
        break;
    }
}

/* Unwind every block (return) or up to the innermost loop (break,
 * continue: *loop receives it).  Returns false if no loop was found when
 * one was asked for. */
static bool unwind_fblock_stack(Compiler *c, bool preserve_tos, FBlock **loop)
{
    Unit *u = c->u;
    if (u->nfblocks == 0)
        return loop == NULL;
    FBlock *top = &u->fblocks[u->nfblocks - 1];
    if (loop && (top->type == FB_WHILE || top->type == FB_FOR)) {
        *loop = top;
        return true;
    }
    FBlock copy = *top;
    u->nfblocks--;
    unwind_fblock(c, &copy, preserve_tos);
    bool ok = unwind_fblock_stack(c, preserve_tos, loop);
    u->fblocks[u->nfblocks++] = copy;
    return ok;
}

/* ------------------------------------------------------------------ */
/* names                                                               */
/* ------------------------------------------------------------------ */

static bool unit_is_function(const Unit *u)
{
    return u->kind == SCOPE_FUNCTION || u->kind == SCOPE_LAMBDA ||
           u->kind == SCOPE_COMPREHENSION;
}

static void compile_nameop_v(Compiler *c, Value name, NameCtx ctx)
{
    Unit *u = c->u;
    SymScope sc = mn_scope_name(u->scope, name);
    static const uint8_t global_ops[3] = {OP_LOAD_GLOBAL, OP_STORE_GLOBAL, OP_DELETE_GLOBAL};
    static const uint8_t name_ops[3] = {OP_LOAD_NAME, OP_STORE_NAME, OP_DELETE_NAME};
    static const uint8_t deref_ops[3] = {OP_LOAD_DEREF, OP_STORE_DEREF, OP_DELETE_DEREF};
    static const uint8_t fast_ops[3] = {OP_LOAD_FAST_CHECK, OP_STORE_FAST, OP_DELETE_FAST};

    switch (sc) {
    case SYM_FREE:
    case SYM_CELL: {
        int slot = slot_of(u, name);
        if (slot < 0)
            cerror(c, u->line, 1, "internal compiler error: no slot for '%s'", mn_cstr(name));
        int op = deref_ops[ctx];
        if (u->kind == SCOPE_CLASS && ctx == NCTX_LOAD)
            op = OP_LOAD_CLASSDEREF;
        emit(c, op, slot);
        return;
    }
    case SYM_LOCAL:
        if (unit_is_function(u)) {
            int slot = slot_of(u, name);
            if (slot < 0)
                cerror(c, u->line, 1, "internal compiler error: no slot for '%s'", mn_cstr(name));
            int op = fast_ops[ctx];
            if (ctx == NCTX_LOAD && mn_scope_is_param(u->scope, name) &&
                !mn_scope_is_deleted(u->scope, name))
                op = OP_LOAD_FAST;
            emit(c, op, slot);
            return;
        }
        if (u->kind == SCOPE_CLASS) {
            emit(c, name_ops[ctx], add_name_v(c, name));
            return;
        }
        emit(c, global_ops[ctx], add_name_v(c, name));
        return;
    case SYM_GLOBAL_EXPLICIT:
        emit(c, global_ops[ctx], add_name_v(c, name));
        return;
    default:
        if (u->kind == SCOPE_CLASS)
            emit(c, name_ops[ctx], add_name_v(c, name));
        else
            emit(c, global_ops[ctx], add_name_v(c, name));
        return;
    }
}

static void compile_nameop(Compiler *c, const char *id, NameCtx ctx)
{
    compile_nameop_v(c, mangled(c, id), ctx);
}

/* ------------------------------------------------------------------ */
/* constants                                                           */
/* ------------------------------------------------------------------ */

static Value parse_int_literal(Compiler *c, Node *e)
{
    const char *t = e->u.lit.text;
    int base = 10;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
        base = 16, t += 2;
    else if (t[0] == '0' && (t[1] == 'o' || t[1] == 'O'))
        base = 8, t += 2;
    else if (t[0] == '0' && (t[1] == 'b' || t[1] == 'B'))
        base = 2, t += 2;
    uint64_t acc = 0;
    bool big = false;
    for (const char *p = t; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else if (*p == '_')
            continue;
        else
            cerror(c, e->line, e->col, "invalid digit '%c' in integer literal", *p);
        if (d >= base)
            cerror(c, e->line, e->col, "invalid digit '%c' in integer literal", *p);
        if (acc > ((uint64_t)MN_SMALL_MAX - d) / base) {
            big = true;
            break;
        }
        acc = acc * base + d;
    }
    if (!big)
        return mn_int((intptr_t)acc);
    /* strip underscores for GMP */
    size_t n = strlen(t);
    char *buf = gc_alloc_atomic(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i] != '_')
            buf[k++] = t[i];
    buf[k] = 0;
    mpz_t z;
    if (mpz_init_set_str(z, buf, base) != 0) {
        mpz_clear(z);
        cerror(c, e->line, e->col, "invalid integer literal");
    }
    Value v = mn_int_from_mpz(z);
    mpz_clear(z);
    return v;
}

static bool is_identifier_like(const char *s, size_t n)
{
    if (n == 0 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static Value str_const(const char *s, size_t n)
{
    Value v = mn_str_new(s, n);
    if (is_identifier_like(s, n))
        v = mn_intern_value(v);
    return v;
}

/* The value of a constant expression, or 0. */
static Value const_value(Compiler *c, Node *e)
{
    switch (e->kind) {
    case E_INT: return parse_int_literal(c, e);
    case E_FLOAT: return mn_float(e->u.lit.f);
    case E_STR: return str_const(e->u.lit.s, e->u.lit.len);
    case E_BYTES: return mn_bytes_new(e->u.lit.s, e->u.lit.len);
    case E_TRUE: return mn_True;
    case E_FALSE: return mn_False;
    case E_NONE: return mn_None;
    case E_ELLIPSIS: return mn_Ellipsis;
    case E_UNARY:
        if (e->u.un.op == UOP_NEG) {
            Node *o = e->u.un.operand;
            if (o->kind == E_INT) {
                Value v = parse_int_literal(c, o);
                if (mn_is_int(v))
                    return mn_int(-mn_int_val(v));
                mpz_t z;
                mpz_init(z);
                mn_int_to_mpz(v, z);
                mpz_neg(z, z);
                Value r = mn_int_from_mpz(z);
                mpz_clear(z);
                return r;
            }
            if (o->kind == E_FLOAT)
                return mn_float(-o->u.lit.f);
        }
        return 0;
    case E_TUPLE: {
        int n = e->u.seq.elts.n;
        if (n == 0)
            return mn_empty_tuple;
        Value *items = gc_alloc(n * sizeof(Value));
        for (int i = 0; i < n; i++) {
            Node *x = e->u.seq.elts.items[i];
            if (x->kind == E_STARRED)
                return 0;
            items[i] = const_value(c, x);
            if (!items[i])
                return 0;
        }
        return mn_tuple_from(items, n);
    }
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ */
/* expressions                                                         */
/* ------------------------------------------------------------------ */

static bool has_starred(NodeList *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i]->kind == E_STARRED)
            return true;
    return false;
}

/* A set display of more than two constants, as a frozenset built in
 * source order (CPython folds these the same way); 0 otherwise. */
static Value const_frozenset(Compiler *c, NodeList *elts)
{
    if (elts->n <= 2 || has_starred(elts))
        return 0;
    Value items[elts->n];
    for (int i = 0; i < elts->n; i++)
        if (!(items[i] = const_value(c, elts->items[i])))
            return 0;
    Value fs = mn_set_new(&FrozenSetType);
    for (int i = 0; i < elts->n; i++)
        if (mn_set_add(fs, items[i]) < 0) {   /* unhashable: leave it to run time */
            mn_exc_clear();
            return 0;
        }
    /* CPython's constant merging rebuilds the frozenset from its own
     * iteration order; doing the same gives the same table layout. */
    Value again = mn_set_new(&FrozenSetType), k;
    int64_t pos = 0;
    while (mn_set_next(fs, &pos, &k))
        if (mn_set_add(again, k) < 0)
            return 0;
    return again;
}

/* Build a list/set/tuple from elements that may contain *x. */
static void compile_starunpack(Compiler *c, NodeList *elts, int build_op, int add_op,
                               int extend_op, bool tuple)
{
    if (!has_starred(elts)) {
        for (int i = 0; i < elts->n; i++)
            compile_expr(c, elts->items[i]);
        emit(c, tuple ? OP_BUILD_TUPLE : build_op, elts->n);
        return;
    }
    int i = 0;
    /* leading plain elements go straight into the build */
    while (i < elts->n && elts->items[i]->kind != E_STARRED) {
        compile_expr(c, elts->items[i]);
        i++;
    }
    emit(c, build_op, i);
    for (; i < elts->n; i++) {
        Node *x = elts->items[i];
        if (x->kind == E_STARRED) {
            compile_expr(c, x->u.starred.value);
            emit(c, extend_op, 1);
        } else {
            compile_expr(c, x);
            emit(c, add_op, 1);
        }
    }
    if (tuple)
        emit(c, OP_LIST_TO_TUPLE, 0);
}

static void compile_dict(Compiler *c, Node *e)
{
    NodeList *keys = &e->u.dict.keys, *vals = &e->u.dict.values;
    bool have_dict = false;
    int pending = 0;
    for (int i = 0; i < vals->n; i++) {
        Node *k = i < keys->n ? keys->items[i] : NULL;
        if (k) {
            compile_expr(c, k);
            compile_expr(c, vals->items[i]);
            pending++;
            continue;
        }
        if (pending || !have_dict) {
            emit(c, OP_BUILD_MAP, pending);
            if (have_dict)
                emit(c, OP_DICT_UPDATE, 1);
            have_dict = true;
            pending = 0;
        }
        compile_expr(c, vals->items[i]);
        emit(c, OP_DICT_UPDATE, 1);
    }
    if (pending || !have_dict) {
        emit(c, OP_BUILD_MAP, pending);
        if (have_dict)
            emit(c, OP_DICT_UPDATE, 1);
    }
}

static int cmp_opcode(AstCmp op, uint32_t *arg)
{
    switch (op) {
    case AC_IN: *arg = 0; return OP_CONTAINS_OP;
    case AC_NOT_IN: *arg = 1; return OP_CONTAINS_OP;
    case AC_IS: *arg = 0; return OP_IS_OP;
    case AC_IS_NOT: *arg = 1; return OP_IS_OP;
    default: *arg = (uint32_t)op; return OP_COMPARE_OP;
    }
}

static void emit_compare(Compiler *c, AstCmp op)
{
    uint32_t arg;
    int opc = cmp_opcode(op, &arg);
    emit(c, opc, arg);
}

static void compile_compare(Compiler *c, Node *e)
{
    int n = e->u.cmp.comparators.n;
    compile_expr(c, e->u.cmp.left);
    if (n == 1) {
        compile_expr(c, e->u.cmp.comparators.items[0]);
        emit_compare(c, e->u.cmp.ops[0]);
        return;
    }
    int cleanup = new_label(c), end = new_label(c);
    for (int i = 0; i < n - 1; i++) {
        compile_expr(c, e->u.cmp.comparators.items[i]);
        emit(c, OP_DUP_TOP, 0);
        emit(c, OP_ROT_THREE, 0);
        emit_compare(c, e->u.cmp.ops[i]);
        emit_jump(c, OP_JUMP_IF_FALSE_OR_POP, cleanup);
    }
    compile_expr(c, e->u.cmp.comparators.items[n - 1]);
    emit_compare(c, e->u.cmp.ops[n - 1]);
    emit_jump(c, OP_JUMP_FORWARD, end);
    place_label(c, cleanup);
    emit(c, OP_ROT_TWO, 0);
    emit(c, OP_POP_TOP, 0);
    place_label(c, end);
}

static int const_truth(Compiler *c, Node *e)
{
    switch (e->kind) {
    case E_TRUE: return 1;
    case E_FALSE: case E_NONE: return 0;
    case E_INT: {
        Value v = parse_int_literal(c, e);
        return v != mn_int(0);
    }
    case E_STR: return e->u.lit.len != 0;
    default: return -1;
    }
}

/* Jump to `label` if bool(e) == cond; fall through otherwise. */
static void compile_jump_if(Compiler *c, Node *e, bool cond, int label)
{
    int saved = c->u->line;
    c->u->line = e->line;
    int k = const_truth(c, e);
    if (k >= 0) {
        if (k == (int)cond)
            emit_jump(c, OP_JUMP_FORWARD, label);
    } else if (e->kind == E_UNARY && e->u.un.op == AST_NOT) {
        compile_jump_if(c, e->u.un.operand, !cond, label);
    } else if (e->kind == E_BOOLOP) {
        NodeList *v = &e->u.boolop.values;
        bool is_and = e->u.boolop.is_and;
        if (is_and != cond) {
            /* `a and b` jumping on false (or `a or b` on true): any
             * operand deciding it jumps straight to label. */
            for (int i = 0; i < v->n; i++)
                compile_jump_if(c, v->items[i], cond, label);
        } else {
            int skip = new_label(c);
            for (int i = 0; i < v->n - 1; i++)
                compile_jump_if(c, v->items[i], !cond, skip);
            compile_jump_if(c, v->items[v->n - 1], cond, label);
            place_label(c, skip);
        }
    } else {
        compile_expr(c, e);
        emit_jump(c, cond ? OP_POP_JUMP_IF_TRUE : OP_POP_JUMP_IF_FALSE, label);
    }
    c->u->line = saved;
}

static void compile_boolop(Compiler *c, Node *e)
{
    int end = new_label(c);
    NodeList *v = &e->u.boolop.values;
    int op = e->u.boolop.is_and ? OP_JUMP_IF_FALSE_OR_POP : OP_JUMP_IF_TRUE_OR_POP;
    for (int i = 0; i < v->n - 1; i++) {
        compile_expr(c, v->items[i]);
        emit_jump(c, op, end);
    }
    compile_expr(c, v->items[v->n - 1]);
    place_label(c, end);
}

static void compile_fstring(Compiler *c, Node *e)
{
    NodeList *p = &e->u.seq.elts;
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        Node *x = p->items[i];
        if (x->kind == E_STR) {
            if (x->u.lit.len == 0)
                continue;
            emit_const(c, str_const(x->u.lit.s, x->u.lit.len));
            n++;
        } else if (x->kind == E_FORMATTED) {
            compile_expr(c, x->u.fmt.value);
            uint32_t flags = 0;
            switch (x->u.fmt.conv) {
            case 's': flags = FV_CONV_STR; break;
            case 'r': flags = FV_CONV_REPR; break;
            case 'a': flags = FV_CONV_ASCII; break;
            default: flags = 0; break;
            }
            if (x->u.fmt.spec) {
                compile_fstring(c, x->u.fmt.spec);
                flags |= FV_HAVE_SPEC;
            }
            emit(c, OP_FORMAT_VALUE, flags);
            n++;
        } else {
            compile_expr(c, x);
            n++;
        }
    }
    if (n == 0)
        emit_const(c, mn_intern(""));
    else if (n > 1)
        emit(c, OP_BUILD_STRING, n);
    else if (p->n >= 1 && p->items[0]->kind == E_STR && n == 1) {
        /* a single literal piece: already a str */
    }
}

static void compile_subscript_index(Compiler *c, Node *idx)
{
    if (idx->kind == E_SLICE) {
        int n = 2;
        if (idx->u.slice.lower)
            compile_expr(c, idx->u.slice.lower);
        else
            emit_const(c, mn_None);
        if (idx->u.slice.upper)
            compile_expr(c, idx->u.slice.upper);
        else
            emit_const(c, mn_None);
        if (idx->u.slice.step) {
            compile_expr(c, idx->u.slice.step);
            n = 3;
        }
        emit(c, OP_BUILD_SLICE, n);
    } else {
        compile_expr(c, idx);
    }
}

/* ---- calls --------------------------------------------------------- */

static void check_keywords(Compiler *c, NodeList *kws)
{
    for (int i = 0; i < kws->n; i++) {
        Node *k = kws->items[i];
        if (!k->u.kw.name)
            continue;
        for (int j = 0; j < i; j++) {
            Node *o = kws->items[j];
            if (o->u.kw.name && !strcmp(o->u.kw.name, k->u.kw.name))
                cerror(c, k->line, k->col, "keyword argument repeated: %s", k->u.kw.name);
        }
    }
}

static Value kwnames_tuple(Compiler *c, NodeList *kws)
{
    Value t = mn_tuple_new(kws->n);
    for (int i = 0; i < kws->n; i++)
        mn_tuple_items(t)[i] = mn_intern(kws->items[i]->u.kw.name);
    return t;
}

static bool super_call_possible(Compiler *c, Node *e, Value *first)
{
    Node *f = e->u.call.func;
    if (f->kind != E_NAME || strcmp(f->u.name.id, "super") || e->u.call.args.n ||
        e->u.call.keywords.n)
        return false;
    Unit *u = c->u;
    if (!unit_is_function(u))
        return false;
    /* `super` must be the builtin (not a local or free variable). */
    SymScope sc = mn_scope_name(u->scope, mn_intern("super"));
    if (sc != SYM_GLOBAL_IMPLICIT)
        return false;
    Value cls = mn_intern("__class__");
    SymScope cs = mn_scope_name(u->scope, cls);
    if (cs != SYM_FREE || slot_of(u, cls) < 0)
        return false;
    if (u->nslots == 0 || !(u->slot_kinds[0] & LK_PARAM))
        return false;
    *first = u->slot_names[0];
    return true;
}

static void compile_call(Compiler *c, Node *e)
{
    Node *func = e->u.call.func;
    NodeList *args = &e->u.call.args, *kws = &e->u.call.keywords;
    check_keywords(c, kws);
    bool star = has_starred(args), dstar = false;
    for (int i = 0; i < kws->n; i++)
        if (!kws->items[i]->u.kw.name)
            dstar = true;

    Value first;
    if (super_call_possible(c, e, &first)) {
        /* super() -> super(__class__, <first argument>) */
        compile_expr(c, func);
        compile_nameop_v(c, mn_intern("__class__"), NCTX_LOAD);
        compile_nameop_v(c, first, NCTX_LOAD);
        emit(c, OP_CALL, 2);
        return;
    }
    if (func->kind == E_ATTR && !star && !dstar) {
        compile_expr(c, func->u.attr.value);
        emit(c, OP_LOAD_METHOD, add_attr_cache(c, func->u.attr.name));
        for (int i = 0; i < args->n; i++)
            compile_expr(c, args->items[i]);
        for (int i = 0; i < kws->n; i++)
            compile_expr(c, kws->items[i]->u.kw.value);
        if (kws->n) {
            emit_const(c, kwnames_tuple(c, kws));
            emit(c, OP_CALL_METHOD_KW, args->n + kws->n);
        } else {
            emit(c, OP_CALL_METHOD, args->n);
        }
        return;
    }
    compile_expr(c, func);
    if (star || dstar) {
        if (args->n == 1 && star)
            compile_expr(c, args->items[0]->u.starred.value);
        else
            compile_starunpack(c, args, OP_BUILD_LIST, OP_LIST_APPEND, OP_LIST_EXTEND, false);
        if (kws->n == 0) {
            emit(c, OP_CALL_EX, 0);
            return;
        }
        bool have_dict = false;
        int pending = 0;
        for (int i = 0; i < kws->n; i++) {
            Node *k = kws->items[i];
            if (k->u.kw.name) {
                emit_const(c, mn_intern(k->u.kw.name));
                compile_expr(c, k->u.kw.value);
                pending++;
                continue;
            }
            if (pending) {
                emit(c, OP_BUILD_MAP, pending);
                if (have_dict)
                    emit(c, OP_DICT_MERGE, 1);
                have_dict = true;
                pending = 0;
            }
            if (!have_dict) {
                emit(c, OP_BUILD_MAP, 0);
                have_dict = true;
            }
            compile_expr(c, k->u.kw.value);
            emit(c, OP_DICT_MERGE, 1);
        }
        if (pending) {
            emit(c, OP_BUILD_MAP, pending);
            if (have_dict)
                emit(c, OP_DICT_MERGE, 1);
        }
        emit(c, OP_CALL_EX, CX_KWARGS);
        return;
    }
    for (int i = 0; i < args->n; i++)
        compile_expr(c, args->items[i]);
    for (int i = 0; i < kws->n; i++)
        compile_expr(c, kws->items[i]->u.kw.value);
    if (kws->n) {
        emit_const(c, kwnames_tuple(c, kws));
        emit(c, OP_CALL_KW, args->n + kws->n);
    } else {
        emit(c, OP_CALL, args->n);
    }
}

/* ---- nested code objects ------------------------------------------- */

typedef struct {
    Value name, qualname, doc;
    int argcount, kwonly, posonly;
    uint32_t flags;
} CodeInfo;

static CodeObject *assemble(Compiler *c, CodeInfo *info);

static void enter_unit(Compiler *c, Scope *scope, int firstlineno)
{
    Unit *u = gc_alloc(sizeof *u);
    u->parent = c->u;
    u->scope = scope;
    u->kind = mn_scope_kind(scope);
    u->cur_handler = -1;
    u->line = firstlineno;
    u->firstlineno = firstlineno;
    u->nslots = mn_scope_slots(scope, &u->slot_names, &u->slot_kinds, &u->nfree);
    c->u = u;
    for (int i = 0; i < u->nslots; i++)
        if (u->slot_kinds[i] & LK_CELL)
            emit(c, OP_MAKE_CELL, i);
}

static CodeObject *leave_unit(Compiler *c, CodeInfo *info)
{
    CodeObject *co = assemble(c, info);
    c->u = c->u->parent;
    return co;
}

static Scope *scope_for(Compiler *c, Node *n)
{
    Scope *s = mn_symtable_lookup(c->st, n);
    if (!s)
        cerror(c, n->line, n->col, "internal compiler error: no scope");
    return s;
}

/* Push the function made from `co` (closure cells from the current
 * unit); defaults etc. are already on the stack per `flags`. */
static void compile_make_function(Compiler *c, CodeObject *co, uint32_t flags)
{
    if (co->nfree) {
        Value *names = mn_tuple_items(co->localnames);
        for (int i = co->nlocalsplus - co->nfree; i < co->nlocalsplus; i++) {
            int slot = slot_of(c->u, names[i]);
            if (slot < 0)
                cerror(c, c->u->line, 1, "internal compiler error: no cell for '%s'",
                       mn_cstr(names[i]));
            emit(c, OP_LOAD_CLOSURE, slot);
        }
        emit(c, OP_BUILD_TUPLE, co->nfree);
        flags |= MF_CLOSURE;
    }
    emit_const(c, mn_val(co));
    emit(c, OP_MAKE_FUNCTION, flags);
}

static uint32_t compile_defaults(Compiler *c, Params *p)
{
    uint32_t flags = 0;
    int k = 0;
    for (int i = 0; i < p->npos; i++)
        if (p->pos[i].default_value) {
            compile_expr(c, p->pos[i].default_value);
            k++;
        }
    if (k) {
        emit(c, OP_BUILD_TUPLE, k);
        flags |= MF_DEFAULTS;
    }
    k = 0;
    for (int i = 0; i < p->nkwonly; i++)
        if (p->kwonly[i].default_value) {
            emit_const(c, mangled(c, p->kwonly[i].name));
            compile_expr(c, p->kwonly[i].default_value);
            k++;
        }
    if (k) {
        emit(c, OP_BUILD_MAP, k);
        flags |= MF_KWDEFAULTS;
    }
    return flags;
}

static void check_param_defaults(Compiler *c, Params *p)
{
    bool seen = false;
    for (int i = 0; i < p->npos; i++) {
        if (p->pos[i].default_value)
            seen = true;
        else if (seen)
            cerror(c, p->pos[i].line, p->pos[i].col,
                   "non-default argument follows default argument");
    }
}

static uint32_t param_flags(Params *p)
{
    uint32_t f = CO_FUNCTION;
    if (p->vararg)
        f |= CO_VARARGS;
    if (p->kwarg)
        f |= CO_VARKW;
    if (!p->vararg && !p->kwarg && p->nkwonly == 0)
        f |= CO_SIMPLE_ARGS;
    return f;
}

static Node *docstring_of(NodeList *body)
{
    if (body->n && body->items[0]->kind == S_EXPR &&
        body->items[0]->u.expr.value->kind == E_STR)
        return body->items[0]->u.expr.value;
    return NULL;
}

static void compile_decorators(Compiler *c, NodeList *d)
{
    for (int i = 0; i < d->n; i++)
        compile_expr(c, d->items[i]);
}

static void apply_decorators(Compiler *c, NodeList *d)
{
    for (int i = 0; i < d->n; i++)
        emit(c, OP_CALL, 1);
}

static void compile_def(Compiler *c, Node *s)
{
    Params *p = &s->u.func.params;
    check_param_defaults(c, p);
    compile_decorators(c, &s->u.func.decorators);
    uint32_t mflags = compile_defaults(c, p);
    Scope *scope = scope_for(c, s);
    int firstline = s->u.func.decorators.n ? s->u.func.decorators.items[0]->line : s->line;
    enter_unit(c, scope, firstline);
    c->u->line = s->line;
    Node *doc = docstring_of(&s->u.func.body);
    NodeList body = s->u.func.body;
    if (doc) {
        body.items++;
        body.n--;
    }
    compile_stmts(c, &body);
    emit_const(c, mn_None);
    emit(c, OP_RETURN_VALUE, 0);
    CodeInfo info = {
        .name = mn_intern(s->u.func.name),
        .qualname = mn_scope_qualname(scope),
        .doc = doc ? mn_str_new(doc->u.lit.s, doc->u.lit.len) : mn_None,
        .argcount = p->npos,
        .kwonly = p->nkwonly,
        .posonly = p->nposonly,
        .flags = param_flags(p),
    };
    CodeObject *co = leave_unit(c, &info);
    compile_make_function(c, co, mflags);
    apply_decorators(c, &s->u.func.decorators);
    compile_nameop(c, s->u.func.name, NCTX_STORE);
}

static void compile_lambda(Compiler *c, Node *e)
{
    Params *p = &e->u.func.params;
    check_param_defaults(c, p);
    uint32_t mflags = compile_defaults(c, p);
    Scope *scope = scope_for(c, e);
    enter_unit(c, scope, e->line);
    compile_expr(c, e->u.func.body_expr);
    emit(c, OP_RETURN_VALUE, 0);
    CodeInfo info = {
        .name = mn_intern("<lambda>"),
        .qualname = mn_scope_qualname(scope),
        .doc = mn_None,
        .argcount = p->npos,
        .kwonly = p->nkwonly,
        .posonly = p->nposonly,
        .flags = param_flags(p) | CO_LAMBDA,
    };
    CodeObject *co = leave_unit(c, &info);
    compile_make_function(c, co, mflags);
}

static void compile_class(Compiler *c, Node *s)
{
    for (int i = 0; i < s->u.cls.keywords.n; i++) {
        Node *k = s->u.cls.keywords.items[i];
        cerror(c, k->line, k->col, "class keyword arguments are not supported");
    }
    for (int i = 0; i < s->u.cls.bases.n; i++) {
        Node *b = s->u.cls.bases.items[i];
        if (b->kind == E_STARRED)
            cerror(c, b->line, b->col, "starred class bases are not supported");
    }
    compile_decorators(c, &s->u.cls.decorators);
    Scope *scope = scope_for(c, s);
    int firstline = s->u.cls.decorators.n ? s->u.cls.decorators.items[0]->line : s->line;
    enter_unit(c, scope, firstline);
    c->u->line = s->line;
    emit(c, OP_LOAD_NAME, add_name_v(c, MN_ID(__name__)));
    emit(c, OP_STORE_NAME, add_name_v(c, MN_ID(__module__)));
    emit_const(c, mn_scope_qualname(scope));
    emit(c, OP_STORE_NAME, add_name_v(c, MN_ID(__qualname__)));
    Node *doc = docstring_of(&s->u.cls.body);
    NodeList body = s->u.cls.body;
    if (doc) {
        emit_const(c, mn_str_new(doc->u.lit.s, doc->u.lit.len));
        emit(c, OP_STORE_NAME, add_name_v(c, MN_ID(__doc__)));
        body.items++;
        body.n--;
    }
    compile_stmts(c, &body);
    if (mn_scope_needs_class_cell(scope)) {
        emit(c, OP_LOAD_CLOSURE, slot_of(c->u, MN_ID(__class__)));
        emit(c, OP_STORE_NAME, add_name_v(c, mn_intern("__classcell__")));
    }
    emit_const(c, mn_None);
    emit(c, OP_RETURN_VALUE, 0);
    CodeInfo info = {
        .name = mn_intern(s->u.cls.name),
        .qualname = mn_scope_qualname(scope),
        .doc = mn_None,
        .flags = CO_CLASSBODY,
    };
    CodeObject *co = leave_unit(c, &info);
    compile_make_function(c, co, 0);
    emit_const(c, mn_intern(s->u.cls.name));
    for (int i = 0; i < s->u.cls.bases.n; i++)
        compile_expr(c, s->u.cls.bases.items[i]);
    emit(c, OP_BUILD_CLASS, s->u.cls.bases.n);
    apply_decorators(c, &s->u.cls.decorators);
    compile_nameop(c, s->u.cls.name, NCTX_STORE);
}

static void compile_comp_generator(Compiler *c, Node *e, int i)
{
    NodeList *gens = &e->u.comp.generators;
    Node *g = gens->items[i];
    if (i == 0) {
        emit(c, OP_LOAD_FAST, 0);   /* .0: the outermost iterator */
    } else {
        compile_expr(c, g->u.gen.iter);
        emit(c, OP_GET_ITER, 0);
    }
    int start = new_label(c), anchor = new_label(c);
    place_label(c, start);
    c->u->line = g->line;
    emit_jump(c, OP_FOR_ITER, anchor);
    compile_store(c, g->u.gen.target);
    for (int k = 0; k < g->u.gen.ifs.n; k++)
        compile_jump_if(c, g->u.gen.ifs.items[k], false, start);
    if (i + 1 < gens->n) {
        compile_comp_generator(c, e, i + 1);
    } else {
        int depth = gens->n + 1;
        switch (e->kind) {
        case E_DICTCOMP:
            compile_expr(c, e->u.comp.elt);
            compile_expr(c, e->u.comp.elt2);
            emit(c, OP_MAP_ADD, depth);
            break;
        case E_SETCOMP:
            compile_expr(c, e->u.comp.elt);
            emit(c, OP_SET_ADD, depth);
            break;
        default:
            compile_expr(c, e->u.comp.elt);
            emit(c, OP_LIST_APPEND, depth);
            break;
        }
    }
    emit_jump(c, OP_JUMP_FORWARD, start);
    place_label(c, anchor);
}

static void compile_comprehension(Compiler *c, Node *e)
{
    Scope *scope = scope_for(c, e);
    const char *name = e->kind == E_LISTCOMP ? "<listcomp>" : e->kind == E_SETCOMP ? "<setcomp>"
                       : e->kind == E_DICTCOMP ? "<dictcomp>" : "<genexpr>";
    enter_unit(c, scope, e->line);
    c->u->line = e->line;
    if (e->kind == E_DICTCOMP)
        emit(c, OP_BUILD_MAP, 0);
    else if (e->kind == E_SETCOMP)
        emit(c, OP_BUILD_SET, 0);
    else
        emit(c, OP_BUILD_LIST, 0);
    compile_comp_generator(c, e, 0);
    emit(c, OP_RETURN_VALUE, 0);
    CodeInfo info = {
        .name = mn_intern(name),
        .qualname = mn_scope_qualname(scope),
        .doc = mn_None,
        .argcount = 1,
        .flags = CO_FUNCTION | CO_COMPREHENSION | CO_SIMPLE_ARGS,
    };
    CodeObject *co = leave_unit(c, &info);
    compile_make_function(c, co, 0);
    compile_expr(c, e->u.comp.generators.items[0]->u.gen.iter);
    emit(c, OP_GET_ITER, 0);
    emit(c, OP_CALL, 1);
    if (e->kind == E_GENEXP)
        emit(c, OP_GET_ITER, 0);    /* eager generator expression */
}

/* ---- the expression dispatcher -------------------------------------- */

static void compile_expr(Compiler *c, Node *e)
{
    Unit *u = c->u;
    int saved_line = u->line;
    u->line = e->line;
    if (++c->nesting > 1500)
        cerror(c, e->line, e->col, "too many nested parentheses");

    Value k;
    switch (e->kind) {
    case E_NAME:
        compile_nameop(c, e->u.name.id, NCTX_LOAD);
        break;
    case E_INT: case E_FLOAT: case E_STR: case E_BYTES: case E_TRUE:
    case E_FALSE: case E_NONE: case E_ELLIPSIS:
        emit_const(c, const_value(c, e));
        break;
    case E_FSTRING:
        compile_fstring(c, e);
        break;
    case E_FORMATTED: {
        Node tmp = {.kind = E_FSTRING, .line = e->line, .col = e->col};
        Node *items[1] = {e};
        tmp.u.seq.elts.items = items;
        tmp.u.seq.elts.n = 1;
        compile_fstring(c, &tmp);
        break;
    }
    case E_BINOP: {
        compile_expr(c, e->u.bin.left);
        compile_expr(c, e->u.bin.right);
        switch (e->u.bin.op) {
        case OP_ADD: emit(c, OP_BINARY_ADD, 0); break;
        case OP_SUB: emit(c, OP_BINARY_SUB, 0); break;
        case OP_MUL: emit(c, OP_BINARY_MUL, 0); break;
        case OP_FLOORDIV: emit(c, OP_BINARY_FLOORDIV, 0); break;
        case OP_MOD: emit(c, OP_BINARY_MOD, 0); break;
        default: emit(c, OP_BINARY_OP, e->u.bin.op); break;
        }
        break;
    }
    case E_UNARY:
        if ((k = const_value(c, e))) {
            emit_const(c, k);
            break;
        }
        compile_expr(c, e->u.un.operand);
        switch (e->u.un.op) {
        case AST_NOT: emit(c, OP_UNARY_NOT, 0); break;
        case UOP_NEG: emit(c, OP_UNARY_NEG, 0); break;
        case UOP_POS: emit(c, OP_UNARY_POS, 0); break;
        default: emit(c, OP_UNARY_INVERT, 0); break;
        }
        break;
    case E_BOOLOP:
        compile_boolop(c, e);
        break;
    case E_COMPARE:
        compile_compare(c, e);
        break;
    case E_IFEXP: {
        int orelse = new_label(c), end = new_label(c);
        compile_jump_if(c, e->u.ifexp.test, false, orelse);
        compile_expr(c, e->u.ifexp.body);
        emit_jump(c, OP_JUMP_FORWARD, end);
        place_label(c, orelse);
        compile_expr(c, e->u.ifexp.orelse);
        place_label(c, end);
        break;
    }
    case E_CALL:
        compile_call(c, e);
        break;
    case E_ATTR:
        compile_expr(c, e->u.attr.value);
        emit(c, OP_LOAD_ATTR, add_attr_cache(c, e->u.attr.name));
        break;
    case E_SUBSCRIPT:
        compile_expr(c, e->u.sub.value);
        compile_subscript_index(c, e->u.sub.index);
        emit(c, OP_BINARY_SUBSCR, 0);
        break;
    case E_SLICE:
        compile_subscript_index(c, e);
        break;
    case E_STARRED:
        cerror(c, e->line, e->col, "can't use starred expression here");
    case E_TUPLE:
        if ((k = const_value(c, e))) {
            emit_const(c, k);
            break;
        }
        compile_starunpack(c, &e->u.seq.elts, OP_BUILD_LIST, OP_LIST_APPEND,
                           OP_LIST_EXTEND, true);
        break;
    case E_LIST:
        compile_starunpack(c, &e->u.seq.elts, OP_BUILD_LIST, OP_LIST_APPEND,
                           OP_LIST_EXTEND, false);
        break;
    case E_SET:
        if ((k = const_frozenset(c, &e->u.seq.elts))) {
            /* As CPython: {1, 2, 3} is BUILD_SET 0 + a frozenset constant
             * merged in, which fixes the iteration order users see. */
            emit(c, OP_BUILD_SET, 0);
            emit_const(c, k);
            emit(c, OP_SET_UPDATE, 1);
            break;
        }
        compile_starunpack(c, &e->u.seq.elts, OP_BUILD_SET, OP_SET_ADD,
                           OP_SET_UPDATE, false);
        break;
    case E_DICT:
        compile_dict(c, e);
        break;
    case E_LISTCOMP: case E_SETCOMP: case E_GENEXP: case E_DICTCOMP:
        compile_comprehension(c, e);
        break;
    case E_LAMBDA:
        compile_lambda(c, e);
        break;
    case E_NAMEDEXPR:
        compile_expr(c, e->u.named.value);
        emit(c, OP_DUP_TOP, 0);
        compile_store(c, e->u.named.target);
        break;
    default:
        cerror(c, e->line, e->col, "invalid syntax");
    }
    c->nesting--;
    u->line = saved_line;
}

/* ------------------------------------------------------------------ */
/* assignment targets                                                  */
/* ------------------------------------------------------------------ */

static const char *describe_expr(Node *e)
{
    switch (e->kind) {
    case E_INT: case E_FLOAT: case E_STR: case E_BYTES: return "literal";
    case E_TRUE: return "True";
    case E_FALSE: return "False";
    case E_NONE: return "None";
    case E_ELLIPSIS: return "ellipsis";
    case E_FSTRING: case E_FORMATTED: return "f-string expression";
    case E_CALL: return "function call";
    case E_COMPARE: return "comparison";
    case E_IFEXP: return "conditional expression";
    case E_LAMBDA: return "lambda";
    case E_DICT: return "dict literal";
    case E_SET: return "set display";
    case E_LISTCOMP: return "list comprehension";
    case E_SETCOMP: return "set comprehension";
    case E_DICTCOMP: return "dict comprehension";
    case E_GENEXP: return "generator expression";
    case E_NAMEDEXPR: return "named expression";
    case E_KEYWORD: return "keyword";
    default: return "expression";
    }
}

static bool is_valid_target(Node *t)
{
    switch (t->kind) {
    case E_NAME: case E_ATTR: case E_SUBSCRIPT:
        return true;
    case E_STARRED:
        return is_valid_target(t->u.starred.value);
    case E_TUPLE: case E_LIST:
        for (int i = 0; i < t->u.seq.elts.n; i++)
            if (!is_valid_target(t->u.seq.elts.items[i]))
                return false;
        return true;
    default:
        return false;
    }
}

static Node *first_invalid_target(Node *t)
{
    if (t->kind == E_TUPLE || t->kind == E_LIST) {
        for (int i = 0; i < t->u.seq.elts.n; i++) {
            Node *x = first_invalid_target(t->u.seq.elts.items[i]);
            if (x)
                return x;
        }
        return NULL;
    }
    if (t->kind == E_STARRED)
        return first_invalid_target(t->u.starred.value);
    return is_valid_target(t) ? NULL : t;
}

static void compile_unpack(Compiler *c, Node *t)
{
    NodeList *elts = &t->u.seq.elts;
    int star = -1;
    for (int i = 0; i < elts->n; i++) {
        if (elts->items[i]->kind == E_STARRED) {
            if (star >= 0)
                cerror(c, elts->items[i]->line, elts->items[i]->col,
                       "multiple starred expressions in assignment");
            star = i;
        }
    }
    if (star >= 0) {
        int before = star, after = elts->n - star - 1;
        if (before > 0xfff || after > 0xfff)
            cerror(c, t->line, t->col, "too many expressions in star-unpacking assignment");
        emit(c, OP_UNPACK_EX, (uint32_t)before | ((uint32_t)after << 12));
    } else {
        emit(c, OP_UNPACK_SEQUENCE, elts->n);
    }
    for (int i = 0; i < elts->n; i++) {
        Node *x = elts->items[i];
        compile_store(c, x->kind == E_STARRED ? x->u.starred.value : x);
    }
}

static void compile_store(Compiler *c, Node *t)
{
    int saved = c->u->line;
    c->u->line = t->line;
    switch (t->kind) {
    case E_NAME:
        if (!strcmp(t->u.name.id, "__debug__"))
            cerror(c, t->line, t->col, "cannot assign to __debug__");
        compile_nameop(c, t->u.name.id, NCTX_STORE);
        break;
    case E_ATTR:
        compile_expr(c, t->u.attr.value);
        emit(c, OP_STORE_ATTR, add_attr_cache(c, t->u.attr.name));
        break;
    case E_SUBSCRIPT:
        compile_expr(c, t->u.sub.value);
        compile_subscript_index(c, t->u.sub.index);
        emit(c, OP_STORE_SUBSCR, 0);
        break;
    case E_TUPLE: case E_LIST:
        compile_unpack(c, t);
        break;
    case E_STARRED:
        cerror(c, t->line, t->col, "starred assignment target must be in a list or tuple");
    default:
        cerror(c, t->line, t->col, "cannot assign to %s", describe_expr(t));
    }
    c->u->line = saved;
}

static void check_target(Compiler *c, Node *t, bool assign_stmt)
{
    Node *bad = first_invalid_target(t);
    if (!bad)
        return;
    const char *what = describe_expr(bad);
    if (assign_stmt && bad->kind != E_TRUE && bad->kind != E_FALSE && bad->kind != E_NONE)
        cerror(c, bad->line, bad->col,
               "cannot assign to %s here. Maybe you meant '==' instead of '='?", what);
    cerror(c, bad->line, bad->col, "cannot assign to %s", what);
}

static void compile_del_target(Compiler *c, Node *t)
{
    switch (t->kind) {
    case E_NAME:
        compile_nameop(c, t->u.name.id, NCTX_DEL);
        break;
    case E_ATTR:
        compile_expr(c, t->u.attr.value);
        emit(c, OP_DELETE_ATTR, add_name(c, t->u.attr.name));
        break;
    case E_SUBSCRIPT:
        compile_expr(c, t->u.sub.value);
        compile_subscript_index(c, t->u.sub.index);
        emit(c, OP_DELETE_SUBSCR, 0);
        break;
    case E_TUPLE: case E_LIST:
        for (int i = 0; i < t->u.seq.elts.n; i++)
            compile_del_target(c, t->u.seq.elts.items[i]);
        break;
    default:
        cerror(c, t->line, t->col, "cannot delete %s", describe_expr(t));
    }
}

/* ------------------------------------------------------------------ */
/* statements                                                          */
/* ------------------------------------------------------------------ */

static void compile_assign(Compiler *c, Node *s)
{
    NodeList *targets = &s->u.assign.targets;
    Node *value = s->u.assign.value;
    for (int i = 0; i < targets->n; i++)
        check_target(c, targets->items[i], true);
    /* a, b = b, a  without building a tuple */
    if (targets->n == 1) {
        Node *t = targets->items[0];
        if ((t->kind == E_TUPLE || t->kind == E_LIST) &&
            (value->kind == E_TUPLE || value->kind == E_LIST) &&
            !has_starred(&t->u.seq.elts) && !has_starred(&value->u.seq.elts) &&
            t->u.seq.elts.n == value->u.seq.elts.n &&
            (t->u.seq.elts.n == 2 || t->u.seq.elts.n == 3)) {
            int n = t->u.seq.elts.n;
            for (int i = 0; i < n; i++)
                compile_expr(c, value->u.seq.elts.items[i]);
            if (n == 3)
                emit(c, OP_ROT_THREE, 0);
            emit(c, OP_ROT_TWO, 0);
            for (int i = 0; i < n; i++)
                compile_store(c, t->u.seq.elts.items[i]);
            return;
        }
    }
    compile_expr(c, value);
    for (int i = 0; i < targets->n; i++) {
        if (i < targets->n - 1)
            emit(c, OP_DUP_TOP, 0);
        compile_store(c, targets->items[i]);
    }
}

static void emit_inplace(Compiler *c, int op)
{
    if (op == OP_ADD)
        emit(c, OP_INPLACE_ADD, 0);
    else if (op == OP_SUB)
        emit(c, OP_INPLACE_SUB, 0);
    else
        emit(c, OP_INPLACE_OP, op);
}

static void compile_augassign(Compiler *c, Node *s)
{
    Node *t = s->u.aug.target;
    switch (t->kind) {
    case E_NAME:
        compile_nameop(c, t->u.name.id, NCTX_LOAD);
        compile_expr(c, s->u.aug.value);
        emit_inplace(c, s->u.aug.op);
        compile_nameop(c, t->u.name.id, NCTX_STORE);
        break;
    case E_ATTR:
        compile_expr(c, t->u.attr.value);
        emit(c, OP_DUP_TOP, 0);
        emit(c, OP_LOAD_ATTR, add_attr_cache(c, t->u.attr.name));
        compile_expr(c, s->u.aug.value);
        emit_inplace(c, s->u.aug.op);
        emit(c, OP_ROT_TWO, 0);
        emit(c, OP_STORE_ATTR, add_attr_cache(c, t->u.attr.name));
        break;
    case E_SUBSCRIPT:
        compile_expr(c, t->u.sub.value);
        compile_subscript_index(c, t->u.sub.index);
        emit(c, OP_DUP_TOP_TWO, 0);
        emit(c, OP_BINARY_SUBSCR, 0);
        compile_expr(c, s->u.aug.value);
        emit_inplace(c, s->u.aug.op);
        emit(c, OP_ROT_THREE, 0);
        emit(c, OP_STORE_SUBSCR, 0);
        break;
    default:
        cerror(c, t->line, t->col, "'%s' is an illegal expression for augmented assignment",
               describe_expr(t));
    }
}

static void compile_if(Compiler *c, Node *s)
{
    int end = new_label(c);
    int orelse = s->u.cond.orelse.n ? new_label(c) : end;
    compile_jump_if(c, s->u.cond.test, false, orelse);
    compile_stmts(c, &s->u.cond.body);
    if (s->u.cond.orelse.n) {
        emit_jump(c, OP_JUMP_FORWARD, end);
        place_label(c, orelse);
        compile_stmts(c, &s->u.cond.orelse);
    }
    place_label(c, end);
}

static void compile_while(Compiler *c, Node *s)
{
    int body = new_label(c), cont = new_label(c), orelse = new_label(c), end = new_label(c);
    Node *test = s->u.cond.test;
    int truth = const_truth(c, test);
    if (truth == 0) {
        /* while False: only the else clause runs */
        compile_stmts(c, &s->u.cond.orelse);
        return;
    }
    if (truth < 0)
        compile_jump_if(c, test, false, orelse);
    place_label(c, body);
    push_fblock(c, FB_WHILE, truth > 0 ? body : cont, end);
    compile_stmts(c, &s->u.cond.body);
    pop_fblock(c);
    place_label(c, cont);
    if (truth > 0)
        emit_jump(c, OP_JUMP_FORWARD, body);
    else
        compile_jump_if(c, test, true, body);   /* loop inversion */
    place_label(c, orelse);
    compile_stmts(c, &s->u.cond.orelse);
    place_label(c, end);
}

static void compile_for(Compiler *c, Node *s)
{
    int start = new_label(c), cleanup = new_label(c), end = new_label(c);
    check_target(c, s->u.forl.target, false);
    compile_expr(c, s->u.forl.iter);
    emit(c, OP_GET_ITER, 0);
    place_label(c, start);
    c->u->line = s->line;
    emit_jump(c, OP_FOR_ITER, cleanup);
    c->u->depth++;
    push_fblock(c, FB_FOR, start, end);
    compile_store(c, s->u.forl.target);
    compile_stmts(c, &s->u.forl.body);
    pop_fblock(c);
    c->u->line = s->line;
    emit_jump(c, OP_JUMP_FORWARD, start);
    c->u->depth--;
    place_label(c, cleanup);
    compile_stmts(c, &s->u.forl.orelse);
    place_label(c, end);
}

static void compile_return(Compiler *c, Node *s)
{
    Unit *u = c->u;
    if (!unit_is_function(u))
        cerror(c, s->line, s->col, "'return' outside function");
    Node *v = s->u.expr.value;
    int saved_depth = u->depth, saved_handler = u->cur_handler;
    bool preserve = v != NULL;
    if (v) {
        compile_expr(c, v);
        u->depth++;
    }
    unwind_fblock_stack(c, preserve, NULL);
    if (!v)
        emit_const(c, mn_None);
    emit(c, OP_RETURN_VALUE, 0);
    u->depth = saved_depth;
    u->cur_handler = saved_handler;
}

static void compile_break_continue(Compiler *c, Node *s, bool is_break)
{
    Unit *u = c->u;
    int saved_depth = u->depth, saved_handler = u->cur_handler;
    FBlock *loop = NULL;
    if (!unwind_fblock_stack(c, false, &loop) || !loop) {
        if (is_break)
            cerror(c, s->line, s->col, "'break' outside loop");
        cerror(c, s->line, s->col, "'continue' not properly in loop");
    }
    if (is_break) {
        if (loop->type == FB_FOR)
            emit(c, OP_POP_TOP, 0);
        emit_jump(c, OP_JUMP_FORWARD, loop->exit);
    } else {
        emit_jump(c, OP_JUMP_FORWARD, loop->start);
    }
    u->depth = saved_depth;
    u->cur_handler = saved_handler;
}

static void compile_try_except(Compiler *c, Node *s)
{
    Unit *u = c->u;
    int outer = u->cur_handler;
    int H = new_label(c), Hc = new_label(c), end = new_label(c);
    int h = new_handler(c, H, u->depth);

    push_fblock(c, FB_TRY_EXCEPT, -1, -1);
    u->cur_handler = h;
    compile_stmts(c, &s->u.try_.body);
    pop_fblock(c);
    u->cur_handler = outer;
    compile_stmts(c, &s->u.try_.orelse);
    emit_jump(c, OP_JUMP_FORWARD, end);

    place_label(c, H);
    int hc = new_handler(c, Hc, u->depth + 1);
    u->cur_handler = hc;
    NodeList *hs = &s->u.try_.handlers;
    if (hs->n)
        u->line = hs->items[0]->line;
    emit(c, OP_PUSH_EXC_INFO, 0);
    for (int i = 0; i < hs->n; i++) {
        Node *hd = hs->items[i];
        u->line = hd->line;
        if (!hd->u.handler.type && i < hs->n - 1)
            cerror(c, hd->line, hd->col, "default 'except:' must be last");
        int next = new_label(c);
        if (hd->u.handler.type) {
            compile_expr(c, hd->u.handler.type);
            emit(c, OP_CHECK_EXC_MATCH, 0);
            emit_jump(c, OP_POP_JUMP_IF_FALSE, next);
        }
        const char *name = hd->u.handler.name;
        if (name) {
            compile_nameop(c, name, NCTX_STORE);
            int Hn = new_label(c);
            int hn = new_handler(c, Hn, u->depth + 1);
            u->cur_handler = hn;
            FBlock *fb = push_fblock(c, FB_HANDLER_CLEANUP, -1, -1);
            fb->name = name;
            fb->outer_handler = outer;
            u->depth++;
            compile_stmts(c, &hd->u.handler.body);
            u->depth--;
            pop_fblock(c);
            u->cur_handler = hc;
            emit_const(c, mn_None);
            compile_nameop(c, name, NCTX_STORE);
            compile_nameop(c, name, NCTX_DEL);
            u->cur_handler = outer;
            emit(c, OP_POP_EXCEPT, 0);
            emit_jump(c, OP_JUMP_FORWARD, end);
            /* exception inside the handler body: unbind the name, re-raise */
            u->cur_handler = hc;
            place_label(c, Hn);
            emit_const(c, mn_None);
            compile_nameop(c, name, NCTX_STORE);
            compile_nameop(c, name, NCTX_DEL);
            emit(c, OP_RERAISE, 0);
        } else {
            emit(c, OP_POP_TOP, 0);
            FBlock *fb = push_fblock(c, FB_HANDLER_CLEANUP, -1, -1);
            fb->outer_handler = outer;
            u->depth++;
            compile_stmts(c, &hd->u.handler.body);
            u->depth--;
            pop_fblock(c);
            u->cur_handler = outer;
            emit(c, OP_POP_EXCEPT, 0);
            emit_jump(c, OP_JUMP_FORWARD, end);
            u->cur_handler = hc;
        }
        place_label(c, next);
    }
    emit(c, OP_RERAISE, 0);
    place_label(c, Hc);
    u->cur_handler = outer;
    emit(c, OP_POP_EXCEPT_RERAISE, 0);
    place_label(c, end);
}

static void compile_try_finally(Compiler *c, Node *s)
{
    Unit *u = c->u;
    int outer = u->cur_handler;
    int H = new_label(c), Hc = new_label(c), end = new_label(c);
    int h = new_handler(c, H, u->depth);

    FBlock *fb = push_fblock(c, FB_FINALLY_TRY, -1, -1);
    fb->finalbody = &s->u.try_.finalbody;
    u->cur_handler = h;
    if (s->u.try_.handlers.n)
        compile_try_except(c, s);
    else
        compile_stmts(c, &s->u.try_.body);
    pop_fblock(c);
    u->cur_handler = outer;
    compile_stmts(c, &s->u.try_.finalbody);
    emit_jump(c, OP_JUMP_FORWARD, end);

    place_label(c, H);
    int hc = new_handler(c, Hc, u->depth + 1);
    u->cur_handler = hc;
    emit(c, OP_PUSH_EXC_INFO, 0);
    u->depth += 2;
    fb = push_fblock(c, FB_FINALLY_END, -1, -1);
    fb->outer_handler = outer;
    compile_stmts(c, &s->u.try_.finalbody);
    pop_fblock(c);
    u->depth -= 2;
    emit(c, OP_RERAISE, 0);
    place_label(c, Hc);
    u->cur_handler = outer;
    emit(c, OP_POP_EXCEPT_RERAISE, 0);
    place_label(c, end);
}

static void compile_with(Compiler *c, Node *s, int i)
{
    Unit *u = c->u;
    Node *item = s->u.with.items.items[i];
    int outer = u->cur_handler;
    int H = new_label(c), Hc = new_label(c), suppress = new_label(c), end = new_label(c);

    compile_expr(c, item->u.withitem.expr);
    u->line = item->line;
    emit(c, OP_BEFORE_WITH, 0);
    u->depth++;
    int h = new_handler(c, H, u->depth);
    u->cur_handler = h;
    push_fblock(c, FB_WITH, -1, -1);
    if (item->u.withitem.target) {
        check_target(c, item->u.withitem.target, false);
        compile_store(c, item->u.withitem.target);
    } else {
        emit(c, OP_POP_TOP, 0);
    }
    if (i + 1 < s->u.with.items.n)
        compile_with(c, s, i + 1);
    else
        compile_stmts(c, &s->u.with.body);
    pop_fblock(c);
    u->cur_handler = outer;
    u->line = s->line;
    emit_const(c, mn_None);
    emit_const(c, mn_None);
    emit_const(c, mn_None);
    emit(c, OP_CALL, 3);
    emit(c, OP_POP_TOP, 0);
    u->depth--;
    emit_jump(c, OP_JUMP_FORWARD, end);

    place_label(c, H);
    int hc = new_handler(c, Hc, u->depth + 2);
    u->cur_handler = hc;
    emit(c, OP_PUSH_EXC_INFO, 0);
    emit(c, OP_WITH_EXCEPT_START, 0);
    emit_jump(c, OP_POP_JUMP_IF_TRUE, suppress);
    emit(c, OP_RERAISE, 0);
    place_label(c, suppress);
    emit(c, OP_POP_TOP, 0);
    u->cur_handler = outer;
    emit(c, OP_POP_EXCEPT, 0);
    emit(c, OP_POP_TOP, 0);
    emit_jump(c, OP_JUMP_FORWARD, end);
    place_label(c, Hc);
    emit(c, OP_POP_EXCEPT_RERAISE, 0);
    place_label(c, end);
}

static void compile_import(Compiler *c, Node *s)
{
    for (int i = 0; i < s->u.import.naliases; i++) {
        Alias *a = &s->u.import.aliases[i];
        c->u->line = a->line ? a->line : s->line;
        emit_const(c, mn_int(0));
        emit_const(c, a->asname ? mn_empty_tuple : mn_None);
        emit(c, OP_IMPORT_NAME, add_name_v(c, mn_intern(a->name)));
        if (a->asname) {
            compile_nameop(c, a->asname, NCTX_STORE);
        } else {
            const char *dot = strchr(a->name, '.');
            compile_nameop(c, dot ? gc_strndup(a->name, dot - a->name) : a->name,
                           NCTX_STORE);
        }
    }
}

static void compile_importfrom(Compiler *c, Node *s)
{
    int n = s->u.import.naliases;
    Value fromlist = mn_tuple_new(n);
    for (int i = 0; i < n; i++)
        mn_tuple_items(fromlist)[i] = mn_intern(s->u.import.aliases[i].name);
    emit_const(c, mn_int(s->u.import.level));
    emit_const(c, fromlist);
    const char *mod = s->u.import.module ? s->u.import.module : "";
    emit(c, OP_IMPORT_NAME, add_name_v(c, mn_intern(mod)));
    if (n == 1 && !strcmp(s->u.import.aliases[0].name, "*")) {
        emit(c, OP_IMPORT_STAR, 0);
        return;
    }
    for (int i = 0; i < n; i++) {
        Alias *a = &s->u.import.aliases[i];
        emit(c, OP_IMPORT_FROM, add_name_v(c, mn_intern(a->name)));
        compile_nameop(c, a->asname ? a->asname : a->name, NCTX_STORE);
    }
    emit(c, OP_POP_TOP, 0);
}

static void compile_stmt(Compiler *c, Node *s)
{
    Unit *u = c->u;
    u->line = s->line;
    switch (s->kind) {
    case S_EXPR: {
        Node *v = s->u.expr.value;
        if (c->mode == MN_COMPILE_INTERACTIVE && u->kind == SCOPE_MODULE) {
            compile_expr(c, v);
            emit(c, OP_PRINT_EXPR, 0);
            break;
        }
        if (v->kind == E_STR || v->kind == E_INT || v->kind == E_FLOAT ||
            v->kind == E_NONE || v->kind == E_TRUE || v->kind == E_FALSE ||
            v->kind == E_ELLIPSIS || v->kind == E_BYTES)
            break;      /* no effect */
        compile_expr(c, v);
        emit(c, OP_POP_TOP, 0);
        break;
    }
    case S_ASSIGN:
        compile_assign(c, s);
        break;
    case S_AUGASSIGN:
        compile_augassign(c, s);
        break;
    case S_ANNASSIGN:
        if (s->u.ann.value) {
            check_target(c, s->u.ann.target, true);
            compile_expr(c, s->u.ann.value);
            compile_store(c, s->u.ann.target);
        }
        break;
    case S_IF:
        compile_if(c, s);
        break;
    case S_WHILE:
        compile_while(c, s);
        break;
    case S_FOR:
        compile_for(c, s);
        break;
    case S_BREAK:
        compile_break_continue(c, s, true);
        break;
    case S_CONTINUE:
        compile_break_continue(c, s, false);
        break;
    case S_PASS: case S_GLOBAL: case S_NONLOCAL:
        break;
    case S_RETURN:
        compile_return(c, s);
        break;
    case S_DEF:
        compile_def(c, s);
        break;
    case S_CLASS:
        compile_class(c, s);
        break;
    case S_IMPORT:
        compile_import(c, s);
        break;
    case S_IMPORTFROM:
        compile_importfrom(c, s);
        break;
    case S_TRY:
        if (s->u.try_.finalbody.n)
            compile_try_finally(c, s);
        else
            compile_try_except(c, s);
        break;
    case S_RAISE: {
        int n = 0;
        if (s->u.raise.exc) {
            compile_expr(c, s->u.raise.exc);
            n = 1;
            if (s->u.raise.cause) {
                compile_expr(c, s->u.raise.cause);
                n = 2;
            }
        }
        emit(c, OP_RAISE_VARARGS, n);
        break;
    }
    case S_WITH:
        compile_with(c, s, 0);
        break;
    case S_ASSERT: {
        int end = new_label(c);
        compile_jump_if(c, s->u.assert_.test, true, end);
        emit(c, OP_LOAD_ASSERTION_ERROR, 0);
        if (s->u.assert_.msg) {
            compile_expr(c, s->u.assert_.msg);
            emit(c, OP_CALL, 1);
        }
        emit(c, OP_RAISE_VARARGS, 1);
        place_label(c, end);
        break;
    }
    case S_DEL:
        for (int i = 0; i < s->u.seq.elts.n; i++)
            compile_del_target(c, s->u.seq.elts.items[i]);
        break;
    default:
        cerror(c, s->line, s->col, "invalid syntax");
    }
}

static void compile_stmts(Compiler *c, NodeList *l)
{
    if (++c->nesting > 1500)
        cerror(c, c->u->line, 1, "too many statically nested blocks");
    for (int i = 0; i < l->n; i++)
        compile_stmt(c, l->items[i]);
    c->nesting--;
}

/* ------------------------------------------------------------------ */
/* assembly                                                            */
/* ------------------------------------------------------------------ */

static int popcount_flags(uint32_t f)
{
    return !!(f & MF_DEFAULTS) + !!(f & MF_KWDEFAULTS) + !!(f & MF_CLOSURE);
}

/* Net stack effect of an instruction: on the fall-through path, or (jump)
 * when its jump is taken.  The fixed effects come from the opcode table;
 * this computes the MN_VAR ones. */
int mn_stack_effect(int op, uint32_t arg, bool jump)
{
    static const signed char pops[] = {
#define POPS(name, kind, pop, push) pop,
        MN_OPCODES(POPS)
#undef POPS
    };
    static const signed char pushes[] = {
#define PUSHES(name, kind, pop, push) push,
        MN_OPCODES(PUSHES)
#undef PUSHES
    };
    switch (op) {
    case OP_BUILD_SLICE: return 1 - (int)arg;
    case OP_JUMP_IF_FALSE_OR_POP:
    case OP_JUMP_IF_TRUE_OR_POP: return jump ? 0 : -1;
    case OP_FOR_ITER: return jump ? -1 : 1;
    case OP_CALL: return -(int)arg;
    case OP_CALL_KW: return -(int)arg - 1;
    case OP_CALL_METHOD: return -(int)arg - 1;
    case OP_CALL_METHOD_KW: return -(int)arg - 2;
    case OP_CALL_EX: return (arg & CX_KWARGS) ? -2 : -1;
    case OP_MAKE_FUNCTION: return -popcount_flags(arg);
    case OP_BUILD_CLASS: return -1 - (int)arg;
    case OP_BUILD_TUPLE: case OP_BUILD_LIST: case OP_BUILD_SET:
    case OP_BUILD_STRING: return 1 - (int)arg;
    case OP_BUILD_MAP: return 1 - 2 * (int)arg;
    case OP_UNPACK_SEQUENCE: return (int)arg - 1;
    case OP_UNPACK_EX: return (int)(arg & 0xfff) + (int)(arg >> 12);
    case OP_FORMAT_VALUE: return (arg & FV_HAVE_SPEC) ? -1 : 0;
    case OP_RAISE_VARARGS: return -(int)arg;
    default:
        return pushes[op] - pops[op];
    }
}

static bool is_terminal(int op)
{
    return op == OP_JUMP_FORWARD || op == OP_JUMP_BACKWARD || op == OP_RETURN_VALUE ||
           op == OP_RAISE_VARARGS || op == OP_RERAISE || op == OP_POP_EXCEPT_RERAISE;
}

typedef struct {
    int *depth;
    int *work;
    int nwork;
    int max;
} DepthState;

static void depth_push(Compiler *c, DepthState *ds, int target, int d)
{
    if (target < 0 || target >= c->u->n)
        cerror(c, c->u->line, 1, "internal compiler error: bad jump target");
    if (d < 0)
        cerror(c, c->u->instrs[target].line, 1, "internal compiler error: negative stack depth");
    if (ds->depth[target] >= 0) {
        if (ds->depth[target] != d)
            cerror(c, c->u->instrs[target].line, 1,
                   "internal compiler error: inconsistent stack depth (%d vs %d)",
                   ds->depth[target], d);
        return;
    }
    ds->depth[target] = d;
    if (d > ds->max)
        ds->max = d;
    ds->work[ds->nwork++] = target;
}

static int label_target(Compiler *c, int label)
{
    int t = c->u->labels[label];
    if (t < 0)
        cerror(c, c->u->line, 1, "internal compiler error: unplaced label");
    return t;
}

static int compute_depths(Compiler *c, int *depth)
{
    Unit *u = c->u;
    DepthState ds = {.depth = depth, .work = gc_alloc_atomic((u->n + 1) * sizeof(int))};
    for (int i = 0; i < u->n; i++)
        depth[i] = -1;
    if (u->n == 0)
        return 0;
    depth_push(c, &ds, 0, 0);
    while (ds.nwork) {
        int i = ds.work[--ds.nwork];
        int d = depth[i];
        for (;;) {
            Instr *in = &u->instrs[i];
            if (in->handler >= 0) {
                Handler *h = &u->handlers[in->handler];
                depth_push(c, &ds, label_target(c, h->label), h->depth + 1);
            }
            if (is_jump(in->op))
                depth_push(c, &ds, label_target(c, in->arg),
                           d + mn_stack_effect(in->op, in->arg, true));
            int nd = d + mn_stack_effect(in->op, in->arg, false);
            if (nd < 0)
                cerror(c, in->line, 1, "internal compiler error: stack underflow at %s",
                       mn_opcode_names[in->op]);
            if (nd > ds.max)
                ds.max = nd;
            if (is_terminal(in->op))
                break;
            i++;
            if (i >= u->n)
                cerror(c, in->line, 1, "internal compiler error: code falls off the end");
            if (depth[i] >= 0) {
                if (depth[i] != nd)
                    cerror(c, u->instrs[i].line, 1,
                           "internal compiler error: inconsistent stack depth");
                break;
            }
            depth[i] = nd;
            d = nd;
        }
    }
    return ds.max;
}

/* Follow chains of unconditional jumps (jump threading). */
static int thread_jump(Compiler *c, int label)
{
    Unit *u = c->u;
    for (int guard = 0; guard < 16; guard++) {
        int t = u->labels[label];
        if (t < 0 || t >= u->n || u->instrs[t].op != OP_JUMP_FORWARD)
            break;
        if ((int)u->instrs[t].arg == label)
            break;
        label = u->instrs[t].arg;
    }
    return label;
}

static CodeObject *assemble(Compiler *c, CodeInfo *info)
{
    Unit *u = c->u;

    /* jump threading: a jump to an unconditional jump goes to its target */
    for (int i = 0; i < u->n; i++) {
        Instr *in = &u->instrs[i];
        if (in->op == OP_JUMP_FORWARD || in->op == OP_POP_JUMP_IF_FALSE ||
            in->op == OP_POP_JUMP_IF_TRUE)
            in->arg = thread_jump(c, in->arg);
    }

    int *depth = gc_alloc_atomic((u->n + 1) * sizeof(int));
    int maxdepth = compute_depths(c, depth);

    /* A jump to the instruction that follows anyway is dropped (scanning
     * backwards so "follows" already accounts for dropped code). */
    {
        int *first_kept = gc_alloc_atomic((u->n + 2) * sizeof(int));
        first_kept[u->n] = u->n;
        for (int i = u->n - 1; i >= 0; i--) {
            Instr *in = &u->instrs[i];
            int next = first_kept[i + 1];
            if (depth[i] >= 0 && in->op == OP_JUMP_FORWARD) {
                int t = u->labels[in->arg];
                if (t >= 0 && t <= u->n && t > i && first_kept[t] == next)
                    in->op = OP_NOP;
            }
            first_kept[i] = (depth[i] >= 0 && in->op != OP_NOP) ? i : next;
        }
    }

    /* new offsets: unreachable instructions and NOPs are dropped */
    int *newoff = gc_alloc_atomic((u->n + 1) * sizeof(int));
    int ncode = 0;
    for (int i = 0; i < u->n; i++) {
        newoff[i] = ncode;
        if (depth[i] >= 0 && u->instrs[i].op != OP_NOP)
            ncode++;
    }
    newoff[u->n] = ncode;
    int *labeloff = gc_alloc_atomic((u->nlabels + 1) * sizeof(int));
    for (int l = 0; l < u->nlabels; l++)
        labeloff[l] = u->labels[l] >= 0 ? newoff[u->labels[l]] : -1;

    uint32_t *code = gc_alloc_atomic((ncode + 1) * sizeof(uint32_t));
    LineEntry *lines = gc_alloc_atomic((ncode + 1) * sizeof(LineEntry));
    ExcEntry *exc = gc_alloc_atomic((ncode + 1) * sizeof(ExcEntry));
    int nlines = 0, nexc = 0, off = 0, cur_h = -1;
    for (int i = 0; i < u->n; i++) {
        Instr *in = &u->instrs[i];
        if (depth[i] < 0 || in->op == OP_NOP)
            continue;
        int op = in->op;
        uint32_t arg = in->arg;
        if (is_jump(op)) {
            int t = labeloff[arg];
            if (t < 0 || t > ncode)
                cerror(c, in->line, 1, "internal compiler error: bad label");
            arg = (uint32_t)t;
            if (t <= off) {
                if (op == OP_JUMP_FORWARD)
                    op = OP_JUMP_BACKWARD;
                else if (op == OP_POP_JUMP_IF_FALSE)
                    op = OP_POP_JUMP_BACK_IF_FALSE;
                else if (op == OP_POP_JUMP_IF_TRUE)
                    op = OP_POP_JUMP_BACK_IF_TRUE;
                else
                    cerror(c, in->line, 1, "internal compiler error: backward %s",
                           mn_opcode_names[op]);
            }
        }
        code[off] = MN_INSTR(op, arg);
        if (nlines == 0 || lines[nlines - 1].line != in->line) {
            lines[nlines].start = off;
            lines[nlines].line = in->line;
            nlines++;
        }
        if (in->handler != cur_h) {
            if (cur_h >= 0)
                exc[nexc - 1].end = off;
            if (in->handler >= 0) {
                Handler *h = &u->handlers[in->handler];
                exc[nexc].start = off;
                exc[nexc].handler = labeloff[h->label];
                exc[nexc].depth = h->depth;
                nexc++;
            }
            cur_h = in->handler;
        }
        off++;
    }
    if (cur_h >= 0)
        exc[nexc - 1].end = off;

    CodeObject *co = mn_alloc_obj(&CodeType, sizeof(CodeObject));
    co->code = code;
    co->ncode = ncode;
    co->consts = mn_tuple_from(u->consts.items, u->consts.n);
    co->names = mn_tuple_from(u->names.items, u->names.n);
    co->localnames = mn_tuple_from(u->slot_names, u->nslots);
    uint8_t *kinds = gc_alloc_atomic(u->nslots + 1);
    if (u->nslots)
        memcpy(kinds, u->slot_kinds, u->nslots);
    co->localkinds = kinds;
    co->nlocalsplus = u->nslots;
    co->nfree = u->nfree;
    co->argcount = info->argcount;
    co->posonlyargcount = info->posonly;
    co->kwonlyargcount = info->kwonly;
    co->nparams = info->argcount + info->kwonly + !!(info->flags & CO_VARARGS) +
                  !!(info->flags & CO_VARKW);
    co->stacksize = maxdepth;
    co->framesize = (int32_t)(FRAME_HEADER_SLOTS + u->nslots + maxdepth + 1);
    co->flags = info->flags;
    if (c->mode == MN_COMPILE_INTERACTIVE)
        co->flags |= CO_INTERACTIVE;
    co->firstlineno = u->firstlineno;
    co->name = info->name;
    co->qualname = info->qualname ? info->qualname : info->name;
    co->filename = c->filename_v;
    co->doc = info->doc ? info->doc : mn_None;
    co->lines = lines;
    co->nlines = nlines;
    co->exctab = exc;
    co->nexc = nexc;
    co->global_hints = gc_alloc_atomic((2 * u->names.n + 1) * sizeof(int32_t));
    for (int i = 0; i < 2 * u->names.n; i++)
        co->global_hints[i] = -1;
    co->ncaches = u->cachenames.n;
    co->caches = gc_alloc((u->cachenames.n + 1) * sizeof(AttrCache));
    for (int i = 0; i < u->cachenames.n; i++)
        co->caches[i].name = u->cachenames.items[i];
    return co;
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */
/* ------------------------------------------------------------------ */

CodeObject *mn_compile(Node *module, const char *filename, CompileMode mode, ParseError *err)
{
    Compiler *c = gc_alloc(sizeof *c);
    c->filename = filename;
    c->filename_v = mn_intern(filename);
    c->mode = mode;
    c->err = err;
    err->incomplete = false;
    if (setjmp(c->jb))
        return NULL;
    c->st = mn_symtable_build(module, err);
    if (!c->st)
        return NULL;
    Scope *scope = scope_for(c, module);
    enter_unit(c, scope, 1);
    NodeList body = module->u.block.body;
    Node *doc = mode == MN_COMPILE_FILE ? docstring_of(&body) : NULL;
    if (doc) {
        c->u->line = body.items[0]->line;
        emit_const(c, mn_str_new(doc->u.lit.s, doc->u.lit.len));
        emit(c, OP_STORE_GLOBAL, add_name_v(c, MN_ID(__doc__)));
        body.items++;
        body.n--;
    }
    compile_stmts(c, &body);
    emit_const(c, mn_None);
    emit(c, OP_RETURN_VALUE, 0);
    CodeInfo info = {
        .name = mn_intern("<module>"),
        .qualname = mn_intern("<module>"),
        .doc = mn_None,
        .flags = CO_MODULE,
    };
    return leave_unit(c, &info);
}

/* Line `lineno` of src (without newline), or "" */
static Value source_line(const char *src, size_t len, int lineno)
{
    const char *p = src, *end = src + len;
    for (int l = 1; l < lineno && p < end; l++) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl)
            return mn_str("");
        p = nl + 1;
    }
    const char *e = memchr(p, '\n', end - p);
    if (!e)
        e = end;
    return mn_str_new(p, e - p);
}

CodeObject *mn_compile_source(const char *src, size_t len, const char *filename,
                              CompileMode mode, bool *incomplete)
{
    ParseError err;
    memset(&err, 0, sizeof err);
    if (incomplete)
        *incomplete = false;
    Node *mod = mn_parse(src, len, filename,
                         mode == MN_COMPILE_INTERACTIVE ? PARSE_INTERACTIVE : PARSE_FILE, &err);
    CodeObject *co = NULL;
    if (mod)
        co = mn_compile(mod, filename, mode, &err);
    if (co)
        return co;
    if (incomplete && err.incomplete) {
        *incomplete = true;
        return NULL;
    }
    Value text = source_line(src, len, err.line);
    Value loc = mn_tuple_pack(4, mn_str(filename), mn_int(err.line), mn_int(err.col), text);
    Value msg = mn_str(err.msg);
    Value exc = mn_exc_new(&SyntaxErrorType, mn_tuple_pack(2, msg, loc));
    if (!exc)
        return NULL;
    if (mn_setattr(exc, mn_intern("msg"), msg) < 0 ||
        mn_setattr(exc, mn_intern("filename"), mn_str(filename)) < 0 ||
        mn_setattr(exc, mn_intern("lineno"), mn_int(err.line)) < 0 ||
        mn_setattr(exc, mn_intern("offset"), mn_int(err.col)) < 0 ||
        mn_setattr(exc, mn_intern("text"), text) < 0)
        mn_exc_clear();
    mn_raise_exc(exc);
    return NULL;
}
