"""Base classes of the module protocol: :class:`Module` and :class:`Criterion`.

A module class describes one Torch7 ``nn`` layer: its constructor options,
its parameters, one shape check shared by every backend, and its math. It
holds configuration only, never values from a call; the functions built
from it by :func:`nnfunc.functionalize` do the dict handling, dispatch,
buffer management and error reporting around it.

The protocol (what a third-party module implements) is documented in the
README ("Writing your own module"). In short:

``params``
    tuple of the parameter names, in Torch7 field spelling (``("weight",
    "bias")``); may be set per instance (``Linear(..., bias=False)``).
``param_shapes()``
    ``{name: shape}`` for the parameters.
``reset(rng)``
    Torch7's default initialisation: ``{name: numpy float64 array}`` drawn
    from the :class:`numpy.random.Generator` ``rng``.
``check(d)``
    validate shapes and options of the (already type-checked) dict ``d``;
    return an *info* object. ``output_shape(info)`` gives the output shape
    (by default ``info`` is that shape). Raise with :meth:`fail`.
``forward(xp, d, info)`` / ``backward(xp, d, info)``
    the generic math, written against the array API namespace ``xp``:
    ``forward`` returns the output array, ``backward`` a dict with
    ``gradInput`` and ``grad<Param>`` for each parameter. No in-place writes
    to anything in ``d``, no branching on array values.
``backends`` and ``forward_cpu(k, d, info, out)`` / ``backward_cpu(...)``
    optional fast paths: ``"cpu"`` in ``backends`` means the compiled module
    ``k = nnfunc._cpu.<kernel>`` is used for NumPy input; the method fills
    the preallocated C-contiguous arrays of ``out`` in place. ``"gpu"``
    likewise: ``forward_gpu(g, d, info, y)`` / ``backward_gpu(g, d, info,
    out)`` for CuPy input, ``g`` being :mod:`nnfunc._gpu` (kernel launchers
    over ``nnfunc/_gpu/kernels/*.cu``), every CuPy array of ``d`` made
    C-contiguous and the results preallocated CuPy arrays (float32, float64
    or float16).
``state`` and extra results
    ``state`` names float arrays the dict may carry besides the parameters
    (``running_mean``, a dropout ``noise`` mask): the frontend checks their
    namespace and dtype like a parameter's (and makes NumPy ones
    C-contiguous) when present; ``check`` decides which are required. They
    have no gradient. A forward that hands back more than ``output``
    (updated running statistics, the mask it drew) returns a dict:
    ``forward`` returns ``{"output": y, **extras}`` instead of ``y``, and
    ``forward_cpu`` returns the dict of extras (or None). The extra keys
    are listed in ``extra_outputs``. State is never written in place.
"""

import math

import numpy as np

from .errors import InputError, InputTypeError

__all__ = ["Module", "Criterion"]


def _grad_key(p):
    return "grad" + p[0].upper() + p[1:]


