import math

from .._core.module import Module
from ._spatial import _INT_MAX, _device


class TemporalConvolution(Module):
    """1-D convolution along time of a sequence of feature frames.

    Torch7: ``nn.TemporalConvolution(inputFrameSize, outputFrameSize, kW,
    dW=1)`` (no padding option, always a bias).

    ``input``: ``(T, inputFrameSize)`` or ``(N, T, inputFrameSize)`` (time
    first, features last); ``weight``: ``(outputFrameSize,
    kW*inputFrameSize)``, column ``k*inputFrameSize + i`` (frame-major);
    ``bias``: ``(outputFrameSize,)``; ``output``: ``(T', outputFrameSize)``
    (batch: leading ``N``) with ``T' = floor((T - kW) / dW) + 1``, which must
    be >= 1.

    ``y[t] = b + W @ concat(x[t dW], ..., x[t dW + kW - 1])``. Gradients:
    ``gradInput[t dW + k] += W[:, k F : (k+1) F]^T gradOutput[t]`` (frames
    no window reads get 0), ``gradWeight = sum_{n, t} gradOutput[t]
    concat(...)^T``, ``gradBias = sum_{n, t} gradOutput[t]``. PyTorch:
    ``F.conv1d(x.transpose(-1, -2), W.view(O, kW, F).permute(0, 2, 1), b,
    stride=dW).transpose(-1, -2)``. Default init (Torch7 ``reset``):
    ``U(-s, s)``, ``s = 1/sqrt(kW inputFrameSize)``, for weight and bias.

    CPU kernel (``nnfunc/_cpu/temporal_convolution.pyx``): the unfolded
    frames are a strided view of the input, so there is no im2col. float32
    on a CPU with AVX-512 (at least 16 features in and out): nnfunc's own
    register-blocked AVX-512 products that read the frames in place
    (``_rowgemm.h``; the gradient with ``dW = 1``, the forward with any
    stride). Otherwise BLAS: ``kW`` GEMMs per product, one per kernel tap,
    on views.
    """

    backends = ("cpu", "gpu")

    def __init__(self, inputFrameSize, outputFrameSize, kW, dW=1):
        self.inputFrameSize = self.int_arg("inputFrameSize", inputFrameSize)
        self.outputFrameSize = self.int_arg("outputFrameSize", outputFrameSize)
        self.kW = self.int_arg("kW", kW)
        self.dW = self.int_arg("dW", dW)
        for name in ("inputFrameSize", "outputFrameSize", "kW", "dW"):
            v = getattr(self, name)
            if v > _INT_MAX:
                self.fail(f"argument {name}={v} exceeds the BLAS int limit {_INT_MAX}")
        if max(self.kW, self.dW) * self.inputFrameSize > _INT_MAX:
            self.fail(f"max(kW, dW)*inputFrameSize exceeds the BLAS int limit {_INT_MAX}")
        self.params = ("weight", "bias")

    def _repr_args(self):
        return f"{self.inputFrameSize}, {self.outputFrameSize}, {self.kW}, {self.dW}"

    def param_shapes(self):
        return {"weight": (self.outputFrameSize, self.kW * self.inputFrameSize),
                "bias": (self.outputFrameSize,)}

    def init_stdv(self):
        return 1.0 / math.sqrt(self.kW * self.inputFrameSize)

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (2, 3))
        shp = tuple(x.shape)
        n, t, f = (1,) + shp if nd == 2 else shp
        if f != self.inputFrameSize:
            self.fail(f"'input' has shape {shp}: the last (feature) dimension must be "
                      f"inputFrameSize={self.inputFrameSize}")
        if t < self.kW:
            self.fail(f"'input' of shape {shp} is too small for kW={self.kW}: it has {t} "
                      f"frames, computed output size {(t - self.kW) // self.dW + 1} frames, "
                      f"must be >= 1")
        ot = (t - self.kW) // self.dW + 1
        if t > _INT_MAX:
            self.fail(f"'input' of shape {shp} has more than {_INT_MAX} frames")
        why = f"for {self!r}"
        shapes = self.param_shapes()
        self.check_shape("weight", d["weight"], shapes["weight"], why)
        self.check_shape("bias", d["bias"], shapes["bias"], why)
        return nd == 3, n, t, ot

    def output_shape(self, info):
        batch, n, t, ot = info
        return (n, ot, self.outputFrameSize) if batch else (ot, self.outputFrameSize)

    # -- generic array-API math -------------------------------------------
    def _frames(self, xp, x3, ot):
        """Unfolded frames ``(N, T', kW*F)``, column ``k*F + i``."""
        taps = [x3[:, k:k + (ot - 1) * self.dW + 1:self.dW, :] for k in range(self.kW)]
        return xp.concat(taps, axis=2)

    def forward(self, xp, d, info):
        batch, n, t, ot = info
        x = d["input"]
        x3 = x if batch else x[None, ...]
        y = xp.matmul(self._frames(xp, x3, ot), xp.matrix_transpose(d["weight"]))
        y = y + d["bias"]
        return y if batch else y[0, ...]

    def backward(self, xp, d, info):
        batch, n, t, ot = info
        x, go = d["input"], d["gradOutput"]
        x3 = x if batch else x[None, ...]
        go3 = go if batch else go[None, ...]
        nb, f, dw = x3.shape[0], self.inputFrameSize, self.dW
        w = d["weight"]
        gframes = xp.matmul(go3, w)                    # (N, T', kW*F)
        # scatter frame k of output t back to input frame t*dW + k: zero
        # interleave along time (stride dW), shift by k, pad to T, sum
        gi = None
        for k in range(self.kW):
            g = gframes[:, :, k * f:(k + 1) * f]
            if dw > 1:
                z = xp.zeros_like(g)
                g = xp.reshape(xp.stack([g] + [z] * (dw - 1), axis=2), (nb, ot * dw, f))
                g = g[:, :(ot - 1) * dw + 1, :]
            parts = []
            if k:
                parts.append(xp.zeros((nb, k, f), dtype=x.dtype, device=_device(x)))
            parts.append(g)
            tail = t - k - g.shape[1]
            if tail:
                parts.append(xp.zeros((nb, tail, f), dtype=x.dtype, device=_device(x)))
            g = xp.concat(parts, axis=1) if len(parts) > 1 else g
            gi = g if gi is None else gi + g
        frames = self._frames(xp, x3, ot)
        go2 = xp.reshape(go3, (nb * ot, self.outputFrameSize))
        gw = xp.matmul(xp.matrix_transpose(go2),
                       xp.reshape(frames, (nb * ot, self.kW * f)))
        return {"gradInput": gi if batch else gi[0, ...], "gradWeight": gw,
                "gradBias": xp.sum(go2, axis=0)}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, t, ot = info
        return n, t, self.inputFrameSize, self.outputFrameSize, ot, self.kW, self.dW

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], d["weight"], d["bias"], y, *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        k.update_grad(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                      out["gradWeight"], out["gradBias"], *self._sizes(info))

    # -- CuPy path: unfold.cu over one-plane (T, F) images and cuBLAS GEMMs --
    def forward_gpu(self, g, d, info, y):
        g.temporal_conv_forward(d["input"], d["weight"], d["bias"], y, *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.temporal_conv_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                                 out["gradWeight"], out["gradBias"], *self._sizes(info))
