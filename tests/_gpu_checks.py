"""The value checks of the GPU rows, shared by the real GPU and the emulator.

Each ``check_*`` takes the CuPy module ``cp`` to run on: real CuPy in
tests/test_gpu.py (a GPU), the stand-in CuPy running the kernels through the
CPU emulator in tests/test_gpu_emu.py (CI). One copy of the checks, so the
emulated run checks what the GPU run will.
"""

import sys

import numpy as np
import pytest

import nnfunc
from _helpers import diff_keys, grad_output, is_float, leaves, make_dict, tdot, tmap
from cases import CASES


def has_gpu(case):
    """the row runs the GPU kernels: a GPU module, array input or a module whose
    GPU methods take tables (gpu_tables; else a table input, e.g.
    SpatialFullConvolution's [x, target], runs the generic code)"""
    m = getattr(nnfunc.nn, case.module).__wrapped__
    return "gpu" in m.backends and (type(case.input_shape) is not list or m.gpu_tables)


def real_gpu_visible():
    """A real CuPy with a device is imported (the emulated and stand-in tests
    then skip: tests/test_gpu.py runs the real kernels)."""
    real = sys.modules.get("cupy")
    if real is None or hasattr(real, "LAUNCHES"):
        return False
    try:
        return real.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def is_criterion(case):
    return getattr(nnfunc.nn, case.module).__wrapped__.is_criterion


GPU = [c for c in CASES if has_gpu(c)]
OTHER = [c for c in CASES if not has_gpu(c)]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def to_gpu(cp, v):
    if isinstance(v, np.ndarray):
        return cp.asarray(v)
    if type(v) is list:
        return [to_gpu(cp, e) for e in v]
    return v


def host(cp, v):
    return tmap(cp.asnumpy, v)


def gpu_dict(cp, d):
    return {k: to_gpu(cp, v) for k, v in d.items()}


def _go(cp, case, fn, d):
    go = grad_output(case, fn, d)
    return go if fn.module.is_criterion else to_gpu(cp, go)


def close(cp, a, b, what, **tol):
    for x, y in zip(leaves(a), leaves(b)):
        assert type(x) is cp.ndarray, f"{what}: {type(x)}"
        np.testing.assert_allclose(cp.asnumpy(x), y, err_msg=what, **tol)


def check_matches_numpy(cp, case, dtype):
    """Forward and gradients vs the NumPy path, same dtype."""
    fn, d = make_dict(case, dtype)
    go = grad_output(case, fn, d)
    ref = fn(d)
    gref = fn(dict(d, gradOutput=go))
    dg = gpu_dict(cp, d)
    assert nnfunc.dispatch.which(fn, dg) == "gpu"
    res = fn(dg)
    assert res.keys() == ref.keys()
    assert res["output"].dtype == dtype
    close(cp, res["output"], ref["output"], "output", **TOL[dtype])
    g = fn(dict(dg, gradOutput=go if fn.module.is_criterion else to_gpu(cp, go)))
    assert g.keys() == gref.keys()
    for k in g:
        assert all(a.dtype == dtype for a in leaves(g[k])), k
        close(cp, g[k], gref[k], k, **TOL[dtype])


def check_float16(cp, case):
    """float16 within a float16 tolerance of float64 on the rounded values."""
    fn, d64 = make_dict(case, np.float64)
    fn16, d16 = make_dict(case, np.float16)
    go = grad_output(case, fn, d64)
    # the float64 reference on the float16-rounded values
    d = {k: (v.astype(np.float16).astype(np.float64) if isinstance(v, np.ndarray)
             and v.dtype.kind == "f" else v) for k, v in d64.items()}
    go = go if fn.module.is_criterion else tmap(lambda a: a.astype(np.float16), go)
    go64 = go if fn.module.is_criterion else tmap(lambda a: a.astype(np.float64), go)
    ref = fn(d)["output"]
    gref = fn(dict(d, gradOutput=go64))
    if max(float(np.max(np.abs(a), initial=0))
           for a in [ref] + [e for v in gref.values() for e in leaves(v)]) > 6e4:
        pytest.skip("values beyond the float16 range")
    dg = gpu_dict(cp, d16)
    y = fn16(dg)["output"]
    assert y.dtype == np.float16
    tol = dict(rtol=1e-2, atol=1e-2 * max(1.0, float(np.max(np.abs(ref), initial=0))))
    np.testing.assert_allclose(cp.asnumpy(y).astype(np.float64), ref, **tol)
    g = fn16(dict(dg, gradOutput=go if fn.module.is_criterion else to_gpu(cp, go)))
    for k in g:
        for a, r in zip(leaves(g[k]), leaves(gref[k]), strict=True):
            assert a.dtype == np.float16, k
            scale = max(1.0, float(np.max(np.abs(r), initial=0)))
            np.testing.assert_allclose(cp.asnumpy(a).astype(np.float64), r,
                                       rtol=1e-2, atol=1e-2 * scale, err_msg=k)


