"""The GPU kernels run on the CPU: tests/test_gpu.py's value checks on the emulator.

The stand-in CuPy (``_fake_cupy``) with ``emulate=True`` compiles each
``nnfunc/_gpu/kernels/*.cu`` with the host C++ compiler against the CUDA
emulator of ``_cuda_emu`` / ``cuda_emu/emu.h`` and runs every launch of the
GPU glue on NumPy buffers. Every GPU row of the table then goes through the
same checks as on a GPU (``_gpu_checks``): forward and gradients vs NumPy in
float64 and float32, float16 within a float16 tolerance, float64 gradcheck,
buffers, purity, non-contiguous input, the empty batch and the bad input;
plus every row again with a tiny launch geometry (blocks of 32 threads, at
most 2 blocks: grid-stride loops wrap, per-row kernels loop over rows,
reductions cross several blocks), some rows at larger sizes, max pooling
with ties and NaN, and self-tests of the emulator (barriers,
shuffles, deadlock detection, out-of-bounds writes, float16 conversion), so
that a broken emulator cannot pass the kernels. Skipped where no C++
compiler (or no ucontext) is available, and where a real GPU is visible
(tests/test_gpu.py runs the real kernels there).
"""

import dataclasses
import sys

import numpy as np
import pytest

import _cuda_emu
import _gpu_checks as C
from _gpu_checks import GPU
from _helpers import make_dict

