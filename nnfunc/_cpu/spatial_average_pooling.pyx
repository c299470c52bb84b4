"""SpatialAveragePooling kernels: window means and their adjoint.

The input is viewed as `planes` independent (H, W) planes. Window (oy, ox)
covers rows oy*dH - padH + [0, kH) and columns ox*dW - padW + [0, kW); its
sum runs over the part inside the plane (row by row, left to right, as
Torch7 and PyTorch sum) and is divided by the window's divisor, which
factors into a row count times a column count: with count_include_pad the
window clipped to the padded plane [-pad, n + pad), else clipped to the
plane itself. `mult` scales every output (kW*kH for Torch7's divide=false).

One output row at a time: the kernel taps are the outer loops and the oW
windows the inner one (independent sums, vectorised), so each output sees
its elements in the same order as a window-by-window scan. Large calls are
split over the thread pool by planes (each part owns its output and
gradInput planes: the same bits for any number of threads).
"""

cimport numpy as cnp
import numpy as np
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for, plane_grain
from nnfunc._cpu._unfold cimport valid_range

cnp.import_array()


cdef inline Py_ssize_t _count(Py_ssize_t s, Py_ssize_t k, Py_ssize_t n, Py_ssize_t pad,
                              bint include_pad) noexcept nogil:
    # the divisor's factor along one axis for a window starting at s
    cdef Py_ssize_t e = s + k
    if include_pad:
        if e > n + pad:
            e = n + pad
        return e - s
    if e > n:
        e = n
    if s < 0:
        s = 0
    return e - s


cdef void _col_scale(floating* cs, Py_ssize_t W, Py_ssize_t oW, Py_ssize_t kW,
                     Py_ssize_t dW, Py_ssize_t padW, bint include_pad,
                     floating mult) noexcept nogil:
    # cs[ox] = mult / (the column count of window ox)
    cdef Py_ssize_t ox
    for ox in range(oW):
        cs[ox] = mult / <floating>_count(ox * dW - padW, kW, W, padW, include_pad)


cdef void _forward(const floating* x, floating* y, const floating* cs, Py_ssize_t p0,
                   Py_ssize_t p1,
                   Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                   Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                   Py_ssize_t padW, bint include_pad) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, iy, kx, xs, lo, hi, hs, h0, h1
    cdef const floating* row
    cdef floating* acc
    cdef floating rs
    for p in range(p0, p1):
        for oy in range(oH):
            acc = y + (p * oH + oy) * oW
            for ox in range(oW):
                acc[ox] = 0
            hs = oy * dH - padH
            h0 = hs if hs > 0 else 0
            h1 = hs + kH if hs + kH < H else H
            for iy in range(h0, h1):
                row = x + (p * H + iy) * W
                for kx in range(kW):
                    xs = kx - padW
                    valid_range(oW, xs, dW, W, &lo, &hi)
                    for ox in range(lo, hi):
                        acc[ox] += row[xs + ox * dW]
            rs = <floating>_count(hs, kH, H, padH, include_pad)
            for ox in range(oW):
                acc[ox] = acc[ox] / rs * cs[ox]


cdef void _backward(const floating* go, floating* gi, const floating* cs, floating* g,
                    Py_ssize_t p0, Py_ssize_t p1, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                    Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                    Py_ssize_t padH, Py_ssize_t padW, bint include_pad) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, iy, kx, xs, lo, hi, hs, h0, h1
    cdef floating* row
    cdef const floating* gr
    cdef floating rs
    # this part's gradInput planes only: windows never cross planes
    memset(gi + p0 * H * W, 0, (p1 - p0) * H * W * sizeof(floating))
    for p in range(p0, p1):
        for oy in range(oH):
            gr = go + (p * oH + oy) * oW
            hs = oy * dH - padH
            rs = <floating>_count(hs, kH, H, padH, include_pad)
            for ox in range(oW):
                g[ox] = gr[ox] / rs * cs[ox]
            h0 = hs if hs > 0 else 0
            h1 = hs + kH if hs + kH < H else H
            for iy in range(h0, h1):
                row = gi + (p * H + iy) * W
                for kx in range(kW):
                    xs = kx - padW
                    valid_range(oW, xs, dW, W, &lo, &hi)
                    for ox in range(lo, hi):
                        row[xs + ox * dW] += g[ox]


