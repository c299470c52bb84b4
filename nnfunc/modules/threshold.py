from ._elementwise import Pointwise


class Threshold(Pointwise):
    """Threshold, elementwise: ``y = x if x > th else v``.

    Torch7: ``nn.Threshold(th=1e-6, v=0, inplace=false)``. ``inplace`` is
    accepted for compatibility and has no effect (nnfunc never writes into
    ``input``); Torch7 required ``v <= th`` with it, and so does nnfunc.
    Gradient: ``gradInput = gradOutput`` where ``x > th``, else 0. A NaN
    input gives ``v`` and a zero gradient (the comparison is false).
    """

    op = "threshold"

    def __init__(self, th=1e-6, v=0.0, inplace=False):
        self.th = self.float_arg("th", th)
        self.v = self.float_arg("v", v)
        self.inplace = self.bool_arg("inplace", inplace)
        if self.inplace and self.v > self.th:
            self.fail(f"in-place mode requires v <= th, got v={self.v}, th={self.th}")
        self.op_a, self.op_b = self.th, self.v

    def _repr_args(self):
        return f"{self.th}, {self.v}"

    def forward(self, xp, d, info):
        x = d["input"]
        return xp.where(x > self.th, x, xp.asarray(self.v, dtype=x.dtype))

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        return {"gradInput": xp.where(x > self.th, go, xp.zeros_like(go))}


class ReLU(Threshold):
    """Rectified linear unit: ``y = max(0, x)`` (``Threshold(0, 0)``).

    Torch7: ``nn.ReLU(inplace=false)`` (``inplace`` has no effect). The
    gradient at ``x == 0`` is 0, as in Torch7 and PyTorch.
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 0.0, inplace)

    def _repr_args(self):
        return ""
