"""Range checks of integer index arrays given as module input."""

from ._targets import _values_known


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
    else:
        lo, hi = int(xp.min(idx)), int(xp.max(idx))
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        m.fail(f"{key!r} holds {what} {bad}, outside [0, {n}) (0-based)")
