# The phase (sub-pixel) forward of a strided transposed convolution: see
# _phase.h. One GEMM per sample, Z (Q*O, G) = Wa (Q*O, T*C) @ S (T*C, G),
# between a copy of the input into S and the scatter of Z into the output.

cimport numpy as cnp
import numpy as np

from nnfunc._cpu._blas cimport floating, blas_int, gemm

cdef extern from "_phase.h" nogil:
    ctypedef struct nnf_phase:
        Py_ssize_t C, O
        Py_ssize_t n[3]
        Py_ssize_t m[3]
        Py_ssize_t k[3]
        Py_ssize_t s[3]
        Py_ssize_t p[3]
        Py_ssize_t T[3]
        Py_ssize_t a0[3]
        Py_ssize_t G[3]
        Py_ssize_t TC, QO, Gt
    void nnf_phase_init(nnf_phase* g)
    void nnf_phase_weights_f(const float* w, float* wa, const nnf_phase* g)
    void nnf_phase_weights_d(const double* w, double* wa, const nnf_phase* g)
    void nnf_phase_stack_f(const float* x, float* st, Py_ssize_t ld, const nnf_phase* g)
    void nnf_phase_stack_d(const double* x, double* st, Py_ssize_t ld, const nnf_phase* g)
    void nnf_phase_scatter_f(const float* z, Py_ssize_t ld, float* y, const float* b,
                             const nnf_phase* g)
    void nnf_phase_scatter_d(const double* z, Py_ssize_t ld, double* y, const double* b,
                             const nnf_phase* g)


#: samples per GEMM of the phase method: as many as keep S and Z under this
#: (fewer, larger GEMMs: OpenBLAS's per-call cost of waking its threads is paid
#: once per batch instead of once per sample)
cdef enum:
    PHASE_BATCH_BYTES = 4194304


cdef inline Py_ssize_t phase_batch(const nnf_phase* g, Py_ssize_t N,
                                   Py_ssize_t itemsize) noexcept nogil:
    cdef Py_ssize_t per = (g.TC + g.QO) * g.Gt * itemsize
    cdef Py_ssize_t nb = PHASE_BATCH_BYTES // per if per > 0 else N
    if nb < 1:
        nb = 1
    if nb > N:
        nb = N
    # BLAS ints: nb * Gt columns
    while nb > 1 and nb * g.Gt > 2147483647 // max(g.TC, g.QO):
        nb -= 1
    return nb


cdef inline bint phase_plan(nnf_phase* g, Py_ssize_t C, Py_ssize_t O, Py_ssize_t n0,
                            Py_ssize_t n1, Py_ssize_t n2, Py_ssize_t m0, Py_ssize_t m1,
                            Py_ssize_t m2, Py_ssize_t k0, Py_ssize_t k1, Py_ssize_t k2,
                            Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t s2, Py_ssize_t p0,
                            Py_ssize_t p1, Py_ssize_t p2, bint force) noexcept nogil:
    # fill g for a transposed convolution x (C, n) -> y (O, m), kernel k, stride
    # s, padding p per axis; True where the phase method should run: forced, or
    # some stride > 1, its data (S written and read, Z written and read) less
    # than the unfold method's (a (k*O, n) column matrix written by the GEMM,
    # then read and cleared by the fold), and its common grid at most twice
    # the input (the GEMM's work grows with it: by 13 % for a 16x16 image at
    # stride 2, by 58 % for a 4x8x8 volume; there the two methods cost the same
    # single-threaded, and on 2 cores the phase method was faster, 1.1 vs 1.4 ms,
    # as its GEMM runs on both while the unfold method's fold runs on one);
    # always within BLAS ints
    g.C, g.O = C, O
    g.n[0], g.n[1], g.n[2] = n0, n1, n2
    g.m[0], g.m[1], g.m[2] = m0, m1, m2
    g.k[0], g.k[1], g.k[2] = k0, k1, k2
    g.s[0], g.s[1], g.s[2] = s0, s1, s2
    g.p[0], g.p[1], g.p[2] = p0, p1, p2
    nnf_phase_init(g)
    cdef Py_ssize_t big = 2147483647
    if g.TC * g.Gt > big or g.QO * g.Gt > big or g.QO * g.TC > big:
        return False
    if force:
        return True
    if s0 == 1 and s1 == 1 and s2 == 1:
        return False
    cdef Py_ssize_t nin = n0 * n1 * n2
    return (2 * (g.TC * g.Gt + g.QO * g.Gt) <= 3 * (k0 * k1 * k2 * O * nin)
            and g.Gt <= 2 * nin)


