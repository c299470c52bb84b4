/* vol2col / col2vol of the convolutions (the GEMMs are cuBLAS via CuPy).
 *
 * An image (N, C, T, H, W) and a grid of oT x oH x oW windows of
 * kT x kH x kW taps (stride d, padding p, dilation l per axis); the 2-D
 * convolutions are volumes of one frame (T = oT = kT = 1). Columns:
 * (N, C*kT*kH*kW, oT*oH*oW), rows ordered (c, kt, ky, kx) as the weight
 * (nOutputPlane, C, kT, kH, kW) seen as a matrix, and the CPU kernels:
 *   cols[n, (c, kt, ky, kx), (a, i, j)] =
 *       x[n, c, a dT - padT + kt lT, i dH - padH + ky lH, j dW - padW + kx lW]
 * (0 in the padding). col2vol is its transpose, written as a gather (each
 * image element sums the column entries that read it, in a fixed order: no
 * atomics, deterministic; float16 sums in float). The transposed ("full")
 * convolutions use the pair the other way round: col2vol is their forward
 * (the image is their output), vol2col their gradInput.
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_vol2col(const T* __restrict__ x, T* __restrict__ cols, idx_t n, idx_t c,
                            idx_t t, idx_t h, idx_t w, idx_t ot, idx_t oh, idx_t ow,
                            idx_t kt, idx_t kh, idx_t kw, idx_t dt, idx_t dh, idx_t dw,
                            idx_t pt, idx_t ph, idx_t pw, idx_t lt, idx_t lh, idx_t lw) {
    const idx_t p = ot * oh * ow, kk = kt * kh * kw, k = c * kk;
    NNF_LOOP(e, n * k * p) {
        const idx_t q = e % p, row = (e / p) % k, s = e / (p * k);
        const idx_t j = q % ow, i = (q / ow) % oh, a = q / (ow * oh);
        const idx_t ch = row / kk, tap = row % kk;
        const idx_t kx = tap % kw, ky = (tap / kw) % kh, kz = tap / (kw * kh);
        const idx_t z = a * dt - pt + kz * lt, r = i * dh - ph + ky * lh,
                    col = j * dw - pw + kx * lw;
        T v;
        if (z >= 0 && z < t && r >= 0 && r < h && col >= 0 && col < w)
            v = x[(((s * c + ch) * t + z) * h + r) * w + col];
        else
            nnf_st(&v, (typename nnf_acc<T>::type)0);
        cols[e] = v;
    }
}

/* the windows along one axis that read image position r through tap k:
   q = r + pad - k l must be a multiple of the stride d, window q / d < n */
__device__ __forceinline__ idx_t nnf_unfold_win(idx_t r, idx_t pad, idx_t k, idx_t l,
                                                idx_t d, idx_t n) {
    const idx_t q = r + pad - k * l;
    if (q < 0 || q % d) return -1;
    return q / d < n ? q / d : -1;
}

template <typename T>
__global__ void nnf_col2vol(const T* __restrict__ cols, T* __restrict__ img, idx_t n,
                            idx_t c, idx_t t, idx_t h, idx_t w, idx_t ot, idx_t oh, idx_t ow,
                            idx_t kt, idx_t kh, idx_t kw, idx_t dt, idx_t dh, idx_t dw,
                            idx_t pt, idx_t ph, idx_t pw, idx_t lt, idx_t lh, idx_t lw) {
    typedef typename nnf_acc<T>::type C;
    const idx_t p = ot * oh * ow, kk = kt * kh * kw;
    NNF_LOOP(e, n * c * t * h * w) {
        const idx_t col = e % w, r = (e / w) % h, z = (e / (w * h)) % t;
        const idx_t ch = (e / (w * h * t)) % c, s = e / (w * h * t * c);
        const T* base = cols + (s * c + ch) * kk * p;
        C acc = 0;
        for (idx_t kz = 0; kz < kt; kz++) {
            const idx_t a = nnf_unfold_win(z, pt, kz, lt, dt, ot);
            if (a < 0) continue;
            for (idx_t ky = 0; ky < kh; ky++) {
                const idx_t i = nnf_unfold_win(r, ph, ky, lh, dh, oh);
                if (i < 0) continue;
                for (idx_t kx = 0; kx < kw; kx++) {
                    const idx_t j = nnf_unfold_win(col, pw, kx, lw, dw, ow);
                    if (j < 0) continue;
                    acc += nnf_ld(base + ((kz * kh + ky) * kw + kx) * p + (a * oh + i) * ow + j);
                }
            }
        }
        nnf_st(img + e, acc);
    }
}
