import numpy as np

from .._core.module import Module
from ._indices import check_index_range


class OneHot(Module):
    """One-hot encoding of integer class indices.

    Torch7: ``nn.OneHot(outputSize)``. ``input``: an integer array of
    **0-based** class indices in ``[0, outputSize)``, any shape (0-d
    included); a value outside is an ``InputError`` (checked when the
    values can be read: not under ``jax.jit`` nor for Dask arrays, where it
    gives an all-zero row). Output: ``input.shape + (outputSize,)``, 1 at
    ``[..., input[...]]`` and 0 elsewhere, in the float dtype ``dtype``
    (keyword, ``"float32"`` or ``"float64"``, default float64; Torch7 used
    the default tensor type). Gradient: zeros of the input's shape in that
    dtype (Torch7's; the input is not differentiable).
    """

    input_kind = "int"

    def __init__(self, outputSize, dtype="float64"):
        self.outputSize = self.int_arg("outputSize", outputSize)
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
        if name not in ("float32", "float64"):
            self.fail_type(f"argument dtype must be float32 or float64, got {dtype!r}")
        self.dtype = name

    def _repr_args(self):
        return f"{self.outputSize}" + ("" if self.dtype == "float64" else f", dtype={self.dtype!r}")

    def result_dtype(self, xp):
        return np.dtype(self.dtype) if xp is None else getattr(xp, self.dtype)

    def check(self, d):
        x = d["input"]
        xp = None if type(x) is np.ndarray else _namespace(x)
        check_index_range(self, xp, x, self.outputSize, "input", "class index")
        return tuple(x.shape) + (self.outputSize,)

    def forward(self, xp, d, info):
        x = d["input"]
        classes = xp.arange(self.outputSize, dtype=x.dtype)
        hit = xp.expand_dims(x, axis=-1) == classes
        return xp.astype(hit, self.result_dtype(xp))

    def backward(self, xp, d, info):
        x = d["input"]
        return {"gradInput": xp.zeros_like(x, dtype=self.result_dtype(xp))}


def _namespace(x):
    from array_api_compat import array_namespace
    return array_namespace(x)
