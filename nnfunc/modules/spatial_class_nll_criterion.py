import numpy as np

from .._core.dispatch import namespace_of
from ._targets import class_target
from ._weights import weights_like
from .class_nll_criterion import ClassNLLCriterion


class SpatialClassNLLCriterion(ClassNLLCriterion):
    """ClassNLLCriterion at every pixel: log-probabilities ``(N, C, H, W)``.

    Torch7: ``nn.SpatialClassNLLCriterion(weights=nil, sizeAverage=true)``;
    ``ignoreIndex`` (default -100, 0-based, third positional as in
    ClassNLLCriterion) is an nnfunc extension (Torch7 had none; PyTorch's
    ``ignore_index``). ``input``: ``(N, C, H, W)`` (the batch dimension is
    required, as Torch7); ``target``: an ``(N, H, W)`` integer array of
    **0-based** class indices, each in ``[0, C)`` or ``ignoreIndex``
    (anything else is an ``InputError``). ``weights``: None or ``C`` class
    weights.

    ``loss = -sum_{n,h,w} w[t] x[n, t, h, w]`` over the non-ignored pixels,
    divided by their total weight ``sum w[t]`` when ``sizeAverage`` (0/0 =
    NaN when that is zero, as PyTorch; Torch7 left the division by zero
    unguarded too). Gradient ``-w[t] [/ total weight] * gradOutput`` at each
    pixel's target class, zero elsewhere. PyTorch: ``F.nll_loss(x, t,
    weight=w, ignore_index=ignoreIndex, reduction='mean' if sizeAverage else
    'sum')``.
    """

    # no GPU kernel yet: ClassNLLCriterion's forward_gpu computes another loss
    backends = ("cpu", "gpu")

    def check(self, d):
        x = d["input"]
        self.check_ndim("input", x, (4,))
        n, nc, h, w = (int(s) for s in x.shape)
        if self.weights is not None and self.weights.shape[0] != nc:
            self.fail(f"argument weights has {self.weights.shape[0]} entries but 'input' "
                      f"has {nc} classes (dimension 1 of shape {tuple(x.shape)})")
        if n and h * w == 0:
            self.fail(f"'input' has an empty image size, shape {tuple(x.shape)}")
        xp = None if type(x) is np.ndarray else namespace_of(self, "input", x)
        class_target(self, d, xp, nc, self.ignoreIndex, (n, h, w),
                     "(one class index per pixel: input's shape without dimension 1)")
        return n, nc, h * w

    def _parts(self, xp, d, info):
        n, nc, hw = info
        x = d["input"]
        t = xp.astype(d["target"], xp.int64)
        classes = xp.reshape(xp.arange(nc, dtype=xp.int64), (1, nc, 1, 1))
        mask = ((classes == xp.expand_dims(t, axis=1))
                & xp.expand_dims(t != self.ignoreIndex, axis=1))
        zeros = xp.zeros_like(x)
        w = zeros + 1
        if self.weights is not None:
            w = zeros + xp.reshape(weights_like(xp, self.weights, x), (1, nc, 1, 1))
        return x, mask, w, zeros

    def forward(self, xp, d, info):
        x, mask, w, zeros = self._parts(xp, d, info)
        loss = -xp.sum(xp.where(mask, x * w, zeros))
        if self.sizeAverage:
            loss = loss / xp.sum(xp.where(mask, w, zeros))
        return xp.asarray(loss)

    def backward(self, xp, d, info):
        x, mask, w, zeros = self._parts(xp, d, info)
        coef = -d["gradOutput"]
        if self.sizeAverage:
            coef = coef / xp.sum(xp.where(mask, w, zeros))
        return {"gradInput": xp.where(mask, w * coef, zeros)}

    def forward_cpu(self, k, d, info, y):
        n, nc, hw = info
        t, w = self._kernel_args(d, info)
        k.update_output(d["input"], t, w, y, n, nc, hw, self.ignoreIndex, self.sizeAverage)

    def backward_cpu(self, k, d, info, out):
        n, nc, hw = info
        t, w = self._kernel_args(d, info)
        k.update_grad_input(t, w, out["gradInput"], n, nc, hw, self.ignoreIndex,
                            self.sizeAverage, float(d["gradOutput"]))

    # -- CuPy path: ClassNLL's kernels with the pixels as the inner axis ------
    def forward_gpu(self, g, d, info, y):
        n, nc, hw = info
        t, w = self._gpu_args(g, d)
        g.nll_forward(d["input"], t, w, y, n, nc, self.ignoreIndex, self.sizeAverage, hw)

    def backward_gpu(self, g, d, info, out):
        n, nc, hw = info
        t, w = self._gpu_args(g, d)
        g.nll_backward(t, w, out["gradInput"], n, nc, self.ignoreIndex, self.sizeAverage,
                       d["gradOutput"], hw)
