from .._core.module import Module


class Identity(Module):
    """Identity: ``y = x`` (also for a table, a list of arrays).

    Torch7: ``nn.Identity()``. The output **is** the input array (no copy;
    for a table, a new list of the same arrays), as in Torch7. Gradient:
    ``gradInput = gradOutput`` (the same array(s)).
    """

    table_input = None

    def check(self, d):
        x = d["input"]
        if type(x) is list:
            return [tuple(a.shape) for a in x]
        return tuple(x.shape)

    def forward(self, xp, d, info):
        x = d["input"]
        return list(x) if type(x) is list else x

    def backward(self, xp, d, info):
        go = d["gradOutput"]
        return {"gradInput": list(go) if type(go) is list else go}
