# The row-GEMM products (_rowgemm.h; float32, AVX-512), split over the thread
# pool, owned by the nnfunc._cpu._rowgemm extension. A kernel module cimports
# these and calls them with the GIL released. See _rowgemm.pyx.

cdef extern from "_rowgemm.h" nogil:
    ctypedef struct nnf_rg_run:
        Py_ssize_t aoff, boff, len
    void nnf_rg_shape(Py_ssize_t n, int* mk, int* ov)


cdef struct RgJob:
    # C[i, j] = base + alpha * sum over runs/positions of A(i, p) * B(p, j):
    # A(i, p) = ap[i][aoff + p*a_step], B(p, j) = b[boff + p*bs + panel(j)*bj +
    # j % (16 ov)]; C rows cp[i] (rows of them, n columns); base: C itself
    # (acc_c), else init[j] (NULL: 0); runs, or chunks of runs (rg_cols)
    const float* const* ap
    Py_ssize_t a_step
    const float* b
    Py_ssize_t bs, bj
    const nnf_rg_run* runs
    Py_ssize_t nrun
    const Py_ssize_t* chunks    # rg_cols: run index where chunk c starts (nchunk + 1)
    Py_ssize_t nchunk
    float* const* cp
    Py_ssize_t rows, n
    const float* init
    float alpha
    int acc_c, bpad, mk, ov


cdef bint rg_available() noexcept nogil
cdef void rg_job(RgJob* r, Py_ssize_t n) noexcept nogil
cdef void rg_rows(RgJob* r, Py_ssize_t part) noexcept nogil
cdef void rg_cols(RgJob* r, Py_ssize_t part) noexcept nogil
cdef void rg_pack(const float* w, Py_ssize_t rows, Py_ssize_t n, Py_ssize_t wstride,
                  Py_ssize_t kstride, int ov, float* out) noexcept nogil
cdef void rg_transpose(const float* s, Py_ssize_t rows, Py_ssize_t cols,
                       float* d) noexcept nogil
cdef int rg_sgemm(char ta, char tb, Py_ssize_t M, Py_ssize_t N, Py_ssize_t K, float alpha,
                  const float* A, Py_ssize_t lda, const float* B, Py_ssize_t ldb, float beta,
                  float* C, Py_ssize_t ldc) noexcept nogil
