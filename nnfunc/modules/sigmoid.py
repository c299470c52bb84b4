from ._elementwise import Pointwise, sigmoid


class Sigmoid(Pointwise):
    """Logistic sigmoid, elementwise: ``y = 1 / (1 + exp(-x))``.

    Torch7: ``nn.Sigmoid()``. Any input shape. Gradient
    ``gradInput = gradOutput * y * (1 - y)``, recomputed from ``input``. Computed without
    overflow as ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` below,
    ``e = exp(-|x|)``; the compiled kernel's exp is vectorised (a few ulp;
    results below the smallest normal number flush to 0).
    """

    op = "sigmoid"

    def forward(self, xp, d, info):
        return sigmoid(xp, d["input"])

    def backward(self, xp, d, info):
        s = sigmoid(xp, d["input"])
        return {"gradInput": d["gradOutput"] * s * (1 - s)}
