from ._elementwise import Pointwise


class Exp(Pointwise):
    """Exponential, elementwise: ``y = exp(x)``.

    Torch7: ``nn.Exp()``. Gradient ``gradInput = gradOutput * exp(x)``,
    recomputed from ``input`` (Torch7 read its stored output).
    """

    op = "exp"

    def forward(self, xp, d, info):
        return xp.exp(d["input"])

    def backward(self, xp, d, info):
        return {"gradInput": d["gradOutput"] * xp.exp(d["input"])}
