from ._elementwise import Pointwise


class HardTanh(Pointwise):
    """Hard tanh, elementwise: ``y = min(max(x, min_value), max_value)``.

    Torch7: ``nn.HardTanh(min_value=-1, max_value=1, inplace=false)``; any
    input shape; ``max_value > min_value`` is required (as Torch7 asserts).
    ``inplace`` is accepted and has no effect (nnfunc never writes into
    ``input``). Gradient: ``gradOutput`` where ``min_value < x <
    max_value``, 0 elsewhere, also AT the boundaries (Torch7 and PyTorch's
    ``F.hardtanh``). A NaN input gives NaN and a zero gradient (PyTorch;
    Torch7's kernel returned ``max_value``).
    """

    op = "hardtanh"

    def __init__(self, min_value=-1.0, max_value=1.0, inplace=False):
        self.min_value = self.float_arg("min_value", min_value)
        self.max_value = self.float_arg("max_value", max_value)
        self.inplace = self.bool_arg("inplace", inplace)
        if not self.max_value > self.min_value:
            self.fail(f"max_value must be larger than min_value, got min_value="
                      f"{self.min_value}, max_value={self.max_value}")
        self.op_a, self.op_b = self.min_value, self.max_value

    def _repr_args(self):
        return f"{self.min_value}, {self.max_value}"

    def forward(self, xp, d, info):
        x = d["input"]
        lo = xp.asarray(self.min_value, dtype=x.dtype)
        hi = xp.asarray(self.max_value, dtype=x.dtype)
        return xp.where(x < lo, lo, xp.where(x > hi, hi, x))

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        inside = (x > self.min_value) & (x < self.max_value)
        return {"gradInput": xp.where(inside, go, xp.zeros_like(go))}


class ReLU6(HardTanh):
    """ReLU capped at 6: ``y = min(max(x, 0), 6)`` (``HardTanh(0, 6)``).

    Torch7: ``nn.ReLU6(inplace=false)`` (``inplace`` has no effect); any
    input shape. Gradient ``gradOutput`` where ``0 < x < 6``, 0 elsewhere
    (also at 0 and 6, as Torch7 and PyTorch's ``F.relu6``).
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def _repr_args(self):
        return ""


class Clamp(HardTanh):
    """Clamp, elementwise: ``y = min(max(x, min_value), max_value)``.

    Torch7: ``nn.Clamp(min_value, max_value)``, a HardTanh; an omitted
    bound falls back to HardTanh's default (-1, 1), and ``max_value >
    min_value`` is required. Any input shape. Gradient ``gradOutput``
    strictly inside ``(min_value, max_value)`` and 0 at the bounds (Torch7;
    ``torch.clamp`` passes the gradient at the bounds, ``F.hardtanh`` does
    not).
    """

    def __init__(self, min_value=-1.0, max_value=1.0):
        super().__init__(min_value, max_value)
