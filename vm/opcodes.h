/*
 * opcodes.h -- THE opcode table.  Every other list of opcodes is generated
 * from MN_OPCODES below: the enum (here), the disassembler's names and
 * operand decoding (vm/dis.c), the stack-depth computation (vm/compile.c)
 * and the dispatch table of the eval loop (vm/eval.c, computed goto or
 * switch).  Adding an opcode means adding one row here and one TARGET() in
 * eval.c; the build fails if the TARGET is missing (computed-goto tables
 * take the address of every label).
 *
 * Encoding
 * --------
 * Bytecode is an array of 32-bit code units, one unit per instruction:
 *
 *      31                       8 7        0
 *     +--------------------------+----------+
 *     |          arg (24 bits)   |  opcode  |
 *     +--------------------------+----------+
 *
 * Decoding is one load, one mask and one shift (`op = w & 0xff; arg = w >>
 * 8`), with no EXTENDED_ARG prefix and no variable-length instructions, so
 * instruction offsets are simply indexes into the array.  24 bits allow 16M
 * constants / names / locals / jump targets per code object; the compiler
 * reports "code object too large" beyond that (no real program gets near).
 * Jump arguments are ABSOLUTE unit offsets of the target.
 *
 * Columns: X(NAME, OPERAND, POP, PUSH)
 *   OPERAND  how `arg` is interpreted (for dis.c and for humans):
 *            NONE   unused (0)
 *            CONST  index into code->consts
 *            NAME   index into code->names (interned strs)
 *            ACACHE index into code->caches (an attribute name plus its
 *                   inline cache, see vm/code.h)
 *            LOCAL  index into the frame's localsplus (fast local)
 *            DEREF  index into localsplus of a cell or free variable
 *            JUMP   absolute target offset
 *            COUNT  an element / argument count
 *            CMP    a CmpOp (runtime/object.h)
 *            BINOP  a BinOp (runtime/object.h)
 *            INV    0 or 1: invert the result (`is not`, `not in`)
 *            FLAGS  opcode-specific bits, documented on the row
 *   POP/PUSH the fixed stack effect of the fall-through path; MN_VAR when
 *            it depends on `arg` (mn_stack_effect() in compile.c computes
 *            those, and the effect of the taken branch of jumps).
 *
 * Stack pictures below read bottom -> top; "TOS" is the top.
 */
#ifndef MN_OPCODES_H
#define MN_OPCODES_H

#include <stdint.h>

#define MN_VAR (-1)

