"""A stand-in for CuPy, to run the GPU backend's Python glue without a GPU.

Arrays are NumPy arrays of a subclass named ``cupy.ndarray``; the array
functions the glue uses are NumPy's; ``RawModule`` parses the kernel
signatures of the CUDA source it is given and hands out kernels that
check every launch (grid and block sizes, argument count, and each
argument's kind: an array of the right dtype for a pointer, np.int64 for
``idx_t`` / ``long long``, np.float64 for ``double``, np.int32 for ``int``)
and then do nothing. So results are garbage, but every call path of the
dispatch, buffers, GEMMs (NumPy's matmul with ``out=``) and kernel launches
runs, and a launch whose arguments do not match its kernel fails.

With ``EMULATE`` set (``installed(emulate=True)``) the kernels also run:
``RawModule`` builds its source with the CPU emulator of ``_cuda_emu`` and
each launch, after the same checks, executes the kernel on the NumPy
buffers (data pointers, scalars by value). Arrays then come from guarded
allocations (64 guard bytes on each side, checked after every launch: a
kernel writing out of bounds fails) and ``empty`` is filled with 0xff bytes
(NaN), so an element a kernel forgets to write shows in the values.
"""

import contextlib
import sys
import weakref
import re
import types

import numpy as np


class ndarray(np.ndarray):
    def get(self):
        return np.asarray(self).copy()

    @property
    def device(self):
        return types.SimpleNamespace(id=0)


ndarray.__module__ = "cupy"
ndarray.__qualname__ = ndarray.__name__ = "ndarray"

float16, float32, float64, int64, int32, uint8 = (np.float16, np.float32, np.float64,
                                                  np.int64, np.int32, np.uint8)
nan = np.nan
LAUNCHES = []
#: run the kernels through the CPU emulator (set by installed(emulate=True))
EMULATE = False
#: the emulator's thread schedule (_cuda_emu.REVERSE | _cuda_emu.AHEAD bits)
SCHEDULE = 0
GUARD = 64                                  # guard bytes on each side (emulated mode)
_GUARD_BYTE = 0xA5
_guards = weakref.WeakValueDictionary()     # id(raw buffer) -> raw buffer


def _w(a):
    a = np.asarray(a)
    return a.view(ndarray)


def _alloc(shape, dtype, fill=None):
    """A new array; in emulated mode inside a guarded raw buffer."""
    dtype = np.dtype(dtype)
    if not EMULATE:
        a = np.empty(shape, dtype)
        if fill is not None:
            a[...] = fill
        return a.view(ndarray)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.full(n + 2 * GUARD, _GUARD_BYTE, np.uint8)
    _guards[id(raw)] = raw
    a = raw[GUARD:GUARD + n].view(dtype).reshape(shape)
    if fill is None:
        raw[GUARD:GUARD + n] = 0xFF         # uninitialised: NaN for floats
    else:
        a[...] = fill
    return a.view(ndarray)


def _check_guards(name, arrays):
    """Fail if a kernel wrote into the guard bytes of an argument's buffer."""
    for a in arrays:
        b = a
        while b is not None and _guards.get(id(b)) is not b:
            b = b.base
        if b is None:
            continue
        n = b.size - 2 * GUARD
        bad = [i for i in range(GUARD) if b[i] != _GUARD_BYTE] + \
              [n + GUARD + i for i in range(GUARD) if b[n + GUARD + i] != _GUARD_BYTE]
        assert not bad, f"{name}: wrote out of bounds of a {n}-byte buffer " \
                        f"(guard bytes {bad[:4]}... changed)"


def asarray(a, dtype=None):
    a = np.asarray(a, dtype=dtype)
    return _alloc(a.shape, a.dtype, a)


def asnumpy(a, stream=None):
    return np.array(a, copy=True)


def empty(shape, dtype=np.float64):
    return _alloc(shape, dtype)


def full(shape, v, dtype=np.float64):
    return _alloc(shape, dtype, v)


def zeros(shape, dtype=np.float64):
    return _alloc(shape, dtype, 0)


def ascontiguousarray(a, dtype=None):
    a = np.asarray(a)
    return _alloc(a.shape, a.dtype if dtype is None else dtype, a)


def matmul(a, b, out=None):
    assert out is None or (type(out) is ndarray and out.flags.c_contiguous or out.base is not None)
    r = np.matmul(a, b, out=out)
    return out if out is not None else _w(r)


def multiply(a, b, out=None):
    r = np.multiply(a, b, out=out)
    return out if out is not None else _w(r)


def sum(a, axis=None, dtype=None, out=None):
    r = np.sum(a, axis=axis, dtype=dtype, out=out)
    return out if out is not None else _w(r)


def stack(arrs, axis=0):
    return _w(np.stack([np.asarray(a) for a in arrs], axis=axis))


def where(c, a, b):
    return _w(np.where(c, a, b))


def any(a):
    return _w(np.any(a))


def max(a):
    return _w(np.max(a))


def negative(a, out=None):
    r = np.negative(a, out=out)
    return out if out is not None else _w(r)


def argsort(a):
    # CuPy's sort is stable
    return _w(np.argsort(a, kind="stable"))


def searchsorted(a, v, side="left"):
    return _w(np.searchsorted(a, v, side=side))


def arange(*args, dtype=None):
    return _w(np.arange(*args, dtype=dtype))


may_share_memory = np.may_share_memory
shares_memory = np.shares_memory

# -- the CUDA side ------------------------------------------------------------
_CT = {"float": np.float32, "double": np.float64, "nnf_half": np.float16}


