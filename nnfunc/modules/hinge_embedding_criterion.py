from ._pointwise import PointwiseCriterion, select


class HingeEmbeddingCriterion(PointwiseCriterion):
    """Hinge embedding loss of distances ``x`` and labels ``t`` of +1 / -1.

    Torch7: ``nn.HingeEmbeddingCriterion(margin=1)`` with the field
    ``sizeAverage`` (default true), here a keyword argument. ``input``: any
    shape; ``target``: a float array of the input's type, dtype and shape
    (Torch7 also took a number: pass a full array). ``loss = sum over t == 1
    of x + sum over t == -1 of max(0, margin - x)``, divided by ``numel``
    when ``sizeAverage``. Gradient: 1 where ``t == 1``, -1 where ``t == -1``
    and ``x <= margin``, else 0. A target value other than +1 / -1 adds
    nothing to the loss and gets a zero gradient (Torch7's forward; its
    gradient was ``t`` there, PyTorch counts such entries in both terms).
    PyTorch: ``F.hinge_embedding_loss(x, t, margin, reduction='mean' if
    sizeAverage else 'sum')`` (the same for +1 / -1 targets).
    """

    op = "hinge"
    margin = 1.0

    def __init__(self, margin=1, *, sizeAverage=True):
        self.margin = self.float_arg("margin", margin)
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def term(self, xp, x, t):
        h = self.margin - x
        h = select(xp, h > 0, h, 0.0)
        return select(xp, t == 1, x, 0.0) + select(xp, t == -1, h, 0.0)

    def deriv(self, xp, x, t):
        pos = xp.astype(t == 1, x.dtype)
        neg = xp.astype((t == -1) & (x <= self.margin), x.dtype)
        return pos - neg
