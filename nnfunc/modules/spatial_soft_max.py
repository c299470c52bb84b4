from .log_soft_max import LogSoftMax
from .soft_max import SoftMax


class SpatialSoftMax(SoftMax):
    """Softmax over the channels at every pixel (Torch7 ``nn.SpatialSoftMax()``).

    Same computation and kernel as :class:`SoftMax`: ``(C, H, W)`` and
    ``(N, C, H, W)`` over ``C``; ``(D)`` and ``(N, D)`` over ``D``. PyTorch:
    ``F.softmax(x, dim=0 if x.ndim in (1, 3) else 1)``.
    """

    kernel = "soft_max"


class SpatialLogSoftMax(LogSoftMax):
    """Log-softmax over the channels at every pixel (Torch7 ``nn.SpatialLogSoftMax()``).

    Same computation and kernel as :class:`LogSoftMax`: ``(C, H, W)`` and
    ``(N, C, H, W)`` over ``C``; ``(D)`` and ``(N, D)`` over ``D``. PyTorch:
    ``F.log_softmax(x, dim=0 if x.ndim in (1, 3) else 1)``.
    """

    kernel = "log_soft_max"
