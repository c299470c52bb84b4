import math

from ._broadcast import BroadcastParam


class _CParam(BroadcastParam):
    """Shared constructor and Torch7 expand rules of CAdd and CMul."""

    def __init__(self, *size):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])      # Torch7's single LongStorage argument
        if not size:
            self.fail("needs at least one size (e.g. CMul(5) or CMul(1, 4, 1))")
        self.size = tuple(self.int_arg(f"size[{i}]", s) for i, s in enumerate(size))

    def _repr_args(self):
        return ", ".join(str(s) for s in self.size)

    def param_shapes(self):
        return {self.params[0]: self.size}

    def init_stdv(self):
        return 1.0 / math.sqrt(self.numel(self.size))

    def check(self, d):
        p = self.params[0]
        self.check_shape(p, d[p], self.size, f"for {self!r}")
        shape = tuple(d["input"].shape)
        n, nw = self.numel(shape), self.numel(self.size)
        if n == nw:
            # Torch7: same element count -> elementwise over the flattened arrays
            _, dims, bcast = self.info_for((n,), (n,))
            return shape, dims, bcast
        if len(shape) == len(self.size):
            for i, (s, w) in enumerate(zip(shape, self.size)):
                if w != 1 and w != s:
                    self.fail(f"'input' has shape {shape}: dim {i} is {s}, but {p} "
                              f"{self.size} has {w} there (must be equal, or 1 to "
                              f"broadcast)")
            return self.info_for(shape, self.size)
        if len(shape) == 0 or self.numel(shape[1:]) != nw:
            self.fail(f"'input' has shape {shape}: expected {nw} elements, the ndim of "
                      f"{p} {self.size} with its singleton dims broadcast, or a batch "
                      f"(N, ...) of {nw} elements per sample")
        _, dims, bcast = self.info_for((shape[0], nw), (1, nw))
        return shape, dims, bcast


class CAdd(_CParam):
    """Adds a learnable bias of any shape, broadcast: ``y = x + bias``.

    Torch7: ``nn.CAdd(size...)`` (ints, or one tuple for Torch7's
    LongStorage). ``bias``: ``size``. Torch7's pairing rules, in order:
    (1) ``input`` with as many elements as ``bias``: elementwise over both
    flattened, output in the input's shape; (2) ``input`` with the ndim of
    ``bias``: each dim of ``bias`` equals the input's or is 1 and broadcast
    (expanded); (3) otherwise a batch ``(N, ...)`` with ``numel(bias)``
    elements per sample: ``bias`` flattened and added to every sample.
    Gradients: ``gradInput = gradOutput``; ``gradBias`` = ``gradOutput``
    summed over the broadcast dims / the batch. Default init (Torch7
    ``reset``): ``U(-1/sqrt(numel(bias)), 1/sqrt(numel(bias)))``.
    """

    params = ("bias",)
    op = "add"
