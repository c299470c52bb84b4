from ._cmax_table import _CExtremumTable


class CMaxTable(_CExtremumTable):
    """Elementwise maximum of a table: ``y = max_i x_i``.

    Torch7: ``nn.CMaxTable()``. ``input``: a list of arrays of one shape;
    ``output``: that shape. Gradient: ``gradOutput`` routed to the entry
    holding the max, zeros in the others. Ties: as Torch7, the lowest index
    wins (an entry replaces the running max only where strictly greater) and
    takes the whole gradient. PyTorch differs: ``torch.maximum`` splits a
    tie's gradient in halves, ``amax`` evenly. NaN: a NaN in ``input[0]``
    stays in the output, a NaN in a later entry is ignored (Torch7's ``gt``).
    """

    def _better(self, a, b):
        return a > b
