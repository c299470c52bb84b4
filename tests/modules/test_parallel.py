"""The kernels' thread pool (``nnfunc._cpu._parallel``): inputs large enough to be split.

The table's rows are too small to reach the pool (a part is at least 32K
elements), so these cases sit just above the threshold. Split results must
be bit-identical to one thread (maps: the same code per element; the
softmax family, CrossEntropy and the reductions (Sum, Mean, Max, Min):
whole rows / images per part, the loss terms added in row order; MSE:
partial sums of fixed blocks added in block order) and agree
with the generic path.
"""

import os
import sys
import threading

import numpy as np
import pytest

import nnfunc
from nnfunc._cpu import _parallel

MAP = (2, 3, 130, 130)          # 101400 elements: split in 3 parts of >= 32K
CASES = [
    ("Tanh", (), MAP),
    ("Sigmoid", (), MAP),
    ("ReLU", (), MAP),
    ("HardTanh", (), MAP),
    ("Log", (), MAP),
    ("Power", (2.5,), MAP),                   # binary powering and sqrt
    ("Power", (0.3,), MAP),                   # exp(p log x)
    ("Exp", (), MAP),
    ("SoftPlus", (), MAP),
    ("GatedLinearUnit", (1,), (2, 4, 130, 130)),
    ("SoftMax", (), (2700, 100)),
    ("LogSoftMax", (), (2700, 100)),
    ("SoftMin", (), (2700, 100)),
    ("SoftMax", (), (65, 4, 32, 32)),          # over C: 65 images of 4096
    ("SoftMin", (), (65, 4, 32, 32)),
    ("SpatialLogSoftMax", (), (65, 4, 32, 32)),
    ("CrossEntropyCriterion", (), (2700, 100)),
    ("MSECriterion", (), (2700, 100)),          # partial sums of fixed blocks
    ("Sum", (1,), (65, 4, 32, 32)),
    ("Mean", (1,), (65, 4, 32, 32)),
    ("Max", (1,), (65, 4, 32, 32)),            # rounded input: ties, first index wins
    ("Min", (1,), (65, 4, 32, 32)),
    ("Max", (1,), (2700, 100)),                 # over the contiguous last dimension
]


@pytest.fixture
def threads():
    """Set the pool's limit for a test, restored afterwards."""
    old = _parallel.get_num_threads()
    yield _parallel.set_num_threads
    _parallel.set_num_threads(old)


def _dict(name, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    if name in ("Log", "Power"):
        x = np.abs(x) + dtype(0.1)
    if name in ("Max", "Min"):
        x = np.round(x)
        x.reshape(-1)[::1001] = np.nan
    d = {"input": x}
    if name == "CrossEntropyCriterion":
        t = rng.integers(0, shape[1], shape[0])
        t[::7] = -100                                   # some ignored rows
        d["target"] = t
    if name == "MSECriterion":
        d["target"] = rng.standard_normal(shape).astype(dtype)
    return d


def _grad_output(name, f, d, seed=1):
    if name.endswith("Criterion"):
        return 0.75
    y = f(d)["output"]
    return np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)


def _same_bits_then_generic(threads, f, d, dg, counts, tol, grad_atol):
    """f's output and gradients with each thread count in ``counts`` are the
    bits of one thread's; those agree with the generic path."""
    threads(1)
    y1, g1 = f(d)["output"], f(dg)
    for t in counts:
        threads(t)
        np.testing.assert_array_equal(f(d)["output"], y1)
        gt = f(dg)
        for k in g1:
            np.testing.assert_array_equal(gt[k], g1[k])
    yg, gg = f(d, backend="generic")["output"], f(dg, backend="generic")
    np.testing.assert_allclose(y1, yg, rtol=tol, atol=tol)
    for k in g1:
        np.testing.assert_allclose(g1[k], gg[k], rtol=tol, atol=grad_atol)


def _run(f, d, go, backend=None):
    y = f(d, backend=backend)["output"]
    g = f(dict(d, gradOutput=go), backend=backend)["gradInput"]
    return np.asarray(y), np.asarray(g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,shape", CASES, ids=[f"{c[0]}-{'x'.join(map(str, c[2]))}"
                                                          for c in CASES])
