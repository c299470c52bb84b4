"""Normalize kernels: each of the N rows of D values divided by its L_p norm
with Torch7's eps placement, n = (sum |x|^p + eps)^(1/p), or
n = max |x| + eps for p = inf.

    update_output(x, y, N, D, p, eps)             y = x / n
    update_grad_input(x, go, gi, N, D, p, eps)    gi = go / n - (go . x) b / (n s)
        s = sum |x|^p + eps, b = sign(x) |x|^(p-1) (0 where x = 0); for
        p = inf only the first maximum of |x| gets -(go . x) sign(x_k) / n^2.

p = 1, 2 and inf have pow-free loops (vectorised, the SIMD primitives of
_norm.h); other p call pow. One sweep for the norm (and the dot product in the
gradient), one that writes, per row (in cache).
"""

cimport numpy as cnp
from libc.math cimport fabs, pow, sqrt, INFINITY

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._norm cimport abssum, axpb, bngi, dot, l1gi

cnp.import_array()


cdef inline double _pow_sum(const floating* r, Py_ssize_t D, double p) noexcept nogil:
    cdef Py_ssize_t i
    cdef double s = 0
    for i in range(D):
        s += pow(fabs(<double>r[i]), p)
    return s


cdef inline Py_ssize_t _abs_argmax(const floating* r, Py_ssize_t D) noexcept nogil:
    # first index of the largest |x| (a NaN wins, as in a max reduction)
    cdef Py_ssize_t i, k = 0
    cdef double m = -1, v
    for i in range(D):
        v = fabs(r[i])
        if v > m or v != v:
            m = v
            k = i
            if v != v:
                break
    return k


cdef inline void _norm(const floating* r, Py_ssize_t D, double p, int mode, double eps,
                       double* n, double* s, Py_ssize_t* k) noexcept nogil:
    # mode 0: general p, 1: p = 1, 2: p = 2, 3: p = inf
    if mode == 3:
        k[0] = _abs_argmax(r, D) if D > 0 else 0
        n[0] = (fabs(r[k[0]]) if D > 0 else 0) + eps
        s[0] = n[0]
    elif mode == 2:
        s[0] = dot(r, r, D) + eps
        n[0] = sqrt(s[0])
    elif mode == 1:
        s[0] = abssum(r, D) + eps
        n[0] = s[0]
    else:
        s[0] = _pow_sum(r, D, p) + eps
        n[0] = pow(s[0], 1.0 / p)


cdef void _forward(const floating* x, floating* y, Py_ssize_t N, Py_ssize_t D,
                   double p, int mode, double eps) noexcept nogil:
    cdef Py_ssize_t r, i, k
    cdef double n, s
    cdef floating inv
    cdef const floating* xr
    cdef floating* yr
    for r in range(N):
        xr = x + r * D
        yr = y + r * D
        _norm(xr, D, p, mode, eps, &n, &s, &k)
        axpb(xr, yr, D, 0, <floating>(1.0 / n), 0)


cdef void _backward(const floating* x, const floating* go, floating* gi, Py_ssize_t N,
                    Py_ssize_t D, double p, int mode, double eps) noexcept nogil:
    cdef Py_ssize_t r, i, k
    cdef double n, s, dt, v
    cdef floating inv, c, xv
    cdef const floating* xr
    cdef const floating* gr
    cdef floating* ir
    for r in range(N):
        xr = x + r * D
        gr = go + r * D
        ir = gi + r * D
        _norm(xr, D, p, mode, eps, &n, &s, &k)
        dt = dot(gr, xr, D)
        inv = <floating>(1.0 / n)
        c = <floating>(dt / (n * s))
        if mode == 3:
            for i in range(D):
                ir[i] = gr[i] * inv
            if D > 0:
                xv = xr[k]
                v = (xv > 0) - (xv < 0)
                ir[k] = <floating>(ir[k] - dt / (n * n) * v)
        elif mode == 2:
            bngi(gr, xr, ir, D, inv, 0, -c, 0)
        elif mode == 1:
            l1gi(gr, xr, ir, D, inv, c)
        else:
            for i in range(D):
                xv = xr[i]
                if xv == 0:
                    ir[i] = gr[i] * inv
                else:
                    v = pow(fabs(<double>xv), p - 1)
                    ir[i] = <floating>(gr[i] * inv - c * (v if xv > 0 else -v))


cdef int _mode(double p) noexcept nogil:
    if p == INFINITY:
        return 3
    if p == 2:
        return 2
    if p == 1:
        return 1
    return 0


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t N, Py_ssize_t D, double p,
                  double eps):
    """y = x / ||x|| per row."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef int mode = _mode(p)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, N, D, p, mode, eps)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, N, D, p, mode, eps)


def update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t N,
                      Py_ssize_t D, double p, double eps):
    """gradInput (written over)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef int mode = _mode(p)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, N, D, p, mode, eps)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, N, D, p, mode,
                      eps)
