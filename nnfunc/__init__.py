"""nnfunc: neural-network layers as plain, stateless functions.

Every Torch7 ``nn`` module becomes a pure function of a dict::

    import nnfunc
    layer, grad_layer = nnfunc.nn.Linear(10, 100)
    layer({"input": x, "weight": W, "bias": b})            # {"output": y}
    layer({"input": x, "weight": W, "bias": b, "gradOutput": gy})
    # {"gradInput": gx, "gradWeight": gW, "gradBias": gb}

NumPy input runs compiled Cython/BLAS kernels, any other array-API
namespace the generic implementation. See the README for the contract.
"""

from ._core.errors import InputError, InputTypeError
from ._core.functional import Function, GradFunction, gradsOf, grads_of
from ._core.module import Criterion, Module
from ._core.functionalize import functionalize
from ._core import dispatch

__version__ = "0.1.0"

__all__ = [
    "Criterion", "Function", "GradFunction", "InputError", "InputTypeError",
    "Module", "dispatch", "functionalize", "gradsOf", "grads_of", "nn",
]

nn = functionalize("nn")
