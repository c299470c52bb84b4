import math

import numpy as np

from .._core.module import Module


class SpatialCrossMapLRN(Module):
    """Local response normalisation across channels (AlexNet's LRN).

    Torch7: ``nn.SpatialCrossMapLRN(size, alpha=1e-4, beta=0.75, k=1)``.

    ``input``: ``(C, H, W)`` or ``(N, C, H, W)``; output of the same shape:
    ``scale[c] = k + alpha / size * sum_{|c' - c| <= (size-1)/2} x[c']^2``
    (the window clipped at the first and last channel, zeros beyond),
    ``y = x * scale^-beta``. Gradient (recomputed from the input; Torch7
    reused the last forward's scale and output):
    ``gi[c] = go[c] scale[c]^-beta - 2 alpha beta / size * x[c] *
    sum_{c' in window(c)} go[c'] y[c'] / scale[c']``.
    Reference: ``F.local_response_norm(x, size, alpha, beta, k)``.

    Decision: ``size`` must be odd. Torch7's CPU code computes the window
    offset ``(size-1)/2`` in Lua floating point, so an even size indexes
    channels with fractional (truncated) offsets and fails once the window
    reaches past the first channel; its CUDA kernel and PyTorch centre an
    even window differently (one more channel after, resp. before). With
    no agreed meaning, an even size is a ``ValueError``.
    """

    backends = ("cpu", "gpu")

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        self.size = self.int_arg("size", size)
        if self.size % 2 == 0:
            self.fail(f"argument size must be odd (a window centred on each channel), "
                      f"got {self.size}")
        self.alpha = self.float_arg("alpha", alpha)
        self.beta = self.float_arg("beta", beta)
        self.k = self.float_arg("k", k)

    def _repr_args(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (3, 4))
        shape = tuple(x.shape)
        n = shape[0] if nd == 4 else 1
        c = shape[-3]
        return shape, n, c, shape[-2] * shape[-1]

    def output_shape(self, info):
        return info[0]

    # -- generic array-API math -------------------------------------------
    def _window_sum(self, xp, a, C):
        """sum over the window of channels around each channel of (N, C, S) ``a``."""
        h = (self.size - 1) // 2
        if h == 0:
            return a
        z = xp.zeros((a.shape[0], h, a.shape[2]), dtype=a.dtype)
        pad = xp.concat([z, a, z], axis=1)
        s = pad[:, 0:C, :]
        for j in range(1, self.size):
            s = s + pad[:, j:j + C, :]
        return s

    def _scale(self, xp, x, C):
        return self.k + (self.alpha / self.size) * self._window_sum(xp, x * x, C)

    def forward(self, xp, d, info):
        shape, n, C, S = info
        x = xp.reshape(d["input"], (n, C, S))
        y = x * self._scale(xp, x, C) ** (-self.beta)
        return xp.reshape(y, shape)

    def backward(self, xp, d, info):
        shape, n, C, S = info
        x = xp.reshape(d["input"], (n, C, S))
        go = xp.reshape(d["gradOutput"], (n, C, S))
        scale = self._scale(xp, x, C)
        ps = scale ** (-self.beta)
        t = go * x * ps / scale
        gi = go * ps - (2.0 * self.alpha * self.beta / self.size) * x * self._window_sum(xp, t, C)
        return {"gradInput": xp.reshape(gi, shape)}

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        shape, n, C, S = info
        ws = np.empty(2 * S, d["input"].dtype)
        k.update_output(d["input"], y, ws, n, C, S, self.size, self.alpha, self.beta, self.k)

    def backward_cpu(self, k, d, info, out):
        shape, n, C, S = info
        ws = np.empty(2 * C * S + S, d["input"].dtype)
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], ws, n, C, S,
                            self.size, self.alpha, self.beta, self.k)

    # -- CuPy path (lrn.cu) ---------------------------------------------------
    def forward_gpu(self, g, d, info, y):
        shape, n, C, S = info
        g.lrn_forward(d["input"], y, n, C, S, self.size, self.alpha, self.beta, self.k)

    def backward_gpu(self, g, d, info, out):
        shape, n, C, S = info
        g.lrn_backward(d["input"], d["gradOutput"], out["gradInput"], n, C, S, self.size,
                       self.alpha, self.beta, self.k)
