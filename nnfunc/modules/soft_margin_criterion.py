from ._pointwise import PointwiseCriterion, sigmoid, softplus


class SoftMarginCriterion(PointwiseCriterion):
    """Two-class logistic loss: ``loss = sum log(1 + exp(-t x)) [/ numel]``.

    Torch7: ``nn.SoftMarginCriterion()`` with the field ``sizeAverage``
    (default true), here a keyword argument. ``input``: any shape;
    ``target``: a float array of the input's type, dtype and shape (values
    +1 / -1). Computed as ``softplus(-t x)`` without overflow (Torch7's
    ``log(1 + exp(-t x))`` overflows to inf for ``-t x`` above ~88 in
    float32; the values agree elsewhere). Gradient ``-t sigmoid(-t x)
    [/ numel] * gradOutput``. PyTorch: ``F.soft_margin_loss(x, t,
    reduction='mean' if sizeAverage else 'sum')``.
    """

    op = "soft_margin"

    def __init__(self, *, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def term(self, xp, x, t):
        return softplus(xp, -t * x)

    def deriv(self, xp, x, t):
        return -t * sigmoid(xp, -t * x)
