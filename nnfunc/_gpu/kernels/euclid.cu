/* Euclidean: distances of rows x (N, I) to the columns of W (I, J):
 * d[n, j] = sqrt(sum_i (x[n, i] - W[i, j])^2), summed directly in double
 * (no |x|^2 - 2 x.W + |W|^2 expansion, so no cancellation near a centre).
 * Gradients with g = gradOutput / (d + eps) (Torch7's epsilon), from the
 * distances recomputed (pure): gradInput[n, i] = sum_j (x[n, i] - W[i, j])
 * g[n, j], gradWeight[i, j] = -sum_n (x[n, i] - W[i, j]) g[n, j]; each a
 * thread per output element, summing in a fixed order: deterministic.
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_euc_dist(const T* __restrict__ x, const T* __restrict__ w,
                             double* __restrict__ dist, T* __restrict__ y, int use_y, idx_t n,
                             idx_t ni, idx_t nj) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, n * nj) {
        const idx_t j = e % nj, r = e / nj;
        double s = 0;
        for (idx_t i = 0; i < ni; i++) {
            const double t = (double)nnf_ld(x + r * ni + i) - (double)nnf_ld(w + i * nj + j);
            s += t * t;
        }
        const double v = sqrt(s);
        dist[e] = v;
        if (use_y) nnf_st(y + e, (C)v);
    }
}

template <typename T>
__global__ void nnf_euc_gi(const T* __restrict__ x, const T* __restrict__ w,
                           const T* __restrict__ go, const double* __restrict__ dist,
                           T* __restrict__ gi, idx_t n, idx_t ni, idx_t nj, double eps) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, n * ni) {
        const idx_t i = e % ni, r = e / ni;
        const double xv = (double)nnf_ld(x + e);
        double s = 0;
        for (idx_t j = 0; j < nj; j++)
            s += (xv - (double)nnf_ld(w + i * nj + j)) * (double)nnf_ld(go + r * nj + j) /
                 (dist[r * nj + j] + eps);
        nnf_st(gi + e, (C)s);
    }
}

template <typename T>
__global__ void nnf_euc_gw(const T* __restrict__ x, const T* __restrict__ w,
                           const T* __restrict__ go, const double* __restrict__ dist,
                           T* __restrict__ gw, idx_t n, idx_t ni, idx_t nj, double eps) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, ni * nj) {
        const idx_t j = e % nj, i = e / nj;
        const double wv = (double)nnf_ld(w + e);
        double s = 0;
        for (idx_t r = 0; r < n; r++)
            s += ((double)nnf_ld(x + r * ni + i) - wv) * (double)nnf_ld(go + r * nj + j) /
                 (dist[r * nj + j] + eps);
        nnf_st(gw + e, (C)(-s));
    }
}
