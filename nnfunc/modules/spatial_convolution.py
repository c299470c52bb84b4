import math

from .._core.module import Module
from ._spatial import (_INT_MAX, check_output_size, check_spatial_input, conv_out_size,
                       pad2d, scatter_taps, taps)


class SpatialConvolution(Module):
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

    CPU kernel: GEMMs over BLAS as Torch7's ``SpatialConvolutionMM``
    (im2col), plus a 1x1 path with no copy and, for stride ``dH = 1``, a
    width-only unfold with one GEMM per kernel row (see
    ``nnfunc/_cpu/spatial_convolution.pyx``); workspaces are per call.
    """

    backends = ("cpu", "gpu")

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=None,
                 bias=True):
        self.nInputPlane = self.int_arg("nInputPlane", nInputPlane)
        self.nOutputPlane = self.int_arg("nOutputPlane", nOutputPlane)
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dW = self.int_arg("dW", dW)
        self.dH = self.int_arg("dH", dH)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.padW if padH is None else self.int_arg("padH", padH, minimum=0)
        self.bias = self.bool_arg("bias", bias)
        for name in ("nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH", "padW", "padH"):
            v = getattr(self, name)
            if v > _INT_MAX:
                self.fail(f"argument {name}={v} exceeds the BLAS int limit {_INT_MAX}")
        if self.nInputPlane * self.kH * self.kW + 1 > _INT_MAX:
            self.fail(f"nInputPlane*kH*kW = {self.nInputPlane * self.kH * self.kW} exceeds "
                      f"the BLAS int limit {_INT_MAX}")
        self.params = ("weight", "bias") if self.bias else ("weight",)

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kW}, {self.kH}, "
             f"{self.dW}, {self.dH}, {self.padW}, {self.padH}")
        return s + ("" if self.bias else ", bias=False")

    def param_shapes(self):
        shapes = {"weight": (self.nOutputPlane, self.nInputPlane, self.kH, self.kW)}
        if self.bias:
            shapes["bias"] = (self.nOutputPlane,)
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
        # the kernel's leading dimensions reach (H + 2 padH) * oW (and oH*oW)
        if max(oh, h + 2 * self.padH) * ow > _INT_MAX:
            self.fail(f"'input' of shape {tuple(x.shape)} gives planes of more than the "
                      f"BLAS int limit {_INT_MAX} elements")
        why = f"for {self!r}"
        self.check_shape("weight", d["weight"], self.param_shapes()["weight"], why)
        if self.bias:
            self.check_shape("bias", d["bias"], (self.nOutputPlane,), why)
        return batch, n, h, w, oh, ow

    def output_shape(self, info):
        batch, n, h, w, oh, ow = info
        shp = (self.nOutputPlane, oh, ow)
        return (n,) + shp if batch else shp

    # -- generic array-API math -------------------------------------------
    def _columns(self, xp, x4, oh, ow):
        """im2col: ``(N, nInputPlane*kH*kW, oH*oW)``, rows ordered (c, ky, kx)."""
        n = x4.shape[0]
        xpad = pad2d(xp, x4, self.padH, self.padH, self.padW, self.padW)
        cols = xp.stack(taps(xpad, self.kH, self.kW, self.dH, self.dW, oh, ow), axis=2)
        return xp.reshape(cols, (n, self.nInputPlane * self.kH * self.kW, oh * ow))

    def forward(self, xp, d, info):
        batch, n, h, w, oh, ow = info
        x = d["input"]
        x4 = x if batch else x[None, ...]
        w2 = xp.reshape(d["weight"], (self.nOutputPlane, -1))
        y = xp.matmul(w2, self._columns(xp, x4, oh, ow))        # (N, O, oH*oW)
        if self.bias:
            y = y + d["bias"][:, None]
        y = xp.reshape(y, (x4.shape[0], self.nOutputPlane, oh, ow))
        return y if batch else y[0, ...]

    def backward(self, xp, d, info):
        batch, n, h, w, oh, ow = info
        x, go = d["input"], d["gradOutput"]
        x4 = x if batch else x[None, ...]
        go4 = go if batch else go[None, ...]
        n = x4.shape[0]
        nout, cin, kh, kw = self.nOutputPlane, self.nInputPlane, self.kH, self.kW
        w2 = xp.reshape(d["weight"], (nout, cin * kh * kw))
        go3 = xp.reshape(go4, (n, nout, oh * ow))
        # gradInput: col2im of W^T gradOutput
        gcols = xp.reshape(xp.matmul(xp.matrix_transpose(w2), go3), (n, cin, kh, kw, oh, ow))
        gtaps = [gcols[:, :, ky, kx, ...] for ky in range(kh) for kx in range(kw)]
        gi = scatter_taps(xp, gtaps, kh, kw, self.dH, self.dW, self.padH, self.padW, h, w)
        # gradWeight: one product over the whole batch (a true reduction)
        cols = self._columns(xp, x4, oh, ow)
        cols2 = xp.reshape(xp.permute_dims(cols, (1, 0, 2)), (cin * kh * kw, n * oh * ow))
        go2 = xp.reshape(xp.permute_dims(go3, (1, 0, 2)), (nout, n * oh * ow))
        gw = xp.reshape(xp.matmul(go2, xp.matrix_transpose(cols2)), (nout, cin, kh, kw))
        res = {"gradInput": gi if batch else gi[0, ...], "gradWeight": gw}
        if self.bias:
            res["gradBias"] = xp.sum(go4, axis=(0, 2, 3))
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

    # -- CuPy path: im2col / col2im kernels (unfold.cu) and cuBLAS GEMMs ----
    def forward_gpu(self, g, d, info, y):
        g.conv_forward(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                       *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.conv_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                        out["gradWeight"], out["gradBias"] if self.bias else None,
                        *self._sizes(info))
