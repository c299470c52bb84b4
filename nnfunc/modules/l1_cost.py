from ._pointwise import PointwiseCriterion


class L1Cost(PointwiseCriterion):
    """L1 norm of the input: ``loss = sum |x|`` (never averaged).

    Torch7: ``nn.L1Cost()``. ``input``: any shape; a ``target`` is not
    needed (Torch7 ignored it; if given here it is ignored too). Gradient
    ``sign(x) * gradOutput`` with ``sign(0) = 0``. PyTorch: ``x.abs().sum()``.
    """

    op = "l1_cost"
    has_target = False
    sizeAverage = False

    def __init__(self):
        pass

    def _repr_args(self):
        return ""

    def term(self, xp, x, t):
        return xp.abs(x)

    def deriv(self, xp, x, t):
        return xp.sign(x)
