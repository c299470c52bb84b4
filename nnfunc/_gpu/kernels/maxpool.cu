/* SpatialMaxPooling over planes (N*C, H, W) -> (N*C, oH, oW).
 *
 * Forward: each output scans its window row by row (taps in the padding
 * skipped) keeping the first maximum, or the last NaN (`v > m || v != v`:
 * PyTorch's rule, as the CPU kernel and the generic reference); when idx is
 * use_idx is set it also stores the winner's position r*W + c in its plane.
 * Backward: the argmax of every window (nnf_maxpool_fwd with idx), then a
 * gather: each input element sums the gradOutput of the windows that
 * chose it (deterministic, no atomics; float16 sums in float).
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_maxpool_fwd(const T* __restrict__ x, T* __restrict__ y, int use_y,
                                long long* __restrict__ idx, int use_idx, idx_t planes,
                                idx_t h, idx_t w, idx_t oh, idx_t ow, idx_t kh, idx_t kw,
                                idx_t dh, idx_t dw, idx_t ph, idx_t pw) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * oh * ow) {
        const idx_t oj = e % ow, oi = (e / ow) % oh, pl = e / (ow * oh);
        const T* xp = x + pl * h * w;
        const idx_t r0 = oi * dh - ph, c0 = oj * dw - pw;
        const idx_t rs = r0 < 0 ? 0 : r0, cs = c0 < 0 ? 0 : c0;
        const idx_t re = r0 + kh < h ? r0 + kh : h, ce = c0 + kw < w ? c0 + kw : w;
        C m = -nnf_inf<C>();
        idx_t best = rs * w + cs;      /* a valid tap, even if every value is -inf */
        for (idx_t r = rs; r < re; r++)
            for (idx_t c = cs; c < ce; c++) {
                const C v = nnf_ld(xp + r * w + c);
                if (v > m || nnf_isnan(v)) {
                    m = v;
                    best = r * w + c;
                }
            }
        if (use_y) nnf_st(y + e, m);
        if (use_idx) idx[e] = best;
    }
}

template <typename T>
__global__ void nnf_maxpool_bwd(const T* __restrict__ g, const long long* __restrict__ idx,
                                T* __restrict__ gi, idx_t planes, idx_t h, idx_t w,
                                idx_t oh, idx_t ow, idx_t kh, idx_t kw, idx_t dh, idx_t dw,
                                idx_t ph, idx_t pw) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * h * w) {
        const idx_t c = e % w, r = (e / w) % h, pl = e / (w * h);
        const idx_t pos = r * w + c;
        /* windows i with i dH - padH <= r <= i dH - padH + kH - 1 */
        const idx_t hi_r = r + ph, lo_r = r + ph - kh + 1;
        const idx_t ilo = lo_r <= 0 ? 0 : (lo_r + dh - 1) / dh;
        idx_t ihi = hi_r / dh;
        if (ihi > oh - 1) ihi = oh - 1;
        const idx_t hi_c = c + pw, lo_c = c + pw - kw + 1;
        const idx_t jlo = lo_c <= 0 ? 0 : (lo_c + dw - 1) / dw;
        idx_t jhi = hi_c / dw;
        if (jhi > ow - 1) jhi = ow - 1;
        C acc = 0;
        const idx_t off = pl * oh * ow;
        for (idx_t i = ilo; i <= ihi; i++)
            for (idx_t j = jlo; j <= jhi; j++)
                if (idx[off + i * ow + j] == pos) acc += nnf_ld(g + off + i * ow + j);
        nnf_st(gi + e, acc);
    }
}
