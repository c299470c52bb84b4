"""Train the digits CNN of ``python -m nnfunc`` with HIPS autograd.

The loss is built from nnfunc layers registered as autograd primitives
(``nnfunc.adapters.autograd``); ``autograd.grad`` differentiates it, and
each layer's VJP is nnfunc's grad function (compiled NumPy kernels).

    pip install autograd && python examples/digits_autograd.py
"""

import sys

import autograd
import autograd.numpy as anp
import numpy as np

import nnfunc
from nnfunc.__main__ import build_network, split_digits
from nnfunc.adapters.autograd import primitive


def train(epochs=5, seed=0, batch=32, lr=0.05, momentum=0.9, log=print):
    layers = build_network()
    funcs = [None if f is None else primitive(f) for _, f in layers]
    nll = primitive(nnfunc.nn.ClassNLLCriterion())
    params = [tuple(f.init_params(seed=seed * 1000 + i, dtype=np.float32).values())
              if f is not None else () for i, (_, f) in enumerate(layers)]

    def forward(params, x):
        for f, p in zip(funcs, params):
            x = anp.reshape(x, (x.shape[0], -1)) if f is None else f(x, *p)
        return x

    def loss(params, x, y):
        return nll(forward(params, x), y)

    grad = autograd.grad(loss)
    xtrain, ytrain, xtest, ytest = split_digits(np, np.float32)
    velocity = [tuple(np.zeros_like(a) for a in p) for p in params]
    rng = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(ytrain))
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            g = grad(params, xtrain[idx], ytrain[idx])
            velocity = [tuple(momentum * v - lr * gi for v, gi in zip(vs, gs))
                        for vs, gs in zip(velocity, g)]
            params = [tuple(a + v for a, v in zip(ps, vs)) for ps, vs in zip(params, velocity)]
        acc = float(np.mean(forward(params, xtest).argmax(1) == ytest))
        log(f"epoch {epoch}: loss {float(loss(params, xtrain, ytrain)):.4f}, test accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    print(f"test accuracy: {train(int(sys.argv[1]) if len(sys.argv) > 1 else 5):.3f}")
