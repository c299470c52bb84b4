from ._view import ViewOp, numel, sizes_arg


class Reshape(ViewOp):
    """Reshape to fixed sizes, with Torch7's batch inference.

    Torch7: ``nn.Reshape(...sizes, batchMode=nil)``. ``sizes`` are ints >= 1
    (or one tuple); a trailing bool in the positional arguments is
    ``batchMode``, as in Torch7 (or pass ``batchMode=`` by keyword).
    Output: ``sizes``, or ``(N, *sizes)`` in batch form. Batch form is used
    when ``batchMode`` is True, or when it is None and either the input's
    element count differs from ``prod(sizes)`` or ``input.shape[0] == 1``
    (Torch7's rule: a leading 1 is taken as a batch of one). The result is
    a view of the input when NumPy can make one (always, for the
    C-contiguous arrays the frontend hands over). Gradient:
    ``gradOutput`` reshaped as ``input``.
    """

    def __init__(self, *sizes, batchMode=None):
        if sizes and isinstance(sizes[-1], bool):
            if batchMode is not None:
                self.fail("batchMode given both positionally and by keyword")
            batchMode = sizes[-1]
            sizes = sizes[:-1]
        self.size = sizes_arg(self, "sizes", sizes)
        self.nelement = numel(self.size)
        self.batchMode = None if batchMode is None else self.bool_arg("batchMode", batchMode)

    def _repr_args(self):
        s = ", ".join(map(str, self.size))
        return s + ("" if self.batchMode is None else f", batchMode={self.batchMode}")

    def out_shape(self, x):
        shape = tuple(x.shape)
        n = numel(shape)
        if self.batchMode is False or x.ndim == 0 or (
                self.batchMode is None and n == self.nelement and shape[0] != 1):
            if n != self.nelement:
                self.fail(f"'input' of shape {shape} has {n} elements, cannot be "
                          f"reshaped to {self.size} ({self.nelement} elements)")
            return self.size
        per = numel(shape[1:])
        if per != self.nelement:
            self.fail(f"'input' of shape {shape} has {per} elements per sample (batch "
                      f"form), cannot be reshaped to {self.size} ({self.nelement} elements)")
        return (shape[0],) + self.size
