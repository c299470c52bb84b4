"""The dict contract of API.md sections 1-3, for every row of the table."""

import gc
import weakref

import numpy as np
import pytest

import nnfunc
from _helpers import assert_close, diff_keys, grad_key, grad_output, make_dict, make_fn
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
    assert set(res) == {"output"}
    y = res["output"]
    assert type(y) is np.ndarray and y.dtype == np.float32
    if fn.module.is_criterion:
        assert y.shape == ()
    g = _grads(fn, d, grad_output(case, fn, d), backend)
    want = {"gradInput"} | {grad_key(p) for p in fn.module.params}
    assert set(g) == want
    for k, gk in diff_keys(fn):
        assert g[gk].shape == d[k].shape and g[gk].dtype == np.float32, gk


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_buffers_filled_in_place(case, backend):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    y_ref = fn(d, backend=backend)["output"]
    g_ref = _grads(fn, d, go, backend)
    # contiguous buffers full of NaN: written over, returned as the same objects
    out = np.full(y_ref.shape, np.nan)
    res = fn(dict(d, output=out), backend=backend)
    assert res["output"] is out
    assert_close(out, y_ref, 0, 0, "output")
    bufs = {k: np.full(v.shape, np.nan) for k, v in g_ref.items()}
    g = fn(dict(d, gradOutput=go, **bufs), backend=backend)
    for k, b in bufs.items():
        assert g[k] is b, k
        assert_close(b, g_ref[k], 0, 0, k)
    # non-contiguous buffers (every other element of a larger array)
    def strided(shape):
        big = np.full(tuple(2 * s for s in shape) or (2,), np.nan)
        return big[tuple(slice(None, None, 2) for _ in shape)] if shape else big[0:1].reshape(())
    out = strided(y_ref.shape)
    assert fn(dict(d, output=out), backend=backend)["output"] is out
    np.testing.assert_array_equal(out, y_ref)
    bufs = {k: strided(v.shape) for k, v in g_ref.items()}
    g = fn(dict(d, gradOutput=go, **bufs), backend=backend)
    for k, b in bufs.items():
        assert g[k] is b
        np.testing.assert_array_equal(b, g_ref[k], err_msg=k)
    # a buffer of the other phase is ignored
    assert set(fn(dict(d, gradInput=np.empty(d["input"].shape)), backend=backend)) == {"output"}


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pure_and_inputs_untouched(case, backend):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    for v in d.values():
        if isinstance(v, np.ndarray):
            v.flags.writeable = False      # any write to an input would raise
    copies = {k: np.array(v) for k, v in d.items() if isinstance(v, np.ndarray)}
    expected = _grads(make_fn(case), d, go, backend)
    # an unrelated forward (other values) right before the gradient call
    _, other = make_dict(case, np.float64, seed=42)
    fn(other, backend=backend)
    g = _grads(fn, d, go, backend)
    for k in expected:
        np.testing.assert_array_equal(g[k], expected[k], err_msg=k)
    for k, v in copies.items():
        np.testing.assert_array_equal(d[k], v, err_msg=f"{k} was modified")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_float32_agrees_with_float64(case):
    rtol, atol = case.tol32
    fn, d64 = make_dict(case, np.float64)
    _, d32 = make_dict(case, np.float32)
    go = grad_output(case, fn, d64)
    go32 = go if fn.module.is_criterion else go.astype(np.float32)
    np.testing.assert_allclose(fn(d32)["output"], fn(d64)["output"], rtol=rtol, atol=atol)
    g64, g32 = _grads(fn, d64, go), _grads(fn, d32, go32)
    for k in g64:
        np.testing.assert_allclose(g32[k], g64[k], rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("case", [c for c in BATCH if not c.is_criterion], ids=lambda c: c.id)
def test_batch_equals_per_sample(case):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    y = fn(d)["output"]
    g = _grads(fn, d, go)
    param_grads = {k: 0 for k in g if k != "gradInput"}
    for i in range(d["input"].shape[0]):
        di = dict(d, input=d["input"][i])
        np.testing.assert_allclose(fn(di)["output"], y[i], rtol=1e-12, atol=1e-12)
        gi = _grads(fn, di, go[i])
        np.testing.assert_allclose(gi["gradInput"], g["gradInput"][i], rtol=1e-12, atol=1e-12)
        for k in param_grads:
            param_grads[k] = param_grads[k] + gi[k]
    for k, v in param_grads.items():
        np.testing.assert_allclose(g[k], v, rtol=1e-10, atol=1e-12, err_msg=k)


@BACKENDS
@pytest.mark.parametrize("case", BATCH, ids=lambda c: c.id)
def test_empty_batch(case, backend):
    shape = (0,) + tuple(case.input_shape[1:])
    fn, d = make_dict(case, np.float64, input_shape=shape)
    y = fn(d, backend=backend)["output"]
    if not fn.module.is_criterion:
        assert y.shape[0] == 0
    g = _grads(fn, d, grad_output(case, fn, d), backend)
    assert g["gradInput"].shape == shape
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
