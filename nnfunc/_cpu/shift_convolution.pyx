"""The "shift" method of the convolutions: float32 on AVX-512 CPUs.

No column matrix: each image is copied once into a zero-padded buffer and
the taps are read from it in place, at a shift (``_shift.h`` explains the
layout and the micro-kernels). A stride s > 1 becomes a stride-1
convolution of the space-to-depth image (s^d times the planes, ceil(k/s)
taps a side, the taps past k weighted 0). It serves SpatialConvolution(MM),
SpatialDilatedConvolution, VolumetricConvolution,
VolumetricDilatedConvolution and, as the adjoint, SpatialFullConvolution
and VolumetricFullConvolution, when the dtype is float32 and the CPU runs
AVX-512 (``available()``); their kernels pick it in "auto" and take it by
name ("shift"). The 2-D convolutions come here as 3-D ones with one plane
(T = OT = kT = sT = 1, padT = 0).

Batches of ``FUSE_MIN_IMAGES`` or more images whose kernel is 3 wide (width
dilation 1, stride 1) and whose output width is even compute the forward
and gradInput by 1-D Winograd F(2, 3) along the width (``WINOGRAD``;
``_shift.h``, ``nnf_wino_in``): each image is transformed into 4 images of
half the width, convolved by the same kernels with the other taps, and
transformed back; 2/3 of the FMAs. An output still reads only its own
window, but where that window holds an inf the transforms' differences can
make the output NaN where the direct sum gives inf.

The work is split over the thread pool by output tiles (forward, gradInput)
and by gradWeight tiles (taps x output planes), each summed whole by one
thread over every image in order, so the bits never depend on the number of
threads. The images go in groups whose scratch (padded images, transposed
gradOutput) stays under ``GROUP_BYTES``; scratch comes from the pool's
spare workspaces (memory only, never values).
"""

cimport numpy as cnp
import numpy as np
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._parallel cimport parallel_for
from nnfunc._cpu._parallel import release, workspace

cnp.import_array()


cdef extern from "_shift.h" nogil:
    ctypedef struct nnf_shift:
        Py_ssize_t C, T, H, W, O, OT, OH, OW
        Py_ssize_t kT, kH, kW, dT, dH, dW, pT, pH, pW, sT, sH, sW
        Py_ssize_t C1, jT, jH, jW
        Py_ssize_t Tp, Hp, Wp, P, S, K, Mb, Lw, vpr, nvec, ntiles, L, ys, mk, ov, Kq, Oq, nq
    void nnf_shift_geom(nnf_shift* g)
    void nnf_shift_restride(nnf_shift* g, Py_ssize_t Tp, Py_ssize_t Hp, Py_ssize_t Wp)
    void nnf_shift_offsets(const nnf_shift* g, Py_ssize_t* off)
    enum:
        NNF_SHIFT_MAX_STRIDE
        NNF_SHIFT_NV
        NNF_SHIFT_MR
    float* nnf_shift_row_alloc(const nnf_shift* g)
    void nnf_shift_pad(const nnf_shift* g, const float* src, float* xp, float* row)
    void nnf_shift_s2d_weight(const nnf_shift* g, const float* w, float* w1, Py_ssize_t* idx)
    void nnf_shift_s2d_gradweight(const nnf_shift* g, const float* gwt, float* gw,
                                  Py_ssize_t* idx)
    void nnf_shift_d2s(const nnf_shift* g, const float* g1, const float* gib, float* gi,
                       float* row)
    void nnf_shift_pack(const nnf_shift* g, const float* w, float* wpk, int flip)
    void nnf_shift_phase_axis(Py_ssize_t k, Py_ssize_t s, Py_ssize_t p, Py_ssize_t f,
                              Py_ssize_t* J, Py_ssize_t* place)
    void nnf_shift_phase_weight(const nnf_shift* g, const float* w, Py_ssize_t kT,
                                Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t sT, Py_ssize_t sH,
                                Py_ssize_t sW, Py_ssize_t pT, Py_ssize_t pH, Py_ssize_t pW,
                                Py_ssize_t ft, Py_ssize_t fh, Py_ssize_t fw, float* wf)
    void nnf_shift_transpose(const nnf_shift* g, const float* go, float* got)
    void nnf_wino_in(const nnf_shift* g, const float* xp, const nnf_shift* q, float* u, int j)
    void nnf_wino_out(const nnf_shift* g, const float* mm, const float* bias, float* y)
    void nnf_wino_weight(Py_ssize_t O, Py_ssize_t C, Py_ssize_t kT, Py_ssize_t kH,
                         const float* w, float* wj)
    int nnf_shift_available()
    void nnf_shift_forward(const nnf_shift* g, const float* xp, const float* wpk,
                           const Py_ssize_t* off, const float* bias, float* y,
                           Py_ssize_t ystep, Py_ssize_t nvtot, Py_ssize_t t0, Py_ssize_t t1,
                           Py_ssize_t b0, Py_ssize_t b1)
    void nnf_shift_wgrad(const nnf_shift* g, const float* xps, const float* gots,
                         Py_ssize_t nimg, const Py_ssize_t* off, float* gwt,
                         Py_ssize_t q0, Py_ssize_t q1)


cdef extern from "_norm.h" nogil:
    double nnf_sum_f(const float* x, Py_ssize_t n)


#: whether this CPU runs the shift kernels (AVX-512 F/VL/BW/DQ, OS support included)
cdef bint _AVAILABLE = nnf_shift_available() != 0

#: cap on one group's scratch (padded images, transposed gradOutput, ...)
GROUP_BYTES = 64 * 1024 * 1024

cdef enum:
    # forward tiles (3 vectors of 16 positions, all output planes) per pool unit
    TILES_PER_UNIT = 4
    # fewer units than this: the forward splits the output planes too
    MIN_UNITS = 16


#: "auto" takes the shift method when both plane counts are at least this (its
#: forward micro-tiles are 8 output planes high: fewer planes waste the rest)
MIN_PLANES = 8

#: and when the space-to-depth taps of a stride (ceil(k/s)*s a side, the ones
#: past k weighted 0) are at most this many times the kernel's
MAX_TAP_RATIO = 1.5


def available():
    """Whether the shift kernels run on this CPU (x86-64 with AVX-512)."""
    return _AVAILABLE


def applies(cnp.ndarray a, tuple stride, tuple dilation):
    """Whether the shift kernels take this convolution: float32 data ``a``,
    this CPU, a dilation only where the stride is 1, a width stride of at
    most 16."""
    return (_AVAILABLE and cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT
            and (all(v == 1 for v in stride) or all(v == 1 for v in dilation))
            and stride[len(stride) - 1] <= NNF_SHIFT_MAX_STRIDE)   # (no wraparound here)


