/*
 * symtable.c -- compiler pass 1: scope analysis.
 *
 * Two walks, as in CPython's symtable.c:
 *
 *  1. collect: walk the AST once, creating a Scope for the module and for
 *     every def, lambda, class and comprehension, and recording for each
 *     name in each scope how it is used: bound (assignment, def, class,
 *     import, for/with/except targets, del), used, a parameter, declared
 *     `global` or `nonlocal`.  Declaration-order errors ("name 'x' is used
 *     prior to global declaration") are found here.
 *
 *  2. analyze: top-down, passing the set of names bound by enclosing
 *     FUNCTION scopes ("bound") and the names declared global; bottom-up,
 *     returning the names a subtree needs from outside ("free").  A name
 *     is LOCAL if bound here, FREE if bound in an enclosing function,
 *     GLOBAL otherwise; a local that a child needs becomes a CELL.  Class
 *     scopes are transparent: their names are not visible to nested
 *     functions, which see the enclosing function's bindings instead.
 *     Comprehensions are function scopes of their own (Python 3.11), whose
 *     first iterable is evaluated in the enclosing scope; a walrus inside a
 *     comprehension binds in the nearest enclosing non-comprehension scope.
 *
 * `super` or `__class__` used in a function gives it a free `__class__`,
 * which the nearest enclosing class provides as a cell (filled by
 * BUILD_CLASS once the class exists) -- that is how zero-argument super()
 * finds its class.
 *
 * Private names (`__x` inside class C) are mangled to `_C__x` here and in
 * the code generator, exactly as CPython does.
 */
#include <string.h>

#include "compile.h"

/* Symbol flags from the collect walk. */
#define DEF_GLOBAL     0x001   /* `global x` in this scope */
#define DEF_NONLOCAL   0x002   /* `nonlocal x` */
#define DEF_LOCAL      0x004   /* bound in this scope */
#define DEF_PARAM      0x008   /* a parameter */
#define USE            0x010   /* read in this scope */
#define DEF_FREE_CLASS 0x020   /* class: children need the outer binding too */
#define DEF_DELETED    0x040   /* `del x` appears */
#define DEF_IMPLICIT   0x080   /* added by the analysis (pass-through free) */
#define DEF_BOUND (DEF_LOCAL | DEF_PARAM)

typedef struct Sym {
    Value name;
    uint32_t flags;
    SymScope scope;
    int decl_line, decl_col;   /* position of a global/nonlocal statement */
} Sym;

/* A set of interned names (pointer identity), open addressing. */
typedef struct {
    Value *slots;
    int cap, n;
} NameSet;
#define TOMB ((Value)1)

struct Scope {
    ScopeKind kind;
    const Node *node;
    Value name;
    Value private_name;        /* class name for mangling (the scope's own for a
                                * class body, else the nearest enclosing), or 0 */
    Scope *parent;
    Scope **children;
    int nchildren, capchildren;
    Sym *syms;
    int nsyms, capsyms;
    int *index;                /* hash: name -> syms index + 1 */
    int indexcap;
    Value *params;             /* parameter names in slot order */
    int nparams;
    bool needs_class_closure;  /* class: provides a __class__ cell */
    Value qualname;
    /* slots (computed on demand) */
    Value *slot_names;
    uint8_t *slot_kinds;
    int nslots, nfree;
    bool slots_done;
};

struct SymTable {
    Scope *top;
    /* node -> scope map */
    const Node **keys;
    Scope **vals;
    int mapcap, mapn;
    ParseError *err;
    bool failed;
    Scope *cur;
    int nfuture_ok;            /* leading `from __future__` imports */
    int nfuture_seen;          /* future imports visited so far */
};

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

static inline uint32_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}

static bool ns_contains(const NameSet *s, Value v)
{
    if (!s || !s->cap)
        return false;
    uint32_t m = s->cap - 1, i = ptr_hash((void *)v) & m;
    for (;;) {
        Value x = s->slots[i];
        if (x == v)
            return true;
        if (x == 0)
            return false;
        i = (i + 1) & m;
    }
}

static void ns_add(NameSet *s, Value v)
{
    if (ns_contains(s, v))
        return;
    if ((s->n + 1) * 2 > s->cap) {
        NameSet t = {0};
        t.cap = s->cap ? s->cap * 2 : 16;
        t.slots = gc_alloc(t.cap * sizeof(Value));
        for (int i = 0; i < s->cap; i++)
            if (s->slots[i] && s->slots[i] != TOMB)
                ns_add(&t, s->slots[i]);
        *s = t;
    }
    uint32_t m = s->cap - 1, i = ptr_hash((void *)v) & m;
    while (s->slots[i] && s->slots[i] != TOMB)
        i = (i + 1) & m;
    s->slots[i] = v;
    s->n++;
}

static void ns_discard(NameSet *s, Value v)
{
    if (!s || !s->cap)
        return;
    uint32_t m = s->cap - 1, i = ptr_hash((void *)v) & m;
    for (;;) {
        Value x = s->slots[i];
        if (x == v) {
            s->slots[i] = TOMB;
            return;
        }
        if (x == 0)
            return;
        i = (i + 1) & m;
    }
}

