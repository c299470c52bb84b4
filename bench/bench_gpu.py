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


def rows(cp, torch, dtype, quick, device="cuda"):
    """(label, shape, nnfunc thunk, torch thunk) for every row of bench.py whose
    module runs on the GPU (bench.module_rows: the CPU table's shapes and PyTorch
    equivalents, on CuPy and CUDA here), after the dispatch-bound seed call.
    ``device``: where the torch side runs (a smoke test without a GPU passes
    "cpu" and a stand-in CuPy)."""
    import bench
    bench.TORCH_SIDE.update(device=device, dtype=getattr(torch, np.dtype(dtype).name))
    out = []

    def dev(v):
        """a row's NumPy value on the GPU, floats in the bench dtype"""
        if isinstance(v, np.ndarray):
            return cp.asarray(v.astype(dtype) if v.dtype.kind == "f" else v)
        if type(v) is list:
            return [dev(e) for e in v]
        return v

    def add(label, shape, fn, d, dg, trun):
        dd = {k: dev(v) for k, v in d.items()}
        dgg = {k: dev(v) for k, v in dg.items()}
        grad = nnfunc.gradsOf[fn]

        def run():
            fn(dd)
            grad(dgg)
        out.append((label, shape, run, trun))

    # dispatch-bound: the seed-sized call
    x = np.random.default_rng(0).standard_normal(10)
    f = nnfunc.nn.Tanh()
    add("Tanh (seed)", "10", f, {"input": x}, {"input": x, "gradOutput": x},
        bench.TorchSpec(torch.tanh, [x], x).thunk())
    for r in bench.module_rows(np.random.default_rng(0), quick):
        if r.gpu is None or r.torch is None:
            continue
        fn, d, dg = r.gpu
        label = r.label if "gpu" in fn.module.backends else r.label + " (generic)"
        add(label, r.shape, fn, d, dg, r.torch_thunk())
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
