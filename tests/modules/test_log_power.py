"""Log and Power: the vectorised log / pow of ``_vmath.h`` against libm over wide ranges.

Measured on 4M random bit patterns (every exponent, subnormals included):
float32 log within 0.84 ulp of the exact value (NumPy's own float32 log: 3.3),
float64 log within 1 ulp (as glibc); float32 pow within 0.5 ulp + 1e-6.
Here a smaller sample keeps the test fast.
"""

import numpy as np
import pytest

import nnfunc


def _ulps(got, exact, dtype):
    ok = np.isfinite(exact) & (exact != 0)
    with np.errstate(over="ignore"):
        ok &= np.isfinite(exact.astype(dtype))
    sp = np.spacing(np.abs(exact[ok]).astype(dtype)).astype(np.float64)
    return np.max(np.abs(got[ok].astype(np.float64) - exact[ok].astype(np.float64)) / sp)


SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, -2.5]


@pytest.mark.parametrize("dtype,uint,bits", [(np.float32, np.uint32, 32),
                                             (np.float64, np.uint64, 64)])
def test_log_accuracy_and_special_values(dtype, uint, bits):
    rng = np.random.default_rng(0)
    x = rng.integers(0, (1 << (bits - 1)) - 1, 200_000, dtype=np.uint64).astype(uint).view(dtype)
    fi = np.finfo(dtype)
    x = np.concatenate([x, np.array(SPECIAL + [fi.tiny, fi.smallest_subnormal, fi.max], dtype),
                        (1 + rng.uniform(-1e-3, 1e-3, 50_000)).astype(dtype)])
    y = nnfunc.nn.Log()({"input": x})["output"]
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.log(x.astype(np.longdouble if dtype == np.float64 else np.float64))
        ref = np.log(x)
    assert _ulps(y, exact, dtype) <= 1.0
    fin = np.isfinite(exact)
    np.testing.assert_array_equal(y[~fin], ref[~fin])     # -inf, inf, NaN as libm
    assert y[x == 1].tolist() == [0.0] * int(np.sum(x == 1))


@pytest.mark.parametrize("p", [2.5, 3.0, 2.0, -1.0, -2.5, 0.5, 7.0, 1e-3, -3.0, 1.0, 0.0,
                               1.5, -0.5, 15.5, -14.5, 14.0, -15.0, 16.5, 2.75])
def test_power_float32_against_double(p):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0, 4, 100_000), rng.uniform(-4, 0, 20_000),
                        np.exp(rng.uniform(-80, 80, 50_000)),
                        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-45, 3e-39])])
    x = x.astype(np.float32)
    f = nnfunc.nn.Power(p)
    y = f({"input": x})["output"]
    q = np.float64(np.float32(p))
    with np.errstate(all="ignore"):
        exact = np.power(x.astype(np.float64), q)
        ref32 = np.power(x, np.float32(p)) if p != 0.5 else np.sqrt(x)
    assert _ulps(y, exact, np.float32) <= 0.5 + 1e-6
    # special values: C's pow (NumPy's float32 power) for NaN, inf, zeros and signs
    sp = ~np.isfinite(exact) | (exact == 0)
    if p != 0.5:               # NumPy's 0.5 power is sqrt (sqrt(-0) = -0, sqrt(-inf) = NaN)
        np.testing.assert_array_equal(y[sp], ref32[sp])
        num = sp & ~np.isnan(ref32)
        np.testing.assert_array_equal(np.signbit(y[num]), np.signbit(ref32[num]))
    go = np.ones_like(x)
    g = f({"input": x, "gradOutput": go})["gradInput"]
    with np.errstate(all="ignore"):
        gg = f({"input": x, "gradOutput": go}, backend="generic")["gradInput"]
    np.testing.assert_allclose(g[np.isfinite(gg)], gg[np.isfinite(gg)], rtol=5e-6,
                               atol=1e-44)          # subnormal products: 1 ulp
    # NumPy's 0.5 power is sqrt: NaN at -inf where C's pow gives inf
    cmp = ~np.isneginf(x) if p - 1 == 0.5 else slice(None)
    np.testing.assert_array_equal(np.isnan(g)[cmp], np.isnan(gg)[cmp])