def test_split_is_bit_identical_and_matches_generic(threads, name, args, shape, dtype):
    f = getattr(nnfunc.nn, name)(*args)
    if name == "CrossEntropyCriterion":
        f = nnfunc.nn.CrossEntropyCriterion(ignoreIndex=-100)
    d = _dict(name, shape, dtype)
    go = _grad_output(name, f, d)
    threads(1)
    y1, g1 = _run(f, d, go)
    for t in (2, 3):
        threads(t)
        yt, gt = _run(f, d, go)
        np.testing.assert_array_equal(yt, y1)
        np.testing.assert_array_equal(gt, g1)
    yg, gg = _run(f, d, go, backend="generic")
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y1, yg, rtol=tol, atol=tol)
    np.testing.assert_allclose(g1, gg, rtol=tol, atol=tol)


def test_concurrent_large_calls(threads):
    """Two Python threads in split kernels at once: one owns the pool, the other
    runs its parts itself; both get the single-thread bits."""
    threads(2)
    jobs = []
    for seed, (name, shape) in enumerate([("Sigmoid", MAP), ("SoftMax", (2700, 100)),
                                          ("Tanh", MAP), ("CrossEntropyCriterion", (2700, 100))]):
        f = getattr(nnfunc.nn, name)()
        if name == "CrossEntropyCriterion":
            f = nnfunc.nn.CrossEntropyCriterion(ignoreIndex=-100)
        d = _dict(name, shape, np.float32, seed)
        go = _grad_output(name, f, d)
        jobs.append((f, d, go, _run(f, d, go)))
    errors = []
    barrier = threading.Barrier(len(jobs))

    def work(f, d, go, ref):
        try:
            barrier.wait()
            for _ in range(10):
                y, g = _run(f, d, go)
                np.testing.assert_array_equal(y, ref[0])
                np.testing.assert_array_equal(g, ref[1])
        except Exception as e:  # reported in the main thread
            errors.append(e)

    ts = [threading.Thread(target=work, args=j) for j in jobs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[0]


def test_limits(threads):
    threads(0)
    assert _parallel.get_num_threads() == 1
    threads(1000)
    assert _parallel.get_num_threads() == 64
    threads(1)        # a limit of one never starts threads: still correct
    f = nnfunc.nn.Tanh()
    x = np.linspace(-3, 3, 100000)
    np.testing.assert_allclose(f({"input": x})["output"], np.tanh(x), rtol=1e-14, atol=1e-15)


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="fork")
def test_pool_after_fork(threads):
    """A forked child (no pool workers there) starts its own pool."""
    threads(2)
    f = nnfunc.nn.Sigmoid()
    x = np.linspace(-8, 8, 200000).astype(np.float32)
    y = f({"input": x})["output"]          # the parent's pool is started
    pid = os.fork()
    if pid == 0:                           # child: exit code says whether it matched
        ok = False
        try:
            ok = np.array_equal(f({"input": x})["output"], y)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# -- kernels split by planes (pooling, padding, upsampling, pixel shuffle) ----
# A part is about 32K elements of a plane's work (plane_grain: the larger of
# a plane's input, output or window taps), so these inputs hold enough
# planes for 3 parts at 3 threads; odd plane sizes (row tails).
def _ties(rng, shape):
    """Rounded values (ties), some NaN and -inf: the max kernels' winner rules."""
    x = np.round(rng.standard_normal(shape))
    x[rng.random(shape) < 0.02] = np.nan
    x[rng.random(shape) < 0.05] = -np.inf
    return x


def _unpool_dict(rng, dtype):
    pool = nnfunc.nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1, return_indices=True)
    # 240 planes of 110 inputs -> 399 outputs: 3 parts
    r = pool({"input": rng.standard_normal((3, 80, 21, 19)).astype(dtype)})
    return {"input": r["output"], "indices": r["indices"]}


