"""Run nnfunc's CUDA kernels on the CPU: a test-only emulator of the CUDA subset they use.

Why: CI has no GPU, so the stand-in CuPy (``_fake_cupy``) only checked that
each launch's arguments match the kernel's signature. With this module it
also runs the kernel, so the value tests of the GPU rows (NumPy agreement,
gradcheck, float16, buffers, purity, empty batch: ``_gpu_checks``) check the
kernels' arithmetic, indexing, reductions and the glue's launch geometry.

Design. The program text CuPy would compile (``_loader.source_code``: the
``.cu`` with ``nnf_common.cuh`` pasted in) is compiled by the host C++
compiler (``$CXX``, else g++, c++ or clang++; C++17, -O1) after
``cuda_emu/emu.h`` with ``-DNNF_CPU_EMU``, followed by one ``extern "C"``
launcher per name expression (``nnf_tanh_fwd<float>``...). A launcher takes
the grid and block sizes and a ``void**`` of argument addresses (the
``cuLaunchKernel`` convention) and unpacks them by the kernel's own
parameter types (template deduction on the function pointer, so no second
parser can disagree with the compiler; the parameter sizes are exported
too and checked against the Python packing). ``emu.h`` maps the keywords
(``__global__``, ``__device__``, ``__shared__`` = a function-local static:
blocks run one after another), gives ``threadIdx/blockIdx/blockDim/gridDim``
per emulated thread, and runs the threads of a block as fibers with real
``__syncthreads`` / ``__shfl_xor_sync`` semantics (see its header comment);
a deadlock or a bad shuffle raises :class:`EmulatorError` naming the source
line. float16 loads and stores use a bit-exact round-to-nearest-even
conversion (the ``NNF_CPU_EMU`` branch of ``nnf_common.cuh``; the nvcc /
NVRTC text is unchanged). One shared library per program text, cached on
disk under ``$NNF_CUDA_EMU_CACHE``, else ``$XDG_CACHE_HOME`` or ``~/.cache``
(``nnfunc-cuda-emu/``), else the temp dir, keyed by a hash of the generated
C++ text, ``emu.h``, the compiler and its flags; loaded with ctypes.

Not modelled: the memory model (threads of a block run one at a time, so
a missing ``__syncthreads`` between a shared-memory write and another
thread's read can go unnoticed when the order happens to work out; races
between blocks cannot show, blocks being sequential); warp divergence and
timing (independent thread scheduling is not simulated beyond barriers,
though a launch can run the threads in descending order and one warp
ahead of the others, ``REVERSE`` / ``AHEAD``, to expose some missing
barriers);
out-of-bounds reads (writes are caught by the stand-in CuPy's guard
bytes); the device's float arithmetic: the host compiler's libm instead of
CUDA's math library (ulp differences), no FMA contraction, no
flush-to-zero (CuPy compiles with ``-ftz=true``), float16 only as storage
converted exactly as ``cvt.rn`` does; NVRTC's own front end (the sources'
compile checks stay with tests/test_cuda_sources.py); streams (launches
run synchronously) and the limits of real grids beyond the checks of
``_fake_cupy``.
"""

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HEADER = HERE / "cuda_emu" / "emu.h"
FLAGS = ("-std=c++17", "-O1", "-fPIC", "-shared", "-DNNF_CPU_EMU", "-U_FORTIFY_SOURCE",
         "-fno-exceptions", "-w")


#: schedules (bits): threads in descending order; one warp at a time runs on
#: through its shuffles to its next __syncthreads (see emu.h)
REVERSE, AHEAD = 1, 2


class EmulatorError(RuntimeError):
    """A launch failed in the emulator (deadlock, bad shuffle, bad geometry)."""


def compiler():
    """The host C++ compiler, or None."""
    for c in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if c and shutil.which(c):
            return shutil.which(c)
    return None


