"""The GPU backend: CuPy input, CUDA kernels of ``kernels/*.cu``, cuBLAS GEMMs.

A module with ``"gpu"`` in ``backends`` runs its ``forward_gpu(g, d, info,
y)`` / ``backward_gpu(g, d, info, out)`` for ``cupy.ndarray`` input, ``g``
being this package: the functions below, which launch the kernels (compiled
once per process by :mod:`nnfunc._gpu._loader`) on CuPy's current stream
and the GEMMs through ``cupy.matmul`` (cuBLAS) into preallocated,
C-contiguous result arrays. Every other module runs its generic array-API
code on CuPy arrays. float32, float64 and float16 (computed and summed in
float32) are supported.

Importing this package does not import CuPy; the first kernel request does.
"""

from ._loader import (BLOCK, PW_CRITERION_OPS, f64, i32, i64, kernel, launch, launch_blocks,
                      sm_count)

def _cp():
    import cupy
    return cupy


def _b(flag):
    return "true" if flag else "false"


def _scale(go, dummy):
    """(coef, device pointer, use) of a criterion's gradOutput (number or 0-d array)."""
    if hasattr(go, "shape"):
        return 1.0, go, 1
    return float(go), dummy, 0


# ---------------------------------------------------------------- pointwise
def pointwise(op, x, y, a=0.0, b=0.0):
    k = kernel("pointwise", f"nnf_{op}_fwd<{{T}}>", x.dtype)
    launch(k, x.size, (x, y, i64(x.size), f64(a), f64(b)))


def pointwise_grad(op, x, g, gi, a=0.0, b=0.0):
    k = kernel("pointwise", f"nnf_{op}_bwd<{{T}}>", x.dtype)
    launch(k, x.size, (x, g, gi, i64(x.size), f64(a), f64(b)))


# ---------------------------------------------------------------- PReLU, GLU, CReLU
def prelu_forward(x, y, w, outer, c, inner):
    k = kernel("gated", "nnf_prelu_fwd<{T}>", x.dtype)
    launch(k, x.size, (x, y, w, i64(outer), i64(c), i64(inner)))


def prelu_backward(x, go, gi, w, gw, outer, c, inner):
    k = kernel("gated", "nnf_prelu_bwd<{T}>", x.dtype)
    launch(k, x.size, (x, go, gi, w, i64(outer), i64(c), i64(inner)))
    k = kernel("gated", "nnf_prelu_wgrad<{T}>", x.dtype)
    launch_blocks(k, c, (x, go, gw, i64(outer), i64(c), i64(inner)))


def _halves(name, x, y, outer, n):
    k = kernel("gated", name, x.dtype)
    launch(k, outer * n, (x, y, i64(outer), i64(n)))


def _halves_grad(name, x, go, gi, outer, n):
    k = kernel("gated", name, x.dtype)
    launch(k, outer * n, (x, go, gi, i64(outer), i64(n)))


def glu_forward(x, y, outer, n):
    _halves("nnf_glu_fwd<{T}>", x, y, outer, n)


def glu_backward(x, go, gi, outer, n):
    _halves_grad("nnf_glu_bwd<{T}>", x, go, gi, outer, n)


def crelu_forward(x, y, outer, n):
    _halves("nnf_crelu_fwd<{T}>", x, y, outer, n)


def crelu_backward(x, go, gi, outer, n):
    _halves_grad("nnf_crelu_bwd<{T}>", x, go, gi, outer, n)


def mask_apply(x, noise, y, inner):
    """y = x * noise, one noise value per ``inner`` consecutive elements."""
    k = kernel("gated", "nnf_mask_apply<{T}>", x.dtype)
    launch(k, x.size, (x, noise, y, i64(noise.size), i64(inner)))


# ---------------------------------------------------------------- Add, Mul, CAdd, CMul
def bparam_meta(dims, bcast):
    """The device int64 array dims + p's strides (0 where broadcast) of a
    coalesced (dims, bcast) view (keep it with ``cached``)."""
    import numpy as np
    ws, run = [], 1
    for s, b in zip(reversed(dims), reversed(bcast)):
        ws.append(0 if b else run)
        if not b:
            run *= s
    return _cp().asarray(np.array(tuple(dims) + tuple(reversed(ws)), dtype=np.int64))


def bparam_forward(x, w, y, meta, nd, mul):
    k = kernel("bparam", "nnf_bparam_fwd<{T}>", x.dtype)
    launch(k, x.size, (x, w, y, i64(x.size), i32(nd), meta, i32(mul)))


def bparam_backward(x, w, go, gi, gw, meta, nd, mul):
    k = kernel("bparam", "nnf_bparam_bwd<{T}>", x.dtype)
    launch(k, x.size, (go, w, gi, i64(x.size), i32(nd), meta, i32(mul)))
    per = x.size // w.size if w.size else 0
    k = kernel("bparam", "nnf_bparam_pgrad<{T}>", x.dtype)
    launch_blocks(k, w.size, (x, go, gw, i64(w.size), i64(per), i32(nd), meta, i32(mul)),
                  block=_row_block(per))


# ---------------------------------------------------------------- reductions
def sum_forward(x, y, outer, n, inner, scale):
    """y (outer, inner) = scale * the sum of x (outer, n, inner) over n."""
    if outer * inner == 0:
        return
    if inner == 1:
        k = kernel("reduce", "nnf_sum_rows<{T}>", x.dtype)
        launch_blocks(k, outer, (x, y, i64(outer), i64(n), f64(scale)), block=_row_block(n))
    else:
        k = kernel("reduce", "nnf_sum_cols<{T}>", x.dtype)
        launch(k, outer * inner, (x, y, i64(outer), i64(n), i64(inner), f64(scale)))


def sum_backward(go, gi, outer, n, inner, scale):
    k = kernel("reduce", "nnf_sum_bwd<{T}>", gi.dtype)
    launch(k, gi.size, (go, gi, i64(outer), i64(n), i64(inner), f64(scale)))


