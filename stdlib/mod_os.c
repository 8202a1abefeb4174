/*
 * mod_os.c -- the `os` module and its `os.path` submodule (posixpath).
 *
 * os.environ is a dict subclass (os._Environ) filled from the process
 * environment at import; item assignment and deletion also call
 * setenv/unsetenv, so child processes see the change (other dict methods
 * such as update() change only the mapping, a simplification).
 *
 * os.path is its own native module "os.path", bound as os.path; its
 * string functions follow CPython's posixpath line by line.  realpath()
 * resolves with realpath(3) and falls back to abspath() for paths that do
 * not exist.
 *
 * fork/kill/waitpid/_exit/system belong to the processes work and are not
 * here yet.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "../vm/eval.h"
#include "mn_stdlib.h"

extern char **environ;

static Value raise_oserror(int err, Value filename)
{
    Value exc = mn_oserror_new(err, filename && mn_is_str(filename) ? mn_cstr(filename) : NULL);
    return exc ? mn_raise_exc(exc) : MN_ERR;
}

/* A path argument: str, or bytes (decoded as UTF-8).  `what` names the
 * accepted kinds in the TypeError, as CPython's path_converter does. */
static Value path_arg(const char *fname, Value v, const char *what)
{
    if (mn_is_str(v)) {
        if (strlen(mn_cstr(v)) != (size_t)mn_str_len(v))
            return mn_raise(&ValueErrorType, "%s: embedded null character in path", fname);
        return v;
    }
    if (mn_isinstance_t(v, &BytesType))
        return mn_str_decode_utf8((const char *)AS(BytesObject, v)->data,
                                  (size_t)AS(BytesObject, v)->len, "surrogateescape");
    Value f = mn_type_lookup(mn_typeof(v), mn_intern("__fspath__"));
    if (f) {
        Value r = mn_call1(f, v);
        if (r && !mn_is_str(r) && !mn_isinstance_t(r, &BytesType))
            return mn_raise(&TypeErrorType, "expected %s.__fspath__() to return str or bytes, not %s",
                            mn_type_name(v), mn_type_name(r));
        return r ? path_arg(fname, r, what) : MN_ERR;
    }
    return mn_raise(&TypeErrorType, "%s: path should be %s, not %s", fname,
                    what ? what : "string, bytes or os.PathLike", mn_type_name(v));
}

#define PATH_OR_FD "string, bytes, os.PathLike or integer"

/* ------------------------------------------------------------------ */
/* os                                                                  */
/* ------------------------------------------------------------------ */

static Value os_getpid(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getpid", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(getpid());
}

static Value os_getppid(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getppid", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(getppid());
}

static Value os_getuid(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getuid", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(getuid());
}

static Value os_getgid(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getgid", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(getgid());
}

static Value environ_dict;   /* os.environ, once os is imported */

static Value os_getenv(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("getenv", args, nargs, kwargs, "key|default", a) < 0)
        return MN_ERR;
    if (!mn_is_str(a[0]))
        return mn_raise(&TypeErrorType, "str expected, not %s", mn_type_name(a[0]));
    Value dflt = a[1] ? a[1] : mn_None;
    if (environ_dict) {
        Value v = mn_dict_get(environ_dict, a[0]);
        if (v == MN_ERR && mn_exc_occurred())
            return MN_ERR;
        return v ? v : dflt;
    }
    const char *s = getenv(mn_cstr(a[0]));
    return s ? mn_str_decode_utf8(s, strlen(s), "surrogateescape") : dflt;
}

static int env_check(Value key, Value v)
{
    if (!mn_is_str(key))
        return mn_raise_int(&TypeErrorType, "str expected, not %s", mn_type_name(key));
    if (v && !mn_is_str(v))
        return mn_raise_int(&TypeErrorType, "str expected, not %s", mn_type_name(v));
    const char *k = mn_cstr(key);
    if (!*k || strchr(k, '='))
        return mn_raise_int(&ValueErrorType, "illegal environment variable name");
    if (strlen(k) != (size_t)mn_str_len(key) || (v && strlen(mn_cstr(v)) != (size_t)mn_str_len(v)))
        return mn_raise_int(&ValueErrorType, "embedded null byte");
    return 0;
}

static Value os_putenv(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("putenv", nargs, kwargs, 2, 2) < 0 || env_check(args[0], args[1]) < 0)
        return MN_ERR;
    if (setenv(mn_cstr(args[0]), mn_cstr(args[1]), 1) < 0)
        return raise_oserror(errno, 0);
    return mn_None;
}

