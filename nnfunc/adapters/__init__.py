"""Adapters that register nnfunc functions as primitives of autodiff frameworks.

``nnfunc.adapters.autograd``  HIPS autograd (``autograd.extend.primitive``)
``nnfunc.adapters.jax``       JAX (``jax.custom_vjp``; jit-compatible)

Each turns an nnfunc eval function into a framework function
``apply(input, *params)`` (a module, parameters in ``fn.module.params``
order) or ``apply(input, target)`` (a criterion) whose gradient is nnfunc's
grad function. The frameworks are optional: importing an adapter needs its
framework installed, the rest of nnfunc does not.
"""

__all__ = ["autograd", "jax"]


def param_order(fn):
    """The parameter names of an nnfunc function, in the adapters' argument order."""
    return tuple(fn.module.params)


def grad_key(p):
    return "grad" + p[0].upper() + p[1:]


def check_function(fn, where):
    from .._core.errors import InputTypeError
    from .._core.functional import Function
    if not isinstance(fn, Function):
        raise InputTypeError(
            f"{where}: expected an nnfunc eval function such as nnfunc.nn.Linear(10, 5), "
            f"got {type(fn).__name__}")
    return fn.module


def check_arity(m, names, params, where):
    from .._core.errors import InputTypeError
    if len(params) != len(names):
        raise InputTypeError(
            f"{m.name} ({where}): expected {len(names)} parameter array(s) "
            f"{', '.join(names) or '(none)'} after the input, got {len(params)}")
