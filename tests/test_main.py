"""The main job (python -m nnfunc) and the benchmark script run end to end."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnfunc.__main__ import main

REPO = Path(__file__).resolve().parent.parent


def test_main_job_learns(capsys):
    assert main(["--seed", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("test accuracy: ")
    assert float(out[-1].split(":")[1]) >= 0.95, out


def test_main_job_float64_and_plot_option(capsys, tmp_path):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(SystemExit):
            main(["--epochs", "1", "--plot", str(tmp_path / "curves.png")])
        assert "matplotlib" in capsys.readouterr().err
        return
    main(["--epochs", "2", "--dtype", "float64", "--plot", str(tmp_path / "curves.png")])
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_digits_data():
    from nnfunc.data import load_digits
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.max() == 16 and sorted(set(labels.tolist())) == list(range(10))


def test_main_job_is_deterministic(capsys):
    main(["--epochs", "3", "--seed", "5", "--dtype", "float64"])
    a = capsys.readouterr().out.splitlines()
    main(["--epochs", "3", "--seed", "5", "--dtype", "float64"])
    b = capsys.readouterr().out.splitlines()
    def drop(lines):   # timings differ from run to run; everything else may not
        return [re.sub(r"\s+\d+ samples/s", "", s) for s in lines if not s.startswith("trained")]
    assert drop(a) == drop(b)


def test_main_job_rejects_bad_options(capsys):
    for bad in (["--epochs", "0"], ["--lr", "-1"], ["--backend", "tpu"]):
        with pytest.raises(SystemExit):
            main(bad)


def test_bench_smoke():
    script = REPO / "bench" / "bench.py"
    if not script.exists():
        pytest.skip("bench/ not available")
    r = subprocess.run([sys.executable, str(script), "--smoke"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "SpatialConvolution" in r.stdout and "Linear" in r.stdout


def test_main_job_from_the_repository_root():
    """`python -m nnfunc` in a source checkout runs the installed, built package."""
    if not (REPO / "nnfunc" / "__init__.py").exists():
        pytest.skip("source tree not available")
    r = subprocess.run([sys.executable, "-m", "nnfunc", "--epochs", "1"], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith("test accuracy: ")
