"""Linear kernels over BLAS: y = x W^T + b and its gradients.

Batch input (N, inputSize) uses GEMM, a single vector GEMV. Gradients are
written over (beta = 0), never accumulated.
"""

cimport numpy as cnp
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm, gemv

cnp.import_array()


cdef void _forward(const floating* x, const floating* w, const floating* b,
                   floating* y, Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout,
                   bint batch) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating beta = 0
    if b != NULL:
        beta = 1
        for i in range(n):
            memcpy(y + i * nout, b, nout * sizeof(floating))
    if batch:
        # y[n, out] = x[n, in] @ W[out, in]^T + beta * y
        gemm(c'n', c't', <blas_int>n, <blas_int>nout, <blas_int>nin, 1, x, <blas_int>nin,
             w, <blas_int>nin, beta, y, <blas_int>nout)
    else:
        # y[out] = W[out, in] @ x[in] + beta * y
        gemv(c'n', <blas_int>nout, <blas_int>nin, 1, w, <blas_int>nin, x, beta, y)


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, floating* gw, floating* gb,
                    Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout,
                    bint batch) noexcept nogil:
    cdef Py_ssize_t i, j
    if batch:
        # gradInput[n, in] = gradOutput[n, out] @ W[out, in]
        gemm(c'n', c'n', <blas_int>n, <blas_int>nin, <blas_int>nout, 1, go, <blas_int>nout,
             w, <blas_int>nin, 0, gi, <blas_int>nin)
        # gradWeight[out, in] = gradOutput[n, out]^T @ x[n, in]
        gemm(c't', c'n', <blas_int>nout, <blas_int>nin, <blas_int>n, 1, go, <blas_int>nout,
             x, <blas_int>nin, 0, gw, <blas_int>nin)
        if gb != NULL:
            # gradBias[out] = sum over the batch of gradOutput rows
            memset(gb, 0, nout * sizeof(floating))
            for i in range(n):
                for j in range(nout):
                    gb[j] += go[i * nout + j]
    else:
        # gradInput[in] = W[out, in]^T @ gradOutput[out]
        gemv(c't', <blas_int>nout, <blas_int>nin, 1, w, <blas_int>nin, go, 0, gi)
        # gradWeight[out, in] = gradOutput[out, 1] @ x[1, in]   (outer product)
        gemm(c'n', c'n', <blas_int>nout, <blas_int>nin, 1, 1, go, 1, x, <blas_int>nin,
             0, gw, <blas_int>nin)
        if gb != NULL:
            memcpy(gb, go, nout * sizeof(floating))


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                  Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout, bint batch):
    """y = x W^T + b (b may be None). C-contiguous; sizes checked by the caller."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <const float*>pw, <const float*>pb, <float*>py,
                     n, nin, nout, batch)
    else:
        with nogil:
            _forward(<const double*>px, <const double*>pw, <const double*>pb, <double*>py,
                     n, nin, nout, batch)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb, Py_ssize_t n, Py_ssize_t nin,
                Py_ssize_t nout, bint batch):
    """gradInput, gradWeight and (gb not None) gradBias, written over."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>pgb, n, nin, nout, batch)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pw, <const double*>pgo, <double*>pgi,
                      <double*>pgw, <double*>pgb, n, nin, nout, batch)
