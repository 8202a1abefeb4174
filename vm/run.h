/*
 * run.h -- entry points the command line (vm/main.c) uses to run code.
 * Implemented in vm/run.c.  Each returns the process exit status the
 * command line should use: 0, the sys.exit() code, or 1 after an uncaught
 * exception or syntax error (already reported on stderr).
 */
#ifndef MN_RUN_H
#define MN_RUN_H

#include <stdbool.h>
#include <stddef.h>

/* Run a script file as module __main__ (sys.argv must already be set). */
int mn_run_file(const char *path);
/* Run source text as __main__ under a pseudo filename ("<string>", "<stdin>"). */
int mn_run_source(const char *src, size_t len, const char *filename);
/* Print the disassembly of a script (--dis) instead of running it. */
int mn_dis_file(const char *path);

/* REPL: compile and run one entry in the persistent __main__ module,
 * printing the repr of expression statements that are not None.  If the
 * input is an incomplete compound statement / open bracket, sets
 * *incomplete and runs nothing.  Errors are printed; returns -1 only when
 * SystemExit was raised (then *exit_code is set), else 0. */
int mn_repl_eval(const char *src, size_t len, bool *incomplete, int *exit_code);

/* Async-signal-safe: called from the SIGINT handler.  The main thread's
 * eval loop raises KeyboardInterrupt at its next eval-breaker check, and
 * blocking calls (sleep, waits) return early to let it. */
void mn_signal_interrupt(void);

/* Flush sys.stdout/sys.stderr and run exit-time work; called once before
 * the process exits normally. */
void mn_finalize(void);

#endif
