"""SpatialConvolution kernels over BLAS GEMMs (Torch7's SpatialConvolutionMM, refined).

float32 on a CPU with AVX-512 goes to the shift method instead
(``shift_convolution.pyx``: no GEMM, no column matrix) where "auto" prefers
it (``_use_shift``) or by name ("shift"). Otherwise three ways to turn the
convolution into GEMMs, picked per call:

direct (1x1 kernel, stride 1, no padding)
    the image (nInputPlane, H*W) is its own column matrix: one GEMM per image
    and phase, nothing copied.
unfold (any shape: Torch7's im2col)
    per tile of output rows, the columns (nInputPlane*kH*kW, rows*oW) are
    unfolded into a buffer and one GEMM does the tile:
        forward     y[:, tile]  = [W | b] @ [cols ; ones]
        backward    gcols       = W^T @ gradOutput[:, tile];  gradInput += fold(gcols)
                    [gW^T ; gb] += [cols ; ones] @ gradOutput[:, tile]^T
rows (stride dH = 1)
    only the kW taps along the width are unfolded, over the rows that the
    tile's windows cover: (nInputPlane*kW, (rows + kH - 1)*oW). Tap row ky of
    output row oy reads unfolded row oy + ky, so each ky is one GEMM on a view
    of that buffer shifted by ky*oW columns: kH GEMMs with K = nInputPlane*kW
    instead of one with K = nInputPlane*kH*kW, and a kH times smaller buffer
    to write and read (the im2col traffic was the main cost beside the GEMMs).
    Used for the forward and for gradInput (folded back along the width only);
    gradWeight keeps the unfold path, whose single GEMM is faster there.

Every method takes a kernel dilation (dilH, dilW): the unfold spaces the taps,
and the rows method shifts its per-kernel-row views by dilH rows. The same
entry points serve SpatialConvolution, SpatialConvolutionMM (its 2-D weight is
the same memory) and SpatialDilatedConvolution; ``full_update_output`` /
``full_update_grad`` serve SpatialFullConvolution, the transposed convolution,
through the same internals with input and output swapped (see there).

The bias rides in the GEMMs (a column of b in the weight, a row of ones in the
columns), and gradBias with it. The column workspaces come from the pool's
spare buffers (``_parallel.workspace``: scratch only, never values, taken
before the GIL is released and handed back after). Gradients are written
over, never accumulated into what the buffers held.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm, gemv
from nnfunc._cpu._unfold cimport unfold2d, fold2d
from nnfunc._cpu._phase cimport nnf_phase, phase_plan, phase_run
from nnfunc._cpu._batch cimport group_size, run_chunks, sum_groups
from nnfunc._cpu._parallel import get_num_threads, has_blas_local_threads, release, workspace
from nnfunc._cpu import shift_convolution as _shift

cnp.import_array()

#: cap on the bytes of one column tile (the tile is the whole image below it:
#: smaller tiles measured no faster here, as both BLAS threads read the tile)
TILE_BYTES = 16 * 1024 * 1024

#: the rows method is used when its GEMMs have K = nInputPlane*kW >= this
ROWS_MIN_K = 16

cdef enum:
    _DIRECT = 1
    _UNFOLD = 2
    _ROWS = 3
    _FULL_FUSED = 4     # a batch job only: _full_backward's fused pass


cdef inline bint _direct(Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                         Py_ssize_t padH, Py_ssize_t padW) noexcept nogil:
    return kH == 1 and kW == 1 and dH == 1 and dW == 1 and padH == 0 and padW == 0


cdef inline void _fill(floating* a, floating v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        a[i] = v


cdef void _repack_rows(const floating* w, const floating* b, floating* wr, Py_ssize_t O,
                       Py_ssize_t C, Py_ssize_t kH, Py_ssize_t kW,
                       Py_ssize_t Kb) noexcept nogil:
    # wr[ky] = W[:, :, ky, :] as an (O, C*kW) matrix with leading dimension Kb;
    # column C*kW of wr[0] holds the bias (b != NULL), of the others 0
    cdef Py_ssize_t Kr = C * kW
    cdef Py_ssize_t o, c, ky, kx
    cdef floating* r
    for ky in range(kH):
        for o in range(O):
            r = wr + (ky * O + o) * Kb
            for c in range(C):
                for kx in range(kW):
                    r[c * kW + kx] = w[((o * C + c) * kH + ky) * kW + kx]
            if Kb > Kr:
                r[Kr] = b[o] if ky == 0 else 0


cdef void _forward_direct(const floating* x, const floating* w, const floating* b,
                          floating* y, Py_ssize_t N, Py_ssize_t C, Py_ssize_t L,
                          Py_ssize_t O) noexcept nogil:
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
                          Py_ssize_t dilH, Py_ssize_t dilW, Py_ssize_t R) noexcept nogil:
    cdef Py_ssize_t L = oH * oW, K = C * kH * kW, ld = R * oW
    cdef Py_ssize_t Kb = K + (b != NULL)
    cdef Py_ssize_t n, o, oy0, oy1, T
    cdef floating* yn
    if b != NULL:
        # [W | b] (O, K+1) @ [cols ; ones] (K+1, T)
        for o in range(O):
            memcpy(wb + o * Kb, w + o * K, K * sizeof(floating))
            wb[o * Kb + K] = b[o]
        _fill(cols + K * ld, 1, ld)
        w = wb
    for n in range(N):
        yn = y + n * O * L
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            unfold2d(x + n * C * H * W, cols, C, H, W, kH, kW, dH, dW, padH, padW,
                     dilH, dilW, oW, oy0, oy1, ld)
            # y[:, tile] (O, T; ld L) = W[O, Kb] @ cols[Kb, T]
            gemm(c'n', c'n', <blas_int>O, <blas_int>T, <blas_int>Kb, 1, w, <blas_int>Kb,
                 cols, <blas_int>ld, 0, yn + oy0 * oW, <blas_int>L)
            oy0 = oy1


cdef void _forward_rows(const floating* x, const floating* wr, bint bias, floating* y,
                        floating* cols, Py_ssize_t N, Py_ssize_t C, Py_ssize_t H,
                        Py_ssize_t W, Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW,
                        Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dW, Py_ssize_t padH,
                        Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW,
                        Py_ssize_t R) noexcept nogil:
    # cols[c*kW + kx, (r - oy0)*oW + ox] = x_pad[c, r, ox*dW + kx*dilW] for the
    # padded rows oy0 <= r < oy1 + (kH - 1)*dilH (an unfold with a 1 x kW
    # kernel), and
    #     y[:, tile] = sum_ky wr[ky] (O, C*kW) @ cols[:, ky*dilH*oW : ... + T]
    cdef Py_ssize_t L = oH * oW, Kr = C * kW, ext = (kH - 1) * dilH, ld = (R + ext) * oW
    cdef Py_ssize_t Kb = Kr + bias
    cdef Py_ssize_t n, ky, oy0, oy1, T
    cdef floating* yn
    if bias:
        _fill(cols + Kr * ld, 1, ld)
    for n in range(N):
        yn = y + n * O * L
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            unfold2d(x + n * C * H * W, cols, C, H, W, 1, kW, 1, dW, padH, padW, 1, dilW,
                     oW, oy0, oy1 + ext, ld)
            for ky in range(kH):
                # the bias column/row take part in the ky = 0 product only
                gemm(c'n', c'n', <blas_int>O, <blas_int>T, <blas_int>(Kb if ky == 0 else Kr),
                     1, wr + ky * O * Kb, <blas_int>Kb, cols + ky * dilH * oW, <blas_int>ld,
                     0 if ky == 0 else 1, yn + oy0 * oW, <blas_int>L)
            oy0 = oy1


cdef void _fill_planes(floating* a, const floating* v, Py_ssize_t C,
                       Py_ssize_t L) noexcept nogil:
    # plane c of a (C, L) = v[c], or 0 where v is NULL
    cdef Py_ssize_t c
    if v == NULL:
        memset(a, 0, C * L * sizeof(floating))
    else:
        for c in range(C):
            _fill(a + c * L, v[c], L)


cdef void _backward_direct(const floating* x, const floating* w, const floating* go,
                           floating* gi, const floating* gib, floating* gw, floating* gb,
                           floating* ones, Py_ssize_t N, Py_ssize_t C, Py_ssize_t L,
                           Py_ssize_t O) noexcept nogil:
    # gi == NULL: no gradInput; gw == NULL: neither gradWeight nor gradBias;
    # gib: gradInput starts from these per-plane values instead of 0
    cdef Py_ssize_t n
    cdef const floating* gon
    # every gradWeight/gradBias product adds (beta = 1): start from zero
    if gw != NULL:
        memset(gw, 0, O * C * sizeof(floating))
        if gb != NULL:
            memset(gb, 0, O * sizeof(floating))
            _fill(ones, 1, L)
    for n in range(N):
        gon = go + n * O * L
        if gi != NULL:
            if gib != NULL:
                _fill_planes(gi + n * C * L, gib, C, L)
            # gradInput[C, L] = W[O, C]^T @ gradOutput[O, L]
            gemm(c't', c'n', <blas_int>C, <blas_int>L, <blas_int>O, 1, w, <blas_int>C,
                 gon, <blas_int>L, 1 if gib != NULL else 0, gi + n * C * L, <blas_int>L)
        if gw != NULL:
            # gradWeight[O, C] += gradOutput[O, L] @ x[C, L]^T
            gemm(c'n', c't', <blas_int>O, <blas_int>C, <blas_int>L, 1, gon, <blas_int>L,
                 x + n * C * L, <blas_int>L, 1, gw, <blas_int>C)
            if gb != NULL:
                # gradBias[O] += gradOutput[O, L] @ ones[L]
                gemv(c'n', <blas_int>O, <blas_int>L, 1, gon, <blas_int>L, ones, 1, gb)


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, const floating* gib, floating* gw, floating* gb,
                    floating* cols, floating* gcols, floating* gwt, const floating* wr,
                    bint rows, Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                    Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                    Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                    Py_ssize_t dilH, Py_ssize_t dilW, Py_ssize_t R) noexcept nogil:
    # gradInput: unfold method (gcols (K, T) folded back) or, with rows, the
    # rows method (gcols (C*kW, (R + (kH-1)*dilH)*oW), kH GEMMs, folded back
    # along the width only). gradWeight and gradBias: unfold method,
    # accumulated transposed as gwt = [gradWeight^T ; gradBias] (Kb, O) +=
    # [cols ; ones] @ gradOutput[:, tile]^T (the faster GEMM shape for
    # OpenBLAS here). gi == NULL skips gradInput, gw == NULL gradWeight and
    # gradBias; gib (not NULL): gradInput starts from these per-plane values
    # (the bias of a transposed convolution) instead of 0.
    cdef Py_ssize_t L = oH * oW, K = C * kH * kW, ld = R * oW
    cdef Py_ssize_t Kr = C * kW, ext = (kH - 1) * dilH, ldr = (R + ext) * oW
    cdef Py_ssize_t Kb = K + (gb != NULL)
    cdef Py_ssize_t n, o, q, ky, oy0, oy1, T
    cdef const floating* xn
    cdef const floating* gon
    cdef floating* gin = NULL
    if gw != NULL:
        memset(gwt, 0, Kb * O * sizeof(floating))
        if gb != NULL:
            _fill(cols + K * ld, 1, ld)
    if gi != NULL:
        # gcols starts at zero and every fold leaves it so: the gradInput GEMMs
        # accumulate into it (beta = 1), which spares OpenBLAS's separate zeroing
        # pass over the whole tile that beta = 0 costs
        memset(gcols, 0, (Kr * ldr if rows else K * ld) * sizeof(floating))
    for n in range(N):
        xn = x + n * C * H * W
        gon = go + n * O * L
        if gi != NULL:
            gin = gi + n * C * H * W
            _fill_planes(gin, gib, C, H * W)
        oy0 = 0
        while oy0 < oH:
            oy1 = oy0 + R if oy0 + R < oH else oH
            T = (oy1 - oy0) * oW
            if gi == NULL:
                pass
            elif rows:
                # gcols[:, ky*dilH*oW : ... + T] += wr[ky]^T (C*kW, O) @ gradOutput[:, tile]
                for ky in range(kH):
                    gemm(c't', c'n', <blas_int>Kr, <blas_int>T, <blas_int>O, 1,
                         wr + ky * O * Kr, <blas_int>Kr, gon + oy0 * oW, <blas_int>L, 1,
                         gcols + ky * dilH * oW, <blas_int>ldr)
                fold2d(gin, gcols, C, H, W, 1, kW, 1, dW, padH, padW, 1, dilW, oW, oy0,
                       oy1 + ext, ldr, True)
            else:
                # gcols[K, T] = W[O, K]^T @ gradOutput[:, tile] (O, T; ld L)
                gemm(c't', c'n', <blas_int>K, <blas_int>T, <blas_int>O, 1, w, <blas_int>K,
                     gon + oy0 * oW, <blas_int>L, 1, gcols, <blas_int>ld)
                fold2d(gin, gcols, C, H, W, kH, kW, dH, dW, padH, padW, dilH, dilW, oW,
                       oy0, oy1, ld, True)
            if gw != NULL:
                unfold2d(xn, cols, C, H, W, kH, kW, dH, dW, padH, padW, dilH, dilW, oW,
                         oy0, oy1, ld)
                gemm(c'n', c't', <blas_int>Kb, <blas_int>O, <blas_int>T, 1, cols,
                     <blas_int>ld, gon + oy0 * oW, <blas_int>L, 1, gwt, <blas_int>O)
            oy0 = oy1
    if gw != NULL:
        for o in range(O):
            for q in range(K):
                gw[o * K + q] = gwt[q * O + o]
        if gb != NULL:
            memcpy(gb, gwt + K * O, O * sizeof(floating))


cdef int _method(str method, Py_ssize_t C, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH,
                 Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW) except -1:
    cdef bint direct = _direct(kH, kW, dH, dW, padH, padW)
    if method == "auto":
        if direct:
            return _DIRECT
        if dH == 1 and kH > 1 and C * kW >= ROWS_MIN_K:
            return _ROWS
        return _UNFOLD
    if method == "direct" and direct:
        return _DIRECT
    if method == "unfold":
        return _UNFOLD
    if method == "rows" and dH == 1:
        return _ROWS
    raise ValueError(f"method {method!r} does not apply here")


cdef bint _use_shift(str method, cnp.ndarray a, Py_ssize_t C, Py_ssize_t O, Py_ssize_t kH,
                     Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                     Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW) except -1:
    # shift_convolution.wanted, except that "auto" keeps the direct path of a
    # 1x1 kernel that needs no copy at all
    if method == "auto" and _direct(kH, kW, dH, dW, padH, padW):
        return False
    return _shift.wanted(method, a, C, O, (kH, kW), (dH, dW), (dilH, dilW))


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


cdef Py_ssize_t _tile_rows(Py_ssize_t rowbytes, Py_ssize_t fixed, Py_ssize_t oH,
                           Py_ssize_t tile_bytes):
    # the most output rows r (1 <= r <= oH) with (r + fixed) * rowbytes <= tile_bytes,
    # then evened out over the tiles that makes
    cdef Py_ssize_t r = tile_bytes // rowbytes - fixed, ntiles
    if r < 1:
        r = 1
    if r >= oH:
        return oH
    ntiles = (oH + r - 1) // r
    return (oH + ntiles - 1) // ntiles


# -- the batch over the thread pool (see _batch.pxd) -----------------------------

#: whether the BLAS takes a per-thread thread count (then the batch is split)
cdef bint _LOCAL = has_blas_local_threads()

cdef bint _splits(Py_ssize_t N):
    # whether a batch of N samples is split (in chunks on the pool, or in one
    # chunk when the pool has one thread: the method, and so the bits, must
    # not depend on the number of threads)
    return _LOCAL and N >= 2


#: most bytes of gradWeight partials (groups of several samples above it)
PARTIAL_BYTES = 32 * 1024 * 1024


ctypedef struct _Job:
    int m                       # _DIRECT, _UNFOLD or _ROWS
    bint dbl, bwd, rows, bias
    Py_ssize_t C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW, R
    const char* x               # input (backward: NULL without gradWeight)
    const char* w               # weight (O, C, kH, kW)
    const char* b               # bias (forward) or NULL
    const char* go              # gradOutput (backward)
    const char* gib             # backward: gradInput's starting planes, or NULL
    const char* wr              # the rows method's repacked weight, or NULL
    char* y                     # output (forward) or gradInput (backward; NULL: none)
    char* gw                    # backward: ngroups partials of O*K, or NULL
    char* gb                    # backward: ngroups partials of O, or NULL
    char* ws                    # nchunks workspaces of wsz elements
    Py_ssize_t wsz, o_gcols, o_gwt, o_wb   # offsets in a chunk's workspace
    Py_ssize_t N, G, ngroups, nchunks


cdef void _chunk(floating* t, const _Job* j, Py_ssize_t c) noexcept nogil:
    # the groups of chunk c (t only picks the type)
    cdef Py_ssize_t g, s0, n, xs = j.C * j.H * j.W, ys = j.O * j.oH * j.oW
    cdef floating* ws = <floating*>j.ws + c * j.wsz
    cdef const floating* x
    cdef floating* y
    cdef floating* gw
    cdef floating* gb
    for g in range(c * j.ngroups // j.nchunks, (c + 1) * j.ngroups // j.nchunks):
        s0 = g * j.G
        n = min(j.G, j.N - s0)
        x = <const floating*>j.x + s0 * xs if j.x != NULL else NULL
        if not j.bwd:
            y = <floating*>j.y + s0 * ys
            if j.m == _DIRECT:
                _forward_direct(x, <const floating*>j.w, <const floating*>j.b, y, n, j.C,
                                j.H * j.W, j.O)
            elif j.m == _UNFOLD:
                _forward_unfold(x, <const floating*>j.w, <const floating*>j.b, y,
                                ws + j.o_wb, ws, n, j.C, j.H, j.W, j.O, j.oH, j.oW, j.kH,
                                j.kW, j.dH, j.dW, j.padH, j.padW, j.dilH, j.dilW, j.R)
            else:
                _forward_rows(x, <const floating*>j.wr, j.bias, y, ws, n, j.C, j.H, j.W,
                              j.O, j.oH, j.oW, j.kH, j.kW, j.dW, j.padH, j.padW, j.dilH,
                              j.dilW, j.R)
            continue
        y = <floating*>j.y + s0 * xs if j.y != NULL else NULL
        gw = <floating*>j.gw + g * j.O * j.C * j.kH * j.kW if j.gw != NULL else NULL
        gb = <floating*>j.gb + g * j.O if j.gb != NULL else NULL
        if j.m == _FULL_FUSED:
            _full_backward(x, <const floating*>j.w, <const floating*>j.go + s0 * ys, y, gw, ws,
                           ws + j.o_gwt, n, j.C, j.H, j.W, j.O, j.oH, j.oW, j.kH, j.kW,
                           j.dH, j.dW, j.padH, j.padW, j.R)
        elif j.m == _DIRECT:
            _backward_direct(x, <const floating*>j.w, <const floating*>j.go + s0 * ys, y,
                             <const floating*>j.gib, gw, gb, ws, n, j.C, j.H * j.W, j.O)
        else:
            _backward(x, <const floating*>j.w, <const floating*>j.go + s0 * ys, y,
                      <const floating*>j.gib, gw, gb, ws, ws + j.o_gcols, ws + j.o_gwt,
                      <const floating*>j.wr, j.rows, n, j.C, j.H, j.W, j.O, j.oH, j.oW,
                      j.kH, j.kW, j.dH, j.dW, j.padH, j.padW, j.dilH, j.dilW, j.R)


cdef void _chunk_any(const void* ctx, Py_ssize_t c) noexcept nogil:
    if (<const _Job*>ctx).dbl:
        _chunk(<double*>NULL, <const _Job*>ctx, c)
    else:
        _chunk(<float*>NULL, <const _Job*>ctx, c)


cdef void _run(_Job* j, object dtype, void* gw, void* gb) except *:
    # split j's batch (j.N samples) as described above and run it; backward:
    # the partials are added into gw (O*K) and gb (O) when those are not NULL
    cdef Py_ssize_t itemsize = np.dtype(dtype).itemsize, K = j.C * j.kH * j.kW
    cdef cnp.ndarray ws, parts = None
    cdef Py_ssize_t psz = (K * j.O + j.O) if j.bwd and gw != NULL else 0
    j.G = group_size(j.N, psz * itemsize, PARTIAL_BYTES, _LOCAL)
    j.ngroups = (j.N + j.G - 1) // j.G
    j.nchunks = min(j.ngroups, <Py_ssize_t>get_num_threads()) if _LOCAL else 1
    ws = workspace(j.nchunks * j.wsz, dtype)
    j.ws = <char*>cnp.PyArray_DATA(ws)
    j.gw, j.gb = <char*>gw, (<char*>gb if gw != NULL else NULL)
    if j.ngroups > 1 and gw != NULL:
        parts = workspace(j.ngroups * psz, dtype)
        j.gw = <char*>cnp.PyArray_DATA(parts)
        j.gb = j.gw + j.ngroups * K * j.O * itemsize if gb != NULL else NULL
    with nogil:
        run_chunks(_chunk_any, j, j.nchunks)
        if parts is not None:
            if j.dbl:
                sum_groups(<double*>gw, <const double*>j.gw, j.ngroups, K * j.O)
                if gb != NULL:
                    sum_groups(<double*>gb, <const double*>j.gb, j.ngroups, j.O)
            else:
                sum_groups(<float*>gw, <const float*>j.gw, j.ngroups, K * j.O)
                if gb != NULL:
                    sum_groups(<float*>gb, <const float*>j.gb, j.ngroups, j.O)
    release(ws)
    if parts is not None:
        release(parts)


cdef inline void _geom(_Job* j, int m, Py_ssize_t N, Py_ssize_t C, Py_ssize_t H,
                       Py_ssize_t W, Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW,
                       Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW,
                       Py_ssize_t padH, Py_ssize_t padW, Py_ssize_t dilH, Py_ssize_t dilW,
                       Py_ssize_t R):
    j.m, j.N, j.C, j.H, j.W, j.O, j.oH, j.oW = m, N, C, H, W, O, oH, oW
    j.kH, j.kW, j.dH, j.dW, j.padH, j.padW, j.dilH, j.dilW = kH, kW, dH, dW, padH, padW, \
        dilH, dilW
    j.R = R
    j.x = j.w = j.b = j.go = j.gib = j.wr = NULL
    j.y = NULL
    j.o_gcols = j.o_gwt = j.o_wb = 0


cdef _conv_forward(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                   Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                   Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                   Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                   Py_ssize_t dilH, Py_ssize_t dilW, Py_ssize_t tile_bytes, str method):
    if _use_shift(method, x, C, O, kH, kW, dH, dW, padH, padW, dilH, dilW):
        _shift.forward(x, w, b, y, N, C, 1, H, W, O, 1, oH, oW, 1, kH, kW, 0, padH, padW, 1,
                       dilH, dilW, 1, dH, dW)
        return
    cdef int m = _method(method, C, kH, kW, dH, dW, padH, padW)
    cdef bint bias = b is not None
    cdef Py_ssize_t K = C * kH * kW, Kr = C * kW, sz = x.itemsize, R = oH
    cdef Py_ssize_t ext = (kH - 1) * dilH
    cdef Py_ssize_t tb = TILE_BYTES if tile_bytes < 0 else tile_bytes
    cdef cnp.ndarray wr = None
    cdef _Job j
    if N == 0:
        return
    _geom(&j, m, N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW, R)
    j.dbl, j.bwd, j.rows, j.bias = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT, False, False, bias
    j.wsz = 0
    if m == _UNFOLD:
        j.R = _tile_rows((K + bias) * oW * sz, 0, oH, tb)
        j.o_wb = (K + bias) * j.R * oW                  # cols, then [W | b]
        j.wsz = j.o_wb + (O * (K + 1) if bias else 0)
    elif m == _ROWS:
        j.R = _tile_rows((Kr + bias) * oW * sz, ext, oH, tb)
        j.wsz = (Kr + bias) * (j.R + ext) * oW
        wr = np.empty(kH * O * (Kr + bias), dtype=x.dtype)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* pwr = _ptr(wr)
    if m == _ROWS:
        with nogil:
            if j.dbl:
                _repack_rows(<const double*>pw, <const double*>pb, <double*>pwr, O, C, kH,
                             kW, Kr + bias)
            else:
                _repack_rows(<const float*>pw, <const float*>pb, <float*>pwr, O, C, kH, kW,
                             Kr + bias)
    j.x, j.w, j.b, j.wr = <const char*>cnp.PyArray_DATA(x), <const char*>pw, \
        <const char*>pb, <const char*>pwr
    j.y = <char*>cnp.PyArray_DATA(y)
    _run(&j, x.dtype, NULL, NULL)


cdef _conv_backward(object x, cnp.ndarray w, cnp.ndarray go, object gi, object gib,
                    object gw, object gb,
                    Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                    Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                    Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                    Py_ssize_t dilH, Py_ssize_t dilW, Py_ssize_t tile_bytes, str method):
    # gi None: no gradInput; gw None: no gradWeight/gradBias (x may then be None)
    if _use_shift(method, go, C, O, kH, kW, dH, dW, padH, padW, dilH, dilW):
        _shift.backward(x, w, go, gi, gw, gb, N, C, 1, H, W, O, 1, oH, oW, 1, kH, kW, 0, padH,
                        padW, 1, dilH, dilW, 1, dH, dW, gib=gib)
        return
    cdef int m = _method(method, C, kH, kW, dH, dW, padH, padW)
    cdef bint bias = gb is not None and gw is not None
    cdef Py_ssize_t K = C * kH * kW, Kr = C * kW, sz = go.itemsize, R = oH
    cdef Py_ssize_t ext = (kH - 1) * dilH
    cdef Py_ssize_t tb = TILE_BYTES if tile_bytes < 0 else tile_bytes
    cdef cnp.ndarray wr = None
    cdef bint rows = m == _ROWS and gi is not None
    cdef _Job j
    _geom(&j, m, N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, dilH, dilW, R)
    j.dbl, j.bwd, j.rows, j.bias = cnp.PyArray_TYPE(go) != cnp.NPY_FLOAT, True, rows, bias
    if m == _DIRECT:
        j.wsz = oH * oW if bias else 0                   # ones
    else:
        j.R = _tile_rows((K + bias) * oW * sz, 0, oH, tb)
        # cols (gradWeight), then gcols (gradInput), then gwt (gradWeight)
        j.o_gcols = (K + bias) * j.R * oW if gw is not None else 0
        j.o_gwt = j.o_gcols + ((Kr * (j.R + ext) * oW if rows else K * j.R * oW)
                               if gi is not None else 0)
        j.wsz = j.o_gwt + ((K + bias) * O if gw is not None else 0)
        if rows:
            wr = np.empty(kH * O * Kr, dtype=go.dtype)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pwr = _ptr(wr)
    if rows:
        with nogil:
            if j.dbl:
                _repack_rows(<const double*>pw, NULL, <double*>pwr, O, C, kH, kW, Kr)
            else:
                _repack_rows(<const float*>pw, NULL, <float*>pwr, O, C, kH, kW, Kr)
    j.x, j.w, j.go, j.gib, j.wr = <const char*>_ptr(x), <const char*>pw, \
        <const char*>cnp.PyArray_DATA(go), <const char*>_ptr(gib), <const char*>pwr
    j.y = <char*>_ptr(gi)
    if N == 0:
        # empty batch: zero gradients (gradInput is empty)
        if gw is not None:
            gw[...] = 0
            if bias:
                gb[...] = 0
        return
    _run(&j, go.dtype, _ptr(gw), _ptr(gb) if bias else NULL)


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                  Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                  Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                  Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                  Py_ssize_t tile_bytes=-1, str method="auto", Py_ssize_t dilH=1,
                  Py_ssize_t dilW=1):
    """y = conv(x, w) + b (b may be None). C-contiguous; sizes checked by the caller.

    ``method``: "auto", or (tests, benchmarks) "direct", "unfold", "rows" or
    "shift" where it applies; ``tile_bytes`` caps the column tile (default
    TILE_BYTES); ``dilH``, ``dilW``: the kernel dilation.
    """
    _conv_forward(x, w, b, y, N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW,
                  dilH, dilW, tile_bytes, method)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb,
                Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH, Py_ssize_t kW,
                Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH, Py_ssize_t padW,
                Py_ssize_t tile_bytes=-1, str method="auto", Py_ssize_t dilH=1,
                Py_ssize_t dilW=1):
    """gradInput, gradWeight and (gb not None) gradBias, written over.

    ``method``, ``tile_bytes`` and the dilation as for :func:`update_output`
    ("rows" only changes how gradInput is computed).
    """
    _conv_backward(x, w, go, gi, None, gw, gb, N, C, H, W, O, oH, oW, kH, kW, dH, dW,
                   padH, padW, dilH, dilW, tile_bytes, method)


# -- transposed ("full") convolution ---------------------------------------
# SpatialFullConvolution with input x (C, H, W), weight (C, O, kH, kW) and
# output (O, oH, oW) is the adjoint of the convolution from (O, oH, oW) to
# (C, H, W) whose weight is that same array read as (nOut=C, nIn=O, kH, kW).
# So its forward is that convolution's gradInput (gemm W^T x, then fold) with
# the bias as the fold's starting value, its gradInput is that convolution's
# forward of gradOutput, and its gradWeight is that convolution's gradWeight
# with the roles of input and gradOutput swapped. The sizes below are the
# transposed convolution's own (C = nInputPlane, O = nOutputPlane).

def full_update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                       Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                       Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                       Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                       Py_ssize_t padW, Py_ssize_t tile_bytes=-1, str method="auto"):
    """y = conv_transpose(x, w) + b (b may be None), written over.

    ``method`` "phase" (or "auto" where ``phase_plan`` prefers it: a stride
    > 1, less data moved than the unfold method, a common grid at most twice
    the input, the batch not split over the pool): the phase decomposition
    of ``_phase.h``, one GEMM
    per batch of samples whose result is scattered into place; otherwise the
    convolution's gradInput path (GEMM, then fold)."""
    cdef nnf_phase g
    if _use_shift(method, x, O, C, kH, kW, dH, dW, padH, padW, 1, 1):
        _shift.full_forward(x, w, b, y, N, C, 1, H, W, O, 1, oH, oW, 1, kH, kW, 0, padH, padW,
                            1, dH, dW)
        return
    # "auto": the phase method where phase_plan prefers it, unless the batch is
    # split over the pool (then GEMM-and-fold measured faster: 2.7 vs 4.3 ms on
    # 32x64x16x16 k4 s2 p1 ->32)
    if (method == "phase" or (method == "auto" and not _splits(N))) and phase_plan(
            &g, C, O, 1, H, W, 1, oH, oW, 1, kH, kW, 1, dH, dW, 0, padH, padW,
            method == "phase"):
        phase_run(x, w, b, y, N, &g)
        return
    _conv_backward(None, w, x, y, b, None, None, N, O, oH, oW, C, H, W, kH, kW, dH, dW,
                   padH, padW, 1, 1, tile_bytes, "auto" if method == "phase" else method)


