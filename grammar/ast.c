/*
 * ast.c -- AST node construction, traversal helpers, the debug dump and
 * the syntax-error formatter.  See ast.h for the node layout.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/ast.h"
#include "grammar/parse_internal.h"
#include "runtime/gc.h"
#include "runtime/object.h"

/* ------------------------------------------------------------------ */
/* Construction                                                        */
/* ------------------------------------------------------------------ */

Node *mn_node_new(NodeKind kind, int line, int col, int end_line,
                  int end_col)
{
    Node *n = gc_alloc(sizeof(Node));
    n->kind = kind;
    n->line = line;
    n->col = col;
    n->end_line = end_line;
    n->end_col = end_col;
    return n;
}

Node *mn_node_at(NodeKind kind, const YYLTYPE *loc)
{
    return mn_node_new(kind, loc->first_line, loc->first_column,
                       loc->last_line, loc->last_column);
}

/* Capacity is implied by n: 4 for n <= 4, else the next power of two, so
 * NodeList needs no capacity field. */
void mn_nodelist_append(NodeList *l, Node *n)
{
    int k = l->n;
    if (k == 0)
        l->items = gc_alloc(4 * sizeof(Node *));
    else if (k >= 4 && (k & (k - 1)) == 0)
        l->items = gc_realloc(l->items, 2 * (size_t)k * sizeof(Node *));
    l->items[l->n++] = n;
}

/* ------------------------------------------------------------------ */
/* Traversal                                                           */
/* ------------------------------------------------------------------ */

static void visit_list(const NodeList *l, void (*fn)(void *, Node *),
                       void *ctx)
{
    for (int i = 0; i < l->n; i++)
        if (l->items[i])
            fn(ctx, l->items[i]);
}

#define V(x) do { if (x) fn(ctx, (x)); } while (0)

static void visit_params(const Params *ps, void (*fn)(void *, Node *),
                         void *ctx)
{
    for (int i = 0; i < ps->npos; i++)
        V(ps->pos[i].default_value);
    for (int i = 0; i < ps->nkwonly; i++)
        V(ps->kwonly[i].default_value);
}

