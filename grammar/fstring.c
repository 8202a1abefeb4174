/*
 * fstring.c -- string literal decoding, concatenation of adjacent
 * literals, and f-string splitting.
 *
 * The scanner hands over each literal's raw text (between the quotes).
 * Plain str/bytes literals are decoded right away (mn_decode_string);
 * f-strings are split when the parser combines a run of adjacent literals
 * (mn_strings_node): literal text becomes E_STR pieces, each replacement
 * field `{expr!c:spec}` an E_FORMATTED whose expression is parsed by a
 * nested parser started on the field's text at its real line/column, so
 * node positions and error carets point into the original source.
 * The rules are CPython 3.11's (no backslashes or `#` inside the
 * expression part, nested quotes must differ from the outer ones, format
 * specs nest one level).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "grammar/parse_internal.h"
#include "runtime/gc.h"

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */
/* ------------------------------------------------------------------ */

int mn_utf8_encode(unsigned cp, char *buf)
{
    unsigned char *b = (unsigned char *)buf;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

unsigned mn_utf8_decode(const unsigned char *s, int *n)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *n = 1;
        return c;
    }
    if (c < 0xE0) {
        *n = 2;
        return ((c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (c < 0xF0) {
        *n = 3;
        return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *n = 4;
    return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6)
           | (s[3] & 0x3F);
}

/* ------------------------------------------------------------------ */
/* Escape decoding                                                     */
/* ------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode s[0..n) into out (room for n bytes + NUL).  Errors are reported
 * at line/col (the literal's position). */
static bool decode(Parser *p, const char *s, size_t n, bool bytes, bool raw,
                   char *out, size_t *outlen, int line, int col)
{
    size_t o = 0;
    if (bytes) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] >= 0x80) {
                mn_set_error(p, line, col, "bytes can only contain ASCII "
                             "literal characters");
                return false;
            }
    }
    if (raw) {
        memcpy(out, s, n);
        out[n] = 0;
        *outlen = n;
        return true;
    }
    const char *codec = bytes ? "(value error)" : "(unicode error) "
                        "'unicodeescape' codec can't decode bytes in";
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            out[o++] = s[i++];
            continue;
        }
        size_t start = i++;
        if (i >= n) {
            out[o++] = '\\';        /* only within f-string segments */
            break;
        }
        char c = s[i++];
        unsigned cp;
        int digits;
        switch (c) {
        case '\n': continue;
        case '\\': out[o++] = '\\'; continue;
        case '\'': out[o++] = '\''; continue;
        case '"': out[o++] = '"'; continue;
        case 'a': out[o++] = '\a'; continue;
        case 'b': out[o++] = '\b'; continue;
        case 'f': out[o++] = '\f'; continue;
        case 'n': out[o++] = '\n'; continue;
        case 'r': out[o++] = '\r'; continue;
        case 't': out[o++] = '\t'; continue;
        case 'v': out[o++] = '\v'; continue;
        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
            cp = (unsigned)(c - '0');
            for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
                cp = cp * 8 + (unsigned)(s[i++] - '0');
            if (bytes)
                out[o++] = (char)(cp & 0xFF);
            else
                o += (size_t)mn_utf8_encode(cp, out + o);
            continue;
        case 'x':
            digits = 2;
            break;
        case 'u':
        case 'U':
            if (bytes) {
                out[o++] = '\\';
                out[o++] = c;
                continue;
            }
            digits = c == 'u' ? 4 : 8;
            break;
        case 'N':
            if (!bytes) {
                mn_set_error(p, line, col, "(unicode error) \\N{...} escapes "
                             "are not supported by mini");
                return false;
            }
            /* fall through */
        default:
            /* Unknown escapes stay as written. */
            out[o++] = '\\';
            out[o++] = c;
            continue;
        }
        cp = 0;
        for (int k = 0; k < digits; k++) {
            int v = i < n ? hexval(s[i]) : -1;
            if (v < 0) {
                if (bytes)
                    mn_set_error(p, line, col, "(value error) invalid \\x "
                                 "escape at position %zu", start);
                else
                    mn_set_error(p, line, col, "%s position %zu-%zu: "
                                 "truncated \\%s escape", codec, start,
                                 i - 1, c == 'x' ? "xXX" : c == 'u'
                                 ? "uXXXX" : "UXXXXXXXX");
                return false;
            }
            cp = cp * 16 + (unsigned)v;
            i++;
        }
        if (bytes) {
            out[o++] = (char)cp;
        } else {
            if (cp > 0x10FFFF) {
                mn_set_error(p, line, col, "%s position %zu-%zu: illegal "
                             "Unicode character", codec, start, i - 1);
                return false;
            }
            o += (size_t)mn_utf8_encode(cp, out + o);
        }
    }
    out[o] = 0;
    *outlen = o;
    return true;
}

