from .volumetric_convolution import VolumetricConvolution


class VolumetricDilatedConvolution(VolumetricConvolution):
    """Dilated 3-D convolution (cross-correlation with spaced taps).

    Torch7: ``nn.VolumetricDilatedConvolution(nInputPlane, nOutputPlane, kT,
    kW, kH, dT=1, dW=1, dH=1, padT=0, padW=padT, padH=padW, dilationT=1,
    dilationW=1, dilationH=1)`` (a subclass of VolumetricConvolution, as in
    Torch7); ``:noBias()`` is ``bias=False``. Every triple is ordered time,
    width, height, as in Torch7.

    Shapes as :class:`VolumetricConvolution` (``weight``: ``(nOutputPlane,
    nInputPlane, kT, kH, kW)``), with output size ``o = floor((in + 2 pad -
    dil (k - 1) - 1) / d) + 1`` per axis (must be >= 1).

    ``y[o, t, i, j] = b[o] + sum W[o, c, kt, ky, kx] x_pad[c, t dT + kt
    dilationT, i dH + ky dilationH, j dW + kx dilationW]``; gradients are the
    adjoints, as for the plain convolution. PyTorch: ``F.conv3d(x, W, b,
    stride=(dT, dH, dW), padding=(padT, padH, padW), dilation=(dilationT,
    dilationH, dilationW))``.

    Default init: ``U(-s, s)``, ``s = 1/sqrt(kT kW kH nInputPlane)`` (the
    parent's ``reset``). Differences from Torch7: floor division in the
    output size and no zero-size input axes, as for the plain convolution.
    CPU kernel: the plain convolution's (the unfold takes the dilation).
    """

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0,
                 padW=None, padH=None, dilationT=1, dilationW=1, dilationH=1, bias=True):
        padW = padT if padW is None else padW
        padH = padW if padH is None else padH
        self._init_conv(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                        dil=(dilationT, dilationW, dilationH), bias=bias)

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kT}, {self.kW}, {self.kH}, "
             f"{self.dT}, {self.dW}, {self.dH}, {self.padT}, {self.padW}, {self.padH}, "
             f"{self.dilationT}, {self.dilationW}, {self.dilationH}")
        return s + ("" if self.bias else ", bias=False")
