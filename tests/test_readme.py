"""The README's code examples run as written."""

import re
from pathlib import Path

import pytest

import nnfunc

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


def _catalogue_rows():
    if not README.exists():
        pytest.skip("README not available")
    text = README.read_text()
    body = text.split("## Catalogue", 1)[1]
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("module", "---"):
            assert cells[0] not in rows, f"{cells[0]} listed twice in the README catalogue"
            rows[cells[0]] = cells
    return rows


def test_catalogue_table_matches_the_modules():
    """The README's catalogue lists every exposed module once, as done, with
    the backends it really has; a module not exposed is not called done."""
    rows = _catalogue_rows()
    exposed = {n for n in dir(nnfunc.nn) if not n.startswith("_")}
    for name in sorted(exposed):
        assert name in rows, f"{name} missing from the README catalogue table"
        m = getattr(nnfunc.nn, name).__wrapped__
        want = ", ".join((["cpu"] if "cpu" in m.backends else [])
                         + (["gpu"] if "gpu" in m.backends else []) + ["generic"])
        assert rows[name][2] == want, f"{name}: README says {rows[name][2]!r}, module has {want!r}"
        assert rows[name][3].startswith("done"), f"{name}: status {rows[name][3]!r}"
    for name, cells in rows.items():
        if name not in exposed:
            assert not cells[3].startswith("done"), f"{name} is called done but is not exposed"
