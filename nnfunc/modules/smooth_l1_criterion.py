from ._pointwise import PointwiseCriterion, select


class SmoothL1Criterion(PointwiseCriterion):
    """Huber loss with threshold 1: ``loss = sum h(x - t) [/ numel]``.

    Torch7: ``nn.SmoothL1Criterion(sizeAverage=true)``. ``h(d) = d^2 / 2``
    where ``|d| < 1``, else ``|d| - 1/2``. ``input``: any shape; ``target``:
    a float array of the input's type, dtype and shape. Gradient
    ``clamp(x - t, -1, 1) [/ numel] * gradOutput``. PyTorch:
    ``F.smooth_l1_loss(x, t, beta=1.0, reduction='mean' if sizeAverage else 'sum')``.
    """

    op = "smooth_l1"

    def __init__(self, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def term(self, xp, x, t):
        d = x - t
        ad = xp.abs(d)
        return xp.where(ad < 1, 0.5 * d * d, ad - 0.5)

    def deriv(self, xp, x, t):
        d = x - t
        d = select(xp, d < -1, -1.0, d)
        return select(xp, d > 1, 1.0, d)