def _arg(x, y, idx, outer, n, inner, is_max):
    b = _b(is_max)
    yy = x if y is None else y
    ii = _unused_idx(x) if idx is None else idx
    flags = (i32(y is not None), ii, i32(idx is not None))
    if inner == 1:
        k = kernel("reduce", f"nnf_arg_rows<{{T}}, {b}>", x.dtype)
        launch_blocks(k, outer, (x, yy) + flags + (i64(outer), i64(n)), block=_row_block(n))
    else:
        k = kernel("reduce", f"nnf_arg_cols<{{T}}, {b}>", x.dtype)
        launch(k, outer * inner, (x, yy) + flags + (i64(outer), i64(n), i64(inner)))


def arg_forward(x, y, outer, n, inner, is_max):
    """y (outer, inner): the max (or min) of x (outer, n, inner) over n, n >= 1."""
    if outer * inner:
        _arg(x, y, None, outer, n, inner, is_max)


def arg_backward(x, go, gi, outer, n, inner, is_max):
    cp = _cp()
    if gi.size == 0:
        return
    idx = cp.empty(outer * inner, dtype=cp.int64)
    _arg(x, None, idx, outer, n, inner, is_max)
    k = kernel("reduce", "nnf_arg_bwd<{T}>", gi.dtype)
    launch(k, gi.size, (idx, go, gi, i64(outer), i64(n), i64(inner)))


# ---------------------------------------------------------------- softmax
def _row_block(dim):
    """threads per block for a row of ``dim`` (a power of two: the arg reductions)"""
    return 32 if dim <= 64 else (128 if dim <= 1024 else 256)


def softmax(log, x, y, outer, dim, inner):
    if outer * dim * inner == 0:
        return
    if inner == 1:
        k = kernel("softmax", f"nnf_softmax_fwd_rows<{{T}}, {_b(log)}>", x.dtype)
        launch_blocks(k, outer, (x, y, i64(outer), i64(dim)), block=_row_block(dim))
    else:
        k = kernel("softmax", f"nnf_softmax_fwd_cols<{{T}}, {_b(log)}>", x.dtype)
        launch(k, outer * inner, (x, y, i64(outer), i64(dim), i64(inner)))


def softmax_grad(log, x, g, gi, outer, dim, inner):
    if outer * dim * inner == 0:
        return
    if inner == 1:
        k = kernel("softmax", f"nnf_softmax_bwd_rows<{{T}}, {_b(log)}>", x.dtype)
        launch_blocks(k, outer, (x, g, gi, i64(outer), i64(dim)), block=_row_block(dim))
    else:
        k = kernel("softmax", f"nnf_softmax_bwd_cols<{{T}}, {_b(log)}>", x.dtype)
        launch(k, outer * inner, (x, g, gi, i64(outer), i64(dim), i64(inner)))


# ---------------------------------------------------------------- bias, Linear
def add_bias(y, b, outer, channels, inner):
    k = kernel("linear", "nnf_add_bias<{T}>", y.dtype)
    launch(k, outer * channels * inner, (y, b, i64(outer), i64(channels), i64(inner)))


def bias_grad(g, gb, outer, channels, inner):
    """gb[c] = sum of g seen as (outer, channels, inner) over outer and inner."""
    if channels == 0:
        return
    if inner == 1:
        k = kernel("linear", "nnf_bias_grad_rows<{T}>", g.dtype)
        launch(k, channels, (g, gb, i64(outer), i64(channels)))
    else:
        k = kernel("linear", "nnf_bias_grad<{T}>", g.dtype)
        launch_blocks(k, channels, (g, gb, i64(outer), i64(channels), i64(inner)))


def linear_forward(x, w, b, y, n, batch):
    cp = _cp()
    if batch:
        if n:
            cp.matmul(x, w.T, out=y)
    else:
        cp.matmul(w, x, out=y)
    if b is not None and n:
        add_bias(y, b, n, w.shape[0], 1)


def linear_backward(x, w, go, gi, gw, gb, n, batch):
    cp = _cp()
    if batch:
        if n:
            cp.matmul(go, w, out=gi)
            cp.matmul(go.T, x, out=gw)
        else:
            gw.fill(0)
    else:
        cp.matmul(go, w, out=gi)
        cp.multiply(go[:, None], x[None, :], out=gw)
    if gb is not None:
        if n:
            bias_grad(go, gb, n, w.shape[0], 1)
        else:
            gb.fill(0)


