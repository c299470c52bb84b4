/* MultiMarginCriterion and MultiLabelMarginCriterion over rows x (N, C),
 * one block per row (grid-stride), sums in double: deterministic. Targets
 * were range-checked by Python. The loss is norm * the sum of the rows'
 * losses (row_loss, then criterion.cu's nnf_finish_sum); the gradient
 * scale coef [* gs[0]] carries norm and gradOutput (gs: a 0-d gradOutput
 * read on the device).
 *
 * MultiMargin: row loss sum_{i != t} w[t] max(0, margin - x[t] + x[i])^p;
 * gradient w[t] (1 or 2 z) at each i with z > 0, minus their sum at t.
 * MultiLabelMargin: t holds the row's listed classes up to the first -1;
 * row loss sum_{k listed} sum_{i not listed} max(0, 1 - x[t_k] + x[i]);
 * gradient sum_k [z_ki > 0] at i, minus, at each listed class, the number
 * of active hinges of each of its listings. `flag` (N, C) marks the listed
 * classes of each row (a workspace).
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_mm_rows(const T* __restrict__ x, const long long* __restrict__ t,
                            const T* __restrict__ w, int use_w, idx_t n, idx_t nc, int p,
                            double margin, double* __restrict__ row_loss) {
    __shared__ double shm[32];
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        const T* xr = x + r * nc;
        const long long tr = t[r];
        const double xt = (double)nnf_ld(xr + tr);
        double s = 0;
        for (idx_t i = threadIdx.x; i < nc; i += blockDim.x) {
            const double z = margin - xt + (double)nnf_ld(xr + i);
            if (i != tr && z > 0) s += p == 1 ? z : z * z;
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) row_loss[r] = s * (use_w ? (double)nnf_ld(w + tr) : 1.0);
    }
}

template <typename T>
__global__ void nnf_mm_bwd(const T* __restrict__ x, const long long* __restrict__ t,
                           const T* __restrict__ w, int use_w, idx_t n, idx_t nc, int p,
                           double margin, double coef, const T* __restrict__ gs, int use_gs,
                           T* __restrict__ gi) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    const double k = use_gs ? coef * (double)nnf_ld(gs) : coef;
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        const T* xr = x + r * nc;
        const long long tr = t[r];
        const double xt = (double)nnf_ld(xr + tr);
        const double g = k * (use_w ? (double)nnf_ld(w + tr) : 1.0);
        double s = 0;
        for (idx_t i = threadIdx.x; i < nc; i += blockDim.x) {
            const double z = margin - xt + (double)nnf_ld(xr + i);
            double h = 0;
            if (i != tr && z > 0) h = p == 1 ? g : 2.0 * z * g;
            s += h;
            if (i != tr) nnf_st(gi + r * nc + i, (C)h);
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) nnf_st(gi + r * nc + tr, (C)(-s));
    }
}

/* the number of listed classes of row r (up to the first -1) */
__device__ __forceinline__ idx_t nnf_ml_count(const long long* __restrict__ tr, idx_t nc) {
    idx_t k = 0;
    while (k < nc && tr[k] >= 0) k++;
    return k;
}

template <typename T>
__global__ void nnf_ml_flags(const long long* __restrict__ t, unsigned char* __restrict__ flag,
                             idx_t n, idx_t nc) {
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        const long long* tr = t + r * nc;
        const idx_t cnt = nnf_ml_count(tr, nc);
        for (idx_t i = threadIdx.x; i < nc; i += blockDim.x) flag[r * nc + i] = 0;
        __syncthreads();
        for (idx_t k = threadIdx.x; k < cnt; k += blockDim.x) flag[r * nc + tr[k]] = 1;
        __syncthreads();
    }
}

