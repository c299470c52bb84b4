import math

import numpy as np

from .._core.module import Criterion
from ._pointwise import select


class MarginRankingCriterion(Criterion):
    """Ranking hinge loss of a pair of scores: ``max(0, -y (x1 - x2) + margin)``.

    Torch7: ``nn.MarginRankingCriterion(margin=1)`` with the field
    ``sizeAverage`` (default true), here a keyword argument. ``input``: a
    table (list) of two arrays ``[x1, x2]`` of one shape (Torch7: ``(N)``, or
    ``(1)`` with a number ``y``); ``target``: ``y``, a float array of the
    same type, dtype and shape, of +1 / -1 (a number is not accepted: pass a
    full array). ``loss = sum max(0, -y (x1 - x2) + margin)``, divided by
    ``numel`` when ``sizeAverage``. ``gradInput = [-y, y] [/ numel] *
    gradOutput`` where ``-y (x1 - x2) + margin >= 0`` (note ``>=``: the
    gradient passes at a hinge of exactly 0, as Torch7 and PyTorch), else 0.
    PyTorch: ``F.margin_ranking_loss(x1, x2, y, margin, reduction='mean' if
    sizeAverage else 'sum')``.
    """

    backends = ("cpu", "gpu")
    table_input = True
    gpu_tables = True

    def __init__(self, margin=1, *, sizeAverage=True):
        self.margin = self.float_arg("margin", margin)
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def _repr_args(self):
        args = [] if self.margin == 1.0 else [f"margin={self.margin!r}"]
        if not self.sizeAverage:
            args.append("sizeAverage=False")
        return ", ".join(args)

    def check(self, d):
        xs = d["input"]
        if len(xs) != 2:
            self.fail(f"'input' must be a table of 2 arrays [x1, x2], got {len(xs)}")
        shape = tuple(xs[0].shape)
        self.check_shape("input[1]", xs[1], shape, "(the shape of input[0])")
        t = d.get("target")
        if t is None:
            self.fail("missing key 'target'")
        if type(t) is not type(xs[0]):
            self.fail_type(f"'target' must be a float array of the input's type, got "
                           f"{type(t).__module__.split('.')[0]}.{type(t).__qualname__}")
        if t.dtype != xs[0].dtype:
            self.fail_type(f"'target' has dtype {t.dtype}, expected {xs[0].dtype} (the dtype "
                           "of 'input'); nnfunc never casts silently")
        self.check_shape("target", t, shape, "(the shape of input[0])")
        n = math.prod(shape)
        return (1.0 / n if n else math.nan) if self.sizeAverage else 1.0

    def _hinge(self, xp, d):
        x1, x2 = d["input"]
        y = d["target"]
        return y, -y * (x1 - x2) + self.margin

    def forward(self, xp, d, info):
        _, h = self._hinge(xp, d)
        return xp.asarray(xp.sum(select(xp, h > 0, h, 0.0)) * info)

    def backward(self, xp, d, info):
        y, h = self._hinge(xp, d)
        g = select(xp, h >= 0, y, 0.0) * (info * d["gradOutput"])
        return {"gradInput": [-g, g]}

    def forward_cpu(self, k, d, info, y):
        x1, x2 = d["input"]
        k.update_output(x1, x2, _contiguous(d["target"]), y, self.margin, info)

    def backward_cpu(self, k, d, info, out):
        x1, x2 = d["input"]
        g1, g2 = out["gradInput"]
        k.update_grad_input(x1, x2, _contiguous(d["target"]), g1, g2, self.margin,
                            info * float(d["gradOutput"]))

    # -- CuPy path (margin.cu) ------------------------------------------------
    def forward_gpu(self, g, d, info, y):
        x1, x2 = d["input"]
        g.margin_ranking_forward(x1, x2, d["target"], y, self.margin, info)

    def backward_gpu(self, g, d, info, out):
        x1, x2 = d["input"]
        g1, g2 = out["gradInput"]
        g.margin_ranking_backward(x1, x2, d["target"], g1, g2, self.margin, info,
                                  d["gradOutput"])


def _contiguous(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)