# ---------------------------------------------------------------- criterions
def _sum_blocks(n):
    return max(1, min((n + BLOCK - 1) // BLOCK, sm_count() * 4))


def mse_forward(x, t, y, norm):
    cp = _cp()
    n = x.size
    blocks = _sum_blocks(n)
    part = cp.empty(blocks, dtype=cp.float64)
    k = kernel("criterion", "nnf_mse_partial<{T}>", x.dtype)
    k((blocks,), (BLOCK,), (x, t, i64(n), part))
    fin = kernel("criterion", "nnf_finish_sum<{T}>", x.dtype)
    fin((1,), (BLOCK,), (part, i64(blocks), f64(norm), y))


def mse_backward(x, t, gi, coef, go):
    c, gs, use = _scale(go, gi)
    k = kernel("criterion", "nnf_mse_bwd<{T}>", x.dtype)
    launch(k, x.size, (x, t, gi, i64(x.size), f64(coef * c), gs, i32(use)))


def pw_criterion_forward(op, x, t, w, y, cols, margin, norm):
    """y = norm * sum_i w[i % cols] f_op(x_i, t_i) (t None: L1Cost; w None: 1)."""
    cp = _cp()
    o = PW_CRITERION_OPS.index(op)
    n = x.size
    blocks = _sum_blocks(n)
    part = cp.empty(blocks, dtype=cp.float64)
    k = kernel("criterion", f"nnf_pwc_partial<{{T}}, {o}>", x.dtype)
    k((blocks,), (BLOCK,), (x, x if t is None else t, x if w is None else w,
                            i32(w is not None), i64(n), i64(max(cols, 1)), f64(margin), part))
    fin = kernel("criterion", "nnf_finish_sum<{T}>", x.dtype)
    fin((1,), (BLOCK,), (part, i64(blocks), f64(norm), y))


def pw_criterion_backward(op, x, t, w, gi, cols, margin, norm, go):
    """gi = norm * gradOutput * w f'_op(x, t)."""
    o = PW_CRITERION_OPS.index(op)
    c, gs, use = _scale(go, gi)
    k = kernel("criterion", f"nnf_pwc_bwd<{{T}}, {o}>", x.dtype)
    launch(k, x.size, (x, x if t is None else t, x if w is None else w, i32(w is not None),
                       i64(x.size), i64(max(cols, 1)), f64(margin), f64(norm * c), gs,
                       i32(use), gi))


_CACHE_SIZE = 16


def int64_target(d):
    """The dict's target as a C-contiguous int64 CuPy array (values checked)."""
    t = d["target"]
    if t.dtype != "int64" or not t.flags.c_contiguous:
        t = _cp().ascontiguousarray(t, dtype=_cp().int64)
    return t


def _finish(rows_sum, nparts, norm, y):
    fin = kernel("criterion", "nnf_finish_sum<{T}>", y.dtype)
    fin((1,), (BLOCK,), (rows_sum, i64(nparts), f64(norm), y))


def multi_margin_forward(x, t, w, y, n, nc, p, margin, norm):
    cp = _cp()
    rl = cp.zeros(max(n, 1), dtype=cp.float64)
    if n * nc:
        k = kernel("margin", "nnf_mm_rows<{T}>", x.dtype)
        launch_blocks(k, n, (x, t, x if w is None else w, i32(w is not None), i64(n), i64(nc),
                             i32(p), f64(margin), rl), block=_row_block(nc))
    _finish(rl, max(n, 1), norm, y)


def multi_margin_backward(x, t, w, gi, n, nc, p, margin, norm, go):
    if n * nc == 0:
        return
    c, gs, use = _scale(go, gi)
    k = kernel("margin", "nnf_mm_bwd<{T}>", x.dtype)
    launch_blocks(k, n, (x, t, x if w is None else w, i32(w is not None), i64(n), i64(nc),
                         i32(p), f64(margin), f64(norm * c), gs, i32(use), gi),
                  block=_row_block(nc))


def _ml_flags(t, n, nc, like):
    cp = _cp()
    flag = cp.empty(n * nc, dtype=cp.uint8)
    k = kernel("margin", "nnf_ml_flags<{T}>", like.dtype)
    launch_blocks(k, n, (t, flag, i64(n), i64(nc)), block=_row_block(nc))
    return flag


def multilabel_margin_forward(x, t, y, n, nc, norm):
    cp = _cp()
    rl = cp.zeros(max(n, 1), dtype=cp.float64)
    if n * nc:
        flag = _ml_flags(t, n, nc, x)
        k = kernel("margin", "nnf_ml_rows<{T}>", x.dtype)
        launch_blocks(k, n, (x, t, flag, i64(n), i64(nc), rl), block=_row_block(nc))
    _finish(rl, max(n, 1), norm, y)


def multilabel_margin_backward(x, t, gi, n, nc, norm, go):
    cp = _cp()
    if n * nc == 0:
        return
    flag = _ml_flags(t, n, nc, x)
    act = cp.empty(n * nc, dtype=cp.float64)
    c, gs, use = _scale(go, gi)
    k = kernel("margin", "nnf_ml_bwd<{T}>", x.dtype)
    launch_blocks(k, n, (x, t, flag, act, i64(n), i64(nc), f64(norm * c), gs, i32(use), gi),
                  block=_row_block(nc))


def margin_ranking_forward(x1, x2, t, y, margin, norm):
    cp = _cp()
    n = x1.size
    blocks = _sum_blocks(n)
    part = cp.zeros(blocks, dtype=cp.float64)
    if n:
        k = kernel("margin", "nnf_mr_partial<{T}>", x1.dtype)
        k((blocks,), (BLOCK,), (x1, x2, t, i64(n), f64(margin), part))
    _finish(part, blocks, norm, y)


def margin_ranking_backward(x1, x2, t, g1, g2, margin, norm, go):
    c, gs, use = _scale(go, g1)
    k = kernel("margin", "nnf_mr_bwd<{T}>", x1.dtype)
    launch(k, x1.size, (x1, x2, t, g1, g2, i64(x1.size), f64(margin), f64(norm * c), gs,
                        i32(use)))


def bilinear_forward(x1, x2, w, b, y):
    """Bilinear: y[n, o] = x1[n] W[o] x2[n] (+ b[o]), cuBLAS GEMMs only:
    T = x1 W' (W' = W as (I1, O I2)), then a batched product with x2."""
    cp = _cp()
    n, i1 = x1.shape
    o, _, i2 = w.shape
    if n == 0:
        return
    wt = cp.ascontiguousarray(w.transpose(1, 0, 2)).reshape(i1, o * i2)
    t = cp.matmul(x1, wt).reshape(n, o, i2)
    cp.matmul(t, x2.reshape(n, i2, 1), out=y.reshape(n, o, 1))
    if b is not None:
        add_bias(y, b, n, o, 1)


def bilinear_backward(x1, x2, w, go, g1, g2, gw, gb):
    cp = _cp()
    n, i1 = x1.shape
    o, _, i2 = w.shape
    if n == 0:
        gw.fill(0)
        if gb is not None:
            gb.fill(0)
        return
    go3 = go.reshape(n, 1, o)
    # g1[n, i] = sum_o go[n, o] sum_k W[o, i, k] x2[n, k]
    v = cp.matmul(x2, w.reshape(o * i1, i2).T).reshape(n, o, i1)
    cp.matmul(go3, v, out=g1.reshape(n, 1, i1))
    # g2[n, k] = sum_o go[n, o] sum_i x1[n, i] W[o, i, k]
    wt = cp.ascontiguousarray(w.transpose(1, 0, 2)).reshape(i1, o * i2)
    t = cp.matmul(x1, wt).reshape(n, o, i2)
    cp.matmul(go3, t, out=g2.reshape(n, 1, i2))
    # gW[o, i, k] = sum_n go[n, o] x1[n, i] x2[n, k]
    outer = (x1[:, :, None] * x2[:, None, :]).reshape(n, i1 * i2)
    cp.matmul(go.T, outer, out=gw.reshape(o, i1 * i2))
    if gb is not None:
        bias_grad(go, gb, n, o, 1)


def cached(owner, key, make):
    """``make()``, kept on the module instance ``owner`` under ``key`` (with the
    current device): device copies of a module's constants and of index maps
    that depend only on the module and the input sizes. Modules are
    immutable, so an entry never goes stale; at most 16 are kept per module
    (the oldest dropped)."""
    ck = (key, _cp().cuda.runtime.getDevice())
    cache = owner.__dict__.get("_gpu_cache")
    if cache is None:
        cache = owner.__dict__.setdefault("_gpu_cache", {})
    v = cache.get(ck)
    if v is None:
        v = make()
        if len(cache) >= _CACHE_SIZE:
            del cache[next(iter(cache))]
        cache[ck] = v
    return v


def const_array(owner, key, host, dtype, like):
    """A module's constant NumPy array ``host`` (e.g. class weights) as a CuPy
    array of ``dtype`` on the current device, copied once (see :func:`cached`)."""
    return cached(owner, (key, dtype), lambda: _cp().asarray(host.astype(dtype)))


def _nll_total(x, t, w, y, rows, nc, inner, ignore_index, size_average):
    """The loss into y (unless None: then x is not read) and the weight total
    (a 1-element float64 device array) of (Spatial)ClassNLL."""
    cp = _cp()
    blocks = _sum_blocks(rows)
    part = cp.empty(2 * blocks, dtype=cp.float64)
    total = cp.empty(1, dtype=cp.float64)
    k = kernel("criterion", "nnf_nll_partial<{T}>", x.dtype)
    k((blocks,), (BLOCK,), (x, t, x if w is None else w, i32(w is not None), i64(rows),
                            i64(nc), i64(inner), i64(ignore_index), i32(y is not None), part))
    fin = kernel("criterion", "nnf_nll_finish<{T}>", x.dtype)
    fin((1,), (BLOCK,), (part, i64(blocks), i32(size_average), x if y is None else y,
                         i32(y is not None), total))
    return total


def nll_forward(x, t, w, y, n, nc, ignore_index, size_average, inner=1):
    """ClassNLL (inner = 1) or SpatialClassNLL (inner pixels) of x (N, C, inner)."""
    _nll_total(x, t, w, y, n * inner, nc, inner, ignore_index, size_average)


def nll_backward(t, w, gi, n, nc, ignore_index, size_average, go, inner=1):
    rows = n * inner
    # the weight total (unread without size_average: any float64 array will do)
    total = _nll_total(gi, t, w, None, rows, nc, inner, ignore_index, size_average)
    c, gs, use = _scale(go, gi)
    k = kernel("criterion", "nnf_nll_bwd<{T}>", gi.dtype)
    launch(k, rows * nc, (t, gi if w is None else w, i32(w is not None), i64(rows), i64(nc),
                          i64(inner), i64(ignore_index), total, i32(size_average), f64(c), gs,
                          i32(use), gi))


# ---------------------------------------------------------------- convolution
# Geometry of one unfold: an image (N, C, H, W) and a grid of oH x oW
# windows of kH x kW taps (stride d, padding p, dilation l). The 2-D
# convolutions unfold their input; SpatialFullConvolution folds into its
# output (col2im is its forward) and unfolds its gradOutput.

def _geometry3(*g):
    return tuple(i64(v) for v in g)


def _unfold(x, cols, geo):
    k = kernel("unfold", "nnf_vol2col<{T}>", x.dtype)
    launch(k, cols.size, (x, cols) + geo)


def _fold_into(cols, img, geo):
    k = kernel("unfold", "nnf_col2vol<{T}>", img.dtype)
    launch(k, img.size, (cols, img) + geo)


def _gemm_batch_sum(a, bt, out):
    """out (P, Q) = sum_n a[n] @ bt[n] for a (N, P, L), bt (N, L, Q) (views: no
    copy of the columns): one batched GEMM, then the sum over N (in float32
    for float16 data)."""
    cp = _cp()
    if a.shape[0] == 1:
        cp.matmul(a[0], bt[0], out=out)
    elif a.dtype == cp.float16:
        out[...] = cp.sum(cp.matmul(a, bt), axis=0, dtype=cp.float32)
    else:
        cp.sum(cp.matmul(a, bt), axis=0, out=out)


def _vol2d(c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw, lh=1, lw=1):
    """a 2-D convolution's geometry (after N) as the volumetric one of one frame"""
    return (c, 1, h, w, o, 1, oh, ow, 1, kh, kw, 1, dh, dw, 0, ph, pw, 1, lh, lw)


def conv_forward(x, wt, b, y, n, c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw, lh=1, lw=1):
    """The 2-D convolutions: the volumetric path on one frame."""
    vol_conv_forward(x, wt, b, y, False, n,
                     *_vol2d(c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw, lh, lw))


def conv_backward(x, wt, go, gi, gw, gb, n, c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw,
                  lh=1, lw=1):
    vol_conv_backward(x, wt, go, gi, gw, gb, False, n,
                      *_vol2d(c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw, lh, lw))


def full_conv_forward(x, wt, b, y, n, c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw):
    """SpatialFullConvolution: the transposed volumetric path on one frame (the
    image is the output (O, oH, oW), the window grid the input (C, H, W))."""
    vol_conv_forward(x, wt, b, y, True, n,
                     *_vol2d(o, oh, ow, c, h, w, kh, kw, dh, dw, ph, pw))


def full_conv_backward(x, wt, go, gi, gw, gb, n, c, h, w, o, oh, ow, kh, kw, dh, dw, ph, pw):
    vol_conv_backward(x, wt, go, gi, gw, gb, True, n,
                      *_vol2d(o, oh, ow, c, h, w, kh, kw, dh, dw, ph, pw))


def temporal_conv_forward(x, wt, b, y, n, t, f, o, ot, kw, dw):
    """TemporalConvolution: x (N, T, F) seen as one-plane images (T, F) with a
    (kW, F) kernel, stride (dW, 1): the columns' rows are (frame offset, feature),
    the weight's (O, kW*F) order; y (N, oT, O) = cols^T W^T + b."""
    cp = _cp()
    if n == 0:
        return
    cols = _vol_columns(x, (n,) + _vol2d(1, t, f, o, ot, 1, kw, f, dw, 1, 0, 0))
    cp.matmul(cols.transpose(0, 2, 1), wt.T, out=y.reshape(n, ot, o))
    add_bias(y, b, n * ot, o, 1)


def temporal_conv_backward(x, wt, go, gi, gw, gb, n, t, f, o, ot, kw, dw):
    cp = _cp()
    if n == 0:
        gw.fill(0)
        gb.fill(0)
        return
    geo = (n,) + _vol2d(1, t, f, o, ot, 1, kw, f, dw, 1, 0, 0)
    go3 = go.reshape(n, ot, o)
    gcols = cp.matmul(wt.T, go3.transpose(0, 2, 1))                      # (N, kW*F, oT)
    _fold_into(gcols, gi, _geometry3(*_no_m(geo)))
    cols = _vol_columns(x, geo)
    _gemm_batch_sum(go3.transpose(0, 2, 1), cols.transpose(0, 2, 1), gw)
    bias_grad(go, gb, n * ot, o, 1)


def _no_m(geo):
    """unfold.cu's geometry from a convolution's: (N, Cv, T, H, W, M, oT, ...)
    without M"""
    return geo[:5] + geo[6:]


def _vol_columns(img, geo):
    """(N, Cv*kT*kH*kW, oT*oH*oW) columns of the volume img (a view for a plain
    1x1x1 kernel); ``geo``: a convolution's N, Cv, T, H, W, M, oT, oH, oW, k*, d*,
    pad*, dil* (M unused)."""
    geo = _no_m(geo)
    n, cv, t, h, w, ot, oh, ow = geo[:8]
    k, d, p = geo[8:11], geo[11:14], geo[14:17]
    if k == (1, 1, 1) and d == (1, 1, 1) and p == (0, 0, 0):
        return img.reshape(n, cv, t * h * w)
    cols = _cp().empty((n, cv * k[0] * k[1] * k[2], ot * oh * ow), dtype=img.dtype)
    _unfold(img, cols, _geometry3(*geo))
    return cols


def vol_conv_forward(x, wt, b, y, transposed, n, cv, t, h, w, m, ot, oh, ow, *kdpl):
    """The volumetric convolutions (the CPU kernel's geometry: the image volume
    (N, Cv, T, H, W) and the window grid (N, M, oT, oH, oW); for the
    transposed one the image is the output). Not transposed: y = W cols(x) + b;
    transposed: y = col2vol(W^T x) + b."""
    cp = _cp()
    if n == 0:
        return
    geo = (n, cv, t, h, w, m, ot, oh, ow) + tuple(kdpl)
    kk = cv * kdpl[0] * kdpl[1] * kdpl[2]
    lg, lv = ot * oh * ow, t * h * w
    w2 = wt.reshape(m, kk)
    if not transposed:
        cp.matmul(w2, _vol_columns(x, geo), out=y.reshape(n, m, lg))
        if b is not None:
            add_bias(y, b, n, m, lg)
        return
    cols = cp.matmul(w2.T, x.reshape(n, m, lg))
    _fold_into(cols, y, _geometry3(*_no_m(geo)))
    if b is not None:
        add_bias(y, b, n, cv, lv)


def vol_conv_backward(x, wt, go, gi, gw, gb, transposed, n, cv, t, h, w, m, ot, oh, ow,
                      *kdpl):
    cp = _cp()
    if n == 0:
        gw.fill(0)
        if gb is not None:
            gb.fill(0)
        return
    geo = (n, cv, t, h, w, m, ot, oh, ow) + tuple(kdpl)
    kk = cv * kdpl[0] * kdpl[1] * kdpl[2]
    lg, lv = ot * oh * ow, t * h * w
    w2 = wt.reshape(m, kk)
    if not transposed:
        go3 = go.reshape(n, m, lg)
        _fold_into(cp.matmul(w2.T, go3), gi, _geometry3(*_no_m(geo)))
        cols = _vol_columns(x, geo)
        _gemm_batch_sum(go3, cols.transpose(0, 2, 1), gw.reshape(m, kk))
        if gb is not None:
            bias_grad(go, gb, n, m, lg)
        return
    cols = _vol_columns(go, geo)                                  # (N, kk, L grid)
    cp.matmul(w2, cols, out=gi.reshape(n, m, lg))
    _gemm_batch_sum(x.reshape(n, m, lg), cols.transpose(0, 2, 1), gw.reshape(m, kk))
    if gb is not None:
        bias_grad(go, gb, n, cv, lv)


def depthwise_forward(x, wt, b, y, n, c, h, w, m, oh, ow, kh, kw, dh, dw, ph, pw):
    """SpatialDepthWiseConvolution (depthwise.cu; b None without bias)."""
    geo = tuple(i64(v) for v in (n, c, h, w, m, oh, ow, kh, kw, dh, dw, ph, pw))
    k = kernel("depthwise", "nnf_dw_fwd<{T}>", x.dtype)
    launch(k, y.size, (x, wt, x if b is None else b, i32(b is not None), y) + geo)


def depthwise_backward(x, wt, go, gi, gw, gb, n, c, h, w, m, oh, ow, kh, kw, dh, dw, ph, pw):
    cp = _cp()
    geo = tuple(i64(v) for v in (n, c, h, w, m, oh, ow, kh, kw, dh, dw, ph, pw))
    k = kernel("depthwise", "nnf_dw_gi<{T}>", x.dtype)
    launch(k, gi.size, (go, wt, gi) + geo)
    k = kernel("depthwise", "nnf_dw_gw<{T}>", x.dtype)
    launch_blocks(k, gw.size, (x, go, gw) + geo, block=_row_block(n * oh * ow))
    if gb is not None:
        # the channel sums (channel i*M + j) reordered to the bias layout (M, C)
        tmp = cp.empty(c * m, dtype=gb.dtype)
        bias_grad(go, tmp, n, c * m, oh * ow)
        gb[...] = tmp.reshape(c, m).T


# ---------------------------------------------------------------- pooling
# The geometry of every pooling kernel is the CPU volumetric kernel's: P, T, H,
# W, oT, oH, oW, kT, kH, kW, dT, dH, dW, padT, padH, padW [, lT, lH, lW]
# (the 2-D poolings are volumes of one frame: spatial3d).
_no_idx = {}     # device id -> a 1-element int64 array (the unused idx argument)


def _unused_idx(x):
    dev = x.device.id
    idx = _no_idx.get(dev)
    if idx is None:
        cp = _cp()
        idx = _no_idx.setdefault(dev, cp.empty(1, dtype=cp.int64))
    return idx


def spatial3d(planes, h, w, oh, ow, kh, kw, dh, dw, ph, pw, lh=1, lw=1):
    """A 2-D pooling geometry (the spatial modules' sizes) as a volume of one frame."""
    return (planes, 1, h, w, 1, oh, ow, 1, kh, kw, 1, dh, dw, 0, ph, pw, 1, lh, lw)


def _max_winners(src, name, x, y, n, indices, geo):
    """Launch a max-pooling winner kernel (arguments x, y, use_y, idx, use_idx,
    geometry) over its n outputs: the maxima into y (unless None) and, with
    ``indices``, a fresh int64 array of the winners' flat offsets (returned)."""
    cp = _cp()
    ind = cp.empty(n, dtype=cp.int64) if indices else None
    k = kernel(src, name, x.dtype)
    launch(k, n, (x, x if y is None else y, i32(y is not None),
                  _unused_idx(x) if ind is None else ind, i32(indices))
           + tuple(i64(v) for v in geo))
    return ind


def _max_pool_pair(src, x, y, indices, geo):
    """The forward of a max pooling: y, and its indices shaped as y (or None)."""
    ind = _max_winners(src, _FWD[src], x, y, y.size, indices, geo)
    return None if ind is None else ind.reshape(y.shape)


def _max_pool_grad(src, x, go, gi, geo):
    """The gradient of a max pooling: the winners recomputed (pure), then
    each gradInput element gathers the gradOutput of the windows it won."""
    idx = _max_winners(src, _FWD[src], x, None, go.size, True, geo)
    k = kernel(src, _BWD[src], x.dtype)
    launch(k, gi.size, (go, idx, gi) + tuple(i64(v) for v in geo))


_FWD = {"maxpool": "nnf_maxpool_fwd<{T}>", "adaptive": "nnf_adamax_fwd<{T}>"}
_BWD = {"maxpool": "nnf_maxpool_bwd<{T}>", "adaptive": "nnf_adamax_bwd<{T}>"}


def maxpool_forward(x, y, geo, indices=False):
    """y of the max pooling ``geo`` (19 sizes, dilation included); returns the
    winners' int64 flat volume offsets (y's shape) when ``indices``, else None."""
    return _max_pool_pair("maxpool", x, y, indices, geo)


def maxpool_backward(x, go, gi, geo):
    _max_pool_grad("maxpool", x, go, gi, geo)


def avgpool_forward(x, y, geo, include_pad, scale=1.0):
    """y of the average pooling ``geo`` (its first 16 sizes: no dilation)."""
    k = kernel("avgpool", "nnf_avgpool_fwd<{T}>", x.dtype)
    launch(k, y.size, (x, y) + tuple(i64(v) for v in geo[:16])
           + (i32(include_pad), f64(scale)))


def avgpool_backward(go, gi, geo, include_pad, scale=1.0):
    k = kernel("avgpool", "nnf_avgpool_bwd<{T}>", gi.dtype)
    launch(k, gi.size, (go, gi) + tuple(i64(v) for v in geo[:16])
           + (i32(include_pad), f64(scale)))


def adaptive_max_forward(x, y, planes, h, w, oh, ow, indices=False):
    """SpatialAdaptiveMaxPooling of planes (P, H, W) -> (P, oH, oW); returns
    the winners' int64 flat plane offsets when ``indices``, else None."""
    return _max_pool_pair("adaptive", x, y, indices, (planes, h, w, oh, ow))


def adaptive_max_backward(x, go, gi, planes, h, w, oh, ow):
    _max_pool_grad("adaptive", x, go, gi, (planes, h, w, oh, ow))


def adaptive_avg_forward(x, y, planes, h, w, oh, ow):
    k = kernel("adaptive", "nnf_adaavg_fwd<{T}>", x.dtype)
    launch(k, y.size, (x, y) + tuple(i64(v) for v in (planes, h, w, oh, ow)))


def adaptive_avg_backward(go, gi, planes, h, w, oh, ow):
    k = kernel("adaptive", "nnf_adaavg_bwd<{T}>", gi.dtype)
    launch(k, gi.size, (go, gi) + tuple(i64(v) for v in (planes, h, w, oh, ow)))


def unpool_forward(x, ind, y, planes, l, o):
    """SpatialMaxUnpooling: y (P, O) zeros but y[p, ind[p, i]] = x[p, i] (the
    last input naming a position wins); ind int64, range-checked."""
    cp = _cp()
    win = cp.full(planes * o, -1, dtype=cp.int64)
    k = kernel("unpool", "nnf_unpool_claim<{T}>", x.dtype)
    launch(k, planes * l, (ind, win, i64(planes), i64(l), i64(o)))
    k = kernel("unpool", "nnf_unpool_fwd<{T}>", x.dtype)
    launch(k, planes * o, (x, win, y, i64(planes * o)))


def unpool_backward(go, ind, gi, planes, l, o):
    k = kernel("unpool", "nnf_unpool_bwd<{T}>", gi.dtype)
    launch(k, planes * l, (go, ind, gi, i64(planes), i64(l), i64(o)))


# ---------------------------------------------------------------- separable gathers
def _inverse_map(m, n):
    """CSR inverse of the index map ``m`` (entries in [0, n) or -1): offsets
    (n + 1) and, per source index, the output positions reading it, ascending."""
    import numpy as np
    ok = np.flatnonzero(m >= 0)
    src = m[ok]
    order = ok[np.argsort(src, kind="stable")]
    ofs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ofs[1:])
    return ofs, order.astype(np.int64)


def gather_maps(mt, mh, mw, t, h, w, adjoint):
    """Device arrays of the three maps (forward), or of their CSR inverses."""
    cp = _cp()
    if not adjoint:
        return tuple(cp.asarray(m.astype("int64")) for m in (mt, mh, mw))
    out = ()
    for m, n in ((mt, t), (mh, h), (mw, w)):
        ofs, lst = _inverse_map(m, n)
        out += (cp.asarray(ofs), cp.asarray(lst))
    return out


def gather3(x, y, maps, planes, t, h, w, ot, oh, ow):
    """y (P, oT, oH, oW) = x (P, T, H, W) gathered through ``maps``
    (:func:`gather_maps`, forward)."""
    k = kernel("gather", "nnf_gather3<{T}>", x.dtype)
    launch(k, y.size, (x, y) + tuple(maps) + tuple(
        i64(v) for v in (planes, t, h, w, ot, oh, ow)))


def gather3_adjoint(go, gi, inv, planes, t, h, w, ot, oh, ow):
    """gi (P, T, H, W) = the adjoint of :func:`gather3` applied to go
    (``inv``: :func:`gather_maps` with ``adjoint=True``)."""
    k = kernel("gather", "nnf_gather3_adj<{T}>", gi.dtype)
    launch(k, gi.size, (go, gi) + tuple(inv) + tuple(
        i64(v) for v in (planes, t, h, w, ot, oh, ow)))


def pixel_shuffle(x, y, blocks, h, w, r):
    """PixelShuffle: blocks of r^2 planes (H, W) -> planes (H r, W r)."""
    k = kernel("gather", "nnf_shuffle_fwd<{T}>", x.dtype)
    launch(k, y.size, (x, y) + tuple(i64(v) for v in (blocks, h, w, r)))


def pixel_unshuffle(go, gi, blocks, h, w, r):
    """The gradient of :func:`pixel_shuffle` (its inverse permutation)."""
    k = kernel("gather", "nnf_shuffle_bwd<{T}>", gi.dtype)
    launch(k, gi.size, (go, gi) + tuple(i64(v) for v in (blocks, h, w, r)))


# ---------------------------------------------------------------- linear interpolation
def _inverse_taps(i0, i1, w1, n):
    """CSR inverse of an axis' two taps: per source index, the (output,
    weight) pairs reading it, by output then tap."""
    import numpy as np
    o = np.arange(i0.size, dtype=np.int64)
    src = np.concatenate([i0, i1]).astype(np.int64)
    out = np.concatenate([o, o])
    wt = np.concatenate([1.0 - w1, w1]).astype(np.float64)
    tap = np.concatenate([np.zeros_like(o), np.ones_like(o)])
    order = np.lexsort((tap, out, src))
    ofs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ofs[1:])
    return ofs, out[order], wt[order]


