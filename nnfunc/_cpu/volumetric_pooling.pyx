"""Volumetric (3-D) pooling kernels: max (with dilation) and average.

The input is viewed as `planes` independent (T, H, W) volumes (N*C of them).
Output (ot, oy, ox) pools the window of frames ot*dT - padT + kt*dilT, rows
oy*dH - padH + ky*dilH and columns ox*dW - padW + kx*dilW (0 <= k* < k*),
clipped to the volume; positions in the padding do not count. The caller has
checked every size, and (max) that every window holds an input element.

Max: the winner is PyTorch's: scan the window in (kt, ky, kx) order, take a
value if it is greater than the running maximum or NaN; ties go to the first
maximum, a window holding NaN to its last NaN. The gradient recomputes the
winner from the input (pure). Indices, when asked for, are 0-based flat
offsets t*H*W + h*W + w into the input volume (PyTorch's encoding).

Average: the window sum divided by the window size clipped to the padded
volume (count_include_pad) or to the volume itself.

Max works one output row (ot, oy) at a time with the kernel taps as the
outer loops and the oW windows as the inner one: oW independent running
maxima, branch-free selects that vectorise. Average is separable: window sums
along W for every input row, then along H, then along T (the last two add
contiguous rows / planes), and its gradient runs the passes' adjoints in
reverse; the sums are added in another order than the generic reference's
tap order (equal up to rounding). A (T, F) sequence pooled
over time (TemporalMaxPooling) is the volume (1, T, F) with a (1, kW, 1)
kernel: its inner loop runs over contiguous features.

Large calls are split over the thread pool by volumes (each part has its own
workspaces and owns its output and gradInput volumes: the same bits for any
number of threads).
"""

cimport numpy as cnp
import numpy as np
from libc.math cimport INFINITY
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for, plane_grain
from nnfunc._cpu._unfold cimport valid_range

cnp.import_array()


cdef extern from "_pool.h" nogil:
    # xr: per column tap kx, the outputs [xr[2kx], xr[2kx+1]) whose column is
    # in the input: the same for every row, so computed once (two divisions)
    ctypedef struct Geom "nnf_geom":
        Py_ssize_t planes, T, H, W, oT, oH, oW
        Py_ssize_t kT, kH, kW, dT, dH, dW, pT, pH, pW, lT, lH, lW
        Py_ssize_t* xr
    void nnf_row_max_f(const float* vol, float* m, const Geom* g, Py_ssize_t ot,
                       Py_ssize_t oy) noexcept
    void nnf_row_max_d(const double* vol, double* m, const Geom* g, Py_ssize_t ot,
                       Py_ssize_t oy) noexcept
    void nnf_row_argmax_f(const float* vol, float* m, float* tap, const Geom* g,
                          Py_ssize_t ot, Py_ssize_t oy) noexcept
    void nnf_row_argmax_d(const double* vol, double* m, double* tap, const Geom* g,
                          Py_ssize_t ot, Py_ssize_t oy) noexcept
    void nnf_row_route_f(float* vol, const float* gr, const float* tap, const Geom* g,
                         Py_ssize_t ot, Py_ssize_t oy) noexcept
    void nnf_row_route_d(double* vol, const double* gr, const double* tap, const Geom* g,
                         Py_ssize_t ot, Py_ssize_t oy) noexcept


cdef Geom _geom(tuple s, cnp.ndarray xr) except *:
    # s = (planes, T, H, W, oT, oH, oW, kT, kH, kW, dT, dH, dW, padT, padH, padW,
    #      dilT, dilH, dilW), checked by the caller; xr: intp workspace of 2*kW
    cdef Geom g
    cdef Py_ssize_t kx
    (g.planes, g.T, g.H, g.W, g.oT, g.oH, g.oW, g.kT, g.kH, g.kW, g.dT, g.dH, g.dW,
     g.pT, g.pH, g.pW, g.lT, g.lH, g.lW) = s
    g.xr = <Py_ssize_t*>cnp.PyArray_DATA(xr)
    for kx in range(g.kW):
        valid_range(g.oW, kx * g.lW - g.pW, g.dW, g.W, &g.xr[2 * kx], &g.xr[2 * kx + 1])
    return g


