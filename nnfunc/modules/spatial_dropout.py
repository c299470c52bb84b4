from ._dropout import PlaneDropoutBase


class SpatialDropout(PlaneDropoutBase):
    """Dropout of whole feature maps: one mask value per (sample, channel).

    Torch7: ``nn.SpatialDropout(p=0.5, stochasticInference=false)``;
    ``:training()``/``:evaluate()`` is the dict key ``train``. ``p`` in
    ``[0, 1)``.

    ``input``: ``(C, H, W)`` or ``(N, C, H, W)``; output the same shape.
    ``noise`` (Torch7's field and shape): ``(C, 1, 1)`` resp.
    ``(N, C, 1, 1)``, values 0 or 1 (Torch7 does not rescale: the old "v1"
    convention). Given in the dict, or drawn from ``seed`` /
    fresh entropy as ``numpy.random.default_rng(seed).random(noise_shape)
    < 1 - p`` (see :mod:`nnfunc.modules._dropout`).

    * training (or ``stochasticInference=True``): ``y = x * noise``
      (broadcast over H, W), ``noise`` returned; ``gradInput = gradOutput *
      noise`` (needs ``noise`` or the forward's ``seed``).
    * evaluate: ``y = (1-p) x``.

    Decisions: Torch7 raised "backprop only defined while training" in
    evaluate mode; nnfunc returns the derivative of the evaluate-mode
    forward, ``(1-p) gradOutput`` (and ``gradOutput * noise`` with
    ``stochasticInference``). Torch7 did not check ``p``; nnfunc requires
    ``0 <= p < 1`` as for Dropout. PyTorch equivalent: ``F.dropout2d(x, p) *
    (1-p)`` (PyTorch rescales kept maps by ``1/(1-p)``).
    """

    plane_ndim = 3
