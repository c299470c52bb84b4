/* Row passes of the max pooling kernels (volumetric_pooling.pyx: the 3-D
 * and temporal poolings), written to vectorise and compiled with NNF_WIDE
 * (AVX2 and AVX-512 clones, picked at load time). One call handles one
 * output row (ot, oy) of a pooling with column stride dW = 1 (contiguous
 * loads: TemporalMaxPooling's features, stride-1 3-D poolings; strided
 * rows stay in the Cython loops, where the baseline build runs them faster
 * than these clones did): the kernel taps are the loops around an inner
 * loop over the row's oW windows (independent running maxima), reading input
 * columns xs + ox; each tap's outputs whose column lies in the input,
 * [xr[2 kx], xr[2 kx + 1]), are computed once per call by the caller. One
 * call per row (not per tap) keeps the clone dispatch off the inner loops.
 *
 *   row_max:    m[ox] = the window maximum: a value is taken when greater
 *               than the running maximum or NaN (PyTorch's rule)
 *   row_argmax: the same and tap[ox] = (kt kH + ky) kW + kx of the winner,
 *               a float (exact below 2**24 taps; one select width with m);
 *               the first in-bounds value is always taken (tap < 0), so an
 *               all -inf window has a winner
 *   row_route:  adds g[ox] to the winner's position in vol, tap by
 *               tap (a select over contiguous columns, no scatter)
 *
 * Selects and one add per element in a fixed order only: every clone gives
 * the same bits. The extension is compiled with -fno-trapping-math so that
 * the selects if-convert.
 */
#ifndef NNFUNC_POOL_H
#define NNFUNC_POOL_H

#include <math.h>
#include <stddef.h>

#include "_vmath.h"

typedef struct {
    ptrdiff_t planes, T, H, W, oT, oH, oW;
    ptrdiff_t kT, kH, kW, dT, dH, dW, pT, pH, pW, lT, lH, lW;
    ptrdiff_t* xr;
} nnf_geom;

#define NNF_TAKE(v, c) (((v) > (c)) | ((v) != (v)))

/* the tap loops of a row: BODY sees src (the tap's input row shifted to
   column xs), lo, hi, t (the tap number) and runs the oW-wide loop */
#define NNF_TAPS(FT, row_t, ...)                                               \
    const ptrdiff_t ts = ot * g->dT - g->pT, hs = oy * g->dH - g->pH;          \
    for (ptrdiff_t kt = 0; kt < g->kT; kt++) {                                 \
        const ptrdiff_t it = ts + kt * g->lT;                                  \
        if (it < 0 || it >= g->T) continue;                                    \
        for (ptrdiff_t ky = 0; ky < g->kH; ky++) {                             \
            const ptrdiff_t iy = hs + ky * g->lH;                              \
            if (iy < 0 || iy >= g->H) continue;                                \
            row_t row = vol + (it * g->H + iy) * g->W;                         \
            for (ptrdiff_t kx = 0; kx < g->kW; kx++) {                         \
                row_t src = row + kx * g->lW - g->pW;                          \
                const FT t = (FT)((kt * g->kH + ky) * g->kW + kx);             \
                const ptrdiff_t lo = g->xr[2 * kx], hi = g->xr[2 * kx + 1];    \
                (void)t;                                                       \
                __VA_ARGS__                                                    \
            }                                                                  \
        }                                                                      \
    }

#define NNF_POOL(FT, S)                                                        \
NNF_WIDE static void nnf_row_max_##S(const FT* restrict vol, FT* restrict m,   \
                                     const nnf_geom* g, ptrdiff_t ot,          \
                                     ptrdiff_t oy) {                           \
    for (ptrdiff_t o = 0; o < g->oW; o++) m[o] = (FT)-INFINITY;                \
    NNF_TAPS(FT, const FT* restrict,                                           \
        for (ptrdiff_t o = lo; o < hi; o++) {                                  \
            const FT v = src[o], c = m[o];                                     \
            m[o] = NNF_TAKE(v, c) ? v : c;                                     \
        })                                                                     \
}                                                                              \
NNF_WIDE static void nnf_row_argmax_##S(const FT* restrict vol, FT* restrict m, \
                                        FT* restrict tap, const nnf_geom* g,   \
                                        ptrdiff_t ot, ptrdiff_t oy) {          \
    for (ptrdiff_t o = 0; o < g->oW; o++) {                                    \
        m[o] = (FT)-INFINITY;                                                  \
        tap[o] = -1;                                                           \
    }                                                                          \
    NNF_TAPS(FT, const FT* restrict,                                           \
        for (ptrdiff_t o = lo; o < hi; o++) {                                  \
            const FT v = src[o], c = m[o], cur = tap[o];                       \
            const int k = NNF_TAKE(v, c) | (cur < 0);                          \
            m[o] = k ? v : c;                                                  \
            tap[o] = k ? t : cur;                                              \
        })                                                                     \
}                                                                              \
NNF_WIDE static void nnf_row_route_##S(FT* restrict vol, const FT* restrict g_, \
                                       const FT* restrict tap,                 \
                                       const nnf_geom* g, ptrdiff_t ot,        \
                                       ptrdiff_t oy) {                         \
    NNF_TAPS(FT, FT* restrict,                                                 \
        for (ptrdiff_t o = lo; o < hi; o++) {                                  \
            const FT v = g_[o], cur = tap[o];                                  \
            src[o] += cur == t ? v : (FT)0;                                    \
        })                                                                     \
}

NNF_POOL(float, f)
NNF_POOL(double, d)

#endif /* NNFUNC_POOL_H */
