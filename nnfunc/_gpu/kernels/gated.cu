/* The pointwise modules with more than one input element per output:
 * PReLU (a weight per plane), GatedLinearUnit (two halves), CReLU (two
 * outputs per input), and the dropouts' mask product. Layouts are the CPU
 * kernels' (nnfunc/_cpu/pointwise.pyx):
 *   PReLU: x (outer, C, inner), weight (C); C = 1 for one shared weight.
 *   GLU:   x (outer, 2, n) -> y (outer, n): a = x[o, 0], b = x[o, 1].
 *   CReLU: x (outer, n) -> y (outer, 2, n): relu(x), relu(-x).
 * PReLU's gradWeight is one block per plane (grid-stride over planes), the
 * block's threads walking (outer, inner) with inner fastest, sums in double:
 * deterministic.
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_prelu_fwd(const T* __restrict__ x, T* __restrict__ y,
                              const T* __restrict__ w, idx_t outer, idx_t c, idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * c * inner) {
        const C v = nnf_ld(x + e);
        nnf_st(y + e, v > (C)0 ? v : nnf_ld(w + (e / inner) % c) * v);
    }
}

template <typename T>
__global__ void nnf_prelu_bwd(const T* __restrict__ x, const T* __restrict__ g,
                              T* __restrict__ gi, const T* __restrict__ w, idx_t outer,
                              idx_t c, idx_t inner) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * c * inner) {
        const C gv = nnf_ld(g + e);
        nnf_st(gi + e, nnf_ld(x + e) > (C)0 ? gv : nnf_ld(w + (e / inner) % c) * gv);
    }
}

/* gw[ch] = sum over (outer, inner) of x g where x <= 0 */
template <typename T>
__global__ void nnf_prelu_wgrad(const T* __restrict__ x, const T* __restrict__ g,
                                T* __restrict__ gw, idx_t outer, idx_t c, idx_t inner) {
    __shared__ double shm[32];
    const idx_t cnt = outer * inner;
    for (idx_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double s = 0;
        for (idx_t e = threadIdx.x; e < cnt; e += blockDim.x) {
            const idx_t o = e / inner, i = e - o * inner;
            const idx_t k = (o * c + ch) * inner + i;
            const double xv = (double)nnf_ld(x + k);
            s += xv > 0 ? 0.0 : xv * (double)nnf_ld(g + k);
        }
        s = nnf_block_sum(s, shm);
        if (threadIdx.x == 0) nnf_st(gw + ch, (typename nnf_acc<T>::type)s);
    }
}

template <typename T>
__global__ void nnf_glu_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t outer,
                            idx_t n) {
    NNF_LOOP(e, outer * n) {
        const idx_t o = e / n, i = e - o * n;
        const T* xo = x + 2 * o * n;
        nnf_st(y + e, nnf_ld(xo + i) * nnf_sigmoid(nnf_ld(xo + n + i)));
    }
}

template <typename T>
__global__ void nnf_glu_bwd(const T* __restrict__ x, const T* __restrict__ g,
                            T* __restrict__ gi, idx_t outer, idx_t n) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * n) {
        const idx_t o = e / n, i = e - o * n;
        const T* xo = x + 2 * o * n;
        const C a = nnf_ld(xo + i), s = nnf_sigmoid(nnf_ld(xo + n + i));
        const C gs = nnf_ld(g + e) * s;
        nnf_st(gi + 2 * o * n + i, gs);
        nnf_st(gi + 2 * o * n + n + i, gs * a * ((C)1 - s));
    }
}

template <typename T>
__global__ void nnf_crelu_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t outer,
                              idx_t n) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * n) {
        const idx_t o = e / n, i = e - o * n;
        const C v = nnf_ld(x + e);
        nnf_st(y + 2 * o * n + i, v > (C)0 ? v : (C)0);
        nnf_st(y + 2 * o * n + n + i, v < (C)0 ? -v : (C)0);
    }
}

template <typename T>
__global__ void nnf_crelu_bwd(const T* __restrict__ x, const T* __restrict__ g,
                              T* __restrict__ gi, idx_t outer, idx_t n) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, outer * n) {
        const idx_t o = e / n, i = e - o * n;
        const C v = nnf_ld(x + e);
        const C g0 = nnf_ld(g + 2 * o * n + i), g1 = nnf_ld(g + 2 * o * n + n + i);
        nnf_st(gi + e, v > (C)0 ? g0 : (v < (C)0 ? -g1 : (C)0));
    }
}

/* dropout: y[o, i] = x[o, i] noise[o] for x (outer, inner) (inner: the
   elements of a plane sharing one mask value; 1 for Dropout) */
template <typename T>
__global__ void nnf_mask_apply(const T* __restrict__ x, const T* __restrict__ noise,
                               T* __restrict__ y, idx_t outer, idx_t inner) {
    NNF_LOOP(e, outer * inner) nnf_st(y + e, nnf_ld(x + e) * nnf_ld(noise + e / inner));
}
