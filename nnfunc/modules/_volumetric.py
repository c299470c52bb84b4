"""Shared pieces of the volumetric (3-D) pooling modules.

The input check for ``(C, T, H, W)`` / ``(N, C, T, H, W)`` volumes, and the
array-API building blocks of the generic references, made from the 2-D ones
of :mod:`._spatial`: :func:`pad3d` (constant padding of the last three axes),
:func:`taps3d` (per kernel tap ``(kt, ky, kx)``, the strided view of the
padded input that the tap sees at every output position) and
:func:`scatter_taps3d` (its adjoint, cropped to the input). The time axis is
handled by viewing ``(..., T, H, W)`` as ``(..., T, H*W)`` and reusing the
2-D helpers on it. Nothing writes in place or branches on array values.
"""

from ._spatial import _INT_MAX, _spread, pad2d, pool_out_size, scatter_taps, taps


def check_volumetric_input(m, x):
    """Input ``(C, T, H, W)`` or ``(N, C, T, H, W)`` with ``T, H, W >= 1``.

    Returns ``(batch, N, C, T, H, W)`` (``N = 1`` for a single volume).
    """
    nd = m.check_ndim("input", x, (4, 5))
    shp = tuple(x.shape)
    if nd == 4:
        n, (c, t, h, w) = 1, shp
    else:
        n, c, t, h, w = shp
    if t < 1 or h < 1 or w < 1:
        m.fail(f"'input' has shape {shp}: time, height and width must be >= 1")
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
