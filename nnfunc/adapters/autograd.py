"""nnfunc functions as HIPS ``autograd`` primitives with explicit VJPs.

::

    import autograd
    from nnfunc.adapters.autograd import primitive

    linear = primitive(nnfunc.nn.Linear(10, 5))       # linear(x, weight, bias)
    nll = primitive(nnfunc.nn.ClassNLLCriterion())    # nll(logp, target)
    loss = lambda W, b: nll(logsoftmax(linear(x, W, b)), y)
    dW, db = autograd.grad(loss, (0, 1))(W, b)

The forward is the nnfunc eval function on the unboxed NumPy arrays (the
compiled kernels); the VJP calls the grad function once for all requested
arguments. Cotangents reaching a layer are cast to the input's dtype
(autograd may hand float64 ones to a float32 graph); nothing else is cast.
"""

import numpy as np
from autograd.extend import defvjp_argnums, primitive as _primitive

from . import check_arity, check_function, grad_key, param_order

__all__ = ["primitive"]


def primitive(fn, **options):
    """Wrap the nnfunc eval function ``fn`` as an autograd primitive.

    Returns ``apply(input, *params)`` for a module (parameters in
    ``fn.module.params`` order) or ``apply(input, target)`` for a criterion
    (no gradient flows to ``target``). ``options`` are extra dict entries
    sent with every call, e.g. ``train=False``.
    """
    m = check_function(fn, "nnfunc.adapters.autograd.primitive")
    grad = fn.grad
    names = param_order(fn)

    if m.is_criterion:
        @_primitive
        def apply(x, target):
            return fn({"input": x, "target": target, **options})["output"]

        def vjpmaker(argnums, ans, args, kwargs):
            x, target = args

            def vjp(g):
                gi = grad({"input": x, "target": target, "gradOutput": float(g),
                           **options})["gradInput"]
                return tuple(gi if i == 0 else np.zeros(np.shape(target)) for i in argnums)
            return vjp
    else:
        @_primitive
        def apply(x, *params):
            check_arity(m, names, params, "autograd primitive")
            return fn({"input": x, **dict(zip(names, params)), **options})["output"]

        def vjpmaker(argnums, ans, args, kwargs):
            x, params = args[0], args[1:]

            def vjp(g):
                g = np.asarray(g, dtype=x.dtype)
                res = grad({"input": x, **dict(zip(names, params)), "gradOutput": g, **options})
                keys = ("gradInput",) + tuple(grad_key(p) for p in names)
                return tuple(res[keys[i]] for i in argnums)
            return vjp

    defvjp_argnums(apply, vjpmaker)
    apply.__name__ = m.name
    apply.__doc__ = f"autograd primitive of nnfunc {m!r}"
    apply.nnfunc_function = fn
    return apply
