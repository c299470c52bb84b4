"""SpatialMaxPooling extras: output sizes, ties and NaN against PyTorch, on both paths."""

import numpy as np
import pytest

import nnfunc

torch = pytest.importorskip("torch")
F = torch.nn.functional
BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])


@pytest.mark.parametrize("ceil", [False, True])
def test_output_sizes_match_pytorch(ceil):
    for k in range(1, 5):
        for d in range(1, 5):
            for pad in range(0, k // 2 + 1):
                for n in range(1, 10):
                    if n + 2 * pad < k:
                        continue
                    f = nnfunc.nn.SpatialMaxPooling(k, 1, d, 1, pad, 0, ceil_mode=ceil)
                    y = f({"input": np.zeros((1, 1, n))})["output"]
                    want = F.max_pool2d(torch.zeros(1, 1, 1, n), (1, k), (1, d), (0, pad),
                                        ceil_mode=ceil).shape[-1]
                    assert y.shape[-1] == want, (k, d, pad, n)


@BACKENDS
def test_ties_nan_and_inf_route_like_pytorch(backend):
    rng = np.random.default_rng(0)
    f = nnfunc.nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1, ceil_mode=True)
    for _ in range(10):
        x = rng.integers(0, 3, size=(2, 2, 7, 8)).astype(np.float64)
        x[rng.random(x.shape) < 0.1] = np.nan
        x[rng.random(x.shape) < 0.2] = -np.inf
        xt = torch.from_numpy(x).requires_grad_(True)
        yt = F.max_pool2d(xt, 3, 2, 1, ceil_mode=True)
        go = rng.standard_normal(yt.shape)
        yt.backward(torch.from_numpy(go))
        y = f({"input": x}, backend=backend)["output"]
        g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_array_equal(y, yt.detach().numpy())
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=0, atol=1e-15)


@BACKENDS
def test_all_minus_inf_window_routes_to_first_input_element(backend):
    x = np.full((1, 3, 3), -np.inf)
    f = nnfunc.nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1)
    g = f({"input": x, "gradOutput": np.ones((1, 2, 2))}, backend=backend)["gradInput"]
    want = np.zeros((1, 3, 3))
    want[0, 0, 0] = want[0, 0, 1] = want[0, 1, 0] = want[0, 1, 1] = 1
    np.testing.assert_array_equal(g, want)


def test_bad_arguments():
    with pytest.raises(nnfunc.InputError, match="padW"):
        nnfunc.nn.SpatialMaxPooling(2, 2, 2, 2, 2, 0)
    with pytest.raises(nnfunc.InputError, match="padH"):
        nnfunc.nn.SpatialMaxPooling(3, 3, 2, 2, 1, 2)
    m = nnfunc.nn.SpatialMaxPooling(3, 2).module
    assert (m.dW, m.dH) == (3, 2)
    f = nnfunc.nn.SpatialMaxPooling(2, 2)
    with pytest.raises(nnfunc.InputError, match="'input'.*height and width"):
        f({"input": np.zeros((2, 0, 4))})
    assert f.init_params() == {}
