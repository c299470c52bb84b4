from ._elementwise import Pointwise


class SoftSign(Pointwise):
    """Softsign, elementwise: ``y = x / (1 + |x|)``.

    Torch7: ``nn.SoftSign()``; any input shape. Gradient
    ``gradOutput / (1 + |x|)^2``.
    """

    op = "softsign"

    def forward(self, xp, d, info):
        x = d["input"]
        return x / (1 + xp.abs(x))

    def backward(self, xp, d, info):
        x = d["input"]
        s = 1 + xp.abs(x)
        return {"gradInput": d["gradOutput"] / (s * s)}
