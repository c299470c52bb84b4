"""SpatialDepthWiseConvolution kernels: direct loops over each plane's taps.

Each output plane reads one input plane, so the GEMM of the unfold method
would have M = depth multiplier rows (usually 1): a matrix-vector product
after a kH*kW times larger copy. The loops here instead add each tap
``w * x[shifted run]`` straight into an output row (forward), scatter it back
into a gradInput row, and take the dot product of a gradOutput row with an
input run (gradWeight). The runs are the unfold's (``valid_range`` of
``_unfold.pxd``: positions in the padding are skipped); with stride 1 they are
contiguous and the compiler vectorises them. One image plane and its output
rows stay in L1 while every tap and multiplier visits them.

Layout: input (N, C, H, W); weight (M, C*kH*kW), w[j, i*kH*kW + ky*kW + kx];
bias (M, C), b[j, i]; output (N, C*M, oH, oW), channel i*M + j.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._unfold cimport valid_range

cnp.import_array()


cdef void _ranges(Py_ssize_t* rng, Py_ssize_t kW, Py_ssize_t dW, Py_ssize_t padW,
                  Py_ssize_t dilW, Py_ssize_t W, Py_ssize_t oW) noexcept nogil:
    # rng[3*kx .. 3*kx+2] = (lo, hi, xs): outputs lo <= ox < hi of tap kx read
    # input column xs + ox*dW, inside the row
    cdef Py_ssize_t kx
    for kx in range(kW):
        rng[3 * kx + 2] = kx * dilW - padW
        valid_range(oW, rng[3 * kx + 2], dW, W, &rng[3 * kx], &rng[3 * kx + 1])


cdef void _forward(const floating* x, const floating* w, const floating* b, floating* y,
                   const Py_ssize_t* rng, Py_ssize_t N, Py_ssize_t C, Py_ssize_t H,
                   Py_ssize_t W, Py_ssize_t M, Py_ssize_t oH, Py_ssize_t oW,
                   Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                   Py_ssize_t padH) noexcept nogil:
    cdef Py_ssize_t kk = kH * kW, L = oH * oW
    cdef Py_ssize_t n, i, j, oy, ky, kx, iy, ox, lo, hi, xs
    cdef const floating* xp
    cdef const floating* xrow
    cdef const floating* wp
    cdef floating* yrow
    cdef floating wv, bv
    for n in range(N):
        for i in range(C):
            xp = x + (n * C + i) * H * W
            for j in range(M):
                wp = w + j * C * kk + i * kk
                bv = b[j * C + i] if b != NULL else 0
                for oy in range(oH):
                    yrow = y + ((n * C + i) * M + j) * L + oy * oW
                    for ox in range(oW):
                        yrow[ox] = bv
                    for ky in range(kH):
                        iy = oy * dH - padH + ky
                        if iy < 0 or iy >= H:
                            continue
                        xrow = xp + iy * W
                        for kx in range(kW):
                            wv = wp[ky * kW + kx]
                            lo = rng[3 * kx]
                            hi = rng[3 * kx + 1]
                            xs = rng[3 * kx + 2]
                            if dW == 1:
                                for ox in range(lo, hi):
                                    yrow[ox] += wv * xrow[xs + ox]
                            else:
                                for ox in range(lo, hi):
                                    yrow[ox] += wv * xrow[xs + ox * dW]


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, floating* gw, floating* gb, floating* acc,
                    const Py_ssize_t* rng,
                    Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t M,
                    Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                    Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH) noexcept nogil:
    cdef Py_ssize_t kk = kH * kW, L = oH * oW
    cdef Py_ssize_t n, i, j, oy, ky, kx, iy, ox, lo, hi, xs, q
    cdef const floating* xp
    cdef const floating* xrow
    cdef const floating* gop
    cdef const floating* gorow
    cdef const floating* wp
    cdef floating* gip
    cdef floating* girow
    cdef floating* gwp
    cdef floating wv, s
    cdef floating* a
    # gradWeight: per plane, acc[t*oW + ox] collects gradOutput * input for tap
    # t and output column ox (element-wise, so it vectorises: a running scalar
    # sum would not without reassociation); summed over ox at the plane's end
    memset(gw, 0, M * C * kk * sizeof(floating))
    if gb != NULL:
        memset(gb, 0, M * C * sizeof(floating))
    for n in range(N):
        for i in range(C):
            xp = x + (n * C + i) * H * W
            gip = gi + (n * C + i) * H * W
            memset(gip, 0, H * W * sizeof(floating))
            for j in range(M):
                wp = w + j * C * kk + i * kk
                gwp = gw + j * C * kk + i * kk
                gop = go + ((n * C + i) * M + j) * L
                if gb != NULL:
                    s = 0
                    for q in range(L):
                        s += gop[q]
                    gb[j * C + i] += s
                memset(acc, 0, kk * oW * sizeof(floating))
                for oy in range(oH):
                    gorow = gop + oy * oW
                    for ky in range(kH):
                        iy = oy * dH - padH + ky
                        if iy < 0 or iy >= H:
                            continue
                        xrow = xp + iy * W
                        girow = gip + iy * W
                        for kx in range(kW):
                            wv = wp[ky * kW + kx]
                            lo = rng[3 * kx]
                            hi = rng[3 * kx + 1]
                            xs = rng[3 * kx + 2]
                            a = acc + (ky * kW + kx) * oW
                            if dW == 1:
                                # two loops of one stream written each: each
                                # vectorises with a single overlap check
                                for ox in range(lo, hi):
                                    girow[xs + ox] += wv * gorow[ox]
                                for ox in range(lo, hi):
                                    a[ox] += gorow[ox] * xrow[xs + ox]
                            else:
                                for ox in range(lo, hi):
                                    girow[xs + ox * dW] += wv * gorow[ox]
                                    a[ox] += gorow[ox] * xrow[xs + ox * dW]
                for q in range(kk):
                    s = 0
                    a = acc + q * oW
                    for ox in range(oW):
                        s += a[ox]
                    gwp[q] += s


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                  Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t M,
                  Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW):
    """y = depthwise conv(x, w) + b (b (M, C) or None), written over."""
    cdef cnp.ndarray rng = np.empty(3 * kW, dtype=np.intp)
    cdef Py_ssize_t* pr = <Py_ssize_t*>cnp.PyArray_DATA(rng)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    with nogil:
        _ranges(pr, kW, dW, padW, 1, W, oW)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <const float*>pw, <const float*>pb, <float*>py, pr,
                     N, C, H, W, M, oH, oW, kH, kW, dH, dW, padH)
    else:
        with nogil:
            _forward(<const double*>px, <const double*>pw, <const double*>pb, <double*>py,
                     pr, N, C, H, W, M, oH, oW, kH, kW, dH, dW, padH)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb,
                Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t M,
                Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW):
    """gradInput, gradWeight and (gb not None) gradBias, written over."""
    cdef cnp.ndarray rng = np.empty(3 * kW, dtype=np.intp)
    cdef cnp.ndarray acc = np.empty(kH * kW * oW, dtype=x.dtype)
    cdef void* pa = cnp.PyArray_DATA(acc)
    cdef Py_ssize_t* pr = <Py_ssize_t*>cnp.PyArray_DATA(rng)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    with nogil:
        _ranges(pr, kW, dW, padW, 1, W, oW)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>pgb, <float*>pa, pr, N, C, H, W, M, oH, oW, kH, kW, dH, dW,
                      padH)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pw, <const double*>pgo,
                      <double*>pgi, <double*>pgw, <double*>pgb, <double*>pa, pr, N, C, H, W, M, oH, oW,
                      kH, kW, dH, dW, padH)
