"""GPU mode of bench.py: nnfunc on CuPy next to PyTorch CUDA, in one run.

    python bench/bench.py --gpu [--dtype float32|float16] [--tf32] [--quick] [--markdown]

Each row times one forward and one gradient call of a module with nnfunc
(CuPy input: CUDA kernels + cuBLAS) and the same module in PyTorch CUDA
(forward + autograd backward). Timing: ``cupy.cuda.Event`` pairs for nnfunc
and ``torch.cuda.Event`` pairs for PyTorch around a loop of calls sized to
about 20 ms, after a warm-up (kernel compilation, cuBLAS handles, caching
allocators); the best of ``repeat`` loops, the two measured in alternation.
The time per call is GPU time between the events, so it includes the host
launch cost whenever the host is the bottleneck (small shapes). float32
GEMMs and convolutions are strict float32 on both sides (PyTorch's TF32
switches off) unless ``--tf32`` (then also ``CUPY_TF32=1`` for CuPy);
cuDNN autotuning (``cudnn.benchmark``) is on for PyTorch.
"""

import math
import sys

import numpy as np

import nnfunc


def _need(tf32=False):
    if tf32:
        import os
        os.environ["CUPY_TF32"] = "1"      # read by CuPy at import
    try:
        import cupy as cp
        import torch
    except ImportError as e:
        sys.exit(f"bench --gpu needs cupy and torch: {e}")
    if not torch.cuda.is_available() or cp.cuda.runtime.getDeviceCount() == 0:
        sys.exit("bench --gpu: no CUDA device")
    return cp, torch


