from ._padding import _Padding


class SpatialReflectionPadding(_Padding):
    """Mirror padding of the last two axes of an image.

    Torch7: ``nn.SpatialReflectionPadding(pad_l, pad_r=pad_l, pad_t=pad_l,
    pad_b=pad_l)``. ``input``: ``(C, H, W)`` or ``(N, C, H, W)``;
    ``output``: ``(..., H + pad_t + pad_b, W + pad_l + pad_r)`` with
    ``y[..., i, j] = x[..., r(i - pad_t, H), r(j - pad_l, W)]``,
    ``r(k, n) = |k|`` reflected again at ``n - 1`` (``2 (n - 1) - k`` past the
    end): the mirror image without repeating the edge sample, as
    ``F.pad(x, (pad_l, pad_r, pad_t, pad_b), mode='reflect')``.
    ``gradInput``: each ``gradOutput`` element added to its source (mirrored
    borders accumulate).

    Pads are >= 0 and each must be smaller than the input size along its
    axis (PyTorch's rule; Torch7 did not check and read out of bounds).
    """

    mode = "reflect"
    arg_names = ("pad_l", "pad_r", "pad_t", "pad_b")

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        self._init_pads((pad_l, pad_r, pad_t, pad_b))
