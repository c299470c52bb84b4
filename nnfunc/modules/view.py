from ._view import ViewOp, numel, sizes_arg


class View(ViewOp):
    """View with given sizes (one may be -1), with Torch7's batch inference.

    Torch7: ``nn.View(...sizes)`` (ints or one LongStorage) and
    ``:setNumInputDims(n)`` -> keyword ``numInputDims``. Torch7's rule: let
    ``e`` be the element count of the last ``numInputDims`` dims (all dims
    when unset) and ``p`` the product of the sizes other than -1; ``e % p``
    must be 0. The batch size is ``e / p`` (1 when a -1 is given) times the
    product of the dims before the last ``numInputDims``; output
    ``(batch, *sizes)``, except that a batch of 1 is dropped (output
    ``sizes``) unless ``numInputDims`` is set and the input has more dims.
    The result is a view of the input (NumPy, contiguous input). Gradient:
    ``gradOutput`` reshaped as ``input``.
    """

    def __init__(self, *sizes, numInputDims=None):
        self.size = sizes_arg(self, "sizes", sizes, allow_minus_one=True)
        self.numElements = numel(s for s in self.size if s != -1)
        self.numInputDims = (None if numInputDims is None
                             else self.int_arg("numInputDims", numInputDims))

    def _repr_args(self):
        s = ", ".join(map(str, self.size))
        return s + ("" if self.numInputDims is None else f", numInputDims={self.numInputDims}")

    def _mismatch(self, shape):
        self.fail(f"'input' of shape {shape} cannot be viewed as {self.size}"
                  + ("" if self.numInputDims is None
                     else f" with numInputDims={self.numInputDims}"))

    def out_shape(self, x):
        shape = tuple(x.shape)
        nd = len(shape)
        nin = self.numInputDims
        maxdim = nd if nin is None else nin
        if maxdim > nd:
            self.fail(f"'input' of shape {shape} has fewer than numInputDims={nin} dims")
        ine = numel(shape[nd - maxdim:])
        if ine % self.numElements:
            self._mismatch(shape)
        has_free = -1 in self.size
        bsz = 1 if has_free else ine // self.numElements
        bsz *= numel(shape[:nd - maxdim])
        batch = not (bsz == 1 and (nin is None or nd <= nin))
        if has_free:
            free = ine // self.numElements if batch else numel(shape) // self.numElements
            sizes = tuple(free if s == -1 else s for s in self.size)
        else:
            sizes = self.size
        out = ((bsz,) if batch else ()) + sizes
        if numel(out) != numel(shape):
            self._mismatch(shape)
        return out
