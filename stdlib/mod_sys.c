/*
 * mod_sys.c -- the `sys` module.
 *
 * Most of sys is a view of process-wide interpreter state (mn_interp):
 * argv, path, modules and the recursion limit are the very objects and
 * fields the VM uses, so sys.path.append(...) or setrecursionlimit act at
 * once.  The GIL controls (SPEC section 3) read mn_interp's GIL
 * configuration and change it through vm/gil.c, which makes them act.
 *
 * Version: mini implements the language of CPython 3.11, so
 * sys.version_info is (3, 11, 0, 'final', 0) (a struct sequence with
 * .major/.minor/...) and sys.version is "3.11.0 (mini <version>)", which
 * keeps `sys.version.split()[0]` and version_info comparisons meaningful
 * while telling the truth about the implementation.
 *
 * Not provided: getsizeof (mini's object sizes mean nothing to a Python
 * program), settrace/setprofile, flags, implementation.  sys.exc_info()
 * returns (type, value, None): mini has no traceback objects.
 */
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/tstate.h"
#include "mn_stdlib.h"

#ifndef MINI_VERSION
#define MINI_VERSION "0.1.0"
#endif

Value mn_sys_dict;

static Value sys_exit(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("exit", nargs, kwargs, 0, 1) < 0)
        return MN_ERR;
    Value t = nargs ? mn_tuple_pack(1, args[0]) : mn_empty_tuple;
    Value exc = mn_exc_new(&SystemExitType, t);
    if (!exc)
        return MN_ERR;
    return mn_raise_exc(exc);
}

static Value sys_getrecursionlimit(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getrecursionlimit", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(mn_interp.recursion_limit);
}

static Value sys_setrecursionlimit(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setrecursionlimit", nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (mn_isinstance_t(args[0], &FloatType))
        return mn_raise(&TypeErrorType, "'float' object cannot be interpreted as an integer");
    int64_t n;
    if (mn_as_index(args[0], &n) < 0)
        return MN_ERR;
    if (n < 1)
        return mn_raise(&ValueErrorType, "recursion limit must be greater or equal than 1");
    if (n > INT_MAX)
        return mn_raise(&OverflowErrorType, "Python int too large to convert to C int");
    int depth = mn_ts()->recursion_depth;
    if (depth >= n)
        return mn_raise(&RecursionErrorType, "cannot set the recursion limit to %d at the "
                        "recursion depth %d: the limit is too low", (int)n, depth);
    mn_interp.recursion_limit = (int)n;
    return mn_None;
}

static Value sys_getswitchinterval(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getswitchinterval", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_float(mn_interp.switch_interval);
}

static Value sys_setswitchinterval(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    double d;
    if (mn_argparse("setswitchinterval", args, nargs, kwargs, "interval", a) < 0)
        return MN_ERR;
    if (!mn_isinstance_t(a[0], &FloatType) && !mn_is_intlike(a[0]))
        return mn_raise(&TypeErrorType, "must be real number, not %s", mn_type_name(a[0]));
    if (mn_as_double(a[0], &d) < 0)
        return MN_ERR;
    if (!(d > 0.0))
        return mn_raise(&ValueErrorType, "switch interval must be strictly positive");
    gil_set_switch_interval(d);     /* also updates mn_interp */
    return mn_None;
}

static Value sys_getswitchinstructions(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getswitchinstructions", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(mn_interp.switch_instructions);
}

static Value sys_setswitchinstructions(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t n;
    if (mn_argparse("setswitchinstructions", args, nargs, kwargs, "n", a) < 0)
        return MN_ERR;
    if (mn_isinstance_t(a[0], &FloatType))
        return mn_raise(&TypeErrorType, "'float' object cannot be interpreted as an integer");
    if (mn_as_index(a[0], &n) < 0)
        return MN_ERR;
    if (n < 0)
        return mn_raise(&ValueErrorType, "switch instructions must be non-negative");
    gil_set_switch_instructions((long)n);
    return mn_None;
}

