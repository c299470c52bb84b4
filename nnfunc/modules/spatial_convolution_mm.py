from ._conv import _Conv2d


class SpatialConvolutionMM(_Conv2d):
    """SpatialConvolution with its weight stored flattened to 2-D.

    Torch7: ``nn.SpatialConvolutionMM(nInputPlane, nOutputPlane, kW, kH,
    dW=1, dH=1, padW=0, padH=padW)``; ``:noBias()`` is ``bias=False``.

    ``weight``: ``(nOutputPlane, nInputPlane*kH*kW)``, column
    ``(c*kH + ky)*kW + kx`` (the same memory as SpatialConvolution's
    ``(nOutputPlane, nInputPlane, kH, kW)``); ``bias``: ``(nOutputPlane,)``.
    Input, output, formula, gradients, default init and the differences from
    Torch7 are SpatialConvolution's; ``gradWeight`` is 2-D like the weight.
    PyTorch: ``F.conv2d(x, W.view(nOut, nIn, kH, kW), b, stride=(dH, dW),
    padding=(padH, padW))``. Same CPU kernel as SpatialConvolution (the
    kernel reads both layouts alike).
    """

    _flat_weight = True

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None,
                 bias=True):
        self._init_conv(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias)
