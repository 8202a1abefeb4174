/*
 * parse_internal.h -- state shared by the scanner (scanner.l), the bison
 * parser (parser.y), the f-string splitter (fstring.c) and the AST helpers
 * (ast.c).  Not part of the public interface: include grammar/ast.h (and
 * grammar/lexer.h for the token dump) from outside the grammar directory.
 *
 * One Parser struct holds everything a parse needs; the flex scanner reaches
 * it through its extra-data pointer and the bison parser through its
 * parse-param, so there is no global state and parses are reentrant (an
 * f-string's embedded expression is parsed by a nested Parser while the
 * outer one is suspended in a grammar action).
 *
 * Token flow:  flex rules (mn_rawlex) -> mn_lex (indentation, pending
 * queue, end-of-input tokens) -> bison (yyparse).
 */
#ifndef MN_PARSE_INTERNAL_H
#define MN_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "grammar/ast.h"
#include "parser.h"         /* generated: token numbers, YYSTYPE, YYLTYPE */

/* CPython's limits: tokenizer MAXLEVEL and MAXINDENT. */
#define MN_MAX_BRACKETS 200
#define MN_MAX_INDENT   100
/* Deepest AST accepted.  The compiler walks the tree recursively; this
 * bounds its C stack use (CPython raises RecursionError "maximum recursion
 * depth exceeded during compilation" for similar inputs). */
#define MN_MAX_AST_DEPTH 2500

/* A string literal token, before adjacent literals are concatenated. */
typedef struct StrTok {
    char kind;              /* 's' str, 'b' bytes, 'f' f-string */
    bool raw;               /* r prefix: no escape processing */
    bool triple;
    const char *text;       /* the characters between the quotes (points
                               into Parser.src) */
    size_t len;
    int line, col;          /* position of text[0] in the source */
    const char *val;        /* decoded value ('s' and 'b' only) */
    size_t vlen;
    YYLTYPE loc;            /* whole token, prefix and quotes included */
} StrTok;

/* A list of adjacent string tokens (`'a' f'{b}' 'c'`). */
typedef struct StrList {
    StrTok **items;
    int n;
} StrList;

/* Call arguments while they are being collected. */
typedef struct ArgList {
    NodeList args;          /* positional and *starred */
    NodeList keywords;      /* E_KEYWORD; name NULL for ** */
    Node *genexp_bare;      /* an unparenthesised genexp argument */
    int nitems;             /* total number of arguments */
    bool has_kw, has_kwunpack;      /* seen `name=` / `**` so far */
    const char **names;     /* hash set of keyword names (open addressing,
                               allocated once there are many) */
    int names_cap, nnames;
} ArgList;

/* One parameter item as written, before validation builds Params. */
typedef struct ParamItem {
    int kind;               /* PI_PLAIN, PI_STAR, PI_STARSTAR, PI_SLASH */
    const char *name;       /* NULL for bare * and / */
    Node *default_value;
    YYLTYPE loc;
} ParamItem;
enum { PI_PLAIN, PI_STAR, PI_STARSTAR, PI_SLASH };

typedef struct ParamList {
    ParamItem *items;
    int n;
} ParamList;

typedef struct AliasList {
    Alias *items;
    int n;
} AliasList;

/* A token waiting in the lexer's output queue (INDENT/DEDENT runs and the
 * tokens synthesised at end of input). */
typedef struct PendingTok {
    int tok;
    YYSTYPE val;
    YYLTYPE loc;
    int depth;              /* bracket level the token sits at */
} PendingTok;

/* A `(x as y)` with-item seen inside parentheses; legal only as the head of
 * a `with` statement (checked after the parse). */
typedef struct ParenAs {
    Node *item;
    int line, col;          /* position of `as` */
    bool used;              /* consumed by a with statement */
} ParenAs;