static void ns_update(NameSet *dst, const NameSet *src)
{
    if (!src)
        return;
    for (int i = 0; i < src->cap; i++)
        if (src->slots[i] && src->slots[i] != TOMB)
            ns_add(dst, src->slots[i]);
}

static NameSet ns_copy(const NameSet *s)
{
    NameSet t = {0};
    ns_update(&t, s);
    return t;
}

static Sym *sym_find(const Scope *s, Value name)
{
    if (!s->indexcap)
        return NULL;
    uint32_t m = s->indexcap - 1, i = ptr_hash((void *)name) & m;
    for (;;) {
        int k = s->index[i];
        if (!k)
            return NULL;
        if (s->syms[k - 1].name == name)
            return &s->syms[k - 1];
        i = (i + 1) & m;
    }
}

static void index_insert(Scope *s, Value name, int k)
{
    uint32_t m = s->indexcap - 1, i = ptr_hash((void *)name) & m;
    while (s->index[i])
        i = (i + 1) & m;
    s->index[i] = k;
}

static Sym *sym_add(Scope *s, Value name)
{
    Sym *y = sym_find(s, name);
    if (y)
        return y;
    if (s->nsyms == s->capsyms) {
        s->capsyms = s->capsyms ? s->capsyms * 2 : 8;
        Sym *n = gc_alloc(s->capsyms * sizeof(Sym));
        if (s->nsyms)
            memcpy(n, s->syms, s->nsyms * sizeof(Sym));
        s->syms = n;
    }
    if ((s->nsyms + 1) * 2 > s->indexcap) {
        s->indexcap = s->indexcap ? s->indexcap * 2 : 16;
        s->index = gc_alloc(s->indexcap * sizeof(int));
        for (int k = 0; k < s->nsyms; k++)
            index_insert(s, s->syms[k].name, k + 1);
    }
    y = &s->syms[s->nsyms++];
    memset(y, 0, sizeof *y);
    y->name = name;
    index_insert(s, name, s->nsyms);
    return y;
}

/* CPython's _Py_Mangle: __spam inside class Ham -> _Ham__spam. */
static Value mangle(Value private_name, const char *id)
{
    size_t n = strlen(id);
    if (!private_name || n < 3 || id[0] != '_' || id[1] != '_')
        return mn_intern(id);
    if (id[n - 1] == '_' && id[n - 2] == '_')
        return mn_intern(id);
    if (strchr(id, '.'))
        return mn_intern(id);
    const char *p = mn_cstr(private_name);
    while (*p == '_')
        p++;
    if (!*p)
        return mn_intern(id);
    size_t pn = strlen(p);
    char *buf = gc_alloc_atomic(pn + n + 2);
    buf[0] = '_';
    memcpy(buf + 1, p, pn);
    memcpy(buf + 1 + pn, id, n + 1);
    return mn_intern(buf);
}

static void st_error(SymTable *st, int line, int col, const char *fmt, const char *name)
{
    if (st->failed)
        return;
    st->failed = true;
    st->err->line = line;
    st->err->col = col;
    st->err->incomplete = false;
    snprintf(st->err->msg, sizeof st->err->msg, fmt, name);
}

static void map_put(SymTable *st, const Node *n, Scope *s)
{
    if ((st->mapn + 1) * 2 > st->mapcap) {
        int oc = st->mapcap;
        const Node **ok = st->keys;
        Scope **ov = st->vals;
        st->mapcap = oc ? oc * 2 : 64;
        st->keys = gc_alloc(st->mapcap * sizeof(Node *));
        st->vals = gc_alloc(st->mapcap * sizeof(Scope *));
        st->mapn = 0;
        for (int i = 0; i < oc; i++)
            if (ok[i])
                map_put(st, ok[i], ov[i]);
    }
    uint32_t m = st->mapcap - 1, i = ptr_hash(n) & m;
    while (st->keys[i])
        i = (i + 1) & m;
    st->keys[i] = n;
    st->vals[i] = s;
    st->mapn++;
}

Scope *mn_symtable_lookup(SymTable *st, const Node *node)
{
    if (!st->mapcap)
        return NULL;
    uint32_t m = st->mapcap - 1, i = ptr_hash(node) & m;
    while (st->keys[i]) {
        if (st->keys[i] == node)
            return st->vals[i];
        i = (i + 1) & m;
    }
    return NULL;
}

static Scope *scope_new(SymTable *st, ScopeKind kind, const Node *node, Value name)
{
    Scope *s = gc_alloc(sizeof *s);
    s->kind = kind;
    s->node = node;
    s->name = name;
    s->parent = st->cur;
    /* A class body mangles with its own name (`def __f` in class C stores
     * _C__f; the class's own name was mangled by the enclosing scope);
     * every other scope inherits its parent's. */
    s->private_name = kind == SCOPE_CLASS ? name : st->cur ? st->cur->private_name : 0;
    if (st->cur) {
        Scope *p = st->cur;
        if (p->nchildren == p->capchildren) {
            p->capchildren = p->capchildren ? p->capchildren * 2 : 4;
            Scope **n = gc_alloc(p->capchildren * sizeof(Scope *));
            if (p->nchildren)
                memcpy(n, p->children, p->nchildren * sizeof(Scope *));
            p->children = n;
        }
        p->children[p->nchildren++] = s;
    }
    map_put(st, node, s);
    return s;
}

