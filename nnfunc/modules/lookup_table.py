
import numpy as np

from .._core.module import Module
from ._indices import check_index_range


class LookupTable(Module):
    """Embedding lookup: ``y[..., :] = weight[input[...], :]``.

    Torch7: ``nn.LookupTable(nIndex, nOutput, paddingValue=0, maxNorm=nil,
    normType=nil)``; ``:scaleGradByFreq()`` is ``scale_grad_by_freq=True``;
    ``:setPadding``/``:setMaxNorm``/``:setNormType`` are the constructor
    arguments.

    ``input``: integer indices (any integer dtype), ``(L,)`` or ``(N, L)``,
    **0-based** rows in ``[0, nIndex)``; a value outside is an
    ``InputError`` naming ``'input'`` (checked before any read; skipped only
    where the values cannot be read: ``jax.jit`` tracers, Dask arrays). A
    float index array is a ``TypeError``. ``weight``: ``(nIndex, nOutput)``,
    default init N(0, 1) (Torch7's ``reset``). Output ``input.shape +
    (nOutput,)`` in **the weight's dtype** (``result_param = "weight"``:
    float32 weight, float32 output; the frontend checks ``gradOutput`` and
    the buffers against it).

    Gradients: ``gradWeight`` is the scatter-add of the ``gradOutput`` rows
    into the rows they were read from (repeated indices accumulate), rows
    equal to ``paddingValue`` get nothing; with ``scale_grad_by_freq`` each
    contribution is divided by the number of times its row occurs in
    ``input``. ``gradInput`` is zeros of the input's shape in the weight's
    dtype (Torch7's: indices are not differentiable).

    Decisions:

    * ``paddingValue``: a 0-based row or ``None`` (default). Torch7 compared
      its 1-based indices with ``paddingValue`` and used 0 for "none"; its
      ``paddingValue = p > 0`` is nnfunc's ``p - 1``. Padding only affects
      the gradient; the forward still reads the row (as Torch7 and
      PyTorch's ``padding_idx``).
    * ``maxNorm``: Torch7 renormalised the rows of ``weight`` that the input
      references IN PLACE before the lookup (``normType``-norm above
      ``maxNorm`` -> row scaled by ``maxNorm / (norm + 1e-7)``). nnfunc
      mutates nothing: the forward returns the renormalised copy as the
      extra key ``weight`` (always, when ``maxNorm`` is set) and reads the
      output from it. The grad function treats the lookup as a plain gather
      from the ``weight`` it is given (the renormalisation is not
      differentiated, as in Torch7 and PyTorch): pass it the returned
      ``weight`` to follow Torch7's training loop. ``normType`` default 2
      (Torch7's ``nil``), must be > 0; ``maxNorm`` must be >= 0.
    * Input of 1 or 2 dimensions only, as Torch7.

    PyTorch equivalent: ``F.embedding(input, weight, padding_idx,
    max_norm, norm_type, scale_grad_by_freq)``.
    """

    input_kind = "int"
    result_param = "weight"
    params = ("weight",)
    backends = ("cpu", "gpu")

    def __init__(self, nIndex, nOutput, paddingValue=None, maxNorm=None, normType=2,
                 scale_grad_by_freq=False):
        self.nIndex = self.int_arg("nIndex", nIndex)
        self.nOutput = self.int_arg("nOutput", nOutput)
        if paddingValue is not None:
            paddingValue = self.int_arg("paddingValue", paddingValue, minimum=0)
            if paddingValue >= self.nIndex:
                self.fail(f"argument paddingValue must be a 0-based row in [0, {self.nIndex}) "
                          f"or None, got {paddingValue}")
        self.paddingValue = paddingValue
        if maxNorm is not None:
            maxNorm = self.float_arg("maxNorm", maxNorm)
            if maxNorm < 0:
                self.fail(f"argument maxNorm must be >= 0, got {maxNorm}")
        self.maxNorm = maxNorm
        normType = 2.0 if normType is None else self.float_arg("normType", normType)
        if normType <= 0:
            self.fail(f"argument normType must be > 0, got {normType}")
        self.normType = normType
        self.scale_grad_by_freq = self.bool_arg("scale_grad_by_freq", scale_grad_by_freq)
        self.extra_outputs = ("weight",) if maxNorm is not None else ()

    def _repr_args(self):
        s = f"{self.nIndex}, {self.nOutput}"
        if self.paddingValue is not None:
            s += f", paddingValue={self.paddingValue}"
        if self.maxNorm is not None:
            s += f", maxNorm={self.maxNorm}, normType={self.normType}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s

    def param_shapes(self):
        return {"weight": (self.nIndex, self.nOutput)}

    def reset(self, rng):
        return {"weight": rng.standard_normal((self.nIndex, self.nOutput))}

    def check(self, d):
        x = d["input"]
        self.check_ndim("input", x, (1, 2))
        self.check_shape("weight", d["weight"], (self.nIndex, self.nOutput),
                         f"for LookupTable({self.nIndex}, {self.nOutput})")
        xp = None if type(x) is np.ndarray else _namespace(x)
        check_index_range(self, xp, x, self.nIndex, "input", "row index")
        return tuple(x.shape)

    def output_shape(self, info):
        return info + (self.nOutput,)

    # -- generic array-API math -------------------------------------------
    def _flat(self, xp, x):
        return xp.astype(xp.reshape(x, (-1,)), xp.int64)

    def _segments(self, xp, flat):
        """Sorted indices and, per row r, the range [lo[r], hi[r]) where
        they equal r."""
        order = xp.argsort(flat, stable=True)
        s = xp.take(flat, order)
        rows = xp.arange(self.nIndex, dtype=xp.int64)
        return order, s, xp.searchsorted(s, rows, side="left"), \
            xp.searchsorted(s, rows, side="right")

    def _scale(self, xp, w):
        """Per row of ``w``: ``maxNorm / (norm + 1e-7)`` where its norm
        exceeds ``maxNorm``, else 1 (as a column)."""
        p = self.normType
        if p == 1.0:
            norm = xp.sum(xp.abs(w), axis=1)
        elif p == 2.0:
            norm = xp.sqrt(xp.sum(w * w, axis=1))
        else:
            norm = xp.sum(xp.abs(w) ** p, axis=1) ** (1.0 / p)
        scale = xp.where(norm > self.maxNorm, self.maxNorm / (norm + 1e-7), xp.ones_like(norm))
        return scale[:, None]

    def forward(self, xp, d, info):
        w = d["weight"]
        flat = self._flat(xp, d["input"])
        rows = xp.take(w, flat, axis=0)
        if self.maxNorm is None:
            return xp.reshape(rows, info + (self.nOutput,))
        # every gathered row is a row the input names, so it is renormalised
        # on its own (an output row reads only its own index); the returned
        # weight renormalises the rows that any index names
        y = xp.reshape(rows * self._scale(xp, rows), info + (self.nOutput,))
        _, _, lo, hi = self._segments(xp, flat)
        named = (hi > lo)[:, None]
        w = xp.where(named, w * self._scale(xp, w), w)
        return {"output": y, "weight": w}

    def backward(self, xp, d, info):
        x, w, go = d["input"], d["weight"], d["gradOutput"]
        n, D = self.nIndex, self.nOutput
        flat = self._flat(xp, x)
        m = flat.shape[0]
        gi = xp.zeros_like(x, dtype=w.dtype)
        if m == 0:
            return {"gradInput": gi, "gradWeight": xp.zeros((n, D), dtype=w.dtype,
                                                            device=_device(w))}
        g = xp.reshape(go, (m, D))
        order, s, lo, hi = self._segments(xp, flat)
        zeros = xp.zeros_like(g)
        if self.paddingValue is not None:
            g = xp.where((flat != self.paddingValue)[:, None], g, zeros)
        if self.scale_grad_by_freq:
            count = xp.astype(xp.take(hi - lo, flat), w.dtype)
            g = g / count[:, None]
        # segmented inclusive scan over the sorted rows (Hillis-Steele: log2(m)
        # shifted adds, each kept only inside one run of equal indices)
        v = xp.take(g, order, axis=0)
        k = 1
        while k < m:
            same = (s[k:] == s[:-k])[:, None]
            v = xp.concat([v[:k, ...], v[k:, ...] + xp.where(same, v[:-k, ...], zeros[k:, ...])],
                          axis=0)
            k *= 2
        last = xp.take(v, xp.maximum(hi - 1, xp.zeros_like(hi)), axis=0)
        gw = xp.where((hi > lo)[:, None], last, xp.zeros((n, D), dtype=w.dtype,
                                                         device=_device(w)))
        return {"gradInput": gi, "gradWeight": gw}

    # -- compiled path ----------------------------------------------------
    @staticmethod
    def _idx64(x):
        return x if x.dtype == np.int64 else np.ascontiguousarray(x, dtype=np.int64)

    def forward_cpu(self, k, d, info, y):
        idx = self._idx64(d["input"])
        w = d["weight"]
        if self.maxNorm is not None:
            w = w.copy()
            k.renorm(idx, w, self.maxNorm, self.normType, self.nOutput)
            k.update_output(idx, w, y, self.nOutput)
            return {"weight": w}
        k.update_output(idx, w, y, self.nOutput)
        return None

    def backward_cpu(self, k, d, info, out):
        idx = self._idx64(d["input"])
        out["gradInput"][...] = 0
        pad = -1 if self.paddingValue is None else self.paddingValue
        k.acc_grad(idx, d["gradOutput"], out["gradWeight"], self.nOutput, pad,
                   self.scale_grad_by_freq)

    # -- CuPy path (lookup.cu) ----------------------------------------------
    @staticmethod
    def _gpu_idx(x):
        if x.dtype != np.int64 or not x.flags.c_contiguous:
            import cupy
            x = cupy.ascontiguousarray(x, dtype=cupy.int64)
        return x

    def forward_gpu(self, g, d, info, y):
        idx = self._gpu_idx(d["input"])
        w = d["weight"]
        if self.maxNorm is not None:
            w = w.copy()
            g.lookup_renorm(idx, w, self.nIndex, self.nOutput, self.maxNorm, self.normType)
            g.lookup_forward(idx, w, y, self.nOutput)
            return {"weight": w}
        g.lookup_forward(idx, w, y, self.nOutput)
        return None

    def backward_gpu(self, g, d, info, out):
        out["gradInput"].fill(0)
        pad = -1 if self.paddingValue is None else self.paddingValue
        g.lookup_backward(self._gpu_idx(d["input"]), d["gradOutput"], out["gradWeight"],
                          self.nIndex, self.nOutput, pad, self.scale_grad_by_freq)


def _namespace(x):
    from array_api_compat import array_namespace
    return array_namespace(x)


def _device(a):
    from array_api_compat import device
    return device(a)