typedef struct Parser {
    /* ---- input ---- */
    const char *src;        /* source text, line ends normalised to \n */
    size_t len;
    const char *filename;
    ParseMode mode;
    ParseError *err;
    bool failed;            /* *err has been filled in */
    bool lex_failed;        /* ... by the scanner */
    bool fexpr;             /* parsing an f-string replacement field:
                               newlines are insignificant, no INDENT */
    int fdepth;             /* f-string nesting of this parser */

    /* ---- scanner position (maintained by YY_USER_ACTION) ---- */
    size_t pos;             /* byte offset just past the last match */
    int line, col;          /* line/column at pos */
    size_t line_start;      /* offset where the physical line of pos starts */
    size_t tok_off;         /* offset where the last token started */
    size_t tok_line_start;  /* line_start for that token */

    /* string being scanned in a triple-quote start condition */
    StrTok *cur_str;
    size_t str_off, str_line_start;

    /* ---- brackets ---- */
    int depth;
    char bracket[MN_MAX_BRACKETS];
    int bracket_line[MN_MAX_BRACKETS], bracket_col[MN_MAX_BRACKETS];

    /* ---- indentation ---- */
    int indent[MN_MAX_INDENT + 1];      /* columns, tabs to multiples of 8 */
    int altindent[MN_MAX_INDENT + 1];   /* columns, tabs counted as 1 */
    int nindent;                        /* indent[0..nindent] valid */
    bool at_bol;            /* next token starts a logical line */
    bool line_has_tokens;   /* the current logical line produced tokens */
    bool eof_seen;

    /* ---- output queue ---- */
    PendingTok pending[MN_MAX_INDENT + 8];
    int npending, pend_head;
    int start_token;        /* first token handed to bison (selects the
                               grammar's start rule), 0 once sent */

    /* ---- error-message context ---- */
    bool after_cont;        /* last thing scanned was a `\` continuation */
    int last_nl_line, last_nl_col;      /* last NEWLINE token */
    int block_kw;           /* last compound keyword opening a line */
    int block_line;
    /* The token last handed to bison (the lookahead when a syntax error
     * is reported) and the one before it. */
    int cur_tok, prev_tok;
    YYLTYPE cur_loc, prev_loc;
    const char *cur_name, *prev_name;   /* text when the token is a NAME */
    int cur_depth;                      /* bracket level of cur_tok */
    bool cur_synth;         /* cur_tok was synthesised at end of input */
    bool err_synth;         /* the syntax error was at such a token */
    /* Start of the current expression at each bracket level, for
     * "invalid syntax. Perhaps you forgot a comma?". */
    int expr_line[MN_MAX_BRACKETS + 1], expr_col[MN_MAX_BRACKETS + 1];
    bool expr_pending[MN_MAX_BRACKETS + 1];

    /* ---- parse results ---- */
    Node *result;
    Node *bare_genexp;      /* the last `f(x for x in y)`-style argument */
    ParenAs *paren_as;
    int nparen_as, cap_paren_as;
} Parser;

/* ---- parser.y ---- */
int yyparse(void *scanner, Parser *p);
/* Parse `text` (an f-string replacement field, `len` bytes starting at
 * line/col of the enclosing source) as an expression.  Errors go to the
 * outer parser's ParseError with an "f-string: " prefix. */
Node *mn_parse_fexpr(Parser *outer, const char *text, size_t len, int line,
                     int col);
/* Bison's name for token `tok` (for dumps and messages). */
const char *mn_token_name(int tok);

/* ---- scanner.l ---- */
int mn_lex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
/* Set up / tear down a scanner over p->src (p must be initialised). */
void *mn_scanner_open(Parser *p);
void mn_scanner_close(void *scanner);
/* Record an error (first one wins). */
void mn_set_error(Parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Drain the scanner after a parse error, so that a later tokenizer error
 * (unclosed bracket, bad character...) replaces a generic parser message
 * the way CPython does. */
void mn_lex_drain(void *scanner);

/* ---- fstring.c ---- */
/* Decode escapes of a non-f string literal into tok->val (str or bytes).
 * Returns false (error recorded) on a bad escape. */
bool mn_decode_string(Parser *p, StrTok *tok);
/* Build the node for a run of adjacent string literals: E_STR, E_BYTES or
 * E_FSTRING.  NULL on error (recorded in p). */
Node *mn_strings_node(Parser *p, StrList *strs);
/* Append the UTF-8 encoding of code point cp to buf (>= 4 bytes free);
 * returns the number of bytes written. */
int mn_utf8_encode(unsigned cp, char *buf);
/* Decode one UTF-8 sequence at s (assumed valid); *n gets its length. */
unsigned mn_utf8_decode(const unsigned char *s, int *n);

/* ---- ast.c ---- */
Node *mn_node_at(NodeKind kind, const YYLTYPE *loc);
/* Call fn(ctx, child) for each direct child node of n. */
void mn_ast_children(const Node *n, void (*fn)(void *ctx, Node *child),
                     void *ctx);
/* Name of an expression kind for "cannot assign to %s" messages. */
const char *mn_expr_name(const Node *n);
/* Greatest nesting depth of the tree (iterative; safe on deep trees),
 * stopping early once it exceeds `limit` (if > 0); *deepest gets the node
 * found at that depth. */
int mn_ast_depth_at(const Node *n, int limit, const Node **deepest);

#endif