def _xr(tuple s):
    return np.empty(2 * s[9], dtype=np.intp)


# ------------------------------------------------------------------ max

cdef inline void _tap_max(floating* m, const floating* src, Py_ssize_t lo, Py_ssize_t hi,
                          Py_ssize_t step) noexcept nogil:
    # m[ox] = src[ox*step] if that is greater or NaN, for lo <= ox < hi
    cdef Py_ssize_t ox
    cdef floating v, mo
    for ox in range(lo, hi):
        v = src[ox * step]
        mo = m[ox]
        m[ox] = v if (v > mo) | (v != v) else mo


cdef inline void _tap_argmax(floating* m, floating* tap, const floating* src, floating t,
                             Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t step) noexcept nogil:
    # as _tap_max, recording tap number t where taken (the first tap always is)
    cdef Py_ssize_t ox
    cdef floating v, mo, cur
    cdef bint c
    for ox in range(lo, hi):
        v = src[ox * step]
        mo = m[ox]
        cur = tap[ox]
        c = (v > mo) | (v != v) | (cur < 0)
        m[ox] = v if c else mo
        tap[ox] = t if c else cur


cdef inline void _row_max_strided(const floating* vol, floating* m, const Geom* g,
                                  Py_ssize_t ot, Py_ssize_t oy) noexcept nogil:
    # _row_max for a column stride dW > 1
    cdef Py_ssize_t ts = ot * g.dT - g.pT
    cdef Py_ssize_t hs = oy * g.dH - g.pH
    cdef Py_ssize_t kt, ky, kx, ox, it, iy, xs, lo, hi, dW = g.dW
    cdef const floating* row
    for ox in range(g.oW):
        m[ox] = -INFINITY
    for kt in range(g.kT):
        it = ts + kt * g.lT
        if it < 0 or it >= g.T:
            continue
        for ky in range(g.kH):
            iy = hs + ky * g.lH
            if iy < 0 or iy >= g.H:
                continue
            row = vol + (it * g.H + iy) * g.W
            for kx in range(g.kW):
                xs = kx * g.lW - g.pW
                lo = g.xr[2 * kx]
                hi = g.xr[2 * kx + 1]
                _tap_max(m, row + xs, lo, hi, dW)


cdef inline void _row_argmax_strided(const floating* vol, floating* m, floating* tap,
                                     const Geom* g, Py_ssize_t ot,
                                     Py_ssize_t oy) noexcept nogil:
    # _row_argmax for a column stride dW > 1
    cdef Py_ssize_t ts = ot * g.dT - g.pT
    cdef Py_ssize_t hs = oy * g.dH - g.pH
    cdef Py_ssize_t kt, ky, kx, ox, it, iy, xs, lo, hi, dW = g.dW
    cdef floating t
    cdef const floating* row
    for ox in range(g.oW):
        m[ox] = -INFINITY
        tap[ox] = -1
    for kt in range(g.kT):
        it = ts + kt * g.lT
        if it < 0 or it >= g.T:
            continue
        for ky in range(g.kH):
            iy = hs + ky * g.lH
            if iy < 0 or iy >= g.H:
                continue
            row = vol + (it * g.H + iy) * g.W
            for kx in range(g.kW):
                xs = kx * g.lW - g.pW
                t = <floating>((kt * g.kH + ky) * g.kW + kx)
                lo = g.xr[2 * kx]
                hi = g.xr[2 * kx + 1]
                _tap_argmax(m, tap, row + xs, t, lo, hi, dW)


cdef inline void _row_max(const floating* vol, floating* m, const Geom* g, Py_ssize_t ot,
                          Py_ssize_t oy) noexcept nogil:
    # m[ox] = the maximum of window (ot, oy, ox) ("greater, or NaN" scan):
    # contiguous rows (dW = 1) in the row passes of _pool.h (AVX2 / AVX-512
    # clones), strided ones in the baseline loops above
    if g.dW != 1:
        _row_max_strided(vol, m, g, ot, oy)
    elif floating is float:
        nnf_row_max_f(vol, m, g, ot, oy)
    else:
        nnf_row_max_d(vol, m, g, ot, oy)


