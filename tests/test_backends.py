"""The compiled NumPy path agrees with the generic array-API reference."""

import numpy as np
import pytest

import nnfunc
from _helpers import grad_output, make_dict
from cases import CASES

FAST = [c for c in CASES if "cpu" in getattr(nnfunc.nn, c.module).__wrapped__.backends]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", FAST, ids=lambda c: c.id)
def test_cpu_matches_generic(case, dtype):
    fn, d = make_dict(case, dtype)
    assert nnfunc.dispatch.which(fn, d) == "cpu"
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    y = fn(d)["output"]
    yg = fn(d, backend="generic")["output"]
    assert y.dtype == yg.dtype == dtype and y.shape == yg.shape
    np.testing.assert_allclose(y, yg, **tol)
    dg = dict(d, gradOutput=grad_output(case, fn, d))
    g, gg = fn(dg), fn(dg, backend="generic")
    assert g.keys() == gg.keys()
    for k in g:
        assert g[k].dtype == gg[k].dtype == dtype and g[k].shape == gg[k].shape, k
        np.testing.assert_allclose(g[k], gg[k], err_msg=k, **tol)
