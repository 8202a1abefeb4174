/*
 * parser.y -- bison grammar for mini: Python 3's syntax (the subset in
 * SPEC.md section 1) with CPython's operator precedence.
 *
 * LALR(1) cannot tell an assignment target from an expression until it
 * sees the `=`, so targets are parsed as expressions and checked afterwards
 * (check_target), giving CPython's "cannot assign to ..." messages.  The
 * same goes for keyword arguments (`f(a=1)` parses `test '=' test`),
 * parameter lists (items are collected, then build_params validates their
 * order) and parenthesised with-items (`with (a as b, c):` parses as a
 * parenthesised tuple whose items may carry `as`).
 *
 * Pure parser (api.pure full); the scanner and the Parser state are
 * parameters; no globals.  Errors: the first one wins, stored in
 * p->err, and the parse is abandoned (no recovery).  Syntax errors are
 * turned into CPython's wording in yyreport_syntax_error.
 */

%code requires {
#include "grammar/ast.h"
typedef struct StrTok StrTok;
typedef struct StrList StrList;
typedef struct ArgList ArgList;
typedef struct ParamList ParamList;
typedef struct ParamItem ParamItem;
typedef struct AliasList AliasList;
typedef struct Parser Parser;
}

%code {
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/parse_internal.h"
#include "runtime/gc.h"
#include "runtime/object.h"

#define yylex mn_lex

/* Bison moves its stacks to the heap when they outgrow YYINITDEPTH; the
 * value stack holds pointers to GC-allocated nodes, so that heap block
 * must be one the collector scans. */
#define YYMALLOC gc_alloc
#define YYFREE(p) ((void)(p))

static void yyerror(YYLTYPE *loc, void *scanner, Parser *p,
                    const char *msg);

/* Abandon the parse with an error at `loc`. */
#define FAIL_AT(line, col, ...) \
    do { mn_set_error(p, (line), (col), __VA_ARGS__); YYABORT; } while (0)
#define FAIL(loc, ...) FAIL_AT((loc).first_line, (loc).first_column, __VA_ARGS__)
#define FAILN(node, ...) FAIL_AT((node)->line, (node)->col, __VA_ARGS__)
#define CHECK(x) do { if (!(x)) YYABORT; } while (0)

#define NEW(kind, loc) mn_node_at((kind), &(loc))

static NodeList list1(Node *n)
{
    NodeList l = {0};
    mn_nodelist_append(&l, n);
    return l;
}

static NodeList list_cat(NodeList a, NodeList b)
{
    for (int i = 0; i < b.n; i++)
        mn_nodelist_append(&a, b.items[i]);
    return a;
}

/* Composite expressions take the rule's location, which (as in CPython)
 * covers the parentheses around their first and last operands. */
static Node *binop(int op, Node *l, Node *r, const YYLTYPE *loc)
{
    Node *n = mn_node_at(E_BINOP, loc);
    n->u.bin.op = op;
    n->u.bin.left = l;
    n->u.bin.right = r;
    return n;
}

static Node *unary(int op, Node *operand, const YYLTYPE *loc)
{
    Node *n = mn_node_at(E_UNARY, loc);
    n->u.un.op = op;
    n->u.un.operand = operand;
    return n;
}

static Node *boolop(bool is_and, NodeList values, const YYLTYPE *loc)
{
    Node *n = mn_node_at(E_BOOLOP, loc);
    n->u.boolop.is_and = is_and;
    n->u.boolop.values = values;
    return n;
}

static void compare_add(Node *c, int op, Node *right, const YYLTYPE *loc)
{
    int k = c->u.cmp.comparators.n;
    if (k == 0)
        c->u.cmp.ops = gc_alloc_atomic(4 * sizeof(AstCmp));
    else if (k >= 4 && (k & (k - 1)) == 0)
        c->u.cmp.ops = gc_realloc(c->u.cmp.ops, 2 * (size_t)k * sizeof(AstCmp));
    c->u.cmp.ops[k] = (AstCmp)op;
    mn_nodelist_append(&c->u.cmp.comparators, right);
    c->end_line = loc->last_line;
    c->end_col = loc->last_column;
}

/* A tuple display without parentheses (`a, b`). */
static Node *bare_tuple(NodeList elts, const YYLTYPE *loc)
{
    Node *t = mn_node_at(E_TUPLE, loc);
    t->u.seq.elts = elts;
    return t;
}

static Node *seq(NodeKind kind, NodeList elts, const YYLTYPE *loc)
{
    Node *n = mn_node_at(kind, loc);
    n->u.seq.elts = elts;
    return n;
}

static Node *comp(NodeKind kind, Node *elt, Node *elt2, NodeList gens,
                  const YYLTYPE *loc)
{
    Node *n = mn_node_at(kind, loc);
    n->u.comp.elt = elt;
    n->u.comp.elt2 = elt2;
    n->u.comp.generators = gens;
    return n;
}

/* ---- assignment targets ---------------------------------------- */

enum { CTX_STORE, CTX_DEL };

/* The first sub-expression of target `n` that cannot be assigned to (or
 * deleted), or NULL.  *starred_dup gets a tuple/list with two starred
 * elements. */
static Node *invalid_target(Node *n, int ctx, Node **starred_dup)
{
    switch (n->kind) {
    case E_NAME: case E_ATTR: case E_SUBSCRIPT:
        return NULL;
    case E_TUPLE: case E_LIST: {
        int nstar = 0;
        for (int i = 0; i < n->u.seq.elts.n; i++) {
            Node *e = n->u.seq.elts.items[i];
            if (e->kind == E_STARRED) {
                if (ctx == CTX_DEL)
                    return e;
                if (++nstar == 2 && starred_dup && !*starred_dup)
                    *starred_dup = n;
                e = e->u.starred.value;
            }
            Node *bad = invalid_target(e, ctx, starred_dup);
            if (bad)
                return bad;
        }
        return NULL;
    }
    default:
        return n;
    }
}

/* Is `n` at the level of a bitwise_or (an operand of a comparison)? */
static bool is_bitor_level(const Node *n)
{
    switch (n->kind) {
    case E_COMPARE: case E_BOOLOP: case E_IFEXP: case E_LAMBDA:
    case E_NAMEDEXPR: case E_STARRED: case E_TUPLE: case E_WITHITEM:
        return false;
    case E_UNARY:
        return n->u.un.op != AST_NOT;
    default:
        return true;
    }
}

/* Check a target of `for`, `with ... as`, a comprehension or (with
 * `assign` set) of `=`.  `value` is the assigned value for the
 * "Maybe you meant '=='" hint. */
static bool check_target(Parser *p, Node *t, bool assign, bool last,
                         Node *value)
{
    if (t->kind == E_STARRED) {
        mn_set_error(p, t->line, t->col, "starred assignment target must be "
                     "in a list or tuple");
        return false;
    }
    Node *dup = NULL;
    Node *bad = invalid_target(t, CTX_STORE, &dup);
    if (bad) {
        if (assign && bad == t && last && value && is_bitor_level(bad)
            && is_bitor_level(value) && bad->kind != E_LIST
            && bad->kind != E_GENEXP && bad->kind != E_TRUE
            && bad->kind != E_FALSE && bad->kind != E_NONE)
            mn_set_error(p, bad->line, bad->col, "cannot assign to %s here. "
                         "Maybe you meant '==' instead of '='?",
                         mn_expr_name(bad));
        else
            mn_set_error(p, bad->line, bad->col, "cannot assign to %s",
                         mn_expr_name(bad));
        return false;
    }
    if (dup) {
        mn_set_error(p, dup->line, dup->col, "multiple starred expressions "
                     "in assignment");
        return false;
    }
    return true;
}

static bool check_del(Parser *p, Node *t)
{
    Node *bad = invalid_target(t, CTX_DEL, NULL);
    if (bad) {
        mn_set_error(p, bad->line, bad->col, "cannot delete %s",
                     mn_expr_name(bad));
        return false;
    }
    return true;
}

static bool check_not_starred(Parser *p, Node *n)
{
    if (n && n->kind == E_STARRED) {
        mn_set_error(p, n->line, n->col,
                     "can't use starred expression here");
        return false;
    }
    return true;
}

/* ---- calls ------------------------------------------------------- */

static ArgList *args_new(void)
{
    return gc_alloc(sizeof(ArgList));
}

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Insert into the keyword-name set; false if already present. */
static bool names_insert(const char **set, int cap, const char *name)
{
    for (unsigned i = name_hash(name) & (unsigned)(cap - 1);;
         i = (i + 1) & (unsigned)(cap - 1)) {
        if (!set[i]) {
            set[i] = name;
            return true;
        }
        if (strcmp(set[i], name) == 0)
            return false;
    }
}

/* Has `name` been passed as a keyword already?  A linear scan for the
 * usual handful, a hash set for calls with many keywords. */
static bool keyword_seen(ArgList *a, const char *name)
{
    if (a->nnames < 16 && !a->names) {
        for (int i = 0; i < a->keywords.n; i++) {
            const char *o = a->keywords.items[i]->u.kw.name;
            if (o && strcmp(o, name) == 0)
                return true;
        }
        a->nnames++;
        return false;
    }
    if (!a->names || 2 * (a->nnames + 1) > a->names_cap) {
        int cap = a->names_cap ? 2 * a->names_cap : 64;
        const char **set = gc_alloc((size_t)cap * sizeof(char *));
        for (int i = 0; i < a->keywords.n; i++) {
            const char *o = a->keywords.items[i]->u.kw.name;
            if (o)
                names_insert(set, cap, o);
        }
        a->names = set;
        a->names_cap = cap;
    }
    if (!names_insert(a->names, a->names_cap, name))
        return true;
    a->nnames++;
    return false;
}

static bool args_add(Parser *p, ArgList *a, Node *arg)
{
    a->nitems++;
    if (arg == p->bare_genexp && !a->genexp_bare)
        a->genexp_bare = arg;
    if (arg->kind == E_KEYWORD) {
        const char *name = arg->u.kw.name;
        if (name) {
            if (keyword_seen(a, name)) {
                mn_set_error(p, arg->line, arg->col,
                             "keyword argument repeated: %s", name);
                return false;
            }
            a->has_kw = true;
        } else {
            a->has_kwunpack = true;
        }
        mn_nodelist_append(&a->keywords, arg);
        return true;
    }
    if (arg->kind == E_STARRED) {
        if (a->has_kwunpack) {
            mn_set_error(p, arg->line, arg->col, "iterable argument "
                         "unpacking follows keyword argument unpacking");
            return false;
        }
    } else if (a->has_kwunpack) {
        mn_set_error(p, arg->line, arg->col, "positional argument follows "
                     "keyword argument unpacking");
        return false;
    } else if (a->has_kw) {
        mn_set_error(p, arg->line, arg->col, "positional argument follows "
                     "keyword argument");
        return false;
    }
    mn_nodelist_append(&a->args, arg);
    return true;
}

static bool args_check(Parser *p, const ArgList *a)
{
    if (a && a->genexp_bare && a->nitems > 1) {
        Node *g = a->genexp_bare;
        mn_set_error(p, g->line, g->col,
                     "Generator expression must be parenthesized");
        return false;
    }
    return true;
}

/* `loc` is the whole call, `paren` its parenthesised argument list. */
static Node *call(Parser *p, Node *func, ArgList *a, const YYLTYPE *loc,
                  const YYLTYPE *paren)
{
    if (!args_check(p, a))
        return NULL;
    if (a && a->genexp_bare) {
        /* f(x for x in y): the generator's parentheses are the call's */
        Node *g = a->genexp_bare;
        g->line = paren->first_line;
        g->col = paren->first_column;
        g->end_line = paren->last_line;
        g->end_col = paren->last_column;
    }
    Node *n = mn_node_at(E_CALL, loc);
    n->u.call.func = func;
    if (a) {
        n->u.call.args = a->args;
        n->u.call.keywords = a->keywords;
    }
    return n;
}

/* `test '=' test` in an argument list. */
static Node *keyword_arg(Parser *p, Node *name, Node *value,
                         const YYLTYPE *loc)
{
    if (name->kind != E_NAME) {
        if (name->kind == E_TRUE || name->kind == E_FALSE
            || name->kind == E_NONE)
            mn_set_error(p, name->line, name->col, "cannot assign to %s",
                         mn_expr_name(name));
        else
            mn_set_error(p, name->line, name->col, "expression cannot "
                         "contain assignment, perhaps you meant \"==\"?");
        return NULL;
    }
    Node *k = mn_node_at(E_KEYWORD, loc);
    k->u.kw.name = name->u.name.id;
    k->u.kw.value = value;
    return k;
}

static Node *named_expr(Parser *p, Node *target, Node *value,
                        const YYLTYPE *loc)
{
    if (target->kind != E_NAME) {
        mn_set_error(p, target->line, target->col,
                     "cannot use assignment expressions with %s",
                     mn_expr_name(target));
        return NULL;
    }
    Node *n = mn_node_at(E_NAMEDEXPR, loc);
    n->u.named.target = target;
    n->u.named.value = value;
    return n;
}

/* ---- parameters -------------------------------------------------- */

static ParamList *params_add(ParamList *l, ParamItem *it)
{
    if (!l)
        l = gc_alloc(sizeof(ParamList));
    int k = l->n;
    if (k == 0)
        l->items = gc_alloc(4 * sizeof(ParamItem));
    else if (k >= 4 && (k & (k - 1)) == 0)
        l->items = gc_realloc(l->items, 2 * (size_t)k * sizeof(ParamItem));
    l->items[l->n++] = *it;
    return l;
}

static ParamItem *pitem(int kind, const char *name, Node *def,
                        const YYLTYPE *loc)
{
    ParamItem *it = gc_alloc(sizeof(ParamItem));
    it->kind = kind;
    it->name = name;
    it->default_value = def;
    it->loc = *loc;
    return it;
}

static bool build_params(Parser *p, const ParamList *l, Params *out)
{
    memset(out, 0, sizeof *out);
    if (!l)
        return true;
    out->pos = gc_alloc((size_t)l->n * sizeof(Param));
    out->kwonly = gc_alloc((size_t)l->n * sizeof(Param));
    bool star = false, slash = false, kwarg = false, seen_default = false;
    for (int i = 0; i < l->n; i++) {
        const ParamItem *it = &l->items[i];
        int line = it->loc.first_line, col = it->loc.first_column;
        if (kwarg) {
            mn_set_error(p, line, col,
                         "arguments cannot follow var-keyword argument");
            return false;
        }
        switch (it->kind) {
        case PI_SLASH:
            if (slash) {
                mn_set_error(p, line, col, "/ may appear only once");
                return false;
            }
            if (star) {
                mn_set_error(p, line, col, "/ must be ahead of *");
                return false;
            }
            if (out->npos == 0) {
                mn_set_error(p, line, col,
                             "at least one argument must precede /");
                return false;
            }
            slash = true;
            out->nposonly = out->npos;
            break;
        case PI_STAR:
            if (star) {
                mn_set_error(p, line, col, "* argument may appear only once");
                return false;
            }
            star = true;
            out->vararg = it->name;
            out->vararg_line = line;
            out->vararg_col = col;
            if (!it->name && (i + 1 == l->n
                              || l->items[i + 1].kind != PI_PLAIN)) {
                mn_set_error(p, line, col,
                             "named arguments must follow bare *");
                return false;
            }
            break;
        case PI_STARSTAR:
            kwarg = true;
            out->kwarg = it->name;
            out->kwarg_line = line;
            out->kwarg_col = col;
            break;
        default: {
            Param *pa;
            if (star) {
                pa = &out->kwonly[out->nkwonly++];
            } else {
                if (it->default_value) {
                    seen_default = true;
                } else if (seen_default) {
                    mn_set_error(p, line, col, "non-default argument "
                                 "follows default argument");
                    return false;
                }
                pa = &out->pos[out->npos++];
            }
            pa->name = it->name;
            pa->default_value = it->default_value;
            pa->line = line;
            pa->col = col;
            break;
        }
        }
    }
    /* Duplicate names (a symbol-table error in CPython, cheap here). */
    for (int i = 0; i < l->n; i++) {
        const char *a = l->items[i].name;
        if (!a)
            continue;
        for (int j = 0; j < i; j++) {
            const char *b = l->items[j].name;
            if (b && strcmp(a, b) == 0) {
                mn_set_error(p, l->items[i].loc.first_line,
                             l->items[i].loc.first_column,
                             "duplicate argument '%s' in function "
                             "definition", a);
                return false;
            }
        }
    }
    return true;
}

/* ---- imports ----------------------------------------------------- */

static AliasList *alias_add(AliasList *l, const char *name,
                            const char *asname, const YYLTYPE *loc)
{
    if (!l)
        l = gc_alloc(sizeof(AliasList));
    int k = l->n;
    if (k == 0)
        l->items = gc_alloc(4 * sizeof(Alias));
    else if (k >= 4 && (k & (k - 1)) == 0)
        l->items = gc_realloc(l->items, 2 * (size_t)k * sizeof(Alias));
    Alias *a = &l->items[l->n++];
    a->name = name;
    a->asname = asname;
    a->line = loc->first_line;
    a->col = loc->first_column;
    return l;
}

static const char *dotted(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = gc_alloc_atomic(la + lb + 2);
    memcpy(s, a, la);
    s[la] = '.';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

/* ---- strings ----------------------------------------------------- */

static StrList *strs_add(StrList *l, StrTok *t)
{
    if (!l)
        l = gc_alloc(sizeof(StrList));
    int k = l->n;
    if (k == 0)
        l->items = gc_alloc(4 * sizeof(StrTok *));
    else if (k >= 4 && (k & (k - 1)) == 0)
        l->items = gc_realloc(l->items, 2 * (size_t)k * sizeof(StrTok *));
    l->items[l->n++] = t;
    return l;
}

/* ---- with ---------------------------------------------------------- */

static Node *withitem(Node *expr, Node *target, const YYLTYPE *loc)
{
    Node *w = mn_node_at(E_WITHITEM, loc);
    w->u.withitem.expr = expr;
    w->u.withitem.target = target;
    return w;
}

static void note_paren_as(Parser *p, Node *item, const YYLTYPE *as_loc)
{
    if (p->nparen_as == p->cap_paren_as) {
        p->cap_paren_as = p->cap_paren_as ? 2 * p->cap_paren_as : 4;
        p->paren_as = gc_realloc(p->paren_as,
                                 (size_t)p->cap_paren_as * sizeof(ParenAs));
    }
    ParenAs *pa = &p->paren_as[p->nparen_as++];
    pa->item = item;
    pa->line = as_loc->first_line;
    pa->col = as_loc->first_column;
    pa->used = false;
}

static void use_paren_as(Parser *p, Node *item)
{
    for (int i = p->nparen_as - 1; i >= 0; i--)
        if (p->paren_as[i].item == item) {
            p->paren_as[i].used = true;
            return;
        }
}

/* The items of `with ITEMS:`; `with (a as b, c):` arrives as one
 * parenthesised tuple (or one parenthesised item) and is unpacked. */
static NodeList with_items(Parser *p, NodeList items)
{
    if (items.n == 1) {
        Node *w = items.items[0];
        Node *e = w->u.withitem.expr;
        if (!w->u.withitem.target && e->kind == E_WITHITEM) {
            use_paren_as(p, e);
            return list1(e);
        }
        /* a tuple can only get here from a parenthesised display */
        if (!w->u.withitem.target && e->kind == E_TUPLE) {
            NodeList out = {0};
            for (int i = 0; i < e->u.seq.elts.n; i++) {
                Node *x = e->u.seq.elts.items[i];
                if (x->kind == E_WITHITEM) {
                    use_paren_as(p, x);
                    mn_nodelist_append(&out, x);
                } else {
                    mn_nodelist_append(&out, mn_node_new(E_WITHITEM, x->line,
                                       x->col, x->end_line, x->end_col));
                    out.items[out.n - 1]->u.withitem.expr = x;
                }
            }
            return out;
        }
    }
    return items;
}

/* ---- if/elif chains ------------------------------------------------ */

static Node *if_chain(Node *first, NodeList elifs, NodeList orelse)
{
    Node *cur = first;
    for (int i = 0; i < elifs.n; i++) {
        cur->u.cond.orelse = list1(elifs.items[i]);
        cur = elifs.items[i];
    }
    cur->u.cond.orelse = orelse;
    return first;
}

static void set_end(Node *n, const YYLTYPE *loc)
{
    n->end_line = loc->last_line;
    n->end_col = loc->last_column;
}

/* A compound statement ends where its last clause's last statement ends
 * (its location would otherwise run to the DEDENT, i.e. to the start of
 * the next statement). */
static void end_at(Node *n, const NodeList *l)
{
    if (l->n > 0) {
        n->end_line = l->items[l->n - 1]->end_line;
        n->end_col = l->items[l->n - 1]->end_col;
    }
}

static Node *fix_end(Node *n)
{
    switch (n->kind) {
    case S_IF: case S_WHILE:
        end_at(n, &n->u.cond.body);
        end_at(n, &n->u.cond.orelse);
        break;
    case S_FOR:
        end_at(n, &n->u.forl.body);
        end_at(n, &n->u.forl.orelse);
        break;
    case S_TRY:
        end_at(n, &n->u.try_.body);
        end_at(n, &n->u.try_.handlers);
        end_at(n, &n->u.try_.orelse);
        end_at(n, &n->u.try_.finalbody);
        break;
    case S_EXCEPT:
        end_at(n, &n->u.handler.body);
        break;
    case S_WITH:
        end_at(n, &n->u.with.body);
        break;
    case S_DEF:
        end_at(n, &n->u.func.body);
        break;
    case S_CLASS:
        end_at(n, &n->u.cls.body);
        break;
    default:
        break;
    }
    return n;
}
}

%define api.pure full
%locations
%define parse.error custom
%define parse.lac full
%lex-param {void *scanner}
%parse-param {void *scanner} {Parser *p}

%union {
    Node *node;
    NodeList list;
    const char *str;
    int num;
    StrTok *strtok;
    StrList *strs;
    ArgList *args;
    ParamList *params;
    ParamItem *pitem;
    AliasList *aliases;
}

%token END 0 "end of file"
%token ERRORTOKEN "error token"
%token BADCHAR "invalid character"
%token START_FILE START_FEXPR
%token NEWLINE "newline" INDENT "indent" DEDENT "dedent"
%token <str> NAME "name"
%token <node> NUMBER "number"
%token <strtok> STRING "string"
%token <num> AUGASSIGN "augmented assignment"
%token FALSE "False" NONE "None" TRUE "True"
%token AND "and" AS "as" ASSERT "assert" BREAK "break" CLASS "class"
%token CONTINUE "continue" DEF "def" DEL "del" ELIF "elif" ELSE "else"
%token EXCEPT "except" FINALLY "finally" FOR "for" FROM "from"
%token GLOBAL "global" IF "if" IMPORT "import" IN "in" IS "is"
%token LAMBDA "lambda" NONLOCAL "nonlocal" NOT "not" OR "or" PASS "pass"
%token RAISE "raise" RETURN "return" TRY "try" WHILE "while" WITH "with"
%token POW "**" FLOORDIV "//" LSHIFT "<<" RSHIFT ">>" LE "<=" GE ">="
%token EQ "==" NE "!=" ARROW "->" COLONEQ ":=" ELLIPSIS "..."

%type <list> file_body stmt simple_stmt small_stmts suite stmts
%type <list> assign_targets tse_list expr_items paren_items list_items
%type <list> set_items comp_fors elif_clauses else_clause finally_clause
%type <list> handlers with_item_list decorators name_list sub_list
%type <node> compound_stmt small_stmt expr_stmt del_stmt flow_stmt
%type <node> import_stmt global_stmt assert_stmt
%type <node> if_stmt while_stmt for_stmt try_stmt with_stmt funcdef classdef
%type <node> decorated decorator handler with_item
%type <node> testlist_star_expr tse_item star_expr test namedexpr_test
%type <node> or_test and_test not_test comparison cmp_chain expr xor_expr
%type <node> and_expr shift_expr arith_expr term factor power atom_expr atom
%type <node> subscripts subscript opt_test lambdef exprlist expr_or_star
%type <node> paren_item dict_items comp_for arg_item ret_annot
%type <list> or_chain and_chain
%type <num> comp_op dots
%type <strs> strings
%type <args> arglist
%type <params> tparams tparam_list lparams lparam_list
%type <pitem> tparam lparam
%type <str> dotted_name tfpdef
%type <aliases> dotted_as_names import_as_names import_targets
%type <node> fexpr

%start start

%%

start
    : START_FILE file_body
        {
            Node *m = mn_node_new(S_MODULE, 1, 1, 1, 1);
            m->u.block.body = $2;
            p->result = m;
        }
    | START_FEXPR fexpr                 { p->result = $2; }
    ;

fexpr
    : testlist_star_expr                { CHECK(check_not_starred(p, $1)); $$ = $1; }
    ;

file_body
    : %empty                            { $$ = (NodeList){0}; }
    | file_body stmt                    { $$ = list_cat($1, $2); }
    ;

stmt
    : simple_stmt
    | compound_stmt                     { $$ = list1($1); }
    ;

simple_stmt
    : small_stmts NEWLINE
    | small_stmts ';' NEWLINE
    ;

small_stmts
    : small_stmt                        { $$ = list1($1); }
    | small_stmts ';' small_stmt        { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

small_stmt
    : expr_stmt
    | del_stmt
    | PASS                              { $$ = NEW(S_PASS, @1); }
    | flow_stmt
    | import_stmt
    | global_stmt
    | assert_stmt
    ;

/* ---- expression statements and assignment ---------------------- */

expr_stmt
    : testlist_star_expr
        {
            CHECK(check_not_starred(p, $1));
            $$ = NEW(S_EXPR, @$);
            $$->u.expr.value = $1;
        }
    | testlist_star_expr ':' test
        {
            Node *t = $1;
            if (t->kind == E_TUPLE || t->kind == E_LIST)
                FAILN(t, "only single target (not %s) can be annotated",
                      t->kind == E_TUPLE ? "tuple" : "list");
            if (t->kind != E_NAME && t->kind != E_ATTR && t->kind != E_SUBSCRIPT)
                FAILN(t, "illegal target for annotation");
            $$ = NEW(S_ANNASSIGN, @$);
            $$->u.ann.target = t;
            $$->u.ann.annotation = $3;
        }
    | testlist_star_expr ':' test '=' testlist_star_expr
        {
            Node *t = $1;
            if (t->kind == E_TUPLE || t->kind == E_LIST)
                FAILN(t, "only single target (not %s) can be annotated",
                      t->kind == E_TUPLE ? "tuple" : "list");
            if (t->kind != E_NAME && t->kind != E_ATTR && t->kind != E_SUBSCRIPT)
                FAILN(t, "illegal target for annotation");
            CHECK(check_not_starred(p, $5));
            $$ = NEW(S_ANNASSIGN, @$);
            $$->u.ann.target = t;
            $$->u.ann.annotation = $3;
            $$->u.ann.value = $5;
        }
    | testlist_star_expr AUGASSIGN testlist_star_expr
        {
            Node *t = $1;
            if (t->kind != E_NAME && t->kind != E_ATTR && t->kind != E_SUBSCRIPT)
                FAILN(t, "'%s' is an illegal expression for augmented "
                      "assignment", mn_expr_name(t));
            CHECK(check_not_starred(p, $3));
            $$ = NEW(S_AUGASSIGN, @$);
            $$->u.aug.target = t;
            $$->u.aug.op = $2;
            $$->u.aug.value = $3;
        }
    | assign_targets testlist_star_expr
        {
            NodeList ts = $1;
            for (int i = 0; i < ts.n; i++)
                CHECK(check_target(p, ts.items[i], true, i == ts.n - 1, $2));
            CHECK(check_not_starred(p, $2));
            $$ = NEW(S_ASSIGN, @$);
            $$->u.assign.targets = ts;
            $$->u.assign.value = $2;
        }
    ;

assign_targets
    : testlist_star_expr '='                    { $$ = list1($1); }
    | assign_targets testlist_star_expr '='     { $$ = $1; mn_nodelist_append(&$$, $2); }
    ;

testlist_star_expr
    : tse_list              { $$ = $1.n == 1 ? $1.items[0] : bare_tuple($1, &@$); }
    | tse_list ','          { $$ = bare_tuple($1, &@$); }
    ;

tse_list
    : tse_item                  { $$ = list1($1); }
    | tse_list ',' tse_item     { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

tse_item
    : test
    | star_expr
    ;

star_expr
    : '*' expr
        {
            $$ = NEW(E_STARRED, @$);
            $$->u.starred.value = $2;
        }
    ;

/* ---- simple statements ----------------------------------------- */

del_stmt
    : DEL expr_items opt_comma
        {
            for (int i = 0; i < $2.n; i++)
                CHECK(check_del(p, $2.items[i]));
            $$ = seq(S_DEL, $2, &@$);
        }
    ;

opt_comma
    : %empty
    | ','
    ;

flow_stmt
    : BREAK                             { $$ = NEW(S_BREAK, @$); }
    | CONTINUE                          { $$ = NEW(S_CONTINUE, @$); }
    | RETURN                            { $$ = NEW(S_RETURN, @$); }
    | RETURN testlist_star_expr
        {
            CHECK(check_not_starred(p, $2));
            $$ = NEW(S_RETURN, @$);
            $$->u.expr.value = $2;
        }
    | RAISE                             { $$ = NEW(S_RAISE, @$); }
    | RAISE test
        {
            $$ = NEW(S_RAISE, @$);
            $$->u.raise.exc = $2;
        }
    | RAISE test FROM test
        {
            $$ = NEW(S_RAISE, @$);
            $$->u.raise.exc = $2;
            $$->u.raise.cause = $4;
        }
    ;

import_stmt
    : IMPORT dotted_as_names
        {
            $$ = NEW(S_IMPORT, @$);
            $$->u.import.aliases = $2->items;
            $$->u.import.naliases = $2->n;
        }
    | FROM dotted_name IMPORT import_targets
        {
            $$ = NEW(S_IMPORTFROM, @$);
            $$->u.import.module = $2;
            $$->u.import.aliases = $4->items;
            $$->u.import.naliases = $4->n;
        }
    | FROM dots dotted_name IMPORT import_targets
        {
            $$ = NEW(S_IMPORTFROM, @$);
            $$->u.import.module = $3;
            $$->u.import.level = $2;
            $$->u.import.aliases = $5->items;
            $$->u.import.naliases = $5->n;
        }
    | FROM dots IMPORT import_targets
        {
            $$ = NEW(S_IMPORTFROM, @$);
            $$->u.import.level = $2;
            $$->u.import.aliases = $4->items;
            $$->u.import.naliases = $4->n;
        }
    ;

dots
    : '.'                               { $$ = 1; }
    | ELLIPSIS                          { $$ = 3; }
    | dots '.'                          { $$ = $1 + 1; }
    | dots ELLIPSIS                     { $$ = $1 + 3; }
    ;

dotted_name
    : NAME
    | dotted_name '.' NAME              { $$ = dotted($1, $3); }
    ;

dotted_as_names
    : dotted_name                       { $$ = alias_add(NULL, $1, NULL, &@1); }
    | dotted_name AS NAME               { $$ = alias_add(NULL, $1, $3, &@1); }
    | dotted_as_names ',' dotted_name   { $$ = alias_add($1, $3, NULL, &@3); }
    | dotted_as_names ',' dotted_name AS NAME
                                        { $$ = alias_add($1, $3, $5, &@3); }
    ;

import_targets
    : '*'                               { $$ = alias_add(NULL, "*", NULL, &@1); }
    | '(' import_as_names ')'           { $$ = $2; }
    | '(' import_as_names ',' ')'       { $$ = $2; }
    | import_as_names
    | import_as_names ','
        {
            FAIL_AT(@2.last_line, @2.last_column, "trailing comma not "
                    "allowed without surrounding parentheses");
        }
    ;

import_as_names
    : NAME                              { $$ = alias_add(NULL, $1, NULL, &@1); }
    | NAME AS NAME                      { $$ = alias_add(NULL, $1, $3, &@1); }
    | import_as_names ',' NAME          { $$ = alias_add($1, $3, NULL, &@3); }
    | import_as_names ',' NAME AS NAME  { $$ = alias_add($1, $3, $5, &@3); }
    ;

global_stmt
    : GLOBAL name_list
        {
            $$ = NEW(S_GLOBAL, @$);
            $$->u.names.n = $2.n;
            $$->u.names.names = gc_alloc((size_t)$2.n * sizeof(char *));
            for (int i = 0; i < $2.n; i++)
                $$->u.names.names[i] = $2.items[i]->u.name.id;
        }
    | NONLOCAL name_list
        {
            $$ = NEW(S_NONLOCAL, @$);
            $$->u.names.n = $2.n;
            $$->u.names.names = gc_alloc((size_t)$2.n * sizeof(char *));
            for (int i = 0; i < $2.n; i++)
                $$->u.names.names[i] = $2.items[i]->u.name.id;
        }
    ;

name_list
    : NAME
        {
            Node *n = NEW(E_NAME, @1);
            n->u.name.id = $1;
            $$ = list1(n);
        }
    | name_list ',' NAME
        {
            Node *n = NEW(E_NAME, @3);
            n->u.name.id = $3;
            $$ = $1;
            mn_nodelist_append(&$$, n);
        }
    ;

assert_stmt
    : ASSERT test
        {
            $$ = NEW(S_ASSERT, @$);
            $$->u.assert_.test = $2;
        }
    | ASSERT test ',' test
        {
            $$ = NEW(S_ASSERT, @$);
            $$->u.assert_.test = $2;
            $$->u.assert_.msg = $4;
        }
    ;

/* ---- compound statements --------------------------------------- */

compound_stmt
    : if_stmt
    | while_stmt
    | for_stmt
    | try_stmt
    | with_stmt
    | funcdef
    | classdef
    | decorated
    ;

suite
    : simple_stmt
    | NEWLINE INDENT stmts DEDENT       { $$ = $3; }
    ;

stmts
    : stmt
    | stmts stmt                        { $$ = list_cat($1, $2); }
    ;

if_stmt
    : IF namedexpr_test ':' suite elif_clauses else_clause
        {
            $$ = NEW(S_IF, @$);
            $$->u.cond.test = $2;
            $$->u.cond.body = $4;
            $$ = if_chain($$, $5, $6);
            for (int i = $5.n - 1; i >= 0; i--)
                fix_end($5.items[i]);
            fix_end($$);
        }
    ;

elif_clauses
    : %empty                            { $$ = (NodeList){0}; }
    | elif_clauses ELIF namedexpr_test ':' suite
        {
            YYLTYPE l = @2;
            l.last_line = @5.last_line;
            l.last_column = @5.last_column;
            Node *n = NEW(S_IF, l);
            n->u.cond.test = $3;
            n->u.cond.body = $5;
            $$ = $1;
            mn_nodelist_append(&$$, n);
        }
    ;

else_clause
    : %empty                            { $$ = (NodeList){0}; }
    | ELSE ':' suite                    { $$ = $3; }
    ;

while_stmt
    : WHILE namedexpr_test ':' suite else_clause
        {
            $$ = NEW(S_WHILE, @$);
            $$->u.cond.test = $2;
            $$->u.cond.body = $4;
            $$->u.cond.orelse = $5;
            fix_end($$);
        }
    ;

for_stmt
    : FOR exprlist IN testlist_star_expr ':' suite else_clause
        {
            CHECK(check_target(p, $2, false, false, NULL));
            $$ = NEW(S_FOR, @$);
            $$->u.forl.target = $2;
            $$->u.forl.iter = $4;
            $$->u.forl.body = $6;
            $$->u.forl.orelse = $7;
            fix_end($$);
        }
    ;

try_stmt
    : TRY ':' suite handlers else_clause finally_clause
        {
            $$ = NEW(S_TRY, @$);
            $$->u.try_.body = $3;
            $$->u.try_.handlers = $4;
            $$->u.try_.orelse = $5;
            $$->u.try_.finalbody = $6;
            fix_end($$);
        }
    | TRY ':' suite FINALLY ':' suite
        {
            $$ = NEW(S_TRY, @$);
            $$->u.try_.body = $3;
            $$->u.try_.finalbody = $6;
            fix_end($$);
        }
    ;

handlers
    : handler                           { $$ = list1($1); }
    | handlers handler                  { $$ = $1; mn_nodelist_append(&$$, $2); }
    ;

handler
    : EXCEPT ':' suite
        {
            $$ = NEW(S_EXCEPT, @$);
            $$->u.handler.body = $3;
            fix_end($$);
        }
    | EXCEPT test ':' suite
        {
            $$ = NEW(S_EXCEPT, @$);
            $$->u.handler.type = $2;
            $$->u.handler.body = $4;
            fix_end($$);
        }
    | EXCEPT test AS NAME ':' suite
        {
            $$ = NEW(S_EXCEPT, @$);
            $$->u.handler.type = $2;
            $$->u.handler.name = $4;
            $$->u.handler.body = $6;
            fix_end($$);
        }
    | EXCEPT test ','
        {
            FAILN($2, "multiple exception types must be parenthesized");
        }
    ;

finally_clause
    : %empty                            { $$ = (NodeList){0}; }
    | FINALLY ':' suite                 { $$ = $3; }
    ;

with_stmt
    : WITH with_item_list ':' suite
        {
            $$ = NEW(S_WITH, @$);
            $$->u.with.items = with_items(p, $2);
            $$->u.with.body = $4;
            fix_end($$);
        }
    ;

with_item_list
    : with_item                         { $$ = list1($1); }
    | with_item_list ',' with_item      { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

with_item
    : test                              { $$ = withitem($1, NULL, &@$); }
    | test AS expr
        {
            CHECK(check_target(p, $3, false, false, NULL));
            $$ = withitem($1, $3, &@$);
        }
    ;

funcdef
    : DEF NAME '(' ')' ret_annot ':' suite
        {
            $$ = NEW(S_DEF, @$);
            $$->u.func.name = $2;
            $$->u.func.body = $7;
            fix_end($$);
        }
    | DEF NAME '(' tparams ')' ret_annot ':' suite
        {
            $$ = NEW(S_DEF, @$);
            $$->u.func.name = $2;
            CHECK(build_params(p, $4, &$$->u.func.params));
            $$->u.func.body = $8;
            fix_end($$);
        }
    ;

ret_annot
    : %empty                            { $$ = NULL; }
    | ARROW test                        { $$ = $2; }
    ;

tparams
    : tparam_list
    | tparam_list ','
    ;

tparam_list
    : tparam                            { $$ = params_add(NULL, $1); }
    | tparam_list ',' tparam            { $$ = params_add($1, $3); }
    ;

tparam
    : tfpdef                            { $$ = pitem(PI_PLAIN, $1, NULL, &@$); }
    | tfpdef '=' test                   { $$ = pitem(PI_PLAIN, $1, $3, &@$); }
    | '*'                               { $$ = pitem(PI_STAR, NULL, NULL, &@$); }
    | '*' tfpdef                        { $$ = pitem(PI_STAR, $2, NULL, &@$); }
    | POW tfpdef                        { $$ = pitem(PI_STARSTAR, $2, NULL, &@$); }
    | '/'                               { $$ = pitem(PI_SLASH, NULL, NULL, &@$); }
    ;

tfpdef
    : NAME
    | NAME ':' test                     { $$ = $1; }
    ;

classdef
    : CLASS NAME ':' suite
        {
            $$ = NEW(S_CLASS, @$);
            $$->u.cls.name = $2;
            $$->u.cls.body = $4;
            fix_end($$);
        }
    | CLASS NAME '(' ')' ':' suite
        {
            $$ = NEW(S_CLASS, @$);
            $$->u.cls.name = $2;
            $$->u.cls.body = $6;
            fix_end($$);
        }
    | CLASS NAME '(' arglist opt_comma ')' ':' suite
        {
            CHECK(args_check(p, $4));
            $$ = NEW(S_CLASS, @$);
            $$->u.cls.name = $2;
            $$->u.cls.bases = $4->args;
            $$->u.cls.keywords = $4->keywords;
            $$->u.cls.body = $8;
            fix_end($$);
        }
    ;

decorated
    : decorators funcdef
        {
            $$ = $2;
            $$->u.func.decorators = $1;
        }
    | decorators classdef
        {
            $$ = $2;
            $$->u.cls.decorators = $1;
        }
    ;

decorators
    : decorator                         { $$ = list1($1); }
    | decorators decorator              { $$ = $1; mn_nodelist_append(&$$, $2); }
    ;

decorator
    : '@' namedexpr_test NEWLINE        { $$ = $2; }
    ;

/* ---- expressions ----------------------------------------------- */

namedexpr_test
    : test
    | test COLONEQ test                 { $$ = named_expr(p, $1, $3, &@$); CHECK($$); }
    ;

test
    : or_test
    | or_test IF or_test ELSE test
        {
            $$ = NEW(E_IFEXP, @$);
            $$->u.ifexp.test = $3;
            $$->u.ifexp.body = $1;
            $$->u.ifexp.orelse = $5;
        }
    | lambdef
    ;

lambdef
    : LAMBDA ':' test
        {
            $$ = NEW(E_LAMBDA, @$);
            $$->u.func.name = "<lambda>";
            $$->u.func.body_expr = $3;
        }
    | LAMBDA lparams ':' test
        {
            $$ = NEW(E_LAMBDA, @$);
            $$->u.func.name = "<lambda>";
            CHECK(build_params(p, $2, &$$->u.func.params));
            $$->u.func.body_expr = $4;
        }
    ;

lparams
    : lparam_list
    | lparam_list ','
    ;

lparam_list
    : lparam                            { $$ = params_add(NULL, $1); }
    | lparam_list ',' lparam            { $$ = params_add($1, $3); }
    ;

lparam
    : NAME                              { $$ = pitem(PI_PLAIN, $1, NULL, &@$); }
    | NAME '=' test                     { $$ = pitem(PI_PLAIN, $1, $3, &@$); }
    | '*'                               { $$ = pitem(PI_STAR, NULL, NULL, &@$); }
    | '*' NAME                          { $$ = pitem(PI_STAR, $2, NULL, &@$); }
    | POW NAME                          { $$ = pitem(PI_STARSTAR, $2, NULL, &@$); }
    | '/'                               { $$ = pitem(PI_SLASH, NULL, NULL, &@$); }
    ;

or_test
    : and_test
    | or_chain                          { $$ = boolop(false, $1, &@$); }
    ;

or_chain
    : and_test OR and_test              { $$ = list1($1); mn_nodelist_append(&$$, $3); }
    | or_chain OR and_test              { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

and_test
    : not_test
    | and_chain                         { $$ = boolop(true, $1, &@$); }
    ;

and_chain
    : not_test AND not_test             { $$ = list1($1); mn_nodelist_append(&$$, $3); }
    | and_chain AND not_test            { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

not_test
    : NOT not_test                      { $$ = unary(AST_NOT, $2, &@$); }
    | comparison
    ;

comparison
    : expr
    | cmp_chain
    ;

cmp_chain
    : expr comp_op expr
        {
            $$ = NEW(E_COMPARE, @$);
            $$->u.cmp.left = $1;
            compare_add($$, $2, $3, &@$);
        }
    | cmp_chain comp_op expr            { $$ = $1; compare_add($$, $2, $3, &@$); }
    ;

comp_op
    : '<'                               { $$ = AC_LT; }
    | '>'                               { $$ = AC_GT; }
    | EQ                                { $$ = AC_EQ; }
    | GE                                { $$ = AC_GE; }
    | LE                                { $$ = AC_LE; }
    | NE                                { $$ = AC_NE; }
    | IN                                { $$ = AC_IN; }
    | NOT IN                            { $$ = AC_NOT_IN; }
    | IS                                { $$ = AC_IS; }
    | IS NOT                            { $$ = AC_IS_NOT; }
    ;

expr
    : xor_expr
    | expr '|' xor_expr                 { $$ = binop(OP_OR, $1, $3, &@$); }
    ;

xor_expr
    : and_expr
    | xor_expr '^' and_expr             { $$ = binop(OP_XOR, $1, $3, &@$); }
    ;

and_expr
    : shift_expr
    | and_expr '&' shift_expr           { $$ = binop(OP_AND, $1, $3, &@$); }
    ;

shift_expr
    : arith_expr
    | shift_expr LSHIFT arith_expr      { $$ = binop(OP_LSHIFT, $1, $3, &@$); }
    | shift_expr RSHIFT arith_expr      { $$ = binop(OP_RSHIFT, $1, $3, &@$); }
    ;

arith_expr
    : term
    | arith_expr '+' term               { $$ = binop(OP_ADD, $1, $3, &@$); }
    | arith_expr '-' term               { $$ = binop(OP_SUB, $1, $3, &@$); }
    ;

term
    : factor
    | term '*' factor                   { $$ = binop(OP_MUL, $1, $3, &@$); }
    | term '/' factor                   { $$ = binop(OP_TRUEDIV, $1, $3, &@$); }
    | term '%' factor                   { $$ = binop(OP_MOD, $1, $3, &@$); }
    | term FLOORDIV factor              { $$ = binop(OP_FLOORDIV, $1, $3, &@$); }
    ;

factor
    : '+' factor                        { $$ = unary(UOP_POS, $2, &@$); }
    | '-' factor                        { $$ = unary(UOP_NEG, $2, &@$); }
    | '~' factor                        { $$ = unary(UOP_INVERT, $2, &@$); }
    | power
    ;

power
    : atom_expr
    | atom_expr POW factor              { $$ = binop(OP_POW, $1, $3, &@$); }
    ;

atom_expr
    : atom
    | atom_expr '(' ')'
        {
            $$ = call(p, $1, NULL, &@$, &@$);
            CHECK($$);
        }
    | atom_expr '(' arglist opt_comma ')'
        {
            YYLTYPE paren = @2;
            paren.last_line = @5.last_line;
            paren.last_column = @5.last_column;
            $$ = call(p, $1, $3, &@$, &paren);
            CHECK($$);
        }
    | atom_expr '[' subscripts ']'
        {
            $$ = NEW(E_SUBSCRIPT, @$);
            $$->u.sub.value = $1;
            $$->u.sub.index = $3;
        }
    | atom_expr '.' NAME
        {
            $$ = NEW(E_ATTR, @$);
            $$->u.attr.value = $1;
            $$->u.attr.name = $3;
        }
    ;

arglist
    : arg_item                          { $$ = args_new(); CHECK(args_add(p, $$, $1)); }
    | arglist ',' arg_item              { $$ = $1; CHECK(args_add(p, $$, $3)); }
    ;

arg_item
    : test
    | test comp_fors
        {
            /* unparenthesised: legal only as the sole argument */
            $$ = comp(E_GENEXP, $1, NULL, $2, &@$);
            p->bare_genexp = $$;
        }
    | test '=' test                     { $$ = keyword_arg(p, $1, $3, &@$); CHECK($$); }
    | test COLONEQ test                 { $$ = named_expr(p, $1, $3, &@$); CHECK($$); }
    | '*' test
        {
            $$ = NEW(E_STARRED, @$);
            $$->u.starred.value = $2;
        }
    | POW test
        {
            $$ = NEW(E_KEYWORD, @$);
            $$->u.kw.value = $2;
        }
    ;

subscripts
    : sub_list
        {
            /* a[*b] indexes with a tuple, as in Python 3.11 */
            bool one = $1.n == 1 && $1.items[0]->kind != E_STARRED;
            $$ = one ? $1.items[0] : bare_tuple($1, &@$);
        }
    | sub_list ','          { $$ = bare_tuple($1, &@$); }
    ;

sub_list
    : subscript                         { $$ = list1($1); }
    | sub_list ',' subscript            { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

subscript
    : namedexpr_test
    | star_expr
    | opt_test ':' opt_test
        {
            $$ = NEW(E_SLICE, @$);
            if (!$1) {
                $$->line = @2.first_line;
                $$->col = @2.first_column;
            }
            $$->u.slice.lower = $1;
            $$->u.slice.upper = $3;
        }
    | opt_test ':' opt_test ':' opt_test
        {
            $$ = NEW(E_SLICE, @$);
            if (!$1) {
                $$->line = @2.first_line;
                $$->col = @2.first_column;
            }
            $$->u.slice.lower = $1;
            $$->u.slice.upper = $3;
            $$->u.slice.step = $5;
        }
    ;

opt_test
    : %empty                            { $$ = NULL; }
    | test
    ;

atom
    : '(' ')'                           { $$ = seq(E_TUPLE, (NodeList){0}, &@$); }
    | '(' paren_items ')'
        {
            if ($2.n == 1) {
                $$ = $2.items[0];
                if ($$->kind == E_STARRED)
                    FAILN($$, "cannot use starred expression here");
            } else {
                $$ = seq(E_TUPLE, $2, &@$);
            }
        }
    | '(' paren_items ',' ')'           { $$ = seq(E_TUPLE, $2, &@$); }
    | '(' namedexpr_test comp_fors ')'  { $$ = comp(E_GENEXP, $2, NULL, $3, &@$); }
    | '[' ']'                           { $$ = seq(E_LIST, (NodeList){0}, &@$); }
    | '[' list_items opt_comma ']'      { $$ = seq(E_LIST, $2, &@$); }
    | '[' namedexpr_test comp_fors ']'  { $$ = comp(E_LISTCOMP, $2, NULL, $3, &@$); }
    | '{' '}'                           { $$ = NEW(E_DICT, @$); }
    | '{' dict_items opt_comma '}'      { $$ = $2; $$->line = @$.first_line;
                                          $$->col = @$.first_column; set_end($$, &@$); }
    | '{' test ':' test comp_fors '}'   { $$ = comp(E_DICTCOMP, $2, $4, $5, &@$); }
    | '{' set_items opt_comma '}'       { $$ = seq(E_SET, $2, &@$); }
    | '{' namedexpr_test comp_fors '}'  { $$ = comp(E_SETCOMP, $2, NULL, $3, &@$); }
    | NAME
        {
            $$ = NEW(E_NAME, @$);
            $$->u.name.id = $1;
        }
    | NUMBER
    | strings                           { $$ = mn_strings_node(p, $1); CHECK($$); }
    | ELLIPSIS                          { $$ = NEW(E_ELLIPSIS, @$); }
    | NONE                              { $$ = NEW(E_NONE, @$); }
    | TRUE                              { $$ = NEW(E_TRUE, @$); }
    | FALSE                             { $$ = NEW(E_FALSE, @$); }
    ;

strings
    : STRING                            { $$ = strs_add(NULL, $1); }
    | strings STRING                    { $$ = strs_add($1, $2); }
    ;

paren_items
    : paren_item                        { $$ = list1($1); }
    | paren_items ',' paren_item        { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

paren_item
    : namedexpr_test
    | star_expr
    | test AS expr
        {
            /* Only meaningful as `with (a as b, ...):`; checked later. */
            CHECK(check_target(p, $3, false, false, NULL));
            $$ = withitem($1, $3, &@$);
            note_paren_as(p, $$, &@2);
        }
    ;

list_items
    : namedexpr_test                    { $$ = list1($1); }
    | star_expr                         { $$ = list1($1); }
    | list_items ',' namedexpr_test     { $$ = $1; mn_nodelist_append(&$$, $3); }
    | list_items ',' star_expr          { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

set_items
    : namedexpr_test                    { $$ = list1($1); }
    | star_expr                         { $$ = list1($1); }
    | set_items ',' namedexpr_test      { $$ = $1; mn_nodelist_append(&$$, $3); }
    | set_items ',' star_expr           { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

dict_items
    : test ':' test
        {
            $$ = NEW(E_DICT, @$);
            mn_nodelist_append(&$$->u.dict.keys, $1);
            mn_nodelist_append(&$$->u.dict.values, $3);
        }
    | POW expr
        {
            $$ = NEW(E_DICT, @$);
            mn_nodelist_append(&$$->u.dict.keys, NULL);
            mn_nodelist_append(&$$->u.dict.values, $2);
        }
    | dict_items ',' test ':' test
        {
            $$ = $1;
            mn_nodelist_append(&$$->u.dict.keys, $3);
            mn_nodelist_append(&$$->u.dict.values, $5);
        }
    | dict_items ',' POW expr
        {
            $$ = $1;
            mn_nodelist_append(&$$->u.dict.keys, NULL);
            mn_nodelist_append(&$$->u.dict.values, $4);
        }
    ;

comp_fors
    : comp_for                          { $$ = list1($1); }
    | comp_fors comp_for                { $$ = $1; mn_nodelist_append(&$$, $2); }
    | comp_fors IF or_test
        {
            $$ = $1;
            Node *last = $$.items[$$.n - 1];
            mn_nodelist_append(&last->u.gen.ifs, $3);
            set_end(last, &@3);
        }
    ;

comp_for
    : FOR exprlist IN or_test
        {
            CHECK(check_target(p, $2, false, false, NULL));
            $$ = NEW(E_COMPREHENSION, @$);
            $$->u.gen.target = $2;
            $$->u.gen.iter = $4;
        }
    ;

exprlist
    : expr_items            { $$ = $1.n == 1 ? $1.items[0] : bare_tuple($1, &@$); }
    | expr_items ','        { $$ = bare_tuple($1, &@$); }
    ;

expr_items
    : expr_or_star                      { $$ = list1($1); }
    | expr_items ',' expr_or_star       { $$ = $1; mn_nodelist_append(&$$, $3); }
    ;

expr_or_star
    : expr
    | star_expr
    ;

%%

/* ------------------------------------------------------------------ */
/* Error reporting                                                     */
/* ------------------------------------------------------------------ */

static void yyerror(YYLTYPE *loc, void *scanner, Parser *p, const char *msg)
{
    (void)scanner;
    /* Only reached for parser stack exhaustion ("memory exhausted"). */
    if (strstr(msg, "exhausted"))
        mn_set_error(p, loc->first_line, loc->first_column,
                     "too many nested expressions (parser stack overflow)");
    else
        mn_set_error(p, loc->first_line, loc->first_column, "%s", msg);
}

static bool ends_expr(int t)
{
    switch (t) {
    case NAME: case NUMBER: case STRING: case ')': case ']': case '}':
    case NONE: case TRUE: case FALSE: case ELLIPSIS:
        return true;
    default:
        return false;
    }
}

static bool starts_expr(int t)
{
    switch (t) {
    case NAME: case NUMBER: case STRING: case '(': case '[': case '{':
    case NONE: case TRUE: case FALSE: case ELLIPSIS: case NOT: case LAMBDA:
    case '-': case '+': case '~':
        return true;
    default:
        return false;
    }
}

static const char *block_what(int kw)
{
    switch (kw) {
    case IF: return "'if' statement";
    case ELIF: return "'elif' statement";
    case ELSE: return "'else' statement";
    case WHILE: return "'while' statement";
    case FOR: return "'for' statement";
    case TRY: return "'try' statement";
    case EXCEPT: return "'except' statement";
    case FINALLY: return "'finally' statement";
    case WITH: return "'with' statement";
    case DEF: return "function definition";
    case CLASS: return "class definition";
    default: return NULL;
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner,
                                 Parser *p)
{
    (void)scanner;
    if (p->failed)
        return 0;           /* the scanner already said what is wrong */
    const YYLTYPE *loc = yypcontext_location(ctx);
    int line = loc->first_line, col = loc->first_column;
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0)
        n = 0;
    bool want_indent = false, want_colon = false, want_except = false,
         want_finally = false, want_else = false, want_or = false;
    for (int i = 0; i < n; i++) {
        switch (exp[i]) {
        case YYSYMBOL_INDENT: want_indent = true; break;
        case YYSYMBOL_58_: want_colon = true; break;   /* ':' */
        case YYSYMBOL_EXCEPT: want_except = true; break;
        case YYSYMBOL_FINALLY: want_finally = true; break;
        case YYSYMBOL_ELSE: want_else = true; break;
        case YYSYMBOL_OR: want_or = true; break;
        default: break;
        }
    }
    int t = p->cur_tok;
    p->err_synth = p->cur_synth;
    if (t == INDENT) {
        mn_set_error(p, line, col, "unexpected indent");
    } else if (want_indent && n == 1) {
        const char *what = block_what(p->block_kw);
        if (what)
            mn_set_error(p, line, col, "expected an indented block after %s "
                         "on line %d", what, p->block_line);
        else
            mn_set_error(p, line, col, "expected an indented block");
    } else if (t == NEWLINE && want_colon) {
        mn_set_error(p, line, col, "expected ':'");
    } else if (want_except && want_finally && n == 2) {
        mn_set_error(p, line, col, "expected 'except' or 'finally' block");
    } else if (want_else && want_or) {
        /* ELSE together with OR: we are inside `a if b` */
        int d = p->cur_depth;
        if (t == ')' || t == ']' || t == '}')
            d++;
        mn_set_error(p, p->expr_line[d], p->expr_col[d],
                     "expected 'else' after 'if' expression");
    } else if (p->prev_tok == NAME && starts_expr(t) && p->prev_name
               && (strcmp(p->prev_name, "print") == 0
                   || strcmp(p->prev_name, "exec") == 0)) {
        mn_set_error(p, p->prev_loc.first_line, p->prev_loc.first_column,
                     "Missing parentheses in call to '%s'. Did you mean "
                     "%s(...)?", p->prev_name, p->prev_name);
    } else if ((p->cur_depth > 0 || p->fexpr) && ends_expr(p->prev_tok)
               && starts_expr(t)
               && !(p->prev_tok == NAME && t == STRING
                    && p->expr_line[p->cur_depth] == p->prev_loc.first_line
                    && p->expr_col[p->cur_depth]
                       == p->prev_loc.first_column)) {
        /* (`NAME STRING` alone is left as plain invalid syntax, as in
         * CPython: it is more often a misspelt keyword or prefix.) */
        int d = p->cur_depth;
        mn_set_error(p, p->expr_line[d], p->expr_col[d],
                     "invalid syntax. Perhaps you forgot a comma?");
    } else if (t == DEDENT && !p->cur_synth) {
        mn_set_error(p, line, col, "unexpected unindent");
    } else {
        mn_set_error(p, line, col, "invalid syntax");
    }
    return 0;
}

const char *mn_token_name(int tok)
{
    return yysymbol_name(YYTRANSLATE(tok));
}
