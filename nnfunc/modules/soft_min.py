from ._softmax import SoftMaxFamily


class SoftMin(SoftMaxFamily):
    """Softmin over the feature dimension: ``y = softmax(-x)``.

    Torch7: ``nn.SoftMin()``. ``input``: ``(D)`` or ``(N, D)`` (over
    ``D``), ``(C, H, W)`` or ``(N, C, H, W)`` (over ``C`` at every pixel; a
    3-D input is a non-batch image); other ndims are an error. Gradient
    ``gradInput = -y * (gradOutput - sum(gradOutput * y))``, with ``y``
    recomputed from ``input`` (Torch7 read the saved output). PyTorch:
    ``F.softmin(x, dim=0 if x.ndim in (1, 3) else 1)``. The compiled path
    runs the SoftMax kernel on ``-x``, negated one row or image at a time into
    a scratch copy that stays in cache (Torch7 negated the whole input into
    ``mininput``).
    """

    kernel = "soft_max"

    def forward(self, xp, d, info):
        x = -d["input"]
        if info[1] * info[2] * info[3] == 0:
            return xp.zeros_like(x)
        ax = self.axis(info)
        e = xp.exp(x - xp.max(x, axis=ax, keepdims=True))
        return e / xp.sum(e, axis=ax, keepdims=True)

    def backward(self, xp, d, info):
        go = d["gradOutput"]
        y = self.forward(xp, d, info)
        ax = self.axis(info)
        return {"gradInput": -(y * (go - xp.sum(go * y, axis=ax, keepdims=True)))}

    def forward_cpu(self, k, d, info, y):
        _, outer, dim, inner = info
        k.update_output(d["input"], y, outer, dim, inner, True)

    def backward_cpu(self, k, d, info, out):
        _, outer, dim, inner = info
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], outer, dim, inner,
                            True)