static Value os_unsetenv(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("unsetenv", nargs, kwargs, 1, 1) < 0 || env_check(args[0], 0) < 0)
        return MN_ERR;
    if (unsetenv(mn_cstr(args[0])) < 0)
        return raise_oserror(errno, 0);
    return mn_None;
}

/* os._Environ: a dict whose item assignment reaches the real environment. */
static Type EnvironType;

static int environ_setitem(Value self, Value key, Value v)
{
    if (env_check(key, v) < 0)
        return -1;
    if (v) {
        if (setenv(mn_cstr(key), mn_cstr(v), 1) < 0) {
            raise_oserror(errno, 0);
            return -1;
        }
    } else {
        Value cur = mn_dict_get(self, key);
        if (!cur) {
            if (!mn_exc_occurred())
                mn_raise_value(&KeyErrorType, key);
            return -1;
        }
        unsetenv(mn_cstr(key));
    }
    return DictType.setitem(self, key, v);
}

static Value environ_getitem(Value self, Value key)
{
    if (!mn_is_str(key))
        return mn_raise(&TypeErrorType, "str expected, not %s", mn_type_name(key));
    return DictType.getitem(self, key);
}

static Value environ_repr(Value self)
{
    Value r = DictType.repr(self);
    return r ? mn_str_fmt("environ(%s)", mn_cstr(r)) : MN_ERR;
}

static Type EnvironType = {
    .hdr = {&TypeType},
    .name = "_Environ",
    .base = &DictType,
    .getitem = environ_getitem,
    .setitem = environ_setitem,
    .repr = environ_repr,
};

static Value make_environ(void)
{
    Value d = DictType.new(&EnvironType, NULL, 0, 0);
    if (!d)
        return MN_ERR;
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e)
            continue;
        Value k = mn_str_decode_utf8(*e, (size_t)(eq - *e), "replace");
        Value v = mn_str_decode_utf8(eq + 1, strlen(eq + 1), "replace");
        if (!k || !v || mn_dict_set(d, k, v) < 0)
            return MN_ERR;
    }
    return d;
}

static Value os_cpu_count(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("cpu_count", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? mn_int(n) : mn_None;
}

static Value os_getcwd(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getcwd", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    char *buf = getcwd(NULL, 0);
    if (!buf)
        return raise_oserror(errno, 0);
    Value r = mn_str_decode_utf8(buf, strlen(buf), "surrogateescape");
    free(buf);
    return r;
}

static Value os_chdir(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("chdir", args, nargs, kwargs, "path", a) < 0)
        return MN_ERR;
    Value p = path_arg("chdir", a[0], PATH_OR_FD);
    if (!p)
        return MN_ERR;
    if (chdir(mn_cstr(p)) < 0)
        return raise_oserror(errno, p);
    return mn_None;
}

static Value os_listdir(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("listdir", args, nargs, kwargs, "|path", a) < 0)
        return MN_ERR;
    Value p = mn_str(".");
    if (a[0] && a[0] != mn_None) {
        p = path_arg("listdir", a[0], "string, bytes, os.PathLike, integer or None");
        if (!p)
            return MN_ERR;
    }
    DIR *d = opendir(mn_cstr(p));
    if (!d)
        return raise_oserror(errno, p);
    Value list = mn_list_new(0);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0)))
            continue;
        Value s = mn_str_decode_utf8(n, strlen(n), "surrogateescape");
        if (!s || mn_list_append(list, s) < 0) {
            closedir(d);
            return MN_ERR;
        }
    }
    int err = errno;
    closedir(d);
    if (err)
        return raise_oserror(err, p);
    return list;
}

static Value os_remove(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("remove", args, nargs, kwargs, "path", a) < 0)
        return MN_ERR;
    Value p = path_arg("remove", a[0], NULL);
    if (!p)
        return MN_ERR;
    if (unlink(mn_cstr(p)) < 0)
        return raise_oserror(errno, p);
    return mn_None;
}

static Value os_unlink(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("unlink", args, nargs, kwargs, "path", a) < 0)
        return MN_ERR;
    Value p = path_arg("unlink", a[0], NULL);
    if (!p)
        return MN_ERR;
    if (unlink(mn_cstr(p)) < 0)
        return raise_oserror(errno, p);
    return mn_None;
}

