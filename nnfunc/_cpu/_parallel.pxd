# The shared thread pool of the kernels (_parallel.h, one pool per process,
# owned by the nnfunc._cpu._parallel extension). A kernel module cimports
# parallel_for and calls it with a nogil task function over [0, n): small
# n (< 2 * grain) is one direct call on the calling thread, larger n is
# split into fixed contiguous parts (multiples of `align`) run on up to
# NNFUNC_NUM_THREADS threads. See _parallel.h for the rules.

ctypedef void (*task_fn)(void* ctx, Py_ssize_t begin, Py_ssize_t end) noexcept nogil

cdef void parallel_for(task_fn fn, void* ctx, Py_ssize_t n, Py_ssize_t grain,
                       Py_ssize_t align) noexcept nogil


cdef inline Py_ssize_t plane_grain(Py_ssize_t per_plane) noexcept nogil:
    # Planes per pool part for kernels split over independent planes (or
    # images): about 32K elements of work a part, like the pointwise maps, so
    # an input of fewer than ~64K elements stays on the calling thread.
    if per_plane < 1:
        per_plane = 1
    if per_plane >= 32768:
        return 1
    return 32768 // per_plane


# One BLAS thread per caller during a batch split over the pool (OpenBLAS >=
# 0.3.27's openblas_set_num_threads_local, found behind SciPy's cython_blas;
# no-ops without it). The batch's caller brackets the whole batch with
# blas_single_enter / blas_single_leave (they act where the count is shared by
# the process); each part brackets itself with prev = blas_thread_single() /
# blas_thread_restore(prev) (they act where the count is per thread).
cdef void blas_single_enter() noexcept nogil
cdef void blas_single_leave() noexcept nogil
cdef int blas_thread_single() noexcept nogil
cdef void blas_thread_restore(int prev) noexcept nogil
