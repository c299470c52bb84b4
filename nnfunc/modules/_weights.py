"""Per-class weight vectors given to a criterion's constructor (``weights``).

``weights_arg`` validates and stores them once as a read-only float64 NumPy
copy plus a float32 copy (``by_dtype``), so one criterion serves every dtype
and namespace; ``weights_like`` converts them for a generic call.
"""

import numpy as np

from .._core.errors import InputTypeError


def weights_arg(m, weights):
    """``(w64, {dtype: w})`` for a 1-D array-like ``weights``; ``(None, {})`` for None."""
    if weights is None:
        return None, {}
    if hasattr(weights, "dtype") and not hasattr(weights, "__array__"):
        # e.g. a CuPy array: NumPy refuses an implicit device copy
        raise _bad(m, f"an array NumPy can read, got {type(weights).__name__}")
    try:
        w = np.array(weights, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as e:
        raise _bad(m, f"real numbers ({e})") from None
    if w.ndim != 1 or w.shape[0] == 0:
        m.fail(f"argument weights must be 1-D with one entry per class, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        m.fail("argument weights must be finite")
    w.flags.writeable = False
    w32 = w.astype(np.float32)
    w32.flags.writeable = False
    return w, {np.dtype(np.float64): w, np.dtype(np.float32): w32}


def _bad(m, what):
    return InputTypeError(f"{m.name}: argument weights must be None or a 1-D "
                          f"array-like of {what}")


def weights_like(xp, w, x):
    """The stored float64 weights ``w`` as an array of ``x``'s namespace, dtype, device."""
    import array_api_compat
    return xp.asarray(w, dtype=x.dtype, device=array_api_compat.device(x), copy=True)
