from .identity import Identity


class Contiguous(Identity):
    """Contiguous: ``y = x``, C-contiguous.

    Torch7: ``nn.Contiguous()``. The frontend already hands NumPy input over
    as a C-contiguous array (copying only a non-contiguous one), so the
    output is that array, no further copy; other namespaces have no layout
    to choose and get ``x`` itself. Gradient: ``gradInput = gradOutput``
    (C-contiguous, same rule). Tables are refused.
    """

    def check(self, d):
        return tuple(d["input"].shape)
