from .._core.module import Module


class CReLU(Module):
    """Concatenated ReLU: ``y = [relu(x), relu(-x)]`` along the first
    per-sample dim.

    Torch7: ``nn.CReLU(nInputDims, inplace=false)`` (``inplace`` has no
    effect). ``input``: a sample of ``nInputDims`` dims, or a batch of them
    (``nInputDims + 1`` dims, dim 0 the batch); other ndims are an error
    (Torch7 treated them as one sample). As in Torch7 each sample is
    flattened, ``relu(x)`` and ``relu(-x)`` are joined, and the result is
    viewed with the first per-sample dim doubled: ``(D0, ...)`` ->
    ``(2 D0, ...)``, ``(N, D0, ...)`` -> ``(N, 2 D0, ...)``. Gradient:
    ``gradInput = gradOutput[first half]`` where ``x > 0``, ``-gradOutput[
    second half]`` where ``x < 0``, 0 at ``x == 0``. PyTorch:
    ``F.relu(torch.cat([x, -x], dim=feature_dim))``.
    """

    backends = ("cpu", "gpu")
    kernel = "pointwise"

    def __init__(self, nInputDims, inplace=False):
        self.nInputDims = self.int_arg("nInputDims", nInputDims)
        self.inplace = self.bool_arg("inplace", inplace)

    def _repr_args(self):
        return f"{self.nInputDims}"

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (self.nInputDims, self.nInputDims + 1))
        shape = tuple(x.shape)
        b = nd - self.nInputDims          # 1 for a batch
        outer = shape[0] if b else 1
        n = 1
        for s in shape[b:]:
            n *= s
        oshape = shape[:b] + (2 * shape[b],) + shape[b + 1:]
        return oshape, outer, n

    def output_shape(self, info):
        return info[0]

    def forward(self, xp, d, info):
        x = d["input"]
        oshape, outer, n = info
        f = xp.reshape(x, (outer, n))
        z = xp.zeros_like(f)
        y = xp.concat([xp.where(f > 0, f, z), xp.where(f < 0, -f, z)], axis=1)
        return xp.reshape(y, oshape)

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        _, outer, n = info
        g = xp.reshape(go, (outer, 2 * n))
        f = xp.reshape(x, (outer, n))
        gi = xp.where(f > 0, g[:, :n], xp.where(f < 0, -g[:, n:], xp.zeros_like(f)))
        return {"gradInput": xp.reshape(gi, tuple(x.shape))}

    def forward_cpu(self, k, d, info, y):
        k.crelu_update_output(d["input"], y, info[1], info[2])

    def backward_cpu(self, k, d, info, out):
        k.crelu_update_grad_input(d["input"], d["gradOutput"], out["gradInput"], info[1], info[2])

    # -- CuPy path (gated.cu), the CPU kernel's layout ----------------------
    def forward_gpu(self, g, d, info, y):
        g.crelu_forward(d["input"], y, info[1], info[2])

    def backward_gpu(self, g, d, info, out):
        g.crelu_backward(d["input"], d["gradOutput"], out["gradInput"], info[1], info[2])