def interp_maps(y0, y1, wy, x0, x1, wx, h, w, adjoint):
    """Device arrays of the taps (forward) or of their CSR inverses (adjoint)
    of nnfunc.modules._upsampling.linear_taps along rows and columns."""
    import numpy as np
    cp = _cp()
    if not adjoint:
        return (cp.asarray(y0.astype(np.int64)), cp.asarray(y1.astype(np.int64)),
                cp.asarray(np.asarray(wy, np.float64)), cp.asarray(x0.astype(np.int64)),
                cp.asarray(x1.astype(np.int64)), cp.asarray(np.asarray(wx, np.float64)))
    return tuple(cp.asarray(a) for a in _inverse_taps(y0, y1, np.asarray(wy, np.float64), h)
                 + _inverse_taps(x0, x1, np.asarray(wx, np.float64), w))


def interp(x, y, maps, planes, h, w, oh, ow):
    """y (P, oH, oW) = the separable linear interpolation of x (P, H, W)."""
    k = kernel("interp", "nnf_interp_fwd<{T}>", x.dtype)
    launch(k, planes * oh * ow, (x, y) + tuple(maps)
           + tuple(i64(v) for v in (planes, h, w, oh, ow)))


def interp_adjoint(go, gi, inv, planes, h, w, oh, ow):
    """gi (P, H, W) = the adjoint of :func:`interp` applied to go."""
    k = kernel("interp", "nnf_interp_adj<{T}>", gi.dtype)
    launch(k, planes * h * w, (go, gi) + tuple(inv)
           + tuple(i64(v) for v in (planes, h, w, oh, ow)))


