/*
 * main.c -- the `mini` command line.
 *
 *   mini [options] [script.mini | -c CODE | -] [args...]
 *
 * Options come before the script; everything after the script (or after
 * -c CODE, or -) belongs to the program as sys.argv[1:], even words that
 * look like options.  Environment variables give defaults (MINI_GIL,
 * MINI_SWITCH_INTERVAL in ms, MINI_SWITCH_INSTRUCTIONS, MINIPATH) that
 * flags override.  Bad usage prints "mini: <problem>" and the usage line
 * on stderr and exits 2, before anything runs.
 *
 * Start-up order matters: the collector first, then the runtime (types,
 * builtins, module registry), then the main thread state, then sys.argv /
 * sys.path and the GIL, then the signal handlers, then the program.
 *
 * With no script, an interactive prompt when stdin is a terminal (line
 * editing and history through libedit when built with it, plain stdio
 * otherwise), else the program is read from stdin.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MINI_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "../runtime/gc.h"
#include "../runtime/object.h"
#include "eval.h"
#include "gil.h"
#include "run.h"
#include "tstate.h"

#ifndef MINI_VERSION
#define MINI_VERSION "0.1.0"
#endif

static const char USAGE[] = "usage: mini [options] [script.mini | -c CODE | -] [args...]\n";

static const char HELP[] =
    "Options (before the script):\n"
    "  -c CODE                  run CODE as the program (sys.argv[0] is '-c')\n"
    "  -                        read the program from standard input\n"
    "  --switch-interval=MS     GIL switch interval in milliseconds (default 15)\n"
    "  --switch-instructions=N  also hand the GIL over every N instructions\n"
    "                           when another thread waits (0 = off, the default)\n"
    "  --gil=on|off             run with the GIL (default) or free-threaded\n"
    "  -X gil=1|0               the same as --gil=on|off\n"
    "  --gil-stats              print GIL statistics per thread at exit\n"
    "  --gil-trace=FILE         write a GIL timeline (Chrome trace-event JSON)\n"
    "  --dis                    print the script's bytecode instead of running it\n"
    "  --version                print the version and exit\n"
    "  -h, --help               print this help and exit\n"
    "\n"
    "Environment:\n"
    "  MINIPATH                 colon-separated directories searched for modules\n"
    "  MINI_GIL=0|1             default for --gil\n"
    "  MINI_SWITCH_INTERVAL     default for --switch-interval (ms)\n"
    "  MINI_SWITCH_INSTRUCTIONS default for --switch-instructions\n"
    "\n"
    "With no script, an interactive prompt if standard input is a terminal.\n";

static void usage_error(const char *fmt, const char *arg)
{
    fputs("mini: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    fputs(USAGE, stderr);
    fputs("Try 'mini --help' for more information.\n", stderr);
    exit(2);
}

/* Strict number parsing: the whole string, no blanks. */
static bool parse_ms(const char *s, double *out)
{
    if (!*s || strchr(" \t\n", *s))
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || !isfinite(d) || !(d > 0))
        return false;
    *out = d;
    return true;
}

static bool parse_count(const char *s, long *out)
{
    if (!*s || !(*s >= '0' && *s <= '9'))
        return false;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (*end || errno || n < 0)
        return false;
    *out = n;
    return true;
}

static bool parse_gil(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "1")) {
        *out = true;
        return true;
    }
    if (!strcmp(s, "off") || !strcmp(s, "0")) {
        *out = false;
        return true;
    }
    return false;
}

static void env_defaults(void)
{
    const char *v;
    double ms;
    long n;
    bool b;
    if ((v = getenv("MINI_GIL")) && *v) {
        if (parse_gil(v, &b))
            mn_interp.gil_enabled = b;
        else
            fprintf(stderr, "mini: ignoring invalid MINI_GIL value '%s'\n", v);
    }
    if ((v = getenv("MINI_SWITCH_INTERVAL")) && *v) {
        if (parse_ms(v, &ms))
            mn_interp.switch_interval = ms / 1000.0;
        else
            fprintf(stderr, "mini: ignoring invalid MINI_SWITCH_INTERVAL value '%s'\n", v);
    }
    if ((v = getenv("MINI_SWITCH_INSTRUCTIONS")) && *v) {
        if (parse_count(v, &n))
            mn_interp.switch_instructions = n;
        else
            fprintf(stderr, "mini: ignoring invalid MINI_SWITCH_INSTRUCTIONS value '%s'\n", v);
    }
}

typedef enum { RUN_FILE, RUN_CODE, RUN_STDIN, RUN_REPL } RunMode;

typedef struct {
    RunMode mode;
    const char *target;     /* script path or -c code */
    bool dis;
    char **rest;            /* sys.argv[1:] */
    int nrest;
} Options;

/* "--name=value" or "--name value": the value, or NULL if `arg` is not
 * this option. */
static const char *long_value(const char *arg, const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] == 0) {
        if (*i + 1 >= argc)
            usage_error("option %s requires a value", name);
        return argv[++*i];
    }
    return NULL;
}

