"""Shared base of the SoftMax family: Torch7's choice of the softmax dimension."""

from .._core.module import Module


class SoftMaxFamily(Module):
    """A normalisation over the feature dimension, chosen as Torch7 does.

    ``(D)``: over dim 0; ``(N, D)``: over dim 1; ``(C, H, W)``: over dim 0
    (a non-batch image: every pixel is normalised over its channels);
    ``(N, C, H, W)``: over dim 1. Other ndims are an error. The info is
    ``(shape, outer, dim, inner)``: the input seen as ``(outer, dim, inner)``
    with the softmax over the middle axis, as the kernels take it.
    """

    backends = ("cpu", "gpu")
    #: LogSoftMax (the kernels' LOG flag)
    log = False

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (1, 2, 3, 4))
        shape = tuple(x.shape)
        axis = 0 if nd in (1, 3) else 1
        outer = 1
        for s in shape[:axis]:
            outer *= s
        inner = 1
        for s in shape[axis + 1:]:
            inner *= s
        return shape, outer, shape[axis], inner

    def output_shape(self, info):
        return info[0]

    @staticmethod
    def axis(info):
        return 0 if len(info[0]) in (1, 3) else 1

    def forward_cpu(self, k, d, info, y):
        _, outer, dim, inner = info
        k.update_output(d["input"], y, outer, dim, inner)

    def backward_cpu(self, k, d, info, out):
        _, outer, dim, inner = info
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], outer, dim, inner)

    def forward_gpu(self, g, d, info, y):
        _, outer, dim, inner = info
        g.softmax(self.log, d["input"], y, outer, dim, inner)

    def backward_gpu(self, g, d, info, out):
        _, outer, dim, inner = info
        g.softmax_grad(self.log, d["input"], d["gradOutput"], out["gradInput"], outer, dim,
                       inner)
