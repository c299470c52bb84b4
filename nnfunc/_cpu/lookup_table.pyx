"""LookupTable kernels: row gather, row renormalisation, scatter-add.

    update_output(idx, w, y, D)          y[i, :] = w[idx[i], :]
    renorm(idx, w, maxNorm, normType, D) rows of w named in idx with a
                                         normType-norm above maxNorm scaled by
                                         maxNorm / (norm + 1e-7), each row once
                                         (w is the module's own copy)
    acc_grad(idx, go, gw, D, pad, freq)  gw = 0; gw[idx[i], :] += go[i, :] / c
                                         (skipping idx[i] == pad; c = count of
                                         idx[i] in idx when freq, else 1)

``idx`` is a C-contiguous int64 array of 0-based rows, every value already
checked to lie in ``[0, nIndex)`` (the module's check); ``w``/``gw`` are
``(nIndex, D)`` and ``y``/``go`` ``(M, D)``, C-contiguous, one float dtype.
``pad`` < 0 means no padding row. Duplicated indices accumulate in order.
"""

cimport numpy as cnp
from libc.math cimport fabs, pow, sqrt
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating

cnp.import_array()


cdef void _gather(const long long* idx, const floating* w, floating* y, Py_ssize_t m,
                  Py_ssize_t D) noexcept nogil:
    cdef Py_ssize_t i
    cdef size_t row = <size_t>D * sizeof(floating)
    for i in range(m):
        memcpy(y + i * D, w + idx[i] * D, row)


cdef double _row_norm(const floating* row, Py_ssize_t D, double p) noexcept nogil:
    """The p-norm of one row, accumulated in double over 4 independent sums
    (the one-accumulator loop was add-latency bound: 4 ms for 6400x256)."""
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef double a0, a1, a2, a3
    cdef Py_ssize_t j = 0
    if p == 2.0:
        while j + 4 <= D:
            a0 = row[j]; a1 = row[j + 1]; a2 = row[j + 2]; a3 = row[j + 3]
            s0 += a0 * a0; s1 += a1 * a1; s2 += a2 * a2; s3 += a3 * a3
            j += 4
        while j < D:
            a0 = row[j]
            s0 += a0 * a0
            j += 1
        return sqrt((s0 + s1) + (s2 + s3))
    if p == 1.0:
        while j + 4 <= D:
            s0 += fabs(row[j]); s1 += fabs(row[j + 1])
            s2 += fabs(row[j + 2]); s3 += fabs(row[j + 3])
            j += 4
        while j < D:
            s0 += fabs(row[j])
            j += 1
        return (s0 + s1) + (s2 + s3)
    for j in range(D):
        s0 += pow(fabs(row[j]), p)
    return pow(s0, 1.0 / p)


cdef int _renorm(const long long* idx, floating* w, Py_ssize_t m, Py_ssize_t n, Py_ssize_t D,
                 double maxNorm, double normType) noexcept nogil:
    cdef unsigned char* seen = <unsigned char*>calloc(n if n > 0 else 1, 1)
    cdef Py_ssize_t i, j
    cdef long long k
    cdef double norm
    cdef floating f
    cdef floating* row
    if seen == NULL:
        return -1
    for i in range(m):
        k = idx[i]
        if seen[k]:
            continue
        seen[k] = 1
        row = w + k * D
        norm = _row_norm(row, D, normType)
        if norm > maxNorm:
            f = <floating>(maxNorm / (norm + 1e-7))
            for j in range(D):
                row[j] = row[j] * f
    free(seen)
    return 0


cdef int _acc_grad(const long long* idx, const floating* go, floating* gw, Py_ssize_t m,
                   Py_ssize_t n, Py_ssize_t D, long long pad, bint freq) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef long long k
    cdef floating s
    cdef floating* dst
    cdef const floating* src
    cdef Py_ssize_t* count = NULL
    if freq:
        count = <Py_ssize_t*>calloc(n if n > 0 else 1, sizeof(Py_ssize_t))
        if count == NULL:
            return -1
        for i in range(m):
            count[idx[i]] += 1
    if n * D > 0:
        memset(gw, 0, <size_t>(n * D) * sizeof(floating))
    for i in range(m):
        k = idx[i]
        if k == pad:
            continue
        dst = gw + k * D
        src = go + i * D
        if freq:
            s = <floating>(1.0 / <double>count[k])
            for j in range(D):
                dst[j] += s * src[j]
        else:
            for j in range(D):
                dst[j] += src[j]
    free(count)
    return 0


def update_output(cnp.ndarray idx, cnp.ndarray w, cnp.ndarray y, Py_ssize_t D):
    """y[i, :] = w[idx[i], :] for every entry of idx."""
    cdef Py_ssize_t m = cnp.PyArray_SIZE(idx)
    cdef const long long* pi = <const long long*>cnp.PyArray_DATA(idx)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* py = cnp.PyArray_DATA(y)
    if cnp.PyArray_TYPE(w) == cnp.NPY_FLOAT:
        with nogil:
            _gather(pi, <const float*>pw, <float*>py, m, D)
    else:
        with nogil:
            _gather(pi, <const double*>pw, <double*>py, m, D)


def renorm(cnp.ndarray idx, cnp.ndarray w, double maxNorm, double normType, Py_ssize_t D):
    """Scale the rows of ``w`` (in place: the module's copy) named in idx."""
    cdef Py_ssize_t m = cnp.PyArray_SIZE(idx)
    cdef Py_ssize_t n = cnp.PyArray_DIM(w, 0)
    cdef const long long* pi = <const long long*>cnp.PyArray_DATA(idx)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef int rc
    if cnp.PyArray_TYPE(w) == cnp.NPY_FLOAT:
        with nogil:
            rc = _renorm(pi, <float*>pw, m, n, D, maxNorm, normType)
    else:
        with nogil:
            rc = _renorm(pi, <double*>pw, m, n, D, maxNorm, normType)
    if rc != 0:
        raise MemoryError()


def acc_grad(cnp.ndarray idx, cnp.ndarray go, cnp.ndarray gw, Py_ssize_t D, long long pad,
             bint freq):
    """gw = scatter-add of the rows of go at idx (overwrites gw)."""
    cdef Py_ssize_t m = cnp.PyArray_SIZE(idx)
    cdef Py_ssize_t n = cnp.PyArray_DIM(gw, 0)
    cdef const long long* pi = <const long long*>cnp.PyArray_DATA(idx)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef int rc
    if cnp.PyArray_TYPE(gw) == cnp.NPY_FLOAT:
        with nogil:
            rc = _acc_grad(pi, <const float*>pgo, <float*>pgw, m, n, D, pad, freq)
    else:
        with nogil:
            rc = _acc_grad(pi, <const double*>pgo, <double*>pgw, m, n, D, pad, freq)
    if rc != 0:
        raise MemoryError()
