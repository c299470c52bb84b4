from ._table import TableModule

_EPS = 1e-12


class CosineDistance(TableModule):
    """Row-wise cosine similarity of a pair.

    Torch7: ``nn.CosineDistance()``. ``input``: two arrays of one shape,
    ``(D)`` or ``(N, D)``; ``output``: ``(N)``, or a 0-d array for 1-D input
    (Torch7 returns shape ``(1)``; nnfunc follows API.md: reductions of a 1-D
    input are 0-d). Formula (Torch7's, epsilon 1e-12 inside each squared
    norm)::

        y = <x0, x1> / sqrt((|x0|^2 + 1e-12) * (|x1|^2 + 1e-12))

    Gradient: the exact derivative of that formula, as Torch7 computes it:
    ``gradInput[0] = go * w * (x1 - <x0, x1> x0 / (|x0|^2 + 1e-12))`` with
    ``w = 1 / sqrt(...)`` (and symmetrically for ``x1``). PyTorch's
    ``cosine_similarity`` clamps the norms by its eps instead; the two agree
    to ~1e-12 away from zero vectors. A zero row gives 0 (no NaN).
    """

    def check(self, d):
        return self.row_output(self.pair_rows(d))

    def _parts(self, xp, x0, x1):
        # xp.asarray: NumPy reduces a 1-D input to a scalar, not a 0-d array
        dot = xp.asarray(xp.sum(x0 * x1, axis=-1))
        n0 = xp.asarray(xp.sum(x0 * x0, axis=-1) + _EPS)
        n1 = xp.asarray(xp.sum(x1 * x1, axis=-1) + _EPS)
        # two square roots, not sqrt(n0 * n1): the product could overflow in float32
        return dot, n0, n1, xp.asarray((1.0 / xp.sqrt(n0)) * (1.0 / xp.sqrt(n1)))

    def forward(self, xp, d, info):
        x0, x1 = d["input"]
        dot, _, _, w = self._parts(xp, x0, x1)
        return xp.asarray(dot * w)

    def backward(self, xp, d, info):
        (x0, x1), go = d["input"], d["gradOutput"]
        dot, n0, n1, w = self._parts(xp, x0, x1)
        e = lambda a: xp.expand_dims(a, axis=-1)  # noqa: E731
        gw = e(go * w)
        return {"gradInput": [gw * (x1 - e(dot / n0) * x0), gw * (x0 - e(dot / n1) * x1)]}
