/* Row GEMMs: float32 products whose left operand is read in place from rows
 * at arbitrary addresses (AVX-512; see _shift.h for the target macros).
 *
 *     C[i, j] (+)= sum over runs q, positions p < len[q] of
 *                  ap[i][aoff[q] + p*as] * b[boff[q] + p*bs + j]
 *
 * (times alpha) for the rows i of a tile (mk rows, any addresses ap[i], cp[i]) and the
 * columns j of 16*ov of them. The left operand is broadcast from its rows
 * and the right one loaded in vectors, so neither is ever packed or
 * transposed by this file: a TemporalConvolution's unfolded frames are rows
 * of its input at a stride, and its weight, gradient and input rows serve as
 * the right operand as they are (see temporal_convolution.pyx for the three
 * products). Each C element is summed by one call in run and position
 * order: the bits never depend on how the tiles are shared out.
 *
 * Micro-tiles of 24 zmm accumulators: 6 rows x 64 columns (the columns come
 * in 64s) or 12 rows x 32 columns, like the shift gradWeight tiles.
 */
#ifndef NNFUNC_ROWGEMM_H
#define NNFUNC_ROWGEMM_H

#include "_shift.h"

typedef struct {
    ptrdiff_t aoff, boff, len;
} nnf_rg_run;

#define NNF_RG_MK_MAX 12
#define NNF_RG_OV_MAX 4

/* the tile shape for n columns: mk rows x 16*ov columns */
static inline void nnf_rg_shape(ptrdiff_t n, int* mk, int* ov) {
    *ov = n % 64 == 0 ? 4 : 2;
    *mk = *ov == 4 ? 6 : 12;
}

#if NNF_SHIFT_X86

/* One tile: rows ap[0 .. rows) (rows <= mk; the rest compute row 0 again and
   are not stored), columns j0 .. j0 + 16*ov clipped to n (masked). Starts
   from C itself (acc), else from the row vector init[j] (NULL: 0). */
NNF_AVX512_INLINE void nnf_rg_tile(const float* const* ap, ptrdiff_t as, const float* b,
                                   ptrdiff_t bs, ptrdiff_t bj, const nnf_rg_run* runs, ptrdiff_t nrun,
                                   float* const* cp, int rows, ptrdiff_t j0, ptrdiff_t n,
                                   const float* init, int acc_c, float alpha, const int mk,
                                   const int ov, const int masked) {
    __m512 acc[NNF_RG_MK_MAX][NNF_RG_OV_MAX];
    __mmask16 cm[NNF_RG_OV_MAX];
    for (int v = 0; v < ov; v++)
        cm[v] = (__mmask16)(n - j0 - 16 * v >= 16 ? 0xFFFF
                            : n - j0 - 16 * v <= 0 ? 0
                                                   : (1u << (n - j0 - 16 * v)) - 1u);
    /* alpha 1: the sums start from their base (C, init or 0); else from 0,
       and base + alpha * sum is stored */
    const int scaled = alpha != 1.0f;
    for (int r = 0; r < mk; r++)
        for (int v = 0; v < ov; v++) {
            if (scaled)
                acc[r][v] = _mm512_setzero_ps();
            else if (acc_c && r < rows)
                acc[r][v] = _mm512_maskz_loadu_ps(cm[v], cp[r] + j0 + 16 * v);
            else if (init != NULL)
                acc[r][v] = _mm512_maskz_loadu_ps(cm[v], init + j0 + 16 * v);
            else
                acc[r][v] = _mm512_setzero_ps();
        }
    for (ptrdiff_t q = 0; q < nrun; q++) {
        const float* pa[NNF_RG_MK_MAX];
        for (int r = 0; r < mk; r++) pa[r] = (r < rows ? ap[r] : ap[0]) + runs[q].aoff;
        const float* pb = b + runs[q].boff + j0 / (16 * ov) * bj;
        ptrdiff_t len = runs[q].len, pos = 0;
        for (ptrdiff_t p = 0; p < len; p++, pos += as, pb += bs) {
            __m512 bv[NNF_RG_OV_MAX];
            for (int v = 0; v < ov; v++)
                bv[v] = masked ? _mm512_maskz_loadu_ps(cm[v], pb + 16 * v)
                               : _mm512_loadu_ps(pb + 16 * v);
            for (int r = 0; r < mk; r++) {
                __m512 a = _mm512_set1_ps(pa[r][pos]);
                for (int v = 0; v < ov; v++) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
            }
        }
    }
    const __m512 al = _mm512_set1_ps(alpha);
    for (int r = 0; r < mk; r++) {
        if (r >= rows) break;
        for (int v = 0; v < ov; v++) {
            __m512 o = acc[r][v];
            if (scaled) {
                __m512 base = acc_c ? _mm512_maskz_loadu_ps(cm[v], cp[r] + j0 + 16 * v)
                              : init != NULL ? _mm512_maskz_loadu_ps(cm[v], init + j0 + 16 * v)
                                             : _mm512_setzero_ps();
                o = _mm512_fmadd_ps(al, o, base);
            }
            _mm512_mask_storeu_ps(cp[r] + j0 + 16 * v, cm[v], o);
        }
    }
}

