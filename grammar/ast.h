/*
 * ast.h -- the abstract syntax tree produced by the parser and consumed by
 * the compiler (vm/compile.c).
 *
 * Every node carries the line and column (both 1-based, column counted in
 * characters of the source line) where it starts; the compiler copies
 * lines into the code object's line table for tracebacks, and syntax
 * errors found after parsing (e.g. `return` outside a function, `nonlocal`
 * without a binding) point at the node.
 *
 * Nodes are allocated from the garbage collector and never freed.  The
 * parser keeps no global state: parsing is reentrant and two threads may
 * parse at once.
 *
 * One struct, a `kind`, and a union of per-kind payloads.  Identifiers are
 * plain NUL-terminated C strings (the compiler interns them).  Node lists
 * are NodeList values (arrays of Node pointers).
 */
#ifndef MN_AST_H
#define MN_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Node Node;

typedef struct NodeList {
    Node **items;
    int n;
} NodeList;

typedef enum {
    /* ---- expressions ---- */
    E_NAME,         /* name.id */
    E_INT,          /* lit.text: decimal digits, or "0x..", "0o..", "0b..";
                       underscores already removed */
    E_FLOAT,        /* lit.f ; also imaginary is not supported */
    E_STR,          /* lit.s / lit.len: decoded UTF-8 (adjacent literals
                       already concatenated unless an f-string is involved) */
    E_BYTES,        /* lit.s / lit.len: raw bytes */
    E_TRUE, E_FALSE, E_NONE, E_ELLIPSIS,
    E_FSTRING,      /* seq.elts: E_STR pieces and E_FORMATTED pieces, in order */
    E_FORMATTED,    /* fmt.value, fmt.conv ('r','s','a' or 0), fmt.spec
                       (an E_FSTRING node, possibly NULL) */
    E_BINOP,        /* bin.op (BinOp from runtime/object.h), bin.left, bin.right */
    E_UNARY,        /* un.op: AST_NOT or UnOp value, un.operand */
    E_BOOLOP,       /* boolop.is_and, boolop.values (>= 2) */
    E_COMPARE,      /* cmp.left, cmp.ops[i] (AstCmp), cmp.comparators */
    E_IFEXP,        /* ifexp.test, ifexp.body, ifexp.orelse */
    E_CALL,         /* call.func, call.args (may contain E_STARRED),
                       call.keywords (E_KEYWORD nodes; kw.name NULL = **) */
    E_KEYWORD,      /* kw.name (NULL for **expr), kw.value */
    E_ATTR,         /* attr.value, attr.name */
    E_SUBSCRIPT,    /* sub.value, sub.index (may be E_SLICE or E_TUPLE) */
    E_SLICE,        /* slice.lower, slice.upper, slice.step (each may be NULL) */
    E_STARRED,      /* starred.value: *x in calls, displays and targets */
    E_TUPLE,        /* seq.elts */
    E_LIST,         /* seq.elts */
    E_SET,          /* seq.elts */
    E_DICT,         /* dict.keys, dict.values; a NULL key means **value */
    E_LISTCOMP,     /* comp.elt, comp.generators */
    E_SETCOMP,      /* comp.elt, comp.generators */
    E_GENEXP,       /* comp.elt, comp.generators */
    E_DICTCOMP,     /* comp.elt (key), comp.elt2 (value), comp.generators */
    E_COMPREHENSION,/* gen.target, gen.iter, gen.ifs -- one `for ... if ...` */
    E_LAMBDA,       /* func.params, func.body_expr */
    E_NAMEDEXPR,    /* walrus: named.target (E_NAME), named.value */

    /* ---- statements ---- */
    S_MODULE,       /* block.body */
    S_EXPR,         /* expr.value */
    S_ASSIGN,       /* assign.targets (>= 1, chained a = b = v), assign.value */
    S_AUGASSIGN,    /* aug.target, aug.op (BinOp), aug.value */
    S_ANNASSIGN,    /* ann.target, ann.annotation, ann.value (may be NULL) */
    S_IF,           /* cond.test, cond.body, cond.orelse (elif = nested S_IF
                       as the only statement of orelse) */
    S_WHILE,        /* cond.test, cond.body, cond.orelse */
    S_FOR,          /* forl.target, forl.iter, forl.body, forl.orelse */
    S_BREAK, S_CONTINUE, S_PASS,
    S_RETURN,       /* expr.value (may be NULL) */
    S_DEF,          /* func.name, func.params, func.body, func.decorators */
    S_CLASS,        /* cls.name, cls.bases (E_* list; at most one used),
                       cls.keywords, cls.body, cls.decorators */
    S_GLOBAL,       /* names.names / names.n */
    S_NONLOCAL,     /* names.names / names.n */
    S_IMPORT,       /* import.aliases: `import a.b as c` */
    S_IMPORTFROM,   /* import.module (NULL for `from . import`), import.level,
                       import.aliases (name "*" for star import) */
    S_TRY,          /* try_.body, try_.handlers (S_EXCEPT), try_.orelse,
                       try_.finalbody */
    S_EXCEPT,       /* handler.type (may be NULL), handler.name (may be NULL),
                       handler.body */
    S_RAISE,        /* raise.exc (may be NULL), raise.cause (may be NULL) */
    S_WITH,         /* with.items (E_WITHITEM), with.body */
    E_WITHITEM,     /* withitem.expr, withitem.target (may be NULL) */
    S_ASSERT,       /* assert_.test, assert_.msg (may be NULL) */
    S_DEL,          /* seq.elts: targets */
} NodeKind;

