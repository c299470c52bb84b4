"""Eval/grad function pairs built from module instances, and ``gradsOf``.

``Function`` is the eval function: called with a dict it returns
``{"output": ...}``, or the gradients when ``gradOutput`` is in the dict.
It also unpacks into ``(eval, grad)``. ``GradFunction`` always computes
gradients. Both hold the module instance (configuration only); neither
keeps anything from one call to the next, so results depend only on the
dict passed in, and two threads may call the same function at once.
"""

import numbers
import sys
import weakref

import numpy as np

from .dispatch import (gpu_module, is_cupy, kernel_module, namespace_of, numpy_namespace,
                       same_namespace)
from .errors import InputError, InputTypeError, suggest_key

__all__ = ["Function", "GradFunction", "gradsOf", "grads_of"]

#: eval function -> grad function, weakly keyed (a dead eval function
#: leaves the table; its grad function keeps working for whoever holds it).
gradsOf = weakref.WeakKeyDictionary()
grads_of = gradsOf

_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_empty = np.empty


# --------------------------------------------------------------------------
# error helpers (cold paths)

def _where(t):
    mod = t.__module__.split(".")[0]
    return f"{mod}.{t.__qualname__}"


def _bad_dict(m, d):
    raise InputTypeError(f"{m.name}: expected a dict of arrays, got {type(d).__name__}")


def _unknown_key(m, k, grad):
    allowed = m._keysets()[0]
    hint = suggest_key(k, allowed)
    msg = f"{m.name}: unknown key {k!r}"
    if hint is not None:
        msg += f"; did you mean {hint!r}?"
    else:
        msg += f"; accepted keys: {', '.join(sorted(allowed))}"
    raise InputError(msg)


def _missing(m, k):
    raise InputError(f"{m.name}: missing key {k!r}")


def _not_same_type(m, k, v, x):
    """Raise for an entry ``v`` whose type differs from the input's, unless
    both belong to one non-NumPy namespace (a JAX tracer next to a concrete
    JAX array, two tracer kinds under ``jax.grad``): the generic path takes
    those as they are. NumPy input needs exact ``ndarray`` entries (kernels)."""
    if same_namespace(m, k, v, x):
        return
    if not (hasattr(v, "__array_namespace__") or hasattr(v, "__array__")) or v is None:
        raise InputTypeError(
            f"{m.name}: {k!r} must be an array like 'input' ({_where(type(x))}), "
            f"got {type(v).__name__} {v!r}")
    raise InputTypeError(
        f"{m.name}: mixed array namespaces: 'input' is {_where(type(x))} but "
        f"{k!r} is {_where(type(v))}")


def _bad_dtype(m, k, v, dt):
    if m.input_kind != "int":
        why = "the dtype of 'input'"
    elif m.result_param is not None:
        why = f"the dtype of {m.result_param!r}"
    else:
        why = "the module's result dtype"
    raise InputTypeError(
        f"{m.name}: {k!r} has dtype {v.dtype}, expected {dt} ({why}); "
        "nnfunc never casts silently")


def _bad_input_dtype(m, x, supported):
    raise InputTypeError(
        f"{m.name}: 'input' has dtype {x.dtype}; supported: {supported}")


def _check_buffer(m, k, buf, x, dt, shape, d):
    """Validate a caller-provided output/gradient buffer (cold path)."""
    if type(buf) is not type(x):
        _not_same_type(m, k, buf, x)
    if buf.dtype != dt:
        _bad_dtype(m, k, buf, dt)
    if tuple(buf.shape) != tuple(shape):
        raise InputError(
            f"{m.name}: buffer {k!r} has shape {tuple(buf.shape)}, expected "
            f"{tuple(shape)} (buffers must match exactly, no broadcasting)")
    if type(buf) is _ndarray:
        if not buf.flags.writeable:
            raise InputError(f"{m.name}: buffer {k!r} is read-only")
        for k2, v in d.items():
            for i, e in enumerate(v if type(v) in (list, tuple) else (v,)):
                if type(e) is _ndarray and k2 != k.split("[")[0] \
                        and np.may_share_memory(buf, e):
                    where = k2 if type(v) not in (list, tuple) else f"{k2}[{i}]"
                    raise InputError(
                        f"{m.name}: buffer {k!r} shares memory with {where!r}; "
                        "buffers must not alias inputs or each other")
    elif is_cupy(type(buf)):
        _check_gpu_alias(m, k, buf, d)


