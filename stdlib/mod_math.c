/*
 * mod_math.c -- the `math` module (CPython 3.11 semantics and messages).
 *
 * Float functions follow CPython's math_1/math_2 error policy: a NaN
 * result from a non-NaN argument is "math domain error" (ValueError); an
 * infinite result from a finite argument is "math range error"
 * (OverflowError) for functions that can overflow, a domain error for the
 * others.  Integer functions (gcd, lcm, factorial, isqrt, comb, perm) work
 * on arbitrary-precision ints through GMP with small-int fast paths, and
 * log/log2/log10 accept ints too large for a double, as CPython does.
 * fsum is Shewchuk's exact summation with CPython's final rounding step;
 * hypot/dist use CPython's scaled, error-compensated vector_norm so the
 * last bit agrees.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "mn_stdlib.h"

static Value domain_error(void) { return mn_raise(&ValueErrorType, "math domain error"); }
static Value range_error(void) { return mn_raise(&OverflowErrorType, "math range error"); }

/* float(x) for math functions: ints, floats, __float__, __index__;
 * TypeError "must be real number, not str" otherwise. */
static int to_double(Value v, double *out)
{
    if (mn_is_int(v)) {
        *out = (double)mn_int_val(v);
        return 0;
    }
    Type *t = mn_typeof(v);
    if (t == &FloatType) {
        *out = AS(FloatObject, v)->v;
        return 0;
    }
    if (mn_is_intlike(v) || mn_is_subtype(t, &FloatType))
        return mn_as_double(v, out);
    Value f = mn_type_lookup(t, MN_ID(__float__));
    if (f) {
        Value r = mn_call1(f, v);
        if (!r)
            return -1;
        if (!mn_isinstance_t(r, &FloatType)) {
            mn_raise(&TypeErrorType, "%s.__float__ returned non-float (type %s)",
                     t->name, mn_type_name(r));
            return -1;
        }
        *out = AS(FloatObject, r)->v;
        return 0;
    }
    f = mn_type_lookup(t, MN_ID(__index__));
    if (f) {
        Value r = mn_call1(f, v);
        if (!r)
            return -1;
        return mn_as_double(r, out);
    }
    mn_raise(&TypeErrorType, "must be real number, not %s", t->name);
    return -1;
}

/* A double -> int, as int(float) does. */
static Value int_from_double(double d)
{
    if (isinf(d))
        return mn_raise(&OverflowErrorType, "cannot convert float infinity to integer");
    if (isnan(d))
        return mn_raise(&ValueErrorType, "cannot convert float NaN to integer");
    if (d > -4e18 && d < 4e18) {
        int64_t i = (int64_t)d;
        return mn_int_from_i64(i);
    }
    mpz_t z;
    mpz_init_set_d(z, d);
    Value r = mn_int_from_mpz(z);
    mpz_clear(z);
    return r;
}

/* Index-like argument -> int Value (bool -> int), TypeError otherwise. */
static Value to_int(Value v)
{
    if (mn_is_int(v))
        return v;
    if (v == mn_True || v == mn_False)
        return mn_int(v == mn_True);
    if (mn_is_intlike(v))
        return v;
    Value f = mn_type_lookup(mn_typeof(v), MN_ID(__index__));
    if (f) {
        Value r = mn_call1(f, v);
        if (r && !mn_is_intlike(r))
            return mn_raise(&TypeErrorType, "__index__ returned non-int (type %s)",
                            mn_type_name(r));
        return r;
    }
    return mn_raise(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                    mn_type_name(v));
}

static int one_arg(const char *name, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise_int(&TypeErrorType, "math.%s() takes no keyword arguments", name);
    if (nargs != 1)
        return mn_raise_int(&TypeErrorType, "math.%s() takes exactly one argument (%d given)",
                            name, nargs);
    return 0;
}

static int two_args(const char *name, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise_int(&TypeErrorType, "math.%s() takes no keyword arguments", name);
    if (nargs != 2)
        return mn_raise_int(&TypeErrorType, "%s expected 2 arguments, got %d", name, nargs);
    return 0;
}

