/*
 * mod_random.c -- the `random` module, bit-for-bit compatible with
 * CPython's for the same seed.
 *
 * CPython's generator is MT19937 (_random.Random, in C) under a layer of
 * Python (random.py).  Both layers are reproduced here in C:
 *
 *  - seed(int) feeds the 32-bit words of abs(seed), least significant
 *    first, to init_by_array; seed(str/bytes) first appends the SHA-512
 *    digest and reads the result as a big-endian int (seed version 2);
 *    seed(float) uses hash(x) reinterpreted as unsigned; seed(None) reads
 *    624 words from the OS.
 *  - random() is genrand_res53: (a*2**26 + b) / 2**53 with a = 27 bits and
 *    b = 26 bits of two successive outputs.
 *  - getrandbits(k) takes one 32-bit output per word, least significant
 *    word first, the last word shifted right to keep k bits.
 *  - randrange/randint/choice/shuffle/sample use _randbelow_with_getrandbits
 *    (k = n.bit_length(); retry getrandbits(k) until < n), and the float
 *    distributions follow random.py expression by expression so rounding
 *    is identical.
 *
 * All generator state lives in the Random object (no globals): the
 * module-level functions are methods bound to a hidden instance, as in
 * CPython.  With the GIL off two threads may race on one generator; the
 * index is read once into a local and bounds-checked, so a race yields
 * odd numbers, never an out-of-bounds access.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../vm/tstate.h"
#include "mn_stdlib.h"

/* ------------------------------------------------------------------ */
/* MT19937                                                             */
/* ------------------------------------------------------------------ */

#define MT_M 397
#define MT_MATRIX_A 0x9908b0dfU
#define MT_UPPER 0x80000000U
#define MT_LOWER 0x7fffffffU

static void mt_init_genrand(MnMT *m, uint32_t s)
{
    m->mt[0] = s;
    for (uint32_t i = 1; i < MN_MT_N; i++)
        m->mt[i] = 1812433253U * (m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) + i;
    m->index = MN_MT_N;
}

