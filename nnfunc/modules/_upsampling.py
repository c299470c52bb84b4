"""Shared pieces of the 2-D upsampling modules (the kernel is ``padding``).

Nearest upsampling is the gather of :mod:`nnfunc._cpu.padding` with the
maps ``o // scale``; bilinear upsampling (align corners) its ``bilinear``
pair with two taps per axis, :func:`linear_taps`.
"""

import numpy as np

from .._core.module import Module
from ._spatial import check_spatial_input


def linear_taps(n, o):
    """Align-corners taps of ``o`` outputs over ``n`` inputs along one axis.

    ``src = dst (n - 1) / (o - 1)`` (0 when ``o == 1``), ``i0 = floor(src)``,
    ``i1 = min(i0 + 1, n - 1)``, ``w1 = src - i0`` (PyTorch's CPU rule, in
    float64). Returns ``(i0, i1, w1)`` as NumPy arrays (intp, intp, float64).
    """
    scale = (n - 1) / (o - 1) if o > 1 else 0.0
    src = np.arange(o, dtype=np.float64) * scale
    i0 = np.minimum(src.astype(np.intp), n - 1)
    i1 = np.minimum(i0 + 1, n - 1).astype(np.intp)
    w1 = src - i0
    return np.ascontiguousarray(i0), np.ascontiguousarray(i1), w1


class _Upsampling2d(Module):
    backends = ("cpu",)
    kernel = "padding"

    def _out_size(self, h, w):
        raise NotImplementedError

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        oh, ow = self._out_size(h, w)
        return batch, n, c, h, w, oh, ow

    def output_shape(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n, c, oh, ow) if batch else (c, oh, ow)


def interp_matrix(xp, n, o, dtype, device):
    """``(o, n)`` matrix of the align-corners interpolation along one axis."""
    i0, i1, w1 = linear_taps(n, o)
    cols = xp.arange(n, device=device)[None, :]
    a0 = xp.asarray(i0.tolist(), device=device)[:, None]
    a1 = xp.asarray(i1.tolist(), device=device)[:, None]
    w = xp.asarray(w1.tolist(), dtype=dtype, device=device)[:, None]
    zero = xp.zeros((o, n), dtype=dtype, device=device)
    return (xp.where(cols == a0, 1 - w, zero) + xp.where(cols == a1, w, zero))


def gpu_interp_maps(m, g, h, w, oh, ow, adjoint):
    """Device taps (or their inverses) of the (H, W) -> (oH, oW) interpolation,
    kept in the module's GPU cache."""
    return g.cached(m, ("interp", adjoint, h, w, oh, ow),
                    lambda: g.interp_maps(*linear_taps(h, oh), *linear_taps(w, ow), h, w,
                                          adjoint))


def gpu_depth_maps(m, g, t, ot, hw, adjoint):
    """The linear pass along T of a trilinear interpolation: a (T, H W) image
    with identity column taps."""
    def make():
        ident = np.arange(hw, dtype=np.int64)
        return g.interp_maps(*linear_taps(t, ot), ident, ident, np.zeros(hw), t, hw, adjoint)
    return g.cached(m, ("depth", adjoint, t, ot, hw), make)
