/* Kernels of the "sum over elements of f(x, t)" criterions (used by
 * pointwise_criterion.pyx): loss = norm * sum_i w[i % cols] f(x_i, t_i) and
 * gradInput_i = coef * w[i % cols] f'(x_i, t_i), one pass over memory per
 * phase. The operation is picked once per call (a switch outside the
 * loops); each case is its own loop with the term inlined, so it vectorises.
 *
 * The work goes a chunk of NNF_PW_CHUNK elements at a time: a map loop puts
 * the terms in a small buffer, which is then summed in vector lanes (float
 * sums are flushed to double, see _softmax.h): after the first read every
 * pass stays in cache. Terms are computed in the data's type (float stays
 * float: twice the SIMD lanes), except the logarithms of BCE and KL, which
 * are taken in double. exp, sigmoid and softplus come from _vmath.h. The
 * general log here is branch-free (fdlibm's reduction and polynomial, error
 * below 1 ulp) and valid for positive, normal, finite arguments; it gives
 * NaN outside that range, and a sum that is not finite is recomputed with
 * the C library's log, so zeros, infinities, NaN and subnormals give
 * exactly libm's results. As in _pointwise.h, the extension is compiled
 * with -fno-trapping-math so the selects if-convert, and NNF_WIDE adds
 * AVX2 / AVX-512 clones; no FMA contraction (-std=c11), so every clone gives
 * the same bits.
 *
 * MSECriterion's and MultiMarginCriterion's loops (mse_criterion.pyx,
 * multi_margin_criterion.pyx) are at the end.
 */
#ifndef NNFUNC_CRITERION_H
#define NNFUNC_CRITERION_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_softmax.h"      /* _vmath.h, NNF_WIDE, nnf_row_sum_{f,d} */

enum {
    NNF_PW_ABS = 0,        /* |x - t| */
    NNF_PW_SMOOTH_L1 = 1,  /* 0.5 d^2 if |d| < 1 else |d| - 0.5, d = x - t */
    NNF_PW_BCE = 2,        /* -(t log(x + 1e-12) + (1 - t) log(1 - x + 1e-12)) */
    NNF_PW_SOFT_MARGIN = 3,/* log(1 + exp(-t x)) */
    NNF_PW_KL_DIV = 4,     /* t (log t - x) where t > 0, else 0 */
    NNF_PW_L1_COST = 5,    /* |x| (t unused) */
    NNF_PW_MARGIN = 6,     /* max(0, a - x t) */
    NNF_PW_HINGE = 7,      /* x where t == 1; max(0, a - x) where t == -1; else 0 */
    NNF_PW_ML_SOFT_MARGIN = 8, /* softplus(x) - t x = BCE of sigmoid(x) */
    NNF_PW_NOPS = 9
};

#define NNF_INLINE static inline __attribute__((always_inline))
/* the dispatchers inline everything they call (_vmath.h's helpers too):
   GCC's size limits would otherwise leave calls in the loops, which then
   do not vectorise */
#define NNF_FLAT __attribute__((flatten))

/* nnf_log_fast: _vmath.h's log of a positive normal finite double */
#define nnf_log_fast nnf_log_normal_d

/* log(x) in double: libm's when exact; else the fast one, NaN outside its
 * range (the sum is then not finite and gets recomputed with libm) */
NNF_INLINE double nnf_lg(double x, const int exact) {
    double r;
    if (exact)
        return log(x);
    r = nnf_log_fast(x);
    return ((x >= DBL_MIN) & (x <= DBL_MAX)) ? r : NAN;
}

/* the term f and its derivative df/dx for each op, in type T (suffix S);
   a: the margin */
