/* im2col / col2im of the 2-D convolutions (the GEMMs are cuBLAS via CuPy).
 *
 * columns: (N, C*kH*kW, oH*oW), rows ordered (c, ky, kx) as the weight
 * (nOutputPlane, C, kH, kW) seen as a matrix, and the CPU kernel:
 *   cols[n, (c, ky, kx), (i, j)] = x[n, c, i dH - padH + ky lH, j dW - padW + kx lW]
 * (0 in the padding; lH, lW the dilation, 1 but for SpatialDilatedConvolution).
 * SpatialFullConvolution uses the pair the other way round: col2im is its
 * forward (the image is its output), im2col its gradInput. col2im is its transpose, written as a gather (each
 * input element sums the column entries that read it: no atomics, the
 * result is deterministic; float16 sums in float).
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_im2col(const T* __restrict__ x, T* __restrict__ cols, idx_t n, idx_t c,
                           idx_t h, idx_t w, idx_t oh, idx_t ow, idx_t kh, idx_t kw,
                           idx_t dh, idx_t dw, idx_t ph, idx_t pw, idx_t lh, idx_t lw) {
    const idx_t p = oh * ow, k = c * kh * kw;
    NNF_LOOP(e, n * k * p) {
        const idx_t q = e % p, row = (e / p) % k, s = e / (p * k);
        const idx_t oi = q / ow, oj = q - oi * ow;
        const idx_t ch = row / (kh * kw), ky = (row / kw) % kh, kx = row % kw;
        const idx_t r = oi * dh - ph + ky * lh, col = oj * dw - pw + kx * lw;
        T v;
        if (r >= 0 && r < h && col >= 0 && col < w)
            v = x[((s * c + ch) * h + r) * w + col];
        else
            nnf_st(&v, (typename nnf_acc<T>::type)0);
        cols[e] = v;
    }
}

template <typename T>
__global__ void nnf_col2im(const T* __restrict__ cols, T* __restrict__ gi, idx_t n, idx_t c,
                           idx_t h, idx_t w, idx_t oh, idx_t ow, idx_t kh, idx_t kw,
                           idx_t dh, idx_t dw, idx_t ph, idx_t pw, idx_t lh, idx_t lw) {
    typedef typename nnf_acc<T>::type C;
    const idx_t p = oh * ow, k = c * kh * kw;
    NNF_LOOP(e, n * c * h * w) {
        const idx_t col = e % w, r = (e / w) % h, ch = (e / (w * h)) % c, s = e / (w * h * c);
        const T* base = cols + (s * k + ch * kh * kw) * p;
        C acc = 0;
        for (idx_t ky = 0; ky < kh; ky++) {
            const idx_t rr = r + ph - ky * lh;
            if (rr < 0 || rr % dh) continue;
            const idx_t oi = rr / dh;
            if (oi >= oh) continue;
            for (idx_t kx = 0; kx < kw; kx++) {
                const idx_t cc = col + pw - kx * lw;
                if (cc < 0 || cc % dw) continue;
                const idx_t oj = cc / dw;
                if (oj >= ow) continue;
                acc += nnf_ld(base + (ky * kw + kx) * p + oi * ow + oj);
            }
        }
        nnf_st(gi + e, acc);
    }
}
