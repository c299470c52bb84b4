/* Scalar elementary functions written to vectorise: plain arithmetic,
 * bit tricks through memcpy, and selects between values already computed,
 * no libm calls and no branches. A loop that applies them to an array is
 * turned into SIMD code by the auto-vectoriser (GCC, -O3); NNF_WIDE adds
 * AVX2 and AVX-512 clones of such a loop on x86-64 Linux with GCC, picked
 * at load time. The polynomials and reductions use explicit fused
 * multiply-adds (NNF_FMA_F / NNF_FMA_D, below) and nothing is contracted
 * implicitly (-std=c11), so every clone gives the same bits. Suffix _f:
 * float, _d: double. Used by _softmax.h, _pointwise.h, _criterion.h and
 * _norm.h.
 *
 * exp on (-inf, 0]: range reduction x = n ln2 + r, |r| <= ln2/2, with n
 * from the round-to-nearest "add 1.5 * 2^k" trick; exp(r) by a polynomial;
 * 2^n built in the exponent bits. Inputs below the normal range (and -inf)
 * give 0 (no subnormal results: the absolute error is below the smallest
 * normal number); NaN gives NaN. Relative error about 1 ulp.
 *
 * expm1 on (-inf, 0]: the same reduction, expm1(x) = 2^n expm1(r) + (2^n - 1)
 * with expm1(r) = r + r^2 q(r), accurate relative to the result near 0.
 * tanh(x) = -sign(x) e / (2 + e), e = expm1(-2|x|): a few ulp everywhere,
 * including near 0 (no 1 - exp cancellation). sigmoid(x) = 1 / (1 + e) for
 * x >= 0, e / (1 + e) for x < 0, e = exp(-|x|). log1p on [0, 1] (for
 * softplus and logsigmoid): log(1 + u) = k ln2 + 2 atanh(f) plus the
 * rounding error of 1 + u.
 */
#ifndef NNFUNC_VMATH_H
#define NNFUNC_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__x86_64__) \
    && defined(__GLIBC__) && !defined(NNF_NO_CLONES)
#define NNF_WIDE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define NNF_CLONES 1
#else
#define NNF_WIDE
#endif

/* a * b + c rounded once. With the clones, the AVX2 and AVX-512 clones use
 * the FMA instruction and the baseline clone (x86-64 CPUs without FMA, made
 * before 2013) calls libm's fma, which also rounds once: the same bits on
 * every CPU, the baseline slowly. So these may be used only in code that the
 * clones compile (NNF_WIDE loops and what they inline). Without clones: the
 * instruction where the target has one at compile time, else a * b + c
 * rounded twice (bits may then differ from the clone builds in the last
 * place). NNF_FMA_ALWAYS (tests) builds the baseline clone's arithmetic
 * without clones. */
/* The functions below are always inlined, so that they compile for the
 * target of the loop that calls them (an out-of-line copy would be the
 * baseline one, with libm's fma). */
#if defined(__GNUC__)
#define NNF_VINLINE static inline __attribute__((always_inline))
#else
#define NNF_VINLINE static inline
#endif

#if defined(NNF_CLONES) || defined(NNF_FMA_ALWAYS) || defined(__FMA__) \
    || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define NNF_FMA_F(a, b, c) __builtin_fmaf((a), (b), (c))
#define NNF_FMA_D(a, b, c) __builtin_fma((a), (b), (c))
#else
#define NNF_FMA_F(a, b, c) ((a) * (b) + (c))
#define NNF_FMA_D(a, b, c) ((a) * (b) + (c))
#endif

/* ---- scalar exp ------------------------------------------------------ */

