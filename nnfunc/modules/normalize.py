import math

import numpy as np

from .._core.module import Module


class Normalize(Module):
    """L_p normalisation of each row: ``y = x / ||x||``.

    Torch7: ``nn.Normalize(p, eps=1e-10)``, ``p > 0``, ``p = math.huge``
    (here ``float('inf')``) for the max norm.

    ``input``: ``(D,)`` or ``(N, D)`` (Torch7 takes 1-D or 2-D only); each
    row is divided by ``(sum |x|^p + eps)^(1/p)``, or for ``p = inf`` by
    ``max |x| + eps``. eps is placed as in Torch7 (inside the p-th power
    sum); PyTorch's ``F.normalize`` divides by ``max(||x||_p, eps)``
    instead, so the reference here is the explicit Torch7 formula.

    Gradient: the exact derivative of that formula,
    ``gi = go / n - (go . x) b / (n s)`` with ``s = sum |x|^p + eps``,
    ``n = s^(1/p)`` and ``b = sign(x) |x|^(p-1)`` (``b = 0`` where
    ``x = 0``). Torch7 differed slightly: for ``p < 2`` not even it used
    ``(|x| + eps)^(p-2) x`` (eps to dodge 0^negative), and for ``p = inf``
    the factor ``x_k / n`` instead of ``sign(x_k)``; both are within
    ``eps / |x|`` of ours. For ``p = inf`` the gradient flows through the
    first maximum of ``|x|`` (ties have no derivative).
    """

    backends = ("cpu", "gpu")

    def __init__(self, p, eps=1e-10):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            self.fail_type(f"argument p must be a real number, got {p!r}")
        p = float(p)
        if not p > 0:       # also NaN
            self.fail(f"argument p must be > 0 (math.inf for the max norm), got {p}")
        self.p = p
        self.eps = self.float_arg("eps", eps)
        if self.eps < 0:
            self.fail(f"argument eps must be >= 0, got {self.eps}")

    def _repr_args(self):
        return f"{self.p}, eps={self.eps}"

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (1, 2))
        D = x.shape[-1]
        return tuple(x.shape), (x.shape[0] if nd == 2 else 1), D

    def output_shape(self, info):
        return info[0]

    # -- generic array-API math -------------------------------------------
    def _norm(self, xp, x):
        """(n, s): the divisor and, for finite p, s = sum |x|^p + eps."""
        p = self.p
        if math.isinf(p):
            n = xp.max(xp.abs(x), axis=-1, keepdims=True) + self.eps
            return n, None
        if p == 2:
            s = xp.sum(x * x, axis=-1, keepdims=True) + self.eps
            return xp.sqrt(s), s
        s = xp.sum(xp.abs(x) ** p, axis=-1, keepdims=True) + self.eps
        return (s if p == 1 else s ** (1.0 / p)), s

    def forward(self, xp, d, info):
        x = d["input"]
        n, _ = self._norm(xp, x)
        return x / n

    def backward(self, xp, d, info):
        shape, N, D = info
        x = xp.reshape(d["input"], (N, D))
        go = xp.reshape(d["gradOutput"], (N, D))
        n, s = self._norm(xp, x)
        dot = xp.sum(go * x, axis=-1, keepdims=True)
        p = self.p
        if math.isinf(p):
            k = xp.argmax(xp.abs(x), axis=-1, keepdims=True)
            hot = xp.astype(xp.arange(D) == k, x.dtype)
            gi = go / n - dot / (n * n) * xp.sign(x) * hot
        else:
            if p == 2:
                b = x
            elif p == 1:
                b = xp.sign(x)
            else:
                ax = xp.where(x == 0, xp.ones_like(x), xp.abs(x))
                b = xp.sign(x) * ax ** (p - 1)
            gi = go / n - dot * b / (n * s)
        return {"gradInput": xp.reshape(gi, shape)}

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], y, info[1], info[2], self.p, self.eps)

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], info[1], info[2],
                            self.p, self.eps)

    # -- CuPy path (normalize.cu) -------------------------------------------
    def forward_gpu(self, g, d, info, y):
        g.normalize_forward(d["input"], y, info[1], info[2], self.p, self.eps)

    def backward_gpu(self, g, d, info, out):
        g.normalize_backward(d["input"], d["gradOutput"], out["gradInput"], info[1], info[2],
                             self.p, self.eps)