#define NNF_PW_TERMS(T, S)                                                     \
NNF_INLINE T nnf_pw_f_##S(const int op, T x, T t, T a, const int exact) {      \
    T d, ad, q, l, h, tp;                                                      \
    switch (op) {                                                              \
    case NNF_PW_ABS:                                                           \
        return nnf_abs_##S(x - t);                                             \
    case NNF_PW_SMOOTH_L1:                                                     \
        d = x - t;                                                             \
        ad = nnf_abs_##S(d);                                                   \
        q = (T)0.5 * d * d;                                                    \
        l = ad - (T)0.5;                                                       \
        return ad < 1 ? q : l;                                                 \
    case NNF_PW_BCE:                                                           \
        return (T)-((double)t * nnf_lg((double)x + 1e-12, exact)               \
                    + (1.0 - (double)t) * nnf_lg(1.0 - (double)x + 1e-12, exact)); \
    case NNF_PW_SOFT_MARGIN:                                                   \
        return nnf_softplus_##S(-t * x);                                       \
    case NNF_PW_KL_DIV:                                                        \
        /* NaN and t <= 0: the term is 0 (the log's NaN is not selected) */  \
        tp = (T)((double)t * (nnf_lg((double)t, exact) - (double)x));          \
        return t > 0 ? tp : 0;                                                 \
    case NNF_PW_L1_COST:                                                       \
        return nnf_abs_##S(x);                                                 \
    case NNF_PW_MARGIN:                                                        \
        h = a - x * t;                                                         \
        return h > 0 ? h : 0;                                                  \
    case NNF_PW_HINGE:                                                         \
        h = a - x;                                                             \
        h = h > 0 ? h : 0;                                                     \
        q = t == 1 ? x : 0;                                                    \
        l = t == -1 ? h : 0;                                                   \
        return q + l;                                                          \
    default: /* NNF_PW_ML_SOFT_MARGIN */                                       \
        return nnf_softplus_##S(x) - t * x;                                    \
    }                                                                          \
}                                                                              \
NNF_INLINE T nnf_pw_df_##S(const int op, T x, T t, T a) {                      \
    T d, lo, hi, m, one = 1, zero = 0;                                         \
    switch (op) {                                                              \
    case NNF_PW_ABS:                                                           \
        return (x - t) >= 0 ? one : -one;           /* Torch7: +1 at x == t */ \
    case NNF_PW_SMOOTH_L1:                                                     \
        d = x - t;                                                             \
        lo = d < -1 ? -one : d;                                                \
        hi = lo > 1 ? one : lo;                                                \
        return hi;                                                             \
    case NNF_PW_BCE:                                                           \
        return (x - t) / ((1 - x + (T)1e-12) * (x + (T)1e-12));                \
    case NNF_PW_SOFT_MARGIN:                                                   \
        return -t * nnf_sigmoid_##S(-t * x);                                   \
    case NNF_PW_KL_DIV:                                                        \
        return t > 0 ? -t : zero;                                              \
    case NNF_PW_L1_COST:                                                       \
        return (x > 0 ? one : zero) - (x < 0 ? one : zero);                    \
    case NNF_PW_MARGIN:                                                        \
        m = -t;                                                                \
        return x * t < a ? m : zero;                                           \
    case NNF_PW_HINGE:                                                         \
        d = ((t == -1) & (x <= a)) ? one : zero;                               \
        return (t == 1 ? one : zero) - d;                                      \
    default: /* NNF_PW_ML_SOFT_MARGIN */                                       \
        return nnf_sigmoid_##S(x) - t;                                         \
    }                                                                          \
}

NNF_PW_TERMS(float, f)
NNF_PW_TERMS(double, d)

#define NNF_PW_CHUNK 256

