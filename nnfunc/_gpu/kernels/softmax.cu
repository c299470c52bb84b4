/* SoftMax and LogSoftMax over the middle axis of an (outer, dim, inner) view.
 *
 * inner == 1 (rows of a matrix): one block per row, the max, the sum of
 * exp(x - max) (and the backward's dot product) by block reductions.
 * inner > 1 (channels of images): one thread per (outer, inner) column,
 * walking the dim axis with stride inner (consecutive threads read
 * consecutive addresses). Sums run in the compute type (float for float
 * and float16 data, double for double). LOG selects LogSoftMax. The
 * backward recomputes the output from the input (pure):
 *   SoftMax:    gi = y (g - sum(g y))
 *   LogSoftMax: gi = g - exp(y) sum(g)
 */
#include "nnf_common.cuh"

template <typename T, bool LOG>
__global__ void nnf_softmax_fwd_rows(const T* __restrict__ x, T* __restrict__ y,
                                     idx_t rows, idx_t dim) {
    typedef typename nnf_acc<T>::type C;
    __shared__ C shm[32];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * dim;
        T* yr = y + r * dim;
        C m = -nnf_inf<C>();
        for (idx_t j = threadIdx.x; j < dim; j += blockDim.x) {
            const C v = nnf_ld(xr + j);
            m = (v > m || nnf_isnan(v)) ? v : m;
        }
        m = nnf_block_max(m, shm);
        C s = 0;
        for (idx_t j = threadIdx.x; j < dim; j += blockDim.x) s += nnf_exp(nnf_ld(xr + j) - m);
        s = nnf_block_sum(s, shm);
        if (LOG) {
            const C ls = nnf_log(s);
            for (idx_t j = threadIdx.x; j < dim; j += blockDim.x)
                nnf_st(yr + j, (nnf_ld(xr + j) - m) - ls);
        } else {
            const C inv = (C)1 / s;
            for (idx_t j = threadIdx.x; j < dim; j += blockDim.x)
                nnf_st(yr + j, nnf_exp(nnf_ld(xr + j) - m) * inv);
        }
    }
}

template <typename T, bool LOG>
__global__ void nnf_softmax_bwd_rows(const T* __restrict__ x, const T* __restrict__ g,
                                     T* __restrict__ gi, idx_t rows, idx_t dim) {
    typedef typename nnf_acc<T>::type C;
    __shared__ C shm[32];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * dim;
        const T* gr = g + r * dim;
        T* out = gi + r * dim;
        C m = -nnf_inf<C>();
        for (idx_t j = threadIdx.x; j < dim; j += blockDim.x) {
            const C v = nnf_ld(xr + j);
            m = (v > m || nnf_isnan(v)) ? v : m;
        }
        m = nnf_block_max(m, shm);
        C s = 0;
        for (idx_t j = threadIdx.x; j < dim; j += blockDim.x) s += nnf_exp(nnf_ld(xr + j) - m);
        s = nnf_block_sum(s, shm);
        if (LOG) {
            C gs = 0;
            for (idx_t j = threadIdx.x; j < dim; j += blockDim.x) gs += nnf_ld(gr + j);
            gs = nnf_block_sum(gs, shm);
            const C inv = (C)1 / s;
            for (idx_t j = threadIdx.x; j < dim; j += blockDim.x)
                nnf_st(out + j, nnf_ld(gr + j) - nnf_exp(nnf_ld(xr + j) - m) * inv * gs);
        } else {
            const C inv = (C)1 / s;
            C dot = 0;
            for (idx_t j = threadIdx.x; j < dim; j += blockDim.x)
                dot += nnf_ld(gr + j) * (nnf_exp(nnf_ld(xr + j) - m) * inv);
            dot = nnf_block_sum(dot, shm);
            for (idx_t j = threadIdx.x; j < dim; j += blockDim.x) {
                const C yv = nnf_exp(nnf_ld(xr + j) - m) * inv;
                nnf_st(out + j, yv * (nnf_ld(gr + j) - dot));
            }
        }
    }
}

template <typename T, bool LOG>
__global__ void nnf_softmax_fwd_cols(const T* __restrict__ x, T* __restrict__ y,
                                     idx_t outer, idx_t dim, idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(c, outer * inner) {
        const idx_t o = c / inner, i = c - o * inner;
        const T* xc = x + o * dim * inner + i;
        T* yc = y + o * dim * inner + i;
        C m = -nnf_inf<C>();
        for (idx_t j = 0; j < dim; j++) {
            const C v = nnf_ld(xc + j * inner);
            m = (v > m || nnf_isnan(v)) ? v : m;
        }
        C s = 0;
        for (idx_t j = 0; j < dim; j++) s += nnf_exp(nnf_ld(xc + j * inner) - m);
        if (LOG) {
            const C ls = nnf_log(s);
            for (idx_t j = 0; j < dim; j++)
                nnf_st(yc + j * inner, (nnf_ld(xc + j * inner) - m) - ls);
        } else {
            const C inv = (C)1 / s;
            for (idx_t j = 0; j < dim; j++)
                nnf_st(yc + j * inner, nnf_exp(nnf_ld(xc + j * inner) - m) * inv);
        }
    }
}

template <typename T, bool LOG>
__global__ void nnf_softmax_bwd_cols(const T* __restrict__ x, const T* __restrict__ g,
                                     T* __restrict__ gi, idx_t outer, idx_t dim,
                                     idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(c, outer * inner) {
        const idx_t o = c / inner, i = c - o * inner;
        const idx_t base = o * dim * inner + i;
        C m = -nnf_inf<C>();
        for (idx_t j = 0; j < dim; j++) {
            const C v = nnf_ld(x + base + j * inner);
            m = (v > m || nnf_isnan(v)) ? v : m;
        }
        C s = 0;
        for (idx_t j = 0; j < dim; j++) s += nnf_exp(nnf_ld(x + base + j * inner) - m);
        const C inv = (C)1 / s;
        C acc = 0;
        for (idx_t j = 0; j < dim; j++) {
            const C gv = nnf_ld(g + base + j * inner);
            acc += LOG ? gv : gv * nnf_exp(nnf_ld(x + base + j * inner) - m) * inv;
        }
        for (idx_t j = 0; j < dim; j++) {
            const idx_t k = base + j * inner;
            const C yv = nnf_exp(nnf_ld(x + k) - m) * inv;
            const C gv = nnf_ld(g + k);
            nnf_st(gi + k, LOG ? gv - yv * acc : yv * (gv - acc));
        }
    }
}
