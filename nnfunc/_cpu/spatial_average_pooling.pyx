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
its elements in the same order as a window-by-window scan.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
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


cdef void _forward(const floating* x, floating* y, floating* cs, Py_ssize_t planes,
                   Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                   Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                   Py_ssize_t padW, bint include_pad, floating mult) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, iy, kx, xs, lo, hi, hs, h0, h1
    cdef const floating* row
    cdef floating* acc
    cdef floating rs
    _col_scale(cs, W, oW, kW, dW, padW, include_pad, mult)
    for p in range(planes):
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


cdef void _backward(const floating* go, floating* gi, floating* cs, floating* g,
                    Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                    Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                    Py_ssize_t padH, Py_ssize_t padW, bint include_pad,
                    floating mult) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, iy, kx, xs, lo, hi, hs, h0, h1
    cdef floating* row
    cdef const floating* gr
    cdef floating rs
    _col_scale(cs, W, oW, kW, dW, padW, include_pad, mult)
    memset(gi, 0, planes * H * W * sizeof(floating))
    for p in range(planes):
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


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t planes, Py_ssize_t H,
                  Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                  bint include_pad, double mult):
    """y = window means of x (times mult). C-contiguous; sizes checked by the caller."""
    cdef cnp.ndarray cs = np.empty(oW, dtype=x.dtype)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pcs = cnp.PyArray_DATA(cs)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, <float*>pcs, planes, H, W, oH, oW, kH, kW,
                     dH, dW, padH, padW, include_pad, <float>mult)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, <double*>pcs, planes, H, W, oH, oW, kH,
                     kW, dH, dW, padH, padW, include_pad, mult)


def update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                      Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                      Py_ssize_t padW, bint include_pad, double mult):
    """gi = the adjoint of the window means applied to go (written over)."""
    cdef cnp.ndarray cs = np.empty(oW, dtype=go.dtype)
    cdef cnp.ndarray g = np.empty(oW, dtype=go.dtype)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pcs = cnp.PyArray_DATA(cs)
    cdef void* pg = cnp.PyArray_DATA(g)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>pgo, <float*>pgi, <float*>pcs, <float*>pg, planes, H, W,
                      oH, oW, kH, kW, dH, dW, padH, padW, include_pad, <float>mult)
    else:
        with nogil:
            _backward(<const double*>pgo, <double*>pgi, <double*>pcs, <double*>pg, planes, H,
                      W, oH, oW, kH, kW, dH, dW, padH, padW, include_pad, mult)
