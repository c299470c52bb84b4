import numpy as np

from ._spatial import _device
from ._upsampling import _Upsampling2d, gpu_interp_maps, interp_matrix, linear_taps


class SpatialUpSamplingBilinear(_Upsampling2d):
    """Bilinear upsampling of an image, corners aligned.

    Torch7: ``nn.SpatialUpSamplingBilinear(scale)`` (an integer >= 1) or
    ``nn.SpatialUpSamplingBilinear({oheight=H', owidth=W'})``; here the
    table is a dict ``{"oheight": H', "owidth": W'}`` or the keywords
    ``oheight=``, ``owidth=`` (both needed, each >= 1). ``input``:
    ``(C, H, W)`` or ``(N, C, H, W)``; ``output``: ``(..., H scale, W scale)``
    or ``(..., oheight, owidth)``. This is the size rule of the Torch7 code
    at HEAD; its comments and docs said ``(H - 1)(scale - 1) + H``.

    Formula: output row ``i`` reads input rows ``i0 = floor(s)`` and
    ``i1 = min(i0 + 1, H - 1)`` with weights ``1 - l, l``, ``s = i (H - 1) /
    (oH - 1)`` (0 when ``oH = 1``), ``l = s - i0``; columns likewise:
    ``y = (1-ly)((1-lx) x00 + lx x01) + ly((1-lx) x10 + lx x11)``, as
    ``F.interpolate(x, size=(oH, oW), mode='bilinear', align_corners=True)``.
    ``gradInput``: the adjoint (each ``gradOutput`` element spread onto its
    four taps with the same weights). Decision: source positions are
    computed in float64 for both dtypes (PyTorch's rule for float64); Torch7
    computed them in float32 even for doubles (~1e-7 relative difference).
    """

    backends = ("cpu", "gpu")

    def __init__(self, scale=None, oheight=None, owidth=None):
        if isinstance(scale, dict):
            extra = set(scale) - {"oheight", "owidth"}
            if extra or oheight is not None or owidth is not None:
                self.fail_type(f"the size table takes only the keys 'oheight' and 'owidth', "
                               f"got {sorted(scale)}")
            oheight, owidth = scale.get("oheight"), scale.get("owidth")
            scale = None
        if scale is not None:
            if oheight is not None or owidth is not None:
                self.fail("give either scale or (oheight, owidth), not both")
            self.scale = self.int_arg("scale", scale)
            self.oheight = self.owidth = None
        else:
            if oheight is None or owidth is None:
                self.fail("needs scale, or both oheight and owidth")
            self.scale = None
            self.oheight = self.int_arg("oheight", oheight)
            self.owidth = self.int_arg("owidth", owidth)

    def _repr_args(self):
        if self.scale is not None:
            return str(self.scale)
        return f"oheight={self.oheight}, owidth={self.owidth}"

    def _out_size(self, h, w):
        if self.scale is not None:
            return h * self.scale, w * self.scale
        return self.oheight, self.owidth

    def forward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        x = d["input"]
        dev = _device(x)
        y0, y1, wy = linear_taps(h, oh)
        x0, x1, wx = linear_taps(w, ow)

        def idx(a):
            return xp.asarray(a.tolist(), device=dev)
        b = xp.asarray(wy.tolist(), dtype=x.dtype, device=dev)[:, None]
        v = xp.asarray(wx.tolist(), dtype=x.dtype, device=dev)
        a, u = 1 - b, 1 - v
        r0 = xp.take(x, idx(y0), axis=-2)
        r1 = xp.take(x, idx(y1), axis=-2)
        c0, c1 = idx(x0), idx(x1)
        return (a * (u * xp.take(r0, c0, axis=-1) + v * xp.take(r0, c1, axis=-1))
                + b * (u * xp.take(r1, c0, axis=-1) + v * xp.take(r1, c1, axis=-1)))

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        g = d["gradOutput"]
        dev = _device(g)
        mh = interp_matrix(xp, h, oh, g.dtype, dev)
        mw = interp_matrix(xp, w, ow, g.dtype, dev)
        return {"gradInput": xp.matmul(xp.matmul(xp.matrix_transpose(mh), g), mw)}

    def _maps(self, info, dtype):
        batch, n, c, h, w, oh, ow = info
        y0, y1, wy = linear_taps(h, oh)
        x0, x1, wx = linear_taps(w, ow)
        return (y0, y1, wy.astype(dtype), x0, x1, wx.astype(dtype), n * c, h, w, oh, ow)

    def forward_cpu(self, k, d, info, y):
        k.bilinear(d["input"], y, *self._maps(info, y.dtype))

    def backward_cpu(self, k, d, info, out):
        k.bilinear_grad(d["gradOutput"], out["gradInput"],
                        *self._maps(info, out["gradInput"].dtype))

    # -- CuPy path (interp.cu): the same taps ---------------------------------
    def forward_gpu(self, g, d, info, y):
        batch, n, c, h, w, oh, ow = info
        maps = gpu_interp_maps(self, g, h, w, oh, ow, False)
        g.interp(d["input"], y, maps, n * c, h, w, oh, ow)

    def backward_gpu(self, g, d, info, out):
        batch, n, c, h, w, oh, ow = info
        inv = gpu_interp_maps(self, g, h, w, oh, ow, True)
        g.interp_adjoint(d["gradOutput"], out["gradInput"], inv, n * c, h, w, oh, ow)
