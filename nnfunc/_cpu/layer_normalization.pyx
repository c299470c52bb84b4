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
(the gradient: one more sweep for its two sums). The parameter gradients
accumulate over rows in the gradient arrays themselves (zeroed first).
w, b, gw, gb may be None.
"""

cimport numpy as cnp
from libc.math cimport sqrt
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._norm cimport lnbwd, lnfwd, moments

cnp.import_array()


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


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray y, w, b, Py_ssize_t N, Py_ssize_t D,
                  double eps):
    """y = layer-normalised x (see the module docstring)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pw = _ptr(w)
    cdef void* pb = _ptr(b)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <float*>py, <const float*>pw, <const float*>pb,
                     N, D, eps)
    else:
        with nogil:
            _forward(<const double*>px, <double*>py, <const double*>pw, <const double*>pb,
                     N, D, eps)


def update_grad(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, gw, gb, w, Py_ssize_t N,
                Py_ssize_t D, double eps):
    """gradInput, gradWeight, gradBias (written over)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = _ptr(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* pw = _ptr(w)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pgo, <float*>pgi, <float*>pgw,
                      <float*>pgb, <const float*>pw, N, D, eps)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pgo, <double*>pgi, <double*>pgw,
                      <double*>pgb, <const double*>pw, N, D, eps)
