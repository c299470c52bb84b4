import numpy as np

from ._padding import gpu_gather, gpu_gather_adjoint
from ._upsampling import _Upsampling2d


class SpatialUpSamplingNearest(_Upsampling2d):
    """Nearest-neighbour upsampling of an image by an integer factor.

    Torch7: ``nn.SpatialUpSamplingNearest(scale)``, ``scale`` an integer
    >= 1. ``input``: ``(C, H, W)`` or ``(N, C, H, W)``; ``output``:
    ``(..., H scale, W scale)`` with ``y[..., i, j] = x[..., i // scale,
    j // scale]`` (each pixel repeated ``scale x scale`` times), as
    ``F.interpolate(x, scale_factor=scale, mode='nearest')``. ``gradInput``:
    the sum of ``gradOutput`` over each ``scale x scale`` block.
    """

    backends = ("cpu", "gpu")

    def __init__(self, scale):
        self.scale = self.int_arg("scale", scale)

    def _repr_args(self):
        return str(self.scale)

    def _out_size(self, h, w):
        return h * self.scale, w * self.scale

    def forward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        x = d["input"]
        s = self.scale
        lead = tuple(x.shape[:-2])
        y = xp.broadcast_to(x[..., :, None, :, None], lead + (h, s, w, s))
        return xp.reshape(y, lead + (oh, ow))

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        g = d["gradOutput"]
        s = self.scale
        lead = tuple(g.shape[:-2])
        g = xp.reshape(g, lead + (h, s, w, s))
        return {"gradInput": xp.sum(g, axis=(-3, -1))}

    def _maps(self, info):
        batch, n, c, h, w, oh, ow = info
        s = self.scale
        sy = np.arange(oh, dtype=np.intp) // s
        sx = np.arange(ow, dtype=np.intp) // s
        return (np.zeros(1, dtype=np.intp), sy, sx, n * c, 1, h, w, 1, oh, ow, 0, ow,
                0, ow if s == 1 else 0)

    def forward_cpu(self, k, d, info, y):
        k.gather(d["input"], y, *self._maps(info))

    def backward_cpu(self, k, d, info, out):
        k.scatter(d["gradOutput"], out["gradInput"], *self._maps(info))

    # CuPy: gather.cu over the same maps
    def forward_gpu(self, g, d, info, y):
        gpu_gather(self, g, d, info, y)

    def backward_gpu(self, g, d, info, out):
        gpu_gather_adjoint(self, g, d, info, out)
