"""Train the digits CNN of ``python -m nnfunc`` with JAX, the step under ``jax.jit``.

The loss is built from nnfunc layers registered with ``jax.custom_vjp``
(``nnfunc.adapters.jax``); ``jax.grad`` differentiates it through nnfunc's
grad functions, which run nnfunc's generic array-API code on ``jax.numpy``
arrays, so the whole SGD step compiles with ``jax.jit`` (CPU here).

    pip install jax && python examples/digits_jax.py
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

import nnfunc
from nnfunc.__main__ import build_network, split_digits
from nnfunc.adapters.jax import primitive


def train(epochs=5, seed=0, batch=32, lr=0.05, momentum=0.9, log=print):
    layers = build_network()
    funcs = [None if f is None else primitive(f) for _, f in layers]
    nll = primitive(nnfunc.nn.ClassNLLCriterion())
    params = [tuple(jnp.asarray(a) for a in f.init_params(seed=seed * 1000 + i).values())
              if f is not None else () for i, (_, f) in enumerate(layers)]

    def forward(params, x):
        for f, p in zip(funcs, params):
            x = jnp.reshape(x, (x.shape[0], -1)) if f is None else f(x, *p)
        return x

    def loss(params, x, y):
        return nll(forward(params, x), y)

    @jax.jit
    def step(params, velocity, x, y):
        g = jax.grad(loss)(params, x, y)
        velocity = jax.tree_util.tree_map(lambda v, gi: momentum * v - lr * gi, velocity, g)
        params = jax.tree_util.tree_map(lambda p, v: p + v, params, velocity)
        return params, velocity

    predict = jax.jit(lambda params, x: jnp.argmax(forward(params, x), axis=1))
    xtrain, ytrain, xtest, ytest = split_digits(np, np.float32)
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)
    rng = np.random.default_rng(seed)
    n = (len(ytrain) // batch) * batch      # full batches only: one compiled shape
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(ytrain))[:n]
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            params, velocity = step(params, velocity, jnp.asarray(xtrain[idx]),
                                    jnp.asarray(ytrain[idx]))
        acc = float(jnp.mean(predict(params, jnp.asarray(xtest)) == jnp.asarray(ytest)))
        log(f"epoch {epoch}: test accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    print(f"test accuracy: {train(int(sys.argv[1]) if len(sys.argv) > 1 else 5):.3f}")
