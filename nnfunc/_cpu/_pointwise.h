/* Kernels of the "sum over elements of f(x, t)" criterions (used by
 * pointwise_criterion.pyx): loss = norm * sum_i w[i % cols] f(x_i, t_i) and
 * gradInput_i = coef * w[i % cols] f'(x_i, t_i), one pass over memory per
 * phase. The operation is picked once per call (switch outside the loops);
 * each case is its own loop with the term inlined, so each vectorises.
 *
 * Every term is computed in double (float input too) and the sums are kept
 * in 8 independent double lanes. The logarithms of the forward terms use a
 * branch-free log (fdlibm's reduction and polynomial, error below 1 ulp)
 * that is valid for positive, normal, finite arguments; each lane counts the
 * arguments outside that range, and a call that met any recomputes its sum
 * with the C library's log (so zeros, infinities, NaN and subnormals give
 * exactly libm's results). exp comes from _softmax.h (arguments <= 0).
 * Like _softmax.h, the loops are also compiled for AVX2 and AVX-512
 * (target_clones) on x86-64 Linux with GCC.
 */
#ifndef NNFUNC_POINTWISE_H
#define NNFUNC_POINTWISE_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_softmax.h"

enum {
    NNF_PW_ABS = 0,        /* |x - t| */
    NNF_PW_SMOOTH_L1 = 1,  /* 0.5 d^2 if |d| < 1 else |d| - 0.5, d = x - t */
    NNF_PW_BCE = 2,        /* -(t log(x + 1e-12) + (1 - t) log(1 - x + 1e-12)) */
    NNF_PW_SOFT_MARGIN = 3,/* log(1 + exp(-t x)) */
    NNF_PW_KL_DIV = 4,     /* t (log t - x) where t > 0, else 0 */
    NNF_PW_L1_COST = 5,    /* |x| (t unused) */
    NNF_PW_MARGIN = 6,     /* max(0, a - x t) */
    NNF_PW_HINGE = 7,      /* x where t == 1; max(0, a - x) where t == -1; else 0 */
    NNF_PW_ML_SOFT_MARGIN = 8, /* -(t log s(x) + (1 - t) log(1 - s(x))), s = sigmoid */
    NNF_PW_NOPS = 9
};

#define NNF_INLINE static inline __attribute__((always_inline))

/* c ? a : b through a bit mask: a float select after arithmetic that may
   trap stops gcc's if-conversion under -ftrapping-math (see _softmax.h), so
   every select of the terms goes through this one */
NNF_INLINE double nnf_sel(int c, double a, double b) {
    uint64_t m = -(uint64_t)(c != 0), ua, ub;
    memcpy(&ua, &a, 8);
    memcpy(&ub, &b, 8);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, 8);
    return a;
}

/* log(1 + f) = 2 atanh(s), s = f / (2 + f), for f in [sqrt(1/2) - 1,
 * sqrt(2) - 1]: fdlibm e_log.c's polynomial (|error| < 2^-58) */
NNF_INLINE double nnf_log1p_core(double f) {
    double s, z, w, t1, t2, r, hfsq;
    s = f / (2.0 + f);
    z = s * s;
    w = z * z;
    t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01
                                              + w * 1.531383769920937332e-01));
    t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01
              + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    r = t2 + t1;
    hfsq = 0.5 * f * f;
    return f - (hfsq - s * (hfsq + r));
}

