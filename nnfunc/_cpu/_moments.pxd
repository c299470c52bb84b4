# Row reductions shared by the normalisation kernels: sums in double over
# 8 independent accumulator lanes (so that the loops vectorise without
# reassociation flags), and the mean / sum of squared deviations of a row
# in two sweeps over it (the row is in cache for the second).

from nnfunc._cpu._blas cimport floating


cdef inline double lanes_sum(double* a) noexcept nogil:
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))


cdef inline double row_sum(const floating* r, Py_ssize_t S) noexcept nogil:
    cdef double a[8]
    cdef Py_ssize_t i, j, S8 = S - S % 8
    cdef double s
    for j in range(8):
        a[j] = 0
    for i in range(0, S8, 8):
        for j in range(8):
            a[j] += r[i + j]
    s = lanes_sum(a)
    for i in range(S8, S):
        s += r[i]
    return s


cdef inline double row_dot(const floating* r, const floating* g, Py_ssize_t S) noexcept nogil:
    cdef double a[8]
    cdef Py_ssize_t i, j, S8 = S - S % 8
    cdef double s
    for j in range(8):
        a[j] = 0
    for i in range(0, S8, 8):
        for j in range(8):
            a[j] += <double>r[i + j] * g[i + j]
    s = lanes_sum(a)
    for i in range(S8, S):
        s += <double>r[i] * g[i]
    return s


cdef inline void row_moments(const floating* r, Py_ssize_t S, double* mean,
                             double* m2) noexcept nogil:
    # mean and sum of squared deviations of one (cached) row, two sweeps
    cdef double a[8]
    cdef Py_ssize_t i, j, S8 = S - S % 8
    cdef double s, m, d
    m = row_sum(r, S) / S
    for j in range(8):
        a[j] = 0
    for i in range(0, S8, 8):
        for j in range(8):
            d = r[i + j] - m
            a[j] += d * d
    s = lanes_sum(a)
    for i in range(S8, S):
        d = r[i] - m
        s += d * d
    mean[0] = m
    m2[0] = s
