"""Volumetric / temporal pooling extras: sizes, indices, ties, NaN and -inf
against PyTorch on both paths, and the configurations nnfunc rejects."""

import numpy as np
import pytest

import nnfunc

torch = pytest.importorskip("torch")
F = torch.nn.functional
BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])


@pytest.mark.parametrize("ceil", [False, True])
def test_output_sizes_match_pytorch(ceil):
    for k in range(1, 5):
        for d in range(1, 4):
            for pad in range(0, k // 2 + 1):
                for dil in (1, 2):
                    for n in range(1, 9):
                        try:
                            want = F.max_pool3d(torch.zeros(1, 1, n, 1, 1), (k, 1, 1), (d, 1, 1),
                                                (pad, 0, 0), dilation=(dil, 1, 1),
                                                ceil_mode=ceil).shape[2]
                        except RuntimeError:
                            want = None
                        f = nnfunc.nn.VolumetricDilatedMaxPooling(k, 1, 1, d, 1, 1, pad, 0, 0,
                                                                  dil, 1, 1, ceil_mode=ceil)
                        try:
                            got = f({"input": np.zeros((1, n, 1, 1))})["output"].shape[1]
                        except nnfunc.InputError:
                            got = None
                        if want is not None and got is None:
                            # only a window holding no input element is refused
                            assert dil > 1 and pad > 0, (k, d, pad, dil, n)
                            continue
                        assert got == want, (k, d, pad, dil, n)
                        if dil == 1 and got is not None:
                            a = nnfunc.nn.VolumetricAveragePooling(k, 1, 1, d, 1, 1, pad, 0, 0,
                                                                   ceil_mode=ceil)
                            assert a({"input": np.zeros((1, n, 1, 1))})["output"].shape[1] == got


def _windows(rng, shape):
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    x[rng.random(shape) < 0.1] = np.nan
    x[rng.random(shape) < 0.2] = -np.inf
    return x


@BACKENDS
@pytest.mark.parametrize("args,ceil", [((2, 2, 2), False),
                                       ((3, 3, 2, 2, 2, 1, 1, 1, 1), True),
                                       ((3, 2, 3, 1, 2, 2, 1, 1, 1, 2, 1, 2), False)])
def test_ties_nan_inf_and_indices_like_pytorch(backend, args, ceil):
    rng = np.random.default_rng(0)
    a = args + (None,) * (12 - len(args))
    kT, kW, kH = a[:3]
    d = tuple(v or k for v, k in zip(a[3:6], (kT, kW, kH)))
    pad = tuple(v or 0 for v in a[6:9])
    dil = tuple(v or 1 for v in a[9:12])
    f = nnfunc.nn.VolumetricDilatedMaxPooling(*args, ceil_mode=ceil, return_indices=True)
    for _ in range(5):
        x = _windows(rng, (2, 2, 6, 7, 8))
        xt = torch.from_numpy(x).requires_grad_(True)
        yt, it = F.max_pool3d(xt, (kT, kH, kW), (d[0], d[2], d[1]), (pad[0], pad[2], pad[1]),
                              dilation=(dil[0], dil[2], dil[1]), ceil_mode=ceil,
                              return_indices=True)
        go = rng.standard_normal(yt.shape)
        yt.backward(torch.from_numpy(go))
        r = f({"input": x}, backend=backend)
        g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_array_equal(r["output"], yt.detach().numpy())
        np.testing.assert_array_equal(r["indices"], it.numpy())
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@BACKENDS
def test_temporal_indices_ties_and_nan_like_pytorch(backend):
    rng = np.random.default_rng(1)
    f = nnfunc.nn.TemporalMaxPooling(3, 2, return_indices=True)
    for _ in range(5):
        x = _windows(rng, (2, 11, 6))
        xt = torch.from_numpy(x).requires_grad_(True)
        yt, it = F.max_pool1d(xt.transpose(1, 2), 3, 2, return_indices=True)
        yt = yt.transpose(1, 2)
        go = rng.standard_normal(yt.shape)
        yt.backward(torch.from_numpy(go))
        r = f({"input": x}, backend=backend)
        np.testing.assert_array_equal(r["output"], yt.detach().numpy())
        np.testing.assert_array_equal(r["indices"], it.transpose(1, 2).numpy())
        g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@BACKENDS
def test_default_forward_has_only_output(backend):
    x = np.arange(64.0).reshape(1, 4, 4, 4)
    for f in (nnfunc.nn.VolumetricMaxPooling(2, 2, 2), nnfunc.nn.TemporalMaxPooling(2),
              nnfunc.nn.VolumetricAveragePooling(2, 2, 2)):
        assert set(f({"input": x[0] if "Temporal" in repr(f) else x}, backend=backend)) == {
            "output"}


@BACKENDS
def test_indices_decode_to_the_maximum(backend):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 5, 6, 7))
    r = nnfunc.nn.VolumetricMaxPooling(3, 2, 2, 2, 2, 2, 1, 1, 1, ceil_mode=True,
                                       return_indices=True)({"input": x}, backend=backend)
    flat = x.reshape(3, 2, -1)
    got = np.take_along_axis(flat, r["indices"].reshape(3, 2, -1), axis=2)
    np.testing.assert_array_equal(got.reshape(r["output"].shape), r["output"])


