"""Shared pieces of the volumetric (3-D) modules: convolutions and poolings.

- :func:`check_volumetric_input`: ``(C, T, H, W)`` / ``(N, C, T, H, W)``;
- the array-API building blocks of the generic references, made from the
  2-D ones of :mod:`._spatial`: :func:`pad3d` (constant padding of the last
  three axes), :func:`taps3d` (per kernel tap ``(kt, ky, kx)``, the strided
  view of the padded volume that the tap sees at every grid position: the
  vol2col columns, one tap at a time) and :func:`scatter_taps3d` (its
  adjoint, col2vol, cropped to the volume). The time axis is handled by
  viewing ``(..., T, H, W)`` as ``(..., T, H*W)`` and reusing the 2-D
  helpers on it. Nothing writes in place or branches on array values;
- :class:`_VolumetricConv`, the one base of the plain, dilated and full
  (transposed) convolutions. The two directions share one geometry: a
  "volume" (the convolution's input, the full convolution's output) and a
  "grid" of positions (the other side), linked by ``volume index = grid
  index * stride - pad + tap * dilation`` per axis, and a weight
  ``(M, Cv, kT, kH, kW)`` (``M`` = the grid side's planes). The compiled
  kernel (``nnfunc/_cpu/volumetric_convolution.pyx``) uses the same geometry.
"""

import math

from .._core.module import Module
from ._spatial import (_INT_MAX, _spread, conv_out_size, pad2d, pool_out_size,
                       scatter_taps, taps)


def check_volumetric_input(m, x, key="input"):
    """Input ``(C, T, H, W)`` or ``(N, C, T, H, W)`` with ``T, H, W >= 1``.

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


def pool_sizes3d(m, x, t, h, w, k, d, pad, dil, ceil_mode):
    """Output ``(oT, oH, oW)`` of a pooling with per-axis ``(T, H, W)`` tuples
    ``k``, ``d``, ``pad``, ``dil``; fails naming ``input`` when one is < 1."""
    o = tuple(pool_out_size(n, k[i], d[i], pad[i], ceil_mode, dil[i])
              for i, n in enumerate((t, h, w)))
    if min(o) < 1:
        what = (f"kernel (kT, kH, kW) = {k}, stride (dT, dH, dW) = {d}, "
                f"padding (padT, padH, padW) = {pad}")
        if dil != (1, 1, 1):
            what += f", dilation (dilationT, dilationH, dilationW) = {dil}"
        m.fail(f"'input' of shape {tuple(x.shape)} is too small for {what}: computed "
               f"output size (time, height, width) = {o}, must be >= 1")
    return o


def check_pool_args(m, names, dilations=False):
    """Shared constructor checks: sizes below C int, pad <= k // 2, and at
    most 2**24 taps per window (the kernels number taps in the float type)."""
    for name in names:
        if getattr(m, name) > _INT_MAX:
            m.fail(f"argument {name}={getattr(m, name)} is too large")
    for p, k in (("padT", "kT"), ("padW", "kW"), ("padH", "kH")):
        if getattr(m, p) > getattr(m, k) // 2:
            m.fail(f"argument {p}={getattr(m, p)} must be <= {k}//2 = "
                   f"{getattr(m, k) // 2} (padding at most half the kernel size)")
    if m.kT * m.kH * m.kW > 2**24:
        m.fail(f"kernel kT*kH*kW = {m.kT * m.kH * m.kW} exceeds 2**24 elements")


def _along_t(xp, x, fn):
    """Apply ``fn`` to ``x`` of shape ``(..., T, H, W)`` viewed as
    ``(..., T, H*W)``; ``fn`` may change the T axis length only."""
    lead = tuple(x.shape[:-3])
    h, w = x.shape[-2], x.shape[-1]
    y = fn(xp.reshape(x, lead + (x.shape[-3], h * w)))
    return xp.reshape(y, lead + (y.shape[-2], h, w))


def pad3d(xp, x, pads, value=0.0):
    """``x`` with its last three axes padded by ``value``; ``pads`` =
    ``(front, back, top, bottom, left, right)``."""
    f, b, top, bottom, left, right = pads
    x = pad2d(xp, x, top, bottom, left, right, value)
    if f or b:
        x = _along_t(xp, x, lambda v: pad2d(xp, v, f, b, 0, 0, value))
    return x


def taps3d(xpad, k, d, o, dil):
    """``xpad[..., kt*dilT + ot*dT, ky*dilH + oy*dH, kx*dilW + ox*dW]`` over
    the outputs, for each tap in ``(kt, ky, kx)`` row-major order."""
    (kT, kH, kW), (dT, dH, dW), (oT, oH, oW), (lT, lH, lW) = k, d, o, dil
    out = []
    for kt in range(kT):
        t0 = kt * lT
        frames = xpad[..., t0:t0 + (oT - 1) * dT + 1:dT, :, :]
        out.extend(taps(frames, kH, kW, dH, dW, oH, oW, lH, lW))
    return out


def scatter_taps3d(xp, gtaps, k, d, pad, size, dil):
    """Adjoint of :func:`taps3d` followed by cropping the padding: each tap's
    per-output values summed back onto the input positions they came from
    (positions in the padding dropped); result ``(..., T, H, W)``."""
    (kT, kH, kW), (dT, dH, dW), (pT, pH, pW), (T, H, W), (lT, lH, lW) = k, d, pad, size, dil
    oT = gtaps[0].shape[-3]
    LT = max((kT - 1) * lT + oT * dT, pT + T)
    n2 = kH * kW
    total = None
    for kt in range(kT):
        g = scatter_taps(xp, gtaps[kt * n2:(kt + 1) * n2], kH, kW, dH, dW, pH, pW, H, W,
                         lH, lW)
        g = _along_t(xp, g, lambda v, kt=kt: _spread(xp, v, -2, kt * lT, dT, LT))
        total = g if total is None else total + g
    return total[..., pT:pT + T, :, :]


class Volumetric(Module):
    """Base of the volumetric modules: ``(T, H, W)`` triples of the Torch7
    fields ``kT, kH, kW`` (``_k``), ``dT...`` (``_d``), ``padT...``
    (``_pad``) and ``dilationT...`` (``_dil``; ``(1, 1, 1)`` for a module
    without dilation)."""

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
        return (getattr(self, "dilationT", 1), getattr(self, "dilationH", 1),
                getattr(self, "dilationW", 1))


class _VolumetricConv(Volumetric):
    """Shared base of the volumetric convolutions (see the module docstring).

    Subclasses set ``transposed`` and call :meth:`_init_conv`.
    """

    backends = ("cpu", "gpu")
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
        pT, pH, pW = self._pad
        vpad = pad3d(xp, vol5, (pT, pT, pH, pH, pW, pW))
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
            gi = [gi, xp.zeros_like(d["input"][1], dtype=gi.dtype)]
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

    # -- CuPy path: unfold.cu's vol2col / col2vol and cuBLAS GEMMs, the same
    # geometry (the table form [x, target] runs the generic code) -------------
    def forward_gpu(self, g, d, info, y):
        g.vol_conv_forward(d["input"], d["weight"], d["bias"] if self.bias else None, y,
                           self.transposed, *self._geometry(info))

    def backward_gpu(self, g, d, info, out):
        g.vol_conv_backward(d["input"], d["weight"], d["gradOutput"], out["gradInput"],
                            out["gradWeight"], out["gradBias"] if self.bias else None,
                            self.transposed, *self._geometry(info))
