from ._elementwise import Pointwise, sigmoid, softplus


class SoftPlus(Pointwise):
    """Softplus: ``y = log(1 + exp(beta * x)) / beta``, ``y = x`` where
    ``beta * x > threshold``.

    Torch7: ``nn.SoftPlus(beta=1)``, with the ``threshold`` field fixed at
    20; nnfunc also takes it as a second argument (PyTorch's
    ``F.softplus(x, beta, threshold)``). ``beta`` must not be 0. Any input
    shape. Computed without overflow as ``max(z, 0) + log1p(exp(-|z|))``,
    ``z = beta * x``. Gradient ``gradOutput * sigmoid(beta * x)`` (Torch7's
    ``1 - exp(-beta * y)`` from the saved output, recomputed from
    ``input``), ``gradOutput`` above the threshold (tested on ``beta * x``,
    as PyTorch; Torch7 tested ``beta * y``, which differs only within
    ``exp(-20)`` of the threshold).
    """

    op = "softplus"

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta = self.float_arg("beta", beta)
        self.threshold = self.float_arg("threshold", threshold)
        if self.beta == 0:
            self.fail("argument beta must not be 0")
        self.op_a, self.op_b = self.beta, self.threshold

    def _repr_args(self):
        return f"{self.beta}, {self.threshold}"

    def forward(self, xp, d, info):
        x = d["input"]
        z = self.beta * x
        return xp.where(z > self.threshold, x, softplus(xp, z) / self.beta)

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        z = self.beta * x
        return {"gradInput": xp.where(z > self.threshold, go, go * sigmoid(xp, z))}
