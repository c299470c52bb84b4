"""CuPy input: the GPU kernels (rows whose module has "gpu") and the generic
path on CuPy (every other row), against the NumPy results of the same table.

Per GPU row: forward and gradients vs NumPy in float64 and float32, float16
within a float16 tolerance (computed and summed in float32), float64
finite-difference gradients, buffers filled in place and returned as the
same objects, purity (inputs untouched, no state between calls), the
current-stream rule, the empty batch, and the row's bad input. Mixed
CuPy/NumPy dicts are TypeErrors naming both. The per-row checks live in
``_gpu_checks`` (tests/test_gpu_emu.py runs the same ones on the CPU
emulator of the kernels).

Skipped cleanly where CuPy is not installed or no GPU is visible.
"""

import numpy as np
import pytest

import nnfunc
import _gpu_checks as C
from _gpu_checks import GPU, OTHER, TOL
from _helpers import grad_output, make_dict, tmap
from cases import CASES

cp = pytest.importorskip("cupy")
try:
    _ndev = cp.cuda.runtime.getDeviceCount()
except Exception:           # no driver / no device: CUDARuntimeError
    _ndev = 0
if _ndev == 0:
    pytest.skip("no CUDA device visible to CuPy", allow_module_level=True)


def to_gpu(v):
    return C.to_gpu(cp, v)


def gpu_dict(d):
    return C.gpu_dict(cp, d)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_matches_numpy(case, dtype):
    C.check_matches_numpy(cp, case, dtype)


@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_float16(case):
    C.check_float16(cp, case)


@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_gradcheck(case):
    C.check_gradcheck(cp, case)


@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_buffers_filled_in_place(case):
    C.check_buffers_filled_in_place(cp, case)


@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_pure_and_inputs_untouched(case):
    C.check_pure_and_inputs_untouched(cp, case)


@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_non_contiguous_input(case):
    C.check_non_contiguous_input(cp, case)


@pytest.mark.parametrize("case", GPU, ids=lambda c: c.id)
def test_gpu_current_stream(case):
    """Kernels and GEMMs go to the current stream: results are right when read
    after synchronising that stream only."""
    fn, d = make_dict(case, np.float64)
    ref = fn(d)["output"]
    s = cp.cuda.Stream(non_blocking=True)
    with s:
        dg = gpu_dict(d)
        y = fn(dg)["output"]
        s.synchronize()
        np.testing.assert_allclose(cp.asnumpy(y, stream=s), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", [c for c in GPU if C.is_criterion(c)], ids=lambda c: c.id)
def test_gpu_criterion_go_array(case, dtype):
    C.check_criterion_go_array(cp, case, dtype)


@pytest.mark.parametrize("case", [c for c in GPU if c.batch], ids=lambda c: c.id)
def test_gpu_empty_batch(case):
    C.check_empty_batch(cp, case)


@pytest.mark.parametrize("case", [c for c in GPU if c.bad], ids=lambda c: c.id)
def test_gpu_bad_input(case):
    C.check_bad_input(cp, case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_mixed_namespaces_name_both(case):
    fn, d = make_dict(case, np.float64)
    dg = gpu_dict(d)
    keys = [k for k, v in d.items() if k != "input" and isinstance(v, np.ndarray)]
    for k in keys:
        # CuPy input, one NumPy entry; NumPy input, one CuPy entry
        for bad in (dict(dg, **{k: d[k]}), dict(d, **{k: dg[k]})):
            with pytest.raises(TypeError) as e:
                fn(bad)
            assert "cupy" in str(e.value) and "numpy" in str(e.value), str(e.value)


@pytest.mark.parametrize("case", OTHER, ids=lambda c: c.id)
def test_generic_path_on_cupy(case):
    """Rows without a GPU kernel run their array-API code on CuPy arrays."""
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    ref = fn(d)
    gref = fn(dict(d, gradOutput=go))
    dg = gpu_dict(d)
    assert nnfunc.dispatch.which(fn, dg) == "generic"
    res = fn(dg)
    assert res.keys() == ref.keys()
    for k in ref:
        _close(res[k], ref[k], k, **TOL[np.float64])
    g = fn(dict(dg, gradOutput=go if fn.module.is_criterion else tmap(to_gpu, go)))
    assert g.keys() == gref.keys()
    for k in g:
        _close(g[k], gref[k], k, **TOL[np.float64])


@pytest.mark.parametrize("case", OTHER, ids=lambda c: c.id)
def test_generic_path_on_cupy(case):
    """Rows without a GPU kernel run their array-API code on CuPy arrays."""
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    ref = fn(d)
    gref = fn(dict(d, gradOutput=go))
    dg = gpu_dict(d)
    assert nnfunc.dispatch.which(fn, dg) == "generic"
    res = fn(dg)
    assert res.keys() == ref.keys()
    for k in ref:
        C.close(cp, res[k], ref[k], k, **TOL[np.float64])
    g = fn(dict(dg, gradOutput=go if fn.module.is_criterion else tmap(to_gpu, go)))
    assert g.keys() == gref.keys()
    for k in g:
        C.close(cp, g[k], gref[k], k, **TOL[np.float64])


def test_kernels_compiled_once():
    C.check_kernels_compiled_once(cp)


def test_gpu_cross_entropy_ignored_nonfinite():
    C.check_cross_entropy_ignored_nonfinite(cp)
