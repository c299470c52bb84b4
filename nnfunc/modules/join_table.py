from ._table import TableModule


class JoinTable(TableModule):
    """Concatenate a table of arrays along a dimension.

    Torch7: ``nn.JoinTable(dimension, nInputDims=nil)``, with a **0-based**
    ``dimension`` (negative counts from the end). When ``nInputDims`` is
    given and ``input[0]`` has ``nInputDims + 1`` dimensions, the first one
    is a batch and a non-negative ``dimension`` is shifted by one (Torch7's
    rule, as :class:`SplitTable`). ``input``: a list of arrays of one
    number of dimensions, equal in every size but ``dimension``; ``output``:
    their concatenation. Gradient: ``gradInput[i]`` is the matching slice of
    ``gradOutput`` (a NumPy view of it: no copy).
    """

    def __init__(self, dimension, nInputDims=None):
        self.dimension = self.int_arg("dimension", dimension, minimum=-2**31)
        self.nInputDims = None if nInputDims is None else self.int_arg("nInputDims", nInputDims)

    def _repr_args(self):
        return f"{self.dimension}" + ("" if self.nInputDims is None else f", {self.nInputDims}")

    def check(self, d):
        xs = self.table(d)
        x0 = xs[0]
        nd = x0.ndim
        dim = self.axis_arg("input[0]", x0, self.dimension, self.nInputDims)
        shape0 = tuple(x0.shape)
        sizes = [shape0[dim]]
        for i, x in enumerate(xs[1:], 1):
            s = tuple(x.shape)
            if len(s) != nd or s[:dim] != shape0[:dim] or s[dim + 1:] != shape0[dim + 1:]:
                want = shape0[:dim] + ("*",) + shape0[dim + 1:]
                self.fail(f"'input[{i}]' has shape {s}, expected "
                          f"({', '.join(map(str, want))}) (the shape of input[0] except "
                          f"along dimension {dim})")
            sizes.append(s[dim])
        out = shape0[:dim] + (sum(sizes),) + shape0[dim + 1:]
        return dim, tuple(sizes), out

    def output_shape(self, info):
        return info[2]

    def forward(self, xp, d, info):
        xs = d["input"]
        if len(xs) == 1:
            return xp.asarray(xs[0], copy=True)
        return xp.concat(xs, axis=info[0])

    def backward(self, xp, d, info):
        axis, sizes, _ = info
        go = d["gradOutput"]
        lead = (slice(None),) * axis
        gi, start = [], 0
        for s in sizes:
            gi.append(go[lead + (slice(start, start + s), ...)])
            start += s
        return {"gradInput": gi}
