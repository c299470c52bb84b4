"""MarginRankingCriterion kernels: loss = norm * sum max(0, a - y (x1 - x2));
gradInput = [-g, g], g = y * coef where a - y (x1 - x2) >= 0, else 0.

One pass over x1, x2, y per phase; sums in double. Every array C-contiguous,
same dtype and size (the caller checks).
"""

cimport numpy as cnp

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef enum:
    _LANES = 8


cdef double _forward(const floating* x1, const floating* x2, const floating* y,
                     Py_ssize_t n, double a) noexcept nogil:
    # independent lanes: the additions do not wait on each other (and vectorise)
    cdef double s[_LANES]
    cdef double h, r = 0.0
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        s[k] = 0.0
    while i + _LANES <= n:
        for k in range(_LANES):
            h = a - <double>y[i + k] * (<double>x1[i + k] - <double>x2[i + k])
            s[k] += h if h > 0.0 else 0.0
        i += _LANES
    for k in range(_LANES):
        r += s[k]
    while i < n:
        h = a - <double>y[i] * (<double>x1[i] - <double>x2[i])
        r += h if h > 0.0 else 0.0
        i += 1
    return r


cdef void _backward(const floating* x1, const floating* x2, const floating* y,
                    floating* g1, floating* g2, Py_ssize_t n, floating a,
                    floating coef) noexcept nogil:
    # a select, not a branch (random signs would mispredict); built with
    # -fno-trapping-math so GCC if-converts and vectorises it
    cdef Py_ssize_t i
    cdef floating g, h
    for i in range(n):
        g = y[i] * coef
        h = a - y[i] * (x1[i] - x2[i])
        g = g if h >= 0 else 0
        g1[i] = -g
        g2[i] = g


def update_output(cnp.ndarray x1, cnp.ndarray x2, cnp.ndarray y, cnp.ndarray out,
                  double a, double norm):
    """out[()] = norm * sum(max(0, a - y (x1 - x2)))."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x1)
    cdef void* p1 = cnp.PyArray_DATA(x1)
    cdef void* p2 = cnp.PyArray_DATA(x2)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* po = cnp.PyArray_DATA(out)
    cdef double s
    if cnp.PyArray_TYPE(x1) == cnp.NPY_FLOAT:
        with nogil:
            s = _forward(<const float*>p1, <const float*>p2, <const float*>py, n, a)
            (<float*>po)[0] = <float>(s * norm)
    else:
        with nogil:
            s = _forward(<const double*>p1, <const double*>p2, <const double*>py, n, a)
            (<double*>po)[0] = s * norm


def update_grad_input(cnp.ndarray x1, cnp.ndarray x2, cnp.ndarray y, cnp.ndarray g1,
                      cnp.ndarray g2, double a, double coef):
    """g2 = -g1 = y coef where a - y (x1 - x2) >= 0, else 0 (coef = norm * gradOutput)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x1)
    cdef void* p1 = cnp.PyArray_DATA(x1)
    cdef void* p2 = cnp.PyArray_DATA(x2)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* q1 = cnp.PyArray_DATA(g1)
    cdef void* q2 = cnp.PyArray_DATA(g2)
    if cnp.PyArray_TYPE(x1) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>p1, <const float*>p2, <const float*>py, <float*>q1,
                      <float*>q2, n, <float>a, <float>coef)
    else:
        with nogil:
            _backward(<const double*>p1, <const double*>p2, <const double*>py, <double*>q1,
                      <double*>q2, n, a, coef)
