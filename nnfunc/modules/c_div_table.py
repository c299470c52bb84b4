from ._table import TableModule


class CDivTable(TableModule):
    """Elementwise quotient of a pair: ``y = x_0 / x_1``.

    Torch7: ``nn.CDivTable()``. ``input``: a list of exactly two arrays of one
    shape; ``output``: that shape. Gradient: ``gradInput = [gradOutput / x_1,
    -gradOutput * x_0 / x_1**2]``. Division by zero follows IEEE (inf/NaN), as
    in Torch7.
    """

    def check(self, d):
        return self.same_shapes(self.table(d, 2))

    def forward(self, xp, d, info):
        x0, x1 = d["input"]
        return x0 / x1

    def backward(self, xp, d, info):
        (x0, x1), go = d["input"], d["gradOutput"]
        g0 = go / x1
        return {"gradInput": [g0, -(g0 / x1) * x0]}