_ok, _why = _cuda_emu.available()
if not _ok:
    pytest.skip(_why, allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _prebuild():
    """Compile the six sources at once (two cores: about 5 s, then cached on disk)."""
    from nnfunc._gpu import _loader as L
    import _fake_cupy
    progs = [(L.source_code(s), L.NAMES[s], *_fake_cupy._label(L.source_code(s)))
             for s in sorted(L.NAMES)]
    _cuda_emu.build_many(progs)


@pytest.fixture
def cp():
    if C.real_gpu_visible():
        pytest.skip("a GPU is visible: tests/test_gpu.py runs the real kernels")
    import _fake_cupy
    with _fake_cupy.installed(emulate=True) as fake:
        yield fake


ids = dict(ids=lambda c: c.id)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_matches_numpy(cp, case, dtype):
    C.check_matches_numpy(cp, case, dtype)


@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_float16(cp, case):
    C.check_float16(cp, case)


@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_gradcheck(cp, case):
    C.check_gradcheck(cp, case)


@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_buffers_filled_in_place(cp, case):
    C.check_buffers_filled_in_place(cp, case)


@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_pure_and_inputs_untouched(cp, case):
    C.check_pure_and_inputs_untouched(cp, case)


@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_non_contiguous_input(cp, case):
    C.check_non_contiguous_input(cp, case)


@pytest.mark.parametrize("case", [c for c in GPU if c.batch], **ids)
def test_emu_empty_batch(cp, case):
    C.check_empty_batch(cp, case)


@pytest.mark.parametrize("case", [c for c in GPU if c.bad], **ids)
def test_emu_bad_input(cp, case):
    C.check_bad_input(cp, case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", [c for c in GPU if C.is_criterion(c)], **ids)
def test_emu_criterion_go_array(cp, case, dtype):
    C.check_criterion_go_array(cp, case, dtype)


def test_emu_cross_entropy_ignored_nonfinite(cp):
    C.check_cross_entropy_ignored_nonfinite(cp)


def test_emu_kernels_compiled_once(cp):
    C.check_kernels_compiled_once(cp)


@pytest.fixture
def tiny_geometry(cp, monkeypatch):
    """Launch with 32-thread blocks and at most 2 blocks (reductions: 2 partials)."""
    import nnfunc._gpu as g
    from nnfunc._gpu import _loader

    def launch(k, n, args, block=_loader.BLOCK):
        if n > 0:
            k((min(2, (n + 31) // 32),), (32,), args)

    def launch_blocks(k, blocks, args, block=_loader.BLOCK):
        k((max(1, min(blocks, 2)),), (32,), args)

    monkeypatch.setattr(g, "launch", launch)
    monkeypatch.setattr(g, "launch_blocks", launch_blocks)
    monkeypatch.setattr(g, "BLOCK", 32)
    monkeypatch.setattr(g, "_row_block", lambda dim: 32)
    monkeypatch.setattr(g, "_sum_blocks", lambda n: max(1, min((n + 31) // 32, 2)))
    return cp


@pytest.mark.parametrize("case", GPU, **ids)
def test_emu_tiny_geometry(tiny_geometry, case, monkeypatch):
    """...and the threads in descending order, one warp running ahead."""
    monkeypatch.setattr(tiny_geometry, "SCHEDULE", _cuda_emu.REVERSE | _cuda_emu.AHEAD)
    C.check_matches_numpy(tiny_geometry, case, np.float64)


def _big(row_id, shape):
    case = next(c for c in GPU if c.id == row_id)
    return dataclasses.replace(case, input_shape=shape, label=f"{case.label}-big")


#: rows again at sizes past the launchers' limits (SM count 2: at most 64
#: blocks of 256 threads per grid-stride launch, 8 partial sums per loss):
#: loops wrap, softmax rows take the 128- and 256-thread blocks, losses sum
#: several partials, NLL rows exceed one block's threads
BIG = [
    _big("Tanh-3d", (40, 30, 20)),
    _big("ELU-3d-alpha", (35, 25, 20)),
    _big("SoftMax-2d", (3, 1500)),
    _big("LogSoftMax-2d", (5, 300)),
    _big("SoftMin-2d", (70, 9)),
    _big("SoftMax-4d", (2, 7, 40, 45)),
    _big("LogSoftMax-4d", (3, 4, 20, 30)),
    _big("Linear-batch", (300, 10)),
    _big("SpatialConvolution-batch-pad", (3, 3, 30, 29)),
    _big("MSECriterion-batch", (60, 100)),
    _big("ClassNLLCriterion-batch", (700, 5)),
    _big("ClassNLLCriterion-weights-ignore", (600, 5)),
    _big("BCECriterion-weights", (600, 4)),
    _big("SmoothL1Criterion-batch", (50, 90)),
    _big("CrossEntropyCriterion-batch", (700, 5)),
    _big("SpatialMaxPooling-pad-ceil", (4, 3, 41, 40)),
    _big("SpatialAveragePooling-exclude-pad-ceil", (4, 3, 41, 40)),
    _big("SpatialZeroPadding-batch-mixed", (4, 3, 40, 50)),
    _big("SpatialUpSamplingNearest-batch", (2, 3, 40, 50)),
    _big("SpatialBatchNormalization-train", (8, 4, 30, 30)),
    _big("BatchNormalization-train", (700, 5)),
    _big("Sum-batch", (3, 40, 50)),
    _big("Max-batch", (3, 40, 50)),
    _big("Min-last", (2, 5, 1300)),
    _big("PReLU-4d", (8, 4, 30, 30)),
    _big("CMul-expand", (30, 4, 150)),
    _big("CAdd-batch", (600, 3, 4)),
    _big("LayerNormalization-long", (300, 600)),
    _big("VolumetricMaxPooling-pad-ceil", (2, 2, 15, 16, 15)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", BIG, **ids)
def test_emu_large_sizes(cp, case, dtype, monkeypatch):
    """(float32 with one warp running ahead of the others)"""
    if dtype == np.float32:
        monkeypatch.setattr(cp, "SCHEDULE", _cuda_emu.AHEAD)
    C.check_matches_numpy(cp, case, dtype)


@pytest.mark.parametrize("case", BIG[::3], **ids)
def test_emu_large_sizes_float16(cp, case):
    C.check_float16(cp, case)


# ---- max pooling with ties and NaN (the table's rows have distinct values):
# ---- the first maximum of a window wins, a NaN wins (PyTorch's rules)
POOL = [c for c in GPU if "MaxPooling" in c.module]


@pytest.mark.parametrize("values", ["ties", "nan"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", POOL, **ids)
def test_emu_maxpool_ties_and_nan(cp, case, dtype, values):
    fn, d = make_dict(case, dtype)
    x = d["input"]
    if values == "ties":
        x = np.round(x).astype(dtype)
    else:
        x = x.copy()
        x.flat[::7] = np.nan
    d = dict(d, input=x)
    ref = fn(d)
    go = np.random.default_rng(3).standard_normal(ref["output"].shape).astype(dtype)
    gref = fn(dict(d, gradOutput=go))
    dg = C.gpu_dict(cp, d)
    res = fn(dg)
    for k in ref:
        np.testing.assert_array_equal(cp.asnumpy(res[k]), ref[k], err_msg=k)
    g = fn(dict(dg, gradOutput=cp.asarray(go)))
    for k in gref:
        np.testing.assert_allclose(cp.asnumpy(g[k]), gref[k], err_msg=k, **C.TOL[dtype])


# ---- the emulator itself ----------------------------------------------------
SELF = r"""
template <typename T>
__global__ void warp_sums(const T* x, T* y, long long n) {
    /* y[i] = sum of x over i's warp (shuffle butterfly), every lane */
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    T v = i < n ? x[i] : (T)0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (i < n) y[i] = v;
}

__global__ void block_reverse(const float* x, float* y) {
    /* shared memory and a barrier: y = x reversed within each block */
    __shared__ float s[1024];
    const int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const int nt = blockDim.x * blockDim.y * blockDim.z;
    const long long base = (long long)(blockIdx.x + gridDim.x * blockIdx.y) * nt;
    s[t] = x[base + t];
    __syncthreads();
    y[base + t] = s[nt - 1 - t];
}

__global__ void early_exit(float* y) {
    /* the classic bug: some threads return before a barrier */
    if (threadIdx.x >= 16) return;
    __syncthreads();
    y[threadIdx.x] = 1;
}

__global__ void split_barriers(float* y) {
    /* two different barriers: undefined on a GPU, a deadlock here */
    if (threadIdx.x & 1) __syncthreads();
    else __syncthreads();
    y[threadIdx.x] = 1;
}

__global__ void racy_shift(const float* x, float* y) {
    /* y[t] = x[t - 1] through shared memory, the barrier forgotten */
    __shared__ float s[1024];
    s[threadIdx.x] = x[threadIdx.x];
    if (threadIdx.x) y[threadIdx.x] = s[threadIdx.x - 1];
}

__global__ void racy_reuse(const float* x, float* y) {
    /* two block sums (of x, then of 2s) through one shared slot per warp,
     * each warp's result in y[r * 32 + warp]; the barrier before the second
     * write forgotten (nnf_block_sum has it) */
    __shared__ float s[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float v = x[threadIdx.x];
    for (int r = 0; r < 2; r++) {
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0) s[warp] = v;
        __syncthreads();
        float t = lane < (int)(blockDim.x >> 5) ? s[lane] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) t += __shfl_xor_sync(0xffffffffu, t, o);
        if (lane == 0) y[r * 32 + warp] = t;
        v = 2.0f;
    }
}

__global__ void histogram(const int* x, unsigned long long* h, int* top, long long n) {
    /* atomics: counts, and the largest value */
    for (long long i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        atomicAdd(h + x[i], 1ull);
        atomicMax(top, x[i]);
    }
    __syncwarp();
}

__global__ void off_by_one(float* y, long long n) {
    for (long long i = threadIdx.x; i <= n; i += blockDim.x) y[i] = 0;
}
"""
NAMES = ["warp_sums<float>", "warp_sums<double>", "block_reverse", "early_exit",
         "split_barriers", "racy_shift", "racy_reuse", "histogram", "off_by_one"]


@pytest.fixture(scope="module")
def lib():
    return _cuda_emu.build(SELF, NAMES, "emu_self_test.cu")


def test_emulator_shuffle_and_blocks(lib):
    x = np.arange(200, dtype=np.float64)
    y = np.full(200, np.nan)
    lib.launch("warp_sums<double>", (2,), (128,), (x, y, np.int64(200)))
    ref = np.repeat([x[i:i + 32].sum() for i in range(0, 200, 32)], 32)[:200]
    np.testing.assert_array_equal(y, ref)


def test_emulator_shared_memory_barrier_3d_block(lib):
    x = np.arange(2 * 3 * 4 * 8 * 2, dtype=np.float32)
    y = np.zeros_like(x)
    lib.launch("block_reverse", (2, 3), (4, 8, 2), (x, y))
    np.testing.assert_array_equal(y, x.reshape(6, 64)[:, ::-1].ravel())


@pytest.mark.parametrize("name, match", [("early_exit", "exited"),
                                         ("split_barriers", "__syncthreads at emu_self_test")])
def test_emulator_deadlock_raises(lib, name, match):
    y = np.zeros(64, np.float32)
    with pytest.raises(_cuda_emu.EmulatorError, match=f"deadlock.*{match}"):
        lib.launch(name, (1,), (64,), (y,))
    # the library still works after an abandoned launch
    x = np.ones(64, np.float32)
    lib.launch("warp_sums<float>", (1,), (64,), (x, y, np.int64(64)))
    assert (y == 32).all()


def test_emulator_schedules_expose_missing_barriers(lib):
    """Races the default order hides show under another legal schedule."""
    x = np.arange(64, dtype=np.float32)
    want = np.concatenate([[-1], x[:-1]]).astype(np.float32)
    y = np.full(64, -1, np.float32)
    lib.launch("racy_shift", (1,), (64,), (x, y), schedule=0)
    np.testing.assert_array_equal(y, want)             # ascending order: hidden
    x, want = x + 100, want + 100                       # (shared memory keeps x)
    y[:] = -1
    lib.launch("racy_shift", (1,), (64,), (x, y), schedule=_cuda_emu.REVERSE)
    assert (y[1:] != want[1:]).all()
    x = np.ones(96, np.float32)
    want = np.zeros(64, np.float32)
    want[:3], want[32:35] = 96, 192
    for schedule, hidden in [(0, True), (_cuda_emu.REVERSE, True), (_cuda_emu.AHEAD, False),
                             (_cuda_emu.AHEAD | _cuda_emu.REVERSE, False)]:
        y = np.zeros(64, np.float32)
        lib.launch("racy_reuse", (1,), (96,), (x, y), schedule=schedule)
        assert np.array_equal(y, want) == hidden, (schedule, y[:3], y[32:35])


@pytest.mark.parametrize("schedule", [0, _cuda_emu.REVERSE | _cuda_emu.AHEAD])
def test_emulator_atomics(lib, schedule):
    x = np.random.default_rng(0).integers(0, 10, 1000).astype(np.int32)
    h = np.zeros(10, np.uint64)
    top = np.array([-1], np.int32)
    lib.launch("histogram", (3,), (64,), (x, h, top, np.int64(x.size)), schedule=schedule)
    np.testing.assert_array_equal(h, np.bincount(x, minlength=10))
    assert top[0] == x.max()


def test_emulator_bad_arguments(lib):
    y = np.zeros(4, np.float32)
    with pytest.raises(_cuda_emu.EmulatorError, match="4 bytes, the parameter 8"):
        lib.launch("off_by_one", (1,), (32,), (y, np.int32(3)))
    with pytest.raises(_cuda_emu.EmulatorError, match="bad launch"):
        lib.launch("off_by_one", (1,), (2048,), (y, np.int64(3)))


def test_emulator_guard_catches_out_of_bounds_write(cp):
    import _fake_cupy
    lib = _cuda_emu.build(SELF, NAMES, "emu_self_test.cu")
    k = _fake_cupy._Kernel("off_by_one", ["T* y", "idx_t n"], ["float"])
    k.lib, k.expr = lib, "off_by_one"
    y = cp.empty(10, np.float32)
    with pytest.raises(AssertionError, match="out of bounds"):
        k((1,), (32,), (y, np.int64(10)))


def test_emulator_float16_conversion(lib):
    """Round to nearest even, as cvt.rn.f16.f32 and NumPy: every half, and
    floats around every rounding boundary, subnormals, overflow, NaN."""
    h = np.arange(65536, dtype=np.uint16)
    f = lib.h2f(h)
    ref = h.view(np.float16).astype(np.float32)
    assert np.array_equal(f.view(np.uint32), ref.view(np.uint32))
    # every half's float, the midpoints to its neighbours, and one ulp either side
    fin = ref[np.isfinite(ref)].astype(np.float64)
    fin = np.unique(fin)
    mids = (fin[:-1] + fin[1:]) / 2          # exact in float32
    xs = np.concatenate([fin, mids, [65520.0, 65519.99, 1e6, 2.0**-25, 2.0**-26, 1e-40]])
    xs = xs.astype(np.float32)
    xs = np.concatenate([xs, np.nextafter(xs, np.float32(np.inf)),
                         np.nextafter(xs, np.float32(-np.inf)),
                         np.random.default_rng(0).standard_normal(100000).astype(np.float32),
                         np.array([np.inf, -np.inf], np.float32)])
    xs = np.concatenate([xs, -xs])
    got = lib.f2h(xs)
    with np.errstate(over="ignore"):                 # beyond 65504: inf, on purpose
        want = xs.astype(np.float16).view(np.uint16)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(float(xs[i]), hex(got[i]), hex(want[i])) for i in bad[:5]]
    nan = lib.f2h(np.array([np.nan], np.float32))
    assert np.isnan(nan.view(np.float16)).all()


def test_emu_gpu_benchmark_rows_run(cp):
    """Every row of ``bench.py --gpu`` (the CPU table's rows on CuPy) runs its
    nnfunc and PyTorch sides once: here on the emulator and PyTorch CPU, so a
    broken row is found before a GPU machine is lent."""
    torch = pytest.importorskip("torch")
    from pathlib import Path
    bench_dir = Path(__file__).resolve().parent.parent / "bench"
    if not (bench_dir / "bench_gpu.py").exists():
        pytest.skip("bench/ not available")
    sys.path.insert(0, str(bench_dir))
    try:
        import bench_gpu
        rows = bench_gpu.rows(cp, torch, np.float32, quick=True, device="cpu")
    finally:
        sys.path.remove(str(bench_dir))
    assert len(rows) > 80
    for label, shape, run, trun in rows:
        run()
        trun()
