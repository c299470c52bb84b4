"""Convolution family extras: kernel paths and tiles the table rows do not reach."""

import numpy as np
import pytest

import nnfunc
from nnfunc._cpu import spatial_convolution as kern

# SpatialFullConvolution (C, O, kW, kH, dW, dH, padW, padH, adjW, adjH), input (N, C, H, W)
FULL = [
    ((3, 4, 3, 3, 2, 2, 1, 1, 1, 1), (2, 3, 5, 4)),
    # phase method (_phase.h): s divides k; s does not; padding >= s; strides 3 x 2
    ((4, 3, 4, 4, 2, 2, 1, 1, 0, 0), (2, 4, 5, 6)),
    ((3, 2, 4, 3, 3, 2, 0, 1, 2, 0), (1, 3, 4, 5)),
    ((2, 3, 3, 3, 2, 2, 3, 3, 1, 0), (2, 2, 6, 7)),
    ((2, 3, 5, 5, 3, 3, 2, 2, 0, 2), (2, 2, 4, 5)),
    ((3, 6, 3, 3, 1, 1, 1, 1, 0, 0), (2, 3, 5, 6)),
    ((4, 5, 1, 1, 1, 1, 0, 0, 0, 0), (2, 4, 3, 5)),
    ((2, 3, 4, 2, 3, 2, 2, 0, 1, 1), (0, 2, 3, 4)),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("args, shape", FULL, ids=str)
def test_full_convolution_paths_and_tiles(args, shape, dtype, bias):
    f = nnfunc.nn.SpatialFullConvolution(*args, bias=bias)
    p = f.init_params(seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    d = dict(input=x, **p)
    y_ref = f(d, backend="generic")["output"]
    go = rng.standard_normal(y_ref.shape).astype(dtype)
    g_ref = f(dict(d, gradOutput=go), backend="generic")
    c, o, kw, kh, dw, dh, pw, ph = args[:8]
    n, _, h, w = shape
    sizes = (n, c, h, w, o, y_ref.shape[2], y_ref.shape[3], kh, kw, dh, dw, ph, pw)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for method in ("auto", "unfold", "rows", "direct", "phase"):
        for tb in (-1, 1):
            y = np.full(y_ref.shape, np.nan, dtype)
            try:
                kern.full_update_output(x, p["weight"], p.get("bias"), y, *sizes,
                                        tile_bytes=tb, method=method)
            except ValueError:
                continue
            np.testing.assert_allclose(y, y_ref, **tol)
            gi = np.full(x.shape, np.nan, dtype)
            gw = np.full(p["weight"].shape, np.nan, dtype)
            gb = np.full((o,), np.nan, dtype) if bias else None
            kern.full_update_grad(x, p["weight"], go, gi, gw, gb, *sizes, tile_bytes=tb,
                                  method=method)
            np.testing.assert_allclose(gi, g_ref["gradInput"], **tol)
            np.testing.assert_allclose(gw, g_ref["gradWeight"], **tol)
            if bias:
                np.testing.assert_allclose(gb, g_ref["gradBias"], **tol)


@pytest.mark.parametrize("method", ["unfold", "rows", "shift"])
def test_dilated_paths_and_tiles(method):
    # shift: float32 on an AVX-512 CPU only
    from nnfunc._cpu import shift_convolution
    if method == "shift" and not shift_convolution.available():
        pytest.skip("the CPU has no AVX-512")
    dtype = np.float32 if method == "shift" else np.float64
    tol = dict(rtol=1e-5, atol=1e-5) if method == "shift" else dict(rtol=1e-12, atol=1e-12)
    f = nnfunc.nn.SpatialDilatedConvolution(8, 3, 3, 2, 1, 1, 2, 1, 2, 3)
    p = f.init_params(seed=0, dtype=dtype)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 8, 9, 8)).astype(dtype)
    d = dict(input=x, **p)
    y_ref = f(d, backend="generic")["output"]
    go = rng.standard_normal(y_ref.shape).astype(dtype)
    g_ref = f(dict(d, gradOutput=go), backend="generic")
    sizes = (2, 8, 9, 8, 3, y_ref.shape[2], y_ref.shape[3], 2, 3, 1, 1, 1, 2)
    for tb in (-1, 1, 4096):
        y = np.full(y_ref.shape, np.nan, dtype)
        kern.update_output(x, p["weight"], p["bias"], y, *sizes, tile_bytes=tb, method=method,
                           dilH=3, dilW=2)
        np.testing.assert_allclose(y, y_ref, **tol)
        gi, gw, gb = (np.full(a.shape, np.nan, dtype) for a in (x, p["weight"], p["bias"]))
        kern.update_grad(x, p["weight"], go, gi, gw, gb, *sizes, tile_bytes=tb, method=method,
                         dilH=3, dilW=2)
        for got, key in ((gi, "gradInput"), (gw, "gradWeight"), (gb, "gradBias")):
            np.testing.assert_allclose(got, g_ref[key], **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_temporal_unread_frame_nonfinite(dtype):
    """TemporalConvolution's merged-batch gradient: a frame that no window reads
    (after the last window of a sample) holding inf or NaN leaves the gradients
    finite and equal to the generic path's (the merged GEMM would add 0 * inf)."""
    f = nnfunc.nn.TemporalConvolution(3, 4, 3, 2)
    p = f.init_params(seed=0, dtype=dtype)
    x = np.random.default_rng(0).standard_normal((3, 10, 3)).astype(dtype)
    x[0, 9, :] = np.inf           # windows start at 0, 2, 4, 6: frame 9 is unread
    x[1, 9, 1] = np.nan
    go = np.random.default_rng(1).standard_normal((3, 4, 4)).astype(dtype)
    a = f({"input": x, **p, "gradOutput": go})
    b = f({"input": x, **p, "gradOutput": go}, backend="generic")
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for k in a:
        assert np.all(np.isfinite(a[k])), k
        np.testing.assert_allclose(a[k], b[k], rtol=tol, atol=tol, err_msg=k)


# the generic reference sums inf - inf (a NaN gradient, as the kernels)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_nonfinite_reaches_only_its_taps(dtype, stride):
    """The depthwise kernels compute a row's last, partial vector chunk over
    whole lanes: lanes past the row must not add 0 * inf = NaN into a
    gradWeight tap that never reads the infinite input."""
    f = nnfunc.nn.SpatialDepthWiseConvolution(2, 1, 3, 3, stride, stride, 0, 0)
    p = f.init_params(seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 7, 13)).astype(dtype)
    x[:, :, 3, 12] = np.inf        # the last column: read only by tap kx = 2
    d = dict(input=x, **p)
    y = f(d)["output"]
    dg = dict(d, gradOutput=rng.standard_normal(y.shape).astype(dtype))
    g, gg = f(dg), f(dg, backend="generic")
    gw = g["gradWeight"].reshape(1, 2, 3, 3)
    assert np.isfinite(gw[..., :2]).all()
    # the same inf / NaN positions, finite values to a float32 sum's rounding
    tol = dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g["gradWeight"], gg["gradWeight"], **tol)
    np.testing.assert_allclose(y, f(d, backend="generic")["output"], **tol)