bool mn_decode_string(Parser *p, StrTok *t)
{
    char *out = gc_alloc_atomic(t->len + 1);
    size_t n;
    if (!decode(p, t->text, t->len, t->kind == 'b', t->raw, out, &n,
                t->loc.first_line, t->loc.first_column))
        return false;
    t->val = out;
    t->vlen = n;
    return true;
}

/* ------------------------------------------------------------------ */
/* f-strings                                                           */
/* ------------------------------------------------------------------ */

/* A cursor over the f-string text that keeps the source position. */
typedef struct Cur {
    const char *s;
    size_t i, n;
    int line, col;
} Cur;

static void cur_step(Cur *c)
{
    unsigned char ch = (unsigned char)c->s[c->i++];
    if (ch == '\n') {
        c->line++;
        c->col = 1;
    } else if ((ch & 0xC0) != 0x80) {
        c->col++;
    }
}

static char cur_at(const Cur *c, size_t k)
{
    return c->i + k < c->n ? c->s[c->i + k] : 0;
}

typedef struct FCtx {
    Parser *p;
    bool raw;
    StrTok *tok;
} FCtx;

static Node *str_piece(const char *v, size_t n, int line, int col,
                       int eline, int ecol)
{
    Node *s = mn_node_new(E_STR, line, col, eline, ecol);
    s->u.lit.s = v;
    s->u.lit.len = n;
    return s;
}

/* Decode literal text s[from..to) and append it as an E_STR piece. */
static bool flush_literal(FCtx *fc, const Cur *c, size_t from, int line,
                          int col, NodeList *pieces)
{
    size_t n = c->i - from;
    if (n == 0)
        return true;
    char *out = gc_alloc_atomic(n + 1);
    size_t len;
    if (!decode(fc->p, c->s + from, n, false, fc->raw, out, &len,
                fc->tok->loc.first_line, fc->tok->loc.first_column))
        return false;
    if (len)
        mn_nodelist_append(pieces, str_piece(out, len, line, col, c->line,
                                             c->col));
    return true;
}

static bool fparse(FCtx *fc, Cur *c, int level, bool in_spec,
                   NodeList *pieces);

static bool fs_error(FCtx *fc, int line, int col, const char *msg)
{
    mn_set_error(fc->p, line, col, "%s", msg);
    return false;
}

/* Skip a string literal inside a replacement field's expression. */
static bool skip_nested_string(FCtx *fc, Cur *c)
{
    char q = cur_at(c, 0);
    int line = c->line, col = c->col;
    bool triple = cur_at(c, 1) == q && cur_at(c, 2) == q;
    for (int k = 0; k < (triple ? 3 : 1); k++)
        cur_step(c);
    while (c->i < c->n) {
        char ch = cur_at(c, 0);
        if (ch == '\\')
            return fs_error(fc, c->line, c->col, "f-string expression part "
                          "cannot include a backslash");
        if (ch == q && (!triple || (cur_at(c, 1) == q && cur_at(c, 2) == q))) {
            for (int k = 0; k < (triple ? 3 : 1); k++)
                cur_step(c);
            return true;
        }
        if (ch == '\n' && !triple)
            break;
        cur_step(c);
    }
    return fs_error(fc, line, col, "f-string: unterminated string");
}

