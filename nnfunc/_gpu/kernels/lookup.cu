/* LookupTable: rows of weight (nIndex, D) picked by int64 indices
 * (range-checked by Python).
 *
 * Forward: y[i, :] = w[idx[i], :]. maxNorm: the rows named in idx are
 * marked, then each marked row whose p-norm (in double) exceeds maxNorm is
 * scaled by maxNorm / (norm + 1e-7) in the module's copy of the weight (the
 * CPU kernel's rule). gradWeight: the indices sorted stably (CuPy), each
 * row r sums the gradOutput rows of its run [lo[r], hi[r]) in ascending
 * input order, in the data type, as the CPU loop does (so float32 gives
 * the CPU's bits); the padding row gets zero; with scaleGradByFreq every
 * term is scaled by 1 / count. No atomics: deterministic.
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_lut_fwd(const long long* __restrict__ idx, const T* __restrict__ w,
                            T* __restrict__ y, idx_t m, idx_t d) {
    NNF_LOOP(e, m * d) {
        const idx_t i = e / d;
        y[e] = w[idx[i] * d + (e - i * d)];
    }
}

template <typename T>
__global__ void nnf_lut_mark(const long long* __restrict__ idx, int* __restrict__ hit,
                             idx_t m) {
    NNF_LOOP(i, m) hit[idx[i]] = 1;
}

template <typename T>
__global__ void nnf_lut_renorm(T* __restrict__ w, const int* __restrict__ hit, idx_t n,
                               idx_t d, double max_norm, double p) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        if (!hit[r]) continue;          /* uniform across the block */
        T* row = w + r * d;
        double s = 0;
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
            const double a = fabs((double)nnf_ld(row + j));
            s += p == 1.0 ? a : (p == 2.0 ? a * a : pow(a, p));
        }
        s = nnf_block_sum(s, shm);
        const double norm = p == 1.0 ? s : (p == 2.0 ? sqrt(s) : pow(s, 1.0 / p));
        if (norm > max_norm) {
            const C f = (C)(max_norm / (norm + 1e-7));
            for (idx_t j = threadIdx.x; j < d; j += blockDim.x)
                nnf_st(row + j, nnf_ld(row + j) * f);
        }
    }
}

template <typename T>
__global__ void nnf_lut_grad(const long long* __restrict__ order,
                             const long long* __restrict__ lo, const long long* __restrict__ hi,
                             const T* __restrict__ go, T* __restrict__ gw, idx_t n, idx_t d,
                             long long pad, int freq) {
    typedef typename nnf_acc<T>::type C;
    for (idx_t r = blockIdx.x; r < n; r += gridDim.x) {
        const long long a = lo[r], b = hi[r];
        const C f = (C)(freq && b > a ? 1.0 / (double)(b - a) : 1.0);
        for (idx_t j = threadIdx.x; j < d; j += blockDim.x) {
            C s = 0;
            if (r != pad)
                for (long long q = a; q < b; q++) {
                    const C v = nnf_ld(go + order[q] * d + j);
                    s += freq ? f * v : v;
                }
            nnf_st(gw + r * d + j, s);
        }
    }
}
