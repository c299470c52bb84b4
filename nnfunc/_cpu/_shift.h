/* The "shift" convolution: float32, AVX-512, no column matrix.
 *
 * A stride-1 convolution (any kernel, padding and dilation, 2-D or 3-D) is
 * computed straight from a zero-padded copy of each image. Call the padded
 * image xp (C, Tp, Hp, Wp) with Tp = OT + (kT-1)*dT, and so on, and number
 * the output positions of one output plane ot "wide": n = oy*Wp + ox, with
 * 0 <= ox < Wp (the columns ox >= OW are not outputs). Then tap k = (c, kt,
 * ky, kx) of output n reads
 *
 *     xp[off[k] + ot*Hp*Wp + n],  off[k] = c*Tp*Hp*Wp + kt*dT*Hp*Wp + ky*dH*Wp + kx*dW
 *
 * so for a run of consecutive n, a tap is a contiguous run of xp: the
 * column matrix of im2col is never written, its rows are read in place at a
 * shift. The forward is the GEMM y[o, n] = sum_k W[o, k] * xp[off[k] + n],
 * done by a register-blocked micro-kernel (NNF_SHIFT_MR output planes x
 * NNF_SHIFT_NV vectors of 16 wide positions, 24 zmm accumulators) that
 * broadcasts the weights and loads the shifted runs. The vectors of a plane
 * start either every 16 wide positions ("wide": rows packed, the columns
 * ox >= OW computed too) or at every 16th column of each output row ("rows":
 * only a row's last vector is partly past OW), whichever needs fewer
 * vectors; the lanes that are not outputs are dropped by masked stores
 * (their sums read only the padded buffer and its zeroed slack, and never
 * reach memory).
 *
 * gradInput of a stride-1 convolution is the same forward with the kernel
 * flipped and the roles of the planes swapped, run on gradOutput padded by
 * (k-1)*d - pad on each side (a negative amount crops).
 *
 * A stride s > 1 is a stride-1 convolution of the space-to-depth image (the
 * struct's comment, nnf_shift_pad); its gradInput is that convolution's,
 * put back in place by nnf_shift_d2s. A full (transposed) convolution is
 * computed per output phase (nnf_shift_phase_axis), each phase a stride-1
 * convolution whose output nnf_shift_d2s interleaves.
 *
 * gradWeight is the product gW^T[k, o] = sum_n xp[off[k] + n] * gO^T[n, o]
 * over the true output positions only (no wide columns: a non-finite input
 * that no window reads must not reach gradWeight), with gO^T the transposed
 * gradOutput (L, Oq): micro-tiles of mk taps x 16*ov output planes of
 * accumulators, a broadcast of the shifted input times ov loads of gO^T per
 * position.
 *
 * Every output element is summed by one call in a fixed order, whatever the
 * split of the work over threads: the bits never depend on the thread count.
 * All sizes and the padded buffers are prepared (and checked) by the caller,
 * shift_convolution.pyx; this file only computes. nnf_shift_available()
 * says whether the CPU (and OS) run AVX-512; elsewhere the caller takes the
 * BLAS methods.
 */
#ifndef NNFUNC_SHIFT_H
#define NNFUNC_SHIFT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define NNF_SHIFT_X86 1
#define NNF_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#define NNF_AVX512_INLINE static inline __attribute__((always_inline, \
    target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#else
#define NNF_SHIFT_X86 0
#define NNF_AVX512
#endif

#define NNF_SHIFT_MR 8      /* output planes per forward micro-tile */
#define NNF_SHIFT_NV 3      /* zmm vectors of wide positions per forward tile */
#define NNF_SHIFT_NR (16 * NNF_SHIFT_NV)
/* gradWeight micro-tiles: mk taps x ov zmm vectors of output planes, 24
   accumulators: 6 x 4 where the planes come in 64s (fewer pointers to the
   shifted rows: measured 5 % faster), else 12 x 2 */
#define NNF_SHIFT_MK_MAX 12
/* the largest width stride the placements take (the caller checks) */
#define NNF_SHIFT_MAX_STRIDE 16
#define NNF_SHIFT_OV_MAX 4

typedef struct {
    /* the convolution: input planes C of (T, H, W) (the padded image's
       source), O output planes of (OT, OH, OW); the kernel, its dilation,
       its stride and the padding (where the source sits in the padded
       image: negative crops). A stride s > 1 (dilation 1 then) is taken as
       a stride-1 convolution of the space-to-depth image: input plane
       (c, bt, bh, bw) of C1 = C*sT*sH*sW holds x_pad[c, sT*t + bt, sH*h + bh,
       sW*w + bw], and tap (jt, jh, jw) of it is the original tap (sT*jt + bt,
       ...), J = ceil(k/s) taps a side (the taps past k have weight 0). */
    ptrdiff_t C, T, H, W, O, OT, OH, OW;
    ptrdiff_t kT, kH, kW, dT, dH, dW, pT, pH, pW, sT, sH, sW;
    /* derived (nnf_shift_geom): the stride-1 convolution the kernels run */
    ptrdiff_t C1, jT, jH, jW;   /* its input planes and kernel (= C, k for stride 1) */
    ptrdiff_t Tp, Hp, Wp, P;    /* padded image: Tp planes of P = Hp*Wp */
    ptrdiff_t S;                /* floats of one padded image, zeroed slack included */
    ptrdiff_t K;                /* taps: C1*jT*jH*jW */
    ptrdiff_t Mb;               /* O rounded up to NNF_SHIFT_MR */
    ptrdiff_t Lw;               /* wide positions of one output plane: OH*Wp */
    ptrdiff_t vpr;              /* vectors per output row ("rows"), 0: "wide" */
    ptrdiff_t nvec;             /* vectors of one output plane */
    ptrdiff_t ntiles;           /* forward tiles (NV vectors) of one output plane */
    ptrdiff_t L;                /* output positions of one image: OT*OH*OW */
    ptrdiff_t ys;               /* output plane stride of the forward (L; the caller may
                                   set more after nnf_shift_geom) */
    ptrdiff_t mk, ov;           /* gradWeight micro-tile: mk taps x 16*ov planes */
    ptrdiff_t Kq;               /* K rounded up to mk */
    ptrdiff_t Oq;               /* O rounded up to 16*ov */
    ptrdiff_t nq;               /* gradWeight tiles: (Kq/mk) * (Oq/(16 ov)) */
} nnf_shift;

/* the vectors of an output plane for the padded row length g->Wp */
static void nnf_shift_layout(nnf_shift* g) {
    g->Lw = g->OH * g->Wp;
    g->vpr = (g->OW + 15) / 16;
    g->nvec = g->OH * g->vpr;
    if ((g->Lw + 15) / 16 < g->nvec) {
        g->vpr = 0;
        g->nvec = (g->Lw + 15) / 16;
    }
    g->ntiles = (g->nvec + NNF_SHIFT_NV - 1) / NNF_SHIFT_NV;
}

