"""Shared base of the pure reshapes (Reshape, View, Squeeze, Unsqueeze, Collapse)."""

import math

from .._core.module import Module


def sizes_arg(m, name, sizes, allow_minus_one=False):
    """Validate a list of sizes given as ints or as one tuple/list of ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not sizes:
        m.fail(f"argument {name} must name at least one size")
    out = tuple(m.int_arg(name, s, minimum=-1 if allow_minus_one else 1) for s in sizes)
    if allow_minus_one:
        if 0 in out:
            m.fail(f"argument {name} must hold sizes >= 1 or one -1, got {out}")
        if out.count(-1) > 1:
            m.fail(f"argument {name} may hold at most one -1, got {out}")
    return out


class ViewOp(Module):
    """A reshape of the input: ``info = (input shape, output shape)``.

    ``forward`` is ``reshape(x, out)`` and ``backward`` ``reshape(gradOutput,
    x.shape)``: NumPy views (no copy) of contiguous arrays.
    Subclasses implement :meth:`out_shape`.
    """

    def out_shape(self, x):
        raise NotImplementedError

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        return shape, tuple(self.out_shape(x))

    def output_shape(self, info):
        return info[1]

    def forward(self, xp, d, info):
        return xp.reshape(d["input"], info[1])

    def backward(self, xp, d, info):
        return {"gradInput": xp.reshape(d["gradOutput"], info[0])}


def numel(shape):
    return math.prod(shape)
