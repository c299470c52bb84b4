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
from autograd.builtins import SequenceBox
from autograd.extend import defvjp_argnums, primitive as _primitive

from . import check_arity, check_function, grad_key, param_order

__all__ = ["primitive"]


def _entries(x):
    """The arrays of a table input (a list, tuple or autograd sequence box)."""
    return [x[i] for i in range(len(x))]


def _cast(g, dt):
    if type(g) in (list, tuple):
        return [np.asarray(e, dtype=dt) for e in g]
    return np.asarray(g, dtype=dt)


def primitive(fn, **options):
    """Wrap the nnfunc eval function ``fn`` as an autograd primitive.

    Returns ``apply(input, *params)`` for a module (parameters in
    ``fn.module.params`` order) or ``apply(input, target)`` for a criterion
    (no gradient flows to ``target``). For a table module ``input`` is a
    list of arrays (gradients flow to each entry) and a table output is a
    list. ``options`` are extra dict entries sent with every call, e.g.
    ``train=False``.
    """
    m = check_function(fn, "nnfunc.adapters.autograd.primitive")
    grad = fn.grad
    names = ("target",) if m.is_criterion else param_order(fn)
    gkeys = tuple(grad_key(p) for p in param_order(fn))

    def split(n, args):
        """(input, {name: array}) from core's flat arguments."""
        if n is None:
            return args[0], dict(zip(names, args[1:]))
        return list(args[:n]), dict(zip(names, args[n:]))

    # core(n, *entries, *rest): n is None for an array input, else the
    # number of table entries, flattened so that autograd sees each one
    @_primitive
    def core(n, *args):
        x, rest = split(n, args)
        return fn({"input": x, **rest, **options})["output"]

    def vjpmaker(argnums, ans, args, kwargs):
        n = args[0]
        x, rest = split(n, args[1:])
        dt = (x if n is None else x[0]).dtype

        def vjp(g):
            go = float(g) if m.is_criterion else _cast(g, dt)
            res = grad({"input": x, **rest, "gradOutput": go, **options})
            gi = res["gradInput"]
            flat = [gi] if n is None else list(gi)
            if m.is_criterion:
                flat.append(np.zeros(np.shape(rest["target"])))
            else:
                flat.extend(res[k] for k in gkeys)
            return tuple(flat[i - 1] for i in argnums)
        return vjp

    defvjp_argnums(core, vjpmaker)

    def apply(x, *rest):
        if not m.is_criterion:
            check_arity(m, names, rest, "autograd primitive")
        if isinstance(x, (list, tuple, SequenceBox)):
            xs = _entries(x)
            return core(len(xs), *xs, *rest)
        return core(None, x, *rest)

    apply.__name__ = m.name
    apply.__doc__ = f"autograd primitive of nnfunc {m!r}"
    apply.nnfunc_function = fn
    return apply
