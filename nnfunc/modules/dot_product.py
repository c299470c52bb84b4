from ._table import TableModule


class DotProduct(TableModule):
    """Row-wise dot product of a pair: ``y[n] = sum_d x_0[n, d] * x_1[n, d]``.

    Torch7: ``nn.DotProduct()``. ``input``: two arrays of one shape, ``(D)``
    or ``(N, D)``; ``output``: ``(N)``, or a 0-d array for 1-D input (Torch7
    returns shape ``(1)``; nnfunc follows API.md: reductions of a 1-D input
    are 0-d). Gradient: ``gradInput = [gradOutput[:, None] * x_1,
    gradOutput[:, None] * x_0]``.
    """

    def check(self, d):
        return self.row_output(self.pair_rows(d))

    def forward(self, xp, d, info):
        x0, x1 = d["input"]
        return xp.asarray(xp.sum(x0 * x1, axis=-1))  # NumPy: 0-d array, not a scalar

    def backward(self, xp, d, info):
        (x0, x1), go = d["input"], d["gradOutput"]
        g = xp.expand_dims(go, axis=-1)
        return {"gradInput": [g * x1, g * x0]}
