"""LookupTable: integer input whose results take the weight's dtype
(``Module.result_param``), maxNorm as an extra output, padding rows."""

import numpy as np
import pytest

import nnfunc

BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])
RNG = np.random.default_rng(0)


@BACKENDS
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("itype", [np.int64, np.int32, np.uint8, np.int16])
def test_result_dtype_follows_weight(dtype, itype, backend):
    f = nnfunc.nn.LookupTable(7, 3)
    w = f.init_params(seed=0, dtype=dtype)["weight"]
    x = RNG.integers(0, 7, (2, 5)).astype(itype)
    y = f({"input": x, "weight": w}, backend=backend)["output"]
    assert y.dtype == dtype and y.shape == (2, 5, 3)
    np.testing.assert_array_equal(y, w[x.astype(np.int64)])
    g = f({"input": x, "weight": w, "gradOutput": np.ones((2, 5, 3), dtype)}, backend=backend)
    assert g["gradInput"].dtype == dtype and g["gradWeight"].dtype == dtype
    np.testing.assert_array_equal(g["gradInput"], 0)
    np.testing.assert_array_equal(g["gradWeight"][:, 0], np.bincount(x.ravel(), minlength=7))


@BACKENDS
def test_weight_is_checked_first(backend):
    f = nnfunc.nn.LookupTable(4, 2)
    x = np.array([0, 3])
    with pytest.raises(nnfunc.InputError, match="LookupTable: missing key 'weight'"):
        f({"input": x}, backend=backend)
    with pytest.raises(nnfunc.InputTypeError, match="'weight' has dtype int64"):
        f({"input": x, "weight": np.zeros((4, 2), np.int64)}, backend=backend)
    with pytest.raises(TypeError, match="LookupTable: 'weight'"):
        f({"input": x, "weight": [[0.0] * 2] * 4}, backend=backend)
    with pytest.raises(nnfunc.InputTypeError, match="'output'.*float32.*'weight'"):
        f({"input": x, "weight": np.zeros((4, 2), np.float32), "output": np.empty((2, 2))},
          backend=backend)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="mixed array namespaces"):
        f({"input": x, "weight": torch.zeros(4, 2)}, backend=backend)
    with pytest.raises(nnfunc.InputTypeError, match="'weight' has dtype torch.int64"):
        f({"input": torch.from_numpy(x), "weight": torch.zeros(4, 2, dtype=torch.int64)})


@BACKENDS
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0])
def test_max_norm_returns_the_renormalised_weight(norm_type, backend):
    torch = pytest.importorskip("torch")
    f = nnfunc.nn.LookupTable(9, 5, None, 1.5, norm_type)
    w = RNG.standard_normal((9, 5))
    w0 = w.copy()
    x = np.array([[0, 3, 3, 8], [2, 0, 5, 5]])
    r = f({"input": x, "weight": w}, backend=backend)
    assert set(r) == {"output", "weight"}
    np.testing.assert_array_equal(w, w0)                      # nothing mutated
    wt = torch.from_numpy(w.copy())
    yt = torch.nn.functional.embedding(torch.from_numpy(x), wt, max_norm=1.5,
                                       norm_type=norm_type)
    np.testing.assert_allclose(r["output"], yt.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r["weight"], wt.numpy(), rtol=1e-12, atol=1e-12)
    changed = np.any(r["weight"] != w, axis=1)
    assert changed.any() and not changed[[1, 4, 6, 7]].any()   # unreferenced rows untouched
    # the gradient is a plain gather's, from the weight it is given
    go = RNG.standard_normal((2, 4, 5))
    g = f({"input": x, "weight": r["weight"], "gradOutput": go}, backend=backend)
    want = np.zeros((9, 5))
    np.add.at(want, x.ravel(), go.reshape(-1, 5))
    np.testing.assert_allclose(g["gradWeight"], want, rtol=1e-12, atol=1e-14)
    # renormalising the returned weight again changes nothing
    r2 = f({"input": x, "weight": r["weight"]}, backend=backend)
    np.testing.assert_array_equal(r2["weight"], r["weight"])


def test_cpu_and_generic_agree_on_renorm_float32():
    f = nnfunc.nn.LookupTable(50, 16, 3, 2.0)
    w = RNG.standard_normal((50, 16)).astype(np.float32)
    x = RNG.integers(0, 50, (8, 20))
    a, b = f({"input": x, "weight": w}), f({"input": x, "weight": w}, backend="generic")
    np.testing.assert_allclose(a["weight"], b["weight"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a["output"], b["output"], rtol=1e-6, atol=1e-7)
    go = RNG.standard_normal((8, 20, 16)).astype(np.float32)
    ga = f({"input": x, "weight": w, "gradOutput": go})["gradWeight"]
    gb = f({"input": x, "weight": w, "gradOutput": go}, backend="generic")["gradWeight"]
    np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ga[3], 0)                     # the padding row


@BACKENDS
def test_padding_row_and_duplicates(backend):
    f = nnfunc.nn.LookupTable(4, 2, paddingValue=0)
    w = RNG.standard_normal((4, 2))
    x = np.array([0, 1, 1, 1, 0, 3])
    y = f({"input": x, "weight": w}, backend=backend)["output"]
    np.testing.assert_array_equal(y[0], w[0])                   # the forward still reads it
    g = f({"input": x, "weight": w, "gradOutput": np.ones((6, 2))}, backend=backend)
    np.testing.assert_array_equal(g["gradWeight"], [[0, 0], [3, 3], [0, 0], [1, 1]])


@BACKENDS
def test_out_of_range_is_refused_before_any_read(backend):
    f = nnfunc.nn.LookupTable(4, 2)
    w = np.zeros((4, 2))
    for bad in (np.array([0, 2**40]), np.array([-1]), np.array([4], np.uint8)):
        with pytest.raises(nnfunc.InputError, match="'input' holds row index"):
            f({"input": bad, "weight": w}, backend=backend)
        with pytest.raises(nnfunc.InputError, match="'input' holds row index"):
            f({"input": bad, "weight": w, "gradOutput": np.zeros(bad.shape + (2,))},
              backend=backend)


def test_constructor_options():
    f = nnfunc.nn.LookupTable(5, 3, normType=None)
    assert f.module.normType == 2.0 and f.module.paddingValue is None
    assert "paddingValue=1" in repr(nnfunc.nn.LookupTable(5, 3, 1))
    p = f.init_params(seed=0, dtype=np.float64)["weight"]
    assert p.shape == (5, 3)
    big = nnfunc.nn.LookupTable(200, 50).init_params(seed=1, dtype=np.float64)["weight"]
    assert abs(big.std() - 1) < 0.05                              # N(0, 1)
