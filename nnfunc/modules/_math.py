"""Shared base of the elementwise math modules (Abs, Exp, Power, ...)."""

from ._elementwise import Elementwise


class Pointwise(Elementwise):
    """An elementwise math module with only the generic path (no kernel yet).

    Output and gradInput have the input's shape; any input shape, 0-d
    included.
    """

    backends = ()