/* The tiles of rows ap[i0 .. i1) (mk at a time) x the columns j0 .. j1
   (j0 a multiple of 16*ov; n columns in all), column panels inner: one
   tile row's left operand stays in L1 for every panel. Column panel J of b
   starts at b + J*bj (bj = 16*ov: b is row-major; else packed panels). The
   right operand's loads are whole vectors (a masked load runs at half the
   rate here) where bpad says its rows are readable to the panel's end, or
   the panel is whole; masked in a last partial panel otherwise. */
NNF_AVX512 static void nnf_rg_tiles(const float* const* ap, ptrdiff_t as, const float* b,
                                    ptrdiff_t bs, ptrdiff_t bj, const nnf_rg_run* runs,
                                    ptrdiff_t nrun, float* const* cp, ptrdiff_t i0, ptrdiff_t i1,
                                    ptrdiff_t j0, ptrdiff_t j1, ptrdiff_t n, const float* init,
                                    int acc_c, float alpha, int bpad) {
    int mk, ov;
    nnf_rg_shape(n, &mk, &ov);
    for (ptrdiff_t i = i0; i < i1; i += mk) {
        int rows = i1 - i < mk ? (int)(i1 - i) : mk;
        for (ptrdiff_t j = j0; j < j1; j += 16 * ov) {
            int whole = bpad || j + 16 * ov <= n;
            if (ov == 4)
                nnf_rg_tile(ap + i, as, b, bs, bj, runs, nrun, cp + i, rows, j, n, init, acc_c,
                            alpha, 6, 4, 0);
            else if (whole)
                nnf_rg_tile(ap + i, as, b, bs, bj, runs, nrun, cp + i, rows, j, n, init, acc_c,
                            alpha, 12, 2, 0);
            else
                nnf_rg_tile(ap + i, as, b, bs, bj, runs, nrun, cp + i, rows, j, n, init, acc_c,
                            alpha, 12, 2, 1);
        }
    }
}

/* d[c*ld + r] = s[r*ls + c] for rows r0 .. r1 (multiples of 16 but the
   last) and columns 0 .. cols: 16 x 16 blocks in registers, edges one by one */
NNF_AVX512 static void nnf_rg_transpose(const float* s, ptrdiff_t ls, ptrdiff_t r0, ptrdiff_t r1,
                                        ptrdiff_t cols, float* d, ptrdiff_t ld) {
    ptrdiff_t r = r0;
    for (; r + 16 <= r1; r += 16) {
        ptrdiff_t c = 0;
        for (; c + 16 <= cols; c += 16) nnf_shift_t16(s + r * ls + c, ls, d + c * ld + r, ld);
        for (; c < cols; c++)
            for (ptrdiff_t i = r; i < r + 16; i++) d[c * ld + i] = s[i * ls + c];
    }
    for (; r < r1; r++)
        for (ptrdiff_t c = 0; c < cols; c++) d[c * ld + r] = s[r * ls + c];
}

#else
static void nnf_rg_transpose(const float* s, ptrdiff_t ls, ptrdiff_t r0, ptrdiff_t r1,
                             ptrdiff_t cols, float* d, ptrdiff_t ld) {
    for (ptrdiff_t r = r0; r < r1; r++)
        for (ptrdiff_t c = 0; c < cols; c++) d[c * ld + r] = s[r * ls + c];
}
static void nnf_rg_tiles(const float* const* ap, ptrdiff_t as, const float* b, ptrdiff_t bs,
                         ptrdiff_t bj, const nnf_rg_run* runs, ptrdiff_t nrun, float* const* cp,
                         ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1, ptrdiff_t n,
                         const float* init, int acc_c, float alpha, int bpad) {
    (void)alpha;
    (void)ap; (void)as; (void)b; (void)bs; (void)bj; (void)runs; (void)nrun; (void)cp; (void)i0;
    (void)i1; (void)j0; (void)j1; (void)n; (void)init; (void)acc_c; (void)bpad;
}
#endif

#endif
