"""Forward and gradients of every case against an independent oracle (PyTorch CPU)."""

import numpy as np
import pytest

from _helpers import assert_allclose_t, diff_keys, grad_output, make_dict, tmap, to_numpy
from cases import CASES

torch = pytest.importorskip("torch")

REF_CASES = [c for c in CASES if c.ref is not None]


def _torch_ref(case, fn, d, go):
    t = {}
    for k, v in d.items():
        if not isinstance(v, (np.ndarray, list)):
            t[k] = v                # seeds, flags
            continue

        def conv(a, k=k):
            ta = torch.from_numpy(np.array(a))
            if np.issubdtype(a.dtype, np.floating) and k != "target":
                ta.requires_grad_(True)
            return ta
        t[k] = tmap(conv, v)
    y = case.ref(torch, t)
    if not any(a.requires_grad for a in (y if type(y) is list else [y])):
        pass                        # nothing differentiable (integer input): zero gradients
    elif fn.module.is_criterion:
        (y * go).backward()
    elif type(y) is list:
        torch.autograd.backward(y, [torch.from_numpy(g) for g in go])
    else:
        y.backward(torch.from_numpy(go))
    # an integer or boolean input (indices, masks) has no gradient: zeros
    grads = {gk: tmap(lambda a: to_numpy(a.grad) if a.grad is not None
                      else np.zeros(tuple(a.shape)), t[k]) for k, gk in diff_keys(fn)}
    return tmap(to_numpy, y), grads


@pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])
@pytest.mark.parametrize("case", REF_CASES, ids=lambda c: c.id)
def test_against_torch(case, backend):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    y_ref, g_ref = _torch_ref(case, fn, d, go)
    y = fn(d, backend=backend)["output"]
    assert_allclose_t(y, y_ref, rtol=1e-10, atol=1e-12, err_msg="output")
    g = fn(dict(d, gradOutput=go), backend=backend)
    for k, v in g_ref.items():
        assert_allclose_t(g[k], v, rtol=1e-10, atol=1e-12, err_msg=k)
