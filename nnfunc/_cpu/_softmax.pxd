# Shared inline helpers of the SoftMax and LogSoftMax kernels.
#
# Layout: a C-contiguous input viewed as (outer, dim, inner); the softmax
# runs over `dim`, whose elements sit `inner` apart. inner == 1 is the row
# case ((D) and (N, D) input): each row is contiguous and is reduced with
# several independent accumulators. inner > 1 ((C, H, W), (N, C, H, W)) is
# handled a chunk of columns at a time: the reductions over `dim` are then
# elementwise across the chunk, so they vectorise without reordering.
#
# Everything here is written so that gcc's auto-vectoriser can work on it
# at the default (SSE2) target without -ffast-math: no calls inside the hot
# loops (libm's exp is a call, hence the inline exp below), and reductions
# carried in explicit independent lanes.

from nnfunc._cpu._blas cimport floating

# Columns handled per chunk in the inner > 1 case: the chunk's slices of
# input and output (dim x _CHUNK) stay in L1/L2 between the passes.
cdef enum:
    _CHUNK = 128
    _LANES = 8

# -- exp on (-inf, 0] ---------------------------------------------------
# Range reduction x = n ln2 + r, |r| <= ln2/2, with n found by the
# round-to-nearest "add 1.5 * 2^k" trick (valid without SSE4.1 rounding);
# exp(r) by a polynomial; 2^n built in the exponent bits. Inputs below the
# normal range give 0 (no subnormal results: the absolute error is under
# the smallest normal number), -inf gives 0, NaN gives NaN. Relative error
# about 1 ulp. Written in C so that the constants are exact and the final
# select is an integer mask: gcc (with its default -ftrapping-math) does not
# if-convert a float select that follows the arithmetic, and so would not
# vectorise a loop calling a version with `cond ? 0 : p`.
cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    static inline double nnf_exp_neg_d(double x) {
        const double shift = 6755399441055744.0;            /* 1.5 * 2^52 */
        double t = x * 1.4426950408889634 + shift;
        double n = t - shift;                                /* round(x / ln2) */
        /* ln2 split in two (fdlibm's ln2_hi: n * hi is exact) */
        double r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
        /* Taylor series to degree 13: remainder < 5e-18 on |r| <= ln2/2 */
        double p = 1.0 / 6227020800.0;
        p = p * r + 1.0 / 479001600.0;
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        /* the low bits of t hold n (two's complement): n + 1023 -> exponent */
        uint64_t u, keep;
        memcpy(&u, &t, 8);
        u = (u + 1023u) << 52;
        double s;
        memcpy(&s, &u, 8);
        p = p * s;
        /* x < -708 (incl. -inf): 0; NaN compares false and stays NaN */
        keep = -(uint64_t)!(x < -708.0);
        memcpy(&u, &p, 8);
        u &= keep;
        memcpy(&p, &u, 8);
        return p;
    }

    static inline float nnf_exp_neg_f(float x) {
        const float shift = 12582912.0f;                      /* 1.5 * 2^23 */
        float t = x * 1.44269504088896341f + shift;
        float n = t - shift;
        float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
        /* Cephes expf minimax polynomial on |r| <= ln2/2 */
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        p = p * (r * r) + r + 1.0f;
        uint32_t u, keep;
        memcpy(&u, &t, 4);
        u = (u + 127u) << 23;
        float s;
        memcpy(&s, &u, 4);
        p = p * s;
        keep = -(uint32_t)!(x < -87.0f);
        memcpy(&u, &p, 4);
        u &= keep;
        memcpy(&p, &u, 4);
        return p;
    }
    """
    double nnf_exp_neg_d(double x) noexcept nogil
    float nnf_exp_neg_f(float x) noexcept nogil


cdef inline floating _exp_neg(floating x) noexcept nogil:
    if floating is float:
        return nnf_exp_neg_f(x)
    else:
        return nnf_exp_neg_d(x)


# -- rows (inner == 1) ----------------------------------------------------

cdef inline floating _row_max(const floating* x, Py_ssize_t n) noexcept nogil:
    """max of x[0:n], n >= 1 (a NaN at x[0] propagates; any other NaN
    reaches the result through exp(NaN - max) in the callers)."""
    cdef floating m[_LANES]
    cdef floating v, r
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        m[k] = x[0]
    cdef Py_ssize_t n8 = n - n % 8
    for i in range(0, n8, 8):
        for k in range(8):
            v = x[i + k]
            m[k] = v if v > m[k] else m[k]
    i = n8
    r = m[0]
    for k in range(1, _LANES):
        r = m[k] if m[k] > r else r
    while i < n:
        r = x[i] if x[i] > r else r
        i += 1
    return r


cdef inline double _row_exp(const floating* x, floating m, floating* e,
                            Py_ssize_t n) noexcept nogil:
    """e[i] = exp(x[i] - m); returns sum(e) (accumulated in double)."""
    cdef double s[_LANES]
    cdef floating v
    cdef double r
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        s[k] = 0.0
    while i + _LANES <= n:
        for k in range(_LANES):
            v = _exp_neg(x[i + k] - m)
            e[i + k] = v
            s[k] += v
        i += _LANES
    r = 0.0
    for k in range(_LANES):
        r += s[k]
    while i < n:
        v = _exp_neg(x[i] - m)
        e[i] = v
        r += v
        i += 1
    return r


cdef inline double _row_sum_exp(const floating* x, floating m, Py_ssize_t n) noexcept nogil:
    """sum(exp(x[i] - m)) in double, writing nothing."""
    cdef double s[_LANES]
    cdef double r
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        s[k] = 0.0
    while i + _LANES <= n:
        for k in range(_LANES):
            s[k] += _exp_neg(x[i + k] - m)
        i += _LANES
    r = 0.0
    for k in range(_LANES):
        r += s[k]
    while i < n:
        r += _exp_neg(x[i] - m)
        i += 1
    return r


cdef inline double _row_dot(const floating* a, const floating* b, Py_ssize_t n) noexcept nogil:
    """sum(a[i] * b[i]) in double."""
    cdef double s[_LANES]
    cdef double r
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        s[k] = 0.0
    while i + _LANES <= n:
        for k in range(_LANES):
            s[k] += <double>(a[i + k] * b[i + k])
        i += _LANES
    r = 0.0
    for k in range(_LANES):
        r += s[k]
    while i < n:
        r += <double>(a[i] * b[i])
        i += 1
    return r


cdef inline double _row_sum(const floating* a, Py_ssize_t n) noexcept nogil:
    """sum(a[i]) in double."""
    cdef double s[_LANES]
    cdef double r
    cdef Py_ssize_t i = 0, k
    for k in range(_LANES):
        s[k] = 0.0
    while i + _LANES <= n:
        for k in range(_LANES):
            s[k] += a[i + k]
        i += _LANES
    r = 0.0
    for k in range(_LANES):
        r += s[k]
    while i < n:
        r += a[i]
        i += 1
    return r


# -- column chunks (inner > 1) ---------------------------------------------
# x points at element (c=0, j=j0) of one outer slice; rows are `stride`
# apart; the chunk has `w` <= _CHUNK columns.

cdef inline void _col_max(const floating* x, Py_ssize_t dim, Py_ssize_t stride,
                          Py_ssize_t w, floating* m) noexcept nogil:
    """m[j] = max over c of x[c*stride + j], dim >= 1."""
    cdef Py_ssize_t c, j
    cdef const floating* xc
    cdef floating v
    for j in range(w):
        m[j] = x[j]
    for c in range(1, dim):
        xc = x + c * stride
        for j in range(w):
            v = xc[j]
            m[j] = v if v > m[j] else m[j]


cdef inline void _col_exp(const floating* x, const floating* m, floating* e,
                          Py_ssize_t dim, Py_ssize_t stride, Py_ssize_t w,
                          double* s) noexcept nogil:
    """e[c, j] = exp(x[c, j] - m[j]) (e laid out like x); s[j] = sum over c."""
    cdef Py_ssize_t c, j
    cdef floating v
    for j in range(w):
        s[j] = 0.0
    for c in range(dim):
        for j in range(w):
            v = _exp_neg(x[c * stride + j] - m[j])
            e[c * stride + j] = v
            s[j] += v


cdef inline void _col_sum_exp(const floating* x, const floating* m, Py_ssize_t dim,
                              Py_ssize_t stride, Py_ssize_t w, double* s) noexcept nogil:
    """s[j] = sum over c of exp(x[c, j] - m[j]), writing nothing else."""
    cdef Py_ssize_t c, j
    for j in range(w):
        s[j] = 0.0
    for c in range(dim):
        for j in range(w):
            s[j] += _exp_neg(x[c * stride + j] - m[j])


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
