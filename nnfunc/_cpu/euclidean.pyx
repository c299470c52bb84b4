"""Euclidean kernels: y[r, j] = ||x[r] - W[:, j]||, W stored (inputSize, outputSize).

The distances are summed from the differences (no |x|^2 - 2 x.W + |W|^2
expansion, which loses the digits of a point near a centre); the inner loop
runs along a row of W (contiguous in j) so it vectorises. The backward
recomputes the distances (pure: nothing saved) into a scratch buffer.
"""

cimport numpy as cnp
from libc.math cimport sqrt
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef void _dist(const floating* x, const floating* w, floating* y, Py_ssize_t n,
                Py_ssize_t nin, Py_ssize_t nout) noexcept nogil:
    cdef Py_ssize_t r, i, j
    cdef floating xi, t
    cdef floating* yr
    for r in range(n):
        yr = y + r * nout
        memset(yr, 0, nout * sizeof(floating))
        for i in range(nin):
            xi = x[r * nin + i]
            for j in range(nout):
                t = xi - w[i * nout + j]
                yr[j] += t * t
        for j in range(nout):
            yr[j] = sqrt(yr[j])


cdef inline floating _dot_diff(floating xi, const floating* wr, const floating* g,
                               Py_ssize_t m) noexcept nogil:
    """sum_j (xi - wr[j]) g[j] in 8 independent lanes (so the loop vectorises)."""
    cdef floating a[8]
    cdef Py_ssize_t j, l, m8 = m - m % 8
    for l in range(8):
        a[l] = 0
    j = 0
    while j < m8:
        for l in range(8):
            a[l] += (xi - wr[j + l]) * g[j + l]
        j += 8
    for j in range(m8, m):
        a[0] += (xi - wr[j]) * g[j]
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))


cdef void _grad(const floating* x, const floating* w, const floating* go, floating* gi,
                floating* gw, floating* g, Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout,
                floating eps) noexcept nogil:
    cdef Py_ssize_t r, i, j
    cdef floating xi
    cdef const floating* gr
    _dist(x, w, g, n, nin, nout)
    for r in range(n * nout):
        g[r] = go[r] / (g[r] + eps)
    memset(gw, 0, nin * nout * sizeof(floating))
    for r in range(n):
        gr = g + r * nout
        for i in range(nin):
            xi = x[r * nin + i]
            gi[r * nin + i] = _dot_diff(xi, w + i * nout, gr, nout)
            for j in range(nout):
                gw[i * nout + j] -= (xi - w[i * nout + j]) * gr[j]


def update_output(cnp.ndarray x, cnp.ndarray w, cnp.ndarray y, Py_ssize_t n,
                  Py_ssize_t nin, Py_ssize_t nout):
    """y[r, j] = ||x[r] - w[:, j]||; C-contiguous, sizes checked by the caller."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _dist(<const float*>px, <const float*>pw, <float*>py, n, nin, nout)
    else:
        with nogil:
            _dist(<const double*>px, <const double*>pw, <double*>py, n, nin, nout)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout, double eps):
    """gradInput and gradWeight (written over) with g = go / (y + eps)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* g = malloc(max(n * nout, 1) * cnp.PyArray_ITEMSIZE(x))
    if g == NULL:
        raise MemoryError()
    try:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _grad(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>g, n, nin, nout, <float>eps)
        else:
            with nogil:
                _grad(<const double*>px, <const double*>pw, <const double*>pgo,
                      <double*>pgi, <double*>pgw, <double*>g, n, nin, nout, eps)
    finally:
        free(g)
