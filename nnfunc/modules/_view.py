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


def reshape_tail(xp, a, src, dst):
    """``reshape(a, dst)`` for ``a`` of shape ``src``. Where the two shapes
    share leading sizes and the rest is neither one merge nor one split
    (``(N, 4, 5)`` to ``(N, 2, 10)``), the rest is merged first, then split:
    Dask reshapes a batch-chunked array only in such steps (each a view on
    NumPy)."""
    k = 0
    while k < min(len(src), len(dst)) and src[k] == dst[k]:
        k += 1
    if 0 < k and len(src) - k > 1 and len(dst) - k > 1:
        a = xp.reshape(a, tuple(src[:k]) + (numel(src[k:]),))
    return xp.reshape(a, dst)


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
        return reshape_tail(xp, d["input"], info[0], info[1])

    def backward(self, xp, d, info):
        return {"gradInput": reshape_tail(xp, d["gradOutput"], info[1], info[0])}


def numel(shape):
    return math.prod(shape)
