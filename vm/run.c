/*
 * run.c -- running whole programs (vm/run.h): scripts, -c / stdin source,
 * --dis, one REPL entry at a time, and the exit sequence.
 *
 * A program runs as module __main__ (inserted in sys.modules before its
 * body runs, like any module).  Syntax errors are printed in the parser's
 * format and nothing runs; an uncaught exception prints its traceback;
 * SystemExit turns into the exit status (None -> 0, an int -> that int,
 * anything else is printed to stderr and gives 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "eval.h"
#include "gil.h"
#include "run.h"

static char *read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = gc_alloc_atomic(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = gc_realloc(buf, cap + 1);
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        if (k == 0)
            break;
        n += k;
    }
    int err = ferror(f);
    fclose(f);
    if (err)
        return NULL;
    buf[n] = 0;
    *len = n;
    return buf;
}

static void print_syntax_error(const char *filename, const char *src, size_t len,
                               const ParseError *err)
{
    char buf[4096];
    mn_format_syntax_error(filename, src, len, err, buf, sizeof buf);
    mn_flush_std_streams();
    fputs(buf, stderr);
    size_t n = strlen(buf);
    if (n == 0 || buf[n - 1] != '\n')
        fputc('\n', stderr);
    fflush(stderr);
}

static CodeObject *compile_or_report(const char *src, size_t len, const char *filename,
                                     CompileMode mode, bool *incomplete)
{
    ParseError err;
    memset(&err, 0, sizeof err);
    Node *mod = mn_parse(src, len, filename,
                         mode == MN_COMPILE_INTERACTIVE ? PARSE_INTERACTIVE : PARSE_FILE, &err);
    CodeObject *co = mod ? mn_compile(mod, filename, mode, &err) : NULL;
    if (co)
        return co;
    if (incomplete && err.incomplete) {
        *incomplete = true;
        return NULL;
    }
    print_syntax_error(filename, src, len, &err);
    return NULL;
}

/* SystemExit's code attribute: None (no args), the one arg, or the tuple. */
static Value exit_code_of(Value exc)
{
    Value code = mn_getattr_opt(exc, mn_intern("code"));
    if (code)
        return code;
    mn_exc_clear();
    Value args = AS(ExceptionObject, exc)->args;
    if (!args || !mn_is_tuple(args) || mn_tuple_len(args) == 0)
        return mn_None;
    if (mn_tuple_len(args) == 1)
        return mn_tuple_items(args)[0];
    return args;
}

static int system_exit_status(Value exc)
{
    Value code = exit_code_of(exc);
    if (code == mn_None)
        return 0;
    if (mn_is_intlike(code)) {
        int64_t v;
        if (mn_as_i64(code, &v) == 0)
            return (int)(v & 0xff);
        mn_exc_clear();
        return 1;
    }
    mn_flush_std_streams();
    Value s = mn_to_str(code);
    if (s) {
        fprintf(stderr, "%s\n", mn_cstr(s));
    } else {
        mn_exc_clear();
    }
    fflush(stderr);
    return 1;
}

/* Report the pending exception; returns the exit status it calls for. */
static int handle_exception(void)
{
    Value exc = mn_exc_fetch();
    if (!exc)
        return 1;
    if (mn_isinstance_t(exc, &SystemExitType))
        return system_exit_status(exc);
    mn_flush_std_streams();
    mn_print_exception(exc, stderr);
    fflush(stderr);
    if (mn_isinstance_t(exc, &KeyboardInterruptType))
        return 130;
    return 1;
}

static Value main_module(void)
{
    Value modules = mn_sys_modules();
    Value m = mn_dict_get_str(modules, MN_ID(__main__));
    if (m)
        return m;
    m = mn_module_new(MN_ID(__main__));
    Value d = AS(ModuleObject, m)->dict;
    if (mn_interp.builtins)
        mn_dict_set_str(d, MN_ID(__builtins__), mn_interp.builtins);
    mn_dict_set_str(d, MN_ID(__doc__), mn_None);
    mn_dict_set_str(d, MN_ID(__package__), mn_None);
    mn_dict_set_str(modules, MN_ID(__main__), m);
    return m;
}

static int run_main(const char *src, size_t len, const char *filename, const char *file)
{
    CodeObject *co = compile_or_report(src, len, filename, MN_COMPILE_FILE, NULL);
    if (!co)
        return 1;
    Value m = main_module();
    Value d = AS(ModuleObject, m)->dict;
    if (file)
        mn_dict_set_str(d, MN_ID(__file__), mn_str(file));
    Value r = mn_eval_code(co, d, d);
    if (!r)
        return handle_exception();
    return 0;
}

int mn_run_file(const char *path)
{
    size_t len;
    char *src = read_path(path, &len);
    if (!src) {
        fprintf(stderr, "mini: can't open file '%s': [Errno %d] %s\n", path, errno,
                strerror(errno));
        return 2;
    }
    return run_main(src, len, path, path);
}

int mn_run_source(const char *src, size_t len, const char *filename)
{
    mn_linecache_add(filename, src, len);
    /* CPython: code read from stdin has __file__ '<stdin>'; -c has none */
    return run_main(src, len, filename, strcmp(filename, "<stdin>") ? NULL : filename);
}

int mn_dis_file(const char *path)
{
    size_t len;
    char *src = read_path(path, &len);
    if (!src) {
        fprintf(stderr, "mini: can't open file '%s': [Errno %d] %s\n", path, errno,
                strerror(errno));
        return 2;
    }
    CodeObject *co = compile_or_report(src, len, path, MN_COMPILE_FILE, NULL);
    if (!co)
        return 1;
    mn_dis(co, stdout, true);
    fflush(stdout);
    return 0;
}

int mn_repl_eval(const char *src, size_t len, bool *incomplete, int *exit_code)
{
    *incomplete = false;
    CodeObject *co = compile_or_report(src, len, "<stdin>", MN_COMPILE_INTERACTIVE, incomplete);
    if (!co)
        return 0;
    mn_linecache_add("<stdin>", src, len);
    Value m = main_module();
    Value d = AS(ModuleObject, m)->dict;
    Value r = mn_eval_code(co, d, d);
    if (!r) {
        Value exc = mn_exc_current();
        if (exc && mn_isinstance_t(exc, &SystemExitType)) {
            mn_exc_clear();
            *exit_code = system_exit_status(exc);
            return -1;
        }
        handle_exception();
    }
    return 0;
}

/* Call module.fn() if both exist (exit hooks of threading / atexit). */
static void call_hook(const char *module, const char *fn)
{
    Value modules = mn_interp.modules;
    if (!modules)
        return;
    Value m = mn_dict_get_cstr(modules, module);
    if (!m)
        return;
    Value f = mn_getattr_opt(m, mn_intern(fn));
    if (!f) {
        mn_exc_clear();
        return;
    }
    if (!mn_call0(f)) {
        Value exc = mn_exc_fetch();
        if (exc && !mn_isinstance_t(exc, &SystemExitType)) {
            mn_flush_std_streams();
            mn_print_exception(exc, stderr);
        }
    }
}

void mn_finalize(void)
{
    ThreadState *ts = mn_ts();
    /* Wait for non-daemon threads (CPython's threading._shutdown), then
     * run atexit functions. */
    call_hook("threading", "_shutdown");
    call_hook("atexit", "_run_exitfuncs");
    mn_flush_std_streams();
    if (ts)
        gil_at_exit(ts);
    fflush(stdout);
    fflush(stderr);
}
