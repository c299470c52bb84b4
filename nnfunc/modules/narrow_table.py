from ._table import TableModule


class NarrowTable(TableModule):
    """A contiguous sub-table: ``y = input[offset:offset + length]``.

    Torch7: ``nn.NarrowTable(offset, length=1)``, with a **0-based**
    ``offset``. ``input``: a list of at least ``offset + length`` arrays;
    ``output``: a list of ``length`` arrays (NumPy views of the selected
    entries: no copy). Gradient: ``gradInput[offset + i] = gradOutput[i]``
    (views, no copy), zeros of the entry's shape for every other entry.
    """

    def __init__(self, offset, length=1):
        self.offset = self.int_arg("offset", offset, minimum=0)
        self.length = self.int_arg("length", length, minimum=1)

    def _repr_args(self):
        return f"{self.offset}, {self.length}"

    def check(self, d):
        xs = self.table(d)
        end = self.offset + self.length
        if end > len(xs):
            self.fail(f"entries {self.offset}..{end - 1} are out of range for an 'input' "
                      f"table of {len(xs)} entries")
        return [tuple(x.shape) for x in xs[self.offset:end]]

    def forward(self, xp, d, info):
        return [x[...] for x in d["input"][self.offset:self.offset + self.length]]

    def backward(self, xp, d, info):
        go, o = d["gradOutput"], self.offset
        gi = [go[j - o][...] if o <= j < o + self.length else xp.zeros_like(x)
              for j, x in enumerate(d["input"])]
        return {"gradInput": gi}
