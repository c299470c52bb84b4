"""Reductions over one dimension (Sum, Mean, Max, Min) of an (outer, n, inner) view.

    sum_update_output(x, y, outer, n, inner, avg)        y = sum over k [/ n]
    sum_update_grad_input(go, gi, outer, n, inner, avg)  gi[o, k, :] = go[o, :] [/ n]
    arg_update_output(x, y, outer, n, inner, is_max)     y = max (min) over k
    arg_update_grad_input(x, go, gi, outer, n, inner, is_max)
                                  gi = go at the first extremum along k, else 0

Extremum rule (as NumPy's max/argmax, the generic path): NaN wins (the first
NaN), else the first strictly larger (smaller) value, so ties go to the
lowest index. Sums along a contiguous row (inner == 1) are taken in double
lanes; along a strided dimension (inner > 1) row by row in the data type,
k = 0, 1, ... as NumPy does; the mean divides the sum (in the data type) by
n. All arrays C-contiguous, same float dtype; n >= 1 for Max / Min (checked), n < 2**31 for their gradient (the caller
checks). The Max / Min column steps are the vectorised loops of _reduce.h.
Large inputs are split over the thread pool by outer slices (the same bits).
"""

cimport numpy as cnp
from libc.stdint cimport int32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for
from nnfunc._cpu._softmax cimport _row_sum, _slice_grain

cnp.import_array()


cdef void _sum_fwd(const floating* x, floating* y, Py_ssize_t o0, Py_ssize_t o1,
                   Py_ssize_t n, Py_ssize_t inner, bint avg) noexcept nogil:
    cdef Py_ssize_t o, k, j
    cdef const floating* xo
    cdef floating* yo
    cdef floating fn = <floating>n
    for o in range(o0, o1):
        xo = x + o * n * inner
        yo = y + o * inner
        if inner == 1:
            yo[0] = <floating>_row_sum(xo, n)
        else:
            if n == 0:
                for j in range(inner):
                    yo[j] = 0
            else:
                for j in range(inner):
                    yo[j] = xo[j]
            for k in range(1, n):
                for j in range(inner):
                    yo[j] = yo[j] + xo[k * inner + j]
        if avg:
            for j in range(inner):
                yo[j] = yo[j] / fn


cdef void _sum_bwd(const floating* go, floating* gi, Py_ssize_t o0, Py_ssize_t o1,
                   Py_ssize_t n, Py_ssize_t inner, bint avg) noexcept nogil:
    cdef Py_ssize_t o, k, j
    cdef const floating* goo
    cdef floating* gio
    cdef floating fn = <floating>n
    for o in range(o0, o1):
        goo = go + o * inner
        gio = gi + o * n * inner
        if n == 0:
            continue
        if avg:
            for j in range(inner):
                gio[j] = goo[j] / fn
        else:
            memcpy(gio, goo, <size_t>inner * sizeof(floating))
        for k in range(1, n):
            memcpy(gio + k * inner, gio, <size_t>inner * sizeof(floating))


cdef extern from "_reduce.h" nogil:
    void nnf_ext_row_f(const float* x, float* m, Py_ssize_t w, int is_max) noexcept
    void nnf_ext_row_d(const double* x, double* m, Py_ssize_t w, int is_max) noexcept
    void nnf_ext_arg_row_f(const float* x, float* m, int32_t* idx, Py_ssize_t w, int32_t k,
                           int is_max) noexcept
    void nnf_ext_arg_row_d(const double* x, double* m, int32_t* idx, Py_ssize_t w, int32_t k,
                           int is_max) noexcept
    void nnf_ext_scatter_f(const float* go, const int32_t* idx, float* gi, Py_ssize_t w,
                           int32_t k) noexcept
    void nnf_ext_scatter_d(const double* go, const int32_t* idx, double* gi, Py_ssize_t w,
                           int32_t k) noexcept


cdef void _arg_fwd(const floating* x, floating* y, Py_ssize_t o0, Py_ssize_t o1,
                   Py_ssize_t n, Py_ssize_t inner, bint is_max) noexcept nogil:
    cdef Py_ssize_t o, k
    cdef const floating* xo
    cdef floating* yo
    for o in range(o0, o1):
        xo = x + o * n * inner
        yo = y + o * inner
        memcpy(yo, xo, <size_t>inner * sizeof(floating))
        for k in range(1, n):
            if floating is float:
                nnf_ext_row_f(xo + k * inner, yo, inner, is_max)
            else:
                nnf_ext_row_d(xo + k * inner, yo, inner, is_max)


