import math

from ._table import TableModule

_INT_MAX = 2**31 - 1


class Bilinear(TableModule):
    """Bilinear form of a pair: ``y[n, k] = x1[n]^T W[k] x2[n] + b[k]``.

    Torch7: ``nn.Bilinear(inputSize1, inputSize2, outputSize, bias=true)``.
    ``input``: ``[x1, x2]`` with ``x1`` ``(N, inputSize1)`` and ``x2`` ``(N,
    inputSize2)`` (2-D only, as in Torch7); ``weight``: ``(outputSize,
    inputSize1, inputSize2)``; ``bias``: ``(outputSize,)`` (absent when
    ``bias=False``); ``output``: ``(N, outputSize)``. Gradients: ``gradInput
    = [sum_k go[:, k] W[k] x2, sum_k go[:, k] W[k]^T x1]``, ``gradWeight[k] =
    sum_n go[n, k] x1[n] x2[n]^T``, ``gradBias = sum_n go``. Same as
    PyTorch's ``F.bilinear``. Default init (Torch7 ``reset``):
    ``U(-1/sqrt(inputSize1), 1/sqrt(inputSize1))`` for weight and bias.
    """

    backends = ("cpu", "gpu")
    gpu_tables = True

    def __init__(self, inputSize1, inputSize2, outputSize, bias=True):
        self.inputSize1 = self.int_arg("inputSize1", inputSize1)
        self.inputSize2 = self.int_arg("inputSize2", inputSize2)
        self.outputSize = self.int_arg("outputSize", outputSize)
        self.bias = self.bool_arg("bias", bias)
        for name in ("inputSize1", "inputSize2", "outputSize"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} exceeds the BLAS int "
                          f"limit {_INT_MAX}")
        if self.inputSize1 * self.inputSize2 > _INT_MAX:
            self.fail("inputSize1 * inputSize2 exceeds the BLAS int limit")
        self.params = ("weight", "bias") if self.bias else ("weight",)

    def _repr_args(self):
        return (f"{self.inputSize1}, {self.inputSize2}, {self.outputSize}"
                + ("" if self.bias else ", bias=False"))

    def param_shapes(self):
        shapes = {"weight": (self.outputSize, self.inputSize1, self.inputSize2)}
        if self.bias:
            shapes["bias"] = (self.outputSize,)
        return shapes

    def init_stdv(self):
        return 1.0 / math.sqrt(self.inputSize1)

    def check(self, d):
        x1, x2 = self.table(d, 2)
        self.check_ndim("input[0]", x1, (2,))
        self.check_ndim("input[1]", x2, (2,))
        n = x1.shape[0]
        self.check_shape("input[0]", x1, (n, self.inputSize1), "(N, inputSize1)")
        self.check_shape("input[1]", x2, (n, self.inputSize2),
                         "(N, inputSize2), N that of input[0]")
        if n > _INT_MAX:
            self.fail(f"'input' batch size {n} exceeds the BLAS int limit {_INT_MAX}")
        why = f"for {self!r}"
        self.check_shape("weight", d["weight"],
                         (self.outputSize, self.inputSize1, self.inputSize2), why)
        if self.bias:
            self.check_shape("bias", d["bias"], (self.outputSize,), why)
        return n

    def output_shape(self, info):
        return (info, self.outputSize)

    def _x1w(self, xp, x1, w):
        # t[n, k, j] = sum_i x1[n, i] W[k, i, j]
        o, a, b = self.outputSize, self.inputSize1, self.inputSize2
        wm = xp.reshape(xp.permute_dims(w, (1, 0, 2)), (a, o * b))
        return xp.reshape(xp.matmul(x1, wm), (x1.shape[0], o, b))

    def forward(self, xp, d, info):
        (x1, x2), w = d["input"], d["weight"]
        y = xp.sum(self._x1w(xp, x1, w) * x2[:, None, :], axis=-1)
        if self.bias:
            y = y + d["bias"]
        return y

    def backward(self, xp, d, info):
        (x1, x2), w, go = d["input"], d["weight"], d["gradOutput"]
        o, a, b = self.outputSize, self.inputSize1, self.inputSize2
        n = x1.shape[0]
        g = go[:, :, None]
        # u[n, k, i] = sum_j W[k, i, j] x2[n, j]
        wm2 = xp.reshape(xp.permute_dims(w, (2, 0, 1)), (b, o * a))
        u = xp.reshape(xp.matmul(x2, wm2), (n, o, a))
        g1 = xp.sum(u * g, axis=1)
        g2 = xp.sum(self._x1w(xp, x1, w) * g, axis=1)
        s1 = xp.reshape(g * x1[:, None, :], (n, o * a))
        gw = xp.reshape(xp.matmul(xp.matrix_transpose(s1), x2), (o, a, b))
        res = {"gradInput": [g1, g2], "gradWeight": gw}
        if self.bias:
            res["gradBias"] = xp.sum(go, axis=0)
        return res

    def forward_cpu(self, k, d, info, y):
        x1, x2 = d["input"]
        k.update_output(x1, x2, d["weight"], d["bias"] if self.bias else None, y, info,
                        self.inputSize1, self.inputSize2, self.outputSize)

    def backward_cpu(self, k, d, info, out):
        x1, x2 = d["input"]
        g1, g2 = out["gradInput"]
        k.update_grad(x1, x2, d["weight"], d["gradOutput"], g1, g2, out["gradWeight"],
                      out["gradBias"] if self.bias else None, info,
                      self.inputSize1, self.inputSize2, self.outputSize)

    # -- CuPy path: cuBLAS GEMMs through CuPy ---------------------------------
    def forward_gpu(self, g, d, info, y):
        x1, x2 = d["input"]
        g.bilinear_forward(x1, x2, d["weight"], d["bias"] if self.bias else None, y)

    def backward_gpu(self, g, d, info, out):
        x1, x2 = d["input"]
        g1, g2 = out["gradInput"]
        g.bilinear_backward(x1, x2, d["weight"], d["gradOutput"], g1, g2, out["gradWeight"],
                            out["gradBias"] if self.bias else None)