/* log(x) for positive normal finite x: x = 2^k m, m in [sqrt(1/2), sqrt(2)) */
NNF_INLINE double nnf_log_fast(double x) {
    uint64_t u, eb, mb;
    double e, m, big, k;
    memcpy(&u, &x, 8);
    eb = (u >> 52) | 0x4330000000000000ull;           /* 2^52 + biased exponent */
    memcpy(&e, &eb, 8);
    mb = (u & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    memcpy(&m, &mb, 8);                               /* [1, 2) */
    big = nnf_sel(m > 1.4142135623730951, 1.0, 0.0);
    m = m * (1.0 - 0.5 * big);                        /* exact */
    k = (e - 4503599627371519.0) + big;               /* 2^52 + 1023 */
    /* m - 1 is exact; k ln2 in two parts (fdlibm's ln2_hi: k * hi is exact) */
    return (k * 6.93147180369123816490e-01
            + (nnf_log1p_core(m - 1.0) + k * 1.90821492927058770002e-10));
}

/* log(x): libm's when exact; else the fast one, NaN where x is outside
 * its range (zero, negative, subnormal, infinite, NaN): a sum that is not
 * finite is then recomputed with libm (nnf_pw_fwd_op). */
NNF_INLINE double nnf_lg(double x, const int exact) {
    if (exact)
        return log(x);
    return nnf_sel((x >= DBL_MIN) & (x <= DBL_MAX), nnf_log_fast(x), NAN);
}

/* log1p(e) for e in [0, 1] (no bit tricks): 1 + e = 2^k (1 + f) with k = 0,
 * f = e below sqrt(2) - 1, else k = 1, f = (e - 1) / 2 */
NNF_INLINE double nnf_lg1p(double e, const int exact) {
    double big, f;
    if (exact)
        return log1p(e);
    big = nnf_sel(e > 0.41421356237309503, 1.0, 0.0);
    f = nnf_sel(e > 0.41421356237309503, (e - 1.0) * 0.5, e);
    return big * 6.93147180369123816490e-01
           + (nnf_log1p_core(f) + big * 1.90821492927058770002e-10);
}

/* softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)) */
NNF_INLINE double nnf_softplus(double z, const int exact) {
    double e = nnf_exp_neg_d(-fabs(z));
    double p = nnf_sel(z > 0.0, z, 0.0);
    return p + nnf_lg1p(e, exact);
}

/* sigmoid(z) = 1 / (1 + exp(-z)), from exp(-|z|) (no overflow) */
NNF_INLINE double nnf_sigmoid(double z) {
    double e = nnf_exp_neg_d(-fabs(z));
    double r = 1.0 / (1.0 + e);
    double q = e * r;
    return nnf_sel(z >= 0.0, r, q);
}

/* the loss term f(x, t) of operation op (a: margin) */
NNF_INLINE double nnf_pw_f(const int op, double x, double t, double a, const int exact) {
    double d, ad, q, l, h, tp, tt;
    switch (op) {
    case NNF_PW_ABS:
        return fabs(x - t);
    case NNF_PW_SMOOTH_L1:
        d = x - t;
        ad = fabs(d);
        q = 0.5 * d * d;
        l = ad - 0.5;
        return nnf_sel(ad < 1.0, q, l);
    case NNF_PW_BCE:
        return -(t * nnf_lg(x + 1e-12, exact)
                 + (1.0 - t) * nnf_lg(1.0 - x + 1e-12, exact));
    case NNF_PW_SOFT_MARGIN:
        return nnf_softplus(-t * x, exact);
    case NNF_PW_KL_DIV:
        tp = nnf_sel(t > 0.0, t, 0.0);          /* NaN and t <= 0: the term is 0 */
        tt = nnf_sel(t > 0.0, t, 1.0);
        return tp * (nnf_lg(tt, exact) - x);
    case NNF_PW_L1_COST:
        return fabs(x);
    case NNF_PW_MARGIN:
        h = a - x * t;
        return nnf_sel(h > 0.0, h, 0.0);
    case NNF_PW_HINGE:
        h = a - x;
        h = nnf_sel(h > 0.0, h, 0.0);
        q = nnf_sel(t == 1.0, x, 0.0);
        l = nnf_sel(t == -1.0, h, 0.0);
        return q + l;
    default: /* NNF_PW_ML_SOFT_MARGIN: softplus(x) - t x */
        return nnf_softplus(x, exact) - t * x;
    }
}

/* the derivative df/dx of operation op */
NNF_INLINE double nnf_pw_df(const int op, double x, double t, double a) {
    double d, lo, hi, m;
    switch (op) {
    case NNF_PW_ABS:
        return nnf_sel((x - t) >= 0.0, 1.0, -1.0);       /* Torch7: +1 at x == t */
    case NNF_PW_SMOOTH_L1:
        d = x - t;
        lo = nnf_sel(d < -1.0, -1.0, d);
        hi = nnf_sel(lo > 1.0, 1.0, lo);
        return hi;
    case NNF_PW_BCE:
        return (x - t) / ((1.0 - x + 1e-12) * (x + 1e-12));
    case NNF_PW_SOFT_MARGIN:
        return -t * nnf_sigmoid(-t * x);
    case NNF_PW_KL_DIV:
        return nnf_sel(t > 0.0, -t, 0.0);
    case NNF_PW_L1_COST:
        return nnf_sel(x > 0.0, 1.0, 0.0) - nnf_sel(x < 0.0, 1.0, 0.0);
    case NNF_PW_MARGIN:
        m = -t;
        return nnf_sel(x * t < a, m, 0.0);
    case NNF_PW_HINGE:
        d = nnf_sel((t == -1.0) & (x <= a), 1.0, 0.0);
        return nnf_sel(t == 1.0, 1.0, 0.0) - d;
    default: /* NNF_PW_ML_SOFT_MARGIN */
        return nnf_sigmoid(x) - t;
    }
}

#define NNF_PW_CHUNK 256

/* The work is done a chunk of NNF_PW_CHUNK elements at a time: a map loop
   computes the terms into a small buffer (the loop the vectoriser handles),
   then the buffer is summed in vector lanes; float input is first widened
   into double buffers. Everything after the first read stays in cache. */

/* out[i] = w[i] f(x[i], t[i]) (w NULL: 1) */
NNF_INLINE void nnf_pw_map_d(const int op, const double* restrict x, const double* restrict t,
                             const double* restrict w, double* restrict out, ptrdiff_t n,
                             double a, const int exact) {
    ptrdiff_t i;
    if (w == NULL)
        for (i = 0; i < n; i++) out[i] = nnf_pw_f(op, x[i], t[i], a, exact);
    else
        for (i = 0; i < n; i++) out[i] = w[i] * nnf_pw_f(op, x[i], t[i], a, exact);
}

/* gi[i] = coef w[i] f'(x[i], t[i]) (w NULL: 1) */
NNF_INLINE void nnf_pw_dmap_d(const int op, const double* restrict x,
                              const double* restrict t, const double* restrict w,
                              double* restrict gi, ptrdiff_t n, double a, double coef) {
    ptrdiff_t i;
    if (w == NULL)
        for (i = 0; i < n; i++) gi[i] = coef * nnf_pw_df(op, x[i], t[i], a);
    else
        for (i = 0; i < n; i++) gi[i] = (coef * w[i]) * nnf_pw_df(op, x[i], t[i], a);
}

NNF_INLINE void nnf_pw_widen(const float* restrict p, double* restrict q, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) q[i] = p[i];
}

