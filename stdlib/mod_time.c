/*
 * mod_time.c -- the `time` module.
 *
 * Clocks: time() is CLOCK_REALTIME, monotonic() and perf_counter() are
 * CLOCK_MONOTONIC (as CPython on Linux), process_time() is the process
 * CPU clock.  localtime()/gmtime() return time.struct_time, a tuple
 * subtype with the tm_* attributes (and tm_zone/tm_gmtoff as attributes
 * only), printed as CPython prints it.
 *
 * sleep(secs) sleeps until an absolute monotonic deadline, resuming after
 * signals, except that a SIGINT in the main thread ends the sleep early
 * and raises KeyboardInterrupt (through the eval breaker), as in CPython.
 * Sleeping is a blocking call: the GIL is released around the wait.
 *
 * Not provided: strptime, get_clock_info, the *_ns variants of
 * thread_time beyond thread_time_ns.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/tstate.h"
#include "mn_stdlib.h"

static StructSeqType StructTimeType;

static const char *const struct_time_fields[] = {
    "tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec",
    "tm_wday", "tm_yday", "tm_isdst", "tm_zone", "tm_gmtoff",
};

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPython's _PyTime_AsSecondsDouble. */
static double ns_to_seconds(int64_t ns)
{
    if (ns % 1000000000 == 0)
        return (double)(ns / 1000000000);
    return (double)ns / 1e9;
}

