"""SpatialAdaptiveAveragePooling / SpatialAdaptiveMaxPooling kernels.

The input is viewed as `planes` independent (H, W) planes. Output row oy
pools the input rows [floor(oy*H/oH), ceil((oy+1)*H/oH)) (never empty),
output column ox the columns [floor(ox*W/oW), ceil((ox+1)*W/oW)). Bins are
rectangles, so both poolings are separable: each input row is first pooled
over the column bins into an (H, oW) workspace, whose rows are then pooled
over the row bins (the oW outputs of a row as the vectorised inner loop).

Max: the winner is PyTorch's (scan row by row, take a value if greater than
the running maximum or NaN): per row, the first maximum or last NaN of the
column bin; then over the rows the same rule, which picks the first row
holding the maximum (last row holding a NaN), so the same element as a
whole-window scan. Indices are 0-based flat offsets iy*W + ix into the plane.
"""

cimport numpy as cnp
import numpy as np
from libc.stdint cimport int64_t
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef inline Py_ssize_t _start(Py_ssize_t i, Py_ssize_t n, Py_ssize_t o) noexcept nogil:
    return (i * n) // o


cdef inline Py_ssize_t _end(Py_ssize_t i, Py_ssize_t n, Py_ssize_t o) noexcept nogil:
    return ((i + 1) * n + o - 1) // o


