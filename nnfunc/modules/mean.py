from .sum import Sum


class Mean(Sum):
    """Mean over one dimension: ``Sum(dimension, nInputDims, sizeAverage=True)``.

    Torch7: ``nn.Mean(dimension=1, nInputDims=nil)``, with a **0-based**
    ``dimension`` (default 0) and Sum's batch rule. A 1-D input gives a
    **0-d** array (Torch7: shape (1)). Gradient: ``gradOutput / size``
    broadcast back along the dimension.
    """

    def __init__(self, dimension=0, nInputDims=None):
        super().__init__(dimension, nInputDims, True, True)

    def _repr_args(self):
        return f"{self.dimension}" + ("" if self.nInputDims is None else f", {self.nInputDims}")