/* ------------------------------------------------------------------ */
/* pass 1: collect                                                     */
/* ------------------------------------------------------------------ */

static void add_def_v(SymTable *st, Value name, uint32_t flag)
{
    Sym *y = sym_add(st->cur, name);
    y->flags |= flag;
}

static void add_def(SymTable *st, const char *id, uint32_t flag)
{
    add_def_v(st, mangle(st->cur->private_name, id), flag);
}

static void add_param(SymTable *st, const char *id, int line, int col)
{
    Value name = mangle(st->cur->private_name, id);
    Sym *y = sym_find(st->cur, name);
    if (y && (y->flags & DEF_PARAM)) {
        st_error(st, line, col, "duplicate argument '%s' in function definition", id);
        return;
    }
    add_def_v(st, name, DEF_PARAM);
    Scope *s = st->cur;
    Value *np = gc_alloc((s->nparams + 1) * sizeof(Value));
    if (s->nparams)
        memcpy(np, s->params, s->nparams * sizeof(Value));
    np[s->nparams++] = name;
    s->params = np;
}

typedef enum { CTX_LOAD, CTX_STORE, CTX_DEL } Ctx;

static void visit_expr(SymTable *st, Node *e, Ctx ctx);
static void visit_stmts(SymTable *st, NodeList *l);

static void visit_exprs(SymTable *st, NodeList *l, Ctx ctx)
{
    for (int i = 0; i < l->n && !st->failed; i++)
        if (l->items[i])
            visit_expr(st, l->items[i], ctx);
}

static void visit_params_defaults(SymTable *st, Params *p)
{
    for (int i = 0; i < p->npos; i++)
        if (p->pos[i].default_value)
            visit_expr(st, p->pos[i].default_value, CTX_LOAD);
    for (int i = 0; i < p->nkwonly; i++)
        if (p->kwonly[i].default_value)
            visit_expr(st, p->kwonly[i].default_value, CTX_LOAD);
}

static void add_params(SymTable *st, Params *p, const Node *n)
{
    for (int i = 0; i < p->npos; i++)
        add_param(st, p->pos[i].name, p->pos[i].line, p->pos[i].col);
    for (int i = 0; i < p->nkwonly; i++)
        add_param(st, p->kwonly[i].name, p->kwonly[i].line, p->kwonly[i].col);
    if (p->vararg)
        add_param(st, p->vararg, n->line, n->col);
    if (p->kwarg)
        add_param(st, p->kwarg, n->line, n->col);
}

static const char *comp_name(NodeKind k)
{
    switch (k) {
    case E_LISTCOMP: return "<listcomp>";
    case E_SETCOMP: return "<setcomp>";
    case E_DICTCOMP: return "<dictcomp>";
    default: return "<genexpr>";
    }
}

static void visit_comprehension(SymTable *st, Node *e)
{
    NodeList *gens = &e->u.comp.generators;
    /* The outermost iterable is evaluated in the enclosing scope. */
    visit_expr(st, gens->items[0]->u.gen.iter, CTX_LOAD);
    Scope *outer = st->cur;
    Scope *s = scope_new(st, SCOPE_COMPREHENSION, e, mn_intern(comp_name(e->kind)));
    st->cur = s;
    add_param(st, ".0", e->line, e->col);
    for (int i = 0; i < gens->n && !st->failed; i++) {
        Node *g = gens->items[i];
        visit_expr(st, g->u.gen.target, CTX_STORE);
        if (i > 0)
            visit_expr(st, g->u.gen.iter, CTX_LOAD);
        visit_exprs(st, &g->u.gen.ifs, CTX_LOAD);
    }
    if (e->u.comp.elt)
        visit_expr(st, e->u.comp.elt, CTX_LOAD);
    if (e->u.comp.elt2)
        visit_expr(st, e->u.comp.elt2, CTX_LOAD);
    st->cur = outer;
}

/* PEP 572: `(x := v)` inside a comprehension binds x in the nearest
 * enclosing scope that is not a comprehension. */
