"""Test configuration: the table lives in cases.py, helpers in _helpers.py.

Tests run with ``--import-mode=importlib`` against the *installed* nnfunc
(test_build.py guards that the compiled kernels are what gets imported).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def jax_x64():
    """JAX with float64 enabled for the test (the module; skips without JAX)."""
    jax = pytest.importorskip("jax")
    prev = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", prev)
