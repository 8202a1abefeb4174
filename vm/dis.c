/*
 * dis.c -- the disassembler, generated from the opcode table.
 *
 * Output follows CPython's dis module:
 *
 *   Disassembly of <code object f at 0x..., file "x.mini", line 1>:
 *     2           0 LOAD_FAST                0 (n)
 *                 1 LOAD_CONST               1 (2)
 *                 2 COMPARE_OP               0 (<)
 *                 3 POP_JUMP_IF_FALSE        6 (to 6)
 *
 * The line number is shown on the first instruction of each line, ">>"
 * marks jump targets and exception handlers, and an "ExceptionTable:"
 * section lists the handler ranges.
 */
#include <string.h>

#include "code.h"
#include "opcodes.h"

const char *const mn_opcode_names[MN_NUM_OPCODES] = {
#define MN_OP_NAME(name, kind, pop, push) [OP_##name] = #name,
    MN_OPCODES(MN_OP_NAME)
#undef MN_OP_NAME
};

const unsigned char mn_opcode_operand[MN_NUM_OPCODES] = {
#define MN_OP_KIND(name, kind, pop, push) [OP_##name] = OPK_##kind,
    MN_OPCODES(MN_OP_KIND)
#undef MN_OP_KIND
};

static const char *const cmp_names[] = {"<", "<=", "==", "!=", ">", ">="};
static const char *const binop_names[] = {"+", "-", "*", "/", "//", "%", "**",
                                          "<<", ">>", "&", "|", "^"};

static void argrepr(CodeObject *co, int op, uint32_t arg, StrBuf *b)
{
    switch (mn_opcode_operand[op]) {
    case OPK_CONST: {
        Value v = mn_tuple_items(co->consts)[arg];
        Value r = mn_repr(v);
        if (r)
            sb_add(b, mn_cstr(r), mn_str_len(r));
        else
            mn_exc_clear();
        break;
    }
    case OPK_NAME:
        sb_adds(b, mn_cstr(mn_tuple_items(co->names)[arg]));
        break;
    case OPK_ACACHE:
        if ((int)arg < co->ncaches)
            sb_adds(b, mn_cstr(co->caches[arg].name));
        break;
    case OPK_LOCAL:
    case OPK_DEREF:
        if ((int)arg < co->nlocalsplus)
            sb_adds(b, mn_cstr(mn_tuple_items(co->localnames)[arg]));
        break;
    case OPK_JUMP:
        sb_addf(b, "to %u", arg);
        break;
    case OPK_CMP:
        if (arg < 6)
            sb_adds(b, cmp_names[arg]);
        break;
    case OPK_BINOP:
        if (arg < sizeof binop_names / sizeof *binop_names)
            sb_adds(b, binop_names[arg]);
        break;
    case OPK_INV:
        if (op == OP_IS_OP)
            sb_adds(b, arg ? "is not" : "is");
        else
            sb_adds(b, arg ? "not in" : "in");
        break;
    default:
        break;
    }
}

static bool is_target(CodeObject *co, int off)
{
    for (int i = 0; i < co->ncode; i++) {
        uint32_t w = co->code[i];
        int op = MN_INSTR_OP(w);
        if (op < MN_NUM_OPCODES && mn_opcode_operand[op] == OPK_JUMP &&
            (int)MN_INSTR_ARG(w) == off)
            return true;
    }
    for (int i = 0; i < co->nexc; i++)
        if ((int)co->exctab[i].handler == off)
            return true;
    return false;
}

static void dis_one(CodeObject *co, FILE *out)
{
    int last_line = -1;
    for (int i = 0; i < co->ncode; i++) {
        uint32_t w = co->code[i];
        int op = MN_INSTR_OP(w);
        uint32_t arg = MN_INSTR_ARG(w);
        int line = mn_code_addr2line(co, i);
        char lbuf[16] = "";
        if (line != last_line) {
            if (last_line != -1)
                fputc('\n', out);
            snprintf(lbuf, sizeof lbuf, "%d", line);
            last_line = line;
        }
        const char *name = op < MN_NUM_OPCODES ? mn_opcode_names[op] : "<unknown>";
        fprintf(out, "%4s %2s %6d %-24s", lbuf, is_target(co, i) ? ">>" : "", i, name);
        if (op < MN_NUM_OPCODES && mn_opcode_operand[op] != OPK_NONE) {
            StrBuf b;
            sb_init(&b);
            argrepr(co, op, arg, &b);
            fprintf(out, " %5u", arg);
            if (b.len)
                fprintf(out, " (%.*s)", (int)b.len, b.buf);
        }
        fputc('\n', out);
    }
    if (co->nexc) {
        fprintf(out, "ExceptionTable:\n");
        for (int i = 0; i < co->nexc; i++) {
            const ExcEntry *e = &co->exctab[i];
            fprintf(out, "  %u to %u -> %u [%u]\n", e->start, e->end - 1, e->handler, e->depth);
        }
    }
}

static void dis_rec(CodeObject *co, FILE *out, bool recursive, bool header)
{
    if (header) {
        Value r = mn_repr(mn_val(co));
        fprintf(out, "Disassembly of %s:\n", r ? mn_cstr(r) : "<code object>");
        if (!r)
            mn_exc_clear();
    }
    dis_one(co, out);
    if (!recursive)
        return;
    Value *consts = mn_tuple_items(co->consts);
    for (int64_t i = 0; i < mn_tuple_len(co->consts); i++) {
        if (MN_IS_EXACT(consts[i], CodeType)) {
            fputc('\n', out);
            dis_rec(AS(CodeObject, consts[i]), out, true, true);
        }
    }
}

void mn_dis(CodeObject *co, FILE *out, bool recursive)
{
    dis_rec(co, out, recursive, false);
}

char *mn_dis_opnames(CodeObject *co)
{
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < co->ncode; i++) {
        int op = MN_INSTR_OP(co->code[i]);
        if (i)
            sb_addc(&b, ' ');
        sb_adds(&b, op < MN_NUM_OPCODES ? mn_opcode_names[op] : "?");
    }
    Value s = sb_finish(&b);
    return gc_strdup(mn_cstr(s));
}