/* the geometry, for a padded image larger than the kernel needs (Tp, Hp, Wp
   at least nnf_shift_geom's): several stride-1 convolutions reading one
   padded copy at their own offsets (the full convolution's phases) */
static void nnf_shift_restride(nnf_shift* g, ptrdiff_t Tp, ptrdiff_t Hp, ptrdiff_t Wp) {
    g->Tp = Tp;
    g->Hp = Hp;
    g->Wp = Wp;
    g->P = Hp * Wp;
    /* reads reach at most a plane and two rows past the planes (a reader's
       offset into the copy included; see the header comment) */
    g->S = g->C1 * Tp * g->P + g->P + 2 * Wp + NNF_SHIFT_NR + 64;
    nnf_shift_layout(g);
}

static void nnf_shift_geom(nnf_shift* g) {
    g->jT = (g->kT + g->sT - 1) / g->sT;
    g->jH = (g->kH + g->sH - 1) / g->sH;
    g->jW = (g->kW + g->sW - 1) / g->sW;
    g->C1 = g->C * g->sT * g->sH * g->sW;
    g->Tp = g->OT + (g->jT - 1) * g->dT;
    g->Hp = g->OH + (g->jH - 1) * g->dH;
    g->Wp = g->OW + (g->jW - 1) * g->dW;
    g->P = g->Hp * g->Wp;
    /* the last tile of the last plane reads up to (jW-1)*dW + NR - 1 floats
       past the image (see the header comment) */
    g->S = g->C1 * g->Tp * g->P + (g->jW - 1) * g->dW + NNF_SHIFT_NR;
    g->K = g->C1 * g->jT * g->jH * g->jW;
    g->Mb = (g->O + NNF_SHIFT_MR - 1) / NNF_SHIFT_MR * NNF_SHIFT_MR;
    nnf_shift_layout(g);
    g->L = g->OT * g->OH * g->OW;
    g->ys = g->L;
    g->ov = g->O % 64 == 0 ? 4 : 2;
    g->mk = g->ov == 4 ? 6 : 12;
    g->Kq = (g->K + g->mk - 1) / g->mk * g->mk;
    g->Oq = (g->O + 16 * g->ov - 1) / (16 * g->ov) * (16 * g->ov);
    g->nq = (g->Kq / g->mk) * (g->Oq / (16 * g->ov));
}

/* the tap offsets off[0..Kq): off[k] as above for k < K, 0 past it (the
   gradWeight rows past K are computed from any valid memory and dropped) */
static void nnf_shift_offsets(const nnf_shift* g, ptrdiff_t* off) {
    ptrdiff_t k = 0;
    for (ptrdiff_t c = 0; c < g->C1; c++)
        for (ptrdiff_t kt = 0; kt < g->jT; kt++)
            for (ptrdiff_t ky = 0; ky < g->jH; ky++)
                for (ptrdiff_t kx = 0; kx < g->jW; kx++)
                    off[k++] = c * g->Tp * g->P + kt * g->dT * g->P + ky * g->dH * g->Wp +
                               kx * g->dW;
    for (; k < g->Kq; k++) off[k] = 0;
}

static inline ptrdiff_t nnf_shift_clamp16(ptrdiff_t v) { return v < 0 ? 0 : v > 16 ? 16 : v; }

/* the sW phases of a padded-source row r (sW*n floats): d[bw][i] =
   r[sW*i + bw] for i < n (width strides over 2, or no AVX-512: strides 1 and
   2 read the source rows directly, nnf_shift_rows1/2); and the inverse,
   r[sW*i + bw] = d[bw][i] */
static void nnf_shift_deal(float* const* d, const float* r, ptrdiff_t sW, ptrdiff_t n) {
    for (ptrdiff_t bw = 0; bw < sW; bw++)
        for (ptrdiff_t i = 0; i < n; i++) d[bw][i] = r[sW * i + bw];
}
static void nnf_shift_undeal_any(float* r, const float* const* d, ptrdiff_t sW, ptrdiff_t n) {
    for (ptrdiff_t bw = 0; bw < sW; bw++)
        for (ptrdiff_t i = 0; i < n; i++) r[sW * i + bw] = d[bw][i];
}

#if NNF_SHIFT_X86
/* nnf_shift_undeal_any, stride 2 (the usual one) with AVX-512 permutes (r
   then takes 2n rounded up to 32 floats) */
NNF_AVX512 static void nnf_shift_undeal(float* r, const float* const* d, ptrdiff_t sW,
                                        ptrdiff_t n) {
    if (sW != 2) {
        nnf_shift_undeal_any(r, d, sW, n);
        return;
    }
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7,
                                         23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1u);
        __m512 a = _mm512_maskz_loadu_ps(m, d[0] + i), b = _mm512_maskz_loadu_ps(m, d[1] + i);
        _mm512_storeu_ps(r + 2 * i, _mm512_permutex2var_ps(a, lo, b));
        _mm512_storeu_ps(r + 2 * i + 16, _mm512_permutex2var_ps(a, hi, b));
    }
}
/* stride-1 padded-source rows: nr rows d + j*dd (n floats each) from the
   source rows s + j*ds (W floats placed at pW: positions outside hold 0),
   with masked loads and stores whose masks are the same for every row (a
   call of memcpy and memset per row of a small image cost 5 % of a 3-D
   convolution); NNF_SHIFT_ROW_VECS vectors of columns at a time. */
#define NNF_SHIFT_ROW_VECS 16
NNF_AVX512 static void nnf_shift_rows1(float* d, ptrdiff_t dd, const float* s, ptrdiff_t ds,
                                       ptrdiff_t nr, ptrdiff_t pW, ptrdiff_t W, ptrdiff_t n) {
    __mmask16 ma[NNF_SHIFT_ROW_VECS], m[NNF_SHIFT_ROW_VECS];
    for (ptrdiff_t c0 = 0; c0 < n; c0 += 16 * NNF_SHIFT_ROW_VECS) {
        ptrdiff_t nv = (n - c0 + 15) / 16;
        if (nv > NNF_SHIFT_ROW_VECS) nv = NNF_SHIFT_ROW_VECS;
        for (ptrdiff_t v = 0; v < nv; v++) {
            ptrdiff_t i = c0 + 16 * v;
            ptrdiff_t lo = nnf_shift_clamp16(pW - i), hi = nnf_shift_clamp16(pW + W - i);
            ma[v] = (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
            m[v] = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1u);
        }
        for (ptrdiff_t j = 0; j < nr; j++) {
            /* lane l of column vector i reads s[i + l - pW] (masked off outside the row) */
            const char* base = (const char*)(s + j * ds + c0) - pW * (ptrdiff_t)sizeof(float);
            float* dr = d + j * dd + c0;
            for (ptrdiff_t v = 0; v < nv; v++)
                _mm512_mask_storeu_ps(dr + 16 * v, m[v],
                                      _mm512_maskz_loadu_ps(ma[v], base + 64 * v));
        }
    }
}
/* nnf_shift_rows1 for a width stride of 2: the two phases of each row,
   d0 + j*dd and d1 + j*dd (n floats each), read straight from the source row
   s + j*ds: phase b position i holds s[2i + b - pW] (0 outside the row) */
