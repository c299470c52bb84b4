import math

from .._core.module import Module
from ._conv import conv_args, conv_columns, conv_fold
from ._spatial import _INT_MAX, check_output_size, check_spatial_input, conv_out_size


class SpatialDepthWiseConvolution(Module):
    """Depthwise 2-D convolution: each input plane gets its own kernels.

    Torch7: ``nn.SpatialDepthWiseConvolution(nInputPlane, nOutputPlane, kW,
    kH, dW=1, dH=1, padW=0, padH=padW)``; ``:noBias()`` is ``bias=False``.
    ``nOutputPlane`` is the depth multiplier ``M``: every input plane gives
    ``M`` output planes.

    ``input``: ``(C, H, W)`` or ``(N, C, H, W)`` with ``C = nInputPlane``;
    ``weight``: ``(M, C*kH*kW)``, viewed as ``W4 = (M, C, kH, kW)``;
    ``bias``: ``(M, C)``; ``output``: ``(C*M, oH, oW)`` (batch: leading
    ``N``), output channel ``i*M + j`` (input-plane major), ``oH = floor((H
    + 2 padH - kH) / dH) + 1`` (``oW`` likewise), which must be >= 1.

    ``y[i*M + j] = bias[j, i] + W4[j, i] (*) x[i]`` (``(*)``: the
    cross-correlation of SpatialConvolution with stride ``d`` and zero
    padding ``pad``). Gradients: ``gradInput[i] = sum_j`` the transposed
    correlation of ``gradOutput[i*M + j]`` with ``W4[j, i]``;
    ``gradWeight[j, i, ky, kx] = sum_{n, p, q} gradOutput[n, i*M + j, p, q]
    x_pad[n, i, p dH + ky, q dW + kx]``; ``gradBias[j, i] = sum_{n, p, q}
    gradOutput[n, i*M + j, p, q]``. PyTorch: ``F.conv2d(x,
    W4.transpose(0, 1).reshape(C*M, 1, kH, kW), bias.t().reshape(-1),
    stride=(dH, dW), padding=(padH, padW), groups=C)``. Default init
    (Torch7 ``reset``): ``U(-s, s)``, ``s = 1/sqrt(kW kH nInputPlane)``, for
    weight and bias.

    Decisions: the channel order ``i*M + j`` and the bias layout ``(M, C)``
    are Torch7's (its output is a ``(C, M, oH, oW)`` tensor read as ``(C*M,
    oH, oW)``). Torch7's CPU kernel names the input's height and width
    dimensions the other way round in places, which only matters for
    non-square shapes; nnfunc implements the intended semantics above
    (height is dimension -2 everywhere, as in SpatialConvolution), which
    agrees with Torch7 on square inputs, kernels, strides and pads. The
    output size uses floor division (Torch7 truncated toward zero) and a
    zero-sized input is refused, as SpatialConvolution.

    CPU kernel (``nnfunc/_cpu/spatial_depth_wise_convolution.pyx``, plane
    kernels in ``_depthwise.h``): direct loops, no GEMM (its M would be the
    multiplier, usually 1): each plane copied into a zero-bordered scratch
    image, every tap of a vector chunk of outputs summed in a register
    (AVX2 / AVX-512 clones; 3x3 and 5x5 stride 1 and 3x3 stride 2 unrolled),
    planes split over the thread pool; gradWeight / gradBias summed per plane,
    then over the batch in a fixed order (the same bits for any thread count).
    """

    backends = ("cpu", "gpu")

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None,
                 bias=True):
        conv_args(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias)

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kW}, {self.kH}, "
             f"{self.dW}, {self.dH}, {self.padW}, {self.padH}")
        return s + ("" if self.bias else ", bias=False")

    def param_shapes(self):
        shapes = {"weight": (self.nOutputPlane, self.nInputPlane * self.kH * self.kW)}
        if self.bias:
            shapes["bias"] = (self.nOutputPlane, self.nInputPlane)
        return shapes

    def init_stdv(self):
        return 1.0 / math.sqrt(self.kW * self.kH * self.nInputPlane)

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        if c != self.nInputPlane:
            self.fail(f"'input' has shape {tuple(x.shape)}: the channel dimension must be "
                      f"nInputPlane={self.nInputPlane}")
        oh = conv_out_size(h, self.kH, self.dH, self.padH)
        ow = conv_out_size(w, self.kW, self.dW, self.padW)
        check_output_size(self, x, oh, ow,
                          f"kernel (kH, kW) = ({self.kH}, {self.kW}), stride (dH, dW) = "
                          f"({self.dH}, {self.dW}), padding (padH, padW) = "
                          f"({self.padH}, {self.padW})")
        why = f"for {self!r}"
        shapes = self.param_shapes()
        self.check_shape("weight", d["weight"], shapes["weight"], why)
        if self.bias:
            self.check_shape("bias", d["bias"], shapes["bias"], why)
        return batch, n, h, w, oh, ow

    def output_shape(self, info):
        batch, n, h, w, oh, ow = info
        shp = (self.nInputPlane * self.nOutputPlane, oh, ow)
        return (n,) + shp if batch else shp

    # -- generic array-API math -------------------------------------------
    def _geom(self):
        return self.kH, self.kW, self.dH, self.dW, self.padH, self.padW, 1, 1

    def _wp(self, xp, w):
        """Weight as (C, M, kH*kW)."""
        m, c, kk = self.nOutputPlane, self.nInputPlane, self.kH * self.kW
        return xp.permute_dims(xp.reshape(w, (m, c, kk)), (1, 0, 2))

    def forward(self, xp, d, info):
        batch, n, h, w, oh, ow = info
        x = d["input"]
        x4 = x if batch else x[None, ...]
        nb, c, m, kk = x4.shape[0], self.nInputPlane, self.nOutputPlane, self.kH * self.kW
        cols = xp.reshape(conv_columns(xp, x4, *self._geom(), oh, ow), (nb, c, kk, oh * ow))
        y = xp.matmul(self._wp(xp, d["weight"]), cols)               # (N, C, M, L)
        if self.bias:
            y = y + xp.matrix_transpose(d["bias"])[:, :, None]
        y = xp.reshape(y, (nb, c * m, oh, ow))
        return y if batch else y[0, ...]

    def backward(self, xp, d, info):
        batch, n, h, w, oh, ow = info
        x, go = d["input"], d["gradOutput"]
        x4 = x if batch else x[None, ...]
        go4 = go if batch else go[None, ...]
        nb, c, m, kk = x4.shape[0], self.nInputPlane, self.nOutputPlane, self.kH * self.kW
        go5 = xp.reshape(go4, (nb, c, m, oh * ow))
        gcols = xp.matmul(xp.matrix_transpose(self._wp(xp, d["weight"])), go5)  # (N,C,kk,L)
        gi = conv_fold(xp, xp.reshape(gcols, (nb, c * kk, oh * ow)), c, *self._geom(),
                       oh, ow, h, w)
        cols = xp.reshape(conv_columns(xp, x4, *self._geom(), oh, ow), (nb, c, kk, oh * ow))
        gw = xp.sum(xp.matmul(go5, xp.matrix_transpose(cols)), axis=0)         # (C, M, kk)
        gw = xp.reshape(xp.permute_dims(gw, (1, 0, 2)), (m, c * kk))
        res = {"gradInput": gi if batch else gi[0, ...], "gradWeight": gw}
        if self.bias:
            res["gradBias"] = xp.matrix_transpose(xp.sum(go5, axis=(0, 3)))
        return res

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, h, w, oh, ow = info
        return (n, self.nInputPlane, h, w, self.nOutputPlane, oh, ow,
                self.kH, self.kW, self.dH, self.dW, self.padH, self.padW)

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                        *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        k.update_grad(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                      out["gradWeight"], out["gradBias"] if self.bias else None,
                      *self._sizes(info))

    # -- CuPy path (depthwise.cu) -------------------------------------------
    def forward_gpu(self, g, d, info, y):
        g.depthwise_forward(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                            *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.depthwise_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                             out["gradWeight"], out["gradBias"] if self.bias else None,
                             *self._sizes(info))
