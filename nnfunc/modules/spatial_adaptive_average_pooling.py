from .._core.module import Module
from ._spatial import _INT_MAX, _device, adaptive_bins, check_spatial_input


class AdaptivePooling(Module):
    """Shared shape rules of the adaptive poolings: output ``(C, H, W)`` or
    ``(N, C, H, W)`` for a constructor ``(W, H)``."""

    backends = ("cpu", "gpu")
    kernel = "spatial_adaptive_pooling"

    def __init__(self, W, H):
        self.W = self.int_arg("W", W)
        self.H = self.int_arg("H", H)
        for name in ("W", "H"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} is too large")

    def _repr_args(self):
        return f"{self.W}, {self.H}"

    def check(self, d):
        batch, n, c, h, w = check_spatial_input(self, d["input"])
        return batch, n, c, h, w, self.H, self.W

    def output_shape(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n, c, oh, ow) if batch else (c, oh, ow)

    def _bin_matrix(self, xp, n, o, dtype, dev):
        """``(o, n)``: 1 where element ``j`` is in bin ``i``, else 0; and the
        bin sizes ``(o,)``."""
        b = adaptive_bins(n, o)
        s = xp.asarray([a for a, _ in b], dtype=xp.int64, device=dev)
        e = xp.asarray([z for _, z in b], dtype=xp.int64, device=dev)
        j = xp.arange(n, dtype=xp.int64, device=dev)
        m = (j[None, :] >= s[:, None]) & (j[None, :] < e[:, None])
        return xp.astype(m, dtype), xp.astype(e - s, dtype)

    def _sizes(self, info):
        batch, n, c, h, w, oh, ow = info
        return n * c, h, w, oh, ow


class SpatialAdaptiveAveragePooling(AdaptivePooling):
    """2-D average pooling to a fixed output size.

    Torch7: ``nn.SpatialAdaptiveAveragePooling(W, H)``: the output **width
    first**, then height. ``input``: ``(C, iH, iW)`` or ``(N, C, iH, iW)``
    (any size, also smaller than the output); ``output``: ``(C, H, W)`` or
    ``(N, C, H, W)``. Output row ``i`` pools the input rows
    ``floor(i iH / H) <= r < ceil((i + 1) iH / H)`` (columns likewise; bins
    may overlap and are never empty); ``y`` is the mean over the bin, and
    ``gradInput`` spreads ``gradOutput / bin size`` over each bin. The bin
    bounds are exact integer arithmetic (Torch7 computed them through a
    float division, which is exact for every realistic size). PyTorch:
    ``F.adaptive_avg_pool2d(x, (H, W))``.
    """

    def forward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        x = d["input"]
        dev = _device(x)
        ah, ch = self._bin_matrix(xp, h, oh, x.dtype, dev)
        aw, cw = self._bin_matrix(xp, w, ow, x.dtype, dev)
        s = ah @ (x @ xp.permute_dims(aw, (1, 0)))
        return s / (ch[:, None] * cw[None, :])

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        go = d["gradOutput"]
        dev = _device(go)
        ah, ch = self._bin_matrix(xp, h, oh, go.dtype, dev)
        aw, cw = self._bin_matrix(xp, w, ow, go.dtype, dev)
        g = go / (ch[:, None] * cw[None, :])
        return {"gradInput": xp.permute_dims(ah, (1, 0)) @ (g @ aw)}

    def forward_cpu(self, k, d, info, y):
        k.avg_update_output(d["input"], y, *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        k.avg_update_grad_input(d["gradOutput"], out["gradInput"], *self._sizes(info))

    # -- CuPy path (adaptive.cu): the same bins ----------------------------
    def forward_gpu(self, g, d, info, y):
        g.adaptive_avg_forward(d["input"], y, *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.adaptive_avg_backward(d["gradOutput"], out["gradInput"], *self._sizes(info))
