from .._core.module import Module


class Transpose(Module):
    """Swap pairs of dimensions, in order.

    Torch7: ``nn.Transpose(...pairs)`` (e.g. ``Transpose({1,2},{3,4})``) and
    ``:setNumInputDims(n)`` -> keyword ``numInputDims``. Pairs of **0-based**
    dims, ``Transpose((0, 1), (2, 3))``; a non-negative dim is shifted by
    ``input.ndim - numInputDims`` when ``numInputDims`` is set, a negative
    one counts from the end. Output: a view of the input (NumPy; Torch7
    copied into a contiguous output). Gradient: ``gradOutput`` with the
    inverse permutation.
    """

    def __init__(self, *pairs, numInputDims=None):
        ps = []
        for p in pairs:
            if not isinstance(p, (tuple, list)) or len(p) != 2:
                self.fail_type(f"each argument must be a pair of dims, got {p!r}")
            ps.append(tuple(self.int_arg("pairs", a, minimum=-2**31) for a in p))
        self.permutations = tuple(ps)
        self.numInputDims = (None if numInputDims is None
                             else self.int_arg("numInputDims", numInputDims))

    def _repr_args(self):
        s = ", ".join(map(str, self.permutations))
        return s + ("" if self.numInputDims is None else f", numInputDims={self.numInputDims}")

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        nd = len(shape)
        offset = 0 if self.numInputDims is None else nd - self.numInputDims
        if offset < 0:
            self.fail(f"'input' of shape {shape} has fewer than numInputDims="
                      f"{self.numInputDims} dims")
        perm = list(range(nd))
        for pair in self.permutations:
            a, b = (p + offset if p >= 0 else p + nd for p in pair)
            if not (0 <= a < nd and 0 <= b < nd):
                self.fail(f"dims {pair} are out of range for 'input' of shape {shape}")
            perm[a], perm[b] = perm[b], perm[a]
        inv = [0] * nd
        for i, p in enumerate(perm):
            inv[p] = i
        return tuple(perm), tuple(inv), tuple(shape[p] for p in perm)

    def output_shape(self, info):
        return info[2]

    def forward(self, xp, d, info):
        return xp.permute_dims(d["input"], info[0])

    def backward(self, xp, d, info):
        return {"gradInput": xp.permute_dims(d["gradOutput"], info[1])}
