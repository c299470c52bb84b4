from ._pointwise import PointwiseCriterion

_EPS = 1e-12


class BCECriterion(PointwiseCriterion):
    """Binary cross-entropy of probabilities.

    Torch7: ``nn.BCECriterion(weights=nil, sizeAverage=true)``. ``input``:
    probabilities in ``[0, 1]``, any shape; ``target``: a float array of
    the input's type, dtype and shape (values in ``[0, 1]``).

    ``loss = -sum w (t log(x + eps) + (1 - t) log(1 - x + eps)) [/ numel]``,
    ``eps = 1e-12`` (Torch7's; PyTorch clamps the logs at -100 instead: the
    two agree for ``x`` clear of 0 and 1). Gradient ``w (x - t) / ((1 - x +
    eps)(x + eps)) [/ numel] * gradOutput``. ``weights``: None or a 1-D
    array-like of one weight per column: with weights the input must be
    ``(C)`` or ``(N, C)`` and the weights apply along the last dimension,
    as Torch7 (stored as float64, converted per call). ``sizeAverage``
    divides by ``numel``, not by the weights' sum (Torch7 and PyTorch).
    An input outside ``[0, 1]`` gives NaN (the log of a negative number)
    rather than an error: checking would cost a pass over the input.
    PyTorch: ``F.binary_cross_entropy(x, t, weight=w.expand_as(x),
    reduction='mean' if sizeAverage else 'sum')``.
    """

    op = "bce"

    def __init__(self, weights=None, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)
        self._set_weights(weights)

    def term(self, xp, x, t):
        return -(t * xp.log(x + _EPS) + (1 - t) * xp.log(1 - x + _EPS))

    def deriv(self, xp, x, t):
        return (x - t) / ((1 - x + _EPS) * (x + _EPS))
