from .c_add import _CParam


class CMul(_CParam):
    """Multiplies by a learnable weight of any shape, broadcast: ``y = x * weight``.

    Torch7: ``nn.CMul(size...)`` (ints, or one tuple for Torch7's
    LongStorage). ``weight``: ``size``. Pairing rules as for
    :class:`CAdd`: same element count (elementwise over the flattened arrays),
    same ndim (singleton dims of ``weight`` broadcast), or a batch ``(N, ...)``
    with ``numel(weight)`` elements per sample. Gradients: ``gradInput =
    gradOutput * weight``; ``gradWeight`` = ``x * gradOutput`` summed over the
    broadcast dims / the batch. Default init (Torch7 ``reset``):
    ``U(-1/sqrt(numel(weight)), 1/sqrt(numel(weight)))``.
    """

    params = ("weight",)
    op = "mul"
