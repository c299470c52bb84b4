from ._elementwise import Pointwise


class ELU(Pointwise):
    """Exponential linear unit: ``y = x if x > 0 else alpha * (exp(x) - 1)``.

    Torch7: ``nn.ELU(alpha=1, inplace=false)``; any input shape; ``inplace``
    has no effect. ``exp(x) - 1`` is computed as ``expm1(x)`` (accurate near
    0). Gradient ``gradOutput`` where ``x > 0``, else ``gradOutput * alpha *
    exp(x)`` (Torch7's ``gradOutput * (y + alpha)`` from the saved output,
    recomputed from ``input`` here; at ``x == 0`` it is ``alpha *
    gradOutput``, as in Torch7 and PyTorch).
    """

    op = "elu"

    def __init__(self, alpha=1.0, inplace=False):
        self.alpha = self.float_arg("alpha", alpha)
        self.inplace = self.bool_arg("inplace", inplace)
        self.op_a = self.alpha

    def _repr_args(self):
        return f"{self.alpha}"

    def forward(self, xp, d, info):
        x = d["input"]
        neg = xp.minimum(x, xp.zeros_like(x))
        return xp.where(x > 0, x, self.alpha * xp.expm1(neg))

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        neg = xp.minimum(x, xp.zeros_like(x))
        return {"gradInput": xp.where(x > 0, go, go * (self.alpha * xp.exp(neg)))}
