"""nnfunc functions as JAX functions with custom VJPs (``jax.custom_vjp``).

::

    import jax
    from nnfunc.adapters.jax import primitive

    linear = primitive(nnfunc.nn.Linear(10, 5))       # linear(x, weight, bias)
    nll = primitive(nnfunc.nn.ClassNLLCriterion())    # nll(logp, target)
    step = jax.jit(jax.grad(lambda W, b: nll(logsoftmax(linear(x, W, b)), y), (0, 1)))

Both the forward and the backward call nnfunc on JAX arrays, which takes
nnfunc's generic array-API path (``jax.numpy``), so everything traces:
whole training steps can be ``jax.jit``-ted and run on any JAX device.
Inside ``jit`` target values are not known at trace time, so a criterion
cannot check their range there (see ``nnfunc/modules/_targets.py``).
Cotangents are cast to the input's dtype; nothing else is cast.
"""

import jax
import jax.numpy as jnp

from . import check_arity, check_function, grad_key, param_order

__all__ = ["primitive"]


def _asarrays(x):
    """An input as JAX arrays: an array, or a list of them (a table)."""
    if isinstance(x, (list, tuple)):
        return [jnp.asarray(e) for e in x]
    return jnp.asarray(x)


def _dtype(x):
    return x[0].dtype if isinstance(x, list) else x.dtype


def primitive(fn, **options):
    """Wrap the nnfunc eval function ``fn`` as a differentiable JAX function.

    Returns ``apply(input, *params)`` for a module (parameters in
    ``fn.module.params`` order) or ``apply(input, target)`` for a criterion
    (the integer ``target`` gets no gradient). For a table module ``input``
    is a list of arrays and a table output is a list (JAX pytrees).
    Arguments are converted with ``jnp.asarray``. ``options`` are extra dict
    entries sent with every call, e.g. ``train=False``, ``noise=mask`` (arrays
    among them are converted with ``jnp.asarray`` too).
    """
    m = check_function(fn, "nnfunc.adapters.jax.primitive")
    # array options (a dropout mask, running statistics) become JAX arrays
    options = {k: _asarrays(v) if isinstance(v, (list, tuple)) or hasattr(v, "__array__")
               else v for k, v in options.items()}
    grad = fn.grad
    names = param_order(fn)

    if m.is_criterion:
        @jax.custom_vjp
        def core(x, target):
            return fn({"input": x, "target": target, **options})["output"]

        def fwd(x, target):
            return core(x, target), (x, target)

        def bwd(res, g):
            x, target = res
            gi = grad({"input": x, "target": target, "gradOutput": g.astype(_dtype(x)),
                       **options})["gradInput"]
            return gi, None

        def apply(x, target):
            return core(_asarrays(x), jnp.asarray(target))
    else:
        @jax.custom_vjp
        def core(x, *params):
            return fn({"input": x, **dict(zip(names, params)), **options})["output"]

        def fwd(x, *params):
            return core(x, *params), (x, params)

        def bwd(res, g):
            x, params = res
            dt = _dtype(x)
            g = [e.astype(dt) for e in g] if type(g) in (list, tuple) else g.astype(dt)
            out = grad({"input": x, **dict(zip(names, params)), "gradOutput": g, **options})
            return (out["gradInput"],) + tuple(out[grad_key(p)] for p in names)

        def apply(x, *params):
            check_arity(m, names, params, "JAX primitive")
            return core(_asarrays(x), *(jnp.asarray(p) for p in params))

    core.defvjp(fwd, bwd)
    apply.__name__ = m.name
    apply.__doc__ = f"JAX function (custom VJP) of nnfunc {m!r}"
    apply.nnfunc_function = fn
    return apply
