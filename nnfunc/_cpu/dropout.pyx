"""Dropout-family kernels: a mask applied in one pass over the data.

The data is seen as ``(outer, inner)``: one mask value per row (``inner``
= H*W for SpatialDropout, T*H*W for VolumetricDropout, 1 for Dropout,
whose mask has the input's shape).

    apply(x, m, y, inner)                 y[o, i] = x[o, i] * m[o]
    draw_apply(u, x, m, y, q, s, inner)   m[o] = s if u[o] < q else 0, then apply
    scale(x, y, c)                        y = c * x  (c == 1: a copy)

``u`` holds float64 uniforms in [0, 1) drawn by NumPy from the seed (the
same draw as the generic path, so one seed gives one mask on every
backend); ``q = 1 - p`` is the keep probability and ``s`` the kept value
(``1/(1-p)`` for Dropout v2, 1 otherwise). ``apply`` serves the forward
(x = input) and the gradient (x = gradOutput) alike. All arrays are
C-contiguous and of one float dtype (``u`` float64); the frontend and the
module check the sizes. ``apply`` and ``scale`` split large arrays over the
thread pool (maps: the same bits for any split); ``draw_apply`` is called
by the module on chunks of about 64K values and stays on the caller.
"""

cimport numpy as cnp
from libc.string cimport memcpy

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for

cnp.import_array()


cdef void _apply(const floating* x, const floating* m, floating* y, Py_ssize_t outer,
                 Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, i
    cdef floating v
    if inner == 1:
        for o in range(outer):
            y[o] = x[o] * m[o]
        return
    for o in range(outer):
        v = m[o]
        for i in range(inner):
            y[o * inner + i] = x[o * inner + i] * v


cdef void _draw_apply(const double* u, const floating* x, floating* m, floating* y,
                      double q, floating s, Py_ssize_t outer, Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, i
    cdef floating v
    cdef floating zero = 0
    if inner == 1:
        for o in range(outer):
            v = s if u[o] < q else zero
            m[o] = v
            y[o] = x[o] * v
        return
    for o in range(outer):
        v = s if u[o] < q else zero
        m[o] = v
        for i in range(inner):
            y[o * inner + i] = x[o * inner + i] * v


cdef void _scale(const floating* x, floating* y, Py_ssize_t n, floating c) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = c * x[i]


# -- the thread pool: a task is a range of mask rows (apply) or of elements (scale)
#: elements per pool part (the pointwise kernels' grain)
cdef Py_ssize_t _GRAIN = 32768

ctypedef struct _Job:
    bint dbl
    const char* x
    const char* m
    char* y
    Py_ssize_t inner
    double c


cdef void _apply_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t k = o0 * j.inner
    if j.dbl:
        _apply(<const double*>j.x + k, <const double*>j.m + o0, <double*>j.y + k, o1 - o0,
               j.inner)
    else:
        _apply(<const float*>j.x + k, <const float*>j.m + o0, <float*>j.y + k, o1 - o0,
               j.inner)


cdef void _scale_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        _scale(<const double*>j.x + i0, <double*>j.y + i0, i1 - i0, j.c)
    else:
        _scale(<const float*>j.x + i0, <float*>j.y + i0, i1 - i0, <float>j.c)


def apply(cnp.ndarray x, cnp.ndarray m, cnp.ndarray y, Py_ssize_t inner):
    """y[o, i] = x[o, i] * m[o] with ``outer = m.size``."""
    cdef Py_ssize_t outer = cnp.PyArray_SIZE(m)
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.m = <const char*>cnp.PyArray_DATA(m)
    j.y = <char*>cnp.PyArray_DATA(y)
    j.inner = inner
    with nogil:
        parallel_for(_apply_task, &j, outer, max(<Py_ssize_t>1, _GRAIN // max(inner, 1)),
                     16 if inner == 1 else 1)


def draw_apply(cnp.ndarray u, cnp.ndarray x, cnp.ndarray m, cnp.ndarray y, double q, double s,
               Py_ssize_t inner):
    """m[o] = s if u[o] < q else 0; y[o, i] = x[o, i] * m[o] (``outer = u.size``)."""
    cdef Py_ssize_t outer = cnp.PyArray_SIZE(u)
    cdef const double* pu = <const double*>cnp.PyArray_DATA(u)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pm = cnp.PyArray_DATA(m)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _draw_apply(pu, <const float*>px, <float*>pm, <float*>py, q, <float>s, outer, inner)
    else:
        with nogil:
            _draw_apply(pu, <const double*>px, <double*>pm, <double*>py, q, s, outer, inner)


def scale(cnp.ndarray x, cnp.ndarray y, double c):
    """y = c * x (a plain copy when c == 1)."""
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef size_t nbytes = <size_t>cnp.PyArray_NBYTES(x)
    cdef _Job j
    if c == 1.0:
        with nogil:
            if n > 0:
                memcpy(py, px, nbytes)
        return
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>px
    j.y = <char*>py
    j.c = c
    with nogil:
        parallel_for(_scale_task, &j, n, _GRAIN, 16)
