"""Shared base of the elementwise criterions: ``loss = sum_i w_i f(x_i, t_i)``.

AbsCriterion, SmoothL1Criterion, BCECriterion, SoftMarginCriterion,
DistKLDivCriterion, L1Cost, MarginCriterion, HingeEmbeddingCriterion and
MultiLabelSoftMarginCriterion differ only in the term ``f`` and its
derivative; they share one check, one generic reduction and one compiled
kernel (``nnfunc._cpu.pointwise_criterion``, an op table).
"""

import math

import numpy as np

from .._core.module import Criterion
from ._targets import float_target
from ._weights import weights_arg, weights_like


class PointwiseCriterion(Criterion):
    """A criterion ``norm * sum_i w_i f(x_i, t_i)`` over the elements of ``input``.

    ``target``: a float array of the input's type, dtype and shape (Torch7
    accepted any target with as many elements; nnfunc never reshapes).
    ``norm`` is ``1/numel`` with ``sizeAverage`` (an empty input then gives
    NaN, the mean of nothing, as PyTorch), else 1. ``w``: per-class weights
    (subclasses with a ``weights`` argument), repeated along the last axis
    of a 1-D or 2-D input; 1 otherwise. Gradient ``gradInput = norm * w *
    f'(x, t) * gradOutput``. Subclasses give ``op`` (the kernel's op name),
    ``term(xp, x, t)`` and ``deriv(xp, x, t)``.
    """

    backends = ("cpu", "gpu")
    kernel = "pointwise_criterion"
    op = None
    has_target = True
    weights = None
    _w_by_dtype = {}
    margin = 0.0
    sizeAverage = True
    _2d_only = False    # input must be (C) or (N, C) even without weights

    def _set_weights(self, weights):
        self.weights, self._w_by_dtype = weights_arg(self, weights)

    def _repr_args(self):
        args = []
        if self.margin != type(self).margin:
            args.append(f"margin={self.margin!r}")
        if self.weights is not None:
            args.append(f"weights={self.weights.tolist()!r}")
        if not self.sizeAverage:
            args.append("sizeAverage=False")
        return ", ".join(args)

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        if self.has_target:
            t = float_target(self, d)
            self.check_shape("target", t, shape, "(the shape of 'input')")
        n = math.prod(shape)
        rows, cols = 1, n
        if self.weights is not None or self._2d_only:
            nd = self.check_ndim("input", x, (1, 2))
            cols = shape[-1]
            rows = shape[0] if nd == 2 else 1
            if self.weights is not None and self.weights.shape[0] != cols:
                self.fail(f"argument weights has {self.weights.shape[0]} entries but 'input' "
                          f"has {cols} columns (shape {shape}); the weights apply along the "
                          "last dimension")
        norm = (1.0 / n if n else math.nan) if self.sizeAverage else 1.0
        return norm, rows, cols

    # -- generic array-API math -------------------------------------------
    def _xtw(self, xp, d):
        x = d["input"]
        t = d["target"] if self.has_target else None
        w = None if self.weights is None else weights_like(xp, self.weights, x)
        return x, t, w

    def forward(self, xp, d, info):
        x, t, w = self._xtw(xp, d)
        f = self.term(xp, x, t)
        if w is not None:
            f = f * w
        # asarray: NumPy arithmetic on 0-d arrays gives scalars; the loss is a 0-d array
        return xp.asarray(xp.sum(f) * info[0])

    def backward(self, xp, d, info):
        x, t, w = self._xtw(xp, d)
        g = self.deriv(xp, x, t)
        if w is not None:
            g = g * w
        return {"gradInput": g * (info[0] * d["gradOutput"])}

    # -- compiled path ----------------------------------------------------
    def _kernel_args(self, d):
        t = d["target"] if self.has_target else None
        if t is not None and not t.flags.c_contiguous:
            t = np.ascontiguousarray(t)
        w = None if self.weights is None else self._w_by_dtype[d["input"].dtype]
        return t, w

    def forward_cpu(self, k, d, info, y):
        norm, rows, cols = info
        t, w = self._kernel_args(d)
        k.update_output(k.OPS[self.op], d["input"], t, w, y, rows, cols, self.margin, norm)

    def backward_cpu(self, k, d, info, out):
        norm, rows, cols = info
        t, w = self._kernel_args(d)
        k.update_grad_input(k.OPS[self.op], d["input"], t, w, out["gradInput"], rows, cols,
                            self.margin, norm * float(d["gradOutput"]))

    # -- CuPy path (criterion.cu, the same op table) -------------------------
    def _gpu_args(self, g, d):
        x = d["input"]
        t = d["target"] if self.has_target else None
        w = None if self.weights is None else g.const_array(self, "weights", self.weights,
                                                              x.dtype, x)
        return x, t, w

    def forward_gpu(self, g, d, info, y):
        x, t, w = self._gpu_args(g, d)
        g.pw_criterion_forward(self.op, x, t, w, y, info[2], self.margin, info[0])

    def backward_gpu(self, g, d, info, out):
        x, t, w = self._gpu_args(g, d)
        g.pw_criterion_backward(self.op, x, t, w, out["gradInput"], info[2], self.margin,
                                info[0], d["gradOutput"])


# -- helpers for the terms (array API only) ----------------------------------

def select(xp, cond, a, b):
    """``where(cond, a, b)`` with Python numbers allowed for ``a`` / ``b``."""
    ref = a if hasattr(a, "dtype") else b
    if not hasattr(a, "dtype"):
        a = xp.full_like(ref, a) if hasattr(ref, "dtype") else a
    if not hasattr(b, "dtype"):
        b = xp.full_like(ref, b)
    return xp.where(cond, a, b)


def softplus(xp, z):
    """log(1 + exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|))."""
    return select(xp, z > 0, z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))


def sigmoid(xp, z):
    """1 / (1 + exp(-z)) from exp(-|z|) (no overflow)."""
    e = xp.exp(-xp.abs(z))
    r = 1.0 / (1.0 + e)
    return xp.where(z >= 0, r, e * r)