@BACKENDS
def test_dilated_window_holding_no_input_is_refused(backend):
    # T = 2, kT = 2, padT = 1, dilationT = 3: the first window's taps are -1 and 2
    f = nnfunc.nn.VolumetricDilatedMaxPooling(2, 1, 1, 1, 1, 1, 1, 0, 0, 3, 1, 1)
    with pytest.raises(nnfunc.InputError, match="holds no input element"):
        f({"input": np.zeros((1, 2, 3, 3))}, backend=backend)


@BACKENDS
def test_average_divisors_like_pytorch_at_the_edges(backend):
    x = np.ones((1, 1, 5, 4, 3))
    for cip in (True, False):
        f = nnfunc.nn.VolumetricAveragePooling(3, 2, 2, 2, 2, 2, 1, 1, 1, ceil_mode=True,
                                               count_include_pad=cip)
        y = f({"input": x}, backend=backend)["output"]
        yt = F.avg_pool3d(torch.from_numpy(x), (3, 2, 2), 2, 1, ceil_mode=True,
                          count_include_pad=cip)
        np.testing.assert_allclose(y, yt.numpy(), rtol=1e-15)
        if not cip:
            np.testing.assert_allclose(y, 1.0, rtol=1e-15)


@BACKENDS
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_contiguous_rows_like_pytorch(backend, dtype):
    """Column stride 1 (the vectorised row passes of _pool.h, AVX clones):
    rows long enough for whole vectors plus a tail, ties, NaN and -inf."""
    rng = np.random.default_rng(2)
    for args in [(3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1), (2, 3, 2, 2, 1, 2, 0, 1, 0)]:
        a = args + (None,) * (12 - len(args))
        pad = tuple(v or 0 for v in a[6:9])
        dil = tuple(v or 1 for v in a[9:12])
        f = nnfunc.nn.VolumetricDilatedMaxPooling(*args, return_indices=True)
        x = _windows(rng, (2, 3, 5, 6, 37)).astype(dtype)
        xt = torch.from_numpy(x).requires_grad_(True)
        yt, it = F.max_pool3d(xt, (a[0], a[2], a[1]), (a[3], a[5], a[4]),
                              (pad[0], pad[2], pad[1]), dilation=(dil[0], dil[2], dil[1]),
                              return_indices=True)
        go = rng.standard_normal(yt.shape).astype(dtype)
        yt.backward(torch.from_numpy(go))
        r = f({"input": x}, backend=backend)
        g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_array_equal(r["output"], yt.detach().numpy())
        np.testing.assert_array_equal(r["indices"], it.numpy())
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-6, atol=1e-6)
    f = nnfunc.nn.TemporalMaxPooling(3, 2, return_indices=True)
    x = _windows(rng, (3, 40, 37)).astype(dtype)
    xt = torch.from_numpy(x).requires_grad_(True)
    yt, it = F.max_pool1d(xt.transpose(1, 2), 3, 2, return_indices=True)
    yt = yt.transpose(1, 2)
    go = rng.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.from_numpy(go))
    r = f({"input": x}, backend=backend)
    np.testing.assert_array_equal(r["output"], yt.detach().numpy())
    np.testing.assert_array_equal(r["indices"], it.transpose(1, 2).numpy())
    g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-6, atol=1e-6)
