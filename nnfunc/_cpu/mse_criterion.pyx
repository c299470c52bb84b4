"""MSECriterion kernels: loss = norm * sum((x - t)^2); gi = 2 norm go (x - t).

``norm`` is 1/numel with sizeAverage, else 1 (the caller passes it). The
sum is carried in double in several independent lanes, for float32 too.
"""

cimport numpy as cnp

from nnfunc._cpu._blas cimport floating

cnp.import_array()

cdef enum:
    _LANES = 8


cdef double _sum_sq_diff(const floating* x, const floating* t, Py_ssize_t n) noexcept nogil:
    cdef double s[_LANES]
    cdef double v, r
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        s[k] = 0.0
    while i + _LANES <= n:
        for k in range(_LANES):
            v = <double>x[i + k] - <double>t[i + k]
            s[k] += v * v
        i += _LANES
    r = 0.0
    for k in range(_LANES):
        r += s[k]
    while i < n:
        v = <double>x[i] - <double>t[i]
        r += v * v
        i += 1
    return r


cdef void _grad(const floating* x, const floating* t, floating* gi, floating c,
                Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        gi[i] = c * (x[i] - t[i])


def update_output(cnp.ndarray x, cnp.ndarray t, cnp.ndarray y, double norm):
    """y[()] = norm * sum((x - t)^2). x, t C-contiguous, same dtype and size; y 0-d."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pt = cnp.PyArray_DATA(t)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef double s
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            s = _sum_sq_diff(<const float*>px, <const float*>pt, n)
            (<float*>py)[0] = <float>(s * norm)
    else:
        with nogil:
            s = _sum_sq_diff(<const double*>px, <const double*>pt, n)
            (<double*>py)[0] = s * norm


def update_grad_input(cnp.ndarray x, cnp.ndarray t, cnp.ndarray gi, double coef):
    """gi = coef * (x - t), coef = 2 * norm * gradOutput. All C-contiguous, same size."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pt = cnp.PyArray_DATA(t)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _grad(<const float*>px, <const float*>pt, <float*>pgi, <float>coef, n)
    else:
        with nogil:
            _grad(<const double*>px, <const double*>pt, <double*>pgi, coef, n)