def check_gradcheck(cp, case):
    """Central differences in float64 of L = sum(output * gradOutput) on the GPU path."""
    if not case.fd:
        pytest.skip("the row's gradient is not the derivative of its output (Case.fd)")
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    dg, gog = gpu_dict(cp, d), (go if fn.module.is_criterion else to_gpu(cp, go))
    g = fn(dict(dg, gradOutput=gog))
    rng = np.random.default_rng(7)
    eps = 1e-6

    def loss(dd):
        y = host(cp, fn(dd)["output"])
        return float(y * go) if fn.module.is_criterion else float(np.sum(y * go))

    for key, gkey in diff_keys(fn):
        if not all(is_float(a) for a in leaves(d[key])):
            continue
        for _ in range(2):
            v = tmap(lambda a: rng.standard_normal(a.shape), d[key])
            plus = loss(dict(dg, **{key: tmap(lambda a, b: cp.asarray(a + eps * b),
                                              d[key], v)}))
            minus = loss(dict(dg, **{key: tmap(lambda a, b: cp.asarray(a - eps * b),
                                               d[key], v)}))
            numeric = (plus - minus) / (2 * eps)
            analytic = tdot(host(cp, g[gkey]), v)
            assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(numeric), abs(analytic)), \
                (gkey, analytic, numeric)


def check_buffers_filled_in_place(cp, case):
    fn, d = make_dict(case, np.float64)
    dg = gpu_dict(cp, d)
    gog = _go(cp, case, fn, d)
    y_ref = host(cp, fn(dg)["output"])
    g_ref = {k: host(cp, v) for k, v in fn(dict(dg, gradOutput=gog)).items()}
    out = cp.full(y_ref.shape, cp.nan)
    assert fn(dict(dg, output=out))["output"] is out
    np.testing.assert_array_equal(cp.asnumpy(out), y_ref)
    bufs = {k: tmap(lambda a: cp.full(a.shape, cp.nan), v) for k, v in g_ref.items()}
    _check_bufs(cp, fn(dict(dg, gradOutput=gog, **bufs)), bufs, g_ref)

    # non-contiguous buffers: written through a copy, still the same objects
    def strided(shape):
        big = cp.full(tuple(2 * s for s in shape) or (2,), cp.nan)
        return big[tuple(slice(None, None, 2) for _ in shape)] if shape else big[0:1].reshape(())
    out = strided(y_ref.shape)
    assert fn(dict(dg, output=out))["output"] is out
    np.testing.assert_array_equal(cp.asnumpy(out), y_ref)
    bufs = {k: tmap(lambda a: strided(a.shape), v) for k, v in g_ref.items()}
    _check_bufs(cp, fn(dict(dg, gradOutput=gog, **bufs)), bufs, g_ref)
    # a buffer aliasing an input is refused
    if type(d["input"]) is not list and tuple(y_ref.shape) == tuple(d["input"].shape):
        with pytest.raises(nnfunc.InputError, match="shares memory"):
            fn(dict(dg, output=dg["input"]))


def _check_bufs(cp, g, bufs, g_ref):
    """the gradient buffers (arrays or tables) came back as the same objects,
    filled with the reference values"""
    for k, b in bufs.items():
        for gi, bi, ri in zip(leaves(g[k]), leaves(b), leaves(g_ref[k]), strict=True):
            assert gi is bi, k
            np.testing.assert_array_equal(cp.asnumpy(bi), ri, err_msg=k)


def check_pure_and_inputs_untouched(cp, case):
    fn, d = make_dict(case, np.float64)
    dg = gpu_dict(cp, d)
    gog = _go(cp, case, fn, d)
    expected = {k: host(cp, v) for k, v in fn(dict(dg, gradOutput=gog)).items()}
    _, other = make_dict(case, np.float64, seed=42)
    fn(gpu_dict(cp, other))
    g = fn(dict(dg, gradOutput=gog))
    for k in expected:
        for a, r in zip(leaves(host(cp, g[k])), leaves(expected[k]), strict=True):
            np.testing.assert_array_equal(a, r, err_msg=k)
    for k, v in d.items():
        for a, ag in zip(leaves(v), leaves(dg[k])):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(cp.asnumpy(ag), a, err_msg=f"{k} was modified")


