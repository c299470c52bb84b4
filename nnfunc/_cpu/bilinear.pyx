"""Bilinear kernels over BLAS: y[n, k] = x1[n]^T W[k] x2[n] + b[k].

One GEMM per output unit k (W[k] is a contiguous (in1, in2) matrix):
t = x1 W[k], then y[:, k] = row-wise dot(t, x2). The backward scales the
rows of x1 and x2 by gradOutput[:, k] and runs three GEMMs per k (two
accumulating into the input gradients, zeroed first; one writing
gradWeight[k]). Scratch buffers are malloc'd per call.
"""

cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm

cnp.import_array()


cdef void _fwd(const floating* x1, const floating* x2, const floating* w,
               const floating* b, floating* y, floating* t, Py_ssize_t n, Py_ssize_t a,
               Py_ssize_t bb, Py_ssize_t o) noexcept nogil:
    cdef Py_ssize_t k, r, j
    cdef floating s
    if n == 0:
        return
    for k in range(o):
        # t[n, bb] = x1[n, a] @ W[k][a, bb]
        gemm(c'n', c'n', <blas_int>n, <blas_int>bb, <blas_int>a, 1, x1, <blas_int>a,
             w + k * a * bb, <blas_int>bb, 0, t, <blas_int>bb)
        for r in range(n):
            s = 0
            for j in range(bb):
                s = s + t[r * bb + j] * x2[r * bb + j]
            y[r * o + k] = s + (b[k] if b != NULL else 0)


cdef void _bwd(const floating* x1, const floating* x2, const floating* w,
               const floating* go, floating* g1, floating* g2, floating* gw, floating* gb,
               floating* s1, floating* s2, Py_ssize_t n, Py_ssize_t a, Py_ssize_t bb,
               Py_ssize_t o) noexcept nogil:
    cdef Py_ssize_t k, r, i
    cdef floating c
    memset(g1, 0, n * a * sizeof(floating))
    memset(g2, 0, n * bb * sizeof(floating))
    if gb != NULL:
        memset(gb, 0, o * sizeof(floating))
        for r in range(n):
            for k in range(o):
                gb[k] += go[r * o + k]
    if n == 0:
        memset(gw, 0, o * a * bb * sizeof(floating))
        return
    for k in range(o):
        for r in range(n):
            c = go[r * o + k]
            for i in range(a):
                s1[r * a + i] = c * x1[r * a + i]
            for i in range(bb):
                s2[r * bb + i] = c * x2[r * bb + i]
        # g1[n, a] += s2[n, bb] @ W[k]^T
        gemm(c'n', c't', <blas_int>n, <blas_int>a, <blas_int>bb, 1, s2, <blas_int>bb,
             w + k * a * bb, <blas_int>bb, 1, g1, <blas_int>a)
        # g2[n, bb] += s1[n, a] @ W[k]
        gemm(c'n', c'n', <blas_int>n, <blas_int>bb, <blas_int>a, 1, s1, <blas_int>a,
             w + k * a * bb, <blas_int>bb, 1, g2, <blas_int>bb)
        # gW[k][a, bb] = s1^T @ x2
        gemm(c't', c'n', <blas_int>a, <blas_int>bb, <blas_int>n, 1, s1, <blas_int>a,
             x2, <blas_int>bb, 0, gw + k * a * bb, <blas_int>bb)


cdef inline void* _ptr(object v):
    return NULL if v is None else cnp.PyArray_DATA(<cnp.ndarray>v)


def update_output(cnp.ndarray x1, cnp.ndarray x2, cnp.ndarray w, object b, cnp.ndarray y,
                  Py_ssize_t n, Py_ssize_t a, Py_ssize_t bb, Py_ssize_t o):
    """y = bilinear(x1, x2; W) + b (b may be None); C-contiguous, checked sizes."""
    cdef void* p1 = cnp.PyArray_DATA(x1)
    cdef void* p2 = cnp.PyArray_DATA(x2)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* t = malloc(max(n * bb, 1) * cnp.PyArray_ITEMSIZE(x1))
    if t == NULL:
        raise MemoryError()
    try:
        if cnp.PyArray_TYPE(x1) == cnp.NPY_FLOAT:
            with nogil:
                _fwd(<const float*>p1, <const float*>p2, <const float*>pw,
                     <const float*>pb, <float*>py, <float*>t, n, a, bb, o)
        else:
            with nogil:
                _fwd(<const double*>p1, <const double*>p2, <const double*>pw,
                     <const double*>pb, <double*>py, <double*>t, n, a, bb, o)
    finally:
        free(t)


def update_grad(cnp.ndarray x1, cnp.ndarray x2, cnp.ndarray w, cnp.ndarray go,
                cnp.ndarray g1, cnp.ndarray g2, cnp.ndarray gw, object gb,
                Py_ssize_t n, Py_ssize_t a, Py_ssize_t bb, Py_ssize_t o):
    """Both input gradients, gradWeight and (gb not None) gradBias, written over."""
    cdef void* p1 = cnp.PyArray_DATA(x1)
    cdef void* p2 = cnp.PyArray_DATA(x2)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pg1 = cnp.PyArray_DATA(g1)
    cdef void* pg2 = cnp.PyArray_DATA(g2)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    cdef Py_ssize_t isz = cnp.PyArray_ITEMSIZE(x1)
    cdef void* s1 = malloc(max(n * a, 1) * isz)
    cdef void* s2 = malloc(max(n * bb, 1) * isz)
    if s1 == NULL or s2 == NULL:
        free(s1)
        free(s2)
        raise MemoryError()
    try:
        if cnp.PyArray_TYPE(x1) == cnp.NPY_FLOAT:
            with nogil:
                _bwd(<const float*>p1, <const float*>p2, <const float*>pw,
                     <const float*>pgo, <float*>pg1, <float*>pg2, <float*>pgw,
                     <float*>pgb, <float*>s1, <float*>s2, n, a, bb, o)
        else:
            with nogil:
                _bwd(<const double*>p1, <const double*>p2, <const double*>pw,
                     <const double*>pgo, <double*>pg1, <double*>pg2, <double*>pgw,
                     <double*>pgb, <double*>s1, <double*>s2, n, a, bb, o)
    finally:
        free(s1)
        free(s2)
