"""MultiMarginCriterion kernels: multi-class hinge loss over the rows of (n, nc).

For row i with target c: z_j = margin - x[c] + x[j] for j != c;
loss = sum_i sum_{j != c, z_j > 0} w[c] z_j^p / nc [/ n]. Gradient:
gi[j] = g w[c] (1 or 2 z_j) where z_j > 0, gi[c] = -sum of those, with
g = gradOutput / nc [/ n]. Targets arrive validated (in [0, nc)).
"""

cimport numpy as cnp
from libc.stdint cimport int64_t

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef extern from "_criterion.h" nogil:
    double nnf_mm_terms_f(const float* x, Py_ssize_t n, double a, int p) noexcept
    double nnf_mm_terms_d(const double* x, Py_ssize_t n, double a, int p) noexcept
    double nnf_mm_grads_f(const float* x, float* gi, Py_ssize_t n, double a, int p,
                          double gc) noexcept
    double nnf_mm_grads_d(const double* x, double* gi, Py_ssize_t n, double a, int p,
                          double gc) noexcept


cdef inline double _row_terms(const floating* xo, Py_ssize_t lo, Py_ssize_t hi, double xc,
                              int p) noexcept nogil:
    """sum over j in [lo, hi) of max(0, xc + x[j])^p (vector lanes, _criterion.h)."""
    if floating is float:
        return nnf_mm_terms_f(xo + lo, hi - lo, xc, p)
    else:
        return nnf_mm_terms_d(xo + lo, hi - lo, xc, p)


cdef double _forward(const floating* x, const int64_t* t, const floating* w, Py_ssize_t n,
                     Py_ssize_t nc, int p, double margin) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double s = 0.0, xc
    cdef const floating* xo
    for i in range(n):
        c = t[i]
        xo = x + i * nc
        xc = margin - <double>xo[c]
        s += ((_row_terms(xo, 0, c, xc, p) + _row_terms(xo, c + 1, nc, xc, p))
              * (w[c] if w != NULL else 1.0))
    return s


cdef inline double _row_grads(const floating* xo, floating* gio, Py_ssize_t lo, Py_ssize_t hi,
                              double xc, int p, double gc) noexcept nogil:
    """gi[j] = d/dx[j] of gc max(0, xc + x[j])^p for j in [lo, hi); returns their sum."""
    if floating is float:
        return nnf_mm_grads_f(xo + lo, gio + lo, hi - lo, xc, p, gc)
    else:
        return nnf_mm_grads_d(xo + lo, gio + lo, hi - lo, xc, p, gc)


cdef void _backward(const floating* x, const int64_t* t, const floating* w, floating* gi,
                    Py_ssize_t n, Py_ssize_t nc, int p, double margin, double g) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t c
    cdef double gc, xc, tot
    cdef const floating* xo
    cdef floating* gio
    for i in range(n):
        c = t[i]
        xo = x + i * nc
        gio = gi + i * nc
        gc = g * (w[c] if w != NULL else 1.0)
        xc = margin - <double>xo[c]
        tot = _row_grads(xo, gio, 0, c, xc, p, gc) + _row_grads(xo, gio, c + 1, nc, xc, p, gc)
        gio[c] = <floating>(-tot)


def update_output(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray y, Py_ssize_t n,
                  Py_ssize_t nc, int p, double margin, double norm):
    """y[()] = norm * sum of the hinge terms (norm = 1/nc [/ n]). x (n, nc)
    C-contiguous; t (n,) int64 in [0, nc); w (nc,) or None."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef double s
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            s = _forward(<const float*>px, pt, <const float*>pw, n, nc, p, margin)
            (<float*>py)[0] = <float>(s * norm)
    else:
        with nogil:
            s = _forward(<const double*>px, pt, <const double*>pw, n, nc, p, margin)
            (<double*>py)[0] = s * norm


def update_grad_input(cnp.ndarray x, cnp.ndarray t, w, cnp.ndarray gi, Py_ssize_t n,
                      Py_ssize_t nc, int p, double margin, double g):
    """gi (n, nc): the gradient times g = norm * gradOutput; as update_output."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef const int64_t* pt = <const int64_t*>cnp.PyArray_DATA(t)
    cdef void* pw = NULL if w is None else cnp.PyArray_DATA(<cnp.ndarray>w)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, pt, <const float*>pw, <float*>pgi, n, nc, p, margin, g)
    else:
        with nogil:
            _backward(<const double*>px, pt, <const double*>pw, <double*>pgi, n, nc, p,
                      margin, g)
