from ._view import ViewOp


class Unsqueeze(ViewOp):
    """Insert a size-1 dimension.

    Torch7: ``nn.Unsqueeze(pos, numInputDims=nil)``, with a **0-based**
    ``pos`` in ``[0, numInputDims]``; the new dim lands at
    ``pos + input.ndim - numInputDims`` (``numInputDims`` unset: the input's
    own ndim, so no shift). Torch7 remembered the first call's ndim as
    ``numInputDims`` when unset; nnfunc does not (pure). A view of the
    input (NumPy). Gradient: ``gradOutput`` reshaped as ``input``.
    """

    def __init__(self, pos, numInputDims=None):
        self.pos = self.int_arg("pos", pos, minimum=0)
        self.numInputDims = (None if numInputDims is None
                             else self.int_arg("numInputDims", numInputDims))

    def _repr_args(self):
        return f"{self.pos}" + (
            "" if self.numInputDims is None else f", numInputDims={self.numInputDims}")

    def out_shape(self, x):
        shape = tuple(x.shape)
        nd = len(shape)
        offset = 0 if self.numInputDims is None else nd - self.numInputDims
        if offset < 0:
            self.fail(f"'input' of shape {shape} has fewer than numInputDims="
                      f"{self.numInputDims} dims")
        p = self.pos + offset
        if p > nd:
            self.fail(f"pos {self.pos} is out of range for 'input' of shape {shape}")
        return shape[:p] + (1,) + shape[p:]
