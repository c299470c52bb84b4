"""Dropout family: explicit randomness (seed / noise), masks per plane,
and the gradient's need for the mask (module-specific extras of the table)."""

import numpy as np
import pytest

import nnfunc

BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])
RNG = np.random.default_rng(0)


@BACKENDS
@pytest.mark.parametrize("mod,shape", [("Dropout", (3, 4)), ("SpatialDropout", (2, 3, 4, 4)),
                                       ("VolumetricDropout", (3, 2, 2, 2))])
def test_gradient_needs_the_mask(mod, shape, backend):
    f = getattr(nnfunc.nn, mod)(0.5)
    x = RNG.standard_normal(shape)
    with pytest.raises(nnfunc.InputError, match=f"{mod}: .*needs the mask.*'noise'"):
        f({"input": x, "gradOutput": x}, backend=backend)
    # the forward without seed draws fresh entropy and hands the mask back: replayable
    r = f({"input": x}, backend=backend)
    g = f({"input": x, "noise": r["noise"], "gradOutput": np.ones(shape)}, backend=backend)
    np.testing.assert_array_equal(g["gradInput"], np.broadcast_to(r["noise"], shape))
    np.testing.assert_array_equal(r["output"], x * r["noise"])


def test_fresh_draws_differ_and_rates_match():
    f = nnfunc.nn.Dropout(0.3)
    x = np.ones(20000)
    a, b = f({"input": x})["noise"], f({"input": x})["noise"]
    assert not np.array_equal(a, b)
    assert set(np.unique(a)) == {0.0, 1 / 0.7}
    assert abs((a == 0).mean() - 0.3) < 0.02
    v1 = nnfunc.nn.Dropout(0.3, True)({"input": x, "seed": 1})["noise"]
    assert set(np.unique(v1)) == {0.0, 1.0}


@BACKENDS
def test_planes_share_one_value(backend):
    x = RNG.standard_normal((4, 6, 5, 7)).astype(np.float32)
    r = nnfunc.nn.SpatialDropout(0.5)({"input": x, "seed": 3}, backend=backend)
    assert r["noise"].shape == (4, 6, 1, 1) and r["noise"].dtype == np.float32
    y = r["output"]
    for n in range(4):
        for c in range(6):
            kept = r["noise"][n, c, 0, 0]
            assert kept in (0.0, 1.0)
            np.testing.assert_array_equal(y[n, c], x[n, c] * kept)
    x5 = RNG.standard_normal((2, 3, 2, 3, 4))
    r = nnfunc.nn.VolumetricDropout(0.5)({"input": x5, "seed": 4}, backend=backend)
    assert r["noise"].shape == (2, 3, 1, 1, 1)
    np.testing.assert_array_equal(r["output"], x5 * r["noise"])


@BACKENDS
def test_same_seed_same_mask_in_both_dtypes(backend):
    x = RNG.standard_normal((5, 8))
    f = nnfunc.nn.Dropout(0.5)
    m64 = f({"input": x, "seed": 9}, backend=backend)["noise"]
    m32 = f({"input": x.astype(np.float32), "seed": 9}, backend=backend)["noise"]
    np.testing.assert_array_equal(m64, m32)
    # the documented draw
    u = np.random.default_rng(9).random((5, 8))
    np.testing.assert_array_equal(m64, np.where(u < 0.5, 2.0, 0.0))


@BACKENDS
def test_noise_wins_over_seed_and_is_returned(backend):
    x = RNG.standard_normal((3, 4))
    noise = np.where(RNG.random((3, 4)) < 0.5, 2.0, 0.0)
    r = nnfunc.nn.Dropout()({"input": x, "seed": 1, "noise": noise}, backend=backend)
    np.testing.assert_array_equal(r["output"], x * noise)
    np.testing.assert_array_equal(r["noise"], noise)


@BACKENDS
def test_evaluate_mode(backend):
    x = RNG.standard_normal((2, 3, 4, 4))
    go = RNG.standard_normal((2, 3, 4, 4))
    f = nnfunc.nn.SpatialDropout(0.25)
    r = f({"input": x, "train": False}, backend=backend)
    assert set(r) == {"output"}
    np.testing.assert_allclose(r["output"], 0.75 * x)
    g = f({"input": x, "train": False, "gradOutput": go}, backend=backend)
    np.testing.assert_allclose(g["gradInput"], 0.75 * go)
    y = nnfunc.nn.Dropout(0.25)({"input": x, "train": False}, backend=backend)["output"]
    np.testing.assert_array_equal(y, x)
    assert not np.shares_memory(y, x)


@BACKENDS
@pytest.mark.parametrize("mod,shape", [("Dropout", (0, 4)), ("SpatialDropout", (0, 3, 4, 4)),
                                       ("SpatialDropout", (2, 3, 0, 4)),
                                       ("VolumetricDropout", (0, 3, 2, 2, 2))])
def test_empty_in_training_mode(mod, shape, backend):
    f = getattr(nnfunc.nn, mod)(0.5)
    x = np.zeros(shape)
    r = f({"input": x, "seed": 1}, backend=backend)
    assert r["output"].shape == shape
    g = f({"input": x, "seed": 1, "gradOutput": x}, backend=backend)
    assert g["gradInput"].shape == shape
    g = f({"input": x, "noise": r["noise"], "gradOutput": x}, backend=backend)
    assert g["gradInput"].shape == shape


def test_torch_and_strict_get_the_numpy_mask():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4, 5))
    want = nnfunc.nn.SpatialDropout(0.5)({"input": x, "seed": 12})["noise"]
    got = nnfunc.nn.SpatialDropout(0.5)({"input": torch.from_numpy(x), "seed": 12})["noise"]
    assert isinstance(got, torch.Tensor)
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,shape", [("Dropout", (2, 3, 130, 130)),
                                        ("SpatialDropout", (2, 40, 40, 40)),
                                        ("VolumetricDropout", (3, 20, 12, 20, 20))])
def test_mask_apply_split_over_threads(name, shape, dtype):
    """apply / scale split over the thread pool (arrays above its 32K-element
    grain): the same bits for 1, 2 and 3 threads, train and evaluation mode."""
    from nnfunc._cpu import _parallel
    f = getattr(nnfunc.nn, name)(0.3, stochasticInference=False) if name != "Dropout" \
        else nnfunc.nn.Dropout(0.3, v1=True)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    go = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    old = _parallel.get_num_threads()
    try:
        res = []
        for t in (1, 2, 3):
            _parallel.set_num_threads(t)
            r = f({"input": x, "seed": 5})
            res.append((r["output"], r["noise"],
                        f({"input": x, "seed": 5, "gradOutput": go})["gradInput"],
                        f({"input": x, "noise": r["noise"], "gradOutput": go})["gradInput"],
                        f({"input": x, "train": False})["output"]))
    finally:
        _parallel.set_num_threads(old)
    for other in res[1:]:
        for a, b in zip(res[0], other):
            np.testing.assert_array_equal(a, b)
