"""Padding and upsampling kernels: separable index maps over (T, H, W) planes.

Every padding mode (zero/crop, reflection, replication) and nearest
upsampling is a *gather*: output ``(ot, oy, ox)`` of a plane reads input
``(st[ot], sy[oy], sx[ox])``, or is zero where a map holds -1. The maps are
computed once per call by the caller (one entry per output row/column/frame,
each checked to lie in ``[-1, n)``), so the mode costs nothing in the inner
loop. The gradient is the adjoint *scatter*: gradInput is zeroed, then every
gradOutput element is added at its source (reflected and replicated borders
accumulate). A 2-D module passes ``T = oT = 1`` and ``st = [0]``.

Bilinear upsampling (align corners) has two taps per axis: per output row
``(y0, y1, wy0, wy1)`` and per column ``(x0, x1, wx0, wx1)``; forward
interpolates, backward scatters the same four weights.

    gather(x, y, st, sy, sx, planes, T, H, W, oT, oH, oW, lo, hi, c0, c1)
    scatter(go, gi, st, sy, sx, planes, T, H, W, oT, oH, oW, lo, hi, c0, c1)
    bilinear(x, y, y0, y1, wy, x0, x1, wx, planes, H, W, oH, oW)
    bilinear_grad(go, gi, y0, y1, wy, x0, x1, wx, planes, H, W, oH, oW)

``lo, hi``: the columns ``[lo, hi)`` of ``sx`` that are valid (the valid
columns of every mode are contiguous); outside them the output is zero.
``lo <= c0 <= c1 <= hi``: a run of columns read contiguously
(``sx[j] = sx[c0] + j - c0``, the interior of a padded row), copied with
memcpy forward and added in one vectorisable loop backward; empty when
``c0 == c1``.
Index maps are ``intp`` arrays; bilinear weights ``wy``/``wx`` hold the
weight of the second tap (``w1``; the first is ``1 - w1``) in the input's
dtype. All arrays C-contiguous; every size and index checked by the caller.
"""

cimport numpy as cnp
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef void _gather(const floating* x, floating* y, const Py_ssize_t* st,
                  const Py_ssize_t* sy, const Py_ssize_t* sx, Py_ssize_t planes,
                  Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT, Py_ssize_t oH,
                  Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
                  Py_ssize_t c1) noexcept nogil:
    cdef Py_ssize_t p, ot, oy, ox
    cdef const floating* row
    cdef floating* out
    for p in range(planes):
        for ot in range(oT):
            for oy in range(oH):
                out = y + ((p * oT + ot) * oH + oy) * oW
                if st[ot] < 0 or sy[oy] < 0:
                    memset(out, 0, oW * sizeof(floating))
                    continue
                row = x + ((p * T + st[ot]) * H + sy[oy]) * W
                for ox in range(lo):
                    out[ox] = 0
                for ox in range(lo, c0):
                    out[ox] = row[sx[ox]]
                if c1 > c0:
                    memcpy(out + c0, row + sx[c0], (c1 - c0) * sizeof(floating))
                for ox in range(c1, hi):
                    out[ox] = row[sx[ox]]
                for ox in range(hi, oW):
                    out[ox] = 0


cdef void _scatter(const floating* go, floating* gi, const Py_ssize_t* st,
                   const Py_ssize_t* sy, const Py_ssize_t* sx, Py_ssize_t planes,
                   Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT, Py_ssize_t oH,
                   Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
                   Py_ssize_t c1) noexcept nogil:
    cdef Py_ssize_t p, ot, oy, ox
    cdef floating* row
    cdef floating* mid
    cdef const floating* g
    memset(gi, 0, planes * T * H * W * sizeof(floating))
    for p in range(planes):
        for ot in range(oT):
            if st[ot] < 0:
                continue
            for oy in range(oH):
                if sy[oy] < 0:
                    continue
                g = go + ((p * oT + ot) * oH + oy) * oW
                row = gi + ((p * T + st[ot]) * H + sy[oy]) * W
                for ox in range(lo, c0):
                    row[sx[ox]] += g[ox]
                if c1 > c0:
                    mid = row + sx[c0] - c0
                    for ox in range(c0, c1):
                        mid[ox] += g[ox]
                for ox in range(c1, hi):
                    row[sx[ox]] += g[ox]


