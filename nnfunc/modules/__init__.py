"""The built-in catalogue of Torch7 ``nn`` modules, as nnfunc module classes.

``nnfunc.functionalize("nn")`` (run on import) exposes each class here as a
function constructor under ``nnfunc.nn``.
"""

from .tanh import Tanh
