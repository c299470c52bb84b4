/* Criterion kernels: MSECriterion, (Spatial)ClassNLLCriterion and the elementwise
 * criterions (nnf_pwc_*: AbsCriterion, SmoothL1, BCE, SoftMargin,
 * DistKLDiv, L1Cost, Margin, HingeEmbedding, MultiLabelSoftMargin).
 *
 * Losses are sums: each block sums its grid-stride share in the compute
 * type and writes one double partial (nnf_*_partial), then one block adds
 * the partials in double and writes the 0-d loss (nnf_finish_sum). The
 * gradient scale of a criterion, coef * gradOutput, arrives as a number
 * `coef` and, when gradOutput was a 0-d array, its device pointer `gs`
 * (use_gs = 1): the value is read on the device, never copied to the host.
 * Targets were range-checked by the caller (the kernels trust them).
 */
#include "nnf_common.cuh"

/* partial[block] = sum over the block's elements of (x - t)^2 */
template <typename T>
__global__ void nnf_mse_partial(const T* __restrict__ x, const T* __restrict__ t, idx_t n,
                                double* __restrict__ partial) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    C s = 0;
    NNF_LOOP(i, n) {
        const C d = nnf_ld(x + i) - nnf_ld(t + i);
        s += d * d;
    }
    const double tot = nnf_block_sum((double)s, shm);
    if (threadIdx.x == 0) partial[blockIdx.x] = tot;
}

/* y = norm * sum(partial[0:nparts]), one block */
template <typename T>
__global__ void nnf_finish_sum(const double* __restrict__ partial, idx_t nparts, double norm,
                               T* __restrict__ y) {
    __shared__ double shm[32];
    double s = 0;
    for (idx_t i = threadIdx.x; i < nparts; i += blockDim.x) s += partial[i];
    s = nnf_block_sum(s, shm);
    if (threadIdx.x == 0) nnf_st(y, (typename nnf_acc<T>::type)(s * norm));
}

/* gi = (x - t) * coef [* gs[0]] */
template <typename T>
__global__ void nnf_mse_bwd(const T* __restrict__ x, const T* __restrict__ t,
                            T* __restrict__ gi, idx_t n, double coef,
                            const T* __restrict__ gs, int use_gs) {
    typedef typename nnf_acc<T>::type C;
    const C k = (C)(use_gs ? coef * (double)nnf_ld(gs) : coef);
    NNF_LOOP(i, n) nnf_st(gi + i, (nnf_ld(x + i) - nnf_ld(t + i)) * k);
}

/* ClassNLLCriterion and SpatialClassNLLCriterion: x (N, C, inner) (inner = 1
 * for ClassNLL, the pixels for the spatial one), t (N, inner) class indices.
 * Row r = (n, p) reads x[n, t[r], p]. Loss = -sum_r w[t_r] x[n, t_r, p]
 * (/ sum_r w[t_r] with size_average), rows whose target is ignore_index
 * skipped. Each block sums its rows in double into partial[block] (loss;
 * x is not read without use_x) and partial[nparts + block] (weight total);
 * nnf_nll_finish adds the partials in a fixed order. */
template <typename T>
__global__ void nnf_nll_partial(const T* __restrict__ x, const long long* __restrict__ t,
                                const T* __restrict__ w, int use_w, idx_t rows, idx_t nc,
                                idx_t inner, long long ignore_index, int use_x,
                                double* __restrict__ partial) {
    __shared__ double shm[32];
    double loss = 0, total = 0;
    NNF_LOOP(r, rows) {
        const long long c = t[r];
        if (c == ignore_index) continue;
        const idx_t n = r / inner, p = r - n * inner;
        const double wc = use_w ? (double)nnf_ld(w + c) : 1.0;
        if (use_x) loss -= wc * (double)nnf_ld(x + (n * nc + c) * inner + p);
        total += wc;
    }
    loss = nnf_block_sum(loss, shm);
    total = nnf_block_sum(total, shm);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = loss;
        partial[gridDim.x + blockIdx.x] = total;
    }
}

/* one block: y = loss [/ total] (when use_y), tot[0] = total */
template <typename T>
__global__ void nnf_nll_finish(const double* __restrict__ partial, idx_t nparts,
                               int size_average, T* __restrict__ y, int use_y,
                               double* __restrict__ tot) {
    __shared__ double shm[32];
    double loss = 0, total = 0;
    for (idx_t i = threadIdx.x; i < nparts; i += blockDim.x) {
        loss += partial[i];
        total += partial[nparts + i];
    }
    loss = nnf_block_sum(loss, shm);
    total = nnf_block_sum(total, shm);
    if (threadIdx.x == 0) {
        if (use_y)
            nnf_st(y, (typename nnf_acc<T>::type)(size_average ? loss / total : loss));
        tot[0] = total;
    }
}

/* gi[n, c, p] = -w[c] coef [gs] [/ total] where c == t[n, p] (not ignored), else 0 */
template <typename T>
__global__ void nnf_nll_bwd(const long long* __restrict__ t, const T* __restrict__ w,
                            int use_w, idx_t rows, idx_t nc, idx_t inner,
                            long long ignore_index, const double* __restrict__ total,
                            int size_average, double coef, const T* __restrict__ gs,
                            int use_gs, T* __restrict__ gi) {
    typedef typename nnf_acc<T>::type C;
    double k = use_gs ? coef * (double)nnf_ld(gs) : coef;
    if (size_average) k = k / total[0];
    NNF_LOOP(e, rows * nc) {
        const idx_t p = e % inner, c = (e / inner) % nc, n = e / (inner * nc);
        const long long tr = t[n * inner + p];
        C v = 0;
        if (tr == (long long)c && tr != ignore_index)
            v = (C)(-(use_w ? (double)nnf_ld(w + c) : 1.0) * k);
        nnf_st(gi + e, v);
    }
}

