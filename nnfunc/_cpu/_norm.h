/* Row primitives of the normalisation kernels (batch norm, layer norm,
 * Normalize, cross-map LRN), for float (_f) and double (_d).
 *
 * Reductions: 16 independent accumulator lanes in the data's type (a GCC
 * vector of 16 T: one AVX-512 register of floats, two of AVX2, four of
 * SSE) over blocks of NNF_BLOCK values, each block's sum then added in
 * double. Explicit vectors, because the auto-vectoriser turned lane arrays
 * into scalar code; the fixed lane order keeps results independent of the
 * clone. The blocks bound a float lane to NNF_BLOCK / 16 terms before its
 * partial sum goes into double. Moments centre on the first sweep's mean rounded to
 * T and correct for that rounding in double (exact algebra), so the second
 * sweep stays in T too. Elementwise loops are plain (restrict, no branches).
 * NNF_WIDE (from _vmath.h) adds AVX2 and AVX-512 clones picked at load time.
 * All loops read only what their arguments name; none allocate.
 */
#ifndef NNFUNC_NORM_H
#define NNFUNC_NORM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_vmath.h"

#define NNF_SQRT(v) _Generic((v), float: sqrtf, double: sqrt)(v)

#define NNF_BLOCK 512
#define NNF_LANES 16

#define NNF_LSUM(a) \
    ((((a[0] + a[8]) + (a[4] + a[12])) + ((a[2] + a[10]) + (a[6] + a[14]))) + \
     (((a[1] + a[9]) + (a[5] + a[13])) + ((a[3] + a[11]) + (a[7] + a[15]))))

typedef float nnf_vec_f __attribute__((vector_size(16 * sizeof(float))));
typedef double nnf_vec_d __attribute__((vector_size(16 * sizeof(double))));
/* unaligned vector load/store (macros: a vector argument or result of a
   function would trip GCC's -Wpsabi note in the non-AVX-512 clones) */
#define NNF_LD(VT, p) __extension__({ VT v_; memcpy(&v_, (p), sizeof v_); v_; })
#define NNF_ST(p, v) __extension__({ __typeof__(v) w_ = (v); memcpy((p), &w_, sizeof w_); })
#define nnf_ld_f(p) NNF_LD(nnf_vec_f, p)
#define nnf_ld_d(p) NNF_LD(nnf_vec_d, p)
#define nnf_st_f(p, v) NNF_ST(p, v)
#define nnf_st_d(p, v) NNF_ST(p, v)
typedef int32_t nnf_ivec_f __attribute__((vector_size(16 * sizeof(int32_t))));
typedef int64_t nnf_ivec_d __attribute__((vector_size(16 * sizeof(int64_t))));
/* |v|: clear the sign bits */
#define nnf_vabs_f(v) ((nnf_vec_f)((nnf_ivec_f)(v) & (int32_t)0x7fffffff))
#define nnf_vabs_d(v) ((nnf_vec_d)((nnf_ivec_d)(v) & (int64_t)0x7fffffffffffffffLL))

