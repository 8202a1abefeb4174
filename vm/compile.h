/*
 * compile.h -- AST (grammar/ast.h) to CodeObject (vm/code.h).
 *
 * The compiler runs in named passes over one module:
 *   1. scope analysis (vm/symtable.c): every name of every scope is
 *      classified local / global (implicit or declared) / nonlocal / cell /
 *      free with CPython's rules; global/nonlocal misuse is a SyntaxError;
 *   2. emission (vm/compile.c): per scope, a list of instructions with
 *      symbolic jump labels and, for every instruction, the exception
 *      handler covering it;
 *   3. assembly: jumps resolved to offsets (and to their forward/backward
 *      forms), maximum stack depth by flow analysis over the opcode table's
 *      stack effects, the exception table and the line table built.
 *
 * Syntax errors found here are reported exactly like the parser's: a
 * filled ParseError that the caller formats with mn_format_syntax_error.
 * The compiler itself keeps no global state and may run on several
 * threads at once.
 */
#ifndef MN_COMPILE_H
#define MN_COMPILE_H

#include "../grammar/ast.h"
#include "code.h"

typedef enum {
    MN_COMPILE_FILE,        /* a module */
    MN_COMPILE_INTERACTIVE, /* a REPL entry: expression statements print */
} CompileMode;

/* Compile a parsed S_MODULE.  Returns the module's code object, or NULL
 * with *err filled in (a SyntaxError position and message). */
CodeObject *mn_compile(Node *module, const char *filename, CompileMode mode,
                       ParseError *err);

/* Parse and compile `src`.  On a syntax error raises SyntaxError (args
 * (msg, (filename, lineno, offset, text)), attributes msg, filename,
 * lineno, offset, text) and returns NULL; `incomplete`, if non-NULL, is set
 * when the parser wanted more input (REPL continuation lines). */
CodeObject *mn_compile_source(const char *src, size_t len, const char *filename,
                              CompileMode mode, bool *incomplete);

/* ---- scope analysis (vm/symtable.c), internal to the compiler ---- */

typedef struct Scope Scope;
typedef struct SymTable SymTable;

/* Resolved scope of a name in a block. */
typedef enum {
    SYM_UNKNOWN = 0,
    SYM_LOCAL,              /* bound in this block */
    SYM_GLOBAL_EXPLICIT,    /* `global x` */
    SYM_GLOBAL_IMPLICIT,    /* not bound anywhere enclosing: globals/builtins */
    SYM_FREE,               /* bound in an enclosing function */
    SYM_CELL,               /* local here, captured by an inner scope */
} SymScope;

typedef enum {
    SCOPE_MODULE, SCOPE_FUNCTION, SCOPE_CLASS, SCOPE_LAMBDA,
    SCOPE_COMPREHENSION
} ScopeKind;

SymTable *mn_symtable_build(Node *module, ParseError *err);
/* The scope created for `node` (S_MODULE, S_DEF, E_LAMBDA, S_CLASS or a
 * comprehension node). */
Scope *mn_symtable_lookup(SymTable *st, const Node *node);

ScopeKind mn_scope_kind(const Scope *s);
SymScope mn_scope_name(const Scope *s, Value name);
/* A class body's free variable that children also need (CPython's
 * DEF_FREE_CLASS): the class passes the cell through. */
bool mn_scope_is_free_class(const Scope *s, Value name);
/* True if the block binds `name` as a parameter. */
bool mn_scope_is_param(const Scope *s, Value name);
/* True if `name` is ever deleted (`del x`) in this block. */
bool mn_scope_is_deleted(const Scope *s, Value name);
/* Names of the block in slot order: parameters, other locals (including
 * cells) in order of first appearance, then free variables.  Module and
 * class scopes have only cells and frees.  The arrays stay valid for
 * the table's lifetime. */
int mn_scope_slots(const Scope *s, Value **names, uint8_t **kinds, int *nfree);
/* The nearest enclosing scope (NULL for the module). */
Scope *mn_scope_parent(const Scope *s);
/* The qualified name of a def/class/lambda/comprehension scope. */
Value mn_scope_qualname(const Scope *s);
/* True if a function scope refers to `super` or `__class__` inside a
 * class (so it gets the implicit __class__ free variable). */
bool mn_scope_needs_class_cell(const Scope *s);

#endif
