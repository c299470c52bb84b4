from ._elementwise import Pointwise


class SoftShrink(Pointwise):
    """Soft shrinkage: ``y = x - lam if x > lam; x + lam if x < -lam; else 0``.

    Torch7: ``nn.SoftShrink(lam=0.5)`` (its field is ``lambda``); any input
    shape. Gradient ``gradOutput`` where ``|x| > lam``, else 0. A NaN input
    gives 0 (Torch7's kernel).
    """

    op = "softshrink"

    def __init__(self, lam=0.5):
        self.lam = self.float_arg("lam", lam)
        self.op_a = self.lam

    def _repr_args(self):
        return f"{self.lam}"

    def forward(self, xp, d, info):
        x = d["input"]
        return xp.where(x > self.lam, x - self.lam,
                        xp.where(x < -self.lam, x + self.lam, xp.zeros_like(x)))

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        outside = (x > self.lam) | (x < -self.lam)
        return {"gradInput": xp.where(outside, go, xp.zeros_like(go))}