void mn_ast_children(const Node *n, void (*fn)(void *ctx, Node *child),
                     void *ctx)
{
    const typeof(n->u) *u = &n->u;
    switch (n->kind) {
    case E_NAME: case E_INT: case E_FLOAT: case E_STR: case E_BYTES:
    case E_TRUE: case E_FALSE: case E_NONE: case E_ELLIPSIS:
    case S_BREAK: case S_CONTINUE: case S_PASS: case S_GLOBAL:
    case S_NONLOCAL: case S_IMPORT: case S_IMPORTFROM:
        break;
    case E_FSTRING: case E_TUPLE: case E_LIST: case E_SET: case S_DEL:
        visit_list(&u->seq.elts, fn, ctx);
        break;
    case E_FORMATTED:
        V(u->fmt.value); V(u->fmt.spec);
        break;
    case E_BINOP:
        V(u->bin.left); V(u->bin.right);
        break;
    case E_UNARY:
        V(u->un.operand);
        break;
    case E_BOOLOP:
        visit_list(&u->boolop.values, fn, ctx);
        break;
    case E_COMPARE:
        V(u->cmp.left);
        visit_list(&u->cmp.comparators, fn, ctx);
        break;
    case E_IFEXP:
        V(u->ifexp.test); V(u->ifexp.body); V(u->ifexp.orelse);
        break;
    case E_CALL:
        V(u->call.func);
        visit_list(&u->call.args, fn, ctx);
        visit_list(&u->call.keywords, fn, ctx);
        break;
    case E_KEYWORD:
        V(u->kw.value);
        break;
    case E_ATTR:
        V(u->attr.value);
        break;
    case E_SUBSCRIPT:
        V(u->sub.value); V(u->sub.index);
        break;
    case E_SLICE:
        V(u->slice.lower); V(u->slice.upper); V(u->slice.step);
        break;
    case E_STARRED:
        V(u->starred.value);
        break;
    case E_DICT:
        visit_list(&u->dict.keys, fn, ctx);
        visit_list(&u->dict.values, fn, ctx);
        break;
    case E_LISTCOMP: case E_SETCOMP: case E_GENEXP: case E_DICTCOMP:
        V(u->comp.elt); V(u->comp.elt2);
        visit_list(&u->comp.generators, fn, ctx);
        break;
    case E_COMPREHENSION:
        V(u->gen.target); V(u->gen.iter);
        visit_list(&u->gen.ifs, fn, ctx);
        break;
    case E_LAMBDA:
        visit_params(&u->func.params, fn, ctx);
        V(u->func.body_expr);
        break;
    case E_NAMEDEXPR:
        V(u->named.target); V(u->named.value);
        break;
    case S_MODULE:
        visit_list(&u->block.body, fn, ctx);
        break;
    case S_EXPR: case S_RETURN:
        V(u->expr.value);
        break;
    case S_ASSIGN:
        visit_list(&u->assign.targets, fn, ctx);
        V(u->assign.value);
        break;
    case S_AUGASSIGN:
        V(u->aug.target); V(u->aug.value);
        break;
    case S_ANNASSIGN:
        V(u->ann.target); V(u->ann.annotation); V(u->ann.value);
        break;
    case S_IF: case S_WHILE:
        V(u->cond.test);
        visit_list(&u->cond.body, fn, ctx);
        visit_list(&u->cond.orelse, fn, ctx);
        break;
    case S_FOR:
        V(u->forl.target); V(u->forl.iter);
        visit_list(&u->forl.body, fn, ctx);
        visit_list(&u->forl.orelse, fn, ctx);
        break;
    case S_DEF:
        visit_list(&u->func.decorators, fn, ctx);
        visit_params(&u->func.params, fn, ctx);
        visit_list(&u->func.body, fn, ctx);
        break;
    case S_CLASS:
        visit_list(&u->cls.decorators, fn, ctx);
        visit_list(&u->cls.bases, fn, ctx);
        visit_list(&u->cls.keywords, fn, ctx);
        visit_list(&u->cls.body, fn, ctx);
        break;
    case S_TRY:
        visit_list(&u->try_.body, fn, ctx);
        visit_list(&u->try_.handlers, fn, ctx);
        visit_list(&u->try_.orelse, fn, ctx);
        visit_list(&u->try_.finalbody, fn, ctx);
        break;
    case S_EXCEPT:
        V(u->handler.type);
        visit_list(&u->handler.body, fn, ctx);
        break;
    case S_RAISE:
        V(u->raise.exc); V(u->raise.cause);
        break;
    case S_WITH:
        visit_list(&u->with.items, fn, ctx);
        visit_list(&u->with.body, fn, ctx);
        break;
    case E_WITHITEM:
        V(u->withitem.expr); V(u->withitem.target);
        break;
    case S_ASSERT:
        V(u->assert_.test); V(u->assert_.msg);
        break;
    }
}
#undef V

/* Depth by an explicit-stack walk: the trees we guard against are exactly
 * the ones too deep to recurse over. */
typedef struct DepthStack {
    const Node **nodes;
    int *depths;
    int n, cap;
    int cur;
} DepthStack;

static void depth_push(void *ctx, Node *child)
{
    DepthStack *st = ctx;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->nodes = gc_realloc(st->nodes, st->cap * sizeof(Node *));
        st->depths = gc_realloc(st->depths, st->cap * sizeof(int));
    }
    st->nodes[st->n] = child;
    st->depths[st->n++] = st->cur + 1;
}