NNF_AVX512 static void nnf_shift_rows2(float* d0, float* d1, ptrdiff_t dd, const float* s,
                                       ptrdiff_t ds, ptrdiff_t nr, ptrdiff_t pW, ptrdiff_t W,
                                       ptrdiff_t n) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                         30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    __mmask16 ma[NNF_SHIFT_ROW_VECS], mb[NNF_SHIFT_ROW_VECS], m[NNF_SHIFT_ROW_VECS];
    for (ptrdiff_t c0 = 0; c0 < n; c0 += 16 * NNF_SHIFT_ROW_VECS) {
        ptrdiff_t nv = (n - c0 + 15) / 16;
        if (nv > NNF_SHIFT_ROW_VECS) nv = NNF_SHIFT_ROW_VECS;
        for (ptrdiff_t v = 0; v < nv; v++) {
            /* positions 2i + l, l < 32, hold s[2i + l - pW] for pW <= 2i + l < pW + W */
            ptrdiff_t i = c0 + 16 * v;
            ptrdiff_t lo = nnf_shift_clamp16(pW - 2 * i), hi = nnf_shift_clamp16(pW + W - 2 * i);
            ptrdiff_t lo2 = nnf_shift_clamp16(pW - 2 * i - 16),
                      hi2 = nnf_shift_clamp16(pW + W - 2 * i - 16);
            ma[v] = (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
            mb[v] = (__mmask16)(((1u << hi2) - 1u) & ~((1u << lo2) - 1u));
            m[v] = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1u);
        }
        for (ptrdiff_t j = 0; j < nr; j++) {
            const char* base =
                (const char*)(s + j * ds + 2 * c0) - pW * (ptrdiff_t)sizeof(float);
            float* r0 = d0 + j * dd + c0;
            float* r1 = d1 + j * dd + c0;
            for (ptrdiff_t v = 0; v < nv; v++) {
                __m512 a = _mm512_maskz_loadu_ps(ma[v], base + 128 * v),
                       b = _mm512_maskz_loadu_ps(mb[v], base + 128 * v + 64);
                _mm512_mask_storeu_ps(r0 + 16 * v, m[v], _mm512_permutex2var_ps(a, ev, b));
                _mm512_mask_storeu_ps(r1 + 16 * v, m[v], _mm512_permutex2var_ps(a, od, b));
            }
        }
    }
}
#else
#define nnf_shift_undeal nnf_shift_undeal_any
#endif

/* scratch rows of the strided placements: sW*Wp floats + 32 (the permutes
   of nnf_shift_undeal write up to 31 past 2*Wp); zeroed; NULL if out of
   memory */
static float* nnf_shift_row_alloc(const nnf_shift* g) {
    return (float*)calloc((size_t)(g->sW * g->Wp + 32), sizeof(float));
}

/* xp (S floats) = the image src (C, T, H, W) placed at (pT, pH, pW) in
   zeros (space-to-depth for a stride: plane (c, bt, bh, bw) position
   (t, h, w) holds src[c, sT*t + bt - pT, ...]), slack zeroed. row: scratch
   from nnf_shift_row_alloc (used for a width stride only). */
static void nnf_shift_pad(const nnf_shift* g, const float* src, float* xp, float* row) {
    ptrdiff_t nph = g->sT * g->sH * g->sW, n = g->sW * g->Wp;
    /* the padded-source row positions j0 .. j1 that hold source columns */
    ptrdiff_t j0 = g->pW > 0 ? g->pW : 0, j1 = g->pW + g->W < n ? g->pW + g->W : n;
    float* d[NNF_SHIFT_MAX_STRIDE];
    if (j1 < j0) j1 = j0;
#if NNF_SHIFT_X86
    if (g->sW <= 2) {
        /* width stride 1 or 2: the source rows of each plane (or pair of
           width phases) in one call, the rest zeroed plane by plane */
        for (ptrdiff_t c1 = 0; c1 < g->C1; c1 += g->sW) {
            ptrdiff_t c = c1 / nph, ph = c1 % nph;
            ptrdiff_t bt = ph / (g->sH * g->sW), bh = ph / g->sW % g->sH;
            /* the rows hp of h0 .. h1 hold source rows sH*hp + bh - pH */
            ptrdiff_t h0 = g->pH - bh > 0 ? (g->pH - bh + g->sH - 1) / g->sH : 0;
            ptrdiff_t h1 = g->H + g->pH - bh > 0 ? (g->H + g->pH - bh + g->sH - 1) / g->sH : 0;
            if (h1 > g->Hp) h1 = g->Hp;
            if (h1 < h0) h1 = h0;
            for (ptrdiff_t tp = 0; tp < g->Tp; tp++) {
                ptrdiff_t ts = g->sT * tp + bt - g->pT;
                float* pl = xp + (c1 * g->Tp + tp) * g->P;
                float* pl1 = pl + g->Tp * g->P;       /* the second width phase */
                if (ts < 0 || ts >= g->T || h1 == h0 || j0 == j1) {
                    memset(pl, 0, (size_t)g->P * sizeof(float));
                    if (g->sW == 2) memset(pl1, 0, (size_t)g->P * sizeof(float));
                    continue;
                }
                const float* sr = src + ((c * g->T + ts) * g->H + g->sH * h0 + bh - g->pH) * g->W;
                memset(pl, 0, (size_t)(h0 * g->Wp) * sizeof(float));
                memset(pl + h1 * g->Wp, 0, (size_t)((g->Hp - h1) * g->Wp) * sizeof(float));
                if (g->sW == 1) {
                    nnf_shift_rows1(pl + h0 * g->Wp, g->Wp, sr, g->sH * g->W, h1 - h0, g->pW,
                                    g->W, g->Wp);
                    continue;
                }
                memset(pl1, 0, (size_t)(h0 * g->Wp) * sizeof(float));
                memset(pl1 + h1 * g->Wp, 0, (size_t)((g->Hp - h1) * g->Wp) * sizeof(float));
                nnf_shift_rows2(pl + h0 * g->Wp, pl1 + h0 * g->Wp, g->Wp, sr, g->sH * g->W,
                                h1 - h0, g->pW, g->W, g->Wp);
            }
        }
        memset(xp + g->C1 * g->Tp * g->P, 0,
               (size_t)(g->S - g->C1 * g->Tp * g->P) * sizeof(float));
        return;
    }
#endif
    for (ptrdiff_t c1 = 0; c1 < g->C1; c1 += g->sW) {     /* all sW phases at once */
        ptrdiff_t c = c1 / nph, ph = c1 % nph;
        ptrdiff_t bt = ph / (g->sH * g->sW), bh = ph / g->sW % g->sH;
        for (ptrdiff_t tp = 0; tp < g->Tp; tp++) {
            ptrdiff_t ts = g->sT * tp + bt - g->pT;
            for (ptrdiff_t hp = 0; hp < g->Hp; hp++) {
                ptrdiff_t hs = g->sH * hp + bh - g->pH;
                for (ptrdiff_t bw = 0; bw < g->sW; bw++)
                    d[bw] = xp + (((c1 + bw) * g->Tp + tp) * g->Hp + hp) * g->Wp;
                if (ts < 0 || ts >= g->T || hs < 0 || hs >= g->H || j0 == j1) {
                    for (ptrdiff_t bw = 0; bw < g->sW; bw++)
                        memset(d[bw], 0, (size_t)g->Wp * sizeof(float));
                    continue;
                }
                const float* s = src + ((c * g->T + ts) * g->H + hs) * g->W;
                /* stride 1 (without AVX-512): straight into the plane; else
                   through the scratch row */
                float* r = g->sW == 1 ? d[0] : row;
                for (ptrdiff_t j = 0; j < j0; j++) r[j] = 0.0f;
                memcpy(r + j0, s + (j0 - g->pW), (size_t)(j1 - j0) * sizeof(float));
                for (ptrdiff_t j = j1; j < n; j++) r[j] = 0.0f;
                if (g->sW > 1) nnf_shift_deal(d, row, g->sW, g->Wp);
            }
        }
    }
    memset(xp + g->C1 * g->Tp * g->P, 0,
           (size_t)(g->S - g->C1 * g->Tp * g->P) * sizeof(float));
}

