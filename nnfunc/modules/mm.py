from ._table import TableModule


class MM(TableModule):
    """Matrix product of a pair: ``y = op(A) @ op(B)``.

    Torch7: ``nn.MM(transA=false, transB=false)``; ``op`` transposes the last
    two dimensions when its flag is set. ``input``: ``[A, B]``, both 2-D
    (``op(A)`` (m, k), ``op(B)`` (k, n) -> ``output`` (m, n)) or both 3-D
    with one batch size N (-> (N, m, n)). Gradient, with ``G = gradOutput``:
    ``d op(A) = G op(B)^T`` and ``d op(B) = op(A)^T G``, transposed back for a
    set flag.
    """

    def __init__(self, transA=False, transB=False):
        self.transA = self.bool_arg("transA", transA)
        self.transB = self.bool_arg("transB", transB)

    def _repr_args(self):
        return f"{self.transA}, {self.transB}"

    def check(self, d):
        a, b = self.table(d, 2)
        nd = self.check_ndim("input[0]", a, (2, 3))
        if b.ndim != nd:
            self.fail(f"'input[1]' must be {nd}-D like 'input[0]', got shape {tuple(b.shape)}")
        sa, sb = tuple(a.shape), tuple(b.shape)
        if nd == 3 and sa[0] != sb[0]:
            self.fail(f"'input[1]' has batch size {sb[0]}, expected {sa[0]} (that of "
                      f"'input[0]')")
        m, k = (sa[-1], sa[-2]) if self.transA else (sa[-2], sa[-1])
        k2, n = (sb[-1], sb[-2]) if self.transB else (sb[-2], sb[-1])
        if k != k2:
            self.fail(f"'input[1]' has shape {sb}: op(input[1]) has {k2} rows, expected "
                      f"{k} (the columns of op(input[0]), shape {sa})")
        return sa[:-2] + (m, n)

    def forward(self, xp, d, info):
        a, b = d["input"]
        if self.transA:
            a = xp.matrix_transpose(a)
        if self.transB:
            b = xp.matrix_transpose(b)
        return xp.matmul(a, b)

    def backward(self, xp, d, info):
        (a, b), g = d["input"], d["gradOutput"]
        T = xp.matrix_transpose
        opa = T(a) if self.transA else a
        opb = T(b) if self.transB else b
        # gradients of op(A), op(B), written straight in the stored layout
        ga = xp.matmul(opb, T(g)) if self.transA else xp.matmul(g, T(opb))
        gb = xp.matmul(T(g), opa) if self.transB else xp.matmul(T(opa), g)
        return {"gradInput": [ga, gb]}
