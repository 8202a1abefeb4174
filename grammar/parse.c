/*
 * parse.c -- the parser's entry points: mn_parse (ast.h), the nested
 * expression parse used for f-string fields, and the token dump (lexer.h).
 *
 * Before the scanner runs, the source is checked once: NUL bytes and
 * malformed UTF-8 are rejected with CPython's messages (so the scanner can
 * assume valid UTF-8), a UTF-8 byte-order mark is skipped, and \r\n / \r
 * line ends are normalised to \n (Python's universal newlines).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "grammar/lexer.h"
#include "grammar/parse_internal.h"
#include "runtime/gc.h"
#include "runtime/object.h"

/* Line/column (columns in characters) of byte offset `off`. */
static void position_of(const char *s, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || (ch == '\r' && !(i + 1 < off && s[i + 1] == '\n'))) {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80 && ch != '\r') {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Length of the valid UTF-8 sequence at s[i], or 0 (with *why set). */
static int utf8_seq(const unsigned char *s, size_t n, size_t i,
                    const char **why)
{
    unsigned char c = s[i];
    int need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *why = "invalid start byte";
        return 0;
    }
    for (int k = 1; k <= need; k++) {
        if (i + (size_t)k >= n) {
            *why = "unexpected end of data";
            return 0;
        }
        unsigned char d = s[i + (size_t)k];
        if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) {
            *why = "invalid continuation byte";
            return 0;
        }
    }
    return need + 1;
}

/* PEP 263: `# -*- coding: NAME -*-` on line 1, or on line 2 below a
 * comment or blank line 1.  Copies the lower-cased name to buf ("" if
 * there is no cookie). */
static void coding_cookie(const char *s, size_t n, char *buf, size_t bufsz)
{
    buf[0] = 0;
    size_t i = 0;
    for (int lineno = 1; lineno <= 2 && i < n; lineno++) {
        size_t e = i;
        while (e < n && s[e] != '\n' && s[e] != '\r')
            e++;
        size_t k = i;
        while (k < e && (s[k] == ' ' || s[k] == '\t' || s[k] == '\f'))
            k++;
        if (k < e && s[k] == '#') {
            for (size_t j = k; j + 6 < e; j++) {
                if (memcmp(s + j, "coding", 6) != 0
                    || (s[j + 6] != ':' && s[j + 6] != '='))
                    continue;
                j += 7;
                while (j < e && (s[j] == ' ' || s[j] == '\t'))
                    j++;
                size_t o = 0;
                while (j < e && o + 1 < bufsz
                       && (isalnum((unsigned char)s[j]) || s[j] == '-'
                           || s[j] == '_' || s[j] == '.')) {
                    char c = (char)tolower((unsigned char)s[j++]);
                    buf[o++] = c == '_' ? '-' : c;
                }
                buf[o] = 0;
                return;
            }
        } else if (k < e) {
            return;         /* code on line 1: line 2 is not looked at */
        }
        i = e < n && s[e] == '\r' && e + 1 < n && s[e + 1] == '\n' ? e + 2
                                                                     : e + 1;
    }
}

static bool name_is(const char *enc, const char *const *names)
{
    for (; *names; names++) {
        size_t k = strlen(*names);
        if (strncmp(enc, *names, k) == 0 && (enc[k] == 0 || enc[k] == '-'))
            return true;
    }
    return false;
}

/* Windows-1252 bytes 0x80..0x9F (0 = undefined). */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Re-encode a latin-1 / cp1252 source as UTF-8. */
static bool transcode(const char *src, size_t len, bool cp1252,
                      ParseError *err, const char **out, size_t *outlen)
{
    char *t = gc_alloc_atomic(2 * len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)src[i];
        if (cp1252 && c >= 0x80 && c <= 0x9F) {
            unsigned cp = cp1252_high[c - 0x80];
            if (!cp) {
                position_of(src, i, &err->line, &err->col);
                snprintf(err->msg, sizeof err->msg, "(unicode error) "
                         "'charmap' codec can't decode byte 0x%02x in "
                         "position %zu: character maps to <undefined>",
                         c, i);
                return false;
            }
            c = cp;
        }
        o += (size_t)mn_utf8_encode(c, t + o);
    }
    *out = t;
    *outlen = o;
    return true;
}