ctypedef struct _Job:
    bint dbl
    bint fwd
    const char* src     # x / go
    char* dst           # y / gi
    const char* cs      # the column scales (oW)
    Py_ssize_t H, W, oH, oW, kH, kW, dH, dW, padH, padW
    bint include_pad
    bint failed


cdef void _task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    # one part's planes (the backward with its own oW workspace)
    cdef _Job* j = <_Job*>ctx
    cdef void* g = NULL
    if j.fwd:
        if j.dbl:
            _forward(<const double*>j.src, <double*>j.dst, <const double*>j.cs, p0, p1, j.H,
                     j.W, j.oH, j.oW, j.kH, j.kW, j.dH, j.dW, j.padH, j.padW, j.include_pad)
        else:
            _forward(<const float*>j.src, <float*>j.dst, <const float*>j.cs, p0, p1, j.H,
                     j.W, j.oH, j.oW, j.kH, j.kW, j.dH, j.dW, j.padH, j.padW, j.include_pad)
        return
    g = malloc(max(j.oW, <Py_ssize_t>1) * (sizeof(double) if j.dbl else sizeof(float)))
    if g == NULL:
        j.failed = True
        return
    if j.dbl:
        _backward(<const double*>j.src, <double*>j.dst, <const double*>j.cs, <double*>g, p0,
                  p1, j.H, j.W, j.oH, j.oW, j.kH, j.kW, j.dH, j.dW, j.padH, j.padW,
                  j.include_pad)
    else:
        _backward(<const float*>j.src, <float*>j.dst, <const float*>j.cs, <float*>g, p0,
                  p1, j.H, j.W, j.oH, j.oW, j.kH, j.kW, j.dH, j.dW, j.padH, j.padW,
                  j.include_pad)
    free(g)


cdef _run(bint fwd, cnp.ndarray src, cnp.ndarray dst, Py_ssize_t planes, Py_ssize_t H,
          Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
          Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW, bint include_pad,
          double mult):
    # Planes are independent, so they are split over the thread pool; each
    # part writes only its own output (gradInput) planes, every element by
    # the one-thread code: the same bits for any number of threads. The
    # column scales (mult folded in) are computed once, here.
    cdef _Job j
    cdef cnp.ndarray cs = np.empty(oW, dtype=src.dtype)
    if cnp.PyArray_TYPE(src) == cnp.NPY_FLOAT:
        _col_scale(<float*>cnp.PyArray_DATA(cs), W, oW, kW, dW, padW, include_pad,
                   <float>mult)
    else:
        _col_scale(<double*>cnp.PyArray_DATA(cs), W, oW, kW, dW, padW, include_pad, mult)
    j.dbl = cnp.PyArray_TYPE(src) != cnp.NPY_FLOAT
    j.fwd = fwd
    j.src = <const char*>cnp.PyArray_DATA(src)
    j.dst = <char*>cnp.PyArray_DATA(dst)
    j.cs = <const char*>cnp.PyArray_DATA(cs)
    j.H, j.W, j.oH, j.oW, j.kH, j.kW = H, W, oH, oW, kH, kW
    j.dH, j.dW, j.padH, j.padW = dH, dW, padH, padW
    j.include_pad = include_pad
    j.failed = False
    with nogil:
        parallel_for(_task, &j, planes, plane_grain(max(H * W, oH * oW * kH * kW)), 1)
    if j.failed:
        raise MemoryError()


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t planes, Py_ssize_t H,
                  Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                  bint include_pad, double mult):
    """y = window means of x (times mult). C-contiguous; sizes checked by the caller."""
    _run(True, x, y, planes, H, W, oH, oW, kH, kW, dH, dW, padH, padW, include_pad, mult)


def update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                      Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                      Py_ssize_t padW, bint include_pad, double mult):
    """gi = the adjoint of the window means applied to go (written over)."""
    _run(False, go, gi, planes, H, W, oH, oW, kH, kW, dH, dW, padH, padW, include_pad, mult)
