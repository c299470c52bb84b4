/* SpatialCrossMapLRN over x (N, C, S) (S = H W): one thread per (n, s)
 * column walking the channels (consecutive threads, consecutive addresses).
 *   scale[c] = k + alpha / size * sum_{|c' - c| <= h} x[c']^2  (h = (size-1)/2,
 *              the window clipped to the channels), y = x scale^-beta;
 *   gi[c] = go[c] scale[c]^-beta
 *           - 2 alpha beta / size x[c] sum_{c' in window(c)} go[c'] x[c'] scale[c']^(-beta-1)
 * (recomputed from the input: pure). Each scale is its window's sum, not a
 * running one (no drift); the backward recomputes the scales of the window
 * (size^2 terms per element; size is small). Computed in double.
 */
#include "nnf_common.cuh"

template <typename T>
__device__ __forceinline__ double nnf_lrn_scale(const T* __restrict__ xc, idx_t c, idx_t nc,
                                                idx_t s, idx_t h, double ak, double a_n) {
    const idx_t lo = c - h < 0 ? 0 : c - h, hi = c + h < nc - 1 ? c + h : nc - 1;
    double acc = 0;
    for (idx_t q = lo; q <= hi; q++) {
        const double v = (double)nnf_ld(xc + q * s);
        acc += v * v;
    }
    return ak + a_n * acc;
}

template <typename T>
__global__ void nnf_lrn_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t n, idx_t nc,
                            idx_t s, idx_t size, double alpha, double beta, double k) {
    typedef typename nnf_acc<T>::type C;
    const idx_t h = (size - 1) / 2;
    const double a_n = alpha / (double)size;
    NNF_LOOP(col, n * s) {
        const idx_t b = col / s, j = col - b * s;
        const T* xc = x + b * nc * s + j;
        T* yc = y + b * nc * s + j;
        for (idx_t c = 0; c < nc; c++) {
            const double sc = nnf_lrn_scale(xc, c, nc, s, h, k, a_n);
            nnf_st(yc + c * s, (C)((double)nnf_ld(xc + c * s) * pow(sc, -beta)));
        }
    }
}

template <typename T>
__global__ void nnf_lrn_bwd(const T* __restrict__ x, const T* __restrict__ go,
                            T* __restrict__ gi, idx_t n, idx_t nc, idx_t s, idx_t size,
                            double alpha, double beta, double k) {
    typedef typename nnf_acc<T>::type C;
    const idx_t h = (size - 1) / 2;
    const double a_n = alpha / (double)size, coef = 2.0 * alpha * beta / (double)size;
    NNF_LOOP(col, n * s) {
        const idx_t b = col / s, j = col - b * s;
        const idx_t off = b * nc * s + j;
        const T* xc = x + off;
        const T* gc = go + off;
        for (idx_t c = 0; c < nc; c++) {
            const idx_t lo = c - h < 0 ? 0 : c - h, hi = c + h < nc - 1 ? c + h : nc - 1;
            double acc = 0;
            for (idx_t q = lo; q <= hi; q++) {
                const double sq = nnf_lrn_scale(xc, q, nc, s, h, k, a_n);
                acc += (double)nnf_ld(gc + q * s) * (double)nnf_ld(xc + q * s) *
                       pow(sq, -beta - 1.0);
            }
            const double sc = nnf_lrn_scale(xc, c, nc, s, h, k, a_n);
            const double xv = (double)nnf_ld(xc + c * s);
            nnf_st(gi + off + c * s,
                   (C)((double)nnf_ld(gc + c * s) * pow(sc, -beta) - coef * xv * acc));
        }
    }
}
