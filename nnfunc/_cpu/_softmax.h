/* Vectorised building blocks of the SoftMax / LogSoftMax kernels (used
 * through _softmax.pxd). Suffix _f: float, _d: double.
 *
 * The scalar exp on (-inf, 0] (nnf_exp_neg_*) and the NNF_WIDE clones
 * attribute live in _vmath.h (shared with the pointwise kernels).
 *
 * The exp loops are plain maps (no select after the arithmetic, see
 * nnf_exp_neg_d) that the auto-vectoriser handles; on x86-64 Linux with GCC
 * they are also compiled for AVX2 and AVX-512 (target_clones, picked at
 * load time by the CPU), which is where most of the time goes. The same
 * code runs on every clone, with explicit fused multiply-adds only (no
 * contraction, -std=c11), so results do not depend on the CPU. The row
 * reductions (max, sums) run in 32 independent lanes, NNF_WIDE too; float
 * sums run in float lanes for blocks of at most 16 terms per lane and are
 * then added in double. The column maximum uses generic 16-byte vector types
 * (SSE2 / NEON) with GCC and Clang; other compilers get scalar loops.
 */
#ifndef NNFUNC_SOFTMAX_H
#define NNFUNC_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(NNF_NO_VECTOR)
#define NNF_VEC 1
#endif

#include "_vmath.h"

/* ---- 16-byte vector types for the reductions --------------------------- */

#ifdef NNF_VEC
typedef float nnf_vf __attribute__((vector_size(16)));
typedef double nnf_vd __attribute__((vector_size(16)));
typedef uint32_t nnf_vfu __attribute__((vector_size(16)));
typedef uint64_t nnf_vdu __attribute__((vector_size(16)));
#define NNF_NL_f 4
#define NNF_NL_d 2

static inline nnf_vf nnf_ld_f(const float* p) { nnf_vf v; memcpy(&v, p, 16); return v; }
static inline nnf_vd nnf_ld_d(const double* p) { nnf_vd v; memcpy(&v, p, 16); return v; }
static inline void nnf_st_f(float* p, nnf_vf v) { memcpy(p, &v, 16); }
static inline void nnf_st_d(double* p, nnf_vd v) { memcpy(p, &v, 16); }
/* a > b ? a : b per lane (NaN in b stays, as the scalar form) */
static inline nnf_vf nnf_vmax_f(nnf_vf a, nnf_vf b) {
    nnf_vfu m = (nnf_vfu)(a > b);
    return (nnf_vf)((m & (nnf_vfu)a) | (~m & (nnf_vfu)b));
}
static inline nnf_vd nnf_vmax_d(nnf_vd a, nnf_vd b) {
    nnf_vdu m = (nnf_vdu)(a > b);
    return (nnf_vd)((m & (nnf_vdu)a) | (~m & (nnf_vdu)b));
}
#endif /* NNF_VEC */

/* ---- row max and the row maps of the kernels' last passes -------------- */
/* (NNF_WIDE plain loops; the same arithmetic as the Cython loops they
   replaced, so the same bits, at AVX2 / AVX-512 width) */

#define NNF_ROWMAPS(T, S)                                                      \
/* max of x[0:n], n >= 1, in 32 independent lanes (NaN is not propagated:    \
   a row with NaN gets NaN through exp(x - max) anyway) */                    \
NNF_WIDE static T nnf_row_max_##S(const T* restrict x, ptrdiff_t n) {          \
    T r = x[0];                                                                \
    ptrdiff_t i = 0;                                                           \
    if (n >= 32) {                                                             \
        T acc[32];                                                             \
        for (int j = 0; j < 32; j++) acc[j] = x[j];                            \
        for (i = 32; i + 32 <= n; i += 32)                                     \
            for (int j = 0; j < 32; j++)                                       \
                acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];                \
        for (int w = 16; w >= 1; w /= 2)       /* a tree, not a chain */       \
            for (int j = 0; j < w; j++)                                        \
                acc[j] = acc[j + w] > acc[j] ? acc[j + w] : acc[j];            \
        r = acc[0] > r ? acc[0] : r;                                           \
    }                                                                          \
    for (; i < n; i++) r = x[i] > r ? x[i] : r;                                \
    return r;                                                                  \
}                                                                              \
/* y[i] *= r */                                                                \
NNF_WIDE static void nnf_row_scale_##S(T* restrict y, T r, ptrdiff_t n) {      \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = y[i] * r;                         \
}                                                                              \
/* softmax gradient from e = exp(x - max): e[i] = e[i] * r * (go[i] - dt) */  \
NNF_WIDE static void nnf_row_sm_grad_##S(T* restrict e, const T* restrict go,  \
                                         T r, T dt, ptrdiff_t n) {             \
    for (ptrdiff_t i = 0; i < n; i++) e[i] = e[i] * r * (go[i] - dt);          \
}                                                                              \
/* log-softmax output: y[i] = (x[i] - mx) - sh */                              \
NNF_WIDE static void nnf_row_lsm_out_##S(const T* restrict x, T* restrict y,   \
                                         T mx, T sh, ptrdiff_t n) {            \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = (x[i] - mx) - sh;                 \
}                                                                              \
/* log-softmax gradient from e = exp(x - max): e[i] = go[i] - e[i] * r */     \
NNF_WIDE static void nnf_row_lsm_grad_##S(T* restrict e, const T* restrict go, \
                                          T r, ptrdiff_t n) {                  \
    for (ptrdiff_t i = 0; i < n; i++) e[i] = go[i] - e[i] * r;                 \
}

NNF_ROWMAPS(float, f)
NNF_ROWMAPS(double, d)