cdef void _sum_planes(const floating* go, floating* gb, floating* ones, Py_ssize_t N,
                      Py_ssize_t O, Py_ssize_t L) noexcept nogil:
    # gb[o] = sum over n and the plane of go (N, O, L)
    cdef Py_ssize_t n
    memset(gb, 0, O * sizeof(floating))
    _fill(ones, 1, L)
    for n in range(N):
        gemv(c'n', <blas_int>O, <blas_int>L, 1, go + n * O * L, <blas_int>L, ones, 1, gb)


cdef void _full_backward(const floating* x, const floating* w, const floating* go,
                         floating* gi, floating* gw, floating* cols, floating* gwt,
                         Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                         Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                         Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                         Py_ssize_t padW, Py_ssize_t R) noexcept nogil:
    # The unfold method for both gradients of the transposed convolution at
    # once: per tile of input rows, cols = unfold(gradOutput) (O*kH*kW, T) is
    # read by both GEMMs (one unfold instead of two)
    #     gradInput[:, tile] = W (C, O*kH*kW) @ cols
    #     gwt (O*kH*kW, C)  += cols @ x[:, tile]^T      (gradWeight transposed)
    cdef Py_ssize_t Kf = O * kH * kW, L = H * W, ld = R * W
    cdef Py_ssize_t n, c, q, r0, r1, T
    cdef const floating* xn
    cdef const floating* gon
    cdef floating* gin
    memset(gwt, 0, Kf * C * sizeof(floating))
    for n in range(N):
        xn = x + n * C * L
        gon = go + n * O * oH * oW
        gin = gi + n * C * L
        r0 = 0
        while r0 < H:
            r1 = r0 + R if r0 + R < H else H
            T = (r1 - r0) * W
            unfold2d(gon, cols, O, oH, oW, kH, kW, dH, dW, padH, padW, 1, 1, W, r0, r1, ld)
            gemm(c'n', c'n', <blas_int>C, <blas_int>T, <blas_int>Kf, 1, w, <blas_int>Kf,
                 cols, <blas_int>ld, 0, gin + r0 * W, <blas_int>L)
            gemm(c'n', c't', <blas_int>Kf, <blas_int>C, <blas_int>T, 1, cols, <blas_int>ld,
                 xn + r0 * W, <blas_int>L, 1, gwt, <blas_int>C)
            r0 = r1
    for c in range(C):
        for q in range(Kf):
            gw[c * Kf + q] = gwt[q * C + c]