N = nnfunc.nn
PLANE_CASES = [
    # (id, module, input shape or dict builder, generator)
    ("SpatialMaxPooling-k2", N.SpatialMaxPooling(2, 2), (3, 40, 33, 31), _ties),
    ("SpatialMaxPooling-indices", N.SpatialMaxPooling(3, 3, 2, 2, 1, 1, return_indices=True),
     (3, 40, 33, 31), _ties),
    ("SpatialDilatedMaxPooling", N.SpatialDilatedMaxPooling(3, 3, 2, 2, 1, 1, 2, 2),
     (3, 40, 33, 31), _ties),
    ("SpatialAveragePooling-ceil", N.SpatialAveragePooling(3, 3, 2, 2, 1, 1, ceil_mode=True),
     (3, 40, 33, 31), None),
    ("SpatialAveragePooling-exclude", N.SpatialAveragePooling(
        3, 2, 2, 1, 1, 1, count_include_pad=False), (3, 40, 33, 31), None),
    ("SpatialAdaptiveMaxPooling", N.SpatialAdaptiveMaxPooling(7, 5, return_indices=True),
     (3, 40, 33, 31), _ties),
    ("SpatialAdaptiveAveragePooling", N.SpatialAdaptiveAveragePooling(7, 5), (3, 40, 33, 31),
     None),
    ("SpatialMaxUnpooling", N.SpatialMaxUnpooling(
        N.SpatialMaxPooling(3, 3, 2, 2, 1, 1, return_indices=True)), _unpool_dict, None),
    ("VolumetricMaxPooling-k2", N.VolumetricMaxPooling(2, 2, 2), (3, 30, 8, 12, 13), _ties),
    ("VolumetricMaxPooling-s1", N.VolumetricMaxPooling(3, 3, 2, 1, 1, 1, 1, 1, 0,
                                                       return_indices=True),
     (3, 30, 8, 12, 13), _ties),
    ("VolumetricDilatedMaxPooling", N.VolumetricDilatedMaxPooling(
        3, 3, 3, 2, 2, 2, 1, 1, 1, 2, 2, 2, return_indices=True), (3, 30, 8, 12, 13), _ties),
    ("VolumetricAveragePooling", N.VolumetricAveragePooling(3, 3, 3, 2, 2, 2, 1, 1, 1),
     (3, 30, 8, 12, 13), None),
    ("TemporalMaxPooling", N.TemporalMaxPooling(3, 2, return_indices=True), (80, 37, 33),
     _ties),
    ("SpatialZeroPadding", N.SpatialZeroPadding(2, -1, 3, 0), (3, 40, 33, 31), None),
    ("SpatialReflectionPadding", N.SpatialReflectionPadding(2, 1, 3, 0), (3, 40, 33, 31), None),
    ("SpatialReplicationPadding", N.SpatialReplicationPadding(2), (3, 40, 33, 31), None),
    ("VolumetricReplicationPadding", N.VolumetricReplicationPadding(1, 2, 0, 1, 2, 1),
     (3, 30, 8, 12, 13), None),
    ("SpatialUpSamplingNearest", N.SpatialUpSamplingNearest(2), (3, 40, 17, 15), None),
    ("SpatialUpSamplingBilinear", N.SpatialUpSamplingBilinear(2), (3, 40, 17, 15), None),
    ("PixelShuffle-r2", N.PixelShuffle(2), (3, 160, 13, 17), None),
    ("PixelShuffle-r3", N.PixelShuffle(3), (3, 80 * 9, 7, 9), None),
    ("PixelShuffle-r5", N.PixelShuffle(5), (3, 90 * 25, 3, 5), None),       # generic r
]


