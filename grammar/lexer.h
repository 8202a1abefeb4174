/*
 * lexer.h -- token-level view of the scanner, for tests and tools.
 *
 * mn_tokens_dump runs only the tokenizer (grammar/scanner.l, including the
 * INDENT/DEDENT and end-of-input logic the parser sees) and describes each
 * token on its own line:
 *
 *     NAME x              identifiers
 *     NUMBER 0x1f         E_INT/E_FLOAT literal text (underscores removed)
 *     STRING 'a\n'        decoded str literal (also BYTES b'..', and
 *                         FSTRING 'raw text' for f-strings, undecoded)
 *     KEYWORD if          keywords (True/False/None included)
 *     OP +=               operators and delimiters
 *     NEWLINE / INDENT / DEDENT / ENDMARKER
 *
 * With `positions`, each line starts with "LINE:COL " (1-based, columns in
 * characters).  Returns a GC-allocated string, or NULL with *err filled in
 * when the tokenizer reports an error.
 */
#ifndef MN_LEXER_H
#define MN_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "grammar/ast.h"

char *mn_tokens_dump(const char *src, size_t len, bool positions,
                     ParseError *err);

#endif
