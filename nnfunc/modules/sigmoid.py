from ._elementwise import Elementwise


class Sigmoid(Elementwise):
    """Logistic sigmoid, elementwise: ``y = 1 / (1 + exp(-x))``.

    Torch7: ``nn.Sigmoid()``. Any input shape. Gradient
    ``gradInput = gradOutput * y * (1 - y)``, recomputed from ``input``.
    """

    def forward(self, xp, d, info):
        return 1 / (1 + xp.exp(-d["input"]))

    def backward(self, xp, d, info):
        s = 1 / (1 + xp.exp(-d["input"]))
        return {"gradInput": d["gradOutput"] * s * (1 - s)}