static void visit_named_target(SymTable *st, Node *target)
{
    const char *id = target->u.name.id;
    if (st->cur->kind != SCOPE_COMPREHENSION) {
        add_def(st, id, DEF_LOCAL);
        return;
    }
    Value name = mangle(st->cur->private_name, id);
    /* A comprehension iteration variable cannot be rebound. */
    for (Scope *c = st->cur; c && c->kind == SCOPE_COMPREHENSION; c = c->parent) {
        Sym *y = sym_find(c, name);
        if (y && (y->flags & DEF_LOCAL) && !(y->flags & (DEF_NONLOCAL | DEF_GLOBAL))) {
            st_error(st, target->line, target->col,
                     "assignment expression cannot rebind comprehension iteration variable '%s'", id);
            return;
        }
    }
    Scope *t = st->cur;
    while (t->kind == SCOPE_COMPREHENSION)
        t = t->parent;
    if (t->kind == SCOPE_CLASS) {
        st_error(st, target->line, target->col,
                 "assignment expression within a comprehension cannot be used in a class body%s", "");
        return;
    }
    uint32_t through = t->kind == SCOPE_MODULE ? DEF_GLOBAL : DEF_NONLOCAL;
    Sym *ty = sym_find(t, name);
    if (t->kind == SCOPE_MODULE || !(ty && (ty->flags & DEF_GLOBAL)))
        sym_add(t, name)->flags |= DEF_LOCAL;
    else
        through = DEF_GLOBAL;
    for (Scope *c = st->cur; c != t; c = c->parent) {
        Sym *y = sym_add(c, name);
        y->flags |= through | USE;
        y->decl_line = target->line;
        y->decl_col = target->col;
    }
}

static void visit_expr(SymTable *st, Node *e, Ctx ctx)
{
    if (!e || st->failed)
        return;
    switch (e->kind) {
    case E_NAME:
        if (ctx == CTX_LOAD) {
            add_def(st, e->u.name.id, USE);
            /* super() needs the class cell; so does a bare __class__. */
            if (st->cur->kind != SCOPE_CLASS && st->cur->kind != SCOPE_MODULE &&
                (!strcmp(e->u.name.id, "super") || !strcmp(e->u.name.id, "__class__")))
                add_def_v(st, mn_intern("__class__"), USE);
        } else if (ctx == CTX_STORE) {
            add_def(st, e->u.name.id, DEF_LOCAL);
        } else {
            add_def(st, e->u.name.id, DEF_LOCAL | DEF_DELETED);
        }
        break;
    case E_INT: case E_FLOAT: case E_STR: case E_BYTES: case E_TRUE:
    case E_FALSE: case E_NONE: case E_ELLIPSIS:
        break;
    case E_FSTRING:
        visit_exprs(st, &e->u.seq.elts, CTX_LOAD);
        break;
    case E_FORMATTED:
        visit_expr(st, e->u.fmt.value, CTX_LOAD);
        visit_expr(st, e->u.fmt.spec, CTX_LOAD);
        break;
    case E_BINOP:
        visit_expr(st, e->u.bin.left, CTX_LOAD);
        visit_expr(st, e->u.bin.right, CTX_LOAD);
        break;
    case E_UNARY:
        visit_expr(st, e->u.un.operand, CTX_LOAD);
        break;
    case E_BOOLOP:
        visit_exprs(st, &e->u.boolop.values, CTX_LOAD);
        break;
    case E_COMPARE:
        visit_expr(st, e->u.cmp.left, CTX_LOAD);
        visit_exprs(st, &e->u.cmp.comparators, CTX_LOAD);
        break;
    case E_IFEXP:
        visit_expr(st, e->u.ifexp.test, CTX_LOAD);
        visit_expr(st, e->u.ifexp.body, CTX_LOAD);
        visit_expr(st, e->u.ifexp.orelse, CTX_LOAD);
        break;
    case E_CALL:
        visit_expr(st, e->u.call.func, CTX_LOAD);
        visit_exprs(st, &e->u.call.args, CTX_LOAD);
        visit_exprs(st, &e->u.call.keywords, CTX_LOAD);
        break;
    case E_KEYWORD:
        visit_expr(st, e->u.kw.value, CTX_LOAD);
        break;
    case E_ATTR:
        visit_expr(st, e->u.attr.value, CTX_LOAD);
        break;
    case E_SUBSCRIPT:
        visit_expr(st, e->u.sub.value, CTX_LOAD);
        visit_expr(st, e->u.sub.index, CTX_LOAD);
        break;
    case E_SLICE:
        visit_expr(st, e->u.slice.lower, CTX_LOAD);
        visit_expr(st, e->u.slice.upper, CTX_LOAD);
        visit_expr(st, e->u.slice.step, CTX_LOAD);
        break;
    case E_STARRED:
        visit_expr(st, e->u.starred.value, ctx);
        break;
    case E_TUPLE: case E_LIST:
        visit_exprs(st, &e->u.seq.elts, ctx);
        break;
    case E_SET:
        visit_exprs(st, &e->u.seq.elts, CTX_LOAD);
        break;
    case E_DICT:
        visit_exprs(st, &e->u.dict.keys, CTX_LOAD);
        visit_exprs(st, &e->u.dict.values, CTX_LOAD);
        break;
    case E_LISTCOMP: case E_SETCOMP: case E_GENEXP: case E_DICTCOMP:
        visit_comprehension(st, e);
        break;
    case E_LAMBDA: {
        visit_params_defaults(st, &e->u.func.params);
        Scope *outer = st->cur;
        st->cur = scope_new(st, SCOPE_LAMBDA, e, mn_intern("<lambda>"));
        add_params(st, &e->u.func.params, e);
        visit_expr(st, e->u.func.body_expr, CTX_LOAD);
        st->cur = outer;
        break;
    }
    case E_NAMEDEXPR:
        visit_expr(st, e->u.named.value, CTX_LOAD);
        visit_named_target(st, e->u.named.target);
        break;
    default:
        break;
    }
}

