/* SpatialAveragePooling over planes (P, H, W) -> (P, oH, oW).
 *
 * Window (i, j): rows i dH - padH ... + kH - 1, columns likewise. Its sum
 * runs over the taps inside the plane (the padding adds zeros); the
 * divisor is the number of taps inside the padded plane (rows
 * [-padH, H + padH): count_include_pad) or inside the plane itself (not),
 * so a ceil-mode window hanging past the padding counts only its part
 * inside; `scale` is kW kH for Torch7's divide = false, else 1 (the CPU
 * kernel's rule). The backward is a gather: each input element sums
 * scale / divisor * gradOutput over the windows that hold it, in a fixed
 * order (deterministic, no atomics; float16 sums in float).
 */
#include "nnf_common.cuh"

__device__ __forceinline__ idx_t nnf_avg_count(idx_t i, idx_t j, idx_t h, idx_t w,
                                               idx_t kh, idx_t kw, idx_t dh, idx_t dw,
                                               idx_t ph, idx_t pw, int include_pad) {
    const idx_t r0 = i * dh - ph, c0 = j * dw - pw;
    const idx_t lo_r = include_pad ? -ph : 0, hi_r = include_pad ? h + ph : h;
    const idx_t lo_c = include_pad ? -pw : 0, hi_c = include_pad ? w + pw : w;
    const idx_t rs = r0 > lo_r ? r0 : lo_r, re = r0 + kh < hi_r ? r0 + kh : hi_r;
    const idx_t cs = c0 > lo_c ? c0 : lo_c, ce = c0 + kw < hi_c ? c0 + kw : hi_c;
    return (re - rs) * (ce - cs);
}

template <typename T>
__global__ void nnf_avgpool_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t planes,
                                idx_t h, idx_t w, idx_t oh, idx_t ow, idx_t kh, idx_t kw,
                                idx_t dh, idx_t dw, idx_t ph, idx_t pw, int include_pad,
                                double scale) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * oh * ow) {
        const idx_t j = e % ow, i = (e / ow) % oh, pl = e / (ow * oh);
        const T* xp = x + pl * h * w;
        const idx_t r0 = i * dh - ph, c0 = j * dw - pw;
        const idx_t rs = r0 < 0 ? 0 : r0, re = r0 + kh < h ? r0 + kh : h;
        const idx_t cs = c0 < 0 ? 0 : c0, ce = c0 + kw < w ? c0 + kw : w;
        C s = 0;
        for (idx_t r = rs; r < re; r++)
            for (idx_t c = cs; c < ce; c++) s += nnf_ld(xp + r * w + c);
        const idx_t cnt = nnf_avg_count(i, j, h, w, kh, kw, dh, dw, ph, pw, include_pad);
        nnf_st(y + e, s * (C)(scale / (double)cnt));
    }
}

template <typename T>
__global__ void nnf_avgpool_bwd(const T* __restrict__ g, T* __restrict__ gi, idx_t planes,
                                idx_t h, idx_t w, idx_t oh, idx_t ow, idx_t kh, idx_t kw,
                                idx_t dh, idx_t dw, idx_t ph, idx_t pw, int include_pad,
                                double scale) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * h * w) {
        const idx_t c = e % w, r = (e / w) % h, pl = e / (w * h);
        /* windows i with i dH - padH <= r <= i dH - padH + kH - 1 */
        const idx_t lo_r = r + ph - kh + 1, lo_c = c + pw - kw + 1;
        const idx_t ilo = lo_r <= 0 ? 0 : (lo_r + dh - 1) / dh;
        const idx_t jlo = lo_c <= 0 ? 0 : (lo_c + dw - 1) / dw;
        idx_t ihi = (r + ph) / dh, jhi = (c + pw) / dw;
        if (ihi > oh - 1) ihi = oh - 1;
        if (jhi > ow - 1) jhi = ow - 1;
        const T* gp = g + pl * oh * ow;
        C acc = 0;
        for (idx_t i = ilo; i <= ihi; i++)
            for (idx_t j = jlo; j <= jhi; j++) {
                const idx_t cnt = nnf_avg_count(i, j, h, w, kh, kw, dh, dw, ph, pw,
                                                include_pad);
                acc += nnf_ld(gp + i * ow + j) * (C)(scale / (double)cnt);
            }
        nnf_st(gi + e, acc);
    }
}
