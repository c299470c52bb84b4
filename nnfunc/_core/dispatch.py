"""Backend dispatch: the type of ``d["input"]`` picks the implementation.

Three backends sit behind one call (``../shared/API.md`` section 4):

``"cpu"``
    NumPy input, module with a compiled kernel: Cython over BLAS.
``"generic"``
    any other array-API namespace (and NumPy input for modules without a
    kernel, or when ``backend="generic"`` is asked for): the module's
    array-API code through :mod:`array_api_compat`.

Dispatch is on ``type(input)`` first, through a dict; the full namespace
inspection (:func:`array_api_compat.array_namespace`) runs once per new
array type and is cached.
"""

import importlib
import threading

import numpy as np

from .errors import InputTypeError

__all__ = ["namespace_of", "kernel_module", "which"]

_lock = threading.Lock()
_ns_by_type = {}      # array type -> array-API namespace (compat-wrapped)
_kernels = {}         # module class -> imported nnfunc._cpu.<kernel>


def namespace_of(m, key, a):
    """The array-API namespace of array ``a`` (cached per type)."""
    t = type(a)
    xp = _ns_by_type.get(t)
    if xp is None:
        import array_api_compat
        try:
            xp = array_api_compat.array_namespace(a)
        except TypeError:
            raise InputTypeError(
                f"{m.name}: '{key}' must be an array, got {t.__module__}.{t.__qualname__}"
            ) from None
        with _lock:
            _ns_by_type[t] = xp
    return xp


def same_namespace(m, key, v, x):
    """Whether ``v``, whose type differs from the input ``x``'s, still belongs
    with it: both arrays of one namespace other than NumPy (a JAX tracer next
    to a concrete JAX array). NumPy input always needs exact ``ndarray``
    entries, which is what the compiled kernels read."""
    if type(x) is np.ndarray or not hasattr(v, "__array_namespace__") \
            or not hasattr(x, "__array_namespace__"):
        return False
    try:
        return namespace_of(m, key, v) is namespace_of(m, "input", x)
    except TypeError:
        return False


def numpy_namespace():
    import array_api_compat.numpy as npx
    return npx


def kernel_module(m):
    """Import (once) and return the compiled kernel module of module ``m``.

    A module that declares ``"cpu"`` in ``backends`` but whose kernel does
    not import is an error, never a silent fallback to the generic code.
    """
    k = _kernels.get(type(m))
    if k is None:
        name = m.kernel or _snake(type(m).__name__)
        k = importlib.import_module(f"nnfunc._cpu.{name}")
        with _lock:
            _kernels[type(m)] = k
    return k


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and (not name[i - 1].isupper()
                                  or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def which(fn, d):
    """The backend that ``fn(d)`` would run: ``"cpu"`` or ``"generic"``.

    For tests and diagnostics; ``fn`` is an eval or grad function.
    """
    m = fn.module
    x = d["input"]
    if isinstance(x, (list, tuple)):
        x = x[0]
    if type(x) is np.ndarray and "cpu" in m.backends:
        return "cpu"
    return "generic"
