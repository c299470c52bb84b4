from ._table import TableModule


class MV(TableModule):
    """Matrix-vector product of a pair: ``y = op(M) @ v``.

    Torch7: ``nn.MV(trans=false)``; ``op`` transposes the last two dimensions
    when ``trans`` is set. ``input``: ``[M, v]`` with ``op(M)`` (m, n) and
    ``v`` (n) -> ``output`` (m); or batched, ``M`` 3-D and ``v`` (N, n) with
    one batch size N -> (N, m). Gradient, with ``g = gradOutput``:
    ``d op(M) = outer(g, v)`` (transposed back when ``trans``),
    ``dv = op(M)^T g``.
    """

    def __init__(self, trans=False):
        self.trans = self.bool_arg("trans", trans)

    def _repr_args(self):
        return f"{self.trans}"

    def check(self, d):
        M, v = self.table(d, 2)
        nd = self.check_ndim("input[0]", M, (2, 3))
        sm, sv = tuple(M.shape), tuple(v.shape)
        if v.ndim != nd - 1:
            self.fail(f"'input[1]' must be {nd - 1}-D (input[0] is {nd}-D), got shape {sv}")
        if nd == 3 and sm[0] != sv[0]:
            self.fail(f"'input[1]' has batch size {sv[0]}, expected {sm[0]} (that of "
                      f"'input[0]')")
        m, n = (sm[-1], sm[-2]) if self.trans else (sm[-2], sm[-1])
        if sv[-1] != n:
            self.fail(f"'input[1]' has shape {sv}: length {sv[-1]}, expected {n} (the "
                      f"columns of op(input[0]), shape {sm})")
        return sm[:-2] + (m,)

    def forward(self, xp, d, info):
        M, v = d["input"]
        if self.trans:
            M = xp.matrix_transpose(M)
        return xp.matmul(M, xp.expand_dims(v, axis=-1))[..., 0]

    def backward(self, xp, d, info):
        (M, v), g = d["input"], d["gradOutput"]
        e = xp.expand_dims
        gM = e(v, axis=-1) * e(g, axis=-2) if self.trans else e(g, axis=-1) * e(v, axis=-2)
        opM = xp.matrix_transpose(M) if self.trans else M
        gv = xp.matmul(xp.matrix_transpose(opM), e(g, axis=-1))[..., 0]
        return {"gradInput": [gM, gv]}
