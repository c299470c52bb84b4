"""SpatialCrossMapLRN kernels over an (N, C, S) view (S = H*W), odd size.

    update_output(x, y, ws, N, C, S, size, alpha, beta, k)
        scale[c] = k + alpha/size * sum_{|c'-c| <= h} x[c']^2, h = (size-1)/2
        y = x * scale^-beta
    update_grad_input(x, go, gi, ws, N, C, S, size, alpha, beta, k)
        gi[c] = go[c] scale[c]^-beta
                - 2 alpha beta / size * x[c] * sum_{|c'-c| <= h} t[c'],
        t = go * x * scale^(-beta-1) (recomputed from x: pure).

The window sum of each channel is added up from its (at most size) planes
directly, not by a running add/subtract across channels (no drift); the
planes are adjacent and stay in cache. scale^-beta: 1/(sqrt(s) sqrt(sqrt(s)))
for beta = 0.75, 1/sqrt(s) for 0.5, 1/s for 1 (vectorised: -fno-math-errno),
pow otherwise; the loops are the SIMD primitives of _norm.h. ws: workspace
in the input's dtype, 2*S values (forward) or 2*C*S + S (gradient).
"""

cimport numpy as cnp
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._norm cimport acc, lrngi, lrnt, mul, powneg

cnp.import_array()


cdef inline void _window(const floating* a, floating* s, Py_ssize_t c, Py_ssize_t C,
                         Py_ssize_t S, Py_ssize_t h, bint square) noexcept nogil:
    # s[:] = sum over channels c-h..c+h (clipped) of a[c'] (squared if asked)
    cdef Py_ssize_t lo = c - h if c >= h else 0
    cdef Py_ssize_t hi = c + h if c + h < C else C - 1
    cdef Py_ssize_t j
    memset(s, 0, S * sizeof(floating))
    for j in range(lo, hi + 1):
        acc(a + j * S, s, S, square)


cdef int _mode(double beta) noexcept nogil:
    if beta == 0.75:
        return 1
    if beta == 0.5:
        return 2
    if beta == 1:
        return 3
    return 0


cdef void _forward(const floating* x, floating* y, floating* s, Py_ssize_t N,
                   Py_ssize_t C, Py_ssize_t S, Py_ssize_t size, double alpha,
                   double beta, double k) noexcept nogil:
    cdef Py_ssize_t n, c, i, h = (size - 1) // 2
    cdef int mode = _mode(beta)
    cdef floating fmul = <floating>(alpha / size)
    cdef floating add = <floating>k
    cdef const floating* xn
    cdef floating* yr
    for n in range(N):
        xn = x + n * C * S
        for c in range(C):
            _window(xn, s, c, C, S, h, True)
            yr = y + (n * C + c) * S
            powneg(s, s + S, S, fmul, add, mode, beta)
            mul(s + S, xn + c * S, yr, S)


cdef void _backward(const floating* x, const floating* go, floating* gi, floating* ws,
                    Py_ssize_t N, Py_ssize_t C, Py_ssize_t S, Py_ssize_t size,
                    double alpha, double beta, double k) noexcept nogil:
    cdef Py_ssize_t n, c, i, h = (size - 1) // 2
    cdef int mode = _mode(beta)
    cdef floating fmul = <floating>(alpha / size)
    cdef floating add = <floating>k
    cdef floating f = <floating>(2.0 * alpha * beta / size)
    cdef floating* ps = ws               # C*S: scale^-beta of each channel
    cdef floating* t = ws + C * S        # C*S: go x scale^(-beta-1)
    cdef floating* s = ws + 2 * C * S    # S: a scale plane / a window sum
    cdef const floating* xn
    cdef const floating* gn
    cdef floating* inn
    cdef floating* pr
    cdef floating* tr
    for n in range(N):
        xn = x + n * C * S
        gn = go + n * C * S
        inn = gi + n * C * S
        for c in range(C):
            _window(xn, s, c, C, S, h, True)
            pr = ps + c * S
            tr = t + c * S
            powneg(s, pr, S, fmul, add, mode, beta)
            lrnt(gn + c * S, xn + c * S, pr, s, tr, S)
        for c in range(C):
            _window(t, s, c, C, S, h, False)
            lrngi(gn + c * S, xn + c * S, ps + c * S, s, inn + c * S, S, f)


def update_output(cnp.ndarray x, cnp.ndarray y, cnp.ndarray ws, Py_ssize_t N, Py_ssize_t C,
                  Py_ssize_t S, Py_ssize_t size, double alpha, double beta, double k):
    """y = x * scale^-beta."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pws = cnp.PyArray_DATA(ws)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, <float*>pws, N, C, S, size, alpha, beta, k)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, <double*>pws, N, C, S, size, alpha,
                     beta, k)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, cnp.ndarray ws,
                      Py_ssize_t N, Py_ssize_t C, Py_ssize_t S, Py_ssize_t size,
                      double alpha, double beta, double k):
    """gradInput (written over)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pws = cnp.PyArray_DATA(ws)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, <float*>pws,
                      N, C, S, size, alpha, beta, k)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, <double*>pws,
                      N, C, S, size, alpha, beta, k)
