from ._elementwise import Pointwise


class LeakyReLU(Pointwise):
    """Leaky ReLU, elementwise: ``y = x if x > 0 else negval * x``.

    Torch7: ``nn.LeakyReLU(negval=1/100, inplace=false)``; any input shape;
    ``inplace`` has no effect. Gradient ``gradOutput`` where ``x > 0``,
    ``negval * gradOutput`` elsewhere (also at 0). Torch7 took a boolean
    first argument as ``inplace`` with the default slope; nnfunc refuses a
    boolean ``negval`` (pass ``inplace=True`` by name).
    """

    op = "leaky_relu"

    def __init__(self, negval=1 / 100, inplace=False):
        self.negval = self.float_arg("negval", negval)
        self.inplace = self.bool_arg("inplace", inplace)
        self.op_a = self.negval

    def _repr_args(self):
        return f"{self.negval}"

    def forward(self, xp, d, info):
        x = d["input"]
        return xp.where(x > 0, x, self.negval * x)

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        return {"gradInput": xp.where(x > 0, go, self.negval * go)}
