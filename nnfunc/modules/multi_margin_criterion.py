import numpy as np

from .._core.dispatch import namespace_of
from .._core.module import Criterion
from ._targets import class_target
from ._weights import weights_arg, weights_like

_INT64 = np.dtype(np.int64)


def class_rows(m, d, nd_allowed=(1, 2)):
    """(x, n, nc, nd, xp) of a class-scored input (C) or (N, C)."""
    x = d["input"]
    nd = m.check_ndim("input", x, nd_allowed)
    nc = int(x.shape[-1])
    n = int(x.shape[0]) if nd == 2 else 1
    xp = None if type(x) is np.ndarray else namespace_of(m, "input", x)
    return x, n, nc, nd, xp


def int64_target(d):
    t = d["target"]
    if t.dtype is not _INT64 or not t.flags.c_contiguous:
        t = np.ascontiguousarray(t, dtype=_INT64)     # values checked to fit
    return t


class MultiMarginCriterion(Criterion):
    """Multi-class hinge loss of scores and class targets.

    Torch7: ``nn.MultiMarginCriterion(p=1, weights=nil, margin=1)`` with the
    field ``sizeAverage`` (default true), here a keyword argument.
    ``input``: ``(C)`` with a 0-d integer ``target``, or ``(N, C)`` with an
    ``(N)`` integer ``target``: **0-based** class indices in ``[0, C)``
    (anything else is an ``InputError``; no ignore index). ``p``: 1 or 2.
    ``weights``: None or ``C`` class weights, indexed by the target class.

    ``loss = sum_n sum_{i != t_n} w[t_n] max(0, margin - x[n, t_n] +
    x[n, i])^p / C``, divided by ``N`` when ``sizeAverage`` (both divisions
    as Torch7 and PyTorch). Gradient: ``w[t] (1 or 2 z) / C [/ N]`` at each
    ``i`` with a positive hinge ``z``, minus their sum at ``t`` (0 at
    ``z == 0``, as Torch7). PyTorch: ``F.multi_margin_loss(x, t, p=p,
    margin=margin, weight=w, reduction='mean' if sizeAverage else 'sum')``.
    """

    backends = ("cpu", "gpu")

    def __init__(self, p=1, weights=None, margin=1, *, sizeAverage=True):
        self.p = self.int_arg("p", p)
        if self.p not in (1, 2):
            self.fail(f"argument p must be 1 or 2, got {p}")
        self.margin = self.float_arg("margin", margin)
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)
        self.weights, self._w_by_dtype = weights_arg(self, weights)

    def _repr_args(self):
        args = [] if self.p == 1 else [f"p={self.p}"]
        if self.weights is not None:
            args.append(f"weights={self.weights.tolist()!r}")
        if self.margin != 1.0:
            args.append(f"margin={self.margin!r}")
        if not self.sizeAverage:
            args.append("sizeAverage=False")
        return ", ".join(args)

    def check(self, d):
        x, n, nc, nd, xp = class_rows(self, d)
        if self.weights is not None and self.weights.shape[0] != nc:
            self.fail(f"argument weights has {self.weights.shape[0]} entries but 'input' "
                      f"has {nc} classes (shape {tuple(x.shape)})")
        class_target(self, d, xp, nc, None, (n,) if nd == 2 else (),
                     "(one class index per row of 'input')" if nd == 2
                     else "(a 0-d class index for a 1-D 'input')")
        norm = 1.0 / nc if nc else 0.0
        if self.sizeAverage:
            norm = norm / n if n else np.nan
        return n, nc, nd, norm

    # -- generic array-API math -------------------------------------------
    def _parts(self, xp, d, info):
        """(x (N, C), onehot mask, hinge z (N, C), weight of each row's target (N, 1))."""
        n, nc, nd, _ = info
        x = d["input"]
        t = xp.astype(d["target"], xp.int64)
        if nd == 1:
            x = xp.reshape(x, (1, nc))
            t = xp.reshape(t, (1,))
        zeros = xp.zeros_like(x)
        mask = xp.arange(nc, dtype=xp.int64)[None, :] == t[:, None]
        xt = xp.sum(xp.where(mask, x, zeros), axis=1, keepdims=True)
        z = self.margin - xt + x
        wt = zeros[:, :1] + 1
        if self.weights is not None:
            w = weights_like(xp, self.weights, x)
            wt = xp.sum(xp.where(mask, zeros + w, zeros), axis=1, keepdims=True)
        return x, mask, z, wt, zeros

    def forward(self, xp, d, info):
        x, mask, z, wt, zeros = self._parts(xp, d, info)
        h = xp.where((z > 0) & ~mask, z, zeros)
        if self.p == 2:
            h = h * h
        return xp.asarray(xp.sum(h * wt) * info[3])

    def backward(self, xp, d, info):
        x, mask, z, wt, zeros = self._parts(xp, d, info)
        g = wt * (info[3] * d["gradOutput"])
        h = xp.where((z > 0) & ~mask, (zeros + g) if self.p == 1 else 2 * z * g, zeros)
        gi = h - xp.where(mask, zeros + xp.sum(h, axis=1, keepdims=True), zeros)
        if info[2] == 1:
            gi = xp.reshape(gi, (info[1],))
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        n, nc, _, norm = info
        w = self._w_by_dtype.get(d["input"].dtype)
        k.update_output(d["input"], int64_target(d), w, y, n, nc, self.p, self.margin, norm)

    def backward_cpu(self, k, d, info, out):
        n, nc, _, norm = info
        w = self._w_by_dtype.get(d["input"].dtype)
        k.update_grad_input(d["input"], int64_target(d), w, out["gradInput"], n, nc, self.p,
                            self.margin, norm * float(d["gradOutput"]))

    # -- CuPy path (margin.cu) ----------------------------------------------
    def forward_gpu(self, g, d, info, y):
        n, nc, _, norm = info
        x = d["input"]
        w = None if self.weights is None else g.const_array(self, "weights", self.weights,
                                                              x.dtype, x)
        g.multi_margin_forward(x, g.int64_target(d), w, y, n, nc, self.p, self.margin, norm)

    def backward_gpu(self, g, d, info, out):
        n, nc, _, norm = info
        x = d["input"]
        w = None if self.weights is None else g.const_array(self, "weights", self.weights,
                                                              x.dtype, x)
        g.multi_margin_backward(x, g.int64_target(d), w, out["gradInput"], n, nc, self.p,
                                self.margin, norm, d["gradOutput"])
