"""The row-GEMM products: float32 on AVX-512 CPUs (``_rowgemm.h``).

Register-blocked tiles (6 rows x 64 columns, or 12 x 32) broadcast the left
operand straight from rows at any address and load the right operand in
vectors, so a caller's strided views (a TemporalConvolution's frames) are
read in place. This module splits the tiles over the thread pool, by row
tiles (``rg_rows``) or by column panels with the sum in chunks
(``rg_cols``), and offers ``rg_sgemm``, a row-major SGEMM on the same tiles
(what BLAS's sgemm does, for the kernels' mid-sized products where
OpenBLAS's threading costs more than the arithmetic). Each output element is
summed by one thread in a fixed order: the bits never depend on the thread
count.
"""

from libc.stdlib cimport free, malloc
from libc.string cimport memset

from nnfunc._cpu._parallel cimport parallel_for


cdef extern from "_rowgemm.h" nogil:
    int nnf_shift_available()
    void nnf_rg_tiles(const float* const* ap, Py_ssize_t a_step, const float* b, Py_ssize_t bs,
                      Py_ssize_t bj, const nnf_rg_run* runs, Py_ssize_t nrun, float* const* cp,
                      Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t j0, Py_ssize_t j1, Py_ssize_t n,
                      const float* init, int acc_c, float alpha, int bpad)
    void nnf_rg_transpose(const float* s, Py_ssize_t ls, Py_ssize_t r0, Py_ssize_t r1,
                          Py_ssize_t cols, float* d, Py_ssize_t ld)


cdef bint _RG = nnf_shift_available()


def available():
    """Whether this CPU (and OS) run the row-GEMM products (AVX-512)."""
    return bool(_RG)


cdef bint rg_available() noexcept nogil:
    return _RG


cdef void rg_job(RgJob* r, Py_ssize_t n) noexcept nogil:
    # a job for n columns: the tile shape, alpha 1, no base, no chunks
    cdef int mk, ov
    nnf_rg_shape(n, &mk, &ov)
    r.n, r.mk, r.ov = n, mk, ov
    r.alpha, r.acc_c, r.init, r.chunks, r.nchunk, r.bpad = 1, 0, NULL, NULL, 0, 0


