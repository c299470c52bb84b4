/* SpatialDepthWiseConvolution plane kernels (spatial_depth_wise_convolution.pyx),
 * for float (_f) and double (_d).
 *
 * Every plane is first copied into a zero-bordered scratch image, so the
 * inner loops never test for the padding and read whole vectors: one
 * output chunk of NL columns is a GCC vector (32 bytes: 8 floats, 4
 * doubles) that sums all the taps in a register before one store (the old
 * loops added tap after tap into the output row in memory). Explicit
 * vectors, because the auto-vectoriser does not keep lane arrays in
 * registers (see _norm.h); the scratch rows are wide enough that the last
 * chunk of a row reads only scratch, and it stores only its valid lanes.
 *
 *   forward     y = b + sum_taps w * x_pad                  (nnf_dw_corr)
 *   gradInput   stride 1: the same correlation of the zero-bordered
 *               gradOutput with the flipped kernel, summed over the
 *               multipliers; stride > 1: a scatter into the padded image
 *               (nnf_dw_scatter), then its interior copied out
 *   gradWeight  per tap, lanes of gradOutput * x_pad summed over the plane
 *               (nnf_dw_gw; up to 4 taps of a kernel row per pass, sharing
 *               the gradOutput loads), the lanes then added in a fixed order
 *
 * Each output element's sum runs in the same order in the vector chunks
 * and in every clone (no FMA contraction under -std=c11), so the AVX2 /
 * AVX-512 clones (NNF_WIDE) and the baseline give the same bits. The
 * 3x3 / 5x5 stride-1 and 3x3 stride-2 kernels are the general loops
 * compiled with those sizes as constants (fully unrolled taps): the same
 * operations in the same order, so the same results as the general path.
 */
#ifndef NNFUNC_DEPTHWISE_H
#define NNFUNC_DEPTHWISE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_vmath.h"      /* NNF_WIDE */

#define NNF_DW_INLINE static inline __attribute__((always_inline))

typedef float nnf_dwv_f __attribute__((vector_size(32)));
typedef double nnf_dwv_d __attribute__((vector_size(32)));
typedef int32_t nnf_dwi_f __attribute__((vector_size(32)));
typedef int64_t nnf_dwi_d __attribute__((vector_size(32)));
#define NNF_DW_NL_f 8
#define NNF_DW_NL_d 4
/* unaligned vector load / store through memcpy (one vmovups each) */
#define NNF_DW_LD(VT, p) __extension__({ VT v_; memcpy(&v_, (p), sizeof v_); v_; })
#define NNF_DW_ST(p, v) __extension__({ __typeof__(v) w_ = (v); memcpy((p), &w_, sizeof w_); })

/* columns of a scratch image that a correlation of ow outputs (rounded up
   to whole chunks of nl) with stride sw and kw taps reads */
static inline ptrdiff_t nnf_dw_width(ptrdiff_t ow, ptrdiff_t sw, ptrdiff_t kw, ptrdiff_t nl) {
    return ((ow + nl - 1) / nl * nl - 1) * sw + kw;
}


/* The job of one call: pointers to the arrays (C-contiguous, validated in
   Python) and the sizes. part: (N C M, kh kw + 1) per-plane gradWeight (and
   gradBias) sums, reduced over the batch in order by nnf_dw_reduce. */
typedef struct {
    const void *x, *w, *b, *go;
    void *y, *gi, *part;
    ptrdiff_t N, C, H, W, M, oh, ow, kh, kw, sh, sw, ph, pw;
    int failed;
} nnf_dw_job;

#define NNF_DW_DEFS(T, S)                                                              \
typedef nnf_dwv_##S nnf_dwV_##S;                                                        \
enum { NNF_DWN_##S = NNF_DW_NL_##S };                                                   \
                                                                                        \
/* dst (hd x wd) = src (h x w, row stride w) moved down by top rows and right          \
   by left columns (either may be negative), zero where src has no value */            \
static void nnf_dw_pad_##S(const T* restrict src, ptrdiff_t h, ptrdiff_t w,             \
                           T* restrict dst, ptrdiff_t hd, ptrdiff_t wd,                \
                           ptrdiff_t top, ptrdiff_t left) {                            \
    ptrdiff_t c0 = left > 0 ? left : 0, c1 = w + left < wd ? w + left : wd;            \
    if (c1 < c0) c1 = c0;                                                               \
    for (ptrdiff_t r = 0; r < hd; r++) {                                                \
        T* d = dst + r * wd;                                                            \
        ptrdiff_t iy = r - top;                                                         \
        if (iy < 0 || iy >= h || c1 == c0) {                                            \
            memset(d, 0, (size_t)wd * sizeof(T));                                       \
            continue;                                                                   \
        }                                                                               \
        memset(d, 0, (size_t)c0 * sizeof(T));                                           \
        memcpy(d + c0, src + iy * w + (c0 - left), (size_t)(c1 - c0) * sizeof(T));      \
        memset(d + c1, 0, (size_t)(wd - c1) * sizeof(T));                               \
    }                                                                                   \
}                                                                                       \
                                                                                        \
