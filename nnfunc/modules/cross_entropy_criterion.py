from .class_nll_criterion import ClassNLLCriterion


class CrossEntropyCriterion(ClassNLLCriterion):
    """Cross-entropy of raw scores and class targets: ClassNLL of LogSoftMax, fused.

    Torch7: ``nn.CrossEntropyCriterion(weights=nil, sizeAverage=true)``
    (a LogSoftMax followed by a ClassNLLCriterion). ``input``: scores
    ``(C)`` with a 0-d integer ``target``, or ``(N, C)`` with an ``(N)``
    integer ``target``: **0-based** class indices, checked (an index outside
    ``[0, C)`` other than ``ignoreIndex`` is an ``InputError``).
    ``ignoreIndex`` (keyword, default -100, 0-based) is the inner
    ClassNLLCriterion's; Torch7 had no argument for it. ``weights``: None or
    ``C`` class weights.

    ``loss = -sum_n w[t_n] log softmax(x_n)[t_n]``, divided by ``sum_n
    w[t_n]`` over the non-ignored rows when ``sizeAverage`` (0/0 = NaN when
    that is zero, as PyTorch). Gradient ``w[t_n] (softmax(x_n) -
    onehot(t_n)) [/ total weight] * gradOutput``, zero on ignored rows,
    recomputed from the input. Torch7 squeezed its input, so a ``(1, C)``
    input was a single sample; here it is a batch of one with an ``(1)``
    target (same value). PyTorch: ``F.cross_entropy(x, t, weight=w,
    ignore_index=ignoreIndex, reduction='mean' if sizeAverage else 'sum')``.
    """

    backends = ("cpu", "gpu")

    def __init__(self, weights=None, sizeAverage=True, *, ignoreIndex=-100):
        super().__init__(weights, sizeAverage, ignoreIndex)

    # -- generic array-API math -------------------------------------------
    def _log_softmax(self, xp, x):
        m = xp.max(x, axis=-1, keepdims=True)
        z = x - m
        return z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))

    def forward(self, xp, d, info):
        return super().forward(xp, dict(d, input=self._log_softmax(xp, d["input"])), info)

    def backward(self, xp, d, info):
        y = self._log_softmax(xp, d["input"])
        g = super().backward(xp, dict(d, input=y), info)["gradInput"]
        # LogSoftMax's gradient: g - softmax(x) * sum(g); exactly zero on ignored
        # rows (as the compiled kernels, which never read them: a NaN or inf
        # there would otherwise give NaN through 0 * softmax)
        gi = g - xp.exp(y) * xp.sum(g, axis=-1, keepdims=True)
        keep = (d["target"] != self.ignoreIndex)[..., None]
        return {"gradInput": xp.where(keep, gi, xp.zeros_like(gi))}

    # -- compiled path ----------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        n, nc, _ = info
        t, w = self._kernel_args(d, info)
        k.update_output(d["input"], t, w, y, n, nc, self.ignoreIndex, self.sizeAverage)

    def backward_cpu(self, k, d, info, out):
        n, nc, _ = info
        t, w = self._kernel_args(d, info)
        k.update_grad_input(d["input"], t, w, out["gradInput"], n, nc, self.ignoreIndex,
                            self.sizeAverage, float(d["gradOutput"]))

    # -- CuPy path: LogSoftMax rows (softmax.cu) then ClassNLL (criterion.cu);
    # the gradient is ClassNLL's, taken back through LogSoftMax ---------------
    def forward_gpu(self, g, d, info, y):
        import cupy
        n, nc, _ = info
        x = d["input"]
        t, w = self._gpu_args(g, d)
        logp = cupy.empty(x.shape, x.dtype)
        g.softmax(True, x, logp, n, nc, 1)
        g.nll_forward(logp, t, w, y, n, nc, self.ignoreIndex, self.sizeAverage)

    def backward_gpu(self, g, d, info, out):
        import cupy
        n, nc, _ = info
        x = d["input"]
        t, w = self._gpu_args(g, d)
        gnll = cupy.empty(x.shape, x.dtype)
        g.nll_backward(t, w, gnll, n, nc, self.ignoreIndex, self.sizeAverage,
                       d["gradOutput"])
        g.softmax_grad(True, x, gnll, out["gradInput"], n, nc, 1)
        # exactly zero on ignored rows, whatever they hold (0 * NaN is NaN)
        gi = out["gradInput"].reshape(n, nc)
        keep = (t != self.ignoreIndex).reshape(n, 1)
        gi[...] = cupy.where(keep, gi, cupy.zeros((), gi.dtype))
