/* Sum / Mean / Max / Min over the middle axis of an (outer, n, inner) view.
 *
 * inner == 1 (a contiguous axis): one block per row and a block reduction;
 * inner > 1: one thread per (outer, inner) column walking the axis with
 * stride inner (consecutive threads, consecutive addresses). Sums run in
 * double. Max / Min keep the first extremum (ties go to the lowest index)
 * and a NaN wins over any number, the first NaN staying (NumPy's max /
 * argmax, and the CPU kernel). Their backward recomputes the winner of each
 * slice (pure) and sends the gradient there.
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_sum_rows(const T* __restrict__ x, T* __restrict__ y, idx_t rows, idx_t n,
                             double scale) {
    __shared__ double shm[32];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        double s = 0;
        for (idx_t j = threadIdx.x; j < n; j += blockDim.x) s += (double)nnf_ld(x + r * n + j);
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) nnf_st(y + r, (typename nnf_acc<T>::type)(s * scale));
    }
}

template <typename T>
__global__ void nnf_sum_cols(const T* __restrict__ x, T* __restrict__ y, idx_t outer,
                             idx_t n, idx_t inner, double scale) {
    NNF_LOOP(c, outer * inner) {
        const idx_t o = c / inner, i = c - o * inner;
        const T* xc = x + o * n * inner + i;
        double s = 0;
        for (idx_t j = 0; j < n; j++) s += (double)nnf_ld(xc + j * inner);
        nnf_st(y + c, (typename nnf_acc<T>::type)(s * scale));
    }
}

/* gi[o, j, i] = g[o, i] scale */
template <typename T>
__global__ void nnf_sum_bwd(const T* __restrict__ g, T* __restrict__ gi, idx_t outer,
                            idx_t n, idx_t inner, double scale) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * n * inner) {
        const idx_t i = e % inner, o = e / (n * inner);
        nnf_st(gi + e, nnf_ld(g + o * inner + i) * (C)scale);
    }
}

/* v beats the running extremum m (the scan goes by increasing index) */
template <typename C, bool MAX>
__device__ __forceinline__ bool nnf_wins(C v, C m) {
    return (MAX ? v > m : v < m) || (nnf_isnan(v) && !nnf_isnan(m));
}

/* (v, j) beats (m, k) whatever the order they were found in */
template <typename C, bool MAX>
__device__ __forceinline__ bool nnf_beats(C v, long long j, C m, long long k) {
    if (nnf_wins<C, MAX>(v, m)) return true;
    if (nnf_wins<C, MAX>(m, v)) return false;
    return j < k;       /* equal, or both NaN: the lower index */
}

/* the extremum (use_y) and/or its index (use_idx) of every row; blockDim.x
   a power of two, at most 1024 */
template <typename T, bool MAX>
__global__ void nnf_arg_rows(const T* __restrict__ x, T* __restrict__ y, int use_y,
                             long long* __restrict__ idx, int use_idx, idx_t rows, idx_t n) {
    typedef typename nnf_acc<T>::type C;
    __shared__ C sv[1024];
    __shared__ long long sj[1024];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        C m = 0;
        long long best = -1;
        for (idx_t j = threadIdx.x; j < n; j += blockDim.x) {
            const C v = nnf_ld(x + r * n + j);
            if (best < 0 || nnf_wins<C, MAX>(v, m)) {
                m = v;
                best = j;
            }
        }
        __syncthreads();            /* the previous row's results were read */
        sv[threadIdx.x] = m;
        sj[threadIdx.x] = best;
        __syncthreads();
        for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) {
                const C v = sv[threadIdx.x + s];
                const long long j = sj[threadIdx.x + s];
                if (j >= 0 && (sj[threadIdx.x] < 0 ||
                               nnf_beats<C, MAX>(v, j, sv[threadIdx.x], sj[threadIdx.x]))) {
                    sv[threadIdx.x] = v;
                    sj[threadIdx.x] = j;
                }
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            if (use_y) nnf_st(y + r, sv[0]);
            if (use_idx) idx[r] = sj[0];
        }
    }
}

template <typename T, bool MAX>
__global__ void nnf_arg_cols(const T* __restrict__ x, T* __restrict__ y, int use_y,
                             long long* __restrict__ idx, int use_idx, idx_t outer, idx_t n,
                             idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(c, outer * inner) {
        const idx_t o = c / inner, i = c - o * inner;
        const T* xc = x + o * n * inner + i;
        C m = nnf_ld(xc);
        long long best = 0;
        for (idx_t j = 1; j < n; j++) {
            const C v = nnf_ld(xc + j * inner);
            if (nnf_wins<C, MAX>(v, m)) {
                m = v;
                best = j;
            }
        }
        if (use_y) nnf_st(y + c, m);
        if (use_idx) idx[c] = best;
    }
}

/* gi[o, j, i] = g[o, i] where j is the slice's winner idx[o, i], else 0 */
template <typename T>
__global__ void nnf_arg_bwd(const long long* __restrict__ idx, const T* __restrict__ g,
                            T* __restrict__ gi, idx_t outer, idx_t n, idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * n * inner) {
        const idx_t i = e % inner, j = (e / inner) % n, o = e / (n * inner);
        const idx_t c = o * inner + i;
        nnf_st(gi + e, idx[c] == j ? nnf_ld(g + c) : (C)0);
    }
}