/* ---- elementwise criterions: loss = norm sum_i w[i % cols] f(x_i, t_i) ----
 * OP numbers: the order of _loader.PW_CRITERION_OPS (and of the CPU table
 * in nnfunc/_cpu/_criterion.h); the terms and derivatives are the CPU's.
 * t is unused by L1Cost (the caller passes x), w when use_w is 0; a: the
 * margin. BCE's and KL's logarithms are taken in double, as on the CPU. */
enum {
    NNF_PWC_ABS = 0, NNF_PWC_SMOOTH_L1 = 1, NNF_PWC_BCE = 2, NNF_PWC_SOFT_MARGIN = 3,
    NNF_PWC_KL_DIV = 4, NNF_PWC_L1_COST = 5, NNF_PWC_MARGIN = 6, NNF_PWC_HINGE = 7,
    NNF_PWC_ML_SOFT_MARGIN = 8
};

template <int OP, typename C>
__device__ __forceinline__ double nnf_pwc_f(C x, C t, C a) {
    switch (OP) {
    case NNF_PWC_ABS: return (double)nnf_abs(x - t);
    case NNF_PWC_SMOOTH_L1: {
        const C d = x - t, ad = nnf_abs(d);
        return (double)(ad < (C)1 ? (C)0.5 * d * d : ad - (C)0.5);
    }
    case NNF_PWC_BCE:
        return -((double)t * log((double)x + 1e-12)
                 + (1.0 - (double)t) * log(1.0 - (double)x + 1e-12));
    case NNF_PWC_SOFT_MARGIN: return (double)nnf_softplus(-t * x);
    case NNF_PWC_KL_DIV:
        return t > (C)0 ? (double)t * (log((double)t) - (double)x) : 0.0;
    case NNF_PWC_L1_COST: return (double)nnf_abs(x);
    case NNF_PWC_MARGIN: {
        const C h = a - x * t;
        return (double)(h > (C)0 ? h : (C)0);
    }
    case NNF_PWC_HINGE: {
        const C h = a - x;
        return (double)((t == (C)1 ? x : (C)0) + (t == (C)-1 && h > (C)0 ? h : (C)0));
    }
    default: return (double)(nnf_softplus(x) - t * x);     /* ML_SOFT_MARGIN */
    }
}

template <int OP, typename C>
__device__ __forceinline__ C nnf_pwc_df(C x, C t, C a) {
    switch (OP) {
    case NNF_PWC_ABS: return x - t >= (C)0 ? (C)1 : (C)-1;   /* Torch7: +1 at x == t */
    case NNF_PWC_SMOOTH_L1: {
        const C d = x - t;
        return d < (C)-1 ? (C)-1 : (d > (C)1 ? (C)1 : d);
    }
    case NNF_PWC_BCE: return (x - t) / (((C)1 - x + (C)1e-12) * (x + (C)1e-12));
    case NNF_PWC_SOFT_MARGIN: return -t * nnf_sigmoid(-t * x);
    case NNF_PWC_KL_DIV: return t > (C)0 ? -t : (C)0;
    case NNF_PWC_L1_COST: return (x > (C)0 ? (C)1 : (C)0) - (x < (C)0 ? (C)1 : (C)0);
    case NNF_PWC_MARGIN: return x * t < a ? -t : (C)0;
    case NNF_PWC_HINGE:
        return (t == (C)1 ? (C)1 : (C)0) - (t == (C)-1 && x <= a ? (C)1 : (C)0);
    default: return nnf_sigmoid(x) - t;                       /* ML_SOFT_MARGIN */
    }
}

/* partial[block] = sum over the block's elements of w f(x, t), in double */
template <typename T, int OP>
__global__ void nnf_pwc_partial(const T* __restrict__ x, const T* __restrict__ t,
                                const T* __restrict__ w, int use_w, idx_t n, idx_t cols,
                                double a, double* __restrict__ partial) {
    typedef typename nnf_acc<T>::type C;
    __shared__ double shm[32];
    double s = 0;
    NNF_LOOP(i, n) {
        double f = nnf_pwc_f<OP, C>(nnf_ld(x + i), nnf_ld(t + i), (C)a);
        if (use_w) f *= (double)nnf_ld(w + i % cols);
        s += f;
    }
    const double tot = nnf_block_sum(s, shm);
    if (threadIdx.x == 0) partial[blockIdx.x] = tot;
}

/* gi = coef [* gs[0]] w f'(x, t) */
template <typename T, int OP>
__global__ void nnf_pwc_bwd(const T* __restrict__ x, const T* __restrict__ t,
                            const T* __restrict__ w, int use_w, idx_t n, idx_t cols,
                            double a, double coef, const T* __restrict__ gs, int use_gs,
                            T* __restrict__ gi) {
    typedef typename nnf_acc<T>::type C;
    const C k = (C)(use_gs ? coef * (double)nnf_ld(gs) : coef);
    NNF_LOOP(i, n) {
        C v = nnf_pwc_df<OP, C>(nnf_ld(x + i), nnf_ld(t + i), (C)a) * k;
        if (use_w) v *= nnf_ld(w + i % cols);
        nnf_st(gi + i, v);
    }
}
