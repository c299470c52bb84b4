/* SpatialMaxUnpooling: input (P, L) pooled values and int64 indices (flat
 * offsets into the (H W = O)-element output planes, range-checked by
 * Python), output (P, O).
 *
 * Forward: zeros, with y[p, idx[p, i]] = x[p, i]; where several inputs of a
 * plane name one position, the last in row-major order stays (the CPU
 * loop's rule). A scatter with that rule is two kernels: every input
 * claims its position with atomicMax of its flat index (the claim array
 * starts at -1), then every output reads its winner (deterministic: the
 * maximum does not depend on the order of the atomics). Backward: the
 * gather gi[p, i] = go[p, idx[p, i]].
 */
#include "nnf_common.cuh"

/* (a template on the data type only so that every kernel is named alike) */
template <typename T>
__global__ void nnf_unpool_claim(const long long* __restrict__ idx,
                                 long long* __restrict__ win, idx_t planes, idx_t l, idx_t o) {
    NNF_LOOP(e, planes * l) atomicMax(win + (e / l) * o + idx[e], (long long)e);
}

template <typename T>
__global__ void nnf_unpool_fwd(const T* __restrict__ x, const long long* __restrict__ win,
                               T* __restrict__ y, idx_t n) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(q, n) {
        const long long s = win[q];
        if (s >= 0)
            y[q] = x[s];
        else
            nnf_st(y + q, (C)0);
    }
}

template <typename T>
__global__ void nnf_unpool_bwd(const T* __restrict__ go, const long long* __restrict__ idx,
                               T* __restrict__ gi, idx_t planes, idx_t l, idx_t o) {
    NNF_LOOP(e, planes * l) gi[e] = go[(e / l) * o + idx[e]];
}
