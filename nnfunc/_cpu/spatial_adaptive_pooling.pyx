"""SpatialAdaptiveAveragePooling / SpatialAdaptiveMaxPooling kernels.

The input is viewed as `planes` independent (H, W) planes. Output row oy
pools the input rows [floor(oy*H/oH), ceil((oy+1)*H/oH)) (never empty),
output column ox the columns [floor(ox*W/oW), ceil((ox+1)*W/oW)); the bounds
are computed once per call. Bins are rectangles, so both poolings are
separable: each input row is first pooled over the column bins into an
(H, oW) workspace, whose rows are then pooled over the row bins (the oW
outputs of a row as the inner loop).

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


cdef void _bins(int64_t* b, Py_ssize_t n, Py_ssize_t o) noexcept nogil:
    # b[i] and b[o + i] = the start and end of bin i of o over n elements
    cdef Py_ssize_t i
    for i in range(o):
        b[i] = (i * n) // o
        b[o + i] = ((i + 1) * n + o - 1) // o


# ------------------------------------------------------------------ average
cdef void _avg_forward(const floating* x, floating* y, floating* tmp, const int64_t* bh,
                       const int64_t* bw, Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W,
                       Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p, iy, ix, ox, oy, ys, ye
    cdef const floating* row
    cdef floating* t
    cdef floating* acc
    cdef floating a, cnt
    for p in range(planes):
        for iy in range(H):
            row = x + (p * H + iy) * W
            t = tmp + iy * oW
            for ox in range(oW):
                a = 0
                for ix in range(bw[ox], bw[oW + ox]):
                    a = a + row[ix]
                t[ox] = a
        for oy in range(oH):
            acc = y + (p * oH + oy) * oW
            ys = bh[oy]
            ye = bh[oH + oy]
            for ox in range(oW):
                acc[ox] = tmp[ys * oW + ox]
            for iy in range(ys + 1, ye):
                t = tmp + iy * oW
                for ox in range(oW):
                    acc[ox] += t[ox]
            for ox in range(oW):
                cnt = <floating>((ye - ys) * (bw[oW + ox] - bw[ox]))
                acc[ox] = acc[ox] / cnt


cdef void _avg_backward(const floating* go, floating* gi, floating* tmp, floating* g,
                        const int64_t* bh, const int64_t* bw, Py_ssize_t planes,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                        Py_ssize_t oW) noexcept nogil:
    # g: an oW workspace
    cdef Py_ssize_t p, iy, ix, ox, oy, ys, ye
    cdef const floating* gr
    cdef floating* t
    cdef floating* row
    cdef floating v
    for p in range(planes):
        # tmp[iy, ox] = sum over the row bins holding iy of go / count
        memset(tmp, 0, H * oW * sizeof(floating))
        for oy in range(oH):
            gr = go + (p * oH + oy) * oW
            ys = bh[oy]
            ye = bh[oH + oy]
            for ox in range(oW):
                g[ox] = gr[ox] / <floating>((ye - ys) * (bw[oW + ox] - bw[ox]))
            for iy in range(ys, ye):
                t = tmp + iy * oW
                for ox in range(oW):
                    t[ox] += g[ox]
        for iy in range(H):
            row = gi + (p * H + iy) * W
            memset(row, 0, W * sizeof(floating))
            t = tmp + iy * oW
            for ox in range(oW):
                v = t[ox]
                for ix in range(bw[ox], bw[oW + ox]):
                    row[ix] += v


# ---------------------------------------------------------------------- max
cdef void _max_plane(const floating* x, floating* y, int64_t* ind, floating* tv,
                     int64_t* ti, const int64_t* bh, const int64_t* bw, Py_ssize_t H,
                     Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    # y, ind: one (oH, oW) plane of maxima and their flat offsets (y may be
    # NULL); tv, ti: (H, oW) workspaces of row maxima and their columns
    cdef Py_ssize_t iy, ix, ox, oy, s, e, ys, ye, a
    cdef const floating* row
    cdef floating* tvr
    cdef int64_t* tir
    cdef floating m, v
    cdef bint take
    for iy in range(H):
        row = x + iy * W
        tvr = tv + iy * oW
        tir = ti + iy * oW
        for ox in range(oW):
            s = bw[ox]
            e = bw[oW + ox]
            m = row[s]
            a = s
            for ix in range(s + 1, e):
                v = row[ix]
                take = (v > m) | (v != v)
                m = v if take else m
                a = ix if take else a
            tvr[ox] = m
            tir[ox] = a
    for oy in range(oH):
        ys = bh[oy]
        ye = bh[oH + oy]
        for ox in range(oW):
            m = tv[ys * oW + ox]
            a = ys
            for iy in range(ys + 1, ye):
                v = tv[iy * oW + ox]
                take = (v > m) | (v != v)
                m = v if take else m
                a = iy if take else a
            if y != NULL:
                y[oy * oW + ox] = m
            ind[oy * oW + ox] = a * W + ti[a * oW + ox]


cdef void _max_forward(const floating* x, floating* y, int64_t* ind, floating* tv,
                       int64_t* ti, const int64_t* bh, const int64_t* bw, Py_ssize_t planes,
                       Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                       Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p
    for p in range(planes):
        _max_plane(x + p * H * W, y + p * oH * oW, ind + p * oH * oW, tv, ti, bh, bw, H, W,
                   oH, oW)


cdef void _max_backward(const floating* x, const floating* go, floating* gi, int64_t* ind,
                        floating* tv, int64_t* ti, const int64_t* bh, const int64_t* bw,
                        Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                        Py_ssize_t oW) noexcept nogil:
    # ind: an (oH, oW) workspace
    cdef Py_ssize_t p, j
    cdef floating* gp
    cdef const floating* g
    memset(gi, 0, planes * H * W * sizeof(floating))
    for p in range(planes):
        _max_plane(x + p * H * W, NULL, ind, tv, ti, bh, bw, H, W, oH, oW)
        gp = gi + p * H * W
        g = go + p * oH * oW
        for j in range(oH * oW):
            gp[ind[j]] += g[j]


# ------------------------------------------------------------------ entries
cdef cnp.ndarray _bin_array(Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    # [row starts, row ends, column starts, column ends]
    cdef cnp.ndarray b = np.empty(2 * (oH + oW), dtype=np.int64)
    cdef int64_t* pb = <int64_t*>cnp.PyArray_DATA(b)
    _bins(pb, H, oH)
    _bins(pb + 2 * oH, W, oW)
    return b


def avg_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t planes, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bin means of x. C-contiguous; sizes checked by the caller."""
    cdef cnp.ndarray tmp = np.empty(H * oW, dtype=x.dtype)
    cdef cnp.ndarray b = _bin_array(H, W, oH, oW)
    cdef const int64_t* bh = <const int64_t*>cnp.PyArray_DATA(b)
    cdef const int64_t* bw = bh + 2 * oH
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pt = cnp.PyArray_DATA(tmp)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _avg_forward(<const float*>px, <float*>py, <float*>pt, bh, bw, planes, H, W, oH,
                         oW)
    else:
        with nogil:
            _avg_forward(<const double*>px, <double*>py, <double*>pt, bh, bw, planes, H, W,
                         oH, oW)