cdef inline void _row_argmax(const floating* vol, floating* m, floating* tap, const Geom* g,
                             Py_ssize_t ot, Py_ssize_t oy) noexcept nogil:
    # as _row_max, and tap[ox] = (kt*kH + ky)*kW + kx of the winner (a float:
    # exact below 2**24 taps, and one select width with m). The first
    # in-bounds element is always taken, so an all -inf window has a winner.
    if g.dW != 1:
        _row_argmax_strided(vol, m, tap, g, ot, oy)
    elif floating is float:
        nnf_row_argmax_f(vol, m, tap, g, ot, oy)
    else:
        nnf_row_argmax_d(vol, m, tap, g, ot, oy)


cdef void _tap_deltas(Py_ssize_t* delta, const Geom* g) noexcept nogil:
    # delta[t] = the flat input offset of tap t = (kt*kH + ky)*kW + kx from the
    # window's corner: decoding a winner is then one lookup, no division
    cdef Py_ssize_t kt, ky, kx, t = 0
    for kt in range(g.kT):
        for ky in range(g.kH):
            for kx in range(g.kW):
                delta[t] = (kt * g.lT * g.H + ky * g.lH) * g.W + kx * g.lW
                t += 1


cdef inline Py_ssize_t _corner(const Geom* g, Py_ssize_t ot, Py_ssize_t oy) noexcept nogil:
    # flat offset of the corner (tap 0) of window (ot, oy, 0); may be negative
    return ((ot * g.dT - g.pT) * g.H + oy * g.dH - g.pH) * g.W - g.pW


cdef inline void _row_route(floating* vol, const floating* gr, const floating* tap,
                            const Geom* g, Py_ssize_t ot, Py_ssize_t oy) noexcept nogil:
    # stride dW = 1: add gr[ox] to the winner of window (ot, oy, ox) tap by tap
    # (a select over contiguous columns that vectorises, in place of a scatter)
    if floating is float:
        nnf_row_route_f(vol, gr, tap, g, ot, oy)
    else:
        nnf_row_route_d(vol, gr, tap, g, ot, oy)


cdef void _max_forward(const floating* x, floating* y, int64_t* idx, floating* tap,
                       const Py_ssize_t* delta, const Geom* g, Py_ssize_t p0,
                       Py_ssize_t p1) noexcept nogil:
    cdef Py_ssize_t p, ot, oy, ox, c
    cdef Py_ssize_t vin = g.T * g.H * g.W
    cdef Py_ssize_t vout = g.oT * g.oH * g.oW
    cdef floating* yr
    cdef int64_t* ir
    for p in range(p0, p1):
        for ot in range(g.oT):
            for oy in range(g.oH):
                # the output row itself holds the running maxima
                yr = y + p * vout + (ot * g.oH + oy) * g.oW
                if idx == NULL:
                    _row_max(x + p * vin, yr, g, ot, oy)
                else:
                    _row_argmax(x + p * vin, yr, tap, g, ot, oy)
                    ir = idx + p * vout + (ot * g.oH + oy) * g.oW
                    c = _corner(g, ot, oy)
                    for ox in range(g.oW):
                        ir[ox] = c + ox * g.dW + delta[<Py_ssize_t>tap[ox]]


cdef void _max_backward(const floating* x, const floating* go, floating* gi, floating* m,
                        floating* tap, const Py_ssize_t* delta, const Geom* g, Py_ssize_t p0,
                        Py_ssize_t p1) noexcept nogil:
    cdef Py_ssize_t p, ot, oy, ox, c, dW = g.dW
    cdef Py_ssize_t vin = g.T * g.H * g.W
    cdef Py_ssize_t vout = g.oT * g.oH * g.oW
    cdef const floating* gr
    cdef floating* gp
    # this part's gradInput volumes only: windows never cross them
    memset(gi + p0 * vin, 0, (p1 - p0) * vin * sizeof(floating))
    for p in range(p0, p1):
        gp = gi + p * vin
        for ot in range(g.oT):
            for oy in range(g.oH):
                _row_argmax(x + p * vin, m, tap, g, ot, oy)
                gr = go + p * vout + (ot * g.oH + oy) * g.oW
                if dW == 1:
                    _row_route(gp, gr, tap, g, ot, oy)
                    continue
                c = _corner(g, ot, oy)
                for ox in range(g.oW):
                    # every window holds an in-bounds element: tap[ox] >= 0
                    gp[c + ox * dW + delta[<Py_ssize_t>tap[ox]]] += gr[ox]


