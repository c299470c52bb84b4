"""Pure reshapes return views of a contiguous NumPy input (no copy), on the
default path and the generic one; their gradients are views of gradOutput."""

import numpy as np
import pytest

import nnfunc

VIEWS = [
    ("Reshape", (20,), (3, 4, 5)),
    ("View", (2, 10), (3, 4, 5)),
    ("View", (-1,), (3, 5)),
    ("Transpose", ((0, 2),), (3, 4, 5)),
    ("Narrow", (1, 1, 2), (3, 4, 5)),
    ("Select", (-1, 2), (3, 4, 5)),
    ("Squeeze", (), (3, 1, 5)),
    ("Unsqueeze", (1,), (3, 5)),
    ("Identity", (), (3, 5)),
    ("Contiguous", (), (3, 5)),
    ("Collapse", (2,), (3, 4, 5)),
    ("Replicate", (3, 1), (3, 5)),
]


@pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])
@pytest.mark.parametrize("name,args,shape", VIEWS, ids=[f"{v[0]}{v[1]}" for v in VIEWS])
def test_output_is_a_view(name, args, shape, backend):
    f = getattr(nnfunc.nn, name)(*args)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    y = f({"input": x}, backend=backend)["output"]
    assert np.shares_memory(y, x)
    if name in ("Reshape", "View", "Transpose", "Squeeze", "Unsqueeze", "Identity",
                "Contiguous", "Collapse"):
        go = np.ones(y.shape)
        g = f({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        assert np.shares_memory(g, go)


def test_reshape_batch_rule_of_torch7():
    x = np.zeros((1, 15))
    assert nnfunc.nn.Reshape(5, 3)({"input": x})["output"].shape == (1, 5, 3)
    assert nnfunc.nn.Reshape(5, 3, False)({"input": x})["output"].shape == (5, 3)
    assert nnfunc.nn.Reshape(15)({"input": np.zeros((15,))})["output"].shape == (15,)
    assert nnfunc.nn.Reshape(15)({"input": np.zeros((2, 15))})["output"].shape == (2, 15)


def test_view_batch_rule_of_torch7():
    # a batch of one is dropped unless numInputDims says the input is batched
    assert nnfunc.nn.View(2, 3)({"input": np.zeros((1, 6))})["output"].shape == (2, 3)
    v = nnfunc.nn.View(2, 3, numInputDims=1)
    assert v({"input": np.zeros((1, 6))})["output"].shape == (1, 2, 3)
    assert v({"input": np.zeros((6,))})["output"].shape == (2, 3)
    assert nnfunc.nn.View(-1, 3, numInputDims=2)({"input": np.zeros((0, 2, 3))})[
        "output"].shape == (0, 2, 3)


def test_reductions_of_1d_input_are_0d_arrays():
    x = np.arange(5.0)
    for m in (nnfunc.nn.Sum(), nnfunc.nn.Mean(), nnfunc.nn.Max(), nnfunc.nn.Min()):
        y = m({"input": x})["output"]
        assert type(y) is np.ndarray and y.shape == ()


def test_max_min_ties_go_to_the_first():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0]])
    go = np.array([10.0, 20.0])
    for backend in (None, "generic"):
        g = nnfunc.nn.Max(1)({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_array_equal(g, [[0, 10, 0, 0], [20, 0, 0, 0]])
        g = nnfunc.nn.Min(1)({"input": x, "gradOutput": go}, backend=backend)["gradInput"]
        np.testing.assert_array_equal(g, [[0, 0, 0, 10], [0, 0, 20, 0]])


def test_sqrt_gradient_at_zero_is_zero_and_abs_at_zero_is_plus():
    x = np.array([0.0, 4.0])
    g = nnfunc.nn.Sqrt()({"input": x, "gradOutput": np.ones(2)})["gradInput"]
    np.testing.assert_array_equal(g, [0.0, 0.25])
    g = nnfunc.nn.Abs()({"input": np.array([0.0, -1.0]), "gradOutput": np.ones(2)})["gradInput"]
    np.testing.assert_array_equal(g, [1.0, -1.0])