def _check_gpu_alias(m, k, buf, d):
    """A CuPy buffer must not overlap an input (bounds test: no device sync)."""
    cp = sys.modules["cupy"]
    t = type(buf)
    for k2, v in d.items():
        for i, e in enumerate(v if type(v) in (list, tuple) else (v,)):
            if type(e) is t and k2 != k.split("[")[0] and cp.may_share_memory(buf, e):
                where = k2 if type(v) not in (list, tuple) else f"{k2}[{i}]"
                raise InputError(
                    f"{m.name}: buffer {k!r} shares memory with {where!r}; "
                    "buffers must not alias inputs or each other")


def _check_bool(m, d):
    t = d.get("train", True)
    if not isinstance(t, (bool, np.bool_)):
        raise InputTypeError(f"{m.name}: 'train' must be a bool, got {t!r}")


def _criterion_go(m, go, x, dt):
    """Normalise a criterion's gradOutput: a real number or a 0-d array."""
    if isinstance(go, np.generic) and not isinstance(go, np.bool_):
        go = go.item()          # a NumPy scalar is a number, whatever the input's type
    if type(go) is type(x) or hasattr(go, "shape"):
        if type(go) is not type(x):
            _not_same_type(m, "gradOutput", go, x)
        if tuple(go.shape) != ():
            raise InputError(
                f"{m.name}: 'gradOutput' of a criterion must be a number or a 0-d array, "
                f"got shape {tuple(go.shape)}")
        if go.dtype != dt:
            _bad_dtype(m, "gradOutput", go, dt)
        return go
    if isinstance(go, bool) or not isinstance(go, numbers.Real):
        raise InputTypeError(
            f"{m.name}: 'gradOutput' of a criterion must be a number or a 0-d array, got {go!r}")
    return float(go)


# --------------------------------------------------------------------------
# tables: lists of arrays as input, output or gradient (cold paths)

def _same_kind_list(m, key, v, x, contiguous):
    """Check a list of arrays against the array ``x`` (type, dtype); return a
    list (C-contiguous copies where needed for the NumPy kernels)."""
    if len(v) == 0:
        raise InputError(f"{m.name}: {key!r} is an empty list; expected arrays")
    out = []
    for i, e in enumerate(v):
        k = f"{key}[{i}]"
        if type(e) is not type(x):
            _not_same_type(m, k, e, x)
        if e.dtype != x.dtype:
            _bad_dtype(m, k, e, x.dtype)
        out.append(np.ascontiguousarray(e) if contiguous and not e.flags.c_contiguous else e)
    return out


def _wrong_form(m, x):
    """``input`` is a list for an array module, or not a list for a table module."""
    if type(x) in (list, tuple):
        raise InputTypeError(f"{m.name}: 'input' must be an array, not a list")
    raise InputTypeError(f"{m.name}: 'input' must be a list of arrays (a table), "
                         f"got {_where(type(x))}")


def _prepare_table_input(m, a, x):
    """A table input: every entry an array of the first one's type and dtype
    (or, for a module whose ``input_kind`` is a tuple, of the kind it names)."""
    if len(x) == 0:
        raise InputError(f"{m.name}: 'input' is an empty list; expected arrays")
    kinds = m.input_kind
    if type(kinds) is tuple:
        return _prepare_kinded_table(m, a, x, kinds)
    first = x[0]
    if not hasattr(first, "dtype") or not hasattr(first, "shape"):
        raise InputTypeError(f"{m.name}: 'input[0]' must be an array, got {type(first).__name__}")
    a["input"] = _same_kind_list(m, "input", x, first, type(first) is _ndarray)
    return first


def _is_kind(xp, dt, kind):
    """Whether dtype ``dt`` (of namespace ``xp``, None for NumPy) is of ``kind``."""
    if xp is None:
        want = {"float": "f", "int": "iu", "bool": "b"}[kind]
        return dt.kind in want
    return xp.isdtype(dt, {"float": "real floating", "int": "integral", "bool": "bool"}[kind])


