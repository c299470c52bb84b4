/* SpatialAdaptiveMaxPooling / SpatialAdaptiveAveragePooling over planes
 * (P, H, W) -> (P, oH, oW). Output row i pools the input rows
 * [floor(i H / oH), ceil((i + 1) H / oH)) (never empty), output column j the
 * columns [floor(j W / oW), ceil((j + 1) W / oW)): the CPU kernel's bins.
 *
 * Max: the bin scanned row by row, the first maximum or the last NaN
 * (PyTorch's rule, as the CPU kernel); indices are 0-based flat offsets
 * r W + c into the plane. Average: the bin's sum over its size. Both
 * backwards are gathers over the bins holding an input element (a row is
 * in at most a few bins), in a fixed order: deterministic, no atomics.
 */
#include "nnf_common.cuh"

__device__ __forceinline__ idx_t nnf_bin_lo(idx_t i, idx_t n, idx_t on) { return i * n / on; }
__device__ __forceinline__ idx_t nnf_bin_hi(idx_t i, idx_t n, idx_t on) {
    return ((i + 1) * n + on - 1) / on;
}
/* the first and last bins holding position r */
__device__ __forceinline__ void nnf_bins_of(idx_t r, idx_t n, idx_t on, idx_t* a, idx_t* b) {
    *a = r * on / n;
    idx_t hi = ((r + 1) * on + n - 1) / n - 1;
    *b = hi < on - 1 ? hi : on - 1;
}

template <typename T>
__global__ void nnf_adamax_fwd(const T* __restrict__ x, T* __restrict__ y, int use_y,
                               long long* __restrict__ idx, int use_idx, idx_t planes, idx_t h,
                               idx_t w, idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * oh * ow) {
        const idx_t j = e % ow, i = (e / ow) % oh, pl = e / (ow * oh);
        const T* xp = x + pl * h * w;
        const idx_t r0 = nnf_bin_lo(i, h, oh), r1 = nnf_bin_hi(i, h, oh);
        const idx_t c0 = nnf_bin_lo(j, w, ow), c1 = nnf_bin_hi(j, w, ow);
        C m = nnf_ld(xp + r0 * w + c0);
        idx_t best = r0 * w + c0;
        for (idx_t r = r0; r < r1; r++)
            for (idx_t c = c0; c < c1; c++) {
                const C v = nnf_ld(xp + r * w + c);
                if (v > m || nnf_isnan(v)) {
                    m = v;
                    best = r * w + c;
                }
            }
        if (use_y) nnf_st(y + e, m);
        if (use_idx) idx[e] = best;
    }
}

template <typename T>
__global__ void nnf_adamax_bwd(const T* __restrict__ go, const long long* __restrict__ idx,
                               T* __restrict__ gi, idx_t planes, idx_t h, idx_t w, idx_t oh,
                               idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * h * w) {
        const idx_t c = e % w, r = (e / w) % h, pl = e / (w * h);
        idx_t ia, ib, ja, jb;
        nnf_bins_of(r, h, oh, &ia, &ib);
        nnf_bins_of(c, w, ow, &ja, &jb);
        const idx_t off = pl * oh * ow, pos = r * w + c;
        C acc = 0;
        for (idx_t i = ia; i <= ib; i++)
            for (idx_t j = ja; j <= jb; j++)
                if (idx[off + i * ow + j] == pos) acc += nnf_ld(go + off + i * ow + j);
        nnf_st(gi + e, acc);
    }
}

template <typename T>
__global__ void nnf_adaavg_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t planes,
                               idx_t h, idx_t w, idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * oh * ow) {
        const idx_t j = e % ow, i = (e / ow) % oh, pl = e / (ow * oh);
        const T* xp = x + pl * h * w;
        const idx_t r0 = nnf_bin_lo(i, h, oh), r1 = nnf_bin_hi(i, h, oh);
        const idx_t c0 = nnf_bin_lo(j, w, ow), c1 = nnf_bin_hi(j, w, ow);
        C s = 0;
        for (idx_t r = r0; r < r1; r++)
            for (idx_t c = c0; c < c1; c++) s += nnf_ld(xp + r * w + c);
        nnf_st(y + e, s / (C)((r1 - r0) * (c1 - c0)));
    }
}

template <typename T>
__global__ void nnf_adaavg_bwd(const T* __restrict__ go, T* __restrict__ gi, idx_t planes,
                               idx_t h, idx_t w, idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * h * w) {
        const idx_t c = e % w, r = (e / w) % h, pl = e / (w * h);
        idx_t ia, ib, ja, jb;
        nnf_bins_of(r, h, oh, &ia, &ib);
        nnf_bins_of(c, w, ow, &ja, &jb);
        const T* gp = go + pl * oh * ow;
        C acc = 0;
        for (idx_t i = ia; i <= ib; i++) {
            const idx_t rn = nnf_bin_hi(i, h, oh) - nnf_bin_lo(i, h, oh);
            for (idx_t j = ja; j <= jb; j++) {
                const idx_t cn = nnf_bin_hi(j, w, ow) - nnf_bin_lo(j, w, ow);
                acc += nnf_ld(gp + i * ow + j) / (C)(rn * cn);
            }
        }
        nnf_st(gi + e, acc);
    }
}
