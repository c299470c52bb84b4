import math

import numpy as np

from ._spatial import _device, adaptive_bins
from .spatial_adaptive_average_pooling import AdaptivePooling
from .spatial_max_pooling import max_winners, winner_indices


class SpatialAdaptiveMaxPooling(AdaptivePooling):
    """2-D max pooling to a fixed output size.

    Torch7: ``nn.SpatialAdaptiveMaxPooling(W, H)``: the output **width
    first**, then height; nnfunc adds ``return_indices=False``. ``input``:
    ``(C, iH, iW)`` or ``(N, C, iH, iW)``; ``output``: ``(C, H, W)`` or
    ``(N, C, H, W)``: the maximum over the bin of rows ``floor(i iH / H) <=
    r < ceil((i + 1) iH / H)`` and the columns likewise; ``gradInput``
    routes each ``gradOutput`` element to its bin's maximum (summed where
    bins overlap). PyTorch: ``F.adaptive_max_pool2d(x, (H, W))``.

    Decisions where Torch7 differs:

    - Bin bounds are exact integer floor/ceil (PyTorch's). Torch7 evaluated
      them in float32 as ``(float)i / H * iH``, which for some sizes widens
      a bin by one element (``iH = 21, H = 7``: bin 0 is rows 0-3, not 0-2;
      25 of the (in, out) pairs with out <= in < 40), an artefact of
      rounding that its average pooling does not share.
    - Indices (``return_indices=True``: the forward also returns
      ``indices``) are **0-based flat offsets** ``iy * iW + ix`` into the
      input plane, as for :class:`SpatialMaxPooling` and PyTorch; Torch7
      stored 1-based ``(y, x)`` offsets inside the bin in a leading
      dimension of size 2.
    - Ties go to the first maximum in row-major scan order of the bin;
      a bin holding NaN outputs NaN and points at its last NaN (PyTorch's
      CPU rule; Torch7 ignored NaN). An all ``-inf`` bin picks its first
      element (Torch7 left the index unset).
    """

    def __init__(self, W, H, return_indices=False):
        super().__init__(W, H)
        self.return_indices = self.bool_arg("return_indices", return_indices)
        self.extra_outputs = ("indices",) if self.return_indices else ()

    def _repr_args(self):
        return f"{self.W}, {self.H}" + (", return_indices=True" if self.return_indices else "")

    def check(self, d):
        info = super().check(d)
        if info[3] > 2**24 or info[4] > 2**24:
            # the CPU kernel carries row and column numbers in the float type
            self.fail(f"'input' of shape {tuple(d['input'].shape)}: height and width must be "
                      "<= 2**24")
        return info

    def _taps(self, xp, x, info):
        """Per offset ``(ky, kx)`` inside the bins (up to the largest bin):
        the values (``-inf`` where the offset is past the bin), the validity
        masks ``(oH, oW)``, the flat offsets, and the row/column index
        arrays used."""
        batch, n, c, h, w, oh, ow = info
        dev = _device(x)
        bh, bw = adaptive_bins(h, oh), adaptive_bins(w, ow)
        kh = max(e - s for s, e in bh)
        kw = max(e - s for s, e in bw)
        sh = xp.asarray([s for s, _ in bh], dtype=xp.int64, device=dev)
        eh = xp.asarray([e for _, e in bh], dtype=xp.int64, device=dev)
        sw = xp.asarray([s for s, _ in bw], dtype=xp.int64, device=dev)
        ew = xp.asarray([e for _, e in bw], dtype=xp.int64, device=dev)
        ninf = xp.asarray(-math.inf, dtype=x.dtype, device=dev)
        ts, valid, pos, rc = [], [], [], []
        for ky in range(kh):
            r = sh + ky
            rv = r < eh
            r = xp.where(rv, r, sh)            # in range everywhere
            rows = xp.take(x, r, axis=-2)      # (..., oH, W)
            for kx in range(kw):
                cl = sw + kx
                cv = cl < ew
                cl = xp.where(cv, cl, sw)
                v = rv[:, None] & cv[None, :]
                ts.append(xp.where(v, xp.take(rows, cl, axis=-1), ninf))
                valid.append(v)
                pos.append(r[:, None] * w + cl[None, :])
                rc.append((r, rv, cl, cv))
        return ts, valid, pos, rc

    def forward(self, xp, d, info):
        ts, valid, pos, _ = self._taps(xp, d["input"], info)
        m, sel = max_winners(xp, ts, valid)
        if not self.return_indices:
            return m
        return {"output": m, "indices": winner_indices(xp, m, sel, pos)}

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        go = d["gradOutput"]
        dev = _device(go)
        ts, valid, _, rc = self._taps(xp, d["input"], info)
        _, sel = max_winners(xp, ts, valid)
        zero = xp.zeros_like(go)
        jh = xp.arange(h, dtype=xp.int64, device=dev)
        jw = xp.arange(w, dtype=xp.int64, device=dev)
        gi = None
        for s, (r, rv, cl, cv) in zip(sel, rc):
            # one-hot (oH, H) and (oW, W) of the tap's rows and columns
            rh = xp.astype((jh[None, :] == r[:, None]) & rv[:, None], go.dtype)
            cw = xp.astype((jw[None, :] == cl[:, None]) & cv[:, None], go.dtype)
            t = xp.permute_dims(rh, (1, 0)) @ xp.where(s, go, zero) @ cw
            gi = t if gi is None else gi + t
        return {"gradInput": gi}

    def forward_cpu(self, k, d, info, y):
        ind = np.empty(y.shape, dtype=np.int64)
        k.max_update_output(d["input"], y, ind, *self._sizes(info))
        return {"indices": ind} if self.return_indices else None

    def backward_cpu(self, k, d, info, out):
        k.max_update_grad_input(d["input"], d["gradOutput"], out["gradInput"],
                                *self._sizes(info))

    # -- CuPy path (adaptive.cu): the same bins ----------------------------
    def forward_gpu(self, g, d, info, y):
        ind = g.adaptive_max_forward(d["input"], y, *self._sizes(info),
                                     indices=self.return_indices)
        return None if ind is None else {"indices": ind}

    def backward_gpu(self, g, d, info, out):
        g.adaptive_max_backward(d["input"], d["gradOutput"], out["gradInput"],
                                *self._sizes(info))
