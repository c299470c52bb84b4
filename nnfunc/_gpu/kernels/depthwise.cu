/* SpatialDepthWiseConvolution: x (N, C, H, W), weight (M, C, kH, kW) (the
 * module's (M, C*kH*kW)), output channel i*M + j = W[j, i] (*) x[i] (+
 * bias[j, i]), stride d, zero padding p; output (N, C*M, oH, oW). Direct
 * loops over the taps (no GEMM: its size would be the multiplier M).
 *   forward:    a thread per output element;
 *   gradInput:  a thread per input element, gathering over the multiplier
 *               and the windows holding it (fixed order, no atomics);
 *   gradWeight: a block per weight element, the block's threads walking
 *               (n, p, q), sums in double: deterministic.
 * gradBias is linear.cu's channel sum (Python reorders it to (M, C)).
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_dw_fwd(const T* __restrict__ x, const T* __restrict__ wt,
                           const T* __restrict__ b, int use_b, T* __restrict__ y, idx_t n,
                           idx_t c, idx_t h, idx_t w, idx_t m, idx_t oh, idx_t ow, idx_t kh,
                           idx_t kw, idx_t dh, idx_t dw, idx_t ph, idx_t pw) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, n * c * m * oh * ow) {
        const idx_t q = e % ow, p = (e / ow) % oh, ch = (e / (ow * oh)) % (c * m);
        const idx_t s = e / (ow * oh * c * m), i = ch / m, j = ch - i * m;
        const T* xp = x + (s * c + i) * h * w;
        const T* wp = wt + (j * c + i) * kh * kw;
        C acc = use_b ? nnf_ld(b + j * c + i) : (C)0;
        for (idx_t ky = 0; ky < kh; ky++) {
            const idx_t r = p * dh - ph + ky;
            if (r < 0 || r >= h) continue;
            for (idx_t kx = 0; kx < kw; kx++) {
                const idx_t cc = q * dw - pw + kx;
                if (cc < 0 || cc >= w) continue;
                acc += nnf_ld(wp + ky * kw + kx) * nnf_ld(xp + r * w + cc);
            }
        }
        nnf_st(y + e, acc);
    }
}

template <typename T>
__global__ void nnf_dw_gi(const T* __restrict__ go, const T* __restrict__ wt,
                          T* __restrict__ gi, idx_t n, idx_t c, idx_t h, idx_t w, idx_t m,
                          idx_t oh, idx_t ow, idx_t kh, idx_t kw, idx_t dh, idx_t dw,
                          idx_t ph, idx_t pw) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, n * c * h * w) {
        const idx_t cc = e % w, r = (e / w) % h, i = (e / (w * h)) % c, s = e / (w * h * c);
        C acc = 0;
        for (idx_t j = 0; j < m; j++) {
            const T* gp = go + ((s * c + i) * m + j) * oh * ow;
            const T* wp = wt + (j * c + i) * kh * kw;
            for (idx_t ky = 0; ky < kh; ky++) {
                const idx_t rr = r + ph - ky;
                if (rr < 0 || rr % dh) continue;
                const idx_t p = rr / dh;
                if (p >= oh) continue;
                for (idx_t kx = 0; kx < kw; kx++) {
                    const idx_t qq = cc + pw - kx;
                    if (qq < 0 || qq % dw) continue;
                    const idx_t q = qq / dw;
                    if (q >= ow) continue;
                    acc += nnf_ld(gp + p * ow + q) * nnf_ld(wp + ky * kw + kx);
                }
            }
        }
        nnf_st(gi + e, acc);
    }
}

template <typename T>
__global__ void nnf_dw_gw(const T* __restrict__ x, const T* __restrict__ go,
                          T* __restrict__ gw, idx_t n, idx_t c, idx_t h, idx_t w, idx_t m,
                          idx_t oh, idx_t ow, idx_t kh, idx_t kw, idx_t dh, idx_t dw,
                          idx_t ph, idx_t pw) {
    __shared__ double shm[32];
    const idx_t cnt = n * oh * ow;
    for (idx_t e = blockIdx.x; e < m * c * kh * kw; e += gridDim.x) {
        const idx_t kx = e % kw, ky = (e / kw) % kh, i = (e / (kw * kh)) % c;
        const idx_t j = e / (kw * kh * c);
        double s = 0;
        for (idx_t t = threadIdx.x; t < cnt; t += blockDim.x) {
            const idx_t q = t % ow, p = (t / ow) % oh, b = t / (ow * oh);
            const idx_t r = p * dh - ph + ky, cc = q * dw - pw + kx;
            if (r < 0 || r >= h || cc < 0 || cc >= w) continue;
            s += (double)nnf_ld(go + (((b * c + i) * m + j) * oh + p) * ow + q) *
                 (double)nnf_ld(x + ((b * c + i) * h + r) * w + cc);
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) nnf_st(gw + e, (typename nnf_acc<T>::type)s);
    }
}
