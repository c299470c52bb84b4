"""CrossEntropyCriterion kernels: ClassNLL of LogSoftMax over the rows of (n, nc).

loss = -sum_n w[t_n] logsoftmax(x_n)[t_n] [/ sum_n w[t_n]], with
logsoftmax(x)[c] = (x[c] - max) - log(sum(exp(x - max))). Gradient, recomputed
from the input: gi_n = g w[t_n] (softmax(x_n) - onehot(t_n)), g = gradOutput
[/ total weight]; rows whose target is ``ignore`` are zero and never read.
Targets arrive validated (in [0, nc) or ``ignore``). The row reductions and
the exp map are the vectorised ones of _softmax.pxd; ``e`` is an nc-element
scratch row (forward only: the gradient uses gi itself).
"""

cimport numpy as cnp
from libc.math cimport log
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._softmax cimport _row_exp, _row_max

cnp.import_array()


cdef double _total_weight(const int64_t* t, const floating* w, Py_ssize_t n,
                          int64_t ignore) noexcept nogil:
    cdef Py_ssize_t i
    cdef double tw = 0.0
    for i in range(n):
        if t[i] != ignore:
            tw += w[t[i]] if w != NULL else 1.0
    return tw


cdef void _forward(const floating* x, const int64_t* t, const floating* w, floating* e,
                   floating* y, Py_ssize_t n, Py_ssize_t nc, int64_t ignore,
                   bint size_average) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double s = 0.0, tw = 0.0, wc, lse
    cdef floating mx
    cdef const floating* xo
    for i in range(n):
        c = t[i]
        if c == ignore:
            continue
        wc = w[c] if w != NULL else 1.0
        xo = x + i * nc
        mx = _row_max(xo, nc)
        lse = log(_row_exp(xo, mx, e, nc))
        s -= wc * ((<double>xo[c] - mx) - lse)
        tw += wc
    # an empty mean (tw == 0) is 0/0 = NaN, as PyTorch
    y[0] = <floating>(s / tw if size_average else s)


cdef void _backward(const floating* x, const int64_t* t, const floating* w, floating* gi,
                    Py_ssize_t n, Py_ssize_t nc, int64_t ignore, bint size_average,
                    double go) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef int64_t c
    cdef double g = go, gc
    cdef floating mx, r
    cdef const floating* xo
    cdef floating* gio
    if size_average:
        g = g / _total_weight(t, w, n, ignore)
    for i in range(n):
        c = t[i]
        gio = gi + i * nc
        if c == ignore:
            memset(gio, 0, <size_t>nc * sizeof(floating))
            continue
        gc = g * (w[c] if w != NULL else 1.0)
        xo = x + i * nc
        mx = _row_max(xo, nc)
        r = <floating>(gc / _row_exp(xo, mx, gio, nc))    # gio holds exp(x - max)
        for j in range(nc):
            gio[j] = gio[j] * r
        gio[c] = <floating>(gio[c] - gc)


def update_output(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray e, cnp.ndarray y,
                  Py_ssize_t n, Py_ssize_t nc, int64_t ignore, bint size_average):
    """y[()] = the loss. x (n, nc) C-contiguous; t (n,) int64 validated; w (nc,) or
    None; e: scratch of nc elements of x's dtype."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* pe = cnp.PyArray_DATA(e)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, pt, <const float*>pw, <float*>pe, <float*>py, n, nc,
                     ignore, size_average)
    else:
        with nogil:
            _forward(<const double*>px, pt, <const double*>pw, <double*>pe, <double*>py, n,
                     nc, ignore, size_average)


def update_grad_input(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray gi, Py_ssize_t n,
                      Py_ssize_t nc, int64_t ignore, bint size_average, double go):
    """gi (n, nc) = go w[t] (softmax(x) - onehot(t)) [/ total weight]; as update_output."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, pt, <const float*>pw, <float*>pgi, n, nc, ignore,
                      size_average, go)
    else:
        with nogil:
            _backward(<const double*>px, pt, <const double*>pw, <double*>pgi, n, nc, ignore,
                      size_average, go)
