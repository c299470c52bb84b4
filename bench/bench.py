"""Forward+backward timings of nnfunc modules next to their peers, in one run.

    python bench/bench.py [--quick | --smoke] [--markdown]
    python bench/bench.py --gpu [--dtype float16] [--quick] [--markdown]

Each row times one forward and one gradient call of a module (float32, all
cores) with nnfunc (NumPy -> Cython/BLAS kernels), with PyTorch CPU
(forward + autograd backward; skipped when torch is absent) and, for the
GEMM-bound modules, with the raw BLAS GEMMs of the same FLOPs
(``scipy.linalg.blas``, the BLAS nnfunc itself calls). The three are
measured interleaved, best of several repeats, and printed as ratios.
Timings belong here, never in tests: the machines are shared and noisy.
``--gpu`` runs the GPU rows instead (CuPy vs PyTorch CUDA, bench_gpu.py).
"""

import argparse
import os
import platform
import sys
import time
import timeit

import numpy as np
import scipy.linalg.blas as sblas

import nnfunc

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the comparison column is left empty
    torch = None

F32 = np.float32

# -- the PyTorch side of a row: a spec, materialised on the bench's device -------
#: where the torch side runs: "cpu" here, "cuda" (and a float dtype) in GPU mode
TORCH_SIDE = {"device": "cpu", "dtype": None}
_consts = {}     # (id, device, dtype) -> (tensor, the array kept alive)


def T(a):
    """A NumPy constant of a row (target, mask, indices, running statistics) as a
    torch tensor on the bench's device, converted once (cached)."""
    dev, dt = TORCH_SIDE["device"], TORCH_SIDE["dtype"]
    key = (id(a), dev, dt)
    hit = _consts.get(key)
    if hit is None:
        t = torch.from_numpy(a)
        if dt is not None and t.is_floating_point():
            t = t.to(dt)
        hit = _consts[key] = (t.to(dev), a)
    return hit[0]


class TorchSpec:
    """``f(*inputs)`` then ``backward(go)`` in PyTorch; inputs are NumPy arrays
    (float ones require grad) made tensors on the bench's device by ``thunk``."""

    def __init__(self, f, inputs, go):
        self.f, self.inputs, self.go = f, inputs, go

    def thunk(self):
        dev, dt = TORCH_SIDE["device"], TORCH_SIDE["dtype"]

        def tensor(a, grad):
            t = torch.from_numpy(a)
            if dt is not None and t.is_floating_point():
                t = t.to(dt)
            return t.to(dev).requires_grad_(grad and t.is_floating_point())
        ts = [tensor(a, True) if isinstance(a, np.ndarray) else a for a in self.inputs]
        gt = tensor(self.go, False) if isinstance(self.go, np.ndarray) else None
        f = self.f

        def run():
            for t in ts:
                if isinstance(t, torch.Tensor) and t.grad is not None:
                    t.grad = None
            y = f(*ts)
            y.backward(gt) if gt is not None else y.backward()
        return run


class Row:
    """One benchmark row: ``run`` (nnfunc, NumPy), ``torch`` (a TorchSpec, a
    ready thunk, or None), ``gemm`` (the raw GEMMs, or None) and ``gpu``: the
    nnfunc function with its forward and gradient dicts, for the GPU mode."""

    def __init__(self, label, shape, run, torch_side, gemm_fn=None, gpu=None):
        self.label, self.shape, self.run = label, shape, run
        self.torch, self.gemm, self.gpu = torch_side, gemm_fn, gpu

    def torch_thunk(self):
        return self.torch.thunk() if isinstance(self.torch, TorchSpec) else self.torch


def gemm(a, b, ta=False, tb=False):
    """Row-major op(a) @ op(b) through scipy's sgemm, without layout copies."""
    # (op(a) op(b))^T = op(b)^T op(a)^T: hand the F-ordered transposes to BLAS
    return sblas.sgemm(1.0, b.T, a.T, trans_a=tb, trans_b=ta).T


def best(fn, repeat, target=0.05):
    """Seconds per call: the best of ``repeat`` runs of an auto-sized loop."""
    fn()
    t = timeit.Timer(fn)
    number, _ = t.autorange()
    number = max(1, int(number * target / 0.2))
    return min(t.repeat(repeat=repeat, number=number)) / number


def interleaved(fns, repeat, target=0.05, settle=0.0, once=False):
    """Best time of each callable, measured in alternation (windows of ``target`` s;
    the loop length is sized once per callable). ``settle`` seconds of sleep
    before each window let the previous side's idle threads (OpenBLAS's spin
    for about 0.1 s after a call, OpenMP's too) stop competing for the cores;
    then one untimed call wakes the side's own threads and the cores (after
    the sleep the VM ran both libraries about twice as slow for the first
    10-20 ms: the windows measured that wake-up, not the kernels).
    ``once``: each callable called and timed once (a smoke run: no sizing,
    no windows, nothing to read into the times)."""
    if once:
        res = {}
        for k, f in fns.items():
            if f is not None:
                t0 = time.perf_counter()
                f()
                res[k] = time.perf_counter() - t0
        return {k: res.get(k) for k in fns}
    res = {k: float("inf") for k in fns}
    timers = {}
    for k, f in fns.items():
        if f is not None:
            f()
            t = timeit.Timer(f)
            number, _ = t.autorange()
            timers[k] = (t, max(1, int(number * target / 0.2)))
    for _ in range(repeat):
        for k, (t, number) in timers.items():
            if settle > 0:
                time.sleep(settle)
                fns[k]()
            res[k] = min(res[k], t.timeit(number) / number)
    return {k: (v if fns[k] is not None else None) for k, v in res.items()}


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(F32)


