"""Sigmoid kernels: y = 1 / (1 + exp(-x)); gradInput = gradOutput * y * (1 - y).

The gradient recomputes the sigmoid from the input (pure: no saved output).
"""

cimport numpy as cnp
from libc.math cimport exp, expf

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef inline floating _sigmoid(floating v) noexcept nogil:
    if floating is float:
        return 1.0 / (1.0 + expf(-v))
    else:
        return 1.0 / (1.0 + exp(-v))


cdef void _forward(const floating* x, floating* y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = _sigmoid(x[i])


cdef void _backward(const floating* x, const floating* go, floating* gi,
                    Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating s
    for i in range(n):
        s = _sigmoid(x[i])
        gi[i] = go[i] * s * (1 - s)


def update_output(cnp.ndarray x, cnp.ndarray y):
    """y[:] = sigmoid(x). C-contiguous, same float dtype and size (caller checks)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, n)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, n)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi):
    """gi[:] = go * s * (1 - s), s = sigmoid(x)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, n)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, n)