/* Unary operators in E_UNARY beyond UnOp's NEG/POS/INVERT. */
#define AST_NOT 100

typedef enum {
    AC_LT, AC_LE, AC_EQ, AC_NE, AC_GT, AC_GE,   /* same order as CmpOp */
    AC_IN, AC_NOT_IN, AC_IS, AC_IS_NOT
} AstCmp;

typedef struct Param {
    const char *name;
    Node *default_value;    /* NULL if none */
    int line, col;
} Param;

typedef struct Params {
    Param *pos;             /* positional-or-keyword parameters */
    int npos;
    const char *vararg;     /* *args name, or NULL */
    Param *kwonly;          /* keyword-only (after * or *args) */
    int nkwonly;
    const char *kwarg;      /* **kwargs name, or NULL */
    int nposonly;           /* the first nposonly entries of pos were
                               written before `/` (positional-only) */
    int kwarg_line, kwarg_col;      /* positions of *args / **kwargs */
    int vararg_line, vararg_col;
} Params;

typedef struct Alias {
    const char *name;       /* dotted name for `import`, plain for `from` */
    const char *asname;     /* or NULL */
    int line, col;
} Alias;

struct Node {
    NodeKind kind;
    int line, col;          /* 1-based start position */
    int end_line, end_col;  /* 1-based position just past the node's end */
    union {
        struct { const char *id; } name;
        struct { const char *text; double f; const char *s; size_t len; } lit;
        struct { NodeList elts; } seq;
        struct { Node *value; int conv; Node *spec; } fmt;
        struct { int op; Node *left, *right; } bin;
        struct { int op; Node *operand; } un;
        struct { bool is_and; NodeList values; } boolop;
        struct { Node *left; AstCmp *ops; NodeList comparators; } cmp;
        struct { Node *test, *body, *orelse; } ifexp;
        struct { Node *func; NodeList args, keywords; } call;
        struct { const char *name; Node *value; } kw;
        struct { Node *value; const char *name; } attr;
        struct { Node *value, *index; } sub;
        struct { Node *lower, *upper, *step; } slice;
        struct { Node *value; } starred;
        struct { NodeList keys, values; } dict;
        struct { Node *elt, *elt2; NodeList generators; } comp;
        struct { Node *target, *iter; NodeList ifs; } gen;
        struct { Node *target, *value; } named;

        struct { NodeList body; } block;
        struct { Node *value; } expr;
        struct { NodeList targets; Node *value; } assign;
        struct { Node *target; int op; Node *value; } aug;
        struct { Node *target, *annotation, *value; } ann;
        struct { Node *test; NodeList body, orelse; } cond;
        struct { Node *target, *iter; NodeList body, orelse; } forl;
        /* S_DEF and E_LAMBDA */
        struct { const char *name; Params params; NodeList body;
                 Node *body_expr; NodeList decorators; } func;
        struct { const char *name; NodeList bases, keywords, body,
                 decorators; } cls;
        struct { const char **names; int n; } names;
        struct { const char *module; int level; Alias *aliases;
                 int naliases; } import;
        struct { NodeList body, handlers, orelse, finalbody; } try_;
        struct { Node *type; const char *name; NodeList body; } handler;
        struct { Node *exc, *cause; } raise;
        struct { NodeList items, body; } with;
        struct { Node *expr, *target; } withitem;
        struct { Node *test, *msg; } assert_;
    } u;
};

/* ------------------------------------------------------------------ */

typedef enum {
    PARSE_FILE,         /* a module: any number of statements */
    PARSE_INTERACTIVE,  /* one REPL entry: a simple statement line or one
                           compound statement */
} ParseMode;

typedef struct ParseError {
    int line, col;          /* 1-based position of the offending token */
    char msg[256];          /* e.g. "invalid syntax", "unexpected indent",
                               "unterminated string literal" */
    bool incomplete;        /* input ended inside a block/bracket/string:
                               the REPL should read another line */
} ParseError;

/* Parse `src` (len bytes, need not be NUL-terminated).  Returns the
 * S_MODULE node, or NULL with *err filled in.  Reentrant. */
Node *mn_parse(const char *src, size_t len, const char *filename,
               ParseMode mode, ParseError *err);

/* Format a syntax error the way mini reports it (file:line:col first,
 * then the source line and a caret under the column, as CPython does):
 *     x.mini:3:10: SyntaxError: invalid syntax
 *         print(1 +)
 *                  ^
 * (`src` is the whole source, for the line text; tabs in the echoed line
 * are kept so the caret lines up.) */
void mn_format_syntax_error(const char *filename, const char *src,
                            size_t len, const ParseError *err, char *out,
                            size_t outlen);

/* Debug dump of an AST (used by unit tests).  S-expressions, e.g.
 * `x = f(1)` dumps as (Module (Assign (Name x) (Call (Name f) 1))). */
void mn_ast_dump(const Node *n, void (*emit)(void *ctx, const char *s),
                 void *ctx);
/* The same dump as one GC-allocated string. */
char *mn_ast_dump_str(const Node *n);

/* Generic helpers (also handy for a compiler that synthesises nodes):
 * a zeroed node of `kind` at the given position, and appending to a
 * NodeList (amortised O(1); the list must only grow through this). */
Node *mn_node_new(NodeKind kind, int line, int col, int end_line,
                  int end_col);
void mn_nodelist_append(NodeList *l, Node *n);

#endif