#define NNF_PW_LOOPS(T, S)                                                     \
/* out[i] = w[i] f(x[i], t[i]) (w NULL: 1) */                                  \
NNF_INLINE void nnf_pw_map_##S(const int op, const T* restrict x,              \
                               const T* restrict t, const T* restrict w,       \
                               T* restrict out, ptrdiff_t n, T a,              \
                               const int exact) {                              \
    ptrdiff_t i;                                                               \
    if (w == NULL)                                                             \
        for (i = 0; i < n; i++) out[i] = nnf_pw_f_##S(op, x[i], t[i], a, exact); \
    else                                                                       \
        for (i = 0; i < n; i++)                                                \
            out[i] = w[i] * nnf_pw_f_##S(op, x[i], t[i], a, exact);            \
}                                                                              \
/* sum of w[i] f(x[i], t[i]) over n elements (w NULL: 1) */                    \
NNF_INLINE double nnf_pw_row_##S(const int op, const T* x, const T* t,         \
                                 const T* w, ptrdiff_t n, T a,                 \
                                 const int exact) {                            \
    T fb[NNF_PW_CHUNK];                                                        \
    double r = 0.0;                                                            \
    ptrdiff_t i0, m;                                                           \
    for (i0 = 0; i0 < n; i0 += NNF_PW_CHUNK) {                                 \
        m = n - i0 < NNF_PW_CHUNK ? n - i0 : NNF_PW_CHUNK;                     \
        nnf_pw_map_##S(op, x + i0, t + i0, w != NULL ? w + i0 : NULL, fb, m,   \
                       a, exact);                                              \
        r += nnf_row_sum_##S(fb, m);                                           \
    }                                                                          \
    return r;                                                                  \
}                                                                              \
/* rows x cols, weights (if any) repeated on every row */                      \
NNF_INLINE double nnf_pw_sum_##S(const int op, const T* x, const T* t,         \
                                 const T* w, ptrdiff_t rows, ptrdiff_t cols,   \
                                 T a, const int exact) {                       \
    double r = 0.0;                                                            \
    ptrdiff_t i;                                                               \
    if (w == NULL)                                                             \
        return nnf_pw_row_##S(op, x, t, NULL, rows * cols, a, exact);          \
    for (i = 0; i < rows; i++)                                                 \
        r += nnf_pw_row_##S(op, x + i * cols, t + i * cols, w, cols, a, exact); \
    return r;                                                                  \
}                                                                              \
NNF_INLINE double nnf_pw_fwd_op_##S(const int op, const T* x, const T* t,      \
                                    const T* w, ptrdiff_t rows,                \
                                    ptrdiff_t cols, T a) {                     \
    double r = nnf_pw_sum_##S(op, x, t, w, rows, cols, a, 0);                  \
    if (!isfinite(r))        /* a log argument may need libm: redo exactly */  \
        r = nnf_pw_sum_##S(op, x, t, w, rows, cols, a, 1);                     \
    return r;                                                                  \
}                                                                              \
/* gi[i] = coef w[i] f'(x[i], t[i]) */                                         \
NNF_INLINE void nnf_pw_dmap_##S(const int op, const T* restrict x,             \
                                const T* restrict t, const T* restrict w,      \
                                T* restrict gi, ptrdiff_t n, T a, T coef) {    \
    ptrdiff_t i;                                                               \
    if (w == NULL)                                                             \
        for (i = 0; i < n; i++) gi[i] = coef * nnf_pw_df_##S(op, x[i], t[i], a); \
    else                                                                       \
        for (i = 0; i < n; i++)                                                \
            gi[i] = (coef * w[i]) * nnf_pw_df_##S(op, x[i], t[i], a);          \
}                                                                              \
NNF_INLINE void nnf_pw_bwd_op_##S(const int op, const T* x, const T* t,        \
                                  const T* w, T* gi, ptrdiff_t rows,           \
                                  ptrdiff_t cols, T a, T coef) {               \
    ptrdiff_t i;                                                               \
    if (w == NULL) {                                                           \
        nnf_pw_dmap_##S(op, x, t, NULL, gi, rows * cols, a, coef);             \
        return;                                                                \
    }                                                                          \
    for (i = 0; i < rows; i++)                                                 \
        nnf_pw_dmap_##S(op, x + i * cols, t + i * cols, w, gi + i * cols,      \
                        cols, a, coef);                                        \
}                                                                              \
NNF_WIDE NNF_FLAT static double nnf_pw_forward_##S(int op, const T* x, const T* t,      \
                                          const T* w, ptrdiff_t rows,          \
                                          ptrdiff_t cols, double a) {          \
    T aa = (T)a;                                                               \
    switch (op) {                                                              \
    case NNF_PW_ABS: return nnf_pw_fwd_op_##S(NNF_PW_ABS, x, t, w, rows, cols, aa); \
    case NNF_PW_SMOOTH_L1:                                                     \
        return nnf_pw_fwd_op_##S(NNF_PW_SMOOTH_L1, x, t, w, rows, cols, aa);   \
    case NNF_PW_BCE: return nnf_pw_fwd_op_##S(NNF_PW_BCE, x, t, w, rows, cols, aa); \
    case NNF_PW_SOFT_MARGIN:                                                   \
        return nnf_pw_fwd_op_##S(NNF_PW_SOFT_MARGIN, x, t, w, rows, cols, aa); \
    case NNF_PW_KL_DIV:                                                        \
        return nnf_pw_fwd_op_##S(NNF_PW_KL_DIV, x, t, w, rows, cols, aa);      \
    case NNF_PW_L1_COST:                                                       \
        return nnf_pw_fwd_op_##S(NNF_PW_L1_COST, x, t, w, rows, cols, aa);     \
    case NNF_PW_MARGIN:                                                        \
        return nnf_pw_fwd_op_##S(NNF_PW_MARGIN, x, t, w, rows, cols, aa);      \
    case NNF_PW_HINGE:                                                         \
        return nnf_pw_fwd_op_##S(NNF_PW_HINGE, x, t, w, rows, cols, aa);       \
    default:                                                                   \
        return nnf_pw_fwd_op_##S(NNF_PW_ML_SOFT_MARGIN, x, t, w, rows, cols, aa); \
    }                                                                          \
}                                                                              \
NNF_WIDE NNF_FLAT static void nnf_pw_backward_##S(int op, const T* x, const T* t,       \
                                         const T* w, T* gi, ptrdiff_t rows,    \
                                         ptrdiff_t cols, double a,             \
                                         double coef) {                        \
    T aa = (T)a, cc = (T)coef;                                                 \
    switch (op) {                                                              \
    case NNF_PW_ABS:                                                           \
        nnf_pw_bwd_op_##S(NNF_PW_ABS, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_SMOOTH_L1:                                                     \
        nnf_pw_bwd_op_##S(NNF_PW_SMOOTH_L1, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_BCE:                                                           \
        nnf_pw_bwd_op_##S(NNF_PW_BCE, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_SOFT_MARGIN:                                                   \
        nnf_pw_bwd_op_##S(NNF_PW_SOFT_MARGIN, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_KL_DIV:                                                        \
        nnf_pw_bwd_op_##S(NNF_PW_KL_DIV, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_L1_COST:                                                       \
        nnf_pw_bwd_op_##S(NNF_PW_L1_COST, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_MARGIN:                                                        \
        nnf_pw_bwd_op_##S(NNF_PW_MARGIN, x, t, w, gi, rows, cols, aa, cc); break; \
    case NNF_PW_HINGE:                                                         \
        nnf_pw_bwd_op_##S(NNF_PW_HINGE, x, t, w, gi, rows, cols, aa, cc); break; \
    default:                                                                   \
        nnf_pw_bwd_op_##S(NNF_PW_ML_SOFT_MARGIN, x, t, w, gi, rows, cols, aa, cc); \
    }                                                                          \
}

