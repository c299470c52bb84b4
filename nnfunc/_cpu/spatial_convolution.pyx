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
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm, gemv
from nnfunc._cpu._unfold cimport unfold2d, fold2d

cnp.import_array()

#: bytes of one column tile (the unfolded input of a tile of output rows):
#: small enough to stay in L2 between the unfold and the GEMM that reads it.
TILE_BYTES = 512 * 1024


cdef inline bint _direct(Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                         Py_ssize_t padH, Py_ssize_t padW) noexcept nogil:
    return kH == 1 and kW == 1 and dH == 1 and dW == 1 and padH == 0 and padW == 0


cdef inline void _fill(floating* a, floating v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        a[i] = v


cdef void _forward_direct(const floating* x, const floating* w, const floating* b,
                          floating* y, Py_ssize_t N, Py_ssize_t C, Py_ssize_t L,
                          Py_ssize_t O) noexcept nogil:
    # 1x1 kernel, stride 1, no padding: the image (C, L) is its own column matrix
    cdef Py_ssize_t n, o
    cdef floating* yn
    for n in range(N):
        yn = y + n * O * L
        if b != NULL:
            for o in range(O):
                _fill(yn + o * L, b[o], L)
        # y[O, L] = W[O, C] @ x[C, L] (+ the bias already there)
        gemm(c'n', c'n', <blas_int>O, <blas_int>L, <blas_int>C, 1, w, <blas_int>C,
             x + n * C * L, <blas_int>L, 1 if b != NULL else 0, yn, <blas_int>L)


cdef void _forward_unfold(const floating* x, const floating* w, const floating* b,
                          floating* y, floating* wb, floating* cols, Py_ssize_t N,
                          Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                          Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                          Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                          Py_ssize_t R) noexcept nogil:
    # im2col per tile of R output rows, then y[:, tile] = W @ cols
    cdef Py_ssize_t L = oH * oW, K = C * kH * kW, ld = R * oW
    cdef Py_ssize_t Kb = K + (b != NULL)
    cdef Py_ssize_t n, o, oy0, oy1, T
    cdef const floating* xn
    cdef floating* yn
    if b != NULL:
        # the bias rides in the GEMM: [W | b] (O, K+1) @ [cols ; ones] (K+1, T)
        for o in range(O):
            memcpy(wb + o * Kb, w + o * K, K * sizeof(floating))
            wb[o * Kb + K] = b[o]
        _fill(cols + K * ld, 1, ld)
        w = wb
    for n in range(N):
        xn = x + n * C * H * W
        yn = y + n * O * L
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            unfold2d(xn, cols, C, H, W, kH, kW, dH, dW, padH, padW, 1, 1, oW, oy0, oy1, ld)
            # y[:, tile] (O, T; ld L) = W[O, Kb] @ cols[Kb, T]
            gemm(c'n', c'n', <blas_int>O, <blas_int>T, <blas_int>Kb, 1, w, <blas_int>Kb,
                 cols, <blas_int>ld, 0, yn + oy0 * oW, <blas_int>L)
            oy0 = oy1


cdef void _forward_shifted(const floating* x, const floating* w, const floating* b,
                           floating* y, floating* wt, floating* xpad, floating* yext,
                           Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                           Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                           Py_ssize_t kW, Py_ssize_t padH, Py_ssize_t padW,
                           Py_ssize_t dilH, Py_ssize_t dilW) noexcept nogil:
    # Stride 1 without im2col. In the zero-padded image, flattened per plane
    # with row pitch Wp, tap (ky, kx) of output (oy, ox) reads position
    # (oy + ky dilH) Wp + ox + kx dilW = off(tap) + j, j = oy Wp + ox. So with
    # outputs computed on the padded width, j in [0, oH Wp), every tap is one
    # GEMM whose right operand is a plain strided view of the padded image:
    #     yext[O, oH Wp] += W[:, :, ky, kx] (O, C) @ xpad[:, off : off + oH Wp]
    # (ld Hp Wp). Columns ox >= oW are wrapped junk that only lands in yext
    # columns that are dropped when copying yext to y (a GEMM output column
    # depends on its own input column only). xpad holds kW slack elements so
    # the last plane's view stays in bounds.
    cdef Py_ssize_t Hp = H + 2 * padH, Wp = W + 2 * padW, P = Hp * Wp, LL = oH * Wp
    cdef Py_ssize_t L = oH * oW, T = kH * kW
    cdef Py_ssize_t n, c, i, o, q, t, oy, j
    cdef const floating* xn
    cdef floating* yo
    cdef const floating* ye
    cdef floating bo
    # the weight regrouped per tap: wt[t] = W[:, :, ky, kx] (O, C)
    for o in range(O):
        for c in range(C):
            for t in range(T):
                wt[(t * O + o) * C + c] = w[(o * C + c) * T + t]
    memset(xpad, 0, (C * P + kW * dilW) * sizeof(floating))
    for n in range(N):
        xn = x + n * C * H * W
        for c in range(C):
            for i in range(H):
                memcpy(xpad + c * P + (i + padH) * Wp + padW, xn + (c * H + i) * W,
                       W * sizeof(floating))
        for t in range(T):
            gemm(c'n', c'n', <blas_int>O, <blas_int>LL, <blas_int>C, 1, wt + t * O * C,
                 <blas_int>C, xpad + (t // kW) * dilH * Wp + (t % kW) * dilW, <blas_int>P,
                 0 if t == 0 else 1, yext, <blas_int>LL)
        for o in range(O):
            bo = b[o] if b != NULL else 0
            for oy in range(oH):
                yo = y + (n * O + o) * L + oy * oW
                ye = yext + o * LL + oy * Wp
                for j in range(oW):
                    yo[j] = ye[j] + bo


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, floating* gw, floating* gb, floating* cols, floating* gcols,
                    floating* gwt, Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                    Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                    Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                    Py_ssize_t R) noexcept nogil:
    cdef Py_ssize_t L = oH * oW, K = C * kH * kW, ld = R * oW
    cdef Py_ssize_t Kb = K + (gb != NULL)
    cdef Py_ssize_t n, o, q, oy0, oy1, T
    cdef const floating* xn
    cdef const floating* gon
    cdef floating* gin
    if _direct(kH, kW, dH, dW, padH, padW):
        # every GEMM adds into gradWeight (beta = 1): start from zero
        memset(gw, 0, O * K * sizeof(floating))
        if gb != NULL:
            memset(gb, 0, O * sizeof(floating))
            _fill(cols, 1, L)
        for n in range(N):
            xn = x + n * C * H * W
            gon = go + n * O * L
            # gradInput[C, L] = W[O, C]^T @ gradOutput[O, L]
            gemm(c't', c'n', <blas_int>C, <blas_int>L, <blas_int>O, 1, w, <blas_int>C,
                 gon, <blas_int>L, 0, gi + n * C * H * W, <blas_int>L)
            # gradWeight[O, C] += gradOutput[O, L] @ x[C, L]^T
            gemm(c'n', c't', <blas_int>O, <blas_int>C, <blas_int>L, 1, gon, <blas_int>L,
                 xn, <blas_int>L, 1, gw, <blas_int>C)
            if gb != NULL:
                # gradBias[O] += gradOutput[O, L] @ ones[L]
                gemv(c'n', <blas_int>O, <blas_int>L, 1, gon, <blas_int>L, cols, 1, gb)
        return
    # gwt = [gradWeight^T ; gradBias] (Kb, O) accumulates over tiles and images:
    # cols[K, T] @ gradOutput[:, tile]^T, plus ones[T] @ gradOutput[:, tile]^T for
    # the bias (a row of ones below the unfolded rows). This GEMM shape is also
    # the faster one for OpenBLAS here; one transpose at the end.
    memset(gwt, 0, Kb * O * sizeof(floating))
    if gb != NULL:
        _fill(cols + K * ld, 1, ld)
    for n in range(N):
        xn = x + n * C * H * W
        gon = go + n * O * L
        gin = gi + n * C * H * W
        memset(gin, 0, C * H * W * sizeof(floating))
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            # gcols[K, T] = W[O, K]^T @ gradOutput[:, tile] (O, T; ld L), folded back
            gemm(c't', c'n', <blas_int>K, <blas_int>T, <blas_int>O, 1, w, <blas_int>K,
                 gon + oy0 * oW, <blas_int>L, 0, gcols, <blas_int>ld)
            fold2d(gin, gcols, C, H, W, kH, kW, dH, dW, padH, padW, 1, 1, oW, oy0, oy1, ld)
            unfold2d(xn, cols, C, H, W, kH, kW, dH, dW, padH, padW, 1, 1, oW, oy0, oy1, ld)
            gemm(c'n', c't', <blas_int>Kb, <blas_int>O, <blas_int>T, 1, cols, <blas_int>ld,
                 gon + oy0 * oW, <blas_int>L, 1, gwt, <blas_int>O)
            oy0 = oy1
    for o in range(O):
        for q in range(K):
            gw[o * K + q] = gwt[q * O + o]
    if gb != NULL:
        memcpy(gb, gwt + K * O, O * sizeof(floating))


cdef enum:
    _DIRECT = 1
    _UNFOLD = 2
    _SHIFTED = 3

#: the shifted-GEMM forward needs this many input planes (the K of its GEMMs)
#: to beat im2col, and computes (W + 2 padW) / oW times the useful columns:
#: it is used while that waste stays <= 1/4.
SHIFT_MIN_PLANES = 32


cdef int _method(str method, Py_ssize_t C, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                 Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW) except -1:
    cdef bint direct = _direct(kH, kW, dH, dW, padH, padW)
    cdef bint shift_ok = dH == 1 and dW == 1
    cdef Py_ssize_t Wp = oW + kW - 1
    if method == "auto":
        if direct:
            return _DIRECT
        if shift_ok and C >= SHIFT_MIN_PLANES and 4 * Wp <= 5 * oW:
            return _SHIFTED
        return _UNFOLD
    if method == "direct" and direct:
        return _DIRECT
    if method == "unfold":
        return _UNFOLD
    if method == "shifted" and shift_ok:
        return _SHIFTED
    raise ValueError(f"method {method!r} does not apply here")


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
                  Py_ssize_t tile_bytes=-1, str method="auto"):
    """y = conv(x, w) + b (b may be None). C-contiguous; sizes checked by the caller.

    ``method``: "auto", or (tests and benchmarks) "direct", "unfold" or
    "shifted" where applicable; ``tile_bytes`` caps the column tile.
    """
    cdef Py_ssize_t K = C * kH * kW
    cdef Py_ssize_t R = _tile_rows(K, oH, oW, x.itemsize,
                                   TILE_BYTES if tile_bytes < 0 else tile_bytes)
    cdef Py_ssize_t Hp = H + 2 * padH, Wp = W + 2 * padW
    cdef bint bias = b is not None
    cdef int m = _method(method, C, oW, kH, kW, dH, dW, padH, padW)
    # per-call workspace (never kept: thread safety)
    cdef cnp.ndarray ws1 = None, ws2 = None, ws3 = None
    if N == 0:
        return
    if m == _UNFOLD:
        ws1 = np.empty((K + bias) * R * oW, dtype=x.dtype)      # column tile (+ ones)
        if bias:
            ws2 = np.empty(O * (K + 1), dtype=x.dtype)          # [W | b]
    elif m == _SHIFTED:
        ws1 = np.empty(K * O, dtype=x.dtype)                    # W per tap
        ws2 = np.empty(C * Hp * Wp + kW, dtype=x.dtype)         # padded image
        ws3 = np.empty(O * oH * Wp, dtype=x.dtype)              # output, padded width
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* p1 = _ptr(ws1)
    cdef void* p2 = _ptr(ws2)
    cdef void* p3 = _ptr(ws3)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            if m == _DIRECT:
                _forward_direct(<const float*>px, <const float*>pw, <const float*>pb,
                                <float*>py, N, C, H * W, O)
            elif m == _UNFOLD:
                _forward_unfold(<const float*>px, <const float*>pw, <const float*>pb,
                                <float*>py, <float*>p2, <float*>p1, N, C, H, W, O, oH, oW,
                                kH, kW, dH, dW, padH, padW, R)
            else:
                _forward_shifted(<const float*>px, <const float*>pw, <const float*>pb,
                                 <float*>py, <float*>p1, <float*>p2, <float*>p3, N, C, H, W,
                                 O, oH, oW, kH, kW, padH, padW, 1, 1)
    else:
        with nogil:
            if m == _DIRECT:
                _forward_direct(<const double*>px, <const double*>pw, <const double*>pb,
                                <double*>py, N, C, H * W, O)
            elif m == _UNFOLD:
                _forward_unfold(<const double*>px, <const double*>pw, <const double*>pb,
                                <double*>py, <double*>p2, <double*>p1, N, C, H, W, O, oH, oW,
                                kH, kW, dH, dW, padH, padW, R)
            else:
                _forward_shifted(<const double*>px, <const double*>pw, <const double*>pb,
                                 <double*>py, <double*>p1, <double*>p2, <double*>p3, N, C, H,
                                 W, O, oH, oW, kH, kW, padH, padW, 1, 1)


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
    cdef bint direct = _direct(kH, kW, dH, dW, padH, padW)
    cdef bint bias = gb is not None
    # per-call workspace: column tiles (+ a row of ones), [gradWeight^T ; gradBias]
    cdef cnp.ndarray cols = None, gcols = None, gwt = None
    if direct:
        if bias:
            cols = np.empty(oH * oW, dtype=x.dtype)
    else:
        gwt = np.empty((K + bias) * O, dtype=x.dtype)
        cols = np.empty((K + bias) * R * oW, dtype=x.dtype)
        gcols = np.empty(K * R * oW, dtype=x.dtype)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* pc = _ptr(cols)
    cdef void* pgc = _ptr(gcols)
    cdef void* pgwt = _ptr(gwt)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>pgb, <float*>pc, <float*>pgc, <float*>pgwt,
                      N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pw, <const double*>pgo, <double*>pgi,
                      <double*>pgw, <double*>pgb, <double*>pc, <double*>pgc, <double*>pgwt,
                      N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
