from ._reduce import Reduction


class Sum(Reduction):
    """Sum over one dimension: ``y = sum_k x[..., k, ...]``.

    Torch7: ``nn.Sum(dimension=1, nInputDims=nil, sizeAverage=false,
    squeeze=true)``, with a **0-based** ``dimension`` (default 0; negative
    counts from the end). With ``nInputDims`` and an input of
    ``nInputDims + 1`` dimensions, dim 0 is a batch and a non-negative
    ``dimension`` is shifted by one (Torch7's rule). ``sizeAverage``:
    divide by the size of the dimension (a mean; NaN over an empty
    dimension). ``squeeze``: remove the dimension (else keep it with size
    1). A 1-D input with ``squeeze`` gives a **0-d** array (Torch7: shape
    (1)), as NumPy and PyTorch. Gradient: ``gradOutput`` broadcast back
    along the dimension (divided by its size with ``sizeAverage``).
    """

    backends = ("cpu", "gpu")

    def __init__(self, dimension=0, nInputDims=None, sizeAverage=False, squeeze=True):
        super().__init__(dimension, nInputDims)
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)
        self.squeeze = self.bool_arg("squeeze", squeeze)
        self.keepdim = not self.squeeze

    def _repr_args(self):
        return (super()._repr_args()
                + ("" if not self.sizeAverage and self.squeeze
                   else f", sizeAverage={self.sizeAverage}, squeeze={self.squeeze}"))

    def forward(self, xp, d, info):
        axis, n, out = info
        y = xp.sum(d["input"], axis=axis, keepdims=True)
        if self.sizeAverage:
            y = y / n
        return xp.reshape(y, out)      # a 0-d array, never a NumPy scalar

    def forward_cpu(self, k, d, info, y):
        k.sum_update_output(d["input"], y, *self._view(d, info), self.sizeAverage)

    def backward_cpu(self, k, d, info, out):
        k.sum_update_grad_input(d["gradOutput"], out["gradInput"], *self._view(d, info),
                                self.sizeAverage)

    # -- CuPy path (reduce.cu) ----------------------------------------------
    def _scale(self, n):
        return (1.0 / n if n else float("nan")) if self.sizeAverage else 1.0

    def forward_gpu(self, g, d, info, y):
        outer, n, inner = self._view(d, info)
        g.sum_forward(d["input"], y, outer, n, inner, self._scale(n))

    def backward_gpu(self, g, d, info, out):
        outer, n, inner = self._view(d, info)
        g.sum_backward(d["gradOutput"], out["gradInput"], outer, n, inner, self._scale(n))

    def backward(self, xp, d, info):
        axis, n, _ = info
        x, go = d["input"], d["gradOutput"]
        g = self._expand(xp, go, axis)
        if self.sizeAverage:
            g = g / n
        return {"gradInput": xp.broadcast_to(g, tuple(x.shape)) * 1}
