"""The kernels' thread pool (one per process; see ``_parallel.h``).

Large elementwise maps, softmax rows and the cross-entropy rows are split
over up to ``get_num_threads()`` threads (the calling thread included);
small ones never leave the calling thread. The limit comes from the
environment variable ``NNFUNC_NUM_THREADS`` (read at the first large
call; 1 turns threading off) or ``set_num_threads``; the default is
min(CPUs available to the process, 4). Results do not depend on it: maps
split at fixed element boundaries give the same bits, and reductions keep
one value per row and combine them in a fixed order.
"""

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
