from ._view import ViewOp, numel


class Collapse(ViewOp):
    """Flatten every per-sample dimension.

    Torch7: ``nn.Collapse(nInputDim)``. Output ``(numel,)``, or
    ``(N, numel / N)`` when the input has more than ``nInputDim`` dims (dim
    0 is a batch). A view of the input (NumPy). Gradient: ``gradOutput``
    reshaped as ``input``.
    """

    def __init__(self, nInputDim):
        self.nInputDim = self.int_arg("nInputDim", nInputDim, minimum=0)

    def _repr_args(self):
        return f"{self.nInputDim}"

    def out_shape(self, x):
        shape = tuple(x.shape)
        if len(shape) > self.nInputDim:
            return (shape[0], numel(shape[1:]))
        return (numel(shape),)
