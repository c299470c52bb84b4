"""nnx: a small third-party package of nnfunc modules (the README's example).

``nnfunc.functionalize("nnx")`` exposes ``nnfunc.nnx.Affine`` and
``nnfunc.nnx.SumSquares``. Written once against the array API, it runs on
NumPy, PyTorch tensors, array_api_strict, ... through nnfunc's generic path.
"""

import nnfunc


class Affine(nnfunc.Module):
    """Per-feature affine map ``y = x * weight + bias`` over the last dimension.

    ``Affine(size)``; input ``(..., size)``; weight and bias ``(size,)``.
    """

    params = ("weight", "bias")

    def __init__(self, size):
        self.size = self.int_arg("size", size)

    def param_shapes(self):
        return {"weight": (self.size,), "bias": (self.size,)}

    def init_stdv(self):
        return 1.0

    def check(self, d):
        x = d["input"]
        if x.ndim < 1 or x.shape[-1] != self.size:
            self.fail(f"'input' has shape {tuple(x.shape)}, last dimension must be {self.size}")
        for p in self.params:
            self.check_shape(p, d[p], (self.size,))
        return tuple(x.shape)          # the info: here, the output shape

    def forward(self, xp, d, info):
        return d["input"] * d["weight"] + d["bias"]

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        axes = tuple(range(x.ndim - 1))
        return {
            "gradInput": go * d["weight"],
            "gradWeight": xp.sum(go * x, axis=axes) if axes else go * x,
            "gradBias": xp.sum(go, axis=axes) if axes else go + 0,
        }


class SumSquares(nnfunc.Criterion):
    """Loss ``sum((input - target)^2) / 2``; ``target`` of the input's shape."""

    def check(self, d):
        t = d.get("target")
        if t is None:
            self.fail("missing key 'target'")
        self.check_shape("target", t, d["input"].shape)
        return ()

    def forward(self, xp, d, info):
        r = d["input"] - d["target"]
        return xp.sum(r * r) / 2

    def backward(self, xp, d, info):
        return {"gradInput": (d["input"] - d["target"]) * d["gradOutput"]}