/* sum of w[i] f(x[i], t[i]) over one row of n elements */
NNF_INLINE double nnf_pw_row_d(const int op, const double* x, const double* t, const double* w,
                               ptrdiff_t n, double a, const int exact) {
    double fb[NNF_PW_CHUNK], r = 0.0;
    ptrdiff_t i0, m;
    for (i0 = 0; i0 < n; i0 += NNF_PW_CHUNK) {
        m = n - i0 < NNF_PW_CHUNK ? n - i0 : NNF_PW_CHUNK;
        nnf_pw_map_d(op, x + i0, t + i0, w != NULL ? w + i0 : NULL, fb, m, a, exact);
        r += nnf_row_sum_d(fb, m);
    }
    return r;
}

NNF_INLINE double nnf_pw_row_f(const int op, const float* x, const float* t, const float* w,
                               ptrdiff_t n, double a, const int exact) {
    double xb[NNF_PW_CHUNK], tb[NNF_PW_CHUNK], wb[NNF_PW_CHUNK], fb[NNF_PW_CHUNK], r = 0.0;
    ptrdiff_t i0, m;
    for (i0 = 0; i0 < n; i0 += NNF_PW_CHUNK) {
        m = n - i0 < NNF_PW_CHUNK ? n - i0 : NNF_PW_CHUNK;
        nnf_pw_widen(x + i0, xb, m);
        nnf_pw_widen(t + i0, tb, m);
        if (w != NULL) nnf_pw_widen(w + i0, wb, m);
        nnf_pw_map_d(op, xb, tb, w != NULL ? wb : NULL, fb, m, a, exact);
        r += nnf_row_sum_d(fb, m);
    }
    return r;
}