int mn_ast_depth_at(const Node *n, int limit, const Node **deepest)
{
    if (!n)
        return 0;
    DepthStack st = {0};
    int best = 0;
    st.cur = 0;
    depth_push(&st, (Node *)n);
    while (st.n > 0) {
        st.n--;
        const Node *x = st.nodes[st.n];
        st.cur = st.depths[st.n];
        if (st.cur > best) {
            best = st.cur;
            if (deepest)
                *deepest = x;
            if (limit > 0 && best > limit)
                break;
        }
        mn_ast_children(x, depth_push, &st);
    }
    return best;
}

/* CPython's _PyPegen_get_expr_name. */
const char *mn_expr_name(const Node *n)
{
    switch (n->kind) {
    case E_ATTR: return "attribute";
    case E_SUBSCRIPT: return "subscript";
    case E_STARRED: return "starred";
    case E_NAME: return "name";
    case E_LIST: return "list";
    case E_TUPLE: return "tuple";
    case E_LAMBDA: return "lambda";
    case E_CALL: return "function call";
    case E_BOOLOP: case E_BINOP: case E_UNARY: return "expression";
    case E_GENEXP: return "generator expression";
    case E_LISTCOMP: return "list comprehension";
    case E_SETCOMP: return "set comprehension";
    case E_DICTCOMP: return "dict comprehension";
    case E_DICT: return "dict literal";
    case E_SET: return "set display";
    case E_FSTRING: case E_FORMATTED: return "f-string expression";
    case E_NONE: return "None";
    case E_TRUE: return "True";
    case E_FALSE: return "False";
    case E_ELLIPSIS: return "ellipsis";
    case E_INT: case E_FLOAT: case E_STR: case E_BYTES: return "literal";
    case E_COMPARE: return "comparison";
    case E_IFEXP: return "conditional expression";
    case E_NAMEDEXPR: return "named expression";
    default: return "expression";
    }
}

/* ------------------------------------------------------------------ */
/* Dump                                                                */
/* ------------------------------------------------------------------ */

typedef struct Dump {
    void (*emit)(void *ctx, const char *s);
    void *ctx;
} Dump;

static void out(Dump *d, const char *s) { d->emit(d->ctx, s); }

static void outf(Dump *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void outf(Dump *d, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out(d, buf);
}

static void dump_node(Dump *d, const Node *n);

static void dump_quoted(Dump *d, const char *s, size_t len, bool bytes)
{
    char buf[8];
    out(d, bytes ? "b'" : "'");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\n': out(d, "\\n"); break;
        case '\t': out(d, "\\t"); break;
        case '\r': out(d, "\\r"); break;
        case '\\': out(d, "\\\\"); break;
        case '\'': out(d, "\\'"); break;
        default:
            if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
                snprintf(buf, sizeof buf, "\\x%02x", c);
            } else {
                buf[0] = (char)c;
                buf[1] = 0;
            }
            out(d, buf);
        }
    }
    out(d, "'");
}

static void dump_list(Dump *d, const NodeList *l)
{
    for (int i = 0; i < l->n; i++) {
        out(d, " ");
        dump_node(d, l->items[i]);
    }
}

/* A labelled sub-list, e.g. (body ...); omitted when empty unless forced. */
static void dump_block(Dump *d, const char *label, const NodeList *l,
                       bool force)
{
    if (l->n == 0 && !force)
        return;
    outf(d, " (%s", label);
    dump_list(d, l);
    out(d, ")");
}

static void dump_opt(Dump *d, const Node *n)
{
    out(d, " ");
    if (n)
        dump_node(d, n);
    else
        out(d, "-");
}

static const char *binop_sym(int op)
{
    static const char *const syms[] = {
        [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_TRUEDIV] = "/",
        [OP_FLOORDIV] = "//", [OP_MOD] = "%", [OP_POW] = "**",
        [OP_LSHIFT] = "<<", [OP_RSHIFT] = ">>", [OP_AND] = "&",
        [OP_OR] = "|", [OP_XOR] = "^",
    };
    return op >= 0 && op < OP__NBINARY ? syms[op] : "?";
}

