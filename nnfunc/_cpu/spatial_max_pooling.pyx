"""SpatialMaxPooling kernels: window maxima and the gradient routed to the argmax.

The input is viewed as `planes` independent (H, W) planes (N*C of them). The
window of output (oy, ox) covers rows oy*dH - padH + [0, kH) and columns
ox*dW - padW + [0, kW), clipped to the plane; the caller has checked that
every window holds at least one input element (pad <= k/2, PyTorch's ceil
rule). The winner is PyTorch's: scan row by row, take a value if it is
greater than the running maximum or NaN; so ties go to the first maximum and
a window holding NaN to its last NaN. The gradient recomputes the winner from
the input (pure: Torch7 kept the indices of the last forward).
"""

cimport numpy as cnp
from libc.math cimport INFINITY, isnan
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef inline Py_ssize_t _argmax(const floating* plane, Py_ssize_t W, Py_ssize_t hs,
                               Py_ssize_t he, Py_ssize_t ws, Py_ssize_t we) noexcept nogil:
    # flat index (iy*W + ix) of the winner of the window [hs, he) x [ws, we)
    cdef Py_ssize_t iy, ix, best = hs * W + ws
    cdef floating m = -INFINITY
    cdef floating v
    cdef const floating* row
    for iy in range(hs, he):
        row = plane + iy * W
        for ix in range(ws, we):
            v = row[ix]
            if v > m or isnan(v):
                m = v
                best = iy * W + ix
    return best


cdef void _forward(const floating* x, floating* y, Py_ssize_t planes, Py_ssize_t H,
                   Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                   Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                   Py_ssize_t padW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, hs, he, ws, we
    cdef const floating* plane
    cdef floating* out
    for p in range(planes):
        plane = x + p * H * W
        out = y + p * oH * oW
        for oy in range(oH):
            hs = oy * dH - padH
            he = hs + kH if hs + kH < H else H
            hs = hs if hs > 0 else 0
            for ox in range(oW):
                ws = ox * dW - padW
                we = ws + kW if ws + kW < W else W
                ws = ws if ws > 0 else 0
                out[oy * oW + ox] = plane[_argmax(plane, W, hs, he, ws, we)]


cdef void _backward(const floating* x, const floating* go, floating* gi, Py_ssize_t planes,
                    Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW,
                    Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                    Py_ssize_t padH, Py_ssize_t padW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox, hs, he, ws, we
    cdef const floating* plane
    cdef const floating* g
    cdef floating* gp
    memset(gi, 0, planes * H * W * sizeof(floating))
    for p in range(planes):
        plane = x + p * H * W
        g = go + p * oH * oW
        gp = gi + p * H * W
        for oy in range(oH):
            hs = oy * dH - padH
            he = hs + kH if hs + kH < H else H
            hs = hs if hs > 0 else 0
            for ox in range(oW):
                ws = ox * dW - padW
                we = ws + kW if ws + kW < W else W
                ws = ws if ws > 0 else 0
                gp[_argmax(plane, W, hs, he, ws, we)] += g[oy * oW + ox]


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t planes, Py_ssize_t H,
                  Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW):
    """y = window maxima of x. C-contiguous; sizes checked by the caller."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, planes, H, W, oH, oW, kH, kW, dH, dW,
                     padH, padW)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, planes, H, W, oH, oW, kH, kW, dH, dW,
                     padH, padW)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes,
                      Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW,
                      Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                      Py_ssize_t padH, Py_ssize_t padW):
    """gi = gradOutput routed to each window's winner (written over)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, planes, H, W, oH, oW,
                      kH, kW, dH, dW, padH, padW)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, planes, H, W,
                      oH, oW, kH, kW, dH, dW, padH, padW)
