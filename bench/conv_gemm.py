"""SpatialConvolution forward+backward next to the raw GEMMs of the same FLOPs.

    python bench/conv_gemm.py [N C H W O k pad] [--rounds R] [--tile BYTES ...]

Default: float32 (32, 64, 32, 32), 64 -> 64, 3x3, pad 1. The raw reference is
the 3 GEMMs per image that an im2col convolution needs (forward W @ cols,
gradInput columns W^T @ gradOutput, gradWeight gradOutput @ cols^T), called
through ``scipy.linalg.blas.sgemm`` (the BLAS nnfunc's kernels call) into
preallocated outputs. Raw and nnfunc are timed in alternation, ``rounds``
times, and the best of each is kept (the machines are shared and noisy).
PyTorch CPU (``F.conv2d`` forward + autograd backward) is timed in a separate
process so that its OpenMP pool and OpenBLAS's pool do not spin against
each other.
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


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("dims", nargs="*", type=int, default=[32, 64, 32, 32, 64, 3, 1])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--tile", type=int, nargs="*", default=[])
    ap.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    n, c, h, w, o, k, pad = a.dims
    if a.torch_child:
        t, nt = torch_time((n, c, h, w), o, k, pad, a.rounds)
        print(t, nt)
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
    for tb in a.tile:
        def run(tb=tb):
            kern.update_output(x, p["weight"], p["bias"], y, *sizes, tile_bytes=tb)
            kern.update_grad(x, p["weight"], go, gi, gw, gb, *sizes, tile_bytes=tb)
        fns[f"tile {tb >> 10} KiB"] = run
    fns["nnfunc fwd"] = lambda: f(d)
    fns["nnfunc bwd"] = lambda: f(dg)
    res = best_of(fns, a.rounds)
    r = res["raw"]
    print(f"float32 input {(n, c, h, w)}, {c}->{o}, {k}x{k} pad {pad}: "
          f"{3 * n} GEMMs of {o}x{K}x{L}")
    for key, t in res.items():
        print(f"  {key:14s} {t * 1e3:8.2f} ms   / raw {t / r:.3f}")
    try:
        out = subprocess.run([sys.executable, __file__, *map(str, a.dims), "--rounds",
                              str(a.rounds), "--torch-child"], capture_output=True,
                             text=True, check=True).stdout.split()
        tt = float(out[0])
        print(f"  {'torch conv2d':14s} {tt * 1e3:8.2f} ms   / raw {tt / r:.3f}   "
              f"(nnfunc / torch {res['nnfunc'] / tt:.2f}, torch threads {out[1]})")
    except (subprocess.CalledProcessError, ImportError, IndexError) as e:
        print("  torch: not measured:", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
