"""Integer index arrays given as module input: range checks, and gathers within rows."""

from ._targets import _is_cupy, _values_known


def check_index_range(m, xp, idx, n, key, what, bounds=None):
    """Fail unless every value of ``idx`` lies in ``[0, n)``. Reads the
    values (validation before any indexing); skipped where they cannot be
    read now (``jax.jit`` tracers, Dask arrays). ``xp`` None is NumPy.
    ``bounds``: a function giving (min, max) of a NumPy ``idx`` in one pass
    (a kernel), used in place of ``idx.min()`` and ``idx.max()``."""
    if idx.ndim > 0 and 0 in tuple(idx.shape):
        return
    if not _values_known(idx):
        return
    if xp is None and bounds is not None:
        lo, hi = bounds(idx)
    elif xp is None:
        lo, hi = int(idx.min()), int(idx.max())
    elif _is_cupy(idx):     # one device-to-host copy (one wait on the stream), not two
        import cupy as cp
        lo, hi = cp.stack([idx.min(), idx.max()]).get().tolist()
    else:
        lo, hi = int(xp.min(idx)), int(xp.max(idx))
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        m.fail(f"{key!r} holds {what} {bad}, outside [0, {n}) (0-based)")


def _take_rows_blocks(a, i):
    from array_api_compat import array_namespace
    return array_namespace(a).take_along_axis(a, i, axis=-1)


def take_along_rows(xp, a, i):
    """``out[r, j] = a[r, i[r, j]]`` for 2-D ``a`` and integer ``i`` with the
    same number of rows: a gather within each row, so every row of the
    result reads only its own row of ``a`` (a Dask array chunked on the
    rows stays chunked, block by block). array-api-compat's Dask namespace
    has no ``take_along_axis``: there the gather runs block by block on
    the blocks' own arrays, each row held whole in one block."""
    f = getattr(xp, "take_along_axis", None)
    if f is not None:
        return f(a, i, axis=-1)
    a = a.rechunk({1: -1})
    i = i.rechunk((a.chunks[0], -1))
    import dask.array as da
    return da.map_blocks(_take_rows_blocks, a, i, dtype=a.dtype, chunks=i.chunks, meta=a._meta)