static void declare(SymTable *st, Node *s, bool global)
{
    for (int i = 0; i < s->u.names.n && !st->failed; i++) {
        const char *id = s->u.names.names[i];
        Value name = mangle(st->cur->private_name, id);
        Sym *y = sym_find(st->cur, name);
        uint32_t cur = y ? y->flags : 0;
        if (!global && st->cur->kind == SCOPE_MODULE) {
            st_error(st, s->line, s->col, "nonlocal declaration not allowed at module level%s", "");
            return;
        }
        if (cur & (DEF_PARAM | DEF_LOCAL | USE)) {
            const char *msg;
            if (cur & DEF_PARAM)
                msg = global ? "name '%s' is parameter and global"
                             : "name '%s' is parameter and nonlocal";
            else if (cur & USE)
                msg = global ? "name '%s' is used prior to global declaration"
                             : "name '%s' is used prior to nonlocal declaration";
            else
                msg = global ? "name '%s' is assigned to before global declaration"
                             : "name '%s' is assigned to before nonlocal declaration";
            st_error(st, s->line, s->col, msg, id);
            return;
        }
        y = sym_add(st->cur, name);
        y->flags |= global ? DEF_GLOBAL : DEF_NONLOCAL;
        y->decl_line = s->line;
        y->decl_col = s->col;
    }
}

static bool is_future_import(const Node *s)
{
    return s->kind == S_IMPORTFROM && s->u.import.level == 0 && s->u.import.module &&
           !strcmp(s->u.import.module, "__future__");
}

