from ._elementwise import Pointwise


class TanhShrink(Pointwise):
    """Tanh shrink, elementwise: ``y = x - tanh(x)``.

    Torch7: ``nn.TanhShrink()``; any input shape. Gradient
    ``gradOutput * tanh(x)^2``. Near 0 the difference cancels (relative
    error grows like ``eps / x^2``), as in Torch7 and PyTorch.
    """

    op = "tanhshrink"

    def forward(self, xp, d, info):
        x = d["input"]
        return x - xp.tanh(x)

    def backward(self, xp, d, info):
        t = xp.tanh(d["input"])
        return {"gradInput": d["gradOutput"] * (t * t)}