/* where the taps of a stride s > 1 go in the space-to-depth convolution, per
   axis: tap k is tap j[k] = k / s of phase b[k] = k % s (tables, so that the
   weight maps below divide nothing per element) */
#define NNF_SHIFT_MAX_K 64
static int nnf_shift_axis_map(ptrdiff_t k, ptrdiff_t s, ptrdiff_t* b, ptrdiff_t* j) {
    if (k > NNF_SHIFT_MAX_K) return 0;
    for (ptrdiff_t i = 0; i < k; i++) {
        b[i] = i % s;
        j[i] = i / s;
    }
    return 1;
}

/* the index in the space-to-depth convolution's (C1, jT, jH, jW) taps of
   each tap (c, kt, kh, kw) of plane c's kernel, c = 0: idx[(kt*kH + kh)*kW
   + kw] (plane c adds c * nph * jtaps); 0 if a kernel side is over
   NNF_SHIFT_MAX_K (then the caller maps tap by tap) */
static int nnf_shift_s2d_index(const nnf_shift* g, ptrdiff_t* idx) {
    ptrdiff_t bt[NNF_SHIFT_MAX_K], jt[NNF_SHIFT_MAX_K], bh[NNF_SHIFT_MAX_K],
        jh[NNF_SHIFT_MAX_K], bw[NNF_SHIFT_MAX_K], jw[NNF_SHIFT_MAX_K];
    ptrdiff_t jtaps = g->jT * g->jH * g->jW, i = 0;
    if (!nnf_shift_axis_map(g->kT, g->sT, bt, jt) || !nnf_shift_axis_map(g->kH, g->sH, bh, jh) ||
        !nnf_shift_axis_map(g->kW, g->sW, bw, jw))
        return 0;
    for (ptrdiff_t kt = 0; kt < g->kT; kt++)
        for (ptrdiff_t kh = 0; kh < g->kH; kh++)
            for (ptrdiff_t kw = 0; kw < g->kW; kw++)
                idx[i++] = ((bt[kt] * g->sH + bh[kh]) * g->sW + bw[kw]) * jtaps +
                           (jt[kt] * g->jH + jh[kh]) * g->jW + jw[kw];
    return 1;
}

/* the index of tap (kt, kh, kw) of plane 0 as above, computed */
static inline ptrdiff_t nnf_shift_s2d_tap(const nnf_shift* g, ptrdiff_t kt, ptrdiff_t kh,
                                          ptrdiff_t kw) {
    return (((kt % g->sT) * g->sH + kh % g->sH) * g->sW + kw % g->sW) * g->jT * g->jH * g->jW +
           ((kt / g->sT) * g->jH + kh / g->sH) * g->jW + kw / g->sW;
}

/* the weight w (O, C, kT, kH, kW) as the space-to-depth convolution's
   w1 (O, C1, jT, jH, jW) (0 for the taps past k); idx: scratch of kT*kH*kW */
static void nnf_shift_s2d_weight(const nnf_shift* g, const float* w, float* w1,
                                 ptrdiff_t* idx) {
    ptrdiff_t taps = g->kT * g->kH * g->kW, per = g->C1 * g->jT * g->jH * g->jW;
    ptrdiff_t cstep = per / g->C;
    if (!nnf_shift_s2d_index(g, idx))
        for (ptrdiff_t kt = 0, i = 0; kt < g->kT; kt++)
            for (ptrdiff_t kh = 0; kh < g->kH; kh++)
                for (ptrdiff_t kw = 0; kw < g->kW; kw++) idx[i++] = nnf_shift_s2d_tap(g, kt, kh, kw);
    memset(w1, 0, (size_t)(g->O * per) * sizeof(float));
    for (ptrdiff_t o = 0; o < g->O; o++)
        for (ptrdiff_t c = 0; c < g->C; c++) {
            const float* src = w + (o * g->C + c) * taps;
            float* dst = w1 + o * per + c * cstep;
            for (ptrdiff_t t = 0; t < taps; t++) dst[idx[t]] = src[t];
        }
}

/* gradWeight gw (O, C, kT, kH, kW) from the space-to-depth convolution's
   gwt (Kq, Oq) (its taps k1 = (c1, jt, jh, jw), transposed); at stride 1
   the plain transposition. idx: scratch of kT*kH*kW. */
