from ._elementwise import Pointwise


class Sqrt(Pointwise):
    """Square root, elementwise: ``y = sqrt(x)``.

    Torch7: ``nn.Sqrt(b=0)``; ``b`` (Torch7's ``eps`` field) is stored but,
    as in Torch7's kernel, not used. Gradient
    ``gradInput = 0.5 * gradOutput / sqrt(x)``, and **0 where x == 0**
    (Torch7's rule; PyTorch gives inf there). ``x < 0`` gives NaN.
    """

    op = "sqrt"

    def __init__(self, b=0.0):
        self.b = self.float_arg("b", b)
        self.eps = self.b

    def forward(self, xp, d, info):
        return xp.sqrt(d["input"])

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        y = xp.sqrt(x)
        zero = y == 0
        safe = xp.where(zero, xp.ones_like(y), y)
        return {"gradInput": xp.where(zero, xp.zeros_like(go), 0.5 * go / safe)}
