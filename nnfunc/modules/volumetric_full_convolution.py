from ._volumetric import _VolumetricConv


class VolumetricFullConvolution(_VolumetricConv):
    """3-D transposed ("full") convolution: the adjoint of VolumetricConvolution.

    Torch7: ``nn.VolumetricFullConvolution(nInputPlane, nOutputPlane, kT, kW,
    kH, dT=1, dW=1, dH=1, padT=0, padW=0, padH=0, adjT=0, adjW=0, adjH=0)``
    (every pad defaults to 0 on its own, unlike VolumetricConvolution's);
    ``:noBias()`` is ``bias=False``. Triples are ordered time, width,
    height, as in Torch7; ``adj < d`` per axis (Torch7's check).

    ``input``: ``(nInputPlane, T, H, W)`` or ``(N, nInputPlane, T, H, W)``;
    ``weight``: ``(nInputPlane, nOutputPlane, kT, kH, kW)`` (Torch7's
    layout); ``bias``: ``(nOutputPlane,)``; ``output``: ``([N,]
    nOutputPlane, oT, oH, oW)`` with ``oT = (T - 1) dT - 2 padT + kT +
    adjT`` (``oH``, ``oW`` likewise), which must be >= 1.

    ``y[o, p] = b[o] + sum_{c, t, kt} x[c, t] W[c, o, kt]`` over the input
    positions ``t`` and taps ``kt`` with ``p = t d - pad + kt`` per axis
    (positions outside the output dropped): the gradient of a convolution
    with stride ``d`` and padding ``pad`` with respect to its input.
    Gradients: ``gradInput`` is the plain convolution of ``gradOutput``
    with ``W``; ``gradWeight[c, o, kt, ky, kx] = sum x[n, c, t, i, j]
    gradOutput_pad[n, o, t dT + kt, i dH + ky, j dW + kx]``; ``gradBias``
    sums ``gradOutput``. PyTorch: ``F.conv_transpose3d(x, W, b, stride=(dT,
    dH, dW), padding=(padT, padH, padW), output_padding=(adjT, adjH,
    adjW))``.

    Default init (Torch7 ``reset``): ``U(-s, s)``, ``s = 1/sqrt(kT kW kH
    nInputPlane)``, for weight and bias.

    Table input (later Torch7): ``input = [x, target]`` with any array
    ``target`` of >= 3 dimensions (same float dtype) whose last three sizes
    ``(tT, tH, tW)`` replace the constructor's adj: ``adj = (t + 2 pad - k)
    mod d`` per axis, so that the output matches the target's size where
    that is reachable. ``gradInput`` is then ``[gradInput, zeros of the
    target's shape]``. An output size < 1 is an error.

    CPU kernel: float32 on an AVX-512 CPU (at least 8 planes, few zero
    taps), the shift method (``nnfunc/_cpu/shift_convolution.pyx``: one
    stride-1 convolution per output phase forward, the convolution's forward
    and gradWeight backward). Otherwise the convolution's kernel run the
    other way round (GEMM
    ``W^T x`` then col2vol for the forward; vol2col of ``gradOutput`` then
    the gradInput and gradWeight GEMMs on the same columns); with stride
    ``dT = 1`` one GEMM per time tap on a (kH, kW)-only unfold. With strides
    > 1 the forward takes the phase decomposition of ``_cpu/_phase.h`` (no
    col2vol) where its common grid is at most twice the input.
    """

    transposed = True
    table_input = None      # an array, or the table [x, target]

    def __init__(self, nInputPlane, nOutputPlane, kT, kW, kH, dT=1, dW=1, dH=1, padT=0,
                 padW=0, padH=0, adjT=0, adjW=0, adjH=0, bias=True):
        self._init_conv(nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                        adj=(adjT, adjW, adjH), bias=bias)

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kT}, {self.kW}, {self.kH}, "
             f"{self.dT}, {self.dW}, {self.dH}, {self.padT}, {self.padW}, {self.padH}, "
             f"{self.adjT}, {self.adjW}, {self.adjH}")
        return s + ("" if self.bias else ", bias=False")