NNF_VINLINE double nnf_exp_neg_d(double x) {
    const double shift = 6755399441055744.0;            /* 1.5 * 2^52 */
    double t = NNF_FMA_D(x, 1.4426950408889634, shift);
    double n = t - shift;                                /* round(x / ln2) */
    /* ln2 split in two, n ln2 subtracted by fused steps */
    double r = NNF_FMA_D(n, -1.90821492927058770002e-10, NNF_FMA_D(n, -6.93147180369123816490e-01, x));
    /* Taylor series to degree 13: remainder < 5e-18 on |r| <= ln2/2 */
    double p = 1.0 / 6227020800.0;
    p = NNF_FMA_D(p, r, 1.0 / 479001600.0);
    p = NNF_FMA_D(p, r, 1.0 / 39916800.0);
    p = NNF_FMA_D(p, r, 1.0 / 3628800.0);
    p = NNF_FMA_D(p, r, 1.0 / 362880.0);
    p = NNF_FMA_D(p, r, 1.0 / 40320.0);
    p = NNF_FMA_D(p, r, 1.0 / 5040.0);
    p = NNF_FMA_D(p, r, 1.0 / 720.0);
    p = NNF_FMA_D(p, r, 1.0 / 120.0);
    p = NNF_FMA_D(p, r, 1.0 / 24.0);
    p = NNF_FMA_D(p, r, 1.0 / 6.0);
    p = NNF_FMA_D(p, r, 0.5);
    p = NNF_FMA_D(p, r, 1.0);
    p = NNF_FMA_D(p, r, 1.0);
    /* the low bits of t hold n (two's complement): n + 1023 -> exponent */
    uint64_t u, keep;
    double s;
    memcpy(&u, &t, 8);
    u = (u + 1023u) << 52;
    memcpy(&s, &u, 8);
    p = p * s;
    /* x < -708 (and -inf): 0, by an integer mask (a float select after the
       arithmetic would stop gcc's if-conversion under -ftrapping-math);
       NaN compares false and stays NaN */
    keep = -(uint64_t)!(x < -708.0);
    memcpy(&u, &p, 8);
    u &= keep;
    memcpy(&p, &u, 8);
    return p;
}

NNF_VINLINE float nnf_exp_neg_f(float x) {
    const float shift = 12582912.0f;                      /* 1.5 * 2^23 */
    float t = NNF_FMA_F(x, 1.44269504088896341f, shift);
    float n = t - shift;
    float r = NNF_FMA_F(n, 2.12194440e-4f, NNF_FMA_F(n, -0.693359375f, x));
    /* Cephes expf minimax polynomial on |r| <= ln2/2 */
    float p = 1.9875691500e-4f;
    p = NNF_FMA_F(p, r, 1.3981999507e-3f);
    p = NNF_FMA_F(p, r, 8.3334519073e-3f);
    p = NNF_FMA_F(p, r, 4.1665795894e-2f);
    p = NNF_FMA_F(p, r, 1.6666665459e-1f);
    p = NNF_FMA_F(p, r, 5.0000001201e-1f);
    p = NNF_FMA_F(p, r * r, r) + 1.0f;
    uint32_t u, keep;
    float s;
    memcpy(&u, &t, 4);
    u = (u + 127u) << 23;
    memcpy(&s, &u, 4);
    p = p * s;
    keep = -(uint32_t)!(x < -87.0f);
    memcpy(&u, &p, 4);
    u &= keep;
    memcpy(&p, &u, 4);
    return p;
}

/* ---- expm1 on (-inf, 0] ------------------------------------------------ */

NNF_VINLINE double nnf_expm1_neg_d(double x) {
    x = x < -40.0 ? -40.0 : x;       /* expm1(-40) rounds to -1; NaN stays */
    const double shift = 6755399441055744.0;
    double t = NNF_FMA_D(x, 1.4426950408889634, shift);
    double n = t - shift;
    double r = NNF_FMA_D(n, -1.90821492927058770002e-10, NNF_FMA_D(n, -6.93147180369123816490e-01, x));
    /* expm1(r) = r + r^2 (1/2! + r/3! + ... + r^12/14!) */
    double q = 1.0 / 87178291200.0;
    q = NNF_FMA_D(q, r, 1.0 / 6227020800.0);
    q = NNF_FMA_D(q, r, 1.0 / 479001600.0);
    q = NNF_FMA_D(q, r, 1.0 / 39916800.0);
    q = NNF_FMA_D(q, r, 1.0 / 3628800.0);
    q = NNF_FMA_D(q, r, 1.0 / 362880.0);
    q = NNF_FMA_D(q, r, 1.0 / 40320.0);
    q = NNF_FMA_D(q, r, 1.0 / 5040.0);
    q = NNF_FMA_D(q, r, 1.0 / 720.0);
    q = NNF_FMA_D(q, r, 1.0 / 120.0);
    q = NNF_FMA_D(q, r, 1.0 / 24.0);
    q = NNF_FMA_D(q, r, 1.0 / 6.0);
    q = NNF_FMA_D(q, r, 0.5);
    double p = NNF_FMA_D(q, r * r, r);
    uint64_t u;
    double s;
    memcpy(&u, &t, 8);
    u = (u + 1023u) << 52;
    memcpy(&s, &u, 8);
    return NNF_FMA_D(s, p, s - 1.0);
}

