"""The batch normalisation kernel split over the thread pool by channel ranges."""

import numpy as np
import pytest

import nnfunc
from nnfunc._cpu import _parallel


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,shape", [("BatchNormalization", (300, 1030)),
                                        ("SpatialBatchNormalization", (6, 40, 30, 30)),
                                        ("VolumetricBatchNormalization", (3, 20, 6, 20, 20))])
def test_channel_split_is_bit_identical(name, shape, dtype):
    """Inputs above the 32K-element grain: outputs, running statistics and
    gradients (train and evaluation) equal for 1, 2 and 3 threads, and the
    generic path's within the dtype's tolerance."""
    c = shape[1]
    f = getattr(nnfunc.nn, name)(c)
    p = f.init_params(seed=0, dtype=dtype)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    go = rng.standard_normal(shape).astype(dtype)
    st = {"running_mean": rng.standard_normal(c).astype(dtype),
          "running_var": (rng.random(c) + 0.5).astype(dtype)}
    old = _parallel.get_num_threads()
    res = []
    try:
        for t in (1, 2, 3):
            _parallel.set_num_threads(t)
            out = []
            for train in (True, False):
                d = {"input": x, **p, **st, "train": train}
                out += list(f(d).values()) + list(f(dict(d, gradOutput=go)).values())
            res.append(out)
    finally:
        _parallel.set_num_threads(old)
    for other in res[1:]:
        for a, b in zip(res[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    d = {"input": x, **p, **st, "gradOutput": go}
    g, ref = f(d), f(d, backend="generic")
    for k in ref:
        np.testing.assert_allclose(g[k], ref[k], rtol=tol, atol=tol, err_msg=k)
