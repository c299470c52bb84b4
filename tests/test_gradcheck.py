"""Finite-difference gradient checks in float64, on the compiled and generic paths.

For each differentiable key (input and every parameter) and a few random
directions v, the analytic ``<grad, v>`` must match the central difference
of ``L = sum(output * gradOutput)`` (criterions: ``loss * gradOutput``).
"""

import numpy as np
import pytest

from _helpers import diff_keys, grad_output, is_float, make_dict, tdot, tmap
from cases import CASES

EPS = 1e-6


def _step(eps):
    """``a + eps * v`` for float arrays; integer/bool ones (indices) stay."""
    return lambda a, v: a + eps * v if is_float(a) else a


def _loss(fn, d, go, backend):
    y = fn(d, backend=backend)["output"]
    return float(y * go) if fn.module.is_criterion else tdot(y, go)


@pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])
@pytest.mark.parametrize("case", [c for c in CASES if c.fd], ids=lambda c: c.id)
def test_gradcheck(case, backend):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    g = fn(dict(d, gradOutput=go), backend=backend)
    rng = np.random.default_rng(7)
    for key, gkey in diff_keys(fn):
        for _ in range(3):
            # integer and boolean entries (indices, masks) are not perturbed
            v = tmap(lambda a: rng.standard_normal(a.shape) if is_float(a)
                     else np.zeros(a.shape, a.dtype), d[key])
            plus = _loss(fn, dict(d, **{key: tmap(_step(EPS), d[key], v)}),
                         go, backend)
            minus = _loss(fn, dict(d, **{key: tmap(_step(-EPS), d[key], v)}),
                          go, backend)
            numeric = (plus - minus) / (2 * EPS)
            analytic = tdot(g[gkey], v)
            scale = max(1.0, abs(numeric), abs(analytic))
            assert abs(numeric - analytic) <= 1e-6 * scale, (
                f"{gkey}: analytic {analytic!r} vs numeric {numeric!r}")