NNF_VINLINE float nnf_expm1_neg_f(float x) {
    x = x < -20.0f ? -20.0f : x;     /* expm1f(-20) rounds to -1 */
    const float shift = 12582912.0f;
    float t = NNF_FMA_F(x, 1.44269504088896341f, shift);
    float n = t - shift;
    float r = NNF_FMA_F(n, 2.12194440e-4f, NNF_FMA_F(n, -0.693359375f, x));
    float q = 1.0f / 40320.0f;
    q = NNF_FMA_F(q, r, 1.0f / 5040.0f);
    q = NNF_FMA_F(q, r, 1.0f / 720.0f);
    q = NNF_FMA_F(q, r, 1.0f / 120.0f);
    q = NNF_FMA_F(q, r, 1.0f / 24.0f);
    q = NNF_FMA_F(q, r, 1.0f / 6.0f);
    q = NNF_FMA_F(q, r, 0.5f);
    float p = NNF_FMA_F(q, r * r, r);
    uint32_t u;
    float s;
    memcpy(&u, &t, 4);
    u = (u + 127u) << 23;
    memcpy(&s, &u, 4);
    return NNF_FMA_F(s, p, s - 1.0f);
}

/* ---- tanh, sigmoid ----------------------------------------------------- */

NNF_VINLINE double nnf_abs_d(double x) { return __builtin_fabs(x); }
NNF_VINLINE float nnf_abs_f(float x) { return __builtin_fabsf(x); }

NNF_VINLINE double nnf_tanh_d(double x) {
    double e = nnf_expm1_neg_d(-2.0 * nnf_abs_d(x));
    return __builtin_copysign(-e / (2.0 + e), x);
}

NNF_VINLINE float nnf_tanh_f(float x) {
    float e = nnf_expm1_neg_f(-2.0f * nnf_abs_f(x));
    return __builtin_copysignf(-e / (2.0f + e), x);
}

