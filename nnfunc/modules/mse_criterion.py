import math

import numpy as np

from .._core.module import Criterion
from ._targets import float_target


class MSECriterion(Criterion):
    """Mean (or sum of) squared error: ``loss = sum((x - t)^2) [/ numel]``.

    Torch7: ``nn.MSECriterion(sizeAverage=true)``. ``input``: any shape;
    ``target``: a float array of the input's type, dtype **and shape**
    (Torch7 accepted any target of the same number of elements; we require
    the same shape exactly, as no broadcasting or reshaping is ever implied).
    ``output``: a 0-d array, ``sum((x - t)^2)``, divided by ``numel`` when
    ``sizeAverage``. Gradient ``gradInput = 2 (x - t) [/ numel] *
    gradOutput``. The compiled path accumulates the sum in double, for
    float32 input too. An empty input gives NaN with ``sizeAverage`` (the
    mean of nothing, as ``F.mse_loss``) and 0 without. PyTorch:
    ``F.mse_loss(x, t, reduction='mean' if sizeAverage else 'sum')``.
    """

    backends = ("cpu", "gpu")

    def __init__(self, sizeAverage=True):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)

    def _repr_args(self):
        return "" if self.sizeAverage else "sizeAverage=False"

    def check(self, d):
        t = float_target(self, d)
        shape = tuple(d["input"].shape)
        self.check_shape("target", t, shape, "(the shape of 'input')")
        n = math.prod(shape)
        # the factor applied to the sum: 1/numel (NaN for an empty mean), or 1
        norm = (1.0 / n if n else math.nan) if self.sizeAverage else 1.0
        return norm

    def forward(self, xp, d, info):
        diff = d["input"] - d["target"]
        # asarray: NumPy arithmetic on 0-d arrays gives scalars; the loss is a 0-d array
        return xp.asarray(xp.sum(diff * diff) * info)

    def backward(self, xp, d, info):
        diff = d["input"] - d["target"]
        return {"gradInput": diff * (2.0 * info) * d["gradOutput"]}

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], _contiguous(d["target"]), y, info)

    def backward_cpu(self, k, d, info, out):
        coef = 2.0 * info * float(d["gradOutput"])
        k.update_grad_input(d["input"], _contiguous(d["target"]), out["gradInput"], coef)

    def forward_gpu(self, g, d, info, y):
        g.mse_forward(d["input"], d["target"], y, info)

    def backward_gpu(self, g, d, info, out):
        g.mse_backward(d["input"], d["target"], out["gradInput"], 2.0 * info, d["gradOutput"])


def _contiguous(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)
