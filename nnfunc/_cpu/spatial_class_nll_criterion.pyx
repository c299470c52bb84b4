"""SpatialClassNLLCriterion kernels: ClassNLL at every pixel of (n, nc, hw).

loss = -sum_{i,p} w[t_ip] x[i, t_ip, p] [/ sum_{i,p} w[t_ip]] over the
pixels whose target is not ``ignore``. Targets arrive validated, C-contiguous
int64 (n, hw). Only the picked input elements are read; the gradient is
-w[t] go [/ total weight] at those places and zero elsewhere (one memset).
"""

cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef void _sums(const floating* x, const int64_t* t, const floating* w, Py_ssize_t n,
                Py_ssize_t nc, Py_ssize_t hw, int64_t ignore, double* s,
                double* tw) noexcept nogil:
    """s = -sum w[t] x[t] (skipped when x is NULL), tw = sum w[t]."""
    cdef Py_ssize_t i, p
    cdef int64_t c
    cdef double wc, a = 0.0, b = 0.0
    cdef const int64_t* ti
    for i in range(n):
        ti = t + i * hw
        for p in range(hw):
            c = ti[p]
            if c != ignore:
                wc = w[c] if w != NULL else 1.0
                if x != NULL:
                    a -= wc * x[(i * nc + c) * hw + p]
                b += wc
    s[0] = a
    tw[0] = b


def update_output(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray y, Py_ssize_t n,
                  Py_ssize_t nc, Py_ssize_t hw, int64_t ignore, bint size_average):
    """y[()] = the loss. x (n, nc, hw) C-contiguous; t (n, hw) int64 validated."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef double s, tw
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _sums(<const float*>px, pt, <const float*>pw, n, nc, hw, ignore, &s, &tw)
            # an empty mean (tw == 0) is 0/0 = NaN, as PyTorch
            (<float*>py)[0] = <float>(s / tw if size_average else s)
    else:
        with nogil:
            _sums(<const double*>px, pt, <const double*>pw, n, nc, hw, ignore, &s, &tw)
            (<double*>py)[0] = s / tw if size_average else s


cdef void _backward(const int64_t* t, const floating* w, floating* gi, Py_ssize_t n,
                    Py_ssize_t nc, Py_ssize_t hw, int64_t ignore, bint size_average,
                    double go) noexcept nogil:
    cdef Py_ssize_t i, p
    cdef int64_t c
    cdef double coef = -go, s, tw
    cdef const int64_t* ti
    memset(gi, 0, <size_t>(n * nc * hw) * sizeof(floating))
    if size_average:
        _sums(<const floating*>NULL, t, w, n, nc, hw, ignore, &s, &tw)
        coef = coef / tw
    for i in range(n):
        ti = t + i * hw
        for p in range(hw):
            c = ti[p]
            if c != ignore:
                gi[(i * nc + c) * hw + p] = <floating>((w[c] if w != NULL else 1.0) * coef)


def update_grad_input(cnp.ndarray t, w, cnp.ndarray gi, Py_ssize_t n, Py_ssize_t nc,
                      Py_ssize_t hw, int64_t ignore, bint size_average, double go):
    """gi (n, nc, hw) = 0 except -w[t] go [/ total weight] at the targets."""
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(gi) == cnp.NPY_FLOAT:
        with nogil:
            _backward(pt, <const float*>pw, <float*>pgi, n, nc, hw, ignore, size_average, go)
    else:
        with nogil:
            _backward(pt, <const double*>pw, <double*>pgi, n, nc, hw, ignore, size_average, go)
