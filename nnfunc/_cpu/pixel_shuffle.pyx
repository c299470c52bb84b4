"""PixelShuffle kernels: the (C r^2, H, W) -> (C, H r, W r) permutation and back.

The input is viewed as `groups` (N*C) independent blocks of r^2 planes of
(H, W); each becomes one (H r, W r) output plane with
y[h r + i, w r + j] = x[i r + j, h, w]. The forward writes one output row
(h r + i) at a time by interleaving the r input rows x[i r + j, h, :]
(j < r); the backward reads one gradOutput row and deinterleaves it into
those r gradInput rows. Either way every store (forward) or load (backward)
runs along a contiguous output row, and r = 2, 3, 4 are compiled with r a
constant so that GCC turns the interleave into vector shuffles instead of
strided scalar moves (NumPy's copy of the permuted view moved r elements at
a time along its innermost, r-long axis).

Large calls are split over the thread pool by blocks (each part owns whole
output blocks: a pure copy, the same bits for any thread count).
"""

cimport numpy as cnp
from libc.string cimport memcpy

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport parallel_for, plane_grain

cnp.import_array()


cdef inline void _fwd_rows(const floating* x, floating* y, Py_ssize_t h, Py_ssize_t w,
                           Py_ssize_t r) noexcept nogil:
    # one block: x (r*r, h, w) -> y (h*r, w*r)
    cdef Py_ssize_t hh, i, j, k
    cdef floating* out
    cdef const floating* a
    cdef const floating* b
    for hh in range(h):
        for i in range(r):
            out = y + (hh * r + i) * w * r
            if r == 2:
                a = x + ((i * 2) * h + hh) * w
                b = x + ((i * 2 + 1) * h + hh) * w
                for k in range(w):
                    out[2 * k] = a[k]
                    out[2 * k + 1] = b[k]
            else:
                for j in range(r):
                    a = x + ((i * r + j) * h + hh) * w
                    for k in range(w):
                        out[k * r + j] = a[k]


cdef inline void _bwd_rows(const floating* go, floating* gi, Py_ssize_t h, Py_ssize_t w,
                           Py_ssize_t r) noexcept nogil:
    # one block: go (h*r, w*r) -> gi (r*r, h, w)
    cdef Py_ssize_t hh, i, j, k
    cdef const floating* src
    cdef floating* a
    cdef floating* b
    for hh in range(h):
        for i in range(r):
            src = go + (hh * r + i) * w * r
            if r == 2:
                a = gi + ((i * 2) * h + hh) * w
                b = gi + ((i * 2 + 1) * h + hh) * w
                for k in range(w):
                    a[k] = src[2 * k]
                    b[k] = src[2 * k + 1]
            else:
                for j in range(r):
                    a = gi + ((i * r + j) * h + hh) * w
                    for k in range(w):
                        a[k] = src[k * r + j]


cdef void _blocks(const floating* src, floating* dst, Py_ssize_t g0, Py_ssize_t g1,
                  Py_ssize_t h, Py_ssize_t w, Py_ssize_t r, bint fwd) noexcept nogil:
    cdef Py_ssize_t g, blk = r * r * h * w
    if r == 1:
        memcpy(dst + g0 * blk, src + g0 * blk, (g1 - g0) * blk * sizeof(floating))
        return
    for g in range(g0, g1):
        # r as a literal in the common cases: the inner loops get a constant stride
        if fwd:
            if r == 2:
                _fwd_rows(src + g * blk, dst + g * blk, h, w, 2)
            elif r == 3:
                _fwd_rows(src + g * blk, dst + g * blk, h, w, 3)
            elif r == 4:
                _fwd_rows(src + g * blk, dst + g * blk, h, w, 4)
            else:
                _fwd_rows(src + g * blk, dst + g * blk, h, w, r)
        else:
            if r == 2:
                _bwd_rows(src + g * blk, dst + g * blk, h, w, 2)
            elif r == 3:
                _bwd_rows(src + g * blk, dst + g * blk, h, w, 3)
            elif r == 4:
                _bwd_rows(src + g * blk, dst + g * blk, h, w, 4)
            else:
                _bwd_rows(src + g * blk, dst + g * blk, h, w, r)


ctypedef struct _Job:
    bint dbl
    bint fwd
    const char* src
    char* dst
    Py_ssize_t h, w, r


cdef void _task(void* ctx, Py_ssize_t g0, Py_ssize_t g1) noexcept nogil:
    cdef _Job* j = <_Job*>ctx
    if j.dbl:
        _blocks(<const double*>j.src, <double*>j.dst, g0, g1, j.h, j.w, j.r, j.fwd)
    else:
        _blocks(<const float*>j.src, <float*>j.dst, g0, g1, j.h, j.w, j.r, j.fwd)


cdef _run(cnp.ndarray src, cnp.ndarray dst, Py_ssize_t groups, Py_ssize_t h, Py_ssize_t w,
          Py_ssize_t r, bint fwd):
    cdef _Job j
    j.dbl = cnp.PyArray_TYPE(src) != cnp.NPY_FLOAT
    j.fwd = fwd
    j.src = <const char*>cnp.PyArray_DATA(src)
    j.dst = <char*>cnp.PyArray_DATA(dst)
    j.h, j.w, j.r = h, w, r
    with nogil:
        parallel_for(_task, &j, groups, plane_grain(r * r * h * w), 1)


def update_output(cnp.ndarray x, cnp.ndarray y, Py_ssize_t groups, Py_ssize_t h,
                  Py_ssize_t w, Py_ssize_t r):
    """y (groups, h*r, w*r) = the pixel shuffle of x (groups, r*r, h, w); C-contiguous,
    same float dtype, sizes checked by the caller."""
    _run(x, y, groups, h, w, r, True)


def update_grad_input(cnp.ndarray go, cnp.ndarray gi, Py_ssize_t groups, Py_ssize_t h,
                      Py_ssize_t w, Py_ssize_t r):
    """gi (groups, r*r, h, w) = the inverse shuffle of go (groups, h*r, w*r)."""
    _run(go, gi, groups, h, w, r, False)
