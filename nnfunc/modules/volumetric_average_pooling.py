from ._spatial import _device
from ._volumetric import (Volumetric, check_pool_args, check_volumetric_input, pad3d,
                          pool_sizes3d, scatter_taps3d, taps3d)


class VolumetricAveragePooling(Volumetric):
    """3-D average pooling over ``(C, T, H, W)`` volumes.

    Torch7: ``nn.VolumetricAveragePooling(kT, kW, kH, dT=kT, dW=kW, dH=kH)``
    (time, then width before height). nnfunc adds Torch7's THNN kernel
    options, which the Lua module fixed at ``padT = padW = padH = 0``, floor
    mode and ``count_include_pad = true``: positional ``padT=0, padW=0,
    padH=0`` after ``dH`` (THNN's argument order) and keywords
    ``ceil_mode=False`` and ``count_include_pad=True``
    (``count_include_pad=False`` is ``:setCountExcludePad()`` of
    SpatialAveragePooling). The defaults give exactly Torch7's module.

    ``input``: ``(C, T, H, W)`` or ``(N, C, T, H, W)``; ``output``:
    ``(C, oT, oH, oW)`` or ``(N, C, oT, oH, oW)``: ``y[c, i, j, l]`` is the
    sum of the window of frames ``i dT - padT ... + kT - 1``, rows
    ``j dH - padH ... + kH - 1`` and columns ``l dW - padW ... + kW - 1``
    (zero padding) divided by the window's size clipped to the padded volume
    ``[-pad, n + pad)`` per axis (``count_include_pad``) or to the volume
    itself ``[0, n)``. ``gradInput`` spreads each ``gradOutput`` element,
    divided the same way, over its window. PyTorch: ``F.avg_pool3d(x, (kT,
    kH, kW), (dT, dH, dW), (padT, padH, padW), ceil_mode=ceil_mode,
    count_include_pad=count_include_pad)`` (THNN used the same divisors).

    Output size per axis: ``o = floor((n + 2 pad - k) / d) + 1``; with
    ``ceil_mode`` the division rounds up and a last window that would start
    at or past ``n + pad`` is dropped. As for the max poolings the drop
    follows PyTorch (always); THNN applied it only with some non-zero
    padding. Padding must satisfy ``pad <= k // 2`` (THNN, PyTorch). Torch7
    also required the input to be at least the kernel size; nnfunc requires
    an output size >= 1 (the same condition without padding).
    """

    backends = ("cpu", "gpu")
    kernel = "volumetric_pooling"

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0,
                 ceil_mode=False, count_include_pad=True):
        self.kT = self.int_arg("kT", kT)
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dT = self.kT if dT is None else self.int_arg("dT", dT)
        self.dW = self.kW if dW is None else self.int_arg("dW", dW)
        self.dH = self.kH if dH is None else self.int_arg("dH", dH)
        self.padT = self.int_arg("padT", padT, minimum=0)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.ceil_mode = self.bool_arg("ceil_mode", ceil_mode)
        self.count_include_pad = self.bool_arg("count_include_pad", count_include_pad)
        check_pool_args(self, ("kT", "kW", "kH", "dT", "dW", "dH"))

    def _repr_args(self):
        s = (f"{self.kT}, {self.kW}, {self.kH}, {self.dT}, {self.dW}, {self.dH}, "
             f"{self.padT}, {self.padW}, {self.padH}")
        return (s + (", ceil_mode=True" if self.ceil_mode else "")
                + ("" if self.count_include_pad else ", count_include_pad=False"))


    def check(self, d):
        x = d["input"]
        batch, n, c, t, h, w = check_volumetric_input(self, x)
        o = pool_sizes3d(self, x, t, h, w, self._k, self._d, self._pad, (1, 1, 1),
                         self.ceil_mode)
        return (batch, n, c, t, h, w) + o

    def output_shape(self, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        return (n, c, ot, oh, ow) if batch else (c, ot, oh, ow)

    # -- generic array-API math -------------------------------------------
    def _divisor(self, xp, x, info):
        """``(oT, oH, oW)`` window sizes (the product of the per-axis counts)."""
        batch, n, c, t, h, w, ot, oh, ow = info
        dev = _device(x)
        counts = []
        for no, nn, k, dd, p in zip((ot, oh, ow), (t, h, w), self._k, self._d, self._pad):
            s = xp.arange(no, dtype=xp.int64, device=dev) * dd - p
            if self.count_include_pad:
                cnt = xp.minimum(s + k, xp.full_like(s, nn + p)) - s
            else:
                cnt = (xp.minimum(s + k, xp.full_like(s, nn))
                       - xp.maximum(s, xp.zeros_like(s)))
            counts.append(xp.astype(cnt, x.dtype))
        ct, ch, cw = counts
        return (ct[:, None, None] * ch[None, :, None]) * cw[None, None, :]

    def forward(self, xp, d, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        x = d["input"]
        k, dd, pad, o = self._k, self._d, self._pad, (ot, oh, ow)
        extra = [max(0, (o[i] - 1) * dd[i] + k[i] - (nn + 2 * pad[i]))
                 for i, nn in enumerate((t, h, w))]
        xpad = pad3d(xp, x, (pad[0], pad[0] + extra[0], pad[1], pad[1] + extra[1],
                             pad[2], pad[2] + extra[2]))
        total = None
        for tp in taps3d(xpad, k, dd, o, (1, 1, 1)):
            total = tp if total is None else total + tp
        return total / self._divisor(xp, x, info)

    def backward(self, xp, d, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        g = d["gradOutput"] / self._divisor(xp, d["input"], info)
        ntaps = self.kT * self.kH * self.kW
        gi = scatter_taps3d(xp, [g] * ntaps, self._k, self._d, self._pad, (t, h, w),
                            (1, 1, 1))
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        return (n * c, t, h, w, ot, oh, ow) + self._k + self._d + self._pad + (1, 1, 1)

    def forward_cpu(self, k, d, info, y):
        k.avg_update_output(d["input"], y, self._sizes(info), self.count_include_pad)

    def backward_cpu(self, k, d, info, out):
        k.avg_update_grad_input(d["gradOutput"], out["gradInput"], self._sizes(info),
                       self.count_include_pad)

    # -- CuPy path (avgpool.cu): the same sizes ---------------------------
    def forward_gpu(self, g, d, info, y):
        g.avgpool_forward(d["input"], y, self._sizes(info), self.count_include_pad)

    def backward_gpu(self, g, d, info, out):
        g.avgpool_backward(d["gradOutput"], out["gradInput"], self._sizes(info),
                           self.count_include_pad)
