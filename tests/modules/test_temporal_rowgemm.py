"""TemporalConvolution's row-GEMM method (float32 on AVX-512: _rowgemm.h and
temporal_convolution.pyx), against the float64 BLAS path."""

import numpy as np
import pytest

import nnfunc
from nnfunc._cpu import _parallel
from nnfunc._cpu import temporal_convolution as tc

pytestmark = pytest.mark.skipif(not tc.rowgemm_available(),
                                reason="the row-GEMM method needs AVX-512")

# (N, T, F, O, kW, dW)
GEOMS = [
    (2, 10, 16, 16, 3, 1),      # 16 columns: 12 x 32 tiles, masked partial panels
    (3, 17, 20, 33, 4, 1),      # odd sizes: partial panels, rows not a multiple of 12
    (1, 5, 16, 16, 5, 1),       # one output frame: the two edge buffers overlap
    (2, 7, 16, 70, 6, 1),       # oT = 2 < kW - 1
    (2, 40, 64, 64, 1, 1),      # kW = 1 (no edges); 64 columns: 6 x 64 tiles
    (3, 50, 128, 64, 5, 1),     # 6 x 64 tiles everywhere
    (2, 30, 37, 50, 3, 2),      # stride 2: the forward only (BLAS gradient)
    (2, 31, 16, 16, 2, 3),      # gaps between the windows
    (0, 9, 16, 16, 3, 1),       # no samples
]


def _run(g, method, dtype, seed=0):
    N, T, F, O, kW, dW = g
    oT = (T - kW) // dW + 1
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, F)).astype(dtype)
    w = rng.standard_normal((O, kW * F)).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    go = rng.standard_normal((N, oT, O)).astype(dtype)
    y = np.full((N, oT, O), np.nan, dtype)
    gi, gw, gb = (np.full_like(a, np.nan) for a in (x, w, b))
    tc.update_output(x, w, b, y, N, T, F, O, oT, kW, dW, method=method)
    if dW == 1 or method == "blas":
        tc.update_grad(x, w, go, gi, gw, gb, N, T, F, O, oT, kW, dW, method=method)
    else:
        tc.update_grad(x, w, go, gi, gw, gb, N, T, F, O, oT, kW, dW)
    return {"output": y, "gradInput": gi, "gradWeight": gw, "gradBias": gb}


def _agree(g, terms, seed=0):
    got = _run(g, "rowgemm", np.float32, seed)
    ref = _run(g, "blas", np.float64, seed)
    for k, r in ref.items():
        a = got[k]
        assert a.dtype == np.float32 and np.all(np.isfinite(a)), k
        # float32 sums of n terms: rounding errors of about sqrt(n) eps each
        scale = max(1.0, float(np.abs(r).max(initial=0)))
        np.testing.assert_allclose(a, r, rtol=0, atol=1e-6 * np.sqrt(terms[k]) * scale,
                                   err_msg=f"{k} {g}")


def _terms(g):
    N, T, F, O, kW, dW = g
    oT = (T - kW) // dW + 1
    return {"output": kW * F, "gradInput": kW * O, "gradWeight": max(N * oT, 1),
            "gradBias": max(N * oT, 1)}


@pytest.mark.parametrize("g", GEOMS, ids=str)
def test_matches_float64_blas(g):
    _agree(g, _terms(g))


def test_random_geometries():
    rng = np.random.default_rng(5)
    for _ in range(25):
        kW, dW = int(rng.integers(1, 7)), int(rng.integers(1, 3))
        T = kW + int(rng.integers(0, 40))
        g = (int(rng.integers(1, 5)), T, int(rng.integers(1, 80)), int(rng.integers(1, 80)),
             kW, dW)
        _agree(g, _terms(g), seed=int(rng.integers(1 << 30)))


def test_chunks_and_threads_keep_the_bits(monkeypatch):
    """gradWeight sums its frames in chunks (runs split inside a sample here);
    the products are split over the pool. Neither changes a bit: each element
    is summed by one thread, frame after frame."""
    g = (3, 41, 24, 40, 3, 1)
    base = _run(g, "rowgemm", np.float32)
    old = _parallel.get_num_threads()
    try:
        monkeypatch.setattr(tc, "RG_CHUNK", 5)
        monkeypatch.setattr(tc, "RG_PART_FLOPS", 1)
        for n in (1, 3):
            _parallel.set_num_threads(n)
            got = _run(g, "rowgemm", np.float32)
            for k in base:
                np.testing.assert_array_equal(got[k], base[k], err_msg=f"{k} threads={n}")
    finally:
        _parallel.set_num_threads(old)


def test_auto_takes_it_for_float32_and_enough_features():
    g = (2, 12, 16, 16, 3, 1)
    a, b = _run(g, "auto", np.float32), _run(g, "rowgemm", np.float32)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    f = nnfunc.nn.TemporalConvolution(16, 16, 3)
    p = f.init_params(seed=0)
    x = np.random.default_rng(0).standard_normal((2, 12, 16)).astype(np.float32)
    np.testing.assert_array_equal(f({"input": x, **p})["output"], _module_ref(x, p, 3))


def _module_ref(x, p, kW):
    # the row-GEMM forward through tc directly, for the module's own arrays
    N, T, F = x.shape
    O = p["weight"].shape[0]
    oT = T - kW + 1
    y = np.empty((N, oT, O), np.float32)
    tc.update_output(x, p["weight"], p["bias"], y, N, T, F, O, oT, kW, 1, method="rowgemm")
    return y


def test_forward_never_reads_unread_frames():
    """Stride 3 with kW 2: every third frame is read by no window; an inf
    there stays out of the output."""
    N, T, F, O, kW, dW = 2, 14, 16, 16, 2, 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, F)).astype(np.float32)
    x[:, 2::3, :] = np.inf
    w = rng.standard_normal((O, kW * F)).astype(np.float32)
    y = np.empty((N, (T - kW) // dW + 1, O), np.float32)
    tc.update_output(x, w, None, y, N, T, F, O, y.shape[1], kW, dW, method="rowgemm")
    assert np.all(np.isfinite(y))


def test_method_errors():
    g = dict(N=1, T=6, F=16, O=16, oT=4, kW=3)
    x64 = np.zeros((1, 6, 16))
    w64 = np.zeros((16, 48))
    y64 = np.zeros((1, 4, 16))
    with pytest.raises(ValueError, match="float32"):
        tc.update_output(x64, w64, None, y64, *g.values(), 1, method="rowgemm")
    with pytest.raises(ValueError, match="unknown method"):
        tc.update_output(x64, w64, None, y64, *g.values(), 1, method="fast")
    x, w = x64.astype(np.float32), w64.astype(np.float32)
    go = np.zeros((1, 2, 16), np.float32)
    with pytest.raises(ValueError, match="dW = 1"):
        tc.update_grad(x, w, go, np.empty_like(x), np.empty_like(w), None, 1, 6, 16, 16, 2,
                       3, 2, method="rowgemm")