def wanted(str method, cnp.ndarray a, Py_ssize_t C, Py_ssize_t O, tuple kernel,
           tuple stride, tuple dilation):
    """Whether a convolution kernel module takes the shift method: by name
    ("shift": a ValueError where it does not apply), or in "auto" where it
    applies and is preferred. C planes in, O out (a full convolution's as the
    convolution it is the adjoint of sees them)."""
    cdef bint ok = applies(a, stride, dilation)
    if method == "shift":
        if not ok:
            raise ValueError("method 'shift' does not apply here (it needs float32, a CPU "
                             "with AVX-512, no dilation with a stride, a width stride "
                             "of at most 16)")
        return True
    return method == "auto" and ok and preferred(C, O, kernel, stride)


def preferred(Py_ssize_t C, Py_ssize_t O, tuple kernel, tuple stride):
    """Whether "auto" takes the shift method where it applies: enough planes
    (C in, O out) and few zero taps from the stride."""
    cdef double ratio = 1
    for k, s in zip(kernel, stride):
        ratio *= ((k + s - 1) // s) * s / k
    return C >= MIN_PLANES and O >= MIN_PLANES and ratio <= MAX_TAP_RATIO


cdef struct _Fwd:
    const nnf_shift* g
    const float* src        # the group's source images (C*T*H*W floats apart)
    float* xp               # their padded copies (S floats apart)
    const float* wpk
    const Py_ssize_t* off
    const float* bias       # or NULL
    float* y                # the group's outputs (O*L floats apart)
    Py_ssize_t ystep        # floats between two images' outputs (O*L)
    Py_ssize_t nvtot        # output vectors of the group (numbered over its images)
    Py_ssize_t ochunks      # output-plane ranges per tile group (_fwd_units)
    int failed              # a task could not allocate its scratch row


cdef float* _scratch(Py_ssize_t n, const nnf_shift* rg, float** row) noexcept nogil:
    # a task's n floats of scratch and a padding row for rg's placements
    # (*row); NULL, holding nothing, when out of memory
    cdef float* p = <float*>malloc(n * sizeof(float))
    row[0] = nnf_shift_row_alloc(rg)
    if p == NULL or row[0] == NULL:
        free(p)
        free(row[0])
        row[0] = NULL
        return NULL
    return p


cdef void _pad_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Fwd* f = <_Fwd*>ctx
    cdef const nnf_shift* g = f.g
    cdef Py_ssize_t i
    cdef float* row = nnf_shift_row_alloc(g)
    if row == NULL:
        f.failed = 1
        return
    for i in range(i0, i1):
        nnf_shift_pad(g, f.src + i * g.C * g.T * g.H * g.W, f.xp + i * g.S, row)
    free(row)


cdef void _fwd_task(void* ctx, Py_ssize_t u0, Py_ssize_t u1) noexcept nogil:
    # pool units u0 .. u1: unit u is TILES_PER_UNIT forward tiles (u // ochunks)
    # times one of ochunks ranges of output-plane blocks (u % ochunks)
    cdef _Fwd* f = <_Fwd*>ctx
    cdef Py_ssize_t ntile = (f.nvtot + NNF_SHIFT_NV - 1) // NNF_SHIFT_NV
    cdef Py_ssize_t nb = f.g.Mb // NNF_SHIFT_MR, u, t0, c
    for u in range(u0, u1):
        t0, c = (u // f.ochunks) * TILES_PER_UNIT, u % f.ochunks
        nnf_shift_forward(f.g, f.xp, f.wpk, f.off, f.bias, f.y, f.ystep, f.nvtot, t0,
                          min(t0 + TILES_PER_UNIT, ntile), c * nb // f.ochunks,
                          (c + 1) * nb // f.ochunks)


cdef inline Py_ssize_t _fwd_units(_Fwd* f, Py_ssize_t n) noexcept nogil:
    # the pool units of a group of n images: tiles, and where they are fewer
    # than MIN_UNITS groups, the output planes too (a single small image on
    # one thread otherwise); each output element is still summed by one unit
    f.nvtot = n * f.g.OT * f.g.nvec
    cdef Py_ssize_t groups = ((f.nvtot + NNF_SHIFT_NV - 1) // NNF_SHIFT_NV + TILES_PER_UNIT - 1) \
        // TILES_PER_UNIT
    f.ochunks = min(f.g.Mb // NNF_SHIFT_MR, max(1, (MIN_UNITS + groups - 1) // groups))
    return groups * f.ochunks


cdef void _fwd_init(_Fwd* f, const nnf_shift* g, float* xp, const float* wpk,
                    const Py_ssize_t* off, const float* bias) noexcept nogil:
    f.g, f.xp, f.wpk, f.off, f.bias = g, xp, wpk, off, bias
    f.failed = 0
    f.ystep = g.O * g.L


cdef void _geom(nnf_shift* g, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
                Py_ssize_t O, Py_ssize_t OT, Py_ssize_t OH, Py_ssize_t OW,
                Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t pT, Py_ssize_t pH,
                Py_ssize_t pW, Py_ssize_t dT, Py_ssize_t dH, Py_ssize_t dW, Py_ssize_t sT,
                Py_ssize_t sH, Py_ssize_t sW) noexcept nogil:
    g.C, g.T, g.H, g.W, g.O, g.OT, g.OH, g.OW = C, T, H, W, O, OT, OH, OW
    g.kT, g.kH, g.kW, g.pT, g.pH, g.pW, g.dT, g.dH, g.dW = kT, kH, kW, pT, pH, pW, dT, dH, dW
    g.sT, g.sH, g.sW = sT, sH, sW
    nnf_shift_geom(g)


cdef inline float* _f(object a):
    return NULL if a is None else <float*>cnp.PyArray_DATA(<cnp.ndarray>a)


cdef bint _strided(const nnf_shift* g) noexcept nogil:
    return g.sT > 1 or g.sH > 1 or g.sW > 1


cdef cnp.ndarray _s2d_weight(const nnf_shift* g, cnp.ndarray w):
    # the weight of the stride-1 convolution the kernels run (w itself at stride 1)
    if not _strided(g):
        return w
    cdef cnp.ndarray w1 = np.empty(g.O * g.K, dtype=np.float32)
    cdef cnp.ndarray idx = np.empty(g.kT * g.kH * g.kW, dtype=np.intp)
    cdef const float* pw = _f(w)
    cdef float* pw1 = _f(w1)
    with nogil:
        nnf_shift_s2d_weight(g, pw, pw1, <Py_ssize_t*>cnp.PyArray_DATA(idx))
    return w1


#: a batch of at least this many images runs image by image (each image
#: padded into a per-thread scratch and computed while in cache, the images
#: over the pool); fewer: all padded first, then the tiles over the pool.
#: The same bits either way (each output summed by one call in one order).
FUSE_MIN_IMAGES = 4


cdef struct _Img:
    # a forward run image by image (_image_task)
    const nnf_shift* g      # the stride-1 problem the kernels run
    const nnf_shift* d      # NULL, or the geometry that puts the result in place (d2s)
    const float* src        # the images (g.C*g.T*g.H*g.W floats apart)
    const float* wpk
    const Py_ssize_t* off
    const float* bias       # the kernel's bias, or NULL
    const float* gib        # with d: the placement's per-plane start, or NULL
    float* dst              # the results (dstep floats apart)
    Py_ssize_t dstep
    int failed


cdef void _image_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Img* m = <_Img*>ctx
    cdef const nnf_shift* g = m.g
    cdef Py_ssize_t i, nv = g.OT * g.nvec
    cdef Py_ssize_t ntile = (nv + NNF_SHIFT_NV - 1) // NNF_SHIFT_NV
    cdef float* xp = <float*>malloc((g.S + (g.O * g.L if m.d != NULL else 0)) * sizeof(float))
    cdef float* tmp = xp + g.S
    cdef float* row = nnf_shift_row_alloc(g)
    cdef float* row2 = nnf_shift_row_alloc(m.d) if m.d != NULL else NULL
    if xp == NULL or row == NULL or (m.d != NULL and row2 == NULL):
        free(xp)
        free(row)
        free(row2)
        m.failed = 1
        return
    for i in range(i0, i1):
        nnf_shift_pad(g, m.src + i * g.C * g.T * g.H * g.W, xp, row)
        if m.d == NULL:
            nnf_shift_forward(g, xp, m.wpk, m.off, m.bias, m.dst + i * m.dstep, 0, nv, 0,
                              ntile, 0, g.Mb // NNF_SHIFT_MR)
        else:
            nnf_shift_forward(g, xp, m.wpk, m.off, m.bias, tmp, 0, nv, 0, ntile, 0,
                              g.Mb // NNF_SHIFT_MR)
            nnf_shift_d2s(m.d, tmp, m.gib, m.dst + i * m.dstep, row2)
    free(xp)
    free(row)
    free(row2)


#: stride-1 convolutions with kernel width 3 (width dilation 1) and an even
#: output width run the image-by-image path as 1-D Winograd F(2, 3) along the
#: width (_shift.h, nnf_wino_in): 4 shift convolutions of half the width with
#: the other taps, 2/3 of the FMAs. False: the direct taps everywhere.
WINOGRAD = True


cdef bint _wino_ok(const nnf_shift* g):
    return (WINOGRAD and g.sT == 1 and g.sH == 1 and g.sW == 1 and g.kW == 3 and g.dW == 1
            and g.OW % 2 == 0 and g.OW >= 2)


cdef struct _Wino:
    # the 4 convolutions of a Winograd forward (_wino_task): geometry q,
    # their packed taps (q.Mb*q.K floats apart) and offsets
    const nnf_shift* g      # the convolution (its padded image)
    const nnf_shift* q
    const float* src        # the images (g.C*g.T*g.H*g.W floats apart)
    const float* wpk
    const Py_ssize_t* off
    const float* bias
    float* dst              # the outputs (dstep floats apart)
    Py_ssize_t dstep
    int failed


cdef void _wino_geom(nnf_shift* q, const nnf_shift* g):
    # the half-width convolution of the transformed images: input (C, Tp, Hp,
    # OW/2) unpadded, kernel (kT, kH, 1)
    _geom(q, g.C, g.Tp, g.Hp, g.OW // 2, g.O, g.OT, g.OH, g.OW // 2, g.kT, g.kH, 1, 0, 0, 0,
          g.dT, g.dH, 1, 1, 1, 1)


cdef tuple _wino_prepare(const nnf_shift* g, const nnf_shift* q, cnp.ndarray w5):
    # w5 (O, C, kT, kH, 3) float32 C-contiguous: the 4 packed tap sets, offsets
    cdef Py_ssize_t n = g.O * g.C * g.kT * g.kH, j
    cdef cnp.ndarray wj = np.empty(4 * n, dtype=np.float32)
    cdef cnp.ndarray wpk = np.empty(4 * q.Mb * q.K, dtype=np.float32)
    cdef cnp.ndarray off = np.empty(q.Kq, dtype=np.intp)
    cdef float* pwj = _f(wj)
    cdef float* pwk = _f(wpk)
    cdef const float* pw = _f(w5)
    with nogil:
        nnf_wino_weight(g.O, g.C, g.kT, g.kH, pw, pwj)
        for j in range(4):
            nnf_shift_pack(q, pwj + j * n, pwk + j * q.Mb * q.K, 0)
        nnf_shift_offsets(q, <Py_ssize_t*>cnp.PyArray_DATA(off))
    return wpk, off


cdef void _wino_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    # images i0 .. i1: padded, transformed, 4 half-width convolutions, the
    # output transform (+ bias), each image while in cache
    cdef _Wino* m = <_Wino*>ctx
    cdef const nnf_shift* g = m.g
    cdef const nnf_shift* q = m.q
    cdef Py_ssize_t i, j, nv = q.OT * q.nvec, Lq = q.L
    cdef Py_ssize_t ntile = (nv + NNF_SHIFT_NV - 1) // NNF_SHIFT_NV
    cdef float* row
    cdef float* xp = _scratch(g.S + q.S + 4 * g.O * Lq, g, &row)
    if xp == NULL:
        m.failed = 1
        return
    cdef float* u = xp + g.S
    cdef float* mm = u + q.S
    for i in range(i0, i1):
        nnf_shift_pad(g, m.src + i * g.C * g.T * g.H * g.W, xp, row)
        for j in range(4):
            nnf_wino_in(g, xp, q, u, <int>j)
            nnf_shift_forward(q, u, m.wpk + j * q.Mb * q.K, m.off, NULL, mm + j * g.O * Lq, 0,
                              nv, 0, ntile, 0, q.Mb // NNF_SHIFT_MR)
        nnf_wino_out(g, mm, m.bias, m.dst + i * m.dstep)
    free(xp)
    free(row)


cdef bint _wino_run(const nnf_shift* g, const float* src, cnp.ndarray w5, const float* bias,
                    float* dst, Py_ssize_t N) except -1:
    # the Winograd forward of N images (image by image over the pool); w5 the
    # (O, C, kT, kH, 3) taps of g
    cdef nnf_shift q
    _wino_geom(&q, g)
    wpk, off = _wino_prepare(g, &q, w5)
    cdef _Wino m
    m.g, m.q, m.src, m.wpk, m.off, m.bias = g, &q, src, _f(wpk), \
        <const Py_ssize_t*>cnp.PyArray_DATA(off), bias
    m.dst, m.dstep, m.failed = dst, g.O * g.L, 0
    with nogil:
        parallel_for(_wino_task, &m, N, 1, 1)
    if m.failed:
        raise MemoryError("shift convolution: no memory for a Winograd scratch")
    return True


def forward(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
            Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
            Py_ssize_t O, Py_ssize_t OT, Py_ssize_t OH, Py_ssize_t OW,
            Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t pT, Py_ssize_t pH,
            Py_ssize_t pW, Py_ssize_t dT, Py_ssize_t dH, Py_ssize_t dW,
            Py_ssize_t sT=1, Py_ssize_t sH=1, Py_ssize_t sW=1):
    """y (N, O, OT, OH, OW) = conv(x (N, C, T, H, W), w (O, C, kT, kH, kW)) + b
    (b (O,) or None), padding (pT, pH, pW), dilation (dT, dH, dW), stride
    (sT, sH, sW) (a dilation only with stride 1). float32, C-contiguous,
    sizes checked by the caller (OT = (T + 2 pT - (kT - 1) dT - 1) // sT + 1
    >= 1, and so on); only where :func:`available`."""
    cdef nnf_shift g
    _geom(&g, C, T, H, W, O, OT, OH, OW, kT, kH, kW, pT, pH, pW, dT, dH, dW, sT, sH, sW)
    if N == 0:
        return
    cdef bint fuse = N >= FUSE_MIN_IMAGES
    if fuse and _wino_ok(&g):
        _wino_run(&g, _f(x), np.ascontiguousarray(w, dtype=np.float32).reshape(O, C, kT, kH, 3),
                  _f(b), _f(y), N)
        return
    cdef Py_ssize_t G = max(1, min(N, GROUP_BYTES // (g.S * 4)))
    cdef cnp.ndarray w1 = _s2d_weight(&g, w)
    cdef cnp.ndarray wpk = np.empty(g.Mb * g.K, dtype=np.float32)
    cdef cnp.ndarray off = np.empty(g.Kq, dtype=np.intp)
    cdef cnp.ndarray xp = None if fuse else workspace(G * g.S, np.float32)
    cdef _Img m
    cdef _Fwd f
    cdef Py_ssize_t s0, n
    cdef const float* px = _f(x)
    cdef const float* pw1 = _f(w1)
    cdef float* py = _f(y)
    _fwd_init(&f, &g, _f(xp), _f(wpk), <const Py_ssize_t*>cnp.PyArray_DATA(off), _f(b))
    with nogil:
        nnf_shift_pack(&g, pw1, <float*>f.wpk, 0)
        nnf_shift_offsets(&g, <Py_ssize_t*>f.off)
        if fuse:
            m.g, m.d, m.src, m.wpk, m.off, m.bias, m.gib = &g, NULL, px, f.wpk, f.off, f.bias, \
                NULL
            m.dst, m.dstep, m.failed = py, O * g.L, 0
            parallel_for(_image_task, &m, N, 1, 1)
            f.failed = m.failed
        s0 = N if fuse else 0
        while s0 < N:
            n = min(G, N - s0)
            f.src = px + s0 * C * T * H * W
            f.y = py + s0 * O * g.L
            parallel_for(_pad_task, &f, n, 1, 1)
            if f.failed:
                break
            parallel_for(_fwd_task, &f, _fwd_units(&f, n), 1, 1)
            s0 += G
    if xp is not None:
        release(xp)
    if f.failed:
        raise MemoryError("shift convolution: no memory for a scratch row")


cdef struct _Bwd:
    const nnf_shift* g      # the convolution
    const nnf_shift* gi     # its gradInput problem (or NULL: no gradInput)
    const float* x          # the group's images
    const float* go         # the group's gradOutput
    float* xp               # padded images (gradWeight; S floats apart)
    float* got              # transposed gradOutput (gradWeight; L*Oq floats apart)
    float* gop              # padded gradOutput (gradInput; gi.S floats apart)
    double* sums            # per image and plane sums of gradOutput (gradBias) or NULL
    const Py_ssize_t* off   # the convolution's tap offsets (gradWeight)
    float* gwt              # (Kq, Oq) gradWeight^T accumulated, or NULL: no gradWeight
    const float* g1         # strided: the group's space-to-depth input gradients
    const float* gib        # strided: gradInput's starting planes, or NULL
    float* dst              # strided: the group's gradInput
    int failed              # a task could not allocate its scratch row


cdef void _prep_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Bwd* b = <_Bwd*>ctx
    cdef const nnf_shift* g = b.g
    cdef Py_ssize_t i, o
    cdef const float* gon
    cdef float* row = nnf_shift_row_alloc(g)     # the gradInput problem has stride 1
    if row == NULL:
        b.failed = 1
        return
    for i in range(i0, i1):
        gon = b.go + i * g.O * g.L
        if b.gi != NULL:
            nnf_shift_pad(b.gi, gon, b.gop + i * b.gi.S, row)
        if b.gwt != NULL:
            nnf_shift_pad(g, b.x + i * g.C * g.T * g.H * g.W, b.xp + i * g.S, row)
            nnf_shift_transpose(g, gon, b.got + i * g.L * g.Oq)
        if b.sums != NULL:
            for o in range(g.O):
                b.sums[i * g.O + o] = nnf_sum_f(gon + o * g.L, g.L)
    free(row)


cdef void _d2s_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Bwd* b = <_Bwd*>ctx
    cdef const nnf_shift* g = b.g
    cdef Py_ssize_t i
    cdef float* row = nnf_shift_row_alloc(g)
    if row == NULL:
        b.failed = 1
        return
    for i in range(i0, i1):
        nnf_shift_d2s(g, b.g1 + i * g.C1 * g.P * g.Tp, b.gib,
                      b.dst + i * g.C * g.T * g.H * g.W, row)
    free(row)


cdef struct _Wg:
    const nnf_shift* g
    const float* xp
    const float* got
    Py_ssize_t n
    const Py_ssize_t* off
    float* gwt


cdef void _wgrad_task(void* ctx, Py_ssize_t q0, Py_ssize_t q1) noexcept nogil:
    cdef _Wg* w = <_Wg*>ctx
    nnf_shift_wgrad(w.g, w.xp, w.got, w.n, w.off, w.gwt, q0, q1)


cdef struct _Wimg:
    # gradWeight image by image (_wimg_task): a partial per image
    const nnf_shift* g
    const float* x          # the group's images
    const float* go         # their gradOutput
    const Py_ssize_t* off
    float* parts            # a (Kq, Oq) partial per image of the group
    double* sums            # per image and plane sums of gradOutput, or NULL
    const float* wpky       # with y: the forward's packed weight
    float* y                # NULL, or the group's forward of x (a full convolution's gradInput)
    int failed


cdef void _wimg_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    cdef _Wimg* m = <_Wimg*>ctx
    cdef const nnf_shift* g = m.g
    cdef Py_ssize_t i, o, nv = g.OT * g.nvec
    cdef Py_ssize_t pn = g.Kq * g.Oq
    cdef const float* gon
    cdef float* row
    cdef float* xp = _scratch(g.S + g.L * g.Oq, g, &row)
    if xp == NULL:
        m.failed = 1
        return
    cdef float* got = xp + g.S
    for i in range(i0, i1):
        gon = m.go + i * g.O * g.L
        nnf_shift_pad(g, m.x + i * g.C * g.T * g.H * g.W, xp, row)
        nnf_shift_transpose(g, gon, got)
        if m.sums != NULL:
            for o in range(g.O):
                m.sums[i * g.O + o] = nnf_sum_f(gon + o * g.L, g.L)
        memset(m.parts + i * pn, 0, pn * sizeof(float))
        nnf_shift_wgrad(g, xp, got, 1, m.off, m.parts + i * pn, 0, g.nq)
        if m.y != NULL:
            nnf_shift_forward(g, xp, m.wpky, m.off, NULL, m.y + i * g.O * g.L, 0, nv, 0,
                              (nv + NNF_SHIFT_NV - 1) // NNF_SHIFT_NV, 0, g.Mb // NNF_SHIFT_MR)
    free(xp)
    free(row)


cdef struct _Sum:
    float* dst
    const float* parts
    Py_ssize_t n, size


cdef void _sum_task(void* ctx, Py_ssize_t e0, Py_ssize_t e1) noexcept nogil:
    # dst[e] += parts[0][e] + parts[1][e] + ... in image order, e0 <= e < e1
    cdef _Sum* u = <_Sum*>ctx
    cdef Py_ssize_t i, e
    cdef const float* p
    for i in range(u.n):
        p = u.parts + i * u.size
        for e in range(e0, e1):
            u.dst[e] = u.dst[e] + p[e]


cdef int _wgrad_by_images(_Wimg* mw, float* gwt, Py_ssize_t N, Py_ssize_t Gw) noexcept nogil:
    """gradWeight^T (and the bias sums, the forward y) image by image, Gw
    images at a time from mw's x, go, sums and y (all N images): a partial
    per image, added into gwt in image order. 1: a task had no memory."""
    cdef const nnf_shift* g = mw.g
    cdef const float* x = mw.x
    cdef const float* go = mw.go
    cdef double* sums = mw.sums
    cdef float* y = mw.y
    cdef Py_ssize_t s0 = 0, n
    cdef _Sum su
    su.dst, su.parts, su.size = gwt, mw.parts, g.Kq * g.Oq
    mw.failed = 0
    while s0 < N:
        n = min(Gw, N - s0)
        mw.x, mw.go = x + s0 * g.C * g.T * g.H * g.W, go + s0 * g.O * g.L
        mw.sums = sums + s0 * g.O if sums != NULL else NULL
        mw.y = y + s0 * g.O * g.L if y != NULL else NULL
        parallel_for(_wimg_task, mw, n, 1, 1)
        if mw.failed:
            return 1
        su.n = n
        parallel_for(_sum_task, &su, su.size, 4096, 16)
        s0 += Gw
    return 0


cdef int _by_groups(_Bwd* b, _Fwd* f, _Fwd* fy, _Wg* wg, float* gi, float* y, Py_ssize_t N,
                    Py_ssize_t G) noexcept nogil:
    """The backward G images at a time from b's x, go and sums (all N images):
    padded and transposed copies, then gradInput into gi when b.gi is set
    (by the forward f; strided: into the space-to-depth g1, then put in
    place), the forward of x into y by fy (fy NULL: none), and gradWeight^T
    summed over the groups into wg.gwt (wg NULL: none). 1: a task had no
    memory."""
    cdef const nnf_shift* g = b.g
    cdef bint strided = _strided(g)
    cdef const float* x = b.x
    cdef const float* go = b.go
    cdef double* sums = b.sums
    cdef Py_ssize_t s0 = 0, n, img = g.C * g.T * g.H * g.W
    while s0 < N:
        n = min(G, N - s0)
        b.x = x + s0 * img if x != NULL else NULL
        b.go = go + s0 * g.O * g.L
        b.sums = sums + s0 * g.O if sums != NULL else NULL
        parallel_for(_prep_task, b, n, 1, 1)
        if b.failed:
            return 1
        if b.gi != NULL:
            f.y = <float*>b.g1 if strided else gi + s0 * img
            parallel_for(_fwd_task, f, _fwd_units(f, n), 1, 1)
            if strided:
                b.dst = gi + s0 * img
                parallel_for(_d2s_task, b, n, 1, 1)
                if b.failed:
                    return 1
        if wg != NULL:
            if fy != NULL:
                fy.y = y + s0 * g.O * g.L
                parallel_for(_fwd_task, fy, _fwd_units(fy, n), 1, 1)
            wg.n = n
            parallel_for(_wgrad_task, wg, g.nq, 1, 1)
        s0 += G
    return 0


cdef void _sum_images(const double* sums, float* gb, Py_ssize_t N, Py_ssize_t O) noexcept nogil:
    """gb[o] = the sum over images of sums[i, o], in image order, in double."""
    cdef Py_ssize_t o, i
    cdef double acc
    for o in range(O):
        acc = 0
        for i in range(N):
            acc = acc + sums[i * O + o]
        gb[o] = <float>acc


def backward(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, object gi, object gw, object gb,
             Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
             Py_ssize_t O, Py_ssize_t OT, Py_ssize_t OH, Py_ssize_t OW,
             Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t pT, Py_ssize_t pH,
             Py_ssize_t pW, Py_ssize_t dT, Py_ssize_t dH, Py_ssize_t dW,
             Py_ssize_t sT=1, Py_ssize_t sH=1, Py_ssize_t sW=1, object gib=None,
             object y=None):
    """gradInput gi (N, C, T, H, W), gradWeight gw (O, C*kT*kH*kW) and gradBias
    gb (O,) of :func:`forward`'s convolution, written over; gi None: no
    gradInput, gw None: neither gradWeight nor gradBias (x may then be None),
    gb None: no gradBias; gib (C,): gradInput starts from these per-plane
    values instead of 0 (the bias of a full convolution, whose forward this
    is). y (with gw): also the forward of x (no bias) into y, from the same
    padded copies (a full convolution's gradInput, beside its gradWeight).
    float32, C-contiguous, sizes checked by the caller."""
    cdef nnf_shift g, h
    _geom(&g, C, T, H, W, O, OT, OH, OW, kT, kH, kW, pT, pH, pW, dT, dH, dW, sT, sH, sW)
    cdef bint strided = _strided(&g)
    # gradInput: the stride-1 convolution's, i.e. its forward with the kernel
    # flipped, from gradOutput padded by (j - 1)*d - pad (negative: cropped) to
    # the size of its input: at stride 1 the input itself, else the
    # space-to-depth image (then put back in place by nnf_shift_d2s)
    if strided:
        _geom(&h, O, OT, OH, OW, g.C1, g.Tp, g.Hp, g.Wp, g.jT, g.jH, g.jW, g.jT - 1, g.jH - 1,
              g.jW - 1, 1, 1, 1, 1, 1, 1)
    else:
        _geom(&h, O, OT, OH, OW, C, T, H, W, kT, kH, kW, (kT - 1) * dT - pT,
              (kH - 1) * dH - pH, (kW - 1) * dW - pW, dT, dH, dW, 1, 1, 1)
    cdef bint want_gi = gi is not None, want_gw = gw is not None
    # gradInput by 1-D Winograd (see WINOGRAD): its own scratch and pass, so
    # none of the direct paths' below
    cdef bint wino_gi = want_gi and N >= FUSE_MIN_IMAGES and not strided and _wino_ok(&h)
    if wino_gi:
        want_gi = False
    cdef bint want_gb = want_gw and gb is not None, want_y = want_gw and y is not None
    if N == 0:
        if want_gw:
            gw[...] = 0
            if want_gb:
                gb[...] = 0
        return
    # gradInput image by image (see FUSE_MIN_IMAGES), or in the groups below;
    # gradWeight likewise: image by image into partials added in image order
    # (other bits than the groups' running sums: the path follows N only)
    cdef bint fuse = want_gi and N >= FUSE_MIN_IMAGES
    cdef bint wfuse = want_gw and N >= FUSE_MIN_IMAGES
    cdef bint grp_gi = want_gi and not fuse
    cdef Py_ssize_t g1n = h.O * h.L if strided and grp_gi else 0   # floats per image
    cdef Py_ssize_t per = ((h.S + g1n if grp_gi else 0)
                           + (g.S + g.L * g.Oq if want_gw and not wfuse else 0)) * 4
    cdef Py_ssize_t Gw = max(1, min(N, GROUP_BYTES // (g.Kq * g.Oq * 4))) if wfuse else 0
    if wfuse:
        per = 0
    cdef Py_ssize_t G = max(1, min(N, GROUP_BYTES // max(per, 1)))
    cdef cnp.ndarray w1 = _s2d_weight(&g, w)
    cdef cnp.ndarray wpk = np.empty(h.Mb * h.K if want_gi else 0, dtype=np.float32)
    cdef cnp.ndarray wpky = np.empty(g.Mb * g.K if want_y else 0, dtype=np.float32)
    cdef cnp.ndarray offi = np.empty(h.Kq if want_gi else 0, dtype=np.intp)
    cdef cnp.ndarray off = np.empty(g.Kq if want_gw else 0, dtype=np.intp)
    cdef cnp.ndarray gwt = np.empty(g.Kq * g.Oq if want_gw else 0, dtype=np.float32)
    cdef cnp.ndarray tapidx = np.empty(kT * kH * kW if want_gw else 0, dtype=np.intp)
    cdef cnp.ndarray sums = np.empty(N * O if want_gb else 0, dtype=np.float64)
    cdef cnp.ndarray ws = workspace(Gw * g.Kq * g.Oq if wfuse else G * per // 4, np.float32)
    cdef _Bwd b
    cdef _Wg wg
    cdef _Fwd f, fy
    cdef _Img m
    cdef _Wimg mw
    cdef float* pws = _f(ws)
    cdef const float* px = _f(x)
    cdef const float* pw1 = _f(w1)
    cdef const float* pgo = _f(go)
    cdef float* pgi = _f(gi)
    cdef float* pgw = _f(gw)
    cdef float* pgb = _f(gb)
    cdef float* pgwt = _f(gwt)
    cdef double* psums = <double*>cnp.PyArray_DATA(sums)
    b.g, b.gi = &g, (&h if grp_gi else NULL)
    b.gop = pws
    b.xp = pws + (G * h.S if grp_gi else 0)
    b.got = b.xp + (G * g.S if want_gw else 0)
    b.g1 = b.got + (G * g.L * g.Oq if want_gw else 0)
    b.gib = _f(gib)
    b.failed = 0
    b.off, b.gwt = <const Py_ssize_t*>cnp.PyArray_DATA(off), (pgwt if want_gw else NULL)
    # the gradInput forward writes gi itself (with gib as its bias) at stride 1,
    # the space-to-depth gradients g1 when strided
    _fwd_init(&f, &h, b.gop, _f(wpk), <const Py_ssize_t*>cnp.PyArray_DATA(offi),
              NULL if strided else b.gib)
    wg.g, wg.xp, wg.got, wg.off, wg.gwt = &g, b.xp, b.got, b.off, pgwt
    _fwd_init(&fy, &g, b.xp, _f(wpky), b.off, NULL)
    cdef float* py = _f(y) if want_y else NULL
    if wino_gi:
        # the h problem's taps are w's, planes swapped and every tap index reversed
        _wino_run(&h, pgo, np.ascontiguousarray(
            w.reshape(O, C, kT, kH, kW)[:, :, ::-1, ::-1, ::-1].transpose(1, 0, 2, 3, 4),
            dtype=np.float32), b.gib, pgi, N)
    with nogil:
        if want_gi:
            nnf_shift_pack(&h, pw1, <float*>f.wpk, 1)
            nnf_shift_offsets(&h, <Py_ssize_t*>f.off)
        if fuse:
            m.g, m.d, m.src, m.wpk, m.off = &h, (&g if strided else NULL), pgo, f.wpk, f.off
            m.bias, m.gib = (NULL if strided else b.gib), (b.gib if strided else NULL)
            m.dst, m.dstep, m.failed = pgi, C * T * H * W, 0
            parallel_for(_image_task, &m, N, 1, 1)
            b.failed = m.failed
        if want_gw:
            nnf_shift_offsets(&g, <Py_ssize_t*>b.off)
            memset(pgwt, 0, g.Kq * g.Oq * sizeof(float))
        if want_y:
            nnf_shift_pack(&g, pw1, <float*>fy.wpk, 0)
        if wfuse and not b.failed:
            mw.g, mw.off, mw.parts, mw.wpky = &g, b.off, pws, fy.wpk
            mw.x, mw.go = px, pgo
            mw.sums = psums if want_gb else NULL
            mw.y = py
            b.failed = _wgrad_by_images(&mw, pgwt, N, Gw)
        if (grp_gi or (want_gw and not wfuse)) and not b.failed:
            b.x = px if want_gw else NULL
            b.go = pgo
            b.sums = psums if want_gb else NULL
            b.failed = _by_groups(&b, &f, &fy if want_y else NULL,
                                  &wg if want_gw else NULL, pgi, py, N, G)
        if want_gw and not b.failed:
            nnf_shift_s2d_gradweight(&g, pgwt, pgw, <Py_ssize_t*>cnp.PyArray_DATA(tapidx))
        if want_gb:
            _sum_images(psums, pgb, N, O)
    release(ws)
    if b.failed:
        raise MemoryError("shift convolution: no memory for a scratch row")


def full_forward(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                 Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W,
                 Py_ssize_t O, Py_ssize_t OT, Py_ssize_t OH, Py_ssize_t OW,
                 Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t pT, Py_ssize_t pH,
                 Py_ssize_t pW, Py_ssize_t sT=1, Py_ssize_t sH=1, Py_ssize_t sW=1):
    """The full (transposed) convolution y (N, O, OT, OH, OW) of x (N, C, T, H,
    W) with w (C, O, kT, kH, kW) (Torch7's layout) + b (O,) or None: the
    gradInput of the convolution from (O, OT, OH, OW) to (C, T, H, W) whose
    weight is w read as (nOut = C, nIn = O, ...), started from the bias.
    (OT - 1 + 2 pT - (kT - 1)) // sT + 1 = T, and so on (an adjustment
    adj < s leaves the last planes to the bias alone.)"""
    if sT == 1 and sH == 1 and sW == 1:
        backward(None, w, x, y, None, None, N, O, OT, OH, OW, C, T, H, W, kT, kH, kW, pT, pH,
                 pW, 1, 1, 1, 1, 1, 1, gib=b)
    elif N > 0:
        _full_phases(x, w, b, y, N, C, T, H, W, O, OT, OH, OW, kT, kH, kW, pT, pH, pW, sT, sH,
                     sW)


cdef struct _Ph:
    # a strided full convolution's phases, for _phase_task
    const nnf_shift* gs     # nph phase geometries (gs[ph].ys: planes (o, phase))
    const nnf_shift* gp     # the one padded copy of an image all phases read
    const Py_ssize_t* base  # where phase ph reads it from
    const nnf_shift* d      # the output's space-to-depth image
    const float* wpk        # nph packed weights, most_wk floats apart
    const Py_ssize_t* off   # nph tap offsets, most_q apart
    const char* skip        # phases no tap reaches
    const float* x
    const float* bias
    float* y
    Py_ssize_t nph, most_wk, most_q, most_S, tmpn
    int failed


cdef void _phase_task(void* ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    # images i0 .. i1 whole, each in cache: every phase padded and computed into
    # the image's space-to-depth output, then put in place
    cdef _Ph* q = <_Ph*>ctx
    cdef const nnf_shift* g
    cdef Py_ssize_t i, ph, nv
    cdef const nnf_shift* d = q.d
    cdef float* row
    cdef float* xp = _scratch(q.gp.S + q.tmpn, d, &row)
    if xp == NULL:
        q.failed = 1
        return
    cdef float* tmp = xp + q.gp.S
    for i in range(i0, i1):
        nnf_shift_pad(q.gp, q.x + i * q.gp.C * q.gp.T * q.gp.H * q.gp.W, xp, row)
        for ph in range(q.nph):
            g = &q.gs[ph]
            if q.skip[ph]:
                continue
            nv = g.OT * g.nvec
            nnf_shift_forward(g, xp + q.base[ph], q.wpk + ph * q.most_wk,
                              q.off + ph * q.most_q, NULL,
                              tmp + ph * g.L, 0, nv, 0, (nv + NNF_SHIFT_NV - 1) // NNF_SHIFT_NV,
                              0, g.Mb // NNF_SHIFT_MR)
        nnf_shift_d2s(d, tmp, q.bias, q.y + i * d.C * d.T * d.H * d.W, row)
    free(xp)
    free(row)


#: a batch of at least this many images runs the full forward image by image
#: (each image's phases and their placement in cache); fewer, phase by phase
#: with the tiles over the pool (the same bits either way)
FUSE_MIN_IMAGES = 4


cdef _full_phases(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y, Py_ssize_t N,
                  Py_ssize_t C, Py_ssize_t T, Py_ssize_t H, Py_ssize_t W, Py_ssize_t O,
                  Py_ssize_t OT, Py_ssize_t OH, Py_ssize_t OW, Py_ssize_t kT, Py_ssize_t kH,
                  Py_ssize_t kW, Py_ssize_t pT, Py_ssize_t pH, Py_ssize_t pW, Py_ssize_t sT,
                  Py_ssize_t sH, Py_ssize_t sW):
    # The strided full convolution by output phases (nnf_shift_phase_axis): each
    # phase a stride-1 convolution of x onto a grid of M = ceil(out/s) a side,
    # written as plane (o, phase) of a space-to-depth image, which
    # nnf_shift_d2s puts in place (with the bias). No position is computed
    # twice, none that is not an output (the gradInput route through the
    # space-to-depth convolution computed (out/s + J - 1)^d a side and dropped
    # the rim: half of the work on 8x8 inputs).
    cdef Py_ssize_t nph = sT * sH * sW
    cdef Py_ssize_t MT = (OT + sT - 1) // sT, MH = (OH + sH - 1) // sH, MW = (OW + sW - 1) // sW
    cdef nnf_shift d, gp
    cdef nnf_shift[64] gs
    cdef char[64] skip
    cdef Py_ssize_t[64] place_t, place_h, place_w, base
    cdef Py_ssize_t QT = 0, QH = 0, QW = 0, TC = 0, HC = 0, WC = 0
    cdef Py_ssize_t ph, ft, fh, fw, JT, JH, JW, qT, qH, qW, most_S = 0, most_wk = 0, most_q = 0
    if nph > 64:
        raise ValueError("shift convolution: more than 64 output phases")
    # d: the space-to-depth image of the output, C1 = O*nph planes of M
    _geom(&d, O, OT, OH, OW, 1, MT, MH, MW, sT, sH, sW, 0, 0, 0, 1, 1, 1, sT, sH, sW)
    for ph in range(nph):
        ft, fh, fw = ph // (sH * sW), ph // sW % sH, ph % sW
        nnf_shift_phase_axis(kT, sT, pT, ft, &JT, &qT)
        nnf_shift_phase_axis(kH, sH, pH, fh, &JH, &qH)
        nnf_shift_phase_axis(kW, sW, pW, fw, &JW, &qW)
        skip[ph] = JT == 0 or JH == 0 or JW == 0
        if skip[ph]:
            JT = JH = JW = 1
        _geom(&gs[ph], C, T, H, W, O, MT, MH, MW, JT, JH, JW, qT, qH, qW, 1, 1, 1, 1, 1, 1)
        gs[ph].ys = nph * gs[ph].L          # planes (o, phase) of the image d
        place_t[ph], place_h[ph], place_w[ph] = qT, qH, qW
        QT, QH, QW = max(QT, qT), max(QH, qH), max(QW, qW)
        most_wk = max(most_wk, gs[ph].Mb * gs[ph].K)
        most_q = max(most_q, gs[ph].Kq)
    # one padded copy for all phases: the input at (QT, QH, QW), each phase
    # reading it from (Q - its placement), the copy as large as the farthest
    # reach of any phase
    for ph in range(nph):
        TC = max(TC, gs[ph].Tp + QT - place_t[ph])
        HC = max(HC, gs[ph].Hp + QH - place_h[ph])
        WC = max(WC, gs[ph].Wp + QW - place_w[ph])
    for ph in range(nph):
        nnf_shift_restride(&gs[ph], TC, HC, WC)
        base[ph] = (QT - place_t[ph]) * HC * WC + (QH - place_h[ph]) * WC + QW - place_w[ph]
        most_S = max(most_S, gs[ph].S)
        most_q = max(most_q, gs[ph].Kq)
    _geom(&gp, C, T, H, W, O, TC, HC, WC, 1, 1, 1, QT, QH, QW, 1, 1, 1, 1, 1, 1)
    nnf_shift_restride(&gp, TC, HC, WC)
    # every phase's packed weight and tap offsets, once
    cdef cnp.ndarray wf = np.empty(most_wk, dtype=np.float32)
    cdef cnp.ndarray wpk = np.empty(nph * most_wk, dtype=np.float32)
    cdef cnp.ndarray off = np.empty(nph * most_q, dtype=np.intp)
    cdef const float* pw = _f(w)
    cdef float* pwf = _f(wf)
    cdef float* pwpk = _f(wpk)
    cdef Py_ssize_t* poff = <Py_ssize_t*>cnp.PyArray_DATA(off)
    with nogil:
        for ph in range(nph):
            if not skip[ph]:
                nnf_shift_phase_weight(&gs[ph], pw, kT, kH, kW, sT, sH, sW, pT, pH, pW,
                                       ph // (sH * sW), ph // sW % sH, ph % sW, pwf)
                nnf_shift_pack(&gs[ph], pwf, pwpk + ph * most_wk, 0)
                nnf_shift_offsets(&gs[ph], poff + ph * most_q)
    cdef Py_ssize_t tmpn = O * nph * MT * MH * MW
    cdef bint has_skip = False
    for ph in range(nph):
        has_skip = has_skip or skip[ph]
    cdef _Ph q
    if N >= FUSE_MIN_IMAGES and not has_skip:
        q.gs, q.gp, q.base, q.d, q.wpk, q.off, q.skip = gs, &gp, base, &d, pwpk, poff, skip
        q.x, q.bias, q.y = _f(x), _f(b), _f(y)
        q.nph, q.most_wk, q.most_q, q.most_S, q.tmpn, q.failed = nph, most_wk, most_q, \
            most_S, tmpn, 0
        with nogil:
            parallel_for(_phase_task, &q, N, 1, 1)
        if q.failed:
            raise MemoryError("shift convolution: no memory for an image's scratch")
        return
    cdef Py_ssize_t G = max(1, min(N, GROUP_BYTES // ((most_S + tmpn) * 4)))
    cdef cnp.ndarray ws = workspace(G * (most_S + tmpn), np.float32)
    cdef float* pws = _f(ws)
    cdef float* tmp = pws + G * most_S
    cdef const float* px = _f(x)
    cdef float* py = _f(y)
    cdef _Fwd f
    cdef _Bwd bb
    cdef Py_ssize_t s0, n
    cdef bint failed = False
    bb.g, bb.gib, bb.failed = &d, _f(b), 0
    s0 = 0
    while s0 < N and not failed:
        n = min(G, N - s0)
        if has_skip:                    # the phases no tap reaches: the bias alone
            memset(tmp, 0, n * tmpn * sizeof(float))
        for ph in range(nph):
            if skip[ph]:
                continue
            _fwd_init(&f, &gs[ph], pws, pwpk + ph * most_wk, poff + ph * most_q, NULL)
            f.ystep = tmpn
            with nogil:
                f.src = px + s0 * C * T * H * W
                f.y = tmp + ph * gs[ph].L
                parallel_for(_pad_task, &f, n, 1, 1)
                if not f.failed:
                    parallel_for(_fwd_task, &f, _fwd_units(&f, n), 1, 1)
            if f.failed:
                failed = True
                break
        if failed:
            break
        bb.g1 = tmp
        bb.dst = py + s0 * O * OT * OH * OW
        with nogil:
            parallel_for(_d2s_task, &bb, n, 1, 1)
        failed = bb.failed != 0
        s0 += G
    release(ws)
    if failed:
        raise MemoryError("shift convolution: no memory for a scratch row")


def full_backward(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, object gi, object gw,
                  object gb, Py_ssize_t N, Py_ssize_t C, Py_ssize_t T, Py_ssize_t H,
                  Py_ssize_t W, Py_ssize_t O, Py_ssize_t OT, Py_ssize_t OH, Py_ssize_t OW,
                  Py_ssize_t kT, Py_ssize_t kH, Py_ssize_t kW, Py_ssize_t pT, Py_ssize_t pH,
                  Py_ssize_t pW, Py_ssize_t sT=1, Py_ssize_t sH=1, Py_ssize_t sW=1):
    """gradInput gi (N, C, T, H, W), gradWeight gw (C, O*kT*kH*kW) and gradBias
    gb (O,) of :func:`full_forward`, written over (gi, gw, gb None: not
    wanted): the convolution's forward of gradOutput, its gradWeight with
    gradOutput as the input and x as the gradient, and the plane sums."""
    if gw is not None:         # both from one padded copy of gradOutput
        backward(go, w, x, None, gw, None, N, O, OT, OH, OW, C, T, H, W, kT, kH, kW, pT, pH,
                 pW, 1, 1, 1, sT, sH, sW, y=gi)
    elif gi is not None:
        forward(go, w, None, gi, N, O, OT, OH, OW, C, T, H, W, kT, kH, kW, pT, pH, pW, 1, 1, 1,
                sT, sH, sW)
    if gb is None:
        return
    cdef float* pgb = _f(gb)
    cdef const float* pgo = _f(go)
    cdef Py_ssize_t o, i, L = OT * OH * OW
    cdef double acc
    with nogil:
        for o in range(O):
            acc = 0
            for i in range(N):
                acc = acc + nnf_sum_f(pgo + (i * O + o) * L, L)
            pgb[o] = <float>acc