static void nnf_shift_s2d_gradweight(const nnf_shift* g, const float* gwt, float* gw,
                                     ptrdiff_t* idx) {
    ptrdiff_t taps = g->kT * g->kH * g->kW, cstep = g->K / g->C;
    if (!nnf_shift_s2d_index(g, idx))
        for (ptrdiff_t kt = 0, i = 0; kt < g->kT; kt++)
            for (ptrdiff_t kh = 0; kh < g->kH; kh++)
                for (ptrdiff_t kw = 0; kw < g->kW; kw++) idx[i++] = nnf_shift_s2d_tap(g, kt, kh, kw);
    for (ptrdiff_t o = 0; o < g->O; o++)
        for (ptrdiff_t c = 0; c < g->C; c++) {
            const float* src = gwt + c * cstep * g->Oq + o;
            for (ptrdiff_t t = 0; t < taps; t++) *gw++ = src[idx[t] * g->Oq];
        }
}

/* The phases of a full (transposed) convolution with stride s, kernel k and
   padding p (per axis): output position Y = s*m + f (phase f < s) takes the
   taps k = s*j + r, r = (f + p) mod s, j < J = ceil((k - r)/s), from input
   position m + e - j, e = (f + p) div s. So phase f is a stride-1
   convolution of the input placed at J - 1 - e in the padded image, with the
   taps reversed. nnf_shift_phase_axis gives (J, placement) of one axis. */
static void nnf_shift_phase_axis(ptrdiff_t k, ptrdiff_t s, ptrdiff_t p, ptrdiff_t f,
                                 ptrdiff_t* J, ptrdiff_t* place) {
    ptrdiff_t r = (f + p) % s, e = (f + p) / s;
    *J = r < k ? (k - r + s - 1) / s : 0;
    *place = *J - 1 - e;
}

/* the weight of phase (ft, fh, fw) as a convolution (O, C, JT, JH, JW): from
   the full convolution's w (C, O, kT, kH, kW) with stride (sT, sH, sW) and
   padding (pT, pH, pW); g is the phase's geometry (g->C, g->O, J = g->k*) */
static void nnf_shift_phase_weight(const nnf_shift* g, const float* w, ptrdiff_t kT,
                                   ptrdiff_t kH, ptrdiff_t kW, ptrdiff_t sT, ptrdiff_t sH,
                                   ptrdiff_t sW, ptrdiff_t pT, ptrdiff_t pH, ptrdiff_t pW,
                                   ptrdiff_t ft, ptrdiff_t fh, ptrdiff_t fw, float* wf) {
    ptrdiff_t rt = (ft + pT) % sT, rh = (fh + pH) % sH, rw = (fw + pW) % sW;
    ptrdiff_t JT = g->kT, JH = g->kH, JW = g->kW;
    for (ptrdiff_t o = 0; o < g->O; o++)
        for (ptrdiff_t c = 0; c < g->C; c++)
            for (ptrdiff_t a = 0; a < JT; a++)
                for (ptrdiff_t b = 0; b < JH; b++)
                    for (ptrdiff_t d = 0; d < JW; d++) {
                        ptrdiff_t kt = sT * (JT - 1 - a) + rt, kh = sH * (JH - 1 - b) + rh,
                                  kw = sW * (JW - 1 - d) + rw;
                        *wf++ = w[((c * g->O + o) * kT + kt) * kH * kW + kh * kW + kw];
                    }
}

/* gradInput gi (C, T, H, W) (+ the per-plane values gib, or 0) from the
   space-to-depth convolution's input gradient g1 (C1, Tp, Hp, Wp): the
   inverse of nnf_shift_pad's placement (0 where the padded image reaches
   past the windows). row: scratch from nnf_shift_row_alloc. */
static void nnf_shift_d2s(const nnf_shift* g, const float* g1, const float* gib, float* gi,
                          float* row) {
    ptrdiff_t nph = g->sT * g->sH * g->sW, n = g->sW * g->Wp;
    const float* d[NNF_SHIFT_MAX_STRIDE];
    for (ptrdiff_t c = 0; c < g->C; c++) {
        float base = gib != NULL ? gib[c] : 0.0f;
        for (ptrdiff_t t = 0; t < g->T; t++) {
            ptrdiff_t tt = t + g->pT, mt = tt / g->sT, bt = tt % g->sT;
            for (ptrdiff_t h = 0; h < g->H; h++) {
                ptrdiff_t hh = h + g->pH, mh = hh / g->sH, bh = hh % g->sH;
                float* o = gi + ((c * g->T + t) * g->H + h) * g->W;
                ptrdiff_t w = 0;
                if (mt < g->Tp && mh < g->Hp) {
                    ptrdiff_t c1 = c * nph + (bt * g->sH + bh) * g->sW;
                    for (ptrdiff_t bw = 0; bw < g->sW; bw++)
                        d[bw] = g1 + (((c1 + bw) * g->Tp + mt) * g->Hp + mh) * g->Wp;
                    nnf_shift_undeal(row, d, g->sW, g->Wp);
                    /* output column w is padded-source position w + pW < n */
                    for (; w < g->W && w + g->pW < n; w++) o[w] = base + row[w + g->pW];
                }
                for (; w < g->W; w++) o[w] = base;
            }
        }
    }
}

/* the forward's packed weight wpk (Mb/MR blocks of (K, MR)): block b, tap k,
   row r holds W[b*MR + r, k] (0 for rows >= O), from w (O, C1, jT, jH,
   jW). flip: the weight of the gradInput problem instead (stride 1), from
   the convolution's w (M, N, jT, jH, jW) with g->O = N planes out and
   g->C1 = M planes in: W'[n, (m, t)] = w[m, n, taps-1-t] (every tap index
   reversed). */
static void nnf_shift_pack(const nnf_shift* g, const float* w, float* wpk, int flip) {
    ptrdiff_t taps = g->jT * g->jH * g->jW, K = g->K;
    for (ptrdiff_t b = 0; b < g->Mb / NNF_SHIFT_MR; b++)
        for (ptrdiff_t k = 0; k < K; k++) {
            float* d = wpk + (b * K + k) * NNF_SHIFT_MR;
            for (ptrdiff_t r = 0; r < NNF_SHIFT_MR; r++) {
                ptrdiff_t o = b * NNF_SHIFT_MR + r;
                if (o >= g->O)
                    d[r] = 0.0f;
                else if (!flip)
                    d[r] = w[o * K + k];
                else {
                    ptrdiff_t m = k / taps, t = k % taps;
                    d[r] = w[(m * g->O + o) * taps + (taps - 1 - t)];
                }
            }
        }
}

