import numpy as np

from .._core.module import Module


class MaskedSelect(Module):
    """The entries of an array where a boolean mask is set, as a 1-D array.

    Torch7: ``nn.MaskedSelect()``. ``input``: a table ``[t, mask]``, ``t`` a
    float array and ``mask`` a boolean array of ``t``'s shape (Torch7 took a
    byte tensor). Output: ``t[mask]``, the selected entries in row-major
    order, shape ``(count,)``. Gradient: ``gradInput[0]`` is zeros of
    ``t``'s shape with ``gradOutput`` scattered back to the masked
    positions; ``gradInput[1]`` zeros of the mask's shape in ``t``'s dtype.

    The output length depends on the mask's *values*, so the call reads
    them (``sum(mask)``) to know the output shape: it **cannot be traced by
    jax.jit** (a clear ``InputError`` there), and for Dask arrays the mask's
    count is computed eagerly (the results themselves stay lazy).
    """

    input_kind = ("float", "bool")
    table_input = True

    def check(self, d):
        t, mask = d["input"]
        self.check_shape("input[1]", mask, tuple(t.shape), "(the mask has the shape of input[0])")
        if type(mask) is np.ndarray:
            count = int(np.count_nonzero(mask))
        else:
            if _is_tracer(mask):
                self.fail("the output length depends on the mask's values, which "
                          "jax.jit cannot know: call MaskedSelect outside jit")
            from array_api_compat import array_namespace
            count = int(array_namespace(mask).count_nonzero(mask))
        return count, tuple(t.shape)

    def output_shape(self, info):
        return (info[0],)

    def forward(self, xp, d, info):
        t, mask = d["input"]
        return t[mask]

    def backward(self, xp, d, info):
        count, shape = info
        t, mask = d["input"]
        go = d["gradOutput"]
        flat = xp.reshape(mask, (-1,))
        # position of each masked entry in gradOutput; unmasked ones read the extra zero
        pos = xp.cumulative_sum(xp.astype(flat, xp.int64)) - 1
        idx = xp.where(flat, pos, xp.full_like(pos, count))
        ext = xp.concat([go, xp.zeros((1,), dtype=go.dtype)])
        g = xp.reshape(xp.take(ext, idx, axis=0), shape)
        return {"gradInput": [g, xp.zeros_like(mask, dtype=go.dtype)]}


def _is_tracer(a):
    import sys
    jax_core = sys.modules.get("jax.core")
    return jax_core is not None and isinstance(a, jax_core.Tracer)
