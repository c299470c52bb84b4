from ._pointwise import PointwiseCriterion, select


class MarginCriterion(PointwiseCriterion):
    """Two-class hinge loss: ``loss = sum max(0, margin - x t) [/ numel]``.

    Torch7: ``nn.MarginCriterion(margin=1)`` with the field ``sizeAverage``
    (default true), here a keyword argument. ``input``: any shape;
    ``target``: a float array of the input's type, dtype and shape (values
    +1 / -1). Gradient ``-t`` where ``x t < margin``, else 0 (``[/ numel] *
    gradOutput``; 0 at ``x t == margin``, as Torch7). PyTorch:
    ``torch.clamp(margin - x * t, min=0).mean()`` (or ``.sum()``).
    """

    op = "margin"
    margin = 1.0

    def __init__(self, margin=1, *, sizeAverage=True):
        self.margin = self.float_arg("margin", margin)
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def term(self, xp, x, t):
        h = self.margin - x * t
        return select(xp, h > 0, h, 0.0)

    def deriv(self, xp, x, t):
        return select(xp, x * t < self.margin, -t, 0.0)
