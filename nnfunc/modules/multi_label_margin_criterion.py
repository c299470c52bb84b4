import numpy as np

from .._core.module import Criterion
from ._targets import class_target
from .multi_margin_criterion import class_rows, int64_target


class MultiLabelMarginCriterion(Criterion):
    """Multi-label hinge loss of scores and lists of target classes.

    Torch7: ``nn.MultiLabelMarginCriterion()`` with the field
    ``sizeAverage`` (default true), here a keyword argument. ``input``:
    ``(C)`` or ``(N, C)``; ``target``: an integer array of the same shape
    holding, per row, **0-based** class indices terminated by the first -1
    (Torch7: 1-based, terminated by 0; PyTorch: as here). Every entry,
    after the terminator too, must be in ``[0, C)`` or -1 (stricter than
    PyTorch, which ignores what follows the terminator); anything else is
    an ``InputError``.

    With ``T_n`` the listed classes of row ``n``: ``loss = sum_n sum_{j
    listed} sum_{i not in T_n} max(0, 1 - x[n, j] + x[n, i]) / C``, divided
    by ``N`` when ``sizeAverage`` (a class listed twice counts twice, as
    Torch7). Gradient: the subgradient (0 where a hinge is exactly 0),
    recomputed from ``target`` (Torch7 kept ``isTarget`` from the forward).
    PyTorch: ``F.multilabel_margin_loss(x, t, reduction='mean' if
    sizeAverage else 'sum')``.
    """

    backends = ("cpu", "gpu")

    def __init__(self, *, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def _repr_args(self):
        return "" if self.sizeAverage else "sizeAverage=False"

    def check(self, d):
        x, n, nc, nd, xp = class_rows(self, d)
        class_target(self, d, xp, nc, -1, tuple(x.shape),
                     "(a -1-terminated list of class indices per row of 'input')")
        norm = 1.0 / nc if nc else 0.0
        if self.sizeAverage:
            norm = norm / n if n else np.nan
        return n, nc, nd, norm

    # -- generic array-API math: (N, k, i) tensors, the reference ------------
    def _parts(self, xp, d, info):
        n, nc, nd, _ = info
        x = d["input"]
        t = xp.astype(d["target"], xp.int64)
        if nd == 1:
            x = xp.reshape(x, (1, nc))
            t = xp.reshape(t, (1, nc))
        pos = xp.arange(nc, dtype=xp.int64)
        # the first -1 of each row (nc if none); listed[n, k]: k comes before it
        first = xp.min(xp.where(t == -1, pos[None, :], xp.full_like(t, nc)), axis=1,
                       keepdims=True)
        listed = pos[None, :] < first
        onehot = (t[:, :, None] == pos[None, None, :]) & listed[:, :, None]   # (N, k, i)
        is_target = xp.any(onehot, axis=1)                                      # (N, i)
        zeros3 = xp.zeros(onehot.shape, dtype=x.dtype)
        xj = xp.sum(xp.where(onehot, x[:, None, :] + zeros3, zeros3), axis=2)   # (N, k)
        z = 1 - xj[:, :, None] + x[:, None, :]                                  # (N, k, i)
        active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
        return x, z, active, onehot, zeros3

    def forward(self, xp, d, info):
        x, z, active, onehot, zeros3 = self._parts(xp, d, info)
        return xp.asarray(xp.sum(xp.where(active, z, zeros3)) * info[3])

    def backward(self, xp, d, info):
        x, z, active, onehot, zeros3 = self._parts(xp, d, info)
        a = xp.astype(active, x.dtype)
        per_k = xp.sum(a, axis=2)                                               # (N, k)
        gi = (xp.sum(a, axis=1)
              - xp.sum(xp.where(onehot, per_k[:, :, None] + zeros3, zeros3), axis=1))
        gi = gi * (info[3] * d["gradOutput"])
        if info[2] == 1:
            gi = xp.reshape(gi, (info[1],))
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        n, nc, _, norm = info
        k.update_output(d["input"], int64_target(d), np.empty(nc, np.uint8), y, n, nc, norm)

    def backward_cpu(self, k, d, info, out):
        n, nc, _, norm = info
        k.update_grad_input(d["input"], int64_target(d), np.empty(nc, np.uint8),
                            out["gradInput"], n, nc, norm * float(d["gradOutput"]))

    # -- CuPy path (margin.cu) ----------------------------------------------
    def forward_gpu(self, g, d, info, y):
        n, nc, _, norm = info
        g.multilabel_margin_forward(d["input"], g.int64_target(d), y, n, nc, norm)

    def backward_gpu(self, g, d, info, out):
        n, nc, _, norm = info
        g.multilabel_margin_backward(d["input"], g.int64_target(d), out["gradInput"], n, nc,
                                     norm, d["gradOutput"])
