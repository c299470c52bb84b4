"""Shared base of the 2-D convolutions over one unfold/fold + GEMM core.

:class:`_Conv2d` holds what SpatialConvolution, SpatialConvolutionMM and
SpatialDilatedConvolution share: constructor validation, the shape check,
the generic array-API math (im2col of :func:`conv_columns`, col2im of
:func:`conv_fold`, one matmul each) and the calls into the compiled kernel
``nnfunc._cpu.spatial_convolution`` (which takes the dilation). A subclass
sets ``dilW``/``dilH`` and, for the 2-D weight of SpatialConvolutionMM,
``_flat_weight``: the kernel reads the weight's memory the same way in both
layouts. SpatialFullConvolution (the transposed convolution) reuses the
same helpers and kernel module with the roles of input and output swapped.
"""

import math

from .._core.module import Module
from ._spatial import (_INT_MAX, check_output_size, check_spatial_input, conv_out_size,
                       pad2d, scatter_taps, taps)


def conv_columns(xp, x4, kH, kW, dH, dW, padH, padW, dilH, dilW, oh, ow):
    """im2col of ``x4`` (N, C, H, W): ``(N, C*kH*kW, oH*oW)``, rows ordered (c, ky, kx)."""
    n, c = x4.shape[0], x4.shape[1]
    xpad = pad2d(xp, x4, padH, padH, padW, padW)
    cols = xp.stack(taps(xpad, kH, kW, dH, dW, oh, ow, dilH, dilW), axis=2)
    return xp.reshape(cols, (n, c * kH * kW, oh * ow))


def conv_fold(xp, gcols, c, kH, kW, dH, dW, padH, padW, dilH, dilW, oh, ow, h, w):
    """col2im, the adjoint of :func:`conv_columns`: ``(N, C*kH*kW, oH*oW)`` ->
    ``(N, C, H, W)``."""
    g = xp.reshape(gcols, (gcols.shape[0], c, kH, kW, oh, ow))
    gtaps = [g[:, :, ky, kx, ...] for ky in range(kH) for kx in range(kW)]
    return scatter_taps(xp, gtaps, kH, kW, dH, dW, padH, padW, h, w, dilH, dilW)


def batch_matmul_sum(xp, a, b):
    """``sum_n a[n] @ b[n]^T`` for ``a`` (N, P, L), ``b`` (N, Q, L): one product."""
    n, p, l = a.shape
    q = b.shape[1]
    a2 = xp.reshape(xp.permute_dims(a, (1, 0, 2)), (p, n * l))
    b2 = xp.reshape(xp.permute_dims(b, (1, 0, 2)), (q, n * l))
    return xp.matmul(a2, xp.matrix_transpose(b2))


def conv_args(m, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias):
    """Validate and set the Torch7 arguments shared by the 2-D convolutions
    (``padH=None`` means ``padW``, Torch7's default), each below the BLAS int
    limit, and ``params`` from ``bias``."""
    m.nInputPlane = m.int_arg("nInputPlane", nInputPlane)
    m.nOutputPlane = m.int_arg("nOutputPlane", nOutputPlane)
    m.kW = m.int_arg("kW", kW)
    m.kH = m.int_arg("kH", kH)
    m.dW = m.int_arg("dW", dW)
    m.dH = m.int_arg("dH", dH)
    m.padW = m.int_arg("padW", padW, minimum=0)
    m.padH = m.padW if padH is None else m.int_arg("padH", padH, minimum=0)
    m.bias = m.bool_arg("bias", bias)
    for name in ("nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH", "padW", "padH"):
        v = getattr(m, name)
        if v > _INT_MAX:
            m.fail(f"argument {name}={v} exceeds the BLAS int limit {_INT_MAX}")
    m.params = ("weight", "bias") if m.bias else ("weight",)


