from .._core.module import Module


class Replicate(Module):
    """Repeat the input ``nf`` times along a new dimension.

    Torch7: ``nn.Replicate(nf, dim=1, ndim=nil)``, with a **0-based** ``dim``
    (default 0) in ``[0, input.ndim]``, shifted by one when ``ndim`` is set
    and the input has more than ``ndim`` dims (a batch). Output: shape
    ``input.shape`` with ``nf`` inserted at that position. As in Torch7 it
    is a stride-0 broadcast of the input on NumPy (no copy; read-only).
    Gradient: ``gradOutput`` summed over the new dimension.
    """

    def __init__(self, nf, dim=0, ndim=None):
        self.nfeatures = self.int_arg("nf", nf, minimum=0)
        self.dim = self.int_arg("dim", dim, minimum=0)
        self.ndim = None if ndim is None else self.int_arg("ndim", ndim, minimum=0)

    def _repr_args(self):
        return f"{self.nfeatures}, {self.dim}" + ("" if self.ndim is None else f", {self.ndim}")

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        rdim = self.dim + (1 if self.ndim is not None and len(shape) > self.ndim else 0)
        if rdim > len(shape):
            self.fail(f"dim {self.dim} is out of range for 'input' of shape {shape}")
        return rdim, shape[:rdim] + (self.nfeatures,) + shape[rdim:]

    def output_shape(self, info):
        return info[1]

    def forward(self, xp, d, info):
        rdim, out = info
        return xp.broadcast_to(xp.expand_dims(d["input"], axis=rdim), out)

    def backward(self, xp, d, info):
        return {"gradInput": xp.sum(d["gradOutput"], axis=info[0])}
