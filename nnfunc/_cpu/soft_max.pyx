"""SoftMax kernels over the middle axis of an (outer, dim, inner) view.

Forward: y = exp(x - max) / sum(exp(x - max)). Gradient, recomputed from
the input (pure): gi = y * (go - sum(go * y)). Each row (inner == 1) or
column chunk (inner > 1) is read from memory once per phase; the extra
passes of the reductions run on data already in cache.
"""

cimport numpy as cnp
from libc.stdlib cimport free, malloc

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._softmax cimport (
    NNF_CHUNK, _col_dot, _col_exp, _col_max, _row_dot, _row_exp, _row_max, _row_scale,
    _row_sm_grad, _slice_grain,
)
from nnfunc._cpu._parallel cimport parallel_for

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
            _row_scale(yo, r, dim)
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
            _row_sm_grad(gio, goo, r, dt, dim)
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


# -- the thread pool: a task is a range of outer slices ------------------------

ctypedef struct _Job:
    bint dbl
    const char* x
    const char* go
    char* y
    Py_ssize_t dim
    Py_ssize_t inner
    bint neg
    bint failed


cdef int _neg_forward(const floating* x, floating* y, Py_ssize_t outer,
                      Py_ssize_t dim, Py_ssize_t inner) noexcept nogil:
    """softmax(-x), one outer slice at a time through a negated copy (in cache)."""
    cdef Py_ssize_t o, n = dim * inner
    cdef floating* t = <floating*>malloc(<size_t>n * sizeof(floating))
    cdef Py_ssize_t i
    if t == NULL:
        return -1
    for o in range(outer):
        for i in range(n):
            t[i] = -x[o * n + i]
        _forward(t, y + o * n, 1, dim, inner)
    free(t)
    return 0


cdef int _neg_backward(const floating* x, const floating* go, floating* gi,
                       Py_ssize_t outer, Py_ssize_t dim, Py_ssize_t inner) noexcept nogil:
    """gradient of softmax(-x): minus softmax's gradient at -x."""
    cdef Py_ssize_t o, n = dim * inner
    cdef floating* t = <floating*>malloc(<size_t>n * sizeof(floating))
    cdef Py_ssize_t i
    if t == NULL:
        return -1
    for o in range(outer):
        for i in range(n):
            t[i] = -x[o * n + i]
        _backward(t, go + o * n, gi + o * n, 1, dim, inner)
        for i in range(n):
            gi[o * n + i] = -gi[o * n + i]
    free(t)
    return 0


cdef void _fwd_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t k = o0 * j.dim * j.inner, n = o1 - o0
    cdef int err = 0
    if j.dbl and j.neg:
        err = _neg_forward(<const double*>j.x + k, <double*>j.y + k, n, j.dim, j.inner)
    elif j.dbl:
        _forward(<const double*>j.x + k, <double*>j.y + k, n, j.dim, j.inner)
    elif j.neg:
        err = _neg_forward(<const float*>j.x + k, <float*>j.y + k, n, j.dim, j.inner)
    else:
        _forward(<const float*>j.x + k, <float*>j.y + k, n, j.dim, j.inner)
    if err:
        j.failed = True


cdef void _bwd_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t k = o0 * j.dim * j.inner, n = o1 - o0
    cdef int err = 0
    if j.dbl and j.neg:
        err = _neg_backward(<const double*>j.x + k, <const double*>j.go + k,
                            <double*>j.y + k, n, j.dim, j.inner)
    elif j.dbl:
        _backward(<const double*>j.x + k, <const double*>j.go + k, <double*>j.y + k,
                  n, j.dim, j.inner)
    elif j.neg:
        err = _neg_backward(<const float*>j.x + k, <const float*>j.go + k,
                            <float*>j.y + k, n, j.dim, j.inner)
    else:
        _backward(<const float*>j.x + k, <const float*>j.go + k, <float*>j.y + k,
                  n, j.dim, j.inner)
    if err:
        j.failed = True


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t dim,
                  Py_ssize_t inner, bint neg=False):
    """y = softmax(x) (softmax(-x) with neg: SoftMin) over dim of the (outer, dim, inner) view.

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
    j.neg = neg
    j.failed = False
    if dim == 0:
        return
    with nogil:
        parallel_for(_fwd_task, &j, outer, _slice_grain(dim * inner), 1)
    if j.failed:
        raise MemoryError()


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                      Py_ssize_t dim, Py_ssize_t inner, bint neg=False):
    """gi = y * (go - sum(go * y)), y = softmax(x) recomputed (with neg: the gradient
    of softmax(-x)); layout as update_output."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = <const char*>cnp.PyArray_DATA(go)
    j.y = <char*>cnp.PyArray_DATA(gi)
    j.dim = dim
    j.inner = inner
    j.neg = neg
    j.failed = False
    if dim == 0:
        return
    with nogil:
        parallel_for(_bwd_task, &j, outer, _slice_grain(dim * inner), 1)
    if j.failed:
        raise MemoryError()