class _Conv2d(Module):
    """Base of the convolutions computed by ``nnfunc._cpu.spatial_convolution``."""

    backends = ("cpu", "gpu")
    kernel = "spatial_convolution"
    #: weight stored as (nOutputPlane, nInputPlane*kH*kW) (SpatialConvolutionMM)
    _flat_weight = False

    def _init_conv(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias,
                   dilationW=1, dilationH=1):
        conv_args(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias)
        self.dilW = self.int_arg("dilationW", dilationW)
        self.dilH = self.int_arg("dilationH", dilationH)
        for name, v in (("dilationW", self.dilW), ("dilationH", self.dilH)):
            if v > _INT_MAX:
                self.fail(f"argument {name}={v} exceeds the BLAS int limit {_INT_MAX}")
        if self.nInputPlane * self.kH * self.kW + 1 > _INT_MAX:
            self.fail(f"nInputPlane*kH*kW = {self.nInputPlane * self.kH * self.kW} exceeds "
                      f"the BLAS int limit {_INT_MAX}")

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kW}, {self.kH}, "
             f"{self.dW}, {self.dH}, {self.padW}, {self.padH}")
        if self.dilW != 1 or self.dilH != 1:
            s += f", {self.dilW}, {self.dilH}"
        return s + ("" if self.bias else ", bias=False")

    def param_shapes(self):
        k = (self.nInputPlane * self.kH * self.kW,) if self._flat_weight else (
            self.nInputPlane, self.kH, self.kW)
        shapes = {"weight": (self.nOutputPlane,) + k}
        if self.bias:
            shapes["bias"] = (self.nOutputPlane,)
        return shapes

    def init_stdv(self):
        return 1.0 / math.sqrt(self.kW * self.kH * self.nInputPlane)

    def _what(self):
        s = (f"kernel (kH, kW) = ({self.kH}, {self.kW}), stride (dH, dW) = "
             f"({self.dH}, {self.dW}), padding (padH, padW) = ({self.padH}, {self.padW})")
        if self.dilH != 1 or self.dilW != 1:
            s += f", dilation (dilationH, dilationW) = ({self.dilH}, {self.dilW})"
        return s

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        if c != self.nInputPlane:
            self.fail(f"'input' has shape {tuple(x.shape)}: the channel dimension must be "
                      f"nInputPlane={self.nInputPlane}")
        oh = conv_out_size(h, self.kH, self.dH, self.padH, self.dilH)
        ow = conv_out_size(w, self.kW, self.dW, self.padW, self.dilW)
        check_output_size(self, x, oh, ow, self._what())
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
    def _geom(self):
        return self.kH, self.kW, self.dH, self.dW, self.padH, self.padW, self.dilH, self.dilW

    def forward(self, xp, d, info):
        batch, n, h, w, oh, ow = info
        x = d["input"]
        x4 = x if batch else x[None, ...]
        w2 = xp.reshape(d["weight"], (self.nOutputPlane, -1))
        y = xp.matmul(w2, conv_columns(xp, x4, *self._geom(), oh, ow))   # (N, O, oH*oW)
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
        nout, cin = self.nOutputPlane, self.nInputPlane
        w2 = xp.reshape(d["weight"], (nout, -1))
        go3 = xp.reshape(go4, (n, nout, oh * ow))
        # gradInput: col2im of W^T gradOutput
        gcols = xp.matmul(xp.matrix_transpose(w2), go3)
        gi = conv_fold(xp, gcols, cin, *self._geom(), oh, ow, h, w)
        # gradWeight: one product over the whole batch (a true reduction)
        cols = conv_columns(xp, x4, *self._geom(), oh, ow)
        gw = xp.reshape(batch_matmul_sum(xp, go3, cols), self.param_shapes()["weight"])
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
                        *self._sizes(info), dilH=self.dilH, dilW=self.dilW)

    def backward_cpu(self, k, d, info, out):
        k.update_grad(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                      out["gradWeight"], out["gradBias"] if self.bias else None,
                      *self._sizes(info), dilH=self.dilH, dilW=self.dilW)

    # -- CuPy path: im2col / col2im kernels (unfold.cu) and cuBLAS GEMMs ----
    def forward_gpu(self, g, d, info, y):
        g.conv_forward(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                       *self._sizes(info), self.dilH, self.dilW)

    def backward_gpu(self, g, d, info, out):
        g.conv_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                        out["gradWeight"], out["gradBias"] if self.bias else None,
                        *self._sizes(info), self.dilH, self.dilW)
