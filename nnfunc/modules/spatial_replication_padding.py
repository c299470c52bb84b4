from ._padding import _Padding


class SpatialReplicationPadding(_Padding):
    """Edge-value padding of the last two axes of an image.

    Torch7: ``nn.SpatialReplicationPadding(pad_l, pad_r=pad_l, pad_t=pad_l,
    pad_b=pad_l)``. ``input``: ``(C, H, W)`` or ``(N, C, H, W)``;
    ``output``: ``(..., H + pad_t + pad_b, W + pad_l + pad_r)`` with
    ``y[..., i, j] = x[..., clamp(i - pad_t, 0, H-1), clamp(j - pad_l, 0, W-1)]``,
    as ``F.pad(x, (pad_l, pad_r, pad_t, pad_b), mode='replicate')``.
    ``gradInput``: each ``gradOutput`` element added to its source (the
    border rows, columns and corners accumulate). Pads are >= 0 (Torch7's
    kernel also cropped on negative pads; use SpatialZeroPadding to crop).
    """

    mode = "replicate"
    arg_names = ("pad_l", "pad_r", "pad_t", "pad_b")

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        self._init_pads((pad_l, pad_r, pad_t, pad_b))
