from ._elementwise import Pointwise


class HardShrink(Pointwise):
    """Hard shrinkage, elementwise: ``y = x if |x| > lam else 0``.

    Torch7: ``nn.HardShrink(lam=0.5)`` (its field is ``lambda``); any input
    shape. Gradient ``gradOutput`` where ``|x| > lam``, else 0. A NaN input
    gives NaN (PyTorch; Torch7's kernel gave 0).
    """

    op = "hardshrink"

    def __init__(self, lam=0.5):
        self.lam = self.float_arg("lam", lam)
        self.op_a = self.lam

    def _repr_args(self):
        return f"{self.lam}"

    def forward(self, xp, d, info):
        x = d["input"]
        inside = (x >= -self.lam) & (x <= self.lam)
        return xp.where(inside, xp.zeros_like(x), x)

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        inside = (x >= -self.lam) & (x <= self.lam)
        return {"gradInput": xp.where(inside, xp.zeros_like(go), go)}
