import numpy as np

from .._core.module import Module


class PReLU(Module):
    """Parametric ReLU: ``y = x if x > 0 else w[c] * x``, learnable slopes.

    Torch7: ``nn.PReLU(nOutputPlane=0)``. ``weight``: ``(nOutputPlane)``,
    or ``(1)`` shared by every element when ``nOutputPlane = 0``; default
    initialisation 0.25. The channel ``c`` is dim 0 of a 1-D input and
    dim 1 otherwise (``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)``, ...;
    ``input.shape[c]`` must equal ``nOutputPlane``): like Torch7, a 3-D
    input is read as ``(N, C, L)``, so a single ``(C, H, W)`` image needs a
    batch dim. With the shared weight any input shape is accepted.
    Gradients: ``gradInput = gradOutput`` where ``x > 0``, else ``w[c] *
    gradOutput``; ``gradWeight[c]`` = sum over ``x <= 0`` (of channel c)
    of ``x * gradOutput`` (Torch7's accGradParameters with scale 1,
    overwritten rather than accumulated). PyTorch's ``F.prelu`` agrees for
    ndim >= 2; for a 1-D input with C slopes it differs.
    """

    params = ("weight",)
    backends = ("cpu", "gpu")
    kernel = "pointwise"

    def __init__(self, nOutputPlane=0):
        self.nOutputPlane = self.int_arg("nOutputPlane", nOutputPlane, minimum=0)

    def _repr_args(self):
        return f"{self.nOutputPlane}" if self.nOutputPlane else ""

    def param_shapes(self):
        return {"weight": (max(self.nOutputPlane, 1),)}

    def reset(self, rng):
        return {"weight": np.full((max(self.nOutputPlane, 1),), 0.25)}

    def check(self, d):
        x = d["input"]
        C = self.nOutputPlane
        self.check_shape("weight", d["weight"], (max(C, 1),))
        shape = tuple(x.shape)
        if C == 0:
            n = 1
            for s in shape:
                n *= s
            return shape, 1, 1, n
        if len(shape) == 0:
            self.fail(f"'input' must be at least 1-D with nOutputPlane={C}, got shape ()")
        cdim = 1 if len(shape) > 1 else 0
        if shape[cdim] != C:
            self.fail(f"'input' has {shape[cdim]} planes at dim {cdim} (shape {shape}), "
                      f"expected nOutputPlane={C}")
        inner = 1
        for s in shape[2:]:
            inner *= s
        return shape, shape[0] if cdim else 1, C, inner

    def output_shape(self, info):
        return info[0]

    def _w(self, xp, w, info):
        shape = info[0]
        if self.nOutputPlane == 0:
            return xp.reshape(w, ())
        if len(shape) == 1:
            return w
        return xp.reshape(w, (1, self.nOutputPlane) + (1,) * (len(shape) - 2))

    def forward(self, xp, d, info):
        x = d["input"]
        return xp.where(x > 0, x, self._w(xp, d["weight"], info) * x)

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        w = self._w(xp, d["weight"], info)
        gi = xp.where(x > 0, go, w * go)
        t = xp.where(x > 0, xp.zeros_like(x), x * go)
        shape = info[0]
        if self.nOutputPlane == 0:
            gw = xp.reshape(xp.sum(t), (1,))
        elif len(shape) == 1:
            gw = t
        else:
            axes = (0,) + tuple(range(2, len(shape)))
            gw = xp.sum(t, axis=axes)
        return {"gradInput": gi, "gradWeight": gw}

    def forward_cpu(self, k, d, info, y):
        _, outer, C, inner = info
        k.prelu_update_output(d["input"], y, d["weight"], outer, C, inner)

    def backward_cpu(self, k, d, info, out):
        _, outer, C, inner = info
        k.prelu_update_grad(d["input"], d["gradOutput"], out["gradInput"], d["weight"],
                            out["gradWeight"], outer, C, inner)

    # -- CuPy path (gated.cu), the CPU kernel's layout ----------------------
    def forward_gpu(self, g, d, info, y):
        _, outer, C, inner = info
        g.prelu_forward(d["input"], y, d["weight"], outer, C, inner)

    def backward_gpu(self, g, d, info, out):
        _, outer, C, inner = info
        g.prelu_backward(d["input"], d["gradOutput"], out["gradInput"], d["weight"],
                         out["gradWeight"], outer, C, inner)
