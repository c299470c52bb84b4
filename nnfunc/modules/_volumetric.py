"""The volumetric (3-D) convolutions: one base class for the plain, dilated
and full (transposed) convolution, and the array-API building blocks of
their generic reference (the 3-D counterparts of ``_spatial.py``'s):

- :func:`pad3d` zero-pads the last three axes (built from ``concat``);
- :func:`taps3d` gives, for each kernel tap ``(kt, ky, kx)``, the strided
  view of a padded volume that the tap sees at every grid position (the
  vol2col columns, one tap at a time);
- :func:`scatter_taps3d` is its adjoint (col2vol): each tap's per-position
  values are spread back onto the padded volume by zero interleaving and
  padding, summed over taps, then cropped.

None of them writes in place or branches on array values. The two
directions share one geometry: a "volume" (the convolution's input, the
full convolution's output) and a "grid" of positions (the other side),
linked by ``volume index = grid index * stride - pad + tap * dilation`` per
axis, and a weight ``(M, Cv, kT, kH, kW)`` (``M`` = the grid side's
planes). The compiled kernel (``nnfunc/_cpu/volumetric_convolution.pyx``)
uses the same geometry.
"""

import math

from .._core.module import Module
from ._spatial import _INT_MAX, _device, conv_out_size


def check_volumetric_input(m, x, key="input"):
    """``(C, T, H, W)`` or ``(N, C, T, H, W)`` with ``T, H, W >= 1``.

    Returns ``(batch, N, C, T, H, W)`` (``N = 1`` for a single volume).
    """
    nd = m.check_ndim(key, x, (4, 5))
    shp = tuple(x.shape)
    if nd == 4:
        n, (c, t, h, w) = 1, shp
    else:
        n, c, t, h, w = shp
    if t < 1 or h < 1 or w < 1:
        m.fail(f"'{key}' has shape {shp}: time, height and width must be >= 1")
    return nd == 5, n, c, t, h, w


def _zeros(xp, like, axis, k):
    shp = list(like.shape)
    shp[axis] = k
    return xp.zeros(tuple(shp), dtype=like.dtype, device=_device(like))


def _pad_axis(xp, x, axis, before, after):
    """``x`` with ``before``/``after`` zeros along ``axis`` (a negative axis)."""
    if before == 0 and after == 0:
        return x
    parts = []
    if before:
        parts.append(_zeros(xp, x, axis, before))
    parts.append(x)
    if after:
        parts.append(_zeros(xp, x, axis, after))
    return xp.concat(parts, axis=axis)


def pad3d(xp, x, padT, padH, padW):
    """``x`` with its last three axes zero-padded symmetrically."""
    x = _pad_axis(xp, x, -1, padW, padW)
    x = _pad_axis(xp, x, -2, padH, padH)
    return _pad_axis(xp, x, -3, padT, padT)


def taps3d(xpad, k, d, o, dil):
    """``[xpad[..., kt dilT + ot dT, ky dilH + oy dH, kx dilW + ox dW]]`` per tap.

    ``k``, ``d``, ``o``, ``dil``: ``(T, H, W)`` triples of kernel size,
    stride, grid size and dilation. Row-major over ``(kt, ky, kx)`` (the
    order of a Torch7 weight's last three axes).
    """
    (kT, kH, kW), (dT, dH, dW), (oT, oH, oW), (eT, eH, eW) = k, d, o, dil
    out = []
    for kt in range(kT):
        t0 = kt * eT
        for ky in range(kH):
            y0 = ky * eH
            for kx in range(kW):
                x0 = kx * eW
                out.append(xpad[..., t0:t0 + (oT - 1) * dT + 1:dT,
                                y0:y0 + (oH - 1) * dH + 1:dH,
                                x0:x0 + (oW - 1) * dW + 1:dW])
    return out


def _spread(xp, g, axis, offset, step, length):
    """Along ``axis`` (negative): put ``g[i]`` at ``offset + i*step`` of a zero
    array of size ``length`` (which must hold every position)."""
    shp = list(g.shape)
    n = shp[axis]
    if step > 1:
        z = xp.zeros(tuple(shp), dtype=g.dtype, device=_device(g))
        # (..., n, step) along the axis, then merged: g[i] lands at i*step
        g = xp.stack([g] + [z] * (step - 1), axis=axis)
        shp[axis] = n * step
        g = xp.reshape(g, tuple(shp))
    size = g.shape[axis]
    keep = min(size, length - offset)     # interleaved zeros may overhang the end
    if keep < size:
        idx = [slice(None)] * g.ndim
        idx[axis] = slice(0, keep)
        g = g[tuple(idx)]
    return _pad_axis(xp, g, axis, offset, length - offset - keep)


