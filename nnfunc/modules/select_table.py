from ._table import TableModule


class SelectTable(TableModule):
    """Select one entry of a table.

    Torch7: ``nn.SelectTable(index)``, with a **0-based** ``index``
    (negative counts from the end: ``-1`` is the last entry). ``input``: a
    list of arrays (Torch7's nested tables are out of scope: entries are
    arrays); ``output``: ``input[index]`` (a NumPy view of it: no copy).
    Gradient: ``gradInput[index] = gradOutput`` (a view of it, no copy),
    zeros of the entry's shape for every other entry.
    """

    def __init__(self, index):
        self.index = self.int_arg("index", index, minimum=-2**31)

    def _repr_args(self):
        return f"{self.index}"

    def check(self, d):
        xs = self.table(d)
        n = len(xs)
        i = self.index + n if self.index < 0 else self.index
        if not 0 <= i < n:
            self.fail(f"index {self.index} is out of range for an 'input' table of {n} "
                      f"entries")
        return i, tuple(xs[i].shape)

    def output_shape(self, info):
        return info[1]

    def forward(self, xp, d, info):
        return d["input"][info[0]][...]

    def backward(self, xp, d, info):
        i = info[0]
        go = d["gradOutput"]
        gi = [go[...] if j == i else xp.zeros_like(x)
              for j, x in enumerate(d["input"])]
        return {"gradInput": gi}
