/*
 * frame.h -- activation records.
 *
 * Frames live on the thread's VM value stack (ThreadState.stack_base ..
 * stack_limit), not on the C stack and not in the heap: pushing a frame
 * is bumping ts->stack_top.  A frame is laid out as
 *
 *     [ Frame header | localsplus[nlocalsplus] | value stack[stacksize] ]
 *
 * in one run of Value-sized slots; code->framesize is the total.  The VM
 * stack is allocated with gc_alloc, so the collector scans every frame
 * (conservatively, including dead slots above the top; that only delays
 * reclaiming some garbage).  When a chunk is full a new chunk is chained
 * (vm/eval.c, push_frame); frames never straddle chunks.
 *
 * A mini->mini call pushes a frame and continues in the same C invocation
 * of the eval loop.  A call from C (mn_call of a function, a class's
 * __init__, a sort key...) runs a new eval loop whose first frame is
 * marked FRAME_ENTRY: returning from it returns to C.
 *
 * Only the thread that owns a frame touches it.
 */
#ifndef MN_FRAME_H
#define MN_FRAME_H

#include "code.h"

#define FRAME_ENTRY     0x01    /* the first frame of an eval loop invocation */
#define FRAME_NEWCHUNK  0x02    /* first frame of a stack chunk: popping it
                                   returns to the previous chunk */

typedef struct Frame {
    struct Frame *prev;         /* the caller's frame on this thread, or NULL */
    CodeObject *code;
    Value func;                 /* the FunctionObject, or 0 (module, class body) */
    Value globals;              /* dict */
    Value builtins;             /* dict */
    Value locals;               /* dict for module (== globals) and class-body
                                   frames; 0 for functions (fast locals) */
    const uint32_t *ip;         /* next instruction; saved when a callee runs */
    Value *sp;                  /* saved stack pointer while a callee runs: the
                                   slot where the callee's result goes */
    Value *prev_top;            /* ts->stack_top before this frame was pushed
                                   (or the previous chunk's top) */
    uint32_t flags;             /* FRAME_* */
    Value localsplus[];         /* variables, then the value stack */
} Frame;

/* Value slots taken by the header. */
#define FRAME_HEADER_SLOTS ((sizeof(Frame) + sizeof(Value) - 1) / sizeof(Value))

static inline Value *mn_frame_stack(Frame *f)
{
    return f->localsplus + f->code->nlocalsplus;
}

/* A VM stack chunk of n slots chained after `prev` (vm/tstate.c).  Header
 * words: [0] previous chunk, [1] cached next chunk, [2] size in slots;
 * frames start at chunk + MN_CHUNK_HEADER. */
#define MN_CHUNK_HEADER 3
Value *mn_stack_chunk_new(Value *prev, size_t n);

/* Current line of a frame (from its saved ip). */
int mn_frame_lineno(Frame *f);

#endif