#if NNF_SHIFT_X86
/* 16 rows of 16 floats (r[i] at s + i*ls) stored transposed (row j at d + j*ld) */
NNF_AVX512_INLINE void nnf_shift_t16(const float* s, ptrdiff_t ls, float* d, ptrdiff_t ld) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(s + i * ls);
    /* 2x2 blocks of floats, then of pairs, within each 128-bit lane */
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]),
                                                   _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]),
                                                       _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]),
                                                       _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]),
                                                       _mm512_castps_pd(t[i + 3])));
    }
    /* now r[4q + c] lane L (128-bit) holds column 4L + c of rows 4q .. 4q+3:
       gather the 128-bit lanes: 0x88 / 0xDD pick lanes (0, 2) / (1, 3) */
    for (int c = 0; c < 4; c++) {
        __m512 a0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);      /* lanes 0,2 | 0,2 */
        __m512 a1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);      /* lanes 1,3 | 1,3 */
        __m512 b0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        __m512 b1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
        /* column 4L + c: lane L of rows 0-3, 4-7, 8-11, 12-15 */
        _mm512_storeu_ps(d + (0 + c) * ld, _mm512_shuffle_f32x4(a0, b0, 0x88));
        _mm512_storeu_ps(d + (4 + c) * ld, _mm512_shuffle_f32x4(a1, b1, 0x88));
        _mm512_storeu_ps(d + (8 + c) * ld, _mm512_shuffle_f32x4(a0, b0, 0xDD));
        _mm512_storeu_ps(d + (12 + c) * ld, _mm512_shuffle_f32x4(a1, b1, 0xDD));
    }
}
#endif

/* gO^T (L, Oq) of one image's gradOutput go (O, L); planes >= O are 0.
   16 x 16 blocks transposed in registers, the edges element by element. */
NNF_AVX512 static void nnf_shift_transpose(const nnf_shift* g, const float* go, float* got) {
    ptrdiff_t L = g->L, O = g->O, Oq = g->Oq, l0 = 0;
#if NNF_SHIFT_X86
    for (; l0 + 16 <= L; l0 += 16) {
        ptrdiff_t o = 0;
        for (; o + 16 <= O; o += 16) nnf_shift_t16(go + o * L + l0, L, got + l0 * Oq + o, Oq);
        for (ptrdiff_t l = l0; l < l0 + 16; l++) {
            for (ptrdiff_t oo = o; oo < O; oo++) got[l * Oq + oo] = go[oo * L + l];
            for (ptrdiff_t oo = O; oo < Oq; oo++) got[l * Oq + oo] = 0.0f;
        }
    }
#endif
    for (ptrdiff_t l = l0; l < L; l++) {
        for (ptrdiff_t o = 0; o < O; o++) got[l * Oq + o] = go[o * L + l];
        for (ptrdiff_t o = O; o < Oq; o++) got[l * Oq + o] = 0.0f;
    }
}

#if NNF_SHIFT_X86

static int nnf_shift_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}

/* where the lanes of one vector of 16 wide positions go: up to 16 runs of
   the output rows (one when the vector lies in one row, always so in the
   "rows" layout; the first run's mask is 0 if no lane is an output), each
   a lane mask and the float offset of lane 0's place
   (computed on integers: that place may lie before the output, its lanes
   masked off) */
typedef struct {
    ptrdiff_t off[16];
    __mmask16 m[16];
    int ns;
} nnf_shift_dst;

/* the runs of the vector at wide position n (< Lw) of an output plane that
   starts at float offset yo: lanes n + i with column (n + i) % Wp < OW go
   to yo + n + i - row*(Wp - OW). Computed once per vector, not per plane. */
static inline void nnf_shift_runs(const nnf_shift* g, ptrdiff_t yo, ptrdiff_t n,
                                  nnf_shift_dst* d) {
    ptrdiff_t Wp = g->Wp, OW = g->OW, end = n + 16 < g->Lw ? n + 16 : g->Lw;
    ptrdiff_t r = n / Wp, rs = r * Wp;
    d->ns = 0;
    for (; rs < end; r++, rs += Wp) {
        ptrdiff_t a = rs > n ? rs : n, b = rs + OW < end ? rs + OW : end;
        if (b <= a) continue;
        d->m[d->ns] = (__mmask16)(((1u << (b - n)) - 1u) & ~((1u << (a - n)) - 1u));
        d->off[d->ns++] = yo + n - r * (Wp - OW);
    }
    if (d->ns == 0) {           /* no output lanes: one store that writes nothing */
        d->m[0] = 0;
        d->off[0] = yo;
    }
}

/* the wide position where vector j of an output plane starts */
static inline ptrdiff_t nnf_shift_vstart(const nnf_shift* g, ptrdiff_t j) {
    return g->vpr ? (j / g->vpr) * g->Wp + (j % g->vpr) * 16 : j * 16;
}

/* one forward micro-tile: output planes o0 .. o0+MR (those >= O skipped) at
   the nv vectors v of 16 wide positions that start at xo[v] in the padded
   images xp and go to y by the runs dst[v] (plane o at + o*ys). (Blocking
   the taps so that a block's shifted runs stay in L1 for all output planes
   measured slower here: they come from L2 at the rate the FMAs need.) */
