from .._core.module import Module
from ._spatial import check_spatial_input


class PixelShuffle(Module):
    """Rearrange ``C r^2`` channels into an ``r`` times larger image.

    Torch7: ``nn.PixelShuffle(upscaleFactor)``, ``r = upscaleFactor >= 1``.
    ``input``: ``(C r^2, H, W)`` or ``(N, C r^2, H, W)``; ``output``:
    ``(C, H r, W r)`` or ``(N, C, H r, W r)`` with
    ``y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]``, as
    ``F.pixel_shuffle(x, r)``. ``gradInput``: the inverse permutation of
    ``gradOutput``. A pure permutation: the generic path returns a reshaped
    copy of the permuted input (a view only when ``r = 1``); NumPy input
    runs the copy kernel ``nnfunc._cpu.pixel_shuffle`` (a new array).
    """

    backends = ("cpu", "gpu")

    def __init__(self, upscaleFactor):
        self.upscaleFactor = self.int_arg("upscaleFactor", upscaleFactor)

    def _repr_args(self):
        return str(self.upscaleFactor)

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        r = self.upscaleFactor
        if c % (r * r):
            self.fail(f"'input' of shape {tuple(x.shape)} has {c} planes, not a multiple of "
                      f"upscaleFactor^2 = {r * r}")
        return batch, n, c // (r * r), h, w

    def output_shape(self, info):
        batch, n, c, h, w = info
        r = self.upscaleFactor
        return (n, c, h * r, w * r) if batch else (c, h * r, w * r)

    def forward(self, xp, d, info):
        batch, n, c, h, w = info
        r = self.upscaleFactor
        x = xp.reshape(d["input"], (n, c, r, r, h, w))
        x = xp.permute_dims(x, (0, 1, 4, 2, 5, 3))
        return xp.reshape(x, self.output_shape(info))

    def backward(self, xp, d, info):
        batch, n, c, h, w = info
        r = self.upscaleFactor
        g = xp.reshape(d["gradOutput"], (n, c, h, r, w, r))
        g = xp.permute_dims(g, (0, 1, 3, 5, 2, 4))
        shp = (n, c * r * r, h, w) if batch else (c * r * r, h, w)
        return {"gradInput": xp.reshape(g, shp)}

    # -- compiled path: N*C blocks of r^2 planes -> one plane each
    def _sizes(self, info):
        batch, n, c, h, w = info
        return n * c, h, w, self.upscaleFactor

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], y, *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(d["gradOutput"], out["gradInput"], *self._sizes(info))

    # -- CuPy path: gather.cu's shuffle pair over the same blocks
    def forward_gpu(self, g, d, info, y):
        g.pixel_shuffle(d["input"], y, *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.pixel_unshuffle(d["gradOutput"], out["gradInput"], *self._sizes(info))