static const char *cmp_sym(AstCmp c)
{
    static const char *const syms[] = {
        [AC_LT] = "<", [AC_LE] = "<=", [AC_EQ] = "==", [AC_NE] = "!=",
        [AC_GT] = ">", [AC_GE] = ">=", [AC_IN] = "in", [AC_NOT_IN] = "not in",
        [AC_IS] = "is", [AC_IS_NOT] = "is not",
    };
    return syms[c];
}

static void dump_param(Dump *d, const Param *p)
{
    out(d, " ");
    out(d, p->name);
    if (p->default_value) {
        out(d, "=");
        dump_node(d, p->default_value);
    }
}

static void dump_params(Dump *d, const Params *ps)
{
    out(d, " (params");
    for (int i = 0; i < ps->npos; i++) {
        dump_param(d, &ps->pos[i]);
        if (i + 1 == ps->nposonly)
            out(d, " /");
    }
    if (ps->vararg)
        outf(d, " *%s", ps->vararg);
    else if (ps->nkwonly)
        out(d, " *");
    for (int i = 0; i < ps->nkwonly; i++)
        dump_param(d, &ps->kwonly[i]);
    if (ps->kwarg)
        outf(d, " **%s", ps->kwarg);
    out(d, ")");
}

/* Like Python's float repr: shortest digits that read back exactly,
 * positional notation for exponents -4..15, else d.ddde+XX. */
static void dump_float(Dump *d, double f)
{
    char buf[64], digits[32];
    if (isinf(f)) {
        out(d, f > 0 ? "inf" : "-inf");
        return;
    }
    if (isnan(f)) {
        out(d, "nan");
        return;
    }
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf = [-]D.DDDDe[+-]XX */
    const char *b = buf;
    bool neg = *b == '-';
    if (neg)
        b++;
    int nd = 0;
    for (; *b && *b != 'e'; b++)
        if (*b != '.')
            digits[nd++] = *b;
    digits[nd] = 0;
    int exp = atoi(b + 1);
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            o += sprintf(o, "0.");
            for (int i = 0; i < -exp - 1; i++)
                *o++ = '0';
            o += sprintf(o, "%s", digits);
        } else {
            for (int i = 0; i <= exp || i < nd; i++) {
                if (i == exp + 1)
                    *o++ = '.';
                *o++ = i < nd ? digits[i] : '0';
            }
            if (nd <= exp + 1)
                o += sprintf(o, ".0");
        }
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            o += sprintf(o, "%s", digits + 1);
        }
        o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
    *o = 0;
    out(d, buf);
}