static void visit_stmt(SymTable *st, Node *s)
{
    if (!s || st->failed)
        return;
    switch (s->kind) {
    case S_EXPR:
        visit_expr(st, s->u.expr.value, CTX_LOAD);
        break;
    case S_ASSIGN:
        visit_expr(st, s->u.assign.value, CTX_LOAD);
        visit_exprs(st, &s->u.assign.targets, CTX_STORE);
        break;
    case S_AUGASSIGN:
        visit_expr(st, s->u.aug.value, CTX_LOAD);
        if (s->u.aug.target->kind == E_NAME) {
            add_def(st, s->u.aug.target->u.name.id, USE);
            add_def(st, s->u.aug.target->u.name.id, DEF_LOCAL);
        } else {
            visit_expr(st, s->u.aug.target, CTX_LOAD);
        }
        break;
    case S_ANNASSIGN:
        if (s->u.ann.value)
            visit_expr(st, s->u.ann.value, CTX_LOAD);
        if (s->u.ann.target->kind == E_NAME) {
            Value name = mangle(st->cur->private_name, s->u.ann.target->u.name.id);
            Sym *y = sym_find(st->cur, name);
            if (y && (y->flags & (DEF_GLOBAL | DEF_NONLOCAL)) && !s->u.ann.value) {
                /* `global x` then `x: int`: CPython's error. */
                st_error(st, s->line, s->col,
                         (y->flags & DEF_GLOBAL) ? "annotated name '%s' can't be global"
                                                 : "annotated name '%s' can't be nonlocal",
                         s->u.ann.target->u.name.id);
                return;
            }
            add_def_v(st, name, DEF_LOCAL);
        } else {
            visit_expr(st, s->u.ann.target, CTX_LOAD);
        }
        break;
    case S_IF: case S_WHILE:
        visit_expr(st, s->u.cond.test, CTX_LOAD);
        visit_stmts(st, &s->u.cond.body);
        visit_stmts(st, &s->u.cond.orelse);
        break;
    case S_FOR:
        visit_expr(st, s->u.forl.iter, CTX_LOAD);
        visit_expr(st, s->u.forl.target, CTX_STORE);
        visit_stmts(st, &s->u.forl.body);
        visit_stmts(st, &s->u.forl.orelse);
        break;
    case S_RETURN:
        visit_expr(st, s->u.expr.value, CTX_LOAD);
        break;
    case S_DEF: {
        visit_exprs(st, &s->u.func.decorators, CTX_LOAD);
        visit_params_defaults(st, &s->u.func.params);
        add_def(st, s->u.func.name, DEF_LOCAL);
        Scope *outer = st->cur;
        st->cur = scope_new(st, SCOPE_FUNCTION, s, mangle(outer->private_name, s->u.func.name));
        st->cur->name = mn_intern(s->u.func.name);
        add_params(st, &s->u.func.params, s);
        visit_stmts(st, &s->u.func.body);
        st->cur = outer;
        break;
    }
    case S_CLASS: {
        visit_exprs(st, &s->u.cls.decorators, CTX_LOAD);
        visit_exprs(st, &s->u.cls.bases, CTX_LOAD);
        visit_exprs(st, &s->u.cls.keywords, CTX_LOAD);
        add_def(st, s->u.cls.name, DEF_LOCAL);
        Scope *outer = st->cur;
        st->cur = scope_new(st, SCOPE_CLASS, s, mn_intern(s->u.cls.name));
        visit_stmts(st, &s->u.cls.body);
        st->cur = outer;
        break;
    }
    case S_GLOBAL:
        declare(st, s, true);
        break;
    case S_NONLOCAL:
        declare(st, s, false);
        break;
    case S_IMPORT:
        for (int i = 0; i < s->u.import.naliases; i++) {
            Alias *a = &s->u.import.aliases[i];
            if (a->asname) {
                add_def(st, a->asname, DEF_LOCAL);
            } else {
                const char *dot = strchr(a->name, '.');
                if (dot)
                    add_def_v(st, mangle(st->cur->private_name,
                                         gc_strndup(a->name, dot - a->name)), DEF_LOCAL);
                else
                    add_def(st, a->name, DEF_LOCAL);
            }
        }
        break;
    case S_IMPORTFROM:
        /* Only the leading ones (counted by mn_symtable_build) may be
         * future statements; they are visited first, in order. */
        if (is_future_import(s) && ++st->nfuture_seen > st->nfuture_ok) {
            st_error(st, s->line, s->col,
                     "from __future__ imports must occur at the beginning of the file%s", "");
            return;
        }
        for (int i = 0; i < s->u.import.naliases; i++) {
            Alias *a = &s->u.import.aliases[i];
            if (!strcmp(a->name, "*")) {
                if (st->cur->kind != SCOPE_MODULE) {
                    st_error(st, s->line, s->col, "import * only allowed at module level%s", "");
                    return;
                }
                continue;
            }
            add_def(st, a->asname ? a->asname : a->name, DEF_LOCAL);
        }
        break;
    case S_TRY:
        visit_stmts(st, &s->u.try_.body);
        for (int i = 0; i < s->u.try_.handlers.n; i++) {
            Node *h = s->u.try_.handlers.items[i];
            visit_expr(st, h->u.handler.type, CTX_LOAD);
            if (h->u.handler.name)
                add_def(st, h->u.handler.name, DEF_LOCAL | DEF_DELETED);
            visit_stmts(st, &h->u.handler.body);
        }
        visit_stmts(st, &s->u.try_.orelse);
        visit_stmts(st, &s->u.try_.finalbody);
        break;
    case S_RAISE:
        visit_expr(st, s->u.raise.exc, CTX_LOAD);
        visit_expr(st, s->u.raise.cause, CTX_LOAD);
        break;
    case S_WITH:
        for (int i = 0; i < s->u.with.items.n; i++) {
            Node *it = s->u.with.items.items[i];
            visit_expr(st, it->u.withitem.expr, CTX_LOAD);
            if (it->u.withitem.target)
                visit_expr(st, it->u.withitem.target, CTX_STORE);
        }
        visit_stmts(st, &s->u.with.body);
        break;
    case S_ASSERT:
        visit_expr(st, s->u.assert_.test, CTX_LOAD);
        visit_expr(st, s->u.assert_.msg, CTX_LOAD);
        break;
    case S_DEL:
        visit_exprs(st, &s->u.seq.elts, CTX_DEL);
        break;
    default:
        break;
    }
}

static void visit_stmts(SymTable *st, NodeList *l)
{
    for (int i = 0; i < l->n && !st->failed; i++)
        visit_stmt(st, l->items[i]);
}

/* ------------------------------------------------------------------ */
/* pass 2: analyze                                                     */
/* ------------------------------------------------------------------ */

static bool is_function_like(const Scope *s)
{
    return s->kind == SCOPE_FUNCTION || s->kind == SCOPE_LAMBDA ||
           s->kind == SCOPE_COMPREHENSION;
}

static bool analyze_name(SymTable *st, Scope *s, Sym *y, NameSet *bound, bool have_bound,
                         NameSet *local, NameSet *free, NameSet *global)
{
    const char *id = mn_cstr(y->name);
    if (y->flags & DEF_GLOBAL) {
        if (y->flags & DEF_NONLOCAL) {
            st_error(st, y->decl_line, y->decl_col, "name '%s' is nonlocal and global", id);
            return false;
        }
        y->scope = SYM_GLOBAL_EXPLICIT;
        ns_add(global, y->name);
        if (have_bound)
            ns_discard(bound, y->name);
        return true;
    }
    if (y->flags & DEF_NONLOCAL) {
        if (!have_bound) {
            st_error(st, y->decl_line, y->decl_col,
                     "nonlocal declaration not allowed at module level%s", "");
            return false;
        }
        if (!ns_contains(bound, y->name)) {
            st_error(st, y->decl_line, y->decl_col, "no binding for nonlocal '%s' found", id);
            return false;
        }
        y->scope = SYM_FREE;
        ns_add(free, y->name);
        return true;
    }
    if (y->flags & DEF_BOUND) {
        y->scope = SYM_LOCAL;
        ns_add(local, y->name);
        ns_discard(global, y->name);
        return true;
    }
    if (have_bound && ns_contains(bound, y->name)) {
        y->scope = SYM_FREE;
        ns_add(free, y->name);
        return true;
    }
    y->scope = SYM_GLOBAL_IMPLICIT;
    return true;
}

