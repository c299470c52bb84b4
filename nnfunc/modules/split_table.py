from .._core.module import Module


class SplitTable(Module):
    """Split an array along a dimension into a table of its slices.

    Torch7: ``nn.SplitTable(dimension, nInputDims=nil)``, with a **0-based**
    ``dimension`` (negative counts from the end). When ``nInputDims`` is
    given and the input has ``nInputDims + 1`` dimensions, the first one is
    a batch and a non-negative ``dimension`` is shifted by one (Torch7's
    rule). ``output``: a list of ``input.shape[dimension]`` arrays, the
    slices ``x[..., i, ...]`` (NumPy views of the input: no copy).
    Gradient: ``gradInput = stack(gradOutput, dimension)``.
    """

    def __init__(self, dimension, nInputDims=None):
        self.dimension = self.int_arg("dimension", dimension, minimum=-2**31)
        self.nInputDims = None if nInputDims is None else self.int_arg("nInputDims", nInputDims)

    def _repr_args(self):
        return f"{self.dimension}" + ("" if self.nInputDims is None else f", {self.nInputDims}")

    def check(self, d):
        x = d["input"]
        axis = self.axis_arg("input", x, self.dimension, self.nInputDims)
        rest = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
        return axis, x.shape[axis], rest

    def output_shape(self, info):
        _, n, rest = info
        return [rest] * n

    def forward(self, xp, d, info):
        axis, n, _ = info
        x = d["input"]
        lead = (slice(None),) * axis
        return [x[lead + (i, ...)] for i in range(n)]

    def backward(self, xp, d, info):
        axis, n, rest = info
        go = d["gradOutput"]
        if n == 0:
            x = d["input"]
            return {"gradInput": xp.zeros(x.shape, dtype=x.dtype)}
        return {"gradInput": xp.stack(go, axis=axis)}
