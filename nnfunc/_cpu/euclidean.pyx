"""Euclidean kernels: y[r, j] = ||x[r] - W[:, j]||, W stored (inputSize, outputSize).

Squared distances come from one GEMM, ``|x|^2 + |w|^2 - 2 x.W``, which is
accurate where the distance is not small next to the norms. A pair whose
GEMM distance falls below half of ``|x|^2 + |w|^2`` (a point near a centre,
where the expansion cancels) is recomputed from the differences, so every
distance keeps the accuracy of the direct sum. The backward does the same
split: the far pairs go through two GEMMs (``gradInput = x * sum_j g - g W^T``,
``gradWeight = W * sum_r g - x^T g``), the near ones through exact difference
loops. Nothing is saved between calls: the backward recomputes the distances.
The GEMMs are BLAS's, or in float32 on an AVX-512 CPU the row-GEMM tiles of
``_rowgemm.pyx`` over the thread pool (forward 293 -> 186 us, gradient 763 ->
575 us at 128x256->512 on the 2-core VM, with the elementwise passes made
branch-free as well).
"""

cimport numpy as cnp
from libc.math cimport sqrt
from libc.stdlib cimport malloc, free

from nnfunc._cpu._blas cimport blas_int, floating, gemm
from nnfunc._cpu._rowgemm cimport rg_available, rg_sgemm

cnp.import_array()


cdef inline void _gemm(char ta, char tb, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                       floating alpha, const floating* a, Py_ssize_t lda, const floating* b,
                       Py_ssize_t ldb, floating beta, floating* c,
                       Py_ssize_t ldc) noexcept nogil:
    # float32 on AVX-512: the row-GEMM tiles over the pool (these mid-sized
    # products ran at a third of the FMA rate through OpenBLAS's threads);
    # else, or if its scratch cannot be had, BLAS
    if floating is float:
        if rg_available() and rg_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
            return
    gemm(ta, tb, <blas_int>m, <blas_int>n, <blas_int>k, alpha, a, <blas_int>lda, b,
         <blas_int>ldb, beta, c, <blas_int>ldc)

# a pair is "near" (recomputed exactly) when d^2 < NEAR * (|x|^2 + |w|^2)
cdef double NEAR = 0.5


cdef inline floating _exact(const floating* xr, const floating* w, Py_ssize_t j,
                            Py_ssize_t nin, Py_ssize_t nout) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating t, s = 0
    for i in range(nin):
        t = xr[i] - w[i * nout + j]
        s += t * t
    return s


cdef void _sqdist(const floating* x, const floating* w, floating* y, floating* xx,
                  floating* ww, unsigned char* near, Py_ssize_t n, Py_ssize_t nin,
                  Py_ssize_t nout) noexcept nogil:
    """Squared distances into y (n, nout); near[r, j] = 1 where recomputed
    exactly, else 0. xx (n) and ww (nout) are scratch."""
    cdef Py_ssize_t r, i, j
    cdef floating s, d2, v
    cdef const floating* xr
    cdef floating* yr
    for r in range(n):
        xr = x + r * nin
        s = 0
        for i in range(nin):
            s += xr[i] * xr[i]
        xx[r] = s
    for j in range(nout):
        ww[j] = 0
    for i in range(nin):
        for j in range(nout):
            v = w[i * nout + j]
            ww[j] += v * v
    _gemm(c'n', c'n', n, nout, nin, -2, x, nin, w, nout, 0, y, nout)
    cdef unsigned char* nr
    for r in range(n):
        yr = y + r * nout
        nr = near + r * nout
        # a branch-free pass (vectorised), then the rare near pairs
        for j in range(nout):
            s = xx[r] + ww[j]
            d2 = yr[j] + s
            nr[j] = d2 < NEAR * s
            yr[j] = d2
        for j in range(nout):
            if nr[j]:
                yr[j] = _exact(x + r * nin, w, j, nin, nout)


cdef void _dist(const floating* x, const floating* w, floating* y, floating* scratch,
                unsigned char* near, Py_ssize_t n, Py_ssize_t nin,
                Py_ssize_t nout) noexcept nogil:
    cdef Py_ssize_t r
    _sqdist(x, w, y, scratch, scratch + n, near, n, nin, nout)
    for r in range(n * nout):
        y[r] = sqrt(y[r])