ctypedef struct _Job:
    bint dbl
    int kind            # 0 max forward, 1 max gradient, 2 avg forward, 3 avg gradient
    const char* x       # input / gradOutput (avg gradient)
    const char* go
    char* y             # output / gradInput
    int64_t* idx
    const Py_ssize_t* delta
    const char* cw      # avg: the column counts (oW)
    const Geom* g
    bint include_pad
    bint failed


cdef void _task_f(_Job* j, const floating* x, floating* y, Py_ssize_t p0,
                  Py_ssize_t p1) noexcept nogil:
    # one part's volumes, with its own workspaces in one block: max, two oW
    # rows (maxima, winning taps); avg, one volume's W sums (T x H x oW) and
    # H sums (T x oH x oW) and (gradient) one output frame (oH x oW)
    cdef const Geom* g = j.g
    cdef Py_ssize_t n1 = g.T * g.H * g.oW, n2 = g.T * g.oH * g.oW
    cdef Py_ssize_t nf = 2 * g.oW + 2
    if j.kind >= 2:
        nf = n1 + n2 + g.oH * g.oW + 1
    cdef floating* w = <floating*>malloc(<size_t>nf * sizeof(floating))
    if w == NULL:
        j.failed = True
        return
    if j.kind == 0:
        _max_forward(x, y, j.idx, w, j.delta, g, p0, p1)
    elif j.kind == 1:
        _max_backward(x, <const floating*>j.go, y, w, w + g.oW, j.delta, g, p0, p1)
    elif j.kind == 2:
        _avg_forward(x, y, <const floating*>j.cw, w, w + n1, g, j.include_pad, p0, p1)
    else:
        _avg_backward(x, y, <const floating*>j.cw, w, w + n1, w + n1 + n2, g, j.include_pad,
                      p0, p1)
    free(w)


cdef void _task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        _task_f(j, <const double*>j.x, <double*>j.y, p0, p1)
    else:
        _task_f(j, <const float*>j.x, <float*>j.y, p0, p1)


cdef _run(int kind, cnp.ndarray x, go, cnp.ndarray y, idx, tuple sizes,
          bint include_pad=False):
    # Volumes are independent (windows never cross them), so they are split
    # over the thread pool; each part writes only its own output (gradInput)
    # volumes with the one-thread code: the same bits for any thread count.
    # xr is held here: the Geom points into it while the kernel runs
    cdef cnp.ndarray xr = _xr(sizes)
    cdef Geom g = _geom(sizes, xr)
    cdef cnp.ndarray delta = None
    cdef cnp.ndarray cw = None
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(y) != cnp.NPY_FLOAT
    j.kind = kind
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = NULL if go is None else <const char*>cnp.PyArray_DATA(<cnp.ndarray>go)
    j.y = <char*>cnp.PyArray_DATA(y)
    j.idx = NULL if idx is None else <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>idx)
    j.delta = NULL
    j.cw = NULL
    j.g = &g
    j.include_pad = include_pad
    j.failed = False
    if kind == 1 or idx is not None:
        delta = np.empty(g.kT * g.kH * g.kW, dtype=np.intp)
        _tap_deltas(<Py_ssize_t*>cnp.PyArray_DATA(delta), &g)
        j.delta = <const Py_ssize_t*>cnp.PyArray_DATA(delta)
    if kind >= 2:
        cw = np.empty(g.oW, dtype=y.dtype)
        if j.dbl:
            _col_counts(<double*>cnp.PyArray_DATA(cw), &g, include_pad)
        else:
            _col_counts(<float*>cnp.PyArray_DATA(cw), &g, include_pad)
        j.cw = <const char*>cnp.PyArray_DATA(cw)
    cdef Py_ssize_t vin = g.T * g.H * g.W
    cdef Py_ssize_t work = g.oT * g.oH * g.oW * g.kT * g.kH * g.kW
    with nogil:
        parallel_for(_task, &j, g.planes, plane_grain(vin if vin > work else work), 1)
    if j.failed:
        raise MemoryError()


