"""The GPU backend's Python side, run on a stand-in CuPy (no GPU needed).

``_fake_cupy`` makes NumPy arrays look like ``cupy.ndarray`` and checks
every kernel launch against the kernel's signature in the CUDA source
(argument count, pointer dtypes, scalar widths, launch sizes) without
running it. Every GPU row of the table goes through forward and gradient
calls, with fresh and caller buffers, in float32, float64 and float16:
the dispatch, the result arrays, the GEMM calls and every launch are
exercised; the values are checked by tests/test_gpu_emu.py (the same
stand-in running the kernels on the CPU emulator) and tests/test_gpu.py (a GPU).
Skipped where a GPU is visible (tests/test_gpu.py runs the real kernels).
"""

import sys
import types

import numpy as np
import pytest

import nnfunc
from _gpu_checks import GPU, real_gpu_visible
from _helpers import grad_output, leaves, make_dict, tmap


@pytest.fixture
def fake():
    if real_gpu_visible():
        pytest.skip("a GPU is visible: tests/test_gpu.py runs the real kernels")
    import _fake_cupy
    with _fake_cupy.installed(emulate=False) as cp:
        yield cp


def _to(cp, v):
    if isinstance(v, np.ndarray):
        return cp.asarray(v)
    if type(v) is list:
        return [_to(cp, e) for e in v]
    return v


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_glue(case, dtype, fake):
    cp = fake
    fn, d = make_dict(case, dtype)
    go = grad_output(case, fn, make_dict(case, np.float64)[1])
    dg = {k: _to(cp, v) for k, v in d.items()}
    assert nnfunc.dispatch.which(fn, dg) == "gpu"
    res = fn(dg)
    y = res["output"]
    assert type(y) is cp.ndarray and y.dtype == dtype
    assert tuple(y.shape) == tuple(fn(d if dtype != np.float16 else
                                      make_dict(case, np.float64)[1])["output"].shape)
    gog = go if fn.module.is_criterion else tmap(lambda a: cp.asarray(a.astype(dtype)), go)
    g = fn(dict(dg, gradOutput=gog))
    for k, v in g.items():
        src = "input" if k == "gradInput" else k[4].lower() + k[5:]
        for vi, si in zip(leaves(v), leaves(dg[src]), strict=True):
            assert type(vi) is cp.ndarray and vi.dtype == dtype, k
            assert vi.shape == si.shape, k
    # (Linear without bias is GEMMs only)
    assert fake.LAUNCHES or not getattr(fn.module, "bias", True), "no kernel was launched"
    # caller buffers, contiguous and not: returned as the same objects
    out = cp.empty(y.shape, dtype)
    assert fn(dict(dg, output=out))["output"] is out
    bufs = {k: tmap(lambda a: cp.empty(a.shape, dtype), v) for k, v in g.items()}
    r = fn(dict(dg, gradOutput=gog, **bufs))
    assert all(ri is bi for k, b in bufs.items() for ri, bi in zip(leaves(r[k]), leaves(b)))
    big = cp.empty(tuple(2 * s for s in y.shape) or (2,), dtype)
    out = big[tuple(slice(None, None, 2) for _ in y.shape)] if y.shape else big[0:1].reshape(())
    assert fn(dict(dg, output=out))["output"] is out
    # a criterion's gradOutput as a 0-d array is read on the device
    if fn.module.is_criterion:
        fn(dict(dg, gradOutput=cp.asarray(np.asarray(0.5, dtype))))
    # non-contiguous input
    def strided(x):
        if not x.ndim:
            return x
        wide = cp.empty(x.shape + (2,), x.dtype)
        wide[..., 0] = x
        return wide[..., 0]
    fn(dict(dg, input=tmap(strided, dg["input"])))


@pytest.mark.parametrize("case", [c for c in GPU if c.batch], ids=lambda c: c.id)
def test_gpu_glue_empty_batch(case, fake):
    cp = fake
    shape = tmap(lambda s: (0,) + tuple(s[1:]), case.input_shape)
    fn, d = make_dict(case, np.float32, input_shape=shape)
    dg = {k: _to(cp, v) for k, v in d.items()}
    y = fn(dg)["output"]
    go = grad_output(case, fn, d)
    g = fn(dict(dg, gradOutput=go if fn.module.is_criterion else tmap(cp.asarray, go)))
    assert y.shape == fn(d)["output"].shape
    assert all(leaves(v)[0].shape == leaves(fn(dict(d, gradOutput=go))[k])[0].shape
               for k, v in g.items())


def test_cupy_target_range_check(fake):
    cp = fake
    f = nnfunc.nn.ClassNLLCriterion(ignoreIndex=-1)
    x = cp.asarray(np.zeros((3, 4), np.float32))
    f({"input": x, "target": cp.asarray(np.array([0, -1, 3]))})
    with pytest.raises(nnfunc.InputError, match="class index 7"):
        f({"input": x, "target": cp.asarray(np.array([0, 7, -1]))})
    with pytest.raises(nnfunc.InputError, match="class index -2"):
        f({"input": x, "target": cp.asarray(np.array([0, -2, 1]))})


def test_cupy_index_range_check(fake):
    """Index inputs on CuPy (LookupTable rows, unpooling offsets) are checked
    before any kernel, with the bad value named; uint64 beyond int64 too."""
    cp = fake
    f = nnfunc.nn.LookupTable(10, 3)
    w = cp.asarray(f.init_params(seed=0)["weight"])
    f({"input": cp.asarray(np.array([0, 9, 4])), "weight": w})
    with pytest.raises(nnfunc.InputError, match="row index 10, outside \\[0, 10\\)"):
        f({"input": cp.asarray(np.array([0, 10, 4])), "weight": w})
    with pytest.raises(nnfunc.InputError, match="row index -1"):
        f({"input": cp.asarray(np.array([[0, -1], [2, 3]], np.int32)), "weight": w})
    with pytest.raises(nnfunc.InputError, match=f"row index {2**63 + 5}"):
        f({"input": cp.asarray(np.array([1, 2**63 + 5], np.uint64)), "weight": w})
    un = nnfunc.nn.SpatialMaxUnpooling(2, 2)
    x = cp.asarray(np.ones((1, 2, 2), np.float32))
    with pytest.raises(nnfunc.InputError, match="flat plane offset 16"):
        un({"input": x, "indices": cp.asarray(np.array([[[0, 1], [2, 16]]]))})


def test_mixed_cupy_numpy_names_both(fake):
    cp = fake
    f = nnfunc.nn.Linear(3, 2)
    p = f.init_params(seed=0)
    x = np.ones((4, 3), np.float32)
    with pytest.raises(TypeError, match="cupy.ndarray.*numpy.ndarray"):
        f({"input": cp.asarray(x), **p})
    with pytest.raises(TypeError, match="numpy.ndarray.*cupy.ndarray"):
        f({"input": x, "weight": cp.asarray(p["weight"]), "bias": p["bias"]})