static bool analyze_block(SymTable *st, Scope *s, NameSet *bound, bool have_bound,
                          NameSet *free, NameSet *global);

static bool analyze_child(SymTable *st, Scope *c, NameSet *bound, NameSet *free,
                          NameSet *global, NameSet *child_free)
{
    NameSet b = ns_copy(bound), f = ns_copy(free), g = ns_copy(global);
    (void)f;
    return analyze_block(st, c, &b, true, child_free, &g);
}

static bool analyze_block(SymTable *st, Scope *s, NameSet *bound, bool have_bound,
                          NameSet *free, NameSet *global)
{
    NameSet local = {0}, newbound = {0}, newglobal = {0}, newfree = {0}, allfree = {0};
    Value class_id = mn_intern("__class__");

    if (s->kind == SCOPE_CLASS) {
        ns_update(&newglobal, global);
        if (have_bound)
            ns_update(&newbound, bound);
    }
    for (int i = 0; i < s->nsyms; i++)
        if (!analyze_name(st, s, &s->syms[i], bound, have_bound, &local, free, global))
            return false;
    if (s->kind != SCOPE_CLASS) {
        if (is_function_like(s))
            ns_update(&newbound, &local);
        if (have_bound)
            ns_update(&newbound, bound);
        ns_update(&newglobal, global);
    } else {
        ns_add(&newbound, class_id);
    }
    for (int i = 0; i < s->nchildren; i++) {
        NameSet child_free = {0};
        if (!analyze_child(st, s->children[i], &newbound, &newfree, &newglobal, &child_free))
            return false;
        ns_update(&allfree, &child_free);
    }
    ns_update(&newfree, &allfree);

    if (is_function_like(s)) {
        /* Locals that children need become cells. */
        for (int i = 0; i < s->nsyms; i++) {
            Sym *y = &s->syms[i];
            if (y->scope == SYM_LOCAL && ns_contains(&newfree, y->name)) {
                y->scope = SYM_CELL;
                ns_discard(&newfree, y->name);
            }
        }
    } else if (s->kind == SCOPE_CLASS) {
        if (ns_contains(&newfree, class_id)) {
            ns_discard(&newfree, class_id);
            s->needs_class_closure = true;
        }
    }

    /* Record free variables of children that pass through this scope. */
    for (int i = 0; i < newfree.cap; i++) {
        Value name = newfree.slots[i];
        if (!name || name == TOMB)
            continue;
        Sym *y = sym_find(s, name);
        if (y) {
            if (s->kind == SCOPE_CLASS && (y->flags & (DEF_BOUND | DEF_GLOBAL)))
                y->flags |= DEF_FREE_CLASS;
            continue;
        }
        if (have_bound && !ns_contains(bound, name))
            continue;       /* a global */
        if (!have_bound)
            continue;
        y = sym_add(s, name);
        y->flags |= DEF_IMPLICIT;
        y->scope = SYM_FREE;
    }
    ns_update(free, &newfree);
    return true;
}

/* ------------------------------------------------------------------ */

/*
 * `from __future__ import X` is a compiler directive in CPython, allowed
 * only before any other statement (a docstring aside).  mini has every
 * feature on, so the import itself just binds stdlib/__future__.mini's
 * objects; here we only reject what CPython rejects at compile time.
 * Returns how many leading statements are future imports (-1: error).
 */
static int check_future(SymTable *st, NodeList *body)
{
    static const char *const features[] = {
        "nested_scopes", "generators", "division", "absolute_import", "with_statement",
        "print_function", "unicode_literals", "generator_stop", "annotations",
    };
    int i = 0, n = 0;
    if (body->n && body->items[0]->kind == S_EXPR &&
        body->items[0]->u.expr.value->kind == E_STR)
        i = 1;
    for (; i < body->n && is_future_import(body->items[i]); i++, n++) {
        const Node *s = body->items[i];
        for (int k = 0; k < s->u.import.naliases; k++) {
            const char *name = s->u.import.aliases[k].name;
            size_t f = 0;
            while (f < sizeof features / sizeof *features && strcmp(name, features[f]))
                f++;
            if (f == sizeof features / sizeof *features) {
                if (!strcmp(name, "braces"))
                    st_error(st, s->line, s->col, "not a chance%s", "");
                else
                    st_error(st, s->line, s->col, "future feature %s is not defined", name);
                return -1;
            }
        }
    }
    return n;
}

