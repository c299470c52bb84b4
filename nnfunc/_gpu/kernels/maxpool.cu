/* Max pooling over volumes (P, T, H, W) -> (P, oT, oH, oW): the spatial
 * (T = kT = 1), volumetric and temporal (a (1, T, F) volume with a
 * (1, kW, 1) kernel) max poolings, with dilation. The geometry is the CPU
 * kernel's (nnfunc/_cpu/volumetric_pooling.pyx), `g` below: P, T, H, W,
 * oT, oH, oW, kT, kH, kW, dT, dH, dW, padT, padH, padW, lT, lH, lW.
 *
 * Window (a, i, j) has the taps (a dT - padT + kt lT, i dH - padH + ky lH,
 * j dW - padW + kx lW); taps outside the volume do not count (Python
 * checked that every window has one inside); ceil-mode windows that reach
 * past the padding are clipped the same way.
 *
 * Forward: each output scans its taps in (kt, ky, kx) order, keeping the
 * first maximum, or the last NaN (`v > m || v != v`: PyTorch's rule, as the
 * CPU kernel and the generic reference). With use_idx it also stores the
 * winner's 0-based flat offset (t H + r) W + c in its volume (nnfunc's
 * `indices`). Backward: the winners (nnf_maxpool_fwd with idx), then a
 * gather: each input element sums the gradOutput of the windows that chose
 * it, in a fixed order (deterministic, no atomics; float16 sums in float).
 */
#include "nnf_common.cuh"

/* the geometry as one struct inside a kernel (the launch passes 19 scalars) */
struct nnf_pool_geo {
    idx_t p, t, h, w, ot, oh, ow, kt, kh, kw, dt, dh, dw, pt, ph, pw, lt, lh, lw;
};
#define NNF_POOL_GEO                                                           \
    const nnf_pool_geo g = {np_, nt, nh, nw, ot, oh, ow, kt_, kh_, kw_, dt, dh, dw, \
                            pt, ph, pw, lt, lh, lw}

template <typename T>
__global__ void nnf_maxpool_fwd(const T* __restrict__ x, T* __restrict__ y, int use_y,
                                long long* __restrict__ idx, int use_idx, idx_t np_, idx_t nt,
                                idx_t nh, idx_t nw, idx_t ot, idx_t oh, idx_t ow,
                                idx_t kt_, idx_t kh_, idx_t kw_, idx_t dt, idx_t dh, idx_t dw,
                                idx_t pt, idx_t ph, idx_t pw, idx_t lt, idx_t lh, idx_t lw) {
    typedef typename nnf_acc<T>::type C;
    NNF_POOL_GEO;
    NNF_LOOP(e, g.p * g.ot * g.oh * g.ow) {
        const idx_t j = e % g.ow, i = (e / g.ow) % g.oh, a = (e / (g.ow * g.oh)) % g.ot;
        const idx_t pl = e / (g.ow * g.oh * g.ot);
        const T* xp = x + pl * g.t * g.h * g.w;
        const idx_t t0 = a * g.dt - g.pt, r0 = i * g.dh - g.ph, c0 = j * g.dw - g.pw;
        C m = -nnf_inf<C>();
        idx_t best = -1;
        for (idx_t kt = 0; kt < g.kt; kt++) {
            const idx_t tt = t0 + kt * g.lt;
            if (tt < 0 || tt >= g.t) continue;
            for (idx_t ky = 0; ky < g.kh; ky++) {
                const idx_t r = r0 + ky * g.lh;
                if (r < 0 || r >= g.h) continue;
                for (idx_t kx = 0; kx < g.kw; kx++) {
                    const idx_t c = c0 + kx * g.lw;
                    if (c < 0 || c >= g.w) continue;
                    const idx_t pos = (tt * g.h + r) * g.w + c;
                    const C v = nnf_ld(xp + pos);
                    /* best < 0: the first tap inside, even if every value is -inf */
                    if (v > m || nnf_isnan(v) || best < 0) {
                        m = v;
                        best = pos;
                    }
                }
            }
        }
        if (use_y) nnf_st(y + e, m);
        if (use_idx) idx[e] = best;
    }
}

/* the windows along one axis holding input position r through tap k:
   q = r + pad - k l must be a multiple of the stride d, window q / d < n */
__device__ __forceinline__ idx_t nnf_pool_win(idx_t r, idx_t pad, idx_t k, idx_t l, idx_t d,
                                              idx_t n) {
    const idx_t q = r + pad - k * l;
    if (q < 0 || q % d) return -1;
    return q / d < n ? q / d : -1;
}

template <typename T>
__global__ void nnf_maxpool_bwd(const T* __restrict__ go, const long long* __restrict__ idx,
                                T* __restrict__ gi, idx_t np_, idx_t nt, idx_t nh, idx_t nw,
                                idx_t ot, idx_t oh, idx_t ow,
                                idx_t kt_, idx_t kh_, idx_t kw_, idx_t dt, idx_t dh, idx_t dw,
                                idx_t pt, idx_t ph, idx_t pw, idx_t lt, idx_t lh, idx_t lw) {
    typedef typename nnf_acc<T>::type C;
    NNF_POOL_GEO;
    NNF_LOOP(e, g.p * g.t * g.h * g.w) {
        const idx_t c = e % g.w, r = (e / g.w) % g.h, tt = (e / (g.w * g.h)) % g.t;
        const idx_t pl = e / (g.w * g.h * g.t);
        const idx_t pos = (tt * g.h + r) * g.w + c;
        const idx_t off = pl * g.ot * g.oh * g.ow;
        C acc = 0;
        /* taps from the last (the lowest window index) to the first, so the
           windows are visited in ascending (a, i, j) order */
        for (idx_t kt = g.kt - 1; kt >= 0; kt--) {
            const idx_t a = nnf_pool_win(tt, g.pt, kt, g.lt, g.dt, g.ot);
            if (a < 0) continue;
            for (idx_t ky = g.kh - 1; ky >= 0; ky--) {
                const idx_t i = nnf_pool_win(r, g.ph, ky, g.lh, g.dh, g.oh);
                if (i < 0) continue;
                for (idx_t kx = g.kw - 1; kx >= 0; kx--) {
                    const idx_t j = nnf_pool_win(c, g.pw, kx, g.lw, g.dw, g.ow);
                    if (j < 0) continue;
                    const idx_t o = off + (a * g.oh + i) * g.ow + j;
                    if (idx[o] == pos) acc += nnf_ld(go + o);
                }
            }
        }
        nnf_st(gi + e, acc);
    }
}
