"""SpatialAdaptiveAveragePooling / SpatialAdaptiveMaxPooling kernels.

The input is viewed as `planes` independent (H, W) planes. Output row oy
pools the input rows [floor(oy*H/oH), ceil((oy+1)*H/oH)) (never empty),
output column ox the columns [floor(ox*W/oW), ceil((ox+1)*W/oW)); the bounds
are computed once per call. Bins are rectangles, so both poolings are
separable. Average: the input rows of each row bin are added as whole rows
(contiguous, vectorised: most of the work), then that sum is summed over each
column bin, left to right, and divided by the bin's size; the gradient runs
the adjoint (gradOutput / count spread over the column bins of each output
row, then each input row written once as the sum of those rows of the row
bins holding it). Max: every input row is first
pooled over each column bin into an (oW, H) workspace, with the H rows as
the inner loop (H independent running maxima: a scan of one short bin would
be a serial chain), then the workspace is pooled over the row bins.

Max: the winner is PyTorch's (scan row by row, take a value if greater than
the running maximum or NaN): per row, the first maximum or last NaN of the
column bin; then over the rows the same rule, which picks the first row
holding the maximum (last row holding a NaN), so the same element as a
whole-window scan. Indices are 0-based flat offsets iy*W + ix into the plane.

Large calls are split over the thread pool by planes (each part has its own
workspaces and owns its output and gradInput planes: the same bits for any
number of threads).
"""

cimport numpy as cnp
import numpy as np
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for, plane_grain

cnp.import_array()


cdef void _bins(int64_t* b, Py_ssize_t n, Py_ssize_t o) noexcept nogil:
    # b[i] and b[o + i] = the start and end of bin i of o over n elements
    cdef Py_ssize_t i
    for i in range(o):
        b[i] = (i * n) // o
        b[o + i] = ((i + 1) * n + o - 1) // o


