"""SpatialMaxPooling / SpatialDilatedMaxPooling kernels: window maxima, their
argmax indices, and the gradient routed to the argmax.

The input is viewed as `planes` independent (H, W) planes (N*C of them). The
window of output (oy, ox) has the taps (ky, kx), 0 <= ky < kH, 0 <= kx < kW,
at row oy*dH - padH + ky*dilH and column ox*dW - padW + kx*dilW; taps in the
padding do not count. The caller has checked that every window holds at
least one input element. The winner is PyTorch's: scan the taps row by row,
take a value if it is greater than the running maximum or NaN; so ties go to
the first maximum and a window holding NaN to its last NaN. The gradient
recomputes the winner from the input (pure: Torch7 kept the indices of the
last forward). Indices are 0-based flat offsets iy*W + ix into the plane.

Both phases work one output row at a time with the kernel taps as the outer
loops and the oW windows as the inner one (independent running maxima, no
branches: random data made a branchy window-by-window scan 5-8x slower).
"""

cimport numpy as cnp
import numpy as np
from libc.math cimport INFINITY
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._unfold cimport valid_range

cnp.import_array()


cdef inline void _row_max(const floating* plane, floating* m, Py_ssize_t H, Py_ssize_t W,
                          Py_ssize_t oy, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                          Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                          Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # m[ox] = the winning value of window (oy, ox). The kernel taps are the
    # outer loops, in window scan order, and the windows the inner one: oW
    # independent running maxima (no serial dependency chain; vectorised)
    # that see their elements in the order of a window-by-window scan, so the
    # "greater, or NaN" rule gives the same value.
    cdef Py_ssize_t hs = oy * dH - padH
    cdef Py_ssize_t ky, kx, ox, iy, xs, lo, hi
    cdef floating v, mo
    cdef const floating* row
    for ox in range(oW):
        m[ox] = -INFINITY
    for ky in range(kH):
        iy = hs + ky * dilH
        if iy < 0 or iy >= H:
            continue
        row = plane + iy * W
        for kx in range(kW):
            xs = kx * dilW - padW
            valid_range(oW, xs, dW, W, &lo, &hi)
            for ox in range(lo, hi):
                v = row[xs + ox * dW]
                mo = m[ox]
                m[ox] = v if (v > mo) | (v != v) else mo


cdef inline void _row_argmax(const floating* plane, floating* m, floating* tap, Py_ssize_t H,
                             Py_ssize_t W, Py_ssize_t oy, Py_ssize_t oW, Py_ssize_t kH,
                             Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                             Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # m[ox], tap[ox] = the winning value of window (oy, ox) and its tap
    # ky*kW + kx, in one pass: a window's first in-bounds element is taken
    # unconditionally (tap < 0: so an all -inf window points at it, as in
    # PyTorch), later ones when greater or NaN. The tap is kept as a float
    # (exact below 2**24 taps) so that both selects have one width and the
    # oW-wide inner loop vectorises.
    cdef Py_ssize_t hs = oy * dH - padH
    cdef Py_ssize_t ky, kx, ox, iy, xs, lo, hi
    cdef floating v, mo, t, cur
    cdef bint take
    cdef const floating* row
    for ox in range(oW):
        m[ox] = -INFINITY
        tap[ox] = -1
    for ky in range(kH):
        iy = hs + ky * dilH
        if iy < 0 or iy >= H:
            continue
        row = plane + iy * W
        for kx in range(kW):
            xs = kx * dilW - padW
            t = <floating>(ky * kW + kx)
            valid_range(oW, xs, dW, W, &lo, &hi)
            for ox in range(lo, hi):
                v = row[xs + ox * dW]
                mo = m[ox]
                cur = tap[ox]
                take = (v > mo) | (v != v) | (cur < 0)
                m[ox] = v if take else mo
                tap[ox] = t if take else cur


cdef void _forward(const floating* x, floating* y, Py_ssize_t planes, Py_ssize_t H,
                   Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                   Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                   Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # the output row itself holds the running maxima; dilation 1 as a
    # constant (the plain pooling's loops: a few % faster than a variable)
    cdef Py_ssize_t p, oy
    if dilH == 1 and dilW == 1:
        for p in range(planes):
            for oy in range(oH):
                _row_max(x + p * H * W, y + (p * oH + oy) * oW, H, W, oy, oW, kH, kW, dH,
                         dW, padH, padW, 1, 1)
        return
    for p in range(planes):
        for oy in range(oH):
            _row_max(x + p * H * W, y + (p * oH + oy) * oW, H, W, oy, oW, kH, kW, dH, dW,
                     padH, padW, dilH, dilW)


cdef void _forward_indices(const floating* x, floating* y, int64_t* ind, floating* tap,
                           const Py_ssize_t* off, Py_ssize_t planes, Py_ssize_t H,
                           Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                           Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                           Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # the maxima and their indices (tap: an oW workspace; off: each tap's
    # plane offset from its window's corner)
    cdef Py_ssize_t p, oy, ox, corner
    cdef floating* yr
    cdef int64_t* ir
    for p in range(planes):
        for oy in range(oH):
            yr = y + (p * oH + oy) * oW
            _row_argmax(x + p * H * W, yr, tap, H, W, oy, oW, kH, kW, dH, dW, padH, padW,
                        dilH, dilW)
            ir = ind + (p * oH + oy) * oW
            corner = (oy * dH - padH) * W - padW
            for ox in range(oW):
                # every window holds an in-bounds element, so tap[ox] >= 0
                ir[ox] = corner + ox * dW + off[<Py_ssize_t>tap[ox]]


cdef void _backward(const floating* x, const floating* go, floating* gi, floating* m,
                    floating* tap, const Py_ssize_t* off, Py_ssize_t planes, Py_ssize_t H,
                    Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                    Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                    Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, corner
    cdef const floating* g
    cdef floating* gp
    memset(gi, 0, planes * H * W * sizeof(floating))
    for p in range(planes):
        gp = gi + p * H * W
        for oy in range(oH):
            _row_argmax(x + p * H * W, m, tap, H, W, oy, oW, kH, kW, dH, dW, padH, padW,
                        dilH, dilW)
            g = go + (p * oH + oy) * oW
            corner = (oy * dH - padH) * W - padW
            for ox in range(oW):
                # every window holds an in-bounds element, so tap[ox] >= 0
                gp[corner + ox * dW + off[<Py_ssize_t>tap[ox]]] += g[ox]


cdef cnp.ndarray _offsets(Py_ssize_t W, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dilH,
                          Py_ssize_t dilW):
    # off[ky*kW + kx] = ky*dilH*W + kx*dilW (no divisions in the loops)
    cdef cnp.ndarray off = np.empty(kH * kW, dtype=np.intp)
    cdef Py_ssize_t* p = <Py_ssize_t*>cnp.PyArray_DATA(off)
    cdef Py_ssize_t ky, kx
    for ky in range(kH):
        for kx in range(kW):
            p[ky * kW + kx] = ky * dilH * W + kx * dilW
    return off


def update_output(cnp.ndarray x, cnp.ndarray y, object ind, Py_ssize_t planes, Py_ssize_t H,
                  Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                  Py_ssize_t dilH=1, Py_ssize_t dilW=1):
    """y = window maxima of x; ind (an int64 array of y's shape, or None) =
    their flat plane offsets. C-contiguous; sizes checked by the caller."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef int64_t* pind
    cdef cnp.ndarray tap, off
    cdef void* ptap
    cdef const Py_ssize_t* poff
    if ind is None:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _forward(<const float*>px, <float*>py, planes, H, W, oH, oW, kH, kW, dH, dW,
                         padH, padW, dilH, dilW)
        else:
            with nogil:
                _forward(<const double*>px, <double*>py, planes, H, W, oH, oW, kH, kW, dH, dW,
                         padH, padW, dilH, dilW)
        return
    pind = <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>ind)
    tap = np.empty(oW, dtype=x.dtype)
    ptap = cnp.PyArray_DATA(tap)
    off = _offsets(W, kH, kW, dilH, dilW)
    poff = <const Py_ssize_t*>cnp.PyArray_DATA(off)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward_indices(<const float*>px, <float*>py, pind, <float*>ptap, poff, planes,
                             H, W, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW)
    else:
        with nogil:
            _forward_indices(<const double*>px, <double*>py, pind, <double*>ptap, poff,
                             planes, H, W, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes,
                      Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW,
                      Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                      Py_ssize_t padH, Py_ssize_t padW, Py_ssize_t dilH=1,
                      Py_ssize_t dilW=1):
    """gi = gradOutput routed to each window's winner (written over)."""
    # per-call workspace: one output row of maxima and winning taps
    cdef cnp.ndarray m = np.empty(oW, dtype=x.dtype)
    cdef cnp.ndarray tap = np.empty(oW, dtype=x.dtype)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pm = cnp.PyArray_DATA(m)
    cdef void* ptap = cnp.PyArray_DATA(tap)
    cdef cnp.ndarray off = _offsets(W, kH, kW, dilH, dilW)
    cdef const Py_ssize_t* poff = <const Py_ssize_t*>cnp.PyArray_DATA(off)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, <float*>pm,
                      <float*>ptap, poff, planes, H, W, oH, oW, kH, kW, dH, dW, padH, padW,
                      dilH, dilW)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, <double*>pm,
                      <double*>ptap, poff, planes, H, W, oH, oW, kH, kW, dH, dW, padH, padW,
                      dilH, dilW)
