from ._elementwise import Pointwise


class Tanh(Pointwise):
    """Hyperbolic tangent, elementwise: ``y = tanh(x)``.

    Torch7: ``nn.Tanh()``. Any input shape. Gradient
    ``gradInput = gradOutput * (1 - tanh(x)^2)``, recomputed from ``input``
    (Torch7 read the last forward's output instead: impure). The compiled
    kernel computes ``tanh(x) = -sign(x) e / (2 + e)``, ``e = expm1(-2|x|)``,
    vectorised, within a few ulp of libm (relative, also near 0).
    """

    op = "tanh"

    def forward(self, xp, d, info):
        return xp.tanh(d["input"])

    def backward(self, xp, d, info):
        t = xp.tanh(d["input"])
        return {"gradInput": d["gradOutput"] * (1 - t * t)}