cdef void _grad(const floating* x, const floating* w, const floating* go, floating* gi,
                floating* gw, floating* gfar, floating* gnear, floating* scratch,
                unsigned char* near, Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout,
                floating eps) noexcept nogil:
    cdef Py_ssize_t r, i, j, k
    cdef floating g, t, s
    cdef floating* rs = scratch            # (n) row sums of the far g
    cdef floating* cs = scratch + n        # (nout) column sums of the far g
    _sqdist(x, w, gnear, scratch, scratch + n, near, n, nin, nout)
    # g = go / (y + eps), split into far (GEMM) and near (exact) parts
    for k in range(n * nout):          # selects, not branches (vectorised)
        g = go[k] / (sqrt(gnear[k]) + eps)
        gfar[k] = 0 if near[k] else g
        gnear[k] = g if near[k] else 0
    for j in range(nout):
        cs[j] = 0
    for r in range(n):
        s = 0
        for j in range(nout):
            s += gfar[r * nout + j]
            cs[j] += gfar[r * nout + j]
        rs[r] = s
    # gradInput = x * rowsum(g) - g W^T ; gradWeight = W * colsum(g) - x^T g
    for r in range(n):
        for i in range(nin):
            gi[r * nin + i] = x[r * nin + i] * rs[r]
    _gemm(c'n', c't', n, nin, nout, -1, gfar, nout, w, nout, 1, gi, nin)
    for i in range(nin):
        for j in range(nout):
            gw[i * nout + j] = w[i * nout + j] * cs[j]
    _gemm(c't', c'n', nin, nout, n, -1, x, nin, gfar, nout, 1, gw, nout)
    # the near pairs, from the differences
    for r in range(n):
        for j in range(nout):
            if near[r * nout + j]:
                g = gnear[r * nout + j]
                for i in range(nin):
                    t = (x[r * nin + i] - w[i * nout + j]) * g
                    gi[r * nin + i] += t
                    gw[i * nout + j] -= t


cdef void* _alloc(Py_ssize_t nbytes) except NULL:
    cdef void* p = malloc(max(nbytes, 1))
    if p == NULL:
        raise MemoryError()
    return p


def update_output(cnp.ndarray x, cnp.ndarray w, cnp.ndarray y, Py_ssize_t n,
                  Py_ssize_t nin, Py_ssize_t nout):
    """y[r, j] = ||x[r] - w[:, j]||; C-contiguous, sizes checked by the caller."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* py = cnp.PyArray_DATA(y)
    cdef void* s = _alloc((n + nout) * cnp.PyArray_ITEMSIZE(x))
    cdef void* near = NULL
    try:
        near = _alloc(n * nout)
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _dist(<const float*>px, <const float*>pw, <float*>py, <float*>s,
                      <unsigned char*>near, n, nin, nout)
        else:
            with nogil:
                _dist(<const double*>px, <const double*>pw, <double*>py, <double*>s,
                      <unsigned char*>near, n, nin, nout)
    finally:
        free(s)
        free(near)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, Py_ssize_t n, Py_ssize_t nin, Py_ssize_t nout, double eps):
    """gradInput and gradWeight (written over) with g = go / (y + eps)."""
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef Py_ssize_t sz = cnp.PyArray_ITEMSIZE(x)
    cdef void* gf = NULL
    cdef void* gn = NULL
    cdef void* s = NULL
    cdef void* near = NULL
    try:
        gf = _alloc(n * nout * sz)
        gn = _alloc(n * nout * sz)
        s = _alloc((n + nout) * sz)
        near = _alloc(n * nout)
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _grad(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>gf, <float*>gn, <float*>s, <unsigned char*>near,
                      n, nin, nout, <float>eps)
        else:
            with nogil:
                _grad(<const double*>px, <const double*>pw, <const double*>pgo,
                      <double*>pgi, <double*>pgw, <double*>gf, <double*>gn, <double*>s,
                      <unsigned char*>near, n, nin, nout, eps)
    finally:
        free(gf)
        free(gn)
        free(s)
        free(near)
