# Shared helpers of the SoftMax and LogSoftMax kernels: fused wrappers over
# the vectorised C building blocks of _softmax.h.
#
# Layout: a C-contiguous input viewed as (outer, dim, inner); the softmax
# runs over `dim`, whose elements sit `inner` apart. inner == 1 is the row
# case ((D) and (N, D) input): each row is contiguous and reduced in
# vector lanes. inner > 1 ((C, H, W), (N, C, H, W)) is done a chunk of
# NNF_CHUNK columns at a time: the reductions over `dim` are then
# elementwise across the chunk. The exp loops are the hot part (see
# _softmax.h for how they vectorise). Each phase reads its inputs from memory
# once; the repeated passes over a row or chunk hit the cache.

from nnfunc._cpu._blas cimport floating

cdef extern from "_softmax.h" nogil:
    enum: NNF_CHUNK
    float nnf_row_max_f(const float* x, Py_ssize_t n) noexcept
    double nnf_row_max_d(const double* x, Py_ssize_t n) noexcept
    void nnf_row_scale_f(float* y, float r, Py_ssize_t n) noexcept
    void nnf_row_scale_d(double* y, double r, Py_ssize_t n) noexcept
    void nnf_row_sm_grad_f(float* e, const float* go, float r, float dt, Py_ssize_t n) noexcept
    void nnf_row_sm_grad_d(double* e, const double* go, double r, double dt,
                           Py_ssize_t n) noexcept
    void nnf_row_lsm_out_f(const float* x, float* y, float mx, float sh, Py_ssize_t n) noexcept
    void nnf_row_lsm_out_d(const double* x, double* y, double mx, double sh,
                           Py_ssize_t n) noexcept
    void nnf_row_lsm_grad_f(float* e, const float* go, float r, Py_ssize_t n) noexcept
    void nnf_row_lsm_grad_d(double* e, const double* go, double r, Py_ssize_t n) noexcept
    double nnf_row_exp_f(const float* x, float m, float* e, Py_ssize_t n) noexcept
    double nnf_row_exp_d(const double* x, double m, double* e, Py_ssize_t n) noexcept
    double nnf_row_dot_f(const float* a, const float* b, Py_ssize_t n) noexcept
    double nnf_row_dot_d(const double* a, const double* b, Py_ssize_t n) noexcept
    double nnf_row_sum_f(const float* a, Py_ssize_t n) noexcept
    double nnf_row_sum_d(const double* a, Py_ssize_t n) noexcept
    void nnf_col_max_f(const float* x, float* m, Py_ssize_t w) noexcept
    void nnf_col_max_d(const double* x, double* m, Py_ssize_t w) noexcept
    void nnf_col_exp_f(const float* x, const float* m, float* e, double* s,
                       Py_ssize_t w) noexcept
    void nnf_col_exp_d(const double* x, const double* m, double* e, double* s,
                       Py_ssize_t w) noexcept


# -- rows (inner == 1) ------------------------------------------------------

cdef inline floating _row_max(const floating* x, Py_ssize_t n) noexcept nogil:
    """max of x[0:n], n >= 1 (NaN anywhere makes the softmax row NaN either
    way: through this max or through exp(NaN - max))."""
    if floating is float:
        return nnf_row_max_f(x, n)
    else:
        return nnf_row_max_d(x, n)


cdef inline void _row_scale(floating* y, floating r, Py_ssize_t n) noexcept nogil:
    """y[i] *= r"""
    if floating is float:
        nnf_row_scale_f(y, r, n)
    else:
        nnf_row_scale_d(y, r, n)


cdef inline void _row_sm_grad(floating* e, const floating* go, floating r, floating dt,
                              Py_ssize_t n) noexcept nogil:
    """e[i] = e[i] * r * (go[i] - dt)"""
    if floating is float:
        nnf_row_sm_grad_f(e, go, r, dt, n)
    else:
        nnf_row_sm_grad_d(e, go, r, dt, n)


