"""Shared base for elementwise transfer functions (any input shape)."""

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
