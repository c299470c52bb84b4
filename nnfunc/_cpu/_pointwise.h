/* Pointwise (elementwise) kernels of the transfer functions, one line each.
 *
 * NNF_OPS lists every op as X(name, forward, backward): two C expressions
 * of the same type as the data, `real` (float or double). The forward
 * sees `x` (the input element) and the options `a`, `b`; the backward also
 * sees `g` (the gradOutput element) and gives the gradInput element,
 * recomputed from x (pure: nothing is saved between the two). Helpers
 * usable in the expressions: ABS, TANH, SIGMOID, EXPN (exp on (-inf, 0]),
 * EXPM1N (expm1 on (-inf, 0]), SOFTPLUS (log(1 + exp(z))), LOG, POW, all
 * from _vmath.h, picked by type with _Generic. Constants are written as
 * integers or cast with (real) so float code stays in float.
 *
 * Each op expands into four loops, nnf_<name>_{fwd,bwd}_{f,d}, and into
 * the tables nnf_fwd_f[op] ... that pointwise.pyx dispatches through.
 * Every loop reads its inputs unconditionally and ends in selects between
 * values already computed, so the auto-vectoriser turns it into SIMD code
 * (the extension is compiled with -fno-trapping-math: without it GCC
 * refuses to if-convert some of the selects in the baseline clone);
 * NNF_WIDE adds AVX2 / AVX-512 clones. Adding an op is adding a line to
 * NNF_OPS (and its Elementwise subclass naming it).
 */
#ifndef NNFUNC_POINTWISE_H
#define NNFUNC_POINTWISE_H

#include <math.h>

#include "_vmath.h"

#define NNF_G1(name, v) _Generic((v), float: nnf_##name##_f, double: nnf_##name##_d)(v)
#define ABS(v) NNF_G1(abs, v)
#define TANH(v) NNF_G1(tanh, v)
#define SIGMOID(v) NNF_G1(sigmoid, v)
#define EXPN(v) NNF_G1(exp_neg, v)
#define EXPM1N(v) NNF_G1(expm1_neg, v)
#define SOFTPLUS(v) NNF_G1(softplus, v)
/* min(v, 0) with NaN kept (EXPN / EXPM1N take only non-positive input) */
#define NONPOS(v) ((v) > 0 ? 0 : (v))
/* exp on the whole line from EXPN: for v > 0, (1 / h) / h with h = exp(-v/2)
   (h stays a normal number wherever exp(v) is finite; overflow -> inf) */
#define EXPH(v) EXPN(NONPOS(-(v) / 2))
#define EXPF(v) ((v) > 0 ? (1 / EXPH(v)) / EXPH(v) : EXPN(NONPOS(v)))
/* log from _vmath.h (vectorised, libm's special values); sqrt by type (the
   instruction under -fno-math-errno) */
#define LOG(v) NNF_G1(log, v)
#define NNF_LIBM1(fn, v) _Generic((v), float: fn##f, double: fn)(v)
#define SQRT(v) NNF_LIBM1(sqrt, v)
/* x ** p, p with the mode m (see nnf_pow_f; power.py computes it): float
   data through nnf_pow_f (vectorised, in double); double data through libm's
   pow (exp(p log x) in double would lose up to |p log x| ulp). POWL: libm by
   type, for the exponents nnf_pow_f does not take (op power_libm). POWH:
   float data through nnf_pow_half_f (binary powering and sqrt, op
   power_half), double data through libm. */
static inline double nnf_pow_libm_d(double x, double p, double m) {
    (void)m;
    return pow(x, p);
}
#define POW(v, p, m) _Generic((v), float: nnf_pow_f, double: nnf_pow_libm_d)(v, p, m)
#define POWL(v, p) _Generic((v), float: powf, double: pow)(v, p)
#define POWH(v, p, m) _Generic((v), float: nnf_pow_half_f, double: nnf_pow_libm_d)(v, p, m)

