import math

import numpy as np

from .._core.module import Module
from ._spatial import (_INT_MAX, _device, check_output_size, check_pool_windows,
                       check_spatial_input, pad2d, pool_out_size, scatter_taps, taps)


def max_winners(xp, ts, valid):
    """The window maxima of the taps ``ts`` and, per tap, where it is its
    window's winner: the first (in scan order) valid tap equal to the max;
    in a window holding NaN (the max is NaN, nothing equals it) the last NaN
    tap instead. ``valid[i]`` masks the outputs where tap ``i`` is inside
    the input (invalid taps must hold ``-inf``)."""
    m = xp.max(xp.stack(ts, axis=0), axis=0)
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
    return m, sel


def winner_indices(xp, m, sel, pos):
    """The int64 index map of the winners: ``pos[i]`` (each tap's flat input
    offsets) where tap ``i`` wins (``sel[i]``); ``m`` gives shape and device."""
    zero = xp.zeros(m.shape, dtype=xp.int64, device=_device(m))
    ind = zero
    for s, p in zip(sel, pos):
        ind = ind + xp.where(s, p, zero)
    return ind


class SpatialMaxPooling(Module):
    """2-D max pooling over ``(C, H, W)`` images.

    Torch7: ``nn.SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``;
    ``:ceil()`` is ``ceil_mode=True`` (``:floor()`` the default). Width before
    height in every pair, as in Torch7. nnfunc adds ``return_indices=False``.

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

    Indices: with ``return_indices=True`` the forward also returns
    ``indices``, an int64 array of the output's shape holding the position
    of each window's maximum as a **0-based flat offset** ``iy * W + ix``
    into its ``(H, W)`` input plane (PyTorch's ``return_indices``
    encoding; Torch7 stored the same offset 1-based). They are what
    :class:`SpatialMaxUnpooling` takes. The default forward returns only
    ``{"output"}`` and computes no indices; the gradient never needs them
    (it recomputes the argmax from ``input``: pure, where Torch7 kept the
    indices of the last forward).

    Ties go to the first maximum in window scan order (row by row, left to
    right), as in Torch7 and PyTorch. NaN: a window holding a NaN outputs
    NaN and its gradient (and index) goes to the last NaN in scan order:
    PyTorch's CPU rule (``val > max || isnan(val)``), which the generic
    reference reproduces too (Torch7 builds may differ on NaN).
    """

    backends = ("cpu", "gpu")
    kernel = "spatial_max_pooling"

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0, ceil_mode=False,
                 return_indices=False):
        self._init(kW, kH, dW, dH, padW, padH, 1, 1, ceil_mode, return_indices)

    def _init(self, kW, kH, dW, dH, padW, padH, dilationW, dilationH, ceil_mode,
              return_indices):
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dW = self.kW if dW is None else self.int_arg("dW", dW)
        self.dH = self.kH if dH is None else self.int_arg("dH", dH)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.dilationW = self.int_arg("dilationW", dilationW)
        self.dilationH = self.int_arg("dilationH", dilationH)
        self.ceil_mode = self.bool_arg("ceil_mode", ceil_mode)
        self.return_indices = self.bool_arg("return_indices", return_indices)
        self.extra_outputs = ("indices",) if self.return_indices else ()
        for p, k in (("padW", "kW"), ("padH", "kH")):
            if getattr(self, p) > getattr(self, k) // 2:
                self.fail(f"argument {p}={getattr(self, p)} must be <= {k}//2 = "
                          f"{getattr(self, k) // 2} (padding at most half the kernel size)")
        for name in ("kW", "kH", "dW", "dH", "dilationW", "dilationH"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} is too large")
        if self.kW * self.kH > 2**24:
            # the CPU kernel numbers window taps in the input's float type
            self.fail(f"kernel kW*kH = {self.kW * self.kH} exceeds 2**24 elements")

    def _repr_args(self):
        s = f"{self.kW}, {self.kH}, {self.dW}, {self.dH}, {self.padW}, {self.padH}"
        s += (", ceil_mode=True" if self.ceil_mode else "")
        return s + (", return_indices=True" if self.return_indices else "")

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        kh, kw, dh, dw = self.kH, self.kW, self.dH, self.dW
        ph, pw, lh, lw = self.padH, self.padW, self.dilationH, self.dilationW
        oh = pool_out_size(h, kh, dh, ph, self.ceil_mode, lh)
        ow = pool_out_size(w, kw, dw, pw, self.ceil_mode, lw)
        what = (f"kernel (kH, kW) = ({kh}, {kw}), stride (dH, dW) = ({dh}, {dw}), "
                f"padding (padH, padW) = ({ph}, {pw})")
        if lh > 1 or lw > 1:
            what += f", dilation (dilationH, dilationW) = ({lh}, {lw})"
        check_output_size(self, x, oh, ow, what)
        if lh > 1:
            check_pool_windows(self, x, h, kh, dh, ph, lh, oh, "the height")
        if lw > 1:
            check_pool_windows(self, x, w, kw, dw, pw, lw, ow, "the width")
        return batch, n, c, h, w, oh, ow

    def output_shape(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n, c, oh, ow) if batch else (c, oh, ow)

    # -- generic array-API math -------------------------------------------
    def _taps(self, xp, x, info):
        """The kH*kW window taps of the -inf padded input, and per tap a
        ``(oH, oW)`` mask of the outputs where that tap is inside the input
        and the tap's flat plane offsets ``iy * W + ix`` (int64)."""
        batch, n, c, h, w, oh, ow = info
        kh, kw, dh, dw, ph, pw = self.kH, self.kW, self.dH, self.dW, self.padH, self.padW
        lh, lw = self.dilationH, self.dilationW
        # rows/cols past the padding that ceil-mode windows may reach
        eh = max(0, (oh - 1) * dh + (kh - 1) * lh + 1 - (h + 2 * ph))
        ew = max(0, (ow - 1) * dw + (kw - 1) * lw + 1 - (w + 2 * pw))
        xpad = pad2d(xp, x, ph, ph + eh, pw, pw + ew, value=-math.inf)
        ts = taps(xpad, kh, kw, dh, dw, oh, ow, lh, lw)
        dev = _device(x)
        rows = xp.arange(oh, dtype=xp.int64, device=dev) * dh - ph
        cols = xp.arange(ow, dtype=xp.int64, device=dev) * dw - pw
        valid, pos = [], []
        for ky in range(kh):
            r = rows + ky * lh
            rv = (r >= 0) & (r < h)
            for kx in range(kw):
                cc = cols + kx * lw
                cv = (cc >= 0) & (cc < w)
                valid.append(rv[:, None] & cv[None, :])
                pos.append(r[:, None] * w + cc[None, :])
        return ts, valid, pos

    def forward(self, xp, d, info):
        ts, valid, pos = self._taps(xp, d["input"], info)
        if not self.return_indices:
            return xp.max(xp.stack(ts, axis=0), axis=0)
        m, sel = max_winners(xp, ts, valid)
        return {"output": m, "indices": winner_indices(xp, m, sel, pos)}

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        go = d["gradOutput"]
        ts, valid, _ = self._taps(xp, d["input"], info)
        _, sel = max_winners(xp, ts, valid)
        zero = xp.zeros_like(go)
        gtaps = [xp.where(s, go, zero) for s in sel]
        gi = scatter_taps(xp, gtaps, self.kH, self.kW, self.dH, self.dW, self.padH, self.padW,
                          h, w, self.dilationH, self.dilationW)
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n * c, h, w, oh, ow, self.kH, self.kW, self.dH, self.dW,
                self.padH, self.padW, self.dilationH, self.dilationW)

    def forward_cpu(self, k, d, info, y):
        if not self.return_indices:
            k.update_output(d["input"], y, None, *self._sizes(info))
            return None
        ind = np.empty(y.shape, dtype=np.int64)
        k.update_output(d["input"], y, ind, *self._sizes(info))
        return {"indices": ind}

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], *self._sizes(info))

    # -- CuPy path (maxpool.cu): the same sizes ---------------------------
    def forward_gpu(self, g, d, info, y):
        ind = g.maxpool_forward(d["input"], y, g.spatial3d(*self._sizes(info)),
                                self.return_indices)
        return None if ind is None else {"indices": ind}

    def backward_gpu(self, g, d, info, out):
        g.maxpool_backward(d["input"], d["gradOutput"], out["gradInput"],
                           g.spatial3d(*self._sizes(info)))