static void dump_node(Dump *d, const Node *n)
{
    const typeof(n->u) *u = &n->u;
    if (!n) {
        out(d, "-");
        return;
    }
    switch (n->kind) {
    case E_NAME: out(d, u->name.id); return;
    case E_INT: out(d, u->lit.text); return;
    case E_FLOAT: dump_float(d, u->lit.f); return;
    case E_STR: dump_quoted(d, u->lit.s, u->lit.len, false); return;
    case E_BYTES: dump_quoted(d, u->lit.s, u->lit.len, true); return;
    case E_TRUE: out(d, "True"); return;
    case E_FALSE: out(d, "False"); return;
    case E_NONE: out(d, "None"); return;
    case E_ELLIPSIS: out(d, "..."); return;
    default: break;
    }
    out(d, "(");
    switch (n->kind) {
    case E_FSTRING:
        out(d, "FString");
        dump_list(d, &u->seq.elts);
        break;
    case E_FORMATTED:
        out(d, "Fmt ");
        dump_node(d, u->fmt.value);
        if (u->fmt.conv)
            outf(d, " !%c", u->fmt.conv);
        if (u->fmt.spec) {
            out(d, " ");
            dump_node(d, u->fmt.spec);
        }
        break;
    case E_BINOP:
        outf(d, "BinOp %s ", binop_sym(u->bin.op));
        dump_node(d, u->bin.left);
        out(d, " ");
        dump_node(d, u->bin.right);
        break;
    case E_UNARY:
        out(d, "Unary ");
        out(d, u->un.op == AST_NOT ? "not" : u->un.op == UOP_NEG ? "-"
               : u->un.op == UOP_POS ? "+" : "~");
        out(d, " ");
        dump_node(d, u->un.operand);
        break;
    case E_BOOLOP:
        out(d, u->boolop.is_and ? "and" : "or");
        dump_list(d, &u->boolop.values);
        break;
    case E_COMPARE:
        out(d, "Compare ");
        dump_node(d, u->cmp.left);
        for (int i = 0; i < u->cmp.comparators.n; i++) {
            outf(d, " %s ", cmp_sym(u->cmp.ops[i]));
            dump_node(d, u->cmp.comparators.items[i]);
        }
        break;
    case E_IFEXP:
        out(d, "IfExp");
        dump_opt(d, u->ifexp.test);
        dump_opt(d, u->ifexp.body);
        dump_opt(d, u->ifexp.orelse);
        break;
    case E_CALL:
        out(d, "Call ");
        dump_node(d, u->call.func);
        dump_list(d, &u->call.args);
        dump_list(d, &u->call.keywords);
        break;
    case E_KEYWORD:
        if (u->kw.name)
            outf(d, "kw %s ", u->kw.name);
        else
            out(d, "** ");
        dump_node(d, u->kw.value);
        break;
    case E_ATTR:
        out(d, "Attr ");
        dump_node(d, u->attr.value);
        outf(d, " %s", u->attr.name);
        break;
    case E_SUBSCRIPT:
        out(d, "Sub ");
        dump_node(d, u->sub.value);
        out(d, " ");
        dump_node(d, u->sub.index);
        break;
    case E_SLICE:
        out(d, "Slice");
        dump_opt(d, u->slice.lower);
        dump_opt(d, u->slice.upper);
        dump_opt(d, u->slice.step);
        break;
    case E_STARRED:
        out(d, "* ");
        dump_node(d, u->starred.value);
        break;
    case E_TUPLE: out(d, "Tuple"); dump_list(d, &u->seq.elts); break;
    case E_LIST: out(d, "List"); dump_list(d, &u->seq.elts); break;
    case E_SET: out(d, "Set"); dump_list(d, &u->seq.elts); break;
    case E_DICT:
        out(d, "Dict");
        for (int i = 0; i < u->dict.keys.n; i++) {
            out(d, " (");
            if (u->dict.keys.items[i]) {
                dump_node(d, u->dict.keys.items[i]);
                out(d, " ");
            } else {
                out(d, "** ");
            }
            dump_node(d, u->dict.values.items[i]);
            out(d, ")");
        }
        break;
    case E_LISTCOMP: case E_SETCOMP: case E_GENEXP: case E_DICTCOMP:
        out(d, n->kind == E_LISTCOMP ? "ListComp " : n->kind == E_SETCOMP
               ? "SetComp " : n->kind == E_GENEXP ? "GenExp " : "DictComp ");
        dump_node(d, u->comp.elt);
        if (u->comp.elt2) {
            out(d, " ");
            dump_node(d, u->comp.elt2);
        }
        dump_list(d, &u->comp.generators);
        break;
    case E_COMPREHENSION:
        out(d, "for ");
        dump_node(d, u->gen.target);
        out(d, " ");
        dump_node(d, u->gen.iter);
        for (int i = 0; i < u->gen.ifs.n; i++) {
            out(d, " (if ");
            dump_node(d, u->gen.ifs.items[i]);
            out(d, ")");
        }
        break;
    case E_LAMBDA:
        out(d, "Lambda");
        dump_params(d, &u->func.params);
        out(d, " ");
        dump_node(d, u->func.body_expr);
        break;
    case E_NAMEDEXPR:
        out(d, ":= ");
        dump_node(d, u->named.target);
        out(d, " ");
        dump_node(d, u->named.value);
        break;
    case S_MODULE:
        out(d, "Module");
        dump_list(d, &u->block.body);
        break;
    case S_EXPR:
        out(d, "Expr ");
        dump_node(d, u->expr.value);
        break;
    case S_ASSIGN:
        out(d, "Assign");
        for (int i = 0; i < u->assign.targets.n; i++) {
            out(d, " ");
            dump_node(d, u->assign.targets.items[i]);
            out(d, " =");
        }
        out(d, " ");
        dump_node(d, u->assign.value);
        break;
    case S_AUGASSIGN:
        out(d, "AugAssign ");
        dump_node(d, u->aug.target);
        outf(d, " %s= ", binop_sym(u->aug.op));
        dump_node(d, u->aug.value);
        break;
    case S_ANNASSIGN:
        out(d, "AnnAssign ");
        dump_node(d, u->ann.target);
        out(d, " ");
        dump_node(d, u->ann.annotation);
        if (u->ann.value) {
            out(d, " ");
            dump_node(d, u->ann.value);
        }
        break;
    case S_IF: case S_WHILE:
        out(d, n->kind == S_IF ? "If " : "While ");
        dump_node(d, u->cond.test);
        dump_block(d, "body", &u->cond.body, true);
        dump_block(d, "else", &u->cond.orelse, false);
        break;
    case S_FOR:
        out(d, "For ");
        dump_node(d, u->forl.target);
        out(d, " ");
        dump_node(d, u->forl.iter);
        dump_block(d, "body", &u->forl.body, true);
        dump_block(d, "else", &u->forl.orelse, false);
        break;
    case S_BREAK: out(d, "Break"); break;
    case S_CONTINUE: out(d, "Continue"); break;
    case S_PASS: out(d, "Pass"); break;
    case S_RETURN:
        out(d, "Return");
        if (u->expr.value) {
            out(d, " ");
            dump_node(d, u->expr.value);
        }
        break;
    case S_DEF:
        outf(d, "Def %s", u->func.name);
        dump_params(d, &u->func.params);
        dump_block(d, "body", &u->func.body, true);
        dump_block(d, "decorators", &u->func.decorators, false);
        break;
    case S_CLASS:
        outf(d, "Class %s", u->cls.name);
        dump_block(d, "bases", &u->cls.bases, false);
        dump_block(d, "keywords", &u->cls.keywords, false);
        dump_block(d, "body", &u->cls.body, true);
        dump_block(d, "decorators", &u->cls.decorators, false);
        break;
    case S_GLOBAL: case S_NONLOCAL:
        out(d, n->kind == S_GLOBAL ? "Global" : "Nonlocal");
        for (int i = 0; i < u->names.n; i++)
            outf(d, " %s", u->names.names[i]);
        break;
    case S_IMPORT: case S_IMPORTFROM:
        if (n->kind == S_IMPORT) {
            out(d, "Import");
        } else {
            out(d, "ImportFrom ");
            for (int i = 0; i < u->import.level; i++)
                out(d, ".");
            if (u->import.module)
                out(d, u->import.module);
        }
        for (int i = 0; i < u->import.naliases; i++) {
            const Alias *a = &u->import.aliases[i];
            if (a->asname) {
                outf(d, " (%s as ", a->name);
                out(d, a->asname);
                out(d, ")");
            } else {
                out(d, " ");
                out(d, a->name);
            }
        }
        break;
    case S_TRY:
        out(d, "Try");
        dump_block(d, "body", &u->try_.body, true);
        dump_list(d, &u->try_.handlers);
        dump_block(d, "else", &u->try_.orelse, false);
        dump_block(d, "finally", &u->try_.finalbody, false);
        break;
    case S_EXCEPT:
        out(d, "Except");
        dump_opt(d, u->handler.type);
        if (u->handler.name)
            outf(d, " as %s", u->handler.name);
        dump_block(d, "body", &u->handler.body, true);
        break;
    case S_RAISE:
        out(d, "Raise");
        if (u->raise.exc) {
            out(d, " ");
            dump_node(d, u->raise.exc);
        }
        if (u->raise.cause) {
            out(d, " from ");
            dump_node(d, u->raise.cause);
        }
        break;
    case S_WITH:
        out(d, "With");
        dump_list(d, &u->with.items);
        dump_block(d, "body", &u->with.body, true);
        break;
    case E_WITHITEM:
        out(d, "item ");
        dump_node(d, u->withitem.expr);
        if (u->withitem.target) {
            out(d, " as ");
            dump_node(d, u->withitem.target);
        }
        break;
    case S_ASSERT:
        out(d, "Assert ");
        dump_node(d, u->assert_.test);
        if (u->assert_.msg) {
            out(d, " ");
            dump_node(d, u->assert_.msg);
        }
        break;
    case S_DEL:
        out(d, "Del");
        dump_list(d, &u->seq.elts);
        break;
    default:
        outf(d, "?kind%d", n->kind);
        break;
    }
    out(d, ")");
}

