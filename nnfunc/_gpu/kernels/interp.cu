/* Separable linear interpolation (SpatialUpSamplingBilinear, and
 * UpSampling's bilinear/trilinear modes as the CPU kernel runs them: a
 * bilinear pass over (H, W), then a linear pass along T as a (T, H W)
 * "image" whose column taps are the identity).
 *
 * Forward, planes (P, H, W) -> (P, oH, oW), per axis two source taps and
 * the weight of the second (align-corners, PyTorch's CPU rule, computed by
 * nnfunc/modules/_upsampling.py in float64):
 *   y = a (u x[y0, x0] + v x[y0, x1]) + b (u x[y1, x0] + v x[y1, x1]),
 *   b = wy, a = 1 - b, v = wx, u = 1 - v (the CPU kernel's order), in double.
 * The adjoint is a gather over the inverse taps in CSR form (per source
 * index, the (output, weight) pairs that read it, ascending): each
 * gradInput element sums weight products times gradOutput in a fixed
 * order (deterministic, no atomics), in double.
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_interp_fwd(const T* __restrict__ x, T* __restrict__ y,
                               const long long* __restrict__ y0,
                               const long long* __restrict__ y1,
                               const double* __restrict__ wy, const long long* __restrict__ x0,
                               const long long* __restrict__ x1,
                               const double* __restrict__ wx, idx_t planes, idx_t h, idx_t w,
                               idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * oh * ow) {
        const idx_t j = e % ow, i = (e / ow) % oh, p = e / (ow * oh);
        const T* r0 = x + (p * h + y0[i]) * w;
        const T* r1 = x + (p * h + y1[i]) * w;
        const double b = wy[i], a = 1.0 - b, v = wx[j], u = 1.0 - v;
        const double val = a * (u * (double)nnf_ld(r0 + x0[j]) + v * (double)nnf_ld(r0 + x1[j]))
                           + b * (u * (double)nnf_ld(r1 + x0[j]) + v * (double)nnf_ld(r1 + x1[j]));
        nnf_st(y + e, (C)val);
    }
}

template <typename T>
__global__ void nnf_interp_adj(const T* __restrict__ g, T* __restrict__ gi,
                               const long long* __restrict__ r_ofs,
                               const long long* __restrict__ r_out,
                               const double* __restrict__ r_wt,
                               const long long* __restrict__ c_ofs,
                               const long long* __restrict__ c_out,
                               const double* __restrict__ c_wt, idx_t planes, idx_t h,
                               idx_t w, idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * h * w) {
        const idx_t c = e % w, r = (e / w) % h, p = e / (w * h);
        const T* gp = g + p * oh * ow;
        double acc = 0;
        for (long long s = r_ofs[r]; s < r_ofs[r + 1]; s++) {
            double row = 0;
            for (long long q = c_ofs[c]; q < c_ofs[c + 1]; q++)
                row += c_wt[q] * (double)nnf_ld(gp + r_out[s] * ow + c_out[q]);
            acc += r_wt[s] * row;
        }
        nnf_st(gi + e, (C)acc);
    }
}