# ---------------------------------------------------------------- batch normalisation
def _bn_stats(x, rm, rv, n, c, s, train, eps, nrm=None, nrv=None, momentum=0.0):
    """(mean, invstd) per channel as float64 device arrays: of the batch when
    training (and nrm/nrv, the updated running statistics, when given), else
    of the running statistics."""
    cp = _cp()
    mean = cp.empty(c, dtype=cp.float64)
    invstd = cp.empty(c, dtype=cp.float64)
    if train:
        use = nrm is not None
        k = kernel("batchnorm", "nnf_bn_stats<{T}>", x.dtype)
        launch_blocks(k, c, (x, i64(n), i64(c), i64(s), f64(eps), mean, invstd,
                             rm if use else x, rv if use else x, nrm if use else x,
                             nrv if use else x, i32(use), f64(momentum)))
    else:
        k = kernel("batchnorm", "nnf_bn_running<{T}>", x.dtype)
        launch(k, c, (rm, rv, i64(c), f64(eps), mean, invstd))
    return mean, invstd


def batchnorm_forward(x, y, w, b, rm, rv, nrm, nrv, n, c, s, train, momentum, eps):
    """y (N, C, S) normalised; nrm/nrv (or None): the updated running statistics."""
    mean, invstd = _bn_stats(x, rm, rv, n, c, s, train, eps, nrm, nrv, momentum)
    affine = w is not None
    k = kernel("batchnorm", "nnf_bn_fwd<{T}>", x.dtype)
    launch(k, x.size, (x, y, w if affine else x, b if affine else x, i32(affine), mean,
                       invstd, i64(n), i64(c), i64(s)))


