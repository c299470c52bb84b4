"""Volumetric convolutions, forward and backward kernels apart, next to the
raw GEMMs of the same products and PyTorch CPU, on one thread, in CPU time.

    python bench/volumetric_gemm.py [METHOD ...]     (METHOD: unfold, planes)

Runs single-threaded (``OPENBLAS_NUM_THREADS=1`` unless set, and
``torch.set_num_threads(1)``) and times with ``time.thread_time``: the CPU
time of the calling thread, which a busy shared machine inflates far less
than wall time (the descheduled time is not counted). Each number is the
best of 9. The raw reference is ``scipy.linalg.blas.sgemm`` (the BLAS that
nnfunc's kernels call; operands passed transposed, no layout copies) on the
three products per sample: forward, gradInput columns
(convolution) or gradInput (full), gradWeight. The kernels are called
directly (``nnfunc._cpu.volumetric_convolution``) with each ``method``.
"""

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.linalg.blas as sblas  # noqa: E402

import nnfunc  # noqa: E402
from nnfunc._cpu import volumetric_convolution as K  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
except ImportError:
    torch = None

clock = time.thread_time


def gemm(a, b, ta=False, tb=False):
    """Row-major op(a) @ op(b) through scipy's sgemm (as bench.py)."""
    return sblas.sgemm(1.0, b.T, a.T, trans_a=tb, trans_b=ta).T


def best(f, n=9):
    f()
    r = []
    for _ in range(n):
        t = clock()
        f()
        r.append(clock() - t)
    return min(r) * 1e3


def row(rng, name, args, xs, method, torch_fn):
    m = getattr(nnfunc.nn, name)(*args)
    mod = m.module
    p = m.init_params(seed=0)
    x = rng.standard_normal(xs).astype(np.float32)
    y = m({"input": x, **p})["output"]
    go = rng.standard_normal(y.shape).astype(np.float32)
    geo = mod._geometry(mod.check({"input": x, **p}))
    gi, gw, gb = np.empty_like(x), np.empty_like(p["weight"]), np.empty_like(p["bias"])
    yy = np.empty_like(y)
    w, b, tr = p["weight"], p["bias"], mod.transposed
    tf = best(lambda: K.forward(x, w, b, yy, tr, *geo, method=method))
    tb = best(lambda: K.backward(x, w, go, gi, gw, gb, tr, *geo, method=method))
    w2 = w.reshape(w.shape[0], -1)
    n = xs[0]
    if tr:
        xm = x[0].reshape(xs[1], -1)
        col = rng.standard_normal((w2.shape[1], xm.shape[1])).astype(np.float32)
        g1 = lambda: [gemm(w2, xm, ta=True) for _ in range(n)]  # noqa: E731
        g2 = lambda: [(gemm(w2, col), gemm(xm, col, tb=True)) for _ in range(n)]  # noqa: E731
    else:
        gom = go[0].reshape(go.shape[1], -1)
        col = rng.standard_normal((w2.shape[1], gom.shape[1])).astype(np.float32)
        g1 = lambda: [gemm(w2, col) for _ in range(n)]  # noqa: E731
        g2 = lambda: [(gemm(w2, gom, ta=True), gemm(gom, col, tb=True))  # noqa: E731
                      for _ in range(n)]
    r1, r2 = best(g1), best(g2)
    tt = None
    if torch is not None:
        ts = [torch.from_numpy(a).requires_grad_(True) for a in (x, w, b)]
        gt = torch.from_numpy(go)

        def run():
            for t in ts:
                t.grad = None
            torch_fn(*ts).backward(gt)
        tt = best(run)
    tot, raw = tf + tb, r1 + r2
    print(f"| {name} | {'x'.join(map(str, xs))} | {method} | {tf:.2f} / {r1:.2f} | "
          f"{tb:.2f} / {r2:.2f} | {tot:.2f} | {raw:.2f} | "
          f"{'-' if tt is None else f'{tt:.2f}'} | {tot / raw:.2f} | "
          f"{'-' if tt is None else f'{tot / tt:.2f}'} |", flush=True)


def main(argv):
    methods = argv or ["unfold", "planes"]
    rng = np.random.default_rng(0)
    print("| module | input | method | fwd / raw (ms) | bwd / raw (ms) | total | raw GEMM | "
          "torch | /GEMM | /torch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    c3 = (lambda a, w, b: F.conv3d(a, w, b, padding=1)) if torch else None
    d3 = (lambda a, w, b: F.conv3d(a, w, b, padding=2, dilation=2)) if torch else None
    f3 = (lambda a, w, b: F.conv_transpose3d(a, w, b, stride=2, padding=1)) if torch else None
    for method in methods:
        row(rng, "VolumetricConvolution", (32, 32, 3, 3, 3, 1, 1, 1, 1), (8, 32, 8, 16, 16),
            method, c3)
        row(rng, "VolumetricDilatedConvolution", (32, 32, 3, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2),
            (8, 32, 8, 16, 16), method, d3)
    row(rng, "VolumetricFullConvolution", (32, 16, 4, 4, 4, 2, 2, 2, 1, 1, 1), (8, 32, 4, 8, 8),
        "unfold", f3)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
