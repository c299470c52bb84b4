"""The row-GEMM products (_rowgemm.h, _rowgemm.pyx): rg_sgemm against float64
NumPy, every transposition, partial panels and tiles, beta 0 and 1."""

import numpy as np
import pytest

from nnfunc._cpu import _parallel
from nnfunc._cpu import _rowgemm as rg

pytestmark = pytest.mark.skipif(not rg.available(), reason="needs AVX-512")

SHAPES = [(1, 1, 1), (5, 7, 3), (13, 33, 17), (12, 64, 40), (30, 130, 70), (7, 96, 0),
          (0, 5, 4), (64, 128, 256)]


def _op(m, t):
    return m.T if t == "t" else m


@pytest.mark.parametrize("M,N,K", SHAPES)
@pytest.mark.parametrize("ta", ["n", "t"])
@pytest.mark.parametrize("tb", ["n", "t"])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_sgemm_matches_float64(M, N, K, ta, tb, beta):
    rng = np.random.default_rng(M * 1000 + N * 10 + K)
    a = rng.standard_normal((M, K) if ta == "n" else (K, M)).astype(np.float32)
    b = rng.standard_normal((K, N) if tb == "n" else (N, K)).astype(np.float32)
    c = rng.standard_normal((M, N)).astype(np.float32)
    ref = beta * c.astype(np.float64) + (-1.5) * (_op(a, ta).astype(np.float64)
                                                  @ _op(b, tb).astype(np.float64))
    a0, b0 = a.copy(), b.copy()
    rg.sgemm(ta, tb, -1.5, a, b, beta, c)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    scale = max(1.0, float(np.abs(ref).max(initial=0)))
    np.testing.assert_allclose(c, ref, rtol=0, atol=1e-6 * np.sqrt(max(K, 1)) * scale * 2)


def test_sgemm_alpha_one_and_threads_keep_the_bits():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((200, 300)).astype(np.float32)
    b = rng.standard_normal((300, 96)).astype(np.float32)
    old = _parallel.get_num_threads()
    try:
        outs = []
        for n in (1, 2, 3):
            _parallel.set_num_threads(n)
            c = np.zeros((200, 96), np.float32)
            rg.sgemm("n", "n", 1.0, a, b, 0.0, c)
            outs.append(c)
        for c in outs[1:]:
            np.testing.assert_array_equal(c, outs[0])
    finally:
        _parallel.set_num_threads(old)
    np.testing.assert_allclose(outs[0], a.astype(np.float64) @ b, rtol=0, atol=2e-4)


def test_sgemm_checks():
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="float32"):
        rg.sgemm("n", "n", 1.0, a.astype(np.float64), a.T.copy(), 0.0, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="shapes"):
        rg.sgemm("n", "n", 1.0, a, a, 0.0, np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="beta"):
        rg.sgemm("n", "t", 1.0, a, a, 0.5, np.zeros((2, 2), np.float32))