/* X(name, forward(x, a, b), backward(x, g, a, b)) */
#define NNF_OPS(X)                                                            \
    /* y = x if x > a else b (Threshold a=th b=v; ReLU a=b=0) */              \
    X(threshold, x > a ? x : b, x > a ? g : 0)                                \
    X(tanh, TANH(x), g * (1 - TANH(x) * TANH(x)))                             \
    X(sigmoid, SIGMOID(x), g * SIGMOID(x) * (1 - SIGMOID(x)))                 \
    /* clamp to [a, b], NaN kept; gradient only strictly inside */            \
    X(hardtanh, x < a ? a : (x > b ? b : x), ((x > a) & (x < b)) ? g : 0)     \
    X(leaky_relu, x > 0 ? x : a * x, x > 0 ? g : a * g)                       \
    X(elu, x > 0 ? x : a * EXPM1N(NONPOS(x)), x > 0 ? g : g * a * EXPN(NONPOS(x))) \
    /* a = beta, b = threshold: x where beta x > threshold */                 \
    X(softplus, a * x > b ? x : SOFTPLUS(a * x) / a,                          \
      a * x > b ? g : g * SIGMOID(a * x))                                     \
    X(log_sigmoid, -SOFTPLUS(-x), g * SIGMOID(-x))                            \
    X(softsign, x / (1 + ABS(x)), g / ((1 + ABS(x)) * (1 + ABS(x))))          \
    X(tanhshrink, x - TANH(x), g * TANH(x) * TANH(x))                         \
    /* x where |x| > a (NaN kept), else 0 */                                  \
    X(hardshrink, ((x >= -a) & (x <= a)) ? 0 : x,                             \
      ((x >= -a) & (x <= a)) ? 0 : g)                                         \
    X(softshrink, x > a ? x - a : (x < -a ? x + a : 0),                       \
      ((x > a) | (x < -a)) ? g : 0)                                           \
    /* elementwise math: a = the constant, or the exponent of Power */        \
    X(absval, ABS(x), x >= 0 ? g : -g)                                        \
    X(add_constant, x + a, g)                                                 \
    X(mul_constant, x * a, g * a)                                             \
    X(exp, EXPF(x), g * EXPF(x))                                              \
    X(log, LOG(x), g / x)                                                     \
    /* Torch7: zero gradient where sqrt(x) == 0 */                            \
    X(sqrt, SQRT(x), SQRT(x) == 0 ? 0 : g / (2 * SQRT(x)))                    \
    X(square, x * x, 2 * x * g)                                               \
    /* b: the mode of the exponent a (power.py; the mode of a - 1 is -b) */ \
    X(power, POW(x, a, b), g * a * POW(x, a - 1, -b))                        \
    /* a and a - 1 both multiples of 1/2 in [-15.5, 15.5], a not 0 or 1 */   \
    X(power_half, POWH(x, a, b), g * a * POWH(x, a - 1, -b))                  \
    X(power_libm, POWL(x, a), a == 0 ? 0 : g * a * POWL(x, a - 1))

#define NNF_LOOPS(name, T, S, FWD, BWD)                                       \
NNF_WIDE static void nnf_##name##_fwd_##S(const T* restrict xp, T* restrict yp, \
                                          ptrdiff_t n, T a, T b) {            \
    typedef T real;                                                           \
    for (ptrdiff_t i = 0; i < n; i++) {                                       \
        const real x = xp[i];                                                 \
        yp[i] = (real)(FWD);                                                  \
    }                                                                         \
}                                                                             \
NNF_WIDE static void nnf_##name##_bwd_##S(const T* restrict xp,               \
                                          const T* restrict gp,               \
                                          T* restrict op, ptrdiff_t n,        \
                                          T a, T b) {                         \
    typedef T real;                                                           \
    for (ptrdiff_t i = 0; i < n; i++) {                                       \
        const real x = xp[i];                                                 \
        const real g = gp[i];                                                 \
        op[i] = (real)(BWD);                                                  \
    }                                                                         \
}

#define NNF_DEFINE(name, FWD, BWD)                                            \
    NNF_LOOPS(name, float, f, FWD, BWD)                                       \
    NNF_LOOPS(name, double, d, FWD, BWD)
NNF_OPS(NNF_DEFINE)

typedef void (*nnf_fwd_f_t)(const float*, float*, ptrdiff_t, float, float);
typedef void (*nnf_fwd_d_t)(const double*, double*, ptrdiff_t, double, double);
typedef void (*nnf_bwd_f_t)(const float*, const float*, float*, ptrdiff_t, float, float);
typedef void (*nnf_bwd_d_t)(const double*, const double*, double*, ptrdiff_t, double, double);

