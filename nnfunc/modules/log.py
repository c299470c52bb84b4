from ._elementwise import Pointwise


class Log(Pointwise):
    """Natural logarithm, elementwise: ``y = log(x)``.

    Torch7: ``nn.Log()``. Gradient ``gradInput = gradOutput / x``. As in
    Torch7 and PyTorch, ``x = 0`` gives ``-inf`` (gradient ``±inf``) and
    ``x < 0`` gives NaN; nothing is checked or clamped.
    """

    op = "log"

    def forward(self, xp, d, info):
        return xp.log(d["input"])

    def backward(self, xp, d, info):
        return {"gradInput": d["gradOutput"] / d["input"]}