def _cache_dir():
    cands = [os.environ.get("NNF_CUDA_EMU_CACHE")]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    cands.append(os.path.join(base, "nnfunc-cuda-emu"))
    cands.append(os.path.join(tempfile.gettempdir(), f"nnfunc-cuda-emu-{os.getuid()}"))
    for d in cands:
        if not d:
            continue
        try:
            os.makedirs(d, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=d, delete=True)
            probe.close()
            return d
        except OSError:
            continue
    raise EmulatorError("no writable cache directory for the CUDA emulator")


def _program(code, names, label, common=None):
    """The C++ text: emu.h, the kernel source, a launcher per name expression.

    ``common`` = (file name, text) of a header pasted into ``code``: #line
    directives then make the emulator's messages name the right file and line."""
    head = f'#include "{HEADER}"\n#line 1 "{label}"\n'
    if common is not None and common[1] in code:
        before, after = code.split(common[1], 1)
        n = before.count("\n") + 1
        code = (f'{before}\n#line 1 "{common[0]}"\n{common[1]}\n'
                f'#line {n + 1} "{label}"\n{after}')
    tail = ["", "/* launchers (generated by tests/_cuda_emu.py) */"]
    for i, n in enumerate(names):
        tail.append(f'extern "C" int nnf_emu_launch_{i}(const unsigned* g, const unsigned* b, '
                    f'void** a) {{ return nnf_emu::call(&{n}, g, b, a); }}')
        tail.append(f'extern "C" int nnf_emu_sizes_{i}(int* s) '
                    f'{{ return nnf_emu::arg_sizes(&{n}, s); }}')
    return head + code + "\n" + "\n".join(tail) + "\n"


_libs = {}               # key -> Library
_lock = threading.Lock()


class Library:
    """One compiled program: ``launch(name_expression, grid, block, args)``."""

    def __init__(self, path, names):
        self.path = path
        self.dll = ctypes.CDLL(str(path))
        self.dll.nnf_emu_error.restype = ctypes.c_char_p
        self._schedule = 0
        self._launch, self.sizes = {}, {}
        for i, n in enumerate(names):
            f = getattr(self.dll, f"nnf_emu_launch_{i}")
            f.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
            f.restype = ctypes.c_int
            self._launch[n] = f
            s = (ctypes.c_int * 64)()
            k = getattr(self.dll, f"nnf_emu_sizes_{i}")(s)
            self.sizes[n] = tuple(s[:k])

    def launch(self, name, grid, block, args, schedule=0):
        """Run kernel ``name`` over ``grid`` x ``block`` on NumPy arrays / NumPy scalars.

        An array argument passes its data pointer, a NumPy scalar its value
        in its own width (np.int64 -> 8 bytes, np.int32 -> 4, np.float64 -> 8).
        ``schedule``: 0 or a combination of REVERSE and AHEAD."""
        if schedule != self._schedule:
            self.dll.nnf_emu_set_schedule(ctypes.c_int(schedule))
            self._schedule = schedule
        sizes = self.sizes[name]
        if len(args) != len(sizes):
            raise EmulatorError(f"{name}: {len(args)} arguments for {len(sizes)} parameters")
        keep = []
        for i, (a, s) in enumerate(zip(args, sizes)):
            if isinstance(a, np.ndarray):
                v = ctypes.c_void_p(a.ctypes.data)
            elif isinstance(a, np.generic):
                v = np.array(a)             # its bytes, its width
            else:
                raise EmulatorError(f"{name}: argument {i} is a {type(a)}")
            width = ctypes.sizeof(v) if isinstance(v, ctypes.c_void_p) else v.itemsize
            if width != s:
                raise EmulatorError(f"{name}: argument {i} has {width} bytes, the parameter {s}")
            keep.append(v)
        ptrs = (ctypes.c_void_p * max(1, len(keep)))(
            *[ctypes.addressof(v) if isinstance(v, ctypes.c_void_p) else v.ctypes.data
              for v in keep])
        g = (ctypes.c_uint * 3)(*(tuple(int(x) for x in grid) + (1, 1))[:3])
        b = (ctypes.c_uint * 3)(*(tuple(int(x) for x in block) + (1, 1))[:3])
        if self._launch[name](g, b, ptrs) != 0:
            raise EmulatorError(f"{name}: {self.dll.nnf_emu_error().decode()}")

    def f2h(self, x):
        """float32 -> float16 bits by the emulator's conversion (for its own test)."""
        x = np.ascontiguousarray(x, np.float32)
        y = np.empty(x.shape, np.uint16)
        self.dll.nnf_emu_f2h(ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(y.ctypes.data),
                             ctypes.c_longlong(x.size))
        return y

    def h2f(self, h):
        h = np.ascontiguousarray(h, np.uint16)
        y = np.empty(h.shape, np.float32)
        self.dll.nnf_emu_h2f(ctypes.c_void_p(h.ctypes.data), ctypes.c_void_p(y.ctypes.data),
                             ctypes.c_longlong(h.size))
        return y


