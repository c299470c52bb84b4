"""Shared pieces of the padding and upsampling modules.

All of them act separably on the last two (spatial) or three (volumetric)
axes of ``(C, [T,] H, W)`` or ``(N, C, [T,] H, W)`` inputs, and all of them
share one compiled kernel module (``nnfunc._cpu.padding``): each output
row/column/frame reads one input row/column/frame given by a per-axis index
map (-1: zero), computed here once per call.

Padding rule (per axis, ``before``/``after`` pads of an axis of size ``n``):
negative pads crop first (``m = n + min(before, 0) + min(after, 0)``
elements remain), then the positive pads are filled from the cropped
extent: zeros, the mirror image without the edge sample (reflection:
``before``, ``after`` < ``m``), or the edge sample (replication). Output
``m + max(before, 0) + max(after, 0)`` elements, which must be >= 1.

The generic (array-API) versions build the same maps out of slices,
``flip`` and ``concat``; their gradients are the adjoint built the same way
(border sums for replication, mirrored slices for reflection), with no
scatter and no arithmetic on the values of the padding region of
``gradOutput`` beyond the adjoint sums.
"""

import numpy as np

from .._core.module import Module
from ._spatial import _device

_MODES = ("zero", "reflect", "replicate")


# -- per-axis index maps (compiled path) -------------------------------------
def pad_map(n, before, after, mode):
    """Source index of each output element along one axis (-1: zero)."""
    lo = max(-before, 0)
    m = n - lo - max(-after, 0)
    o = np.arange(m + max(before, 0) + max(after, 0), dtype=np.intp)
    i = o - max(before, 0)
    if mode == "zero":
        i = np.where((i >= 0) & (i < m), i, -1 - lo)
    elif mode == "reflect":
        i = np.abs(i)
        i = np.where(i >= m, 2 * (m - 1) - i, i)
    else:
        i = np.clip(i, 0, m - 1)
    return np.ascontiguousarray(i + lo, dtype=np.intp)


def valid_span(src):
    """``[lo, hi)``: the entries of a map that are not -1 (contiguous)."""
    ok = np.flatnonzero(src >= 0)
    if ok.size == 0:
        return 0, 0
    return int(ok[0]), int(ok[-1]) + 1


# -- generic helpers along one axis ------------------------------------------
def _zeros_like_axis(xp, x, axis, k):
    shp = list(x.shape)
    shp[axis] = k
    return xp.zeros(tuple(shp), dtype=x.dtype, device=_device(x))


def _sl(x, axis, start, stop):
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


def _cat(xp, parts, axis):
    parts = [p for p in parts if p.shape[axis] != 0]
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=axis)


def pad_axis(xp, x, axis, before, after, mode):
    """Forward along one axis: crop negative pads, fill positive ones."""
    n = x.shape[axis]
    x = _sl(x, axis, max(-before, 0), n - max(-after, 0))
    m = x.shape[axis]
    b, a = max(before, 0), max(after, 0)
    if b == a == 0:
        return x
    if mode == "zero":
        left, right = _zeros_like_axis(xp, x, axis, b), _zeros_like_axis(xp, x, axis, a)
    elif mode == "reflect":
        left = xp.flip(_sl(x, axis, 1, b + 1), axis=axis)
        right = xp.flip(_sl(x, axis, m - 1 - a, m - 1), axis=axis)
    else:
        def edge(e, k):
            shp = list(e.shape)
            shp[axis] = k
            return xp.broadcast_to(e, tuple(shp))
        left, right = edge(_sl(x, axis, 0, 1), b), edge(_sl(x, axis, m - 1, m), a)
    return _cat(xp, [left, x, right], axis)


def pad_axis_grad(xp, g, axis, n, before, after, mode):
    """Adjoint of :func:`pad_axis` (``n``: the input size along ``axis``)."""
    b, a = max(before, 0), max(after, 0)
    cl, cr = max(-before, 0), max(-after, 0)
    m = n - cl - cr
    gi = _sl(g, axis, b, b + m)
    if mode == "reflect":
        if b:
            gi = gi + _cat(xp, [_zeros_like_axis(xp, g, axis, 1),
                                xp.flip(_sl(g, axis, 0, b), axis=axis),
                                _zeros_like_axis(xp, g, axis, m - 1 - b)], axis)
        if a:
            gi = gi + _cat(xp, [_zeros_like_axis(xp, g, axis, m - 1 - a),
                                xp.flip(_sl(g, axis, b + m, b + m + a), axis=axis),
                                _zeros_like_axis(xp, g, axis, 1)], axis)
    elif mode == "replicate":
        if b:
            gi = gi + _cat(xp, [xp.sum(_sl(g, axis, 0, b), axis=axis, keepdims=True),
                                _zeros_like_axis(xp, g, axis, m - 1)], axis)
        if a:
            gi = gi + _cat(xp, [_zeros_like_axis(xp, g, axis, m - 1),
                                xp.sum(_sl(g, axis, b + m, b + m + a), axis=axis,
                                       keepdims=True)], axis)
    if cl or cr:
        gi = _cat(xp, [_zeros_like_axis(xp, g, axis, cl), gi,
                       _zeros_like_axis(xp, g, axis, cr)], axis)
    return gi


