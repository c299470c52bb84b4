from ._elementwise import Elementwise


class Tanh(Elementwise):
    """Hyperbolic tangent, elementwise: ``y = tanh(x)``.

    Torch7: ``nn.Tanh()``. Any input shape. Gradient
    ``gradInput = gradOutput * (1 - tanh(x)^2)``, recomputed from ``input``
    (Torch7 read the last forward's output instead: impure).
    """

    def forward(self, xp, d, info):
        return xp.tanh(d["input"])

    def backward(self, xp, d, info):
        t = xp.tanh(d["input"])
        return {"gradInput": d["gradOutput"] * (1 - t * t)}
