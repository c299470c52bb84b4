import math

from .._core.module import Module

_INT_MAX = 2**31 - 1
#: Torch7's guard against a zero distance in the backward
EPS = 1e-7


class Euclidean(Module):
    """Distances to learnable centres: ``y[j] = ||x - W[:, j]||_2``.

    Torch7: ``nn.Euclidean(inputSize, outputSize)``. ``weight``:
    ``(inputSize, outputSize)`` (one centre per COLUMN: transposed with
    respect to Linear, as in Torch7); ``input``: ``(inputSize,)`` or
    ``(N, inputSize)``; ``output``: ``(outputSize,)`` or ``(N,
    outputSize)``. Gradients, with ``g = gradOutput / (y + 1e-7)`` (Torch7's
    epsilon; PyTorch's ``cdist`` has none): ``gradInput[i] = sum_j (x[i] -
    W[i, j]) g[j]``, ``gradWeight[i, j] = -(x[i] - W[i, j]) g[j]`` summed over
    the batch. Default init (Torch7 ``reset``): ``U(-1/sqrt(inputSize),
    1/sqrt(inputSize))``. The compiled kernel takes the distances from one
    GEMM (``|x|^2 - 2 x.W + |W|^2``) and recomputes from the differences
    every pair where that expansion would cancel (a point near a centre), so
    the result keeps the accuracy of the direct sum; the generic path sums
    the differences. Its GEMMs are BLAS's, or in float32 on a CPU with
    AVX-512 nnfunc's own row-GEMM tiles (``nnfunc/_cpu/_rowgemm.pyx``).
    """

    params = ("weight",)
    backends = ("cpu", "gpu")

    def __init__(self, inputSize, outputSize):
        self.inputSize = self.int_arg("inputSize", inputSize)
        self.outputSize = self.int_arg("outputSize", outputSize)

    def _repr_args(self):
        return f"{self.inputSize}, {self.outputSize}"

    def param_shapes(self):
        return {"weight": (self.inputSize, self.outputSize)}

    def init_stdv(self):
        return 1.0 / math.sqrt(self.inputSize)

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (1, 2))
        if x.shape[-1] != self.inputSize:
            self.fail(f"'input' has shape {tuple(x.shape)}: last dimension must be "
                      f"inputSize={self.inputSize}")
        self.check_shape("weight", d["weight"], (self.inputSize, self.outputSize),
                         f"for {self!r} (inputSize, outputSize)")
        n = x.shape[0] if nd == 2 else 1
        if max(n, self.inputSize, self.outputSize) > _INT_MAX:
            self.fail(f"sizes of 'input' {tuple(x.shape)} and 'weight' exceed the BLAS "
                      f"int limit {_INT_MAX}")
        return n, nd == 2

    def output_shape(self, info):
        n, batch = info
        return (n, self.outputSize) if batch else (self.outputSize,)

    def _diff(self, xp, d):
        return d["input"][..., :, None] - d["weight"]          # (..., in, out)

    def forward(self, xp, d, info):
        t = self._diff(xp, d)
        return xp.sqrt(xp.sum(t * t, axis=-2))

    def backward(self, xp, d, info):
        t = self._diff(xp, d)
        y = xp.sqrt(xp.sum(t * t, axis=-2))
        g = (d["gradOutput"] / (y + EPS))[..., None, :]
        tg = t * g
        gi = xp.sum(tg, axis=-1)
        gw = -xp.sum(tg, axis=0) if info[1] else -tg
        return {"gradInput": gi, "gradWeight": gw}

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], d["weight"], y, info[0], self.inputSize, self.outputSize)

    def backward_cpu(self, k, d, info, out):
        k.update_grad(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                      out["gradWeight"], info[0], self.inputSize, self.outputSize, EPS)

    # -- CuPy path (euclid.cu: direct sums in double) --------------------------
    def forward_gpu(self, g, d, info, y):
        g.euclidean_forward(d["input"], d["weight"], y, info[0], self.inputSize,
                            self.outputSize)

    def backward_gpu(self, g, d, info, out):
        g.euclidean_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                             out["gradWeight"], info[0], self.inputSize, self.outputSize, EPS)