def batchnorm_backward(x, go, gi, gw, gb, w, rm, rv, n, c, s, train, eps):
    """gradInput (and gradWeight/gradBias unless None) of batchnorm_forward."""
    cp = _cp()
    mean, invstd = _bn_stats(x, rm, rv, n, c, s, train, eps)
    gsum = gxs = mean
    if train or gw is not None:
        gsum = cp.empty(c, dtype=cp.float64)
        gxs = cp.empty(c, dtype=cp.float64)
        k = kernel("batchnorm", "nnf_bn_grad_stats<{T}>", x.dtype)
        launch_blocks(k, c, (x, go, i64(n), i64(c), i64(s), mean, invstd, gsum, gxs))
    affine = w is not None
    k = kernel("batchnorm", "nnf_bn_bwd<{T}>", x.dtype)
    launch(k, x.size, (x, go, gi, w if affine else x, i32(affine), mean, invstd, gsum, gxs,
                       i32(train), i64(n), i64(c), i64(s)))
    if gw is not None:
        k = kernel("batchnorm", "nnf_bn_param_grads<{T}>", x.dtype)
        launch(k, c, (gsum, gxs, gw, gb, i64(c)))


# ---------------------------------------------------------------- layer normalisation
def layernorm_forward(x, y, w, b, n, d, eps):
    """y = LayerNormalization of the rows of x (N, D); w, b None unless affine."""
    if n * d == 0:
        return
    k = kernel("layernorm", "nnf_ln_fwd<{T}>", x.dtype)
    aff = w is not None
    launch_blocks(k, n, (x, y, w if aff else x, b if aff else x, i32(aff), i64(n), i64(d),
                         f64(eps / d)), block=_row_block(d))


