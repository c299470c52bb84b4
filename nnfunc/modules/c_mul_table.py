from ._table import TableModule


class CMulTable(TableModule):
    """Elementwise product of a table: ``y = prod_i x_i``.

    Torch7: ``nn.CMulTable()``. ``input``: a list of arrays of one shape;
    ``output``: that shape. Gradient: ``gradInput[i] = gradOutput *
    prod_{j != i} x_j``, a product of the other entries (as Torch7, which
    never divides, so zeros in the input are handled exactly); computed with
    prefix and suffix products (linear in the table length).
    """

    def check(self, d):
        return self.same_shapes(self.table(d))

    def forward(self, xp, d, info):
        xs = d["input"]
        y = xp.asarray(xs[0], copy=True) if len(xs) == 1 else xs[0] * xs[1]
        for x in xs[2:]:
            y = y * x
        return y

    def backward(self, xp, d, info):
        xs, go = d["input"], d["gradOutput"]
        n = len(xs)
        # left[i] = go * x_0 * ... * x_{i-1}; right product folded in from the end
        left = [go]
        for x in xs[:-1]:
            left.append(left[-1] * x)
        gi = [None] * n
        right = None
        for i in range(n - 1, -1, -1):
            gi[i] = left[i] if right is None else left[i] * right
            right = xs[i] if right is None else right * xs[i]
        if n == 1:
            gi[0] = xp.asarray(go, copy=True)
        return {"gradInput": gi}
