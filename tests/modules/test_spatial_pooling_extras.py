"""Pooling indices, ties and NaN (dilated, adaptive), average-pooling output
sizes, and SpatialMaxUnpooling's contract, against PyTorch on both paths."""

import numpy as np
import pytest

import nnfunc

torch = pytest.importorskip("torch")
F = torch.nn.functional
BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])


def _ties_nan(rng, shape):
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    x[rng.random(shape) < 0.1] = np.nan
    x[rng.random(shape) < 0.2] = -np.inf
    return x


@BACKENDS
@pytest.mark.parametrize("make, tref", [
    (lambda: nnfunc.nn.SpatialDilatedMaxPooling(3, 3, 2, 2, 1, 1, 2, 2, ceil_mode=True,
                                                return_indices=True),
     lambda t: F.max_pool2d(t, 3, 2, 1, 2, ceil_mode=True, return_indices=True)),
    (lambda: nnfunc.nn.SpatialMaxPooling(2, 3, 1, 2, 1, 1, return_indices=True),
     lambda t: F.max_pool2d(t, (3, 2), (2, 1), 1, return_indices=True)),
    (lambda: nnfunc.nn.SpatialAdaptiveMaxPooling(3, 4, return_indices=True),
     lambda t: F.adaptive_max_pool2d(t, (4, 3), return_indices=True)),
], ids=["dilated", "max", "adaptive"])
def test_ties_nan_inf_values_indices_and_gradients(make, tref, backend):
    rng = np.random.default_rng(0)
    f = make()
    for _ in range(8):
        x = _ties_nan(rng, (2, 2, 9, 8))
        xt = torch.from_numpy(x).requires_grad_(True)
        yt, it = tref(xt)
        go = rng.standard_normal(yt.shape)
        yt.backward(torch.from_numpy(go))
        r = f({"input": x}, backend=backend)
        np.testing.assert_array_equal(r["output"], yt.detach().numpy())
        np.testing.assert_array_equal(r["indices"], it.numpy())
        assert r["indices"].dtype == np.int64
        g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=0, atol=1e-15)


def test_default_forward_has_no_indices():
    x = np.zeros((1, 4, 4))
    assert set(nnfunc.nn.SpatialMaxPooling(2, 2)({"input": x})) == {"output"}
    assert set(nnfunc.nn.SpatialDilatedMaxPooling(2, 2)({"input": x})) == {"output"}
    assert set(nnfunc.nn.SpatialAdaptiveMaxPooling(2, 2)({"input": x})) == {"output"}


@pytest.mark.parametrize("ceil", [False, True])
def test_average_and_dilated_output_sizes_match_pytorch(ceil):
    for k in range(1, 5):
        for d in range(1, 4):
            for pad in range(0, k // 2 + 1):
                for n in range(1, 9):
                    for dil in (1, 2, 3):
                        if n + 2 * pad < dil * (k - 1) + 1:
                            continue
                        x = np.zeros((1, 1, n))
                        want = F.max_pool2d(torch.zeros(1, 1, 1, n), (1, k), (1, d), (0, pad),
                                            (1, dil), ceil_mode=ceil).shape[-1]
                        f = nnfunc.nn.SpatialDilatedMaxPooling(k, 1, d, 1, pad, 0, dil, 1,
                                                               ceil_mode=ceil)
                        try:
                            got = f({"input": x})["output"].shape[-1]
                        except nnfunc.InputError as e:
                            # a window of taps all in the padding: PyTorch outputs -inf
                            assert "holds no input element" in str(e)
                            continue
                        assert got == want, (k, d, pad, n, dil)
                    if n + 2 * pad < k:
                        continue
                    f = nnfunc.nn.SpatialAveragePooling(k, 1, d, 1, pad, 0, ceil_mode=ceil)
                    want = F.avg_pool2d(torch.zeros(1, 1, 1, n), (1, k), (1, d), (0, pad),
                                        ceil_mode=ceil).shape[-1]
                    assert f({"input": np.zeros((1, 1, n))})["output"].shape[-1] == want


def test_dilated_window_in_padding_is_an_error():
    f = nnfunc.nn.SpatialDilatedMaxPooling(2, 2, 1, 1, 1, 0, 3, 1)
    with pytest.raises(nnfunc.InputError, match="window 0 along the width.*no input element"):
        f({"input": np.zeros((1, 3, 2))})


@BACKENDS
def test_pool_then_unpool_round_trip(backend):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 9))
    pool = nnfunc.nn.SpatialMaxPooling(2, 2, return_indices=True)
    r = pool({"input": x}, backend=backend)
    un = nnfunc.nn.SpatialMaxUnpooling(pool)
    y = un({"input": r["output"], "indices": r["indices"], "outputSize": (7, 9)},
           backend=backend)["output"]
    assert y.shape == x.shape
    kept = y != 0
    np.testing.assert_array_equal(y[kept], x[kept])
    assert kept.sum() == r["output"].size
    # the default output size drops the row/column floor mode cut
    y = un({"input": r["output"], "indices": r["indices"] % 1}, backend=backend)["output"]
    assert y.shape == (2, 3, 6, 8)