# --------------------------------------------------------------------------
# rows (Row): name, shape label, nnfunc thunk, torch spec, gemm thunk, GPU dicts

def module_rows(rng, quick):
    rows = []

    def add(label, shape, fn, d, go, torch_fn=None, gemm_fn=None, target=None):
        dd = dict(d)
        dg = dict(d, gradOutput=go)
        grad = nnfunc.gradsOf[fn]

        def run():
            fn(dd)
            grad(dg)

        rows.append(Row(label, shape, run, torch_fn, gemm_fn, (fn, dd, dg)))

    def torch_thunk(f, inputs, go):
        return None if torch is None or f is None else TorchSpec(f, inputs, go)

    # Linear 128 x 1024 -> 1024
    n, i, o = (32, 512, 512) if quick else (128, 1024, 1024)
    f = nnfunc.nn.Linear(i, o)
    p = f.init_params(seed=0)
    x, go = rand(rng, n, i), rand(rng, n, o)
    add("Linear", f"{n}x{i}->{o}", f, {"input": x, **p}, go,
        torch_thunk(F.linear if torch else None, [x, p["weight"], p["bias"]], go),
        lambda x=x, w=p["weight"], go=go: (gemm(x, w, tb=True), gemm(go, w),
                                           gemm(go, x, ta=True)))

    # SpatialConvolution 64 -> 64, 3x3, pad 1, on 32x64x32x32
    n, c, hw = (8, 32, 16) if quick else (32, 64, 32)
    f = nnfunc.nn.SpatialConvolution(c, c, 3, 3, 1, 1, 1, 1)
    p = f.init_params(seed=0)
    x, go = rand(rng, n, c, hw, hw), rand(rng, n, c, hw, hw)
    wm = p["weight"].reshape(c, -1)
    col = rand(rng, c * 9, hw * hw)
    gom = go[0].reshape(c, -1)

    def conv_gemm(n=n, wm=wm, col=col, gom=gom):
        for _ in range(n):
            gemm(wm, col)                 # forward
            gemm(wm, gom, ta=True)        # gradInput columns
            gemm(gom, col, tb=True)       # gradWeight
    add("SpatialConvolution", f"{n}x{c}x{hw}x{hw} k3 p1 ->{c}", f, {"input": x, **p}, go,
        torch_thunk((lambda a, w, b: F.conv2d(a, w, b, padding=1)) if torch else None,
                    [x, p["weight"], p["bias"]], go),
        conv_gemm)

    # the rest of the convolution family (one unfold/fold + GEMM core; depthwise: loops)
    f = nnfunc.nn.SpatialConvolutionMM(c, c, 3, 3, 1, 1, 1, 1)
    p = f.init_params(seed=0)
    add("SpatialConvolutionMM", f"{n}x{c}x{hw}x{hw} k3 p1 ->{c}", f, {"input": x, **p}, go,
        torch_thunk((lambda a, w, b, c=c: F.conv2d(a, w.view(c, c, 3, 3), b, padding=1))
                    if torch else None, [x, p["weight"], p["bias"]], go),
        conv_gemm)
    f = nnfunc.nn.SpatialDilatedConvolution(c, c, 3, 3, 1, 1, 2, 2, 2, 2)
    p = f.init_params(seed=0)
    add("SpatialDilatedConvolution", f"{n}x{c}x{hw}x{hw} k3 dil2 p2 ->{c}", f,
        {"input": x, **p}, go,
        torch_thunk((lambda a, w, b: F.conv2d(a, w, b, padding=2, dilation=2)) if torch
                    else None, [x, p["weight"], p["bias"]], go),
        conv_gemm)
    # transposed: 16x16 -> 32x32, 4x4 stride 2 pad 1, 64 -> 32 planes
    ci, co, hi = c, c // 2, hw // 2
    f = nnfunc.nn.SpatialFullConvolution(ci, co, 4, 4, 2, 2, 1, 1)
    p = f.init_params(seed=0)
    xf, gof = rand(rng, n, ci, hi, hi), rand(rng, n, co, 2 * hi, 2 * hi)
    wf = p["weight"].reshape(ci, -1)
    colf = rand(rng, co * 16, hi * hi)
    xf0 = xf[0].reshape(ci, -1)

    def full_gemm(n=n, wf=wf, colf=colf, xf0=xf0):
        for _ in range(n):
            gemm(wf, xf0, ta=True)        # forward columns
            gemm(wf, colf)                # gradInput
            gemm(xf0, colf, tb=True)      # gradWeight
    add("SpatialFullConvolution", f"{n}x{ci}x{hi}x{hi} k4 s2 p1 ->{co}", f,
        {"input": xf, **p}, gof,
        torch_thunk((lambda a, w, b: F.conv_transpose2d(a, w, b, stride=2, padding=1))
                    if torch else None, [xf, p["weight"], p["bias"]], gof),
        full_gemm)
    f = nnfunc.nn.SpatialDepthWiseConvolution(c, 1, 3, 3, 1, 1, 1, 1)
    p = f.init_params(seed=0)
    add("SpatialDepthWiseConvolution", f"{n}x{c}x{hw}x{hw} k3 p1 x1", f, {"input": x, **p}, go,
        torch_thunk((lambda a, w, b, c=c: F.conv2d(a, w.view(c, 1, 3, 3), b.reshape(-1),
                                                   padding=1, groups=c)) if torch else None,
                    [x, p["weight"], p["bias"]], go))
    nt, tt_, ft, kt = (8, 64, 128, 5) if quick else (32, 128, 256, 5)
    ot = tt_ - kt + 1
    f = nnfunc.nn.TemporalConvolution(ft, ft, kt)
    p = f.init_params(seed=0)
    xt, got = rand(rng, nt, tt_, ft), rand(rng, nt, ot, ft)
    at = rand(rng, nt * ot, kt * ft)
    got2 = got.reshape(-1, ft)

    def temporal_gemm(at=at, w=p["weight"], g=got2):
        gemm(at, w, tb=True)              # forward
        gemm(g, w)                        # gradInput frames
        gemm(g, at, ta=True)              # gradWeight
    add("TemporalConvolution", f"{nt}x{tt_}x{ft} k{kt} ->{ft}", f, {"input": xt, **p}, got,
        torch_thunk((lambda a, w, b, ft=ft, kt=kt: F.conv1d(
            a.transpose(1, 2), w.view(ft, kt, ft).permute(0, 2, 1), b).transpose(1, 2))
            if torch else None, [xt, p["weight"], p["bias"]], got),
        temporal_gemm)
    # volumetric convolutions (one vol2col/GEMM kernel): 3x3x3 pad 1, the same
    # dilated 2 (pad 2), and a 4x4x4 stride-2 full convolution (x2 upsampling)
    n, c, t, hw = (2, 16, 4, 8) if quick else (8, 32, 8, 16)
    x, go = rand(rng, n, c, t, hw, hw), rand(rng, n, c, t, hw, hw)
    col = rand(rng, c * 27, t * hw * hw)
    gom = go[0].reshape(c, -1)
    for name, args, dil in [("VolumetricConvolution", (c, c, 3, 3, 3, 1, 1, 1, 1), 1),
                            ("VolumetricDilatedConvolution",
                             (c, c, 3, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2), 2)]:
        f = getattr(nnfunc.nn, name)(*args)
        p = f.init_params(seed=0)
        wm = p["weight"].reshape(c, -1)

        def vconv_gemm(n=n, wm=wm, col=col, gom=gom):
            for _ in range(n):
                gemm(wm, col)                 # forward
                gemm(wm, gom, ta=True)        # gradInput columns
                gemm(gom, col, tb=True)       # gradWeight
        add(name, f"{n}x{c}x{t}x{hw}x{hw} k3 p{dil} d{dil} ->{c}", f, {"input": x, **p}, go,
            torch_thunk((lambda a, w, b, dil=dil: F.conv3d(a, w, b, padding=dil, dilation=dil))
                        if torch else None, [x, p["weight"], p["bias"]], go),
            vconv_gemm)
    co = c // 2
    xf = rand(rng, n, c, t // 2, hw // 2, hw // 2)
    gof = rand(rng, n, co, t, hw, hw)
    f = nnfunc.nn.VolumetricFullConvolution(c, co, 4, 4, 4, 2, 2, 2, 1, 1, 1)
    p = f.init_params(seed=0)
    wm = p["weight"].reshape(c, -1)
    xm = xf[0].reshape(c, -1)
    colf = rand(rng, co * 64, xm.shape[1])

    def vfull_gemm(n=n, wm=wm, xm=xm, colf=colf):
        for _ in range(n):
            gemm(wm, xm, ta=True)             # forward columns
            gemm(wm, colf)                    # gradInput
            gemm(xm, colf, tb=True)           # gradWeight
    add("VolumetricFullConvolution", "x".join(map(str, xf.shape)) + f" k4 s2 p1 ->{co}", f,
        {"input": xf, **p}, gof,
        torch_thunk((lambda a, w, b: F.conv_transpose3d(a, w, b, stride=2, padding=1))
                    if torch else None, [xf, p["weight"], p["bias"]], gof),
        vfull_gemm)

    shape = (8, 16, 16, 16) if quick else (32, 64, 32, 32)
    x, go = rand(rng, *shape), rand(rng, *shape)
    lab = "x".join(map(str, shape))
    for name, tf in [("Tanh", "tanh"), ("Sigmoid", "sigmoid"), ("ReLU", "relu")]:
        f = getattr(nnfunc.nn, name)()
        add(name, lab, f, {"input": x}, go,
            torch_thunk(getattr(torch, tf) if torch else None, [x], go))
    f = nnfunc.nn.Threshold(0.1, -1.0)
    add("Threshold", lab, f, {"input": x}, go,
        torch_thunk((lambda a: F.threshold(a, 0.1, -1.0)) if torch else None, [x], go))
    # the other pointwise activations (nnfunc ctor args, torch function)
    for name, args, tf in [
            ("HardTanh", (), "hardtanh"), ("ReLU6", (), "relu6"),
            ("Clamp", (-0.5, 0.5), lambda a: F.hardtanh(a, -0.5, 0.5)),
            ("LeakyReLU", (), "leaky_relu"), ("ELU", (), "elu"), ("SoftPlus", (), "softplus"),
            ("LogSigmoid", (), "logsigmoid"), ("SoftSign", (), "softsign"),
            ("TanhShrink", (), "tanhshrink"), ("HardShrink", (), "hardshrink"),
            ("SoftShrink", (), "softshrink")]:
        f = getattr(nnfunc.nn, name)(*args)
        tfn = (getattr(F, tf) if isinstance(tf, str) else tf) if torch else None
        add(name, lab, f, {"input": x}, go, torch_thunk(tfn, [x], go))
    f = nnfunc.nn.PReLU(shape[1])
    p = f.init_params(seed=0)
    add("PReLU", lab + f" ({shape[1]} planes)", f, {"input": x, **p}, go,
        torch_thunk(F.prelu if torch else None, [x, p["weight"]], go))
    f = nnfunc.nn.CReLU(3)
    goc = rand(rng, shape[0], 2 * shape[1], *shape[2:])
    add("CReLU", lab, f, {"input": x}, goc,
        torch_thunk((lambda a: F.relu(torch.cat([a, -a], dim=1))) if torch else None, [x], goc))
    f = nnfunc.nn.GatedLinearUnit(1)
    gog = rand(rng, shape[0], shape[1] // 2, *shape[2:])
    add("GatedLinearUnit", lab + " (dim 1)", f, {"input": x}, gog,
        torch_thunk((lambda a: F.glu(a, 1)) if torch else None, [x], gog))

    # elementwise math (the pointwise table); Log, Sqrt, Power on positive input
    xpos = np.abs(x) + F32(0.5)
    for name, args, tf, inp in [
            ("Abs", (), torch.abs if torch else None, x),
            ("AddConstant", (0.5,), (lambda a: a + 0.5), x),
            ("MulConstant", (1.5,), (lambda a: a * 1.5), x),
            ("Exp", (), torch.exp if torch else None, x),
            ("Log", (), torch.log if torch else None, xpos),
            ("Sqrt", (), torch.sqrt if torch else None, xpos),
            ("Square", (), torch.square if torch else None, x),
            ("Power", (2.5,), (lambda a: torch.pow(a, 2.5)), xpos)]:
        f = getattr(nnfunc.nn, name)(*args)
        add(name, lab, f, {"input": inp}, go, torch_thunk(tf if torch else None, [inp], go))
    # reductions over the planes (generic path)
    gor = rand(rng, shape[0], *shape[2:])
    for name, tf in [("Sum", lambda a: a.sum(1)), ("Mean", lambda a: a.mean(1)),
                     ("Max", lambda a: a.max(1)[0]), ("Min", lambda a: a.min(1)[0])]:
        f = getattr(nnfunc.nn, name)(1)
        add(name, lab + " (dim 1)", f, {"input": x}, gor,
            torch_thunk(tf if torch else None, [x], gor))

    f = nnfunc.nn.SpatialMaxPooling(2, 2)
    gop = rand(rng, shape[0], shape[1], shape[2] // 2, shape[3] // 2)
    add("SpatialMaxPooling", lab + " k2", f, {"input": x}, gop,
        torch_thunk((lambda a: F.max_pool2d(a, 2)) if torch else None, [x], gop))
    # the other spatial poolings (one-pass kernels), PyTorch's equivalents
    n_, c_, h_, w_ = shape

    def out_rand(f, d):
        return rand(rng, *f(d)["output"].shape)
    for name, f, tf, lbl in [
            ("SpatialAveragePooling", nnfunc.nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1,
                                                                      ceil_mode=True),
             lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True), " k3 s2 p1 ceil"),
            ("SpatialDilatedMaxPooling", nnfunc.nn.SpatialDilatedMaxPooling(3, 3, 2, 2, 1, 1,
                                                                            2, 2),
             lambda a: F.max_pool2d(a, 3, 2, 1, dilation=2), " k3 s2 p1 dil2"),
            ("SpatialAdaptiveMaxPooling", nnfunc.nn.SpatialAdaptiveMaxPooling(7, 7),
             lambda a: F.adaptive_max_pool2d(a, 7), " ->7x7"),
            ("SpatialAdaptiveAveragePooling", nnfunc.nn.SpatialAdaptiveAveragePooling(7, 7),
             lambda a: F.adaptive_avg_pool2d(a, 7), " ->7x7")]:
        gop = out_rand(f, {"input": x})
        add(name, lab + lbl, f, {"input": x}, gop, torch_thunk(tf if torch else None, [x], gop))
    pool = nnfunc.nn.SpatialMaxPooling(2, 2, return_indices=True)
    r = pool({"input": x})
    xu, iu = r["output"], r["indices"]
    add("SpatialMaxUnpooling", "x".join(map(str, xu.shape)) + " k2 ->" + f"{h_}x{w_}",
        nnfunc.nn.SpatialMaxUnpooling(pool), {"input": xu, "indices": iu}, go,
        torch_thunk((lambda a: F.max_unpool2d(a, T(iu), 2)) if torch else None, [xu], go))

    # volumetric and temporal pooling (one kernel module)
    shp5 = (2, 16, 8, 16, 16) if quick else (8, 32, 16, 32, 32)
    lab5 = "x".join(map(str, shp5))
    x5 = rand(rng, *shp5)
    gop = rand(rng, *shp5[:2], *(s // 2 for s in shp5[2:]))
    add("VolumetricMaxPooling", lab5 + " k2", nnfunc.nn.VolumetricMaxPooling(2, 2, 2),
        {"input": x5}, gop,
        torch_thunk((lambda a: F.max_pool3d(a, 2)) if torch else None, [x5], gop))
    god = rand(rng, *shp5[:2], *((s - 3) // 2 + 1 for s in shp5[2:]))
    add("VolumetricDilatedMaxPooling", lab5 + " k3 s2 p1 dil2",
        nnfunc.nn.VolumetricDilatedMaxPooling(3, 3, 3, 2, 2, 2, 1, 1, 1, 2, 2, 2),
        {"input": x5}, god,
        torch_thunk((lambda a: F.max_pool3d(a, 3, 2, 1, dilation=2)) if torch else None, [x5],
                    god))
    goa = rand(rng, *shp5[:2], *((s - 1) // 2 + 1 for s in shp5[2:]))
    add("VolumetricAveragePooling", lab5 + " k3 s2 p1",
        nnfunc.nn.VolumetricAveragePooling(3, 3, 3, 2, 2, 2, 1, 1, 1), {"input": x5}, goa,
        torch_thunk((lambda a: F.avg_pool3d(a, 3, 2, 1)) if torch else None, [x5], goa))
    nt, tt_, ft = (8, 64, 64) if quick else (32, 256, 128)
    xt_ = rand(rng, nt, tt_, ft)
    got = rand(rng, nt, (tt_ - 3) // 2 + 1, ft)
    add("TemporalMaxPooling", f"{nt}x{tt_}x{ft} k3 s2", nnfunc.nn.TemporalMaxPooling(3, 2),
        {"input": xt_}, got,
        torch_thunk((lambda a: F.max_pool1d(a.transpose(1, 2), 3, 2).transpose(1, 2))
                    if torch else None, [xt_], got))

    # padding and upsampling (one shared gather/scatter kernel)
    n_, c_, h_, w_ = shape
    for name, mode in [("SpatialZeroPadding", "constant"), ("SpatialReflectionPadding", "reflect"),
                       ("SpatialReplicationPadding", "replicate")]:
        f = getattr(nnfunc.nn, name)(2)
        gop = rand(rng, n_, c_, h_ + 4, w_ + 4)
        add(name, lab + " p2", f, {"input": x}, gop,
            torch_thunk((lambda a, mode=mode: F.pad(a, (2, 2, 2, 2), mode=mode)) if torch
                        else None, [x], gop))
    x5 = rand(rng, n_, c_ // 4, 8, h_ // 2, w_ // 2)
    gop = rand(rng, n_, c_ // 4, 12, h_ // 2 + 4, w_ // 2 + 4)
    add("VolumetricReplicationPadding", "x".join(map(str, x5.shape)) + " p2",
        nnfunc.nn.VolumetricReplicationPadding(2), {"input": x5}, gop,
        torch_thunk((lambda a: F.pad(a, (2,) * 6, mode="replicate")) if torch else None, [x5], gop))
    gop = rand(rng, n_, c_, 2 * h_, 2 * w_)
    add("SpatialUpSamplingNearest", lab + " x2", nnfunc.nn.SpatialUpSamplingNearest(2),
        {"input": x}, gop,
        torch_thunk((lambda a: F.interpolate(a, scale_factor=2, mode="nearest")) if torch
                    else None, [x], gop))
    add("SpatialUpSamplingBilinear", lab + " x2", nnfunc.nn.SpatialUpSamplingBilinear(2),
        {"input": x}, gop,
        torch_thunk((lambda a: F.interpolate(a, size=(2 * h_, 2 * w_), mode="bilinear",
                                             align_corners=True)) if torch else None, [x], gop))
    gop = rand(rng, *x5.shape[:2], 16, h_, w_)
    add("UpSampling", "x".join(map(str, x5.shape)) + " x2 trilinear",
        nnfunc.nn.UpSampling(2, "trilinear"), {"input": x5}, gop,
        torch_thunk((lambda a: F.interpolate(a, scale_factor=2, mode="trilinear",
                                             align_corners=True)) if torch else None, [x5], gop))
    gop = rand(rng, n_, c_ // 4, 2 * h_, 2 * w_)
    add("PixelShuffle", lab + " r2", nnfunc.nn.PixelShuffle(2), {"input": x}, gop,
        torch_thunk((lambda a: F.pixel_shuffle(a, 2)) if torch else None, [x], gop))

    # parameterized modules (broadcast parameter, Euclidean, Bilinear)
    n, k = (32, 128) if quick else (128, 1024)
    xk, gok = rand(rng, n, k), rand(rng, n, k)
    for name, args, tf in [("Add", (k,), lambda a, b: a + b), ("CAdd", (k,), lambda a, b: a + b),
                           ("Mul", (), lambda a, w: a * w), ("CMul", (k,), lambda a, w: a * w)]:
        f = getattr(nnfunc.nn, name)(*args)
        p = f.init_params(seed=0)
        add(name, f"{n}x{k}", f, {"input": xk, **p}, gok,
            torch_thunk(tf if torch else None, [xk, *p.values()], gok))
    ne, ie, oe = (16, 64, 32) if quick else (128, 256, 512)
    f = nnfunc.nn.Euclidean(ie, oe)
    p = f.init_params(seed=0)
    xe, goe = rand(rng, ne, ie), rand(rng, ne, oe)
    add("Euclidean", f"{ne}x{ie}->{oe}", f, {"input": xe, **p}, goe,
        torch_thunk((lambda a, w: torch.cdist(a, w.t())) if torch else None, [xe, p["weight"]],
                    goe))
    nb, i1, i2, ob = (16, 32, 24, 16) if quick else (128, 256, 128, 64)
    f = nnfunc.nn.Bilinear(i1, i2, ob)
    p = f.init_params(seed=0)
    x1, x2, gob = rand(rng, nb, i1), rand(rng, nb, i2), rand(rng, nb, ob)
    add("Bilinear", f"{nb}x({i1},{i2})->{ob}", f, {"input": [x1, x2], **p}, gob,
        torch_thunk(F.bilinear if torch else None, [x1, x2, p["weight"], p["bias"]], gob))

    n, k = (32, 100) if quick else (128, 1000)
    x, go = rand(rng, n, k), rand(rng, n, k)
    for name, tf in [("SoftMax", "softmax"), ("LogSoftMax", "log_softmax")]:
        f = getattr(nnfunc.nn, name)()
        add(name, f"{n}x{k}", f, {"input": x}, go,
            torch_thunk((lambda a, tf=tf: getattr(F, tf)(a, dim=1)) if torch else None, [x], go))
    f = nnfunc.nn.SoftMin()
    add("SoftMin", f"{n}x{k}", f, {"input": x}, go,
        torch_thunk((lambda a: F.softmin(a, dim=1)) if torch else None, [x], go))
    xi, goi = rand(rng, *shape), rand(rng, *shape)
    f = nnfunc.nn.SoftMax()
    add("SoftMax", lab + " (over C)", f, {"input": xi}, goi,
        torch_thunk((lambda a: F.softmax(a, dim=1)) if torch else None, [xi], goi))
    for name, tf in [("SpatialSoftMax", "softmax"), ("SpatialLogSoftMax", "log_softmax")]:
        f = getattr(nnfunc.nn, name)()
        add(name, lab + " (over C)", f, {"input": xi}, goi,
            torch_thunk((lambda a, tf=tf: getattr(F, tf)(a, dim=1)) if torch else None, [xi], goi))

    t = rng.integers(0, k, n)
    logp = rand(rng, n, k)
    f = nnfunc.nn.ClassNLLCriterion()
    add("ClassNLLCriterion", f"{n}x{k}", f, {"input": logp, "target": t}, 1.0,
        torch_thunk((lambda a: F.nll_loss(a, T(t))) if torch else None, [logp], None))
    tm = rand(rng, n, k)
    f = nnfunc.nn.MSECriterion()
    add("MSECriterion", f"{n}x{k}", f, {"input": logp, "target": tm}, 1.0,
        torch_thunk((lambda a: F.mse_loss(a, T(tm))) if torch else None, [logp], None))

    # the other criterions at the same size (float targets as float32 arrays)
    prob = rng.uniform(0.05, 0.95, (n, k)).astype(F32)
    pt = rng.uniform(0, 1, (n, k)).astype(F32)
    sg = np.where(rng.standard_normal((n, k)) > 0, 1, -1).astype(F32)
    b01 = (pt > 0.5).astype(F32)
    lists = np.full((n, k), -1, dtype=np.int64)
    lists[:, :3] = np.stack([rng.permutation(k)[:3] for _ in range(n)])
    tt = T
    crit = [
        ("AbsCriterion", (), logp, tm, lambda a: F.l1_loss(a, tt(tm))),
        ("SmoothL1Criterion", (), logp, tm, lambda a: F.smooth_l1_loss(a, tt(tm))),
        ("BCECriterion", (), prob, pt, lambda a: F.binary_cross_entropy(a, tt(pt))),
        ("SoftMarginCriterion", (), logp, sg, lambda a: F.soft_margin_loss(a, tt(sg))),
        ("DistKLDivCriterion", (), logp, pt,
         lambda a: (torch.xlogy(tt(pt), tt(pt)) - tt(pt) * a).mean()),
        ("L1Cost", (), logp, None, lambda a: a.abs().sum()),
        ("MarginCriterion", (), logp, sg, lambda a: torch.clamp(1 - a * tt(sg), min=0).mean()),
        ("HingeEmbeddingCriterion", (), logp, sg,
         lambda a: F.hinge_embedding_loss(a, tt(sg))),
        ("MultiLabelSoftMarginCriterion", (), logp, b01,
         lambda a: F.binary_cross_entropy_with_logits(a, tt(b01))),
        ("CrossEntropyCriterion", (), logp, t, lambda a: F.cross_entropy(a, tt(t))),
        ("MultiMarginCriterion", (), logp, t, lambda a: F.multi_margin_loss(a, tt(t))),
        ("MultiLabelMarginCriterion", (), logp, lists,
         lambda a: F.multilabel_margin_loss(a, tt(lists))),
    ]
    for name, args, xin, tgt, tf in crit:
        f = getattr(nnfunc.nn, name)(*args)
        d = {"input": xin} if tgt is None else {"input": xin, "target": tgt}
        add(name, f"{n}x{k}", f, d, 1.0, torch_thunk(tf if torch else None, [xin], None))
    x2 = rand(rng, n, k)
    f = nnfunc.nn.MarginRankingCriterion()
    add("MarginRankingCriterion", f"2 x {n}x{k}", f, {"input": [logp, x2], "target": sg}, 1.0,
        torch_thunk((lambda a, b: F.margin_ranking_loss(a, b, tt(sg), 1.0)) if torch else None,
                    [logp, x2], None))
    ns, cs, hs = (4, 10, 32) if quick else (32, 10, 64)
    xs = rand(rng, ns, cs, hs, hs)
    ts = rng.integers(0, cs, (ns, hs, hs))
    f = nnfunc.nn.SpatialClassNLLCriterion()
    add("SpatialClassNLLCriterion", f"{ns}x{cs}x{hs}x{hs}", f, {"input": xs, "target": ts}, 1.0,
        torch_thunk((lambda a: F.nll_loss(a, T(ts))) if torch else None, [xs],
                    None))

    # normalization: batch norm in training mode (running statistics in, updated out)
    for name, shape in [("BatchNormalization", (32, 256) if quick else (128, 1024)),
                        ("SpatialBatchNormalization",
                         (8, 16, 16, 16) if quick else (32, 64, 32, 32)),
                        ("VolumetricBatchNormalization",
                         (4, 16, 4, 8, 8) if quick else (8, 32, 16, 32, 32))]:
        c = shape[1]
        f = getattr(nnfunc.nn, name)(c)
        p = f.init_params(seed=0)
        x, go = rand(rng, *shape), rand(rng, *shape)
        rm, rv = np.zeros(c, F32), np.ones(c, F32)
        trm, trv = rm.copy(), rv.copy()       # PyTorch updates its running statistics
        add(name, "x".join(map(str, shape)) + " train", f,
            {"input": x, **p, "running_mean": rm, "running_var": rv}, go,
            torch_thunk((lambda a, w, b, trm=trm, trv=trv: F.batch_norm(
                a, T(trm), T(trv), w, b, training=True)) if torch else None,
                [x, p["weight"], p["bias"]], go))
    n, dd = (32, 256) if quick else (128, 1024)
    f = nnfunc.nn.Normalize(2)
    x, go = rand(rng, n, dd), rand(rng, n, dd)
    add("Normalize", f"{n}x{dd} p2", f, {"input": x}, go,
        torch_thunk((lambda a: F.normalize(a, 2.0, 1, 1e-10)) if torch else None, [x], go))
    f = nnfunc.nn.LayerNormalization(dd)
    p = f.init_params(seed=0)
    x, go = rand(rng, n, dd), rand(rng, n, dd)
    add("LayerNormalization", f"{n}x{dd}", f, {"input": x, **p}, go,
        torch_thunk((lambda a, w, b, dd=dd: F.layer_norm(a, (dd,), w, b, eps=1e-10 / dd))
                    if torch else None, [x, p["weight"], p["bias"]], go))
    shape = (8, 16, 16, 16) if quick else (32, 64, 32, 32)
    x, go = rand(rng, *shape), rand(rng, *shape)
    f = nnfunc.nn.SpatialCrossMapLRN(5)
    add("SpatialCrossMapLRN", "x".join(map(str, shape)) + " size 5", f, {"input": x}, go,
        torch_thunk((lambda a: F.local_response_norm(a, 5, 1e-4, 0.75, 1.0)) if torch else None,
                    [x], go))

    # Dropout family on 32x64x32x32: the mask given (both sides multiply by it), and
    # drawn from a seed in the forward with the gradient taking the returned mask back
    # (PyTorch: F.dropout's Bernoulli draw + the saved mask in its backward)
    shape = (8, 16, 16, 16) if quick else (32, 64, 32, 32)
    lab = "x".join(map(str, shape))
    x, go = rand(rng, *shape), rand(rng, *shape)
    mask = np.where(rng.random(shape) < 0.5, 2.0, 0.0).astype(F32)
    f = nnfunc.nn.Dropout(0.5)
    add("Dropout", lab + " (noise given)", f, {"input": x, "noise": mask}, go,
        torch_thunk((lambda a: a * T(mask)) if torch else None, [x], go))
    f = nnfunc.nn.Dropout(0.5)
    noise = f({"input": x, "seed": 1})["noise"]
    dd, dg = {"input": x, "seed": 1}, {"input": x, "noise": noise, "gradOutput": go}
    rows.append(Row("Dropout", lab + " (seed; grad with the mask)",
                    lambda f=f, g=nnfunc.gradsOf[f], dd=dd, dg=dg: (f(dd), g(dg)),
                    torch_thunk((lambda a: F.dropout(a, 0.5)) if torch else None, [x], go),
                    None, (f, dd, dg)))
    f = nnfunc.nn.SpatialDropout(0.5)
    noise = f({"input": x, "seed": 1})["noise"]
    dd, dg = {"input": x, "seed": 1}, {"input": x, "noise": noise, "gradOutput": go}
    rows.append(Row("SpatialDropout", lab + " (seed; grad with the mask)",
                    lambda f=f, g=nnfunc.gradsOf[f], dd=dd, dg=dg: (f(dd), g(dg)),
                    torch_thunk((lambda a: F.dropout2d(a, 0.5)) if torch else None, [x], go),
                    None, (f, dd, dg)))
    shape5 = (4, 8, 4, 8, 8) if quick else (8, 32, 8, 32, 32)
    x5, go5 = rand(rng, *shape5), rand(rng, *shape5)
    f = nnfunc.nn.VolumetricDropout(0.5)
    noise = f({"input": x5, "seed": 1})["noise"]
    dd, dg = {"input": x5, "seed": 1}, {"input": x5, "noise": noise, "gradOutput": go5}
    rows.append(Row("VolumetricDropout", "x".join(map(str, shape5)) + " (seed; grad with the mask)",
                    lambda f=f, g=nnfunc.gradsOf[f], dd=dd, dg=dg: (f(dd), g(dg)),
                    torch_thunk((lambda a: F.dropout3d(a, 0.5)) if torch else None, [x5], go5),
                    None, (f, dd, dg)))

    # LookupTable 10000 x 256, 128 x 50 indices (PyTorch: F.embedding, dense gradient)
    ni, no, nb, nl = (1000, 64, 32, 20) if quick else (10000, 256, 128, 50)
    f = nnfunc.nn.LookupTable(ni, no)
    p = f.init_params(seed=0)
    idx = rng.integers(0, ni, (nb, nl))
    go = rand(rng, nb, nl, no)
    add("LookupTable", f"{ni}x{no}, {nb}x{nl} indices", f, {"input": idx, **p}, go,
        torch_thunk((lambda w: F.embedding(T(idx), w)) if torch else None,
                    [p["weight"]], go))
    f = nnfunc.nn.LookupTable(ni, no, None, 1.0)
    add("LookupTable", f"{ni}x{no}, {nb}x{nl} indices, maxNorm", f, {"input": idx, **p}, go,
        torch_thunk((lambda w: F.embedding(T(idx), w, max_norm=1.0))
                    if torch else None, [p["weight"].copy()], go))
    return rows


def seed_rows(rng):
    """The seed-sized calls, where dispatch overhead is the whole cost."""
    rows = []
    x = rand(rng, 10)
    f = nnfunc.nn.Tanh()
    d, dg = {"input": x}, {"input": x, "gradOutput": x}
    g = nnfunc.gradsOf[f]
    tt = None
    if torch is not None:
        xt = torch.from_numpy(x.copy()).requires_grad_(True)
        gx = torch.from_numpy(x.copy())

        def tt():
            xt.grad = None
            torch.tanh(xt).backward(gx)
    rows.append(Row("Tanh (seed)", "10", lambda f=f, g=g, d=d, dg=dg: (f(d), g(dg)), tt))

    f = nnfunc.nn.Linear(10, 100)
    p = f.init_params(seed=0)
    go = rand(rng, 100)
    d, dg = {"input": x, **p}, {"input": x, **p, "gradOutput": go}
    g = nnfunc.gradsOf[f]
    tl = None
    if torch is not None:
        ts = [torch.from_numpy(a.copy()).requires_grad_(True) for a in (x, p["weight"], p["bias"])]
        gy = torch.from_numpy(go)

        def tl():
            for t in ts:
                t.grad = None
            F.linear(*ts).backward(gy)
    rows.append(Row("Linear(10,100) (seed)", "1 vector",
                    lambda f=f, g=g, d=d, dg=dg: (f(d), g(dg)), tl))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small shapes, few repeats")
    ap.add_argument("--smoke", action="store_true",
                    help="small shapes, each side called once (checks that every row runs; "
                         "the times mean nothing)")
    ap.add_argument("--repeat", type=int, default=None, help="repeats per row (default 7, quick 2)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--only", default=None,
                    help="rows whose module name contains this text (comma-separated: any)")
    ap.add_argument("--window", type=float, default=0.05,
                    help="seconds per timing window (default 0.05); on a busy machine, "
                         "short windows and many repeats find the quiet moments")
    ap.add_argument("--settle", type=float, default=0.15,
                    help="seconds of sleep before each timing window (default 0.15), so "
                         "that one side's spinning idle threads (OpenBLAS, OpenMP) do not "
                         "slow the next side; 0 measures back to back")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for both sides (torch.set_num_threads and nnfunc's pool "
                         "limit; set OPENBLAS_NUM_THREADS to match: OpenBLAS reads it at "
                         "import); default: each library's own default")
    ap.add_argument("--gpu", action="store_true",
                    help="GPU mode: nnfunc on CuPy vs PyTorch CUDA (bench_gpu.py)")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float16", "float64"),
                    help="GPU mode: the float type (default float32)")
    ap.add_argument("--tf32", action="store_true",
                    help="GPU mode: allow TF32 tensor cores for float32 (both sides)")
    args = ap.parse_args(argv)
    if args.gpu:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_gpu
        return bench_gpu.main(args)
    if args.threads:
        if torch is not None:
            torch.set_num_threads(args.threads)
        try:
            from nnfunc._cpu import _parallel
            _parallel.set_num_threads(args.threads)
        except ImportError:          # a build without the pool: single-threaded anyway
            pass
    if args.smoke:
        args.quick, args.repeat, args.settle = True, 1, 0.0
    repeat = args.repeat or (2 if args.quick else 7)
    rng = np.random.default_rng(0)
    if torch is not None:
        torch.set_grad_enabled(True)
    print(f"# nnfunc {nnfunc.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'absent'}, {platform.machine()}, "
          f"{os.cpu_count()} cores, float32, forward+backward, "
          + ("smoke run: each side called once, the times mean nothing" if args.smoke else
             f"best of {repeat} windows of {args.window} s, {args.settle} s apart")
          + (f", {args.threads} thread(s) each" if args.threads else ""), flush=True)
    hdr = ("module", "shape", "nnfunc", "torch", "gemm", "nnfunc/torch", "nnfunc/gemm")
    if args.markdown:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "---|" * len(hdr))
    else:
        print(f"{hdr[0]:24s} {hdr[1]:26s} {hdr[2]:>10s} {hdr[3]:>10s} {hdr[4]:>10s} "
              f"{hdr[5]:>12s} {hdr[6]:>11s}")
    ratios_t = []
    for row in seed_rows(rng) + module_rows(rng, args.quick):
        label, shape = row.label, row.shape
        if args.only and not any(o in label for o in args.only.split(",")):
            continue
        t = interleaved({"n": row.run, "t": row.torch_thunk(), "g": row.gemm}, repeat,
                        args.window, args.settle, once=args.smoke)

        def fmt(s):
            if s is None:
                return "-"
            return f"{s * 1e6:.2f} us" if s < 1e-3 else f"{s * 1e3:.3f} ms"

        rt = f"{t['n'] / t['t']:.2f}" if t["t"] else "-"
        rg = f"{t['n'] / t['g']:.2f}" if t["g"] else "-"
        if t["t"]:
            ratios_t.append(t["n"] / t["t"])
        cells = (label, shape, fmt(t["n"]), fmt(t["t"]), fmt(t["g"]), rt, rg)
        if args.markdown:
            print("| " + " | ".join(cells) + " |", flush=True)
        else:
            print(f"{cells[0]:24s} {cells[1]:26s} {cells[2]:>10s} {cells[3]:>10s} "
                  f"{cells[4]:>10s} {cells[5]:>12s} {cells[6]:>11s}", flush=True)
    if ratios_t:
        print(f"# geometric mean nnfunc/torch: {float(np.exp(np.mean(np.log(ratios_t)))):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
