from .._core.module import Module


class CAddTable(Module):
    """Elementwise sum of a table: ``y = sum_i x_i``.

    Torch7: ``nn.CAddTable(inplace=false)`` (``inplace`` has no effect).
    ``input``: a list of arrays of one shape; ``output``: that shape.
    Gradient: ``gradInput[i] = gradOutput`` for every entry (each a fresh
    array, never an alias of ``gradOutput``).
    """

    table_input = True

    def __init__(self, inplace=False):
        self.inplace = self.bool_arg("inplace", inplace)

    def check(self, d):
        xs = d["input"]
        shape = tuple(xs[0].shape)
        for i, x in enumerate(xs[1:], 1):
            self.check_shape(f"input[{i}]", x, shape, "(the shape of input[0])")
        return shape

    def forward(self, xp, d, info):
        xs = d["input"]
        y = xs[0] + xs[1] if len(xs) > 1 else xp.asarray(xs[0], copy=True)
        for x in xs[2:]:
            y = y + x
        return y

    def backward(self, xp, d, info):
        go = d["gradOutput"]
        return {"gradInput": [xp.asarray(go, copy=True) for _ in d["input"]]}