def _key(text, cxx):
    h = hashlib.sha256()
    for part in (text, HEADER.read_text(), cxx, " ".join(FLAGS), sys.platform):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def _start(code, names, label, common=None):
    """(key, path, Popen or None): the cached library, or its compile started."""
    cxx = compiler()
    if cxx is None:
        raise EmulatorError("no C++ compiler (set CXX, or install g++)")
    text = _program(code, list(names), label, common)
    key = _key(text, cxx)
    d = Path(_cache_dir())
    path = d / f"{label.replace('.', '_')}-{key}.so"
    if path.exists():
        return key, path, None
    fd, tmp_cpp = tempfile.mkstemp(suffix=".cpp", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tmp_so = tmp_cpp[:-4] + ".so"
    p = subprocess.Popen([cxx, *FLAGS, tmp_cpp, "-o", tmp_so],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    p.nnf_files = (tmp_cpp, tmp_so)
    return key, path, p


def _finish(key, path, p):
    if p is not None:
        out, _ = p.communicate()
        tmp_cpp, tmp_so = p.nnf_files
        try:
            if p.returncode != 0:
                raise EmulatorError(f"compiling the emulated kernels failed:\n{out[-4000:]}")
            os.replace(tmp_so, path)          # atomic: concurrent runs race harmlessly
        finally:
            for f in (tmp_cpp, tmp_so):
                if os.path.exists(f):
                    os.unlink(f)
    return key, path


def build_many(programs):
    """Libraries of ``[(code, names, label, common)]`` (see :func:`_program`), compiled
    concurrently where not cached."""
    with _lock:
        started = [_start(*prog) for prog in programs]
        out = []
        for prog, st in zip(programs, started):
            key, path = _finish(*st)
            lib = _libs.get(key)
            if lib is None:
                lib = _libs[key] = Library(path, list(prog[1]))
            out.append(lib)
        return out


def build(code, names, label="kernel.cu", common=None):
    """The library of one program (see :func:`build_many`)."""
    return build_many([(code, names, label, common)])[0]


_available = None


def available():
    """(True, "") when a trivial kernel builds and runs here, else (False, why)."""
    global _available
    if _available is None:
        code = ("template <typename T> __global__ void k(T* p, long long n) {\n"
                "    for (long long i = blockIdx.x * blockDim.x + threadIdx.x; i < n;"
                " i += blockDim.x * gridDim.x) p[i] = (T)i;\n}\n")
        try:
            lib = build(code, ["k<float>"], "probe.cu")
            a = np.zeros(5, np.float32)
            lib.launch("k<float>", (1,), (32,), (a, np.int64(5)))
            assert a.tolist() == [0, 1, 2, 3, 4]
            _available = (True, "")
        except Exception as e:          # no compiler, no ucontext, ...
            _available = (False, f"CUDA emulator unavailable: {e}")
    return _available