def _prepare_kinded_table(m, a, x, kinds):
    """A table of a fixed length whose entries have the kinds ``kinds``
    ("float", "int", "bool"); float entries share one dtype. Returns the
    first float entry (the reference for dtypes and namespaces)."""
    if len(x) != len(kinds):
        raise InputError(f"{m.name}: 'input' must be a list of {len(kinds)} arrays "
                         f"({', '.join(kinds)}), got {len(x)}")
    ref = x[kinds.index("float")]
    if not hasattr(ref, "dtype") or not hasattr(ref, "shape"):
        raise InputTypeError(f"{m.name}: 'input[{kinds.index('float')}]' must be an array, "
                             f"got {type(ref).__name__}")
    numpy = type(ref) is _ndarray
    xp = None if numpy else namespace_of(m, "input", ref)
    out = []
    for i, (e, kind) in enumerate(zip(x, kinds)):
        k = f"input[{i}]"
        if type(e) is not type(ref):
            _not_same_type(m, k, e, ref)
        if not _is_kind(xp, e.dtype, kind):
            raise InputTypeError(f"{m.name}: {k!r} has dtype {e.dtype}; expected a {kind} "
                                 "dtype")
        if kind == "float" and e.dtype != ref.dtype:
            _bad_dtype(m, k, e, ref.dtype)
        out.append(np.ascontiguousarray(e) if numpy and not e.flags.c_contiguous else e)
    a["input"] = out
    return ref


def _check_state(m, d, a, x, dt, numpy):
    """State arrays present in ``d`` (running statistics, masks): the input's
    array type and the result dtype; NumPy ones made C-contiguous in ``a``."""
    for k in m.state:
        v = d.get(k)
        if v is None:
            continue
        if type(v) is not type(x):
            _not_same_type(m, k, v, x)
        if v.dtype != dt:
            _bad_dtype(m, k, v, dt)
        if numpy and not v.flags.c_contiguous:
            a[k] = np.ascontiguousarray(v)


def _result_dtype(m, x, xp, a):
    """The float dtype of outputs and gradients: the input's, or for a module
    with integer input (``input_kind == "int"``) the one the module names
    (the dtype of its parameter ``result_param`` when it has one; ``a`` is
    the prepared dict)."""
    if m.input_kind == "int":
        if m.result_param is not None:
            return a[m.result_param].dtype
        return m.result_dtype(xp)
    return x.dtype


def _param_result_dtype(m, d, x, xp):
    """For an integer-input module whose results follow a parameter
    (``result_param``, LookupTable's weight): that parameter's float dtype,
    after checking it is an array of the input's type (cold path)."""
    p = m.result_param
    v = d.get(p)
    if v is None:
        _missing(m, p)
    if type(v) is not type(x):
        _not_same_type(m, p, v, x)
    dt = v.dtype
    if xp is None:
        if dt != _F32 and dt != _F64:
            raise InputTypeError(f"{m.name}: {p!r} has dtype {dt}; supported: float32, float64")
        return _F32 if dt == _F32 else _F64
    if not xp.isdtype(dt, "real floating"):
        raise InputTypeError(f"{m.name}: {p!r} has dtype {dt}; supported: real floating dtypes")
    return dt


def _is_table(spec):
    return type(spec) is list


def _check_buffers(m, k, buf, x, dt, spec, d):
    """A buffer for a result of shape ``spec`` (a tuple, or a list of tuples)."""
    if not _is_table(spec):
        _check_buffer(m, k, buf, x, dt, spec, d)
        return
    if type(buf) not in (list, tuple) or len(buf) != len(spec):
        raise InputError(f"{m.name}: buffer {k!r} must be a list of {len(spec)} arrays")
    for i, (b, shp) in enumerate(zip(buf, spec)):
        _check_buffer(m, f"{k}[{i}]", b, x, dt, shp, d)
        for j in range(i):
            if type(b) is _ndarray and np.may_share_memory(b, buf[j]):
                raise InputError(f"{m.name}: buffer {k}[{i}] shares memory with {k}[{j}]")


def _result_arrays(bufs, g, spec, dt):
    """Arrays for the kernels to fill: caller buffers when C-contiguous."""
    if _is_table(spec):
        b = bufs.get(g) if bufs else None
        return [(b[i] if b is not None and b[i].flags.c_contiguous else _empty(s, dt))
                for i, s in enumerate(spec)]
    return _out_array(bufs, g, spec, dt)


def _fill(b, r, m, k):
    """Copy result ``r`` into buffer ``b`` (arrays or lists); return ``b``."""
    if type(b) in (list, tuple):
        for i, (bi, ri) in enumerate(zip(b, r)):
            _fill(bi, ri, m, f"{k}[{i}]")
    elif b is not r:
        try:
            b[...] = r
        except (TypeError, ValueError, NotImplementedError) as e:
            # e.g. JAX arrays, which are immutable: use the returned arrays instead
            raise InputTypeError(
                f"{m.name}: buffer {k!r} ({_where(type(b))}) cannot be written in place "
                f"({e}); leave it out of the dict and use the returned array") from None
    return b