def layernorm_backward(x, go, gi, gw, gb, w, n, d, eps):
    cp = _cp()
    aff = w is not None
    if n * d == 0:
        if aff:
            gw.fill(0)
            gb.fill(0)
        return
    mean = cp.empty(n, dtype=cp.float64)
    rstd = cp.empty(n, dtype=cp.float64)
    k = kernel("layernorm", "nnf_ln_bwd<{T}>", x.dtype)
    launch_blocks(k, n, (x, go, gi, w if aff else x, i32(aff), i64(n), i64(d), f64(eps / d),
                         mean, rstd), block=_row_block(d))
    if aff:
        k = kernel("layernorm", "nnf_ln_pgrad<{T}>", x.dtype)
        launch(k, d, (x, go, mean, rstd, gw, gb, i64(n), i64(d)))


# ---------------------------------------------------------------- LookupTable
def lookup_forward(idx, w, y, d):
    """y (M, D) = the rows idx (int64, M, range-checked) of w (nIndex, D)."""
    k = kernel("lookup", "nnf_lut_fwd<{T}>", w.dtype)
    launch(k, idx.size * d, (idx, w, y, i64(idx.size), i64(d)))


def lookup_renorm(idx, w, n, d, max_norm, norm_type):
    """Scale (in place: the module's copy) the rows of w named in idx whose
    norm exceeds max_norm."""
    cp = _cp()
    if n * d == 0 or idx.size == 0:
        return
    hit = cp.zeros(n, dtype=cp.int32)
    k = kernel("lookup", "nnf_lut_mark<{T}>", w.dtype)
    launch(k, idx.size, (idx, hit, i64(idx.size)))
    k = kernel("lookup", "nnf_lut_renorm<{T}>", w.dtype)
    launch_blocks(k, n, (w, hit, i64(n), i64(d), f64(max_norm), f64(norm_type)),
                  block=_row_block(d))