static bool prepare_source(const char *src, size_t len, ParseError *err,
                           const char **out, size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t start = 0;
    bool bom = len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF;
    if (bom)
        start = 3;
    char enc[64];
    coding_cookie(src + start, len - start, enc, sizeof enc);
    if (enc[0]) {
        static const char *const utf8[] = {"utf-8", "utf8", "ascii",
                                           "us-ascii", NULL};
        static const char *const latin1[] = {"latin-1", "latin1",
                                             "iso-8859-1", "iso8859-1",
                                             "iso-latin-1", "l1", NULL};
        static const char *const cp1252[] = {"cp1252", "windows-1252",
                                             NULL};
        bool is_latin1 = name_is(enc, latin1), is_cp = name_is(enc, cp1252);
        if (!name_is(enc, utf8) && !is_latin1 && !is_cp) {
            err->line = 1;
            err->col = 1;
            snprintf(err->msg, sizeof err->msg, "encoding '%s' is not "
                     "supported by mini (use UTF-8)", enc);
            return false;
        }
        if (is_latin1 || is_cp) {
            if (bom) {
                err->line = 1;
                err->col = 1;
                snprintf(err->msg, sizeof err->msg,
                         "encoding problem: %s with BOM", enc);
                return false;
            }
            if (!transcode(src, len, is_cp, err, &src, &len))
                return false;
            s = (const unsigned char *)src;
        }
    }
    bool has_cr = false;
    for (size_t i = start; i < len;) {
        unsigned char c = s[i];
        if (c == 0) {
            position_of(src + start, i - start, &err->line, &err->col);
            snprintf(err->msg, sizeof err->msg,
                     "source code cannot contain null bytes");
            return false;
        }
        if (c < 0x80) {
            has_cr |= c == '\r';
            i++;
            continue;
        }
        const char *why = NULL;
        int k = utf8_seq(s, len, i, &why);
        if (!k) {
            position_of(src + start, i - start, &err->line, &err->col);
            snprintf(err->msg, sizeof err->msg, "(unicode error) 'utf-8' "
                     "codec can't decode byte 0x%02x in position %zu: %s",
                     c, i, why);
            return false;
        }
        i += (size_t)k;
    }
    if (!has_cr) {
        *out = src + start;
        *outlen = len - start;
        return true;
    }
    char *t = gc_alloc_atomic(len - start + 1);
    size_t o = 0;
    for (size_t i = start; i < len; i++) {
        if (s[i] == '\r') {
            t[o++] = '\n';
            if (i + 1 < len && s[i + 1] == '\n')
                i++;
        } else {
            t[o++] = (char)s[i];
        }
    }
    *out = t;
    *outlen = o;
    return true;
}

static Parser *parser_new(const char *text, size_t len, const char *filename,
                          ParseMode mode, ParseError *err)
{
    Parser *p = gc_alloc(sizeof(Parser));
    p->src = text;
    p->len = len;
    p->filename = filename;
    p->mode = mode;
    p->err = err;
    p->line = 1;
    p->col = 1;
    p->at_bol = true;
    p->expr_pending[0] = true;
    return p;
}

/* `(x as y)` outside the head of a with statement. */
static bool check_paren_as(Parser *p)
{
    for (int i = 0; i < p->nparen_as; i++)
        if (!p->paren_as[i].used) {
            mn_set_error(p, p->paren_as[i].line, p->paren_as[i].col,
                         "invalid syntax");
            return false;
        }
    return true;
}

/* Does the input end with an empty line (what ends a compound statement
 * at the interactive prompt)? */
static bool ends_with_blank_line(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\f'))
        n--;
    if (n == 0)
        return true;
    if (s[n - 1] != '\n')
        return false;
    n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\f'))
        n--;
    return n == 0 || s[n - 1] == '\n';
}

