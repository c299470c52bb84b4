"""LogSoftMax kernels over the middle axis of an (outer, dim, inner) view.

Forward: y = x - max - log(sum(exp(x - max))). Gradient, recomputed from
the input (pure): gi = go - exp(y) * sum(go), with exp(y) = exp(x - max) / s.
Same memory plan as soft_max.pyx (shared helpers in _softmax.pxd).
"""

cimport numpy as cnp
from libc.math cimport log

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._softmax cimport (
    NNF_CHUNK, _col_exp, _col_max, _col_sum, _row_exp, _row_max, _row_sum,
)

cnp.import_array()


cdef void _forward(const floating* x, floating* y, Py_ssize_t outer,
                   Py_ssize_t dim, Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, i, j, j0, w, c
    cdef floating m[NNF_CHUNK]
    cdef double s[NNF_CHUNK]
    cdef floating lse[NNF_CHUNK]
    cdef floating mx, sh
    cdef const floating* xo
    cdef floating* yo
    if dim == 0:
        return
    if inner == 1:
        for o in range(outer):
            xo = x + o * dim
            yo = y + o * dim
            mx = _row_max(xo, dim)
            # y serves as scratch for exp(x - max) before it gets the result;
            # y = (x - max) - log(s): two steps keep the exact zero at the max
            sh = <floating>log(_row_exp(xo, mx, yo, dim))
            for i in range(dim):
                yo[i] = (xo[i] - mx) - sh
        return
    for o in range(outer):
        j0 = 0
        while j0 < inner:
            w = min(<Py_ssize_t>NNF_CHUNK, inner - j0)
            xo = x + o * dim * inner + j0
            yo = y + o * dim * inner + j0
            _col_max(xo, dim, inner, w, m)
            _col_exp(xo, m, yo, dim, inner, w, s)     # yo: scratch, overwritten below
            for j in range(w):
                lse[j] = <floating>log(s[j])
            for c in range(dim):
                for j in range(w):
                    yo[c * inner + j] = (xo[c * inner + j] - m[j]) - lse[j]
            j0 += NNF_CHUNK


cdef void _backward(const floating* x, const floating* go, floating* gi,
                    Py_ssize_t outer, Py_ssize_t dim, Py_ssize_t inner) noexcept nogil:
    # gi first holds e = exp(x - max); gi = go - e * (sum(go) / s)
    cdef Py_ssize_t o, i, j, j0, w, c, k
    cdef floating m[NNF_CHUNK]
    cdef double s[NNF_CHUNK]
    cdef double g[NNF_CHUNK]
    cdef floating f[NNF_CHUNK]
    cdef floating mx, r
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
            r = <floating>(_row_sum(goo, dim) / sum_e)
            for i in range(dim):
                gio[i] = goo[i] - gio[i] * r
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
            _col_sum(goo, dim, inner, w, g)
            for j in range(w):
                f[j] = <floating>(g[j] / s[j])
            for c in range(dim):
                for j in range(w):
                    gio[c * inner + j] = goo[c * inner + j] - gio[c * inner + j] * f[j]
            j0 += NNF_CHUNK


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t dim,
                  Py_ssize_t inner):
    """y = log_softmax(x) over dim of the (outer, dim, inner) view.

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
    """gi = go - softmax(x) * sum(go), softmax recomputed; layout as update_output."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, outer, dim, inner)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, outer, dim, inner)
