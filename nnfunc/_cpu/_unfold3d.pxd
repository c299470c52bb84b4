# vol2col / col2vol: the 3-D unfold and fold of the volumetric convolutions.
#
# The same loop nest as unfold2d / fold2d in _unfold.pxd with one axis more
# (time, T) around the same 1-D run helpers (unfold_run / fold_run over the
# width, valid_range for the taps' in-image stretch of a run). Every size
# has been validated in Python before the kernel runs; positions in the
# padding read as 0 (unfold) or are dropped (fold).
#
# Geometry (a Geom3d): the "volume" side is (C, T, H, W), the "column" side
# is the grid of output positions (oT, oH, oW) of the equivalent convolution
#     tap (kt, ky, kx) of output (ot, oy, ox) reads the volume at
#     (ot*dT - padT + kt*dilT, oy*dH - padH + ky*dilH, ox*dW - padW + kx*dilW).
# For the transposed (full) convolution the volume is its output and the
# column grid its input.
#
# Column layout: row ((c*kT + kt)*kH + ky)*kW + kx (the flattened weight's
# order), column (r - r0)*oW + ox for the "output rows" r0 <= r < r1, where
# r = ot*oH + oy enumerates the (ot, oy) pairs: a tile of rows is a
# (C*kT*kH*kW, (r1-r0)*oW) matrix with leading dimension ld >= (r1-r0)*oW,
# and it is the contiguous slice [r0*oW, r1*oW) of an output plane.

from libc.string cimport memset

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._unfold cimport unfold_run, fold_run, valid_range


ctypedef struct Geom3d:
    Py_ssize_t C, T, H, W
    Py_ssize_t kT, kH, kW
    Py_ssize_t dT, dH, dW
    Py_ssize_t padT, padH, padW
    Py_ssize_t dilT, dilH, dilW
    Py_ssize_t oT, oH, oW


cdef inline void unfold3d(const floating* x, floating* cols, const Geom3d* g,
                          Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t ld) noexcept nogil:
    # cols[((c*kT + kt)*kH + ky)*kW + kx, (r - r0)*oW + ox] =
    #     x[c, ot*dT - padT + kt*dilT, oy*dH - padH + ky*dilH, ox*dW - padW + kx*dilW]
    # with r = ot*oH + oy (0 in the padding); x is one (C, T, H, W) volume.
    cdef Py_ssize_t c, kt, ky, kx, r, ot, oy, it, iy, xs, lo, hi
    # the geometry in locals: with -fno-strict-aliasing the compiler could not
    # keep the struct's fields in registers across the stores to cols / x
    cdef Py_ssize_t H = g.H, W = g.W, T = g.T, oW = g.oW, oH = g.oH, HW = H * W
    cdef Py_ssize_t C = g.C, kT = g.kT, kH = g.kH, kW = g.kW, dT = g.dT, dH = g.dH
    cdef Py_ssize_t dW = g.dW, padT = g.padT, padH = g.padH, padW = g.padW
    cdef Py_ssize_t dilT = g.dilT, dilH = g.dilH, dilW = g.dilW
    cdef Py_ssize_t t0, y0
    cdef floating* row
    cdef const floating* vol
    for c in range(C):
        vol = x + c * T * HW
        for kt in range(kT):
            t0 = kt * dilT - padT
            for ky in range(kH):
                y0 = ky * dilH - padH
                for kx in range(kW):
                    row = cols + (((c * kT + kt) * kH + ky) * kW + kx) * ld
                    xs = kx * dilW - padW
                    valid_range(oW, xs, dW, W, &lo, &hi)
                    ot = r0 // oH
                    oy = r0 - ot * oH
                    for r in range(r0, r1):
                        it = ot * dT + t0
                        iy = oy * dH + y0
                        if it < 0 or it >= T or iy < 0 or iy >= H:
                            memset(row, 0, oW * sizeof(floating))
                        else:
                            unfold_run(vol + it * HW + iy * W, row, oW, lo, hi, xs, dW)
                        row += oW
                        oy += 1
                        if oy == oH:
                            oy = 0
                            ot += 1


cdef inline void fold3d(floating* x, floating* cols, const Geom3d* g,
                        Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t ld,
                        bint clear) noexcept nogil:
    # The adjoint of unfold3d: x[c, it, iy, ix] += cols[...] for every column
    # entry that unfold3d would read from there. Accumulates: the caller
    # initialises x once before folding the tiles of one volume. With clear,
    # the tile of cols is left all zero (the next GEMM may accumulate into it
    # with beta = 1 instead of paying BLAS's zeroing pass for beta = 0).
    cdef Py_ssize_t c, kt, ky, kx, r, ot, oy, it, iy, xs, lo, hi
    # the geometry in locals: with -fno-strict-aliasing the compiler could not
    # keep the struct's fields in registers across the stores to cols / x
    cdef Py_ssize_t H = g.H, W = g.W, T = g.T, oW = g.oW, oH = g.oH, HW = H * W
    cdef Py_ssize_t C = g.C, kT = g.kT, kH = g.kH, kW = g.kW, dT = g.dT, dH = g.dH
    cdef Py_ssize_t dW = g.dW, padT = g.padT, padH = g.padH, padW = g.padW
    cdef Py_ssize_t dilT = g.dilT, dilH = g.dilH, dilW = g.dilW
    cdef Py_ssize_t t0, y0
    cdef floating* row
    cdef floating* vol
    for c in range(C):
        vol = x + c * T * HW
        for kt in range(kT):
            t0 = kt * dilT - padT
            for ky in range(kH):
                y0 = ky * dilH - padH
                for kx in range(kW):
                    row = cols + (((c * kT + kt) * kH + ky) * kW + kx) * ld
                    xs = kx * dilW - padW
                    valid_range(oW, xs, dW, W, &lo, &hi)
                    ot = r0 // oH
                    oy = r0 - ot * oH
                    for r in range(r0, r1):
                        it = ot * dT + t0
                        iy = oy * dH + y0
                        if it >= 0 and it < T and iy >= 0 and iy < H:
                            fold_run(vol + it * HW + iy * W, row, oW, lo, hi, xs, dW,
                                     clear)
                        elif clear:
                            memset(row, 0, oW * sizeof(floating))
                        row += oW
                        oy += 1
                        if oy == oH:
                            oy = 0
                            ot += 1
