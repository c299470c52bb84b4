"""Shared base of the reductions along one dimension (Sum, Mean, Max, Min)."""

import numpy as np

from .._core.module import Module


class Reduction(Module):
    """A reduction over one dimension of the input.

    ``info`` is ``(axis, n, output shape)``; the dimension is removed (a 1-D
    input gives a 0-d array, where Torch7 gave shape (1)).
    """

    keepdim = False
    backends = ("cpu",)
    kernel = "reduce"

    def __init__(self, dimension=0, nInputDims=None):
        self.dimension = self.int_arg("dimension", dimension, minimum=-2**31)
        self.nInputDims = None if nInputDims is None else self.int_arg("nInputDims", nInputDims)

    def _repr_args(self):
        return f"{self.dimension}" + ("" if self.nInputDims is None else f", {self.nInputDims}")

    def check(self, d):
        x = d["input"]
        axis = self.axis_arg("input", x, self.dimension, self.nInputDims)
        shape = tuple(x.shape)
        out = shape[:axis] + ((1,) if self.keepdim else ()) + shape[axis + 1:]
        return axis, shape[axis], out

    def output_shape(self, info):
        return info[2]

    @staticmethod
    def _view(d, info):
        """The input as (outer, n, inner) around the reduced axis (for the kernels)."""
        shape = d["input"].shape
        axis, n, _ = info
        outer = inner = 1
        for s in shape[:axis]:
            outer *= s
        for s in shape[axis + 1:]:
            inner *= s
        return outer, n, inner

    def _expand(self, xp, go, axis):
        """``gradOutput`` with the reduced axis back (size 1)."""
        return go if self.keepdim else xp.expand_dims(go, axis=axis)


class ArgReduction(Reduction):
    """Max / Min: the value at the first extremum; the gradient goes there."""

    #: Max (True) or Min (False), for the kernel
    is_max = True
    backends = ("cpu", "gpu")

    def check(self, d):
        info = super().check(d)
        if info[1] == 0:
            self.fail(f"cannot take the {self.name.lower()} over dimension "
                      f"{self.dimension} of size 0 ('input' of shape {tuple(d['input'].shape)})")
        return info

    def _arg(self, xp, x, axis):
        raise NotImplementedError

    def forward_cpu(self, k, d, info, y):
        k.arg_update_output(d["input"], y, *self._view(d, info), self.is_max)

    def backward_cpu(self, k, d, info, out):
        if info[1] >= 2**31:         # the kernel keeps int32 indices: generic math
            out["gradInput"][...] = self.backward(np, d, info)["gradInput"]
            return
        k.arg_update_grad_input(d["input"], d["gradOutput"], out["gradInput"],
                                *self._view(d, info), self.is_max)

    # -- CuPy path (reduce.cu) ----------------------------------------------
    def forward_gpu(self, g, d, info, y):
        g.arg_forward(d["input"], y, *self._view(d, info), self.is_max)

    def backward_gpu(self, g, d, info, out):
        g.arg_backward(d["input"], d["gradOutput"], out["gradInput"], *self._view(d, info),
                       self.is_max)

    def forward(self, xp, d, info):
        axis, _, out = info
        # keepdims, then reshape: a 0-d array, never a NumPy scalar
        return xp.reshape(self._reduce(xp, d["input"], axis), out)

    def backward(self, xp, d, info):
        axis, n, _ = info
        x, go = d["input"], d["gradOutput"]
        idx = self._arg(xp, x, axis)                       # keepdims: size 1 on axis
        shape = [1] * x.ndim
        shape[axis] = n
        pos = xp.reshape(xp.arange(n, dtype=idx.dtype), tuple(shape))
        g = xp.expand_dims(go, axis=axis)
        return {"gradInput": xp.where(pos == idx, g, xp.zeros_like(g))}