/* Parse one replacement field; c is at the `{`. */
static bool field(FCtx *fc, Cur *c, int level, NodeList *pieces)
{
    Parser *p = fc->p;
    int fline = c->line, fcol = c->col;
    if (level >= 2)
        return fs_error(fc, fline, fcol,
                      "f-string: expressions nested too deeply");
    cur_step(c);                            /* { */
    size_t estart = c->i;
    int eline = c->line, ecol = c->col;
    char stack[MN_MAX_BRACKETS];
    int depth = 0;
    bool selfdoc = false;
    for (;;) {
        if (c->i >= c->n)
            return fs_error(fc, fline, fcol, "f-string: expecting '}'");
        char ch = cur_at(c, 0), nx = cur_at(c, 1);
        if (ch == '\\')
            return fs_error(fc, c->line, c->col, "f-string expression part "
                          "cannot include a backslash");
        if (ch == '#')
            return fs_error(fc, c->line, c->col, "f-string expression part "
                          "cannot include '#'");
        if (ch == '\'' || ch == '"') {
            if (!skip_nested_string(fc, c))
                return false;
            continue;
        }
        if (ch == '(' || ch == '[' || ch == '{') {
            if (depth >= MN_MAX_BRACKETS)
                return fs_error(fc, c->line, c->col,
                              "f-string: too many nested parenthesis");
            stack[depth++] = ch;
            cur_step(c);
            continue;
        }
        if (ch == ')' || ch == ']' || ch == '}') {
            if (depth == 0) {
                if (ch == '}')
                    break;
                mn_set_error(p, c->line, c->col, "f-string: unmatched '%c'",
                             ch);
                return false;
            }
            char o = stack[--depth];
            if ((o == '(' && ch != ')') || (o == '[' && ch != ']')
                || (o == '{' && ch != '}')) {
                mn_set_error(p, c->line, c->col, "f-string: closing "
                             "parenthesis '%c' does not match opening "
                             "parenthesis '%c'", ch, o);
                return false;
            }
            cur_step(c);
            continue;
        }
        if (depth == 0) {
            if ((ch == '!' || ch == '=' || ch == '<' || ch == '>')
                && nx == '=') {
                cur_step(c);
                cur_step(c);
                continue;
            }
            if (ch == '!' || ch == ':')
                break;
            if (ch == '=') {
                selfdoc = true;
                break;
            }
        }
        cur_step(c);
    }
    size_t eend = c->i;
    size_t k = estart;
    while (k < eend && isspace((unsigned char)c->s[k]))
        k++;
    if (k == eend)
        return fs_error(fc, c->line, c->col,
                      "f-string: empty expression not allowed");
    Node *value = mn_parse_fexpr(p, c->s + estart, eend - estart, eline,
                                 ecol);
    if (!value)
        return false;

    if (selfdoc) {
        cur_step(c);                        /* = */
        while (c->i < c->n && isspace((unsigned char)cur_at(c, 0)))
            cur_step(c);
        size_t n = c->i - estart;
        mn_nodelist_append(pieces, str_piece(gc_strndup(c->s + estart, n), n,
                                             eline, ecol, c->line, c->col));
    }
    int conv = 0;
    if (cur_at(c, 0) == '!') {
        cur_step(c);
        char cv = cur_at(c, 0);
        if (c->i >= c->n)
            return fs_error(fc, fline, fcol, "f-string: expecting '}'");
        if (cv != 's' && cv != 'r' && cv != 'a')
            return fs_error(fc, c->line, c->col, "f-string: invalid conversion "
                          "character: expected 's', 'r', or 'a'");
        conv = cv;
        cur_step(c);
        if (cur_at(c, 0) != ':' && cur_at(c, 0) != '}')
            return fs_error(fc, c->line, c->col, "f-string: expecting '}'");
    }
    Node *spec = NULL;
    if (cur_at(c, 0) == ':') {
        cur_step(c);
        int sline = c->line, scol = c->col;
        NodeList sp = {0};
        if (!fparse(fc, c, level + 1, true, &sp))
            return false;
        if (sp.n) {
            spec = mn_node_new(E_FSTRING, sline, scol, c->line, c->col);
            spec->u.seq.elts = sp;
        }
    }
    if (c->i >= c->n || cur_at(c, 0) != '}')
        return fs_error(fc, fline, fcol, "f-string: expecting '}'");
    cur_step(c);                            /* } */
    if (selfdoc && !conv && !spec)
        conv = 'r';
    Node *f = mn_node_new(E_FORMATTED, fline, fcol, c->line, c->col);
    f->u.fmt.value = value;
    f->u.fmt.conv = conv;
    f->u.fmt.spec = spec;
    mn_nodelist_append(pieces, f);
    return true;
}

/* Literal text and fields up to the end (or, in a format spec, up to the
 * closing `}`, which is left for the caller). */
