"""CrossEntropyCriterion kernels: ClassNLL of LogSoftMax over the rows of (n, nc).

loss = -sum_n w[t_n] logsoftmax(x_n)[t_n] [/ sum_n w[t_n]], with
logsoftmax(x)[c] = (x[c] - max) - log(sum(exp(x - max))). Gradient, recomputed
from the input: gi_n = g w[t_n] (softmax(x_n) - onehot(t_n)), g = gradOutput
[/ total weight]; rows whose target is ``ignore`` are zero and never read.
Targets arrive validated (in [0, nc) or ``ignore``). The row reductions and
the exp map are the vectorised ones of _softmax.pxd; the forward's exp goes to an
nc-element scratch row per thread (the gradient uses gi itself). Large inputs
are split by rows over the thread pool; the forward keeps one loss term per row
and adds them in row order, so the result does not depend on the split.
"""

cimport numpy as cnp
from libc.math cimport log
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for
from nnfunc._cpu._softmax cimport _row_exp, _row_max, _row_scale

cnp.import_array()


cdef double _total_weight(const int64_t* t, const floating* w, Py_ssize_t n,
                          int64_t ignore) noexcept nogil:
    cdef Py_ssize_t i
    cdef double tw = 0.0
    for i in range(n):
        if t[i] != ignore:
            tw += w[t[i]] if w != NULL else 1.0
    return tw


cdef void _forward_rows(const floating* x, const int64_t* t, const floating* w, floating* e,
                        double* terms, Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t nc,
                        int64_t ignore) noexcept nogil:
    """terms[i] = -w[t_i] logsoftmax(x_i)[t_i] for rows i0 <= i < i1 (unused where
    t_i is ignored); e: an nc-element scratch row."""
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double wc, lse
    cdef floating mx
    cdef const floating* xo
    for i in range(i0, i1):
        c = t[i]
        if c == ignore:
            continue
        wc = w[c] if w != NULL else 1.0
        xo = x + i * nc
        mx = _row_max(xo, nc)
        lse = log(_row_exp(xo, mx, e, nc))
        terms[i] = wc * ((<double>xo[c] - mx) - lse)


cdef void _backward_rows(const floating* x, const int64_t* t, const floating* w,
                         floating* gi, Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t nc,
                         int64_t ignore, double g) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef int64_t c
    cdef double gc
    cdef floating mx, r
    cdef const floating* xo
    cdef floating* gio
    for i in range(i0, i1):
        c = t[i]
        gio = gi + i * nc
        if c == ignore:
            memset(gio, 0, <size_t>nc * sizeof(floating))
            continue
        gc = g * (w[c] if w != NULL else 1.0)
        xo = x + i * nc
        mx = _row_max(xo, nc)
        r = <floating>(gc / _row_exp(xo, mx, gio, nc))    # gio holds exp(x - max)
        _row_scale(gio, r, nc)
        gio[c] = <floating>(gio[c] - gc)


# -- the thread pool: a task is a range of rows; the forward keeps one term per
# row and adds them in row order afterwards (the same bits for any split)

ctypedef struct _Job:
    bint dbl
    const char* x
    const int64_t* t
    const char* w
    char* out
    double* terms
    Py_ssize_t nc
    int64_t ignore
    double g
    bint failed


cdef void _fwd_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef void* e = malloc(<size_t>j.nc * (sizeof(double) if j.dbl else sizeof(float)))
    if e == NULL:
        j.failed = True
        return
    if j.dbl:
        _forward_rows(<const double*>j.x, j.t, <const double*>j.w, <double*>e, j.terms,
                      i0, i1, j.nc, j.ignore)
    else:
        _forward_rows(<const float*>j.x, j.t, <const float*>j.w, <float*>e, j.terms,
                      i0, i1, j.nc, j.ignore)
    free(e)


cdef void _bwd_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        _backward_rows(<const double*>j.x, j.t, <const double*>j.w, <double*>j.out,
                       i0, i1, j.nc, j.ignore, j.g)
    else:
        _backward_rows(<const float*>j.x, j.t, <const float*>j.w, <float*>j.out,
                       i0, i1, j.nc, j.ignore, j.g)


cdef inline Py_ssize_t _grain(Py_ssize_t nc) noexcept nogil:
    """rows per thread-pool part: about 32K elements (128x1000 is split in two)"""
    return max(<Py_ssize_t>1, <Py_ssize_t>32768 // max(<Py_ssize_t>1, nc))


def update_output(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray y, Py_ssize_t n,
                  Py_ssize_t nc, int64_t ignore, bint size_average):
    """y[()] = the loss. x (n, nc) C-contiguous; t (n,) int64 validated; w (nc,) or
    None. Large inputs are split over the thread pool by rows."""
    cdef _Job j
    cdef Py_ssize_t i
    cdef double s = 0.0, tw = 0.0, wc, r
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.t = <const int64_t*>cnp.PyArray_DATA(t)
    j.w = NULL
    if w is not None:
        j.w = <const char*>cnp.PyArray_DATA(<cnp.ndarray>w)
    j.nc = nc
    j.ignore = ignore
    j.failed = False
    j.terms = <double*>malloc(<size_t>max(n, <Py_ssize_t>1) * sizeof(double))
    if j.terms == NULL:
        raise MemoryError()
    with nogil:
        if nc > 0:
            parallel_for(_fwd_task, &j, n, _grain(nc), 1)
        for i in range(n):
            if j.t[i] == ignore:
                continue
            if j.w == NULL:
                wc = 1.0
            elif j.dbl:
                wc = (<const double*>j.w)[j.t[i]]
            else:
                wc = (<const float*>j.w)[j.t[i]]
            s -= j.terms[i]
            tw += wc
    free(j.terms)
    if j.failed:
        raise MemoryError()
    # an empty mean (tw == 0) is 0/0 = NaN, as PyTorch
    r = s / tw if size_average else s
    if j.dbl:
        (<double*>cnp.PyArray_DATA(y))[0] = r
    else:
        (<float*>cnp.PyArray_DATA(y))[0] = <float>r


def update_grad_input(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray gi, Py_ssize_t n,
                      Py_ssize_t nc, int64_t ignore, bint size_average, double go):
    """gi (n, nc) = go w[t] (softmax(x) - onehot(t)) [/ total weight]; as update_output."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.t = <const int64_t*>cnp.PyArray_DATA(t)
    j.w = NULL
    if w is not None:
        j.w = <const char*>cnp.PyArray_DATA(<cnp.ndarray>w)
    j.out = <char*>cnp.PyArray_DATA(gi)
    j.nc = nc
    j.ignore = ignore
    j.g = go
    with nogil:
        if size_average:
            if j.dbl:
                j.g = go / _total_weight(j.t, <const double*>j.w, n, ignore)
            else:
                j.g = go / _total_weight(j.t, <const float*>j.w, n, ignore)
        parallel_for(_bwd_task, &j, n, _grain(nc), 1)