def max_update_output(cnp.ndarray x, cnp.ndarray y, idx, tuple sizes):
    """y = window maxima of x; idx (int64, or None) = flat argmax offsets.

    C-contiguous arrays; ``sizes`` = (planes, T, H, W, oT, oH, oW, kT, kH, kW,
    dT, dH, dW, padT, padH, padW, dilT, dilH, dilW), checked by the caller.
    """
    _run(0, x, None, y, idx, sizes)


def max_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, tuple sizes):
    """gi = gradOutput routed to each window's winner (written over)."""
    _run(1, x, go, gi, None, sizes)


# -------------------------------------------------------------- average

cdef inline Py_ssize_t _count(Py_ssize_t s, Py_ssize_t k, Py_ssize_t n, Py_ssize_t pad,
                              bint include_pad) noexcept nogil:
    # elements of the window [s, s + k) inside [-pad, n + pad) (include_pad)
    # or inside [0, n)
    cdef Py_ssize_t lo = s, hi = s + k
    if include_pad:
        if hi > n + pad:
            hi = n + pad
    else:
        if lo < 0:
            lo = 0
        if hi > n:
            hi = n
    return hi - lo


cdef void _col_counts(floating* cw, const Geom* g, bint include_pad) noexcept nogil:
    cdef Py_ssize_t ox
    for ox in range(g.oW):
        cw[ox] = <floating>_count(ox * g.dW - g.pW, g.kW, g.W, g.pW, include_pad)


