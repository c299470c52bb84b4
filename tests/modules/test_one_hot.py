"""OneHot: integer input through the frontend (``Module.input_kind = "int"``)."""

import numpy as np
import pytest

import nnfunc


def test_dtype_option_and_buffers():
    x = np.array([[0, 2], [1, 1]], dtype=np.int32)
    f = nnfunc.nn.OneHot(3, dtype=np.float32)
    y = f({"input": x})["output"]
    assert y.dtype == np.float32 and y.shape == (2, 2, 3)
    np.testing.assert_array_equal(y.argmax(-1), x)
    out = np.full((2, 2, 3), np.nan, dtype=np.float32)
    assert f({"input": x, "output": out})["output"] is out
    np.testing.assert_array_equal(out, y)
    with pytest.raises(nnfunc.InputTypeError, match="'output'"):
        f({"input": x, "output": np.empty((2, 2, 3))})        # float64 buffer, float32 module
    g = f({"input": x, "gradOutput": np.ones((2, 2, 3), np.float32)})["gradInput"]
    assert g.dtype == np.float32 and g.shape == (2, 2) and not g.any()
    with pytest.raises(nnfunc.InputTypeError, match="gradOutput"):
        f({"input": x, "gradOutput": np.ones((2, 2, 3))})


def test_unsigned_and_bool_input():
    f = nnfunc.nn.OneHot(2)
    assert f({"input": np.array([1, 0], np.uint8)})["output"].tolist() == [[0, 1], [1, 0]]
    with pytest.raises(nnfunc.InputTypeError, match="integer"):
        f({"input": np.array([True])})


def test_torch_integer_tensor_uses_the_generic_path():
    torch = pytest.importorskip("torch")
    f = nnfunc.nn.OneHot(4, dtype="float32")
    y = f({"input": torch.tensor([3, 0])})["output"]
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32
    assert y.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0]]
    with pytest.raises(nnfunc.InputError, match="class index 4"):
        f({"input": torch.tensor([4])})
