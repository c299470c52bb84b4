from ._table import TableModule


class CSubTable(TableModule):
    """Elementwise difference of a pair: ``y = x_0 - x_1``.

    Torch7: ``nn.CSubTable()``. ``input``: a list of exactly two arrays of one
    shape (Torch7 silently ignores further entries; here they are an error);
    ``output``: that shape. Gradient: ``gradInput = [gradOutput, -gradOutput]``
    (the first a fresh copy, never an alias of ``gradOutput``).
    """

    def check(self, d):
        return self.same_shapes(self.table(d, 2))

    def forward(self, xp, d, info):
        x0, x1 = d["input"]
        return x0 - x1

    def backward(self, xp, d, info):
        go = d["gradOutput"]
        return {"gradInput": [xp.asarray(go, copy=True), -go]}
