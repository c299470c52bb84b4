from .._core.module import Module
from ._elementwise import sigmoid


class GatedLinearUnit(Module):
    """Gated linear unit: ``a, b = halves of x along dim``; ``y = a * sigmoid(b)``.

    Torch7: ``nn.GatedLinearUnit(dim=nil)``; ``dim`` is 0-based here
    (Torch7's was 1-based) and defaults to the last dim. ``input``: any
    shape with an even size along ``dim``; ``output``: that size halved.
    Gradient: ``gradInput = [gradOutput * sigmoid(b), gradOutput * a *
    sigmoid(b) * (1 - sigmoid(b))]``. PyTorch: ``F.glu(x, dim)``.
    """

    backends = ("cpu", "gpu")
    kernel = "pointwise"

    def __init__(self, dim=None):
        self.dim = None if dim is None else self.int_arg("dim", dim, minimum=0)

    def _repr_args(self):
        return "" if self.dim is None else f"{self.dim}"

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        if len(shape) == 0:
            self.fail("'input' must be at least 1-D, got shape ()")
        dim = len(shape) - 1 if self.dim is None else self.dim
        if dim >= len(shape):
            self.fail(f"dim {dim} is out of range for 'input' of shape {shape}")
        if shape[dim] % 2:
            self.fail(f"'input' must have an even size along dim {dim}, got shape {shape}")
        outer = 1
        for s in shape[:dim]:
            outer *= s
        n = shape[dim] // 2
        for s in shape[dim + 1:]:
            n *= s
        oshape = shape[:dim] + (shape[dim] // 2,) + shape[dim + 1:]
        return oshape, outer, n, dim

    def output_shape(self, info):
        return info[0]

    def _halves(self, x, info):
        dim = info[3]
        h = x.shape[dim] // 2
        pre = (slice(None),) * dim
        return x[pre + (slice(0, h), ...)], x[pre + (slice(h, 2 * h), ...)]

    def forward(self, xp, d, info):
        a, b = self._halves(d["input"], info)
        return a * sigmoid(xp, b)

    def backward(self, xp, d, info):
        a, b = self._halves(d["input"], info)
        go = d["gradOutput"]
        s = sigmoid(xp, b)
        gs = go * s
        return {"gradInput": xp.concat([gs, gs * a * (1 - s)], axis=info[3])}

    def forward_cpu(self, k, d, info, y):
        k.glu_update_output(d["input"], y, info[1], info[2])

    def backward_cpu(self, k, d, info, out):
        k.glu_update_grad_input(d["input"], d["gradOutput"], out["gradInput"], info[1], info[2])

    # -- CuPy path (gated.cu), the CPU kernel's layout ----------------------
    def forward_gpu(self, g, d, info, y):
        g.glu_forward(d["input"], y, info[1], info[2])

    def backward_gpu(self, g, d, info, out):
        g.glu_backward(d["input"], d["gradOutput"], out["gradInput"], info[1], info[2])
