import math

import numpy as np

from ._elementwise import Pointwise


class Power(Pointwise):
    """Power, elementwise: ``y = x ** p``.

    Torch7: ``nn.Power(p)``, ``p`` a real number. Gradient
    ``gradInput = gradOutput * p * x ** (p - 1)`` (``p == 0``: zero).
    A non-integer ``p`` on a negative ``x`` gives NaN, as in Torch7 and
    PyTorch. The compiled float32 path works in double and rounds once:
    for ``p`` a multiple of 1/2 with ``p`` and ``p - 1`` in [-15.5, 15.5]
    (2.5, 3, -0.5, ...) by binary powering times ``sqrt(|x|)``, otherwise as
    ``exp(p log|x|)``; both vectorised and within 0.5 ulp (plus about 1e-6
    ulp) of the exact power. float64 calls libm's ``pow``.
    """

    op = "power"

    def __init__(self, p):
        self.pow = self.float_arg("p", p)
        self.op_a = self.pow
        self.op_b = _pow_mode(self.pow)
        if self.op_b == 2.0:
            self.op = "power_libm"
        elif _half_integer(self.pow) and _half_integer(self.pow - 1.0):
            self.op = "power_half"

    def _repr_args(self):
        return f"{self.pow}"

    def forward(self, xp, d, info):
        x = d["input"]
        if self.pow == 2.0:
            return x * x
        return x ** self.pow

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        p = self.pow
        if p == 0.0:
            return {"gradInput": xp.zeros_like(go)}
        if p == 1.0:
            return {"gradInput": xp.asarray(go, copy=True)}
        if p == 2.0:
            return {"gradInput": 2 * x * go}
        return {"gradInput": go * (p * x ** (p - 1))}


def _pow_mode(p):
    """The exponent's mode for the compiled float kernel (``nnf_pow_f``): 0 not an
    integer, 1 even, -1 odd, 2 libm's pow (op ``power_libm``: p zero or one,
    where exp(0 * log x) would miss pow's x ** 0 == 1 at 0, inf and NaN; p not
    finite; |p| >= 2**24, where float32 cannot tell the parity of p - 1).
    Taken on p as float32, as the kernel sees it."""
    q = float(np.float32(p))
    if q in (0.0, 1.0) or not math.isfinite(q) or abs(q) >= 2.0 ** 24:
        return 2.0
    if q != math.floor(q):
        return 0.0
    return 1.0 if q % 2 == 0 else -1.0


def _half_integer(p):
    """Whether p, as float32, is a multiple of 1/2 in [-15.5, 15.5] (op ``power_half``)."""
    q = float(np.float32(p))
    return abs(q) <= 15.5 and 2 * q == math.floor(2 * q)