NNF_AVX512_INLINE void nnf_shift_tile(const nnf_shift* g, const float* xp, const float* wb,
                                      const ptrdiff_t* off, const float* bias, float* y,
                                      ptrdiff_t o0, const ptrdiff_t* xo,
                                      const nnf_shift_dst* dst, const int nv) {
    __m512 acc[NNF_SHIFT_MR][NNF_SHIFT_NV];
    const float* xv[NNF_SHIFT_NV];
    for (int r = 0; r < NNF_SHIFT_MR; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    for (int v = 0; v < nv; v++) xv[v] = xp + xo[v];
    for (ptrdiff_t k = 0; k < g->K; k++) {
        ptrdiff_t ok = off[k];
        const float* a = wb + k * NNF_SHIFT_MR;
        __m512 bv[NNF_SHIFT_NV];
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_ps(xv[v] + ok);
        for (int r = 0; r < NNF_SHIFT_MR; r++) {
            __m512 av = _mm512_set1_ps(a[r]);
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    int mr = g->O - o0 < NNF_SHIFT_MR ? (int)(g->O - o0) : NNF_SHIFT_MR;
    for (int r = 0; r < NNF_SHIFT_MR; r++) {
        if (r >= mr) break;
        ptrdiff_t o = o0 + r;
        __m512 bo = _mm512_set1_ps(bias != NULL ? bias[o] : 0.0f);
        char* yb = (char*)y + o * g->ys * (ptrdiff_t)sizeof(float);
        for (int v = 0; v < nv; v++) {
            __m512 s = _mm512_add_ps(acc[r][v], bo);
            const nnf_shift_dst* d = dst + v;
            _mm512_mask_storeu_ps((float*)(yb + d->off[0] * (ptrdiff_t)sizeof(float)), d->m[0], s);
            for (int q = 1; q < d->ns; q++)
                _mm512_mask_storeu_ps((float*)(yb + d->off[q] * (ptrdiff_t)sizeof(float)),
                                      d->m[q], s);
        }
    }
}

/* forward tiles t0 .. t1, output planes b0*MR .. b1*MR, of a group of
   images: the vectors of every output
   plane of every image (padded images xp, S floats apart; outputs y, ystep
   floats apart) numbered in a row, nvtot of them, NV to a tile, so that only
   the group's last tile is short. y (O, OT, OH, OW) = conv(xp) (+ bias;
   NULL: none); each output element is written once, all O planes of a tile
   by this call. */
NNF_AVX512 static void nnf_shift_forward(const nnf_shift* g, const float* xp, const float* wpk,
                                         const ptrdiff_t* off, const float* bias, float* y,
                                         ptrdiff_t ystep, ptrdiff_t nvtot, ptrdiff_t t0,
                                         ptrdiff_t t1, ptrdiff_t b0, ptrdiff_t b1) {
    ptrdiff_t per = g->OT * g->nvec;
    for (ptrdiff_t t = t0; t < t1; t++) {
        ptrdiff_t u0 = t * NNF_SHIFT_NV;
        ptrdiff_t xo[NNF_SHIFT_NV];
        nnf_shift_dst dst[NNF_SHIFT_NV];
        int nv = nvtot - u0 >= NNF_SHIFT_NV ? NNF_SHIFT_NV : (int)(nvtot - u0);
        for (int v = 0; v < nv; v++) {
            ptrdiff_t u = u0 + v, i = u / per, ot = u % per / g->nvec;
            ptrdiff_t n = nnf_shift_vstart(g, u % g->nvec);
            xo[v] = i * g->S + ot * g->P + n;
            nnf_shift_runs(g, i * ystep + ot * g->OH * g->OW, n, dst + v);
        }
        for (ptrdiff_t o0 = b0 * NNF_SHIFT_MR; o0 < b1 * NNF_SHIFT_MR; o0 += NNF_SHIFT_MR) {
            const float* wb = wpk + o0 * g->K;
            if (nv == 3)
                nnf_shift_tile(g, xp, wb, off, bias, y, o0, xo, dst, 3);
            else if (nv == 2)
                nnf_shift_tile(g, xp, wb, off, bias, y, o0, xo, dst, 2);
            else
                nnf_shift_tile(g, xp, wb, off, bias, y, o0, xo, dst, 1);
        }
    }
}

/* gradWeight tiles of mk taps x 16*ov output planes (an inlined copy per
   shape): see nnf_shift_wgrad */
NNF_AVX512_INLINE void nnf_shift_wgrad_tiles(const nnf_shift* g, const float* xp,
                                             const float* got, const ptrdiff_t* off, float* gwt,
                                             ptrdiff_t q0, ptrdiff_t q1, const int mk,
                                             const int ov) {
    ptrdiff_t no = g->Oq / (16 * ov), Oq = g->Oq;
    for (ptrdiff_t q = q0; q < q1; q++) {
        ptrdiff_t k0 = (q / no) * mk, o0 = (q % no) * 16 * ov;
        const float* gt = got + o0;
        __m512 acc[NNF_SHIFT_MK_MAX][NNF_SHIFT_OV_MAX];
        for (int r = 0; r < mk; r++)
            for (int v = 0; v < ov; v++)
                acc[r][v] = _mm512_loadu_ps(gwt + (k0 + r) * Oq + o0 + 16 * v);
        for (ptrdiff_t ot = 0; ot < g->OT; ot++)
            for (ptrdiff_t oy = 0; oy < g->OH; oy++) {
                const float* row = xp + ot * g->P + oy * g->Wp;
                const float* pr[NNF_SHIFT_MK_MAX];
                for (int r = 0; r < mk; r++) pr[r] = row + off[k0 + r];
                for (ptrdiff_t ox = 0; ox < g->OW; ox++, gt += Oq) {
                    __m512 av[NNF_SHIFT_OV_MAX];
                    for (int v = 0; v < ov; v++) av[v] = _mm512_loadu_ps(gt + 16 * v);
                    for (int r = 0; r < mk; r++) {
                        __m512 b = _mm512_set1_ps(pr[r][ox]);
                        for (int v = 0; v < ov; v++)
                            acc[r][v] = _mm512_fmadd_ps(b, av[v], acc[r][v]);
                    }
                }
            }
        for (int r = 0; r < mk; r++)
            for (int v = 0; v < ov; v++)
                _mm512_storeu_ps(gwt + (k0 + r) * Oq + o0 + 16 * v, acc[r][v]);
    }
}

/* gradWeight tiles q0 .. q1 (tile q: taps (q / (Oq/(16 ov)))*mk .., planes
   (q % (Oq/(16 ov)))*16 ov ..; g->mk, g->ov) accumulated over nimg images:
   gwt (Kq, Oq) += sum over the images' output positions of xp[off[k] +
   position] * got[position, o]. xps: the padded images (S floats apart),
   gots: their gO^T (L*Oq floats apart). Images outer, tiles inner: one
   image's padded copy and gO^T stay in cache for all of this call's tiles;
   each element is summed in position order, image after image. */
NNF_AVX512 static void nnf_shift_wgrad(const nnf_shift* g, const float* xps, const float* gots,
                                       ptrdiff_t nimg, const ptrdiff_t* off, float* gwt,
                                       ptrdiff_t q0, ptrdiff_t q1) {
    for (ptrdiff_t i = 0; i < nimg; i++) {
        const float* xp = xps + i * g->S;
        const float* got = gots + i * g->L * g->Oq;
        if (g->ov == 4)
            nnf_shift_wgrad_tiles(g, xp, got, off, gwt, q0, q1, 6, 4);
        else
            nnf_shift_wgrad_tiles(g, xp, got, off, gwt, q0, q1, 12, 2);
    }
}

/* 1-D Winograd F(2, 3) along the width (kernel width 3, width dilation 1,
   stride 1, OW even): an output pair (2m, 2m+1) of a row reads the 4 padded
   values r[2m .. 2m+3], and with

       U0 = r0 - r2,  U1 = r1 + r2,  U2 = r2 - r1,  U3 = r1 - r3   (input)
       G0 = g0,  G1 = (g0 + g1 + g2)/2,  G2 = (g0 - g1 + g2)/2,  G3 = g2
       y[2m] = M0 + M1 + M2,  y[2m+1] = M1 - M2 - M3                (output)

   where Mj is the convolution of the Uj planes with the Gj taps over the
   other axes, the 3 width taps of 2 outputs (6 products) become 4. So the
   convolution is 4 shift convolutions (geometry q: width M2 = OW/2, kernel
   width 1, no padding) of transformed images, 2/3 of the FMAs.
   nnf_wino_in: Uj (laid out as q's padded image, slack zeroed) from the
   padded image xp of g. */
NNF_AVX512 static void nnf_wino_in(const nnf_shift* g, const float* xp, const nnf_shift* q,
                                   float* u, int j) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                         30);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    ptrdiff_t M2 = q->Wp, rows = g->C * g->Tp * g->Hp;
    for (ptrdiff_t i = 0; i < rows; i++) {
        const float* r = xp + i * g->Wp;
        float* d = u + i * M2;
        for (ptrdiff_t m = 0; m < M2; m += 16) {
            /* r[2m .. 2m+33]: reads reach past the row into the next one (or
               xp's slack), in lanes that are not stored */
            __m512 a0 = _mm512_loadu_ps(r + 2 * m), a1 = _mm512_loadu_ps(r + 2 * m + 16);
            __m512 b0 = _mm512_loadu_ps(r + 2 * m + 2), b1 = _mm512_loadu_ps(r + 2 * m + 18);
            __m512 r0 = _mm512_permutex2var_ps(a0, ev, a1), r1 = _mm512_permutex2var_ps(a0, od, a1);
            __m512 r2 = _mm512_permutex2var_ps(b0, ev, b1), r3 = _mm512_permutex2var_ps(b0, od, b1);
            __m512 v = j == 0 ? _mm512_sub_ps(r0, r2)
                       : j == 1 ? _mm512_add_ps(r1, r2)
                       : j == 2 ? _mm512_sub_ps(r2, r1)
                                : _mm512_sub_ps(r1, r3);
            __mmask16 mk = (__mmask16)(M2 - m >= 16 ? 0xFFFF : (1u << (M2 - m)) - 1u);
            _mm512_mask_storeu_ps(d + m, mk, v);
        }
    }
    memset(u + rows * M2, 0, (size_t)(q->S - rows * M2) * sizeof(float));
}

/* y (O, OT, OH, OW) = the output transform of mm (4 results of q's
   convolution, O*L/2 floats apart) + bias (NULL: none) */
NNF_AVX512 static void nnf_wino_out(const nnf_shift* g, const float* mm, const float* bias,
                                    float* y) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7,
                                         23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    ptrdiff_t M2 = g->OW / 2, rows = g->OT * g->OH, Lq = rows * M2;
    for (ptrdiff_t o = 0; o < g->O; o++) {
        __m512 bo = _mm512_set1_ps(bias != NULL ? bias[o] : 0.0f);
        for (ptrdiff_t i = 0; i < rows; i++) {
            const float* m0 = mm + o * Lq + i * M2;
            float* yr = y + o * g->L + i * g->OW;
            for (ptrdiff_t m = 0; m < M2; m += 16) {
                __mmask16 mk = (__mmask16)(M2 - m >= 16 ? 0xFFFF : (1u << (M2 - m)) - 1u);
                __m512 v0 = _mm512_maskz_loadu_ps(mk, m0 + m);
                __m512 v1 = _mm512_maskz_loadu_ps(mk, m0 + g->O * Lq + m);
                __m512 v2 = _mm512_maskz_loadu_ps(mk, m0 + 2 * g->O * Lq + m);
                __m512 v3 = _mm512_maskz_loadu_ps(mk, m0 + 3 * g->O * Lq + m);
                __m512 e = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(v0, v1), v2), bo);
                __m512 od = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(v1, v2), v3), bo);
                ptrdiff_t n = 2 * (M2 - m); /* output floats left in the row */
                __mmask16 k0 = (__mmask16)(n >= 16 ? 0xFFFF : (1u << n) - 1u);
                __mmask16 k1 = (__mmask16)(n >= 32 ? 0xFFFF : n <= 16 ? 0 : (1u << (n - 16)) - 1u);
                _mm512_mask_storeu_ps(yr + 2 * m, k0, _mm512_permutex2var_ps(e, lo, od));
                _mm512_mask_storeu_ps(yr + 2 * m + 16, k1, _mm512_permutex2var_ps(e, hi, od));
            }
        }
    }
}

