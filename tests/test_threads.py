"""Two threads calling the same function at once get the right results."""

import threading

import numpy as np
import pytest

from _helpers import assert_allclose_t, grad_output, make_dict
from cases import CASES

# one representative row per module
REPS = list({c.module: c for c in CASES if c.batch or c.module == "Linear"}.values())


@pytest.mark.parametrize("case", REPS, ids=lambda c: c.id)
def test_concurrent_calls(case):
    fn, _ = make_dict(case)
    jobs = []
    for seed in range(4):
        _, d = make_dict(case, np.float64, seed=seed)
        dg = dict(d, gradOutput=grad_output(case, fn, d))
        jobs.append((d, dg, fn(d)["output"], fn(dg)))
    errors = []
    barrier = threading.Barrier(4)

    def work(d, dg, y, g):
        try:
            barrier.wait()
            for _ in range(30):
                assert_allclose_t(fn(d)["output"], y, rtol=0, atol=0)
                got = fn(dg)
                for k in g:
                    assert_allclose_t(got[k], g[k], rtol=0, atol=0)
        except Exception as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