#define NNF_NORM_DEFS(T, S)                                                         \
/* sum of x */                                                                      \
NNF_WIDE static double nnf_sum_##S(const T* restrict x, ptrdiff_t n) {              \
    double tot = 0;                                                                 \
    for (ptrdiff_t b0 = 0; b0 < n; b0 += NNF_BLOCK) {                               \
        ptrdiff_t e = n - b0 < NNF_BLOCK ? n : b0 + NNF_BLOCK, i = b0;              \
        nnf_vec_##S a = {0};                                                        \
        for (; i + NNF_LANES <= e; i += NNF_LANES) a += nnf_ld_##S(x + i);          \
        T s = NNF_LSUM(a);                                                          \
        for (; i < e; i++) s += x[i];                                               \
        tot += s;                                                                   \
    }                                                                               \
    return tot;                                                                     \
}                                                                                   \
/* sum of x * y */                                                                  \
NNF_WIDE static double nnf_dot_##S(const T* restrict x, const T* restrict y,        \
                                   ptrdiff_t n) {                                   \
    double tot = 0;                                                                 \
    for (ptrdiff_t b0 = 0; b0 < n; b0 += NNF_BLOCK) {                               \
        ptrdiff_t e = n - b0 < NNF_BLOCK ? n : b0 + NNF_BLOCK, i = b0;              \
        nnf_vec_##S a = {0};                                                        \
        for (; i + NNF_LANES <= e; i += NNF_LANES)                                  \
            a += nnf_ld_##S(x + i) * nnf_ld_##S(y + i);                             \
        T s = NNF_LSUM(a);                                                          \
        for (; i < e; i++) s += x[i] * y[i];                                        \
        tot += s;                                                                   \
    }                                                                               \
    return tot;                                                                     \
}                                                                                   \
/* sum of |x| */                                                                    \
NNF_WIDE static double nnf_abssum_##S(const T* restrict x, ptrdiff_t n) {           \
    double tot = 0;                                                                 \
    for (ptrdiff_t b0 = 0; b0 < n; b0 += NNF_BLOCK) {                               \
        ptrdiff_t e = n - b0 < NNF_BLOCK ? n : b0 + NNF_BLOCK, i = b0;              \
        nnf_vec_##S a = {0};                                                        \
        for (; i + NNF_LANES <= e; i += NNF_LANES) {                                \
            nnf_vec_##S v = nnf_ld_##S(x + i);                                      \
            a += nnf_vabs_##S(v);                                                   \
        }                                                                           \
        T s = NNF_LSUM(a);                                                          \
        for (; i < e; i++) s += nnf_abs_##S(x[i]);                                  \
        tot += s;                                                                   \
    }                                                                               \
    return tot;                                                                     \
}                                                                                   \
/* sums of (x - c)^2 and (x - c) * g, c given */                                    \
NNF_WIDE static void nnf_csums_##S(const T* restrict x, const T* restrict g,        \
                                   ptrdiff_t n, T c, double* m2, double* cxy) {     \
    double t2 = 0, tc = 0;                                                          \
    for (ptrdiff_t b0 = 0; b0 < n; b0 += NNF_BLOCK) {                               \
        ptrdiff_t e = n - b0 < NNF_BLOCK ? n : b0 + NNF_BLOCK, i = b0;              \
        nnf_vec_##S a = {0}, q = {0};                                               \
        if (g) {                                                                    \
            for (; i + NNF_LANES <= e; i += NNF_LANES) {                            \
                nnf_vec_##S d = nnf_ld_##S(x + i) - c;                              \
                a += d * d;                                                         \
                q += d * nnf_ld_##S(g + i);                                         \
            }                                                                       \
        } else {                                                                    \
            for (; i + NNF_LANES <= e; i += NNF_LANES) {                            \
                nnf_vec_##S d = nnf_ld_##S(x + i) - c;                              \
                a += d * d;                                                         \
            }                                                                       \
        }                                                                           \
        T s = NNF_LSUM(a), r = NNF_LSUM(q);                                         \
        for (; i < e; i++) {                                                        \
            T d = x[i] - c;                                                         \
            s += d * d;                                                             \
            if (g) r += d * g[i];                                                   \
        }                                                                           \
        t2 += s;                                                                    \
        tc += r;                                                                    \
    }                                                                               \
    *m2 = t2;                                                                       \
    if (cxy) *cxy = tc;                                                             \
}                                                                                   \
/* mean of x and of g (g may be NULL), sum (x - mx)^2, sum (x - mx) g */            \
static inline void nnf_moments_##S(const T* x, const T* g, ptrdiff_t n, double* mx, \
                                   double* my, double* m2, double* cxy) {           \
    double m = nnf_sum_##S(x, n) / n, sy = g ? nnf_sum_##S(g, n) : 0, s2, sc;       \
    T c = (T)m;                                                                     \
    double dc = (double)c - m;                                                      \
    nnf_csums_##S(x, g, n, c, &s2, g ? &sc : NULL);                                 \
    /* sum (x - m)^2 = sum (x - c)^2 + 2 dc sum (x - c) + n dc^2, and             \
       sum (x - c) = -n dc: so subtract n dc^2; likewise for the co-moment */       \
    *mx = m;                                                                        \
    *m2 = s2 - n * dc * dc;                                                         \
    if (g) {                                                                        \
        *my = sy / n;                                                               \
        *cxy = sc + dc * sy;                                                        \
    }                                                                               \
}                                                                                   \
/* y = (x - m) a + b */                                                             \
NNF_WIDE static void nnf_axpb_##S(const T* restrict x, T* restrict y, ptrdiff_t n,  \
                                  T m, T a, T b) {                                  \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = (x[i] - m) * a + b;                    \
}                                                                                   \
/* gi = g a + (x - m) bb + d */                                                     \
NNF_WIDE static void nnf_bngi_##S(const T* restrict g, const T* restrict x,         \
                                  T* restrict gi, ptrdiff_t n, T a, T m, T bb, T d) {  \
    for (ptrdiff_t i = 0; i < n; i++) gi[i] = g[i] * a + (x[i] - m) * bb + d;       \
}                                                                                   \
/* gi = g a; sums of g and g (x - m) */                                             \
NNF_WIDE static void nnf_scalesums_##S(const T* restrict g, const T* restrict x,    \
                                       T* restrict gi, ptrdiff_t n, T a, T m,       \
                                       double* sg, double* sxg) {                   \
    double t1 = 0, t2 = 0;                                                          \
    for (ptrdiff_t b0 = 0; b0 < n; b0 += NNF_BLOCK) {                               \
        ptrdiff_t e = n - b0 < NNF_BLOCK ? n : b0 + NNF_BLOCK, i = b0;              \
        nnf_vec_##S p = {0}, q = {0};                                               \
        for (; i + NNF_LANES <= e; i += NNF_LANES) {                                \
            nnf_vec_##S v = nnf_ld_##S(g + i);                                      \
            nnf_st_##S(gi + i, v * a);                                              \
            p += v;                                                                 \
            q += v * (nnf_ld_##S(x + i) - m);                                       \
        }                                                                           \
        T s1 = NNF_LSUM(p), s2 = NNF_LSUM(q);                                       \
        for (; i < e; i++) {                                                        \
            T v = g[i];                                                             \
            gi[i] = v * a;                                                          \
            s1 += v;                                                                \
            s2 += v * (x[i] - m);                                                   \
        }                                                                           \
        t1 += s1;                                                                   \
        t2 += s2;                                                                   \
    }                                                                               \
    *sg = t1;                                                                       \
    *sxg = t2;                                                                      \
}                                                                                   \
/* per-channel vectors (the (N, C) batch norm): one row of C channels */            \
NNF_WIDE static void nnf_welford_##S(const T* restrict x, const T* restrict g,      \
                                     double* restrict mx, double* restrict my,      \
                                     double* restrict m2, double* restrict cxy,     \
                                     ptrdiff_t C, double inv) {                     \
    if (g) {                                                                        \
        for (ptrdiff_t c = 0; c < C; c++) {                                         \
            double v = x[c], w = g[c], d = v - mx[c], dy = w - my[c];               \
            double nm = mx[c] + d * inv, ny = my[c] + dy * inv;                     \
            m2[c] += d * (v - nm);                                                  \
            cxy[c] += d * (w - ny);                                                 \
            mx[c] = nm;                                                             \
            my[c] = ny;                                                             \
        }                                                                           \
    } else {                                                                        \
        for (ptrdiff_t c = 0; c < C; c++) {                                         \
            double v = x[c], d = v - mx[c], nm = mx[c] + d * inv;                   \
            m2[c] += d * (v - nm);                                                  \
            mx[c] = nm;                                                             \
        }                                                                           \
    }                                                                               \
}                                                                                   \
NNF_WIDE static void nnf_caxpb_##S(const T* restrict x, T* restrict y,              \
                                   const T* restrict m, const T* restrict a,        \
                                   const T* restrict b, ptrdiff_t C) {              \
    for (ptrdiff_t c = 0; c < C; c++) y[c] = (x[c] - m[c]) * a[c] + b[c];           \
}                                                                                   \
NNF_WIDE static void nnf_cbngi_##S(const T* restrict g, const T* restrict x,        \
                                   T* restrict gi, const T* restrict a,             \
                                   const T* restrict m, const T* restrict bb,       \
                                   const T* restrict d, ptrdiff_t C) {              \
    for (ptrdiff_t c = 0; c < C; c++)                                               \
        gi[c] = g[c] * a[c] + (x[c] - m[c]) * bb[c] + d[c];                         \
}                                                                                   \
NNF_WIDE static void nnf_cscalesums_##S(const T* restrict g, const T* restrict x,   \
                                        T* restrict gi, const T* restrict a,        \
                                        const T* restrict m, double* restrict sg,   \
                                        double* restrict sxg, ptrdiff_t C) {        \
    for (ptrdiff_t c = 0; c < C; c++) {                                             \
        T v = g[c];                                                                 \
        gi[c] = v * a[c];                                                           \
        sg[c] += v;                                                                 \
        sxg[c] += v * (x[c] - m[c]);                                                \
    }                                                                               \
}                                                                                   \
/* layer norm: y = (x - m) r w + b (w, b NULL: no affine) */                        \
NNF_WIDE static void nnf_lnfwd_##S(const T* restrict x, T* restrict y,              \
                                   const T* restrict w, const T* restrict b,        \
                                   ptrdiff_t n, T m, T r) {                         \
    if (w) {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (x[i] - m) * r * w[i] + b[i];      \
    } else {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (x[i] - m) * r;                    \
    }                                                                               \
}                                                                                   \
/* layer norm gradient of one row: xhat = (x - m) r, gg = go w;                     \
   gi = r (gg - mean(gg) - xhat mean(gg xhat)); aw += go xhat, ab += go */          \
