"""``python -m nnfunc``: train a small CNN on handwritten digits with plain nnfunc calls.

The network (two SpatialConvolution + ReLU + SpatialMaxPooling blocks, then
Linear + LogSoftMax, trained on ClassNLLCriterion) learns the 8x8 UCI
digits shipped with nnfunc. Every layer is a pure function of a dict; the
backward pass and the SGD-with-momentum update are written out below,
with no framework in between. The last line printed is
``test accuracy: <fraction>`` on a held-out fifth of the images.
"""

import argparse
import sys
import time

import numpy as np

import nnfunc
from nnfunc.data import load_digits


def build_network():
    """The layers, as (name, eval function) pairs; reshape is a plain reshape."""
    nn = nnfunc.nn
    return [
        ("conv1", nn.SpatialConvolution(1, 16, 3, 3, 1, 1, 1, 1)),   # 16 x 8 x 8
        ("relu1", nn.ReLU()),
        ("pool1", nn.SpatialMaxPooling(2, 2)),                       # 16 x 4 x 4
        ("conv2", nn.SpatialConvolution(16, 32, 3, 3, 1, 1, 1, 1)),  # 32 x 4 x 4
        ("relu2", nn.ReLU()),
        ("pool2", nn.SpatialMaxPooling(2, 2)),                       # 32 x 2 x 2
        ("flatten", None),                                           # 128
        ("fc", nn.Linear(128, 10)),
        ("logsoftmax", nn.LogSoftMax()),
    ]


def split_digits(xp, dtype, test_fraction=0.2):
    """Images scaled to [0, 1] as (N, 1, 8, 8), labels; a fixed held-out split."""
    images, labels = load_digits()
    order = np.random.default_rng(12345).permutation(len(labels))
    x = (images[order].astype(dtype) / 16.0)[:, None, :, :]
    y = labels[order].astype(np.int64)
    ntest = int(round(len(y) * test_fraction))
    parts = (x[ntest:], y[ntest:], x[:ntest], y[:ntest])
    return tuple(xp.asarray(a) for a in parts)


class Trainer:
    """Parameters, momentum buffers, and the forward/backward of the network."""

    def __init__(self, layers, xp, dtype, seed, lr, momentum):
        self.layers, self.xp, self.lr, self.momentum = layers, xp, lr, momentum
        self.params = []
        for i, (_, f) in enumerate(layers):
            p = f.init_params(seed=seed * 1000 + i, dtype=dtype) if f is not None else {}
            self.params.append({k: xp.asarray(v) for k, v in p.items()})
        self.velocity = [{k: xp.zeros_like(v) for k, v in p.items()} for p in self.params]
        self.crit = nnfunc.nn.ClassNLLCriterion()

    def forward(self, x):
        acts = [x]
        for (_, f), p in zip(self.layers, self.params):
            a = acts[-1]
            acts.append(a.reshape(a.shape[0], -1) if f is None
                        else f({"input": a, **p})["output"])
        return acts

    def step(self, x, y):
        """One SGD step on a batch; returns (loss, number correct)."""
        acts = self.forward(x)
        d = {"input": acts[-1], "target": y}
        loss = float(self.crit(d)["output"])
        correct = int((acts[-1].argmax(axis=1) == y).sum())
        g = nnfunc.gradsOf[self.crit](d)["gradInput"]
        for i in reversed(range(len(self.layers))):
            f, p = self.layers[i][1], self.params[i]
            if f is None:
                g = g.reshape(acts[i].shape)
                continue
            grads = f({"input": acts[i], **p, "gradOutput": g})
            g = grads["gradInput"]
            for k in p:
                v = self.velocity[i][k]
                v *= self.momentum
                v -= self.lr * grads["grad" + k[0].upper() + k[1:]]
                p[k] += v
        return loss, correct

    def accuracy(self, x, y, batch=512):
        correct = 0
        for s in range(0, len(y), batch):
            out = self.forward(x[s:s + batch])[-1]
            correct += int((out.argmax(axis=1) == y[s:s + batch]).sum())
        return correct / len(y)