def avg_update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes, Py_ssize_t H,
                          Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """gi = go spread evenly over each bin (written over)."""
    cdef cnp.ndarray tmp = np.empty(H * oW, dtype=go.dtype)
    cdef cnp.ndarray g = np.empty(oW, dtype=go.dtype)
    cdef cnp.ndarray b = _bin_array(H, W, oH, oW)
    cdef const int64_t* bh = <const int64_t*>cnp.PyArray_DATA(b)
    cdef const int64_t* bw = bh + 2 * oH
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pt = cnp.PyArray_DATA(tmp)
    cdef void* pg = cnp.PyArray_DATA(g)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _avg_backward(<const float*>pgo, <float*>pgi, <float*>pt, <float*>pg, bh, bw,
                          planes, H, W, oH, oW)
    else:
        with nogil:
            _avg_backward(<const double*>pgo, <double*>pgi, <double*>pt, <double*>pg, bh,
                          bw, planes, H, W, oH, oW)


def max_update_output(cnp.ndarray x, cnp.ndarray y, cnp.ndarray ind, Py_ssize_t planes,
                      Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bin maxima of x, ind (int64, y's shape) = their flat plane offsets."""
    cdef cnp.ndarray tv = np.empty(H * oW, dtype=x.dtype)
    cdef cnp.ndarray ti = np.empty(H * oW, dtype=np.int64)
    cdef cnp.ndarray b = _bin_array(H, W, oH, oW)
    cdef const int64_t* bh = <const int64_t*>cnp.PyArray_DATA(b)
    cdef const int64_t* bw = bh + 2 * oH
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef int64_t* pind = <int64_t*>cnp.PyArray_DATA(ind)
    cdef void* ptv = cnp.PyArray_DATA(tv)
    cdef int64_t* pti = <int64_t*>cnp.PyArray_DATA(ti)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _max_forward(<const float*>px, <float*>py, pind, <float*>ptv, pti, bh, bw, planes,
                         H, W, oH, oW)
    else:
        with nogil:
            _max_forward(<const double*>px, <double*>py, pind, <double*>ptv, pti, bh, bw,
                         planes, H, W, oH, oW)


def max_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes,
                          Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """gi = go routed to each bin's winner (written over)."""
    cdef cnp.ndarray tv = np.empty(H * oW, dtype=x.dtype)
    cdef cnp.ndarray ti = np.empty(H * oW, dtype=np.int64)
    cdef cnp.ndarray ind = np.empty(oH * oW, dtype=np.int64)
    cdef cnp.ndarray b = _bin_array(H, W, oH, oW)
    cdef const int64_t* bh = <const int64_t*>cnp.PyArray_DATA(b)
    cdef const int64_t* bw = bh + 2 * oH
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef int64_t* pind = <int64_t*>cnp.PyArray_DATA(ind)
    cdef void* ptv = cnp.PyArray_DATA(tv)
    cdef int64_t* pti = <int64_t*>cnp.PyArray_DATA(ti)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _max_backward(<const float*>px, <const float*>pgo, <float*>pgi, pind,
                          <float*>ptv, pti, bh, bw, planes, H, W, oH, oW)
    else:
        with nogil:
            _max_backward(<const double*>px, <const double*>pgo, <double*>pgi, pind,
                          <double*>ptv, pti, bh, bw, planes, H, W, oH, oW)
