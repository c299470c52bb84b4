"""TemporalConvolution kernels: GEMMs straight on strided views, nothing unfolded.

A sequence x (T, F) is row-major, so the kW frames that output frame t reads,
x[t*dW : t*dW + kW], are the kW*F contiguous values from row t*dW on: the
unfolded matrix (T', kW*F) is x itself with leading dimension dW*F. BLAS
wants a leading dimension >= the row length, which that is only when
dW >= kW; so the product is split by kernel tap k instead, each a GEMM with
K = F on the view X_k = x[k : k + (T'-1)*dW + 1 : dW] (T', F; ld dW*F) and
the weight block W_k = weight[:, k*F : (k+1)*F] (O, F; ld kW*F):

    forward     y (T', O)   = b + sum_k X_k @ W_k^T
    backward    gi[X_k view] += gradOutput @ W_k          (gi zeroed first)
                gW_k        += gradOutput^T @ X_k          (over the batch)
                gb          += gradOutput^T @ ones

When T is a multiple of dW (always for dW = 1), the batch is one long
sequence instead: merged row r = n*S + t (S = T/dW) reads frames r*dW + k of
the flattened (N*T, F) input, so each product is kW GEMMs over all
R = (N*T - kW)//dW + 1 rows at once, not N*kW small ones (many small GEMMs
pay OpenBLAS's thread hand-off each time, which costs several times the
arithmetic on a busy machine). The rows t >= T' of each sample straddle two
samples: the forward computes them into a workspace (R, O) and copies the
valid rows out; the backward puts gradOutput into such a workspace with
those rows zero, so they add nothing to gradInput or gradWeight. That holds
only for finite input (0 * inf is NaN): the gradient checks the input first
(one pass) and takes the per-sample path when it holds an inf or NaN, so a
frame that no window reads never reaches gradWeight.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm, gemv

cnp.import_array()

#: the merged rows R must fit a BLAS int
cdef Py_ssize_t _INT_MAX = 2**31 - 1


cdef void _forward(const floating* x, const floating* w, const floating* b, floating* y,
                   Py_ssize_t N, Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT,
                   Py_ssize_t kW, Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t n, t, k
    cdef floating* yn
    cdef const floating* xn
    for n in range(N):
        yn = y + n * oT * O
        xn = x + n * T * F
        if b != NULL:
            for t in range(oT):
                memcpy(yn + t * O, b, O * sizeof(floating))
        for k in range(kW):
            # y (oT, O) += X_k (oT, F; ld dW*F) @ W_k^T (F, O)
            gemm(c'n', c't', <blas_int>oT, <blas_int>O, <blas_int>F, 1, xn + k * F,
                 <blas_int>(dW * F), w + k * F, <blas_int>(kW * F),
                 1 if (b != NULL or k > 0) else 0, yn, <blas_int>O)


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, floating* gw, floating* gb, floating* ones,
                    Py_ssize_t N, Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT,
                    Py_ssize_t kW, Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t n, t, k
    cdef const floating* gon
    cdef const floating* xn
    cdef floating* gin
    memset(gw, 0, O * kW * F * sizeof(floating))
    if gb != NULL:
        memset(gb, 0, O * sizeof(floating))
        for t in range(oT):
            ones[t] = 1
    for n in range(N):
        gon = go + n * oT * O
        xn = x + n * T * F
        gin = gi + n * T * F
        # frames no window reaches (the tail when (T - kW) % dW != 0, the
        # gaps when dW > kW) keep gradient 0
        memset(gin, 0, T * F * sizeof(floating))
        for k in range(kW):
            # gi[X_k view] (oT, F; ld dW*F) += gradOutput (oT, O) @ W_k (O, F)
            gemm(c'n', c'n', <blas_int>oT, <blas_int>F, <blas_int>O, 1, gon, <blas_int>O,
                 w + k * F, <blas_int>(kW * F), 1, gin + k * F, <blas_int>(dW * F))
            # gW_k (O, F; ld kW*F) += gradOutput^T (O, oT) @ X_k (oT, F)
            gemm(c't', c'n', <blas_int>O, <blas_int>F, <blas_int>oT, 1, gon, <blas_int>O,
                 xn + k * F, <blas_int>(dW * F), 1, gw + k * F, <blas_int>(kW * F))
        if gb != NULL:
            gemv(c't', <blas_int>oT, <blas_int>O, 1, gon, <blas_int>O, ones, 1, gb)


cdef void _forward_merged(const floating* x, const floating* w, const floating* b,
                          floating* y, floating* z, Py_ssize_t N, Py_ssize_t T,
                          Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                          Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t S = T // dW, R = (N * T - kW) // dW + 1
    cdef Py_ssize_t n, r, k
    if b != NULL:
        for r in range(R):
            memcpy(z + r * O, b, O * sizeof(floating))
    for k in range(kW):
        # z (R, O) += X_k (R, F; ld dW*F) @ W_k^T (F, O)
        gemm(c'n', c't', <blas_int>R, <blas_int>O, <blas_int>F, 1, x + k * F,
             <blas_int>(dW * F), w + k * F, <blas_int>(kW * F),
             1 if (b != NULL or k > 0) else 0, z, <blas_int>O)
    for n in range(N):
        memcpy(y + n * oT * O, z + n * S * O, oT * O * sizeof(floating))


cdef void _backward_merged(const floating* x, const floating* w, const floating* go,
                           floating* gi, floating* gw, floating* gb, floating* g,
                           floating* ones, Py_ssize_t N, Py_ssize_t T, Py_ssize_t F,
                           Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                           Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t S = T // dW, R = (N * T - kW) // dW + 1
    cdef Py_ssize_t n, r, k, rows
    # g (R, O): gradOutput at the merged rows, 0 at the straddling ones
    for n in range(N):
        memcpy(g + n * S * O, go + n * oT * O, oT * O * sizeof(floating))
        rows = S - oT if (n + 1) * S <= R else R - n * S - oT
        if rows > 0:
            memset(g + (n * S + oT) * O, 0, rows * O * sizeof(floating))
    memset(gi, 0, N * T * F * sizeof(floating))
    for k in range(kW):
        # gi[X_k view] (R, F; ld dW*F) += g (R, O) @ W_k (O, F)
        gemm(c'n', c'n', <blas_int>R, <blas_int>F, <blas_int>O, 1, g, <blas_int>O,
             w + k * F, <blas_int>(kW * F), 1, gi + k * F, <blas_int>(dW * F))
        # gW_k (O, F; ld kW*F) = g^T (O, R) @ X_k (R, F)
        gemm(c't', c'n', <blas_int>O, <blas_int>F, <blas_int>R, 1, g, <blas_int>O,
             x + k * F, <blas_int>(dW * F), 0, gw + k * F, <blas_int>(kW * F))
    if gb != NULL:
        for r in range(R):
            ones[r] = 1
        gemv(c't', <blas_int>R, <blas_int>O, 1, g, <blas_int>O, ones, 0, gb)


cdef bint _all_finite(const floating* x, Py_ssize_t n) noexcept nogil:
    """No inf or NaN in x[0:n]: x * 0 is 0 for finite x, NaN otherwise (one
    branch-free pass in 8 lanes)."""
    cdef floating acc[8]
    cdef Py_ssize_t i, j
    for j in range(8):
        acc[j] = 0
    i = 0
    while i + 8 <= n:
        for j in range(8):
            acc[j] = acc[j] + x[i + j] * 0
        i += 8
    for j in range(n - i):
        acc[j] = acc[j] + x[i + j] * 0
    for j in range(8):
        if acc[j] != 0:
            return False
    return True


cdef bint _finite(cnp.ndarray x):
    """_all_finite over the whole float32 / float64 array x (GIL released)."""
    cdef void* p = cnp.PyArray_DATA(x)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef bint r
    with nogil:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            r = _all_finite(<const float*>p, n)
        else:
            r = _all_finite(<const double*>p, n)
    return r


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y, Py_ssize_t N,
                  Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                  Py_ssize_t dW):
    """y (N, oT, O) = temporal conv of x (N, T, F) with w (O, kW*F), + b (or None)."""
    cdef bint merged = N > 1 and T % dW == 0 and N * T <= _INT_MAX
    cdef cnp.ndarray z = np.empty(((N * T - kW) // dW + 1) * O if merged else 0,
                                  dtype=x.dtype)
    cdef void* pz = cnp.PyArray_DATA(z)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    if merged:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _forward_merged(<const float*>px, <const float*>pw, <const float*>pb,
                                <float*>py, <float*>pz, N, T, F, O, oT, kW, dW)
        else:
            with nogil:
                _forward_merged(<const double*>px, <const double*>pw, <const double*>pb,
                                <double*>py, <double*>pz, N, T, F, O, oT, kW, dW)
        return
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <const float*>pw, <const float*>pb, <float*>py,
                     N, T, F, O, oT, kW, dW)
    else:
        with nogil:
            _forward(<const double*>px, <const double*>pw, <const double*>pb, <double*>py,
                     N, T, F, O, oT, kW, dW)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb, Py_ssize_t N, Py_ssize_t T, Py_ssize_t F,
                Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW, Py_ssize_t dW):
    """gradInput, gradWeight and (gb not None) gradBias, written over."""
    cdef bint merged = N > 1 and T % dW == 0 and N * T <= _INT_MAX
    cdef Py_ssize_t R
    if merged:
        # the straddling rows read frames no window reads: exact only if finite
        merged = _finite(x)
    R = (N * T - kW) // dW + 1 if merged else 0
    cdef cnp.ndarray ones = np.empty((R if merged else oT) if gb is not None else 0,
                                     dtype=x.dtype)
    cdef cnp.ndarray g = np.empty(R * O, dtype=x.dtype)
    cdef void* pg = cnp.PyArray_DATA(g)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* po = cnp.PyArray_DATA(ones)
    if merged:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _backward_merged(<const float*>px, <const float*>pw, <const float*>pgo,
                                 <float*>pgi, <float*>pgw, <float*>pgb, <float*>pg,
                                 <float*>po, N, T, F, O, oT, kW, dW)
        else:
            with nogil:
                _backward_merged(<const double*>px, <const double*>pw, <const double*>pgo,
                                 <double*>pgi, <double*>pgw, <double*>pgb, <double*>pg,
                                 <double*>po, N, T, F, O, oT, kW, dW)
        return
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>pgb, <float*>po, N, T, F, O, oT, kW, dW)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pw, <const double*>pgo,
                      <double*>pgi, <double*>pgw, <double*>pgb, <double*>po,
                      N, T, F, O, oT, kW, dW)