NNF_PW_LOOPS(float, f)
NNF_PW_LOOPS(double, d)

/* ---- MSECriterion ------------------------------------------------------ */
/* sum((x - t)^2) with the differences and squares in double (float data
 * too), in NNF_LANES double lanes added as a tree; gi = c (x - t) in the
 * data's type */
#define NNF_MSE(T, S)                                                          \
NNF_WIDE static double nnf_mse_sum_##S(const T* restrict x, const T* restrict t, \
                                       ptrdiff_t n) {                          \
    double tot[NNF_LANES] = {0}, r, v;                                         \
    ptrdiff_t i = 0;                                                           \
    for (; i + NNF_LANES <= n; i += NNF_LANES)                                 \
        for (int j = 0; j < NNF_LANES; j++) {                                  \
            v = (double)x[i + j] - (double)t[i + j];                           \
            tot[j] += v * v;                                                   \
        }                                                                      \
    r = nnf_fold_sum(tot);                                                     \
    for (; i < n; i++) {                                                       \
        v = (double)x[i] - (double)t[i];                                       \
        r += v * v;                                                            \
    }                                                                          \
    return r;                                                                  \
}                                                                              \
NNF_WIDE static void nnf_mse_grad_##S(const T* restrict x, const T* restrict t, \
                                      T* restrict gi, T c, ptrdiff_t n) {      \
    for (ptrdiff_t i = 0; i < n; i++) gi[i] = c * (x[i] - t[i]);               \
}

