"""Euclidean: the compiled kernel's GEMM split keeps the direct sum's accuracy
for points near a centre (where |x|^2 - 2 x.W + |W|^2 cancels)."""

import numpy as np
import pytest

import nnfunc


def _exact(x, w, go=None):
    """Distances, and gradients, from the differences in float64 (the oracle)."""
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    t = x64[:, :, None] - w64[None]                          # (n, in, out)
    y = np.sqrt((t * t).sum(1))
    if go is None:
        return y
    g = go.astype(np.float64) / (y + 1e-7)
    tg = t * g[:, None, :]
    return y, tg.sum(2), -tg.sum(0)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-6), (np.float64, 1e-14)])
def test_points_near_centres(dtype, rtol):
    rng = np.random.default_rng(0)
    nin, nout, n = 37, 11, 9
    f = nnfunc.nn.Euclidean(nin, nout)
    w = (rng.standard_normal((nin, nout)) * 10).astype(dtype)
    # rows 0..5 sit 1e-3 (relative) from a centre, one exactly on it; the rest are far
    x = (rng.standard_normal((n, nin)) * 10).astype(dtype)
    for r, j in enumerate([0, 3, 3, 7, 10, 5]):
        x[r] = w[:, j] + (0 if r == 0 else 1e-2 * rng.standard_normal(nin).astype(dtype))
    y = f({"input": x, "weight": w})["output"]
    want = _exact(x, w)
    np.testing.assert_allclose(y, want, rtol=rtol, atol=0)
    assert y[0, 0] == 0
    go = rng.standard_normal((n, nout)).astype(dtype)
    g = f({"input": x, "weight": w, "gradOutput": go})
    _, gi, gw = _exact(x, w, go)
    scale = np.abs(go).max() * 2
    np.testing.assert_allclose(g["gradInput"], gi, rtol=rtol * 10, atol=rtol * scale)
    np.testing.assert_allclose(g["gradWeight"], gw, rtol=rtol * 10, atol=rtol * scale * n)
    # the generic path (direct sums) agrees
    yg = f({"input": x, "weight": w}, backend="generic")["output"]
    np.testing.assert_allclose(y, yg, rtol=rtol, atol=0)


def test_far_points_use_the_gemm_and_agree():
    rng = np.random.default_rng(1)
    f = nnfunc.nn.Euclidean(64, 40)
    x, w = rng.standard_normal((50, 64)), rng.standard_normal((64, 40))
    go = rng.standard_normal((50, 40))
    y = f({"input": x, "weight": w})["output"]
    yy, gi, gw = _exact(x, w, go)
    np.testing.assert_allclose(y, yy, rtol=1e-13)
    g = f({"input": x, "weight": w, "gradOutput": go})
    np.testing.assert_allclose(g["gradInput"], gi, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(g["gradWeight"], gw, rtol=1e-11, atol=1e-12)
