"""``python -m nnfunc``: train a small network with plain nnfunc calls.

A two-layer perceptron (Linear, Tanh, Linear, LogSoftMax, ClassNLLCriterion)
learns a synthetic three-arm spiral with plain SGD and momentum. Every
layer is a pure function of a dict; the update is written out by hand.
"""

import argparse
import sys
import time

import numpy as np

import nnfunc


def spiral(n_per_class, classes, rng):
    """Points on ``classes`` interleaved noisy spiral arms in 2-D."""
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        t = np.linspace(c * 4.0, c * 4.0 + 4.0, n_per_class) + rng.normal(0, 0.2, n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = rng.permutation(len(y))
    return x[order], y[order]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m nnfunc", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=60, help="passes over the data (default 60)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="floating dtype of data and parameters (default float32)")
    ap.add_argument("--hidden", type=int, default=64, help="hidden units (default 64)")
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.hidden < 1:
        ap.error("--epochs and --hidden must be >= 1")
    dt = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)
    x, y = spiral(400, 3, rng)
    x = x.astype(dt)
    ntest = len(y) // 5
    xtest, ytest, xtrain, ytrain = x[:ntest], y[:ntest], x[ntest:], y[ntest:]

    layers = [nnfunc.nn.Linear(2, args.hidden), nnfunc.nn.Tanh(),
              nnfunc.nn.Linear(args.hidden, 3), nnfunc.nn.LogSoftMax()]
    crit = nnfunc.nn.ClassNLLCriterion()
    params = [f.init_params(seed=args.seed + i, dtype=dt) for i, f in enumerate(layers)]
    velocity = [{k: np.zeros_like(v) for k, v in p.items()} for p in params]

    def forward(xb):
        acts = [xb]
        for f, p in zip(layers, params):
            acts.append(f({"input": acts[-1], **p})["output"])
        return acts

    lr, momentum, batch = 0.1, 0.9, 32
    print(f"nnfunc {nnfunc.__version__}: MLP 2-{args.hidden}-3 on a spiral "
          f"({len(ytrain)} train / {ntest} test), {args.dtype}, backend "
          f"{nnfunc.dispatch.which(layers[0], {'input': xtrain})}")
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(ytrain))
        total = 0.0
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            acts = forward(xtrain[idx])
            d = {"input": acts[-1], "target": ytrain[idx]}
            total += float(crit(d)["output"]) * len(idx)
            g = nnfunc.gradsOf[crit](d)["gradInput"]
            for i in reversed(range(len(layers))):
                grads = layers[i]({"input": acts[i], **params[i], "gradOutput": g})
                g = grads["gradInput"]
                for k in params[i]:
                    gk = "grad" + k[0].upper() + k[1:]
                    velocity[i][k] *= momentum
                    velocity[i][k] -= lr * grads[gk]
                    params[i][k] += velocity[i][k]
        if (epoch + 1) % max(1, args.epochs // 6) == 0 or epoch + 1 == args.epochs:
            acc = float(np.mean(forward(xtrain)[-1].argmax(1) == ytrain))
            print(f"epoch {epoch + 1:3d}  loss {total / len(ytrain):.4f}  train accuracy {acc:.3f}")
    test_acc = float(np.mean(forward(xtest)[-1].argmax(1) == ytest))
    print(f"trained in {time.perf_counter() - t0:.2f} s")
    print(f"test accuracy: {test_acc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
