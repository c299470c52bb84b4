import numpy as np

from ._broadcast import BroadcastParam


class Mul(BroadcastParam):
    """Multiplies by one learnable scalar: ``y = w[0] * x``.

    Torch7: ``nn.Mul()``. ``weight``: ``(1,)``; ``input``: any shape, output
    of the same shape. Gradients: ``gradInput = w[0] * gradOutput``,
    ``gradWeight[0] = sum(x * gradOutput)``. Default init (Torch7 ``reset``):
    ``U(-1, 1)``.
    """

    params = ("weight",)
    op = "mul"

    def __init__(self):
        pass

    def param_shapes(self):
        return {"weight": (1,)}

    def init_stdv(self):
        return 1.0

    def check(self, d):
        self.check_shape("weight", d["weight"], (1,), "for Mul()")
        shape = tuple(d["input"].shape)
        return self.info_for(shape, (1,) * len(shape))