class Module:
    """Base class of every nnfunc module (a Torch7 ``nn.Module``)."""

    #: parameter names (Torch7 field names); instances may override.
    params = ()
    #: extra dict keys the module accepts besides input, params and buffers.
    extra_keys = ()
    #: float state arrays the dict may carry (no gradients; checked like params).
    state = ()
    #: keys a forward may return besides ``output`` (documented per module).
    extra_outputs = ()
    #: fast backends that exist for this module: "cpu" (Cython), "gpu" (CuPy).
    backends = ()
    #: basename of the compiled kernel module; default: snake_case class name.
    kernel = None
    #: True for criterions (scalar loss, ``target`` key).
    is_criterion = False
    #: what ``input`` holds: "float" (a float array, or a table of arrays of
    #: one float dtype), "int" (an integer array, e.g. class indices: the
    #: dtype of outputs and gradients is then ``result_dtype(xp)``, or the
    #: dtype of the parameter ``result_param``), or a
    #: tuple of kinds ("float", "int", "bool"), one per entry of a table of
    #: that length (float entries share one dtype).
    input_kind = "float"
    #: for ``input_kind == "int"``: the parameter whose float dtype outputs
    #: and gradients take (LookupTable: "weight"); None: ``result_dtype(xp)``.
    result_param = None
    #: the form of ``input``: False an array, True a table (a list of
    #: arrays), None either (Identity). The frontend refuses the other form
    #: with a TypeError naming the module, so ``check`` never sees it.
    #: A tuple ``input_kind`` implies a table.
    table_input = False
    #: the GPU methods take a table ``input`` (and fill a table
    #: ``gradInput``); otherwise a table input on CuPy runs the generic code
    gpu_tables = False

    def result_dtype(self, xp):
        """For ``input_kind == "int"``: the float dtype of outputs and
        gradients in namespace ``xp`` (None: NumPy)."""
        raise NotImplementedError

    # -- the protocol -----------------------------------------------------
    def param_shapes(self):
        """``{name: shape}`` of the parameters (empty for parameter-free modules)."""
        return {}

    def init_stdv(self):
        """Half-width of Torch7's default uniform initialisation U(-s, s)."""
        raise NotImplementedError

    def reset(self, rng):
        """Torch7's default initialisation as float64 NumPy arrays.

        The default draws every parameter from U(-s, s) with
        ``s = self.init_stdv()`` (Torch7's ``reset()`` for most layers).
        """
        shapes = self.param_shapes()
        if not shapes:
            return {}
        s = self.init_stdv()
        return {p: rng.uniform(-s, s, size=shp) for p, shp in shapes.items()}

    def check(self, d):
        """Validate ``d`` (shapes and options) and return the info object."""
        return tuple(d["input"].shape)

    def output_shape(self, info):
        """The shape of ``output`` (and so of ``gradOutput``) for this info."""
        return info

    def forward(self, xp, d, info):
        raise NotImplementedError

    def backward(self, xp, d, info):
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------
    @property
    def name(self):
        return type(self).__name__

    def fail(self, msg):
        """Raise :class:`~nnfunc.InputError` prefixed with the module name."""
        raise InputError(f"{self.name}: {msg}")

    def fail_type(self, msg):
        """Raise :class:`~nnfunc.InputTypeError` prefixed with the module name."""
        raise InputTypeError(f"{self.name}: {msg}")

    def check_ndim(self, key, a, allowed):
        """Fail unless ``a.ndim`` is in ``allowed``; return ``a.ndim``."""
        nd = a.ndim
        if nd not in allowed:
            want = " or ".join(str(n) for n in allowed)
            self.fail(f"'{key}' must be {want}-D, got shape {tuple(a.shape)}")
        return nd

    def check_shape(self, key, a, shape, why=""):
        """Fail unless ``a.shape == shape`` (exactly; broadcasting is not allowed)."""
        if tuple(a.shape) != tuple(shape):
            self.fail(f"'{key}' has shape {tuple(a.shape)}, expected {tuple(shape)}"
                      + (f" {why}" if why else ""))

    def axis_arg(self, key, x, dimension, nInputDims=None, name="dimension"):
        """The axis of array ``x`` that a 0-based Torch7 ``dimension`` names.

        A negative ``dimension`` counts from the end; a non-negative one is
        shifted by one when ``nInputDims`` is set and ``x`` has
        ``nInputDims + 1`` dimensions (a batch: Torch7's rule). Fails naming
        the module, ``name`` and ``key`` when the axis does not exist.
        """
        nd = x.ndim
        dim = dimension
        if dim >= 0 and nInputDims is not None and nd == nInputDims + 1:
            dim += 1
        elif dim < 0:
            dim += nd
        if not 0 <= dim < nd:
            self.fail(f"{name} {dimension} is out of range for {key!r} of shape "
                      f"{tuple(x.shape)}"
                      + ("" if nInputDims is None else f" (nInputDims={nInputDims})"))
        return dim

    def int_arg(self, name, value, minimum=1):
        """Validate an integer constructor argument ``>= minimum``."""
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InputTypeError(
                f"{self.name}: argument {name} must be an int, got {value!r}")
        if value < minimum:
            self.fail(f"argument {name} must be >= {minimum}, got {value}")
        return int(value)

    def float_arg(self, name, value):
        """Validate a real constructor argument (finite float)."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputTypeError(
                f"{self.name}: argument {name} must be a real number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            self.fail(f"argument {name} must be finite, got {value}")
        return value

    def bool_arg(self, name, value):
        """Validate a boolean option."""
        if not isinstance(value, (bool, np.bool_)):
            raise InputTypeError(
                f"{self.name}: argument {name} must be a bool, got {value!r}")
        return bool(value)

    def __repr__(self):
        return f"nnfunc.nn.{self.name}({self._repr_args()})"

    def _repr_args(self):
        return ""

    # -- derived key sets, computed once per instance ----------------------
    def _keysets(self):
        ks = getattr(self, "_keysets_cache", None)
        if ks is None:
            params = tuple(self.params)
            gparams = tuple(_grad_key(p) for p in params)
            base = ("input", "output", "gradOutput", "gradInput", "train")
            extra = tuple(self.extra_keys) + tuple(self.state)
            if self.is_criterion:
                extra = ("target",) + extra
            allowed = frozenset(base + params + gparams + extra)
            ks = (allowed, params, gparams)
            self._keysets_cache = ks
        return ks


class Criterion(Module):
    """Base class of every nnfunc criterion (a Torch7 ``nn.Criterion``).

    The forward returns a 0-d loss array; the gradient call takes an optional
    ``gradOutput`` (a number or 0-d array, default 1) that scales
    ``gradInput``. ``backward`` receives ``d["gradOutput"]`` already set.
    """

    is_criterion = True

    def output_shape(self, info):
        return ()