NNF_INLINE void nnf_pw_bwd_row_d(const int op, const double* x, const double* t,
                                 const double* w, double* gi, ptrdiff_t n, double a,
                                 double coef) {
    nnf_pw_dmap_d(op, x, t, w, gi, n, a, coef);
}

NNF_INLINE void nnf_pw_bwd_row_f(const int op, const float* x, const float* t, const float* w,
                                 float* gi, ptrdiff_t n, double a, double coef) {
    double xb[NNF_PW_CHUNK], tb[NNF_PW_CHUNK], wb[NNF_PW_CHUNK], gb[NNF_PW_CHUNK];
    ptrdiff_t i0, i, m;
    for (i0 = 0; i0 < n; i0 += NNF_PW_CHUNK) {
        m = n - i0 < NNF_PW_CHUNK ? n - i0 : NNF_PW_CHUNK;
        nnf_pw_widen(x + i0, xb, m);
        nnf_pw_widen(t + i0, tb, m);
        if (w != NULL) nnf_pw_widen(w + i0, wb, m);
        nnf_pw_dmap_d(op, xb, tb, w != NULL ? wb : NULL, gb, m, a, coef);
        for (i = 0; i < m; i++) gi[i0 + i] = (float)gb[i];
    }
}

/* whole arrays: rows x cols, weights (if any) repeated on every row */
#define NNF_PW_LOOPS(T, S)                                                     \
NNF_INLINE double nnf_pw_sum_##S(const int op, const T* x, const T* t,         \
                                 const T* w, ptrdiff_t rows, ptrdiff_t cols,   \
                                 double a, const int exact) {                  \
    double r = 0.0;                                                            \
    ptrdiff_t i;                                                               \
    if (w == NULL)                                                             \
        return nnf_pw_row_##S(op, x, t, NULL, rows * cols, a, exact);            \
    for (i = 0; i < rows; i++)                                                 \
        r += nnf_pw_row_##S(op, x + i * cols, t + i * cols, w, cols, a, exact); \
    return r;                                                                  \
}                                                                              \
NNF_INLINE double nnf_pw_fwd_op_##S(const int op, const T* x, const T* t,      \
                                    const T* w, ptrdiff_t rows,                \
                                    ptrdiff_t cols, double a) {                \
    double r = nnf_pw_sum_##S(op, x, t, w, rows, cols, a, 0);                  \
    if (!isfinite(r))        /* a log argument may need libm: redo exactly */  \
        r = nnf_pw_sum_##S(op, x, t, w, rows, cols, a, 1);                     \
    return r;                                                                  \
}                                                                              \
NNF_INLINE void nnf_pw_bwd_op_##S(const int op, const T* x, const T* t,        \
                                  const T* w, T* gi, ptrdiff_t rows,           \
                                  ptrdiff_t cols, double a, double coef) {     \
    ptrdiff_t i;                                                               \
    if (w == NULL) {                                                           \
        nnf_pw_bwd_row_##S(op, x, t, NULL, gi, rows * cols, a, coef);          \
        return;                                                                \
    }                                                                          \
    for (i = 0; i < rows; i++)                                                 \
        nnf_pw_bwd_row_##S(op, x + i * cols, t + i * cols, w, gi + i * cols,   \
                           cols, a, coef);                                     \
}                                                                              \
NNF_WIDE static double nnf_pw_forward_##S(int op, const T* x, const T* t,      \
                                          const T* w, ptrdiff_t rows,          \
                                          ptrdiff_t cols, double a) {          \
    switch (op) {                                                              \
    case NNF_PW_ABS: return nnf_pw_fwd_op_##S(NNF_PW_ABS, x, t, w, rows, cols, a); \
    case NNF_PW_SMOOTH_L1:                                                     \
        return nnf_pw_fwd_op_##S(NNF_PW_SMOOTH_L1, x, t, w, rows, cols, a);    \
    case NNF_PW_BCE: return nnf_pw_fwd_op_##S(NNF_PW_BCE, x, t, w, rows, cols, a); \
    case NNF_PW_SOFT_MARGIN:                                                   \
        return nnf_pw_fwd_op_##S(NNF_PW_SOFT_MARGIN, x, t, w, rows, cols, a);  \
    case NNF_PW_KL_DIV:                                                        \
        return nnf_pw_fwd_op_##S(NNF_PW_KL_DIV, x, t, w, rows, cols, a);       \
    case NNF_PW_L1_COST:                                                       \
        return nnf_pw_fwd_op_##S(NNF_PW_L1_COST, x, t, w, rows, cols, a);      \
    case NNF_PW_MARGIN:                                                        \
        return nnf_pw_fwd_op_##S(NNF_PW_MARGIN, x, t, w, rows, cols, a);       \
    case NNF_PW_HINGE:                                                         \
        return nnf_pw_fwd_op_##S(NNF_PW_HINGE, x, t, w, rows, cols, a);        \
    default:                                                                   \
        return nnf_pw_fwd_op_##S(NNF_PW_ML_SOFT_MARGIN, x, t, w, rows, cols, a); \
    }                                                                          \
}                                                                              \
NNF_WIDE static void nnf_pw_backward_##S(int op, const T* x, const T* t,       \
                                         const T* w, T* gi, ptrdiff_t rows,    \
                                         ptrdiff_t cols, double a,             \
                                         double coef) {                        \
    switch (op) {                                                              \
    case NNF_PW_ABS:                                                           \
        nnf_pw_bwd_op_##S(NNF_PW_ABS, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_SMOOTH_L1:                                                     \
        nnf_pw_bwd_op_##S(NNF_PW_SMOOTH_L1, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_BCE:                                                           \
        nnf_pw_bwd_op_##S(NNF_PW_BCE, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_SOFT_MARGIN:                                                   \
        nnf_pw_bwd_op_##S(NNF_PW_SOFT_MARGIN, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_KL_DIV:                                                        \
        nnf_pw_bwd_op_##S(NNF_PW_KL_DIV, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_L1_COST:                                                       \
        nnf_pw_bwd_op_##S(NNF_PW_L1_COST, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_MARGIN:                                                        \
        nnf_pw_bwd_op_##S(NNF_PW_MARGIN, x, t, w, gi, rows, cols, a, coef); break; \
    case NNF_PW_HINGE:                                                         \
        nnf_pw_bwd_op_##S(NNF_PW_HINGE, x, t, w, gi, rows, cols, a, coef); break; \
    default:                                                                   \
        nnf_pw_bwd_op_##S(NNF_PW_ML_SOFT_MARGIN, x, t, w, gi, rows, cols, a, coef); \
    }                                                                          \
}


NNF_PW_LOOPS(float, f)
NNF_PW_LOOPS(double, d)

#endif /* NNFUNC_POINTWISE_H */