def lookup_backward(idx, go, gw, n, d, pad, freq):
    """gradWeight (nIndex, D) of LookupTable (overwritten)."""
    cp = _cp()
    if n * d == 0:
        return
    flat = idx.reshape(-1)
    order = cp.argsort(flat)                     # CuPy's sort is stable
    srt = flat[order]
    rows = cp.arange(n, dtype=cp.int64)
    lo = cp.searchsorted(srt, rows, side="left").astype(cp.int64)
    hi = cp.searchsorted(srt, rows, side="right").astype(cp.int64)
    k = kernel("lookup", "nnf_lut_grad<{T}>", gw.dtype)
    launch_blocks(k, n, (order.astype(cp.int64), lo, hi, go, gw, i64(n), i64(d), i64(pad),
                         i32(freq)), block=_row_block(d))


# ---------------------------------------------------------------- Normalize
def normalize_forward(x, y, rows, d, p, eps):
    import math
    if rows * d == 0:
        return
    pinf = math.isinf(p)
    k = kernel("normalize", "nnf_normalize_fwd<{T}>", x.dtype)
    launch_blocks(k, rows, (x, y, i64(rows), i64(d), f64(0.0 if pinf else p), i32(pinf),
                            f64(eps)), block=_row_block(d))


def normalize_backward(x, go, gi, rows, d, p, eps):
    import math
    if rows * d == 0:
        return
    pinf = math.isinf(p)
    k = kernel("normalize", "nnf_normalize_bwd<{T}>", x.dtype)
    launch_blocks(k, rows, (x, go, gi, i64(rows), i64(d), f64(0.0 if pinf else p), i32(pinf),
                            f64(eps)), block=_row_block(d))


# ---------------------------------------------------------------- SpatialCrossMapLRN
def lrn_forward(x, y, n, c, s, size, alpha, beta, k):
    kk = kernel("lrn", "nnf_lrn_fwd<{T}>", x.dtype)
    launch(kk, n * s, (x, y, i64(n), i64(c), i64(s), i64(size), f64(alpha), f64(beta),
                       f64(k)))


def lrn_backward(x, go, gi, n, c, s, size, alpha, beta, k):
    kk = kernel("lrn", "nnf_lrn_bwd<{T}>", x.dtype)
    launch(kk, n * s, (x, go, gi, i64(n), i64(c), i64(s), i64(size), f64(alpha), f64(beta),
                       f64(k)))



# ---------------------------------------------------------------- Euclidean
def _euc_dist(x, w, y, n, ni, nj):
    cp = _cp()
    dist = cp.empty(n * nj, dtype=cp.float64)
    k = kernel("euclid", "nnf_euc_dist<{T}>", w.dtype)
    launch(k, n * nj, (x, w, dist, w if y is None else y, i32(y is not None), i64(n), i64(ni),
                       i64(nj)))
    return dist


def euclidean_forward(x, w, y, n, ni, nj):
    """y (N, J): the distances of the rows of x (N, I) to the columns of w (I, J)."""
    _euc_dist(x, w, y, n, ni, nj)


def euclidean_backward(x, w, go, gi, gw, n, ni, nj, eps):
    dist = _euc_dist(x, w, None, n, ni, nj)
    k = kernel("euclid", "nnf_euc_gi<{T}>", w.dtype)
    launch(k, n * ni, (x, w, go, dist, gi, i64(n), i64(ni), i64(nj), f64(eps)))
    k = kernel("euclid", "nnf_euc_gw<{T}>", w.dtype)
    launch(k, ni * nj, (x, w, go, dist, gw, i64(n), i64(ni), i64(nj), f64(eps)))

#: every launcher above (the functions the modules' GPU methods call)
__all__ = sorted(n for n, v in globals().items()
                 if callable(v) and not n.startswith("_") and getattr(v, "__module__", None)
                 == __name__)
