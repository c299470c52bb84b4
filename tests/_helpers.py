"""Shared helpers of the test table: building dicts, comparing, gradchecks."""

import numpy as np

import nnfunc


def grad_key(p):
    return "grad" + p[0].upper() + p[1:]


def make_fn(case):
    return getattr(nnfunc.nn, case.module)(*case.args, **case.kwargs)


def make_dict(case, dtype=np.float64, seed=0, input_shape=None):
    """Input, parameters and target (criterions) of a case as NumPy arrays."""
    rng = np.random.default_rng(seed)
    fn = make_fn(case)
    shape = case.input_shape if input_shape is None else input_shape
    d = {"input": np.asarray(case.gen(rng, shape), dtype=dtype)}
    for k, v in fn.init_params(seed=seed + 1, dtype=dtype).items():
        d[k] = v
    if case.target is not None:
        t = case.target(rng, shape)
        if np.issubdtype(t.dtype, np.floating):
            t = t.astype(dtype)
        d["target"] = t
    return fn, d


def grad_output(case, fn, d, seed=1):
    """A random gradOutput for the case (a number for criterions)."""
    if fn.module.is_criterion:
        return 0.7
    y = fn(d)["output"]
    rng = np.random.default_rng(seed)
    return rng.standard_normal(y.shape).astype(y.dtype)


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
