"""The main job (python -m nnfunc) and the benchmark script run end to end."""

import subprocess
import sys
from pathlib import Path

import pytest

from nnfunc.__main__ import main

REPO = Path(__file__).resolve().parent.parent


def test_main_job_learns(capsys):
    assert main(["--epochs", "30", "--seed", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("test accuracy: ")
    assert float(out[-1].split(":")[1]) >= 0.9, out


def test_main_job_is_deterministic(capsys):
    main(["--epochs", "3", "--seed", "5", "--dtype", "float64"])
    a = capsys.readouterr().out.splitlines()
    main(["--epochs", "3", "--seed", "5", "--dtype", "float64"])
    b = capsys.readouterr().out.splitlines()
    drop = lambda lines: [s for s in lines if not s.startswith("trained in")]
    assert drop(a) == drop(b)


def test_main_job_rejects_bad_options(capsys):
    with pytest.raises(SystemExit):
        main(["--epochs", "0"])


def test_bench_smoke():
    script = REPO / "bench" / "bench.py"
    if not script.exists():
        pytest.skip("bench/ not available")
    r = subprocess.run([sys.executable, str(script), "--quick", "--repeat", "1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "SpatialConvolution" in r.stdout and "Linear" in r.stdout
