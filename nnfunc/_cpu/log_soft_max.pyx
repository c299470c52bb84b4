"""LogSoftMax kernels over the middle axis of an (outer, dim, inner) view.

Forward: y = x - max - log(sum(exp(x - max))). Gradient, recomputed from
the input (pure): gi = go - exp(y) * sum(go), with exp(y) = exp(x - max) / s.
Same memory plan as soft_max.pyx (shared helpers in _softmax.pxd).
"""

cimport numpy as cnp
from libc.math cimport log

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._softmax cimport (
    NNF_CHUNK, _col_exp, _col_max, _col_sum, _row_exp, _row_lsm_grad, _row_lsm_out, _row_max,
    _row_sum, _slice_grain,
)
from nnfunc._cpu._parallel cimport parallel_for

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
            _row_lsm_out(xo, yo, mx, sh, dim)
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
            _row_lsm_grad(gio, goo, r, dim)
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


# -- the thread pool: a task is a range of outer slices ------------------------

ctypedef struct _Job:
    bint dbl
    const char* x
    const char* go
    char* y
    Py_ssize_t dim
    Py_ssize_t inner


cdef void _fwd_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t k = o0 * j.dim * j.inner
    if j.dbl:
        _forward(<const double*>j.x + k, <double*>j.y + k, o1 - o0, j.dim, j.inner)
    else:
        _forward(<const float*>j.x + k, <float*>j.y + k, o1 - o0, j.dim, j.inner)


cdef void _bwd_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t k = o0 * j.dim * j.inner
    if j.dbl:
        _backward(<const double*>j.x + k, <const double*>j.go + k, <double*>j.y + k,
                  o1 - o0, j.dim, j.inner)
    else:
        _backward(<const float*>j.x + k, <const float*>j.go + k, <float*>j.y + k,
                  o1 - o0, j.dim, j.inner)


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t dim,
                  Py_ssize_t inner):
    """y = log_softmax(x) over dim of the (outer, dim, inner) view.

    x, y: C-contiguous, same float dtype, outer*dim*inner elements (caller checks).
    Large inputs are split over the thread pool by outer slices (same bits).
    """
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = NULL
    j.y = <char*>cnp.PyArray_DATA(y)
    j.dim = dim
    j.inner = inner
    if dim == 0:
        return
    with nogil:
        parallel_for(_fwd_task, &j, outer, _slice_grain(dim * inner), 1)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                      Py_ssize_t dim, Py_ssize_t inner):
    """gi = go - softmax(x) * sum(go), softmax recomputed; layout as update_output."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = <const char*>cnp.PyArray_DATA(go)
    j.y = <char*>cnp.PyArray_DATA(gi)
    j.dim = dim
    j.inner = inner
    if dim == 0:
        return
    with nogil:
        parallel_for(_bwd_task, &j, outer, _slice_grain(dim * inner), 1)
