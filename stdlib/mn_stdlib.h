/*
 * mn_stdlib.h -- private interfaces shared by the builtins and the native
 * standard-library modules (stdlib/builtins.c, fileio.c, mod_*.c,
 * stdlib.c).  Nothing outside stdlib/ should include this; what other
 * subsystems need from here is declared in runtime/object.h instead
 * (mn_flush_std_streams, mn_raise_oserror, mn_init_fileio, ...).
 */
#ifndef MN_STDLIB_H
#define MN_STDLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../runtime/object.h"

/* ------------------------------------------------------------------ */
/* File objects (fileio.c)                                             */
/* ------------------------------------------------------------------ */

/* Which of the three standard streams. */
enum { MN_STDIN = 0, MN_STDOUT = 1, MN_STDERR = 2 };

/* Ready the file types and create the standard streams (mn_init_stdlib
 * calls it first).  -1 on failure. */
int mn_fileio_init(void);

/* The file objects created at start-up over fds 0/1/2.  These are what
 * sys.stdin/stdout/stderr (and sys.__stdout__ ...) initially hold. */
Value mn_std_file(int which);

/* The stream print()/input() should use right now: sys.stdout etc. when
 * the sys module exists (the user may have replaced it), else the
 * start-up object.  Returns 0 with RuntimeError("lost sys.stdout") set if
 * the user deleted the attribute; may return None. */
Value mn_sys_stream(int which);

/* True if v is one of our file objects (text or binary). */
bool mn_is_file(Value v);

/* Write a run of UTF-8 pieces to `file` as one operation (one lock, one
 * copy into the buffer) -- the print() fast path.  Works for our text
 * files; for anything else it calls file.write(str) once per piece, as
 * CPython's print does.  `flush` forces a flush afterwards. */
typedef struct { const char *s; size_t n; Value str; } MnPiece;
int mn_file_write_pieces(Value file, const MnPiece *p, int n, bool flush) MN_CHECK;

/* file.flush() for any object (fast for ours). */
int mn_file_flush(Value file) MN_CHECK;

/* True if one of our files holds read-ahead not yet consumed. */
bool mn_file_input_buffered(Value file);

/* file.readline() for any object; returns a str/bytes ("" at EOF). */
Value mn_file_readline(Value file);

/* open(file, mode='r', buffering=-1, encoding=None, errors=None,
 * newline=None, closefd=True) -- the builtin. */
Value mn_builtin_open(Value *args, int nargs, Value kwargs);

/* ------------------------------------------------------------------ */
/* sys (mod_sys.c)                                                     */
/* ------------------------------------------------------------------ */

/* The sys module's dict once the module has been created, else 0. */
extern Value mn_sys_dict;

/* ------------------------------------------------------------------ */
/* Struct sequences (stdlib.c): tuple subtypes with named fields, like  */
/* CPython's time.struct_time and sys.version_info.                    */
/* ------------------------------------------------------------------ */

typedef struct {
    Type type;                  /* base TupleType; must come first */
    const char *const *fields;  /* field names, nfields of them */
    int nvisible;               /* how many are tuple items (len) */
    int nfields;                /* plus attribute-only fields after them */
} StructSeqType;

/* Fill in and ready a struct-sequence type: `name` like "struct_time",
 * `module` like "time" (its repr is "time.struct_time(tm_year=...)"). */
int mn_structseq_init(StructSeqType *t, const char *name, const char *module,
                      const char *const *fields, int nvisible, int nfields) MN_CHECK;
/* A new instance holding items[0..nfields-1]. */
Value mn_structseq_new(StructSeqType *t, const Value *items);

/* ------------------------------------------------------------------ */
/* Native module constructors (one per file), registered by stdlib.c   */
/* ------------------------------------------------------------------ */

Value mn_module_sys_init(void);
Value mn_module_time_init(void);
Value mn_module_random_init(void);
Value mn_module_os_init(void);
Value mn_module_os_path_init(void);
Value mn_module_math_init(void);
Value mn_module_builtins_init(void);

/* ------------------------------------------------------------------ */
/* The Mersenne Twister behind random (mod_random.c), exported for the  */
/* unit tests (tests/unit/test_random.c).                              */
/* ------------------------------------------------------------------ */

#define MN_MT_N 624
typedef struct { uint32_t mt[MN_MT_N]; int index; } MnMT;
void mn_mt_init_by_array(MnMT *m, const uint32_t *key, size_t keylen);
uint32_t mn_mt_genrand(MnMT *m);
/* random(): 53-bit float in [0, 1), CPython's genrand_res53. */
double mn_mt_random(MnMT *m);
/* CPython's Random.seed(int): the 32-bit words of abs(seed). */
void mn_mt_seed_i64(MnMT *m, int64_t seed);
/* getrandbits(k) for 0 <= k <= 64. */
uint64_t mn_mt_getrandbits64(MnMT *m, int k);
/* _randbelow_with_getrandbits(n) for 1 <= n < 2**64. */
uint64_t mn_mt_randbelow(MnMT *m, uint64_t n);

#endif