NNF_WIDE static void nnf_lnbwd_##S(const T* restrict x, const T* restrict go,       \
                                   T* restrict gi, const T* restrict w,             \
                                   T* restrict aw, T* restrict ab, ptrdiff_t n,     \
                                   T m, T r) {                                      \
    double t1 = 0, t2 = 0;                                                          \
    for (ptrdiff_t b0 = 0; b0 < n; b0 += NNF_BLOCK) {                               \
        ptrdiff_t e = n - b0 < NNF_BLOCK ? n : b0 + NNF_BLOCK, i = b0;              \
        nnf_vec_##S p = {0}, q = {0};                                               \
        for (; i + NNF_LANES <= e; i += NNF_LANES) {                                \
            nnf_vec_##S v = nnf_ld_##S(go + i);                                     \
            if (w) v *= nnf_ld_##S(w + i);                                          \
            p += v;                                                                 \
            q += v * ((nnf_ld_##S(x + i) - m) * r);                                 \
        }                                                                           \
        T s1 = NNF_LSUM(p), s2 = NNF_LSUM(q);                                       \
        for (; i < e; i++) {                                                        \
            T v = w ? go[i] * w[i] : go[i];                                         \
            s1 += v;                                                                \
            s2 += v * ((x[i] - m) * r);                                             \
        }                                                                           \
        t1 += s1;                                                                   \
        t2 += s2;                                                                   \
    }                                                                               \
    T c1 = (T)(t1 / n), c2 = (T)(t2 / n);                                           \
    if (w) {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) {                                         \
            T xh = (x[i] - m) * r, v = go[i];                                       \
            gi[i] = r * (v * w[i] - c1 - xh * c2);                                  \
            aw[i] += v * xh;                                                        \
            ab[i] += v;                                                             \
        }                                                                           \
    } else {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) {                                         \
            T xh = (x[i] - m) * r;                                                  \
            gi[i] = r * (go[i] - c1 - xh * c2);                                     \
        }                                                                           \
    }                                                                               \
}                                                                                   \
/* Normalize, p = 1: gi = g inv - c sign(x) */                                      \
NNF_WIDE static void nnf_l1gi_##S(const T* restrict g, const T* restrict x,         \
                                  T* restrict gi, ptrdiff_t n, T inv, T c) {        \
    for (ptrdiff_t i = 0; i < n; i++) {                                             \
        T v = x[i];                                                                 \
        gi[i] = g[i] * inv - c * ((T)(v > 0) - (T)(v < 0));                         \
    }                                                                               \
}                                                                                   \
/* LRN: s += a^2 (sq) or s += a */                                                  \
NNF_WIDE static void nnf_acc_##S(const T* restrict a, T* restrict s, ptrdiff_t n,   \
                                 int sq) {                                          \
    if (sq) {                                                                       \
        for (ptrdiff_t i = 0; i < n; i++) s[i] += a[i] * a[i];                      \
    } else {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) s[i] += a[i];                             \
    }                                                                               \
}                                                                                   \
/* LRN: s <- add + mul s (the scale); p <- s^-beta (mode 1: beta 0.75, 2: 0.5,      \
   3: 1, 0: pow) */                                                                 \
