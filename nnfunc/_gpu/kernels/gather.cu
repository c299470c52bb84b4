/* Separable gathers: the padding modules and nearest upsampling.
 *
 * y[p, i, j, k] = x[p, mt[i], mh[j], mw[k]], or 0 where a map entry is -1
 * (zero padding), for planes (P, T, H, W) -> (P, oT, oH, oW); the 2-D
 * modules have T = oT = 1. Each output element reads one input element
 * (the maps are the CPU kernel's, from nnfunc/modules/_padding.py).
 *
 * The adjoint is a gather too: the inverse maps, in CSR form (for input
 * index a along an axis, the outputs list[ofs[a]] ... list[ofs[a + 1] - 1]
 * that read it, ascending), give each gradInput element the sum of the
 * gradOutput elements that read it, in a fixed order (deterministic, no
 * atomics; float16 sums in float).
 */
#include "nnf_common.cuh"

template <typename T>
__global__ void nnf_gather3(const T* __restrict__ x, T* __restrict__ y,
                            const long long* __restrict__ mt, const long long* __restrict__ mh,
                            const long long* __restrict__ mw, idx_t planes, idx_t t, idx_t h,
                            idx_t w, idx_t ot, idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * ot * oh * ow) {
        const idx_t k = e % ow, j = (e / ow) % oh, i = (e / (ow * oh)) % ot;
        const idx_t p = e / (ow * oh * ot);
        const long long a = mt[i], b = mh[j], c = mw[k];
        if (a < 0 || b < 0 || c < 0)
            nnf_st(y + e, (C)0);
        else
            y[e] = x[((p * t + a) * h + b) * w + c];
    }
}

template <typename T>
__global__ void nnf_gather3_adj(const T* __restrict__ g, T* __restrict__ gi,
                                const long long* __restrict__ ot_ofs,
                                const long long* __restrict__ ot_list,
                                const long long* __restrict__ oh_ofs,
                                const long long* __restrict__ oh_list,
                                const long long* __restrict__ ow_ofs,
                                const long long* __restrict__ ow_list, idx_t planes, idx_t t,
                                idx_t h, idx_t w, idx_t ot, idx_t oh, idx_t ow) {
    typedef typename nnf_acc<T>::type C;
    NNF_LOOP(e, planes * t * h * w) {
        const idx_t c = e % w, b = (e / w) % h, a = (e / (w * h)) % t;
        const idx_t p = e / (w * h * t);
        const T* gp = g + p * ot * oh * ow;
        C acc = 0;
        for (long long u = ot_ofs[a]; u < ot_ofs[a + 1]; u++)
            for (long long v = oh_ofs[b]; v < oh_ofs[b + 1]; v++)
                for (long long q = ow_ofs[c]; q < ow_ofs[c + 1]; q++)
                    acc += nnf_ld(gp + (ot_list[u] * oh + oh_list[v]) * ow + ow_list[q]);
        nnf_st(gi + e, acc);
    }
}

/* PixelShuffle over B blocks of r^2 planes (H, W) -> one plane (H r, W r):
 *   y[b, h r + i, w r + j] = x[b, i r + j, h, w]
 * (B = N C; the CPU kernel's view). Both directions are gathers: the
 * forward reads x per output element, the gradient reads gradOutput per
 * gradInput element. */
template <typename T>
__global__ void nnf_shuffle_fwd(const T* __restrict__ x, T* __restrict__ y, idx_t blocks,
                                idx_t h, idx_t w, idx_t r) {
    const idx_t ow = w * r, plane = h * w * r * r;
    NNF_LOOP(e, blocks * plane) {
        const idx_t b = e / plane, q = e - b * plane;
        const idx_t oy = q / ow, ox = q - oy * ow;
        const idx_t hh = oy / r, i = oy - hh * r, ww = ox / r, j = ox - ww * r;
        y[e] = x[b * plane + ((i * r + j) * h + hh) * w + ww];
    }
}

template <typename T>
__global__ void nnf_shuffle_bwd(const T* __restrict__ g, T* __restrict__ gi, idx_t blocks,
                                idx_t h, idx_t w, idx_t r) {
    const idx_t ow = w * r, plane = h * w * r * r;
    NNF_LOOP(e, blocks * plane) {
        const idx_t b = e / plane, q = e - b * plane;
        const idx_t ij = q / (h * w), rest = q - ij * (h * w);
        const idx_t i = ij / r, j = ij - i * r, hh = rest / w, ww = rest - hh * w;
        gi[e] = g[b * plane + (hh * r + i) * ow + ww * r + j];
    }
}
