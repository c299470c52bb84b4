from .volumetric_max_pooling import VolumetricMaxPooling


class VolumetricDilatedMaxPooling(VolumetricMaxPooling):
    """3-D max pooling over dilated windows.

    Torch7: ``nn.VolumetricDilatedMaxPooling(kT, kW, kH, dT=kT, dW=kW, dH=kH,
    padT=0, padW=0, padH=0, dilationT=1, dilationW=1, dilationH=1)``;
    ``:ceil()`` is ``ceil_mode=True``; ``return_indices=True`` adds
    ``indices`` to the forward (see :class:`VolumetricMaxPooling`, whose
    shapes, tie, NaN, ceil-mode and index rules apply unchanged).

    Tap ``(kt, ky, kx)`` of window ``(i, j, l)`` reads frame
    ``i dT - padT + kt dilationT``, row ``j dH - padH + ky dilationH`` and
    column ``l dW - padW + kx dilationW``; taps in the padding do not count.
    Output size per axis: ``floor((n + 2 pad - dilation (k - 1) - 1) / d) + 1``
    (ceil mode as in VolumetricMaxPooling). PyTorch: ``F.max_pool3d(x, (kT,
    kH, kW), (dT, dH, dW), (padT, padH, padW), dilation=(dilationT, dilationH,
    dilationW), ceil_mode=ceil_mode)``.

    Decision: with padding and dilation > 1, Torch7's kernel skipped the
    leading padding by stepping the window start in whole dilations and
    counted the taps it dropped as if undilated, so its window could differ
    from the one above; nnfunc follows PyTorch's (the definition above).
    A configuration in which some window holds no input element (a short
    input, padding and a large dilation) is an error (``InputError``), where
    PyTorch would return ``-inf`` with an out-of-range index.
    """

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0,
                 dilationT=1, dilationW=1, dilationH=1, ceil_mode=False,
                 return_indices=False):
        self._init(kT, kW, kH, dT, dW, dH, padT, padW, padH, dilationT, dilationW,
                   dilationH, ceil_mode, return_indices)

    def _repr_args(self):
        s = (f"{self.kT}, {self.kW}, {self.kH}, {self.dT}, {self.dW}, {self.dH}, "
             f"{self.padT}, {self.padW}, {self.padH}, {self.dilationT}, {self.dilationW}, "
             f"{self.dilationH}")
        return s + self._repr_tail()
