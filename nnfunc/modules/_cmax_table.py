"""Shared code of CMaxTable and CMinTable."""

from ._table import TableModule


class _CExtremumTable(TableModule):
    """Elementwise max/min over a table with Torch7's routing.

    The winner starts as ``x_0``; entry ``i`` replaces it only where it is
    strictly better (``>`` for max, ``<`` for min). So ties go to the lowest
    index, and a NaN never wins unless it is in ``x_0`` (where it stays: no
    comparison with NaN is true). Gradient: ``gradOutput`` goes to the
    winning entry only, zeros elsewhere.
    """

    def _better(self, a, b):
        raise NotImplementedError

    def check(self, d):
        return self.same_shapes(self.table(d))

    def _winner(self, xp, xs):
        y = xs[0]
        idx = xp.zeros(y.shape, dtype=xp.int32) if len(xs) > 1 else None
        for i, x in enumerate(xs[1:], 1):
            m = self._better(x, y)
            y = xp.where(m, x, y)
            idx = xp.where(m, xp.asarray(i, dtype=xp.int32), idx)
        return y, idx

    def forward(self, xp, d, info):
        xs = d["input"]
        y, _ = self._winner(xp, xs)
        return xp.asarray(y, copy=True) if len(xs) == 1 else y

    def backward(self, xp, d, info):
        xs, go = d["input"], d["gradOutput"]
        if len(xs) == 1:
            return {"gradInput": [xp.asarray(go, copy=True)]}
        _, idx = self._winner(xp, xs)
        zero = xp.zeros((), dtype=go.dtype)
        return {"gradInput": [xp.where(idx == i, go, zero) for i in range(len(xs))]}
