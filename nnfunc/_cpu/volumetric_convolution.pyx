"""Volumetric (3-D) convolution kernels over BLAS GEMMs: plain, dilated and full.

One geometry serves the three modules (see ``_unfold3d.pxd``): a "volume"
``(Cv, Tv, Hv, Wv)`` and a "grid" of positions ``(gT, gH, gW)`` with
``L = gT*gH*gW``, related by the convolution taps; the weight is ``(M, Cv,
kT, kH, kW)`` in both cases:

convolution (plain or dilated; ``transposed`` false)
    volume = input, grid = output, ``M = nOutputPlane``::
        forward     y[:, tile]  = [W | b] @ [unfold(x) ; ones]
        backward    gradInput   = fold(W^T @ gradOutput[:, tile])
                    [gW^T ; gb] += [unfold(x) ; ones] @ gradOutput[:, tile]^T
full (transposed) convolution (``transposed`` true)
    volume = output, grid = input, ``M = nInputPlane``; the same two
    products the other way round::
        forward     y = b + fold(W^T @ x[:, tile])
        backward    gradInput[:, tile] = W @ unfold(gradOutput)
                    gW^T += unfold(gradOutput) @ x[:, tile]^T;  gb = sums of gradOutput

float32 on a CPU with AVX-512 goes to the shift method instead
(``shift_convolution.pyx``: no column matrix; the full convolution one
stride-1 convolution per output phase) where "auto" prefers it
(``shift_convolution.wanted``) or by name ("shift"). Otherwise two ways to
unfold, picked per call (``method``):

unfold
    the whole (Cv*kT*kH*kW, rows*gW) column matrix of a tile of grid rows
    (Torch7's vol2col), one GEMM per product.
planes (stride dT = 1, kT > 1)
    only the (kH, kW) taps are unfolded, over the padded time planes that
    the tile's windows cover: (Cv*kH*kW, (planes + (kT-1) dilT)*gH*gW).
    Tap kt of grid plane t reads unfolded plane t + kt*dilT, so each kt is
    one GEMM on a view shifted by kt*dilT*gH*gW columns: kT GEMMs with
    K = Cv*kH*kW on a kT times smaller buffer (the unfold traffic, not the
    GEMMs, is what costs beside BLAS). Used for every product, gradWeight
    included (kT accumulating GEMMs into a (kT, Cv*kH*kW (+1), M) buffer).

The column buffer is tiled over grid rows so that it stays under
``TILE_BYTES`` (whole volume below that). The bias rides in the GEMMs (a
column of b in the repacked weight, a row of ones in the columns) for the
convolution. The column workspaces come from the pool's spare buffers
(``_parallel.workspace``: scratch only, taken before the GIL is released
and handed back after). Gradients are written over, never accumulated into
what the buffers held.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm
from nnfunc._cpu._unfold3d cimport Geom3d, unfold3d, fold3d
from nnfunc._cpu._phase cimport nnf_phase, phase_plan, phase_run
from nnfunc._cpu._batch cimport group_size, run_chunks, sum_groups
from nnfunc._cpu._parallel import get_num_threads, has_blas_local_threads, release, workspace
from nnfunc._cpu import shift_convolution as _shift

cnp.import_array()


cdef extern from "_norm.h" nogil:
    double nnf_sum_f(const float* x, Py_ssize_t n)
    double nnf_sum_d(const double* x, Py_ssize_t n)

#: cap on the bytes of one column tile
TILE_BYTES = 16 * 1024 * 1024


ctypedef struct Plan:
    Geom3d g            # the unfold geometry (kT = 1 and gT widened for planes)
    Py_ssize_t N, M     # batch, the weight's first dimension
    Py_ssize_t V        # Cv*Tv*Hv*Wv: one volume
    Py_ssize_t L        # gT*gH*gW: one grid plane
    Py_ssize_t nrows    # gT*gH: grid rows
    Py_ssize_t nk       # GEMMs per product: kT (planes) or 1
    Py_ssize_t kq       # taps per GEMM: kH*kW (planes) or kT*kH*kW
    Py_ssize_t Kr, Kb   # unfolded rows Cv*kq; Kr + 1 with a bias row of ones
    Py_ssize_t shift    # columns between the views of consecutive GEMMs
    Py_ssize_t ext      # extra unfolded rows below a tile: (kT-1)*dilT*gH (planes)
    Py_ssize_t unit     # tile rows come in multiples of this: gH (planes) or 1
    Py_ssize_t R        # grid rows per tile (a multiple of unit)
    Py_ssize_t ld       # leading dimension of the column buffers: (R + ext)*gW


cdef inline void _fill(floating* a, floating v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        a[i] = v


cdef void _repack(const floating* w, const floating* b, floating* wr,
                  const Plan* p) noexcept nogil:
    # wr[j] (M, Kb) = W[:, :, j-th tap group] (M, Cv*kq); column Kr of wr[0]
    # holds the bias (when Kb > Kr), of the others 0
    cdef Py_ssize_t j, m, c, q, C = p.g.C, kq = p.kq, nk = p.nk, Kb = p.Kb
    cdef floating* r
    cdef const floating* s
    for j in range(nk):
        for m in range(p.M):
            r = wr + (j * p.M + m) * Kb
            for c in range(C):
                s = w + ((m * C + c) * nk + j) * kq
                for q in range(kq):
                    r[c * kq + q] = s[q]
            if Kb > p.Kr:
                r[p.Kr] = b[m] if j == 0 and b != NULL else 0


cdef void _unpack(const floating* gwt, floating* gw, floating* gb,
                  const Plan* p) noexcept nogil:
    # gw[m, c, j-th group, q] = gwt[j, c*kq + q, m]; gb[m] = gwt[0, Kr, m]
    cdef Py_ssize_t j, m, c, q, C = p.g.C, kq = p.kq, nk = p.nk, M = p.M
    cdef floating* r
    cdef const floating* s
    for m in range(M):
        for c in range(C):
            for j in range(nk):
                r = gw + ((m * C + c) * nk + j) * kq
                s = gwt + (j * p.Kb + c * kq) * M + m
                for q in range(kq):
                    r[q] = s[q * M]
    if gb != NULL:
        for m in range(M):
            gb[m] = gwt[p.Kr * M + m]


cdef inline Py_ssize_t _next(Py_ssize_t r0, const Plan* p) noexcept nogil:
    return r0 + p.R if r0 + p.R < p.nrows else p.nrows


cdef inline void _unfold_gemm(const floating* wr, const floating* cols, floating* out,
                              Py_ssize_t T, const Plan* p) noexcept nogil:
    # out (M, T; ld L) = sum_j wr[j] (M, Kb or Kr) @ cols[:, j*shift : j*shift + T]
    # (the bias column/row take part in the j = 0 product only)
    cdef Py_ssize_t j
    for j in range(p.nk):
        gemm(c'n', c'n', <blas_int>p.M, <blas_int>T, <blas_int>(p.Kb if j == 0 else p.Kr),
             1, wr + j * p.M * p.Kb, <blas_int>p.Kb, cols + j * p.shift, <blas_int>p.ld,
             0 if j == 0 else 1, out, <blas_int>p.L)


cdef inline void _gemm_cols(const floating* wr, const floating* src, floating* gcols,
                            Py_ssize_t T, const Plan* p) noexcept nogil:
    # gcols[:, j*shift : j*shift + T] += wr[j]^T (Kr, M) @ src (M, T; ld L)
    # (one product, nk = 1: written over, beta = 0; the fold need not clear)
    cdef Py_ssize_t j
    for j in range(p.nk):
        gemm(c't', c'n', <blas_int>p.Kr, <blas_int>T, <blas_int>p.M, 1,
             wr + j * p.M * p.Kb, <blas_int>p.Kb, src, <blas_int>p.L, 1 if p.nk > 1 else 0,
             gcols + j * p.shift, <blas_int>p.ld)


cdef inline void _gemm_gw(const floating* cols, const floating* src, floating* gwt,
                          Py_ssize_t T, const Plan* p) noexcept nogil:
    # gwt[j] (Kb or Kr, M) += cols[:, j*shift : j*shift + T] @ src (M, T; ld L)^T
    cdef Py_ssize_t j
    for j in range(p.nk):
        gemm(c'n', c't', <blas_int>(p.Kb if j == 0 else p.Kr), <blas_int>p.M, <blas_int>T, 1,
             cols + j * p.shift, <blas_int>p.ld, src, <blas_int>p.L, 1,
             gwt + j * p.Kb * p.M, <blas_int>p.M)


cdef void _conv_forward(const floating* x, const floating* wr, floating* y, floating* cols,
                        const Plan* p) noexcept nogil:
    cdef Py_ssize_t n, r0, r1
    if p.Kb > p.Kr:
        _fill(cols + p.Kr * p.ld, 1, p.ld)
    for n in range(p.N):
        r0 = 0
        while r0 < p.nrows:
            r1 = _next(r0, p)
            unfold3d(x + n * p.V, cols, &p.g, r0, r1 + p.ext, p.ld)
            _unfold_gemm(wr, cols, y + n * p.M * p.L + r0 * p.g.oW, (r1 - r0) * p.g.oW, p)
            r0 = r1


cdef void _conv_backward(const floating* x, const floating* wr, const floating* go,
                         floating* gi, floating* gwt, floating* cols, floating* gcols,
                         const Plan* p) noexcept nogil:
    cdef Py_ssize_t n, r0, r1, T
    cdef const floating* gon
    memset(gwt, 0, p.nk * p.Kb * p.M * sizeof(floating))
    if p.Kb > p.Kr:
        _fill(cols + p.Kr * p.ld, 1, p.ld)
    # every fold leaves gcols zero, so the GEMMs accumulate into it (beta = 1)
    memset(gcols, 0, p.Kr * p.ld * sizeof(floating))
    for n in range(p.N):
        gon = go + n * p.M * p.L
        memset(gi + n * p.V, 0, p.V * sizeof(floating))
        r0 = 0
        while r0 < p.nrows:
            r1 = _next(r0, p)
            T = (r1 - r0) * p.g.oW
            _gemm_cols(wr, gon + r0 * p.g.oW, gcols, T, p)
            fold3d(gi + n * p.V, gcols, &p.g, r0, r1 + p.ext, p.ld, p.nk > 1)
            unfold3d(x + n * p.V, cols, &p.g, r0, r1 + p.ext, p.ld)
            _gemm_gw(cols, gon + r0 * p.g.oW, gwt, T, p)
            r0 = r1


cdef void _full_forward(const floating* x, const floating* wr, const floating* b,
                        floating* y, floating* gcols, const Plan* p) noexcept nogil:
    cdef Py_ssize_t n, m, r0, r1, P = p.V // p.g.C
    cdef floating* yn
    memset(gcols, 0, p.Kr * p.ld * sizeof(floating))
    for n in range(p.N):
        yn = y + n * p.V
        for m in range(p.g.C):
            _fill(yn + m * P, b[m] if b != NULL else 0, P)
        r0 = 0
        while r0 < p.nrows:
            r1 = _next(r0, p)
            _gemm_cols(wr, x + n * p.M * p.L + r0 * p.g.oW, gcols, (r1 - r0) * p.g.oW, p)
            fold3d(yn, gcols, &p.g, r0, r1 + p.ext, p.ld, p.nk > 1)
            r0 = r1


cdef void _full_backward(const floating* x, const floating* wr, const floating* go,
                         floating* gi, floating* gwt, floating* cols,
                         const Plan* p) noexcept nogil:
    # gradBias: _full_gb
    cdef Py_ssize_t n, r0, r1, T
    memset(gwt, 0, p.nk * p.Kb * p.M * sizeof(floating))
    for n in range(p.N):
        r0 = 0
        while r0 < p.nrows:
            r1 = _next(r0, p)
            T = (r1 - r0) * p.g.oW
            unfold3d(go + n * p.V, cols, &p.g, r0, r1 + p.ext, p.ld)
            _unfold_gemm(wr, cols, gi + n * p.M * p.L + r0 * p.g.oW, T, p)
            _gemm_gw(cols, x + n * p.M * p.L + r0 * p.g.oW, gwt, T, p)
            r0 = r1


cdef void _full_gb(const floating* go, floating* gb, const Plan* p) noexcept nogil:
    # gradBias of a full convolution: per plane, the vectorised lane sums of
    # _norm.h (one scalar chain of double adds cost as much as a GEMM here),
    # added over the batch in order
    cdef Py_ssize_t n, m, P = p.V // p.g.C
    cdef const floating* s
    cdef double acc
    for m in range(p.g.C):
        acc = 0
        for n in range(p.N):
            s = go + n * p.V + m * P
            if floating is float:
                acc += nnf_sum_f(s, P)
            else:
                acc += nnf_sum_d(s, P)
        gb[m] = <floating>acc


# -- the batch over the thread pool (see _batch.pxd) -----------------------------

cdef enum:
    _CONV_FWD = 0
    _CONV_BWD = 1
    _FULL_FWD = 2
    _FULL_BWD = 3

#: most bytes of gradWeight partials (groups of several samples above it)
PARTIAL_BYTES = 32 * 1024 * 1024


ctypedef struct _Batch:
    int kind
    bint dbl
    const Plan* p
    Py_ssize_t G, ngroups, nchunks, gsz, wsz
    const char* x
    const char* wr
    const char* b
    const char* go
    char* out           # y (forwards) or gradInput (backwards)
    char* gwp           # ngroups partials of gsz elements (backwards)
    char* ws            # nchunks workspaces of wsz elements


cdef void _chunk(floating* t, const _Batch* j, Py_ssize_t c) noexcept nogil:
    # the groups of chunk c (t only picks the type)
    cdef const Plan* p = j.p
    cdef Plan q = p[0]
    cdef Py_ssize_t g, s0, vin, vout
    cdef floating* cols = <floating*>j.ws + c * j.wsz
    cdef floating* gcols = cols + p.Kb * p.ld
    # elements per sample of the input side and of the output side
    vin = p.V if j.kind == _CONV_FWD or j.kind == _CONV_BWD else p.M * p.L
    vout = p.M * p.L if j.kind == _CONV_FWD or j.kind == _CONV_BWD else p.V
    for g in range(c * j.ngroups // j.nchunks, (c + 1) * j.ngroups // j.nchunks):
        s0 = g * j.G
        q.N = min(j.G, p.N - s0)
        if j.kind == _CONV_FWD:
            _conv_forward(<const floating*>j.x + s0 * vin, <const floating*>j.wr,
                          <floating*>j.out + s0 * vout, cols, &q)
        elif j.kind == _FULL_FWD:
            _full_forward(<const floating*>j.x + s0 * vin, <const floating*>j.wr,
                          <const floating*>j.b, <floating*>j.out + s0 * vout, cols, &q)
        elif j.kind == _CONV_BWD:
            _conv_backward(<const floating*>j.x + s0 * vin, <const floating*>j.wr,
                           <const floating*>j.go + s0 * vout, <floating*>j.out + s0 * vin,
                           <floating*>j.gwp + g * j.gsz, cols, gcols, &q)
        else:
            _full_backward(<const floating*>j.x + s0 * vin, <const floating*>j.wr,
                           <const floating*>j.go + s0 * vout, <floating*>j.out + s0 * vin,
                           <floating*>j.gwp + g * j.gsz, cols, &q)


cdef void _chunk_any(const void* ctx, Py_ssize_t c) noexcept nogil:
    if (<const _Batch*>ctx).dbl:
        _chunk(<double*>NULL, <const _Batch*>ctx, c)
    else:
        _chunk(<float*>NULL, <const _Batch*>ctx, c)


cdef void _run_batch(int kind, const Plan* p, cnp.ndarray x, const void* wr, const void* b,
                     const void* go, void* out, void* gwt) except *:
    # the forward (y = out) or the backward (gradInput = out, gradWeight^T and
    # the bias row summed into gwt) of the whole batch; see above
    cdef _Batch j
    cdef Py_ssize_t itemsize = x.itemsize
    cdef cnp.ndarray ws, gwp = None
    if p.N == 0:
        if kind == _CONV_BWD or kind == _FULL_BWD:
            memset(gwt, 0, p.nk * p.Kb * p.M * itemsize)
        return
    j.kind, j.dbl, j.p = kind, cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT, p
    j.x, j.wr, j.b, j.go = <const char*>cnp.PyArray_DATA(x), <const char*>wr, \
        <const char*>b, <const char*>go
    j.out = <char*>out
    j.gsz = p.nk * p.Kb * p.M
    j.G = group_size(p.N, j.gsz * itemsize if kind == _CONV_BWD or kind == _FULL_BWD else 0,
                     PARTIAL_BYTES, _LOCAL)
    j.ngroups = (p.N + j.G - 1) // j.G
    j.nchunks = min(j.ngroups, <Py_ssize_t>get_num_threads()) if _LOCAL else 1
    j.wsz = p.Kb * p.ld + (p.Kr * p.ld if kind == _CONV_BWD else 0)
    ws = workspace(j.nchunks * j.wsz, x.dtype)
    j.ws = <char*>cnp.PyArray_DATA(ws)
    if (kind == _CONV_BWD or kind == _FULL_BWD) and j.ngroups > 1:
        gwp = workspace(j.ngroups * j.gsz, x.dtype)
        j.gwp = <char*>cnp.PyArray_DATA(gwp)
    else:
        j.gwp = <char*>gwt
    with nogil:
        run_chunks(_chunk_any, &j, j.nchunks)
        if j.gwp != <char*>gwt:
            if j.dbl:
                sum_groups(<double*>gwt, <const double*>j.gwp, j.ngroups, j.gsz)
            else:
                sum_groups(<float*>gwt, <const float*>j.gwp, j.ngroups, j.gsz)
    release(ws)
    if gwp is not None:
        release(gwp)


#: whether the BLAS takes a per-thread thread count (then the batch is split)
cdef bint _LOCAL = has_blas_local_threads()


cdef bint _splits(Py_ssize_t N):
    # whether a batch of N samples is split (in chunks on the pool, or in one
    # chunk when the pool has one thread: the method, and so the bits, must
    # not depend on the number of threads)
    return _LOCAL and N >= 2


cdef Plan _plan(Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
                Py_ssize_t M, Py_ssize_t gT, Py_ssize_t gH, Py_ssize_t gW,
                Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dT, Py_ssize_t dH,
                Py_ssize_t dW, Py_ssize_t padT, Py_ssize_t padH, Py_ssize_t padW,
                Py_ssize_t dilT, Py_ssize_t dilH, Py_ssize_t dilW, bint bias,
                Py_ssize_t itemsize, Py_ssize_t tile_bytes, str method) except *:
    cdef Plan p
    cdef bint planes
    cdef Py_ssize_t units, per, most, ntiles, tb
    if method == "auto":
        planes = dT == 1 and kT > 1
    elif method == "planes" and dT == 1:
        planes = True
    elif method == "unfold":
        planes = False
    else:
        raise ValueError(f"method {method!r} does not apply here")
    p.N, p.M = N, M
    p.V = C * T * H * W
    p.L = gT * gH * gW
    p.nrows = gT * gH
    p.g.C, p.g.T, p.g.H, p.g.W = C, T, H, W
    p.g.kH, p.g.kW, p.g.dH, p.g.dW = kH, kW, dH, dW
    p.g.padT, p.g.padH, p.g.padW = padT, padH, padW
    p.g.dilH, p.g.dilW = dilH, dilW
    p.g.oH, p.g.oW = gH, gW
    if planes:
        p.nk, p.kq = kT, kH * kW
        p.g.kT, p.g.dT, p.g.dilT = 1, 1, 1
        p.g.oT = gT + (kT - 1) * dilT
        p.unit = gH
        p.ext = (kT - 1) * dilT * gH
        p.shift = dilT * gH * gW
    else:
        p.nk, p.kq = 1, kT * kH * kW
        p.g.kT, p.g.dT, p.g.dilT = kT, dT, dilT
        p.g.oT = gT
        p.unit = 1
        p.ext = 0
        p.shift = 0
    p.Kr = C * p.kq
    p.Kb = p.Kr + bias
    # tile: the most rows (in units) with (rows + ext) * Kb * gW * itemsize <= tile bytes,
    # at least one unit, evened out over the tiles that makes
    tb = TILE_BYTES if tile_bytes < 0 else tile_bytes
    units = p.nrows // p.unit if p.nrows > 0 else 0
    per = p.Kb * gW * itemsize * p.unit
    if units > 0:
        most = tb // per - p.ext // p.unit
        if most < 1:
            most = 1
        if most > units:
            most = units
        ntiles = (units + most - 1) // most
        p.R = ((units + ntiles - 1) // ntiles) * p.unit
    else:
        p.R = 0
    p.ld = (p.R + p.ext) * gW
    return p


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def forward(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y, bint transposed,
            Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
            Py_ssize_t M, Py_ssize_t gT, Py_ssize_t gH, Py_ssize_t gW,
            Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dT, Py_ssize_t dH,
            Py_ssize_t dW, Py_ssize_t padT, Py_ssize_t padH, Py_ssize_t padW,
            Py_ssize_t dilT, Py_ssize_t dilH, Py_ssize_t dilW,
            Py_ssize_t tile_bytes=-1, str method="auto"):
    """The forward of a convolution (``transposed`` false: x is the volume
    (N, C, T, H, W), y the grid (N, M, gT, gH, gW)) or of a full convolution
    (x the grid (N, M, ...), y the volume (N, C, ...)). w: (M, C, kT, kH, kW);
    b: None or the bias ((M,) for a convolution, (C,) for a full one).
    C-contiguous; sizes checked by the caller. ``method``: "auto", "unfold",
    "planes" (dT = 1), "shift" (float32, AVX-512), and for a full
    convolution "phase" (``_phase.h``:
    one GEMM per batch of samples scattered into place, no fold; "auto" takes
    it where ``phase_plan`` prefers it); ``tile_bytes`` caps the column tile.
    """
    cdef nnf_phase g
    cdef void* px
    cdef void* pw
    cdef void* pb
    cdef void* py
    if _shift.wanted(method, x, C, M, (kT, kH, kW), (dT, dH, dW), (dilT, dilH, dilW)):
        if transposed:          # x the grid (N, M, gT, gH, gW), y the volume
            _shift.full_forward(x, w, b, y, N, M, gT, gH, gW, C, T, H, W, kT, kH, kW, padT,
                                padH, padW, dT, dH, dW)
        else:
            _shift.forward(x, w, b, y, N, C, T, H, W, M, gT, gH, gW, kT, kH, kW, padT, padH,
                           padW, dilT, dilH, dilW, dT, dH, dW)
        return
    # "auto": the phase method where phase_plan prefers it, unless the batch is
    # split over the pool (then GEMM-and-fold measured faster: 1.0 vs 1.9 ms on
    # 8x32x4x8x8 k4 s2 p1 ->16)
    if (transposed and (method == "phase" or (method == "auto" and not _splits(N)))
            and dilT == 1 and dilH == 1 and dilW == 1
            and phase_plan(&g, M, C, gT, gH, gW, T, H, W, kT, kH, kW, dT, dH, dW, padT, padH,
                           padW, method == "phase")):
        phase_run(x, w, b, y, N, &g)
        return
    if method == "phase":
        method = "auto"
    cdef Plan p = _plan(N, C, T, H, W, M, gT, gH, gW, kT, kH, kW, dT, dH, dW, padT, padH,
                        padW, dilT, dilH, dilW, b is not None and not transposed,
                        x.itemsize, tile_bytes, method)
    if N == 0:
        return
    cdef cnp.ndarray wr = np.empty(p.nk * p.M * p.Kb, dtype=x.dtype)
    px, pw, pb, py = cnp.PyArray_DATA(x), cnp.PyArray_DATA(w), _ptr(b), cnp.PyArray_DATA(y)
    cdef void* pwr = cnp.PyArray_DATA(wr)
    with nogil:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            _repack(<const float*>pw, <const float*>pb, <float*>pwr, &p)
        else:
            _repack(<const double*>pw, <const double*>pb, <double*>pwr, &p)
    _run_batch(_FULL_FWD if transposed else _CONV_FWD, &p, x, pwr, pb, NULL, py, NULL)


def backward(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
             cnp.ndarray gw, object gb, bint transposed,
             Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
             Py_ssize_t M, Py_ssize_t gT, Py_ssize_t gH, Py_ssize_t gW,
             Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t dT, Py_ssize_t dH,
             Py_ssize_t dW, Py_ssize_t padT, Py_ssize_t padH, Py_ssize_t padW,
             Py_ssize_t dilT, Py_ssize_t dilH, Py_ssize_t dilW,
             Py_ssize_t tile_bytes=-1, str method="auto"):
    """gradInput, gradWeight and (gb not None) gradBias, written over; the
    geometry as for :func:`forward` (x and gi the input side, go the output)."""
    if _shift.wanted(method, x, C, M, (kT, kH, kW), (dT, dH, dW), (dilT, dilH, dilW)):
        if transposed:
            _shift.full_backward(x, w, go, gi, gw, gb, N, M, gT, gH, gW, C, T, H, W, kT, kH, kW,
                                 padT, padH, padW, dT, dH, dW)
        else:
            _shift.backward(x, w, go, gi, gw, gb, N, C, T, H, W, M, gT, gH, gW, kT, kH, kW,
                            padT, padH, padW, dilT, dilH, dilW, dT, dH, dW)
        return
    cdef bint bias = gb is not None and not transposed
    # "phase" is a forward method of the full convolution: here it means "auto"
    cdef Plan p = _plan(N, C, T, H, W, M, gT, gH, gW, kT, kH, kW, dT, dH, dW, padT, padH,
                        padW, dilT, dilH, dilW, bias, x.itemsize, tile_bytes,
                        "auto" if method == "phase" else method)
    cdef cnp.ndarray gwt = np.empty(p.nk * p.Kb * p.M, dtype=x.dtype)
    cdef cnp.ndarray wr = np.empty(p.nk * p.M * p.Kb, dtype=x.dtype)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* pgwt = cnp.PyArray_DATA(gwt)
    cdef void* pwr = cnp.PyArray_DATA(wr)
    cdef bint dbl = cnp.PyArray_TYPE(x) != cnp.NPY_FLOAT
    with nogil:
        if dbl:
            _repack(<const double*>pw, NULL, <double*>pwr, &p)
        else:
            _repack(<const float*>pw, NULL, <float*>pwr, &p)
    _run_batch(_FULL_BWD if transposed else _CONV_BWD, &p, x, pwr, NULL, pgo,
               cnp.PyArray_DATA(gi), pgwt)
    with nogil:
        if dbl:
            if transposed and pgb != NULL:
                _full_gb(<const double*>pgo, <double*>pgb, &p)
            _unpack(<const double*>pgwt, <double*>pgw,
                    NULL if transposed else <double*>pgb, &p)
        else:
            if transposed and pgb != NULL:
                _full_gb(<const float*>pgo, <float*>pgb, &p)
            _unpack(<const float*>pgwt, <float*>pgw, NULL if transposed else <float*>pgb,
                    &p)
