/* BatchNormalization / SpatialBatchNormalization / VolumetricBatchNormalization
 * over x seen as (N, C, S) (S: the product of the spatial sizes, 1 for the
 * 2-D module; a non-batch input is N = 1).
 *
 * Per-channel reductions run one block per channel (grid-stride over the
 * channels), the block's threads walking the channel's N*S elements with s
 * fastest (consecutive threads, consecutive addresses), sums in double
 * (float16 and float32 data too), then a block reduction: deterministic.
 * Statistics go between kernels as double arrays: mean and invstd =
 * 1/sqrt(var + eps). The backward recomputes the batch statistics from
 * the input (pure). Training: biased variance to normalise, the unbiased
 * one in the running update (new = (1 - m) old + m batch), as the CPU.
 */
#include "nnf_common.cuh"

/* mean[c], invstd[c] of the batch; with use_state also the updated running
   statistics nrm, nrv from rm, rv. Two passes (mean, then squared
   deviations): no cancellation. */
template <typename T>
__global__ void nnf_bn_stats(const T* __restrict__ x, idx_t n, idx_t c, idx_t s, double eps,
                             double* __restrict__ mean, double* __restrict__ invstd,
                             const T* __restrict__ rm, const T* __restrict__ rv,
                             T* __restrict__ nrm, T* __restrict__ nrv, int use_state,
                             double momentum) {
    __shared__ double shm[32];
    const idx_t cnt = n * s;
    for (idx_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double acc = 0;
        for (idx_t e = threadIdx.x; e < cnt; e += blockDim.x) {
            const idx_t i = e / s, j = e - i * s;
            acc += (double)nnf_ld(x + (i * c + ch) * s + j);
        }
        const double m = nnf_block_sum(acc, shm) / (double)cnt;
        acc = 0;
        for (idx_t e = threadIdx.x; e < cnt; e += blockDim.x) {
            const idx_t i = e / s, j = e - i * s;
            const double d = (double)nnf_ld(x + (i * c + ch) * s + j) - m;
            acc += d * d;
        }
        const double ss = nnf_block_sum(acc, shm);
        if (threadIdx.x == 0) {
            const double var = ss / (double)cnt;
            mean[ch] = m;
            invstd[ch] = 1.0 / sqrt(var + eps);
            if (use_state) {
                const double unb = ss / (double)(cnt - 1);
                nnf_st(nrm + ch, (typename nnf_acc<T>::type)(
                    (1.0 - momentum) * (double)nnf_ld(rm + ch) + momentum * m));
                nnf_st(nrv + ch, (typename nnf_acc<T>::type)(
                    (1.0 - momentum) * (double)nnf_ld(rv + ch) + momentum * unb));
            }
        }
    }
}

/* evaluation: mean, invstd from the running statistics */
template <typename T>
__global__ void nnf_bn_running(const T* __restrict__ rm, const T* __restrict__ rv, idx_t c,
                               double eps, double* __restrict__ mean,
                               double* __restrict__ invstd) {
    NNF_LOOP(ch, c) {
        mean[ch] = (double)nnf_ld(rm + ch);
        invstd[ch] = 1.0 / sqrt((double)nnf_ld(rv + ch) + eps);
    }
}

/* y = (x - mean) invstd [w + b] */
template <typename T>
__global__ void nnf_bn_fwd(const T* __restrict__ x, T* __restrict__ y,
                           const T* __restrict__ w, const T* __restrict__ b, int affine,
                           const double* __restrict__ mean, const double* __restrict__ invstd,
                           idx_t n, idx_t c, idx_t s) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, n * c * s) {
        const idx_t ch = (e / s) % c;
        C v = (C)(((double)nnf_ld(x + e) - mean[ch]) * invstd[ch]);
        if (affine) v = v * nnf_ld(w + ch) + nnf_ld(b + ch);
        nnf_st(y + e, v);
    }
}

/* gsum[c] = sum gradOutput, gxs[c] = sum gradOutput xhat (xhat from mean, invstd) */
template <typename T>
__global__ void nnf_bn_grad_stats(const T* __restrict__ x, const T* __restrict__ g, idx_t n,
                                  idx_t c, idx_t s, const double* __restrict__ mean,
                                  const double* __restrict__ invstd,
                                  double* __restrict__ gsum, double* __restrict__ gxs) {
    __shared__ double shm[32];
    const idx_t cnt = n * s;
    for (idx_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
        const double m = mean[ch], is = invstd[ch];
        double a = 0, bsum = 0;
        for (idx_t e = threadIdx.x; e < cnt; e += blockDim.x) {
            const idx_t i = e / s, j = e - i * s;
            const idx_t k = (i * c + ch) * s + j;
            const double gv = (double)nnf_ld(g + k);
            a += gv;
            bsum += gv * ((double)nnf_ld(x + k) - m) * is;
        }
        a = nnf_block_sum(a, shm);
        bsum = nnf_block_sum(bsum, shm);
        if (threadIdx.x == 0) {
            gsum[ch] = a;
            gxs[ch] = bsum;
        }
    }
}

/* training: gi = (g - gsum/cnt - xhat gxs/cnt) invstd [w];
   evaluation: gi = g invstd [w] */
template <typename T>
__global__ void nnf_bn_bwd(const T* __restrict__ x, const T* __restrict__ g,
                           T* __restrict__ gi, const T* __restrict__ w, int affine,
                           const double* __restrict__ mean, const double* __restrict__ invstd,
                           const double* __restrict__ gsum, const double* __restrict__ gxs,
                           int train, idx_t n, idx_t c, idx_t s) {
    typedef typename nnf_acc<T>::type C;
    const double cnt = (double)(n * s);
    NNF_LOOP(e, n * c * s) {
        const idx_t ch = (e / s) % c;
        const double is = invstd[ch];
        double v = (double)nnf_ld(g + e);
        if (train) {
            const double xh = ((double)nnf_ld(x + e) - mean[ch]) * is;
            v = v - gsum[ch] / cnt - xh * (gxs[ch] / cnt);
        }
        v *= is;
        if (affine) v *= (double)nnf_ld(w + ch);
        nnf_st(gi + e, (C)v);
    }
}

/* gradWeight = gxs, gradBias = gsum, in the data type */
template <typename T>
__global__ void nnf_bn_param_grads(const double* __restrict__ gsum,
                                   const double* __restrict__ gxs, T* __restrict__ gw,
                                   T* __restrict__ gb, idx_t c) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(ch, c) {
        nnf_st(gw + ch, (C)gxs[ch]);
        nnf_st(gb + ch, (C)gsum[ch]);
    }
}
