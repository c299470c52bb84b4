from ._pointwise import PointwiseCriterion, select


class DistKLDivCriterion(PointwiseCriterion):
    """Kullback-Leibler divergence of a target distribution from log-probabilities.

    Torch7: ``nn.DistKLDivCriterion()`` with the field ``sizeAverage``
    (default true), here a keyword argument. ``input``: log-probabilities,
    any shape; ``target``: probabilities, a float array of the input's type,
    dtype and shape. ``loss = sum over t > 0 of t (log t - x)``, divided by
    ``numel`` (an elementwise mean, not per sample) when ``sizeAverage``.
    Gradient ``-t`` where ``t > 0``, else 0 (``[/ numel] * gradOutput``).
    Entries with ``t <= 0`` (or NaN) add nothing, as Torch7; PyTorch gives
    NaN for a negative target and a gradient of ``-t`` everywhere. PyTorch:
    ``F.kl_div(x, t, reduction='mean' if sizeAverage else 'sum')`` (2.x
    warns about 'mean'; ``(xlogy(t, t) - t x).mean()`` is the same).
    """

    op = "kl_div"

    def __init__(self, *, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def term(self, xp, x, t):
        pos = t > 0
        tp = select(xp, pos, t, 0.0)
        return tp * (xp.log(select(xp, pos, t, 1.0)) - x)

    def deriv(self, xp, x, t):
        return -select(xp, t > 0, t, 0.0)