static bool is_compound_stmt(const Node *n)
{
    switch (n->kind) {
    case S_IF: case S_WHILE: case S_FOR: case S_TRY: case S_WITH:
    case S_DEF: case S_CLASS:
        return true;
    default:
        return false;
    }
}

Node *mn_parse(const char *src, size_t len, const char *filename,
               ParseMode mode, ParseError *err)
{
    ParseError local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    const char *text;
    size_t n;
    if (!src)
        src = "";
    if (!prepare_source(src, len, err, &text, &n))
        return NULL;
    Parser *p = parser_new(text, n, filename, mode, err);
    p->start_token = START_FILE;
    void *sc = mn_scanner_open(p);
    if (!sc) {
        mn_set_error(p, 1, 1, "out of memory");
        return NULL;
    }
    int rc = yyparse(sc, p);
    if (rc != 0 && !p->failed)
        mn_set_error(p, p->cur_loc.first_line, p->cur_loc.first_column,
                     "invalid syntax");
    if (rc != 0 && !p->lex_failed)
        mn_lex_drain(sc);
    mn_scanner_close(sc);

    Node *m = rc == 0 && !p->failed ? p->result : NULL;
    if (m && !check_paren_as(p))
        m = NULL;
    /* Each nesting level costs at least one byte of source, so short
     * inputs need no depth walk. */
    if (m && n > MN_MAX_AST_DEPTH / 2) {
        const Node *deep = NULL;
        if (mn_ast_depth_at(m, MN_MAX_AST_DEPTH, &deep) > MN_MAX_AST_DEPTH) {
            mn_set_error(p, deep->line, deep->col, "too many nested "
                         "expressions (maximum recursion depth exceeded "
                         "during compilation)");
            m = NULL;
        }
    }
    bool blank_end = ends_with_blank_line(text, n);
    if (!m) {
        if (!err->incomplete && p->err_synth
            && !(mode == PARSE_INTERACTIVE && blank_end))
            err->incomplete = true;
        return NULL;
    }
    NodeList *body = &m->u.block.body;
    if (mode == PARSE_INTERACTIVE && !blank_end && body->n > 0
        && is_compound_stmt(body->items[body->n - 1])) {
        mn_set_error(p, p->line, p->col, "incomplete input");
        err->incomplete = true;
        return NULL;
    }
    m->end_line = p->line;
    m->end_col = p->col;
    return m;
}

