from ._elementwise import Pointwise, sigmoid, softplus


class LogSigmoid(Pointwise):
    """Log of the sigmoid, elementwise: ``y = -log(1 + exp(-x))``.

    Torch7: ``nn.LogSigmoid()``; any input shape. Computed without overflow
    as ``-(max(-x, 0) + log1p(exp(-|x|)))`` (Torch7 formed ``exp(-x)`` and
    overflowed to ``-inf`` below about -88 in float32; PyTorch is stable
    too). Gradient ``gradOutput * sigmoid(-x)``, recomputed from ``input``
    (Torch7 kept ``exp(-x)`` in a buffer from the forward).
    """

    op = "log_sigmoid"

    def forward(self, xp, d, info):
        return -softplus(xp, -d["input"])

    def backward(self, xp, d, info):
        return {"gradInput": d["gradOutput"] * sigmoid(xp, -d["input"])}