static Value os_rmdir(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("rmdir", args, nargs, kwargs, "path", a) < 0)
        return MN_ERR;
    Value p = path_arg("rmdir", a[0], NULL);
    if (!p)
        return MN_ERR;
    if (rmdir(mn_cstr(p)) < 0)
        return raise_oserror(errno, p);
    return mn_None;
}

static Value os_mkdir(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("mkdir", args, nargs, kwargs, "path|mode", a) < 0)
        return MN_ERR;
    Value p = path_arg("mkdir", a[0], NULL);
    int64_t mode = 0777;
    if (!p || (a[1] && mn_as_index(a[1], &mode) < 0))
        return MN_ERR;
    if (mkdir(mn_cstr(p), (mode_t)mode) < 0)
        return raise_oserror(errno, p);
    return mn_None;
}

static Value os_makedirs(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("makedirs", args, nargs, kwargs, "name|mode,exist_ok", a) < 0)
        return MN_ERR;
    Value p = path_arg("makedirs", a[0], NULL);
    int64_t mode = 0777;
    if (!p || (a[1] && mn_as_index(a[1], &mode) < 0))
        return MN_ERR;
    int exist_ok = a[2] ? mn_truthy(a[2]) : 0;
    if (exist_ok < 0)
        return MN_ERR;
    char *path = gc_strdup(mn_cstr(p));
    size_t len = strlen(path);
    /* Create each missing ancestor, then the leaf. */
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        char save = path[i];
        path[i] = 0;
        struct stat st;
        bool leaf = i == len;
        if (!leaf && stat(path, &st) == 0) {
            path[i] = save;
            continue;
        }
        if (mkdir(path, leaf ? (mode_t)mode : 0777) < 0) {
            int err = errno;
            if (!leaf && err == EEXIST) {
                path[i] = save;
                continue;
            }
            if (leaf && err == EEXIST && exist_ok && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                return mn_None;
            return raise_oserror(err, leaf ? p : mn_str(path));
        }
        path[i] = save;
    }
    return mn_None;
}

static Value os_rename(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("rename", args, nargs, kwargs, "src,dst", a) < 0)
        return MN_ERR;
    Value s = path_arg("rename", a[0], NULL), d = s ? path_arg("rename", a[1], NULL) : 0;
    if (!s || !d)
        return MN_ERR;
    if (rename(mn_cstr(s), mn_cstr(d)) < 0)
        return raise_oserror(errno, s);
    return mn_None;
}

static StructSeqType StatResultType;
static const char *const stat_fields[] = {
    "st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size",
    "st_atime", "st_mtime", "st_ctime",
    "st_atime", "st_mtime", "st_ctime", "st_atime_ns", "st_mtime_ns", "st_ctime_ns",
    "st_blksize", "st_blocks",
};

static double ts_double(struct timespec ts) { return (double)ts.tv_sec + ts.tv_nsec * 1e-9; }