cdef Py_ssize_t _grain(Py_ssize_t part, Py_ssize_t flops_per_unit) noexcept nogil:
    # units per pool part
    return max(1, part // max(flops_per_unit, 1))


cdef Py_ssize_t _len(const RgJob* r, Py_ssize_t q0, Py_ssize_t q1) noexcept nogil:
    cdef Py_ssize_t q, s = 0
    for q in range(q0, q1):
        s += r.runs[q].len
    return s


cdef void _rows_task(void* ctx, Py_ssize_t u0, Py_ssize_t u1) noexcept nogil:
    # row tiles u0 .. u1 (mk rows each), every column
    cdef RgJob* r = <RgJob*>ctx
    nnf_rg_tiles(r.ap, r.a_step, r.b, r.bs, r.bj, r.runs, r.nrun, r.cp, u0 * r.mk,
                 min(u1 * r.mk, r.rows), 0, r.n, r.n, r.init, r.acc_c, r.alpha, r.bpad)


cdef void rg_rows(RgJob* r, Py_ssize_t part) noexcept nogil:
    """The job over the pool by row tiles, about `part` FLOPs a pool part."""
    parallel_for(_rows_task, r, (r.rows + r.mk - 1) // r.mk,
                 _grain(part, 2 * r.mk * r.n * _len(r, 0, r.nrun)), 1)


cdef void _cols_task(void* ctx, Py_ssize_t u0, Py_ssize_t u1) noexcept nogil:
    # column panels u0 .. u1 (16*ov columns each), every row, the runs chunk
    # by chunk (a chunk's panel of the right operand read from L2 by every
    # row tile); the first chunk from the job's base, the others from C
    cdef RgJob* r = <RgJob*>ctx
    cdef Py_ssize_t c, w = 16 * r.ov
    for c in range(r.nchunk):
        nnf_rg_tiles(r.ap, r.a_step, r.b, r.bs, r.bj, r.runs + r.chunks[c],
                     r.chunks[c + 1] - r.chunks[c], r.cp, 0, r.rows, u0 * w,
                     min(u1 * w, r.n), r.n, r.init, r.acc_c or c > 0, r.alpha, r.bpad)


cdef void rg_cols(RgJob* r, Py_ssize_t part) noexcept nogil:
    """The job over the pool by column panels, its runs in r.nchunk chunks."""
    cdef Py_ssize_t w = 16 * r.ov
    parallel_for(_cols_task, r, (r.n + w - 1) // w,
                 _grain(part, 2 * w * r.rows * _len(r, 0, r.nrun)), 1)


cdef void rg_pack(const float* w, Py_ssize_t rows, Py_ssize_t n, Py_ssize_t wstride,
                  Py_ssize_t kstride, int ov, float* out) noexcept nogil:
    """out = B (rows, n), B[k, j] = w[j*wstride + k*kstride], in column panels
    of 16*ov (panel J: (rows, 16*ov) at J*rows*16*ov; zeros past n)."""
    cdef Py_ssize_t W = 16 * ov, npan = (n + W - 1) // W
    cdef Py_ssize_t J, k, c, j
    for J in range(npan):
        for c in range(W):      # column by column: w read along its rows
            j = J * W + c
            if j < n:
                for k in range(rows):
                    out[(J * rows + k) * W + c] = w[j * wstride + k * kstride]
            else:
                for k in range(rows):
                    out[(J * rows + k) * W + c] = 0


cdef struct _Tr:
    const float* s
    float* d
    Py_ssize_t rows, cols


cdef void _transpose_task(void* ctx, Py_ssize_t u0, Py_ssize_t u1) noexcept nogil:
    # rows 16*u0 .. 16*u1 of s (rows, cols) into d (cols, rows)
    cdef _Tr* t = <_Tr*>ctx
    nnf_rg_transpose(t.s, t.cols, 16 * u0, min(16 * u1, t.rows), t.cols, t.d, t.rows)


cdef void rg_transpose(const float* s, Py_ssize_t rows, Py_ssize_t cols,
                       float* d) noexcept nogil:
    """d (cols, rows) = s (rows, cols) transposed, over the pool."""
    cdef _Tr t
    t.s, t.d, t.rows, t.cols = s, d, rows, cols
    parallel_for(_transpose_task, &t, (rows + 15) // 16, max(1, 4096 // max(cols, 1)), 1)


# rg_sgemm: about this many FLOPs to a pool part
cdef Py_ssize_t SGEMM_PART_FLOPS = 1 << 21


cdef int rg_sgemm(char ta, char tb, Py_ssize_t M, Py_ssize_t N, Py_ssize_t K, float alpha,
                  const float* A, Py_ssize_t lda, const float* B, Py_ssize_t ldb, float beta,
                  float* C, Py_ssize_t ldc) noexcept nogil:
    """Row-major C (M, N) = beta*C + alpha * op(A) (M, K) @ op(B) (K, N), beta 0
    or 1, like _blas.gemm; op(B) = B^T is packed first. 0 where it could not
    allocate its scratch (nothing written: the caller takes BLAS), else 1."""
    cdef RgJob r
    cdef Py_ssize_t i
    cdef nnf_rg_run run
    cdef float* pk = NULL
    if M == 0 or N == 0:
        return 1
    if K == 0:
        if beta == 0:
            for i in range(M):
                memset(C + i * ldc, 0, N * sizeof(float))
        return 1
    rg_job(&r, N)
    cdef const float** ap = <const float**>malloc(2 * M * sizeof(float*))
    if ap == NULL:
        return 0
    cdef float** cp = <float**>(ap + M)
    if tb == c't':
        pk = <float*>malloc(((N + 16 * r.ov - 1) // (16 * r.ov)) * K * 16 * r.ov * sizeof(float))
        if pk == NULL:
            free(ap)
            return 0
        rg_pack(B, K, N, ldb, 1, r.ov, pk)
        r.b, r.bs, r.bj, r.bpad = pk, 16 * r.ov, K * 16 * r.ov, 1
    else:
        r.b, r.bs, r.bj, r.bpad = B, ldb, 16 * r.ov, 0
    for i in range(M):
        ap[i] = A + i * lda if ta == c'n' else A + i
        cp[i] = C + i * ldc
    run.aoff, run.boff, run.len = 0, 0, K
    r.ap, r.a_step = ap, (1 if ta == c'n' else lda)
    r.runs, r.nrun, r.cp, r.rows = &run, 1, cp, M
    r.alpha, r.acc_c = alpha, beta != 0
    rg_rows(&r, SGEMM_PART_FLOPS)
    free(pk)
    free(ap)
    return 1


def sgemm(str ta, str tb, float alpha, a, b, float beta, c):
    """rg_sgemm on C-contiguous float32 NumPy matrices (for the tests): c =
    beta*c + alpha * op(a) @ op(b), op by "n"/"t"; c written in place. Sizes
    checked here."""
    import numpy as np
    cdef Py_ssize_t M, N, K, K2
    for name, m in (("a", a), ("b", b), ("c", c)):
        if not (isinstance(m, np.ndarray) and m.dtype == np.float32 and m.ndim == 2
                and m.flags.c_contiguous):
            raise TypeError(f"sgemm: {name} must be a C-contiguous float32 matrix")
    if ta not in ("n", "t") or tb not in ("n", "t") or beta not in (0.0, 1.0):
        raise ValueError("sgemm: ta, tb in 'n', 't'; beta 0 or 1")
    M, K = a.shape if ta == "n" else a.shape[::-1]
    K2, N = b.shape if tb == "n" else b.shape[::-1]
    if K2 != K or c.shape != (M, N):
        raise ValueError("sgemm: shapes do not match")
    cdef float[:, ::1] av = a
    cdef float[:, ::1] bv = b
    cdef float[:, ::1] cv = c
    cdef char cta = ord(ta), ctb = ord(tb)
    cdef int ok
    cdef const float* pa = &av[0, 0] if av.shape[0] * av.shape[1] else NULL
    cdef const float* pb = &bv[0, 0] if bv.shape[0] * bv.shape[1] else NULL
    cdef float* pc = &cv[0, 0] if cv.shape[0] * cv.shape[1] else NULL
    if not rg_available():
        raise ValueError("sgemm: this CPU does not run AVX-512")
    with nogil:
        ok = rg_sgemm(cta, ctb, M, N, K, alpha, pa, av.shape[1], pb, bv.shape[1], beta, pc,
                      cv.shape[1])
    if not ok:
        raise MemoryError("sgemm: no memory for its scratch")
