from ._dropout import PlaneDropoutBase


class VolumetricDropout(PlaneDropoutBase):
    """Dropout of whole 3-D feature maps: one mask value per (sample, channel).

    Torch7: ``nn.VolumetricDropout(p=0.5, stochasticInference=false)``.
    ``input``: ``(C, T, H, W)`` or ``(N, C, T, H, W)``; ``noise``:
    ``(C, 1, 1, 1)`` resp. ``(N, C, 1, 1, 1)``, values 0 or 1 (no
    rescaling). Otherwise exactly :class:`SpatialDropout` (same draw, same
    decisions): training ``y = x * noise``, evaluate ``y = (1-p) x``.
    PyTorch equivalent: ``F.dropout3d(x, p) * (1-p)``.
    """

    plane_ndim = 4
