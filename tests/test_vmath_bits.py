"""_vmath.h gives the same bits on every CPU.

The kernels' elementary functions use explicit fused multiply-adds: the
AVX2 / AVX-512 clones run the FMA instruction, the baseline clone (x86-64
without FMA) calls libm's fma. Both round once, so the results must agree
bit for bit. This compiles ``tests/c/vmath_bits.c`` (a hash of every
function's output over 400K inputs, NaN counted as one value) for x86-64-v4, x86-64-v3 and the
baseline with libm's fma, without the clones, and compares the hashes.
It also checks that the plain two-rounding fallback really differs, so
the comparison can fail.
"""

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CPU = REPO / "nnfunc" / "_cpu"
SRC = Path(__file__).resolve().parent / "c" / "vmath_bits.c"

pytestmark = [
    pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc"),
    pytest.mark.skipif(platform.machine() != "x86_64", reason="x86-64 targets"),
    pytest.mark.skipif(not (CPU / "_vmath.h").exists(), reason="source tree not available"),
]


def _flags():
    try:
        return Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return []


def _hash(tmp_path, name, *flags):
    exe = tmp_path / name
    subprocess.run(["gcc", "-O3", "-std=c11", "-fno-trapping-math", "-DNNF_NO_CLONES",
                    *flags, f"-I{CPU}", str(SRC), "-o", str(exe), "-lm"],
                   check=True, capture_output=True)
    return subprocess.run([str(exe)], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_every_target_gives_the_same_bits(tmp_path):
    flags = _flags()
    base = _hash(tmp_path, "base", "-march=x86-64", "-DNNF_FMA_ALWAYS")
    got = {"x86-64 + libm fma": base}
    if "fma" in flags and "avx2" in flags:
        got["x86-64-v3"] = _hash(tmp_path, "v3", "-march=x86-64-v3")
    if "avx512f" in flags and "avx512vl" in flags:
        got["x86-64-v4"] = _hash(tmp_path, "v4", "-march=x86-64-v4")
    if len(got) == 1:
        pytest.skip("this CPU runs only the baseline target")
    assert len(set(got.values())) == 1, got
    # without FMA at all (two roundings) the hash changes: the test can fail
    assert _hash(tmp_path, "plain", "-march=x86-64") != base