def check_non_contiguous_input(cp, case):
    fn, d = make_dict(case, np.float64)
    dg = gpu_dict(cp, d)
    ref = host(cp, fn(dg)["output"])

    def strided(x):
        big = cp.zeros(x.shape + (2,), x.dtype)
        big[..., 0] = x
        return big[..., 0]
    xs = tmap(strided, dg["input"])
    assert fn(dict(dg, input=xs))["output"].shape == ref.shape
    np.testing.assert_allclose(host(cp, fn(dict(dg, input=xs))["output"]), ref,
                               rtol=1e-12, atol=1e-12)


def check_empty_batch(cp, case):
    shape = tmap(lambda s: (0,) + tuple(s[1:]), case.input_shape)
    fn, d = make_dict(case, np.float64, input_shape=shape)
    ref = fn(d)["output"]
    gref = fn(dict(d, gradOutput=grad_output(case, fn, d)))
    dg = gpu_dict(cp, d)
    y = fn(dg)["output"]
    assert y.shape == ref.shape
    np.testing.assert_array_equal(cp.asnumpy(y), ref)    # NaN where NumPy has NaN
    g = fn(dict(dg, gradOutput=_go(cp, case, fn, d)))
    for k in gref:
        for a, r in zip(leaves(g[k]), leaves(gref[k]), strict=True):
            assert a.shape == r.shape, k
            np.testing.assert_array_equal(cp.asnumpy(a), r, err_msg=k)


def check_bad_input(cp, case):
    fn, d = make_dict(case, np.float64)
    for label, mutate, exc, match in case.bad:
        dd = gpu_dict(cp, mutate(d))
        with pytest.raises(exc, match=match):
            fn(dd)
        with pytest.raises(exc, match=match):
            fn(dict(dd, gradOutput=dd.get("gradOutput", 1.0)) if fn.module.is_criterion
               else dict(dd, gradOutput=to_gpu(cp, grad_output(case, fn, d))))


def check_criterion_go_array(cp, case, dtype):
    """A criterion's gradOutput as a 0-d device array (read by the kernels on
    the device) gives the gradients of the same number given as a float."""
    fn, d = make_dict(case, dtype)
    dg = gpu_dict(cp, d)
    gref = fn(dict(d, gradOutput=-1.75))
    g = fn(dict(dg, gradOutput=cp.asarray(np.asarray(-1.75, dtype))))
    assert g.keys() == gref.keys()
    for k in g:
        close(cp, g[k], gref[k], k, **TOL[dtype])


def check_kernels_compiled_once(cp):
    from nnfunc._gpu import _loader
    f = nnfunc.nn.Tanh()
    x = cp.asarray(np.linspace(-2, 2, 11, dtype=np.float32))
    f({"input": x})
    n = len(_loader._modules)
    mods = dict(_loader._modules)
    for _ in range(3):
        f({"input": x})
    assert len(_loader._modules) == n and all(_loader._modules[k] is v for k, v in mods.items())


def check_cross_entropy_ignored_nonfinite(cp):
    """CrossEntropyCriterion: an ignored row's gradient is exactly zero on
    every backend, also when the row holds NaN or inf (the compiled kernels
    never read it; 0 * softmax would be NaN there)."""
    f = nnfunc.nn.CrossEntropyCriterion(ignoreIndex=1)
    x = np.random.default_rng(3).standard_normal((3, 5))
    x[1, 0], x[1, 3] = np.nan, np.inf
    d = {"input": x, "target": np.array([4, 1, 0]), "gradOutput": 1.0}
    cpu = f(d)["gradInput"]
    assert np.all(cpu[1] == 0) and np.all(np.isfinite(cpu))
    np.testing.assert_array_equal(f(d, backend="generic")["gradInput"][1], 0.0)
    np.testing.assert_allclose(f(d, backend="generic")["gradInput"], cpu, rtol=1e-12)
    g = cp.asnumpy(f(gpu_dict(cp, d))["gradInput"])
    np.testing.assert_array_equal(g[1], 0.0)
    np.testing.assert_allclose(g, cpu, rtol=1e-12)
