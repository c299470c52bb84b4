"""Other array namespaces run the generic path and agree with NumPy."""

import numpy as np
import pytest

import nnfunc
from _helpers import assert_allclose_t, grad_output, leaves, make_dict, tmap
from cases import CASES


def _convert(xp, d, go):
    out = {k: tmap(xp.asarray, v) for k, v in d.items()}
    if not np.isscalar(go):
        go = tmap(xp.asarray, go)
    return out, go


def _check_namespace(xp, case, to_numpy, array_type):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    y = fn(d)["output"]
    g = fn(dict(d, gradOutput=go))
    dx, gox = _convert(xp, d, go)
    assert nnfunc.dispatch.which(fn, dx) == "generic"
    yx = fn(dx)["output"]
    dt = leaves(dx["input"])[0].dtype
    assert all(isinstance(a, array_type) and a.dtype == dt for a in leaves(yx))
    assert_allclose_t(tmap(to_numpy, yx), y, rtol=1e-12, atol=1e-12)
    gx = fn(dict(dx, gradOutput=gox))
    assert gx.keys() == g.keys()
    for k in g:
        assert all(isinstance(a, array_type) for a in leaves(gx[k]))
        assert_allclose_t(tmap(to_numpy, gx[k]), g[k], rtol=1e-12, atol=1e-12, err_msg=k)
    # buffers in the foreign namespace are filled in place too
    out = tmap(lambda a: xp.zeros(a.shape, dtype=a.dtype), yx)
    assert fn(dict(dx, output=out))["output"] is out
    assert_allclose_t(tmap(to_numpy, out), y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_array_api_strict(case):
    xp = pytest.importorskip("array_api_strict")
    _check_namespace(xp, case, lambda a: np.asarray(a), type(xp.asarray(1.0)))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_torch_tensors(case):
    torch = pytest.importorskip("torch")
    _check_namespace(torch, case, lambda a: a.numpy(), torch.Tensor)


def test_generic_dtype_mismatch_is_type_error():
    xp = pytest.importorskip("array_api_strict")
    f = nnfunc.nn.Linear(3, 2)
    p = f.init_params(xp=xp, dtype=xp.float64)
    x = xp.ones((3,), dtype=xp.float32)
    with pytest.raises(nnfunc.InputTypeError, match="weight"):
        f({"input": x, **p})
    assert type(p["weight"]) is type(xp.asarray(1.0)) and p["weight"].dtype == xp.float64
