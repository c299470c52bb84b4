/* Bias kernels shared by Linear and SpatialConvolution (the products
 * themselves are cuBLAS GEMMs through CuPy).
 *
 * The output is seen as (outer, channels, inner): Linear is
 * (N, outputSize, 1), a convolution (N, nOutputPlane, oH*oW).
 *   nnf_add_bias:  y[o, c, i] += b[c]
 *   nnf_bias_grad: gb[c] = sum_{o, i} g[o, c, i], one block per channel,
 *                  summed in the compute type (float for float16 data)
 *   nnf_bias_grad_rows: the same for inner == 1 (Linear), one thread per
 *                  channel walking the rows (reads coalesced across threads)
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_add_bias(T* __restrict__ y, const T* __restrict__ b, idx_t outer,
                             idx_t channels, idx_t inner) {
    NNF_LOOP(k, outer * channels * inner) {
        const idx_t c = (k / inner) % channels;
        nnf_st(y + k, nnf_ld(y + k) + nnf_ld(b + c));
    }
}

template <typename T>
__global__ void nnf_bias_grad(const T* __restrict__ g, T* __restrict__ gb, idx_t outer,
                              idx_t channels, idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    __shared__ C shm[32];
    for (idx_t c = blockIdx.x; c < channels; c += gridDim.x) {
        C s = 0;
        for (idx_t k = threadIdx.x; k < outer * inner; k += blockDim.x) {
            const idx_t o = k / inner, i = k - o * inner;
            s += nnf_ld(g + (o * channels + c) * inner + i);
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) nnf_st(gb + c, s);
    }
}

template <typename T>
__global__ void nnf_bias_grad_rows(const T* __restrict__ g, T* __restrict__ gb, idx_t rows,
                                   idx_t channels) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(c, channels) {
        C s = 0;
        for (idx_t r = 0; r < rows; r++) s += nnf_ld(g + r * channels + c);
        nnf_st(gb + c, s);
    }
}
