"""Shared helpers of the test table: building dicts, comparing, gradchecks."""

import numpy as np

import nnfunc


def grad_key(p):
    return "grad" + p[0].upper() + p[1:]


def make_fn(case, dtype=None):
    """The module of a case; a module with integer input (``input_kind ==
    "int"``) gets ``dtype`` (its output dtype) when one is given."""
    ctor = getattr(nnfunc.nn, case.module)
    kw = dict(case.kwargs)
    m = ctor.__wrapped__
    if dtype is not None and m.input_kind == "int" and m.result_param is None:
        kw["dtype"] = np.dtype(dtype).name
    return ctor(*case.args, **kw)


def is_float(a):
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def _value(gen, rng, s, dtype):
    """One input array: float values in ``dtype``; integer/bool ones as made."""
    a = np.asarray(gen(rng, s))
    return a.astype(dtype) if a.dtype.kind == "f" else a


def tmap(f, *vs):
    """``f`` on arrays, or entry by entry on tables (lists of arrays)."""
    if type(vs[0]) is list:
        return [tmap(f, *e) for e in zip(*vs)]
    return f(*vs)


def leaves(v):
    """The arrays of an array or a table."""
    return list(v) if type(v) is list else [v]


def tshape(v):
    return tmap(lambda a: tuple(a.shape), v)


def tdot(a, b):
    """sum(a * b) over every entry of two arrays or tables."""
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b)))


def assert_allclose_t(a, b, err_msg="", **tol):
    assert type(a) is type(b) or not (type(a) is list or type(b) is list), err_msg
    assert len(leaves(a)) == len(leaves(b)), err_msg
    for x, y in zip(leaves(a), leaves(b)):
        np.testing.assert_allclose(x, y, err_msg=err_msg, **tol)


def make_dict(case, dtype=np.float64, seed=0, input_shape=None):
    """Input, parameters and target (criterions) of a case as NumPy arrays.

    A list ``input_shape`` makes a table input (a list of arrays)."""
    rng = np.random.default_rng(seed)
    fn = make_fn(case, dtype)
    shape = case.input_shape if input_shape is None else input_shape
    if type(shape) is list:
        gens = case.gen if type(case.gen) is list else [case.gen] * len(shape)
        d = {"input": [_value(g, rng, s, dtype) for g, s in zip(gens, shape)]}
    else:
        d = {"input": _value(case.gen, rng, shape, dtype)}
    for k, v in fn.init_params(seed=seed + 1, dtype=dtype).items():
        d[k] = v
    if case.target is not None:
        t = case.target(rng, shape)
        if np.issubdtype(t.dtype, np.floating):
            t = t.astype(dtype)
        d["target"] = t
    if case.extra is not None:
        for k, v in case.extra(rng, shape).items():
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                v = v.astype(dtype)
            d[k] = v
    return fn, d


def grad_output(case, fn, d, seed=1):
    """A random gradOutput for the case (a number for criterions)."""
    if fn.module.is_criterion:
        return 0.7
    y = fn(d)["output"]
    rng = np.random.default_rng(seed)
    return tmap(lambda a: rng.standard_normal(a.shape).astype(a.dtype), y)


def diff_keys(fn):
    """Keys with a gradient: (key in d, gradient key)."""
    return [("input", "gradInput")] + [(p, grad_key(p)) for p in fn.module.params]


def assert_close(a, b, rtol, atol, what=""):
    assert type(a) is type(b), f"{what}: type {type(a)} vs {type(b)}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs {b.dtype}"
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def to_numpy(a):
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    return np.asarray(a)
