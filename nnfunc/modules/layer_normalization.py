import numpy as np

from .._core.module import Module


class LayerNormalization(Module):
    """Layer normalisation of each sample over its nOutput features.

    Torch7: ``nn.LayerNormalization(nOutput, bias=0, eps=1e-10,
    affine=true)``, a composite ``Sequential(ConcatTable(Identity,
    Mean+Replicate), CSubTable, Normalize(2, eps), MulConstant(sqrt(nOutput)),
    [CMul(nOutput), Add(nOutput)])``; the constructor's ``bias`` is only the
    initial value of the Add's bias.

    ``input``: ``(nOutput,)`` or ``(N, nOutput)``; ``weight``, ``bias``
    (when ``affine``): ``(nOutput,)``. With ``c = x - mean(x)``:
    ``y = sqrt(nOutput) c / sqrt(sum(c^2) + eps) * weight + bias``, which is
    ``c / sqrt(var_biased(x) + eps / nOutput) * weight + bias``: PyTorch's
    ``F.layer_norm(x, (nOutput,), weight, bias, eps=eps / nOutput)`` (the
    reference; note eps enters divided by nOutput, and the default 1e-10 is
    Torch7's, not PyTorch's 1e-5). Default init: weight = 1 (the composite
    fills its CMul with ones), bias = the constructor's ``bias``. The
    gradient is the exact derivative of this formula (the composite's chain
    of module gradients computes the same).
    """

    backends = ("cpu", "gpu")

    def __init__(self, nOutput, bias=0, eps=1e-10, affine=True):
        self.nOutput = self.int_arg("nOutput", nOutput)
        self.bias_init = self.float_arg("bias", bias)
        self.eps = self.float_arg("eps", eps)
        if self.eps < 0:
            self.fail(f"argument eps must be >= 0, got {self.eps}")
        self.affine = self.bool_arg("affine", affine)
        self.params = ("weight", "bias") if self.affine else ()

    def _repr_args(self):
        return (f"{self.nOutput}, bias={self.bias_init}, eps={self.eps}"
                + ("" if self.affine else ", affine=False"))

    def param_shapes(self):
        return {"weight": (self.nOutput,), "bias": (self.nOutput,)} if self.affine else {}

    def reset(self, rng):
        if not self.affine:
            return {}
        return {"weight": np.ones(self.nOutput), "bias": np.full(self.nOutput, self.bias_init)}

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (1, 2))
        if x.shape[-1] != self.nOutput:
            self.fail(f"'input' has shape {tuple(x.shape)}: last dimension must be "
                      f"nOutput={self.nOutput}")
        why = f"(nOutput={self.nOutput})"
        for p in self.params:
            self.check_shape(p, d[p], (self.nOutput,), why)
        return tuple(x.shape), (x.shape[0] if nd == 2 else 1)

    def output_shape(self, info):
        return info[0]

    # -- generic array-API math -------------------------------------------
    def _xhat(self, xp, x):
        c = x - xp.mean(x, axis=-1, keepdims=True)
        r = 1.0 / xp.sqrt(xp.mean(c * c, axis=-1, keepdims=True) + self.eps / self.nOutput)
        return c * r, r

    def forward(self, xp, d, info):
        y, _ = self._xhat(xp, d["input"])
        if self.affine:
            y = y * d["weight"] + d["bias"]
        return y

    def backward(self, xp, d, info):
        shape, n = info
        D = self.nOutput
        x = xp.reshape(d["input"], (n, D))
        go = xp.reshape(d["gradOutput"], (n, D))
        xhat, r = self._xhat(xp, x)
        g = go * d["weight"] if self.affine else go
        gi = r * (g - xp.mean(g, axis=-1, keepdims=True)
                  - xhat * xp.mean(g * xhat, axis=-1, keepdims=True))
        res = {"gradInput": xp.reshape(gi, shape)}
        if self.affine:
            res["gradWeight"] = xp.sum(go * xhat, axis=0)
            res["gradBias"] = xp.sum(go, axis=0)
        return res

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], y, d["weight"] if self.affine else None,
                        d["bias"] if self.affine else None, info[1], self.nOutput, self.eps)

    def backward_cpu(self, k, d, info, out):
        k.update_grad(d["input"], d["gradOutput"], out["gradInput"], out.get("gradWeight"),
                      out.get("gradBias"), d["weight"] if self.affine else None,
                      info[1], self.nOutput, self.eps)

    # -- CuPy path (layernorm.cu) -------------------------------------------
    def forward_gpu(self, g, d, info, y):
        g.layernorm_forward(d["input"], y, d["weight"] if self.affine else None,
                            d["bias"] if self.affine else None, info[1], self.nOutput, self.eps)

    def backward_gpu(self, g, d, info, out):
        g.layernorm_backward(d["input"], d["gradOutput"], out["gradInput"],
                             out.get("gradWeight"), out.get("gradBias"),
                             d["weight"] if self.affine else None, info[1], self.nOutput,
                             self.eps)
