import math

from ._broadcast import BroadcastParam


class Add(BroadcastParam):
    """Adds a learnable bias: ``y = x + b``.

    Torch7: ``nn.Add(inputSize, scalar=false)``. ``bias``: ``(inputSize,)``,
    or ``(1,)`` when ``scalar`` (then ``y = x + b[0]`` for any input shape).
    Otherwise ``input`` is ``(inputSize,)`` (exactly the bias shape) or a batch
    ``(N, ...)`` whose per-sample element count is ``inputSize`` (the bias is
    added to every row of ``input`` viewed as ``(N, inputSize)``); output has
    the input's shape. Gradients: ``gradInput = gradOutput``; ``gradBias`` =
    ``gradOutput`` summed over the batch (scalar: summed over everything).
    Default init (Torch7 ``reset``): ``U(-1/sqrt(n), 1/sqrt(n))``, ``n`` the
    bias length.
    """

    params = ("bias",)
    op = "add"

    def __init__(self, inputSize, scalar=False):
        self.inputSize = self.int_arg("inputSize", inputSize)
        self.scalar = self.bool_arg("scalar", scalar)
        self.size = 1 if self.scalar else self.inputSize

    def _repr_args(self):
        return f"{self.inputSize}" + (", True" if self.scalar else "")

    def param_shapes(self):
        return {"bias": (self.size,)}

    def init_stdv(self):
        return 1.0 / math.sqrt(self.size)

    def check(self, d):
        x = d["input"]
        shape = tuple(x.shape)
        why = f"for {self!r}"
        self.check_shape("bias", d["bias"], (self.size,), why)
        if self.scalar:
            return self.info_for(shape, (1,) * len(shape))
        if shape == (self.size,):
            return self.info_for(shape, shape)
        if len(shape) == 0 or self.numel(shape[1:]) != self.size:
            self.fail(f"'input' has shape {shape}: expected ({self.size},) or a batch "
                      f"(N, ...) of {self.size} elements per sample (inputSize={self.size})")
        _, dims, bcast = self.info_for((shape[0], self.size), (1, self.size))
        return shape, dims, bcast