class SpatialDilatedMaxPooling(SpatialMaxPooling):
    """2-D max pooling over dilated windows.

    Torch7: ``nn.SpatialDilatedMaxPooling(kW, kH, dW=kW, dH=kH, padW=0,
    padH=0, dilationW=1, dilationH=1)``; ``:ceil()`` is ``ceil_mode=True``.
    nnfunc adds ``return_indices=False``.

    :class:`SpatialMaxPooling` with the taps of a window spaced by the
    dilation: ``y[c, i, j]`` is the maximum of ``x[c, i dH - padH + ky
    dilationH, j dW - padW + kx dilationW]`` over ``0 <= ky < kH``,
    ``0 <= kx < kW`` (taps in the padding do not count). Output size
    ``oH = floor((H + 2 padH - dilationH (kH - 1) - 1) / dH) + 1`` (``oW``
    likewise); ceil mode, the dropped last window, the padding limit
    ``pad <= k // 2``, ties, NaN, the gradient and the ``indices`` encoding
    (0-based flat offsets ``iy * W + ix``; Torch7 stored them 1-based) are
    those of :class:`SpatialMaxPooling`. A window whose taps all fall in the
    padding (possible when the dilation steps over a short input, e.g.
    ``W = 2, kW = 2, padW = 1, dilationW = 3``) is an error (PyTorch outputs
    ``-inf`` there). PyTorch: ``F.max_pool2d(x, (kH, kW), (dH, dW), (padH,
    padW), (dilationH, dilationW), ceil_mode=ceil_mode)``.
    """

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0, dilationW=1, dilationH=1,
                 ceil_mode=False, return_indices=False):
        self._init(kW, kH, dW, dH, padW, padH, dilationW, dilationH, ceil_mode,
                   return_indices)

    def _repr_args(self):
        s = (f"{self.kW}, {self.kH}, {self.dW}, {self.dH}, {self.padW}, {self.padH}, "
             f"{self.dilationW}, {self.dilationH}")
        s += (", ceil_mode=True" if self.ceil_mode else "")
        return s + (", return_indices=True" if self.return_indices else "")
