"""Shared pieces of the spatial (2-D) modules: shape rules and array-API helpers.

Output-size rules (convolution, pooling with Torch7/PyTorch ceil mode) and
the input check live here once; so do the generic building blocks that the
array-API references of convolution and pooling are made of:

- :func:`pad2d` pads the last two axes with a constant (no ``xp.pad`` in the
  array API standard: built from ``concat``);
- :func:`taps` gives, for each kernel tap ``(ky, kx)``, the strided view of a
  padded input that the tap sees at every output position (the im2col
  columns, one tap at a time);
- :func:`scatter_taps` is its adjoint (col2im): each tap's per-output values
  are spread back onto the padded input grid by zero interleaving and
  padding, summed over taps, then cropped to the input.

None of them writes in place or branches on array values, so they run on
every array-API namespace (``array_api_strict`` included).
"""

_INT_MAX = 2**31 - 1


def _device(a):
    from array_api_compat import device
    return device(a)


def conv_out_size(n, k, d, pad, dil=1):
    """``floor((n + 2 pad - dil (k - 1) - 1) / d) + 1`` (may be < 1: caller checks)."""
    return (n + 2 * pad - dil * (k - 1) - 1) // d + 1


def pool_out_size(n, k, d, pad, ceil_mode, dil=1):
    """Pooling output size; ceil mode follows PyTorch's rule.

    ``ceil((n + 2 pad - dil (k - 1) - 1) / d) + 1``, minus one when that last
    window would start at or past ``n + pad`` (entirely in the right padding).
    PyTorch applies the drop always; Torch7 only when some padding is
    non-zero.
    """
    span = n + 2 * pad - dil * (k - 1) - 1
    if not ceil_mode:
        return span // d + 1
    o = -(-span // d) + 1
    if (o - 1) * d >= n + pad:
        o -= 1
    return o


def check_spatial_input(m, x):
    """Input ``(C, H, W)`` or ``(N, C, H, W)`` with ``H, W >= 1``.

    Returns ``(batch, N, C, H, W)`` (``N = 1`` for a single image).
    """
    nd = m.check_ndim("input", x, (3, 4))
    shp = tuple(x.shape)
    if nd == 3:
        n, (c, h, w) = 1, shp
    else:
        n, c, h, w = shp
    if h < 1 or w < 1:
        m.fail(f"'input' has shape {shp}: height and width must be >= 1")
    return nd == 4, n, c, h, w


def check_output_size(m, x, oh, ow, what):
    if oh < 1 or ow < 1:
        m.fail(f"'input' of shape {tuple(x.shape)} is too small for {what}: "
               f"computed output size (height, width) = ({oh}, {ow}), must be >= 1")


def pad2d(xp, x, top, bottom, left, right, value=0.0):
    """``x`` with its last two axes padded by constant ``value``."""
    if top == bottom == left == right == 0:
        return x
    dev = _device(x)
    lead = tuple(x.shape[:-2])
    h, w = x.shape[-2], x.shape[-1]
    parts = []
    if left:
        parts.append(xp.full(lead + (h, left), value, dtype=x.dtype, device=dev))
    parts.append(x)
    if right:
        parts.append(xp.full(lead + (h, right), value, dtype=x.dtype, device=dev))
    if len(parts) > 1:
        x = xp.concat(parts, axis=-1)
    w = w + left + right
    parts = []
    if top:
        parts.append(xp.full(lead + (top, w), value, dtype=x.dtype, device=dev))
    parts.append(x)
    if bottom:
        parts.append(xp.full(lead + (bottom, w), value, dtype=x.dtype, device=dev))
    if len(parts) > 1:
        x = xp.concat(parts, axis=-2)
    return x


def taps(xpad, kH, kW, dH, dW, oH, oW, dilH=1, dilW=1):
    """``[xpad[..., ky*dilH + oy*dH, kx*dilW + ox*dW] over (oy, ox)]`` for each tap.

    Row-major over ``(ky, kx)`` (the order of a Torch7 weight's last two
    axes). ``xpad`` must be large enough for every window.
    """
    out = []
    for ky in range(kH):
        y0 = ky * dilH
        for kx in range(kW):
            x0 = kx * dilW
            out.append(xpad[..., y0:y0 + (oH - 1) * dH + 1:dH, x0:x0 + (oW - 1) * dW + 1:dW])
    return out


def _spread(xp, g, axis, offset, step, length):
    """Along ``axis`` (-1 or -2): put ``g[i]`` at ``offset + i*step`` of a zero
    array of size ``length`` (which must hold every position)."""
    dev = _device(g)
    shp = tuple(g.shape)
    n = shp[axis]
    if step > 1:
        z = xp.zeros(shp, dtype=g.dtype, device=dev)
        # (..., n, step) along the axis, then merged: g[i] lands at i*step
        g = xp.stack([g] + [z] * (step - 1), axis=axis)
        shp = list(shp)
        shp[axis] = n * step
        g = xp.reshape(g, tuple(shp))
    size = g.shape[axis]
    tail = length - offset - size
    pads = (offset, tail)
    if tail < 0:
        # the zero rows interleaved after the last element may overhang
        g = g[..., :length - offset, :] if axis == -2 else g[..., :length - offset]
        pads = (offset, 0)
    if axis == -2:
        return pad2d(xp, g, pads[0], pads[1], 0, 0)
    return pad2d(xp, g, 0, 0, pads[0], pads[1])


def scatter_taps(xp, gtaps, kH, kW, dH, dW, padH, padW, H, W, dilH=1, dilW=1):
    """Adjoint of :func:`taps` followed by cropping the padding (col2im).

    ``gtaps[ky*kW + kx]`` has shape ``(..., oH, oW)``; the result has shape
    ``(..., H, W)``: ``sum over taps and outputs of g at input position
    (oy*dH + ky*dilH - padH, ox*dW + kx*dilW - padW)``, positions in the
    padding dropped.
    """
    oH, oW = gtaps[0].shape[-2], gtaps[0].shape[-1]
    LH = max((kH - 1) * dilH + oH * dH, padH + H)
    LW = max((kW - 1) * dilW + oW * dW, padW + W)
    total = None
    for ky in range(kH):
        row = None
        for kx in range(kW):
            g = _spread(xp, gtaps[ky * kW + kx], -1, kx * dilW, dW, LW)
            row = g if row is None else row + g
        g = _spread(xp, row, -2, ky * dilH, dH, LH)
        total = g if total is None else total + g
    return total[..., padH:padH + H, padW:padW + W]


def check_pool_windows(m, x, n, k, d, pad, dil, o, axis):
    """Fail unless every one of the ``o`` pooling windows along an axis of
    size ``n`` has a tap inside the input.

    Window ``i`` has taps ``i d - pad + t dil`` for ``0 <= t < k``. With
    ``pad <= k // 2`` a window that starts inside the input (every window,
    given :func:`pool_out_size`'s rule, starts before ``n``) is fine; a
    window starting in the left padding can step over a short input when
    ``dil > 1`` (e.g. ``n = 2, k = 2, pad = 1, dil = 3``: taps -1 and 2).
    """
    for i in range(o):
        s = i * d - pad
        if s >= 0:
            break
        t = -(s // dil)          # the first tap at or past 0: ceil(-s / dil)
        if t >= k or s + t * dil >= n:
            m.fail(f"'input' of shape {tuple(x.shape)}: pooling window {i} along {axis} "
                   f"(taps {s} to {s + (k - 1) * dil} in steps of {dil}) holds no input "
                   f"element (size {n}); use less padding or dilation")


def adaptive_bins(n, o):
    """``[(start, end)]`` of the ``o`` adaptive pooling bins over ``n``
    elements: ``[floor(i n / o), ceil((i + 1) n / o))``, exact integers."""
    return [((i * n) // o, -(-((i + 1) * n) // o)) for i in range(o)]