def scatter_taps3d(xp, gtaps, k, d, pad, size, dil):
    """Adjoint of :func:`taps3d` followed by cropping the padding (col2vol).

    ``gtaps[(kt*kH + ky)*kW + kx]`` has shape ``(..., oT, oH, oW)``; the
    result has shape ``(..., T, H, W)`` (``size``): the sum over taps and
    grid positions of g at volume position ``o*d + k*dil - pad`` per axis,
    positions in the padding dropped.
    """
    (kT, kH, kW), (dT, dH, dW), (pT, pH, pW), (T, H, W), (eT, eH, eW) = k, d, pad, size, dil
    oT, oH, oW = (int(s) for s in gtaps[0].shape[-3:])
    LT = max((kT - 1) * eT + oT * dT, pT + T)
    LH = max((kH - 1) * eH + oH * dH, pH + H)
    LW = max((kW - 1) * eW + oW * dW, pW + W)
    total = None
    for kt in range(kT):
        plane = None
        for ky in range(kH):
            row = None
            for kx in range(kW):
                g = _spread(xp, gtaps[(kt * kH + ky) * kW + kx], -1, kx * eW, dW, LW)
                row = g if row is None else row + g
            g = _spread(xp, row, -2, ky * eH, dH, LH)
            plane = g if plane is None else plane + g
        g = _spread(xp, plane, -3, kt * eT, dT, LT)
        total = g if total is None else total + g
    return total[..., pT:pT + T, pH:pH + H, pW:pW + W]