@BACKENDS
def test_unpool_shared_position_keeps_the_later_value_and_gathers_gradients(backend):
    un = nnfunc.nn.SpatialMaxUnpooling(2, 2)
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    ind = np.array([[[5, 0], [5, 15]]], dtype=np.int16)
    y = un({"input": x, "indices": ind}, backend=backend)["output"]
    want = np.zeros((1, 4, 4))
    want[0, 0, 0], want[0, 1, 1], want[0, 3, 3] = 2.0, 3.0, 4.0
    np.testing.assert_array_equal(y, want)
    go = np.arange(16.0).reshape(1, 4, 4)
    g = un({"input": x, "indices": ind, "gradOutput": go}, backend=backend)["gradInput"]
    np.testing.assert_array_equal(g, [[[5.0, 0.0], [5.0, 15.0]]])


def test_unpool_constructor_forms():
    p = nnfunc.nn.SpatialDilatedMaxPooling(3, 2, 2, 1, 1, 1, 2, 1)
    m = nnfunc.nn.SpatialMaxUnpooling(p).module
    assert (m.kW, m.kH, m.dW, m.dH, m.padW, m.padH, m.dilationW) == (3, 2, 2, 1, 1, 1, 2)
    assert nnfunc.nn.SpatialMaxUnpooling(p.module).module.kW == 3
    m = nnfunc.nn.SpatialMaxUnpooling(3).module
    assert (m.kW, m.kH, m.dW, m.dH) == (3, 3, 3, 3)
    # default size: (h - 1) d - 2 pad + dil (k - 1) + 1
    y = nnfunc.nn.SpatialMaxUnpooling(p)({"input": np.ones((1, 2, 3)),
                                          "indices": np.zeros((1, 2, 3), np.int64)})
    assert y["output"].shape == (1, 1 - 2 + 2, 4 - 2 + 5)
    with pytest.raises(nnfunc.InputError, match="not both"):
        nnfunc.nn.SpatialMaxUnpooling(p, 2)


def test_unpool_bad_output_size_and_indices_never_write_out_of_bounds():
    un = nnfunc.nn.SpatialMaxUnpooling(2, 2)
    x = np.ones((1, 2, 2))
    ind = np.array([[[0, 1], [2, 3]]])
    with pytest.raises(nnfunc.InputError, match="'outputSize' must hold 2"):
        un({"input": x, "indices": ind, "outputSize": np.array([2, 2, 2])})
    with pytest.raises(nnfunc.InputTypeError, match="'outputSize'"):
        un({"input": x, "indices": ind, "outputSize": (2.0, 2)})
    with pytest.raises(nnfunc.InputTypeError, match="'outputSize'.*integer"):
        un({"input": x, "indices": ind, "outputSize": np.array([2.0, 2.0])})
    # a 1x2 plane holds offsets 0 and 1 only
    with pytest.raises(nnfunc.InputError, match=r"offset 3, outside \[0, 2\)"):
        un({"input": x, "indices": ind, "outputSize": [1, 2]})
    with pytest.raises(nnfunc.InputError, match="offset"):
        un({"input": x, "indices": np.array([[[0, 1], [2, 2**40]]], np.uint64)})
    with pytest.raises(nnfunc.InputTypeError, match="'indices'.*integer"):
        un({"input": x, "indices": ind.astype(bool)})