cdef inline void phase_forward(const floating* x, const floating* w, const floating* b,
                               floating* y, floating* wa, floating* st, floating* z,
                               Py_ssize_t N, Py_ssize_t nb, const nnf_phase* g) noexcept nogil:
    # y (N, O, m) = transposed convolution of x (N, C, n) with w (C, O, k), + b;
    # nb samples per GEMM: S (TC, nb*Gt) and Z (QO, nb*Gt), sample j in columns
    # [j*Gt, (j+1)*Gt)
    cdef Py_ssize_t i0, j, cnt, nin = g.n[0] * g.n[1] * g.n[2]
    cdef Py_ssize_t nout = g.m[0] * g.m[1] * g.m[2], ld
    if floating is float:
        nnf_phase_weights_f(w, wa, g)
    else:
        nnf_phase_weights_d(w, wa, g)
    i0 = 0
    while i0 < N:
        cnt = nb if i0 + nb <= N else N - i0
        ld = cnt * g.Gt
        for j in range(cnt):
            if floating is float:
                nnf_phase_stack_f(x + (i0 + j) * g.C * nin, st + j * g.Gt, ld, g)
            else:
                nnf_phase_stack_d(x + (i0 + j) * g.C * nin, st + j * g.Gt, ld, g)
        gemm(c'n', c'n', <blas_int>g.QO, <blas_int>ld, <blas_int>g.TC, 1, wa,
             <blas_int>g.TC, st, <blas_int>ld, 0, z, <blas_int>ld)
        for j in range(cnt):
            if floating is float:
                nnf_phase_scatter_f(z + j * g.Gt, ld, y + (i0 + j) * g.O * nout, b, g)
            else:
                nnf_phase_scatter_d(z + j * g.Gt, ld, y + (i0 + j) * g.O * nout, b, g)
        i0 += cnt


cdef inline void phase_run(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y,
                           Py_ssize_t N, const nnf_phase* g):
    """phase_forward for NumPy arrays (float32 or float64, C-contiguous, sizes
    checked by the caller; b None or the bias), with its workspaces: the
    one entry of the 2-D and 3-D full convolutions."""
    if N == 0:
        return
    cdef Py_ssize_t nb = phase_batch(g, N, x.itemsize)
    cdef cnp.ndarray wa = np.empty(g.QO * g.TC, dtype=x.dtype)
    cdef cnp.ndarray st = np.empty(g.TC * g.Gt * nb, dtype=x.dtype)
    cdef cnp.ndarray z = np.empty(g.QO * g.Gt * nb, dtype=x.dtype)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = NULL if b is None else cnp.PyArray_DATA(<cnp.ndarray>b)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* pwa = cnp.PyArray_DATA(wa)
    cdef void* pst = cnp.PyArray_DATA(st)
    cdef void* pz = cnp.PyArray_DATA(z)
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            phase_forward(<const float*>px, <const float*>pw, <const float*>pb, <float*>py,
                          <float*>pwa, <float*>pst, <float*>pz, N, nb, g)
    else:
        with nogil:
            phase_forward(<const double*>px, <const double*>pw, <const double*>pb,
                          <double*>py, <double*>pwa, <double*>pst, <double*>pz, N, nb, g)
