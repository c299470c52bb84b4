# A convolution's batch over the thread pool (spatial_convolution.pyx,
# volumetric_convolution.pyx).
#
# The samples are cut into groups, each with its own gradWeight (and
# gradBias) partial, and the groups into up to get_num_threads() chunks,
# each chunk with its own workspaces. With a BLAS that takes a per-thread
# thread count (openblas_set_num_threads_local, see _parallel.pxd) the chunks run side
# by side on the pool, one BLAS thread each, so that the unfolds, folds and
# GEMMs of different samples overlap (the plain loop ran the copies on one
# core while BLAS's threads waited between small GEMMs); otherwise one chunk
# runs everything with BLAS's own threads. The partials are added in group
# order afterwards, so the bits depend on the batch, never on the number of
# threads.

from nnfunc._cpu._blas cimport floating
from nnfunc._cpu._parallel cimport (
    blas_single_enter, blas_single_leave, blas_thread_restore, blas_thread_single, parallel_for,
)

#: one chunk of a batch: ctx is the module's job, c the chunk's number
ctypedef void (*chunk_fn)(const void* ctx, Py_ssize_t c) noexcept nogil


ctypedef struct Chunks:
    chunk_fn fn
    const void* ctx
    Py_ssize_t n        # chunks


cdef inline void _chunks_task(void* ctx, Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    cdef const Chunks* k = <const Chunks*>ctx
    cdef Py_ssize_t c
    cdef int prev = blas_thread_single() if k.n > 1 else -1
    for c in range(c0, c1):
        k.fn(k.ctx, c)
    blas_thread_restore(prev)


cdef inline void run_chunks(chunk_fn fn, const void* ctx, Py_ssize_t n) noexcept nogil:
    """fn(ctx, c) for c in [0, n), the chunks on the pool (one BLAS thread each
    when there are several)."""
    cdef Chunks k
    k.fn, k.ctx, k.n = fn, ctx, n
    if n > 1:
        blas_single_enter()
    parallel_for(_chunks_task, &k, n, 1, 1)
    if n > 1:
        blas_single_leave()


cdef inline Py_ssize_t group_size(Py_ssize_t N, Py_ssize_t partial_bytes,
                                  Py_ssize_t most_bytes, bint split) noexcept nogil:
    """Samples per group: one (split, partials of partial_bytes each fit in
    most_bytes all together), more where they would not, the whole batch
    without a split (one chunk then, the plain loop); partial_bytes 0: no
    partials (a forward)."""
    cdef Py_ssize_t most
    if not split:
        return max(N, <Py_ssize_t>1)
    if partial_bytes <= 0:
        return 1
    most = max(<Py_ssize_t>1, most_bytes // partial_bytes)
    return max((N + most - 1) // most, <Py_ssize_t>1)


cdef inline void sum_groups(floating* dst, const floating* part, Py_ssize_t ngroups,
                            Py_ssize_t n) noexcept nogil:
    """dst = part[0] + part[1] + ... (ngroups partials of n elements), in order."""
    cdef Py_ssize_t g, i
    cdef const floating* s
    for i in range(n):
        dst[i] = part[i]
    for g in range(1, ngroups):
        s = part + g * n
        for i in range(n):
            dst[i] = dst[i] + s[i]
