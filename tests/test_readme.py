"""The README's code examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks():
    if not README.exists():
        pytest.skip("README not available")
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_tour_and_adapter_examples_run():
    blocks = [b for b in _blocks() if "nnx" not in b]
    assert len(blocks) >= 3
    ns = {}
    for b in blocks:
        if "autograd" in b:
            pytest.importorskip("autograd")
        if "jax" in b:
            pytest.importorskip("jax")
        exec(compile(b, str(README), "exec"), ns)
    assert ns["dW"].shape == (10, 64) and ns["g"]["gradWeight"].shape == (100, 10)
    out = ns["grads"](ns["p"]["weight"], ns["p"]["bias"], ns["x"], ns["y"])
    assert out[0].shape == (10, 64)
