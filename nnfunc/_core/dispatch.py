"""Backend dispatch: the type of ``d["input"]`` picks the implementation.

Three backends sit behind one call (``../shared/API.md`` section 4):

``"cpu"``
    NumPy input, module with a compiled kernel: Cython over BLAS.
``"gpu"``
    CuPy input (``cupy.ndarray``), module with ``"gpu"`` in ``backends``:
    its ``forward_gpu`` / ``backward_gpu`` over the CUDA kernels of
    :mod:`nnfunc._gpu` and cuBLAS. CuPy input of any other module runs the
    generic code on CuPy.
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

__all__ = ["namespace_of", "kernel_module", "gpu_module", "is_cupy", "which"]

_lock = threading.Lock()
_ns_by_type = {}      # array type -> array-API namespace (compat-wrapped)
_kernels = {}         # module class -> imported nnfunc._cpu.<kernel>
_cupy_types = {}      # array type -> whether it is cupy.ndarray
_gpu = []             # [nnfunc._gpu] once imported


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


def is_cupy(t):
    """Whether array type ``t`` is ``cupy.ndarray`` (decided by name, cached:
    CuPy is never imported here; a CuPy array exists only if it was)."""
    r = _cupy_types.get(t)
    if r is None:
        r = t.__name__ == "ndarray" and t.__module__.split(".")[0] == "cupy"
        with _lock:
            _cupy_types[t] = r
    return r


def gpu_module():
    """The GPU backend package :mod:`nnfunc._gpu` (imported on first use)."""
    if not _gpu:
        g = importlib.import_module("nnfunc._gpu")
        with _lock:
            if not _gpu:
                _gpu.append(g)
    return _gpu[0]


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and (not name[i - 1].isupper()
                                  or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def which(fn, d):
    """The backend that ``fn(d)`` would run: ``"cpu"``, ``"gpu"`` or ``"generic"``.

    For tests and diagnostics; ``fn`` is an eval or grad function.
    """
    m = fn.module
    x = d["input"]
    if isinstance(x, (list, tuple)):
        x = x[0]
    if type(x) is np.ndarray and "cpu" in m.backends:
        return "cpu"
    # (the GPU kernels take array input: a table input runs the generic code)
    if "gpu" in m.backends and type(x) is not np.ndarray and is_cupy(type(x)) \
            and x is d["input"]:
        return "gpu"
    return "generic"