cdef int _arg_bwd(const floating* x, const floating* go, floating* gi, Py_ssize_t o0,
                  Py_ssize_t o1, Py_ssize_t n, Py_ssize_t inner, bint is_max) noexcept nogil:
    """-1 when out of memory (the scratch: running extremum and index per column);
    n < 2**31 (the caller checks)."""
    cdef Py_ssize_t o, k, j
    cdef const floating* xo
    cdef floating* gio
    if inner == 0 or o1 <= o0:
        return 0
    cdef floating* m = <floating*>malloc(<size_t>inner * sizeof(floating))
    cdef int32_t* idx = <int32_t*>malloc(<size_t>inner * sizeof(int32_t))
    if m == NULL or idx == NULL:
        free(m)
        free(idx)
        return -1
    for o in range(o0, o1):
        xo = x + o * n * inner
        gio = gi + o * n * inner
        memcpy(m, xo, <size_t>inner * sizeof(floating))
        for j in range(inner):
            idx[j] = 0
        for k in range(1, n):
            if floating is float:
                nnf_ext_arg_row_f(xo + k * inner, m, idx, inner, <int32_t>k, is_max)
            else:
                nnf_ext_arg_row_d(xo + k * inner, m, idx, inner, <int32_t>k, is_max)
        for k in range(n):
            if floating is float:
                nnf_ext_scatter_f(go + o * inner, idx, gio + k * inner, inner, <int32_t>k)
            else:
                nnf_ext_scatter_d(go + o * inner, idx, gio + k * inner, inner, <int32_t>k)
    free(m)
    free(idx)
    return 0


ctypedef struct _Job:
    bint dbl
    int kind            # 0 sum, 1 extremum
    bint flag           # avg (sum) / is_max (extremum)
    const char* x
    const char* go
    char* y
    Py_ssize_t n
    Py_ssize_t inner
    bint failed


cdef void _fwd_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.kind == 0 and j.dbl:
        _sum_fwd(<const double*>j.x, <double*>j.y, o0, o1, j.n, j.inner, j.flag)
    elif j.kind == 0:
        _sum_fwd(<const float*>j.x, <float*>j.y, o0, o1, j.n, j.inner, j.flag)
    elif j.dbl:
        _arg_fwd(<const double*>j.x, <double*>j.y, o0, o1, j.n, j.inner, j.flag)
    else:
        _arg_fwd(<const float*>j.x, <float*>j.y, o0, o1, j.n, j.inner, j.flag)


cdef void _bwd_task(void* ctx, Py_ssize_t o0, Py_ssize_t o1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef int err = 0
    if j.kind == 0 and j.dbl:
        _sum_bwd(<const double*>j.go, <double*>j.y, o0, o1, j.n, j.inner, j.flag)
    elif j.kind == 0:
        _sum_bwd(<const float*>j.go, <float*>j.y, o0, o1, j.n, j.inner, j.flag)
    elif j.dbl:
        err = _arg_bwd(<const double*>j.x, <const double*>j.go, <double*>j.y, o0, o1, j.n,
                       j.inner, j.flag)
    else:
        err = _arg_bwd(<const float*>j.x, <const float*>j.go, <float*>j.y, o0, o1, j.n,
                       j.inner, j.flag)
    if err:
        j.failed = True


cdef _run(bint fwd, int kind, bint flag, x, go, cnp.ndarray y, Py_ssize_t outer,
          Py_ssize_t n, Py_ssize_t inner):
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(y) != cnp.NPY_FLOAT
    j.kind = kind
    j.flag = flag
    j.x = NULL
    j.go = NULL
    if x is not None:
        j.x = <const char*>cnp.PyArray_DATA(<cnp.ndarray>x)
    if go is not None:
        j.go = <const char*>cnp.PyArray_DATA(<cnp.ndarray>go)
    j.y = <char*>cnp.PyArray_DATA(y)
    j.n = n
    j.inner = inner
    j.failed = False
    with nogil:
        parallel_for(_fwd_task if fwd else _bwd_task, &j, outer,
                     _slice_grain(max(n, <Py_ssize_t>1) * inner), 1)
    if j.failed:
        raise MemoryError()


def sum_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n,
                      Py_ssize_t inner, bint avg):
    """y (outer, inner) = sum of x (outer, n, inner) over n, divided by n with avg."""
    _run(True, 0, avg, x, None, y, outer, n, inner)


def sum_update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer, Py_ssize_t n,
                          Py_ssize_t inner, bint avg):
    """gi (outer, n, inner) = go (outer, inner) along n, divided by n with avg."""
    _run(False, 0, avg, None, go, gi, outer, n, inner)


def arg_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n,
                      Py_ssize_t inner, bint is_max):
    """y (outer, inner) = max (is_max) or min of x (outer, n, inner) over n, n >= 1."""
    _run(True, 1, is_max, x, None, y, outer, n, inner)


def arg_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t outer,
                          Py_ssize_t n, Py_ssize_t inner, bint is_max):
    """gi (outer, n, inner) = go (outer, inner) at the first extremum along n, else 0."""
    _run(False, 1, is_max, x, go, gi, outer, n, inner)
