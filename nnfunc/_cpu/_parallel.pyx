"""The kernels' thread pool (one per process; see ``_parallel.h``).

Large elementwise maps, softmax rows and the cross-entropy rows are split
over up to ``get_num_threads()`` threads (the calling thread included);
small ones never leave the calling thread. The limit comes from the
environment variable ``NNFUNC_NUM_THREADS`` (read at the first large
call; 1 turns threading off) or ``set_num_threads``; the default is
min(CPUs available to the process, 4). Results do not depend on it: maps
split at fixed element boundaries give the same bits, and reductions keep
one value per row and combine them in a fixed order.

It also keeps a few spare workspaces (``workspace`` / ``release``) for the
convolutions' column buffers: scratch memory only, never values (a result
never depends on what a workspace held), so that back-to-back calls do not
pay the kernel's page faults on fresh memory every time (measured: 378K ->
23K faults and ~13% of the CPU time over 150 VolumetricConvolution forward
and backward calls).
"""

import numpy as np

from scipy.linalg.cython_blas cimport sgemm as _blas_sgemm

cdef extern from *:
    """
    #include <dlfcn.h>
    /* OpenBLAS's per-thread thread count, looked up in the library that
       serves SciPy's cython_blas (dlsym on that module's handle searches its
       dependencies, where the BLAS is) */
    typedef int (*nnf_blas_local_fn)(int);
    static nnf_blas_local_fn nnf_blas_local = 0;
    static void nnf_find_blas_local(void* sym) {
    #if defined(__linux__) || defined(__APPLE__)
        Dl_info info;
        void* h;
        if (sym != 0 && dladdr(sym, &info) && info.dli_fname != 0) {
            h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
            if (h != 0)
                nnf_blas_local = (nnf_blas_local_fn)dlsym(h, "openblas_set_num_threads_local");
        }
    #else
        (void)sym;
    #endif
    }
    static int nnf_blas_local_set(int n) { return nnf_blas_local ? nnf_blas_local(n) : -1; }
    static int nnf_has_blas_local(void) { return nnf_blas_local != 0; }
    """
    void nnf_find_blas_local(void* sym)
    int nnf_blas_local_set(int n) noexcept nogil
    int nnf_has_blas_local() noexcept nogil

nnf_find_blas_local(<void*>_blas_sgemm)


cdef int blas_local_threads(int n) noexcept nogil:
    return nnf_blas_local_set(n)


def has_blas_local_threads():
    """Whether the BLAS takes a per-thread thread count (then the volumetric
    convolutions split their batch over the pool, one BLAS thread each)."""
    return bool(nnf_has_blas_local())


cdef extern from "_parallel.h" nogil:
    ctypedef void (*nnf_task_fn)(void* ctx, Py_ssize_t begin, Py_ssize_t end) noexcept
    void nnf_parallel_for(nnf_task_fn fn, void* ctx, Py_ssize_t n, Py_ssize_t grain,
                          Py_ssize_t align) noexcept
    int nnf_get_num_threads() noexcept
    void nnf_set_num_threads(int t) noexcept


cdef void parallel_for(task_fn fn, void* ctx, Py_ssize_t n, Py_ssize_t grain,
                       Py_ssize_t align) noexcept nogil:
    nnf_parallel_for(<nnf_task_fn>fn, ctx, n, grain, align)


def get_num_threads():
    """The number of threads a large kernel call may use (the caller included)."""
    return nnf_get_num_threads()


def set_num_threads(int n):
    """Limit the threads of later kernel calls to ``n`` (clamped to 1..64)."""
    nnf_set_num_threads(n)


#: spare workspaces (1-D arrays) and the limits of what is kept
_SPARE = []
_SPARE_COUNT = 4
_SPARE_BYTES = 64 << 20


def workspace(Py_ssize_t n, dtype):
    """A 1-D scratch array of at least ``n`` elements of ``dtype``, contents
    undefined: a spare one handed back earlier when one is large enough, else
    a new one. Callers use its memory only (it may be longer than ``n``) and
    hand it back with :func:`release` when done. Thread-safe: the list
    operations run under the GIL without releasing it."""
    cdef Py_ssize_t i
    for i in range(len(_SPARE)):
        a = _SPARE[i]
        if a.dtype == dtype and a.shape[0] >= n:
            del _SPARE[i]
            return a
    return np.empty(max(n, 0), dtype=dtype)


def release(a):
    """Keep ``a`` (from :func:`workspace`) for a later call: at most a few
    arrays of at most 64 MiB, the oldest dropped first."""
    if a.nbytes <= _SPARE_BYTES and a.nbytes > 0:
        if len(_SPARE) >= _SPARE_COUNT:
            del _SPARE[0]
        _SPARE.append(a)
