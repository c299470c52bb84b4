"""Guards: the tests exercise the built package, with every kernel compiled."""

import importlib
import importlib.machinery
from pathlib import Path

import pytest

import nnfunc
from cases import CASES

REPO = Path(__file__).resolve().parent.parent


def _kernel_names():
    src = (REPO / "nnfunc" / "_cpu" / "meson.build")
    if not src.exists():
        pytest.skip("source tree not available")
    text = src.read_text().split("cpu_kernels = [", 1)[1].split("]", 1)[0]
    return [s.strip().strip(",").strip("'") for s in text.splitlines() if s.strip().strip(",")]


def test_kernels_are_compiled_extensions():
    for name in _kernel_names():
        mod = importlib.import_module(f"nnfunc._cpu.{name}")
        assert mod.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), mod.__file__


def test_every_declared_cpu_backend_imports():
    for name in nnfunc.nn.__all__:
        cls = getattr(nnfunc.nn, name).__wrapped__
        if "cpu" in cls.backends:
            from nnfunc._core.dispatch import kernel_module
            # a module instance is not needed to find the kernel's name
            k = kernel_module(cls.__new__(cls))
            assert k.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def test_installed_python_files_match_source():
    """Every .py file of the source package is installed (meson lists them by hand)."""
    installed = Path(nnfunc.__file__).parent
    src = REPO / "nnfunc"
    if not src.exists() or installed == src:
        pytest.skip("editable or source-less run")
    want = {p.relative_to(src) for p in src.rglob("*.py")}
    have = {p.relative_to(installed) for p in installed.rglob("*.py")}
    assert want <= have, f"not installed: {sorted(map(str, want - have))}"


def test_every_module_has_rows():
    tested = {c.module for c in CASES}
    assert set(nnfunc.nn.__all__) <= tested, set(nnfunc.nn.__all__) - tested


def test_cuda_sources_installed():
    """The CUDA sources of the GPU backend ship with the package (CuPy compiles
    them at run time) and are the ones listed for compilation."""
    from nnfunc._gpu import _loader
    installed = Path(nnfunc.__file__).parent / "_gpu" / "kernels"
    have = {p.name for p in installed.iterdir()}
    want = {f"{s}.cu" for s in _loader.NAMES} | {_loader.COMMON}
    assert want <= have, f"not installed: {sorted(want - have)}"
    src = REPO / "nnfunc" / "_gpu" / "kernels"
    if src.exists() and src != installed:
        for name in want:
            assert (installed / name).read_text() == (src / name).read_text(), name
