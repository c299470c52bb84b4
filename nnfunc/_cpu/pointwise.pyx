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
from nnfunc._cpu._parallel cimport parallel_for

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
    void nnf_glu_fwd_f(const float*, float*, Py_ssize_t, Py_ssize_t) noexcept
    void nnf_glu_fwd_d(const double*, double*, Py_ssize_t, Py_ssize_t) noexcept
    void nnf_glu_bwd_f(const float*, const float*, float*, Py_ssize_t, Py_ssize_t) noexcept
    void nnf_glu_bwd_d(const double*, const double*, double*, Py_ssize_t, Py_ssize_t) noexcept

#: op name -> index in the tables
OPS = {nnf_op_names[i].decode(): i for i in range(NNF_NOPS)}


# Maps of at least 2 * _GRAIN elements are split over the thread pool at
# multiples of 64 elements (one cache line of doubles): every element is
# computed by the same code either way, so the bits do not change.
cdef enum:
    _GRAIN = 32768
    _ALIGN = 64

ctypedef struct _MapJob:
    int k
    bint dbl
    const char* x
    const char* g
    char* y
    double a
    double b


cdef void _fwd_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _MapJob* j = <_MapJob*>ctx
    if j.dbl:
        nnf_fwd_d[j.k](<const double*>j.x + i0, <double*>j.y + i0, i1 - i0, j.a, j.b)
    else:
        nnf_fwd_f[j.k](<const float*>j.x + i0, <float*>j.y + i0, i1 - i0,
                       <float>j.a, <float>j.b)


cdef void _bwd_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _MapJob* j = <_MapJob*>ctx
    if j.dbl:
        nnf_bwd_d[j.k](<const double*>j.x + i0, <const double*>j.g + i0, <double*>j.y + i0,
                       i1 - i0, j.a, j.b)
    else:
        nnf_bwd_f[j.k](<const float*>j.x + i0, <const float*>j.g + i0, <float*>j.y + i0,
                       i1 - i0, <float>j.a, <float>j.b)


def update_output(str op, cnp.ndarray x, cnp.ndarray y, double a, double b):
    """y[:] = op(x; a, b)."""
    cdef _MapJob j
    j.k = OPS[op]
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.g = NULL
    j.y = <char*>cnp.PyArray_DATA(y)
    j.a = a
    j.b = b
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    with nogil:
        parallel_for(_fwd_task, &j, n, _GRAIN, _ALIGN)


def update_grad_input(str op, cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi,
                      double a, double b):
    """gi[:] = d op(x; a, b) / dx * go."""
    cdef _MapJob j
    j.k = OPS[op]
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.g = <const char*>cnp.PyArray_DATA(go)
    j.y = <char*>cnp.PyArray_DATA(gi)
    j.a = a
    j.b = b
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    with nogil:
        parallel_for(_bwd_task, &j, n, _GRAIN, _ALIGN)


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


# GLU over the thread pool: the outer * n output elements are split like a
# map; a part [i0, i1) covers pieces of consecutive slices.

ctypedef struct _GluJob:
    bint dbl
    bint bwd
    const char* x
    const char* g
    char* y
    Py_ssize_t n


cdef void _glu_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _GluJob* j = <_GluJob*>ctx
    cdef Py_ssize_t n = j.n, o, a, b, w
    while i0 < i1:
        o = i0 // n
        a = i0 - o * n
        b = min(n, i1 - o * n)
        w = b - a
        if j.dbl:
            if j.bwd:
                nnf_glu_bwd_d(<const double*>j.x + 2 * o * n + a, <const double*>j.g + i0,
                              <double*>j.y + 2 * o * n + a, w, n)
            else:
                nnf_glu_fwd_d(<const double*>j.x + 2 * o * n + a, <double*>j.y + i0, w, n)
        else:
            if j.bwd:
                nnf_glu_bwd_f(<const float*>j.x + 2 * o * n + a, <const float*>j.g + i0,
                              <float*>j.y + 2 * o * n + a, w, n)
            else:
                nnf_glu_fwd_f(<const float*>j.x + 2 * o * n + a, <float*>j.y + i0, w, n)
        i0 += w


def glu_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n):
    """Per slice o of x (2n elements: a then b): y[o] = a * sigmoid(b) (n elements)."""
    cdef _GluJob j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.bwd = False
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.g = NULL
    j.y = <char*>cnp.PyArray_DATA(y)
    j.n = n
    with nogil:
        parallel_for(_glu_task, &j, outer * n, _GRAIN, _ALIGN)


def glu_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                          Py_ssize_t n):
    """gi[o] = [go * s, go * a * s * (1 - s)], s = sigmoid(b), per slice."""
    cdef _GluJob j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.bwd = True
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.g = <const char*>cnp.PyArray_DATA(go)
    j.y = <char*>cnp.PyArray_DATA(gi)
    j.n = n
    with nogil:
        parallel_for(_glu_task, &j, outer * n, _GRAIN, _ALIGN)