#define MN_OPCODES(X)                                                        \
    /* ---- stack shuffling ---- */                                         \
    X(NOP,              NONE,  0, 0)                                         \
    X(POP_TOP,          NONE,  1, 0)                                         \
    X(ROT_TWO,          NONE,  2, 2)                                         \
    X(ROT_THREE,        NONE,  3, 3)   /* a b c -> c a b */                  \
    X(ROT_FOUR,         NONE,  4, 4)   /* a b c d -> d a b c */              \
    X(DUP_TOP,          NONE,  1, 2)                                         \
    X(DUP_TOP_TWO,      NONE,  2, 4)                                         \
    /* ---- constants and variables ---- */                                  \
    X(LOAD_CONST,       CONST, 0, 1)                                         \
    X(LOAD_FAST,        LOCAL, 0, 1)   /* slot known to be bound (param) */  \
    X(LOAD_FAST_CHECK,  LOCAL, 0, 1)   /* UnboundLocalError if unset */      \
    X(STORE_FAST,       LOCAL, 1, 0)                                         \
    X(DELETE_FAST,      LOCAL, 0, 0)                                         \
    X(MAKE_CELL,        LOCAL, 0, 0)   /* slot := cell(slot) at entry */     \
    X(LOAD_DEREF,       DEREF, 0, 1)                                         \
    X(LOAD_CLASSDEREF,  DEREF, 0, 1)   /* class body: ns dict, then cell */  \
    X(STORE_DEREF,      DEREF, 1, 0)                                         \
    X(DELETE_DEREF,     DEREF, 0, 0)                                         \
    X(LOAD_CLOSURE,     DEREF, 0, 1)   /* push the cell itself */            \
    X(LOAD_GLOBAL,      NAME,  0, 1)   /* globals, then builtins */          \
    X(STORE_GLOBAL,     NAME,  1, 0)                                         \
    X(DELETE_GLOBAL,    NAME,  0, 0)                                         \
    X(LOAD_NAME,        NAME,  0, 1)   /* locals dict, globals, builtins */  \
    X(STORE_NAME,       NAME,  1, 0)                                         \
    X(DELETE_NAME,      NAME,  0, 0)                                         \
    X(LOAD_LOCALS,      NONE,  0, 1)   /* the frame's locals dict */         \
    /* ---- attributes and subscripts ---- */                                \
    X(LOAD_ATTR,        ACACHE, 1, 1)                                        \
    X(STORE_ATTR,       ACACHE, 2, 0)  /* value obj -> ; obj.name = value */ \
    X(DELETE_ATTR,      NAME,  1, 0)                                         \
    X(LOAD_METHOD,      ACACHE, 1, 2)  /* obj -> callable self_or_0 */       \
    X(BINARY_SUBSCR,    NONE,  2, 1)                                         \
    X(STORE_SUBSCR,     NONE,  3, 0)   /* value obj key -> */                \
    X(DELETE_SUBSCR,    NONE,  2, 0)                                         \
    X(BUILD_SLICE,      COUNT, MN_VAR, 1) /* 2 or 3 bounds */                \
    /* ---- operators (int fast paths inline, else runtime/abstract.c) ---- */\
    X(BINARY_ADD,       NONE,  2, 1)                                         \
    X(BINARY_SUB,       NONE,  2, 1)                                         \
    X(BINARY_MUL,       NONE,  2, 1)                                         \
    X(BINARY_FLOORDIV,  NONE,  2, 1)                                         \
    X(BINARY_MOD,       NONE,  2, 1)                                         \
    X(BINARY_OP,        BINOP, 2, 1)   /* any BinOp via mn_binop */          \
    X(INPLACE_ADD,      NONE,  2, 1)                                         \
    X(INPLACE_SUB,      NONE,  2, 1)                                         \
    X(INPLACE_OP,       BINOP, 2, 1)   /* any BinOp via mn_inplace */        \
    X(UNARY_NEG,        NONE,  1, 1)                                         \
    X(UNARY_POS,        NONE,  1, 1)                                         \
    X(UNARY_INVERT,     NONE,  1, 1)                                         \
    X(UNARY_NOT,        NONE,  1, 1)                                         \
    X(COMPARE_OP,       CMP,   2, 1)                                         \
    X(IS_OP,            INV,   2, 1)                                         \
    X(CONTAINS_OP,      INV,   2, 1)   /* x container -> bool */             \
    /* ---- control flow (JUMP args are absolute offsets) ---- */            \
    X(JUMP_FORWARD,     JUMP,  0, 0)                                         \
    X(JUMP_BACKWARD,    JUMP,  0, 0)   /* checks the eval breaker */         \
    X(POP_JUMP_IF_FALSE, JUMP, 1, 0)                                         \
    X(POP_JUMP_IF_TRUE, JUMP,  1, 0)                                         \
    X(POP_JUMP_BACK_IF_FALSE, JUMP, 1, 0) /* backward: checks breaker */     \
    X(POP_JUMP_BACK_IF_TRUE, JUMP, 1, 0)                                     \
    X(JUMP_IF_FALSE_OR_POP, JUMP, MN_VAR, MN_VAR) /* keep TOS if jumping */  \
    X(JUMP_IF_TRUE_OR_POP, JUMP, MN_VAR, MN_VAR)                             \
    X(GET_ITER,         NONE,  1, 1)                                         \
    X(FOR_ITER,         JUMP,  MN_VAR, MN_VAR) /* it -> it next | exit: -> */\
    X(RETURN_VALUE,     NONE,  1, 0)                                         \
    /* ---- calls and definitions ---- */                                   \
    /* CALL n:           f a1..an -> result                                  \
     * CALL_KW n:        f a1..an kwnames -> result (last len(kwnames) of    \
     *                   the n values are keyword arguments)                 \
     * CALL_METHOD n:    f self_or_0 a1..an -> result (after LOAD_METHOD)    \
     * CALL_METHOD_KW n: f self_or_0 a1..an kwnames -> result                \
     * CALL_EX flags:    f argstuple [kwargsdict if flags & 1] -> result */  \
    X(CALL,             COUNT, MN_VAR, 1)                                    \
    X(CALL_KW,          COUNT, MN_VAR, 1)                                    \
    X(CALL_METHOD,      COUNT, MN_VAR, 1)                                    \
    X(CALL_METHOD_KW,   COUNT, MN_VAR, 1)                                    \
    X(CALL_EX,          FLAGS, MN_VAR, 1)                                    \
    /* MAKE_FUNCTION flags: [defaults tuple if &1] [kwdefaults dict if &2]   \
     * [closure tuple if &8] code -> function */                            \
    X(MAKE_FUNCTION,    FLAGS, MN_VAR, 1)                                    \
    /* BUILD_CLASS nbases: bodyfunc name base* -> class (runs the body with  \
     * a fresh namespace dict, then mn_class_new) */                         \
    X(BUILD_CLASS,      COUNT, MN_VAR, 1)                                    \
    /* ---- building values ---- */                                         \
    X(BUILD_TUPLE,      COUNT, MN_VAR, 1)                                    \
    X(BUILD_LIST,       COUNT, MN_VAR, 1)                                    \
    X(BUILD_SET,        COUNT, MN_VAR, 1)                                    \
    X(BUILD_MAP,        COUNT, MN_VAR, 1)  /* k1 v1 .. kn vn -> dict */      \
    X(BUILD_STRING,     COUNT, MN_VAR, 1)  /* concat n strs */               \
    X(LIST_APPEND,      COUNT, 1, 0)   /* append TOS to the list at depth n */\
    X(SET_ADD,          COUNT, 1, 0)                                         \
    X(MAP_ADD,          COUNT, 2, 0)   /* key value -> ; dict at depth n */  \
    X(LIST_EXTEND,      COUNT, 1, 0)                                         \
    X(SET_UPDATE,       COUNT, 1, 0)                                         \
    X(DICT_UPDATE,      COUNT, 1, 0)   /* {**x} */                           \
    X(DICT_MERGE,       COUNT, 1, 0)   /* f(**x): duplicate keys are errors */\
    X(LIST_TO_TUPLE,    NONE,  1, 1)                                         \
    X(UNPACK_SEQUENCE,  COUNT, 1, MN_VAR)                                    \
    X(UNPACK_EX,        FLAGS, 1, MN_VAR)  /* before | after << 12 */        \
    /* FORMAT_VALUE flags: conversion (0 none, 1 str, 2 repr, 3 ascii) in    \
     * bits 0-1; bit 2 set: a format spec str is on top of the value */      \
    X(FORMAT_VALUE,     FLAGS, MN_VAR, 1)                                    \
    /* ---- exceptions ---- */                                              \
    /* RAISE_VARARGS n: 0 = bare re-raise, 1 = exc, 2 = exc cause */         \
    X(RAISE_VARARGS,    COUNT, MN_VAR, 0)                                    \
    X(RERAISE,          NONE,  1, 0)   /* re-raise TOS, no traceback entry */\
    X(PUSH_EXC_INFO,    NONE,  1, 2)   /* exc -> prev_handled exc */         \
    X(POP_EXCEPT,       NONE,  1, 0)   /* prev_handled -> ; restores it */   \
    X(POP_EXCEPT_RERAISE, NONE, 2, 0)  /* prev exc -> ; restore, reraise */  \
    X(CHECK_EXC_MATCH,  NONE,  2, 2)   /* exc type -> exc bool */            \
    X(LOAD_ASSERTION_ERROR, NONE, 0, 1)                                      \
    X(BEFORE_WITH,      NONE,  1, 2)   /* mgr -> exit enter_result */        \
    X(WITH_EXCEPT_START, NONE, 3, 4)   /* exit prev exc -> ... exc result */ \
    /* ---- modules ---- */                                                 \
    /* IMPORT_NAME name: level fromlist -> module (fromlist None: the top    \
     * package of a dotted name; otherwise the named module itself) */       \
    X(IMPORT_NAME,      NAME,  2, 1)                                         \
    X(IMPORT_FROM,      NAME,  1, 2)   /* module -> module value */          \
    X(IMPORT_STAR,      NONE,  1, 0)                                         \
    /* ---- interactive ---- */                                             \
    X(PRINT_EXPR,       NONE,  1, 0)   /* REPL: print repr unless None */

