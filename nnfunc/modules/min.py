from ._reduce import ArgReduction


class Min(ArgReduction):
    """Minimum over one dimension: ``y = min_k x[..., k, ...]``.

    Torch7: ``nn.Min(dimension=1, nInputDims=nil)``, with a **0-based**
    ``dimension`` (default 0) and Sum's batch rule for ``nInputDims``. The
    dimension is removed; a 1-D input gives a **0-d** array (Torch7: shape
    (1)). Gradient: ``gradOutput`` goes to the position of the minimum; on
    ties, to the **first** minimum. An empty dimension is an error.
    """

    is_max = False

    def _reduce(self, xp, x, axis):
        return xp.min(x, axis=axis, keepdims=True)

    def _arg(self, xp, x, axis):
        return xp.argmin(x, axis=axis, keepdims=True)
