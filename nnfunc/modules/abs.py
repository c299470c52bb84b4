from ._elementwise import Pointwise


class Abs(Pointwise):
    """Absolute value, elementwise: ``y = |x|``.

    Torch7: ``nn.Abs()``. Any input shape. Gradient
    ``gradInput = gradOutput * (1 if x >= 0 else -1)``: at ``x == 0`` it is
    ``+gradOutput`` as in Torch7 (PyTorch gives 0 there).
    """

    op = "absval"

    def forward(self, xp, d, info):
        return xp.abs(d["input"])

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        return {"gradInput": xp.where(x >= 0, go, -go)}