/* ---- rows: reductions along a contiguous row of n elements ------------- */
/* 32 independent lanes (the clones' vectors: 2 x AVX-512, 4 x AVX2, 8 x SSE,
 * the same arithmetic lane by lane, so the same bits); float lanes take at
 * most 16 terms each (a block of 512 elements) before they are added to
 * per-lane double totals; double lanes run over the whole row. The totals
 * are added as a tree at the end (nnf_fold_sum), then the scalar rest. */

#define NNF_LANES 32

/* the lanes' totals added as a tree (t[j] += t[j + w], w = 16, 8, ..., 1):
   vector adds instead of a chain of 32 dependent ones */
static inline __attribute__((always_inline)) double nnf_fold_sum(double* t) {
    for (int w = NNF_LANES / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) t[j] += t[j + w];
    return t[0];
}

#define NNF_ROWS(T, S, STEPS)                                                  \
/* sum(a[i] * b[i]) */                                                         \
NNF_WIDE static double nnf_row_dot_##S(const T* restrict a, const T* restrict b, \
                                       ptrdiff_t n) {                          \
    double r, tot[NNF_LANES] = {0};                                            \
    ptrdiff_t i = 0;                                                           \
    while (i + NNF_LANES <= n) {                                               \
        ptrdiff_t end = n - i > NNF_LANES * (ptrdiff_t)(STEPS)                 \
                        ? i + NNF_LANES * (ptrdiff_t)(STEPS) : n;              \
        T acc[NNF_LANES] = {0};                                                \
        for (; i + NNF_LANES <= end; i += NNF_LANES)                           \
            for (int j = 0; j < NNF_LANES; j++) acc[j] += a[i + j] * b[i + j]; \
        for (int j = 0; j < NNF_LANES; j++) tot[j] += acc[j];                  \
    }                                                                          \
    r = nnf_fold_sum(tot);                                                     \
    for (; i < n; i++) r += (double)(a[i] * b[i]);                             \
    return r;                                                                  \
}                                                                              \
/* sum(a[i]) */                                                                \
NNF_WIDE static double nnf_row_sum_##S(const T* restrict a, ptrdiff_t n) {     \
    double r, tot[NNF_LANES] = {0};                                            \
    ptrdiff_t i = 0;                                                           \
    while (i + NNF_LANES <= n) {                                               \
        ptrdiff_t end = n - i > NNF_LANES * (ptrdiff_t)(STEPS)                 \
                        ? i + NNF_LANES * (ptrdiff_t)(STEPS) : n;              \
        T acc[NNF_LANES] = {0};                                                \
        for (; i + NNF_LANES <= end; i += NNF_LANES)                           \
            for (int j = 0; j < NNF_LANES; j++) acc[j] += a[i + j];            \
        for (int j = 0; j < NNF_LANES; j++) tot[j] += acc[j];                  \
    }                                                                          \
    r = nnf_fold_sum(tot);                                                     \
    for (; i < n; i++) r += a[i];                                              \
    return r;                                                                  \
}

NNF_ROWS(float, f, 16)
NNF_ROWS(double, d, PTRDIFF_MAX / NNF_LANES)

/* ---- exp maps (the hot loops) ------------------------------------------ */

#define NNF_MAPS(T, S)                                                         \
/* e[i] = exp(x[i] - m) */                                                     \
NNF_WIDE static void nnf_exp_map_##S(const T* restrict x, T m, T* restrict e,  \
                                     ptrdiff_t n) {                            \
    for (ptrdiff_t i = 0; i < n; i++) e[i] = nnf_exp_neg_##S(x[i] - m);        \
}                                                                              \
/* one row of a column chunk: e[j] = exp(x[j] - m[j]); s[j] += e[j] */         \
NNF_WIDE static void nnf_col_exp_##S(const T* restrict x, const T* restrict m, \
                                     T* restrict e, double* restrict s,        \
                                     ptrdiff_t w) {                            \
    for (ptrdiff_t j = 0; j < w; j++) {                                        \
        T v = nnf_exp_neg_##S(x[j] - m[j]);                                    \
        e[j] = v;                                                              \
        s[j] += v;                                                             \
    }                                                                          \
}                                                                              \
/* e[i] = exp(x[i] - m); returns sum(e) (the sum re-reads e from cache) */     \
static inline double nnf_row_exp_##S(const T* x, T m, T* e, ptrdiff_t n) {     \
    nnf_exp_map_##S(x, m, e, n);                                               \
    return nnf_row_sum_##S(e, n);                                              \
}

/* m[j] = max(m[j], x[j]) over one row of a column chunk */
#define NNF_COLS(T, S, V)                                                      \
static inline void nnf_col_max_##S(const T* x, T* m, ptrdiff_t w) {            \
    ptrdiff_t j = 0;                                                           \
    NNF_VEC_MAP(S,                                                             \
        nnf_st_##S(m + j, nnf_vmax_##S(nnf_ld_##S(x + j), nnf_ld_##S(m + j)));) \
    for (; j < w; j++) m[j] = x[j] > m[j] ? x[j] : m[j];                       \
}

#ifdef NNF_VEC
#define NNF_VEC_MAP(S, BODY)                                                   \
    for (; j + NNF_NL_##S <= w; j += NNF_NL_##S) { BODY }
#else
#define NNF_VEC_MAP(S, BODY)
#endif

/* columns per chunk (inner > 1): a chunk's slices of input and output
   (dim x NNF_CHUNK) stay in cache between the passes */
#define NNF_CHUNK 128

#ifdef NNF_VEC
NNF_COLS(float, f, nnf_vf)
NNF_COLS(double, d, nnf_vd)
#else
NNF_COLS(float, f, float)
NNF_COLS(double, d, double)
#endif
NNF_MAPS(float, f)
NNF_MAPS(double, d)

#endif /* NNFUNC_SOFTMAX_H */