SymTable *mn_symtable_build(Node *module, ParseError *err)
{
    SymTable *st = gc_alloc(sizeof *st);
    st->err = err;
    st->cur = NULL;
    st->nfuture_ok = check_future(st, &module->u.block.body);
    if (st->failed)
        return NULL;
    st->top = scope_new(st, SCOPE_MODULE, module, mn_intern("<module>"));
    st->cur = st->top;
    visit_stmts(st, &module->u.block.body);
    if (st->failed)
        return NULL;
    NameSet free = {0}, global = {0};
    if (!analyze_block(st, st->top, NULL, false, &free, &global))
        return NULL;
    return st;
}

ScopeKind mn_scope_kind(const Scope *s) { return s->kind; }
Scope *mn_scope_parent(const Scope *s) { return s->parent; }
bool mn_scope_needs_class_cell(const Scope *s) { return s->needs_class_closure; }

SymScope mn_scope_name(const Scope *s, Value name)
{
    Sym *y = sym_find(s, name);
    if (!y)
        return SYM_GLOBAL_IMPLICIT;
    return y->scope;
}

bool mn_scope_is_free_class(const Scope *s, Value name)
{
    Sym *y = sym_find(s, name);
    return y && (y->flags & DEF_FREE_CLASS);
}

bool mn_scope_is_param(const Scope *s, Value name)
{
    Sym *y = sym_find(s, name);
    return y && (y->flags & DEF_PARAM);
}

bool mn_scope_is_deleted(const Scope *s, Value name)
{
    Sym *y = sym_find(s, name);
    return y && (y->flags & DEF_DELETED);
}

/* Mangle a name the way this scope's code must spell it. */
Value mn_scope_mangle(const Scope *s, const char *id)
{
    return mangle(s->private_name, id);
}

static void slot_push(Scope *s, Value name, uint8_t kind, int *cap)
{
    if (s->nslots == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        Value *nn = gc_alloc(*cap * sizeof(Value));
        uint8_t *nk = gc_alloc_atomic(*cap);
        if (s->nslots) {
            memcpy(nn, s->slot_names, s->nslots * sizeof(Value));
            memcpy(nk, s->slot_kinds, s->nslots);
        }
        s->slot_names = nn;
        s->slot_kinds = nk;
    }
    s->slot_names[s->nslots] = name;
    s->slot_kinds[s->nslots] = kind;
    s->nslots++;
}

int mn_scope_slots(const Scope *cs, Value **names, uint8_t **kinds, int *nfree)
{
    Scope *s = (Scope *)cs;
    if (!s->slots_done) {
        int cap = 0;
        s->nslots = 0;
        if (is_function_like(s)) {
            for (int i = 0; i < s->nparams; i++) {
                Sym *y = sym_find(s, s->params[i]);
                slot_push(s, y->name, LK_PARAM | (y->scope == SYM_CELL ? LK_CELL : LK_LOCAL), &cap);
            }
            for (int i = 0; i < s->nsyms; i++) {
                Sym *y = &s->syms[i];
                if (y->flags & DEF_PARAM)
                    continue;
                if (y->scope == SYM_LOCAL)
                    slot_push(s, y->name, LK_LOCAL, &cap);
                else if (y->scope == SYM_CELL)
                    slot_push(s, y->name, LK_CELL, &cap);
            }
        } else if (s->kind == SCOPE_CLASS && s->needs_class_closure) {
            slot_push(s, mn_intern("__class__"), LK_CELL, &cap);
        }
        int nf = 0;
        for (int i = 0; i < s->nsyms; i++) {
            Sym *y = &s->syms[i];
            if (y->scope == SYM_FREE ||
                (s->kind == SCOPE_CLASS && (y->flags & DEF_FREE_CLASS))) {
                slot_push(s, y->name, LK_FREE, &cap);
                nf++;
            }
        }
        s->nfree = nf;
        s->slots_done = true;
    }
    *names = s->slot_names;
    *kinds = s->slot_kinds;
    *nfree = s->nfree;
    return s->nslots;
}

Value mn_scope_qualname(const Scope *cs)
{
    Scope *s = (Scope *)cs;
    if (s->qualname)
        return s->qualname;
    Scope *p = s->parent;
    if (!p || p->kind == SCOPE_MODULE) {
        s->qualname = s->name;
        return s->qualname;
    }
    if (s->kind == SCOPE_FUNCTION || s->kind == SCOPE_CLASS) {
        /* A def/class whose name the parent declares global is top level. */
        Value mangled = mangle(p->private_name, mn_cstr(s->name));
        Sym *y = sym_find(p, mangled);
        if (y && y->scope == SYM_GLOBAL_EXPLICIT) {
            s->qualname = s->name;
            return s->qualname;
        }
    }
    Value base = mn_scope_qualname(p);
    if (p->kind == SCOPE_FUNCTION || p->kind == SCOPE_LAMBDA)
        s->qualname = mn_str_fmt("%s.<locals>.%s", mn_cstr(base), mn_cstr(s->name));
    else
        s->qualname = mn_str_fmt("%s.%s", mn_cstr(base), mn_cstr(s->name));
    s->qualname = mn_intern_value(s->qualname);
    return s->qualname;
}