typedef enum {
#define MN_OP_ENUM(name, kind, pop, push) OP_##name,
    MN_OPCODES(MN_OP_ENUM)
#undef MN_OP_ENUM
    MN_NUM_OPCODES
} Opcode;

/* Operand kinds (the second column). */
typedef enum {
    OPK_NONE, OPK_CONST, OPK_NAME, OPK_ACACHE, OPK_LOCAL, OPK_DEREF, OPK_JUMP,
    OPK_COUNT, OPK_CMP, OPK_BINOP, OPK_INV, OPK_FLAGS
} OperandKind;

/* Instruction word helpers. */
#define MN_INSTR(op, arg)   ((uint32_t)(op) | ((uint32_t)(arg) << 8))
#define MN_INSTR_OP(w)      ((w) & 0xffu)
#define MN_INSTR_ARG(w)     ((w) >> 8)
#define MN_MAX_ARG          0xffffffu

/* Flags of MAKE_FUNCTION / CALL_EX / FORMAT_VALUE. */
#define MF_DEFAULTS     0x01
#define MF_KWDEFAULTS   0x02
#define MF_CLOSURE      0x08
#define CX_KWARGS       0x01
#define FV_CONV_MASK    0x03
#define FV_CONV_STR     1
#define FV_CONV_REPR    2
#define FV_CONV_ASCII   3
#define FV_HAVE_SPEC    0x04

/* Per-opcode metadata tables (vm/dis.c). */
extern const char *const mn_opcode_names[MN_NUM_OPCODES];
extern const unsigned char mn_opcode_operand[MN_NUM_OPCODES];

#endif
