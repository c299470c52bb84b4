from .._core.module import Module


class Select(Module):
    """One entry along a dimension, the dimension removed.

    Torch7: ``nn.Select(dimension, index)``, with a **0-based** ``dimension``
    and ``index`` (negative ones count from the end). Output: a view of the
    input (NumPy). Gradient: zeros with ``gradOutput`` at ``index``.
    """

    def __init__(self, dimension, index):
        self.dimension = self.int_arg("dimension", dimension, minimum=-2**31)
        self.index = self.int_arg("index", index, minimum=-2**31)

    def _repr_args(self):
        return f"{self.dimension}, {self.index}"

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        axis = self.axis_arg("input", x, self.dimension)
        size = shape[axis]
        i = self.index + size if self.index < 0 else self.index
        if not 0 <= i < size:
            self.fail(f"index {self.index} is out of range for dimension {axis} of size "
                      f"{size} ('input' of shape {shape})")
        return axis, i, shape[:axis] + shape[axis + 1:], shape

    def output_shape(self, info):
        return info[2]

    def forward(self, xp, d, info):
        axis, i = info[:2]
        return d["input"][(slice(None),) * axis + (i, ...)]

    def backward(self, xp, d, info):
        axis, i, _, shape = info
        go = xp.expand_dims(d["gradOutput"], axis=axis)
        pos = [1] * len(shape)
        pos[axis] = shape[axis]
        at = xp.reshape(xp.arange(shape[axis]), tuple(pos)) == i
        return {"gradInput": xp.where(at, go, xp.zeros_like(go))}