# ------------------------------------------------------------------ average
cdef void _avg_forward(const floating* x, floating* y, floating* acc, const int64_t* bh,
                       const int64_t* bw, Py_ssize_t p0, Py_ssize_t p1, Py_ssize_t H,
                       Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    # acc: a W workspace, the sum of the row bin's input rows (whole rows
    # added: contiguous, vectorised), then summed over each column bin
    cdef Py_ssize_t p, iy, ix, ox, oy, ys, ye, s, e
    cdef const floating* xp
    cdef const floating* row
    cdef floating a
    for p in range(p0, p1):
        xp = x + p * H * W
        for oy in range(oH):
            ys = bh[oy]
            ye = bh[oH + oy]
            row = xp + ys * W
            for ix in range(W):
                acc[ix] = row[ix]
            for iy in range(ys + 1, ye):
                row = xp + iy * W
                for ix in range(W):
                    acc[ix] += row[ix]
            for ox in range(oW):
                s = bw[ox]
                e = bw[oW + ox]
                a = acc[s]
                for ix in range(s + 1, e):
                    a = a + acc[ix]
                y[(p * oH + oy) * oW + ox] = a / <floating>((ye - ys) * (e - s))


cdef void _avg_backward(const floating* go, floating* gi, floating* u, const int64_t* bh,
                        const int64_t* bw, Py_ssize_t p0, Py_ssize_t p1, Py_ssize_t H,
                        Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    # the adjoint, pass by pass: u (an (oH, W) workspace) row oy = gradOutput
    # row oy / count spread over each column bin; then every input row is
    # the sum of the u rows of the (one or few, consecutive) row bins holding
    # it, in bin order (whole rows: contiguous, vectorised; gradInput is
    # written once, not zeroed and added to)
    cdef Py_ssize_t p, iy, ix, ox, oy, ys, ye, s, e, lo
    cdef const floating* gr
    cdef floating* row
    cdef floating* ur
    cdef floating v
    for p in range(p0, p1):
        for oy in range(oH):
            gr = go + (p * oH + oy) * oW
            ys = bh[oy]
            ye = bh[oH + oy]
            ur = u + oy * W
            for ix in range(W):
                ur[ix] = 0
            for ox in range(oW):
                s = bw[ox]
                e = bw[oW + ox]
                v = gr[ox] / <floating>((ye - ys) * (e - s))
                for ix in range(s, e):
                    ur[ix] += v
        lo = 0
        for iy in range(H):
            # the row bins holding iy: lo (the first whose end is past iy;
            # ends never decrease) up to the last that starts at or before it
            while bh[oH + lo] <= iy:
                lo += 1
            row = gi + (p * H + iy) * W
            ur = u + lo * W
            for ix in range(W):
                row[ix] = ur[ix]
            oy = lo + 1
            while oy < oH and bh[oy] <= iy:
                ur = u + oy * W
                for ix in range(W):
                    row[ix] += ur[ix]
                oy += 1


# ---------------------------------------------------------------------- max
cdef void _max_plane(const floating* x, floating* y, int64_t* ind, floating* tv,
                     floating* ti, floating* m, floating* a, const int64_t* bh,
                     const int64_t* bw, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH,
                     Py_ssize_t oW) noexcept nogil:
    # One (H, W) plane -> ind (and y unless NULL): (oH, oW) maxima and their
    # flat offsets. tv, ti: (oW, H) workspaces of the maxima of each row over
    # each column bin and their columns; m, a: oW workspaces. The column pass
    # runs down the H rows in the inner loop: H independent running maxima
    # (a row-by-row scan of one bin would be one serial chain of selects).
    # Column and row numbers ride as floats (exact: H, W <= 2**24, checked
    # by the caller) so that the selects have one width.
    cdef Py_ssize_t iy, ix, ox, oy, ys, ye, s, e, r
    cdef floating* tvc
    cdef floating* tic
    cdef floating v, mo, fi, ao, fc
    cdef bint take
    for ox in range(oW):
        s = bw[ox]
        e = bw[oW + ox]
        tvc = tv + ox * H
        tic = ti + ox * H
        fc = <floating>s
        for iy in range(H):
            tvc[iy] = x[iy * W + s]
            tic[iy] = fc
        for ix in range(s + 1, e):
            fc = <floating>ix
            for iy in range(H):
                v = x[iy * W + ix]
                mo = tvc[iy]
                ao = tic[iy]
                take = (v > mo) | (v != v)
                tvc[iy] = v if take else mo
                tic[iy] = fc if take else ao
    for oy in range(oH):
        ys = bh[oy]
        ye = bh[oH + oy]
        for ox in range(oW):
            m[ox] = tv[ox * H + ys]
            a[ox] = <floating>ys
        for iy in range(ys + 1, ye):
            fi = <floating>iy
            for ox in range(oW):
                v = tv[ox * H + iy]
                mo = m[ox]
                ao = a[ox]
                take = (v > mo) | (v != v)
                m[ox] = v if take else mo
                a[ox] = fi if take else ao
        for ox in range(oW):
            r = <Py_ssize_t>a[ox]
            ind[oy * oW + ox] = r * W + <Py_ssize_t>ti[ox * H + r]
        if y != NULL:
            for ox in range(oW):
                y[oy * oW + ox] = m[ox]


cdef void _max_forward(const floating* x, floating* y, int64_t* ind, floating* tv,
                       floating* ti, floating* m, floating* a, const int64_t* bh,
                       const int64_t* bw, Py_ssize_t p0, Py_ssize_t p1, Py_ssize_t H,
                       Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    cdef Py_ssize_t p
    for p in range(p0, p1):
        _max_plane(x + p * H * W, y + p * oH * oW, ind + p * oH * oW, tv, ti, m, a, bh, bw,
                   H, W, oH, oW)


cdef void _max_backward(const floating* x, const floating* go, floating* gi, int64_t* ind,
                        floating* tv, floating* ti, floating* m, floating* a,
                        const int64_t* bh, const int64_t* bw, Py_ssize_t p0, Py_ssize_t p1,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW) noexcept nogil:
    # ind: an (oH, oW) workspace
    cdef Py_ssize_t p, j
    cdef floating* gp
    cdef const floating* g
    # this part's gradInput planes only: bins never cross planes
    memset(gi + p0 * H * W, 0, (p1 - p0) * H * W * sizeof(floating))
    for p in range(p0, p1):
        _max_plane(x + p * H * W, NULL, ind, tv, ti, m, a, bh, bw, H, W, oH, oW)
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


ctypedef struct _Job:
    bint dbl
    int kind            # 0 avg forward, 1 avg gradient, 2 max forward, 3 max gradient
    const char* x       # input / gradOutput (avg gradient)
    const char* go
    char* y             # output / gradInput
    int64_t* ind
    const int64_t* bh
    const int64_t* bw
    Py_ssize_t H, W, oH, oW
    bint failed


cdef void _task_f(_Job* j, const floating* x, floating* y, Py_ssize_t p0,
                  Py_ssize_t p1) noexcept nogil:
    # one part's planes with its own workspaces, in one block: avg, oH rows
    # of W (the forward uses one); max, the (oW, H) pass buffers, two oW rows and (gradient) one
    # plane's (oH, oW) indices
    cdef Py_ssize_t H = j.H, oW = j.oW, oH = j.oH
    cdef Py_ssize_t nf = oH * j.W + 1 if j.kind <= 1 else 2 * H * oW + 2 * oW + 2
    cdef size_t ni = (oH * oW if j.kind == 3 else 0) * sizeof(int64_t)
    cdef char* blk = <char*>malloc(ni + <size_t>nf * sizeof(floating))
    if blk == NULL:
        j.failed = True
        return
    cdef int64_t* ind = <int64_t*>blk
    cdef floating* w = <floating*>(blk + ni)
    if j.kind == 0:
        _avg_forward(x, y, w, j.bh, j.bw, p0, p1, H, j.W, oH, oW)
    elif j.kind == 1:
        _avg_backward(x, y, w, j.bh, j.bw, p0, p1, H, j.W, oH, oW)
    elif j.kind == 2:
        _max_forward(x, y, j.ind, w, w + H * oW, w + 2 * H * oW, w + 2 * H * oW + oW, j.bh,
                     j.bw, p0, p1, H, j.W, oH, oW)
    else:
        _max_backward(x, <const floating*>j.go, y, ind, w, w + H * oW, w + 2 * H * oW,
                      w + 2 * H * oW + oW, j.bh, j.bw, p0, p1, H, j.W, oH, oW)
    free(blk)


cdef void _task(void* ctx, Py_ssize_t p0, Py_ssize_t p1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        _task_f(j, <const double*>j.x, <double*>j.y, p0, p1)
    else:
        _task_f(j, <const float*>j.x, <float*>j.y, p0, p1)


cdef _run(_Job* j, int kind, cnp.ndarray x, go, cnp.ndarray y, ind, cnp.ndarray b,
          Py_ssize_t planes, Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    # Planes are independent (bins never cross them), so they are split over
    # the thread pool; each part writes only its own output (gradInput)
    # planes with the one-thread code: the same bits for any thread count.
    j.dbl = cnp.PyArray_TYPE(y) != cnp.NPY_FLOAT
    j.kind = kind
    j.x = <const char*>cnp.PyArray_DATA(x)
    j.go = NULL if go is None else <const char*>cnp.PyArray_DATA(<cnp.ndarray>go)
    j.y = <char*>cnp.PyArray_DATA(y)
    j.ind = NULL if ind is None else <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>ind)
    j.bh = <const int64_t*>cnp.PyArray_DATA(b)
    j.bw = j.bh + 2 * oH
    j.H, j.W, j.oH, j.oW = H, W, oH, oW
    j.failed = False
    with nogil:
        parallel_for(_task, j, planes, plane_grain(H * W), 1)
    if j.failed:
        raise MemoryError()


def avg_update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t planes, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bin means of x. C-contiguous; sizes checked by the caller."""
    cdef _Job j
    _run(&j, 0, x, None, y, None, _bin_array(H, W, oH, oW), planes, H, W, oH, oW)


def avg_update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes, Py_ssize_t H,
                          Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """gi = go spread evenly over each bin (written over)."""
    cdef _Job j
    _run(&j, 1, go, None, gi, None, _bin_array(H, W, oH, oW), planes, H, W, oH, oW)


def max_update_output(cnp.ndarray x, cnp.ndarray y, cnp.ndarray ind, Py_ssize_t planes,
                      Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """y = bin maxima of x, ind (int64, y's shape) = their flat plane offsets.
    H, W <= 2**24 (checked by the caller)."""
    cdef _Job j
    _run(&j, 2, x, None, y, ind, _bin_array(H, W, oH, oW), planes, H, W, oH, oW)


def max_update_grad_input(cnp.ndarray x, cnp.ndarray go, cnp.ndarray gi, Py_ssize_t planes,
                          Py_ssize_t H, Py_ssize_t W, Py_ssize_t oH, Py_ssize_t oW):
    """gi = go routed to each bin's winner (written over)."""
    cdef _Job j
    _run(&j, 3, x, go, gi, None, _bin_array(H, W, oH, oW), planes, H, W, oH, oW)
