"""autograd and JAX adapters: gradients against each framework's own autodiff.

The reference is the framework differentiating an equivalent pure
expression written in its own array library; the tested path is the same
network built from nnfunc primitives, whose VJPs are nnfunc grad functions.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import nnfunc
from _helpers import assert_allclose_t, diff_keys, grad_output, make_dict, tmap
from cases import CASES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NET_IN = (3, 2, 6, 6)


def _net_params(dtype):
    conv = nnfunc.nn.SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1)
    lin = nnfunc.nn.Linear(4 * 3 * 3, 5)
    pc, pl = conv.init_params(seed=1, dtype=dtype), lin.init_params(seed=2, dtype=dtype)
    return conv, lin, (pc["weight"], pc["bias"], pl["weight"], pl["bias"])


def _data(dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal(NET_IN).astype(dtype), np.array([0, 4, 2])


def _example(name):
    if not (EXAMPLES / f"{name}.py").exists():
        pytest.skip("examples/ not available")
    sys.path.insert(0, str(EXAMPLES))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(EXAMPLES))


# ---------------------------------------------------------------- autograd

def _autograd_net(prim, conv, lin):
    import autograd.numpy as anp
    c, r, p = prim(conv), prim(nnfunc.nn.ReLU()), prim(nnfunc.nn.SpatialMaxPooling(2, 2))
    t, l = prim(nnfunc.nn.Tanh()), prim(lin)
    ls, nll = prim(nnfunc.nn.LogSoftMax()), prim(nnfunc.nn.ClassNLLCriterion())

    def loss(x, w, b, W, B, y):
        h = p(r(c(x, w, b)))
        return nll(ls(l(t(anp.reshape(h, (h.shape[0], -1))), W, B)), y)
    return loss


def _autograd_pure(x, w, b, W, B, y):
    import autograd.numpy as anp
    n, _, hh, ww = x.shape
    xp = anp.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="constant")
    taps = anp.stack([xp[:, :, i:i + hh, j:j + ww] for i in range(3) for j in range(3)], axis=2)
    y1 = anp.einsum("ocq,ncqhw->nohw", anp.reshape(w, (w.shape[0], w.shape[1], 9)), taps)
    y1 = anp.maximum(y1 + b[None, :, None, None], 0)
    o = y1.shape[1]
    pooled = anp.max(anp.reshape(y1, (n, o, hh // 2, 2, ww // 2, 2)), axis=(3, 5))
    z = anp.dot(anp.tanh(anp.reshape(pooled, (n, -1))), W.T) + B
    logp = z - anp.log(anp.sum(anp.exp(z - anp.max(z, axis=1, keepdims=True)), axis=1,
                               keepdims=True)) - anp.max(z, axis=1, keepdims=True)
    return -anp.mean(logp[np.arange(n), y])


def test_autograd_network_matches_autograd():
    autograd = pytest.importorskip("autograd")
    from nnfunc.adapters.autograd import primitive
    conv, lin, params = _net_params(np.float64)
    x, y = _data(np.float64)
    loss = _autograd_net(primitive, conv, lin)
    argnums = (0, 1, 2, 3, 4)
    got = autograd.grad(loss, argnums)(x, *params, y)
    want = autograd.grad(_autograd_pure, argnums)(x, *params, y)
    np.testing.assert_allclose(loss(x, *params, y), _autograd_pure(x, *params, y), rtol=1e-12)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if not c.is_criterion], ids=lambda c: c.id)
def test_autograd_primitive_vjp_is_nnfunc_grad(case):
    autograd = pytest.importorskip("autograd")
    from nnfunc.adapters.autograd import primitive
    fn, d = make_dict(case)
    go = grad_output(case, fn, d)
    if fn.module.input_kind != "float":
        pytest.skip("integer input (indices) has no gradient to differentiate")
    keys = [k for k, _ in diff_keys(fn)]
    # the row's other entries (seed, noise, train, ...) go with every call
    f = primitive(fn, **{k: v for k, v in d.items() if k not in keys})
    args = [d[k] for k in keys]
    import autograd.numpy as anp

    def loss(*a):
        y = f(*a)
        return sum(anp.sum(y[i] * g) for i, g in enumerate(go)) if type(go) is list \
            else anp.sum(y * go)
    got = autograd.grad(loss, tuple(range(len(args))))(*args)
    want = fn(dict(d, gradOutput=go))
    for g, (_, gk) in zip(got, diff_keys(fn)):
        assert_allclose_t(list(g) if type(want[gk]) is list else g, want[gk],
                          rtol=1e-12, atol=1e-14, err_msg=gk)


def test_autograd_float32_and_errors():
    autograd = pytest.importorskip("autograd")
    from nnfunc.adapters.autograd import primitive
    conv, lin, params = _net_params(np.float32)
    x, y = _data(np.float32)
    g = autograd.grad(_autograd_net(primitive, conv, lin), (1, 3))(x, *params, y)
    assert all(a.dtype == np.float32 for a in g)
    lin_p = primitive(lin)
    with pytest.raises(TypeError, match="Linear.*2 parameter"):
        lin_p(np.zeros((1, 36)), params[2])
    with pytest.raises(TypeError, match="nnfunc eval function"):
        primitive(lambda d: d)


def test_autograd_trains_the_digits_network():
    pytest.importorskip("autograd")
    acc = _example("digits_autograd").train(epochs=3, log=lambda s: None)
    assert acc >= 0.9


# --------------------------------------------------------------------- JAX

def _jax_pure(x, w, b, W, B, y):
    import jax
    import jax.numpy as jnp
    y1 = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)))
    y1 = jnp.maximum(y1 + b[None, :, None, None], 0)
    pooled = jax.lax.reduce_window(y1, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    z = jnp.tanh(pooled.reshape(pooled.shape[0], -1)) @ W.T + B
    return -jnp.mean(jax.nn.log_softmax(z, axis=1)[jnp.arange(z.shape[0]), y])


def test_jax_network_matches_jax_under_jit(jax_x64):
    jax = jax_x64
    from nnfunc.adapters.jax import primitive
    conv, lin, params = _net_params(np.float64)
    x, y = _data(np.float64)
    import jax.numpy as jnp
    c, r = primitive(conv), primitive(nnfunc.nn.ReLU())
    p, t = primitive(nnfunc.nn.SpatialMaxPooling(2, 2)), primitive(nnfunc.nn.Tanh())
    l, ls = primitive(lin), primitive(nnfunc.nn.LogSoftMax())
    nll = primitive(nnfunc.nn.ClassNLLCriterion())

    def jloss(x, w, b, W, B, y):          # the same network as _jax_pure, from nnfunc
        h = p(r(c(x, w, b)))
        return nll(ls(l(t(jnp.reshape(h, (h.shape[0], -1))), W, B)), y)
    argnums = (0, 1, 2, 3, 4)
    got = jax.jit(jax.grad(jloss, argnums))(x, *params, y)
    want = jax.grad(_jax_pure, argnums)(x, *params, y)
    np.testing.assert_allclose(jax.jit(jloss)(x, *params, y), _jax_pure(x, *params, y), rtol=1e-12)
    for g, w in zip(got, want):
        assert g.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if not c.is_criterion], ids=lambda c: c.id)
def test_jax_primitive_vjp_is_nnfunc_grad(case, jax_x64):
    jax = jax_x64
    import jax.numpy as jnp
    from nnfunc.adapters.jax import primitive
    fn, d = make_dict(case)
    go = grad_output(case, fn, d)
    if fn.module.input_kind != "float":
        pytest.skip("integer input (indices) has no gradient to differentiate")
    keys = [k for k, _ in diff_keys(fn)]
    # the row's other entries (seed, noise, train, ...) go with every call
    options = {k: v for k, v in d.items() if k not in keys}
    f = primitive(fn, **options)
    args = [tmap(jnp.asarray, d[k]) for k in keys]

    def loss(*a):
        y = f(*a)
        return sum(jnp.sum(y[i] * g) for i, g in enumerate(go)) if type(go) is list \
            else jnp.sum(y * go)
    got = jax.jit(jax.grad(loss, tuple(range(len(args)))))(*args)
    want = fn(dict(d, gradOutput=go))
    for g, (_, gk) in zip(got, diff_keys(fn)):
        assert_allclose_t(tmap(np.asarray, g), want[gk], rtol=1e-10, atol=1e-12, err_msg=gk)


def test_jax_trains_the_digits_network():
    pytest.importorskip("jax")
    acc = _example("digits_jax").train(epochs=3, log=lambda s: None)
    assert acc >= 0.9


# ------------------------------------------------------------------ tables

def _table_chain(prim, anp):
    """SplitTable -> CAddTable of a JoinTable: a table output feeding a table
    input inside the traced function, then a table criterion."""
    split = prim(nnfunc.nn.SplitTable(0))
    join = prim(nnfunc.nn.JoinTable(0))
    add = prim(nnfunc.nn.CAddTable())
    rank = prim(nnfunc.nn.MarginRankingCriterion(0.5))

    def loss(x, y, t):
        parts = split(x)                       # list of 3 rows
        s = add([parts[0], parts[2], y])
        j = join([s, parts[1]])
        return rank([anp.tanh(j[:4]), j[4:]], t)
    return loss


def _table_chain_pure(anp):
    def loss(x, y, t):
        s = x[0] + x[2] + y
        j = anp.concatenate([s, x[1]])
        a, b = anp.tanh(j[:4]), j[4:]
        return anp.mean(anp.maximum(0, -t * (a - b) + 0.5))
    return loss


def _table_data():
    rng = np.random.default_rng(3)
    return rng.standard_normal((3, 4)), rng.standard_normal(4), np.array([1.0, -1, 1, -1])


def test_autograd_tables_chain():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    from nnfunc.adapters.autograd import primitive
    x, y, t = _table_data()
    got = autograd.grad(_table_chain(primitive, anp), (0, 1))(x, y, t)
    want = autograd.grad(_table_chain_pure(anp), (0, 1))(x, y, t)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def test_jax_tables_chain(jax_x64):
    jax = jax_x64
    import jax.numpy as jnp
    from nnfunc.adapters.jax import primitive
    x, y, t = (jnp.asarray(a) for a in _table_data())
    got = jax.jit(jax.grad(_table_chain(primitive, jnp), (0, 1)))(x, y, t)
    want = jax.grad(_table_chain_pure(jnp), (0, 1))(x, y, t)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-12, atol=1e-14)