def _spec(a):
    return [tuple(e.shape) for e in a] if type(a) is list else tuple(a.shape)


# --------------------------------------------------------------------------
# the call

def _prepare(m, d, grad):
    """Key check, namespace/dtype check of parameters and gradOutput.

    Returns ``(a, x, xp)``: ``a`` a shallow copy of ``d`` whose NumPy arrays
    are C-contiguous (``xp`` None for NumPy input) and whose criterion
    gradOutput is normalised.
    """
    if type(d) is not dict:
        if not hasattr(d, "keys"):
            _bad_dict(m, d)
        d = dict(d)
    allowed, params, gparams = m._keysets()
    for k in d:
        if k not in allowed:
            _unknown_key(m, k, grad)
    x = d.get("input")
    if x is None:
        _missing(m, "input")
    a = d.copy()
    if type(x) is list or type(x) is tuple:
        if m.table_input is False:
            _wrong_form(m, x)
        x = _prepare_table_input(m, a, x)
    elif m.table_input:
        _wrong_form(m, x)
    xt = type(x)
    if xt is _ndarray:
        xp = None
        dt = x.dtype
        if m.input_kind == "int":
            if dt.kind not in "iu":
                _bad_input_dtype(m, x, "integer dtypes (indices)")
            dt = m.result_dtype(None) if m.result_param is None else \
                _param_result_dtype(m, d, x, None)
        elif dt is not _F32 and dt is not _F64:
            if dt != _F32 and dt != _F64:
                _bad_input_dtype(m, x, "float32, float64")
            dt = _F32 if dt == _F32 else _F64
        if not x.flags.c_contiguous and a["input"] is x:
            a["input"] = np.ascontiguousarray(x)
        for p in params:
            v = d.get(p)
            if type(v) is not _ndarray:
                if v is None:
                    _missing(m, p)
                _not_same_type(m, p, v, x)
            if v.dtype is not dt and v.dtype != dt:
                _bad_dtype(m, p, v, dt)
            if not v.flags.c_contiguous:
                a[p] = np.ascontiguousarray(v)
        if m.state:
            _check_state(m, d, a, x, dt, True)
    else:
        xp = namespace_of(m, "input", x)
        dt = x.dtype
        if m.input_kind == "int":
            if not xp.isdtype(dt, "integral"):
                _bad_input_dtype(m, x, "integer dtypes (indices)")
            dt = m.result_dtype(xp) if m.result_param is None else \
                _param_result_dtype(m, d, x, xp)
        elif not xp.isdtype(dt, "real floating"):
            _bad_input_dtype(m, x, "real floating dtypes")
        for p in params:
            v = d.get(p)
            if type(v) is not xt:
                if v is None:
                    _missing(m, p)
                _not_same_type(m, p, v, x)
            if v.dtype != dt:
                _bad_dtype(m, p, v, dt)
        if m.state:
            _check_state(m, d, a, x, dt, False)
    if "train" in d:
        _check_bool(m, d)
    if grad:
        go = d.get("gradOutput")
        if m.is_criterion:
            a["gradOutput"] = 1.0 if go is None else _criterion_go(m, go, x, dt)
        else:
            if go is None:
                _missing(m, "gradOutput")
            if type(go) is list or type(go) is tuple:
                a["gradOutput"] = _same_kind_list(m, "gradOutput", go, x, xp is None)
            else:
                if type(go) is not xt:
                    _not_same_type(m, "gradOutput", go, x)
                if go.dtype != dt:
                    _bad_dtype(m, "gradOutput", go, dt)
                if xp is None and not go.flags.c_contiguous:
                    a["gradOutput"] = np.ascontiguousarray(go)
    else:
        a.pop("gradOutput", None)
    # any other array in the dict must come from the same namespace
    for k, v in d.items():
        if type(v) is not xt and hasattr(v, "__array_namespace__") and k not in params:
            if not (m.is_criterion and k == "gradOutput"):
                _not_same_type(m, k, v, x)
    return a, x, xp