class _VolumetricConv(Module):
    """Shared base of the volumetric convolutions (see the module docstring).

    Subclasses set ``transposed`` and call :meth:`_init_conv`.
    """

    backends = ("cpu",)
    kernel = "volumetric_convolution"
    transposed = False

    def _init_conv(self, nInputPlane, nOutputPlane, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                   dil=(1, 1, 1), adj=(0, 0, 0), bias=True):
        self.nInputPlane = self.int_arg("nInputPlane", nInputPlane)
        self.nOutputPlane = self.int_arg("nOutputPlane", nOutputPlane)
        self.kT = self.int_arg("kT", kT)
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", kH)
        self.dT = self.int_arg("dT", dT)
        self.dW = self.int_arg("dW", dW)
        self.dH = self.int_arg("dH", dH)
        self.padT = self.int_arg("padT", padT, minimum=0)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.dilationT = self.int_arg("dilationT", dil[0])
        self.dilationW = self.int_arg("dilationW", dil[1])
        self.dilationH = self.int_arg("dilationH", dil[2])
        self.adjT = self.int_arg("adjT", adj[0], minimum=0)
        self.adjW = self.int_arg("adjW", adj[1], minimum=0)
        self.adjH = self.int_arg("adjH", adj[2], minimum=0)
        self.bias = self.bool_arg("bias", bias)
        names = ("nInputPlane", "nOutputPlane", "kT", "kW", "kH", "dT", "dW", "dH", "padT",
                 "padW", "padH", "dilationT", "dilationW", "dilationH", "adjT", "adjW", "adjH")
        for name in names:
            v = getattr(self, name)
            if v > _INT_MAX:
                self.fail(f"argument {name}={v} exceeds the BLAS int limit {_INT_MAX}")
        for a, d in (("adjT", "dT"), ("adjW", "dW"), ("adjH", "dH")):
            if getattr(self, a) >= getattr(self, d):
                self.fail(f"argument {a}={getattr(self, a)} must be smaller than "
                          f"{d}={getattr(self, d)}")
        # the columns' row count (the volume side's planes times the taps, + bias)
        cv = self.nOutputPlane if self.transposed else self.nInputPlane
        if cv * self.kT * self.kH * self.kW + 1 > _INT_MAX:
            self.fail(f"{'nOutputPlane' if self.transposed else 'nInputPlane'}*kT*kH*kW = "
                      f"{cv * self.kT * self.kH * self.kW} exceeds the BLAS int limit "
                      f"{_INT_MAX}")
        self.params = ("weight", "bias") if self.bias else ("weight",)

    # -- shapes -----------------------------------------------------------
    @property
    def _k(self):
        return (self.kT, self.kH, self.kW)

    @property
    def _d(self):
        return (self.dT, self.dH, self.dW)

    @property
    def _pad(self):
        return (self.padT, self.padH, self.padW)

    @property
    def _dil(self):
        return (self.dilationT, self.dilationH, self.dilationW)

    def param_shapes(self):
        a, b = ((self.nInputPlane, self.nOutputPlane) if self.transposed
                else (self.nOutputPlane, self.nInputPlane))
        shapes = {"weight": (a, b, self.kT, self.kH, self.kW)}
        if self.bias:
            shapes["bias"] = (self.nOutputPlane,)
        return shapes

    def init_stdv(self):
        return 1.0 / math.sqrt(self.kT * self.kW * self.kH * self.nInputPlane)

    def _what(self):
        s = (f"kernel (kT, kH, kW) = {self._k}, stride (dT, dH, dW) = {self._d}, "
             f"padding (padT, padH, padW) = {self._pad}")
        if self._dil != (1, 1, 1):
            s += f", dilation (dilationT, dilationH, dilationW) = {self._dil}"
        return s

    def _input_sizes(self, x):
        batch, n, c, t, h, w = check_volumetric_input(self, x)
        if c != self.nInputPlane:
            self.fail(f"'input' has shape {tuple(x.shape)}: the channel dimension must be "
                      f"nInputPlane={self.nInputPlane}")
        return batch, n, (t, h, w)

    def _out_sizes(self, x, size, adj):
        if self.transposed:
            out = tuple((i - 1) * d - 2 * p + k + a
                        for i, d, p, k, a in zip(size, self._d, self._pad, self._k, adj))
        else:
            out = tuple(conv_out_size(i, k, d, p, e)
                        for i, k, d, p, e in zip(size, self._k, self._d, self._pad, self._dil))
        if min(out) < 1:
            self.fail(f"'input' of shape {tuple(x.shape)} is too small for {self._what()}: "
                      f"computed output size (time, height, width) = {out}, must be >= 1")
        return out

    def _check_sizes(self, x, vol, grid):
        # the kernel's leading dimensions reach gT*gH*gW and (gT + (kT-1) dilT)*gH*gW
        gT, gH, gW = grid
        span = max(gT + (self.kT - 1) * self.dilationT, 1) * gH * gW
        if max(span, vol[0] * vol[1] * vol[2]) > _INT_MAX:
            self.fail(f"'input' of shape {tuple(x.shape)} gives volumes of more than the "
                      f"BLAS int limit {_INT_MAX} elements")

    def check(self, d):
        x = d["input"]
        adj = (self.adjT, self.adjH, self.adjW)
        tshape = None
        if type(x) is list:
            # only the full convolution takes a table (table_input = None there):
            # Torch7's {input, target}, adj from the target's size
            if len(x) != 2:
                self.fail(f"'input' as a table must be [input, target], got {len(x)} arrays")
            x, tgt = x
            if tgt.ndim < 3:
                self.fail(f"'input[1]' (the target) has shape {tuple(tgt.shape)}: it must "
                          f"have >= 3 dimensions (its last three are T, H, W)")
            tshape = tuple(tgt.shape)
            adj = tuple((s + 2 * p - k) % st for s, p, k, st
                        in zip(tshape[-3:], self._pad, self._k, self._d))
        batch, n, size = self._input_sizes(x)
        out = self._out_sizes(x, size, adj)
        vol, grid = (out, size) if self.transposed else (size, out)
        self._check_sizes(x, vol, grid)
        why = f"for {self!r}"
        self.check_shape("weight", d["weight"], self.param_shapes()["weight"], why)
        if self.bias:
            self.check_shape("bias", d["bias"], (self.nOutputPlane,), why)
        return batch, n, size, out, tshape

    def output_shape(self, info):
        batch, n, size, out = info[:4]
        shp = (self.nOutputPlane,) + tuple(out)
        return (n,) + shp if batch else shp

    # -- generic array-API math -------------------------------------------
    def _cols(self, xp, vol5, grid):
        """vol2col: ``(N, Cv*kT*kH*kW, L)`` columns of a ``(N, Cv, T, H, W)`` volume."""
        n, cv = vol5.shape[0], vol5.shape[1]
        vpad = pad3d(xp, vol5, *self._pad)
        cols = xp.stack(taps3d(vpad, self._k, self._d, grid, self._dil), axis=2)
        kk = self.kT * self.kH * self.kW
        return xp.reshape(cols, (n, cv * kk, grid[0] * grid[1] * grid[2]))

    def _fold(self, xp, gcols, cv, vol, grid):
        """col2vol: ``(N, Cv*kT*kH*kW, L)`` columns summed onto ``(N, Cv) + vol``."""
        n = gcols.shape[0]
        kT, kH, kW = self._k
        g = xp.reshape(gcols, (n, cv, kT * kH * kW) + tuple(grid))
        gtaps = [g[:, :, i, ...] for i in range(kT * kH * kW)]
        return scatter_taps3d(xp, gtaps, self._k, self._d, self._pad, vol, self._dil)

    def _w2(self, xp, w):
        return xp.reshape(w, (w.shape[0], math.prod(w.shape[1:])))

    def forward(self, xp, d, info):
        batch, n, size, out = info[:4]
        x = d["input"]
        x = x[0] if type(x) is list else x
        x5 = x if batch else x[None, ...]
        n = x5.shape[0]
        w2 = self._w2(xp, d["weight"])
        if self.transposed:
            # y = col2vol(W^T x): W (Cin, Cout*k)
            x3 = xp.reshape(x5, (n, self.nInputPlane, math.prod(size)))
            y = self._fold(xp, xp.matmul(xp.matrix_transpose(w2), x3), self.nOutputPlane,
                           out, size)
            if self.bias:
                y = y + d["bias"][:, None, None, None]
        else:
            y = xp.matmul(w2, self._cols(xp, x5, out))            # (N, O, L)
            if self.bias:
                y = y + d["bias"][:, None]
            y = xp.reshape(y, (n, self.nOutputPlane) + tuple(out))
        return y if batch else y[0, ...]

    def backward(self, xp, d, info):
        batch, n, size, out = info[:4]
        x, go = d["input"], d["gradOutput"]
        x = x[0] if type(x) is list else x
        x5 = x if batch else x[None, ...]
        go5 = go if batch else go[None, ...]
        n = x5.shape[0]
        w2 = self._w2(xp, d["weight"])
        cin, cout = self.nInputPlane, self.nOutputPlane
        if self.transposed:
            cols = self._cols(xp, go5, size)                      # (N, Cout*k, Lx)
            gi = xp.reshape(xp.matmul(w2, cols), (n, cin) + tuple(size))
            lx = math.prod(size)
            x3 = xp.reshape(xp.permute_dims(xp.reshape(x5, (n, cin, lx)), (1, 0, 2)),
                            (cin, n * lx))
            cols2 = xp.reshape(xp.permute_dims(cols, (1, 0, 2)), (cols.shape[1], n * lx))
            gw = xp.matmul(x3, xp.matrix_transpose(cols2))
        else:
            lo = math.prod(out)
            go3 = xp.reshape(go5, (n, cout, lo))
            gi = self._fold(xp, xp.matmul(xp.matrix_transpose(w2), go3), cin, size, out)
            cols = self._cols(xp, x5, out)
            cols2 = xp.reshape(xp.permute_dims(cols, (1, 0, 2)), (cols.shape[1], n * lo))
            go2 = xp.reshape(xp.permute_dims(go3, (1, 0, 2)), (cout, n * lo))
            gw = xp.matmul(go2, xp.matrix_transpose(cols2))
        gi = gi if batch else gi[0, ...]
        tshape = info[4]
        if tshape is not None:
            # the target only sets the output size: its gradient is zero
            gi = [gi, xp.zeros(tshape, dtype=gi.dtype, device=_device(gi))]
        res = {"gradInput": gi, "gradWeight": xp.reshape(gw, tuple(d["weight"].shape))}
        if self.bias:
            res["gradBias"] = xp.sum(go5, axis=(0, 2, 3, 4))
        return res

    # -- compiled path ----------------------------------------------------
    def _geometry(self, info):
        batch, n, size, out = info[:4]
        if self.transposed:
            vol, grid, cv, m = out, size, self.nOutputPlane, self.nInputPlane
        else:
            vol, grid, cv, m = size, out, self.nInputPlane, self.nOutputPlane
        return ((n, cv) + tuple(vol) + (m,) + tuple(grid) + self._k + self._d + self._pad
                + self._dil)

    def forward_cpu(self, k, d, info, y):
        x = d["input"]
        x = x[0] if type(x) is list else x
        k.forward(x, d["weight"], d["bias"] if self.bias else None, y, self.transposed,
                  *self._geometry(info))

    def backward_cpu(self, k, d, info, out):
        x, gi = d["input"], out["gradInput"]
        if type(x) is list:
            x, (gi, gt) = x[0], gi
            gt[...] = 0
        k.backward(x, d["weight"], d["gradOutput"], gi, out["gradWeight"],
                   out["gradBias"] if self.bias else None, self.transposed,
                   *self._geometry(info))
