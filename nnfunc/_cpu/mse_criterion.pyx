"""MSECriterion kernels: loss = norm * sum((x - t)^2); gi = 2 norm go (x - t).

``norm`` is 1/numel with sizeAverage, else 1 (the caller passes it). The
sum is carried in double, for float32 too (the differences and squares as
well), in vector lanes (``nnf_mse_sum_*`` in _criterion.h). Large inputs
are split over the thread pool: the loss as partial sums of fixed blocks
of ``_BLOCK`` elements added in block order afterwards, so the bits do not
depend on the number of threads; the gradient by element ranges.
"""

cimport numpy as cnp
from libc.stdlib cimport free, malloc

from nnfunc._cpu._parallel cimport parallel_for

cnp.import_array()

cdef extern from "_criterion.h" nogil:
    double nnf_mse_sum_f(const float* x, const float* t, Py_ssize_t n) noexcept
    double nnf_mse_sum_d(const double* x, const double* t, Py_ssize_t n) noexcept
    void nnf_mse_grad_f(const float* x, const float* t, float* gi, float c,
                        Py_ssize_t n) noexcept
    void nnf_mse_grad_d(const double* x, const double* t, double* gi, double c,
                        Py_ssize_t n) noexcept

cdef enum:
    _BLOCK = 16384      # elements per partial sum of the loss
    _GRAIN = 32768      # elements per pool part of the gradient


ctypedef struct _Job:
    bint dbl
    const char* x
    const char* t
    char* out           # the loss: double partials, one per block; the gradient: gi
    Py_ssize_t n
    double c


cdef void _sum_task(void* ctx, Py_ssize_t b0, Py_ssize_t b1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef double* part = <double*>j.out
    cdef Py_ssize_t b, i, m
    for b in range(b0, b1):
        i = b * _BLOCK
        m = min(<Py_ssize_t>_BLOCK, j.n - i)
        if j.dbl:
            part[b] = nnf_mse_sum_d(<const double*>j.x + i, <const double*>j.t + i, m)
        else:
            part[b] = nnf_mse_sum_f(<const float*>j.x + i, <const float*>j.t + i, m)


cdef void _grad_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        nnf_mse_grad_d(<const double*>j.x + i0, <const double*>j.t + i0,
                       <double*>j.out + i0, j.c, i1 - i0)
    else:
        nnf_mse_grad_f(<const float*>j.x + i0, <const float*>j.t + i0,
                       <float*>j.out + i0, <float>j.c, i1 - i0)


def update_output(cnp.ndarray x, cnp.ndarray t, cnp.ndarray y, double norm):
    """y[()] = norm * sum((x - t)^2). x, t C-contiguous, same dtype and size; y 0-d."""
    cdef _Job j
    cdef Py_ssize_t nb, b
    cdef double s = 0.0
    cdef double one[1]
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.t = <const char*>cnp.PyArray_DATA(t)
    j.n = cnp.PyArray_SIZE(x)
    nb = (j.n + _BLOCK - 1) // _BLOCK
    if nb <= 1:
        j.out = <char*>one
        one[0] = 0.0
    else:
        j.out = <char*>malloc(<size_t>nb * sizeof(double))
        if j.out == NULL:
            raise MemoryError()
    with nogil:
        if nb == 1:
            _sum_task(&j, 0, 1)
        elif nb > 1:
            parallel_for(_sum_task, &j, nb, _GRAIN // _BLOCK, 1)
        for b in range(nb):
            s += (<double*>j.out)[b]
    if nb > 1:
        free(j.out)
    if j.dbl:
        (<double*>cnp.PyArray_DATA(y))[0] = s * norm
    else:
        (<float*>cnp.PyArray_DATA(y))[0] = <float>(s * norm)


def update_grad_input(cnp.ndarray x, cnp.ndarray t, cnp.ndarray gi, double coef):
    """gi = coef * (x - t), coef = 2 * norm * gradOutput. All C-contiguous, same size."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.t = <const char*>cnp.PyArray_DATA(t)
    j.out = <char*>cnp.PyArray_DATA(gi)
    j.n = cnp.PyArray_SIZE(x)
    j.c = coef
    with nogil:
        parallel_for(_grad_task, &j, j.n, _GRAIN, 16)
