"""Pointwise transfer-function kernels, one table for all of them.

The ops and their one-line formulas are listed in ``_pointwise.h``
(NNF_OPS); each expands to vectorised float and double loops. This module
dispatches through the tables of function pointers by op name:

    update_output(op, x, y, a, b)             y[:] = f(x; a, b)
    update_grad_input(op, x, go, gi, a, b)    gi[:] = f'(x; a, b) * go

``a`` and ``b`` are the op's real options (unused ones are ignored). All
arrays C-contiguous, same float dtype and size (the frontend checks). The
gradient recomputes what it needs from x (pure).

Also here, on the same vectorised building blocks: PReLU (a per-channel
leaky ReLU, plus its weight gradient), CReLU and GatedLinearUnit.
"""

cimport numpy as cnp

from nnfunc._cpu._blas cimport floating

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
    void nnf_leaky_relu_fwd_f(const float*, float*, Py_ssize_t, float, float) noexcept
    void nnf_leaky_relu_fwd_d(const double*, double*, Py_ssize_t, double, double) noexcept
    void nnf_leaky_relu_bwd_f(const float*, const float*, float*, Py_ssize_t,
                              float, float) noexcept
    void nnf_leaky_relu_bwd_d(const double*, const double*, double*, Py_ssize_t,
                              double, double) noexcept
    double nnf_prelu_dot_f(const float*, const float*, Py_ssize_t) noexcept
    double nnf_prelu_dot_d(const double*, const double*, Py_ssize_t) noexcept
    void nnf_crelu_fwd_f(const float*, float*, Py_ssize_t) noexcept
    void nnf_crelu_fwd_d(const double*, double*, Py_ssize_t) noexcept
    void nnf_crelu_bwd_f(const float*, const float*, float*, Py_ssize_t) noexcept
    void nnf_crelu_bwd_d(const double*, const double*, double*, Py_ssize_t) noexcept
    void nnf_glu_fwd_f(const float*, float*, Py_ssize_t) noexcept
    void nnf_glu_fwd_d(const double*, double*, Py_ssize_t) noexcept
    void nnf_glu_bwd_f(const float*, const float*, float*, Py_ssize_t) noexcept
    void nnf_glu_bwd_d(const double*, const double*, double*, Py_ssize_t) noexcept

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


# -- PReLU: input seen as (outer, C, inner), channel weight w[c] -------------

cdef void _prelu_fwd(const floating* x, floating* y, const floating* w, Py_ssize_t outer,
                     Py_ssize_t C, Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, c, k
    for o in range(outer):
        for c in range(C):
            k = (o * C + c) * inner
            if floating is float:
                nnf_leaky_relu_fwd_f(x + k, y + k, inner, w[c], 0)
            else:
                nnf_leaky_relu_fwd_d(x + k, y + k, inner, w[c], 0)


cdef void _prelu_bwd(const floating* x, const floating* go, floating* gi, const floating* w,
                     floating* gw, Py_ssize_t outer, Py_ssize_t C,
                     Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, c, k
    cdef double s
    for c in range(C):
        s = 0.0
        for o in range(outer):
            k = (o * C + c) * inner
            if floating is float:
                nnf_leaky_relu_bwd_f(x + k, go + k, gi + k, inner, w[c], 0)
                s += nnf_prelu_dot_f(x + k, go + k, inner)
            else:
                nnf_leaky_relu_bwd_d(x + k, go + k, gi + k, inner, w[c], 0)
                s += nnf_prelu_dot_d(x + k, go + k, inner)
        gw[c] = <floating>s


def prelu_update_output(cnp.ndarray x, cnp.ndarray y, cnp.ndarray w, Py_ssize_t outer,
                        Py_ssize_t C, Py_ssize_t inner):
    """y = x if x > 0 else w[c] * x over the (outer, C, inner) view; w has C elements."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pw = cnp.PyArray_DATA(w)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _prelu_fwd(<const float*>px, <float*>py, <const float*>pw, outer, C, inner)
    else:
        with nogil:
            _prelu_fwd(<const double*>px, <double*>py, <const double*>pw, outer, C, inner)


def prelu_update_grad(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, cnp.ndarray w,
                      cnp.ndarray gw, Py_ssize_t outer, Py_ssize_t C, Py_ssize_t inner):
    """gi = go if x > 0 else w[c] * go; gw[c] = sum of x * go where x <= 0 (overwritten)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _prelu_bwd(<const float*>px, <const float*>pgo, <float*>pgi, <const float*>pw,
                       <float*>pgw, outer, C, inner)
    else:
        with nogil:
            _prelu_bwd(<const double*>px, <const double*>pgo, <double*>pgi, <const double*>pw,
                       <double*>pgw, outer, C, inner)


# -- CReLU and GatedLinearUnit: outer slices of 2 * n elements ---------------

def crelu_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n):
    """Per sample o (n elements of x): y[o] = [relu(x[o]), relu(-x[o])] (2n elements)."""
    cdef char* px = <char*>cnp.PyArray_DATA(x)
    cdef char* py = <char*>cnp.PyArray_DATA(y)
    cdef Py_ssize_t o
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            for o in range(outer):
                nnf_crelu_fwd_f(<const float*>px + o * n, <float*>py + 2 * o * n, n)
    else:
        with nogil:
            for o in range(outer):
                nnf_crelu_fwd_d(<const double*>px + o * n, <double*>py + 2 * o * n, n)


def crelu_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                            Py_ssize_t n):
    """gi = go[:n] where x > 0, -go[n:] where x < 0, else 0 (per sample)."""
    cdef char* px = <char*>cnp.PyArray_DATA(x)
    cdef char* pgo = <char*>cnp.PyArray_DATA(go)
    cdef char* pgi = <char*>cnp.PyArray_DATA(gi)
    cdef Py_ssize_t o
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            for o in range(outer):
                nnf_crelu_bwd_f(<const float*>px + o * n, <const float*>pgo + 2 * o * n,
                                <float*>pgi + o * n, n)
    else:
        with nogil:
            for o in range(outer):
                nnf_crelu_bwd_d(<const double*>px + o * n, <const double*>pgo + 2 * o * n,
                                <double*>pgi + o * n, n)


def glu_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n):
    """Per slice o of x (2n elements: a then b): y[o] = a * sigmoid(b) (n elements)."""
    cdef char* px = <char*>cnp.PyArray_DATA(x)
    cdef char* py = <char*>cnp.PyArray_DATA(y)
    cdef Py_ssize_t o
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            for o in range(outer):
                nnf_glu_fwd_f(<const float*>px + 2 * o * n, <float*>py + o * n, n)
    else:
        with nogil:
            for o in range(outer):
                nnf_glu_fwd_d(<const double*>px + 2 * o * n, <double*>py + o * n, n)


def glu_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                          Py_ssize_t n):
    """gi[o] = [go * s, go * a * s * (1 - s)], s = sigmoid(b), per slice."""
    cdef char* px = <char*>cnp.PyArray_DATA(x)
    cdef char* pgo = <char*>cnp.PyArray_DATA(go)
    cdef char* pgi = <char*>cnp.PyArray_DATA(gi)
    cdef Py_ssize_t o
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            for o in range(outer):
                nnf_glu_bwd_f(<const float*>px + 2 * o * n, <const float*>pgo + o * n,
                              <float*>pgi + 2 * o * n, n)
    else:
        with nogil:
            for o in range(outer):
                nnf_glu_bwd_d(<const double*>px + 2 * o * n, <const double*>pgo + o * n,
                              <double*>pgi + 2 * o * n, n)
