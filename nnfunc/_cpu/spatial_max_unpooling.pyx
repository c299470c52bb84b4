"""SpatialMaxUnpooling kernels: scatter by plane offsets, and the gather back.

The input is `planes` planes of L = h*w values, each with an int64 index in
[0, O) (O = H*W, the output plane size; the caller has validated every
index). Forward: the output planes are zeroed, then y[p, idx] = x[p, i] in
input order, so where two inputs name one position the later one stays.
Backward: gi[p, i] = go[p, idx[p, i]]. Large calls are split over the
thread pool by planes (each part owns its output planes).
"""

cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for, plane_grain

cnp.import_array()


cdef void _forward(const floating* x, const int64_t* ind, floating* y, Py_ssize_t p0,
                   Py_ssize_t p1, Py_ssize_t L, Py_ssize_t O) noexcept nogil:
    cdef Py_ssize_t p, i
    cdef const floating* xp
    cdef const int64_t* ip
    cdef floating* yp
    for p in range(p0, p1):
        xp = x + p * L
        ip = ind + p * L
        yp = y + p * O
        # zeroed plane by plane: the scatter then lands in cached lines
        memset(yp, 0, O * sizeof(floating))
        for i in range(L):
            yp[ip[i]] = xp[i]


cdef void _backward(const floating* go, const int64_t* ind, floating* gi, Py_ssize_t p0,
                    Py_ssize_t p1, Py_ssize_t L, Py_ssize_t O) noexcept nogil:
    cdef Py_ssize_t p, i
    cdef const floating* gp
    cdef const int64_t* ip
    cdef floating* op
    for p in range(p0, p1):
        gp = go + p * O
        ip = ind + p * L
        op = gi + p * L
        for i in range(L):
            op[i] = gp[ip[i]]


ctypedef struct _Job:
    bint dbl
    bint fwd
    const char* src
    const int64_t* ind
    char* dst
    Py_ssize_t L, O


cdef void _task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.fwd and j.dbl:
        _forward(<const double*>j.src, j.ind, <double*>j.dst, p0, p1, j.L, j.O)
    elif j.fwd:
        _forward(<const float*>j.src, j.ind, <float*>j.dst, p0, p1, j.L, j.O)
    elif j.dbl:
        _backward(<const double*>j.src, j.ind, <double*>j.dst, p0, p1, j.L, j.O)
    else:
        _backward(<const float*>j.src, j.ind, <float*>j.dst, p0, p1, j.L, j.O)


cdef _run(bint fwd, cnp.ndarray src, cnp.ndarray ind, cnp.ndarray dst, Py_ssize_t planes,
          Py_ssize_t L, Py_ssize_t O):
    # Indices stay inside their plane, so planes are split over the thread
    # pool: each part zeroes and writes only its own output planes, in the
    # one-thread order (the same bits for any number of threads).
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(src) != cnp.NPY_FLOAT
    j.fwd = fwd
    j.src = <const char*>cnp.PyArray_DATA(src)
    j.ind = <const int64_t*>cnp.PyArray_DATA(ind)
    j.dst = <char*>cnp.PyArray_DATA(dst)
    j.L, j.O = L, O
    with nogil:
        parallel_for(_task, &j, planes, plane_grain(L + O), 1)


def update_output(cnp.ndarray x, cnp.ndarray ind, cnp.ndarray y, Py_ssize_t planes,
                  Py_ssize_t L, Py_ssize_t O):
    """y = zeros with x scattered to the (validated, int64) plane offsets ind."""
    _run(True, x, ind, y, planes, L, O)


def update_grad_input(cnp.ndarray go, cnp.ndarray ind, cnp.ndarray gi, Py_ssize_t planes,
                      Py_ssize_t L, Py_ssize_t O):
    """gi = go gathered at the plane offsets ind (written over)."""
    _run(False, go, ind, gi, planes, L, O)


cdef extern from *:
    """
    #include "_vmath.h"
    /* min and max of n >= 1 int64 values in one pass: independent selects
       that vectorise (AVX2 / AVX-512 clones; the baseline has no 64-bit
       compare and runs it scalar, 4x slower than NumPy's two passes) */
    NNF_WIDE static void nnf_i64_bounds(const int64_t* restrict p, ptrdiff_t n,
                                        int64_t* lo_out, int64_t* hi_out) {
        int64_t lo = p[0], hi = p[0];
        for (ptrdiff_t i = 0; i < n; i++) {
            const int64_t v = p[i];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        *lo_out = lo;
        *hi_out = hi;
    }
    """
    void nnf_i64_bounds(const int64_t* p, Py_ssize_t n, int64_t* lo, int64_t* hi) nogil


def index_bounds(cnp.ndarray ind):
    """(min, max) of a non-empty C-contiguous int64 array in one pass (the
    module's index validation: NumPy's min() and max() read it twice)."""
    cdef const int64_t* p = <const int64_t*>cnp.PyArray_DATA(ind)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(ind)
    cdef int64_t lo, hi
    with nogil:
        nnf_i64_bounds(p, n, &lo, &hi)
    return lo, hi
