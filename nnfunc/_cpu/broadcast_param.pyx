"""Kernels of Add, Mul, CAdd and CMul: y = x + p or y = x * p, p broadcast.

The module's check hands over the coalesced view: ``dims`` (sizes, product =
numel(x)) and ``bcast`` (p is broadcast along that dimension). p's element
for a position is found by strides that are 0 along broadcast dimensions.
The innermost dimension is either a plain elementwise loop (p not broadcast)
or a loop against one p value (broadcast). Parameter gradients are zeroed
first and then summed over the broadcast dimensions.
"""

cimport numpy as cnp
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()

cdef enum:
    MAXD = 64


cdef void _fwd(const floating* x, const floating* w, floating* y, Py_ssize_t nd,
               const Py_ssize_t* dims, const Py_ssize_t* ws, bint mul) noexcept nogil:
    cdef Py_ssize_t idx[MAXD]
    cdef Py_ssize_t L = dims[nd - 1], total = 1, o, i, d, wo = 0
    cdef bint inner_b = ws[nd - 1] == 0
    cdef floating c
    for d in range(nd):
        total *= dims[d]
        idx[d] = 0
    if total == 0:
        return
    o = 0
    while o < total:
        if inner_b:
            c = w[wo]
            if mul:
                for i in range(L):
                    y[o + i] = x[o + i] * c
            else:
                for i in range(L):
                    y[o + i] = x[o + i] + c
        else:
            if mul:
                for i in range(L):
                    y[o + i] = x[o + i] * w[wo + i]
            else:
                for i in range(L):
                    y[o + i] = x[o + i] + w[wo + i]
        # next outer position (odometer over dims[0 .. nd-2])
        d = nd - 2
        while d >= 0:
            idx[d] += 1
            wo += ws[d]
            if idx[d] < dims[d]:
                break
            wo -= ws[d] * dims[d]
            idx[d] = 0
            d -= 1
        o += L


cdef inline floating _dot(const floating* a, const floating* b, Py_ssize_t m) noexcept nogil:
    """sum a[i] b[i] in 8 independent lanes (so the loop vectorises)."""
    cdef floating t[8]
    cdef Py_ssize_t i, l, m8 = m - m % 8
    for l in range(8):
        t[l] = 0
    i = 0
    while i < m8:
        for l in range(8):
            t[l] += a[i + l] * b[i + l]
        i += 8
    for i in range(m8, m):
        t[0] += a[i] * b[i]
    return ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]))


cdef void _bwd(const floating* x, const floating* w, const floating* go, floating* gi,
               floating* gw, Py_ssize_t nw, Py_ssize_t nd, const Py_ssize_t* dims,
               const Py_ssize_t* ws, bint mul) noexcept nogil:
    cdef Py_ssize_t idx[MAXD]
    cdef Py_ssize_t L = dims[nd - 1], total = 1, o, i, d, wo = 0
    cdef bint inner_b = ws[nd - 1] == 0
    cdef floating c
    cdef double s
    memset(gw, 0, nw * sizeof(floating))
    for d in range(nd):
        total *= dims[d]
        idx[d] = 0
    if total == 0:
        return
    o = 0
    while o < total:
        if mul:
            if inner_b:
                c = w[wo]
                for i in range(L):
                    gi[o + i] = go[o + i] * c
                gw[wo] += _dot(go + o, x + o, L)
            else:
                for i in range(L):
                    gi[o + i] = go[o + i] * w[wo + i]
                    gw[wo + i] += go[o + i] * x[o + i]
        else:
            memcpy(gi + o, go + o, L * sizeof(floating))
            if inner_b:
                s = 0.0
                for i in range(L):
                    s += go[o + i]
                gw[wo] += <floating>s
            else:
                for i in range(L):
                    gw[wo + i] += go[o + i]
        d = nd - 2
        while d >= 0:
            idx[d] += 1
            wo += ws[d]
            if idx[d] < dims[d]:
                break
            wo -= ws[d] * dims[d]
            idx[d] = 0
            d -= 1
        o += L


cdef Py_ssize_t _layout(tuple dims, tuple bcast, Py_ssize_t* cd, Py_ssize_t* ws) except -1:
    """Fill sizes and p strides; return the number of p elements."""
    cdef Py_ssize_t nd = len(dims), d, stride = 1
    if nd < 1 or nd > MAXD or len(bcast) != nd:
        raise ValueError("bad coalesced layout")
    for d in range(nd - 1, -1, -1):
        cd[d] = dims[d]
        if bcast[d]:
            ws[d] = 0
        else:
            ws[d] = stride
            stride *= cd[d]
    return stride


def update_output(cnp.ndarray x, cnp.ndarray w, cnp.ndarray y, tuple dims, tuple bcast,
                  bint mul):
    """y = x + w (or x * w) over the coalesced view; C-contiguous, checked sizes."""
    cdef Py_ssize_t cd[MAXD]
    cdef Py_ssize_t ws[MAXD]
    cdef Py_ssize_t nd = len(dims)
    _layout(dims, bcast, cd, ws)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _fwd(<const float*>px, <const float*>pw, <float*>py, nd, cd, ws, mul)
    else:
        with nogil:
            _fwd(<const double*>px, <const double*>pw, <double*>py, nd, cd, ws, mul)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, tuple dims, tuple bcast, bint mul):
    """gradInput and the parameter gradient (written over, summed over broadcast dims)."""
    cdef Py_ssize_t cd[MAXD]
    cdef Py_ssize_t ws[MAXD]
    cdef Py_ssize_t nd = len(dims)
    cdef Py_ssize_t nw = _layout(dims, bcast, cd, ws)
    if nw != cnp.PyArray_SIZE(gw):
        raise ValueError("parameter size does not match the layout")
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _bwd(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                 <float*>pgw, nw, nd, cd, ws, mul)
    else:
        with nogil:
            _bwd(<const double*>px, <const double*>pw, <const double*>pgo, <double*>pgi,
                 <double*>pgw, nw, nd, cd, ws, mul)
