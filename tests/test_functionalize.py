"""functionalize exposes Module/Criterion subclasses of any package (API.md s.5)."""

import sys
import types
from pathlib import Path

import numpy as np
import pytest

import nnfunc

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def nnx():
    if not (EXAMPLES / "nnx").exists():
        pytest.skip("examples/ not available")
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield nnfunc.functionalize("nnx")
    finally:
        sys.path.remove(str(EXAMPLES))
        sys.modules.pop("nnx", None)


def test_builtin_nn_namespace():
    assert nnfunc.nn is sys.modules["nnfunc"].nn
    assert {"Linear", "Tanh", "ReLU"} <= set(nnfunc.nn.__all__)
    assert nnfunc.nn.Linear.__doc__ and "inputSize" in nnfunc.nn.Linear.__doc__
    again = nnfunc.functionalize("nn")
    assert set(again.__all__) == set(nnfunc.nn.__all__)


def test_example_package(nnx):
    assert nnfunc.nnx is nnx and sorted(nnx.__all__) == ["Affine", "SumSquares"]
    f, g = nnx.Affine(3)
    p = f.init_params(seed=0, dtype=np.float64)
    x = np.arange(6.0).reshape(2, 3)
    y = f({"input": x, **p})["output"]
    np.testing.assert_allclose(y, x * p["weight"] + p["bias"])
    go = np.ones((2, 3))
    grads = g({"input": x, **p, "gradOutput": go})
    assert set(grads) == {"gradInput", "gradWeight", "gradBias"}
    np.testing.assert_allclose(grads["gradWeight"], x.sum(0))
    crit, gcrit = nnx.SumSquares()
    t = np.zeros((2, 3))
    assert crit({"input": y, "target": t})["output"].shape == ()
    np.testing.assert_allclose(gcrit({"input": y, "target": t})["gradInput"], y)
    with pytest.raises(nnfunc.InputError, match="Affine.*weight"):
        f({"input": x, "weight": p["weight"][:2], "bias": p["bias"]})
    with pytest.raises(nnfunc.InputError, match="did you mean 'target'"):
        crit({"input": y, "targets": t})


def test_example_package_on_other_namespace(nnx):
    xp = pytest.importorskip("array_api_strict")
    f = nnx.Affine(3)
    p = f.init_params(seed=0, dtype=xp.float64, xp=xp)
    x = xp.reshape(xp.arange(6.0, dtype=xp.float64), (2, 3))
    y = f({"input": x, **p})["output"]
    assert type(y) is type(xp.asarray(1.0))


def test_module_object_and_empty_package():
    empty = types.ModuleType("somepkg.empty")
    ns = nnfunc.functionalize(empty)
    assert ns.__all__ == [] and nnfunc.empty is ns
    with pytest.raises(nnfunc.InputError, match="cannot import"):
        nnfunc.functionalize("no_such_package_hopefully")
    with pytest.raises(TypeError):
        nnfunc.functionalize(42)