/* y[oy, ox] = (acc ? y[oy, ox] : 0) + (b + sum_{ky, kx} k[ky, kx]                      \
   xp[oy sh + ky, ox sw + kx]); xp has row stride xs >= nnf_dw_width(ow, sw, kw)        \
   and (oh - 1) sh + kh rows */                                                        \
NNF_DW_INLINE void nnf_dw_corr_body_##S(const T* restrict xp, ptrdiff_t xs,             \
                                        const T* restrict k, ptrdiff_t kh,             \
                                        ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw,      \
                                        T* restrict y, ptrdiff_t oh, ptrdiff_t ow,     \
                                        T b, int acc) {                                \
    enum { NL = NNF_DWN_##S };                                                          \
    for (ptrdiff_t oy = 0; oy < oh; oy++) {                                             \
        const T* base = xp + oy * sh * xs;                                              \
        T* yr = y + oy * ow;                                                            \
        for (ptrdiff_t ox = 0; ox < ow; ox += NL) {                                     \
            nnf_dwV_##S s = {0};                                                        \
            s += b;                                                                     \
            for (ptrdiff_t ky = 0; ky < kh; ky++) {                                     \
                const T* r = base + ky * xs + ox * sw;                                  \
                for (ptrdiff_t kx = 0; kx < kw; kx++) {                                 \
                    nnf_dwV_##S v;                                                      \
                    if (sw == 1) {                                                      \
                        v = NNF_DW_LD(nnf_dwV_##S, r + kx);                             \
                    } else {                                                            \
                        for (int l = 0; l < NL; l++) v[l] = r[l * sw + kx];             \
                    }                                                                   \
                    s += k[ky * kw + kx] * v;                                           \
                }                                                                       \
            }                                                                           \
            if (ow - ox >= NL) {                                                        \
                if (acc) s += NNF_DW_LD(nnf_dwV_##S, yr + ox);                          \
                NNF_DW_ST(yr + ox, s);                                                  \
            } else {                                                                    \
                for (ptrdiff_t l = 0; l < ow - ox; l++)                                 \
                    yr[ox + l] = acc ? yr[ox + l] + s[l] : s[l];                        \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
}                                                                                       \
NNF_WIDE static void nnf_dw_corr_3s1_##S(const T* restrict xp, ptrdiff_t xs,            \
        const T* restrict k, T* restrict y, ptrdiff_t oh, ptrdiff_t ow, T b, int acc) { \
    nnf_dw_corr_body_##S(xp, xs, k, 3, 3, 1, 1, y, oh, ow, b, acc);                    \
}                                                                                       \
NNF_WIDE static void nnf_dw_corr_5s1_##S(const T* restrict xp, ptrdiff_t xs,            \
        const T* restrict k, T* restrict y, ptrdiff_t oh, ptrdiff_t ow, T b, int acc) { \
    nnf_dw_corr_body_##S(xp, xs, k, 5, 5, 1, 1, y, oh, ow, b, acc);                    \
}                                                                                       \
NNF_WIDE static void nnf_dw_corr_3s2_##S(const T* restrict xp, ptrdiff_t xs,            \
        const T* restrict k, T* restrict y, ptrdiff_t oh, ptrdiff_t ow, T b, int acc) { \
    nnf_dw_corr_body_##S(xp, xs, k, 3, 3, 2, 2, y, oh, ow, b, acc);                    \
}                                                                                       \
NNF_WIDE static void nnf_dw_corr_s1_##S(const T* restrict xp, ptrdiff_t xs,             \
        const T* restrict k, ptrdiff_t kh, ptrdiff_t kw, T* restrict y, ptrdiff_t oh,  \
        ptrdiff_t ow, T b, int acc) {                                                  \
    nnf_dw_corr_body_##S(xp, xs, k, kh, kw, 1, 1, y, oh, ow, b, acc);                  \
}                                                                                       \
NNF_WIDE static void nnf_dw_corr_any_##S(const T* restrict xp, ptrdiff_t xs,            \
        const T* restrict k, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw,   \
        T* restrict y, ptrdiff_t oh, ptrdiff_t ow, T b, int acc) {                     \
    nnf_dw_corr_body_##S(xp, xs, k, kh, kw, sh, sw, y, oh, ow, b, acc);                \
}                                                                                       \
static void nnf_dw_corr_##S(const T* restrict xp, ptrdiff_t xs, const T* restrict k,    \
                            ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw,    \
                            T* restrict y, ptrdiff_t oh, ptrdiff_t ow, T b, int acc) { \
    if (kh == 3 && kw == 3 && sh == 1 && sw == 1)                                       \
        nnf_dw_corr_3s1_##S(xp, xs, k, y, oh, ow, b, acc);                              \
    else if (kh == 5 && kw == 5 && sh == 1 && sw == 1)                                  \
        nnf_dw_corr_5s1_##S(xp, xs, k, y, oh, ow, b, acc);                              \
    else if (kh == 3 && kw == 3 && sh == 2 && sw == 2)                                  \
        nnf_dw_corr_3s2_##S(xp, xs, k, y, oh, ow, b, acc);                              \
    else if (sh == 1 && sw == 1)                                                        \
        nnf_dw_corr_s1_##S(xp, xs, k, kh, kw, y, oh, ow, b, acc);                       \
    else                                                                                \
        nnf_dw_corr_any_##S(xp, xs, k, kh, kw, sh, sw, y, oh, ow, b, acc);              \
}                                                                                       \
                                                                                        \
