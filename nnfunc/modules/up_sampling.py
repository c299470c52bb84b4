import numpy as np

from .._core.module import Module
from ._padding import gpu_gather, gpu_gather_adjoint
from ._spatial import _device
from ._upsampling import gpu_depth_maps, gpu_interp_maps, interp_matrix, linear_taps

_LINEAR = ("linear", "bilinear", "trilinear")


def _linear_axis(xp, x, axis, n, o):
    """Align-corners linear interpolation of ``x`` along ``axis`` (n -> o)."""
    dev = _device(x)
    i0, i1, w1 = linear_taps(n, o)
    shp = [1] * x.ndim
    shp[axis] = o
    v = xp.reshape(xp.asarray(w1.tolist(), dtype=x.dtype, device=dev), tuple(shp))
    a = xp.take(x, xp.asarray(i0.tolist(), device=dev), axis=axis)
    b = xp.take(x, xp.asarray(i1.tolist(), device=dev), axis=axis)
    return (1 - v) * a + v * b


class UpSampling(Module):
    """Nearest or (bi/tri)linear upsampling of a batch of images or volumes.

    Torch7: ``nn.UpSampling(params, mode='nearest')``: ``params`` an integer
    scale >= 1, or (linear mode only) a size table, here a dict
    ``{"oheight": H', "owidth": W'[, "odepth": T']}``; ``mode`` is
    ``'nearest'`` or ``'linear'`` (``'bilinear'``, ``'trilinear'`` are
    synonyms). Torch7 silently treated any other mode as nearest; nnfunc
    refuses it. ``input``: ``(N, C, H, W)`` or ``(N, C, T, H, W)`` (the batch
    axis is mandatory, as Torch7); ``output``: every spatial size times
    ``scale`` (the Torch7 code at HEAD also for linear mode; its docs said
    ``(n - 1)(scale - 1) + n``), or the given sizes (``odepth`` needed for
    5-D input).

    Nearest: ``y[..., i, j] = x[..., i // scale, j // scale]`` (and depth);
    gradient: block sums. Linear: corners aligned, separably along W, H,
    then T: ``src = dst (n - 1) / (o - 1)``, two taps ``floor(src)`` and the
    next one (clamped) with weights ``1 - l, l`` (as
    SpatialUpSamplingBilinear, and ``F.interpolate(..., mode='bilinear' |
    'trilinear', align_corners=True)``); gradient: the adjoint. Source
    positions in float64 (Torch7 used float32).
    """

    backends = ("cpu", "gpu")
    kernel = "padding"

    def __init__(self, params, mode="nearest"):
        if not isinstance(mode, str):
            self.fail_type(f"argument mode must be a string, got {mode!r}")
        if mode not in ("nearest",) + _LINEAR:
            self.fail(f"argument mode must be 'nearest' or 'linear' ('bilinear', "
                      f"'trilinear'), got {mode!r}")
        self.mode = "nearest" if mode == "nearest" else "linear"
        self.scale = self.odepth = self.oheight = self.owidth = None
        if isinstance(params, dict):
            if self.mode == "nearest":
                self.fail("nearest upsampling needs an integer scale, not a size table")
            extra = set(params) - {"odepth", "oheight", "owidth"}
            if extra:
                self.fail_type(f"the size table takes only the keys 'odepth', 'oheight', "
                               f"'owidth', got {sorted(params)}")
            if params.get("oheight") is None or params.get("owidth") is None:
                self.fail("the size table needs 'oheight' and 'owidth'")
            self.oheight = self.int_arg("oheight", params["oheight"])
            self.owidth = self.int_arg("owidth", params["owidth"])
            if params.get("odepth") is not None:
                self.odepth = self.int_arg("odepth", params["odepth"])
        else:
            self.scale = self.int_arg("params", params)

    def _repr_args(self):
        if self.scale is not None:
            p = str(self.scale)
        else:
            p = repr({k: getattr(self, k) for k in ("odepth", "oheight", "owidth")
                      if getattr(self, k) is not None})
        return f"{p}, mode={self.mode!r}"

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (4, 5))
        shp = tuple(x.shape)
        sizes = shp[2:]
        if min(sizes) < 1:
            self.fail(f"'input' has shape {shp}: spatial sizes must be >= 1")
        if self.scale is not None:
            out = tuple(s * self.scale for s in sizes)
        else:
            if nd == 5 and self.odepth is None:
                self.fail(f"'input' of shape {shp} is 5-D but no odepth was given")
            out = ((self.odepth,) if nd == 5 else ()) + (self.oheight, self.owidth)
        return shp[:2], sizes, out

    def output_shape(self, info):
        return info[0] + info[2]

    # -- generic ------------------------------------------------------------
    def forward(self, xp, d, info):
        lead, sizes, out = info
        x = d["input"]
        k = len(sizes)
        if self.mode == "nearest":
            s = self.scale
            idx = (slice(None),) * 2 + sum(((slice(None), None) for _ in sizes), ())
            y = xp.broadcast_to(x[idx], lead + sum(((n, s) for n in sizes), ()))
            return xp.reshape(y, lead + out)
        for ax in range(k - 1, -1, -1):
            x = _linear_axis(xp, x, ax - k, sizes[ax], out[ax])
        return x

    def backward(self, xp, d, info):
        lead, sizes, out = info
        g = d["gradOutput"]
        k = len(sizes)
        if self.mode == "nearest":
            s = self.scale
            g = xp.reshape(g, lead + sum(((n, s) for n in sizes), ()))
            return {"gradInput": xp.sum(g, axis=tuple(range(3, 3 + 2 * k, 2)))}
        dev = _device(g)
        mats = [interp_matrix(xp, n, o, g.dtype, dev) for n, o in zip(sizes, out)]
        g = xp.matmul(xp.matmul(xp.matrix_transpose(mats[-2]), g), mats[-1])
        if k == 3:
            t, h, w = sizes
            g = xp.reshape(g, lead + (out[0], h * w))
            g = xp.reshape(xp.matmul(xp.matrix_transpose(mats[0]), g), lead + (t, h, w))
        return {"gradInput": g}

    # -- compiled -----------------------------------------------------------
    def _nearest_maps(self, info):
        lead, sizes, out = info
        s = self.scale
        maps = [np.arange(o, dtype=np.intp) // s for o in out]
        if len(sizes) == 2:
            maps.insert(0, np.zeros(1, dtype=np.intp))
            sizes, out = (1,) + sizes, (1,) + out
        return (*maps, lead[0] * lead[1], *sizes, *out, 0, out[2], 0, out[2] if s == 1 else 0)

    def _bilinear_maps(self, planes, h, w, oh, ow, dtype):
        y0, y1, wy = linear_taps(h, oh)
        x0, x1, wx = linear_taps(w, ow)
        return (y0, y1, wy.astype(dtype), x0, x1, wx.astype(dtype), planes, h, w, oh, ow)

    def _depth_maps(self, planes, t, ot, hw, dtype):
        # linear along T with an identity column map over the oH*oW plane
        z0, z1, wz = linear_taps(t, ot)
        ident = np.arange(hw, dtype=np.intp)
        return (z0, z1, wz.astype(dtype), ident, ident, np.zeros(hw, dtype=dtype),
                planes, t, hw, ot, hw)

    def forward_cpu(self, k, d, info, y):
        lead, sizes, out = info
        x = d["input"]
        if self.mode == "nearest":
            k.gather(x, y, *self._nearest_maps(info))
            return
        nc = lead[0] * lead[1]
        h, w, oh, ow = sizes[-2], sizes[-1], out[-2], out[-1]
        if len(sizes) == 2:
            k.bilinear(x, y, *self._bilinear_maps(nc, h, w, oh, ow, y.dtype))
            return
        tmp = np.empty(lead + (sizes[0], oh, ow), dtype=y.dtype)
        k.bilinear(x, tmp, *self._bilinear_maps(nc * sizes[0], h, w, oh, ow, y.dtype))
        k.bilinear(tmp, y, *self._depth_maps(nc, sizes[0], out[0], oh * ow, y.dtype))

    def backward_cpu(self, k, d, info, out_):
        lead, sizes, out = info
        go, gi = d["gradOutput"], out_["gradInput"]
        if self.mode == "nearest":
            k.scatter(go, gi, *self._nearest_maps(info))
            return
        nc = lead[0] * lead[1]
        h, w, oh, ow = sizes[-2], sizes[-1], out[-2], out[-1]
        if len(sizes) == 2:
            k.bilinear_grad(go, gi, *self._bilinear_maps(nc, h, w, oh, ow, gi.dtype))
            return
        tmp = np.empty(lead + (sizes[0], oh, ow), dtype=gi.dtype)
        k.bilinear_grad(go, tmp, *self._depth_maps(nc, sizes[0], out[0], oh * ow, gi.dtype))
        k.bilinear_grad(tmp, gi, *self._bilinear_maps(nc * sizes[0], h, w, oh, ow, gi.dtype))

    # -- CuPy path: gather.cu (nearest) or interp.cu (linear), the CPU's passes
    def _gather_maps(self, info):
        return self._nearest_maps(info)

    def forward_gpu(self, g, d, info, y):
        lead, sizes, out = info
        x = d["input"]
        if self.mode == "nearest":
            gpu_gather(self, g, d, info, y)
            return
        nc = lead[0] * lead[1]
        h, w, oh, ow = sizes[-2], sizes[-1], out[-2], out[-1]
        maps = gpu_interp_maps(self, g, h, w, oh, ow, False)
        if len(sizes) == 2:
            g.interp(x, y, maps, nc, h, w, oh, ow)
            return
        import cupy
        t, ot = sizes[0], out[0]
        tmp = cupy.empty(lead + (t, oh, ow), dtype=y.dtype)
        g.interp(x, tmp, maps, nc * t, h, w, oh, ow)
        g.interp(tmp, y, gpu_depth_maps(self, g, t, ot, oh * ow, False), nc, t, oh * ow, ot,
                 oh * ow)

    def backward_gpu(self, g, d, info, out_):
        lead, sizes, out = info
        go, gi = d["gradOutput"], out_["gradInput"]
        if self.mode == "nearest":
            gpu_gather_adjoint(self, g, d, info, out_)
            return
        nc = lead[0] * lead[1]
        h, w, oh, ow = sizes[-2], sizes[-1], out[-2], out[-1]
        inv = gpu_interp_maps(self, g, h, w, oh, ow, True)
        if len(sizes) == 2:
            g.interp_adjoint(go, gi, inv, nc, h, w, oh, ow)
            return
        import cupy
        t, ot = sizes[0], out[0]
        tmp = cupy.empty(lead + (t, oh, ow), dtype=gi.dtype)
        g.interp_adjoint(go, tmp, gpu_depth_maps(self, g, t, ot, oh * ow, True), nc, t,
                         oh * ow, ot, oh * ow)
        g.interp_adjoint(tmp, gi, inv, nc * t, h, w, oh, ow)