NNF_VINLINE double nnf_sigmoid_d(double x) {
    double e = nnf_exp_neg_d(-nnf_abs_d(x));
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

NNF_VINLINE float nnf_sigmoid_f(float x) {
    float e = nnf_exp_neg_f(-nnf_abs_f(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

/* ---- log1p on [0, 1] --------------------------------------------------- */

NNF_VINLINE double nnf_log1p01_d(double u) {
    double w = 1.0 + u;
    double c = (u - (w - 1.0)) / w;             /* the rounding error of w */
    int big = w > 1.4142135623730951;
    double m = big ? 0.5 * w : w;               /* [1/sqrt2, sqrt2] */
    double k = big ? 1.0 : 0.0;
    double f = (m - 1.0) / (m + 1.0);           /* |f| <= 0.1716 */
    double f2 = f * f;
    /* log(m) = 2 atanh(f) = 2f + 2f f2 (1/3 + f2/5 + ... + f2^9/21) */
    double q = 1.0 / 21.0;
    q = NNF_FMA_D(q, f2, 1.0 / 19.0);
    q = NNF_FMA_D(q, f2, 1.0 / 17.0);
    q = NNF_FMA_D(q, f2, 1.0 / 15.0);
    q = NNF_FMA_D(q, f2, 1.0 / 13.0);
    q = NNF_FMA_D(q, f2, 1.0 / 11.0);
    q = NNF_FMA_D(q, f2, 1.0 / 9.0);
    q = NNF_FMA_D(q, f2, 1.0 / 7.0);
    q = NNF_FMA_D(q, f2, 1.0 / 5.0);
    q = NNF_FMA_D(q, f2, 1.0 / 3.0);
    double f_2 = 2.0 * f;
    return k * 6.93147180369123816490e-01
           + (f_2 + (f_2 * f2 * q + (c + k * 1.90821492927058770002e-10)));
}

NNF_VINLINE float nnf_log1p01_f(float u) {
    float w = 1.0f + u;
    float c = (u - (w - 1.0f)) / w;
    int big = w > 1.41421356f;
    float m = big ? 0.5f * w : w;
    float k = big ? 1.0f : 0.0f;
    float f = (m - 1.0f) / (m + 1.0f);
    float f2 = f * f;
    float q = 1.0f / 11.0f;
    q = NNF_FMA_F(q, f2, 1.0f / 9.0f);
    q = NNF_FMA_F(q, f2, 1.0f / 7.0f);
    q = NNF_FMA_F(q, f2, 1.0f / 5.0f);
    q = NNF_FMA_F(q, f2, 1.0f / 3.0f);
    float f_2 = 2.0f * f;
    return k * 0.693359375f + (f_2 + (f_2 * f2 * q + (c + k * -2.12194440e-4f)));
}

/* log(1 + exp(z)) for any z (softplus), without overflow */
NNF_VINLINE double nnf_softplus_d(double z) {
    return (z > 0.0 ? z : 0.0) + nnf_log1p01_d(nnf_exp_neg_d(-nnf_abs_d(z)));
}

NNF_VINLINE float nnf_softplus_f(float z) {
    return (z > 0.0f ? z : 0.0f) + nnf_log1p01_f(nnf_exp_neg_f(-nnf_abs_f(z)));
}

/* ---- log, exp on the whole line, pow ----------------------------------- */

/* log(1 + f) = 2 atanh(s), s = f / (2 + f), for f in [sqrt(1/2) - 1,
 * sqrt(2) - 1]: fdlibm e_log.c's polynomial (|error| < 2^-58) */
NNF_VINLINE double nnf_log1p_core(double f) {
    double s, z, w, t1, t2, r, hfsq;
    s = f / (2.0 + f);
    z = s * s;
    w = z * z;
    t1 = w * NNF_FMA_D(w, NNF_FMA_D(w, 1.531383769920937332e-01, 2.222219843214978396e-01),
                       3.999999999940941908e-01);
    t2 = z * NNF_FMA_D(w, NNF_FMA_D(w, NNF_FMA_D(w, 1.479819860511658591e-01,
                                                 1.818357216161805012e-01),
                                    2.857142874366239149e-01),
                       6.666666666666735130e-01);
    r = t2 + t1;
    hfsq = 0.5 * f * f;
    return f - NNF_FMA_D(-s, hfsq + r, hfsq);
}

/* log(x) for positive normal finite x: x = 2^k m, m in [sqrt(1/2), sqrt(2)) */
NNF_VINLINE double nnf_log_normal_d(double x) {
    uint64_t u, eb, mb;
    double e, m, k;
    int big;
    memcpy(&u, &x, 8);
    eb = (u >> 52) | 0x4330000000000000ull;           /* 2^52 + biased exponent */
    memcpy(&e, &eb, 8);
    mb = (u & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    memcpy(&m, &mb, 8);                               /* [1, 2) */
    big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;                            /* exact */
    k = (e - 4503599627371519.0) + (big ? 1.0 : 0.0); /* 2^52 + 1023 */
    /* m - 1 is exact; k ln2 in two parts (fdlibm's ln2_hi: k * hi is exact) */
    return (k * 6.93147180369123816490e-01
            + (nnf_log1p_core(m - 1.0) + k * 1.90821492927058770002e-10));
}

/* log(x) for every double, as libm: subnormals are scaled by 2^54 first;
 * log(0) = -inf, log(inf) = inf, NaN for x < 0 and NaN. Max error
 * measured against glibc: see the README of the kernels (about 1 ulp). */
NNF_VINLINE double nnf_log_d(double x) {
    int sub = x < 2.2250738585072014e-308;
    double r = nnf_log_normal_d(sub ? x * 18014398509481984.0 : x)  /* 2^54 */
               - (sub ? 37.42994775023704 : 0.0);                    /* 54 ln2 */
    r = x == 0.0 ? -__builtin_inf() : r;
    r = x >= 0.0 ? r : __builtin_nan("");
    return x == __builtin_inf() ? x : r;
}

/* log(x) in float arithmetic, as libm's logf (fdlibm e_logf.c's polynomial
 * on the same reduction); subnormals scaled by 2^25 */
NNF_VINLINE float nnf_log_f(float x) {
    int sub = x < 1.17549435e-38f;
    float xs = sub ? x * 33554432.0f : x;                              /* 2^25 */
    uint32_t u, mb;
    memcpy(&u, &xs, 4);
    /* shift so that the mantissa lands in [sqrt(1/2), sqrt(2)) */
    u += 0x3f800000u - 0x3f3504f3u;
    float k = (float)((int32_t)(u >> 23) - 127) - (sub ? 25.0f : 0.0f);
    mb = (u & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &mb, 4);
    float f = m - 1.0f;                                /* exact */
    float s = f / (2.0f + f);
    float z = s * s, w = z * z;
    float t1 = w * (0.40000972152f + w * 0.24279078841f);
    float t2 = z * (0.66666662693f + w * 0.28498786688f);
    float hfsq = 0.5f * f * f;
    float r = s * (hfsq + (t2 + t1)) + k * 9.0580006145e-06f - hfsq + f
              + k * 6.9313812256e-01f;
    r = x == 0.0f ? -__builtin_inff() : r;
    r = x >= 0.0f ? r : __builtin_nanf("");
    return x == __builtin_inff() ? x : r;
}

/* exp(t) for a float result, in double: t clamped to [-200, 200] (beyond,
 * the float result is 0 or inf either way), one reduction t = n ln2 + r and
 * a degree-10 Taylor polynomial (relative error below 1e-12, no division);
 * 2^n (|n| <= 289) built in the exponent bits. NaN stays NaN. */
NNF_VINLINE double nnf_exp_for_f(double t) {
    t = t < -200.0 ? -200.0 : t;
    t = t > 200.0 ? 200.0 : t;
    const double shift = 6755399441055744.0;            /* 1.5 * 2^52 */
    double v = NNF_FMA_D(t, 1.4426950408889634, shift);
    double n = v - shift;
    double r = NNF_FMA_D(n, -1.90821492927058770002e-10, NNF_FMA_D(n, -6.93147180369123816490e-01, t));
    double p = 1.0 / 3628800.0;
    p = NNF_FMA_D(p, r, 1.0 / 362880.0);
    p = NNF_FMA_D(p, r, 1.0 / 40320.0);
    p = NNF_FMA_D(p, r, 1.0 / 5040.0);
    p = NNF_FMA_D(p, r, 1.0 / 720.0);
    p = NNF_FMA_D(p, r, 1.0 / 120.0);
    p = NNF_FMA_D(p, r, 1.0 / 24.0);
    p = NNF_FMA_D(p, r, 1.0 / 6.0);
    p = NNF_FMA_D(p, r, 0.5);
    p = NNF_FMA_D(p, r, 1.0);
    p = NNF_FMA_D(p, r, 1.0);
    uint64_t u;
    double sc;
    memcpy(&u, &v, 8);
    u = (u + 1023u) << 52;
    memcpy(&sc, &u, 8);
    return p * sc;
}

/* powf(x, a) computed in double as exp(a log|x|), rounded to float (within
 * 0.5 ulp of the exact power plus about 1e-4 ulp, measured: see the kernels'
 * README); `mode` describes a and must match it: 0 a not an integer, 1 an
 * even integer, -1 an odd integer, each finite and not 0 or 1 (those go to
 * libm). Signs and special cases follow C's pow: a negative finite x gives
 * NaN unless a is an integer (odd a keeps the sign); +-0 and +-inf go
 * through log = -inf / inf. */
NNF_VINLINE float nnf_pow_f(float x, float a, float mode) {
    double ax = __builtin_fabs((double)x);
    float y = (float)nnf_exp_for_f((double)a * nnf_log_d(ax));
    y = (mode < 0.0f) ? __builtin_copysignf(y, x) : y;
    return (mode == 0.0f && x < 0.0f && x > -__builtin_inff()) ? __builtin_nanf("") : y;
}

/* powf(x, a) for a half-integer or integer exponent, a = k / 2 with
 * 0 < |a| <= 15.5, without exp or log: in double, |x|^floor(|a|) by binary
 * powering (|x|^2 is exact for a float x), times sqrt(|x|) when a is not an
 * integer, the reciprocal when a < 0. At most about ten roundings of 2^-53
 * before the rounding to float, so within 0.5 ulp + 1e-7 ulp of the exact
 * power. Overflow and underflow in double happen only where the float result
 * is inf or 0 anyway (|x|^15.5 of a float fits a double's exponent range
 * whenever the float result does, and every partial product lies between 1
 * and the final one). `mode` and the special cases as nnf_pow_f. The bit
 * tests depend on a only (hoisted out of a loop). */
NNF_VINLINE float nnf_pow_half_f(float x, float a, float mode) {
    double ax = __builtin_fabs((double)x);
    double e = __builtin_fabs((double)a);
    int b3 = e >= 8.0;
    e -= b3 ? 8.0 : 0.0;
    int b2 = e >= 4.0;
    e -= b2 ? 4.0 : 0.0;
    int b1 = e >= 2.0;
    e -= b1 ? 2.0 : 0.0;
    int b0 = e >= 1.0;
    e -= b0 ? 1.0 : 0.0;
    int half = e > 0.0;
    double s2 = ax * ax, s4 = s2 * s2, s8 = s4 * s4;
    double r = b0 ? ax : 1.0;
    r = b1 ? r * s2 : r;
    r = b2 ? r * s4 : r;
    r = b3 ? r * s8 : r;
    r = half ? r * __builtin_sqrt(ax) : r;
    r = a < 0.0f ? 1.0 / r : r;
    float y = (float)r;
    y = (mode < 0.0f) ? __builtin_copysignf(y, x) : y;
    return (mode == 0.0f && x < 0.0f && x > -__builtin_inff()) ? __builtin_nanf("") : y;
}

#endif /* NNFUNC_VMATH_H */
