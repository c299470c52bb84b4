/* Pointwise (elementwise) kernels of the transfer functions, one line each.
 *
 * The GPU twin of nnfunc/_cpu/_pointwise.h: NNF_OPS lists every op as
 * X(name, forward, backward) with the same names and the same formulas.
 * The expressions are in the compute type `real` (float for float and
 * float16 data, double for double) and see `x` (the input element), the
 * options `a`, `b`, and in the backward `g` (the gradOutput element); the
 * backward recomputes from x (pure). Each op expands into two templates,
 * nnf_<name>_fwd<T> and nnf_<name>_bwd<T>, instantiated by name
 * (nnfunc/_gpu/_loader.py lists them) for T = float, double, nnf_half.
 */
#include "nnf_common.cuh"

#define ABS(v) nnf_abs(v)
#define TANH(v) nnf_tanh(v)
#define SIGMOID(v) nnf_sigmoid<real>(v)
#define SOFTPLUS(v) nnf_softplus<real>(v)
#define EXPF(v) nnf_exp(v)
#define EXPM1(v) nnf_expm1(v)
#define LOG(v) nnf_log(v)
#define SQRT(v) nnf_sqrt(v)
#define POW(v, p) nnf_pow(v, p)

/* X(name, forward(x, a, b), backward(x, g, a, b)) */
#define NNF_OPS(X)                                                            \
    X(threshold, x > a ? x : b, x > a ? g : (real)0)                          \
    X(tanh, TANH(x), g * (1 - TANH(x) * TANH(x)))                             \
    X(sigmoid, SIGMOID(x), g * SIGMOID(x) * (1 - SIGMOID(x)))                 \
    X(hardtanh, x < a ? a : (x > b ? b : x), ((x > a) & (x < b)) ? g : (real)0) \
    X(leaky_relu, x > 0 ? x : a * x, x > 0 ? g : a * g)                       \
    X(elu, x > 0 ? x : a * EXPM1(x), x > 0 ? g : g * a * EXPF(x))             \
    X(softplus, a * x > b ? x : SOFTPLUS(a * x) / a,                          \
      a * x > b ? g : g * SIGMOID(a * x))                                     \
    X(log_sigmoid, -SOFTPLUS(-x), g * SIGMOID(-x))                            \
    X(softsign, x / (1 + ABS(x)), g / ((1 + ABS(x)) * (1 + ABS(x))))          \
    X(tanhshrink, x - TANH(x), g * TANH(x) * TANH(x))                         \
    X(hardshrink, ((x >= -a) & (x <= a)) ? (real)0 : x,                       \
      ((x >= -a) & (x <= a)) ? (real)0 : g)                                   \
    X(softshrink, x > a ? x - a : (x < -a ? x + a : (real)0),                 \
      ((x > a) | (x < -a)) ? g : (real)0)                                     \
    X(absval, ABS(x), x >= 0 ? g : -g)                                        \
    X(add_constant, x + a, g)                                                 \
    X(mul_constant, x * a, g * a)                                             \
    X(exp, EXPF(x), g * EXPF(x))                                              \
    X(log, LOG(x), g / x)                                                     \
    X(sqrt, SQRT(x), SQRT(x) == 0 ? (real)0 : g / (2 * SQRT(x)))              \
    X(square, x * x, 2 * x * g)                                               \
    X(power, POW(x, a), a == 0 ? (real)0 : g * a * POW(x, a - 1))            \
    /* the CPU table's half-integer and libm variants of power; CUDA's pow  \
       serves all three */                                                    \
    X(power_half, POW(x, a), a == 0 ? (real)0 : g * a * POW(x, a - 1))       \
    X(power_libm, POW(x, a), a == 0 ? (real)0 : g * a * POW(x, a - 1))

#define NNF_DEFINE(name, FWD, BWD)                                            \
template <typename T>                                                         \
__global__ void nnf_##name##_fwd(const T* __restrict__ xp, T* __restrict__ yp, \
                                 idx_t n, double a_, double b_) {             \
    typedef typename nnf_acc<T>::type real;                                   \
    const real a = (real)a_, b = (real)b_;                                    \
    (void)a; (void)b;                                                         \
    NNF_LOOP(i, n) {                                                          \
        const real x = nnf_ld(xp + i);                                        \
        nnf_st(yp + i, (real)(FWD));                                          \
    }                                                                         \
}                                                                             \
template <typename T>                                                         \
__global__ void nnf_##name##_bwd(const T* __restrict__ xp,                    \
                                 const T* __restrict__ gp,                    \
                                 T* __restrict__ op, idx_t n,                 \
                                 double a_, double b_) {                      \
    typedef typename nnf_acc<T>::type real;                                   \
    const real a = (real)a_, b = (real)b_;                                    \
    (void)a; (void)b;                                                         \
    NNF_LOOP(i, n) {                                                          \
        const real x = nnf_ld(xp + i);                                        \
        const real g = nnf_ld(gp + i);                                        \
        (void)x;                                                              \
        nnf_st(op + i, (real)(BWD));                                          \
    }                                                                         \
}

NNF_OPS(NNF_DEFINE)