static Value ts_ns(struct timespec ts)
{
    return mn_int_from_i64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static Value stat_value(const struct stat *st)
{
    Value it[18] = {
        mn_int(st->st_mode), mn_int_from_i64((int64_t)st->st_ino), mn_int_from_i64((int64_t)st->st_dev),
        mn_int_from_i64((int64_t)st->st_nlink), mn_int(st->st_uid), mn_int(st->st_gid),
        mn_int_from_i64(st->st_size),
        mn_int_from_i64(st->st_atim.tv_sec), mn_int_from_i64(st->st_mtim.tv_sec),
        mn_int_from_i64(st->st_ctim.tv_sec),
        mn_float(ts_double(st->st_atim)), mn_float(ts_double(st->st_mtim)),
        mn_float(ts_double(st->st_ctim)),
        ts_ns(st->st_atim), ts_ns(st->st_mtim), ts_ns(st->st_ctim),
        mn_int_from_i64(st->st_blksize), mn_int_from_i64(st->st_blocks),
    };
    return mn_structseq_new(&StatResultType, it);
}

static Value do_stat(const char *fname, Value *args, int nargs, Value kwargs, bool follow)
{
    Value a[1];
    if (mn_argparse(fname, args, nargs, kwargs, "path", a) < 0)
        return MN_ERR;
    struct stat st;
    if (mn_is_intlike(a[0]) && follow) {
        int64_t fd;
        if (mn_as_i64(a[0], &fd) < 0)
            return MN_ERR;
        if (fstat((int)fd, &st) < 0)
            return raise_oserror(errno, 0);
        return stat_value(&st);
    }
    Value p = path_arg(fname, a[0], PATH_OR_FD);
    if (!p)
        return MN_ERR;
    if ((follow ? stat(mn_cstr(p), &st) : lstat(mn_cstr(p), &st)) < 0)
        return raise_oserror(errno, p);
    return stat_value(&st);
}

static Value os_stat(Value *args, int nargs, Value kwargs)
{
    return do_stat("stat", args, nargs, kwargs, true);
}

static Value os_lstat(Value *args, int nargs, Value kwargs)
{
    return do_stat("lstat", args, nargs, kwargs, false);
}

static Value os_access(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    int64_t mode;
    if (mn_argparse("access", args, nargs, kwargs, "path,mode", a) < 0 || mn_as_index(a[1], &mode) < 0)
        return MN_ERR;
    Value p = path_arg("access", a[0], PATH_OR_FD);
    if (!p)
        return MN_ERR;
    return mn_bool(access(mn_cstr(p), (int)mode) == 0);
}

static Value os_urandom(Value *args, int nargs, Value kwargs)
{
    int64_t n;
    if (mn_argcheck("urandom", nargs, kwargs, 1, 1) < 0 || mn_as_index(args[0], &n) < 0)
        return MN_ERR;
    if (n < 0)
        return mn_raise(&ValueErrorType, "negative argument not allowed");
    uint8_t *buf = gc_alloc_atomic((size_t)n + 1);
    size_t got = 0;
    while (got < (size_t)n) {
        ssize_t r = getrandom(buf + got, (size_t)n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return raise_oserror(errno, 0);
        }
        got += (size_t)r;
    }
    return mn_bytes_new(buf, (size_t)n);
}

static Value os_strerror(Value *args, int nargs, Value kwargs)
{
    int64_t code;
    if (mn_argcheck("strerror", nargs, kwargs, 1, 1) < 0 || mn_as_index(args[0], &code) < 0)
        return MN_ERR;
    char buf[256];
    const char *s = strerror_r((int)code, buf, sizeof buf);
    return mn_str(s);
}

static Value os_fspath(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("fspath", nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value v = args[0];
    if (mn_is_str(v) || mn_isinstance_t(v, &BytesType))
        return v;
    Value f = mn_type_lookup(mn_typeof(v), mn_intern("__fspath__"));
    if (!f)
        return mn_raise(&TypeErrorType, "expected str, bytes or os.PathLike object, not %s",
                        mn_type_name(v));
    return mn_call1(f, v);
}

static const MethodDef os_methods[] = {
    {"getpid", os_getpid, 0, NULL},
    {"getppid", os_getppid, 0, NULL},
    {"getuid", os_getuid, 0, NULL},
    {"getgid", os_getgid, 0, NULL},
    {"getenv", os_getenv, 0, NULL},
    {"putenv", os_putenv, 0, NULL},
    {"unsetenv", os_unsetenv, 0, NULL},
    {"cpu_count", os_cpu_count, 0, NULL},
    {"getcwd", os_getcwd, 0, NULL},
    {"chdir", os_chdir, 0, NULL},
    {"listdir", os_listdir, 0, NULL},
    {"remove", os_remove, 0, NULL},
    {"unlink", os_unlink, 0, NULL},
    {"rmdir", os_rmdir, 0, NULL},
    {"mkdir", os_mkdir, 0, NULL},
    {"makedirs", os_makedirs, 0, NULL},
    {"rename", os_rename, 0, NULL},
    {"replace", os_rename, 0, NULL},
    {"stat", os_stat, 0, NULL},
    {"lstat", os_lstat, 0, NULL},
    {"access", os_access, 0, NULL},
    {"urandom", os_urandom, 0, NULL},
    {"strerror", os_strerror, 0, NULL},
    {"fspath", os_fspath, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Value mn_module_os_init(void)
{
    if (!(EnvironType.flags & TF_READY)) {
        EnvironType.module = mn_intern("os");
        if (mn_type_ready(&EnvironType) < 0)
            return MN_ERR;
    }
    if (mn_structseq_init(&StatResultType, "stat_result", "os", stat_fields, 10, 18) < 0)
        return MN_ERR;
    Value mod = mn_module_new(mn_intern("os"));
    mn_module_add_methods(mod, os_methods);
    Value env = make_environ();
    if (!env)
        return MN_ERR;
    environ_dict = env;
    mn_module_add(mod, "environ", env);
    mn_module_add(mod, "stat_result", mn_val(&StatResultType.type));
    mn_module_add(mod, "error", mn_val(&OSErrorType));
    mn_module_add(mod, "name", mn_str("posix"));
    mn_module_add(mod, "sep", mn_str("/"));
    mn_module_add(mod, "altsep", mn_None);
    mn_module_add(mod, "extsep", mn_str("."));
    mn_module_add(mod, "pathsep", mn_str(":"));
    mn_module_add(mod, "linesep", mn_str("\n"));
    mn_module_add(mod, "curdir", mn_str("."));
    mn_module_add(mod, "pardir", mn_str(".."));
    mn_module_add(mod, "devnull", mn_str("/dev/null"));
    mn_module_add(mod, "F_OK", mn_int(F_OK));
    mn_module_add(mod, "R_OK", mn_int(R_OK));
    mn_module_add(mod, "W_OK", mn_int(W_OK));
    mn_module_add(mod, "X_OK", mn_int(X_OK));
    Value path = mn_find_native_module("os.path");
    if (!path)
        return MN_ERR;
    mn_module_add(mod, "path", path);
    /* Like CPython's os.py: `import os.path` then finds it in sys.modules
     * although os is not a package. */
    mn_dict_set_cstr(mn_sys_modules(), "os.path", path);
    return mod;
}

/* ------------------------------------------------------------------ */
/* os.path                                                             */
/* ------------------------------------------------------------------ */

/* posixpath functions take str (or bytes: decoded; results are str). */
static Value str_arg(const char *fname, Value v)
{
    if (mn_is_str(v))
        return v;
    if (mn_isinstance_t(v, &BytesType) || mn_type_lookup(mn_typeof(v), mn_intern("__fspath__")))
        return path_arg(fname, v, NULL);
    return mn_raise(&TypeErrorType, "expected str, bytes or os.PathLike object, not %s",
                    mn_type_name(v));
}

static Value substr(Value s, size_t start, size_t end)
{
    return mn_str_new(mn_cstr(s) + start, end - start);
}

static Value p_join(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "join() takes no keyword arguments");
    if (nargs < 1)
        return mn_raise(&TypeErrorType, "join() missing 1 required positional argument: 'a'");
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < nargs; i++) {
        Value v = args[i];
        if (!mn_is_str(v)) {
            if (mn_isinstance_t(v, &BytesType) || mn_type_lookup(mn_typeof(v), mn_intern("__fspath__"))) {
                v = path_arg("join", v, NULL);
                if (!v)
                    return MN_ERR;
            } else {
                return mn_raise(&TypeErrorType, "join() argument must be str, bytes, or "
                                "os.PathLike object, not '%s'", mn_type_name(v));
            }
        }
        const char *s = mn_cstr(v);
        size_t n = (size_t)mn_str_len(v);
        if (i > 0 && n > 0 && s[0] == '/')
            b.len = 0;
        else if (i > 0 && b.len > 0 && b.buf[b.len - 1] != '/')
            sb_addc(&b, '/');
        sb_add(&b, s, n);
    }
    return sb_finish(&b);
}

static int64_t last_slash(Value s)
{
    const char *p = mn_cstr(s);
    for (int64_t i = mn_str_len(s) - 1; i >= 0; i--)
        if (p[i] == '/')
            return i;
    return -1;
}

static Value one_path(const char *fname, Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck(fname, nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    return str_arg(fname, args[0]);
}

static Value p_basename(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("basename", args, nargs, kwargs);
    if (!p)
        return MN_ERR;
    return substr(p, (size_t)(last_slash(p) + 1), (size_t)mn_str_len(p));
}

/* head of split(): strip trailing slashes unless it is all slashes. */
static Value split_head(Value p)
{
    size_t i = (size_t)(last_slash(p) + 1), end = i;
    const char *s = mn_cstr(p);
    while (end > 0 && s[end - 1] == '/')
        end--;
    if (end == 0)
        end = i;        /* all slashes (or empty): keep as is */
    return substr(p, 0, end);
}

static Value p_dirname(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("dirname", args, nargs, kwargs);
    return p ? split_head(p) : MN_ERR;
}

static Value p_split(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("split", args, nargs, kwargs);
    if (!p)
        return MN_ERR;
    Value tail = substr(p, (size_t)(last_slash(p) + 1), (size_t)mn_str_len(p));
    return mn_tuple_pack(2, split_head(p), tail);
}

static Value p_splitext(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("splitext", args, nargs, kwargs);
    if (!p)
        return MN_ERR;
    const char *s = mn_cstr(p);
    int64_t n = mn_str_len(p), sep = last_slash(p), dot = -1;
    for (int64_t i = n - 1; i >= 0; i--)
        if (s[i] == '.') {
            dot = i;
            break;
        }
    if (dot > sep) {
        for (int64_t i = sep + 1; i < dot; i++)
            if (s[i] != '.')
                return mn_tuple_pack(2, substr(p, 0, (size_t)dot), substr(p, (size_t)dot, (size_t)n));
    }
    return mn_tuple_pack(2, p, mn_str(""));
}

static Value p_isabs(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("isabs", args, nargs, kwargs);
    if (!p)
        return MN_ERR;
    return mn_bool(mn_str_len(p) > 0 && mn_cstr(p)[0] == '/');
}

static Value normpath(Value p)
{
    const char *s = mn_cstr(p);
    size_t n = (size_t)mn_str_len(p);
    if (n == 0)
        return mn_str(".");
    int initial = s[0] == '/' ? 1 : 0;
    if (initial && n >= 2 && s[1] == '/' && !(n >= 3 && s[2] == '/'))
        initial = 2;
    /* Components as (start, len) pairs. */
    size_t *st = gc_alloc_atomic(sizeof(size_t) * (n + 1)), *ln = gc_alloc_atomic(sizeof(size_t) * (n + 1));
    size_t k = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        size_t len = j - i;
        bool dotdot = len == 2 && s[i] == '.' && s[i + 1] == '.';
        if (len == 0 || (len == 1 && s[i] == '.')) {
            /* skip */
        } else if (!dotdot || (!initial && k == 0)
                   || (k > 0 && ln[k - 1] == 2 && s[st[k - 1]] == '.' && s[st[k - 1] + 1] == '.')) {
            st[k] = i;
            ln[k] = len;
            k++;
        } else if (k > 0) {
            k--;
        }
        i = j + 1;
    }
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < initial; i++)
        sb_addc(&b, '/');
    for (size_t i = 0; i < k; i++) {
        if (i)
            sb_addc(&b, '/');
        sb_add(&b, s + st[i], ln[i]);
    }
    if (b.len == 0)
        sb_addc(&b, '.');
    return sb_finish(&b);
}

static Value p_normpath(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("normpath", args, nargs, kwargs);
    return p ? normpath(p) : MN_ERR;
}

static Value abspath(Value p)
{
    if (mn_str_len(p) == 0 || mn_cstr(p)[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return raise_oserror(errno, 0);
        Value c = mn_str(cwd);
        free(cwd);
        Value parts[2] = {c, p};
        p = p_join(parts, 2, 0);
        if (!p)
            return MN_ERR;
    }
    return normpath(p);
}

static Value p_abspath(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("abspath", args, nargs, kwargs);
    return p ? abspath(p) : MN_ERR;
}

static Value p_realpath(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("realpath", args, nargs, kwargs, "filename|$strict", a) < 0)
        return MN_ERR;
    Value p = str_arg("realpath", a[0]);
    if (!p)
        return MN_ERR;
    char *r = realpath(mn_cstr(p), NULL);
    if (!r)
        return abspath(p);
    Value v = mn_str(r);
    free(r);
    return v;
}

static Value p_expanduser(Value *args, int nargs, Value kwargs)
{
    Value p = one_path("expanduser", args, nargs, kwargs);
    if (!p)
        return MN_ERR;
    const char *s = mn_cstr(p);
    if (s[0] != '~' || (s[1] && s[1] != '/'))
        return p;
    const char *home = getenv("HOME");
    if (!home)
        return p;
    size_t hl = strlen(home);
    while (hl > 1 && home[hl - 1] == '/')
        hl--;
    StrBuf b;
    sb_init(&b);
    sb_add(&b, home, hl);
    sb_adds(&b, s + 1);
    if (b.len == 0)
        sb_addc(&b, '/');
    return sb_finish(&b);
}

/* exists/isfile/isdir/islink: False for unusable paths, as genericpath. */
static int stat_path(const char *fname, Value *args, int nargs, Value kwargs, bool follow,
                     struct stat *st)
{
    if (mn_argcheck(fname, nargs, kwargs, 1, 1) < 0)
        return -1;
    Value v = args[0];
    if (mn_is_intlike(v)) {
        int64_t fd;
        if (mn_as_i64(v, &fd) < 0)
            return -1;
        return fstat((int)fd, st) == 0 ? 1 : 0;
    }
    Value p = path_arg("stat", v, PATH_OR_FD);
    if (!p) {
        if (mn_exc_matches(&ValueErrorType)) {
            mn_exc_clear();
            return 0;
        }
        return -1;
    }
    return (follow ? stat(mn_cstr(p), st) : lstat(mn_cstr(p), st)) == 0 ? 1 : 0;
}

static Value p_exists(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    int r = stat_path("exists", args, nargs, kwargs, true, &st);
    return r < 0 ? MN_ERR : mn_bool(r);
}

static Value p_isfile(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    int r = stat_path("isfile", args, nargs, kwargs, true, &st);
    return r < 0 ? MN_ERR : mn_bool(r && S_ISREG(st.st_mode));
}

static Value p_isdir(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    int r = stat_path("isdir", args, nargs, kwargs, true, &st);
    return r < 0 ? MN_ERR : mn_bool(r && S_ISDIR(st.st_mode));
}

static Value p_islink(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    int r = stat_path("islink", args, nargs, kwargs, false, &st);
    return r < 0 ? MN_ERR : mn_bool(r && S_ISLNK(st.st_mode));
}

static int stat_or_raise(const char *fname, Value *args, int nargs, Value kwargs, struct stat *st)
{
    if (mn_argcheck(fname, nargs, kwargs, 1, 1) < 0)
        return -1;
    Value p = path_arg("stat", args[0], PATH_OR_FD);
    if (!p)
        return -1;
    if (stat(mn_cstr(p), st) < 0) {
        raise_oserror(errno, p);
        return -1;
    }
    return 0;
}

static Value p_getsize(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    if (stat_or_raise("getsize", args, nargs, kwargs, &st) < 0)
        return MN_ERR;
    return mn_int_from_i64(st.st_size);
}

static Value p_getmtime(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    if (stat_or_raise("getmtime", args, nargs, kwargs, &st) < 0)
        return MN_ERR;
    return mn_float(ts_double(st.st_mtim));
}

static Value p_getatime(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    if (stat_or_raise("getatime", args, nargs, kwargs, &st) < 0)
        return MN_ERR;
    return mn_float(ts_double(st.st_atim));
}

static Value p_getctime(Value *args, int nargs, Value kwargs)
{
    struct stat st;
    if (stat_or_raise("getctime", args, nargs, kwargs, &st) < 0)
        return MN_ERR;
    return mn_float(ts_double(st.st_ctim));
}

static const MethodDef path_methods[] = {
    {"join", p_join, 0, NULL},
    {"basename", p_basename, 0, NULL},
    {"dirname", p_dirname, 0, NULL},
    {"split", p_split, 0, NULL},
    {"splitext", p_splitext, 0, NULL},
    {"isabs", p_isabs, 0, NULL},
    {"normpath", p_normpath, 0, NULL},
    {"abspath", p_abspath, 0, NULL},
    {"realpath", p_realpath, 0, NULL},
    {"expanduser", p_expanduser, 0, NULL},
    {"exists", p_exists, 0, NULL},
    {"isfile", p_isfile, 0, NULL},
    {"isdir", p_isdir, 0, NULL},
    {"islink", p_islink, 0, NULL},
    {"getsize", p_getsize, 0, NULL},
    {"getmtime", p_getmtime, 0, NULL},
    {"getatime", p_getatime, 0, NULL},
    {"getctime", p_getctime, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Value mn_module_os_path_init(void)
{
    Value mod = mn_module_new(mn_intern("posixpath"));
    mn_module_add_methods(mod, path_methods);
    mn_module_add(mod, "sep", mn_str("/"));
    mn_module_add(mod, "altsep", mn_None);
    mn_module_add(mod, "extsep", mn_str("."));
    mn_module_add(mod, "pathsep", mn_str(":"));
    mn_module_add(mod, "curdir", mn_str("."));
    mn_module_add(mod, "pardir", mn_str(".."));
    mn_module_add(mod, "devnull", mn_str("/dev/null"));
    return mod;
}
