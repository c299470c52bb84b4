# Thin, row-major wrappers over scipy.linalg.cython_blas (no link-time BLAS).
#
# Every array the kernels hand to these is C-contiguous (checked in Python by
# the frontend) and every size has been checked to fit a BLAS int (int32 on
# SciPy <= 1.17) before the kernel is entered. cython_blas's prototypes are
# not const-qualified (scipy#14262); casting const away is safe because BLAS
# only reads the A/B/x operands.
#
# Row-major trick: a row-major matrix is its transpose in column-major order,
# so C = op(A) op(B) (row-major) is C^T = op(B)^T op(A)^T (column-major):
# call the Fortran routine with A and B swapped and the same trans flags.

from scipy.linalg.cython_blas cimport sgemm, dgemm, sgemv, dgemv, saxpy, daxpy

ctypedef fused floating:
    float
    double

ctypedef int blas_int


cdef inline void gemm(char transa, char transb, blas_int m, blas_int n, blas_int k,
                      floating alpha, const floating* a, blas_int lda,
                      const floating* b, blas_int ldb,
                      floating beta, floating* c, blas_int ldc) noexcept nogil:
    # C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C   (row-major)
    cdef Py_ssize_t i
    if m == 0 or n == 0:
        return
    if k == 0:
        # an empty sum: C = beta * C (BLAS would reject lda = 0)
        for i in range(<Py_ssize_t>m * n):
            c[i] = 0 if beta == 0 else beta * c[i]
        return
    if floating is float:
        sgemm(&transb, &transa, &n, &m, &k, &alpha, <float*>b, &ldb,
              <float*>a, &lda, &beta, c, &ldc)
    else:
        dgemm(&transb, &transa, &n, &m, &k, &alpha, <double*>b, &ldb,
              <double*>a, &lda, &beta, c, &ldc)


cdef inline void gemv(char trans, blas_int m, blas_int n, floating alpha,
                      const floating* a, blas_int lda, const floating* x,
                      floating beta, floating* y) noexcept nogil:
    # y = alpha * op(A) @ x + beta * y, A row-major [m, n]; trans 'n' or 't'
    cdef char t = c't' if trans == c'n' else c'n'
    cdef blas_int one = 1
    if floating is float:
        sgemv(&t, &n, &m, &alpha, <float*>a, &lda, <float*>x, &one, &beta, y, &one)
    else:
        dgemv(&t, &n, &m, &alpha, <double*>a, &lda, <double*>x, &one, &beta, y, &one)


cdef inline void axpy(blas_int n, floating alpha, const floating* x,
                      floating* y) noexcept nogil:
    # y += alpha * x
    cdef blas_int one = 1
    if floating is float:
        saxpy(&n, &alpha, <float*>x, &one, y, &one)
    else:
        daxpy(&n, &alpha, <double*>x, &one, y, &one)
