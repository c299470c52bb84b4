from ._view import ViewOp


class Squeeze(ViewOp):
    """Remove size-1 dimensions (one, or all).

    Torch7: ``nn.Squeeze(dim=nil, numInputDims=nil)``, with a **0-based**
    ``dim`` (negative counts from the end). ``dim`` None removes every
    size-1 dim; a given ``dim`` is removed if its size is 1 and left alone
    otherwise (Torch7's ``squeeze(dim)``). With ``numInputDims`` and an
    input of ``numInputDims + 1`` dims, a non-negative ``dim`` is shifted by
    one, and without ``dim`` a batch of size 1 is kept (Torch7's rule).
    Squeezing every dim of an all-ones input gives a 0-d array (Torch7:
    shape (1)). A view of the input (NumPy). Gradient: ``gradOutput``
    reshaped as ``input``.
    """

    def __init__(self, dim=None, numInputDims=None):
        self.dim = None if dim is None else self.int_arg("dim", dim, minimum=-2**31)
        self.numInputDims = (None if numInputDims is None
                             else self.int_arg("numInputDims", numInputDims))

    def _repr_args(self):
        return ("" if self.dim is None else f"{self.dim}") + (
            "" if self.numInputDims is None else f", numInputDims={self.numInputDims}")

    def out_shape(self, x):
        shape = tuple(x.shape)
        nd = len(shape)
        batched = self.numInputDims is not None and nd == self.numInputDims + 1
        if self.dim is None:
            keep_first = batched and nd > 0 and shape[0] == 1
            out = tuple(s for s in shape[1 if keep_first else 0:] if s != 1)
            return ((1,) if keep_first else ()) + out
        dim = self.dim
        if dim >= 0 and batched:
            dim += 1
        elif dim < 0:
            dim += nd
        if not 0 <= dim < nd:
            self.fail(f"dim {self.dim} is out of range for 'input' of shape {shape}")
        if shape[dim] != 1:
            return shape
        return shape[:dim] + shape[dim + 1:]
