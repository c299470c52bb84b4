from ._padding import _Padding


class VolumetricReplicationPadding(_Padding):
    """Edge-value padding of the last three axes of a volume.

    Torch7: ``nn.VolumetricReplicationPadding(pleft, pright=pleft,
    ptop=pleft, pbottom=pleft, pfront=pleft, pback=pleft)``. ``input``:
    ``(C, T, H, W)`` or ``(N, C, T, H, W)``; ``output``:
    ``(..., T + pfront + pback, H + ptop + pbottom, W + pleft + pright)``
    with every index clamped into the input, as
    ``F.pad(x, (pleft, pright, ptop, pbottom, pfront, pback), mode='replicate')``.
    ``gradInput``: each ``gradOutput`` element added to its source. Pads
    are >= 0.
    """

    mode = "replicate"
    nspatial = 3
    arg_names = ("pleft", "pright", "ptop", "pbottom", "pfront", "pback")

    def __init__(self, pleft, pright=None, ptop=None, pbottom=None, pfront=None, pback=None):
        self._init_pads((pleft, pright, ptop, pbottom, pfront, pback))
