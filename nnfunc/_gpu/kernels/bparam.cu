/* Add, Mul, CAdd, CMul: y = x + p or y = x * p, p broadcast.
 *
 * The module's check gives the coalesced view of the CPU kernel: nd
 * dimensions dims[0..nd) (product n = numel(x)) and, per dimension, whether
 * p is broadcast along it. meta holds dims[0..nd) then p's strides
 * ws[0..nd) (0 along a broadcast dimension), as int64. The parameter
 * gradient is one block per element of p (grid-stride), the block's threads
 * walking the B = n / numel(p) positions that share it, sums in double:
 * deterministic.
 */
#include "nnf_common.cuh"

/* p's flat index for the flat position e of x */
__device__ __forceinline__ idx_t nnf_bp_widx(idx_t e, int nd, const long long* __restrict__ meta) {
    idx_t wi = 0;
    for (int d = nd - 1; d >= 0; d--) {
        const idx_t s = meta[d];
        wi += (e % s) * meta[nd + d];
        e /= s;
    }
    return wi;
}

template <typename T>
__global__ void nnf_bparam_fwd(const T* __restrict__ x, const T* __restrict__ w,
                               T* __restrict__ y, idx_t n, int nd,
                               const long long* __restrict__ meta, int mul) {
    NNF_LOOP(e, n) {
        const typename nnf_acc<T>::type p = nnf_ld(w + nnf_bp_widx(e, nd, meta));
        nnf_st(y + e, mul ? nnf_ld(x + e) * p : nnf_ld(x + e) + p);
    }
}

/* gi = go * p (mul) or go */
template <typename T>
__global__ void nnf_bparam_bwd(const T* __restrict__ go, const T* __restrict__ w,
                               T* __restrict__ gi, idx_t n, int nd,
                               const long long* __restrict__ meta, int mul) {
    NNF_LOOP(e, n) {
        if (mul)
            nnf_st(gi + e, nnf_ld(go + e) * nnf_ld(w + nnf_bp_widx(e, nd, meta)));
        else
            gi[e] = go[e];
    }
}

/* gp[j] = sum over the positions e of p[j] of go[e] (* x[e] for mul) */
template <typename T>
__global__ void nnf_bparam_pgrad(const T* __restrict__ x, const T* __restrict__ go,
                                 T* __restrict__ gp, idx_t wsize, idx_t per, int nd,
                                 const long long* __restrict__ meta, int mul) {
    __shared__ double shm[32];
    for (idx_t j = blockIdx.x; j < wsize; j += gridDim.x) {
        double s = 0;
        for (idx_t b = threadIdx.x; b < per; b += blockDim.x) {
            /* position of (j along p's dimensions, b along the broadcast ones) */
            idx_t jj = j, bb = b, pos = 0, stride = 1;
            for (int d = nd - 1; d >= 0; d--) {
                const idx_t sz = meta[d];
                idx_t c;
                if (meta[nd + d] == 0 && sz > 1) {
                    c = bb % sz;
                    bb /= sz;
                } else {
                    c = jj % sz;
                    jj /= sz;
                }
                pos += c * stride;
                stride *= sz;
            }
            const double g = (double)nnf_ld(go + pos);
            s += mul ? g * (double)nnf_ld(x + pos) : g;
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) nnf_st(gp + j, (typename nnf_acc<T>::type)s);
    }
}