cdef inline void _add(floating* out, const floating* src, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        out[j] += src[j]


cdef inline void _gather_add(floating* out, const floating* src, Py_ssize_t lo,
                            Py_ssize_t hi, Py_ssize_t step) noexcept nogil:
    cdef Py_ssize_t ox
    for ox in range(lo, hi):
        out[ox] += src[ox * step]


cdef inline void _scatter_add(floating* dst, const floating* src, Py_ssize_t lo,
                             Py_ssize_t hi, Py_ssize_t step) noexcept nogil:
    cdef Py_ssize_t ox
    for ox in range(lo, hi):
        dst[ox * step] += src[ox]


cdef inline void _wsum(floating* out, const floating* row, const Geom* g) noexcept nogil:
    # out[ox] = sum of row over window ox's in-bounds columns
    cdef Py_ssize_t kx, ox, xs, lo, hi, dW = g.dW
    for ox in range(g.oW):
        out[ox] = 0
    for kx in range(g.kW):
        xs = kx - g.pW
        lo = g.xr[2 * kx]
        hi = g.xr[2 * kx + 1]
        if dW == 1:
            _gather_add(out, row + xs, lo, hi, 1)
        elif dW == 2:
            _gather_add(out, row + xs, lo, hi, 2)
        else:
            _gather_add(out, row + xs, lo, hi, dW)


cdef inline void _wspread(floating* row, const floating* src, const Geom* g) noexcept nogil:
    # adjoint of _wsum: row[column] += src[ox] over window ox's columns
    cdef Py_ssize_t kx, ox, xs, lo, hi, dW = g.dW
    for kx in range(g.kW):
        xs = kx - g.pW
        lo = g.xr[2 * kx]
        hi = g.xr[2 * kx + 1]
        if dW == 1:
            _scatter_add(row + xs, src, lo, hi, 1)
        elif dW == 2:
            _scatter_add(row + xs, src, lo, hi, 2)
        else:
            _scatter_add(row + xs, src, lo, hi, dW)


cdef void _avg_forward(const floating* x, floating* y, const floating* cw, floating* b1,
                       floating* b2, const Geom* g, bint include_pad, Py_ssize_t p0,
                       Py_ssize_t p1) noexcept nogil:
    # separable: window sums along W (every input row, b1: T x H x oW), then
    # along H (b2: T x oH x oW, contiguous rows), then along T (whole
    # oH x oW planes), then the division
    cdef Py_ssize_t p, r, t, ot, oy, ox, ky, kt, iy, it
    cdef Py_ssize_t vin = g.T * g.H * g.W
    cdef Py_ssize_t vout = g.oT * g.oH * g.oW
    cdef Py_ssize_t plane = g.oH * g.oW
    cdef floating cth
    cdef floating* out
    cdef floating* yp
    for p in range(p0, p1):
        for r in range(g.T * g.H):
            _wsum(b1 + r * g.oW, x + p * vin + r * g.W, g)
        for t in range(g.T):
            for oy in range(g.oH):
                out = b2 + (t * g.oH + oy) * g.oW
                memset(out, 0, g.oW * sizeof(floating))
                for ky in range(g.kH):
                    iy = oy * g.dH - g.pH + ky
                    if 0 <= iy < g.H:
                        _add(out, b1 + (t * g.H + iy) * g.oW, g.oW)
        yp = y + p * vout
        for ot in range(g.oT):
            out = yp + ot * plane
            memset(out, 0, plane * sizeof(floating))
            for kt in range(g.kT):
                it = ot * g.dT - g.pT + kt
                if 0 <= it < g.T:
                    _add(out, b2 + it * plane, plane)
            for oy in range(g.oH):
                cth = <floating>(
                    _count(ot * g.dT - g.pT, g.kT, g.T, g.pT, include_pad)
                    * _count(oy * g.dH - g.pH, g.kH, g.H, g.pH, include_pad))
                for ox in range(g.oW):
                    out[oy * g.oW + ox] = out[oy * g.oW + ox] / (cth * cw[ox])


cdef void _avg_backward(const floating* go, floating* gi, const floating* cw, floating* b1,
                        floating* b2, floating* gd, const Geom* g, bint include_pad,
                        Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    # the adjoint of _avg_forward, pass by pass in reverse order
    cdef Py_ssize_t p, r, t, ot, oy, ox, ky, kt, iy, it
    cdef Py_ssize_t vin = g.T * g.H * g.W
    cdef Py_ssize_t vout = g.oT * g.oH * g.oW
    cdef Py_ssize_t plane = g.oH * g.oW
    cdef floating cth
    cdef const floating* gp
    memset(gi + p0 * vin, 0, (p1 - p0) * vin * sizeof(floating))
    for p in range(p0, p1):
        memset(b2, 0, g.T * plane * sizeof(floating))
        gp = go + p * vout
        for ot in range(g.oT):
            for oy in range(g.oH):
                cth = <floating>(
                    _count(ot * g.dT - g.pT, g.kT, g.T, g.pT, include_pad)
                    * _count(oy * g.dH - g.pH, g.kH, g.H, g.pH, include_pad))
                for ox in range(g.oW):
                    gd[oy * g.oW + ox] = gp[ot * plane + oy * g.oW + ox] / (cth * cw[ox])
            for kt in range(g.kT):
                it = ot * g.dT - g.pT + kt
                if 0 <= it < g.T:
                    _add(b2 + it * plane, gd, plane)
        memset(b1, 0, g.T * g.H * g.oW * sizeof(floating))
        for t in range(g.T):
            for oy in range(g.oH):
                for ky in range(g.kH):
                    iy = oy * g.dH - g.pH + ky
                    if 0 <= iy < g.H:
                        _add(b1 + (t * g.H + iy) * g.oW, b2 + (t * g.oH + oy) * g.oW, g.oW)
        for r in range(g.T * g.H):
            _wspread(gi + p * vin + r * g.W, b1 + r * g.oW, g)


def avg_update_output(cnp.ndarray x, cnp.ndarray y, tuple sizes, bint count_include_pad):
    """y = window means of x (dilations in ``sizes`` must be 1)."""
    _run(2, x, None, y, None, sizes, count_include_pad)


def avg_update_grad_input(cnp.ndarray go, cnp.ndarray gi, tuple sizes, bint count_include_pad):
    """gi = each gradOutput / window size spread over its window (written over)."""
    _run(3, go, None, gi, None, sizes, count_include_pad)