# VolumetricFullConvolution (C, O, kT, kW, kH, dT, dW, dH, padT, padW, padH, adjT, adjW,
# adjH), input (N, C, T, H, W): every forward method of the kernel
VFULL = [
    ((3, 2, 4, 4, 4, 2, 2, 2, 1, 1, 1), (2, 3, 2, 3, 4)),
    ((3, 2, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 0, 1), (2, 3, 2, 3, 2)),
    ((2, 3, 2, 3, 2, 1, 2, 3, 1, 0, 1, 0, 1, 2), (1, 2, 2, 3, 3)),
    ((2, 2, 3, 2, 5, 3, 1, 2, 2, 0, 3), (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("args, shape", VFULL, ids=str)
def test_volumetric_full_forward_methods(args, shape, dtype):
    from nnfunc._cpu import volumetric_convolution as vk
    f = nnfunc.nn.VolumetricFullConvolution(*args)
    p = f.init_params(seed=0, dtype=dtype)
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    d = dict(input=x, **p)
    y_ref = f(d, backend="generic")["output"]
    geom = f.module._geometry(f.module.check(d))
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for method in ("auto", "unfold", "planes", "phase"):
        y = np.full(y_ref.shape, np.nan, dtype)
        try:
            vk.forward(x, p["weight"], p["bias"], y, True, *geom, method=method)
        except ValueError:          # planes needs dT = 1
            continue
        np.testing.assert_allclose(y, y_ref, **tol)


# VolumetricConvolution / VolumetricDilatedConvolution: every gradient method
# of the kernel
VCONV = [
    ("VolumetricConvolution", (3, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1), (2, 3, 4, 5, 6)),
    ("VolumetricConvolution", (2, 3, 2, 3, 1, 1, 1, 1, 0, 2, 0), (2, 2, 3, 4, 5)),
    ("VolumetricConvolution", (2, 3, 2, 2, 3, 2, 1, 1, 1, 0, 1), (1, 2, 5, 4, 5)),
    ("VolumetricDilatedConvolution", (2, 3, 3, 2, 3, 1, 1, 1, 2, 1, 0, 2, 1, 2),
     (2, 2, 6, 5, 7)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, args, shape", VCONV, ids=str)
def test_volumetric_gradient_methods(name, args, shape, dtype):
    from nnfunc._cpu import volumetric_convolution as vk
    f = getattr(nnfunc.nn, name)(*args)
    p = f.init_params(seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    d = dict(input=x, **p)
    y = f(d)["output"]
    go = rng.standard_normal(y.shape).astype(dtype)
    g_ref = f(dict(d, gradOutput=go), backend="generic")
    geom = f.module._geometry(f.module.check(d))
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for method in ("auto", "unfold", "planes", "shift"):
        gi = np.full(x.shape, np.nan, dtype)
        gw = np.full(p["weight"].shape, np.nan, dtype)
        gb = np.full(p["bias"].shape, np.nan, dtype)
        try:
            vk.backward(x, p["weight"], go, gi, gw, gb, False, *geom, method=method)
        except ValueError:          # planes needs dT = 1, shift float32, stride 1, AVX-512
            assert method in ("planes", "shift")
            continue
        if method == "shift":
            ys = np.full(y.shape, np.nan, dtype)
            vk.forward(x, p["weight"], p["bias"], ys, False, *geom, method=method)
            np.testing.assert_allclose(ys, y, **tol)
        np.testing.assert_allclose(gi, g_ref["gradInput"], **tol)
        np.testing.assert_allclose(gw, g_ref["gradWeight"], **tol)
        np.testing.assert_allclose(gb, g_ref["gradBias"], **tol)


def test_full_convolution_phase_batches():
    """The phase method runs as many samples per GEMM as fit its 4 MiB of
    scratch: here 3 of 4 per batch (1.3 MB per sample), then 1."""
    f = nnfunc.nn.SpatialFullConvolution(64, 64, 4, 4, 2, 2, 1, 1)
    p = f.init_params(seed=0, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((4, 64, 24, 24)).astype(np.float32)
    p = {k: v.astype(np.float32) for k, v in p.items()}
    d = dict(input=x, **p)
    y = f(d)["output"]
    y_ref = f({k: v.astype(np.float64) for k, v in d.items()}, backend="generic")["output"]
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)
