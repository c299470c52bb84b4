"""Shared base of the modules that add or multiply a broadcast parameter:
Add, Mul, CAdd, CMul.

``check`` reduces the pairing of input and parameter to a list of
*coalesced* dimensions (``dims``) and, per dimension, whether the parameter
is broadcast along it (``bcast``): adjacent dimensions with the same flag
are merged and size-1 dimensions dropped. The compiled kernel
(``nnfunc._cpu.broadcast_param``) and the generic math both work on that
view, so every Torch7 pairing rule (same size, flat per-sample, expanded
singleton dimensions, scalar) is one code path.
"""

from .._core.module import Module


def coalesce(shape, wshape):
    """(dims, bcast) for input ``shape`` against the expanded parameter
    shape ``wshape`` (same length; each entry 1 or equal to shape's)."""
    dims, bcast = [], []
    for s, w in zip(shape, wshape):
        if s == 1:
            continue
        b = w != s
        if bcast and bcast[-1] == b:
            dims[-1] *= s
        else:
            dims.append(s)
            bcast.append(b)
    if not dims:
        dims, bcast = [1], [False]
    return tuple(dims), tuple(bcast)


class BroadcastParam(Module):
    """Base: ``y = x (+ or *) p`` with ``p`` broadcast per ``check``'s info.

    Subclasses set ``op`` ("add" or "mul"), ``params`` (one name) and
    implement ``check`` via :meth:`info_for`.
    """

    backends = ("cpu", "gpu")
    kernel = "broadcast_param"
    op = "add"

    def info_for(self, shape, wshape):
        dims, bcast = coalesce(shape, wshape)
        return tuple(shape), dims, bcast

    def output_shape(self, info):
        return info[0]

    def _views(self, xp, d, info):
        shape, dims, bcast = info
        p = d[self.params[0]]
        wdims = tuple(1 if b else s for s, b in zip(dims, bcast))
        return xp.reshape(d["input"], dims), xp.reshape(p, wdims)

    def forward(self, xp, d, info):
        x, w = self._views(xp, d, info)
        y = x + w if self.op == "add" else x * w
        return xp.reshape(y, info[0])

    def backward(self, xp, d, info):
        shape, dims, bcast = info
        x, w = self._views(xp, d, info)
        go = xp.reshape(d["gradOutput"], dims)
        p = self.params[0]
        if self.op == "add":
            gi = go + xp.zeros_like(go)          # a fresh array, never gradOutput itself
            t = go
        else:
            gi = go * w
            t = go * x
        axes = tuple(i for i, b in enumerate(bcast) if b)
        gp = xp.sum(t, axis=axes, keepdims=True) if axes else t + xp.zeros_like(t)
        gkey = "grad" + p[0].upper() + p[1:]
        return {"gradInput": xp.reshape(gi, shape),
                gkey: xp.reshape(gp, tuple(d[p].shape))}

    def forward_cpu(self, k, d, info, y):
        _, dims, bcast = info
        k.update_output(d["input"], d[self.params[0]], y, dims, bcast, self.op == "mul")

    def backward_cpu(self, k, d, info, out):
        _, dims, bcast = info
        p = self.params[0]
        gkey = "grad" + p[0].upper() + p[1:]
        k.update_grad(d["input"], d[p], d["gradOutput"], out["gradInput"], out[gkey],
                      dims, bcast, self.op == "mul")

    # -- CuPy path (bparam.cu) over the same coalesced view -----------------
    def _gpu_meta(self, g, info):
        _, dims, bcast = info
        return g.cached(self, ("bparam", dims, bcast), lambda: g.bparam_meta(dims, bcast))

    def forward_gpu(self, g, d, info, y):
        g.bparam_forward(d["input"], d[self.params[0]], y, self._gpu_meta(g, info),
                         len(info[1]), self.op == "mul")

    def backward_gpu(self, g, d, info, out):
        p = self.params[0]
        gkey = "grad" + p[0].upper() + p[1:]
        g.bparam_backward(d["input"], d[p], d["gradOutput"], out["gradInput"], out[gkey],
                          self._gpu_meta(g, info), len(info[1]), self.op == "mul")

    @staticmethod
    def numel(shape):
        n = 1
        for s in shape:
            n *= s
        return n