#define CLOCK_FUNCS(pyname, clockid)                                          \
    static Value t_##pyname(Value *args, int nargs, Value kwargs)             \
    {                                                                         \
        if (mn_argcheck(#pyname, nargs, kwargs, 0, 0) < 0)                    \
            return MN_ERR;                                                    \
        return mn_float(ns_to_seconds(clock_ns(clockid)));                    \
    }                                                                         \
    static Value t_##pyname##_ns(Value *args, int nargs, Value kwargs)        \
    {                                                                         \
        if (mn_argcheck(#pyname "_ns", nargs, kwargs, 0, 0) < 0)              \
            return MN_ERR;                                                    \
        return mn_int_from_i64(clock_ns(clockid));                            \
    }

CLOCK_FUNCS(time, CLOCK_REALTIME)
CLOCK_FUNCS(monotonic, CLOCK_MONOTONIC)
CLOCK_FUNCS(perf_counter, CLOCK_MONOTONIC)
CLOCK_FUNCS(process_time, CLOCK_PROCESS_CPUTIME_ID)
CLOCK_FUNCS(thread_time, CLOCK_THREAD_CPUTIME_ID)

/* A seconds argument as double: int or float (or __float__/__index__). */
static int seconds_arg(Value v, double *out)
{
    if (MN_IS_EXACT(v, FloatType)) {
        *out = AS(FloatObject, v)->v;
    } else if (mn_is_int(v)) {
        *out = (double)mn_int_val(v);
    } else if (mn_is_intlike(v) || mn_isinstance_t(v, &FloatType)) {
        if (mn_as_double(v, out) < 0)
            return -1;
    } else {
        Value f = mn_type_lookup(mn_typeof(v), MN_ID(__float__));
        if (!f)
            f = mn_type_lookup(mn_typeof(v), MN_ID(__index__));
        if (!f)
            return mn_raise_int(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                                mn_type_name(v));
        Value r = mn_call1(f, v);
        if (!r || mn_as_double(r, out) < 0)
            return -1;
    }
    if (isnan(*out))
        return mn_raise_int(&ValueErrorType, "Invalid value NaN (not a number)");
    return 0;
}

static Value t_sleep(Value *args, int nargs, Value kwargs)
{
    double secs;
    if (mn_argcheck("sleep", nargs, kwargs, 1, 1) < 0 || seconds_arg(args[0], &secs) < 0)
        return MN_ERR;
    if (secs < 0)
        return mn_raise(&ValueErrorType, "sleep length must be non-negative");
    if (secs > 9.2e9)
        return mn_raise(&OverflowErrorType, "timestamp too large to convert to C _PyTime_t");
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double whole = floor(secs);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((secs - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    ThreadState *ts = mn_ts();
    bool is_main = ts && ts == mn_interp.main_thread;
    for (;;) {
        if (ts)
            MN_BEGIN_BLOCKING(ts);
        int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
        if (ts)
            MN_END_BLOCKING(ts);
        if (r == 0)
            break;
        if (r != EINTR)
            return mn_raise(&OSErrorType, "[Errno %d] %s", r, strerror(r));
        if (is_main && mn_signal_pending()) {
            if (mn_eval_breaker_slow(ts) < 0)
                return MN_ERR;
        }
    }
    return mn_None;
}

/* time_t from an optional seconds argument (None/missing: now), rounding
 * toward minus infinity like CPython's localtime/gmtime/ctime. */
static int time_t_arg(Value v, time_t *out)
{
    if (!v || v == mn_None) {
        *out = time(NULL);
        return 0;
    }
    if (mn_is_int(v)) {
        *out = (time_t)mn_int_val(v);
        return 0;
    }
    double d;
    if (seconds_arg(v, &d) < 0)
        return -1;
    d = floor(d);
    if (!(d >= -9.2e18 && d <= 9.2e18))
        return mn_raise_int(&OverflowErrorType, "timestamp out of range for platform time_t");
    *out = (time_t)d;
    return 0;
}

static Value tm_to_struct(const struct tm *tm)
{
    Value items[11] = {
        mn_int(tm->tm_year + 1900), mn_int(tm->tm_mon + 1), mn_int(tm->tm_mday),
        mn_int(tm->tm_hour), mn_int(tm->tm_min), mn_int(tm->tm_sec),
        mn_int((tm->tm_wday + 6) % 7), mn_int(tm->tm_yday + 1), mn_int(tm->tm_isdst),
        tm->tm_zone ? mn_str(tm->tm_zone) : mn_None, mn_int(tm->tm_gmtoff),
    };
    return mn_structseq_new(&StructTimeType, items);
}

static Value t_localtime(Value *args, int nargs, Value kwargs)
{
    time_t t;
    if (mn_argcheck("localtime", nargs, kwargs, 0, 1) < 0 || time_t_arg(nargs ? args[0] : 0, &t) < 0)
        return MN_ERR;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return mn_raise(&OverflowErrorType, "timestamp out of range for platform time_t");
    return tm_to_struct(&tm);
}

static Value t_gmtime(Value *args, int nargs, Value kwargs)
{
    time_t t;
    if (mn_argcheck("gmtime", nargs, kwargs, 0, 1) < 0 || time_t_arg(nargs ? args[0] : 0, &t) < 0)
        return MN_ERR;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return mn_raise(&OverflowErrorType, "timestamp out of range for platform time_t");
    return tm_to_struct(&tm);
}

/* A 9-tuple or struct_time -> struct tm (CPython's gettmarg). */
static int struct_arg(const char *fname, Value v, struct tm *tm)
{
    if (!mn_is_tuple(v))
        return mn_raise_int(&TypeErrorType, "Tuple or struct_time argument required");
    int64_t n = mn_tuple_len(v);
    if (n != 9)
        return mn_raise_int(&TypeErrorType, "%s(): illegal time tuple argument", fname);
    Value *it = mn_tuple_items(v);
    int64_t f[9];
    for (int i = 0; i < 9; i++) {
        if (mn_isinstance_t(it[i], &FloatType))
            return mn_raise_int(&TypeErrorType, "'float' object cannot be interpreted as an integer");
        if (mn_as_i64(it[i], &f[i]) < 0)
            return -1;
    }
    memset(tm, 0, sizeof *tm);
    tm->tm_year = (int)(f[0] - 1900);
    tm->tm_mon = (int)f[1] - 1;
    tm->tm_mday = (int)f[2];
    tm->tm_hour = (int)f[3];
    tm->tm_min = (int)f[4];
    tm->tm_sec = (int)f[5];
    tm->tm_wday = (int)((f[6] + 1) % 7);
    tm->tm_yday = (int)f[7] - 1;
    tm->tm_isdst = (int)f[8];
    if (mn_typeof(v) == &StructTimeType.type) {
        Value zone = it[9], off = it[10];
        if (zone && mn_is_str(zone))
            tm->tm_zone = gc_strdup(mn_cstr(zone));
        int64_t g;
        if (off && mn_is_intlike(off) && mn_as_i64(off, &g) == 0)
            tm->tm_gmtoff = (long)g;
    }
    return 0;
}

/* CPython's checktm (strftime, asctime). */
static int check_tm(struct tm *tm)
{
    if (tm->tm_mon == -1)
        tm->tm_mon = 0;
    else if (tm->tm_mon < 0 || tm->tm_mon > 11)
        return mn_raise_int(&ValueErrorType, "month out of range");
    if (tm->tm_mday == 0)
        tm->tm_mday = 1;
    else if (tm->tm_mday < 0 || tm->tm_mday > 31)
        return mn_raise_int(&ValueErrorType, "day of month out of range");
    if (tm->tm_hour < 0 || tm->tm_hour > 23)
        return mn_raise_int(&ValueErrorType, "hour out of range");
    if (tm->tm_min < 0 || tm->tm_min > 59)
        return mn_raise_int(&ValueErrorType, "minute out of range");
    if (tm->tm_sec < 0 || tm->tm_sec > 61)
        return mn_raise_int(&ValueErrorType, "seconds out of range");
    if (tm->tm_wday < 0)
        return mn_raise_int(&ValueErrorType, "day of week out of range");
    if (tm->tm_yday == -1)
        tm->tm_yday = 0;
    else if (tm->tm_yday < 0 || tm->tm_yday > 365)
        return mn_raise_int(&ValueErrorType, "day of year out of range");
    return 0;
}

static Value t_mktime(Value *args, int nargs, Value kwargs)
{
    struct tm tm;
    if (mn_argcheck("mktime", nargs, kwargs, 1, 1) < 0 || struct_arg("mktime", args[0], &tm) < 0)
        return MN_ERR;
    tm.tm_wday = -1;    /* sentinel: mktime() sets it on success */
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && tm.tm_wday == -1)
        return mn_raise(&OverflowErrorType, "mktime argument out of range");
    return mn_float((double)t);
}

static Value asctime_of(const struct tm *tm)
{
    static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return mn_str_fmt("%s %s%3d %.2d:%.2d:%.2d %d", wday[((tm->tm_wday % 7) + 7) % 7],
                      mon[((tm->tm_mon % 12) + 12) % 12], tm->tm_mday, tm->tm_hour,
                      tm->tm_min, tm->tm_sec, 1900 + tm->tm_year);
}

static Value t_ctime(Value *args, int nargs, Value kwargs)
{
    time_t t;
    if (mn_argcheck("ctime", nargs, kwargs, 0, 1) < 0 || time_t_arg(nargs ? args[0] : 0, &t) < 0)
        return MN_ERR;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return mn_raise(&OverflowErrorType, "timestamp out of range for platform time_t");
    return asctime_of(&tm);
}

static Value t_asctime(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("asctime", nargs, kwargs, 0, 1) < 0)
        return MN_ERR;
    struct tm tm;
    if (nargs == 0 || args[0] == mn_None) {
        time_t t = time(NULL);
        localtime_r(&t, &tm);
    } else if (struct_arg("asctime", args[0], &tm) < 0 || check_tm(&tm) < 0) {
        return MN_ERR;
    }
    return asctime_of(&tm);
}

static Value t_strftime(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("strftime", nargs, kwargs, 1, 2) < 0)
        return MN_ERR;
    if (!mn_is_str(args[0]))
        return mn_raise(&TypeErrorType, "strftime() argument 1 must be str, not %s",
                        mn_type_name(args[0]));
    struct tm tm;
    if (nargs < 2 || args[1] == mn_None) {
        time_t t = time(NULL);
        localtime_r(&t, &tm);
    } else if (struct_arg("strftime", args[1], &tm) < 0 || check_tm(&tm) < 0) {
        return MN_ERR;
    }
    const char *fmt = mn_cstr(args[0]);
    size_t fmtlen = (size_t)mn_str_len(args[0]);
    if (fmtlen == 0)
        return mn_str("");
    if (strlen(fmt) != fmtlen)
        return mn_raise(&ValueErrorType, "embedded null character");
    /* strftime() returns 0 both for "too small" and for an empty result:
     * grow up to 256 times the format length, as CPython does. */
    for (size_t cap = 1024; cap <= 256 * fmtlen + 1024; cap *= 2) {
        char *buf = gc_alloc_atomic(cap);
        size_t n = strftime(buf, cap, fmt, &tm);
        if (n > 0 || cap >= 256 * fmtlen)
            return mn_str_decode_utf8(buf, n, "surrogateescape");
    }
    return mn_str("");
}

static const MethodDef time_methods[] = {
    {"time", t_time, 0, NULL},
    {"time_ns", t_time_ns, 0, NULL},
    {"monotonic", t_monotonic, 0, NULL},
    {"monotonic_ns", t_monotonic_ns, 0, NULL},
    {"perf_counter", t_perf_counter, 0, NULL},
    {"perf_counter_ns", t_perf_counter_ns, 0, NULL},
    {"process_time", t_process_time, 0, NULL},
    {"process_time_ns", t_process_time_ns, 0, NULL},
    {"thread_time", t_thread_time, 0, NULL},
    {"thread_time_ns", t_thread_time_ns, 0, NULL},
    {"sleep", t_sleep, 0, NULL},
    {"localtime", t_localtime, 0, NULL},
    {"gmtime", t_gmtime, 0, NULL},
    {"mktime", t_mktime, 0, NULL},
    {"ctime", t_ctime, 0, NULL},
    {"asctime", t_asctime, 0, NULL},
    {"strftime", t_strftime, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Value mn_module_time_init(void)
{
    if (mn_structseq_init(&StructTimeType, "struct_time", "time", struct_time_fields, 9, 11) < 0)
        return MN_ERR;
    Value mod = mn_module_new(mn_intern("time"));
    mn_module_add_methods(mod, time_methods);
    mn_module_add(mod, "struct_time", mn_val(&StructTimeType.type));
    tzset();
    mn_module_add(mod, "timezone", mn_int(timezone));
    mn_module_add(mod, "altzone", mn_int(daylight ? timezone - 3600 : timezone));
    mn_module_add(mod, "daylight", mn_int(daylight));
    mn_module_add(mod, "tzname", mn_tuple_pack(2, mn_str(tzname[0]), mn_str(tzname[1])));
    return mod;
}