NNF_MSE(float, f)
NNF_MSE(double, d)

/* ---- MultiMarginCriterion ------------------------------------------------ */
/* a row's hinge terms, in double: sum over j of max(0, a + x[j])^p (p 1 or
 * 2), in NNF_LANES lanes added as a tree; the gradient map writes
 * gi[j] = gc (p 1) or 2 gc z (p 2) where z = a + x[j] > 0, else 0, and
 * returns the sum of what it wrote. (The selects vectorise without
 * -ftrapping-math, see meson.build.) */
#define NNF_MM(T, S)                                                           \
NNF_WIDE static double nnf_mm_terms_##S(const T* restrict x, ptrdiff_t n,       \
                                        double a, int p) {                     \
    double tot[NNF_LANES] = {0}, r, z;                                         \
    ptrdiff_t i = 0;                                                           \
    if (p == 1)                                                                \
        for (; i + NNF_LANES <= n; i += NNF_LANES)                             \
            for (int j = 0; j < NNF_LANES; j++) {                              \
                z = a + (double)x[i + j];                                      \
                tot[j] += z > 0.0 ? z : 0.0;                                   \
            }                                                                  \
    else                                                                       \
        for (; i + NNF_LANES <= n; i += NNF_LANES)                             \
            for (int j = 0; j < NNF_LANES; j++) {                              \
                z = a + (double)x[i + j];                                      \
                z = z > 0.0 ? z : 0.0;                                         \
                tot[j] += z * z;                                               \
            }                                                                  \
    r = nnf_fold_sum(tot);                                                     \
    for (; i < n; i++) {                                                       \
        z = a + (double)x[i];                                                  \
        z = z > 0.0 ? z : 0.0;                                                 \
        r += p == 1 ? z : z * z;                                               \
    }                                                                          \
    return r;                                                                  \
}                                                                              \
NNF_WIDE static double nnf_mm_grads_##S(const T* restrict x, T* restrict gi,    \
                                        ptrdiff_t n, double a, int p, double gc) { \
    double tot[NNF_LANES] = {0}, r, z, h;                                      \
    ptrdiff_t i = 0;                                                           \
    if (p == 1)                                                                \
        for (; i + NNF_LANES <= n; i += NNF_LANES)                             \
            for (int j = 0; j < NNF_LANES; j++) {                              \
                z = a + (double)x[i + j];                                      \
                h = z > 0.0 ? gc : 0.0;                                        \
                gi[i + j] = (T)h;                                              \
                tot[j] += h;                                                   \
            }                                                                  \
    else                                                                       \
        for (; i + NNF_LANES <= n; i += NNF_LANES)                             \
            for (int j = 0; j < NNF_LANES; j++) {                              \
                z = a + (double)x[i + j];                                      \
                h = z > 0.0 ? 2.0 * gc * z : 0.0;                              \
                gi[i + j] = (T)h;                                              \
                tot[j] += h;                                                   \
            }                                                                  \
    r = nnf_fold_sum(tot);                                                     \
    for (; i < n; i++) {                                                       \
        z = a + (double)x[i];                                                  \
        h = z > 0.0 ? (p == 1 ? gc : 2.0 * gc * z) : 0.0;                      \
        gi[i] = (T)h;                                                          \
        r += h;                                                                \
    }                                                                          \
    return r;                                                                  \
}

NNF_MM(float, f)
NNF_MM(double, d)

#endif /* NNFUNC_CRITERION_H */
