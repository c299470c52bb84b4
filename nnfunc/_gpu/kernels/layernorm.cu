/* LayerNormalization over the rows of x (N, D): xhat = (x - mean) r,
 * r = 1 / sqrt(var + eps / D) (the module's Torch7-derived epsilon; biased
 * variance), y = xhat [w + b]. One block per row (grid-stride), two-pass
 * statistics in double, block reductions: deterministic. The backward
 * recomputes the row statistics (pure) and leaves them in mean / rstd for
 * the parameter gradients, a thread per column walking the rows.
 */
#include "nnf_common.cuh"

template <typename T>
__device__ void nnf_ln_stats(const T* __restrict__ xr, idx_t d, double epsd, double* shm,
                             double* mean, double* r) {
    double s = 0;
    for (idx_t j = threadIdx.x; j < d; j += blockDim.x) s += (double)nnf_ld(xr + j);
    const double m = nnf_block_sum(s, shm) / (double)d;
    s = 0;
    for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
        const double c = (double)nnf_ld(xr + j) - m;
        s += c * c;
    }
    const double v = nnf_block_sum(s, shm) / (double)d;
    *mean = m;
    *r = 1.0 / sqrt(v + epsd);
}

template <typename T>
__global__ void nnf_ln_fwd(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ w,
                           const T* __restrict__ b, int affine, idx_t n, idx_t d,
                           double epsd) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    for (idx_t row = blockIdx.x; row < n; row += gridDim.x) {
        const T* xr = x + row * d;
        double m, r;
        nnf_ln_stats(xr, d, epsd, shm, &m, &r);
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
            double v = ((double)nnf_ld(xr + j) - m) * r;
            if (affine) v = v * (double)nnf_ld(w + j) + (double)nnf_ld(b + j);
            nnf_st(y + row * d + j, (C)v);
        }
    }
}

/* gi = r (g - mean(g) - xhat mean(g xhat)), g = go [* w]; mean / rstd per row */
template <typename T>
__global__ void nnf_ln_bwd(const T* __restrict__ x, const T* __restrict__ go,
                           T* __restrict__ gi, const T* __restrict__ w, int affine, idx_t n,
                           idx_t d, double epsd, double* __restrict__ mean,
                           double* __restrict__ rstd) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    for (idx_t row = blockIdx.x; row < n; row += gridDim.x) {
        const T* xr = x + row * d;
        const T* gr = go + row * d;
        double m, r;
        nnf_ln_stats(xr, d, epsd, shm, &m, &r);
        double sg = 0, sgx = 0;
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
            double g = (double)nnf_ld(gr + j);
            if (affine) g *= (double)nnf_ld(w + j);
            sg += g;
            sgx += g * ((double)nnf_ld(xr + j) - m) * r;
        }
        const double gm = nnf_block_sum(sg, shm) / (double)d;
        const double gx = nnf_block_sum(sgx, shm) / (double)d;
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
            double g = (double)nnf_ld(gr + j);
            if (affine) g *= (double)nnf_ld(w + j);
            const double xh = ((double)nnf_ld(xr + j) - m) * r;
            nnf_st(gi + row * d + j, (C)(r * (g - gm - xh * gx)));
        }
        if (threadIdx.x == 0) {
            mean[row] = m;
            rstd[row] = r;
        }
    }
}

/* gw[j] = sum_rows go xhat, gb[j] = sum_rows go */
template <typename T>
__global__ void nnf_ln_pgrad(const T* __restrict__ x, const T* __restrict__ go,
                             const double* __restrict__ mean, const double* __restrict__ rstd,
                             T* __restrict__ gw, T* __restrict__ gb, idx_t n, idx_t d) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(j, d) {
        double sw = 0, sb = 0;
        for (idx_t row = 0; row < n; row++) {
            const double g = (double)nnf_ld(go + row * d + j);
            sb += g;
            sw += g * ((double)nnf_ld(x + row * d + j) - mean[row]) * rstd[row];
        }
        nnf_st(gw + j, (C)sw);
        nnf_st(gb + j, (C)sb);
    }
}
