"""SpatialConvolution extras: every CPU kernel path and tiling against the generic code."""

import numpy as np
import pytest

import nnfunc
from nnfunc._cpu import spatial_convolution as kern

# (N, C, H, W, O, kH, kW, dH, dW, padH, padW)
SHAPES = [
    (2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1),
    (3, 5, 9, 8, 2, 3, 2, 1, 1, 0, 1),
    (1, 4, 5, 5, 3, 1, 1, 1, 1, 0, 0),
    (2, 2, 6, 7, 3, 5, 3, 1, 1, 2, 0),
    (2, 6, 8, 9, 5, 2, 4, 2, 3, 1, 2),
    (2, 3, 4, 4, 2, 4, 4, 1, 1, 0, 0),
    (1, 2, 3, 3, 2, 1, 1, 1, 1, 1, 1),
    (0, 3, 5, 5, 2, 3, 3, 1, 1, 1, 1),
]


def _reference(shape, dtype, bias, seed=0):
    n, c, h, w, o, kh, kw, dh, dw, ph, pw = shape
    f = nnfunc.nn.SpatialConvolution(c, o, kw, kh, dw, dh, pw, ph, bias=bias)
    rng = np.random.default_rng(seed)
    p = f.init_params(seed=seed, dtype=dtype)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    d = dict(input=x, **p)
    y = f(d, backend="generic")["output"]
    go = rng.standard_normal(y.shape).astype(dtype)
    g = f(dict(d, gradOutput=go), backend="generic")
    sizes = (n, c, h, w, o, y.shape[2], y.shape[3], kh, kw, dh, dw, ph, pw)
    return p, x, go, y, g, sizes


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_every_path_and_tile_matches_generic(shape, dtype, bias):
    p, x, go, y_ref, g_ref, sizes = _reference(shape, dtype, bias)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    k = sizes[1] * sizes[7] * sizes[8]
    tiles = [-1, 1, 2 * (k + 1) * sizes[6] * x.itemsize]    # default, one row, two rows
    ran = set()
    for method in ("auto", "direct", "unfold", "rows", "shift"):
        for tb in tiles:
            y = np.full(y_ref.shape, np.nan, dtype)          # written over, never read
            try:
                kern.update_output(x, p["weight"], p.get("bias"), y, *sizes,
                                   tile_bytes=tb, method=method)
            except ValueError:
                # not applicable to this shape (shift: float32, stride 1, AVX-512)
                assert method in ("direct", "rows", "shift")
                continue
            ran.add(method)
            np.testing.assert_allclose(y, y_ref, err_msg=f"{method} tile {tb}", **tol)
            gi = np.full(x.shape, np.nan, dtype)
            gw = np.full(p["weight"].shape, np.nan, dtype)
            gb = np.full(p["weight"].shape[:1], np.nan, dtype) if bias else None
            kern.update_grad(x, p["weight"], go, gi, gw, gb, *sizes, tile_bytes=tb,
                             method=method)
            what = f"{method} tile {tb}"
            np.testing.assert_allclose(gi, g_ref["gradInput"], err_msg="gi " + what, **tol)
            np.testing.assert_allclose(gw, g_ref["gradWeight"], err_msg="gw " + what, **tol)
            if bias:
                np.testing.assert_allclose(gb, g_ref["gradBias"], err_msg="gb " + what, **tol)
    assert "unfold" in ran
    from nnfunc._cpu import shift_convolution
    stride1 = sizes[9] == sizes[10] == 1
    if dtype == np.float32 and stride1 and shift_convolution.available():
        assert "shift" in ran


def test_rows_method_is_picked_and_exact():
    # stride dH = 1 and C*kW >= ROWS_MIN_K: the table row "rows" runs this path too
    shape = (2, 32, 8, 8, 3, 3, 3, 1, 1, 1, 1)
    p, x, go, y_ref, g_ref, sizes = _reference(shape, np.float64, True)
    assert 32 * 3 >= kern.ROWS_MIN_K
    y = np.empty_like(y_ref)
    kern.update_output(x, p["weight"], p["bias"], y, *sizes, method="rows")
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        kern.update_output(x, p["weight"], p["bias"], y, 2, 32, 8, 8, 3, 4, 8, 3, 3, 2, 1,
                           1, 1, method="rows")


def test_output_size_uses_floor_division():
    # H + 2 padH - kH = -1 with dH = 2: Torch7's C division gave one row, we refuse
    f = nnfunc.nn.SpatialConvolution(1, 1, 3, 3, 2, 2)
    p = f.init_params(seed=0, dtype=np.float64)
    with pytest.raises(nnfunc.InputError, match=r"'input'.*too small.*\(0, 0\)"):
        f({"input": np.zeros((1, 2, 2)), **p})


def test_zero_height_input_refused():
    f = nnfunc.nn.SpatialConvolution(1, 1, 1, 1, 1, 1, 1)
    p = f.init_params(seed=0, dtype=np.float64)
    with pytest.raises(nnfunc.InputError, match="'input'.*height and width"):
        f({"input": np.zeros((1, 0, 4)), **p})


def test_padH_defaults_to_padW_and_init_range():
    m = nnfunc.nn.SpatialConvolution(3, 2, 3, 5, 1, 1, 2).module
    assert (m.padW, m.padH) == (2, 2)
    assert nnfunc.nn.SpatialConvolution(3, 2, 3, 5, 1, 1, 2, 0).module.padH == 0
    f = nnfunc.nn.SpatialConvolution(3, 2, 3, 5)
    p = f.init_params(seed=1, dtype=np.float64)
    assert p["weight"].shape == (2, 3, 5, 3) and p["bias"].shape == (2,)
    s = 1 / np.sqrt(3 * 5 * 3)
    assert np.abs(p["weight"]).max() <= s and np.abs(p["weight"]).max() > 0.8 * s
    assert f.module.params == ("weight", "bias")
    assert nnfunc.nn.SpatialConvolution(3, 2, 3, 5, bias=False).module.params == ("weight",)
