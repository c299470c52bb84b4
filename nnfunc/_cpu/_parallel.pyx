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
    #include <pthread.h>
    /* OpenBLAS's openblas_set_num_threads_local, looked up in the library
       that serves SciPy's cython_blas (dlsym on that module's handle searches
       its dependencies, where the BLAS is). Its scope is measured once: some
       builds keep the count per thread, others (SciPy's 0.3.31 wheel here)
       change it for the whole process. Shared scope: the callers of a batch
       set it to 1 and back through a depth count under a lock, so that
       overlapping batches from several threads restore the first value, never
       one of their own 1s. Per-thread scope: each thread of a batch sets and
       restores its own. */
    typedef int (*nnf_blas_local_fn)(int);
    static nnf_blas_local_fn nnf_blas_local = 0;
    static int nnf_blas_shared = 0;
    static pthread_mutex_t nnf_blas_mu = PTHREAD_MUTEX_INITIALIZER;
    static int nnf_blas_depth = 0, nnf_blas_saved = 0;

    static void* nnf_blas_probe(void* arg) { (void)arg; nnf_blas_local(1); return 0; }

    static void nnf_find_blas_local(void* sym) {
    #if defined(__linux__) || defined(__APPLE__)
        Dl_info info;
        void* h;
        pthread_t t;
        int p0, p1;
        if (sym != 0 && dladdr(sym, &info) && info.dli_fname != 0) {
            h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
            if (h != 0)
                nnf_blas_local = (nnf_blas_local_fn)dlsym(h, "openblas_set_num_threads_local");
        }
        if (nnf_blas_local == 0)
            return;
        /* the scope: another thread sets 1; does this thread see it? */
        p0 = nnf_blas_local(2);
        nnf_blas_local(2);
        if (pthread_create(&t, 0, nnf_blas_probe, 0) != 0) {
            nnf_blas_local(p0);
            nnf_blas_local = 0;            /* unknown scope: do not use it */
            return;
        }
        pthread_join(t, 0);
        p1 = nnf_blas_local(p0);
        nnf_blas_shared = p1 == 1;
    #else
        (void)sym;
    #endif
    }

    /* the caller of a batch, around it */
    static void nnf_blas_single_enter(void) {
        if (nnf_blas_local == 0 || !nnf_blas_shared) return;
        pthread_mutex_lock(&nnf_blas_mu);
        if (nnf_blas_depth++ == 0) nnf_blas_saved = nnf_blas_local(1);
        pthread_mutex_unlock(&nnf_blas_mu);
    }
    static void nnf_blas_single_leave(void) {
        if (nnf_blas_local == 0 || !nnf_blas_shared) return;
        pthread_mutex_lock(&nnf_blas_mu);
        if (--nnf_blas_depth == 0) nnf_blas_local(nnf_blas_saved);
        pthread_mutex_unlock(&nnf_blas_mu);
    }
    /* each thread of a batch, around its part: the previous count, or -1 */
    static int nnf_blas_thread_single(void) {
        return (nnf_blas_local != 0 && !nnf_blas_shared) ? nnf_blas_local(1) : -1;
    }
    static void nnf_blas_thread_restore(int prev) {
        if (prev != -1) nnf_blas_local(prev);
    }
    static int nnf_has_blas_local(void) { return nnf_blas_local != 0; }
    /* the count this thread's BLAS calls would use now (set and put back) */
    static int nnf_blas_now(void) {
        int p;
        if (nnf_blas_local == 0) return -1;
        pthread_mutex_lock(&nnf_blas_mu);
        p = nnf_blas_local(1);
        nnf_blas_local(p);
        pthread_mutex_unlock(&nnf_blas_mu);
        return p;
    }
    """
    void nnf_find_blas_local(void* sym)
    void nnf_blas_single_enter() noexcept nogil
    void nnf_blas_single_leave() noexcept nogil
    int nnf_blas_thread_single() noexcept nogil
    void nnf_blas_thread_restore(int prev) noexcept nogil
    int nnf_has_blas_local() noexcept nogil
    int nnf_blas_now() noexcept nogil
    int nnf_blas_shared

nnf_find_blas_local(<void*>_blas_sgemm)


cdef void blas_single_enter() noexcept nogil:
    nnf_blas_single_enter()


cdef void blas_single_leave() noexcept nogil:
    nnf_blas_single_leave()


cdef int blas_thread_single() noexcept nogil:
    return nnf_blas_thread_single()


cdef void blas_thread_restore(int prev) noexcept nogil:
    nnf_blas_thread_restore(prev)


def blas_threads_scope():
    """How the BLAS takes a thread count for one caller: "process" (the
    count is shared: a batch sets it for its duration), "thread" (per
    thread), or None (no such call: the convolutions then keep BLAS's own
    threads and do not split their batch)."""
    if not nnf_has_blas_local():
        return None
    return "process" if nnf_blas_shared else "thread"


def blas_threads_now():
    """The BLAS thread count the calling thread's calls would use now, or -1
    where the BLAS has no per-caller count (tests: a batch puts it back)."""
    return nnf_blas_now()


def has_blas_local_threads():
    """Whether the BLAS takes a thread count for one caller (see
    :func:`blas_threads_scope`): then the convolutions split their batch over
    the pool, one BLAS thread each."""
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