def rows(cp, torch, dtype, quick):
    """(label, shape, nnfunc thunk, torch thunk) for each GPU module."""
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    out = []

    def rand(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    def add(label, shape, fn, d, go, tfn, tinputs, tgo=None):
        """``tfn(*tensors)`` is the torch forward; inputs are NumPy arrays
        (float ones get requires_grad) or ready tensors."""
        dd = {k: cp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in d.items()}
        gog = cp.asarray(go) if isinstance(go, np.ndarray) else go
        dg = dict(dd, gradOutput=gog)
        grad = nnfunc.gradsOf[fn]

        def run():
            fn(dd)
            grad(dg)

        ts = [torch.from_numpy(a).to("cuda").requires_grad_(a.dtype.kind == "f")
              if isinstance(a, np.ndarray) else a for a in tinputs]
        gt = torch.from_numpy(go).to("cuda") if isinstance(go, np.ndarray) else None

        def trun():
            for t in ts:
                if isinstance(t, torch.Tensor):
                    t.grad = None
            y = tfn(*ts)
            if gt is not None:
                y.backward(gt)
            else:
                (y * go).backward()

        out.append((label, shape, run, trun))

    # dispatch-bound: the seed-sized call
    x = rand(10)
    add("Tanh (seed)", "10", nnfunc.nn.Tanh(), {"input": x}, x, torch.tanh, [x])

    big = (8, 64, 32, 32) if quick else (32, 64, 32, 32)
    shp = "x".join(map(str, big))
    for name, tf in [("Tanh", torch.tanh), ("Sigmoid", torch.sigmoid), ("ReLU", F.relu),
                     ("ELU", F.elu), ("SoftPlus", F.softplus)]:
        x = rand(*big)
        add(name, shp, getattr(nnfunc.nn, name)(), {"input": x}, rand(*big), tf, [x])

    n, c = (64, 1000) if quick else (256, 1000)
    for name, tf in [("SoftMax", lambda a: F.softmax(a, 1)),
                     ("LogSoftMax", lambda a: F.log_softmax(a, 1))]:
        x = rand(n, c)
        add(name, f"{n}x{c}", getattr(nnfunc.nn, name)(), {"input": x}, rand(n, c), tf, [x])
    x = rand(*big)
    add("LogSoftMax", f"{shp} (channels)", nnfunc.nn.LogSoftMax(), {"input": x}, rand(*big),
        lambda a: F.log_softmax(a, 1), [x])

    n, i, o = (64, 512, 512) if quick else (256, 1024, 1024)
    f = nnfunc.nn.Linear(i, o)
    p = f.init_params(seed=0, dtype=dtype)
    x = rand(n, i)
    add("Linear", f"{n}x{i}->{o}", f, {"input": x, **p}, rand(n, o), F.linear,
        [x, p["weight"], p["bias"]])

    n, c = (64, 1000) if quick else (256, 1000)
    x, t = rand(n, c), rand(n, c)
    add("MSECriterion", f"{n}x{c}", nnfunc.nn.MSECriterion(), {"input": x, "target": t}, 1.0,
        F.mse_loss, [x, torch.from_numpy(t).to("cuda")])
    x = rand(n, c)
    add("SmoothL1Criterion", f"{n}x{c}", nnfunc.nn.SmoothL1Criterion(),
        {"input": x, "target": t}, 1.0, F.smooth_l1_loss, [x, torch.from_numpy(t).to("cuda")])
    p01 = (rng.random((n, c)) * 0.98 + 0.01).astype(dtype)
    t01 = (rng.random((n, c)) > 0.5).astype(dtype)
    add("BCECriterion", f"{n}x{c}", nnfunc.nn.BCECriterion(), {"input": p01, "target": t01},
        1.0, F.binary_cross_entropy, [p01, torch.from_numpy(t01).to("cuda")])
    x = rand(n, c)
    tg = rng.integers(0, c, n).astype(np.int64)
    add("ClassNLLCriterion", f"{n}x{c}", nnfunc.nn.ClassNLLCriterion(),
        {"input": x, "target": tg}, 1.0, F.nll_loss, [x, torch.from_numpy(tg).to("cuda")])

    for (cin, cout, k, s, pad) in [(64, 64, 3, 1, 1), (64, 128, 1, 1, 0), (64, 64, 3, 2, 1)]:
        f = nnfunc.nn.SpatialConvolution(cin, cout, k, k, s, s, pad, pad)
        p = f.init_params(seed=0, dtype=dtype)
        x = rand(*big)
        oh = (big[2] + 2 * pad - k) // s + 1
        go = rand(big[0], cout, oh, oh)
        add("SpatialConvolution", f"{shp} k{k} s{s} p{pad} ->{cout}", f, {"input": x, **p}, go,
            lambda a, w, b, s=s, pad=pad: F.conv2d(a, w, b, stride=s, padding=pad),
            [x, p["weight"], p["bias"]])

    f = nnfunc.nn.SpatialDilatedConvolution(64, 64, 3, 3, 1, 1, 2, 2, 2, 2)
    p = f.init_params(seed=0, dtype=dtype)
    x = rand(*big)
    add("SpatialDilatedConvolution", f"{shp} k3 dil2 p2 ->64", f, {"input": x, **p},
        rand(big[0], 64, big[2], big[3]),
        lambda a, w, b: F.conv2d(a, w, b, padding=2, dilation=2), [x, p["weight"], p["bias"]])
    f = nnfunc.nn.SpatialFullConvolution(64, 32, 4, 4, 2, 2, 1, 1)
    p = f.init_params(seed=0, dtype=dtype)
    x = rand(*big)
    add("SpatialFullConvolution", f"{shp} k4 s2 p1 ->32", f, {"input": x, **p},
        rand(big[0], 32, 2 * big[2], 2 * big[3]),
        lambda a, w, b: F.conv_transpose2d(a, w, b, stride=2, padding=1),
        [x, p["weight"], p["bias"]])

    f = nnfunc.nn.SpatialBatchNormalization(64)
    p = f.init_params(seed=0, dtype=dtype)
    x = rand(*big)
    add("SpatialBatchNormalization", f"{shp} train", f, {"input": x, **p}, rand(*big),
        lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True),
        [x, p["weight"], p["bias"]])

    for (k, s, pad) in [(2, 2, 0), (3, 2, 1)]:
        f = nnfunc.nn.SpatialMaxPooling(k, k, s, s, pad, pad)
        x = rand(*big)
        oh = (big[2] + 2 * pad - k) // s + 1
        add("SpatialMaxPooling", f"{shp} k{k} s{s} p{pad}", f, {"input": x},
            rand(big[0], big[1], oh, oh),
            lambda a, k=k, s=s, pad=pad: F.max_pool2d(a, k, s, pad), [x])
    f = nnfunc.nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1)
    x = rand(*big)
    oh = (big[2] + 2 - 3) // 2 + 1
    add("SpatialAveragePooling", f"{shp} k3 s2 p1", f, {"input": x},
        rand(big[0], big[1], oh, oh), lambda a: F.avg_pool2d(a, 3, 2, 1), [x])
    return out


