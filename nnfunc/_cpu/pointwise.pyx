"""Pointwise transfer-function kernels, one table for all of them.

The ops and their one-line formulas are listed in ``_pointwise.h``
(NNF_OPS); each expands to vectorised float and double loops. This module
dispatches through the tables of function pointers by op name:

    update_output(op, x, y, a, b)             y[:] = f(x; a, b)
    update_grad_input(op, x, go, gi, a, b)    gi[:] = f'(x; a, b) * go

``a`` and ``b`` are the op's real options (unused ones are ignored). All
arrays C-contiguous, same float dtype and size (the frontend checks). The
gradient recomputes what it needs from x (pure).
"""

cimport numpy as cnp

cnp.import_array()

cdef extern from "_pointwise.h" nogil:
    ctypedef void (*nnf_fwd_f_t)(const float*, float*, Py_ssize_t, float, float) noexcept
    ctypedef void (*nnf_fwd_d_t)(const double*, double*, Py_ssize_t, double, double) noexcept
    ctypedef void (*nnf_bwd_f_t)(const float*, const float*, float*, Py_ssize_t,
                                 float, float) noexcept
    ctypedef void (*nnf_bwd_d_t)(const double*, const double*, double*, Py_ssize_t,
                                 double, double) noexcept
    int NNF_NOPS
    const char* nnf_op_names[1]
    nnf_fwd_f_t nnf_fwd_f[1]
    nnf_fwd_d_t nnf_fwd_d[1]
    nnf_bwd_f_t nnf_bwd_f[1]
    nnf_bwd_d_t nnf_bwd_d[1]

#: op name -> index in the tables
OPS = {nnf_op_names[i].decode(): i for i in range(NNF_NOPS)}


def update_output(str op, cnp.ndarray x, cnp.ndarray y, double a, double b):
    """y[:] = op(x; a, b)."""
    cdef int k = OPS[op]
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef nnf_fwd_f_t ff
    cdef nnf_fwd_d_t fd
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        ff = nnf_fwd_f[k]
        with nogil:
            ff(<const float*>px, <float*>py, n, <float>a, <float>b)
    else:
        fd = nnf_fwd_d[k]
        with nogil:
            fd(<const double*>px, <double*>py, n, a, b)


def update_grad_input(str op, cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi,
                      double a, double b):
    """gi[:] = d op(x; a, b) / dx * go."""
    cdef int k = OPS[op]
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef nnf_bwd_f_t bf
    cdef nnf_bwd_d_t bd
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        bf = nnf_bwd_f[k]
        with nogil:
            bf(<const float*>px, <const float*>pgo, <float*>pgi, n, <float>a, <float>b)
    else:
        bd = nnf_bwd_d[k]
        with nogil:
            bd(<const double*>px, <const double*>pgo, <double*>pgi, n, a, b)