static Value sys_is_gil_enabled(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("_is_gil_enabled", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_bool(mn_interp.gil_enabled);
}

static Value sys_intern(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("intern", nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!MN_IS_EXACT(args[0], StrType))
        return mn_raise(&TypeErrorType, "intern() argument must be str, not %s",
                        mn_type_name(args[0]));
    return mn_intern_value(args[0]);
}

static Value sys_exc_info(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("exc_info", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value h = mn_ts()->handled;
    if (!h || h == mn_None)
        return mn_tuple_pack(3, mn_None, mn_None, mn_None);
    return mn_tuple_pack(3, mn_val(mn_typeof(h)), h, mn_None);
}

static Value sys_exception(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("exception", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    Value h = mn_ts()->handled;
    return h ? h : mn_None;
}

static Value sys_getdefaultencoding(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getdefaultencoding", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_str("utf-8");
}

static Value sys_get_int_max_str_digits(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("sys.get_int_max_str_digits", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(__atomic_load_n(&mn_int_max_str_digits, __ATOMIC_RELAXED));
}

/* The int<->str digit limit is process-wide, as in CPython (where it is
 * per interpreter); int.c reads it on every long conversion. */
static Value sys_set_int_max_str_digits(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t n;
    if (mn_argparse("set_int_max_str_digits", args, nargs, kwargs, "maxdigits", a) < 0)
        return MN_ERR;
    if (mn_isinstance_t(a[0], &FloatType))
        return mn_raise(&TypeErrorType, "'float' object cannot be interpreted as an integer");
    if (mn_as_index(a[0], &n) < 0)
        return MN_ERR;
    if (n > INT_MAX || n < INT_MIN)
        return mn_raise(&OverflowErrorType, "Python int too large to convert to C int");
    if (n != 0 && n < 640)
        return mn_raise(&ValueErrorType, "maxdigits must be 0 or larger than 640");
    __atomic_store_n(&mn_int_max_str_digits, (int)n, __ATOMIC_RELAXED);
    return mn_None;
}

static const MethodDef sys_methods[] = {
    {"get_int_max_str_digits", sys_get_int_max_str_digits, 0,
     "get_int_max_str_digits(): the int<->str conversion digit limit (0: none)."},
    {"set_int_max_str_digits", sys_set_int_max_str_digits, 0, NULL},
    {"exit", sys_exit, 0, "exit([status]): raise SystemExit(status)."},
    {"getrecursionlimit", sys_getrecursionlimit, 0, NULL},
    {"setrecursionlimit", sys_setrecursionlimit, 0, NULL},
    {"getswitchinterval", sys_getswitchinterval, 0,
     "The GIL switch interval in seconds (--switch-interval, in ms)."},
    {"setswitchinterval", sys_setswitchinterval, 0, NULL},
    {"getswitchinstructions", sys_getswitchinstructions, 0,
     "Instructions between forced GIL hand-overs; 0 = off."},
    {"setswitchinstructions", sys_setswitchinstructions, 0, NULL},
    {"_is_gil_enabled", sys_is_gil_enabled, 0, NULL},
    {"intern", sys_intern, 0, NULL},
    {"exc_info", sys_exc_info, 0, NULL},
    {"exception", sys_exception, 0, NULL},
    {"getdefaultencoding", sys_getdefaultencoding, 0, NULL},
    {"getfilesystemencoding", sys_getdefaultencoding, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static StructSeqType VersionInfoType, FloatInfoType;

static const char *const version_info_fields[] = {
    "major", "minor", "micro", "releaselevel", "serial",
};
static const char *const float_info_fields[] = {
    "max", "max_exp", "max_10_exp", "min", "min_exp", "min_10_exp", "dig",
    "mant_dig", "epsilon", "radix", "rounds",
};

Value mn_module_sys_init(void)
{
    Value mod = mn_module_new(mn_intern("sys"));
    Value d = AS(ModuleObject, mod)->dict;
    mn_module_add_methods(mod, sys_methods);

    if (!mn_interp.argv)
        mn_interp.argv = mn_list_new(0);
    if (!mn_interp.sys_path)
        mn_interp.sys_path = mn_list_new(0);
    mn_module_add(mod, "argv", mn_interp.argv);
    mn_module_add(mod, "path", mn_interp.sys_path);
    mn_module_add(mod, "modules", mn_sys_modules());

    for (int i = 0; i < 3; i++) {
        static const char *const names[] = {"stdin", "stdout", "stderr"};
        static const char *const dunders[] = {"__stdin__", "__stdout__", "__stderr__"};
        mn_module_add(mod, names[i], mn_std_file(i));
        mn_module_add(mod, dunders[i], mn_std_file(i));
    }

    mn_module_add(mod, "version", mn_str("3.11.0 (mini " MINI_VERSION ")"));
    if (mn_structseq_init(&VersionInfoType, "version_info", "sys", version_info_fields, 5, 5) < 0)
        return MN_ERR;
    Value vi[5] = {mn_int(3), mn_int(11), mn_int(0), mn_str("final"), mn_int(0)};
    mn_module_add(mod, "version_info", mn_structseq_new(&VersionInfoType, vi));
    mn_module_add(mod, "hexversion", mn_int(0x030B00F0));
    mn_module_add(mod, "api_version", mn_int(1013));

    if (mn_structseq_init(&FloatInfoType, "float_info", "sys", float_info_fields, 11, 11) < 0)
        return MN_ERR;
    Value fi[11] = {
        mn_float(DBL_MAX), mn_int(DBL_MAX_EXP), mn_int(DBL_MAX_10_EXP), mn_float(DBL_MIN),
        mn_int(DBL_MIN_EXP), mn_int(DBL_MIN_10_EXP), mn_int(DBL_DIG), mn_int(DBL_MANT_DIG),
        mn_float(DBL_EPSILON), mn_int(FLT_RADIX), mn_int(FLT_ROUNDS),
    };
    mn_module_add(mod, "float_info", mn_structseq_new(&FloatInfoType, fi));

    mn_module_add(mod, "platform", mn_str("linux"));
    mn_module_add(mod, "byteorder", mn_str(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "little" : "big"));
    mn_module_add(mod, "maxsize", mn_int_from_i64(INT64_MAX));
    mn_module_add(mod, "maxunicode", mn_int(0x10FFFF));
    mn_module_add(mod, "dont_write_bytecode", mn_True);

    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    mn_module_add(mod, "executable", n > 0 ? mn_str_new(exe, (size_t)n) : mn_str(""));

    static const char *const builtin_names[] = {"builtins", "math", "os", "random", "sys", "time"};
    Value bn = mn_tuple_new(6);
    for (int i = 0; i < 6; i++)
        mn_tuple_items(bn)[i] = mn_str(builtin_names[i]);
    mn_module_add(mod, "builtin_module_names", bn);

    mn_sys_dict = d;
    return mod;
}