cdef inline void _row_lsm_out(const floating* x, floating* y, floating mx, floating sh,
                              Py_ssize_t n) noexcept nogil:
    """y[i] = (x[i] - mx) - sh"""
    if floating is float:
        nnf_row_lsm_out_f(x, y, mx, sh, n)
    else:
        nnf_row_lsm_out_d(x, y, mx, sh, n)


cdef inline void _row_lsm_grad(floating* e, const floating* go, floating r,
                               Py_ssize_t n) noexcept nogil:
    """e[i] = go[i] - e[i] * r"""
    if floating is float:
        nnf_row_lsm_grad_f(e, go, r, n)
    else:
        nnf_row_lsm_grad_d(e, go, r, n)


cdef inline double _row_exp(const floating* x, floating m, floating* e,
                            Py_ssize_t n) noexcept nogil:
    """e[i] = exp(x[i] - m); returns sum(e) in double."""
    if floating is float:
        return nnf_row_exp_f(x, m, e, n)
    else:
        return nnf_row_exp_d(x, m, e, n)


cdef inline double _row_dot(const floating* a, const floating* b, Py_ssize_t n) noexcept nogil:
    """sum(a[i] * b[i]) in double."""
    if floating is float:
        return nnf_row_dot_f(a, b, n)
    else:
        return nnf_row_dot_d(a, b, n)


cdef inline double _row_sum(const floating* a, Py_ssize_t n) noexcept nogil:
    """sum(a[i]) in double."""
    if floating is float:
        return nnf_row_sum_f(a, n)
    else:
        return nnf_row_sum_d(a, n)


# -- column chunks (inner > 1) -----------------------------------------------
# x points at element (c=0, j=j0) of one outer slice; rows are `stride`
# apart; the chunk has w <= NNF_CHUNK columns. Per-column results go to
# the small arrays m (max) and s (sums, double).

cdef inline void _col_max(const floating* x, Py_ssize_t dim, Py_ssize_t stride,
                          Py_ssize_t w, floating* m) noexcept nogil:
    """m[j] = max over c of x[c*stride + j], dim >= 1."""
    cdef Py_ssize_t c, j
    for j in range(w):
        m[j] = x[j]
    for c in range(1, dim):
        if floating is float:
            nnf_col_max_f(x + c * stride, m, w)
        else:
            nnf_col_max_d(x + c * stride, m, w)


cdef inline void _col_exp(const floating* x, const floating* m, floating* e,
                          Py_ssize_t dim, Py_ssize_t stride, Py_ssize_t w,
                          double* s) noexcept nogil:
    """e[c, j] = exp(x[c, j] - m[j]) (laid out like x); s[j] = sum over c."""
    cdef Py_ssize_t c, j
    for j in range(w):
        s[j] = 0.0
    for c in range(dim):
        if floating is float:
            nnf_col_exp_f(x + c * stride, m, e + c * stride, s, w)
        else:
            nnf_col_exp_d(x + c * stride, m, e + c * stride, s, w)


cdef inline void _col_dot(const floating* a, const floating* b, Py_ssize_t dim,
                          Py_ssize_t stride, Py_ssize_t w, double* s) noexcept nogil:
    """s[j] = sum over c of a[c, j] * b[c, j]."""
    cdef Py_ssize_t c, j
    for j in range(w):
        s[j] = 0.0
    for c in range(dim):
        for j in range(w):
            s[j] += <double>(a[c * stride + j] * b[c * stride + j])


cdef inline void _col_sum(const floating* a, Py_ssize_t dim, Py_ssize_t stride,
                          Py_ssize_t w, double* s) noexcept nogil:
    """s[j] = sum over c of a[c, j]."""
    cdef Py_ssize_t c, j
    for j in range(w):
        s[j] = 0.0
    for c in range(dim):
        for j in range(w):
            s[j] += a[c * stride + j]


# -- the thread pool ---------------------------------------------------------

cdef inline Py_ssize_t _slice_grain(Py_ssize_t n) noexcept nogil:
    """Outer slices of n elements per thread-pool part: about 32K elements
    (128x1000 is split in two: with the pool's idle workers spinning between
    calls the hand-off costs less than the second core gives; measured)."""
    return max(<Py_ssize_t>1, <Py_ssize_t>32768 // max(<Py_ssize_t>1, n))
