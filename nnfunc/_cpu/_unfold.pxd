# unfold (im2col) and fold (col2im): the shared core of the convolution kernels.
#
# One "run" is one row of the column matrix restricted to one output row: the
# values a kernel tap sees along the last (width) axis. The 1-D helpers below
# copy (unfold) or scatter-add (fold) one run; the 2-D helpers loop them over
# (channel, ky, kx) x output rows. A 3-D (volumetric) or 1-D (temporal)
# unfold is the same loop nest with one axis more or less around the same run
# helpers. Every size has been validated in Python before the kernel runs;
# positions in the padding read as 0 (unfold) or are dropped (fold).
#
# Column layout (Torch7 SpatialConvolutionMM's finput): row (c*kH + ky)*kW + kx,
# column (oy - oy0)*oW + ox for the output rows oy0 <= oy < oy1 of one
# image, so a tile of output rows is a (C*kH*kW, (oy1-oy0)*oW) matrix with
# leading dimension ld >= (oy1-oy0)*oW, and C*kH*kW matches the flattened
# weight. (A fixed ld for every tile lets a caller keep extra rows, such as
# a row of ones for the bias, below the unfolded ones.)
# Dilation (dilH, dilW) spaces the taps: tap ky reads input row
# oy*dH - padH + ky*dilH (dilation 1 is the plain convolution).

from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating


cdef inline Py_ssize_t ceil_div(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    # ceil(a / b) for b > 0 and any sign of a (C division truncates toward 0)
    if a >= 0:
        return (a + b - 1) // b
    return -((-a) // b)


cdef inline void valid_range(Py_ssize_t n_out, Py_ssize_t start, Py_ssize_t step,
                             Py_ssize_t n_in, Py_ssize_t* lo, Py_ssize_t* hi) noexcept nogil:
    # [lo, hi): the outputs j in [0, n_out) with 0 <= start + j*step < n_in
    cdef Py_ssize_t a = ceil_div(-start, step)
    cdef Py_ssize_t b = ceil_div(n_in - start, step)
    if a < 0:
        a = 0
    if b > n_out:
        b = n_out
    if b < a:
        b = a
    lo[0] = a
    hi[0] = b


cdef inline void unfold_run(const floating* xrow, floating* out, Py_ssize_t n,
                            Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t start,
                            Py_ssize_t step) noexcept nogil:
    # out[j] = xrow[start + j*step] for lo <= j < hi, 0 for the other j < n
    cdef Py_ssize_t j
    if lo > 0:
        memset(out, 0, lo * sizeof(floating))
    if step == 1:
        if hi > lo:
            memcpy(out + lo, xrow + (start + lo), (hi - lo) * sizeof(floating))
    else:
        for j in range(lo, hi):
            out[j] = xrow[start + j * step]
    if hi < n:
        memset(out + hi, 0, (n - hi) * sizeof(floating))


cdef inline void fold_run(floating* xrow, floating* col, Py_ssize_t n, Py_ssize_t lo,
                          Py_ssize_t hi, Py_ssize_t start, Py_ssize_t step,
                          bint clear) noexcept nogil:
    # xrow[start + j*step] += col[j] for lo <= j < hi (the adjoint of unfold_run);
    # with clear, col[0:n] is left zeroed (consumed while it is in cache)
    cdef Py_ssize_t j
    cdef floating* p
    cdef floating* q
    if step == 1:
        p = xrow + (start + lo)
        q = col + lo
        if clear:
            for j in range(hi - lo):
                p[j] += q[j]
                q[j] = 0
        else:
            for j in range(hi - lo):
                p[j] += q[j]
    else:
        for j in range(lo, hi):
            xrow[start + j * step] += col[j]
            if clear:
                col[j] = 0
    if clear:
        if lo > 0:
            memset(col, 0, lo * sizeof(floating))
        if hi < n:
            memset(col + hi, 0, (n - hi) * sizeof(floating))


cdef inline void unfold2d(const floating* x, floating* cols,
                          Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                          Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                          Py_ssize_t padH, Py_ssize_t padW,
                          Py_ssize_t dilH, Py_ssize_t dilW,
                          Py_ssize_t oW, Py_ssize_t oy0, Py_ssize_t oy1,
                          Py_ssize_t ld) noexcept nogil:
    # cols[(c*kH + ky)*kW + kx, (oy-oy0)*oW + ox] =
    #     x[c, oy*dH - padH + ky*dilH, ox*dW - padW + kx*dilW]   (0 in the padding)
    # x is one (C, H, W) image; cols has leading dimension ld.
    cdef Py_ssize_t c, ky, kx, oy, iy, xs, lo, hi
    cdef floating* row
    cdef const floating* plane
    for c in range(C):
        plane = x + c * H * W
        for ky in range(kH):
            for kx in range(kW):
                row = cols + ((c * kH + ky) * kW + kx) * ld
                xs = kx * dilW - padW
                valid_range(oW, xs, dW, W, &lo, &hi)
                for oy in range(oy0, oy1):
                    iy = oy * dH - padH + ky * dilH
                    if iy < 0 or iy >= H:
                        memset(row, 0, oW * sizeof(floating))
                    else:
                        unfold_run(plane + iy * W, row, oW, lo, hi, xs, dW)
                    row += oW


cdef inline void fold2d(floating* x, floating* cols,
                        Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                        Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                        Py_ssize_t padH, Py_ssize_t padW,
                        Py_ssize_t dilH, Py_ssize_t dilW,
                        Py_ssize_t oW, Py_ssize_t oy0, Py_ssize_t oy1,
                        Py_ssize_t ld, bint clear) noexcept nogil:
    # The adjoint of unfold2d: x[c, iy, ix] += cols[...] for every column entry
    # that unfold2d would read from (c, iy, ix). Accumulates: the caller zeroes
    # x once before folding the tiles of one image. With clear, the tile of
    # cols is left all zero, so that the next GEMM can accumulate into it
    # (beta = 1) instead of paying BLAS's separate zeroing pass for beta = 0.
    cdef Py_ssize_t c, ky, kx, oy, iy, xs, lo, hi
    cdef floating* row
    cdef floating* plane
    for c in range(C):
        plane = x + c * H * W
        for ky in range(kH):
            for kx in range(kW):
                row = cols + ((c * kH + ky) * kW + kx) * ld
                xs = kx * dilW - padW
                valid_range(oW, xs, dW, W, &lo, &hi)
                for oy in range(oy0, oy1):
                    iy = oy * dH - padH + ky * dilH
                    if iy >= 0 and iy < H:
                        fold_run(plane + iy * W, row, oW, lo, hi, xs, dW, clear)
                    elif clear:
                        memset(row, 0, oW * sizeof(floating))
                    row += oW
