"""The compiled NumPy path agrees with the generic array-API reference."""

import numpy as np
import pytest

import nnfunc
from _helpers import assert_allclose_t, grad_output, leaves, make_dict, tshape
from cases import CASES

FAST = [c for c in CASES if "cpu" in getattr(nnfunc.nn, c.module).__wrapped__.backends]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", FAST, ids=lambda c: c.id)
def test_cpu_matches_generic(case, dtype):
    fn, d = make_dict(case, dtype)
    assert nnfunc.dispatch.which(fn, d) == "cpu"
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)

    def scaled(ref):
        # two float32 sums in different orders differ by a few roundings of
        # the terms' size, not of the result's: an entry that cancels to near
        # 0 keeps an absolute error of about eps * the array's largest entries
        if dtype != np.float32:
            return tol
        big = max((float(np.max(np.abs(np.asarray(a)))) for a in leaves(ref) if np.size(a)),
                  default=0.0)
        return dict(tol, atol=max(tol["atol"], 2e-7 * big))
    r, rg = fn(d), fn(d, backend="generic")
    assert r.keys() == rg.keys()
    for k in case.extra_out:
        assert_allclose_t(r[k], rg[k], err_msg=k, **scaled(rg[k]))
    y, yg = r["output"], rg["output"]
    assert all(a.dtype == dtype for a in leaves(y) + leaves(yg)) and tshape(y) == tshape(yg)
    assert_allclose_t(y, yg, **scaled(yg))
    dg = dict(d, gradOutput=grad_output(case, fn, d))
    g, gg = fn(dg), fn(dg, backend="generic")
    assert g.keys() == gg.keys()
    for k in g:
        assert all(a.dtype == dtype for a in leaves(g[k]) + leaves(gg[k])), k
        assert tshape(g[k]) == tshape(gg[k]), k
        assert_allclose_t(g[k], gg[k], err_msg=k, **scaled(gg[k]))
