from ._cmax_table import _CExtremumTable


class CMinTable(_CExtremumTable):
    """Elementwise minimum of a table: ``y = min_i x_i``.

    Torch7: ``nn.CMinTable()``. ``input``: a list of arrays of one shape;
    ``output``: that shape. Gradient: ``gradOutput`` routed to the entry
    holding the min, zeros in the others. Ties: as Torch7, the lowest index
    wins (an entry replaces the running min only where strictly less) and
    takes the whole gradient. PyTorch differs: ``torch.minimum`` splits a
    tie's gradient in halves, ``amin`` evenly. NaN: a NaN in ``input[0]``
    stays in the output, a NaN in a later entry is ignored (Torch7's ``lt``).
    """

    def _better(self, a, b):
        return a < b