static void parse_x_option(const char *opt)
{
    bool b;
    if (strncmp(opt, "gil=", 4) == 0) {
        if (!parse_gil(opt + 4, &b) || !strcmp(opt + 4, "on") || !strcmp(opt + 4, "off"))
            usage_error("invalid -X gil value '%s' (expected 0 or 1)", opt + 4);
        mn_interp.gil_enabled = b;
        return;
    }
    usage_error("unknown -X option '%s'", opt);
}

static Options parse_args(int argc, char **argv)
{
    Options o = {.mode = RUN_REPL};
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        if (a[0] != '-' || a[1] == 0)
            break;                      /* the script, or "-" */
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "-c") || (a[1] == 'c' && a[2])) {
            if (a[2]) {
                o.target = a + 2;
            } else {
                if (i + 1 >= argc)
                    usage_error("%s requires an argument", "-c");
                o.target = argv[++i];
            }
            o.mode = RUN_CODE;
            i++;
            goto rest;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            fputs(HELP, stdout);
            exit(0);
        }
        if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("mini %s\n", MINI_VERSION);
            exit(0);
        }
        if (!strcmp(a, "--dis")) {
            o.dis = true;
            continue;
        }
        if (!strcmp(a, "--gil-stats")) {
            mn_interp.gil_stats = true;
            continue;
        }
        if ((v = long_value(a, "--gil-trace", argc, argv, &i))) {
            if (!*v)
                usage_error("%s needs a file name", "--gil-trace");
            mn_interp.gil_trace_path = v;
            continue;
        }
        if ((v = long_value(a, "--switch-interval", argc, argv, &i))) {
            double ms;
            if (!parse_ms(v, &ms))
                usage_error("invalid --switch-interval value '%s' (expected a positive "
                            "number of milliseconds)", v);
            mn_interp.switch_interval = ms / 1000.0;
            continue;
        }
        if ((v = long_value(a, "--switch-instructions", argc, argv, &i))) {
            long n;
            if (!parse_count(v, &n))
                usage_error("invalid --switch-instructions value '%s' (expected an integer "
                            ">= 0)", v);
            mn_interp.switch_instructions = n;
            continue;
        }
        if ((v = long_value(a, "--gil", argc, argv, &i))) {
            bool b;
            if (!parse_gil(v, &b))
                usage_error("invalid --gil value '%s' (expected on or off)", v);
            mn_interp.gil_enabled = b;
            continue;
        }
        if (!strcmp(a, "-X")) {
            if (i + 1 >= argc)
                usage_error("%s requires an argument", "-X");
            parse_x_option(argv[++i]);
            continue;
        }
        if (a[1] == 'X') {
            parse_x_option(a + 2);
            continue;
        }
        usage_error("unknown option '%s'", a);
    }
    if (i < argc) {
        if (!strcmp(argv[i], "-")) {
            o.mode = RUN_STDIN;
        } else {
            o.mode = RUN_FILE;
            o.target = argv[i];
        }
        i++;
    }
rest:
    o.rest = argv + i;
    o.nrest = argc - i;
    if (o.dis && o.mode != RUN_FILE)
        usage_error("%s needs a script file", "--dis");
    return o;
}

/* ---- sys.argv and sys.path --------------------------------------- */

static void set_argv_and_path(const Options *o)
{
    Value argv = mn_list_new(0);
    const char *first = o->mode == RUN_FILE ? o->target
                      : o->mode == RUN_CODE ? "-c"
                      : o->mode == RUN_STDIN ? "-" : "";
    if (mn_list_append(argv, mn_str(first)) < 0)
        return;
    for (int i = 0; i < o->nrest; i++)
        if (mn_list_append(argv, mn_str(o->rest[i])) < 0)
            return;
    mn_interp.argv = argv;

    Value path = mn_list_new(0);
    if (o->mode == RUN_FILE) {
        /* The script's directory, absolute (CPython's sys.path[0]). */
        char *dir = gc_strdup(o->target);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[slash == dir ? 1 : 0] = 0;
        else
            strcpy(dir, ".");
        char *real = realpath(dir, NULL);
        if (mn_list_append(path, mn_str(real ? real : dir)) < 0)
            return;
        free(real);
    } else {
        if (mn_list_append(path, mn_str("")) < 0)
            return;
    }
    const char *mp = getenv("MINIPATH");
    if (mp) {
        const char *p = mp;
        for (;;) {
            const char *colon = strchr(p, ':');
            size_t n = colon ? (size_t)(colon - p) : strlen(p);
            if (n > 0 && mn_list_append(path, mn_str_new(p, n)) < 0)
                return;
            if (!colon)
                break;
            p = colon + 1;
        }
    }
    mn_interp.sys_path = path;
}

/* ---- signals ------------------------------------------------------ */

