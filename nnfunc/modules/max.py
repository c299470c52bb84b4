from ._reduce import ArgReduction


class Max(ArgReduction):
    """Maximum over one dimension: ``y = max_k x[..., k, ...]``.

    Torch7: ``nn.Max(dimension=1, nInputDims=nil)``, with a **0-based**
    ``dimension`` (default 0; negative counts from the end) and Sum's batch
    rule for ``nInputDims``. The dimension is removed; a 1-D input gives a
    **0-d** array (Torch7: shape (1)). Gradient: ``gradOutput`` goes to the
    position of the maximum, zero elsewhere; on ties, to the **first**
    maximum (the array API's ``argmax`` rule; Torch7's TH ``max`` keeps the
    first one too, PyTorch leaves it unspecified). The argmax is recomputed
    from ``input`` (Torch7 stored it). An empty dimension is an error.
    """

    def _reduce(self, xp, x, axis):
        return xp.max(x, axis=axis, keepdims=True)

    def _arg(self, xp, x, axis):
        return xp.argmax(x, axis=axis, keepdims=True)
