"""SpatialConvolution forward+backward next to the raw GEMMs of the same FLOPs.

    python bench/conv_gemm.py [N C H W O k pad] [--rounds R] [--tile BYTES ...]
                              [--method unfold rows ...]

Default: float32 (32, 64, 32, 32), 64 -> 64, 3x3, pad 1, stride 1. The raw
reference is the 3 GEMMs per image that an im2col convolution needs
(forward W @ cols, gradInput columns W^T @ gradOutput, gradWeight
gradOutput @ cols^T), on the same operands every time (warm in cache), in
two flavours: ``scipy.linalg.blas.sgemm`` (the BLAS nnfunc's kernels call)
into preallocated outputs, and NumPy ``matmul`` with ``out=``. Raw scipy
and nnfunc (the public API, then the kernel with each ``--method`` /
``--tile`` asked for) are timed in alternation, ``rounds`` times, and the
best of each is kept (the machines are shared and noisy). NumPy (its own
OpenBLAS) and PyTorch CPU (``F.conv2d`` forward + autograd backward) are
timed in separate processes, so that their thread pools do not spin against
scipy's OpenBLAS pool.
"""

import argparse
import subprocess
import sys
import time

import numpy as np


def best_of(fns, rounds):
    res = {k: float("inf") for k in fns}
    for f in fns.values():
        f()
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            res[k] = min(res[k], time.perf_counter() - t)
    return res


def torch_time(shape, o, k, pad, rounds):
    import torch
    import torch.nn.functional as F
    n, c, h, w = shape
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, h, w, generator=g).requires_grad_(True)
    wt = (torch.randn(o, c, k, k, generator=g) * 0.05).requires_grad_(True)
    b = torch.randn(o, generator=g).requires_grad_(True)
    go = torch.randn(n, o, h + 2 * pad - k + 1, w + 2 * pad - k + 1, generator=g)

    def run():
        y = F.conv2d(x, wt, b, padding=pad)
        torch.autograd.grad(y, (x, wt, b), go)
    return best_of({"torch": run}, rounds)["torch"], torch.get_num_threads()


def numpy_time(n, c, o, k, oh, ow, rounds):
    rng = np.random.default_rng(0)
    K, L = c * k * k, oh * ow
    w = rng.standard_normal((o, K), dtype=np.float32)
    col = rng.standard_normal((K, L), dtype=np.float32)
    go = rng.standard_normal((n, o, L), dtype=np.float32)
    y1, y2, y3 = (np.empty((o, L), np.float32), np.empty((K, L), np.float32),
                  np.empty((o, K), np.float32))

    def run():
        for i in range(n):
            np.matmul(w, col, out=y1)
            np.matmul(w.T, go[i], out=y2)
            np.matmul(go[i], col.T, out=y3)
    return best_of({"numpy": run}, rounds)["numpy"]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("dims", nargs="*", type=int, default=[32, 64, 32, 32, 64, 3, 1])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--tile", type=int, nargs="*", default=[])
    ap.add_argument("--method", nargs="*", default=[])
    ap.add_argument("--child", choices=["torch", "numpy"], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    n, c, h, w, o, k, pad = a.dims
    if a.child == "torch":
        t, nt = torch_time((n, c, h, w), o, k, pad, a.rounds)
        print(t, nt)
        return 0
    if a.child == "numpy":
        print(numpy_time(n, c, o, k, h + 2 * pad - k + 1, w + 2 * pad - k + 1, a.rounds), 0)
        return 0

    import nnfunc
    from nnfunc._cpu import spatial_convolution as kern
    from scipy.linalg.blas import sgemm

    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    K, L = c * k * k, oh * ow
    rng = np.random.default_rng(0)
    f = nnfunc.nn.SpatialConvolution(c, o, k, k, 1, 1, pad, pad)
    p = f.init_params(seed=0)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    go = rng.standard_normal((n, o, oh, ow), dtype=np.float32)
    d = {"input": x, **p}
    dg = dict(d, gradOutput=go)

    # raw GEMMs, column-major operands, preallocated outputs
    wf = np.asfortranarray(p["weight"].reshape(o, K))
    colf = np.asfortranarray(rng.standard_normal((K, L), dtype=np.float32))
    gof = [np.asfortranarray(go[i].reshape(o, L)) for i in range(n)]
    y1 = np.zeros((o, L), np.float32, order="F")
    y2 = np.zeros((K, L), np.float32, order="F")
    y3 = np.zeros((o, K), np.float32, order="F")

    def raw():
        for i in range(n):
            sgemm(1.0, wf, colf, c=y1, overwrite_c=1)
            sgemm(1.0, wf, gof[i], trans_a=1, c=y2, overwrite_c=1)
            sgemm(1.0, gof[i], colf, trans_b=1, c=y3, overwrite_c=1)

    def api():
        f(d)
        f(dg)

    fns = {"raw": raw, "nnfunc": api}
    y = np.empty((n, o, oh, ow), np.float32)
    gi, gw, gb = np.empty_like(x), np.empty_like(p["weight"]), np.empty_like(p["bias"])
    sizes = (n, c, h, w, o, oh, ow, k, k, 1, 1, pad, pad)
    for m in a.method or (["auto"] if a.tile else []):
        for tb in a.tile or [-1]:
            def run(tb=tb, m=m):
                kern.update_output(x, p["weight"], p["bias"], y, *sizes, tile_bytes=tb,
                                   method=m)
                kern.update_grad(x, p["weight"], go, gi, gw, gb, *sizes, tile_bytes=tb,
                                 method=m)
            fns[f"{m} " + (f"tile {tb >> 10} KiB" if tb >= 0 else "kernel")] = run
    fns["nnfunc fwd"] = lambda: f(d)
    fns["nnfunc bwd"] = lambda: f(dg)
    res = best_of(fns, a.rounds)
    r = res["raw"]
    print(f"float32 input {(n, c, h, w)}, {c}->{o}, {k}x{k} pad {pad}: "
          f"{3 * n} GEMMs of {o}x{K}x{L}")
    for key, t in res.items():
        print(f"  {key:22s} {t * 1e3:8.2f} ms   / raw {t / r:.3f}")
    for child in ("numpy", "torch"):
        try:
            out = subprocess.run([sys.executable, __file__, *map(str, a.dims), "--rounds",
                                  str(a.rounds), "--child", child], capture_output=True,
                                 text=True, check=True).stdout.split()
        except subprocess.CalledProcessError as e:
            print(f"  {child}: not measured:", e.stderr.strip().splitlines()[-1:])
            continue
        tt = float(out[0])
        what = "raw numpy matmul" if child == "numpy" else "torch conv2d"
        extra = (f"   (nnfunc / torch {res['nnfunc'] / tt:.2f}, torch threads {out[1]})"
                 if child == "torch" else f"   (nnfunc / numpy raw {res['nnfunc'] / tt:.3f})")
        print(f"  {what:22s} {tt * 1e3:8.2f} ms   / raw {tt / r:.3f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
