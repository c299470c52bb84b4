"""LayerNormalization kernels: each of the N rows of D features is
normalised by its own mean and biased variance (plus eps / D, Torch7's
composite), then scaled by weight and shifted by bias (optional).

    update_output(x, y, w, b, N, D, eps)
        y = (x - mean) r * w + b,  r = 1 / sqrt(var + eps / D)
    update_grad(x, go, gi, gw, gb, w, N, D, eps)
        with g = go * w and xhat = (x - mean) r (recomputed from x):
        gi = r (g - mean(g) - xhat mean(g xhat)); gw = sum_N go xhat;
        gb = sum_N go (written over).

Per row: the statistics in two sweeps over the cached row (the SIMD lanes
of _norm.h, partial sums in double), then one sweep that writes the result
(the gradient: one more sweep for its two sums). Large inputs are split
over the thread pool by rows. The parameter gradients are summed per block
of rows (blocks fixed by N and D alone, at most _MAX_BLOCKS) and the
blocks' sums added in block order, so the bits do not depend on the number
of threads; a single block sums straight into the gradient arrays.
w, b, gw, gb may be None.
"""

cimport numpy as cnp
from libc.math cimport sqrt
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._norm cimport lnbwd, lnfwd, moments
from nnfunc._cpu._parallel cimport parallel_for

cnp.import_array()

cdef enum:
    _GRAIN = 32768          # elements per pool part
    _BLOCK = 16384          # elements per block of rows of the parameter gradients
    _MAX_BLOCKS = 64        # ... and at most this many blocks (their partial sums)


cdef void _forward(const floating* x, floating* y, const floating* w, const floating* b,
                   Py_ssize_t N, Py_ssize_t D, double eps) noexcept nogil:
    cdef Py_ssize_t n
    cdef double m, m2, unused
    for n in range(N):
        moments(x + n * D, <const floating*>NULL, D, &m, &unused, &m2, &unused)
        lnfwd(x + n * D, y + n * D, w, b, D, <floating>m,
              <floating>(1.0 / sqrt(m2 / D + eps / D)))


cdef void _backward(const floating* x, const floating* go, floating* gi, floating* gw,
                    floating* gb, const floating* w, Py_ssize_t N, Py_ssize_t D,
                    double eps) noexcept nogil:
    cdef Py_ssize_t n
    cdef double m, m2, unused
    if gw != NULL:
        memset(gw, 0, D * sizeof(floating))
        memset(gb, 0, D * sizeof(floating))
    for n in range(N):
        moments(x + n * D, <const floating*>NULL, D, &m, &unused, &m2, &unused)
        lnbwd(x + n * D, go + n * D, gi + n * D, w, gw, gb, D, <floating>m,
              <floating>(1.0 / sqrt(m2 / D + eps / D)))


ctypedef struct _Job:
    bint dbl
    const char* x
    const char* go
    char* y                 # the forward's y, the gradient's gi
    const char* w
    const char* b
    char* gw                # gradWeight and gradBias (NULL: none)
    char* gb
    char* parts             # several blocks: per block, D gradWeight sums then D gradBias
                            # sums (NULL: one block, summed straight into gw and gb)
    Py_ssize_t N, D, rows   # rows: per block
    double eps


cdef void _forward_task(void* ctx, Py_ssize_t n0, Py_ssize_t n1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t o = n0 * j.D
    if j.dbl:
        _forward(<const double*>j.x + o, <double*>j.y + o, <const double*>j.w,
                 <const double*>j.b, n1 - n0, j.D, j.eps)
    else:
        _forward(<const float*>j.x + o, <float*>j.y + o, <const float*>j.w,
                 <const float*>j.b, n1 - n0, j.D, j.eps)


cdef void _backward_task(void* ctx, Py_ssize_t b0, Py_ssize_t b1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    cdef Py_ssize_t blk, r0, o, D = j.D
    cdef char* aw
    cdef char* ab
    for blk in range(b0, b1):
        r0 = blk * j.rows
        o = r0 * D
        aw, ab = j.gw, j.gb
        if j.parts != NULL:
            aw = j.parts + blk * 2 * D * (8 if j.dbl else 4)
            ab = aw + D * (8 if j.dbl else 4)
        if j.dbl:
            _backward(<const double*>j.x + o, <const double*>j.go + o, <double*>j.y + o,
                      <double*>aw, <double*>ab, <const double*>j.w, min(j.rows, j.N - r0),
                      D, j.eps)
        else:
            _backward(<const float*>j.x + o, <const float*>j.go + o, <float*>j.y + o,
                      <float*>aw, <float*>ab, <const float*>j.w, min(j.rows, j.N - r0),
                      D, j.eps)


cdef void _add_blocks(const floating* parts, floating* gw, floating* gb, Py_ssize_t nb,
                      Py_ssize_t D) noexcept nogil:
    """gw, gb = the blocks' sums, added in block order."""
    cdef Py_ssize_t blk, i
    cdef const floating* p
    memset(gw, 0, D * sizeof(floating))
    memset(gb, 0, D * sizeof(floating))
    for blk in range(nb):
        p = parts + blk * 2 * D
        for i in range(D):
            gw[i] += p[i]
            gb[i] += p[D + i]


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray y, w, b, Py_ssize_t N, Py_ssize_t D,
                  double eps):
    """y = layer-normalised x (see the module docstring)."""
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.y = <char*>cnp.PyArray_DATA(y)
    j.w = <const char*>_ptr(w)
    j.b = <const char*>_ptr(b)
    j.N, j.D, j.eps = N, D, eps
    with nogil:
        parallel_for(_forward_task, &j, N, max(<Py_ssize_t>1, _GRAIN // max(D, 1)), 1)


def update_grad(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, gw, gb, w, Py_ssize_t N,
                Py_ssize_t D, double eps):
    """gradInput, gradWeight, gradBias (written over)."""
    cdef _Job j
    cdef Py_ssize_t nb
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = <const char*>cnp.PyArray_DATA(go)
    j.y = <char*>cnp.PyArray_DATA(gi)
    j.w = <const char*>_ptr(w)
    j.gw = <char*>_ptr(gw)
    j.gb = <char*>_ptr(gb)
    j.N, j.D, j.eps = N, D, eps
    j.rows = max((_BLOCK + D - 1) // max(D, 1), (N + _MAX_BLOCKS - 1) // _MAX_BLOCKS, 1)
    nb = (N + j.rows - 1) // j.rows
    j.parts = NULL
    if j.gw != NULL and nb > 1:
        j.parts = <char*>malloc(<size_t>(nb * 2 * D * cnp.PyArray_ITEMSIZE(x)))
        if j.parts == NULL:
            raise MemoryError("LayerNormalization: no memory for the gradient partial sums")
    with nogil:
        if nb == 0:         # an empty batch: zero parameter gradients
            _backward_task(&j, 0, 1)
        else:
            parallel_for(_backward_task, &j, nb,
                         max(<Py_ssize_t>1, _GRAIN // max(j.rows * D, 1)), 1)
        if j.parts != NULL:
            if j.dbl:
                _add_blocks(<const double*>j.parts, <double*>j.gw, <double*>j.gb, nb, D)
            else:
                _add_blocks(<const float*>j.parts, <float*>j.gw, <float*>j.gb, nb, D)
    free(j.parts)
