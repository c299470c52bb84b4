import numpy as np

from .._core.module import Module
from ._spatial import _INT_MAX, _device, _spread


class TemporalMaxPooling(Module):
    """1-D max pooling over time of a sequence of feature frames.

    Torch7: ``nn.TemporalMaxPooling(kW, dW=kW)``; ``return_indices=True``
    (nnfunc's option) makes the forward also return ``indices``.

    ``input``: ``(nInputFrame, frameSize)`` or ``(N, nInputFrame,
    frameSize)``: time is the second-to-last axis, features the last (Torch7's
    layout, not PyTorch's ``(N, C, L)``). ``output``: ``(nOutputFrame,
    frameSize)`` or ``(N, nOutputFrame, frameSize)`` with ``nOutputFrame =
    floor((nInputFrame - kW) / dW) + 1``; ``y[t, f] = max over k < kW of
    x[t dW + k, f]``. ``gradInput`` routes each ``gradOutput`` element to the
    frame of its window's maximum (summed where windows overlap). No padding,
    no ceil mode (Torch7 has neither); ``nInputFrame >= kW`` is required.
    PyTorch: ``F.max_pool1d(x.transpose(-1, -2), kW, dW).transpose(-1, -2)``.

    Indices (``return_indices=True``): ``indices`` (int64, the output's
    shape) holds the 0-based input frame ``t dW + k`` of each maximum, i.e.
    PyTorch's ``max_pool1d`` index transposed back. Torch7's ``indices``
    field held the 0-based offset ``k`` inside the window instead (its one
    0-based pooling index); add nothing, subtract ``t dW`` to get it. The
    default forward returns only ``{"output"}``; the gradient recomputes the
    argmax from ``input`` (pure).

    Ties go to the first maximum in time (Torch7, PyTorch). NaN: a window
    holding NaN outputs NaN and routes its gradient to its last NaN
    (PyTorch's CPU rule; Torch7's ``val > max`` ignored NaN).
    """

    backends = ("cpu", "gpu")
    kernel = "volumetric_pooling"

    def __init__(self, kW, dW=None, return_indices=False):
        self.kW = self.int_arg("kW", kW)
        self.dW = self.kW if dW is None else self.int_arg("dW", dW)
        self.return_indices = self.bool_arg("return_indices", return_indices)
        self.extra_outputs = ("indices",) if self.return_indices else ()
        for name in ("kW", "dW"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} is too large")
        if self.kW > 2**24:
            self.fail(f"kernel kW = {self.kW} exceeds 2**24 frames")

    def _repr_args(self):
        return f"{self.kW}, {self.dW}" + (", return_indices=True" if self.return_indices
                                          else "")

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (2, 3))
        shp = tuple(x.shape)
        n, t, f = (1,) + shp if nd == 2 else shp
        if t < self.kW:
            self.fail(f"'input' of shape {shp} has {t} frames (axis {nd - 2}), fewer than "
                      f"the kernel width kW = {self.kW}")
        return nd == 3, n, t, f, (t - self.kW) // self.dW + 1

    def output_shape(self, info):
        batch, n, t, f, ot = info
        return (n, ot, f) if batch else (ot, f)

    # -- generic array-API math -------------------------------------------
    def _winners(self, xp, x, info):
        batch, n, t, f, ot = info
        kw, dw = self.kW, self.dW
        ts = [x[..., k:k + (ot - 1) * dw + 1:dw, :] for k in range(kw)]
        m = xp.max(xp.stack(ts, axis=0), axis=0)
        sel = []
        found = None
        for tp in ts:
            hit = tp == m
            sel.append(hit if found is None else hit & ~found)
            found = hit if found is None else found | hit
        found = None
        for i in range(kw - 1, -1, -1):
            hit = xp.isnan(ts[i])
            sel[i] = sel[i] | (hit if found is None else hit & ~found)
            found = hit if found is None else found | hit
        return m, sel

    def forward(self, xp, d, info):
        x = d["input"]
        if not self.return_indices:
            batch, n, t, f, ot = info
            ts = [x[..., k:k + (ot - 1) * self.dW + 1:self.dW, :] for k in range(self.kW)]
            return xp.max(xp.stack(ts, axis=0), axis=0)
        m, sel = self._winners(xp, x, info)
        dev = _device(m)
        frames = xp.arange(m.shape[-2], dtype=xp.int64, device=dev) * self.dW
        idx = xp.zeros(m.shape, dtype=xp.int64, device=dev)
        zero = xp.zeros((), dtype=xp.int64, device=dev)
        for k, s in enumerate(sel):
            idx = idx + xp.where(s, (frames + k)[:, None], zero)
        return {"output": m, "indices": idx}

    def backward(self, xp, d, info):
        batch, n, t, f, ot = info
        go = d["gradOutput"]
        _, sel = self._winners(xp, d["input"], info)
        zero = xp.zeros_like(go)
        gi = None
        for k, s in enumerate(sel):
            g = _spread(xp, xp.where(s, go, zero), -2, k, self.dW, t)
            gi = g if gi is None else gi + g
        return {"gradInput": gi}

    # -- compiled path: the volumetric kernel on (N, 1, T, F) volumes, a
    # (1, kW, 1) kernel (inner loop over contiguous features)
    def _sizes(self, info):
        batch, n, t, f, ot = info
        return (n, 1, t, f, 1, ot, f, 1, self.kW, 1, 1, self.dW, 1, 0, 0, 0, 1, 1, 1)

    def forward_cpu(self, k, d, info, y):
        if not self.return_indices:
            k.max_update_output(d["input"], y, None, self._sizes(info))
            return None
        idx = np.empty(y.shape, dtype=np.int64)
        k.max_update_output(d["input"], y, idx, self._sizes(info))
        f = info[3]
        if f > 1:
            np.floor_divide(idx, f, out=idx)        # flat t*F + f -> frame t
        return {"indices": idx}

    def backward_cpu(self, k, d, info, out):
        k.max_update_grad_input(d["input"], d["gradOutput"], out["gradInput"], self._sizes(info))

    # -- CuPy path (maxpool.cu): the same volume geometry -----------------
    def forward_gpu(self, g, d, info, y):
        idx = g.maxpool_forward(d["input"], y, self._sizes(info), self.return_indices)
        if idx is None:
            return None
        f = info[3]
        if f > 1:
            idx //= f                               # flat t*F + f -> frame t
        return {"indices": idx}

    def backward_gpu(self, g, d, info, out):
        g.maxpool_backward(d["input"], d["gradOutput"], out["gradInput"], self._sizes(info))
