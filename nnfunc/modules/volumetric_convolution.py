from ._volumetric import _VolumetricConv


class VolumetricConvolution(_VolumetricConv):
    """3-D convolution (cross-correlation) over ``(C, T, H, W)`` volumes.

    Torch7: ``nn.VolumetricConvolution(nInputPlane, nOutputPlane, kT, kW, kH,
    dT=1, dW=1, dH=1, padT=0, padW=padT, padH=padW)``; ``:noBias()`` is
    ``bias=False``. Note the argument order time, width, height, as in
    Torch7 (the weight's axes are time, height, width).

    ``input``: ``(nInputPlane, T, H, W)`` or ``(N, nInputPlane, T, H, W)``;
    ``weight``: ``(nOutputPlane, nInputPlane, kT, kH, kW)``; ``bias``:
    ``(nOutputPlane,)`` (absent when ``bias=False``); ``output``:
    ``([N,] nOutputPlane, oT, oH, oW)`` with ``oT = floor((T + 2 padT - kT) /
    dT) + 1`` (``oH``, ``oW`` likewise), which must be >= 1.

    ``y[o, t, i, j] = b[o] + sum_{c, kt, ky, kx} W[o, c, kt, ky, kx]
    x_pad[c, t dT + kt, i dH + ky, j dW + kx]`` with ``x_pad`` the input
    zero-padded by ``padT``, ``padH``, ``padW`` on each side. Gradients:
    ``gradInput`` is the transposed convolution of ``gradOutput`` with
    ``W``; ``gradWeight[o, c, kt, ky, kx] = sum gradOutput[n, o, t, i, j]
    x_pad[n, c, t dT + kt, i dH + ky, j dW + kx]``; ``gradBias`` sums
    ``gradOutput`` over all but the plane axis. PyTorch: ``F.conv3d(x, W,
    b, stride=(dT, dH, dW), padding=(padT, padH, padW))``.

    Default init (Torch7 ``reset``): ``U(-s, s)``, ``s = 1/sqrt(kT kW kH
    nInputPlane)``, for weight and bias.

    Differences from Torch7: the output size uses floor division (as
    PyTorch; Torch7's C division truncated toward zero), and an input with a
    zero time, height or width is refused.

    CPU kernel (``nnfunc/_cpu/volumetric_convolution.pyx``, shared with the
    dilated and full convolutions):
    float32 on a CPU with AVX-512 (and at least 8 planes in and out, few
    zero taps from the stride): the shift method of
    ``nnfunc/_cpu/shift_convolution.pyx`` (no column matrix; the taps are
    read in place from a padded copy of each image by register-blocked
    kernels; a stride through the space-to-depth image). Otherwise
    vol2col + BLAS GEMMs; with stride ``dT = 1`` only the (kH, kW) taps are
    unfolded and each time tap is one GEMM on a shifted view. The column
    workspace is tiled (bounded) and scratch only.
    """

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0,
                 padW=None, padH=None, bias=True):
        padW = padT if padW is None else padW
        padH = padW if padH is None else padH
        self._init_conv(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                        bias=bias)

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kT}, {self.kW}, {self.kH}, "
             f"{self.dT}, {self.dW}, {self.dH}, {self.padT}, {self.padW}, {self.padH}")
        return s + ("" if self.bias else ", bias=False")
