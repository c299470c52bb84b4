"""Other array namespaces run the generic path and agree with NumPy."""

import numpy as np
import pytest

import nnfunc
from _helpers import assert_allclose_t, grad_output, leaves, make_dict, tmap
from cases import CASES

#: the rows whose generic code runs on the foreign namespaces (see Case.namespaces)
NS_CASES = [c for c in CASES if c.namespaces]


def _convert(xp, d, go):
    out = {k: tmap(xp.asarray, v) if isinstance(v, (np.ndarray, list)) else v
           for k, v in d.items()}
    if not np.isscalar(go):
        go = tmap(xp.asarray, go)
    return out, go


def _check_namespace(xp, case, to_numpy, array_type, mutable=True, lazy=False):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    r = fn(d)
    y = r["output"]
    g = fn(dict(d, gradOutput=go))
    dx, gox = _convert(xp, d, go)
    assert nnfunc.dispatch.which(fn, dx) == "generic"
    rx = fn(dx)
    assert rx.keys() == {"output", *case.extra_out}
    yx = rx["output"]
    for k in case.extra_out:
        e = np.asarray(rx[k].compute()) if lazy else to_numpy(rx[k])
        np.testing.assert_allclose(e, r[k], rtol=1e-12, atol=1e-12, err_msg=k)
    da_type = array_type
    if lazy:     # nothing is computed until asked for
        assert all(isinstance(a, array_type) for a in leaves(yx))
        yx = tmap(lambda a: np.asarray(a.compute()), yx)
        array_type = np.ndarray
    dt = xp.asarray(np.zeros((), leaves(y)[0].dtype)).dtype      # the float dtype of results
    assert all(isinstance(a, array_type) and a.dtype == dt for a in leaves(yx))
    assert_allclose_t(tmap(to_numpy, yx), y, rtol=1e-12, atol=1e-12)
    gx = fn(dict(dx, gradOutput=gox))
    if lazy:
        assert all(isinstance(a, da_type) for v in gx.values() for a in leaves(v))
        gx = {k: tmap(lambda a: np.asarray(a.compute()), v) for k, v in gx.items()}
    assert gx.keys() == g.keys()
    for k in g:
        assert all(isinstance(a, array_type) for a in leaves(gx[k]))
        assert_allclose_t(tmap(to_numpy, gx[k]), g[k], rtol=1e-12, atol=1e-12, err_msg=k)
    if not mutable:
        out = tmap(lambda a: xp.zeros(a.shape, dtype=a.dtype), yx)
        with pytest.raises(nnfunc.InputTypeError, match="cannot be written in place"):
            fn(dict(dx, output=out))
        return
    if lazy:
        return
    # buffers in the foreign namespace are filled in place too
    out = tmap(lambda a: xp.zeros(a.shape, dtype=a.dtype), yx)
    assert fn(dict(dx, output=out))["output"] is out
    assert_allclose_t(tmap(to_numpy, out), y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_array_api_strict(case):
    xp = pytest.importorskip("array_api_strict")
    _check_namespace(xp, case, lambda a: np.asarray(a), type(xp.asarray(1.0)))


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_torch_tensors(case):
    torch = pytest.importorskip("torch")
    _check_namespace(torch, case, lambda a: a.numpy(), torch.Tensor)


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_jax_arrays(case):
    jax = pytest.importorskip("jax")
    prev = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        import jax.numpy as jnp
        _check_namespace(jnp, case, np.asarray, jax.Array, mutable=False)
    finally:
        jax.config.update("jax_enable_x64", prev)


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_dask_arrays_stay_lazy(case):
    da = pytest.importorskip("dask.array")
    _check_namespace(da, case, np.asarray, da.Array, lazy=True)


def test_generic_dtype_mismatch_is_type_error():
    xp = pytest.importorskip("array_api_strict")
    f = nnfunc.nn.Linear(3, 2)
    p = f.init_params(xp=xp, dtype=xp.float64)
    x = xp.ones((3,), dtype=xp.float32)
    with pytest.raises(nnfunc.InputTypeError, match="weight"):
        f({"input": x, **p})
    assert type(p["weight"]) is type(xp.asarray(1.0)) and p["weight"].dtype == xp.float64