void mn_ast_dump(const Node *n, void (*emit)(void *ctx, const char *s),
                 void *ctx)
{
    Dump d = {emit, ctx};
    dump_node(&d, n);
}

typedef struct DumpBuf {
    char *s;
    size_t n, cap;
} DumpBuf;

static void sb_emit(void *ctx, const char *s)
{
    DumpBuf *b = ctx;
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        while (b->n + k + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 256;
        b->s = gc_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, k + 1);
    b->n += k;
}

char *mn_ast_dump_str(const Node *n)
{
    DumpBuf b = {0};
    sb_emit(&b, "");
    mn_ast_dump(n, sb_emit, &b);
    return b.s;
}

/* ------------------------------------------------------------------ */
/* Syntax error formatting                                             */
/* ------------------------------------------------------------------ */

void mn_format_syntax_error(const char *filename, const char *src,
                            size_t len, const ParseError *err, char *outbuf,
                            size_t outlen)
{
    if (!outlen)
        return;
    size_t o = 0;
#define PUT(...) do { \
        if (o < outlen) { \
            int k_ = snprintf(outbuf + o, outlen - o, __VA_ARGS__); \
            if (k_ > 0) o += (size_t)k_; \
        } \
    } while (0)

    PUT("%s:%d:%d: SyntaxError: %s\n", filename ? filename : "<string>",
        err->line, err->col, err->msg);

    /* Find line err->line; \r\n and lone \r count as line ends, like the
     * parser's own normalisation. */
    const char *p = src, *end = src ? src + len : NULL;
    if (src && len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
        p += 3;             /* the parser skipped the byte-order mark */
    int line = 1;
    while (p && p < end && line < err->line) {
        if (*p == '\n') {
            line++;
        } else if (*p == '\r') {
            line++;
            if (p + 1 < end && p[1] == '\n')
                p++;
        }
        p++;
    }
    if (!src || line != err->line || p >= end)
        return;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    /* Strip leading whitespace, counting how many characters go. */
    int stripped = 0;
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\f')) {
        p++;
        stripped++;
    }
    const char *te = e;
    while (te > p && (te[-1] == ' ' || te[-1] == '\t' || te[-1] == '\f'))
        te--;
    if (te == p)
        return;         /* blank line: nothing useful to echo */
    PUT("    %.*s\n", (int)(te - p), p);
    /* Caret under column err->col (counted in characters, 1-based). */
    PUT("    ");
    int target = err->col - 1 - stripped;
    const char *q = p;
    for (int c = 0; c < target; c++) {
        if (q < e) {
            PUT("%c", *q == '\t' ? '\t' : ' ');
            /* step over one UTF-8 character */
            q++;
            while (q < e && ((unsigned char)*q & 0xC0) == 0x80)
                q++;
        } else {
            PUT(" ");       /* past the end of the line (at the newline) */
        }
    }
    PUT("^\n");
#undef PUT
    if (o >= outlen)
        outbuf[outlen - 1] = 0;
}