def _forward(m, d, backend):
    a, x, xp = _prepare(m, d, False)
    info = m.check(a)
    shape = m.output_shape(info)
    buf = d.get("output")
    dt = _result_dtype(m, x, xp, a)
    if buf is not None:
        _check_buffers(m, "output", buf, x, dt, shape, d)
    if xp is None and backend is None and "cpu" in m.backends:
        k = kernel_module(m)
        if _is_table(shape):
            y = _result_arrays({"output": buf}, "output", shape, dt)
        elif buf is not None and buf.flags.c_contiguous:
            y = buf
        else:
            y = _empty(shape, dt)
        extra = m.forward_cpu(k, a, info, y)
        if buf is not None:
            y = _fill(buf, y, m, "output")
        if extra:
            return {"output": y, **extra}
        return {"output": y}
    if backend not in (None, "generic"):
        raise InputError(f"{m.name}: unknown backend {backend!r}; use 'generic' or None")
    if xp is None:
        xp = numpy_namespace()
    elif backend is None and "gpu" in m.backends and is_cupy(type(x)) \
            and not _is_table(shape) and type(a["input"]) is not list:
        # (the GPU kernels take array input and output: a table form of a
        # GPU module, e.g. SpatialFullConvolution's [x, target], is generic)
        return _forward_gpu(m, a, x, info, shape, buf, dt)
    y = m.forward(xp, a, info)
    if type(y) is dict:
        res = y
        y = res["output"]
    else:
        res = None
    if buf is not None:
        y = _fill(buf, y, m, "output")
    if res:
        return {**res, "output": y}
    return {"output": y}


def _grad_shapes(m, a, params, gparams):
    shapes = {"gradInput": _spec(a["input"])}
    for p, g in zip(params, gparams):
        shapes[g] = a[p].shape
    return shapes


def _backward(m, d, backend):
    a, x, xp = _prepare(m, d, True)
    info = m.check(a)
    _, params, gparams = m._keysets()
    if not m.is_criterion:
        shape = m.output_shape(info)
        go = a["gradOutput"]
        if _is_table(shape) or type(go) is list:
            if _spec(go) != shape:
                raise InputError(
                    f"{m.name}: 'gradOutput' has shape(s) {_spec(go)}, expected "
                    f"{shape} (the output's)")
        elif tuple(go.shape) != tuple(shape):
            raise InputError(
                f"{m.name}: 'gradOutput' has shape {tuple(go.shape)}, expected "
                f"{tuple(shape)} (the output shape)")
    dt = _result_dtype(m, x, xp, a)
    bufs = None
    if "gradInput" in d or (gparams and any(g in d for g in gparams)):
        shapes = _grad_shapes(m, a, params, gparams)
        bufs = {}
        for g, shp in shapes.items():
            b = d.get(g)
            if b is not None:
                _check_buffers(m, g, b, x, dt, shp, d)
                bufs[g] = b
    if xp is None and backend is None and "cpu" in m.backends:
        k = kernel_module(m)
        xin = a["input"]
        out = {"gradInput": _result_arrays(bufs, "gradInput", _spec(xin), dt)
               if type(xin) is list else _out_array(bufs, "gradInput", xin.shape, dt)}
        for p, g in zip(params, gparams):
            out[g] = _out_array(bufs, g, a[p].shape, dt)
        m.backward_cpu(k, a, info, out)
        if bufs:
            for g, b in bufs.items():
                out[g] = _fill(b, out[g], m, g)
        return out
    if backend not in (None, "generic"):
        raise InputError(f"{m.name}: unknown backend {backend!r}; use 'generic' or None")
    if xp is None:
        xp = numpy_namespace()
    elif backend is None and "gpu" in m.backends and is_cupy(type(x)) \
            and type(a["input"]) is not list:
        return _backward_gpu(m, a, x, info, bufs, dt, params, gparams)
    res = m.backward(xp, a, info)
    out = {"gradInput": res["gradInput"]}
    for g in gparams:
        out[g] = res[g]
    if bufs:
        for g, b in bufs.items():
            out[g] = _fill(b, out[g], m, g)
    return out


# --------------------------------------------------------------------------
# the GPU path (CuPy input, module with "gpu" in backends)

def _gpu_contiguous(a, x, cp):
    """Make the CuPy arrays of ``a`` (input, parameters, target, gradOutput,
    state) C-contiguous, as the kernels index them flat."""
    t = type(x)
    for k, v in a.items():
        if type(v) is t and not v.flags.c_contiguous:
            a[k] = cp.ascontiguousarray(v)


