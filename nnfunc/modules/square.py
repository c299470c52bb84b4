from ._elementwise import Pointwise


class Square(Pointwise):
    """Square, elementwise: ``y = x * x``.

    Torch7: ``nn.Square()``. Gradient ``gradInput = 2 * x * gradOutput``.
    """

    op = "square"

    def forward(self, xp, d, info):
        x = d["input"]
        return x * x

    def backward(self, xp, d, info):
        return {"gradInput": 2 * d["input"] * d["gradOutput"]}
