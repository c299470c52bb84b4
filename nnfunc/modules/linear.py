import math

from .._core.module import Module

_INT_MAX = 2**31 - 1


class Linear(Module):
    """Affine layer: ``y = W x + b`` (batch: ``y = x W^T + b``).

    Torch7: ``nn.Linear(inputSize, outputSize, bias=true)``; ``:noBias()`` is
    ``bias=False``.

    ``input``: ``(inputSize,)`` or ``(N, inputSize)``; ``weight``:
    ``(outputSize, inputSize)``; ``bias``: ``(outputSize,)`` (absent when
    ``bias=False``); ``output``: ``(outputSize,)`` or ``(N, outputSize)``.
    Gradients: ``gradInput = gradOutput W``, ``gradWeight = gradOutput^T x``,
    ``gradBias = sum_N gradOutput``. Default init (Torch7 ``reset``):
    ``U(-1/sqrt(inputSize), 1/sqrt(inputSize))`` for weight and bias.
    """

    backends = ("cpu", "gpu")

    def __init__(self, inputSize, outputSize, bias=True):
        self.inputSize = self.int_arg("inputSize", inputSize)
        self.outputSize = self.int_arg("outputSize", outputSize)
        self.bias = self.bool_arg("bias", bias)
        for name, v in (("inputSize", self.inputSize), ("outputSize", self.outputSize)):
            if v > _INT_MAX:
                self.fail(f"argument {name}={v} exceeds the BLAS int limit {_INT_MAX}")
        self.params = ("weight", "bias") if self.bias else ("weight",)

    def _repr_args(self):
        return f"{self.inputSize}, {self.outputSize}" + ("" if self.bias else ", bias=False")

    def param_shapes(self):
        shapes = {"weight": (self.outputSize, self.inputSize)}
        if self.bias:
            shapes["bias"] = (self.outputSize,)
        return shapes

    def init_stdv(self):
        return 1.0 / math.sqrt(self.inputSize)

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (1, 2))
        if x.shape[-1] != self.inputSize:
            self.fail(f"'input' has shape {tuple(x.shape)}: last dimension must be "
                      f"inputSize={self.inputSize}")
        n = x.shape[0] if nd == 2 else 1
        if n > _INT_MAX:
            self.fail(f"'input' batch size {n} exceeds the BLAS int limit {_INT_MAX}")
        why = f"for Linear({self.inputSize}, {self.outputSize})"
        self.check_shape("weight", d["weight"], (self.outputSize, self.inputSize), why)
        if self.bias:
            self.check_shape("bias", d["bias"], (self.outputSize,), why)
        return n, nd == 2

    def output_shape(self, info):
        n, batch = info
        return (n, self.outputSize) if batch else (self.outputSize,)

    # -- generic array-API math -------------------------------------------
    def forward(self, xp, d, info):
        x, w = d["input"], d["weight"]
        y = xp.matmul(x, xp.matrix_transpose(w)) if info[1] else xp.matmul(w, x)
        if self.bias:
            y = y + d["bias"]
        return y

    def backward(self, xp, d, info):
        x, w, go = d["input"], d["weight"], d["gradOutput"]
        if info[1]:
            gi = xp.matmul(go, w)
            gw = xp.matmul(xp.matrix_transpose(go), x)
            gb = xp.sum(go, axis=0)
        else:
            gi = xp.matmul(go, w)
            gw = go[:, None] * x[None, :]
            gb = go
        res = {"gradInput": gi, "gradWeight": gw}
        if self.bias:
            # a fresh array even for a single sample (never an alias of gradOutput)
            res["gradBias"] = gb + xp.zeros_like(gb) if gb is go else gb
        return res

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        n, batch = info
        k.update_output(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                        n, self.inputSize, self.outputSize, batch)

    def backward_cpu(self, k, d, info, out):
        n, batch = info
        k.update_grad(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                      out["gradWeight"], out["gradBias"] if self.bias else None,
                      n, self.inputSize, self.outputSize, batch)

    # -- CuPy path: cuBLAS GEMMs into the result arrays, bias kernels ------
    def forward_gpu(self, g, d, info, y):
        n, batch = info
        g.linear_forward(d["input"], d["weight"], d["bias"] if self.bias else None, y, n, batch)

    def backward_gpu(self, g, d, info, out):
        n, batch = info
        g.linear_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                          out["gradWeight"], out["gradBias"] if self.bias else None, n, batch)
