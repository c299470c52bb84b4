import numpy as np

from .._core.dispatch import namespace_of
from .._core.module import Criterion
from ._targets import class_target
from ._weights import weights_arg, weights_like

_INT64 = np.dtype(np.int64)
_INT64_MIN, _INT64_MAX = -2**63, 2**63 - 1


class ClassNLLCriterion(Criterion):
    """Negative log-likelihood of class targets: ``loss = -sum_n w[t_n] x[n, t_n]``.

    Torch7: ``nn.ClassNLLCriterion(weights=nil, sizeAverage=true,
    ignoreIndex=-100)``; ``input`` holds log-probabilities (e.g. from
    :class:`LogSoftMax`).

    ``input``: ``(C)`` with ``target`` a 0-d integer array, or ``(N, C)``
    with ``target`` an ``(N)`` integer array (any integer dtype of the
    input's array type; a float target is a ``TypeError``). Targets are
    **0-based** class indices in ``[0, C)``; any other value is an
    ``InputError`` naming ``'target'``, except ``ignoreIndex`` (compared
    with the 0-based value; default -100 as PyTorch), whose entries add
    nothing to the loss nor to the total weight. ``weights``: ``None`` or a
    1-D array-like of ``C`` class weights; it is stored as a float64 NumPy
    copy and converted to the input's dtype (and namespace) at each call,
    so one criterion serves every dtype and namespace (``len(weights)`` must
    equal ``C``).

    ``output``: a 0-d array, ``-sum_n w[t_n] x[n, t_n]`` over the
    non-ignored ``n``, divided by the total weight ``sum_n w[t_n]`` when
    ``sizeAverage``. Gradient: ``gradInput[n, t_n] = -w[t_n] [/ total
    weight] * gradOutput``, zero elsewhere. The forward returns only
    ``output`` (Torch7's ``total_weight`` is not returned).

    Zero total weight with ``sizeAverage`` (every target ignored, an empty
    batch, or zero weights): the loss is ``0/0 = NaN`` and the gradient
    entries of non-ignored targets are ``-w/0`` (NaN for zero weights), as
    ``F.nll_loss`` gives; Torch7 returned 0 and a zero gradient instead.
    PyTorch: ``F.nll_loss(x, t, weight=w, ignore_index=ignoreIndex,
    reduction='mean' if sizeAverage else 'sum')``.
    """

    backends = ("cpu", "gpu")

    def __init__(self, weights=None, sizeAverage=True, ignoreIndex=-100):
        self.sizeAverage = self.bool_arg("sizeAverage", sizeAverage)
        self.ignoreIndex = self.int_arg("ignoreIndex", ignoreIndex, minimum=_INT64_MIN)
        if self.ignoreIndex > _INT64_MAX:
            self.fail(f"argument ignoreIndex={ignoreIndex} does not fit in int64")
        # read-only float64 and float32 copies, made once: safe to share between threads
        self.weights, self._w_by_dtype = weights_arg(self, weights)

    def _repr_args(self):
        args = []
        if self.weights is not None:
            args.append(f"weights={self.weights.tolist()!r}")
        if not self.sizeAverage:
            args.append("sizeAverage=False")
        if self.ignoreIndex != -100:
            args.append(f"ignoreIndex={self.ignoreIndex}")
        return ", ".join(args)

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (1, 2))
        nc = x.shape[-1]
        n = x.shape[0] if nd == 2 else 1
        if self.weights is not None and self.weights.shape[0] != nc:
            self.fail(f"argument weights has {self.weights.shape[0]} entries but 'input' "
                      f"has {nc} classes (shape {tuple(x.shape)})")
        xp = None if type(x) is np.ndarray else namespace_of(self, "input", x)
        if nd == 2:
            class_target(self, d, xp, nc, self.ignoreIndex, (n,),
                         "(one class index per row of 'input')")
        else:
            class_target(self, d, xp, nc, self.ignoreIndex, (),
                         "(a 0-d class index for a 1-D 'input')")
        return n, nc, nd

    # -- generic array-API math -------------------------------------------
    def _parts(self, xp, d, info):
        """(x as (N, C), mask of the picked entries (N, C), weights or None, zeros)."""
        n, nc, nd = info
        x = d["input"]
        # the namespace's default integer (int64; int32 in JAX without x64)
        ity = xp.asarray(0).dtype
        t = xp.astype(d["target"], ity)
        if nd == 1:
            x = xp.reshape(x, (1, nc))
            t = xp.reshape(t, (1,))
        classes = xp.arange(nc, dtype=ity)
        mask = (classes[None, :] == t[:, None]) & (t != self.ignoreIndex)[:, None]
        w = None
        if self.weights is not None:
            w = weights_like(xp, self.weights, x)
        return x, mask, w, xp.zeros_like(x)

    def forward(self, xp, d, info):
        x, mask, w, zeros = self._parts(xp, d, info)
        if w is None:
            loss = -xp.sum(xp.where(mask, x, zeros))
            total = xp.sum(xp.astype(mask, x.dtype))
        else:
            loss = -xp.sum(xp.where(mask, x * w, zeros))
            total = xp.sum(xp.where(mask, zeros + w, zeros))
        # asarray: NumPy arithmetic on 0-d arrays gives scalars; the loss is a 0-d array
        return xp.asarray(loss / total if self.sizeAverage else loss)

    def backward(self, xp, d, info):
        x, mask, w, zeros = self._parts(xp, d, info)
        go = d["gradOutput"]
        if w is None:
            w = zeros + 1
        coef = -go
        if self.sizeAverage:
            coef = coef / xp.sum(xp.where(mask, zeros + w, zeros))
        gi = xp.where(mask, zeros + w * coef, zeros)
        if info[2] == 1:
            gi = xp.reshape(gi, (info[1],))
        return {"gradInput": gi}

    # -- compiled path ----------------------------------------------------
    def _kernel_args(self, d, info):
        t = d["target"]
        if t.dtype is not _INT64 or not t.flags.c_contiguous:
            t = np.ascontiguousarray(t, dtype=_INT64)   # values checked to fit
        w = self._w_by_dtype.get(d["input"].dtype) if self.weights is not None else None
        return t, w

    def forward_cpu(self, k, d, info, y):
        n, nc, _ = info
        t, w = self._kernel_args(d, info)
        k.update_output(d["input"], t, w, y, n, nc, self.ignoreIndex, self.sizeAverage)

    def backward_cpu(self, k, d, info, out):
        n, nc, _ = info
        t, w = self._kernel_args(d, info)
        k.update_grad_input(t, w, out["gradInput"], n, nc, self.ignoreIndex,
                            self.sizeAverage, float(d["gradOutput"]))

    # -- CuPy path --------------------------------------------------------
    def _gpu_args(self, g, d):
        """int64 targets and the weights as a device array of the input's dtype
        (converted once per dtype and device, then kept on the instance)."""
        x, t = d["input"], d["target"]
        if t.dtype != _INT64:
            t = t.astype(_INT64)
        if self.weights is None:
            return t, None
        return t, g.const_array(self, "weights", self.weights, x.dtype, x)

    def forward_gpu(self, g, d, info, y):
        n, nc, _ = info
        t, w = self._gpu_args(g, d)
        g.nll_forward(d["input"], t, w, y, n, nc, self.ignoreIndex, self.sizeAverage)

    def backward_gpu(self, g, d, info, out):
        n, nc, _ = info
        t, w = self._gpu_args(g, d)
        g.nll_backward(t, w, out["gradInput"], n, nc, self.ignoreIndex, self.sizeAverage,
                       d["gradOutput"])