/* gp[oy sh + ky, ox sw + kx] += k[ky, kx] go[oy, ox] (gp: the padded image,            \
   row stride gs, zeroed by the caller); the gradInput of stride > 1 */                 \
static void nnf_dw_scatter_##S(const T* restrict go, ptrdiff_t oh, ptrdiff_t ow,        \
                               const T* restrict k, ptrdiff_t kh, ptrdiff_t kw,        \
                               ptrdiff_t sh, ptrdiff_t sw, T* restrict gp,             \
                               ptrdiff_t gs) {                                         \
    for (ptrdiff_t oy = 0; oy < oh; oy++) {                                             \
        const T* g = go + oy * ow;                                                      \
        for (ptrdiff_t ky = 0; ky < kh; ky++) {                                         \
            T* row = gp + (oy * sh + ky) * gs;                                          \
            for (ptrdiff_t kx = 0; kx < kw; kx++) {                                     \
                const T wv = k[ky * kw + kx];                                           \
                for (ptrdiff_t ox = 0; ox < ow; ox++) row[ox * sw + kx] += wv * g[ox];  \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
}                                                                                       \
                                                                                        \
/* out[ky kw + kx] = sum_{oy, ox} go[oy, ox] xp[oy sh + ky, ox sw + kx] and, with       \
   bias, out[kh kw] = sum go: NL lanes (lane = ox mod NL) summed over the               \
   plane, then added lane 0 first. The last chunk of a row masks its lanes              \
   past the row (a product with a value beyond it could be NaN) */                     \
/* (pointer arguments, not vector ones: a vector argument or result would change  \
   the ABI of the baseline clone, -Wpsabi) */                                      \
NNF_DW_INLINE void nnf_dw_gchunk_##S(const T* restrict g, ptrdiff_t n,                  \
                                     nnf_dwV_##S* v) {                                  \
    enum { NL = NNF_DWN_##S };                                                          \
    if (n >= NL) {                                                                      \
        memcpy(v, g, sizeof *v);                                                        \
        return;                                                                         \
    }                                                                                   \
    nnf_dwV_##S t = {0};                                                                \
    for (ptrdiff_t l = 0; l < n; l++) t[l] = g[l];                                      \
    *v = t;                                                                             \
}                                                                                       \
NNF_DW_INLINE T nnf_dw_lsum_##S(const nnf_dwV_##S* a) {                                 \
    T s = (*a)[0];                                                                      \
    for (int l = 1; l < NNF_DWN_##S; l++) s += (*a)[l];                                 \
    return s;                                                                           \
}                                                                                       \
/* out[j] = the lane sums of taps (ky, kx0 + j), j < nk (a constant once            \
   inlined): per tap the same additions in the same order as one tap a pass */     \
NNF_DW_INLINE void nnf_dw_gw_taps_##S(const T* restrict xp, ptrdiff_t xs,               \
                                      const T* restrict go, ptrdiff_t oh,              \
                                      ptrdiff_t ow, ptrdiff_t sh, ptrdiff_t sw,        \
                                      ptrdiff_t ky, ptrdiff_t kx0, const int nk,       \
                                      ptrdiff_t full, nnf_dwi_##S mask,                \
                                      T* restrict out) {                               \
    enum { NL = NNF_DWN_##S };                                                          \
    nnf_dwV_##S a[4] = {{0}};                                                           \
    for (ptrdiff_t oy = 0; oy < oh; oy++) {                                             \
        const T* g = go + oy * ow;                                                      \
        const T* r = xp + (oy * sh + ky) * xs + kx0;                                    \
        ptrdiff_t ox = 0;                                                               \
        for (; ox < full; ox += NL) {                                                   \
            const nnf_dwV_##S gv = NNF_DW_LD(nnf_dwV_##S, g + ox);                      \
            for (int j = 0; j < nk; j++) {                                              \
                nnf_dwV_##S v;                                                          \
                if (sw == 1) {                                                          \
                    v = NNF_DW_LD(nnf_dwV_##S, r + ox + j);                             \
                } else {                                                                \
                    for (int l = 0; l < NL; l++) v[l] = r[(ox + l) * sw + j];           \
                }                                                                       \
                a[j] += gv * v;                                                         \
            }                                                                           \
        }                                                                               \
        if (ox < ow) {                                                                  \
            nnf_dwV_##S gv;                                                             \
            nnf_dw_gchunk_##S(g + ox, ow - ox, &gv);                                    \
            for (int j = 0; j < nk; j++) {                                              \
                nnf_dwV_##S v;                                                          \
                for (int l = 0; l < NL; l++) v[l] = r[(ox + l) * sw + j];               \
                const nnf_dwV_##S p = gv * v;                                           \
                a[j] += (nnf_dwV_##S)((nnf_dwi_##S)p & mask);                           \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
    for (int j = 0; j < nk; j++) out[j] = nnf_dw_lsum_##S(&a[j]);                       \
}                                                                                       \
NNF_DW_INLINE void nnf_dw_gw_body_##S(const T* restrict xp, ptrdiff_t xs,               \
                                      const T* restrict go, ptrdiff_t oh,              \
                                      ptrdiff_t ow, ptrdiff_t kh, ptrdiff_t kw,        \
                                      ptrdiff_t sh, ptrdiff_t sw, T* restrict out,     \
                                      int bias) {                                      \
    enum { NL = NNF_DWN_##S };                                                          \
    const ptrdiff_t full = ow / NL * NL;                                                \
    nnf_dwi_##S mask;                                                                   \
    for (int l = 0; l < NL; l++) mask[l] = l < ow - full ? -1 : 0;                      \
    if (bias) {                                                                         \
        nnf_dwV_##S a = {0};                                                            \
        for (ptrdiff_t oy = 0; oy < oh; oy++)                                           \
            for (ptrdiff_t ox = 0; ox < ow; ox += NL)                                   \
            {                                                                           \
                nnf_dwV_##S v;                                                          \
                nnf_dw_gchunk_##S(go + oy * ow + ox, ow - ox, &v);                      \
                a += v;                                                                 \
            }                                                                           \
        out[kh * kw] = nnf_dw_lsum_##S(&a);                                             \
    }                                                                                   \
    for (ptrdiff_t ky = 0; ky < kh; ky++) {                                             \
        /* up to 4 taps of a kernel row per pass: one gradOutput load for all */       \
        ptrdiff_t kx = 0;                                                               \
        for (; kx + 4 <= kw; kx += 4)                                                   \
            nnf_dw_gw_taps_##S(xp, xs, go, oh, ow, sh, sw, ky, kx, 4, full, mask,       \
                               out + ky * kw + kx);                                     \
        if (kw - kx == 3)                                                               \
            nnf_dw_gw_taps_##S(xp, xs, go, oh, ow, sh, sw, ky, kx, 3, full, mask,       \
                               out + ky * kw + kx);                                     \
        else if (kw - kx == 2)                                                          \
            nnf_dw_gw_taps_##S(xp, xs, go, oh, ow, sh, sw, ky, kx, 2, full, mask,       \
                               out + ky * kw + kx);                                     \
        else if (kw - kx == 1)                                                          \
            nnf_dw_gw_taps_##S(xp, xs, go, oh, ow, sh, sw, ky, kx, 1, full, mask,       \
                               out + ky * kw + kx);                                     \
    }                                                                                   \
}                                                                                       \
NNF_WIDE static void nnf_dw_gw_3s1_##S(const T* restrict xp, ptrdiff_t xs,              \
        const T* restrict go, ptrdiff_t oh, ptrdiff_t ow, T* restrict out, int bias) {  \
    nnf_dw_gw_body_##S(xp, xs, go, oh, ow, 3, 3, 1, 1, out, bias);                     \
}                                                                                       \
NNF_WIDE static void nnf_dw_gw_s1_##S(const T* restrict xp, ptrdiff_t xs,               \
        const T* restrict go, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t kh, ptrdiff_t kw,  \
        T* restrict out, int bias) {                                                   \
    nnf_dw_gw_body_##S(xp, xs, go, oh, ow, kh, kw, 1, 1, out, bias);                   \
}                                                                                       \
NNF_WIDE static void nnf_dw_gw_any_##S(const T* restrict xp, ptrdiff_t xs,              \
        const T* restrict go, ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t kh, ptrdiff_t kw,  \
        ptrdiff_t sh, ptrdiff_t sw, T* restrict out, int bias) {                       \
    nnf_dw_gw_body_##S(xp, xs, go, oh, ow, kh, kw, sh, sw, out, bias);                 \
}                                                                                       \
static void nnf_dw_gw_##S(const T* restrict xp, ptrdiff_t xs, const T* restrict go,     \
                          ptrdiff_t oh, ptrdiff_t ow, ptrdiff_t kh, ptrdiff_t kw,      \
                          ptrdiff_t sh, ptrdiff_t sw, T* restrict out, int bias) {     \
    if (kh == 3 && kw == 3 && sh == 1 && sw == 1)                                       \
        nnf_dw_gw_3s1_##S(xp, xs, go, oh, ow, out, bias);                               \
    else if (sh == 1 && sw == 1)                                                        \
        nnf_dw_gw_s1_##S(xp, xs, go, oh, ow, kh, kw, out, bias);                        \
    else                                                                                \
        nnf_dw_gw_any_##S(xp, xs, go, oh, ow, kh, kw, sh, sw, out, bias);               \
}                                                                                        \
/* planes p0 <= p < p1 (p = n C + i) of the forward; -1: out of memory */               \
static int nnf_dw_forward_##S(const nnf_dw_job* j, ptrdiff_t p0, ptrdiff_t p1) {        \
    const T* x = (const T*)j->x;                                                        \
    const T* w = (const T*)j->w;                                                        \
    const T* b = (const T*)j->b;                                                        \
    T* y = (T*)j->y;                                                                    \
    const ptrdiff_t kk = j->kh * j->kw, L = j->oh * j->ow, HW = j->H * j->W;            \
    const ptrdiff_t hp = (j->oh - 1) * j->sh + j->kh;                                   \
    const ptrdiff_t wp = nnf_dw_width(j->ow, j->sw, j->kw, NNF_DWN_##S);                \
    T* xb = (T*)malloc((size_t)(hp * wp) * sizeof(T));                                  \
    if (xb == NULL) return -1;                                                          \
    for (ptrdiff_t p = p0; p < p1; p++) {                                               \
        const ptrdiff_t i = p % j->C;                                                   \
        nnf_dw_pad_##S(x + p * HW, j->H, j->W, xb, hp, wp, j->ph, j->pw);               \
        for (ptrdiff_t m = 0; m < j->M; m++)                                            \
            nnf_dw_corr_##S(xb, wp, w + (m * j->C + i) * kk, j->kh, j->kw, j->sh,       \
                            j->sw, y + (p * j->M + m) * L, j->oh, j->ow,                \
                            b != NULL ? b[m * j->C + i] : (T)0, 0);                     \
    }                                                                                   \
    free(xb);                                                                           \
    return 0;                                                                           \
}                                                                                       \
                                                                                        \