def _plane_run(f, d, go, backend=None):
    out = {k: np.asarray(v) for k, v in f(d, backend=backend).items()}
    g = f(dict(d, gradOutput=go), backend=backend)["gradInput"]
    return out, np.asarray(g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,f,shape,gen", PLANE_CASES, ids=[c[0] for c in PLANE_CASES])
def test_plane_split_is_bit_identical_and_matches_generic(threads, name, f, shape, gen, dtype):
    rng = np.random.default_rng(0)
    if callable(shape):
        d = shape(rng, dtype)
    else:
        x = (gen or (lambda r, s: r.standard_normal(s)))(rng, shape)
        d = {"input": x.astype(dtype)}
    go = rng.standard_normal(f(d)["output"].shape).astype(dtype)
    threads(1)
    o1, g1 = _plane_run(f, d, go)
    for t in (2, 3):
        threads(t)
        ot, gt = _plane_run(f, d, go)
        for k in o1:
            np.testing.assert_array_equal(ot[k], o1[k], err_msg=k)
        np.testing.assert_array_equal(gt, g1)
    og, gg = _plane_run(f, d, go, backend="generic")
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for k in o1:
        np.testing.assert_allclose(o1[k], og[k], rtol=tol, atol=tol, err_msg=k)
    np.testing.assert_allclose(g1, gg, rtol=tol, atol=tol)


# LayerNormalization splits rows over the pool; gradWeight / gradBias are
# summed per block of rows (fixed by N and D: at least 16K elements, at most
# 64 blocks) and the blocks added in order. Uneven last blocks, many short
# rows (the 64-block cap), rows longer than a part, and no affine parameters.
LAYERNORM = [((200, 300), True), ((5000, 16), True), ((70000, 1), True), ((3, 40000), True),
             ((200, 300), False)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,affine", LAYERNORM, ids=str)
def test_layer_normalization_split_is_bit_identical(threads, shape, affine, dtype):
    f = nnfunc.nn.LayerNormalization(shape[1], affine=affine)
    rng = np.random.default_rng(2)
    p = f.init_params(seed=0, dtype=dtype)
    p = {k: (v + rng.standard_normal(v.shape)).astype(dtype) for k, v in p.items()}
    d = dict(input=(rng.standard_normal(shape) * 3 + 1).astype(dtype), **p)
    dg = dict(d, gradOutput=rng.standard_normal(shape).astype(dtype))
    tol = 2e-4 if dtype == np.float32 else 1e-10
    _same_bits_then_generic(threads, f, d, dg, (2, 3), tol, tol * 10)


# SpatialDepthWiseConvolution (C, M, kW, kH, dW, dH, padW, padH), input (N, C, H, W):
# 96 planes of 16x16, above the split of every path (3x3 / 5x5 stride 1, 3x3
# stride 2, general) in both calls; gradWeight / gradBias are summed per plane
# and then over the batch in order, so every split gives the same bits
DEPTHWISE = [
    ((16, 1, 3, 3, 1, 1, 1, 1), (6, 16, 16, 16)),
    ((8, 2, 5, 5, 1, 1, 2, 2), (12, 8, 16, 19)),
    ((16, 1, 3, 3, 2, 2, 1, 1), (6, 16, 31, 33)),
    ((16, 1, 4, 2, 1, 2, 2, 0), (6, 16, 16, 21)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("args,shape", DEPTHWISE, ids=str)
def test_depthwise_split_is_bit_identical(threads, args, shape, dtype):
    f = nnfunc.nn.SpatialDepthWiseConvolution(*args)
    p = f.init_params(seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    d = dict(input=rng.standard_normal(shape).astype(dtype), **p)
    dg = dict(d, gradOutput=rng.standard_normal(f(d)["output"].shape).astype(dtype))
    tol = 2e-5 if dtype == np.float32 else 1e-12
    _same_bits_then_generic(threads, f, d, dg, (2, 3, 4), tol, tol * 10)


# The spatial and volumetric convolutions split the batch into chunks on the
# pool (one BLAS thread each, where the BLAS allows it); gradWeight is summed
# per group of samples and the groups added in order. 5 samples: uneven chunks.
VOL = [
    ("SpatialConvolution", (3, 4, 1, 1), (5, 3, 6, 7)),                  # direct
    ("SpatialConvolution", (3, 4, 3, 3, 2, 2, 1, 1), (5, 3, 9, 8)),      # unfold
    ("SpatialConvolution", (8, 4, 3, 3, 1, 1, 1, 1), (5, 8, 7, 6)),      # rows
    ("SpatialDilatedConvolution", (8, 4, 3, 3, 1, 1, 2, 2, 2, 2), (5, 8, 9, 9)),
    ("SpatialFullConvolution", (3, 4, 3, 3, 1, 1, 1, 1), (5, 3, 5, 6)),   # fused backward
    ("SpatialFullConvolution", (3, 8, 3, 3, 1, 1, 1, 1), (5, 3, 5, 6)),   # rows
    ("SpatialFullConvolution", (4, 3, 4, 4, 2, 2, 1, 1), (5, 4, 4, 5)),   # strided
    ("VolumetricConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1), (5, 3, 4, 6, 6)),
    ("VolumetricDilatedConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2),
     (5, 3, 6, 7, 7)),
    ("VolumetricFullConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1), (5, 3, 4, 5, 5)),
    ("VolumetricFullConvolution", (3, 4, 4, 4, 4, 2, 2, 2, 1, 1, 1), (5, 3, 3, 4, 4)),
    # the shift method (float32 on AVX-512, >= 8 planes; split by output tiles
    # and gradWeight tiles, not by samples), rows and wide vector layouts
    ("SpatialConvolution", (8, 9, 3, 3, 1, 1, 1, 1), (5, 8, 7, 20)),
    ("SpatialDilatedConvolution", (9, 8, 3, 3, 1, 1, 2, 2, 2, 2), (5, 9, 9, 9)),
    ("VolumetricConvolution", (8, 9, 3, 3, 3, 1, 1, 1, 1, 1, 1), (5, 8, 4, 6, 17)),
    ("VolumetricDilatedConvolution", (8, 8, 3, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2),
     (5, 8, 6, 7, 7)),
    # one small image with many planes: the forward's units split the output
    # planes (one tile only); strided, and full by output phases
    ("SpatialConvolution", (16, 64, 3, 3, 1, 1, 1, 1), (1, 16, 5, 5)),
    ("SpatialConvolution", (16, 40, 4, 4, 2, 2, 1, 1), (16, 6, 7)),
    ("SpatialFullConvolution", (16, 24, 4, 4, 2, 2, 1, 1), (1, 16, 3, 4)),
    ("SpatialFullConvolution", (8, 9, 4, 4, 2, 2, 1, 1), (5, 8, 4, 5)),      # image by image
    ("VolumetricFullConvolution", (8, 16, 4, 4, 4, 2, 2, 2, 1, 1, 1), (2, 8, 2, 3, 3)),
    # TemporalConvolution's row-GEMM method (float32 on AVX-512, >= 16
    # features): row tiles and gradWeight column panels over the pool
    ("TemporalConvolution", (16, 40, 3), (5, 60, 16)),
    ("TemporalConvolution", (24, 16, 3, 2), (5, 41, 24)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("one_group", [False, True], ids=["group-per-sample", "one-group"])
@pytest.mark.parametrize("name,args,shape", VOL,
                         ids=[f"{c[0]}-{'x'.join(map(str, c[2]))}" for c in VOL])
def test_convolution_batch_split_is_bit_identical(threads, monkeypatch, name, args, shape,
                                                  dtype, one_group):
    from nnfunc._cpu import spatial_convolution as sc
    from nnfunc._cpu import temporal_convolution as tc
    from nnfunc._cpu import volumetric_convolution as vc
    monkeypatch.setattr(tc, "RG_PART_FLOPS", 1 << 12)     # small products split too
    if one_group:                       # no partials: the whole batch accumulates in one
        monkeypatch.setattr(vc, "PARTIAL_BYTES", 1)
        monkeypatch.setattr(sc, "PARTIAL_BYTES", 1)
    f = getattr(nnfunc.nn, name)(*args)
    rng = np.random.default_rng(0)
    d = {"input": rng.standard_normal(shape).astype(dtype), **f.init_params(seed=1, dtype=dtype)}
    go = rng.standard_normal(f(d)["output"].shape).astype(dtype)
    dg = dict(d, gradOutput=go)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    _same_bits_then_generic(threads, f, d, dg, (2, 3), tol, tol)


def test_batches_put_the_blas_thread_count_back(threads):
    """The batch split runs BLAS with one thread per caller; where that count is
    shared by the process (SciPy's OpenBLAS), batches from several threads at
    once must leave it as they found it (a set-and-restore per pool thread
    left it at 1, and every later BLAS call ran on one core)."""
    if _parallel.blas_threads_scope() is None:
        pytest.skip("the BLAS has no per-caller thread count")
    threads(2)
    before = _parallel.blas_threads_now()
    rng = np.random.default_rng(0)
    mods = [nnfunc.nn.VolumetricConvolution(3, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1),
            nnfunc.nn.SpatialConvolution(8, 4, 3, 3, 1, 1, 1, 1)]
    dicts = [{"input": rng.standard_normal((6, 3, 4, 6, 6)).astype(np.float32),
              **mods[0].init_params(seed=0)},
             {"input": rng.standard_normal((6, 8, 7, 6)).astype(np.float32),
              **mods[1].init_params(seed=0)}]
    errors = []

    def work(i):
        try:
            f, d = mods[i % 2], dicts[i % 2]
            for _ in range(20):
                y = f(d)["output"]
                f(dict(d, gradOutput=y))
        except Exception as e:      # reported in the main thread
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[0]
    assert _parallel.blas_threads_now() == before