# ------------------------------------------------------------------ average
cdef void _avg_forward(const floating* x, floating* y, floating* tmp, Py_ssize_t planes,
                       Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                       Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, iy, ix, ox, oy, s, e, ys, ye
    cdef const floating* row
    cdef floating* t
    cdef floating* acc
    cdef floating acc1, cnt
    for p in range(planes):
        for iy in range(H):
            row = x + (p * H + iy) * W
            t = tmp + iy * oW
            for ox in range(oW):
                s = _start(ox, W, oW)
                e = _end(ox, W, oW)
                acc1 = 0
                for ix in range(s, e):
                    acc1 = acc1 + row[ix]
                t[ox] = acc1
        for oy in range(oH):
            acc = y + (p * oH + oy) * oW
            ys = _start(oy, H, oH)
            ye = _end(oy, H, oH)
            for ox in range(oW):
                acc[ox] = tmp[ys * oW + ox]
            for iy in range(ys + 1, ye):
                t = tmp + iy * oW
                for ox in range(oW):
                    acc[ox] += t[ox]
            for ox in range(oW):
                cnt = <floating>((ye - ys) * (_end(ox, W, oW) - _start(ox, W, oW)))
                acc[ox] = acc[ox] / cnt


cdef void _avg_backward(const floating* go, floating* gi, floating* tmp, Py_ssize_t planes,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                        Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, iy, ix, ox, oy, s, e, ys, ye
    cdef const floating* g
    cdef floating* t
    cdef floating* row
    cdef floating v, rc
    for p in range(planes):
        # tmp[iy, ox] = sum over the row bins holding iy of go / count
        memset(tmp, 0, H * oW * sizeof(floating))
        for oy in range(oH):
            g = go + (p * oH + oy) * oW
            ys = _start(oy, H, oH)
            ye = _end(oy, H, oH)
            rc = <floating>(ye - ys)
            for iy in range(ys, ye):
                t = tmp + iy * oW
                for ox in range(oW):
                    t[ox] += g[ox] / (rc * <floating>(_end(ox, W, oW) - _start(ox, W, oW)))
        for iy in range(H):
            row = gi + (p * H + iy) * W
            memset(row, 0, W * sizeof(floating))
            t = tmp + iy * oW
            for ox in range(oW):
                s = _start(ox, W, oW)
                e = _end(ox, W, oW)
                v = t[ox]
                for ix in range(s, e):
                    row[ix] += v


# ---------------------------------------------------------------------- max
cdef void _max_plane(const floating* x, floating* y, int64_t* ind, floating* tv,
                     int64_t* ti, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                     Py_ssize_t oW) noexcept nogil:
    # y, ind: one (oH, oW) plane of maxima and their flat offsets (y may be
    # NULL); tv, ti: (H, oW) workspaces of row maxima and their columns
    cdef Py_ssize_t iy, ix, ox, oy, s, e, ys, ye, a
    cdef const floating* row
    cdef floating m, v
    for iy in range(H):
        row = x + iy * W
        for ox in range(oW):
            s = _start(ox, W, oW)
            e = _end(ox, W, oW)
            m = row[s]
            a = s
            for ix in range(s + 1, e):
                v = row[ix]
                if (v > m) or (v != v):
                    m = v
                    a = ix
            tv[iy * oW + ox] = m
            ti[iy * oW + ox] = a
    for oy in range(oH):
        ys = _start(oy, H, oH)
        ye = _end(oy, H, oH)
        for ox in range(oW):
            m = tv[ys * oW + ox]
            a = ys
            for iy in range(ys + 1, ye):
                v = tv[iy * oW + ox]
                if (v > m) or (v != v):
                    m = v
                    a = iy
            if y != NULL:
                y[oy * oW + ox] = m
            ind[oy * oW + ox] = a * W + ti[a * oW + ox]


cdef void _max_forward(const floating* x, floating* y, int64_t* ind, floating* tv,
                       int64_t* ti, Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W,
                       Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p
    for p in range(planes):
        _max_plane(x + p * H * W, y + p * oH * oW, ind + p * oH * oW, tv, ti, H, W, oH, oW)


cdef void _max_backward(const floating* x, const floating* go, floating* gi, int64_t* ind,
                        floating* tv, int64_t* ti, Py_ssize_t planes, Py_ssize_t H,
                        Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    # ind: an (oH, oW) workspace
    cdef Py_ssize_t p, j
    cdef floating* gp
    cdef const floating* g
    memset(gi, 0, planes * H * W * sizeof(floating))
    for p in range(planes):
        _max_plane(x + p * H * W, NULL, ind, tv, ti, H, W, oH, oW)
        gp = gi + p * H * W
        g = go + p * oH * oW
        for j in range(oH * oW):
            gp[ind[j]] += g[j]


# ------------------------------------------------------------------ entries
def avg_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t planes, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bin means of x. C-contiguous; sizes checked by the caller."""
    cdef cnp.ndarray tmp = np.empty(H * oW, dtype=x.dtype)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pt = cnp.PyArray_DATA(tmp)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _avg_forward(<const float*>px, <float*>py, <float*>pt, planes, H, W, oH, oW)
    else:
        with nogil:
            _avg_forward(<const double*>px, <double*>py, <double*>pt, planes, H, W, oH, oW)


def avg_update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes, Py_ssize_t H,
                          Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """gi = go spread evenly over each bin (written over)."""
    cdef cnp.ndarray tmp = np.empty(H * oW, dtype=go.dtype)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pt = cnp.PyArray_DATA(tmp)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _avg_backward(<const float*>pgo, <float*>pgi, <float*>pt, planes, H, W, oH, oW)
    else:
        with nogil:
            _avg_backward(<const double*>pgo, <double*>pgi, <double*>pt, planes, H, W, oH,
                          oW)


def max_update_output(cnp.ndarray x, cnp.ndarray y, cnp.ndarray ind, Py_ssize_t planes,
                      Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bin maxima of x, ind (int64, y's shape) = their flat plane offsets."""
    cdef cnp.ndarray tv = np.empty(H * oW, dtype=x.dtype)
    cdef cnp.ndarray ti = np.empty(H * oW, dtype=np.int64)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef int64_t* pind = <int64_t*>cnp.PyArray_DATA(ind)
    cdef void* ptv = cnp.PyArray_DATA(tv)
    cdef int64_t* pti = <int64_t*>cnp.PyArray_DATA(ti)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _max_forward(<const float*>px, <float*>py, pind, <float*>ptv, pti, planes, H, W,
                         oH, oW)
    else:
        with nogil:
            _max_forward(<const double*>px, <double*>py, pind, <double*>ptv, pti, planes, H,
                         W, oH, oW)


def max_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes,
                          Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """gi = go routed to each bin's winner (written over)."""
    cdef cnp.ndarray tv = np.empty(H * oW, dtype=x.dtype)
    cdef cnp.ndarray ti = np.empty(H * oW, dtype=np.int64)
    cdef cnp.ndarray ind = np.empty(oH * oW, dtype=np.int64)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef int64_t* pind = <int64_t*>cnp.PyArray_DATA(ind)
    cdef void* ptv = cnp.PyArray_DATA(tv)
    cdef int64_t* pti = <int64_t*>cnp.PyArray_DATA(ti)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _max_backward(<const float*>px, <const float*>pgo, <float*>pgi, pind,
                          <float*>ptv, pti, planes, H, W, oH, oW)
    else:
        with nogil:
            _max_backward(<const double*>px, <const double*>pgo, <double*>pgi, pind,
                          <double*>ptv, pti, planes, H, W, oH, oW)
