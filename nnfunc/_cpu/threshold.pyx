"""Threshold kernels (also ReLU): y = x if x > th else v; gradInput = gradOutput where x > th.

NaN input: ``x > th`` is false, so y = v and the gradient is 0 (as Torch7's C kernel).
"""

cimport numpy as cnp

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef void _forward(const floating* x, floating* y, Py_ssize_t n,
                   floating th, floating v) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = x[i] if x[i] > th else v


cdef void _backward(const floating* x, const floating* go, floating* gi,
                    Py_ssize_t n, floating th) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating g
    for i in range(n):
        g = go[i]    # an unconditional load lets the compiler vectorise the select
        gi[i] = g if x[i] > th else 0


def update_output(cnp.ndarray x, cnp.ndarray y, double th, double v):
    """y[:] = where(x > th, x, v). C-contiguous, same dtype and size."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, n, <float>th, <float>v)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, n, th, v)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, double th, double v):
    """gi[:] = where(x > th, go, 0)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, n, <float>th)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, n, th)
