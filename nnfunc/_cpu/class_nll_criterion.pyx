"""ClassNLLCriterion kernels: loss = -sum_n w[t_n] x[n, t_n] [/ sum_n w[t_n]].

Targets arrive as validated, C-contiguous int64 class indices (each in
[0, C) or equal to ``ignore_index``; the caller checks). ``w`` is NULL
(None) for unit weights. Sums are carried in double. Only the N picked
input elements are read; the gradient is zero except at those places.
"""

cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef double _total_weight(const int64_t* t, const floating* w, Py_ssize_t n,
                          int64_t ignore) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double tw = 0.0
    for i in range(n):
        c = t[i]
        if c != ignore:
            tw += w[c] if w != NULL else 1.0
    return tw


cdef void _forward(const floating* x, const int64_t* t, const floating* w, floating* y,
                   Py_ssize_t n, Py_ssize_t nc, int64_t ignore,
                   bint size_average) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double s = 0.0, tw = 0.0, wc
    for i in range(n):
        c = t[i]
        if c != ignore:
            wc = w[c] if w != NULL else 1.0
            s -= wc * x[i * nc + c]
            tw += wc
    # an empty mean (tw == 0) is 0/0 = NaN, as PyTorch
    y[0] = <floating>(s / tw if size_average else s)


cdef void _backward(const int64_t* t, const floating* w, floating* gi, Py_ssize_t n,
                    Py_ssize_t nc, int64_t ignore, bint size_average,
                    double go) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double coef = -go
    memset(gi, 0, <size_t>(n * nc) * sizeof(floating))
    if size_average:
        coef = coef / _total_weight(t, w, n, ignore)
    for i in range(n):
        c = t[i]
        if c != ignore:
            gi[i * nc + c] = <floating>((w[c] if w != NULL else 1.0) * coef)


def update_output(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray y, Py_ssize_t n,
                  Py_ssize_t nc, int64_t ignore, bint size_average):
    """y[()] = the loss. x (n, nc) C-contiguous; t (n,) int64 validated; w (nc,) or None."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, pt, <const float*>pw, <float*>py, n, nc, ignore,
                     size_average)
    else:
        with nogil:
            _forward(<const double*>px, pt, <const double*>pw, <double*>py, n, nc, ignore,
                     size_average)


def update_grad_input(cnp.ndarray t, w, cnp.ndarray gi, Py_ssize_t n, Py_ssize_t nc,
                      int64_t ignore, bint size_average, double go):
    """gi (n, nc) = 0 except gi[i, t_i] = -w[t_i] go [/ total weight]; t, w as update_output."""
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(gi) == cnp.NPY_FLOAT:
        with nogil:
            _backward(pt, <const float*>pw, <float*>pgi, n, nc, ignore, size_average, go)
    else:
        with nogil:
            _backward(pt, <const double*>pw, <double*>pgi, n, nc, ignore, size_average, go)
