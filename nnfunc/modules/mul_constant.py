from ._elementwise import Pointwise


class MulConstant(Pointwise):
    """Multiply by a constant, elementwise: ``y = c * x``.

    Torch7: ``nn.MulConstant(constant_scalar, inplace=false)``; ``c`` a real
    number. ``inplace`` is accepted for compatibility and has no effect.
    Gradient: ``gradInput = c * gradOutput``.
    """

    op = "mul_constant"

    def __init__(self, constant_scalar, inplace=False):
        self.constant_scalar = self.float_arg("constant_scalar", constant_scalar)
        self.inplace = self.bool_arg("inplace", inplace)
        self.op_a = self.constant_scalar

    def _repr_args(self):
        return f"{self.constant_scalar}"

    def forward(self, xp, d, info):
        return d["input"] * self.constant_scalar

    def backward(self, xp, d, info):
        return {"gradInput": d["gradOutput"] * self.constant_scalar}
