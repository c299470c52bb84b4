from ._conv import _Conv2d


class SpatialConvolution(_Conv2d):
    """2-D convolution (cross-correlation) over ``(C, H, W)`` images.

    Torch7: ``nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1,
    dH=1, padW=0, padH=padW)``; ``:noBias()`` is ``bias=False``. Note width
    before height in every pair, as in Torch7.

    ``input``: ``(nInputPlane, H, W)`` or ``(N, nInputPlane, H, W)``;
    ``weight``: ``(nOutputPlane, nInputPlane, kH, kW)``; ``bias``:
    ``(nOutputPlane,)`` (absent when ``bias=False``); ``output``:
    ``(nOutputPlane, oH, oW)`` or ``(N, nOutputPlane, oH, oW)`` with
    ``oH = floor((H + 2 padH - kH) / dH) + 1`` (``oW`` likewise), which must
    be >= 1.

    ``y[o, i, j] = b[o] + sum_{c, ky, kx} W[o, c, ky, kx]
    x_pad[c, i dH + ky, j dW + kx]`` with ``x_pad`` the input zero-padded by
    ``padH`` rows and ``padW`` columns on each side. Gradients:
    ``gradInput`` is the transposed convolution of ``gradOutput`` with ``W``,
    ``gradWeight[o, c, ky, kx] = sum_{n, i, j} gradOutput[n, o, i, j]
    x_pad[n, c, i dH + ky, j dW + kx]``, ``gradBias = sum_{n, i, j}
    gradOutput``. PyTorch: ``F.conv2d(x, W, b, stride=(dH, dW),
    padding=(padH, padW))``.

    Default init (Torch7 ``reset``): ``U(-s, s)``, ``s = 1/sqrt(kW kH
    nInputPlane)``, for weight and bias.

    Differences from Torch7: the output size uses floor division (Torch7's C
    division truncated toward zero, so e.g. ``H + 2 padH = kH - 1`` with
    ``dH >= 2`` gave one output row there and an error here, as in
    PyTorch); an input with zero height or width is refused.

    CPU kernel (``nnfunc/_cpu/spatial_convolution.pyx``, shared with the
    other convolutions through ``_conv._Conv2d``):
    float32 on a CPU with AVX-512 (and at least 8 planes in and out, few
    zero taps from the stride): the shift method of
    ``nnfunc/_cpu/shift_convolution.pyx`` (no column matrix; the taps are
    read in place from a padded copy of each image by register-blocked
    kernels; a stride through the space-to-depth image). Otherwise
    GEMMs over BLAS as Torch7's ``SpatialConvolutionMM`` (im2col), plus a
    1x1 path with no copy and, for stride ``dH = 1``, a width-only unfold
    with one GEMM per kernel row. Workspaces are scratch only.
    """

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None,
                 bias=True):
        self._init_conv(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias)
