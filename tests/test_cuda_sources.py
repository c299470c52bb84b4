"""The CUDA sources of the GPU backend compile, without a GPU.

Every ``nnfunc/_gpu/kernels/*.cu`` is compiled with ``nvcc --ptx`` for a
Hopper and an older (Turing) target, with every template instantiation the
Python side asks for (``nnfunc._gpu._loader.NAMES``), warnings as errors;
and, where CuPy and NVRTC are importable, through NVRTC exactly as CuPy's
``RawModule`` will compile it at run time. A syntax or type error in a
kernel fails here on any machine with nvcc. Skipped without nvcc / NVRTC.
"""

import re
import shutil
import subprocess

import pytest

import nnfunc
from nnfunc._gpu import _loader as L

ARCHS = ["sm_90", "sm_75"]
SOURCES = sorted(L.NAMES)


def _nvcc():
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc not found")
    return nvcc


def test_every_source_is_listed():
    on_disk = {p.stem for p in L.KERNEL_DIR.glob("*.cu")}
    assert on_disk == set(L.NAMES), (on_disk ^ set(L.NAMES))
    assert (L.KERNEL_DIR / L.COMMON).exists()
    for src in SOURCES:
        # no header but our own: NVRTC has no CUDA include path at run time
        incs = re.findall(r'#include\s*[<"]([^>"]+)', (L.KERNEL_DIR / f"{src}.cu").read_text())
        assert incs == [L.COMMON], (src, incs)


def test_meson_installs_every_source():
    """nnfunc/meson.build lists every file of kernels/ (meson does not glob: a
    source missing there is absent from a wheel, and only a non-editable
    install, as CI's, would show it)."""
    meson = (L.KERNEL_DIR.parent.parent / "meson.build")
    if not meson.exists():
        pytest.skip("source tree not available")
    listed = set(re.findall(r"'_gpu/kernels/([^']+)'", meson.read_text()))
    on_disk = {p.name for p in L.KERNEL_DIR.iterdir() if p.suffix in (".cu", ".cuh")}
    assert on_disk <= listed, sorted(on_disk - listed)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("src", SOURCES)
def test_nvcc_ptx(src, arch, tmp_path):
    nvcc = _nvcc()
    names = L.NAMES[src]
    wrapper = tmp_path / f"all_{src}.cu"
    refs = ",\n".join(f"    (void*)&{n}" for n in names)
    # taking each specialisation's address instantiates it (as NVRTC's name expressions do)
    wrapper.write_text(f'#include "{src}.cu"\nvoid* nnf_all_{src}[] = {{\n{refs}\n}};\n')
    ptx = tmp_path / f"{src}_{arch}.ptx"
    cmd = [nvcc, "--ptx", f"-arch={arch}", *L.OPTIONS, "-Werror", "all-warnings",
           "-I", str(L.KERNEL_DIR), str(wrapper), "-o", str(ptx)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}\n{r.stderr}"
    entries = re.findall(r"^\.visible \.entry (\S+)\(", ptx.read_text(), re.M)
    assert len(entries) == len(names), (len(entries), len(names))


def _nvrtc():
    pytest.importorskip("cupy")
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
    except Exception as e:           # no libnvrtc on this machine
        pytest.skip(f"NVRTC not available: {e}")
    return nvrtc


# what CuPy's RawModule adds to our options (cupy/cuda/compiler.py, CuPy 14)
CUPY_ADDS = ["-ftz=true", "--device-as-default-execution-space"]


@pytest.mark.parametrize("arch", ["compute_90", "compute_75"])
@pytest.mark.parametrize("src", SOURCES)
def test_nvrtc_compiles_runtime_source(src, arch):
    """The exact program text and options that RawModule compiles at run time."""
    nvrtc = _nvrtc()
    prog = nvrtc.createProgram(L.source_code(src), f"{src}.cu", [], [])
    try:
        for n in L.NAMES[src]:
            nvrtc.addNameExpression(prog, n)
        try:
            nvrtc.compileProgram(prog, [*L.OPTIONS, *CUPY_ADDS, f"-arch={arch}"])
        except nvrtc.NVRTCError as e:
            pytest.fail(f"{src}: {e}\n{nvrtc.getProgramLog(prog)}")
        for n in L.NAMES[src]:
            assert nvrtc.getLoweredName(prog, n)
    finally:
        nvrtc.destroyProgram(prog)


def test_pointwise_table_matches_cpu():
    """The GPU op table has the CPU table's ops (same names, same order)."""
    from pathlib import Path
    h = Path(nnfunc.__file__).parent / "_cpu" / "_pointwise.h"
    if not h.exists():
        pytest.skip("C headers not installed")
    table = h.read_text().split("#define NNF_OPS(X)", 1)[1].split("#define NNF_LOOPS", 1)[0]
    cpu = re.findall(r"^\s*X\((\w+),", table, re.M)
    cu = (L.KERNEL_DIR / "pointwise.cu").read_text().split("#define NNF_OPS(X)", 1)[1]
    cu = cu.split("#define NNF_DEFINE", 1)[0]
    assert re.findall(r"^\s*X\((\w+),", cu, re.M) == list(L.POINTWISE_OPS) == cpu


def test_gpu_modules_have_gpu_methods():
    for name in nnfunc.nn.__all__:
        cls = getattr(nnfunc.nn, name).__wrapped__
        if "gpu" in cls.backends:
            assert callable(getattr(cls, "forward_gpu", None)), name
            assert callable(getattr(cls, "backward_gpu", None)), name
            # a subclass with its own CPU kernel needs its own GPU methods too
            # (inheriting a parent's would compute the parent's function)
            for a, b in (("forward_cpu", "forward_gpu"), ("backward_cpu", "backward_gpu")):
                if hasattr(cls, a):
                    ca = next(k for k in cls.__mro__ if a in k.__dict__)
                    cb = next(k for k in cls.__mro__ if b in k.__dict__)
                    assert issubclass(cb, ca), f"{name}: {b} from {cb.__name__}, {a} from {ca.__name__}"
            op = getattr(cls, "op", None)
            if getattr(cls, "kernel", None) == "pointwise":
                assert op is None or op in L.POINTWISE_OPS, (name, op)