def progress(epoch, epochs, done, total, loss, acc, rate, width=24):
    filled = int(width * done / total)
    bar = "#" * filled + "-" * (width - filled)
    return (f"epoch {epoch:2d}/{epochs} [{bar}] loss {loss:.4f} "
            f"accuracy {acc:.3f} {rate:7.0f} samples/s")


def get_backend(name):
    if name == "numpy":
        return np
    try:
        import cupy
        cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # missing package, driver or device
        raise SystemExit(f"--backend cupy: CuPy with a working GPU is needed ({e})")
    return cupy


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="python -m nnfunc", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["numpy", "cupy"], default="numpy",
                    help="array library: numpy (CPU, compiled kernels; default) or "
                         "cupy (the current GPU)")
    ap.add_argument("--epochs", type=int, default=10, help="passes over the training set (default 10)")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the initial weights and batch order (default 0); "
                         "runs are deterministic for a seed on NumPy")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="dtype of data and parameters (default float32)")
    ap.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    ap.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    ap.add_argument("--momentum", type=float, default=0.9, help="momentum (default 0.9)")
    ap.add_argument("--plot", metavar="FILE",
                    help="write a PNG of the training curves (needs matplotlib)")
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        ap.error("--epochs and --batch-size must be >= 1")
    if not (args.lr > 0) or not (0 <= args.momentum < 1):
        ap.error("--lr must be > 0 and --momentum in [0, 1)")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            ap.error("--plot needs matplotlib, which is not installed "
                     "(pip install matplotlib)")
    return args


def plot_curves(path, history):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = [h[0] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(epochs, [h[1] for h in history], marker="o")
    a.set_xlabel("epoch")
    a.set_ylabel("training loss")
    b.plot(epochs, [h[2] for h in history], marker="o", label="train")
    b.plot(epochs, [h[3] for h in history], marker="o", label="test")
    b.set_xlabel("epoch")
    b.set_ylabel("accuracy")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    xp = get_backend(args.backend)
    dtype = np.dtype(args.dtype)
    xtrain, ytrain, xtest, ytest = split_digits(xp, dtype)
    layers = build_network()
    trainer = Trainer(layers, xp, dtype, args.seed, args.lr, args.momentum)
    rng = np.random.default_rng(args.seed)
    n = len(ytrain)
    tty = sys.stdout.isatty()
    print(f"nnfunc {nnfunc.__version__}: CNN on the 8x8 UCI digits "
          f"({n} train / {len(ytest)} test), {args.dtype}, backend {args.backend} "
          f"({nnfunc.dispatch.which(layers[0][1], {'input': xtrain[:1]})} kernels)")
    history = []
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = xp.asarray(rng.permutation(n))
        t0 = time.perf_counter()
        loss_sum = correct = seen = 0
        for s in range(0, n, args.batch_size):
            idx = order[s:s + args.batch_size]
            loss, c = trainer.step(xtrain[idx], ytrain[idx])
            seen += len(idx)
            loss_sum += loss * len(idx)
            correct += c
            if tty:
                rate = seen / max(time.perf_counter() - t0, 1e-9)
                print("\r" + progress(epoch, args.epochs, seen, n, loss_sum / seen,
                                      correct / seen, rate), end="", flush=True)
        rate = seen / max(time.perf_counter() - t0, 1e-9)
        line = progress(epoch, args.epochs, n, n, loss_sum / n, correct / n, rate)
        print(("\r" if tty else "") + line, flush=True)
        history.append((epoch, loss_sum / n, correct / n, trainer.accuracy(xtest, ytest)))
    elapsed = time.perf_counter() - t_start
    if args.plot:
        plot_curves(args.plot, history)
        print(f"training curves written to {args.plot}")
    print(f"trained {args.epochs} epochs in {elapsed:.1f} s")
    print(f"test accuracy: {history[-1][3]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