def _gpu_out(bufs, g, shape, dt, cp):
    if bufs is not None:
        b = bufs.get(g)
        if b is not None and b.flags.c_contiguous:
            return b
    return cp.empty(shape, dt)


def _forward_gpu(m, a, x, info, shape, buf, dt):
    cp = sys.modules["cupy"]
    _gpu_contiguous(a, x, cp)
    y = buf if buf is not None and buf.flags.c_contiguous else cp.empty(shape, dt)
    extra = m.forward_gpu(gpu_module(), a, info, y)
    if buf is not None:
        y = _fill(buf, y, m, "output")
    if extra:
        return {"output": y, **extra}
    return {"output": y}


def _backward_gpu(m, a, x, info, bufs, dt, params, gparams):
    cp = sys.modules["cupy"]
    _gpu_contiguous(a, x, cp)
    out = {"gradInput": _gpu_out(bufs, "gradInput", a["input"].shape, dt, cp)}
    for p, g in zip(params, gparams):
        out[g] = _gpu_out(bufs, g, a[p].shape, dt, cp)
    m.backward_gpu(gpu_module(), a, info, out)
    if bufs:
        for g, b in bufs.items():
            out[g] = _fill(b, out[g], m, g)
    return out


def _out_array(bufs, g, shape, dt):
    if bufs is not None:
        b = bufs.get(g)
        if b is not None and b.flags.c_contiguous:
            return b
    return _empty(shape, dt)


# --------------------------------------------------------------------------
# the public function objects

class GradFunction:
    """The gradient function of a module: ``grad(d)`` -> gradients dict.

    Returns exactly ``gradInput`` plus ``grad<Param>`` for each parameter.
    For a module ``d`` must hold ``gradOutput``; for a criterion it defaults
    to 1. Pass ``backend="generic"`` to force the array-API implementation.
    """

    __slots__ = ("module", "__weakref__")

    def __init__(self, module):
        self.module = module

    def __call__(self, d, *, backend=None):
        m = self.module
        if not m.is_criterion and (type(d) is dict and "gradOutput" not in d):
            _missing(m, "gradOutput")
        return _backward(m, d, backend)

    def __repr__(self):
        return f"<nnfunc grad function of {self.module!r}>"


class Function:
    """The eval function of a module (API #1), also ``(eval, grad)`` (API #2).

    ``f(d)`` returns ``{"output": y}``, or the gradients when ``d`` holds
    ``gradOutput``. ``eval, grad = f`` unpacks into the function and its
    gradient function; ``nnfunc.gradsOf[f]`` is that gradient function.
    ``f.module`` is the module instance, ``f.init_params(...)`` hands out
    default-initialised parameters. ``backend="generic"`` forces the
    array-API implementation (the reference the compiled kernels are tested
    against).
    """

    __slots__ = ("module", "grad", "__weakref__")

    def __init__(self, module):
        self.module = module
        self.grad = GradFunction(module)
        gradsOf[self] = self.grad

    def __call__(self, d, *, backend=None):
        m = self.module
        if type(d) is dict and "gradOutput" in d:
            return _backward(m, d, backend)
        if type(d) is not dict and hasattr(d, "keys") and "gradOutput" in d:
            return _backward(m, d, backend)
        return _forward(m, d, backend)

    def __iter__(self):
        yield self
        yield self.grad

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return (self, self.grad)[i]

    def init_params(self, seed=None, dtype=np.float32, xp=None, device=None):
        """Default-initialised parameters (Torch7's ``reset()``), as a dict.

        ``seed``: int or None (fresh entropy); ``dtype``: the float dtype
        (a NumPy dtype, or a dtype of namespace ``xp``); ``xp``: the array
        namespace of the result (default NumPy); ``device``: passed to
        ``xp.asarray``. The same seed gives the same values in every dtype
        and namespace (drawn in float64, then converted).
        """
        rng = np.random.default_rng(seed)
        vals = self.module.reset(rng)
        if xp is None or xp is np:
            dt = np.dtype(dtype)
            if dt.kind != "f":
                raise InputTypeError(f"{self.module.name}: init_params dtype must be a float dtype, got {dt}")
            return {k: np.ascontiguousarray(v, dtype=dt) for k, v in vals.items()}
        kw = {} if device is None else {"device": device}
        return {k: xp.asarray(np.ascontiguousarray(v), dtype=dtype, **kw) for k, v in vals.items()}

    def __repr__(self):
        return f"<nnfunc function {self.module!r}>"