NNF_WIDE static void nnf_powneg_##S(T* restrict s, T* restrict p, ptrdiff_t n,      \
                                    T mul, T add, int mode, double beta) {          \
    for (ptrdiff_t i = 0; i < n; i++) s[i] = add + mul * s[i];                      \
    if (mode == 1) {                                                                \
        for (ptrdiff_t i = 0; i < n; i++) {                                         \
            T q = NNF_SQRT(s[i]);                                                       \
            p[i] = 1 / (q * NNF_SQRT(q));                                               \
        }                                                                           \
    } else if (mode == 2) {                                                         \
        for (ptrdiff_t i = 0; i < n; i++) p[i] = 1 / NNF_SQRT(s[i]);                    \
    } else if (mode == 3) {                                                         \
        for (ptrdiff_t i = 0; i < n; i++) p[i] = 1 / s[i];                          \
    } else {                                                                        \
        for (ptrdiff_t i = 0; i < n; i++) p[i] = (T)pow((double)s[i], -beta);       \
    }                                                                               \
}                                                                                   \
/* y = a * b */                                                                     \
NNF_WIDE static void nnf_mul_##S(const T* restrict a, const T* restrict b,          \
                                 T* restrict y, ptrdiff_t n) {                      \
    for (ptrdiff_t i = 0; i < n; i++) y[i] = a[i] * b[i];                           \
}                                                                                   \
/* LRN gradient: t = g x p / s */                                                   \
NNF_WIDE static void nnf_lrnt_##S(const T* restrict g, const T* restrict x,         \
                                  const T* restrict p, const T* restrict s,         \
                                  T* restrict t, ptrdiff_t n) {                     \
    for (ptrdiff_t i = 0; i < n; i++) t[i] = g[i] * x[i] * p[i] / s[i];             \
}                                                                                   \
/* LRN gradient: gi = g p - f x s */                                                \
NNF_WIDE static void nnf_lrngi_##S(const T* restrict g, const T* restrict x,        \
                                   const T* restrict p, const T* restrict s,        \
                                   T* restrict gi, ptrdiff_t n, T f) {              \
    for (ptrdiff_t i = 0; i < n; i++) gi[i] = g[i] * p[i] - f * x[i] * s[i];        \
}

NNF_NORM_DEFS(float, f)
NNF_NORM_DEFS(double, d)

#endif
