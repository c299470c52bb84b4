"""SpatialConvolution kernels: unfold (im2col) + GEMM, as Torch7's SpatialConvolutionMM.

Per image, the output rows are processed in tiles: the tile's columns
(nInputPlane*kH*kW, rows*oW) are unfolded into a buffer small enough to stay
in cache, then one GEMM per tile:

    forward:    y[:, tile]  = W @ cols + b
    backward:   gcols       = W^T @ gradOutput[:, tile];  gradInput += fold(gcols)
                gradWeight += gradOutput[:, tile] @ cols^T
                gradBias    = sum of gradOutput over batch and positions

A 1x1 kernel with stride 1 and no padding needs no unfold: the image itself,
(nInputPlane, H*W), is the column matrix. The column buffers are allocated
per call (np.empty, before the GIL is released), never kept between calls.
Gradients are written over, never accumulated into what the buffers held.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm
from nnfunc._cpu._unfold cimport unfold2d, fold2d

cnp.import_array()

#: bytes of one column tile (the unfolded input of a tile of output rows):
#: small enough to stay in L2 between the unfold and the GEMM that reads it.
TILE_BYTES = 512 * 1024


cdef inline bint _direct(Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                         Py_ssize_t padH, Py_ssize_t padW) noexcept nogil:
    return kH == 1 and kW == 1 and dH == 1 and dW == 1 and padH == 0 and padW == 0


cdef void _forward(const floating* x, const floating* w, const floating* b, floating* y,
                   floating* cols, Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                   Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                   Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                   Py_ssize_t R) noexcept nogil:
    cdef Py_ssize_t L = oH * oW, K = C * kH * kW
    cdef Py_ssize_t n, o, j, oy0, oy1, T
    cdef const floating* xn
    cdef floating* yn
    cdef floating* yo
    cdef floating beta = 0
    cdef floating bo
    cdef bint direct = _direct(kH, kW, dH, dW, padH, padW)
    for n in range(N):
        xn = x + n * C * H * W
        yn = y + n * O * L
        if b != NULL:
            # y starts as the bias; the GEMMs add W @ cols to it
            beta = 1
            for o in range(O):
                yo = yn + o * L
                bo = b[o]
                for j in range(L):
                    yo[j] = bo
        if direct:
            # y[O, L] = W[O, C] @ x[C, L]
            gemm(c'n', c'n', <blas_int>O, <blas_int>L, <blas_int>C, 1, w, <blas_int>C,
                 xn, <blas_int>L, beta, yn, <blas_int>L)
            continue
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            unfold2d(xn, cols, C, H, W, kH, kW, dH, dW, padH, padW, 1, 1, oW, oy0, oy1)
            # y[:, tile] (O, T; ld L) = W[O, K] @ cols[K, T]
            gemm(c'n', c'n', <blas_int>O, <blas_int>T, <blas_int>K, 1, w, <blas_int>K,
                 cols, <blas_int>T, beta, yn + oy0 * oW, <blas_int>L)
            oy0 = oy1


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, floating* gw, floating* gb, floating* cols, floating* gcols,
                    Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                    Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                    Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                    Py_ssize_t R) noexcept nogil:
    cdef Py_ssize_t L = oH * oW, K = C * kH * kW
    cdef Py_ssize_t n, o, j, oy0, oy1, T
    cdef const floating* xn
    cdef const floating* gon
    cdef const floating* g
    cdef floating* gin
    cdef double s
    cdef bint direct = _direct(kH, kW, dH, dW, padH, padW)
    # every GEMM below adds into gradWeight (beta = 1): start from zero
    memset(gw, 0, O * K * sizeof(floating))
    if gb != NULL:
        memset(gb, 0, O * sizeof(floating))
    for n in range(N):
        xn = x + n * C * H * W
        gon = go + n * O * L
        gin = gi + n * C * H * W
        if gb != NULL:
            for o in range(O):
                g = gon + o * L
                s = 0
                for j in range(L):
                    s += g[j]
                gb[o] += <floating>s
        if direct:
            # gradInput[C, L] = W[O, C]^T @ gradOutput[O, L]
            gemm(c't', c'n', <blas_int>C, <blas_int>L, <blas_int>O, 1, w, <blas_int>C,
                 gon, <blas_int>L, 0, gin, <blas_int>L)
            # gradWeight[O, C] += gradOutput[O, L] @ x[C, L]^T
            gemm(c'n', c't', <blas_int>O, <blas_int>C, <blas_int>L, 1, gon, <blas_int>L,
                 xn, <blas_int>L, 1, gw, <blas_int>C)
            continue
        memset(gin, 0, C * H * W * sizeof(floating))
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            # gcols[K, T] = W[O, K]^T @ gradOutput[:, tile] (O, T; ld L), folded back
            gemm(c't', c'n', <blas_int>K, <blas_int>T, <blas_int>O, 1, w, <blas_int>K,
                 gon + oy0 * oW, <blas_int>L, 0, gcols, <blas_int>T)
            fold2d(gin, gcols, C, H, W, kH, kW, dH, dW, padH, padW, 1, 1, oW, oy0, oy1)
            # gradWeight[O, K] += gradOutput[:, tile] @ cols[K, T]^T
            unfold2d(xn, cols, C, H, W, kH, kW, dH, dW, padH, padW, 1, 1, oW, oy0, oy1)
            gemm(c'n', c't', <blas_int>O, <blas_int>K, <blas_int>T, 1, gon + oy0 * oW,
                 <blas_int>L, cols, <blas_int>T, 1, gw, <blas_int>K)
            oy0 = oy1


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


cdef Py_ssize_t _tile_rows(Py_ssize_t K, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t itemsize,
                           Py_ssize_t tile_bytes):
    cdef Py_ssize_t r = tile_bytes // (K * oW * itemsize) if K * oW > 0 else oH
    if r < 1:
        r = 1
    if r > oH:
        r = oH
    return r


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                  Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                  Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                  Py_ssize_t tile_bytes=-1):
    """y = conv(x, w) + b (b may be None). C-contiguous; sizes checked by the caller."""
    cdef Py_ssize_t K = C * kH * kW
    cdef Py_ssize_t R = _tile_rows(K, oH, oW, x.itemsize,
                                   TILE_BYTES if tile_bytes < 0 else tile_bytes)
    cdef cnp.ndarray cols = None
    cdef void* pc = NULL
    if N > 0 and not _direct(kH, kW, dH, dW, padH, padW):
        cols = np.empty(K * R * oW, dtype=x.dtype)
        pc = cnp.PyArray_DATA(cols)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <const float*>pw, <const float*>pb, <float*>py,
                     <float*>pc, N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
    else:
        with nogil:
            _forward(<const double*>px, <const double*>pw, <const double*>pb, <double*>py,
                     <double*>pc, N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb,
                Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                Py_ssize_t tile_bytes=-1):
    """gradInput, gradWeight and (gb not None) gradBias, written over."""
    cdef Py_ssize_t K = C * kH * kW
    cdef Py_ssize_t R = _tile_rows(K, oH, oW, x.itemsize,
                                   TILE_BYTES if tile_bytes < 0 else tile_bytes)
    cdef cnp.ndarray cols = None, gcols = None
    cdef void* pc = NULL
    cdef void* pgc = NULL
    if N > 0 and not _direct(kH, kW, dH, dW, padH, padW):
        cols = np.empty(K * R * oW, dtype=x.dtype)
        gcols = np.empty(K * R * oW, dtype=x.dtype)
        pc = cnp.PyArray_DATA(cols)
        pgc = cnp.PyArray_DATA(gcols)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>pgb, <float*>pc, <float*>pgc,
                      N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pw, <const double*>pgo, <double*>pgi,
                      <double*>pgw, <double*>pgb, <double*>pc, <double*>pgc,
                      N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
