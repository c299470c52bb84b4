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

import sys as _sys


def _use_installed_copy():
    """Hand over to the installed nnfunc when imported from an unbuilt checkout.

    ``python -m nnfunc`` (or ``python -m pytest``) in the repository root puts
    the source folder first on ``sys.path``; it has no compiled kernels. If an
    installed, built copy is on the path, load that one instead (it replaces
    this module in ``sys.modules``) and return True. With no built copy
    anywhere, fail with a clear message rather than at the first kernel call.
    """
    import importlib.machinery
    import importlib.util
    import os

    if __spec__ is not None and "editable" in type(__spec__.loader).__module__:
        return False                      # meson-python editable build
    here = os.path.dirname(os.path.abspath(__file__))

    def built(folder):
        return any(os.path.exists(os.path.join(folder, "_cpu", "linear" + sfx))
                   for sfx in importlib.machinery.EXTENSION_SUFFIXES)

    if built(here) or not os.path.exists(os.path.join(here, "..", "meson.build")):
        return False
    for entry in _sys.path:
        folder = os.path.join(os.path.abspath(entry or os.curdir), "nnfunc")
        if folder != here and os.path.isfile(os.path.join(folder, "__init__.py")) \
                and built(folder):
            spec = importlib.util.spec_from_file_location(
                __name__, os.path.join(folder, "__init__.py"),
                submodule_search_locations=[folder])
            module = importlib.util.module_from_spec(spec)
            _sys.modules[__name__] = module
            spec.loader.exec_module(module)
            return True
    raise ImportError(
        f"nnfunc is imported from its source folder {here}, which has no compiled "
        "kernels, and no installed copy was found: install it with `pip install .` "
        "or build it in place with `pip install --no-build-isolation -e .`")


if not _use_installed_copy():
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