/* CPython's math_1. */
static Value math_1(const char *name, Value *args, int nargs, Value kwargs,
                    double (*fn)(double), bool can_overflow)
{
    double x;
    if (one_arg(name, nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    errno = 0;
    double r = fn(x);
    if (isnan(r) && !isnan(x))
        return domain_error();
    if (isinf(r) && isfinite(x))
        return can_overflow ? range_error() : domain_error();
    if (isfinite(r) && errno == ERANGE && fabs(r) >= 1.5)
        return range_error();
    return mn_float(r);
}

#define MATH1(pyname, cfn, ovf)                                         \
    static Value m_##pyname(Value *args, int nargs, Value kwargs)       \
    {                                                                   \
        return math_1(#pyname, args, nargs, kwargs, cfn, ovf);          \
    }

MATH1(acos, acos, false)
MATH1(acosh, acosh, false)
MATH1(asin, asin, false)
MATH1(asinh, asinh, false)
MATH1(atan, atan, false)
MATH1(atanh, atanh, false)
MATH1(cbrt, cbrt, false)
MATH1(cos, cos, false)
MATH1(cosh, cosh, true)
MATH1(erf, erf, false)
MATH1(erfc, erfc, false)
MATH1(exp, exp, true)
MATH1(exp2, exp2, true)
MATH1(expm1, expm1, true)
MATH1(fabs, fabs, false)
MATH1(sin, sin, false)
MATH1(sinh, sinh, true)
MATH1(sqrt, sqrt, false)
MATH1(tan, tan, false)
MATH1(tanh, tanh, false)

static double py_log1p(double x)
{
    /* log1p(-1) is -inf with a pole error: a domain error in Python. */
    return x == -1.0 ? NAN : log1p(x);
}
MATH1(log1p, py_log1p, false)

/*
 * gamma and lgamma: CPython does not use the C library here but its own
 * Lanczos approximation (N = 13, g = 6.024680040776729583740234375, the
 * rational form used by Boost), so mini evaluates the same formula in the
 * same order to print the same digits.  Negative arguments go through the
 * reflection formula with an accurate sin(pi*x).
 */
#define LANCZOS_N 13
static const double lanczos_g = 6.024680040776729583740234375;
static const double lanczos_g_minus_half = 5.524680040776729583740234375;
static const double lanczos_num[LANCZOS_N] = {
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408,
};
/* The denominator is x*(x+1)*...*(x+11) expanded. */
static const double lanczos_den[LANCZOS_N] = {
    0.0, 39916800.0, 120543840.0, 150917976.0, 105258076.0, 45995730.0,
    13339535.0, 2637558.0, 357423.0, 32670.0, 1925.0, 66.0, 1.0,
};
static const double LOG_PI = 1.144729885849400174143427351353058711647;

static double lanczos_sum(double x)
{
    double num = 0.0, den = 0.0;
    if (x < 5.0) {
        for (int i = LANCZOS_N - 1; i >= 0; i--) {
            num = num * x + lanczos_num[i];
            den = den * x + lanczos_den[i];
        }
    } else {
        /* Rescaled by x**(1-N) to avoid overflow for large x. */
        for (int i = 0; i < LANCZOS_N; i++) {
            num = num / x + lanczos_num[i];
            den = den / x + lanczos_den[i];
        }
    }
    return num / den;
}

/* sin(pi * x) for finite x, exact at integers and half-integers. */
static double sin_pi(double x)
{
    double y = fmod(fabs(x), 2.0), r;
    switch ((int)round(2.0 * y)) {
    case 0: r = sin(M_PI * y); break;
    case 1: r = cos(M_PI * (y - 0.5)); break;
    case 2: r = sin(M_PI * (1.0 - y)); break;   /* +0.0 at y == 1 */
    case 3: r = -cos(M_PI * (y - 1.5)); break;
    default: r = sin(M_PI * (y - 2.0)); break;
    }
    return copysign(1.0, x) * r;
}

/* Gamma for finite, non-zero x that is not a negative integer; sets
 * *range on overflow. */
static double gamma_value(double x, bool *range)
{
    static const double integral[23] = {
        1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0,
        3628800.0, 39916800.0, 479001600.0, 6227020800.0, 87178291200.0,
        1307674368000.0, 20922789888000.0, 355687428096000.0,
        6402373705728000.0, 121645100408832000.0, 2432902008176640000.0,
        51090942171709440000.0, 1124000727777607680000.0,
    };
    if (x == floor(x) && x > 0 && x <= 23)
        return integral[(int)x - 1];
    double absx = fabs(x), r;
    if (absx < 1e-20) {
        r = 1.0 / x;
        *range = isinf(r);
        return r;
    }
    if (absx > 200.0) {
        if (x < 0.0)
            return 0.0 / sin_pi(x);
        *range = true;
        return INFINITY;
    }
    /* y = absx + g - 0.5 rounded; z corrects for that rounding error. */
    double y = absx + lanczos_g_minus_half, z;
    if (absx > lanczos_g_minus_half)
        z = (y - absx) - lanczos_g_minus_half;
    else
        z = (y - lanczos_g_minus_half) - absx;
    z = z * lanczos_g / y;
    if (x < 0.0) {
        r = -M_PI / sin_pi(absx) / absx * exp(y) / lanczos_sum(absx);
        r -= z * r;
        if (absx < 140.0) {
            r /= pow(y, absx - 0.5);
        } else {
            double sp = pow(y, absx / 2.0 - 0.25);
            r /= sp;
            r /= sp;
        }
    } else {
        r = lanczos_sum(absx) / exp(y);
        r += z * r;
        if (absx < 140.0) {
            r *= pow(y, absx - 0.5);
        } else {
            double sp = pow(y, absx / 2.0 - 0.25);
            r *= sp;
            r *= sp;
        }
    }
    *range = isinf(r);
    return r;
}

static Value m_gamma(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("gamma", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    if (isnan(x))
        return mn_float(x);
    if (isinf(x))
        return x > 0 ? mn_float(x) : domain_error();
    if (x == 0.0 || (x < 0 && x == floor(x)))
        return domain_error();
    bool range = false;
    double r = gamma_value(x, &range);
    if (range)
        return range_error();
    return mn_float(r);
}

static Value m_lgamma(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("lgamma", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    if (isnan(x))
        return mn_float(x);
    if (isinf(x))
        return mn_float(INFINITY);
    if (x == floor(x) && x <= 2.0) {
        if (x <= 0.0)
            return domain_error();
        return mn_float(0.0);       /* lgamma(1) = lgamma(2) = 0 */
    }
    double absx = fabs(x), r;
    if (absx < 1e-20)
        return mn_float(-log(absx));
    r = log(lanczos_sum(absx)) - lanczos_g;
    r += (absx - 0.5) * (log(absx + lanczos_g - 0.5) - 1);
    if (x < 0.0)
        r = LOG_PI - log(fabs(sin_pi(absx))) - log(absx) - r;
    if (isinf(r))
        return range_error();
    return mn_float(r);
}

/* ---- two-argument float functions --------------------------------- */

static int get_two_doubles(const char *name, Value *args, int nargs, Value kwargs,
                           double *x, double *y)
{
    if (two_args(name, nargs, kwargs) < 0 || to_double(args[0], x) < 0
        || to_double(args[1], y) < 0)
        return -1;
    return 0;
}

/* CPython's math_2 error policy. */
static Value math_2_result(double x, double y, double r)
{
    if (isnan(r)) {
        if (!isnan(x) && !isnan(y))
            return domain_error();
    } else if (isinf(r)) {
        if (isfinite(x) && isfinite(y))
            return range_error();
    }
    return mn_float(r);
}

static Value m_atan2(Value *args, int nargs, Value kwargs)
{
    double y, x;
    if (get_two_doubles("atan2", args, nargs, kwargs, &y, &x) < 0)
        return MN_ERR;
    return math_2_result(y, x, atan2(y, x));
}

static Value m_copysign(Value *args, int nargs, Value kwargs)
{
    double x, y;
    if (get_two_doubles("copysign", args, nargs, kwargs, &x, &y) < 0)
        return MN_ERR;
    return mn_float(copysign(x, y));
}

static Value m_fmod(Value *args, int nargs, Value kwargs)
{
    double x, y;
    if (get_two_doubles("fmod", args, nargs, kwargs, &x, &y) < 0)
        return MN_ERR;
    if (isinf(y) && isfinite(x))
        return mn_float(x);
    double r = fmod(x, y);
    if (isnan(r) && !isnan(x) && !isnan(y))
        return domain_error();
    return mn_float(r);
}

static Value m_remainder(Value *args, int nargs, Value kwargs)
{
    double x, y;
    if (get_two_doubles("remainder", args, nargs, kwargs, &x, &y) < 0)
        return MN_ERR;
    if (isnan(x))
        return mn_float(x);
    if (isnan(y))
        return mn_float(y);
    if (isinf(x) || y == 0.0)
        return domain_error();
    if (isinf(y))
        return mn_float(x);
    return mn_float(remainder(x, y));
}

static Value m_pow(Value *args, int nargs, Value kwargs)
{
    double x, y, r;
    if (get_two_doubles("pow", args, nargs, kwargs, &x, &y) < 0)
        return MN_ERR;
    int err = 0;
    if (!isfinite(x) || !isfinite(y)) {
        if (isnan(x)) {
            r = y == 0.0 ? 1.0 : x;
        } else if (isnan(y)) {
            r = x == 1.0 ? 1.0 : y;
        } else if (isinf(x)) {
            bool odd_y = isfinite(y) && fmod(fabs(y), 2.0) == 1.0;
            if (y > 0.0)
                r = odd_y ? x : fabs(x);
            else if (y == 0.0)
                r = 1.0;
            else
                r = odd_y ? copysign(0.0, x) : 0.0;
        } else {
            if (fabs(x) == 1.0)
                r = 1.0;
            else if (y > 0.0 && fabs(x) > 1.0)
                r = y;
            else if (y < 0.0 && fabs(x) < 1.0)
                r = -y;
            else
                r = 0.0;
        }
    } else {
        r = pow(x, y);
        if (isnan(r))
            err = EDOM;
        else if (isinf(r))
            err = x == 0.0 ? EDOM : ERANGE;
    }
    if (err == EDOM)
        return domain_error();
    if (err == ERANGE && fabs(r) >= 1.5)
        return range_error();
    return mn_float(r);
}

static Value m_ldexp(Value *args, int nargs, Value kwargs)
{
    double x;
    if (two_args("ldexp", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    if (!mn_is_intlike(args[1]))
        return mn_raise(&TypeErrorType, "Expected an int as second argument to ldexp.");
    int64_t e;
    if (mn_as_i64(args[1], &e) < 0) {
        if (!mn_exc_matches(&OverflowErrorType))
            return MN_ERR;
        mn_exc_clear();
        mpz_t z;
        mpz_init(z);
        mn_int_to_mpz(args[1], z);
        e = mpz_sgn(z) > 0 ? INT64_MAX : INT64_MIN;
        mpz_clear(z);
    }
    double r;
    if (x == 0.0 || !isfinite(x))
        return mn_float(x);
    if (e > INT_MAX)
        return range_error();
    if (e < INT_MIN)
        return mn_float(copysign(0.0, x));
    r = ldexp(x, (int)e);
    if (isinf(r))
        return range_error();
    return mn_float(r);
}

static Value m_frexp(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("frexp", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    int e = 0;
    double m = x;
    if (isfinite(x) && x != 0.0)
        m = frexp(x, &e);
    return mn_tuple_pack(2, mn_float(m), mn_int(e));
}

static Value m_modf(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("modf", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    if (isinf(x))
        return mn_tuple_pack(2, mn_float(copysign(0.0, x)), mn_float(x));
    if (isnan(x))
        return mn_tuple_pack(2, mn_float(x), mn_float(x));
    double ip;
    double fp = modf(x, &ip);
    return mn_tuple_pack(2, mn_float(fp), mn_float(ip));
}

static Value m_degrees(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("degrees", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    return mn_float(x * (180.0 / M_PI));
}

static Value m_radians(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("radians", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    return mn_float(x * (M_PI / 180.0));
}

static Value m_isnan(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("isnan", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    return mn_bool(isnan(x));
}

static Value m_isinf(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("isinf", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    return mn_bool(isinf(x));
}

static Value m_isfinite(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("isfinite", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    return mn_bool(isfinite(x));
}

static Value m_isclose(Value *args, int nargs, Value kwargs)
{
    Value a[4];
    if (mn_argparse("isclose", args, nargs, kwargs, "a,b|$rel_tol,abs_tol", a) < 0)
        return MN_ERR;
    double x, y, rel = 1e-09, abst = 0.0;
    if (to_double(a[0], &x) < 0 || to_double(a[1], &y) < 0
        || (a[2] && to_double(a[2], &rel) < 0) || (a[3] && to_double(a[3], &abst) < 0))
        return MN_ERR;
    if (rel < 0.0 || abst < 0.0)
        return mn_raise(&ValueErrorType, "tolerances must be non-negative");
    if (x == y)
        return mn_True;
    if (isinf(x) || isinf(y))
        return mn_False;
    double diff = fabs(y - x);
    return mn_bool(diff <= fabs(rel * y) || diff <= fabs(rel * x) || diff <= abst);
}

static Value m_nextafter(Value *args, int nargs, Value kwargs)
{
    double x, y;
    if (get_two_doubles("nextafter", args, nargs, kwargs, &x, &y) < 0)
        return MN_ERR;
    return mn_float(nextafter(x, y));
}

static Value m_ulp(Value *args, int nargs, Value kwargs)
{
    double x;
    if (one_arg("ulp", nargs, kwargs) < 0 || to_double(args[0], &x) < 0)
        return MN_ERR;
    if (isnan(x))
        return mn_float(x);
    x = fabs(x);
    if (isinf(x))
        return mn_float(x);
    double x2 = nextafter(x, INFINITY);
    if (isinf(x2)) {
        x2 = nextafter(x, -INFINITY);
        return mn_float(x - x2);
    }
    return mn_float(x2 - x);
}

/* ---- rounding ------------------------------------------------------ */

static Value round_op(const char *name, Value *args, int nargs, Value kwargs,
                      Value dunder, double (*fn)(double))
{
    if (one_arg(name, nargs, kwargs) < 0)
        return MN_ERR;
    Value v = args[0];
    if (MN_IS_EXACT(v, FloatType))
        return int_from_double(fn(AS(FloatObject, v)->v));
    if (mn_is_intlike(v))
        return v == mn_True || v == mn_False ? mn_int(v == mn_True) : v;
    Value f = dunder ? mn_type_lookup(mn_typeof(v), dunder) : 0;
    if (f)
        return mn_call1(f, v);
    double x;
    if (mn_isinstance_t(v, &FloatType)) {
        if (to_double(v, &x) < 0)
            return MN_ERR;
        return int_from_double(fn(x));
    }
    if (!dunder && !mn_type_lookup(mn_typeof(v), MN_ID(__float__))
        && !mn_type_lookup(mn_typeof(v), MN_ID(__index__)))
        return mn_raise(&TypeErrorType, "type %s doesn't define __%s__ method",
                        mn_type_name(v), name);
    if (to_double(v, &x) < 0)
        return MN_ERR;
    return int_from_double(fn(x));
}

static Value m_floor(Value *args, int nargs, Value kwargs)
{
    return round_op("floor", args, nargs, kwargs, mn_intern("__floor__"), floor);
}

static Value m_ceil(Value *args, int nargs, Value kwargs)
{
    return round_op("ceil", args, nargs, kwargs, mn_intern("__ceil__"), ceil);
}

static Value m_trunc(Value *args, int nargs, Value kwargs)
{
    if (one_arg("trunc", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = args[0];
    if (MN_IS_EXACT(v, FloatType) || mn_is_intlike(v))
        return round_op("trunc", args, nargs, kwargs, 0, trunc);
    Value f = mn_type_lookup(mn_typeof(v), mn_intern("__trunc__"));
    if (f)
        return mn_call1(f, v);
    if (mn_isinstance_t(v, &FloatType))
        return round_op("trunc", args, nargs, kwargs, 0, trunc);
    return mn_raise(&TypeErrorType, "type %s doesn't define __trunc__ method", mn_type_name(v));
}

/* ---- logarithms ---------------------------------------------------- */

/* CPython's loghelper: ints are handled exactly, even beyond double range. */
static int log_helper(Value v, double (*fn)(double), double *out)
{
    if (mn_is_intlike(v)) {
        mpz_t z;
        mpz_init(z);
        mn_int_to_mpz(v, z);
        if (mpz_sgn(z) <= 0) {
            mpz_clear(z);
            domain_error();
            return -1;
        }
        if (mpz_sizeinbase(z, 2) <= 1000) {
            double d;
            mpz_clear(z);
            if (mn_as_double(v, &d) < 0)
                return -1;
            *out = fn(d);
            return 0;
        }
        long e;
        double m = mpz_get_d_2exp(&e, z);   /* z ~= m * 2**e, 0.5 <= m < 1 */
        mpz_clear(z);
        *out = fn(m) + fn(2.0) * (double)e;
        return 0;
    }
    double x;
    if (to_double(v, &x) < 0)
        return -1;
    double r;
    if (isfinite(x)) {
        if (x > 0.0) {
            r = fn(x);
        } else {
            domain_error();     /* log(0) and log(-x) */
            return -1;
        }
    } else if (isnan(x) || x > 0) {
        r = x;
    } else {
        domain_error();         /* log(-inf) */
        return -1;
    }
    *out = r;
    return 0;
}

static Value m_log(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "math.log() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return mn_raise(&TypeErrorType, nargs < 1 ? "log expected at least 1 argument, got %d"
                                                  : "log expected at most 2 arguments, got %d",
                        nargs);
    double num, den;
    if (log_helper(args[0], log, &num) < 0)
        return MN_ERR;
    if (nargs == 1)
        return mn_float(num);
    if (log_helper(args[1], log, &den) < 0)
        return MN_ERR;
    if (den == 0.0)
        return mn_raise(&ZeroDivisionErrorType, "float division by zero");
    return mn_float(num / den);
}

static Value m_log2(Value *args, int nargs, Value kwargs)
{
    double r;
    if (one_arg("log2", nargs, kwargs) < 0 || log_helper(args[0], log2, &r) < 0)
        return MN_ERR;
    return mn_float(r);
}

static Value m_log10(Value *args, int nargs, Value kwargs)
{
    double r;
    if (one_arg("log10", nargs, kwargs) < 0 || log_helper(args[0], log10, &r) < 0)
        return MN_ERR;
    return mn_float(r);
}

/* ---- hypot / dist: CPython's vector_norm --------------------------- */

typedef struct { double hi, lo; } DoubleLength;

static DoubleLength dl_fast_sum(double a, double b)
{
    double x = a + b;
    double z = x - a;
    double y = b - z;
    return (DoubleLength){x, y};
}

static DoubleLength dl_mul(double x, double y)
{
    double z = x * y;
    double zz = fma(x, y, -z);
    return (DoubleLength){z, zz};
}

static double vector_norm(int64_t n, double *vec, double max, bool found_nan)
{
    double x, h, scale, csum = 1.0, frac1 = 0.0, frac2 = 0.0;
    DoubleLength pr, sm;
    int max_e;
    if (isinf(max))
        return max;
    if (found_nan)
        return NAN;
    if (max == 0.0 || n <= 1)
        return max;
    frexp(max, &max_e);
    if (max_e < -1023) {
        for (int64_t i = 0; i < n; i++)
            vec[i] /= DBL_MIN;
        return DBL_MIN * vector_norm(n, vec, max / DBL_MIN, found_nan);
    }
    scale = ldexp(1.0, -max_e);
    for (int64_t i = 0; i < n; i++) {
        x = vec[i] * scale;
        pr = dl_mul(x, x);
        sm = dl_fast_sum(csum, pr.hi);
        csum = sm.hi;
        frac1 += pr.lo;
        frac2 += sm.lo;
    }
    h = sqrt(csum - 1.0 + (frac1 + frac2));
    pr = dl_mul(-h, h);
    sm = dl_fast_sum(csum, pr.hi);
    csum = sm.hi;
    frac1 += pr.lo;
    frac2 += sm.lo;
    x = csum - 1.0 + (frac1 + frac2);
    h += x / (2.0 * h);
    return h / scale;
}

static Value m_hypot(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "hypot() takes no keyword arguments");
    double small[16];
    double *vec = nargs <= 16 ? small : gc_alloc_atomic(sizeof(double) * (size_t)nargs);
    double max = 0.0;
    bool found_nan = false;
    for (int i = 0; i < nargs; i++) {
        double x;
        if (to_double(args[i], &x) < 0)
            return MN_ERR;
        x = fabs(x);
        vec[i] = x;
        found_nan |= isnan(x);
        if (x > max)
            max = x;
    }
    return mn_float(vector_norm(nargs, vec, max, found_nan));
}

static Value m_dist(Value *args, int nargs, Value kwargs)
{
    if (two_args("dist", nargs, kwargs) < 0)
        return MN_ERR;
    Value p = args[0], q = args[1];
    if (!MN_IS_EXACT(p, TupleType)) {
        if (!(p = mn_sequence_to_list(p)) || !(p = mn_list_to_tuple(p)))
            return MN_ERR;
    }
    if (!MN_IS_EXACT(q, TupleType)) {
        if (!(q = mn_sequence_to_list(q)) || !(q = mn_list_to_tuple(q)))
            return MN_ERR;
    }
    int64_t n = mn_tuple_len(p);
    if (n != mn_tuple_len(q))
        return mn_raise(&ValueErrorType, "both points must have the same number of dimensions");
    double *vec = gc_alloc_atomic(sizeof(double) * (size_t)(n + 1));
    double max = 0.0;
    bool found_nan = false;
    for (int64_t i = 0; i < n; i++) {
        double px, qx;
        if (to_double(mn_tuple_items(p)[i], &px) < 0 || to_double(mn_tuple_items(q)[i], &qx) < 0)
            return MN_ERR;
        double x = fabs(px - qx);
        vec[i] = x;
        found_nan |= isnan(x);
        if (x > max)
            max = x;
    }
    return mn_float(vector_norm(n, vec, max, found_nan));
}

/* ---- fsum: exact summation (Shewchuk), CPython's msum -------------- */

static Value m_fsum(Value *args, int nargs, Value kwargs)
{
    if (one_arg("fsum", nargs, kwargs) < 0)
        return MN_ERR;
    Value it = mn_iter(args[0]);
    if (!it)
        return MN_ERR;
    double ps_small[32], *p = ps_small;
    int64_t n = 0, m = 32;
    double special_sum = 0.0, inf_sum = 0.0;
    double hi, yr, lo = 0.0, x, y, t, xsave;
    Value item;
    while ((item = mn_next(it))) {
        if (to_double(item, &x) < 0)
            return MN_ERR;
        xsave = x;
        int64_t i = 0;
        for (int64_t j = 0; j < n; j++) {
            y = p[j];
            if (fabs(x) < fabs(y)) {
                t = x;
                x = y;
                y = t;
            }
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0)
                p[i++] = lo;
            x = hi;
        }
        n = i;
        if (x != 0.0) {
            if (!isfinite(x)) {
                if (isfinite(xsave))
                    return mn_raise(&OverflowErrorType, "intermediate overflow in fsum");
                if (isinf(xsave))
                    inf_sum += xsave;
                special_sum += xsave;
                n = 0;
            } else {
                if (n >= m) {
                    double *np = gc_alloc_atomic(sizeof(double) * (size_t)m * 2);
                    memcpy(np, p, sizeof(double) * (size_t)n);
                    p = np;
                    m *= 2;
                }
                p[n++] = x;
            }
        }
    }
    if (mn_exc_occurred())
        return MN_ERR;
    if (special_sum != 0.0) {
        if (isnan(inf_sum))
            return mn_raise(&ValueErrorType, "-inf + inf in fsum");
        return mn_float(special_sum);
    }
    hi = 0.0;
    if (n > 0) {
        hi = p[--n];
        while (n > 0) {
            x = hi;
            y = p[--n];
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0)
                break;
        }
        if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
            y = lo * 2.0;
            x = hi + y;
            yr = x - hi;
            if (y == yr)
                hi = x;
        }
    }
    return mn_float(hi);
}

/* ---- prod ---------------------------------------------------------- */

static Value m_prod(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("prod", args, nargs, kwargs, "iterable|$start", a) < 0)
        return MN_ERR;
    Value result = a[1] ? a[1] : mn_int(1);
    Value it = mn_iter(a[0]);
    if (!it)
        return MN_ERR;
    Value item;
    while ((item = mn_next(it))) {
        if (mn_is_int(result) && mn_is_int(item)) {
            intptr_t r;
            if (!__builtin_mul_overflow(mn_int_val(result), mn_int_val(item), &r)
                && mn_fits_small(r)) {
                result = mn_int(r);
                continue;
            }
        } else if (MN_IS_EXACT(result, FloatType) && MN_IS_EXACT(item, FloatType)) {
            result = mn_float(AS(FloatObject, result)->v * AS(FloatObject, item)->v);
            continue;
        }
        result = mn_binop(OP_MUL, result, item);
        if (!result)
            return MN_ERR;
    }
    return mn_exc_occurred() ? MN_ERR : result;
}

/* ---- integer functions --------------------------------------------- */

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static Value m_gcd(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "gcd() takes no keyword arguments");
    if (nargs == 0)
        return mn_int(0);
    Value first = to_int(args[0]);
    if (!first)
        return MN_ERR;
    mpz_t g, z;
    mpz_inits(g, z, NULL);
    bool small = true;
    uint64_t sg = 0;
    for (int i = 0; i < nargs; i++) {
        Value v = i ? to_int(args[i]) : first;
        if (!v) {
            mpz_clears(g, z, NULL);
            return MN_ERR;
        }
        if (small && mn_is_int(v)) {
            intptr_t x = mn_int_val(v);
            sg = gcd_u64(sg, x < 0 ? -(uint64_t)x : (uint64_t)x);
            continue;
        }
        if (small) {
            mpz_set_ui(g, sg);
            small = false;
        }
        mn_int_to_mpz(v, z);
        mpz_gcd(g, g, z);
    }
    Value r = small ? mn_int_from_i64((int64_t)sg) : mn_int_from_mpz(g);
    mpz_clears(g, z, NULL);
    return r;
}

static Value m_lcm(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "lcm() takes no keyword arguments");
    if (nargs == 0)
        return mn_int(1);
    mpz_t l, z;
    mpz_inits(l, z, NULL);
    Value r = MN_ERR;
    for (int i = 0; i < nargs; i++) {
        Value v = to_int(args[i]);
        if (!v)
            goto done;
        mn_int_to_mpz(v, z);
        if (i == 0)
            mpz_abs(l, z);
        else
            mpz_lcm(l, l, z);
    }
    r = mn_int_from_mpz(l);
done:
    mpz_clears(l, z, NULL);
    return r;
}

static Value m_factorial(Value *args, int nargs, Value kwargs)
{
    if (one_arg("factorial", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = to_int(args[0]);
    if (!v)
        return MN_ERR;
    int64_t n;
    if (mn_as_i64(v, &n) < 0) {
        if (!mn_exc_matches(&OverflowErrorType))
            return MN_ERR;
        mn_exc_clear();
        if (mn_richcmp_bool(v, mn_int(0), CMP_LT) == 1)
            return mn_raise(&ValueErrorType, "factorial() not defined for negative values");
        return mn_raise(&OverflowErrorType, "factorial() argument should not exceed %ld", LONG_MAX);
    }
    if (n < 0)
        return mn_raise(&ValueErrorType, "factorial() not defined for negative values");
    if (n <= 20) {
        int64_t f = 1;
        for (int64_t i = 2; i <= n; i++)
            f *= i;
        return mn_int_from_i64(f);
    }
    mpz_t z;
    mpz_init(z);
    mpz_fac_ui(z, (unsigned long)n);
    Value r = mn_int_from_mpz(z);
    mpz_clear(z);
    return r;
}

static Value m_isqrt(Value *args, int nargs, Value kwargs)
{
    if (one_arg("isqrt", nargs, kwargs) < 0)
        return MN_ERR;
    Value v = to_int(args[0]);
    if (!v)
        return MN_ERR;
    mpz_t z;
    mpz_init(z);
    mn_int_to_mpz(v, z);
    if (mpz_sgn(z) < 0) {
        mpz_clear(z);
        return mn_raise(&ValueErrorType, "isqrt() argument must be nonnegative");
    }
    mpz_sqrt(z, z);
    Value r = mn_int_from_mpz(z);
    mpz_clear(z);
    return r;
}

/* Shared by comb and perm: n, k as mpz with CPython's checks.  Returns
 * 1 if k > n (result 0), 0 to go on, -1 on error. */
static int comb_args(Value nv, Value kv, mpz_t n, mpz_t k, unsigned long *kk)
{
    Value ni = to_int(nv);
    if (!ni)
        return -1;
    Value ki = to_int(kv);
    if (!ki)
        return -1;
    mn_int_to_mpz(ni, n);
    mn_int_to_mpz(ki, k);
    if (mpz_sgn(n) < 0)
        return mn_raise_int(&ValueErrorType, "n must be a non-negative integer");
    if (mpz_sgn(k) < 0)
        return mn_raise_int(&ValueErrorType, "k must be a non-negative integer");
    if (mpz_cmp(k, n) > 0)
        return 1;
    *kk = 0;
    if (!mpz_fits_ulong_p(k))
        return 2;
    *kk = mpz_get_ui(k);
    return 0;
}

static Value m_comb(Value *args, int nargs, Value kwargs)
{
    if (two_args("comb", nargs, kwargs) < 0)
        return MN_ERR;
    mpz_t n, k, r;
    mpz_inits(n, k, r, NULL);
    unsigned long kk;
    Value res = MN_ERR;
    int c = comb_args(args[0], args[1], n, k, &kk);
    if (c < 0)
        goto done;
    if (c == 1) {
        res = mn_int(0);
        goto done;
    }
    /* Use the smaller of k and n - k. */
    mpz_sub(r, n, k);
    if (c == 2 || mpz_cmp(r, k) < 0) {
        if (!mpz_fits_ulong_p(r)) {
            mn_raise(&OverflowErrorType, "min(n - k, k) must not exceed %ld", LONG_MAX);
            goto done;
        }
        kk = mpz_get_ui(r);
    }
    mpz_bin_ui(r, n, kk);
    res = mn_int_from_mpz(r);
done:
    mpz_clears(n, k, r, NULL);
    return res;
}

static Value m_perm(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "perm() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return mn_raise(&TypeErrorType, nargs < 1 ? "perm expected at least 1 argument, got %d"
                                                  : "perm expected at most 2 arguments, got %d",
                        nargs);
    if (nargs == 1 || args[1] == mn_None) {
        Value n = to_int(args[0]);
        if (!n)
            return MN_ERR;
        if (mn_richcmp_bool(n, mn_int(0), CMP_LT) == 1)
            return mn_raise(&ValueErrorType, "n must be a non-negative integer");
        return m_factorial(args, 1, 0);
    }
    mpz_t n, k, r;
    mpz_inits(n, k, r, NULL);
    unsigned long kk;
    Value res = MN_ERR;
    int c = comb_args(args[0], args[1], n, k, &kk);
    if (c < 0)
        goto done;
    if (c == 1) {
        res = mn_int(0);
        goto done;
    }
    if (c == 2) {
        mn_raise(&OverflowErrorType, "k must not exceed %ld", LONG_MAX);
        goto done;
    }
    /* n * (n-1) * ... * (n-k+1) */
    mpz_set_ui(r, 1);
    for (unsigned long i = 0; i < kk; i++) {
        mpz_mul(r, r, n);
        mpz_sub_ui(n, n, 1);
    }
    res = mn_int_from_mpz(r);
done:
    mpz_clears(n, k, r, NULL);
    return res;
}

static const MethodDef math_methods[] = {
    {"acos", m_acos, 0, NULL},
    {"acosh", m_acosh, 0, NULL},
    {"asin", m_asin, 0, NULL},
    {"asinh", m_asinh, 0, NULL},
    {"atan", m_atan, 0, NULL},
    {"atan2", m_atan2, 0, NULL},
    {"atanh", m_atanh, 0, NULL},
    {"cbrt", m_cbrt, 0, NULL},
    {"ceil", m_ceil, 0, NULL},
    {"comb", m_comb, 0, NULL},
    {"copysign", m_copysign, 0, NULL},
    {"cos", m_cos, 0, NULL},
    {"cosh", m_cosh, 0, NULL},
    {"degrees", m_degrees, 0, NULL},
    {"dist", m_dist, 0, NULL},
    {"erf", m_erf, 0, NULL},
    {"erfc", m_erfc, 0, NULL},
    {"exp", m_exp, 0, NULL},
    {"exp2", m_exp2, 0, NULL},
    {"expm1", m_expm1, 0, NULL},
    {"fabs", m_fabs, 0, NULL},
    {"factorial", m_factorial, 0, NULL},
    {"floor", m_floor, 0, NULL},
    {"fmod", m_fmod, 0, NULL},
    {"frexp", m_frexp, 0, NULL},
    {"fsum", m_fsum, 0, NULL},
    {"gamma", m_gamma, 0, NULL},
    {"gcd", m_gcd, 0, NULL},
    {"hypot", m_hypot, 0, NULL},
    {"isclose", m_isclose, 0, NULL},
    {"isfinite", m_isfinite, 0, NULL},
    {"isinf", m_isinf, 0, NULL},
    {"isnan", m_isnan, 0, NULL},
    {"isqrt", m_isqrt, 0, NULL},
    {"lcm", m_lcm, 0, NULL},
    {"ldexp", m_ldexp, 0, NULL},
    {"lgamma", m_lgamma, 0, NULL},
    {"log", m_log, 0, NULL},
    {"log10", m_log10, 0, NULL},
    {"log1p", m_log1p, 0, NULL},
    {"log2", m_log2, 0, NULL},
    {"modf", m_modf, 0, NULL},
    {"nextafter", m_nextafter, 0, NULL},
    {"perm", m_perm, 0, NULL},
    {"pow", m_pow, 0, NULL},
    {"prod", m_prod, 0, NULL},
    {"radians", m_radians, 0, NULL},
    {"remainder", m_remainder, 0, NULL},
    {"sin", m_sin, 0, NULL},
    {"sinh", m_sinh, 0, NULL},
    {"sqrt", m_sqrt, 0, NULL},
    {"tan", m_tan, 0, NULL},
    {"tanh", m_tanh, 0, NULL},
    {"trunc", m_trunc, 0, NULL},
    {"ulp", m_ulp, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Value mn_module_math_init(void)
{
    Value mod = mn_module_new(mn_intern("math"));
    mn_module_add_methods(mod, math_methods);
    mn_module_add(mod, "pi", mn_float(M_PI));
    mn_module_add(mod, "e", mn_float(M_E));
    mn_module_add(mod, "tau", mn_float(2 * M_PI));
    mn_module_add(mod, "inf", mn_float(INFINITY));
    mn_module_add(mod, "nan", mn_float(NAN));
    return mod;
}