static volatile sig_atomic_t repl_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    repl_interrupted = 1;
    mn_signal_interrupt();
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;        /* no SA_RESTART: blocking reads return EINTR */
    sigaction(SIGINT, &sa, NULL);
    /* Writes to a closed pipe fail with EPIPE (BrokenPipeError) instead of
     * killing the process, as in CPython. */
    signal(SIGPIPE, SIG_IGN);
}

/* ---- reading a whole program ------------------------------------- */

static char *read_all_fd(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* ---- the interactive prompt -------------------------------------- */

static char *history_path(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + sizeof "/.mini_history";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.mini_history", home);
    return p;
}

/* One line from the user without its newline (malloc'd), or NULL at EOF
 * or on Ctrl-C (then repl_interrupted is set). */
static char *repl_readline(const char *prompt)
{
    repl_interrupted = 0;
#ifdef MINI_HAVE_LIBEDIT
    return readline(prompt);
#else
    fputs(prompt, stdout);
    fflush(stdout);
    size_t cap = 256, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        int c = getchar();
        if (c == EOF) {
            clearerr(stdin);
            if (n == 0 || repl_interrupted) {
                free(buf);
                return NULL;
            }
            break;
        }
        if (c == '\n')
            break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        buf[n++] = (char)c;
    }
    buf[n] = 0;
    return buf;
#endif
}

/* A SIGINT that arrived at the prompt: report it and drop the pending
 * KeyboardInterrupt so it does not fire inside the next statement. */
static void discard_interrupt(void)
{
    fputs("\nKeyboardInterrupt\n", stderr);
    if (mn_signal_pending() && mn_eval_breaker_slow(mn_ts()) < 0)
        mn_exc_clear();
}

static int run_repl(void)
{
    char *hist = history_path();
#ifdef MINI_HAVE_LIBEDIT
    rl_readline_name = "mini";
    rl_catch_signals = 0;
    stifle_history(1000);
    if (hist)
        read_history(hist);
#endif
    fprintf(stderr, "mini %s (Python 3.11 language subset) -- type Ctrl-D to exit\n",
            MINI_VERSION);
    size_t cap = 1024, len = 0;
    char *src = malloc(cap);
    int status = 0;
    if (!src)
        return 1;
    for (;;) {
        mn_flush_std_streams();
        char *line = repl_readline(len ? "... " : ">>> ");
        if (!line) {
            if (repl_interrupted) {
                len = 0;
                discard_interrupt();
                continue;
            }
            fputc('\n', stderr);
            break;
        }
        size_t n = strlen(line);
#ifdef MINI_HAVE_LIBEDIT
        if (n && strspn(line, " \t") != n)
            add_history(line);
#endif
        if (len == 0 && strspn(line, " \t") == n) {
            free(line);
            continue;
        }
        if (len + n + 2 > cap) {
            while (len + n + 2 > cap)
                cap *= 2;
            char *ns = realloc(src, cap);
            if (!ns) {
                free(line);
                break;
            }
            src = ns;
        }
        memcpy(src + len, line, n);
        len += n;
        src[len++] = '\n';
        src[len] = 0;
        free(line);
        bool incomplete = false;
        int code = 0;
        int r = mn_repl_eval(src, len, &incomplete, &code);
        if (r < 0) {
            status = code;
            break;
        }
        if (!incomplete)
            len = 0;
    }
    free(src);
#ifdef MINI_HAVE_LIBEDIT
    if (hist)
        write_history(hist);
#endif
    free(hist);
    return status;
}

/* ---- main --------------------------------------------------------- */

int main(int argc, char **argv)
{
    env_defaults();
    Options o = parse_args(argc, argv);

    gc_init();
    if (mn_runtime_init() < 0) {
        fputs("mini: fatal: runtime initialisation failed\n", stderr);
        return 1;
    }
    ThreadState *ts = mn_tstate_new(&mn_interp);
    mn_interp.main_path = o.mode == RUN_FILE ? o.target
                        : o.mode == RUN_CODE ? "-c"
                        : o.mode == RUN_STDIN ? "<stdin>" : "<stdin>";
    set_argv_and_path(&o);
    gil_init(&mn_interp);
    gil_set_thread_name(ts, "MainThread");
    gil_thread_attach(ts);
    install_signals();

    int status;
    switch (o.mode) {
    case RUN_FILE:
        status = o.dis ? mn_dis_file(o.target) : mn_run_file(o.target);
        break;
    case RUN_CODE:
        status = mn_run_source(o.target, strlen(o.target), "<string>");
        break;
    case RUN_STDIN:
    case RUN_REPL:
        if (o.mode == RUN_REPL && isatty(0)) {
            status = run_repl();
        } else {
            size_t len = 0;
            char *src = read_all_fd(0, &len);
            if (!src) {
                fprintf(stderr, "mini: cannot read the program from stdin: %s\n", strerror(errno));
                status = 1;
                break;
            }
            status = mn_run_source(src, len, "<stdin>");
            free(src);
        }
        break;
    default:
        status = 2;
    }
    mn_finalize();
    return status;
}
