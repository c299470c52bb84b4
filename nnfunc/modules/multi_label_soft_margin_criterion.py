from ._pointwise import PointwiseCriterion, sigmoid, softplus


class MultiLabelSoftMarginCriterion(PointwiseCriterion):
    """Multi-label logistic loss of scores (binary cross-entropy on logits).

    Torch7: ``nn.MultiLabelSoftMarginCriterion(weights=nil, sizeAverage=true)``.
    ``input``: scores ``(C)`` or ``(N, C)``; ``target``: a float array of
    the input's type, dtype and shape, of 0 / 1. ``loss = sum w (softplus(x)
    - t x)`` = ``-sum w (t log s + (1 - t) log(1 - s))``, ``s = sigmoid(x)``,
    divided by ``numel`` when ``sizeAverage``. Torch7 ran a Sigmoid then a
    BCECriterion (with its ``1e-12`` inside the logs); we use the stable
    form, which agrees except where ``s`` rounds to 0 or 1. Gradient ``w
    (sigmoid(x) - t) [/ numel] * gradOutput``. ``weights``: one per column
    (the last dimension), as in :class:`BCECriterion`. PyTorch:
    ``F.binary_cross_entropy_with_logits(x, t, weight=w.expand_as(x),
    reduction='mean' if sizeAverage else 'sum')`` (``F.multilabel_soft_margin_loss``
    averages over classes first, which differs when ``sizeAverage=False``).
    """

    op = "ml_soft_margin"
    _2d_only = True

    def __init__(self, weights=None, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)
        self._set_weights(weights)

    def term(self, xp, x, t):
        return softplus(xp, x) - t * x

    def deriv(self, xp, x, t):
        return sigmoid(xp, x) - t