#define NNF_NAME(name, FWD, BWD) #name,
#define NNF_FWD_F(name, FWD, BWD) nnf_##name##_fwd_f,
#define NNF_FWD_D(name, FWD, BWD) nnf_##name##_fwd_d,
#define NNF_BWD_F(name, FWD, BWD) nnf_##name##_bwd_f,
#define NNF_BWD_D(name, FWD, BWD) nnf_##name##_bwd_d,
static const char* const nnf_op_names[] = {NNF_OPS(NNF_NAME)};
static const nnf_fwd_f_t nnf_fwd_f[] = {NNF_OPS(NNF_FWD_F)};
static const nnf_fwd_d_t nnf_fwd_d[] = {NNF_OPS(NNF_FWD_D)};
static const nnf_bwd_f_t nnf_bwd_f[] = {NNF_OPS(NNF_BWD_F)};
static const nnf_bwd_d_t nnf_bwd_d[] = {NNF_OPS(NNF_BWD_D)};
#define NNF_NOPS ((int)(sizeof(nnf_op_names) / sizeof(nnf_op_names[0])))

/* ---- kernels beyond one-input maps -------------------------------------- */

#define NNF_MORE(T, S)                                                        \
/* PReLU gradWeight term: sum of x * g where x <= 0. The mask is a select  \
   on x before the product (branch-free: a branch on the sign of x would   \
   mispredict half the time); T lanes of 8, added in double every 8 steps */\
static double nnf_prelu_dot_##S(const T* restrict x, const T* restrict g,     \
                                ptrdiff_t n) {                                \
    double s = 0;                                                             \
    ptrdiff_t i = 0;                                                          \
    while (i + 8 <= n) {                                                      \
        T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                  \
        ptrdiff_t end = i + 64 <= n ? i + 64 : n - (n - i) % 8;               \
        for (; i < end; i += 8)                                               \
            for (int j = 0; j < 8; j++) {                                     \
                const T v = x[i + j] > 0 ? 0 : x[i + j];                      \
                acc[j] += v * g[i + j];                                       \
            }                                                                 \
        for (int j = 0; j < 8; j++) s += acc[j];                              \
    }                                                                         \
    for (; i < n; i++) s += (double)((x[i] > 0 ? 0 : x[i]) * g[i]);          \
    return s;                                                                 \
}                                                                             \
/* CReLU of one flattened sample: y[:n] = relu(x), y[n:2n] = relu(-x) */      \
NNF_WIDE static void nnf_crelu_fwd_##S(const T* restrict x, T* restrict y,    \
                                       ptrdiff_t n) {                         \
    for (ptrdiff_t i = 0; i < n; i++) {                                       \
        const T v = x[i];                                                     \
        y[i] = v > 0 ? v : 0;                                                 \
        y[n + i] = v < 0 ? -v : 0;                                            \
    }                                                                         \
}                                                                             \
NNF_WIDE static void nnf_crelu_bwd_##S(const T* restrict x,                   \
                                       const T* restrict g, T* restrict gi,   \
                                       ptrdiff_t n) {                         \
    for (ptrdiff_t i = 0; i < n; i++) {                                       \
        const T v = x[i], g0 = g[i], g1 = g[n + i];                           \
        gi[i] = v > 0 ? g0 : (v < 0 ? -g1 : 0);                               \
    }                                                                         \
}                                                                             \
/* GLU of (part of) one slice: a = x[i], b = x[h + i] (h = the half size, \
   n <= h elements from here); y = a * sigmoid(b) */                         \
NNF_WIDE static void nnf_glu_fwd_##S(const T* restrict x, T* restrict y,      \
                                     ptrdiff_t n, ptrdiff_t h) {              \
    for (ptrdiff_t i = 0; i < n; i++)                                         \
        y[i] = x[i] * nnf_sigmoid_##S(x[h + i]);                              \
}                                                                             \
NNF_WIDE static void nnf_glu_bwd_##S(const T* restrict x, const T* restrict g,\
                                     T* restrict gi, ptrdiff_t n,             \
                                     ptrdiff_t h) {                           \
    for (ptrdiff_t i = 0; i < n; i++) {                                       \
        const T s = nnf_sigmoid_##S(x[h + i]), gs = g[i] * s;                 \
        gi[i] = gs;                                                           \
        gi[h + i] = gs * x[i] * (1 - s);                                      \
    }                                                                         \
}

NNF_MORE(float, f)
NNF_MORE(double, d)

#endif /* NNFUNC_POINTWISE_H */
