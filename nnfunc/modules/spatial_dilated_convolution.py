from ._conv import _Conv2d


class SpatialDilatedConvolution(_Conv2d):
    """2-D convolution with a dilated (spaced-out) kernel.

    Torch7: ``nn.SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH,
    dW=1, dH=1, padW=0, padH=padW, dilationW=1, dilationH=1)``;
    ``:noBias()`` is ``bias=False``. Width before height in every pair.

    ``input``: ``(nInputPlane, H, W)`` or ``(N, nInputPlane, H, W)``;
    ``weight``: ``(nOutputPlane, nInputPlane, kH, kW)``; ``bias``:
    ``(nOutputPlane,)``; ``output``: ``(nOutputPlane, oH, oW)`` (batch:
    leading ``N``) with ``oH = floor((H + 2 padH - dilationH (kH - 1) - 1)
    / dH) + 1`` (``oW`` likewise), which must be >= 1.

    ``y[o, i, j] = b[o] + sum_{c, ky, kx} W[o, c, ky, kx] x_pad[c, i dH + ky
    dilationH, j dW + kx dilationW]``; gradients as SpatialConvolution's with
    the same tap positions. PyTorch: ``F.conv2d(x, W, b, stride=(dH, dW),
    padding=(padH, padW), dilation=(dilationH, dilationW))``. Default init:
    ``U(-s, s)``, ``s = 1/sqrt(kW kH nInputPlane)`` (Torch7's, inherited
    from SpatialConvolution). Dilation 1 is SpatialConvolution exactly.

    Differences from Torch7: floor division in the output size and no
    zero-sized input, as SpatialConvolution.

    CPU kernel: SpatialConvolution's (``nnfunc/_cpu/spatial_convolution.pyx``),
    whose unfold takes the dilation; with stride ``dH = 1`` its width-only
    unfold runs one GEMM per kernel row on views shifted by ``dilationH``
    rows.
    """

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None,
                 dilationW=1, dilationH=1, bias=True):
        self._init_conv(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias,
                        dilationW, dilationH)
        self.dilationW, self.dilationH = self.dilW, self.dilH