cdef void _bilinear(const floating* x, floating* y, const Py_ssize_t* y0,
                    const Py_ssize_t* y1, const floating* wy, const Py_ssize_t* x0,
                    const Py_ssize_t* x1, const floating* wx, Py_ssize_t planes,
                    Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                    Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox
    cdef const floating* r0
    cdef const floating* r1
    cdef floating* out
    cdef floating a, b, u, v
    for p in range(planes):
        for oy in range(oH):
            r0 = x + (p * H + y0[oy]) * W
            r1 = x + (p * H + y1[oy]) * W
            b = wy[oy]
            a = 1 - b
            out = y + (p * oH + oy) * oW
            for ox in range(oW):
                # PyTorch's order: a (u x00 + v x01) + b (u x10 + v x11)
                v = wx[ox]
                u = 1 - v
                out[ox] = (a * (u * r0[x0[ox]] + v * r0[x1[ox]])
                           + b * (u * r1[x0[ox]] + v * r1[x1[ox]]))


cdef void _bilinear_grad(const floating* go, floating* gi, const Py_ssize_t* y0,
                         const Py_ssize_t* y1, const floating* wy, const Py_ssize_t* x0,
                         const Py_ssize_t* x1, const floating* wx, Py_ssize_t planes,
                         Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                         Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox
    cdef floating* r0
    cdef floating* r1
    cdef const floating* g
    cdef floating a, b, u, v, c
    memset(gi, 0, planes * H * W * sizeof(floating))
    for p in range(planes):
        for oy in range(oH):
            r0 = gi + (p * H + y0[oy]) * W
            r1 = gi + (p * H + y1[oy]) * W
            b = wy[oy]
            a = 1 - b
            g = go + (p * oH + oy) * oW
            for ox in range(oW):
                v = wx[ox]
                u = 1 - v
                c = a * g[ox]
                r0[x0[ox]] += u * c
                r0[x1[ox]] += v * c
                c = b * g[ox]
                r1[x0[ox]] += u * c
                r1[x1[ox]] += v * c


cdef inline const Py_ssize_t* _idx(cnp.ndarray a):
    return <const Py_ssize_t*>cnp.PyArray_DATA(a)


def gather(cnp.ndarray x, cnp.ndarray y, cnp.ndarray st, cnp.ndarray sy, cnp.ndarray sx,
           Py_ssize_t planes, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT,
           Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
           Py_ssize_t c1):
    """y[p, t, i, j] = x[p, st[t], sy[i], sx[j]], zero where a map is -1."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef const Py_ssize_t* pt = _idx(st)
    cdef const Py_ssize_t* ph = _idx(sy)
    cdef const Py_ssize_t* pw = _idx(sx)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _gather(<const float*>px, <float*>py, pt, ph, pw, planes, T, H, W, oT, oH, oW,
                    lo, hi, c0, c1)
    else:
        with nogil:
            _gather(<const double*>px, <double*>py, pt, ph, pw, planes, T, H, W, oT, oH, oW,
                    lo, hi, c0, c1)


def scatter(cnp.ndarray go, cnp.ndarray gi, cnp.ndarray st, cnp.ndarray sy, cnp.ndarray sx,
            Py_ssize_t planes, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT,
            Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
            Py_ssize_t c1):
    """gi = adjoint of gather applied to go (written over)."""
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef const Py_ssize_t* pt = _idx(st)
    cdef const Py_ssize_t* ph = _idx(sy)
    cdef const Py_ssize_t* pw = _idx(sx)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _scatter(<const float*>pgo, <float*>pgi, pt, ph, pw, planes, T, H, W, oT, oH,
                     oW, lo, hi, c0, c1)
    else:
        with nogil:
            _scatter(<const double*>pgo, <double*>pgi, pt, ph, pw, planes, T, H, W, oT, oH,
                     oW, lo, hi, c0, c1)


def bilinear(cnp.ndarray x, cnp.ndarray y, cnp.ndarray y0, cnp.ndarray y1, cnp.ndarray wy,
             cnp.ndarray x0, cnp.ndarray x1, cnp.ndarray wx, Py_ssize_t planes,
             Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bilinear interpolation of x at the given taps and weights."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pwy = cnp.PyArray_DATA(wy)
    cdef void* pwx = cnp.PyArray_DATA(wx)
    cdef const Py_ssize_t* a0 = _idx(y0)
    cdef const Py_ssize_t* a1 = _idx(y1)
    cdef const Py_ssize_t* b0 = _idx(x0)
    cdef const Py_ssize_t* b1 = _idx(x1)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _bilinear(<const float*>px, <float*>py, a0, a1, <const float*>pwy, b0, b1,
                      <const float*>pwx, planes, H, W, oH, oW)
    else:
        with nogil:
            _bilinear(<const double*>px, <double*>py, a0, a1, <const double*>pwy, b0, b1,
                      <const double*>pwx, planes, H, W, oH, oW)


def bilinear_grad(cnp.ndarray go, cnp.ndarray gi, cnp.ndarray y0, cnp.ndarray y1,
                  cnp.ndarray wy, cnp.ndarray x0, cnp.ndarray x1, cnp.ndarray wx,
                  Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                  Py_ssize_t oW):
    """gi = adjoint of the interpolation applied to go (written over)."""
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pwy = cnp.PyArray_DATA(wy)
    cdef void* pwx = cnp.PyArray_DATA(wx)
    cdef const Py_ssize_t* a0 = _idx(y0)
    cdef const Py_ssize_t* a1 = _idx(y1)
    cdef const Py_ssize_t* b0 = _idx(x0)
    cdef const Py_ssize_t* b1 = _idx(x1)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _bilinear_grad(<const float*>pgo, <float*>pgi, a0, a1, <const float*>pwy, b0, b1,
                           <const float*>pwx, planes, H, W, oH, oW)
    else:
        with nogil:
            _bilinear_grad(<const double*>pgo, <double*>pgi, a0, a1, <const double*>pwy, b0,
                           b1, <const double*>pwx, planes, H, W, oH, oW)