def _signatures(code):
    """kernel name -> [(param type text, param name)] of each __global__."""
    sig = {}
    for m in re.finditer(r"__global__\s+void\s+(\w+)\s*\(([^)]*)\)", code):
        name, params = m.group(1), m.group(2)
        ps = []
        for p in params.split(","):
            p = " ".join(p.replace("__restrict__", "").split())
            if p:
                ps.append(p)
        sig[name] = ps
    return sig


def _expand_pointwise(code):
    """pointwise.cu defines its kernels through NNF_DEFINE: add their signatures."""
    if "NNF_DEFINE" not in code:
        return {}
    ops = re.findall(r"^\s*X\((\w+),", code.split("#define NNF_OPS(X)", 1)[1], re.M)
    fwd = ["const T* xp", "T* yp", "idx_t n", "double a_", "double b_"]
    bwd = ["const T* xp", "const T* gp", "T* op", "idx_t n", "double a_", "double b_"]
    out = {}
    for op in ops:
        out[f"nnf_{op}_fwd"] = fwd
        out[f"nnf_{op}_bwd"] = bwd
    return out


class _Kernel:
    lib = expr = None

    def __init__(self, name, params, targs):
        self.name, self.params, self.targs = name, params, targs

    def __call__(self, grid, block, args, **kw):
        assert type(grid) is tuple and type(block) is tuple, self.name
        assert all(int(g) >= 1 for g in grid) and grid[0] <= 2**31 - 1, (self.name, grid)
        assert 1 <= block[0] <= 1024 and block[0] % 32 == 0, (self.name, block)
        assert len(args) == len(self.params), (self.name, len(args), self.params)
        T = _CT[self.targs[0]]
        for a, p in zip(args, self.params):
            what = f"{self.name}<{','.join(self.targs)}> parameter {p!r}"
            if "*" in p:
                assert type(a) is ndarray, f"{what}: got {type(a)}"
                base = p.replace("const", "").replace("*", "").split()[0]
                want = {"T": T, "double": np.float64, "long": np.int64, "int": np.int32,
                        "unsigned": np.uint8}[base]
                assert a.dtype == want, f"{what}: dtype {a.dtype}"
                if not p.startswith("const"):
                    assert a.flags.c_contiguous and a.flags.writeable, what
            elif p.startswith(("idx_t", "long long")):
                assert type(a) is np.int64, f"{what}: {type(a)}"
            elif p.startswith("double"):
                assert type(a) is np.float64, f"{what}: {type(a)}"
            elif p.startswith("int"):
                assert type(a) is np.int32, f"{what}: {type(a)}"
            else:
                raise AssertionError(f"{what}: unknown kind")
        LAUNCHES.append(self.name)
        if self.lib is not None:
            self.lib.launch(self.expr, grid, block, args, SCHEDULE)
            _check_guards(self.expr, [a for a in args if isinstance(a, np.ndarray)])


def _label(code):
    """(file name, (common header name, text)) of a program text from the loader."""
    from nnfunc._gpu import _loader
    common = (_loader.COMMON, (_loader.KERNEL_DIR / _loader.COMMON).read_text())
    for src in _loader.NAMES:
        if _loader.source_code(src) == code:
            return f"{src}.cu", common
    return "kernel.cu", common


class RawModule:
    def __init__(self, code, options=(), name_expressions=()):
        assert "#include" not in code
        self.sig = {**_signatures(code), **_expand_pointwise(code)}
        self.names = set(name_expressions)
        self.lib = None
        if EMULATE:
            import _cuda_emu
            self.lib = _cuda_emu.build(code, list(name_expressions), *_label(code))

    def get_function(self, expr):
        assert expr in self.names, expr
        name, targs = expr.split("<", 1)
        targs = [t.strip() for t in targs.rstrip(">").split(",")]
        assert name in self.sig, name
        k = _Kernel(name, self.sig[name], targs)
        k.lib, k.expr = self.lib, expr
        return k


#: multiprocessors of the stand-in device: few, so the launchers' grids stay
#: small and grid-stride loops wrap on moderate sizes
SM_COUNT = 2


class _Device:
    def __init__(self, i=0):
        self.id = i
        self.attributes = {"MultiProcessorCount": SM_COUNT}


cuda = types.SimpleNamespace(
    runtime=types.SimpleNamespace(getDevice=lambda: 0, getDeviceCount=lambda: 1),
    Device=_Device,
)


@contextlib.contextmanager
def installed(emulate=False):
    """This module as ``cupy`` for the duration (with its own array-API
    namespace, as CuPy's is not NumPy's), the GPU loader's caches cleared
    before and after; ``emulate`` runs the kernels through the emulator."""
    global EMULATE
    import array_api_compat.numpy as npx
    import nnfunc._gpu as g
    from nnfunc._core import dispatch
    from nnfunc._gpu import _loader

    def reset():
        _loader._modules.clear()
        _loader._kernels.clear()
        _loader._sm_count.clear()
        g._no_idx.clear()

    global SCHEDULE
    me = sys.modules[__name__]
    saved, saved_emulate = sys.modules.get("cupy"), EMULATE
    sys.modules["cupy"] = me
    ns = types.ModuleType("fake_cupy_namespace")
    ns.__dict__.update({k: v for k, v in vars(npx).items() if not k.startswith("__")})
    dispatch._ns_by_type[ndarray] = ns
    EMULATE = emulate
    reset()
    LAUNCHES.clear()
    try:
        yield me
    finally:
        reset()
        EMULATE = saved_emulate
        SCHEDULE = 0
        dispatch._ns_by_type.pop(ndarray, None)
        if saved is None:
            sys.modules.pop("cupy", None)
        else:
            sys.modules["cupy"] = saved