template <typename T>
__global__ void nnf_ml_rows(const T* __restrict__ x, const long long* __restrict__ t,
                            const unsigned char* __restrict__ flag, idx_t n, idx_t nc,
                            double* __restrict__ row_loss) {
    __shared__ double shm[32];
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        const T* xr = x + r * nc;
        const long long* tr = t + r * nc;
        const idx_t cnt = nnf_ml_count(tr, nc);
        double s = 0;
        for (idx_t i = threadIdx.x; i < nc; i += blockDim.x) {
            if (flag[r * nc + i]) continue;
            const double xi = (double)nnf_ld(xr + i);
            for (idx_t k = 0; k < cnt; k++) {
                const double z = 1.0 - (double)nnf_ld(xr + tr[k]) + xi;
                if (z > 0) s += z;
            }
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) row_loss[r] = s;
    }
}

/* act (N, C) workspace: act[r, k] = the number of active hinges of listing k */
template <typename T>
__global__ void nnf_ml_bwd(const T* __restrict__ x, const long long* __restrict__ t,
                           const unsigned char* __restrict__ flag, double* __restrict__ act,
                           idx_t n, idx_t nc, double coef, const T* __restrict__ gs,
                           int use_gs, T* __restrict__ gi) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    const double g = use_gs ? coef * (double)nnf_ld(gs) : coef;
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        const T* xr = x + r * nc;
        const long long* tr = t + r * nc;
        const unsigned char* fr = flag + r * nc;
        const idx_t cnt = nnf_ml_count(tr, nc);
        for (idx_t k = 0; k < cnt; k++) {
            const double xk = (double)nnf_ld(xr + tr[k]);
            double a = 0;
            for (idx_t i = threadIdx.x; i < nc; i += blockDim.x)
                if (!fr[i] && 1.0 - xk + (double)nnf_ld(xr + i) > 0) a += 1.0;
            a = nnf_block_sum(a, shm);
            if (threadIdx.x == 0) act[r * nc + k] = a;
        }
        __syncthreads();
        for (idx_t i = threadIdx.x; i < nc; i += blockDim.x) {
            double v = 0;
            if (!fr[i]) {
                const double xi = (double)nnf_ld(xr + i);
                for (idx_t k = 0; k < cnt; k++)
                    if (1.0 - (double)nnf_ld(xr + tr[k]) + xi > 0) v += 1.0;
            } else {
                for (idx_t k = 0; k < cnt; k++)
                    if (tr[k] == (long long)i) v -= act[r * nc + k];
            }
            nnf_st(gi + r * nc + i, (C)(v * g));
        }
        __syncthreads();
    }
}

/* MarginRankingCriterion: x1, x2, y of n elements; loss = norm sum
 * max(0, -y (x1 - x2) + margin) (block partials in double, then
 * criterion.cu's nnf_finish_sum); gradient [-g, g] with g = y coef [gs]
 * where the hinge is >= 0 (Torch7 and PyTorch pass it at exactly 0). */
template <typename T>
__global__ void nnf_mr_partial(const T* __restrict__ x1, const T* __restrict__ x2,
                               const T* __restrict__ y, idx_t n, double margin,
                               double* __restrict__ partial) {
    __shared__ double shm[32];
    double s = 0;
    NNF_LOOP(i, n) {
        const double h = -(double)nnf_ld(y + i) * ((double)nnf_ld(x1 + i) - (double)nnf_ld(x2 + i))
                         + margin;
        if (h > 0) s += h;
    }
    s = nnf_block_sum(s, shm);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

template <typename T>
__global__ void nnf_mr_bwd(const T* __restrict__ x1, const T* __restrict__ x2,
                           const T* __restrict__ y, T* __restrict__ g1, T* __restrict__ g2,
                           idx_t n, double margin, double coef, const T* __restrict__ gs,
                           int use_gs) {
    typedef typename nnf_acc<T>::type C;
    const double k = use_gs ? coef * (double)nnf_ld(gs) : coef;
    NNF_LOOP(i, n) {
        const C yv = nnf_ld(y + i), a = nnf_ld(x1 + i), b = nnf_ld(x2 + i);
        const C h = -yv * (a - b) + (C)margin;
        const C g = h >= (C)0 ? (C)(yv * (C)k) : (C)0;
        nnf_st(g1 + i, -g);
        nnf_st(g2 + i, g);
    }
}
