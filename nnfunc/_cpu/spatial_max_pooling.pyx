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
Large calls are split over the thread pool by planes (each part owns its
output and gradInput planes: the same bits for any number of threads).
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


cdef void _forward(const floating* x, floating* y, Py_ssize_t p0, Py_ssize_t p1,
                   Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                   Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                   Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # the output row itself holds the running maxima; dilation 1 as a
    # constant (the plain pooling's loops: a few % faster than a variable)
    cdef Py_ssize_t p, oy
    if dilH == 1 and dilW == 1:
        for p in range(p0, p1):
            for oy in range(oH):
                _row_max(x + p * H * W, y + (p * oH + oy) * oW, H, W, oy, oW, kH, kW, dH,
                         dW, padH, padW, 1, 1)
        return
    for p in range(p0, p1):
        for oy in range(oH):
            _row_max(x + p * H * W, y + (p * oH + oy) * oW, H, W, oy, oW, kH, kW, dH, dW,
                     padH, padW, dilH, dilW)


cdef void _forward_indices(const floating* x, floating* y, int64_t* ind, floating* tap,
                           const Py_ssize_t* off, Py_ssize_t p0, Py_ssize_t p1, Py_ssize_t H,
                           Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                           Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                           Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # the maxima and their indices (tap: an oW workspace; off: each tap's
    # plane offset from its window's corner)
    cdef Py_ssize_t p, oy, ox, corner
    cdef floating* yr
    cdef int64_t* ir
    for p in range(p0, p1):
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
                    floating* tap, const Py_ssize_t* off, Py_ssize_t p0, Py_ssize_t p1,
                    Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                    Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                    Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, corner
    cdef const floating* g
    cdef floating* gp
    # this part's gradInput planes only: windows never cross planes
    memset(gi + p0 * H * W, 0, (p1 - p0) * H * W * sizeof(floating))
    for p in range(p0, p1):
        gp = gi + p * H * W
        for oy in range(oH):
            _row_argmax(x + p * H * W, m, tap, H, W, oy, oW, kH, kW, dH, dW, padH, padW,
                        dilH, dilW)
            g = go + (p * oH + oy) * oW
            corner = (oy * dH - padH) * W - padW
            for ox in range(oW):
                # every window holds an in-bounds element, so tap[ox] >= 0
                gp[corner + ox * dW + off[<Py_ssize_t>tap[ox]]] += g[ox]


ctypedef struct _Job:
    bint dbl
    int kind            # 0 maxima, 1 maxima and indices, 2 gradient
    const char* x
    const char* go
    char* y
    int64_t* ind
    const Py_ssize_t* off
    Py_ssize_t H, W, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW
    bint failed


cdef void _task_t(_Job* j, const floating* x, floating* y, Py_ssize_t p0,
                  Py_ssize_t p1) noexcept nogil:
    # one part's planes; its own oW workspaces (maxima, winning taps)
    cdef floating* m = NULL
    if j.kind == 0:
        _forward(x, y, p0, p1, j.H, j.W, j.oH, j.oW, j.kH, j.kW, j.dH, j.dW, j.padH, j.padW,
                 j.dilH, j.dilW)
        return
    m = <floating*>malloc(2 * max(j.oW, <Py_ssize_t>1) * sizeof(floating))
    if m == NULL:
        j.failed = True
        return
    if j.kind == 1:
        _forward_indices(x, y, j.ind, m, j.off, p0, p1, j.H, j.W, j.oH, j.oW, j.kH, j.kW,
                         j.dH, j.dW, j.padH, j.padW, j.dilH, j.dilW)
    else:
        _backward(x, <const floating*>j.go, y, m, m + j.oW, j.off, p0, p1, j.H, j.W, j.oH,
                  j.oW, j.kH, j.kW, j.dH, j.dW, j.padH, j.padW, j.dilH, j.dilW)
    free(m)


cdef void _task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        _task_t(j, <const double*>j.x, <double*>j.y, p0, p1)
    else:
        _task_t(j, <const float*>j.x, <float*>j.y, p0, p1)


cdef _run(int kind, cnp.ndarray x, go, cnp.ndarray y, object ind, Py_ssize_t planes,
          Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
          Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
          Py_ssize_t dilH, Py_ssize_t dilW):
    # Planes are independent (windows never cross them), so they are split
    # over the thread pool; each part writes only its own output (gradInput)
    # planes: the same bits for any number of threads.
    cdef _Job j
    cdef cnp.ndarray off = None
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.kind = kind
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = NULL if go is None else <const char*>cnp.PyArray_DATA(<cnp.ndarray>go)
    j.y = <char*>cnp.PyArray_DATA(y)
    j.ind = NULL if ind is None else <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>ind)
    j.off = NULL
    if kind != 0:
        off = _offsets(W, kH, kW, dilH, dilW)
        j.off = <const Py_ssize_t*>cnp.PyArray_DATA(off)
    j.H, j.W, j.oH, j.oW, j.kH, j.kW = H, W, oH, oW, kH, kW
    j.dH, j.dW, j.padH, j.padW, j.dilH, j.dilW = dH, dW, padH, padW, dilH, dilW
    j.failed = False
    with nogil:
        # a plane's work: its input (the gradient zeroes and reads it) or
        # its windows' taps, whichever is larger
        parallel_for(_task, &j, planes, plane_grain(max(H * W, oH * oW * kH * kW)), 1)
    if j.failed:
        raise MemoryError()


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
    _run(0 if ind is None else 1, x, None, y, ind, planes, H, W, oH, oW, kH, kW, dH, dW,
         padH, padW, dilH, dilW)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes,
                      Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW,
                      Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                      Py_ssize_t padH, Py_ssize_t padW, Py_ssize_t dilH=1,
                      Py_ssize_t dilW=1):
    """gi = gradOutput routed to each window's winner (written over)."""
    _run(2, x, go, gi, None, planes, H, W, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW)
