"""Index: a table of a float array and integer indices (``input_kind`` per entry)."""

import numpy as np
import pytest

import nnfunc


def test_repeated_indices_sum_their_gradients():
    t = np.arange(4.0)
    idx = np.array([2, 2, 0])
    f = nnfunc.nn.Index(0)
    for backend in (None, "generic"):
        assert f({"input": [t, idx]}, backend=backend)["output"].tolist() == [2.0, 2.0, 0.0]
        g = f({"input": [t, idx], "gradOutput": np.array([1.0, 10.0, 100.0])},
              backend=backend)["gradInput"]
        assert g[0].tolist() == [100.0, 0.0, 11.0, 0.0]
        assert g[1].dtype == np.float64 and g[1].tolist() == [0.0, 0.0, 0.0]


def test_table_entry_kinds_and_count():
    f = nnfunc.nn.Index(0)
    t = np.ones(3)
    with pytest.raises(nnfunc.InputError, match="list of 2 arrays"):
        f({"input": [t]})
    with pytest.raises(nnfunc.InputTypeError, match=r"'input\[1\]'.*int"):
        f({"input": [t, np.array([True])]})
    with pytest.raises(nnfunc.InputTypeError, match=r"'input\[0\]'.*float"):
        f({"input": [np.ones(3, int), np.array([0])]})
    torch = pytest.importorskip("torch")
    with pytest.raises(nnfunc.InputTypeError, match="mixed array namespaces"):
        f({"input": [t, torch.tensor([0])]})
    y = f({"input": [torch.ones(3, dtype=torch.float32), torch.tensor([1, 0])]})["output"]
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.shape == (2,)


def test_masked_select_under_jax_jit_is_a_clear_error():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    f = nnfunc.nn.MaskedSelect()
    t, m = jnp.ones(3), jnp.array([True, False, True])
    assert f({"input": [t, m]})["output"].shape == (2,)
    with pytest.raises(nnfunc.InputError, match="jax.jit"):
        jax.jit(lambda t, m: f({"input": [t, m]})["output"])(t, m)