# -- the CuPy path of the modules whose CPU kernel is padding.gather / scatter
# over the index maps of m._maps(info) (padding, nearest upsampling): gather.cu,
# with the maps (forward) or their inverses (gradient) copied to the device
# once per input geometry (g.cached) -----------------------------------------
def _gpu_maps(m, g, info, adjoint):
    maps = m._gather_maps(info) if hasattr(m, "_gather_maps") else m._maps(info)
    geo = tuple(int(v) for v in maps[3:10])        # planes, t, h, w, ot, oh, ow
    dev = g.cached(m, ("gather", adjoint, geo[1:]),
                   lambda: g.gather_maps(*maps[:3], *geo[1:4], adjoint))
    return dev, geo


def gpu_gather(m, g, d, info, y):
    dev, geo = _gpu_maps(m, g, info, False)
    g.gather3(d["input"], y, dev, *geo)


def gpu_gather_adjoint(m, g, d, info, out):
    dev, geo = _gpu_maps(m, g, info, True)
    g.gather3_adjoint(d["gradOutput"], out["gradInput"], dev, *geo)


class _Padding(Module):
    """Base: pads ``(before, after)`` per spatial axis, outermost axis first."""

    backends = ("cpu", "gpu")
    kernel = "padding"
    mode = "zero"
    nspatial = 2          # 2: (C, H, W); 3: (C, T, H, W)
    arg_names = ()        # constructor names, in the order of self.pads' flattening

    def _init_pads(self, values):
        # values follow arg_names; pads are stored per axis, outermost first
        allow_negative = self.mode == "zero"
        got = {}
        first = values[0]
        for name, v in zip(self.arg_names, values):
            v = first if v is None else v
            got[name] = self.int_arg(name, v, minimum=-2**62 if allow_negative else 0)
            setattr(self, name, got[name])
        names = self.arg_names
        # arg_names: (left, right, top, bottom[, front, back])
        axes = [(got[names[2]], got[names[3]]), (got[names[0]], got[names[1]])]
        if self.nspatial == 3:
            axes.insert(0, (got[names[4]], got[names[5]]))
        self.pads = tuple(axes)

    def _repr_args(self):
        return ", ".join(str(getattr(self, n)) for n in self.arg_names)

    def check(self, d):
        x = d["input"]
        ns = self.nspatial
        nd = self.check_ndim("input", x, (ns + 1, ns + 2))
        shp = tuple(x.shape)
        batch = nd == ns + 2
        lead = shp[:nd - ns]
        sizes = shp[nd - ns:]
        if min(sizes) < 1:
            self.fail(f"'input' has shape {shp}: spatial sizes must be >= 1")
        out = []
        for n, (b, a), ax in zip(sizes, self.pads, "THW"[3 - ns:]):
            m = n + min(b, 0) + min(a, 0)
            o = m + max(b, 0) + max(a, 0)
            if m < 1 or o < 1:
                self.fail(f"'input' of shape {shp} is too small for padding ({b}, {a}) of "
                          f"axis {ax}: {m} elements remain after cropping, {o} in the output; "
                          f"both must be >= 1")
            if self.mode == "reflect" and (b >= m or a >= m):
                self.fail(f"reflection padding ({b}, {a}) of axis {ax} must be smaller than "
                          f"the size {m} of 'input' (shape {shp}) along that axis")
            out.append(o)
        planes = 1
        for s in lead:
            planes *= s
        return batch, lead, planes, sizes, tuple(out)

    def output_shape(self, info):
        return info[1] + info[4]

    def forward(self, xp, d, info):
        x = d["input"]
        ns = self.nspatial
        for k, (b, a) in enumerate(self.pads):
            x = pad_axis(xp, x, k - ns, b, a, self.mode)
        return x

    def backward(self, xp, d, info):
        g = d["gradOutput"]
        ns = self.nspatial
        sizes = info[3]
        for k in range(ns - 1, -1, -1):
            b, a = self.pads[k]
            g = pad_axis_grad(xp, g, k - ns, sizes[k], b, a, self.mode)
        return {"gradInput": g}

    def _maps(self, info):
        batch, lead, planes, sizes, out = info
        return self._maps_for(planes, sizes, out, self.pads)

    def _maps_for(self, planes, sizes, out, pads):
        # the gather of `sizes` into `out` with these pads, as kernel arguments
        maps = [pad_map(n, b, a, self.mode) for n, (b, a) in zip(sizes, pads)]
        if self.nspatial == 2:
            maps.insert(0, np.zeros(1, dtype=np.intp))
            sizes, out = (1,) + sizes, (1,) + out
        lo, hi = valid_span(maps[2])
        # the interior columns [c0, c1) read the (cropped) input row contiguously
        b = max(pads[-1][0], 0)
        m = sizes[2] + min(pads[-1][0], 0) + min(pads[-1][1], 0)
        return (*maps, planes, *sizes, *out, lo, hi, b, b + m)

    def forward_cpu(self, k, d, info, y):
        k.gather(d["input"], y, *self._maps(info))

    def backward_cpu(self, k, d, info, out):
        if self.mode == "zero":
            # zero padding / cropping maps every input element to at most one
            # output element, so its adjoint is the opposite padding (pads
            # negated) of gradOutput: a gather of contiguous row copies in
            # place of zeroing gradInput and adding every element to it
            batch, lead, planes, sizes, osz = info
            inv = tuple((-b, -a) for b, a in self.pads)
            k.gather(d["gradOutput"], out["gradInput"], *self._maps_for(planes, osz, sizes, inv))
            return
        k.scatter(d["gradOutput"], out["gradInput"], *self._maps(info))

    def forward_gpu(self, g, d, info, y):
        gpu_gather(self, g, d, info, y)

    def backward_gpu(self, g, d, info, out):
        gpu_gather_adjoint(self, g, d, info, out)