/* the Winograd taps Gj (O, C, kT, kH) of w (O, C, kT, kH, 3), j = 0 .. 3, at
   wj + j * O*C*kT*kH */
static void nnf_wino_weight(ptrdiff_t O, ptrdiff_t C, ptrdiff_t kT, ptrdiff_t kH,
                            const float* w, float* wj) {
    ptrdiff_t n = O * C * kT * kH;
    for (ptrdiff_t i = 0; i < n; i++) {
        float g0 = w[3 * i], g1 = w[3 * i + 1], g2 = w[3 * i + 2];
        wj[i] = g0;
        wj[n + i] = 0.5f * ((g0 + g1) + g2);
        wj[2 * n + i] = 0.5f * ((g0 - g1) + g2);
        wj[3 * n + i] = g2;
    }
}

#else  /* not x86-64 with GCC/Clang: never available, never called */
static int nnf_shift_available(void) { return 0; }
static void nnf_shift_forward(const nnf_shift* g, const float* xp, const float* wpk,
                              const ptrdiff_t* off, const float* bias, float* y,
                              ptrdiff_t ystep, ptrdiff_t nvtot, ptrdiff_t t0, ptrdiff_t t1,
                              ptrdiff_t b0, ptrdiff_t b1) {
    (void)g; (void)xp; (void)wpk; (void)off; (void)bias; (void)y; (void)ystep; (void)nvtot;
    (void)t0; (void)t1; (void)b0; (void)b1;
}
static void nnf_shift_wgrad(const nnf_shift* g, const float* xps, const float* gots,
                            ptrdiff_t nimg, const ptrdiff_t* off, float* gwt, ptrdiff_t q0,
                            ptrdiff_t q1) {
    (void)g; (void)xps; (void)gots; (void)nimg; (void)off; (void)gwt; (void)q0; (void)q1;
}
static void nnf_wino_in(const nnf_shift* g, const float* xp, const nnf_shift* q, float* u,
                        int j) {
    (void)g; (void)xp; (void)q; (void)u; (void)j;
}
static void nnf_wino_out(const nnf_shift* g, const float* mm, const float* bias, float* y) {
    (void)g; (void)mm; (void)bias; (void)y;
}
static void nnf_wino_weight(ptrdiff_t O, ptrdiff_t C, ptrdiff_t kT, ptrdiff_t kH,
                            const float* w, float* wj) {
    (void)O; (void)C; (void)kT; (void)kH; (void)w; (void)wj;
}
#endif

#endif