static bool fparse(FCtx *fc, Cur *c, int level, bool in_spec,
                   NodeList *pieces)
{
    size_t from = c->i;
    int line = c->line, col = c->col;
    while (c->i < c->n) {
        char ch = cur_at(c, 0);
        if (ch == '\\' && !fc->raw) {
            cur_step(c);
            if (c->i >= c->n)
                break;
            char e = cur_at(c, 0);
            cur_step(c);
            if (e == 'N' && cur_at(c, 0) == '{') {
                /* \N{NAME}: the braces belong to the escape. */
                while (c->i < c->n && cur_at(c, 0) != '}')
                    cur_step(c);
                if (c->i < c->n)
                    cur_step(c);
                continue;
            }
            if (e != '{' && e != '}')
                continue;
            /* `\{` : the brace still opens a field, as in CPython 3.11;
             * back up onto it. */
            c->i--;
            c->col--;
            ch = e;
        }
        if (ch == '{') {
            if (cur_at(c, 1) == '{') {
                cur_step(c);
                if (!flush_literal(fc, c, from, line, col, pieces))
                    return false;
                cur_step(c);
                from = c->i;
                line = c->line;
                col = c->col;
                continue;
            }
            if (!flush_literal(fc, c, from, line, col, pieces))
                return false;
            if (!field(fc, c, level, pieces))
                return false;
            from = c->i;
            line = c->line;
            col = c->col;
            continue;
        }
        if (ch == '}') {
            if (in_spec)
                return flush_literal(fc, c, from, line, col, pieces);
            if (cur_at(c, 1) == '}') {
                cur_step(c);
                if (!flush_literal(fc, c, from, line, col, pieces))
                    return false;
                cur_step(c);
                from = c->i;
                line = c->line;
                col = c->col;
                continue;
            }
            return fs_error(fc, c->line, c->col,
                          "f-string: single '}' is not allowed");
        }
        cur_step(c);
    }
    if (in_spec)
        return fs_error(fc, c->line, c->col, "f-string: expecting '}'");
    return flush_literal(fc, c, from, line, col, pieces);
}

/* Merge each run of adjacent E_STR pieces into one (a single copy per
 * run, so long concatenations stay linear). */
static NodeList merge_pieces(const NodeList *in)
{
    NodeList out = {0};
    for (int i = 0; i < in->n;) {
        Node *x = in->items[i];
        int j = i + 1;
        if (x->kind == E_STR)
            while (j < in->n && in->items[j]->kind == E_STR)
                j++;
        if (j == i + 1) {
            mn_nodelist_append(&out, x);
            i = j;
            continue;
        }
        size_t total = 0;
        for (int k = i; k < j; k++)
            total += in->items[k]->u.lit.len;
        char *s = gc_alloc_atomic(total + 1);
        size_t o = 0;
        for (int k = i; k < j; k++) {
            memcpy(s + o, in->items[k]->u.lit.s, in->items[k]->u.lit.len);
            o += in->items[k]->u.lit.len;
        }
        Node *last = in->items[j - 1];
        mn_nodelist_append(&out, str_piece(s, total, x->line, x->col,
                                           last->end_line, last->end_col));
        i = j;
    }
    return out;
}

Node *mn_strings_node(Parser *p, StrList *strs)
{
    StrTok *first = strs->items[0], *last = strs->items[strs->n - 1];
    YYLTYPE loc = {first->loc.first_line, first->loc.first_column,
                   last->loc.last_line, last->loc.last_column};
    bool any_b = false, any_s = false, any_f = false;
    for (int i = 0; i < strs->n; i++) {
        char k = strs->items[i]->kind;
        any_b |= k == 'b';
        any_s |= k != 'b';
        any_f |= k == 'f';
    }
    if (any_b && any_s) {
        mn_set_error(p, first->loc.first_line, first->loc.first_column,
                     "cannot mix bytes and nonbytes literals");
        return NULL;
    }
    if (!any_f) {
        if (strs->n == 1) {
            Node *n = mn_node_at(any_b ? E_BYTES : E_STR, &loc);
            n->u.lit.s = first->val;
            n->u.lit.len = first->vlen;
            return n;
        }
        size_t total = 0;
        for (int i = 0; i < strs->n; i++)
            total += strs->items[i]->vlen;
        char *s = gc_alloc_atomic(total + 1);
        size_t o = 0;
        for (int i = 0; i < strs->n; i++) {
            memcpy(s + o, strs->items[i]->val, strs->items[i]->vlen);
            o += strs->items[i]->vlen;
        }
        Node *n = mn_node_at(any_b ? E_BYTES : E_STR, &loc);
        n->u.lit.s = s;
        n->u.lit.len = total;
        return n;
    }
    NodeList pieces = {0};
    for (int i = 0; i < strs->n; i++) {
        StrTok *t = strs->items[i];
        if (t->kind != 'f') {
            if (t->vlen)
                mn_nodelist_append(&pieces, str_piece(t->val, t->vlen,
                                   t->loc.first_line, t->loc.first_column,
                                   t->loc.last_line, t->loc.last_column));
            continue;
        }
        FCtx fc = {p, t->raw, t};
        Cur c = {t->text, 0, t->len, t->line, t->col};
        if (!fparse(&fc, &c, 0, false, &pieces))
            return NULL;
    }
    Node *n = mn_node_at(E_FSTRING, &loc);
    n->u.seq.elts = merge_pieces(&pieces);
    return n;
}