Node *mn_parse_fexpr(Parser *outer, const char *text, size_t len, int line,
                     int col)
{
    if (outer->fdepth >= 20) {
        mn_set_error(outer, line, col,
                     "f-string: expressions nested too deeply");
        return NULL;
    }
    ParseError e;
    memset(&e, 0, sizeof e);
    Parser *p = parser_new(text, len, outer->filename, PARSE_FILE, &e);
    p->fexpr = true;
    p->at_bol = false;
    p->fdepth = outer->fdepth + 1;
    p->line = line;
    p->col = col;
    p->start_token = START_FEXPR;
    void *sc = mn_scanner_open(p);
    if (!sc) {
        mn_set_error(outer, line, col, "out of memory");
        return NULL;
    }
    int rc = yyparse(sc, p);
    mn_scanner_close(sc);
    Node *r = rc == 0 && !p->failed ? p->result : NULL;
    if (r && !check_paren_as(p))
        r = NULL;
    if (!r) {
        if (!p->failed)
            mn_set_error(p, line, col, "invalid syntax");
        if (strncmp(e.msg, "f-string", 8) == 0)
            mn_set_error(outer, e.line, e.col, "%s", e.msg);
        else
            mn_set_error(outer, e.line, e.col, "f-string: %s", e.msg);
        return NULL;
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* Token dump                                                          */
/* ------------------------------------------------------------------ */

typedef struct Buf {
    char *s;
    size_t n, cap;
} Buf;

static void buf_put(Buf *b, const char *s, size_t k)
{
    if (b->n + k + 1 > b->cap) {
        while (b->n + k + 1 > b->cap)
            b->cap = b->cap ? 2 * b->cap : 256;
        b->s = gc_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, k);
    b->n += k;
    b->s[b->n] = 0;
}

static void buf_puts(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_quoted(Buf *b, const char *s, size_t n, bool bytes)
{
    char tmp[8];
    buf_puts(b, bytes ? "b'" : "'");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            buf_puts(b, "\\n");
        else if (c == '\t')
            buf_puts(b, "\\t");
        else if (c == '\\')
            buf_puts(b, "\\\\");
        else if (c == '\'')
            buf_puts(b, "\\'");
        else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            buf_puts(b, tmp);
        } else {
            buf_put(b, (const char *)&c, 1);
        }
    }
    buf_puts(b, "'");
}

static const char *augop_text(int op)
{
    static const char *const t[] = {
        [OP_ADD] = "+=", [OP_SUB] = "-=", [OP_MUL] = "*=",
        [OP_TRUEDIV] = "/=", [OP_FLOORDIV] = "//=", [OP_MOD] = "%=",
        [OP_POW] = "**=", [OP_LSHIFT] = "<<=", [OP_RSHIFT] = ">>=",
        [OP_AND] = "&=", [OP_OR] = "|=", [OP_XOR] = "^=",
    };
    return op >= 0 && op < OP__NBINARY ? t[op] : "?=";
}

char *mn_tokens_dump(const char *src, size_t len, bool positions,
                     ParseError *err)
{
    ParseError local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    const char *text;
    size_t n;
    if (!src)
        src = "";
    if (!prepare_source(src, len, err, &text, &n))
        return NULL;
    Parser *p = parser_new(text, n, "<tokens>", PARSE_FILE, err);
    void *sc = mn_scanner_open(p);
    if (!sc)
        return NULL;
    Buf b = {0};
    buf_puts(&b, "");
    char tmp[64];
    for (;;) {
        YYSTYPE v;
        YYLTYPE l;
        int t = mn_lex(&v, &l, sc);
        if (t == ERRORTOKEN || p->failed) {
            mn_scanner_close(sc);
            return NULL;
        }
        if (positions) {
            snprintf(tmp, sizeof tmp, "%d:%d ", l.first_line, l.first_column);
            buf_puts(&b, tmp);
        }
        switch (t) {
        case 0: buf_puts(&b, "ENDMARKER"); break;
        case NEWLINE: buf_puts(&b, "NEWLINE"); break;
        case INDENT: buf_puts(&b, "INDENT"); break;
        case DEDENT: buf_puts(&b, "DEDENT"); break;
        case NAME:
            buf_puts(&b, "NAME ");
            buf_puts(&b, v.str);
            break;
        case NUMBER:
            buf_puts(&b, "NUMBER ");
            buf_puts(&b, v.node->u.lit.text);
            break;
        case STRING: {
            StrTok *s = v.strtok;
            if (s->kind == 'f') {
                buf_puts(&b, "FSTRING ");
                buf_quoted(&b, s->text, s->len, false);
            } else if (s->kind == 'b') {
                buf_puts(&b, "BYTES ");
                buf_quoted(&b, s->val, s->vlen, true);
            } else {
                buf_puts(&b, "STRING ");
                buf_quoted(&b, s->val, s->vlen, false);
            }
            break;
        }
        case AUGASSIGN:
            buf_puts(&b, "OP ");
            buf_puts(&b, augop_text(v.num));
            break;
        case BADCHAR:
            buf_puts(&b, "ERRORTOKEN");
            break;
        default: {
            const char *name = mn_token_name(t);
            size_t k = strlen(name);
            bool kw = t >= FALSE && t <= WITH;
            buf_puts(&b, kw ? "KEYWORD " : "OP ");
            if (k >= 2 && (name[0] == '"' || name[0] == '\''))
                buf_put(&b, name + 1, k - 2);
            else
                buf_puts(&b, name);
            break;
        }
        }
        buf_puts(&b, "\n");
        if (t == 0)
            break;
    }
    mn_scanner_close(sc);
    return b.s;
}
