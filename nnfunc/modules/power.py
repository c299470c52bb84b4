from ._elementwise import Pointwise


class Power(Pointwise):
    """Power, elementwise: ``y = x ** p``.

    Torch7: ``nn.Power(p)``, ``p`` a real number. Gradient
    ``gradInput = gradOutput * p * x ** (p - 1)`` (``p == 0``: zero).
    A non-integer ``p`` on a negative ``x`` gives NaN, as in Torch7 and
    PyTorch.
    """

    op = "power"

    def __init__(self, p):
        self.pow = self.float_arg("p", p)
        self.op_a = self.pow

    def _repr_args(self):
        return f"{self.pow}"

    def forward(self, xp, d, info):
        x = d["input"]
        if self.pow == 2.0:
            return x * x
        return x ** self.pow

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        p = self.pow
        if p == 0.0:
            return {"gradInput": xp.zeros_like(go)}
        if p == 1.0:
            return {"gradInput": xp.asarray(go, copy=True)}
        if p == 2.0:
            return {"gradInput": 2 * x * go}
        return {"gradInput": go * (p * x ** (p - 1))}
