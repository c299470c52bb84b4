import math

from .._core.module import Module
from ._spatial import (_INT_MAX, _device, check_output_size, check_spatial_input, pad2d,
                       pool_out_size, scatter_taps, taps)


class SpatialMaxPooling(Module):
    """2-D max pooling over ``(C, H, W)`` images.

    Torch7: ``nn.SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``;
    ``:ceil()`` is ``ceil_mode=True`` (``:floor()`` the default). Width before
    height in every pair, as in Torch7.

    ``input``: ``(C, H, W)`` or ``(N, C, H, W)``; ``output``: ``(C, oH, oW)``
    or ``(N, C, oH, oW)``: ``y[c, i, j]`` is the maximum of the window of
    rows ``i dH - padH ... + kH - 1`` and columns ``j dW - padW ... + kW - 1``
    of plane ``c`` (positions in the padding do not count: they act as
    ``-inf``). ``gradInput`` routes each ``gradOutput`` element to the
    position of its window's maximum (summed where windows overlap).
    PyTorch: ``F.max_pool2d(x, (kH, kW), (dH, dW), (padH, padW),
    ceil_mode=ceil_mode)``.

    Output size: ``oH = floor((H + 2 padH - kH) / dH) + 1``; with
    ``ceil_mode`` the division rounds up, and a last window that would start
    at or past ``H + padH`` (entirely in the right/bottom padding) is
    dropped (``oW`` likewise). The drop is PyTorch's rule and is applied
    whatever the padding; Torch7 applied it only when ``padW`` or ``padH``
    was non-zero. The two differ only with zero padding and a stride larger
    than the kernel (e.g. ``kH = 2, dH = 3, H = 6``: Torch7 gave 3 rows, the
    last window covering rows 6-7, wholly past the input, so its output was
    ``-inf`` and its index pointed outside the plane; PyTorch and nnfunc give
    2 rows). We follow PyTorch because such a window holds no input element
    and has no meaningful value or gradient. Padding must satisfy
    ``padW <= kW // 2`` and ``padH <= kH // 2`` (as Torch7 and PyTorch), so
    every window holds at least one input element. Windows are limited to
    ``kW * kH <= 2**24`` elements.

    Purity: the forward returns only ``{"output"}`` (Torch7 also kept the
    argmax ``indices``); the gradient recomputes the argmax from ``input``.
    Ties go to the first maximum in window scan order (row by row, left to
    right), as in Torch7 and PyTorch. NaN: a window holding a NaN outputs
    NaN and its gradient goes to the last NaN in scan order: PyTorch's CPU
    rule (``val > max || isnan(val)``), which the generic reference
    reproduces too (Torch7 builds may differ on NaN).
    """

    backends = ("cpu", "gpu")

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0, ceil_mode=False):
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dW = self.kW if dW is None else self.int_arg("dW", dW)
        self.dH = self.kH if dH is None else self.int_arg("dH", dH)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.ceil_mode = self.bool_arg("ceil_mode", ceil_mode)
        for p, k in (("padW", "kW"), ("padH", "kH")):
            if getattr(self, p) > getattr(self, k) // 2:
                self.fail(f"argument {p}={getattr(self, p)} must be <= {k}//2 = "
                          f"{getattr(self, k) // 2} (padding at most half the kernel size)")
        for name in ("kW", "kH", "dW", "dH"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} is too large")
        if self.kW * self.kH > 2**24:
            # the CPU kernel numbers window taps in the input's float type
            self.fail(f"kernel kW*kH = {self.kW * self.kH} exceeds 2**24 elements")

    def _repr_args(self):
        s = f"{self.kW}, {self.kH}, {self.dW}, {self.dH}, {self.padW}, {self.padH}"
        return s + (", ceil_mode=True" if self.ceil_mode else "")

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
    def _taps(self, xp, x, info):
        """The kH*kW window taps of the -inf padded input, and per tap a
        ``(oH, oW)`` mask of the outputs where that tap is inside the input."""
        batch, n, c, h, w, oh, ow = info
        kh, kw, dh, dw, ph, pw = self.kH, self.kW, self.dH, self.dW, self.padH, self.padW
        # rows/cols past the padding that ceil-mode windows may reach
        eh = max(0, (oh - 1) * dh + kh - (h + 2 * ph))
        ew = max(0, (ow - 1) * dw + kw - (w + 2 * pw))
        xpad = pad2d(xp, x, ph, ph + eh, pw, pw + ew, value=-math.inf)
        ts = taps(xpad, kh, kw, dh, dw, oh, ow)
        dev = _device(x)
        rows = xp.arange(oh, device=dev) * dh - ph
        cols = xp.arange(ow, device=dev) * dw - pw
        valid = []
        for ky in range(kh):
            r = (rows + ky >= 0) & (rows + ky < h)
            for kx in range(kw):
                cc = (cols + kx >= 0) & (cols + kx < w)
                valid.append(r[:, None] & cc[None, :])
        return ts, valid

    def forward(self, xp, d, info):
        ts, _ = self._taps(xp, d["input"], info)
        return xp.max(xp.stack(ts, axis=0), axis=0)

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        x, go = d["input"], d["gradOutput"]
        ts, valid = self._taps(xp, x, info)
        m = xp.max(xp.stack(ts, axis=0), axis=0)
        # the winning tap of each window: the first (in scan order) valid tap
        # equal to the max; in a window holding NaN (m is NaN, nothing equals
        # it) the last NaN tap instead
        sel = []
        found = None
        for t, v in zip(ts, valid):
            hit = (t == m) & v
            sel.append(hit if found is None else hit & ~found)
            found = hit if found is None else found | hit
        found = None
        for i in range(len(ts) - 1, -1, -1):
            hit = xp.isnan(ts[i])
            sel[i] = sel[i] | (hit if found is None else hit & ~found)
            found = hit if found is None else found | hit
        zero = xp.zeros_like(go)
        gtaps = [xp.where(s, go, zero) for s in sel]
        gi = scatter_taps(xp, gtaps, self.kH, self.kW, self.dH, self.dW, self.padH, self.padW,
                          h, w)
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n * c, h, w, oh, ow, self.kH, self.kW, self.dH, self.dW,
                self.padH, self.padW)

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], y, *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], *self._sizes(info))

    # -- CuPy path (maxpool.cu): same scan order, tie and NaN rules --------
    def forward_gpu(self, g, d, info, y):
        g.maxpool_forward(d["input"], y, *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.maxpool_backward(d["input"], d["gradOutput"], out["gradInput"], *self._sizes(info))
