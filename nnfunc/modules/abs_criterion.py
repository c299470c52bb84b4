from ._pointwise import PointwiseCriterion, select


class AbsCriterion(PointwiseCriterion):
    """Mean (or sum of) absolute error: ``loss = sum |x - t| [/ numel]``.

    Torch7: ``nn.AbsCriterion(sizeAverage=true)``. ``input``: any shape;
    ``target``: a float array of the input's type, dtype and shape.
    ``output``: a 0-d array. Gradient ``sign(x - t) [/ numel] *
    gradOutput`` with **sign(0) = +1**, as Torch7's kernel (``x - t >= 0``);
    PyTorch's ``F.l1_loss`` gives 0 there (the two agree away from ``x == t``).
    PyTorch: ``F.l1_loss(x, t, reduction='mean' if sizeAverage else 'sum')``.
    """

    op = "abs"

    def __init__(self, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def term(self, xp, x, t):
        return xp.abs(x - t)

    def deriv(self, xp, x, t):
        d = x - t
        return select(xp, d >= 0, xp.ones_like(d), -1.0)
