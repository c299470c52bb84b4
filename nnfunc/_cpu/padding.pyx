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

Large calls are split over the thread pool by planes (each part owns whole
output planes: the same bits for any thread count).
"""

cimport numpy as cnp
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for, plane_grain

cnp.import_array()


cdef void _gather(const floating* x, floating* y, const Py_ssize_t* st,
                  const Py_ssize_t* sy, const Py_ssize_t* sx, Py_ssize_t p0, Py_ssize_t p1,
                  Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT, Py_ssize_t oH,
                  Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
                  Py_ssize_t c1) noexcept nogil:
    # The zero border runs are inline loops, not memset calls (the extension
    # is built with -fno-tree-loop-distribute-patterns so that GCC keeps
    # them loops): two library calls a row for a few zeros cost as much as
    # the row's copy (zero padding 32x64x32x32 p2, one thread: ~430 ->
    # ~330 us). The interior stays a memcpy (faster than the loop there).
    cdef Py_ssize_t p, ot, oy, ox
    cdef const floating* row
    cdef floating* out
    for p in range(p0, p1):
        for ot in range(oT):
            for oy in range(oH):
                out = y + ((p * oT + ot) * oH + oy) * oW
                if st[ot] < 0 or sy[oy] < 0:
                    for ox in range(oW):
                        out[ox] = 0
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
                   const Py_ssize_t* sy, const Py_ssize_t* sx, Py_ssize_t p0, Py_ssize_t p1,
                   Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT, Py_ssize_t oH,
                   Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
                   Py_ssize_t c1) noexcept nogil:
    cdef Py_ssize_t p, ot, oy, ox
    cdef floating* row
    cdef floating* mid
    cdef const floating* g
    memset(gi + p0 * T * H * W, 0, (p1 - p0) * T * H * W * sizeof(floating))
    for p in range(p0, p1):
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
                    const Py_ssize_t* x1, const floating* wx, Py_ssize_t p0,
                    Py_ssize_t p1, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                    Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox
    cdef const floating* r0
    cdef const floating* r1
    cdef floating* out
    cdef floating a, b, u, v
    for p in range(p0, p1):
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
                         const Py_ssize_t* x1, const floating* wx, Py_ssize_t p0,
                         Py_ssize_t p1, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                         Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, oy, ox
    cdef floating* r0
    cdef floating* r1
    cdef const floating* g
    cdef floating a, b, u, v, c
    memset(gi + p0 * H * W, 0, (p1 - p0) * H * W * sizeof(floating))
    for p in range(p0, p1):
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


# Every kernel maps input plane p to output plane p only (the scatters add
# within one gradInput plane), so the planes are split over the thread pool:
# each part owns disjoint output planes and runs the one-thread code on them
# (the same bits for any number of threads).
ctypedef struct _Job:
    int kind            # 0 gather, 1 scatter, 2 bilinear, 3 bilinear_grad
    bint dbl
    const char* src
    char* dst
    const Py_ssize_t* m0     # st / y0
    const Py_ssize_t* m1     # sy / y1
    const Py_ssize_t* m2     # sx / x0
    const Py_ssize_t* m3     # x1
    const char* w0           # wy
    const char* w1           # wx
    Py_ssize_t T, H, W, oT, oH, oW, lo, hi, c0, c1


cdef void _task_t(floating* t, const _Job* j, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    # planes [p0, p1) of the job (t only picks the type)
    cdef const floating* src = <const floating*>j.src
    cdef floating* dst = <floating*>j.dst
    if j.kind == 0:
        _gather(src, dst, j.m0, j.m1, j.m2, p0, p1, j.T, j.H, j.W, j.oT, j.oH, j.oW, j.lo,
                j.hi, j.c0, j.c1)
    elif j.kind == 1:
        _scatter(src, dst, j.m0, j.m1, j.m2, p0, p1, j.T, j.H, j.W, j.oT, j.oH, j.oW, j.lo,
                 j.hi, j.c0, j.c1)
    elif j.kind == 2:
        _bilinear(src, dst, j.m0, j.m1, <const floating*>j.w0, j.m2, j.m3,
                  <const floating*>j.w1, p0, p1, j.H, j.W, j.oH, j.oW)
    else:
        _bilinear_grad(src, dst, j.m0, j.m1, <const floating*>j.w0, j.m2, j.m3,
                       <const floating*>j.w1, p0, p1, j.H, j.W, j.oH, j.oW)


cdef void _task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef const _Job* j = <const _Job*>ctx
    if j.dbl:
        _task_t(<double*>NULL, j, p0, p1)
    else:
        _task_t(<float*>NULL, j, p0, p1)


cdef void _run(_Job* j, Py_ssize_t planes) noexcept nogil:
    # the work of a plane: its larger side (the output of a gather, the
    # input of a scatter's memset and the adds)
    cdef Py_ssize_t a = j.T * j.H * j.W, b = j.oT * j.oH * j.oW
    parallel_for(_task, j, planes, plane_grain(a if a > b else b), 1)


cdef void _maps(_Job* j, cnp.ndarray st, cnp.ndarray sy, cnp.ndarray sx, Py_ssize_t T,
                Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT, Py_ssize_t oH, Py_ssize_t oW,
                Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0, Py_ssize_t c1):
    j.m0 = _idx(st)
    j.m1 = _idx(sy)
    j.m2 = _idx(sx)
    j.m3 = NULL
    j.w0 = j.w1 = NULL
    j.T, j.H, j.W, j.oT, j.oH, j.oW = T, H, W, oT, oH, oW
    j.lo, j.hi, j.c0, j.c1 = lo, hi, c0, c1


def gather(cnp.ndarray x, cnp.ndarray y, cnp.ndarray st, cnp.ndarray sy, cnp.ndarray sx,
           Py_ssize_t planes, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT,
           Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
           Py_ssize_t c1):
    """y[p, t, i, j] = x[p, st[t], sy[i], sx[j]], zero where a map is -1."""
    cdef _Job j
    j.kind = 0
    j.dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    j.src = <const char*>cnp.PyArray_DATA(x)
    j.dst = <char*>cnp.PyArray_DATA(y)
    _maps(&j, st, sy, sx, T, H, W, oT, oH, oW, lo, hi, c0, c1)
    with nogil:
        _run(&j, planes)


def scatter(cnp.ndarray go, cnp.ndarray gi, cnp.ndarray st, cnp.ndarray sy, cnp.ndarray sx,
            Py_ssize_t planes, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oT,
            Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t c0,
            Py_ssize_t c1):
    """gi = adjoint of gather applied to go (written over)."""
    cdef _Job j
    j.kind = 1
    j.dbl = cnp.PyArray_TYPE(go) != cnp.NPY_FLOAT
    j.src = <const char*>cnp.PyArray_DATA(go)
    j.dst = <char*>cnp.PyArray_DATA(gi)
    _maps(&j, st, sy, sx, T, H, W, oT, oH, oW, lo, hi, c0, c1)
    with nogil:
        _run(&j, planes)


cdef void _bilinear_job(_Job* j, int kind, cnp.ndarray src, cnp.ndarray dst, cnp.ndarray y0,
                        cnp.ndarray y1, cnp.ndarray wy, cnp.ndarray x0, cnp.ndarray x1,
                        cnp.ndarray wx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                        Py_ssize_t oW):
    j.kind = kind
    j.dbl = cnp.PyArray_TYPE(src) != cnp.NPY_FLOAT
    j.src = <const char*>cnp.PyArray_DATA(src)
    j.dst = <char*>cnp.PyArray_DATA(dst)
    j.m0 = _idx(y0)
    j.m1 = _idx(y1)
    j.m2 = _idx(x0)
    j.m3 = _idx(x1)
    j.w0 = <const char*>cnp.PyArray_DATA(wy)
    j.w1 = <const char*>cnp.PyArray_DATA(wx)
    j.T = j.oT = 1
    j.H, j.W, j.oH, j.oW = H, W, oH, oW
    j.lo = j.hi = j.c0 = j.c1 = 0


def bilinear(cnp.ndarray x, cnp.ndarray y, cnp.ndarray y0, cnp.ndarray y1, cnp.ndarray wy,
             cnp.ndarray x0, cnp.ndarray x1, cnp.ndarray wx, Py_ssize_t planes,
             Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bilinear interpolation of x at the given taps and weights."""
    cdef _Job j
    _bilinear_job(&j, 2, x, y, y0, y1, wy, x0, x1, wx, H, W, oH, oW)
    with nogil:
        _run(&j, planes)


def bilinear_grad(cnp.ndarray go, cnp.ndarray gi, cnp.ndarray y0, cnp.ndarray y1,
                  cnp.ndarray wy, cnp.ndarray x0, cnp.ndarray x1, cnp.ndarray wx,
                  Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                  Py_ssize_t oW):
    """gi = adjoint of the interpolation applied to go (written over)."""
    cdef _Job j
    _bilinear_job(&j, 3, go, gi, y0, y1, wy, x0, x1, wx, H, W, oH, oW)
    with nogil:
        _run(&j, planes)