void mn_mt_init_by_array(MnMT *m, const uint32_t *key, size_t keylen)
{
    uint32_t *mt = m->mt;
    mt_init_genrand(m, 19650218U);
    size_t i = 1, j = 0;
    size_t k = MN_MT_N > keylen ? MN_MT_N : keylen;
    for (; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U))
                + key[j] + (uint32_t)j;
        i++;
        j++;
        if (i >= MN_MT_N) {
            mt[0] = mt[MN_MT_N - 1];
            i = 1;
        }
        if (j >= keylen)
            j = 0;
    }
    for (k = MN_MT_N - 1; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U))
                - (uint32_t)i;
        i++;
        if (i >= MN_MT_N) {
            mt[0] = mt[MN_MT_N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000U;   /* non-zero initial state guaranteed */
    m->index = MN_MT_N;
}

static void mt_generate(MnMT *m)
{
    uint32_t *mt = m->mt, y;
    int kk;
    for (kk = 0; kk < MN_MT_N - MT_M; kk++) {
        y = (mt[kk] & MT_UPPER) | (mt[kk + 1] & MT_LOWER);
        mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ ((y & 1) ? MT_MATRIX_A : 0);
    }
    for (; kk < MN_MT_N - 1; kk++) {
        y = (mt[kk] & MT_UPPER) | (mt[kk + 1] & MT_LOWER);
        mt[kk] = mt[kk + (MT_M - MN_MT_N)] ^ (y >> 1) ^ ((y & 1) ? MT_MATRIX_A : 0);
    }
    y = (mt[MN_MT_N - 1] & MT_UPPER) | (mt[0] & MT_LOWER);
    mt[MN_MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ ((y & 1) ? MT_MATRIX_A : 0);
}

uint32_t mn_mt_genrand(MnMT *m)
{
    int i = m->index;           /* read once: see the note on races above */
    if (i >= MN_MT_N || i < 0) {
        mt_generate(m);
        i = 0;
    }
    m->index = i + 1;
    uint32_t y = m->mt[i];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

double mn_mt_random(MnMT *m)
{
    uint32_t a = mn_mt_genrand(m) >> 5, b = mn_mt_genrand(m) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

void mn_mt_seed_i64(MnMT *m, int64_t seed)
{
    uint64_t u = seed < 0 ? -(uint64_t)seed : (uint64_t)seed;
    uint32_t key[2] = { (uint32_t)u, (uint32_t)(u >> 32) };
    mn_mt_init_by_array(m, key, key[1] ? 2 : 1);
}

uint64_t mn_mt_getrandbits64(MnMT *m, int k)
{
    if (k <= 0)
        return 0;
    if (k <= 32)
        return mn_mt_genrand(m) >> (32 - k);
    uint64_t lo = mn_mt_genrand(m);
    uint64_t hi = mn_mt_genrand(m) >> (64 - k);
    return lo | (hi << 32);
}

static int bit_length64(uint64_t n)
{
    return n ? 64 - __builtin_clzll(n) : 0;
}

uint64_t mn_mt_randbelow(MnMT *m, uint64_t n)
{
    int k = bit_length64(n);
    uint64_t r = mn_mt_getrandbits64(m, k);
    while (r >= n)
        r = mn_mt_getrandbits64(m, k);
    return r;
}

/* ------------------------------------------------------------------ */
/* SHA-512 (for str/bytes seeds, FIPS 180-4)                           */
/* ------------------------------------------------------------------ */

static const uint64_t sha512_k[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static inline uint64_t ror64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static void sha512_block(uint64_t h[8], const uint8_t *p)
{
    uint64_t w[80];
    for (int i = 0; i < 16; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++)
            v = (v << 8) | p[i * 8 + j];
        w[i] = v;
    }
    for (int i = 16; i < 80; i++) {
        uint64_t s0 = ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7);
        uint64_t s1 = ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 80; i++) {
        uint64_t S1 = ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41);
        uint64_t ch = (e & f) ^ (~e & g);
        uint64_t t1 = hh + S1 + ch + sha512_k[i] + w[i];
        uint64_t S0 = ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39);
        uint64_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint64_t t2 = S0 + maj;
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha512(const uint8_t *data, size_t len, uint8_t out[64])
{
    uint64_t h[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
        0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
        0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
    };
    size_t full = len / 128 * 128;
    for (size_t i = 0; i < full; i += 128)
        sha512_block(h, data + i);
    uint8_t tail[256] = {0};
    size_t rem = len - full;
    memcpy(tail, data + full, rem);
    tail[rem] = 0x80;
    size_t tl = rem + 1 + 16 <= 128 ? 128 : 256;
    uint64_t bits = (uint64_t)len * 8;   /* high 64 bits of the length stay 0 */
    for (int i = 0; i < 8; i++)
        tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < tl; i += 128)
        sha512_block(h, tail + i);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            out[i * 8 + j] = (uint8_t)(h[i] >> (56 - 8 * j));
}

/* ------------------------------------------------------------------ */
/* The Random type                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    MnMT mt;
    bool has_gauss;             /* gauss_next is not None */
    double gauss_next;
} RandomObject;

static Type RandomType;

static inline RandomObject *R(Value v) { return AS(RandomObject, v); }

/* Seed from the words of a non-negative mpz (CPython's random_seed). */
static void seed_mpz(MnMT *m, const mpz_t n)
{
    size_t count = 0;
    size_t words = mpz_sgn(n) ? (mpz_sizeinbase(n, 2) + 31) / 32 : 1;
    uint32_t *key = gc_alloc_atomic(words * sizeof(uint32_t));
    if (mpz_sgn(n))
        mpz_export(key, &count, -1, sizeof(uint32_t), 0, 0, n);
    mn_mt_init_by_array(m, key, words);
}

static void seed_urandom(MnMT *m)
{
    uint32_t key[MN_MT_N];
    size_t got = 0;
    while (got < sizeof key) {
        ssize_t r = getrandom((char *)key + got, sizeof key - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    if (got < sizeof key) {
        /* No entropy source: fall back on time and pid, as CPython does. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        key[0] = (uint32_t)ts.tv_sec;
        key[1] = (uint32_t)ts.tv_nsec;
        key[2] = (uint32_t)getpid();
        mn_mt_init_by_array(m, key, 3);
        return;
    }
    mn_mt_init_by_array(m, key, MN_MT_N);
}

static int seed_bytes(MnMT *m, const uint8_t *p, size_t len)
{
    /* int.from_bytes(a + sha512(a).digest()), big-endian. */
    uint8_t *buf = gc_alloc_atomic(len + 64);
    memcpy(buf, p, len);
    sha512(p, len, buf + len);
    mpz_t z;
    mpz_init(z);
    mpz_import(z, len + 64, 1, 1, 0, 0, buf);
    seed_mpz(m, z);
    mpz_clear(z);
    return 0;
}

static int do_seed(RandomObject *r, Value a, Value version)
{
    int64_t ver = 2;
    if (version && mn_as_i64(version, &ver) < 0)
        return -1;
    r->has_gauss = false;
    if (!a || a == mn_None) {
        seed_urandom(&r->mt);
        return 0;
    }
    if (mn_is_intlike(a)) {
        if (mn_is_int(a)) {
            mn_mt_seed_i64(&r->mt, mn_int_val(a));
        } else if (a == mn_True || a == mn_False) {
            mn_mt_seed_i64(&r->mt, a == mn_True);
        } else {
            mpz_t z;
            mpz_init(z);
            mn_int_to_mpz(a, z);
            mpz_abs(z, z);
            seed_mpz(&r->mt, z);
            mpz_clear(z);
        }
        return 0;
    }
    bool is_str = mn_isinstance_t(a, &StrType), is_bytes = mn_isinstance_t(a, &BytesType);
    if (ver == 1 && (is_str || is_bytes)) {
        /* The old str hashing of seed version 1 (bytes read as latin-1). */
        uint64_t x = 0;
        int64_t n = 0;
        const uint8_t *p;
        size_t len;
        if (is_str) {
            p = (const uint8_t *)mn_cstr(a);
            len = (size_t)mn_str_len(a);
        } else {
            p = AS(BytesObject, a)->data;
            len = (size_t)AS(BytesObject, a)->len;
        }
        for (size_t i = 0; i < len;) {
            uint32_t c = p[i];
            size_t sz = 1;
            if (is_str && c >= 0x80) {
                sz = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                c &= sz == 4 ? 0x07 : sz == 3 ? 0x0f : 0x1f;
                for (size_t k = 1; k < sz && i + k < len; k++)
                    c = (c << 6) | (p[i + k] & 0x3f);
            }
            if (n == 0)
                x = (uint64_t)c << 7;
            x = (1000003 * x) ^ c;
            n++;
            i += sz;
        }
        x ^= (uint64_t)n;
        /* a = -2 if x == -1 else x: x is non-negative here. */
        mpz_t z;
        mpz_init(z);
        mpz_import(z, 1, 1, sizeof x, 0, 0, &x);
        seed_mpz(&r->mt, z);
        mpz_clear(z);
        return 0;
    }
    if (ver == 2 && is_str)
        return seed_bytes(&r->mt, (const uint8_t *)mn_cstr(a), (size_t)mn_str_len(a));
    if (ver == 2 && is_bytes)
        return seed_bytes(&r->mt, AS(BytesObject, a)->data, (size_t)AS(BytesObject, a)->len);
    if (!mn_isinstance_t(a, &FloatType) && !is_str && !is_bytes) {
        mn_raise(&TypeErrorType, "The only supported seed types are: None,\n"
                                 "int, float, str, bytes, and bytearray.");
        return -1;
    }
    /* Anything else hashable: the hash, reinterpreted as unsigned. */
    int64_t h;
    if (mn_hash(a, &h) < 0)
        return -1;
    uint64_t u = (uint64_t)h;
    mpz_t z;
    mpz_init(z);
    mpz_import(z, 1, 1, sizeof u, 0, 0, &u);
    seed_mpz(&r->mt, z);
    mpz_clear(z);
    return 0;
}

static Value random_new(Type *t, Value *args, int nargs, Value kwargs)
{
    RandomObject *r = t == &RandomType ? mn_alloc_obj_atomic(t, 0) : mn_alloc_obj(t, 0);
    if (t == &RandomType && kwargs && mn_dict_len(kwargs)) {
        mn_raise(&TypeErrorType, "Random() takes no keyword arguments");
        return MN_ERR;
    }
    if (nargs > 1) {
        mn_raise(&TypeErrorType, "Random() expected at most 1 argument, got %d", nargs);
        return MN_ERR;
    }
    if (do_seed(r, nargs ? args[0] : 0, 0) < 0)
        return MN_ERR;
    return mn_val(r);
}

/* Random.__init__(self, x=None): re-seeds, for subclasses that call
 * super().__init__(x); for Random itself __new__ already did it. */
static int random_init(Value self, Value *args, int nargs, Value kwargs)
{
    if (mn_typeof(self) == &RandomType)
        return 0;
    Value x[1];
    if (mn_argparse("Random", args, nargs, kwargs, "|x", x) < 0)
        return -1;
    return do_seed(R(self), x[0], 0);
}

/* self.random(), honouring an override in a subclass. */
static int next_random(Value self, double *out)
{
    if (mn_typeof(self) == &RandomType) {
        *out = mn_mt_random(&R(self)->mt);
        return 0;
    }
    Value v = mn_call_method(self, "random", NULL, 0);
    if (!v)
        return -1;
    return mn_as_double(v, out);
}

/* getrandbits(k) as an int Value (any k >= 0). */
static Value getrandbits_value(MnMT *m, int64_t k)
{
    if (k <= 62)
        return mn_int((intptr_t)mn_mt_getrandbits64(m, (int)k));
    size_t words = (size_t)((k - 1) / 32 + 1);
    uint32_t *w = gc_alloc_atomic(words * sizeof(uint32_t));
    for (size_t i = 0; i < words; i++, k -= 32) {
        uint32_t r = mn_mt_genrand(m);
        if (k < 32)
            r >>= 32 - k;
        w[i] = r;
    }
    mpz_t z;
    mpz_init(z);
    mpz_import(z, words, -1, sizeof(uint32_t), 0, 0, w);
    Value v = mn_int_from_mpz(z);
    mpz_clear(z);
    return v;
}

/* _randbelow(n) for an int n > 0 (small or big). */
static Value randbelow_value(MnMT *m, Value n)
{
    if (mn_is_int(n))
        return mn_int((intptr_t)mn_mt_randbelow(m, (uint64_t)mn_int_val(n)));
    mpz_t z;
    mpz_init(z);
    mn_int_to_mpz(n, z);
    int64_t k = (int64_t)mpz_sizeinbase(z, 2);
    Value r;
    for (;;) {
        r = getrandbits_value(m, k);
        mpz_t rz;
        mpz_init(rz);
        mn_int_to_mpz(r, rz);
        int c = mpz_cmp(rz, z);
        mpz_clear(rz);
        if (c < 0)
            break;
    }
    mpz_clear(z);
    return r;
}

/* ---- methods ------------------------------------------------------ */

static Value r_seed(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("seed", args + 1, nargs - 1, kwargs, "|a,version", a) < 0)
        return MN_ERR;
    if (do_seed(R(args[0]), a[0], a[1]) < 0)
        return MN_ERR;
    return mn_None;
}

static Value r_random(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("random", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_float(mn_mt_random(&R(args[0])->mt));
}

static Value r_getrandbits(Value *args, int nargs, Value kwargs)
{
    int64_t k;
    if (mn_argcheck("getrandbits", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (mn_as_i64(args[1], &k) < 0)
        return MN_ERR;
    if (k < 0)
        return mn_raise(&ValueErrorType, "number of bits must be non-negative");
    return getrandbits_value(&R(args[0])->mt, k);
}

static Value r_randbytes(Value *args, int nargs, Value kwargs)
{
    int64_t n;
    if (mn_argcheck("randbytes", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (mn_as_i64(args[1], &n) < 0)
        return MN_ERR;
    if (n < 0)
        return mn_raise(&ValueErrorType, "number of bits must be non-negative");
    /* getrandbits(n * 8).to_bytes(n, 'little'): little-endian words. */
    MnMT *m = &R(args[0])->mt;
    uint8_t *buf = gc_alloc_atomic((size_t)n + 4);
    for (int64_t i = 0; i < n; i += 4) {
        int64_t left = (n - i) * 8;
        uint32_t r = mn_mt_genrand(m);
        if (left < 32)
            r >>= 32 - left;
        for (int b = 0; b < 4 && i + b < n; b++)
            buf[i + b] = (uint8_t)(r >> (8 * b));
    }
    return mn_bytes_new(buf, (size_t)n);
}

/* operator.index(v), falling back to int(v) when that loses nothing
 * (CPython 3.11 accepts integral floats with a DeprecationWarning). */
static Value to_index(Value v, const char *what)
{
    if (mn_is_int(v))
        return v;
    if (v == mn_True || v == mn_False)
        return mn_int(v == mn_True);
    if (mn_is_intlike(v))
        return v;
    Value f = mn_type_lookup(mn_typeof(v), MN_ID(__index__));
    if (f)
        return mn_call1(f, v);
    Value i = mn_call1(mn_val(&IntType), v);
    if (!i)
        return MN_ERR;
    int eq = mn_eq(i, v);
    if (eq < 0)
        return MN_ERR;
    if (!eq)
        return mn_raise(&ValueErrorType, "non-integer %s for randrange()", what);
    return i;
}

static inline int64_t floordiv128(__int128 a, __int128 b, bool *ovf)
{
    __int128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    *ovf = q > INT64_MAX || q < INT64_MIN;
    return (int64_t)q;
}

static Value int_from_i128(__int128 v)
{
    if (v >= MN_SMALL_MIN && v <= MN_SMALL_MAX)
        return mn_int((intptr_t)v);
    if (v >= INT64_MIN && v <= INT64_MAX)
        return mn_int_from_i64((int64_t)v);
    mpz_t z;
    mpz_init(z);
    bool neg = v < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    uint64_t parts[2] = { (uint64_t)u, (uint64_t)(u >> 64) };
    mpz_import(z, 2, -1, sizeof(uint64_t), 0, 0, parts);
    if (neg)
        mpz_neg(z, z);
    Value r = mn_int_from_mpz(z);
    mpz_clear(z);
    return r;
}

static Value randrange_impl(Value self, Value start, Value stop, Value step)
{
    MnMT *m = &R(self)->mt;
    Value istart = to_index(start, "arg 1");
    if (!istart)
        return MN_ERR;
    if (!stop || stop == mn_None) {
        if (step && step != mn_int(1))
            return mn_raise(&TypeErrorType, "Missing a non-None stop argument");
        int gt = mn_richcmp_bool(istart, mn_int(0), CMP_GT);
        if (gt < 0)
            return MN_ERR;
        if (gt)
            return randbelow_value(m, istart);
        return mn_raise(&ValueErrorType, "empty range for randrange()");
    }
    Value istop = to_index(stop, "stop");
    if (!istop)
        return MN_ERR;
    Value istep = step ? to_index(step, "step") : mn_int(1);
    if (!istep)
        return MN_ERR;

    if (mn_is_int(istart) && mn_is_int(istop) && mn_is_int(istep)) {
        __int128 a = mn_int_val(istart), b = mn_int_val(istop), s = mn_int_val(istep);
        __int128 width = b - a;
        if (s == 1) {
            if (width > 0)
                return int_from_i128(a + (__int128)mn_mt_randbelow(m, (uint64_t)width));
            return mn_raise(&ValueErrorType, "empty range for randrange() (%lld, %lld, %lld)",
                            (long long)a, (long long)b, (long long)width);
        }
        bool ovf;
        int64_t n;
        if (s > 0)
            n = floordiv128(width + s - 1, s, &ovf);
        else if (s < 0)
            n = floordiv128(width + s + 1, s, &ovf);
        else
            return mn_raise(&ValueErrorType, "zero step for randrange()");
        if (n <= 0)
            return mn_raise(&ValueErrorType, "empty range for randrange()");
        return int_from_i128(a + s * (__int128)mn_mt_randbelow(m, (uint64_t)n));
    }

    /* Some operand is a big int: the same algorithm in GMP. */
    mpz_t za, zb, zs, width, n;
    mpz_inits(za, zb, zs, width, n, NULL);
    mn_int_to_mpz(istart, za);
    mn_int_to_mpz(istop, zb);
    mn_int_to_mpz(istep, zs);
    mpz_sub(width, zb, za);
    Value result = MN_ERR;
    if (mpz_cmp_ui(zs, 1) == 0) {
        if (mpz_sgn(width) > 0) {
            Value r = randbelow_value(m, mn_int_from_mpz(width));
            result = mn_binop(OP_ADD, istart, r);
        } else {
            Value sa = mn_repr(istart), sb = mn_repr(istop), sw = mn_repr(mn_int_from_mpz(width));
            if (sa && sb && sw)
                mn_raise(&ValueErrorType, "empty range for randrange() (%s, %s, %s)",
                         mn_cstr(sa), mn_cstr(sb), mn_cstr(sw));
        }
    } else if (mpz_sgn(zs) == 0) {
        mn_raise(&ValueErrorType, "zero step for randrange()");
    } else {
        mpz_add(n, width, zs);
        if (mpz_sgn(zs) > 0)
            mpz_sub_ui(n, n, 1);
        else
            mpz_add_ui(n, n, 1);
        mpz_fdiv_q(n, n, zs);
        if (mpz_sgn(n) <= 0) {
            mn_raise(&ValueErrorType, "empty range for randrange()");
        } else {
            Value r = randbelow_value(m, mn_int_from_mpz(n));
            Value off = mn_binop(OP_MUL, istep, r);
            result = off ? mn_binop(OP_ADD, istart, off) : MN_ERR;
        }
    }
    mpz_clears(za, zb, zs, width, n, NULL);
    return result;
}

static Value r_randrange(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("randrange", args + 1, nargs - 1, kwargs, "start|stop,step", a) < 0)
        return MN_ERR;
    return randrange_impl(args[0], a[0], a[1], a[2]);
}

static Value r_randint(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("randint", nargs - 1, kwargs, 2, 2) < 0)
        return MN_ERR;
    Value a = args[1], b = args[2];
    if (mn_is_int(a) && mn_is_int(b)) {
        /* Fast path: randrange(a, b + 1) with unit step. */
        __int128 lo = mn_int_val(a), width = (__int128)mn_int_val(b) + 1 - lo;
        if (width > 0)
            return int_from_i128(lo + (__int128)mn_mt_randbelow(&R(args[0])->mt, (uint64_t)width));
    }
    Value b1 = mn_binop(OP_ADD, b, mn_int(1));
    if (!b1)
        return MN_ERR;
    return randrange_impl(args[0], a, b1, 0);
}

static Value r_choice(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("choice", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value seq = args[1];
    MnMT *m = &R(args[0])->mt;
    if (MN_IS_EXACT(seq, ListType)) {
        ListObject *l = AS(ListObject, seq);
        Value *items = l->items;
        int64_t n = l->len;
        if (n <= 0)
            return mn_raise(&IndexErrorType, "Cannot choose from an empty sequence");
        uint64_t i = mn_mt_randbelow(m, (uint64_t)n);
        if ((int64_t)i < l->len && items == l->items)
            return items[i];
        return mn_getitem(seq, mn_int((intptr_t)i));
    }
    if (MN_IS_EXACT(seq, TupleType)) {
        int64_t n = mn_tuple_len(seq);
        if (n == 0)
            return mn_raise(&IndexErrorType, "Cannot choose from an empty sequence");
        return mn_tuple_items(seq)[mn_mt_randbelow(m, (uint64_t)n)];
    }
    int64_t n = mn_len(seq);
    if (n < 0)
        return MN_ERR;
    if (n == 0)
        return mn_raise(&IndexErrorType, "Cannot choose from an empty sequence");
    return mn_getitem(seq, mn_int((intptr_t)mn_mt_randbelow(m, (uint64_t)n)));
}

static Value r_shuffle(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("shuffle", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value x = args[1];
    MnMT *m = &R(args[0])->mt;
    int64_t n = mn_len(x);
    if (n < 0)
        return MN_ERR;
    for (int64_t i = n - 1; i >= 1; i--) {
        int64_t j = (int64_t)mn_mt_randbelow(m, (uint64_t)(i + 1));
        if (MN_IS_EXACT(x, ListType)) {
            ListObject *l = AS(ListObject, x);
            Value *items = l->items;
            if (i < l->len) {
                Value t = items[i];
                items[i] = items[j];
                items[j] = t;
                continue;
            }
        }
        Value vi = mn_getitem(x, mn_int((intptr_t)i));
        if (!vi)
            return MN_ERR;
        Value vj = mn_getitem(x, mn_int((intptr_t)j));
        if (!vj)
            return MN_ERR;
        if (mn_setitem(x, mn_int((intptr_t)i), vj) < 0
            || mn_setitem(x, mn_int((intptr_t)j), vi) < 0)
            return MN_ERR;
    }
    return mn_None;
}

/* bisect.bisect_right(a, x, lo, hi) over a list of numbers. */
static int bisect_right(Value list, Value x, int64_t lo, int64_t hi, int64_t *out)
{
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        Value am = mn_getitem(list, mn_int((intptr_t)mid));
        if (!am)
            return -1;
        int lt = mn_richcmp_bool(x, am, CMP_LT);
        if (lt < 0)
            return -1;
        if (lt)
            hi = mid;
        else
            lo = mid + 1;
    }
    *out = lo;
    return 0;
}

/* list(itertools.accumulate(iterable)) */
static Value accumulate(Value iterable)
{
    Value it = mn_iter(iterable);
    if (!it)
        return MN_ERR;
    Value out = mn_list_new(0), total = 0, v;
    while ((v = mn_next(it))) {
        total = total ? mn_binop(OP_ADD, total, v) : v;
        if (!total || mn_list_append(out, total) < 0)
            return MN_ERR;
    }
    return mn_exc_occurred() ? MN_ERR : out;
}

static bool is_sequence(Value v)
{
    return mn_isinstance_t(v, &ListType) || mn_isinstance_t(v, &TupleType)
        || mn_isinstance_t(v, &StrType) || mn_isinstance_t(v, &BytesType)
        || mn_isinstance_t(v, &RangeType);
}

static Value sample_impl(Value self, Value population, Value kv, Value counts);

static Value sample_counts(Value self, Value population, Value kv, Value counts, int64_t n)
{
    Value cum = accumulate(counts);
    if (!cum)
        return MN_ERR;
    int64_t nc = AS(ListObject, cum)->len;
    if (nc != n)
        return mn_raise(&ValueErrorType, "The number of counts does not match the population");
    if (nc == 0)
        return mn_raise(&IndexErrorType, "pop from empty list");
    Value total = AS(ListObject, cum)->items[nc - 1];
    AS(ListObject, cum)->len = nc - 1;      /* cum_counts.pop() */
    if (!mn_is_intlike(total))
        return mn_raise(&TypeErrorType, "Counts must be integers");
    int le = mn_richcmp_bool(total, mn_int(0), CMP_LE);
    if (le < 0)
        return MN_ERR;
    if (le)
        return mn_raise(&ValueErrorType, "Total of counts must be greater than zero");
    Value rng = mn_call1(mn_val(&RangeType), total);
    if (!rng)
        return MN_ERR;
    Value sel = sample_impl(self, rng, kv, 0);
    if (!sel)
        return MN_ERR;
    int64_t k = AS(ListObject, sel)->len;
    Value result = mn_list_new(k);
    for (int64_t i = 0; i < k; i++) {
        int64_t pos;
        if (bisect_right(cum, AS(ListObject, sel)->items[i], 0, nc - 1, &pos) < 0)
            return MN_ERR;
        Value item = mn_getitem(population, mn_int((intptr_t)pos));
        if (!item)
            return MN_ERR;
        AS(ListObject, result)->items[i] = item;
    }
    return result;
}

static Value sample_impl(Value self, Value population, Value kv, Value counts)
{
    MnMT *m = &R(self)->mt;
    if (!is_sequence(population))
        return mn_raise(&TypeErrorType, "Population must be a sequence.  "
                                        "For dicts or sets, use sorted(d).");
    int64_t n = mn_len(population);
    if (n < 0)
        return MN_ERR;
    if (counts && counts != mn_None)
        return sample_counts(self, population, kv, counts, n);
    int64_t k;
    if (mn_as_index(kv, &k) < 0)
        return MN_ERR;
    if (!(0 <= k && k <= n))
        return mn_raise(&ValueErrorType, "Sample larger than population or is negative");
    Value result = mn_list_new(k);
    Value *res = AS(ListObject, result)->items;
    int64_t setsize = 21;
    if (k > 5) {
        double e = ceil(log((double)(k * 3)) / log(4.0));
        int64_t p = 1;
        for (int i = 0; i < (int)e; i++)
            p *= 4;
        setsize += p;
    }
    if (n <= setsize) {
        Value pool = mn_sequence_to_list(population);
        if (!pool)
            return MN_ERR;
        Value *pl = AS(ListObject, pool)->items;
        for (int64_t i = 0; i < k; i++) {
            int64_t j = (int64_t)mn_mt_randbelow(m, (uint64_t)(n - i));
            res[i] = pl[j];
            pl[j] = pl[n - i - 1];
        }
    } else {
        Value selected = mn_set_new(&SetType);
        for (int64_t i = 0; i < k; i++) {
            int64_t j = (int64_t)mn_mt_randbelow(m, (uint64_t)n);
            for (;;) {
                int c = mn_set_contains(selected, mn_int((intptr_t)j));
                if (c < 0)
                    return MN_ERR;
                if (!c)
                    break;
                j = (int64_t)mn_mt_randbelow(m, (uint64_t)n);
            }
            if (mn_set_add(selected, mn_int((intptr_t)j)) < 0)
                return MN_ERR;
            Value item = mn_getitem(population, mn_int((intptr_t)j));
            if (!item)
                return MN_ERR;
            res[i] = item;
        }
    }
    return result;
}

static Value r_sample(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("sample", args + 1, nargs - 1, kwargs, "population,k|$counts", a) < 0)
        return MN_ERR;
    return sample_impl(args[0], a[0], a[1], a[2]);
}

static Value r_choices(Value *args, int nargs, Value kwargs)
{
    Value a[4];
    if (mn_argparse("choices", args + 1, nargs - 1, kwargs,
                    "population|weights,$cum_weights,k", a) < 0)
        return MN_ERR;
    Value self = args[0], population = a[0], weights = a[1], cum = a[2];
    int64_t k = 1;
    if (a[3] && mn_as_index(a[3], &k) < 0)
        return MN_ERR;
    if (k < 0)
        k = 0;
    int64_t n = mn_len(population);
    if (n < 0)
        return MN_ERR;
    Value result = mn_list_new(k);
    Value *res = AS(ListObject, result)->items;
    if (!cum || cum == mn_None) {
        if (!weights || weights == mn_None) {
            double dn = (double)n;
            for (int64_t i = 0; i < k; i++) {
                double r;
                if (next_random(self, &r) < 0)
                    return MN_ERR;
                double idx = floor(r * dn);
                Value item = mn_getitem(population, mn_int((intptr_t)idx));
                if (!item)
                    return MN_ERR;
                res[i] = item;
            }
            return result;
        }
        cum = accumulate(weights);
        if (!cum) {
            if (mn_exc_matches(&TypeErrorType) && mn_is_intlike(weights)) {
                mn_exc_clear();
                Value r = mn_repr(weights);
                if (!r)
                    return MN_ERR;
                return mn_raise(&TypeErrorType,
                                "The number of choices must be a keyword argument: k=%s",
                                mn_cstr(r));
            }
            return MN_ERR;
        }
    } else if (weights && weights != mn_None) {
        return mn_raise(&TypeErrorType, "Cannot specify both weights and cumulative weights");
    } else if (!MN_IS_EXACT(cum, ListType)) {
        cum = mn_sequence_to_list(cum);
        if (!cum)
            return MN_ERR;
    }
    if (mn_len(cum) != n)
        return mn_raise(&ValueErrorType, "The number of weights does not match the population");
    if (n == 0)
        return mn_raise(&IndexErrorType, "list index out of range");
    Value tv = mn_binop(OP_ADD, AS(ListObject, cum)->items[n - 1], mn_float(0.0));
    double total;
    if (!tv || mn_as_double(tv, &total) < 0)
        return MN_ERR;
    if (total <= 0.0)
        return mn_raise(&ValueErrorType, "Total of weights must be greater than zero");
    if (!isfinite(total))
        return mn_raise(&ValueErrorType, "Total of weights must be finite");
    for (int64_t i = 0; i < k; i++) {
        double r;
        if (next_random(self, &r) < 0)
            return MN_ERR;
        int64_t pos;
        if (bisect_right(cum, mn_float(r * total), 0, n - 1, &pos) < 0)
            return MN_ERR;
        Value item = mn_getitem(population, mn_int((intptr_t)pos));
        if (!item)
            return MN_ERR;
        res[i] = item;
    }
    return result;
}

/* Convert an argument to double with float()'s TypeError. */
static int arg_double(Value v, double *out)
{
    if (MN_IS_EXACT(v, FloatType)) {
        *out = AS(FloatObject, v)->v;
        return 0;
    }
    if (mn_is_int(v)) {
        *out = (double)mn_int_val(v);
        return 0;
    }
    return mn_as_double(v, out);
}

static Value r_uniform(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("uniform", args + 1, nargs - 1, kwargs, "a,b", a) < 0)
        return MN_ERR;
    double r;
    if (next_random(args[0], &r) < 0)
        return MN_ERR;
    Value x = a[0], y = a[1];
    bool xf = MN_IS_EXACT(x, FloatType), yf = MN_IS_EXACT(y, FloatType);
    if ((mn_is_int(x) || xf) && (mn_is_int(y) || yf)) {
        double dx = xf ? AS(FloatObject, x)->v : (double)mn_int_val(x);
        double diff;
        if (!xf && !yf)
            diff = (double)(mn_int_val(y) - mn_int_val(x));   /* exact int subtraction */
        else
            diff = (yf ? AS(FloatObject, y)->v : (double)mn_int_val(y)) - dx;
        return mn_float(dx + diff * r);
    }
    Value d = mn_binop(OP_SUB, y, x);
    if (!d)
        return MN_ERR;
    Value p = mn_binop(OP_MUL, d, mn_float(r));
    if (!p)
        return MN_ERR;
    return mn_binop(OP_ADD, x, p);
}

static Value r_triangular(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("triangular", args + 1, nargs - 1, kwargs, "|low,high,mode", a) < 0)
        return MN_ERR;
    double low = 0.0, high = 1.0, mode = 0, u, c;
    if ((a[0] && arg_double(a[0], &low) < 0) || (a[1] && arg_double(a[1], &high) < 0))
        return MN_ERR;
    if (next_random(args[0], &u) < 0)
        return MN_ERR;
    if (!a[2] || a[2] == mn_None) {
        c = 0.5;
    } else {
        if (arg_double(a[2], &mode) < 0)
            return MN_ERR;
        if (high - low == 0.0)
            return mn_float(low);
        c = (mode - low) / (high - low);
    }
    if (u > c) {
        u = 1.0 - u;
        c = 1.0 - c;
        double t = low;
        low = high;
        high = t;
    }
    return mn_float(low + (high - low) * sqrt(u * c));
}

static int two_doubles(const char *fname, Value *args, int nargs, Value kwargs,
                       const char *spec, double d0, double d1, double *x, double *y)
{
    Value a[2];
    if (mn_argparse(fname, args + 1, nargs - 1, kwargs, spec, a) < 0)
        return -1;
    *x = d0;
    *y = d1;
    if ((a[0] && arg_double(a[0], x) < 0) || (a[1] && arg_double(a[1], y) < 0))
        return -1;
    return 0;
}

static const double TWOPI = 6.283185307179586;

static Value r_gauss(Value *args, int nargs, Value kwargs)
{
    double mu, sigma;
    if (two_doubles("gauss", args, nargs, kwargs, "|mu,sigma", 0.0, 1.0, &mu, &sigma) < 0)
        return MN_ERR;
    RandomObject *r = R(args[0]);
    double z;
    if (r->has_gauss) {
        z = r->gauss_next;
        r->has_gauss = false;
    } else {
        double u1, u2;
        if (next_random(args[0], &u1) < 0)
            return MN_ERR;
        double x2pi = u1 * TWOPI;
        if (next_random(args[0], &u2) < 0)
            return MN_ERR;
        double g2rad = sqrt(-2.0 * log(1.0 - u2));
        z = cos(x2pi) * g2rad;
        r->gauss_next = sin(x2pi) * g2rad;
        r->has_gauss = true;
    }
    return mn_float(mu + z * sigma);
}

static int normalvariate(Value self, double mu, double sigma, double *out)
{
    const double nv_magic = 4 * exp(-0.5) / sqrt(2.0);
    double z;
    for (;;) {
        double u1, u2;
        if (next_random(self, &u1) < 0 || next_random(self, &u2) < 0)
            return -1;
        u2 = 1.0 - u2;
        z = nv_magic * (u1 - 0.5) / u2;
        double zz = z * z / 4.0;
        if (zz <= -log(u2))
            break;
    }
    *out = mu + z * sigma;
    return 0;
}

static Value r_normalvariate(Value *args, int nargs, Value kwargs)
{
    double mu, sigma, r;
    if (two_doubles("normalvariate", args, nargs, kwargs, "|mu,sigma", 0.0, 1.0, &mu, &sigma) < 0
        || normalvariate(args[0], mu, sigma, &r) < 0)
        return MN_ERR;
    return mn_float(r);
}

static Value r_lognormvariate(Value *args, int nargs, Value kwargs)
{
    double mu, sigma, r;
    if (two_doubles("lognormvariate", args, nargs, kwargs, "mu,sigma", 0, 0, &mu, &sigma) < 0
        || normalvariate(args[0], mu, sigma, &r) < 0)
        return MN_ERR;
    return mn_float(exp(r));
}

static Value r_expovariate(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    double lambd, r;
    if (mn_argparse("expovariate", args + 1, nargs - 1, kwargs, "lambd", a) < 0
        || arg_double(a[0], &lambd) < 0 || next_random(args[0], &r) < 0)
        return MN_ERR;
    if (lambd == 0.0)
        return mn_raise(&ZeroDivisionErrorType, "float division by zero");
    return mn_float(-log(1.0 - r) / lambd);
}

static double py_fmod(double x, double y)
{
    double m = fmod(x, y);
    if (m != 0.0) {
        if ((y < 0) != (m < 0))
            m += y;
    } else {
        m = copysign(0.0, y);
    }
    return m;
}

static Value r_vonmisesvariate(Value *args, int nargs, Value kwargs)
{
    double mu, kappa, u1, u2, u3, z;
    if (two_doubles("vonmisesvariate", args, nargs, kwargs, "mu,kappa", 0, 0, &mu, &kappa) < 0)
        return MN_ERR;
    Value self = args[0];
    if (kappa <= 1e-6) {
        if (next_random(self, &u1) < 0)
            return MN_ERR;
        return mn_float(TWOPI * u1);
    }
    double s = 0.5 / kappa;
    double r = s + sqrt(1.0 + s * s);
    for (;;) {
        if (next_random(self, &u1) < 0)
            return MN_ERR;
        z = cos(M_PI * u1);
        double d = z / (r + z);
        if (next_random(self, &u2) < 0)
            return MN_ERR;
        if (u2 < 1.0 - d * d || u2 <= (1.0 - d) * exp(d))
            break;
    }
    double q = 1.0 / r;
    double f = (q + z) / (1.0 + q * z);
    if (next_random(self, &u3) < 0)
        return MN_ERR;
    if (u3 > 0.5)
        return mn_float(py_fmod(mu + acos(f), TWOPI));
    return mn_float(py_fmod(mu - acos(f), TWOPI));
}

static int gammavariate(Value self, double alpha, double beta, double *out)
{
    if (alpha <= 0.0 || beta <= 0.0) {
        mn_raise(&ValueErrorType, "gammavariate: alpha and beta must be > 0.0");
        return -1;
    }
    double u, u1, u2;
    if (alpha > 1.0) {
        const double LOG4 = log(4.0), SG_MAGICCONST = 1.0 + log(4.5);
        double ainv = sqrt(2.0 * alpha - 1.0);
        double bbb = alpha - LOG4;
        double ccc = alpha + ainv;
        for (;;) {
            if (next_random(self, &u1) < 0)
                return -1;
            if (!(1e-7 < u1 && u1 < 0.9999999))
                continue;
            if (next_random(self, &u2) < 0)
                return -1;
            u2 = 1.0 - u2;
            double v = log(u1 / (1.0 - u1)) / ainv;
            double x = alpha * exp(v);
            double z = u1 * u1 * u2;
            double r = bbb + ccc * v - x;
            if (r + SG_MAGICCONST - 4.5 * z >= 0.0 || r >= log(z)) {
                *out = x * beta;
                return 0;
            }
        }
    }
    if (alpha == 1.0) {
        if (next_random(self, &u) < 0)
            return -1;
        *out = -log(1.0 - u) * beta;
        return 0;
    }
    double x;
    for (;;) {
        if (next_random(self, &u) < 0)
            return -1;
        double b = (M_E + alpha) / M_E;
        double p = b * u;
        if (p <= 1.0)
            x = pow(p, 1.0 / alpha);
        else
            x = -log((b - p) / alpha);
        if (next_random(self, &u1) < 0)
            return -1;
        if (p > 1.0) {
            if (u1 <= pow(x, alpha - 1.0))
                break;
        } else if (u1 <= exp(-x)) {
            break;
        }
    }
    *out = x * beta;
    return 0;
}

static Value r_gammavariate(Value *args, int nargs, Value kwargs)
{
    double alpha, beta, r;
    if (two_doubles("gammavariate", args, nargs, kwargs, "alpha,beta", 0, 0, &alpha, &beta) < 0
        || gammavariate(args[0], alpha, beta, &r) < 0)
        return MN_ERR;
    return mn_float(r);
}

static Value r_betavariate(Value *args, int nargs, Value kwargs)
{
    double alpha, beta, y, y2;
    if (two_doubles("betavariate", args, nargs, kwargs, "alpha,beta", 0, 0, &alpha, &beta) < 0
        || gammavariate(args[0], alpha, 1.0, &y) < 0)
        return MN_ERR;
    if (y == 0.0)
        return mn_float(0.0);
    if (gammavariate(args[0], beta, 1.0, &y2) < 0)
        return MN_ERR;
    return mn_float(y / (y + y2));
}

static Value r_paretovariate(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    double alpha, u;
    if (mn_argparse("paretovariate", args + 1, nargs - 1, kwargs, "alpha", a) < 0
        || arg_double(a[0], &alpha) < 0 || next_random(args[0], &u) < 0)
        return MN_ERR;
    if (alpha == 0.0)
        return mn_raise(&ZeroDivisionErrorType, "float division by zero");
    return mn_float(pow(1.0 - u, -1.0 / alpha));
}

static Value r_weibullvariate(Value *args, int nargs, Value kwargs)
{
    double alpha, beta, u;
    if (two_doubles("weibullvariate", args, nargs, kwargs, "alpha,beta", 0, 0, &alpha, &beta) < 0
        || next_random(args[0], &u) < 0)
        return MN_ERR;
    if (beta == 0.0)
        return mn_raise(&ZeroDivisionErrorType, "float division by zero");
    return mn_float(alpha * pow(-log(1.0 - u), 1.0 / beta));
}

static Value r_getstate(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getstate", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    RandomObject *r = R(args[0]);
    Value st = mn_tuple_new(MN_MT_N + 1);
    for (int i = 0; i < MN_MT_N; i++)
        mn_tuple_items(st)[i] = mn_int(r->mt.mt[i]);
    mn_tuple_items(st)[MN_MT_N] = mn_int(r->mt.index);
    return mn_tuple_pack(3, mn_int(3), st, r->has_gauss ? mn_float(r->gauss_next) : mn_None);
}

static Value r_setstate(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setstate", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    RandomObject *r = R(args[0]);
    Value state = args[1];
    if (!mn_isinstance_t(state, &TupleType) || mn_tuple_len(state) < 1)
        return mn_raise(&TypeErrorType, "state vector must be a tuple");
    if (mn_tuple_items(state)[0] != mn_int(3) || mn_tuple_len(state) != 3) {
        Value vr = mn_repr(mn_tuple_items(state)[0]);
        if (!vr)
            return MN_ERR;
        return mn_raise(&ValueErrorType, "state with version %s passed to "
                        "Random.setstate() of version 3", mn_cstr(vr));
    }
    Value inner = mn_tuple_items(state)[1], g = mn_tuple_items(state)[2];
    if (!mn_isinstance_t(inner, &TupleType))
        return mn_raise(&TypeErrorType, "state vector must be a tuple");
    if (mn_tuple_len(inner) != MN_MT_N + 1)
        return mn_raise(&ValueErrorType, "state vector is the wrong size");
    MnMT tmp;
    for (int i = 0; i <= MN_MT_N; i++) {
        int64_t w;
        if (mn_as_i64(mn_tuple_items(inner)[i], &w) < 0)
            return MN_ERR;
        if (i < MN_MT_N) {
            tmp.mt[i] = (uint32_t)w;
        } else {
            if (w < 0 || w > MN_MT_N)
                return mn_raise(&ValueErrorType, "invalid state");
            tmp.index = (int)w;
        }
    }
    double gn = 0;
    if (g != mn_None && arg_double(g, &gn) < 0)
        return MN_ERR;
    r->mt = tmp;
    r->has_gauss = g != mn_None;
    r->gauss_next = gn;
    return mn_None;
}

static MethodDef random_methods[] = {
    {"seed", r_seed, 0, "seed(a=None, version=2)"},
    {"random", r_random, 0, "random() -> x in the interval [0, 1)."},
    {"getrandbits", r_getrandbits, 0, "getrandbits(k) -> x.  Generates an int with k random bits."},
    {"randbytes", r_randbytes, 0, "Generate n random bytes."},
    {"randrange", r_randrange, 0, "Choose a random item from range(stop) or range(start, stop[, step])."},
    {"randint", r_randint, 0, "Return random integer in range [a, b], including both end points."},
    {"choice", r_choice, 0, "Choose a random element from a non-empty sequence."},
    {"shuffle", r_shuffle, 0, "Shuffle list x in place, and return None."},
    {"sample", r_sample, 0, "Chooses k unique random elements from a population sequence."},
    {"choices", r_choices, 0, "Return a k sized list of population elements chosen with replacement."},
    {"uniform", r_uniform, 0, "Get a random number in the range [a, b) or [a, b]."},
    {"triangular", r_triangular, 0, "Triangular distribution."},
    {"gauss", r_gauss, 0, "Gaussian distribution."},
    {"normalvariate", r_normalvariate, 0, "Normal distribution."},
    {"lognormvariate", r_lognormvariate, 0, "Log normal distribution."},
    {"expovariate", r_expovariate, 0, "Exponential distribution."},
    {"vonmisesvariate", r_vonmisesvariate, 0, "Circular data distribution."},
    {"gammavariate", r_gammavariate, 0, "Gamma distribution."},
    {"betavariate", r_betavariate, 0, "Beta distribution."},
    {"paretovariate", r_paretovariate, 0, "Pareto distribution."},
    {"weibullvariate", r_weibullvariate, 0, "Weibull distribution."},
    {"getstate", r_getstate, 0, "Return internal state; can be passed to setstate() later."},
    {"setstate", r_setstate, 0, "Restore internal state from object returned by getstate()."},
    {NULL, NULL, 0, NULL},
};

static Type RandomType = {
    .hdr = {&TypeType},
    .name = "Random",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(RandomObject),
    .methods = random_methods,
    .new = random_new,
    .init = random_init,
};

Value mn_module_random_init(void)
{
    if (!(RandomType.flags & TF_READY)) {
        RandomType.module = mn_intern("random");
        if (mn_type_ready(&RandomType) < 0)
            return MN_ERR;
    }
    Value mod = mn_module_new(mn_intern("random"));
    mn_module_add(mod, "Random", mn_val(&RandomType));
    Value inst = random_new(&RandomType, NULL, 0, 0);
    if (!inst)
        return MN_ERR;
    /* Module-level functions are the hidden instance's bound methods. */
    for (const MethodDef *d = random_methods; d->name; d++)
        mn_module_add(mod, d->name, mn_native_new(d->name, d->fn, inst));
    mn_module_add(mod, "_inst", inst);
    return mod;
}
