from ._elementwise import Pointwise


class AddConstant(Pointwise):
    """Add a constant, elementwise: ``y = x + c``.

    Torch7: ``nn.AddConstant(constant_scalar, inplace=false)``. ``c`` is a
    real number (Torch7 also took a 1-D tensor matched to the last dim of a
    <= 2-D input; nnfunc does not: use ``CAdd``). ``inplace`` is accepted
    for compatibility and has no effect (nnfunc never writes into
    ``input``). Gradient: ``gradInput = gradOutput`` (a fresh array).
    """

    op = "add_constant"

    def __init__(self, constant_scalar, inplace=False):
        self.constant_scalar = self.float_arg("constant_scalar", constant_scalar)
        self.inplace = self.bool_arg("inplace", inplace)
        self.op_a = self.constant_scalar

    def _repr_args(self):
        return f"{self.constant_scalar}"

    def forward(self, xp, d, info):
        return d["input"] + self.constant_scalar

    def backward(self, xp, d, info):
        return {"gradInput": xp.asarray(d["gradOutput"], copy=True)}
