/* SpatialMaxPooling / SpatialDilatedMaxPooling over planes (P, H, W) -> (P, oH, oW).
 *
 * Window (i, j) has the taps (i dH - padH + ky lH, j dW - padW + kx lW),
 * 0 <= ky < kH, 0 <= kx < kW (lH, lW: the dilation; 1 for SpatialMaxPooling);
 * taps outside the plane do not count (Python checked that every window
 * has one inside). Ceil-mode windows that reach past the padding are
 * clipped the same way.
 *
 * Forward: each output scans its taps row by row, keeping the first
 * maximum, or the last NaN (`v > m || v != v`: PyTorch's rule, as the CPU
 * kernel and the generic reference). With use_idx it also stores the
 * winner's 0-based flat offset r*W + c in its plane (nnfunc's `indices`).
 * Backward: the winners (nnf_maxpool_fwd with idx), then a gather: each
 * input element sums the gradOutput of the windows that chose it, in a
 * fixed order (deterministic, no atomics; float16 sums in float).
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_maxpool_fwd(const T* __restrict__ x, T* __restrict__ y, int use_y,
                                long long* __restrict__ idx, int use_idx, idx_t planes,
                                idx_t h, idx_t w, idx_t oh, idx_t ow, idx_t kh, idx_t kw,
                                idx_t dh, idx_t dw, idx_t ph, idx_t pw, idx_t lh, idx_t lw) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * oh * ow) {
        const idx_t oj = e % ow, oi = (e / ow) % oh, pl = e / (ow * oh);
        const T* xp = x + pl * h * w;
        const idx_t r0 = oi * dh - ph, c0 = oj * dw - pw;
        C m = -nnf_inf<C>();
        idx_t best = -1;
        for (idx_t ky = 0; ky < kh; ky++) {
            const idx_t r = r0 + ky * lh;
            if (r < 0 || r >= h) continue;
            for (idx_t kx = 0; kx < kw; kx++) {
                const idx_t c = c0 + kx * lw;
                if (c < 0 || c >= w) continue;
                const C v = nnf_ld(xp + r * w + c);
                /* best < 0: the first tap inside, even if every value is -inf */
                if (v > m || nnf_isnan(v) || best < 0) {
                    m = v;
                    best = r * w + c;
                }
            }
        }
        if (use_y) nnf_st(y + e, m);
        if (use_idx) idx[e] = best;
    }
}

/* the window indices i (ascending) with i d - p + k l == r for some tap k:
   calls f(i) for each; a tap position belongs to at most one k per window */
template <typename T>
__global__ void nnf_maxpool_bwd(const T* __restrict__ g, const long long* __restrict__ idx,
                                T* __restrict__ gi, idx_t planes, idx_t h, idx_t w,
                                idx_t oh, idx_t ow, idx_t kh, idx_t kw, idx_t dh, idx_t dw,
                                idx_t ph, idx_t pw, idx_t lh, idx_t lw) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * h * w) {
        const idx_t c = e % w, r = (e / w) % h, pl = e / (w * h);
        const idx_t pos = r * w + c;
        const idx_t off = pl * oh * ow;
        C acc = 0;
        /* taps from the last (ky = kh - 1: the smallest window index i) to
           the first, so windows are visited in ascending (i, j) order */
        for (idx_t ky = kh - 1; ky >= 0; ky--) {
            const idx_t rr = r + ph - ky * lh;
            if (rr < 0 || rr % dh) continue;
            const idx_t i = rr / dh;
            if (i >= oh) continue;
            for (idx_t kx = kw - 1; kx >= 0; kx--) {
                const idx_t cc = c + pw - kx * lw;
                if (cc < 0 || cc % dw) continue;
                const idx_t j = cc / dw;
                if (j >= ow) continue;
                if (idx[off + i * ow + j] == pos) acc += nnf_ld(g + off + i * ow + j);
            }
        }
        nnf_st(gi + e, acc);
    }
}
