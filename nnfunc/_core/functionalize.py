"""``functionalize``: expose every Module/Criterion class of a package."""

import importlib
import inspect
import sys
import types

from .errors import InputError, InputTypeError
from .functional import Function
from .module import Criterion, Module

__all__ = ["functionalize"]

#: package names with a built-in meaning ("nn" is nnfunc's own catalogue).
_ALIASES = {"nn": "nnfunc.modules"}


def _factory(cls):
    def make(*args, **kwargs):
        return Function(cls(*args, **kwargs))

    make.__name__ = cls.__name__
    make.__qualname__ = cls.__name__
    make.__doc__ = cls.__doc__
    make.__wrapped__ = cls
    make.__module__ = cls.__module__
    try:
        make.__signature__ = inspect.signature(cls)
    except (TypeError, ValueError):
        pass
    return make


def functionalize(package):
    """Expose a package's modules as functions under ``nnfunc.<name>``.

    ``package`` is a package name (imported if needed) or a module object.
    Every public class in it that subclasses :class:`nnfunc.Module` (criterions
    included) becomes a constructor of eval functions:
    ``nnfunc.<name>.<Class>(*args)`` returns ``Function(Class(*args))``.
    The namespace is named by the last part of the package's ``__name__``
    (``"nn"`` is nnfunc's built-in catalogue). Returns the namespace.
    """
    if isinstance(package, str):
        short = package.rsplit(".", 1)[-1]
        try:
            mod = importlib.import_module(_ALIASES.get(package, package))
        except ImportError as e:
            raise InputError(f"functionalize: cannot import package {package!r}: {e}") from None
    elif isinstance(package, types.ModuleType):
        mod = package
        short = mod.__name__.rsplit(".", 1)[-1]
        if mod.__name__ == _ALIASES["nn"]:
            short = "nn"
    else:
        raise InputTypeError(
            f"functionalize: expected a package name or module, got {type(package).__name__}")
    ns = types.ModuleType(f"nnfunc.{short}",
                          f"nnfunc functions built from the classes of {mod.__name__}.")
    names = []
    for attr, obj in sorted(vars(mod).items()):
        if (attr.startswith("_") or not isinstance(obj, type)
                or not issubclass(obj, Module) or obj in (Module, Criterion)):
            continue
        setattr(ns, attr, _factory(obj))
        names.append(attr)
    ns.__all__ = names
    top = sys.modules["nnfunc"]
    setattr(top, short, ns)
    return ns