def _loop_time(fn, sync, event, elapsed_ms, number):
    start, end = event(), event()
    start.record()
    for _ in range(number):
        fn()
    end.record()
    end.synchronize()
    return elapsed_ms(start, end) / 1e3 / number


def measure(cp, torch, run, trun, repeat, warmup=3, target=0.02):
    cev = cp.cuda.Event
    tev = lambda: torch.cuda.Event(enable_timing=True)   # noqa: E731
    ce = cp.cuda.get_elapsed_time
    te = lambda a, b: a.elapsed_time(b)                  # noqa: E731
    for _ in range(warmup):
        run()
        trun()
    cp.cuda.Device().synchronize()
    torch.cuda.synchronize()
    # loop sizes: about `target` seconds each
    n1 = max(1, int(target / max(_loop_time(run, None, cev, ce, 2), 1e-7)))
    n2 = max(1, int(target / max(_loop_time(trun, None, tev, te, 2), 1e-7)))
    best_n = best_t = math.inf
    for _ in range(repeat):
        best_n = min(best_n, _loop_time(run, None, cev, ce, n1))
        best_t = min(best_t, _loop_time(trun, None, tev, te, n2))
    return best_n, best_t


def main(args):
    cp, torch = _need(args.tf32)
    # like for like: strict float32 GEMMs/convolutions on both sides unless --tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = True
    dtype = {"float32": np.float32, "float16": np.float16, "float64": np.float64}[args.dtype]
    repeat = args.repeat or (3 if args.quick else 7)
    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.runtime.getDevice())
    card = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    print(f"# nnfunc {nnfunc.__version__} on CuPy {cp.__version__} vs torch "
          f"{torch.__version__} CUDA (cuDNN {torch.backends.cudnn.version()}), {card}, "
          f"{args.dtype}, TF32 {'on' if args.tf32 else 'off'}, forward+backward, "
          f"best of {repeat}",
          flush=True)
    hdr = ("module", "shape", "nnfunc (CuPy)", "torch CUDA", "nnfunc/torch")
    if args.markdown:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "---|" * len(hdr))
    ratios, failed = [], []
    for label, shape, run, trun in rows(cp, torch, dtype, args.quick):
        if args.only and not any(o in label for o in args.only.split(",")):
            continue
        try:
            tn, tt = measure(cp, torch, run, trun, repeat)
        except Exception as e:       # one broken row must not hide the others
            failed.append(label)
            print(f"# {label} {shape}: FAILED {type(e).__name__}: {e}", flush=True)
            continue
        ratios.append(tn / tt)

        def fmt(s):
            return f"{s * 1e6:.2f} us" if s < 1e-3 else f"{s * 1e3:.3f} ms"

        cells = (label, shape, fmt(tn), fmt(tt), f"{tn / tt:.2f}")
        if args.markdown:
            print("| " + " | ".join(cells) + " |", flush=True)
        else:
            print(f"{cells[0]:20s} {cells[1]:34s} {cells[2]:>12s} {cells[3]:>12s} "
                  f"{cells[4]:>8s}", flush=True)
    if ratios:
        gm = float(np.exp(np.mean(np.log(ratios))))
        print(f"# geometric mean nnfunc/torch: {gm:.2f} over {len(ratios)} rows")
    return 1 if failed else 0
