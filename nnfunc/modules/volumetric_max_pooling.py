import math

import numpy as np

from ._spatial import _device
from ._volumetric import (Volumetric, check_pool_args, check_volumetric_input, pad3d,
                          pool_sizes3d, scatter_taps3d, taps3d)
from .spatial_max_pooling import max_winners, winner_indices


class VolumetricMaxPooling(Volumetric):
    """3-D max pooling over ``(C, T, H, W)`` volumes.

    Torch7: ``nn.VolumetricMaxPooling(kT, kW, kH, dT=kT, dW=kW, dH=kH, padT=0,
    padW=0, padH=0)`` (time, then width before height, as in Torch7);
    ``:ceil()`` is ``ceil_mode=True`` (``:floor()`` the default).
    ``return_indices=True`` (nnfunc's option) makes the forward also return
    ``indices``.

    ``input``: ``(C, T, H, W)`` or ``(N, C, T, H, W)``; ``output``:
    ``(C, oT, oH, oW)`` or ``(N, C, oT, oH, oW)``: ``y[c, i, j, l]`` is the
    maximum of the window of frames ``i dT - padT ... + kT - 1``, rows
    ``j dH - padH ... + kH - 1`` and columns ``l dW - padW ... + kW - 1`` of
    volume ``c`` (padding positions do not count: they act as ``-inf``).
    ``gradInput`` routes each ``gradOutput`` element to its window's maximum
    (summed where windows overlap). PyTorch: ``F.max_pool3d(x, (kT, kH, kW),
    (dT, dH, dW), (padT, padH, padW), ceil_mode=ceil_mode)``.

    Output size per axis: ``o = floor((n + 2 pad - k) / d) + 1``; with
    ``ceil_mode`` the division rounds up and a last window that would start
    at or past ``n + pad`` (entirely in the padding) is dropped. The drop is
    PyTorch's rule, applied whatever the padding; Torch7 applied it only when
    some of ``padT, padW, padH`` was non-zero, so with zero padding and a
    stride larger than the kernel Torch7 gave one more output whose window
    held no input element (value ``-inf``, index outside the volume).
    Padding must satisfy ``pad <= k // 2`` on every axis (Torch7, PyTorch).

    Indices (``return_indices=True``): ``indices`` has the output's shape,
    dtype int64, and holds the 0-based flat offset ``t*H*W + h*W + w`` of
    each maximum inside its input volume (PyTorch's ``return_indices``
    encoding). Torch7 instead packed the winner's (t, y, x) offsets inside
    the window into the bytes of one integer; that encoding is not
    reproduced. The default forward returns only ``{"output"}`` and the
    gradient recomputes the argmax from ``input`` (pure).

    Ties go to the first maximum in window scan order (frame, row, column),
    as in Torch7 and PyTorch. NaN: a window holding NaN outputs NaN and its
    gradient and index go to its last NaN (PyTorch's CPU rule; Torch7's
    ``val > max`` ignored NaN). Windows are limited to ``kT*kH*kW <= 2**24``.
    """

    backends = ("cpu", "gpu")
    kernel = "volumetric_pooling"

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0,
                 ceil_mode=False, return_indices=False):
        self._init(kT, kW, kH, dT, dW, dH, padT, padW, padH, 1, 1, 1, ceil_mode,
                   return_indices)

    def _init(self, kT, kW, kH, dT, dW, dH, padT, padW, padH, dilT, dilW, dilH, ceil_mode,
              return_indices):
        self.kT = self.int_arg("kT", kT)
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dT = self.kT if dT is None else self.int_arg("dT", dT)
        self.dW = self.kW if dW is None else self.int_arg("dW", dW)
        self.dH = self.kH if dH is None else self.int_arg("dH", dH)
        self.padT = self.int_arg("padT", padT, minimum=0)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.dilationT = self.int_arg("dilationT", dilT)
        self.dilationW = self.int_arg("dilationW", dilW)
        self.dilationH = self.int_arg("dilationH", dilH)
        self.ceil_mode = self.bool_arg("ceil_mode", ceil_mode)
        self.return_indices = self.bool_arg("return_indices", return_indices)
        self.extra_outputs = ("indices",) if self.return_indices else ()
        check_pool_args(self, ("kT", "kW", "kH", "dT", "dW", "dH", "dilationT", "dilationW",
                               "dilationH"))
        for a in ("T", "W", "H"):
            k, dil = getattr(self, "k" + a), getattr(self, "dilation" + a)
            if (k - 1) * dil >= 2**31 - 1:
                self.fail(f"arguments k{a}={k}, dilation{a}={dil}: window too large")

    def _repr_args(self):
        s = (f"{self.kT}, {self.kW}, {self.kH}, {self.dT}, {self.dW}, {self.dH}, "
             f"{self.padT}, {self.padW}, {self.padH}")
        return s + self._repr_tail()

    def _repr_tail(self):
        return ((", ceil_mode=True" if self.ceil_mode else "")
                + (", return_indices=True" if self.return_indices else ""))

    # -- shapes -----------------------------------------------------------
    def check(self, d):
        x = d["input"]
        batch, n, c, t, h, w = check_volumetric_input(self, x)
        o = pool_sizes3d(self, x, t, h, w, self._k, self._d, self._pad, self._dil,
                         self.ceil_mode)
        if self._dil != (1, 1, 1):
            self._check_windows(x, (t, h, w), o)
        return (batch, n, c, t, h, w) + o

    def _check_windows(self, x, size, o):
        # with dilation a window that starts in the padding can skip over a
        # short input entirely (e.g. n = 2, k = 2, pad = 1, dilation 3: taps at
        # -1 and 2); only windows starting before 0 can be empty (later ones
        # start inside the input: the output-size rule)
        for ax, n, k, d, p, dil, no in zip("THW", size, self._k, self._d, self._pad,
                                           self._dil, o):
            j = 0
            while j < no and j * d - p < 0:
                s = j * d - p
                first = s + (-s + dil - 1) // dil * dil      # first tap >= 0
                if first >= n:
                    self.fail(f"'input' of shape {tuple(x.shape)}: the pooling window "
                              f"{j} along {ax} (taps {s}, {s + dil}, ...) holds no input "
                              f"element (dilation{ax}={dil}, pad{ax}={p}, size {n})")
                j += 1

    def output_shape(self, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        return (n, c, ot, oh, ow) if batch else (c, ot, oh, ow)

    # -- generic array-API math -------------------------------------------
    def _pads(self, info):
        """(front, back, top, bottom, left, right): the padding plus what
        ceil-mode windows reach past it."""
        batch, n, c, t, h, w, ot, oh, ow = info
        k, d, pad, dil, o = self._k, self._d, self._pad, self._dil, (ot, oh, ow)
        out = []
        for i, nn in enumerate((t, h, w)):
            extra = max(0, (o[i] - 1) * d[i] + (k[i] - 1) * dil[i] + 1 - (nn + 2 * pad[i]))
            out += [pad[i], pad[i] + extra]
        return tuple(out)

    def _taps(self, xp, v, info, fill):
        o = info[-3:]
        return taps3d(pad3d(xp, v, self._pads(info), value=fill), self._k, self._d, o,
                      self._dil)

    def _winners(self, xp, x, info, offsets=False):
        """Window maxima and per tap the boolean map of the outputs it wins
        (first valid maximum in scan order; the last NaN in a window holding
        NaN); with ``offsets`` also per tap the int64 flat input offset it
        reads. Validity and offsets are taps of a padded bool / arange volume."""
        t, h, w = info[3:6]
        dev = _device(x)
        ts = self._taps(xp, x, info, -math.inf)
        valid = self._taps(xp, xp.ones((t, h, w), dtype=xp.bool, device=dev), info, False)
        m, sel = max_winners(xp, ts, valid)
        offs = None
        if offsets:
            pos = xp.reshape(xp.arange(t * h * w, dtype=xp.int64, device=dev), (t, h, w))
            offs = self._taps(xp, pos, info, -1)
        return m, sel, offs

    def forward(self, xp, d, info):
        if not self.return_indices:
            ts = self._taps(xp, d["input"], info, -math.inf)
            return xp.max(xp.stack(ts, axis=0), axis=0)
        m, sel, offs = self._winners(xp, d["input"], info, offsets=True)
        return {"output": m, "indices": winner_indices(xp, m, sel, offs)}

    def backward(self, xp, d, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        go = d["gradOutput"]
        _, sel, _ = self._winners(xp, d["input"], info)
        zero = xp.zeros_like(go)
        gtaps = [xp.where(s, go, zero) for s in sel]
        gi = scatter_taps3d(xp, gtaps, self._k, self._d, self._pad, (t, h, w), self._dil)
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, c, t, h, w, ot, oh, ow = info
        return (n * c, t, h, w, ot, oh, ow) + self._k + self._d + self._pad + self._dil

    def forward_cpu(self, k, d, info, y):
        if not self.return_indices:
            k.max_update_output(d["input"], y, None, self._sizes(info))
            return None
        idx = np.empty(y.shape, dtype=np.int64)
        k.max_update_output(d["input"], y, idx, self._sizes(info))
        return {"indices": idx}

    def backward_cpu(self, k, d, info, out):
        k.max_update_grad_input(d["input"], d["gradOutput"], out["gradInput"], self._sizes(info))

    # -- CuPy path (maxpool.cu): the same sizes ---------------------------
    def forward_gpu(self, g, d, info, y):
        ind = g.maxpool_forward(d["input"], y, self._sizes(info), self.return_indices)
        return None if ind is None else {"indices": ind}

    def backward_gpu(self, g, d, info, out):
        g.maxpool_backward(d["input"], d["gradOutput"], out["gradInput"], self._sizes(info))
