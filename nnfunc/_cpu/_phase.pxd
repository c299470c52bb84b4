# The phase (sub-pixel) forward of a strided transposed convolution: see
# _phase.h. One GEMM per sample, Z (Q*O, G) = Wa (Q*O, T*C) @ S (T*C, G),
# between a copy of the input into S and the scatter of Z into the output.

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
    void nnf_phase_stack_f(const float* x, float* st, const nnf_phase* g)
    void nnf_phase_stack_d(const double* x, double* st, const nnf_phase* g)
    void nnf_phase_scatter_f(const float* z, float* y, const float* b, const nnf_phase* g)
    void nnf_phase_scatter_d(const double* z, double* y, const double* b,
                             const nnf_phase* g)


cdef inline bint phase_plan(nnf_phase* g, Py_ssize_t C, Py_ssize_t O, Py_ssize_t n0,
                            Py_ssize_t n1, Py_ssize_t n2, Py_ssize_t m0, Py_ssize_t m1,
                            Py_ssize_t m2, Py_ssize_t k0, Py_ssize_t k1, Py_ssize_t k2,
                            Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t s2, Py_ssize_t p0,
                            Py_ssize_t p1, Py_ssize_t p2, bint force) noexcept nogil:
    # fill g for a transposed convolution x (C, n) -> y (O, m), kernel k, stride
    # s, padding p per axis; True where the phase method should run: forced, or
    # some stride > 1, its data (S written and read, Z written and read) less
    # than the unfold method's (a (k*O, n) column matrix written by the GEMM,
    # then read and cleared by the fold), and its common grid at most 1/4
    # larger than the input (the GEMM's work grows with it: by 13 % for a 16x16
    # image at stride 2, by 58 % for a 4x8x8 volume, where the unfold method
    # measured as fast); always within BLAS ints
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
            and 4 * g.Gt <= 5 * nin)


cdef inline void phase_forward(const floating* x, const floating* w, const floating* b,
                               floating* y, floating* wa, floating* st, floating* z,
                               Py_ssize_t N, const nnf_phase* g) noexcept nogil:
    # y (N, O, m) = transposed convolution of x (N, C, n) with w (C, O, k), + b
    cdef Py_ssize_t i, nin = g.n[0] * g.n[1] * g.n[2], nout = g.m[0] * g.m[1] * g.m[2]
    if floating is float:
        nnf_phase_weights_f(w, wa, g)
    else:
        nnf_phase_weights_d(w, wa, g)
    for i in range(N):
        if floating is float:
            nnf_phase_stack_f(x + i * g.C * nin, st, g)
        else:
            nnf_phase_stack_d(x + i * g.C * nin, st, g)
        gemm(c'n', c'n', <blas_int>g.QO, <blas_int>g.Gt, <blas_int>g.TC, 1, wa,
             <blas_int>g.TC, st, <blas_int>g.Gt, 0, z, <blas_int>g.Gt)
        if floating is float:
            nnf_phase_scatter_f(z, y + i * g.O * nout, b, g)
        else:
            nnf_phase_scatter_d(z, y + i * g.O * nout, b, g)
