from ._dropout import DropoutBase


class Dropout(DropoutBase):
    """Dropout: zero each element with probability ``p``.

    Torch7: ``nn.Dropout(p=0.5, v1=false, inplace=false,
    stochasticInference=false)``; ``:training()``/``:evaluate()`` is the
    dict key ``train`` (default True). ``p`` must lie in ``[0, 1)``
    (Torch7's check; ``p = 0`` keeps everything).

    ``input``: any shape; output the same shape. Randomness is explicit:
    ``seed`` (an int) or ``noise`` (the mask, of the input's shape) in the
    dict, see :mod:`nnfunc.modules._dropout` for the draw
    (``numpy.random.default_rng(seed).random(input.shape) < 1 - p``, made by
    NumPy on the host for every backend).

    * training (or ``stochasticInference=True``): ``y = x * noise`` with
      ``noise`` 0 or ``1/(1-p)`` (v2, the default) or 0 or 1 (``v1=True``);
      the forward also returns ``noise``. Gradient ``gradInput = gradOutput
      * noise``: it needs ``noise`` or the forward's ``seed``.
    * evaluate: ``y = x`` (v2) or ``y = (1-p) x`` (v1); gradient
      ``gradOutput`` resp. ``(1-p) gradOutput``. Nothing is returned
      besides ``output``; ``seed``/``noise`` are ignored.

    Decisions: ``inplace`` is accepted for Torch7's signature and ignored
    (nnfunc never writes into its inputs; pass an ``output`` buffer to
    reuse memory). With ``stochasticInference`` the evaluate-mode gradient
    is ``gradOutput * noise``, the derivative of what the forward computed
    (Torch7's returned the unmasked evaluate-mode gradient there). Torch7
    skipped the draw when ``p = 0``; nnfunc returns an all-ones mask.
    """

    def __init__(self, p=0.5, v1=False, inplace=False, stochasticInference=False):
        self._init_p(p, stochasticInference)
        self.v1 = self.bool_arg("v1", v1)
        self.inplace = self.bool_arg("inplace", inplace)
        self.scaled = not self.v1

    def _repr_args(self):
        s = f"{self.p}"
        if self.v1:
            s += ", v1=True"
        if self.stochasticInference:
            s += ", stochasticInference=True"
        return s

    def eval_scale(self):
        return 1.0 - self.p if self.v1 else 1.0
