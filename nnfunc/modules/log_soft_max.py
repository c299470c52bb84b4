from ._softmax import SoftMaxFamily


class LogSoftMax(SoftMaxFamily):
    """Log of the softmax over the feature dimension: ``y = x - log(sum(exp(x)))``.

    Torch7: ``nn.LogSoftMax()``. ``input``: ``(D)`` or ``(N, D)`` (over
    ``D``), ``(C, H, W)`` or ``(N, C, H, W)`` (over ``C`` at every pixel; a
    3-D input is a non-batch image); other ndims are an error. ``output``
    has the input's shape. Computed stably as
    ``(x - max) - log(sum(exp(x - max)))``. Gradient
    ``gradInput = gradOutput - exp(y) * sum(gradOutput)``, with ``y``
    recomputed from ``input`` (Torch7 read the last forward's output:
    impure). PyTorch: ``F.log_softmax(x, dim=0 if x.ndim in (1, 3) else 1)``.
    An empty input (``N = 0`` or ``D = 0``) gives an empty output.
    """

    log = True

    def forward(self, xp, d, info):
        x = d["input"]
        if info[1] * info[2] * info[3] == 0:
            return xp.zeros_like(x)
        ax = self.axis(info)
        z = x - xp.max(x, axis=ax, keepdims=True)
        return z - xp.log(xp.sum(xp.exp(z), axis=ax, keepdims=True))

    def backward(self, xp, d, info):
        go = d["gradOutput"]
        y = self.forward(xp, d, info)
        ax = self.axis(info)
        return {"gradInput": go - xp.exp(y) * xp.sum(go, axis=ax, keepdims=True)}
