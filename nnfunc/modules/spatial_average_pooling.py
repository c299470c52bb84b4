from .._core.module import Module
from ._spatial import (_INT_MAX, _device, check_output_size, check_spatial_input, pad2d,
                       pool_out_size, scatter_taps, taps)


def _count(s, k, n, pad, include_pad):
    """The divisor's factor along one axis for a window starting at ``s``."""
    e = min(s + k, n + pad) if include_pad else min(s + k, n)
    return e - (s if include_pad else max(s, 0))


class SpatialAveragePooling(Module):
    """2-D average pooling over ``(C, H, W)`` images.

    Torch7: ``nn.SpatialAveragePooling(kW, kH, dW=1, dH=1, padW=0, padH=0)``
    (the default stride is 1, unlike max pooling); ``:ceil()`` is
    ``ceil_mode=True``, ``:setCountExcludePad()`` is
    ``count_include_pad=False`` (Torch7's default, ``:setCountIncludePad()``,
    is ``True``), and the field ``divide = false`` is ``divide=False``.

    ``input``: ``(C, H, W)`` or ``(N, C, H, W)``; ``output``: ``(C, oH, oW)``
    or ``(N, C, oH, oW)``: ``y[c, i, j]`` is the sum of plane ``c`` over the
    window of rows ``i dH - padH ... + kH - 1`` and columns ``j dW - padW
    ... + kW - 1`` (padding adds zeros) divided by the window's size: with
    ``count_include_pad`` the window clipped to the padded image (rows
    ``[-padH, H + padH)``; so a ceil-mode window hanging past the padding
    counts only its part inside it), else clipped to the image itself.
    ``divide=False`` multiplies that mean by ``kW * kH`` (Torch7's rule,
    which is the window sum only where the divisor is ``kW * kH``).
    ``gradInput`` spreads each ``gradOutput`` element, scaled the same way,
    over its window. PyTorch: ``F.avg_pool2d(x, (kH, kW), (dH, dW), (padH,
    padW), ceil_mode, count_include_pad)``.

    Output size and ceil mode as :class:`SpatialMaxPooling`: ``oH = floor((H
    + 2 padH - kH) / dH) + 1``, rounded up with ``ceil_mode``, and a last
    window that would start at or past ``H + padH`` dropped whatever the
    padding (PyTorch's rule; Torch7 dropped it only when some padding was
    non-zero, which with zero padding and a stride larger than the kernel
    gave an extra all-outside window with output 0). Padding must satisfy
    ``pad <= k // 2`` (Torch7 and PyTorch), so every window holds an input
    element.
    """

    backends = ("cpu", "gpu")

    def __init__(self, kW, kH, dW=1, dH=1, padW=0, padH=0, ceil_mode=False,
                 count_include_pad=True, divide=True):
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dW = self.int_arg("dW", dW)
        self.dH = self.int_arg("dH", dH)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.ceil_mode = self.bool_arg("ceil_mode", ceil_mode)
        self.count_include_pad = self.bool_arg("count_include_pad", count_include_pad)
        self.divide = self.bool_arg("divide", divide)
        for p, k in (("padW", "kW"), ("padH", "kH")):
            if getattr(self, p) > getattr(self, k) // 2:
                self.fail(f"argument {p}={getattr(self, p)} must be <= {k}//2 = "
                          f"{getattr(self, k) // 2} (padding at most half the kernel size)")
        for name in ("kW", "kH", "dW", "dH"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} is too large")

    def _repr_args(self):
        s = f"{self.kW}, {self.kH}, {self.dW}, {self.dH}, {self.padW}, {self.padH}"
        s += ", ceil_mode=True" if self.ceil_mode else ""
        s += ", count_include_pad=False" if not self.count_include_pad else ""
        return s + (", divide=False" if not self.divide else "")

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        oh = pool_out_size(h, self.kH, self.dH, self.padH, self.ceil_mode)
        ow = pool_out_size(w, self.kW, self.dW, self.padW, self.ceil_mode)
        check_output_size(self, x, oh, ow,
                          f"kernel (kH, kW) = ({self.kH}, {self.kW}), stride (dH, dW) = "
                          f"({self.dH}, {self.dW}), padding (padH, padW) = "
                          f"({self.padH}, {self.padW})")
        return batch, n, c, h, w, oh, ow

    def output_shape(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n, c, oh, ow) if batch else (c, oh, ow)

    # -- generic array-API math -------------------------------------------
    def _scale(self, xp, info, dtype, dev):
        """``(oH, oW)``: mult / divisor of every window."""
        batch, n, c, h, w, oh, ow = info
        inc = self.count_include_pad
        mult = float(self.kW * self.kH) if not self.divide else 1.0
        rows = [_count(i * self.dH - self.padH, self.kH, h, self.padH, inc) for i in range(oh)]
        cols = [_count(j * self.dW - self.padW, self.kW, w, self.padW, inc) for j in range(ow)]
        r = xp.asarray(rows, dtype=dtype, device=dev)
        cl = xp.asarray(cols, dtype=dtype, device=dev)
        return mult / (r[:, None] * cl[None, :])

    def forward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        x = d["input"]
        kh, kw, dh, dw, ph, pw = self.kH, self.kW, self.dH, self.dW, self.padH, self.padW
        # rows/cols past the padding that ceil-mode windows may reach
        eh = max(0, (oh - 1) * dh + kh - (h + 2 * ph))
        ew = max(0, (ow - 1) * dw + kw - (w + 2 * pw))
        xpad = pad2d(xp, x, ph, ph + eh, pw, pw + ew)
        total = None
        for t in taps(xpad, kh, kw, dh, dw, oh, ow):
            total = t if total is None else total + t
        return total * self._scale(xp, info, x.dtype, _device(x))

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        go = d["gradOutput"]
        g = go * self._scale(xp, info, go.dtype, _device(go))
        gi = scatter_taps(xp, [g] * (self.kH * self.kW), self.kH, self.kW, self.dH, self.dW,
                          self.padH, self.padW, h, w)
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n * c, h, w, oh, ow, self.kH, self.kW, self.dH, self.dW, self.padH, self.padW,
                self.count_include_pad, float(self.kW * self.kH) if not self.divide else 1.0)

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], y, *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(d["gradOutput"], out["gradInput"], *self._sizes(info))

    # -- CuPy path (avgpool.cu): the same sizes ---------------------------
    def _gpu_sizes(self, g, info):
        s = self._sizes(info)
        return g.spatial3d(*s[:11]), s[11], s[12]

    def forward_gpu(self, g, d, info, y):
        g.avgpool_forward(d["input"], y, *self._gpu_sizes(g, info))

    def backward_gpu(self, g, d, info, out):
        g.avgpool_backward(d["gradOutput"], out["gradInput"], *self._gpu_sizes(g, info))
