/* Average pooling over volumes (P, T, H, W) -> (P, oT, oH, oW): the spatial
 * (T = kT = 1) and volumetric average poolings. The geometry is the CPU
 * kernels': P, T, H, W, oT, oH, oW, kT, kH, kW, dT, dH, dW, padT, padH, padW.
 *
 * Window (a, i, j): frames a dT - padT ... + kT - 1, rows and columns
 * likewise. Its sum runs over the taps inside the volume (the padding adds
 * zeros); the divisor is the number of taps inside the padded volume
 * (count_include_pad) or inside the volume itself (not), so a ceil-mode
 * window hanging past the padding counts only its part inside; `scale` is
 * kW kH for SpatialAveragePooling's divide = false, else 1 (the CPU rule).
 * The backward is a gather: each input element sums scale / divisor *
 * gradOutput over the windows that hold it, in a fixed order
 * (deterministic, no atomics; float16 sums in float).
 */
#include "nnf_common.cuh"

/* [lo, hi) of window q along one axis, clipped to [-pad, n + pad) or [0, n) */
__device__ __forceinline__ idx_t nnf_avg_span(idx_t q, idx_t n, idx_t k, idx_t d, idx_t pad,
                                              int include_pad) {
    const idx_t s = q * d - pad, lo = include_pad ? -pad : 0, hi = include_pad ? n + pad : n;
    const idx_t a = s > lo ? s : lo, b = s + k < hi ? s + k : hi;
    return b - a;
}

template <typename T>
__global__ void nnf_avgpool_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t np_,
                                idx_t nt, idx_t nh, idx_t nw, idx_t ot, idx_t oh, idx_t ow,
                                idx_t kt, idx_t kh, idx_t kw, idx_t dt, idx_t dh, idx_t dw,
                                idx_t pt, idx_t ph, idx_t pw, int include_pad, double scale) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, np_ * ot * oh * ow) {
        const idx_t j = e % ow, i = (e / ow) % oh, a = (e / (ow * oh)) % ot;
        const idx_t pl = e / (ow * oh * ot);
        const T* xp = x + pl * nt * nh * nw;
        const idx_t t0 = a * dt - pt, r0 = i * dh - ph, c0 = j * dw - pw;
        const idx_t ts = t0 < 0 ? 0 : t0, te = t0 + kt < nt ? t0 + kt : nt;
        const idx_t rs = r0 < 0 ? 0 : r0, re = r0 + kh < nh ? r0 + kh : nh;
        const idx_t cs = c0 < 0 ? 0 : c0, ce = c0 + kw < nw ? c0 + kw : nw;
        C s = 0;
        for (idx_t tt = ts; tt < te; tt++)
            for (idx_t r = rs; r < re; r++)
                for (idx_t c = cs; c < ce; c++) s += nnf_ld(xp + (tt * nh + r) * nw + c);
        const idx_t cnt = nnf_avg_span(a, nt, kt, dt, pt, include_pad)
                          * nnf_avg_span(i, nh, kh, dh, ph, include_pad)
                          * nnf_avg_span(j, nw, kw, dw, pw, include_pad);
        nnf_st(y + e, s * (C)(scale / (double)cnt));
    }
}

/* the windows q along one axis that hold position r: [lo, hi] (empty: lo > hi) */
__device__ __forceinline__ void nnf_avg_wins(idx_t r, idx_t k, idx_t d, idx_t pad, idx_t n,
                                             idx_t* lo, idx_t* hi) {
    const idx_t l = r + pad - k + 1;
    *lo = l <= 0 ? 0 : (l + d - 1) / d;
    *hi = (r + pad) / d;
    if (*hi > n - 1) *hi = n - 1;
}

template <typename T>
__global__ void nnf_avgpool_bwd(const T* __restrict__ go, T* __restrict__ gi, idx_t np_,
                                idx_t nt, idx_t nh, idx_t nw, idx_t ot, idx_t oh, idx_t ow,
                                idx_t kt, idx_t kh, idx_t kw, idx_t dt, idx_t dh, idx_t dw,
                                idx_t pt, idx_t ph, idx_t pw, int include_pad, double scale) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, np_ * nt * nh * nw) {
        const idx_t c = e % nw, r = (e / nw) % nh, tt = (e / (nw * nh)) % nt;
        const idx_t pl = e / (nw * nh * nt);
        idx_t alo, ahi, ilo, ihi, jlo, jhi;
        nnf_avg_wins(tt, kt, dt, pt, ot, &alo, &ahi);
        nnf_avg_wins(r, kh, dh, ph, oh, &ilo, &ihi);
        nnf_avg_wins(c, kw, dw, pw, ow, &jlo, &jhi);
        const T* gp = go + pl * ot * oh * ow;
        C acc = 0;
        for (idx_t a = alo; a <= ahi; a++) {
            const idx_t ca = nnf_avg_span(a, nt, kt, dt, pt, include_pad);
            for (idx_t i = ilo; i <= ihi; i++) {
                const idx_t ci = ca * nnf_avg_span(i, nh, kh, dh, ph, include_pad);
                for (idx_t j = jlo; j <= jhi; j++) {
                    const idx_t cnt = ci * nnf_avg_span(j, nw, kw, dw, pw, include_pad);
                    acc += nnf_ld(gp + (a * oh + i) * ow + j) * (C)(scale / (double)cnt);
                }
            }
        }
        nnf_st(gi + e, acc);
    }
}
