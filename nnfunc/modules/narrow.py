from .._core.module import Module


class Narrow(Module):
    """A slice of ``length`` entries along one dimension, from ``offset``.

    Torch7: ``nn.Narrow(dimension, offset, length=1)``, with a **0-based**
    ``dimension`` (negative counts from the end) and a **0-based**
    ``offset``. A negative ``length`` counts from the end as in Torch7:
    ``length = size - offset + length + 1`` (-1: up to the end). A negative
    ``offset`` counts from the end too (``size + offset``), as Python
    slices do; Torch7 instead started at the first entry with length
    ``size - length`` there (an undocumented quirk not kept). The slice
    must lie inside the input. Output: a view of the input (NumPy).
    Gradient: zeros with ``gradOutput`` in the slice.
    """

    def __init__(self, dimension, offset, length=1):
        self.dimension = self.int_arg("dimension", dimension, minimum=-2**31)
        self.index = self.int_arg("offset", offset, minimum=-2**31)
        self.length = self.int_arg("length", length, minimum=-2**31)

    def _repr_args(self):
        return f"{self.dimension}, {self.index}, {self.length}"

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        axis = self.axis_arg("input", x, self.dimension)
        size = shape[axis]
        start = self.index + size if self.index < 0 else self.index
        length = size - start + self.length + 1 if self.length < 0 else self.length
        if not (0 <= start and 0 <= length and start + length <= size):
            self.fail(f"offset {self.index}, length {self.length} is out of range for "
                      f"dimension {axis} of size {size} ('input' of shape {shape})")
        return axis, start, length, shape[:axis] + (length,) + shape[axis + 1:], shape

    def output_shape(self, info):
        return info[3]

    def forward(self, xp, d, info):
        axis, start, length = info[:3]
        return d["input"][(slice(None),) * axis + (slice(start, start + length), ...)]

    def backward(self, xp, d, info):
        axis, start, length, _, shape = info
        go = d["gradOutput"]
        parts = []
        if start:
            parts.append(xp.zeros(shape[:axis] + (start,) + shape[axis + 1:], dtype=go.dtype))
        parts.append(go)
        rest = shape[axis] - start - length
        if rest:
            parts.append(xp.zeros(shape[:axis] + (rest,) + shape[axis + 1:], dtype=go.dtype))
        if len(parts) == 1:
            return {"gradInput": xp.asarray(go, copy=True)}
        return {"gradInput": xp.concat(parts, axis=axis)}
