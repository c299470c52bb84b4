"""The frontend's handling of state arrays and extra forward results
(``Module.state``, ``Module.extra_outputs``), on a small module written
here: a running mean that the forward returns updated, never mutated."""

import numpy as np
import pytest

import nnfunc


class RunningShift(nnfunc.Module):
    """y = x - m; in training mode also returns running_mean = 0.9 m + 0.1 mean(x, 0)."""

    state = ("running_mean",)
    extra_outputs = ("running_mean",)
    backends = ("cpu",)
    kernel = "pointwise"     # any compiled module: forward_cpu below uses NumPy only

    def check(self, d):
        x = d["input"]
        self.check_ndim("input", x, (2,))
        if "running_mean" not in d:
            self.fail("missing key 'running_mean'")
        self.check_shape("running_mean", d["running_mean"], x.shape[1:])
        return tuple(x.shape)

    def forward(self, xp, d, info):
        x, m = d["input"], d["running_mean"]
        y = x - m
        if not d.get("train", True):
            return y
        return {"output": y, "running_mean": 0.9 * m + 0.1 * xp.mean(x, axis=0)}

    def backward(self, xp, d, info):
        return {"gradInput": d["gradOutput"] * 1.0}

    def forward_cpu(self, k, d, info, out):
        x, m = d["input"], d["running_mean"]
        assert m.flags.c_contiguous
        np.subtract(x, m, out=out)
        if d.get("train", True):
            return {"running_mean": 0.9 * m + 0.1 * x.mean(axis=0)}
        return None

    def backward_cpu(self, k, d, info, out):
        out["gradInput"][...] = d["gradOutput"]


@pytest.fixture
def f():
    return nnfunc.Function(RunningShift())


@pytest.mark.parametrize("backend", [None, "generic"])
def test_extra_results_and_state_untouched(f, backend):
    x = np.arange(6.0).reshape(3, 2)
    m = np.array([1.0, -1.0])
    r = f({"input": x, "running_mean": m}, backend=backend)
    assert set(r) == {"output", "running_mean"}
    np.testing.assert_array_equal(r["output"], x - m)
    np.testing.assert_allclose(r["running_mean"], 0.9 * m + 0.1 * x.mean(0))
    np.testing.assert_array_equal(m, [1.0, -1.0])
    r = f({"input": x, "running_mean": m, "train": False}, backend=backend)
    assert set(r) == {"output"}
    out = np.empty((3, 2))
    r = f({"input": x, "running_mean": m, "output": out}, backend=backend)
    assert r["output"] is out and set(r) == {"output", "running_mean"}


def test_state_is_checked_like_a_parameter(f):
    x = np.zeros((3, 2))
    with pytest.raises(TypeError, match=r"RunningShift: 'running_mean' has dtype float32"):
        f({"input": x, "running_mean": np.zeros(2, np.float32)})
    with pytest.raises(TypeError, match=r"RunningShift: .*'running_mean'"):
        f({"input": x, "running_mean": [0.0, 0.0]})
    with pytest.raises(ValueError, match="RunningShift: 'running_mean' has shape"):
        f({"input": x, "running_mean": np.zeros(3)})
    with pytest.raises(ValueError, match="did you mean 'running_mean'"):
        f({"input": x, "running_means": np.zeros(2)})
    # a non-contiguous state array reaches the kernel contiguous
    m = np.zeros(4)[::2]
    assert f({"input": x, "running_mean": m})["running_mean"].shape == (2,)


def test_state_in_another_namespace_is_refused(f):
    strict = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match="mixed array namespaces"):
        f({"input": np.zeros((3, 2)), "running_mean": strict.zeros(2, dtype=strict.float64)})
