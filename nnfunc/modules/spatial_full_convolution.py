import math

from .._core.module import Module
from ._conv import batch_matmul_sum, conv_args, conv_columns, conv_fold
from ._spatial import _INT_MAX, check_output_size, check_spatial_input


class SpatialFullConvolution(Module):
    """2-D transposed ("full", fractionally strided) convolution.

    Torch7: ``nn.SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH,
    dW=1, dH=1, padW=0, padH=0, adjW=0, adjH=0)``; ``:noBias()`` is
    ``bias=False``. Width before height in every pair; ``padH`` defaults to
    0, not to ``padW``.

    ``input``: ``(nInputPlane, H, W)`` or ``(N, nInputPlane, H, W)``;
    ``weight``: ``(nInputPlane, nOutputPlane, kH, kW)`` (in/out swapped
    against SpatialConvolution, as in PyTorch); ``bias``:
    ``(nOutputPlane,)``; ``output``: ``(nOutputPlane, oH, oW)`` (batch:
    leading ``N``) with ``oH = (H - 1) dH - 2 padH + kH + adjH`` (``oW``
    likewise), which must be >= 1.

    The output is the gradient with respect to its input of the
    SpatialConvolution ``(nOutputPlane, oH, oW) -> (nInputPlane, H, W)``
    whose weight is this weight (stride d, padding pad), plus the bias:
    ``y[o, p, q] = b[o] + sum_{c, i, j, ky, kx : i dH + ky - padH = p, j dW +
    kx - padW = q} W[c, o, ky, kx] x[c, i, j]``. ``gradInput`` is that
    SpatialConvolution applied to ``gradOutput`` (no bias), ``gradWeight[c,
    o, ky, kx] = sum_{n, i, j} x[n, c, i, j] gradOutput_pad[n, o, i dH + ky,
    j dW + kx]``, ``gradBias = sum_{n, p, q} gradOutput``. PyTorch:
    ``F.conv_transpose2d(x, W, b, stride=(dH, dW), padding=(padH, padW),
    output_padding=(adjH, adjW))``. Default init (Torch7 ``reset``):
    ``U(-s, s)``, ``s = 1/sqrt(kW kH nInputPlane)``, for weight and bias.

    Table input, as Torch7: ``input = [x, target]`` takes the adjustment
    from the target's last two sizes, ``adjH = (tH + 2 padH - kH) mod dH``
    (``adjW`` likewise; the constructor's ``adjW``/``adjH`` are then
    unused), and ``gradInput = [gx, zeros of the target's shape]`` (the
    target only sets a size).

    Decisions: ``adjW < dW`` and ``adjH < dH`` are required (Torch7 and
    PyTorch refuse larger adjustments too).

    CPU kernel: the SpatialConvolution kernel module
    (``nnfunc/_cpu/spatial_convolution.pyx``, ``full_update_output`` /
    ``full_update_grad``). float32 on an AVX-512 CPU (at least 8 planes, few
    zero taps): the shift method (``shift_convolution.pyx``: the forward one
    stride-1 convolution per output phase, the backward the convolution's
    forward and gradWeight). Otherwise, with a stride > 1 (where it moves
    less data) the
    forward is the phase decomposition of ``_cpu/_phase.h`` (each output
    phase a stride-1 correlation; all phases one GEMM on a stack of shifted
    input copies, scattered into place: no fold), otherwise that
    convolution's gradInput path (GEMM ``W^T x`` per tile of input rows, then
    fold, starting from the bias); the backward is its forward (for
    ``gradInput``) and its gradWeight path with input and gradOutput swapped.
    """

    backends = ("cpu", "gpu")
    kernel = "spatial_convolution"
    table_input = None      # an array, or Torch7's [input, target]

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0,
                 adjW=0, adjH=0, bias=True):
        conv_args(self, nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, bias)
        self.adjW = self.int_arg("adjW", adjW, minimum=0)
        self.adjH = self.int_arg("adjH", adjH, minimum=0)
        if self.adjW >= self.dW or self.adjH >= self.dH:
            self.fail(f"output adjustment (adjH, adjW) = ({self.adjH}, {self.adjW}) must "
                      f"be smaller than the stride (dH, dW) = ({self.dH}, {self.dW})")
        for name, planes in (("nInputPlane", self.nInputPlane),
                             ("nOutputPlane", self.nOutputPlane)):
            if planes * self.kH * self.kW + 1 > _INT_MAX:
                self.fail(f"{name}*kH*kW = {planes * self.kH * self.kW} exceeds the BLAS "
                          f"int limit {_INT_MAX}")

    def _repr_args(self):
        s = (f"{self.nInputPlane}, {self.nOutputPlane}, {self.kW}, {self.kH}, "
             f"{self.dW}, {self.dH}, {self.padW}, {self.padH}, {self.adjW}, {self.adjH}")
        return s + ("" if self.bias else ", bias=False")

    def param_shapes(self):
        shapes = {"weight": (self.nInputPlane, self.nOutputPlane, self.kH, self.kW)}
        if self.bias:
            shapes["bias"] = (self.nOutputPlane,)
        return shapes

    def init_stdv(self):
        return 1.0 / math.sqrt(self.kW * self.kH * self.nInputPlane)

    def check(self, d):
        x = d["input"]
        adjH, adjW, tshape = self.adjH, self.adjW, None
        if type(x) is list:
            if len(x) != 2:
                self.fail(f"'input' as a table must be [input, target], got {len(x)} arrays")
            x, tgt = x
            if tgt.ndim < 2:
                self.fail(f"'input[1]' (the target) has shape {tuple(tgt.shape)}: it must "
                          "have >= 2 dimensions (its last two are H, W)")
            tshape = tuple(tgt.shape)
            adjH = (tshape[-2] + 2 * self.padH - self.kH) % self.dH
            adjW = (tshape[-1] + 2 * self.padW - self.kW) % self.dW
        batch, n, c, h, w = check_spatial_input(self, x)
        if c != self.nInputPlane:
            self.fail(f"'input' has shape {tuple(x.shape)}: the channel dimension must be "
                      f"nInputPlane={self.nInputPlane}")
        oh = (h - 1) * self.dH - 2 * self.padH + self.kH + adjH
        ow = (w - 1) * self.dW - 2 * self.padW + self.kW + adjW
        check_output_size(self, x, oh, ow,
                          f"kernel (kH, kW) = ({self.kH}, {self.kW}), stride (dH, dW) = "
                          f"({self.dH}, {self.dW}), padding (padH, padW) = "
                          f"({self.padH}, {self.padW}), adjustment (adjH, adjW) = "
                          f"({adjH}, {adjW})")
        # the kernel's leading dimensions reach (oH + 2 padH) * W, H*W and oH*oW
        if max(h, oh + 2 * self.padH) * w > _INT_MAX or oh * ow > _INT_MAX:
            self.fail(f"'input' of shape {tuple(x.shape)} gives planes of more than the "
                      f"BLAS int limit {_INT_MAX} elements")
        why = f"for {self!r}"
        self.check_shape("weight", d["weight"], self.param_shapes()["weight"], why)
        if self.bias:
            self.check_shape("bias", d["bias"], (self.nOutputPlane,), why)
        return batch, n, h, w, oh, ow, tshape

    def output_shape(self, info):
        batch, n, h, w, oh, ow = info[:6]
        shp = (self.nOutputPlane, oh, ow)
        return (n,) + shp if batch else shp

    # -- generic array-API math -------------------------------------------
    def _geom(self):
        return self.kH, self.kW, self.dH, self.dW, self.padH, self.padW, 1, 1

    @staticmethod
    def _x(d):
        x = d["input"]
        return x[0] if type(x) is list else x

    def forward(self, xp, d, info):
        batch, n, h, w, oh, ow = info[:6]
        x = self._x(d)
        x4 = x if batch else x[None, ...]
        n = x4.shape[0]
        cin, nout = self.nInputPlane, self.nOutputPlane
        w2 = xp.reshape(d["weight"], (cin, nout * self.kH * self.kW))
        cols = xp.matmul(xp.matrix_transpose(w2), xp.reshape(x4, (n, cin, h * w)))
        y = conv_fold(xp, cols, nout, *self._geom(), h, w, oh, ow)
        if self.bias:
            y = y + d["bias"][:, None, None]
        return y if batch else y[0, ...]

    def backward(self, xp, d, info):
        batch, n, h, w, oh, ow, tshape = info
        x, go = self._x(d), d["gradOutput"]
        x4 = x if batch else x[None, ...]
        go4 = go if batch else go[None, ...]
        n = x4.shape[0]
        cin, nout = self.nInputPlane, self.nOutputPlane
        w2 = xp.reshape(d["weight"], (cin, nout * self.kH * self.kW))
        cols = conv_columns(xp, go4, *self._geom(), h, w)      # (N, O*kH*kW, H*W)
        gi = xp.reshape(xp.matmul(w2, cols), (n, cin, h, w))
        gw = batch_matmul_sum(xp, xp.reshape(x4, (n, cin, h * w)), cols)
        gi = gi if batch else gi[0, ...]
        if tshape is not None:
            # the target only sets the output size: its gradient is zero
            gi = [gi, xp.zeros_like(d["input"][1], dtype=gi.dtype)]
        res = {"gradInput": gi,
               "gradWeight": xp.reshape(gw, self.param_shapes()["weight"])}
        if self.bias:
            res["gradBias"] = xp.sum(go4, axis=(0, 2, 3))
        return res

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, h, w, oh, ow = info[:6]
        return (n, self.nInputPlane, h, w, self.nOutputPlane, oh, ow,
                self.kH, self.kW, self.dH, self.dW, self.padH, self.padW)

    def forward_cpu(self, k, d, info, y):
        k.full_update_output(self._x(d), d["weight"], d["bias"] if self.bias else None, y,
                             *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        gi = out["gradInput"]
        if type(gi) is list:
            gi, gt = gi
            gt[...] = 0
        k.full_update_grad(self._x(d), d["weight"], d["gradOutput"], gi,
                           out["gradWeight"], out["gradBias"] if self.bias else None,
                           *self._sizes(info))

    # -- CuPy path: cuBLAS GEMMs and the unfold.cu pair, roles swapped (the
    # table form [x, target] runs the generic code) --------------------------
    def forward_gpu(self, g, d, info, y):
        g.full_conv_forward(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                            *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.full_conv_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                             out["gradWeight"], out["gradBias"] if self.bias else None,
                             *self._sizes(info))
