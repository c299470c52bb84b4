import numpy as np

from .._core.module import Module
from ._indices import check_index_range


def _namespace(a):
    if type(a) is np.ndarray:
        return None
    from array_api_compat import array_namespace
    return array_namespace(a)


class Index(Module):
    """Gather entries along a dimension by an index array.

    Torch7: ``nn.Index(dimension)``, with a **0-based** ``dimension``
    (negative counts from the end). ``input``: a table ``[t, idx]``, ``t`` a
    float array and ``idx`` a 1-D integer array of **0-based** positions in
    ``[0, t.shape[dimension])`` (out of range is an ``InputError``; repeats
    are allowed). Output: ``take(t, idx, axis=dimension)``, ``t``'s shape
    with ``len(idx)`` at ``dimension``. Gradient: ``gradInput[0]`` is
    ``gradOutput`` summed back into zeros of ``t``'s shape (index_add: a
    repeated index gets the sum), ``gradInput[1]`` zeros of ``idx``'s shape
    in ``t``'s dtype (Torch7 gave zeros; indices have no gradient).
    """

    input_kind = ("float", "int")
    table_input = True

    def __init__(self, dimension):
        self.dimension = self.int_arg("dimension", dimension, minimum=-2**31)

    def _repr_args(self):
        return f"{self.dimension}"

    def check(self, d):
        t, idx = d["input"]
        shape = tuple(t.shape)
        axis = self.axis_arg("input[0]", t, self.dimension)
        if idx.ndim != 1:
            self.fail(f"'input[1]' (the indices) must be 1-D, got shape {tuple(idx.shape)}")
        check_index_range(self, _namespace(idx), idx, shape[axis], "input[1]", "index")
        k = idx.shape[0]
        return axis, shape[:axis] + (k,) + shape[axis + 1:], shape, (k,)

    def output_shape(self, info):
        return info[1]

    def forward(self, xp, d, info):
        t, idx = d["input"]
        return xp.take(t, idx, axis=info[0])

    def backward(self, xp, d, info):
        axis, _, shape, kshape = info
        t, idx = d["input"]
        go = d["gradOutput"]
        n = shape[axis]
        # hit[j, k] = 1 where idx[k] == j: gradInput = go @ hit^T along the axis
        hit = xp.astype(xp.reshape(xp.arange(n, dtype=idx.dtype), (n, 1))
                        == xp.reshape(idx, (1, kshape[0])), go.dtype)
        g = xp.moveaxis(go, axis, -1) @ xp.permute_dims(hit, (1, 0))
        return {"gradInput": [xp.moveaxis(g, -1, axis),
                              xp.zeros_like(idx, dtype=go.dtype)]}
