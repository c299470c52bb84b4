"""The dict contract of API.md sections 1-3, for every row of the table."""

import gc
import weakref

import numpy as np
import pytest

import nnfunc
from _helpers import (assert_allclose_t, diff_keys, grad_key, grad_output, leaves, make_dict,
                      make_fn, tmap, tshape)
from cases import CASES

BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])
BATCH = [c for c in CASES if c.batch]


def _grads(fn, d, go, backend=None):
    return fn(dict(d, gradOutput=go), backend=backend)


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_exact_keys_dtype_shapes(case, backend):
    fn, d = make_dict(case, np.float32)
    res = fn(d, backend=backend)
    assert set(res) == {"output", *case.extra_out}
    for k in case.extra_out:
        assert type(res[k]) is np.ndarray, k
        assert res[k].dtype.kind != "f" or res[k].dtype == np.float32, k
    y = res["output"]
    assert all(type(a) is np.ndarray and a.dtype == np.float32 for a in leaves(y))
    if fn.module.is_criterion:
        assert y.shape == ()
    g = _grads(fn, d, grad_output(case, fn, d), backend)
    want = {"gradInput"} | {grad_key(p) for p in fn.module.params}
    assert set(g) == want
    for k, gk in diff_keys(fn):
        assert tshape(g[gk]) == tshape(d[k]), gk
        assert all(a.dtype == np.float32 for a in leaves(g[gk])), gk


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_buffers_filled_in_place(case, backend):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    y_ref = fn(d, backend=backend)["output"]
    g_ref = _grads(fn, d, go, backend)
    # contiguous buffers full of NaN: written over, returned as the same objects
    def check_same(buf, got, ref, what):
        assert got is buf, what
        for b, r in zip(leaves(buf), leaves(ref)):
            np.testing.assert_array_equal(b, r, err_msg=what)

    out = tmap(lambda a: np.full(a.shape, np.nan), y_ref)
    check_same(out, fn(dict(d, output=out), backend=backend)["output"], y_ref, "output")
    bufs = {k: tmap(lambda a: np.full(a.shape, np.nan), v) for k, v in g_ref.items()}
    g = fn(dict(d, gradOutput=go, **bufs), backend=backend)
    for k, b in bufs.items():
        check_same(b, g[k], g_ref[k], k)
    # non-contiguous buffers (every other element of a larger array)
    def strided(a):
        shape = a.shape
        big = np.full(tuple(2 * s for s in shape) or (2,), np.nan)
        return big[tuple(slice(None, None, 2) for _ in shape)] if shape else big[0:1].reshape(())
    out = tmap(strided, y_ref)
    check_same(out, fn(dict(d, output=out), backend=backend)["output"], y_ref, "output")
    bufs = {k: tmap(strided, v) for k, v in g_ref.items()}
    g = fn(dict(d, gradOutput=go, **bufs), backend=backend)
    for k, b in bufs.items():
        check_same(b, g[k], g_ref[k], k)
    # a buffer of the other phase is ignored
    other = tmap(lambda a: np.empty(a.shape), d["input"])
    assert set(fn(dict(d, gradInput=other), backend=backend)) == {"output", *case.extra_out}


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pure_and_inputs_untouched(case, backend):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    for v in d.values():
        for a in leaves(v):
            if isinstance(a, np.ndarray):  # (not seeds, flags)
                a.flags.writeable = False  # any write to an input would raise
    copies = {k: tmap(np.array, v) for k, v in d.items()}
    expected = _grads(make_fn(case), d, go, backend)
    # an unrelated forward (other values) right before the gradient call
    _, other = make_dict(case, np.float64, seed=42)
    fn(other, backend=backend)
    g = _grads(fn, d, go, backend)
    for k in expected:
        assert_allclose_t(g[k], expected[k], rtol=0, atol=0, err_msg=k)
    for k, v in copies.items():
        assert_allclose_t(d[k], v, rtol=0, atol=0, err_msg=f"{k} was modified")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_float32_agrees_with_float64(case):
    rtol, atol = case.tol32
    fn, d64 = make_dict(case, np.float64)
    fn32, d32 = make_dict(case, np.float32)    # (integer-input modules: a float32 one)
    go = grad_output(case, fn, d64)
    go32 = go if fn.module.is_criterion else tmap(lambda a: a.astype(np.float32), go)
    assert_allclose_t(fn32(d32)["output"], fn(d64)["output"], rtol=rtol, atol=atol)
    g64, g32 = _grads(fn, d64, go), _grads(fn32, d32, go32)
    for k in g64:
        assert_allclose_t(g32[k], g64[k], rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("case", [c for c in BATCH if not c.is_criterion], ids=lambda c: c.id)
def test_batch_equals_per_sample(case):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    y = fn(d)["output"]
    g = _grads(fn, d, go)
    param_grads = {k: 0 for k in g if k != "gradInput"}
    for i in range(leaves(d["input"])[0].shape[0]):
        def at(a, i=i):
            return a[i, ...]      # a 0-d array (not a NumPy scalar) for an (N,) output
        di = dict(d, input=tmap(at, d["input"]))
        # extra arrays of the input's shape (indices, masks) are per sample too
        for k, v in d.items():
            if k != "input" and isinstance(v, np.ndarray) and type(d["input"]) is np.ndarray \
                    and v.shape == d["input"].shape:
                di[k] = at(v)
        assert_allclose_t(fn(di)["output"], tmap(at, y), rtol=1e-12, atol=1e-12)
        gi = _grads(fn, di, tmap(at, go))
        assert_allclose_t(gi["gradInput"], tmap(at, g["gradInput"]), rtol=1e-12, atol=1e-12)
        for k in param_grads:
            param_grads[k] = param_grads[k] + gi[k]
    for k, v in param_grads.items():
        np.testing.assert_allclose(g[k], v, rtol=1e-10, atol=1e-12, err_msg=k)


@BACKENDS
@pytest.mark.parametrize("case", BATCH, ids=lambda c: c.id)
def test_empty_batch(case, backend):
    shape = tmap(lambda s: (0,) + tuple(s[1:]), case.input_shape) \
        if type(case.input_shape) is list else (0,) + tuple(case.input_shape[1:])
    fn, d = make_dict(case, np.float64, input_shape=shape)
    y = fn(d, backend=backend)["output"]
    if not fn.module.is_criterion:
        assert all(a.shape[0] == 0 for a in leaves(y))
    g = _grads(fn, d, grad_output(case, fn, d), backend)
    assert tshape(g["gradInput"]) == shape
    for p in fn.module.params:
        np.testing.assert_array_equal(g[grad_key(p)], 0)


@pytest.mark.parametrize("case", CASES[:1] + [c for c in CASES if c.module == "Linear"][:1],
                         ids=lambda c: c.id)
def test_api_forms(case):
    f = make_fn(case)
    ev, gr = f
    assert ev is f and nnfunc.gradsOf[f] is gr and nnfunc.grads_of[f] is gr
    fn, d = make_dict(case)
    go = grad_output(case, fn, d)
    np.testing.assert_array_equal(gr(dict(d, gradOutput=go))["gradInput"],
                                  f(dict(d, gradOutput=go))["gradInput"])
    # eval on a non-dict mapping
    from types import MappingProxyType
    np.testing.assert_array_equal(f(MappingProxyType(d))["output"], f(d)["output"])
    # the grad function survives its eval function; gradsOf does not keep it alive
    ref = weakref.ref(f)
    del f, ev
    gc.collect()
    assert ref() is None
    assert set(gr(dict(d, gradOutput=go))) >= {"gradInput"}


def test_each_call_is_a_new_pair():
    a, b = nnfunc.nn.Tanh(), nnfunc.nn.Tanh()
    assert a is not b and nnfunc.gradsOf[a] is not nnfunc.gradsOf[b]


def test_init_params_seeded_and_typed():
    f = nnfunc.nn.Linear(10, 4)
    p32 = f.init_params(seed=3)
    p64 = f.init_params(seed=3, dtype=np.float64)
    assert set(p32) == {"weight", "bias"} and p32["weight"].dtype == np.float32
    assert p64["weight"].shape == (4, 10) and p64["bias"].shape == (4,)
    np.testing.assert_allclose(p32["weight"], p64["weight"], rtol=1e-7)
    np.testing.assert_array_equal(f.init_params(seed=3, dtype=np.float64)["weight"], p64["weight"])
    assert np.abs(p64["weight"]).max() <= 1 / np.sqrt(10)
    assert not np.array_equal(f.init_params(seed=4)["weight"], p32["weight"])
    assert set(nnfunc.nn.Linear(3, 2, bias=False).init_params()) == {"weight"}
    assert nnfunc.nn.Tanh().init_params() == {}