def full_update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                     cnp.ndarray gw, object gb,
                     Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W,
                     Py_ssize_t O, Py_ssize_t oH, Py_ssize_t oW, Py_ssize_t kH,
                     Py_ssize_t kW, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t padH,
                     Py_ssize_t padW, Py_ssize_t tile_bytes=-1, str method="auto"):
    """gradInput, gradWeight and (gb not None) gradBias of the transposed
    convolution, written over. Where the convolution would take its unfold
    method, one fused pass (one unfold of gradOutput per tile for both
    gradients; the batch split over the pool as the convolutions'); otherwise
    its forward (gradInput) and gradWeight paths.
    ("phase" is a forward method: here it means "auto".)"""
    if method == "phase":
        method = "auto"
    if _use_shift(method, go, O, C, kH, kW, dH, dW, padH, padW, 1, 1):
        _shift.full_backward(x, w, go, gi, gw, gb, N, C, 1, H, W, O, 1, oH, oW, 1, kH, kW, 0,
                             padH, padW, 1, dH, dW)
        return
    cdef int m = _method(method, O, kH, kW, dH, dW, padH, padW)
    cdef Py_ssize_t Kf = O * kH * kW, R
    cdef Py_ssize_t tb = TILE_BYTES if tile_bytes < 0 else tile_bytes
    cdef cnp.ndarray cols, gwt
    cdef void* pc
    cdef void* pgwt
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo0 = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef _Job j
    if m == _UNFOLD and _splits(N):
        R = _tile_rows(Kf * W * go.itemsize, 0, H, tb)
        _geom(&j, _FULL_FUSED, N, C, H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, 1, 1, R)
        j.dbl, j.bwd, j.rows, j.bias = cnp.PyArray_TYPE(go) != cnp.NPY_FLOAT, True, False, \
            False
        j.o_gwt = Kf * R * W                    # cols, then gwt
        j.wsz = j.o_gwt + Kf * C
        j.x, j.w, j.go = <const char*>px, <const char*>pw, <const char*>pgo0
        j.y = <char*>pgi
        _run(&j, go.dtype, pgw, NULL)
    elif m == _UNFOLD:
        R = _tile_rows(Kf * W * go.itemsize, 0, H, tb)
        cols = np.empty(Kf * R * W, dtype=go.dtype)
        gwt = np.empty(Kf * C, dtype=go.dtype)
        pc = cnp.PyArray_DATA(cols)
        pgwt = cnp.PyArray_DATA(gwt)
        if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
            with nogil:
                _full_backward(<const float*>px, <const float*>pw, <const float*>pgo0,
                               <float*>pgi, <float*>pgw, <float*>pc, <float*>pgwt, N, C, H,
                               W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
        else:
            with nogil:
                _full_backward(<const double*>px, <const double*>pw, <const double*>pgo0,
                               <double*>pgi, <double*>pgw, <double*>pc, <double*>pgwt, N, C,
                               H, W, O, oH, oW, kH, kW, dH, dW, padH, padW, R)
    else:
        _conv_forward(go, w, None, gi, N, O, oH, oW, C, H, W, kH, kW, dH, dW, padH, padW,
                      1, 1, tile_bytes, method)
        _conv_backward(go, w, x, None, None, gw, None, N, O, oH, oW, C, H, W, kH, kW, dH,
                       dW, padH, padW, 1, 1, tile_bytes, method)
    if gb is None:
        return
    cdef cnp.ndarray ones = np.empty(oH * oW, dtype=go.dtype)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgb = cnp.PyArray_DATA(gb)
    cdef void* po = cnp.PyArray_DATA(ones)
    if cnp.PyArray_TYPE(go) == cnp.NPY_FLOAT:
        with nogil:
            _sum_planes(<const float*>pgo, <float*>pgb, <float*>po, N, O, oH * oW)
    else:
        with nogil:
            _sum_planes(<const double*>pgo, <double*>pgb, <double*>po, N, O, oH * oW)
