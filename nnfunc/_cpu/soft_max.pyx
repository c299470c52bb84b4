"""SoftMax kernels over the middle axis of an (outer, dim, inner) view.

Forward: y = exp(x - max) / sum(exp(x - max)). Gradient, recomputed from
the input (pure): gi = y * (go - sum(go * y)). Each row (inner == 1) or
column chunk (inner > 1) is read from memory once per phase; the extra
passes of the reductions run on data already in cache.
"""

cimport numpy as cnp

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._softmax cimport (
    NNF_CHUNK, _col_dot, _col_exp, _col_max, _row_dot, _row_exp, _row_max,
)

cnp.import_array()


cdef void _forward(const floating* x, floating* y, Py_ssize_t outer,
                   Py_ssize_t dim, Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, i, j, j0, w, c
    cdef floating m[NNF_CHUNK]
    cdef double s[NNF_CHUNK]
    cdef floating inv[NNF_CHUNK]
    cdef floating mx, r
    cdef const floating* xo
    cdef floating* yo
    if dim == 0:
        return
    if inner == 1:
        for o in range(outer):
            xo = x + o * dim
            yo = y + o * dim
            mx = _row_max(xo, dim)
            r = <floating>(1.0 / _row_exp(xo, mx, yo, dim))
            for i in range(dim):
                yo[i] = yo[i] * r
        return
    for o in range(outer):
        j0 = 0
        while j0 < inner:
            w = min(<Py_ssize_t>NNF_CHUNK, inner - j0)
            xo = x + o * dim * inner + j0
            yo = y + o * dim * inner + j0
            _col_max(xo, dim, inner, w, m)
            _col_exp(xo, m, yo, dim, inner, w, s)
            for j in range(w):
                inv[j] = <floating>(1.0 / s[j])
            for c in range(dim):
                for j in range(w):
                    yo[c * inner + j] = yo[c * inner + j] * inv[j]
            j0 += NNF_CHUNK


cdef void _backward(const floating* x, const floating* go, floating* gi,
                    Py_ssize_t outer, Py_ssize_t dim, Py_ssize_t inner) noexcept nogil:
    # gi first holds e = exp(x - max); y = e / s; gi = y * (go - dot(go, e) / s)
    cdef Py_ssize_t o, i, j, j0, w, c, k
    cdef floating m[NNF_CHUNK]
    cdef double s[NNF_CHUNK]
    cdef double g[NNF_CHUNK]
    cdef floating inv[NNF_CHUNK]
    cdef floating dot[NNF_CHUNK]
    cdef floating mx, r, dt
    cdef double sum_e
    cdef const floating* xo
    cdef const floating* goo
    cdef floating* gio
    if dim == 0:
        return
    if inner == 1:
        for o in range(outer):
            xo = x + o * dim
            goo = go + o * dim
            gio = gi + o * dim
            mx = _row_max(xo, dim)
            sum_e = _row_exp(xo, mx, gio, dim)
            r = <floating>(1.0 / sum_e)
            dt = <floating>(_row_dot(goo, gio, dim) / sum_e)
            for i in range(dim):
                gio[i] = gio[i] * r * (goo[i] - dt)
        return
    for o in range(outer):
        j0 = 0
        while j0 < inner:
            w = min(<Py_ssize_t>NNF_CHUNK, inner - j0)
            k = o * dim * inner + j0
            xo = x + k
            goo = go + k
            gio = gi + k
            _col_max(xo, dim, inner, w, m)
            _col_exp(xo, m, gio, dim, inner, w, s)
            _col_dot(goo, gio, dim, inner, w, g)
            for j in range(w):
                inv[j] = <floating>(1.0 / s[j])
                dot[j] = <floating>(g[j] / s[j])
            for c in range(dim):
                for j in range(w):
                    gio[c * inner + j] = gio[c * inner + j] * inv[j] * (goo[c * inner + j] - dot[j])
            j0 += NNF_CHUNK


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t dim,
                  Py_ssize_t inner):
    """y = softmax(x) over dim of the (outer, dim, inner) view.

    x, y: C-contiguous, same float dtype, outer*dim*inner elements (caller checks).
    """
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, outer, dim, inner)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, outer, dim, inner)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                      Py_ssize_t dim, Py_ssize_t inner):
    """gi = y * (go - sum(go * y)) with y = softmax(x) recomputed; layout as update_output."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, outer, dim, inner)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, outer, dim, inner)
