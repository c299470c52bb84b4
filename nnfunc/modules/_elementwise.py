"""Shared bases for elementwise transfer functions (any input shape)."""

from .._core.module import Module


class Elementwise(Module):
    """An elementwise module: output and gradInput have the input's shape.

    Subclasses give the generic math (``forward``/``backward``); a compiled
    kernel module provides ``update_output(x, y, ...)`` and
    ``update_grad_input(x, gradOutput, gradInput, ...)``, with the extra
    scalar options returned by :meth:`kernel_args`.
    """

    backends = ("cpu",)

    def check(self, d):
        return tuple(d["input"].shape)

    def kernel_args(self):
        return ()

    def forward_cpu(self, k, d, info, y):
        k.update_output(d["input"], y, *self.kernel_args())

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(d["input"], d["gradOutput"], out["gradInput"], *self.kernel_args())


class Pointwise(Elementwise):
    """An elementwise module whose kernel is one line of the shared table.

    The compiled path is ``nnfunc._cpu.pointwise``: ``op`` names the op's
    entry in ``NNF_OPS`` (``nnfunc/_cpu/_pointwise.h``, one C expression
    for the forward and one for the gradient), and ``op_a``, ``op_b`` are
    its two real options (set them in ``__init__``; unused ones stay 0).
    Adding an activation is one line there plus a subclass here with the
    generic math. The GPU path (CuPy input) runs the same op of
    ``nnfunc/_gpu/kernels/pointwise.cu``, whose table mirrors the C one.
    """

    backends = ("cpu", "gpu")
    kernel = "pointwise"
    op = None
    op_a = 0.0
    op_b = 0.0

    def forward_cpu(self, k, d, info, y):
        k.update_output(self.op, d["input"], y, self.op_a, self.op_b)

    def backward_cpu(self, k, d, info, out):
        k.update_grad_input(self.op, d["input"], d["gradOutput"], out["gradInput"],
                            self.op_a, self.op_b)

    # CuPy: the same op in nnfunc/_gpu/kernels/pointwise.cu
    def forward_gpu(self, g, d, info, y):
        g.pointwise(self.op, d["input"], y, self.op_a, self.op_b)

    def backward_gpu(self, g, d, info, out):
        g.pointwise_grad(self.op, d["input"], d["gradOutput"], out["gradInput"],
                         self.op_a, self.op_b)


def sigmoid(xp, z):
    """``1 / (1 + exp(-z))`` without overflow (generic helper)."""
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, xp.ones_like(e), e) / (1 + e)


def softplus(xp, z):
    """``log(1 + exp(z))`` without overflow (generic helper)."""
    return xp.maximum(z, xp.zeros_like(z)) + xp.log1p(xp.exp(-xp.abs(z)))
