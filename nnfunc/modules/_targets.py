"""Checks of a criterion's ``target`` (the frontend leaves it to the module).

``float_target``: a float array of the input's type and dtype (regression
criterions). ``class_target``: an integer array of the input's type whose
values are class indices in ``[0, nClasses)`` or the ignore index (None:
none). Both
fail with messages that name the module and ``'target'``.
"""

import numpy as np

from .._core.dispatch import numpy_namespace, same_namespace

_INT64_MAX = 2**63 - 1


def _where(t):
    return f"{t.__module__.split('.')[0]}.{t.__qualname__}"


def _target_array(m, d, kind):
    x = d["input"]
    t = d.get("target")
    if t is None:
        m.fail("missing key 'target'")
    if type(t) is not type(x) and not same_namespace(m, "target", t, x):
        m.fail_type(f"'target' must be {kind} array of the input's type "
                    f"({_where(type(x))}), got {_where(type(t))}")
    return x, t


def float_target(m, d):
    """The target of a regression criterion: same array type and dtype as input."""
    x, t = _target_array(m, d, "a float")
    if t.dtype != x.dtype:
        m.fail_type(f"'target' has dtype {t.dtype}, expected {x.dtype} (the dtype of "
                    "'input'); nnfunc never casts silently")
    return t


def _is_integer(xp, t):
    if type(t) is np.ndarray:
        return t.dtype.kind in "iu"
    return xp.isdtype(t.dtype, "integral")


def class_target(m, d, xp, n_classes, ignore_index, shape, why=""):
    """Validate class indices: integer dtype, the given shape, and every value
    in ``[0, n_classes)`` or equal to ``ignore_index``. Reads the values (this
    is validation, done once per call before any kernel sees them). ``xp``
    is None for NumPy arrays."""
    x, t = _target_array(m, d, "an integer")
    if not _is_integer(xp, t):
        m.fail_type(f"'target' must have an integer dtype (class indices), got {t.dtype}")
    m.check_shape("target", t, shape, why)
    if (t.ndim == 0 or t.shape[0] > 0) and _values_known(t):
        if type(t) is np.ndarray:
            lo, hi = int(t.min()), int(t.max())
        else:
            lo, hi = int(xp.min(t)), int(xp.max(t))
        if lo < 0 or hi >= n_classes:
            _range_slow_path(m, xp, t, lo, hi, n_classes, ignore_index)
    return t


def _values_known(t):
    """Whether the values of ``t`` can be read now.

    Inside ``jax.jit`` (a tracer) and for Dask arrays (a lazy graph) they
    cannot, and the range check is skipped: the call stays traceable and lazy.
    An out-of-range target there contributes a zero row to the loss and its
    gradient (the one-hot of the generic code matches no class).
    """
    if type(t) is np.ndarray:
        return True
    import sys
    jax_core = sys.modules.get("jax.core")
    if jax_core is not None and isinstance(t, jax_core.Tracer):
        return False
    dask_array = sys.modules.get("dask.array")
    if dask_array is not None and isinstance(t, dask_array.Array):
        return False
    return True


def _range_slow_path(m, xp, t, lo, hi, n_classes, ig):
    """Some value is outside [0, n_classes): fail unless all of those are ``ig``."""
    def bad(v):
        m.fail(f"'target' holds class index {v}, outside [0, {n_classes}) "
               f"({n_classes} classes in 'input'; indices are 0-based)"
               + ("" if ig is None else f" and not the ignored value {ig}"))
    if hi > _INT64_MAX:
        bad(hi)
    if not (lo < 0 or hi >= n_classes) or (ig is not None and lo == hi == ig):
        return
    if xp is None:
        xp = numpy_namespace()
    t64 = xp.astype(t, xp.int64)
    out = (t64 < 0) | (t64 >= n_classes)
    if ig is not None:
        out = out & (t64 != ig)
    if bool(xp.any(out)):
        # every value not flagged is >= lo, so the max of the flagged ones is flagged
        bad(int(xp.max(xp.where(out, t64, xp.full_like(t64, lo)))))