/* planes p0 <= p < p1 of the backward: gradInput, and the plane's gradWeight           \
   (gradBias) sums into part; -1: out of memory */                                      \
static int nnf_dw_backward_##S(const nnf_dw_job* j, ptrdiff_t p0, ptrdiff_t p1) {       \
    const T* x = (const T*)j->x;                                                        \
    const T* w = (const T*)j->w;                                                        \
    const T* go = (const T*)j->go;                                                      \
    T* gi = (T*)j->gi;                                                                  \
    T* part = (T*)j->part;                                                              \
    const ptrdiff_t kh = j->kh, kw = j->kw, kk = kh * kw, L = j->oh * j->ow;            \
    const ptrdiff_t H = j->H, W = j->W, HW = H * W;                                     \
    const int s1 = j->sh == 1 && j->sw == 1;                                            \
    const ptrdiff_t hp = (j->oh - 1) * j->sh + kh;                                      \
    const ptrdiff_t wp = nnf_dw_width(j->ow, j->sw, kw, NNF_DWN_##S);                   \
    /* stride 1: the bordered gradOutput (H + kh - 1 rows); else the scatter            \
       image, the forward's geometry */                                                 \
    const ptrdiff_t hg = s1 ? H + kh - 1 : hp;                                          \
    const ptrdiff_t wg = s1 ? nnf_dw_width(W, 1, kw, NNF_DWN_##S) : (j->ow - 1) * j->sw + kw; \
    T* xb = (T*)malloc((size_t)(hp * wp + hg * wg + kk) * sizeof(T));                   \
    if (xb == NULL) return -1;                                                          \
    T* gb = xb + hp * wp;                                                               \
    T* kf = gb + hg * wg;                                                               \
    for (ptrdiff_t p = p0; p < p1; p++) {                                               \
        const ptrdiff_t i = p % j->C;                                                   \
        T* gip = gi + p * HW;                                                           \
        if (s1) {                                                                       \
            for (ptrdiff_t m = 0; m < j->M; m++) {                                      \
                const T* k = w + (m * j->C + i) * kk;                                   \
                for (ptrdiff_t t = 0; t < kk; t++) kf[t] = k[kk - 1 - t];               \
                nnf_dw_pad_##S(go + (p * j->M + m) * L, j->oh, j->ow, gb, hg, wg,       \
                               kh - 1 - j->ph, kw - 1 - j->pw);                         \
                nnf_dw_corr_##S(gb, wg, kf, kh, kw, 1, 1, gip, H, W, (T)0, m > 0);      \
            }                                                                           \
        } else {                                                                        \
            memset(gb, 0, (size_t)(hg * wg) * sizeof(T));                               \
            for (ptrdiff_t m = 0; m < j->M; m++)                                        \
                nnf_dw_scatter_##S(go + (p * j->M + m) * L, j->oh, j->ow,               \
                                   w + (m * j->C + i) * kk, kh, kw, j->sh, j->sw,       \
                                   gb, wg);                                             \
            nnf_dw_pad_##S(gb, hg, wg, gip, H, W, -j->ph, -j->pw);                      \
        }                                                                               \
        nnf_dw_pad_##S(x + p * HW, H, W, xb, hp, wp, j->ph, j->pw);                     \
        for (ptrdiff_t m = 0; m < j->M; m++)                                            \
            nnf_dw_gw_##S(xb, wp, go + (p * j->M + m) * L, j->oh, j->ow, kh, kw,        \
                          j->sh, j->sw, part + (p * j->M + m) * (kk + 1),               \
                          j->b != NULL);                                                \
    }                                                                                   \
    free(xb);                                                                           \
    return 0;                                                                           \
}                                                                                       \
                                                                                        \
/* gradWeight[m, i kk + t] (and gradBias[m, i]) = the planes' sums added over           \
   the batch in order n = 0, 1, ... (so independent of how planes were split) */        \
static void nnf_dw_reduce_##S(const nnf_dw_job* j, T* restrict gw, T* restrict gbias) { \
    const T* part = (const T*)j->part;                                                  \
    const ptrdiff_t kk = j->kh * j->kw, C = j->C, M = j->M;                             \
    for (ptrdiff_t m = 0; m < M; m++) {                                                 \
        for (ptrdiff_t i = 0; i < C; i++) {                                             \
            for (ptrdiff_t t = 0; t <= kk; t++) {                                       \
                if (t == kk && gbias == NULL) break;                                    \
                T s = 0;                                                                \
                for (ptrdiff_t n = 0; n < j->N; n++)                                    \
                    s += part[((n * C + i) * M + m) * (kk + 1) + t];                    \
                if (t < kk) gw[(m * C + i) * kk + t] = s;                               \
                else gbias[m * C + i] = s;                                              \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
}

NNF_DW_DEFS(float, f)
NNF_DW_DEFS(double, d)

#endif /* NNFUNC_DEPTHWISE_H */
