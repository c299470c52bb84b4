/* Normalize: rows of x (N, D) divided by their p-norm, one block per row
 * (grid-stride), sums in double, block reductions: deterministic. The
 * module's definitions (nnfunc/modules/normalize.py):
 *   finite p: s = sum |x|^p + eps, n = s^(1/p) (p = 2: sqrt(s); p = 1: s);
 *   p = inf (pinf): n = max |x| + eps.
 * Backward, recomputed from x (pure), dot = sum go x:
 *   finite p: gi = go / n - dot b / (n s), b = x (p = 2), sign(x) (p = 1),
 *             sign(x) |x|^(p-1) (else; |x| = 1 where x = 0, as the module);
 *   p = inf:  gi = go / n - dot / n^2 sign(x) at the first argmax of |x|.
 * blockDim.x must be a power of two (the argmax reduction).
 */
#include "nnf_common.cuh"

/* (n, s) of one row */
template <typename T>
__device__ void nnf_norm_row(const T* __restrict__ xr, idx_t d, double p, int pinf,
                             double eps, double* shm, double* n, double* s) {
    double acc = 0;
    for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
        const double a = fabs((double)nnf_ld(xr + j));
        if (pinf)
            acc = (a > acc || nnf_isnan(a)) ? a : acc;      /* NaN propagates */
        else
            acc += p == 2.0 ? a * a : (p == 1.0 ? a : pow(a, p));
    }
    if (pinf) {
        *n = nnf_block_max(acc, shm) + eps;
        *s = 0;
        return;
    }
    const double t = nnf_block_sum(acc, shm) + eps;
    *s = t;
    *n = p == 2.0 ? sqrt(t) : (p == 1.0 ? t : pow(t, 1.0 / p));
}

template <typename T>
__global__ void nnf_normalize_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t rows,
                                  idx_t d, double p, int pinf, double eps) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * d;
        double n, s;
        nnf_norm_row(xr, d, p, pinf, eps, shm, &n, &s);
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x)
            nnf_st(y + r * d + j, (C)((double)nnf_ld(xr + j) / n));
    }
}

template <typename T>
__global__ void nnf_normalize_bwd(const T* __restrict__ x, const T* __restrict__ go,
                                  T* __restrict__ gi, idx_t rows, idx_t d, double p, int pinf,
                                  double eps) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    __shared__ double sv[1024];
    __shared__ long long sj[1024];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * d;
        const T* gr = go + r * d;
        double n, s;
        nnf_norm_row(xr, d, p, pinf, eps, shm, &n, &s);
        double dot = 0;
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x)
            dot += (double)nnf_ld(gr + j) * (double)nnf_ld(xr + j);
        dot = nnf_block_sum(dot, shm);
        long long hot = -1;
        if (pinf) {
            double m = 0;
            for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
                const double a = fabs((double)nnf_ld(xr + j));
                if (hot < 0 || nnf_wins<double, true>(a, m)) {
                    m = a;
                    hot = j;
                }
            }
            nnf_block_arg<double, true>(&m, &hot, sv, sj);
        }
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
            const double xv = (double)nnf_ld(xr + j);
            const double sg = xv > 0 ? 1.0 : (xv < 0 ? -1.0 : 0.0);
            double v = (double)nnf_ld(gr + j) / n;
            if (pinf) {
                if (j == hot) v -= dot / (n * n) * sg;
            } else {
                double b;
                if (p == 2.0)
                    b = xv;
                else if (p == 1.0)
                    b = sg;
                else
                    b = sg * pow(xv == 0 ? 1.0 : fabs(xv), p - 1.0);
                v -= dot * b / (n * s);
            }
            nnf_st(gi + r * d + j, (C)v);
        }
    }
}
