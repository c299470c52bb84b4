from ._padding import _Padding


class SpatialZeroPadding(_Padding):
    """Zero padding (or cropping) of the last two axes of an image.

    Torch7: ``nn.SpatialZeroPadding(pad_l, pad_r=pad_l, pad_t=pad_l,
    pad_b=pad_l)``. ``input``: ``(C, H, W)`` or ``(N, C, H, W)``;
    ``output``: ``(..., H + pad_t + pad_b, W + pad_l + pad_r)``, the input
    surrounded by ``pad_l`` zero columns on the left, ``pad_r`` on the right,
    ``pad_t`` zero rows on top and ``pad_b`` below. A negative pad crops that
    many rows/columns from its side instead (as Torch7 and
    ``F.pad(x, (pad_l, pad_r, pad_t, pad_b))``); the output must keep at least
    one row and one column. ``gradInput``: the slice of ``gradOutput`` that
    the input landed on, zeros where it was cropped.
    """

    mode = "zero"
    arg_names = ("pad_l", "pad_r", "pad_t", "pad_b")

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        self._init_pads((pad_l, pad_r, pad_t, pad_b))
