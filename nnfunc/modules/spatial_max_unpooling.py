import numpy as np

from .._core.dispatch import kernel_module
from .._core.module import Module
from ._indices import check_index_range, take_along_rows
from ._targets import _values_known
from ._spatial import _INT_MAX, _device, check_spatial_input
from .spatial_max_pooling import SpatialMaxPooling


def _namespace(a):
    if type(a) is np.ndarray:
        return None
    from array_api_compat import array_namespace
    return array_namespace(a)


def _concrete_jax(a):
    """A concrete (not traced) JAX array as NumPy, else ``a``: inside
    ``jax.jit`` even a reduction of a constant is traced, so its values are
    read on the host instead."""
    if type(a).__module__.startswith("jax") and _values_known(a):
        return np.asarray(a)
    return a


class SpatialMaxUnpooling(Module):
    """The partial inverse of 2-D max pooling: values put back at their indices.

    Torch7: ``nn.SpatialMaxUnpooling(poolingModule)`` read the indices and the
    input size that a ``nn.SpatialMaxPooling`` stored at its last forward.
    nnfunc is pure, so both come in the dict, and the constructor takes the
    pooling geometry instead:

    - ``SpatialMaxUnpooling(pool)`` with ``pool`` an nnfunc
      ``SpatialMaxPooling`` or ``SpatialDilatedMaxPooling`` (the function or
      its module): its kernel, stride, padding and dilation; or
    - ``SpatialMaxUnpooling(kW, kH=kW, dW=kW, dH=kH, padW=0, padH=0)``
      (PyTorch's ``MaxUnpool2d`` geometry).

    The geometry only sets the default output size ``H = (h - 1) dH - 2 padH
    + dilationH (kH - 1) + 1`` (``W`` likewise; PyTorch's default). Torch7
    used the pooling module's input size instead, which floor mode may have
    cut (pooling 7 rows by 2 gives 3, unpooling 3 rows gives 6): pass it as
    ``outputSize``. Torch7 also required kernel == stride; nnfunc does not.

    Dict: ``input`` ``(C, h, w)`` or ``(N, C, h, w)`` (the pooled values);
    ``indices``, an integer array of the input's shape holding 0-based flat
    offsets ``iy * W + ix`` into the ``(H, W)`` output plane (what
    ``SpatialMaxPooling(..., return_indices=True)`` returns; Torch7's were
    1-based); optional ``outputSize``: ``(H, W)`` as two ints (a tuple, a
    list or an integer array; inside ``jax.jit`` not a traced array, as
    it sets the output's shape). Every index must lie in ``[0, H W)``,
    checked before anything is written (an ``InputError`` names the bad
    value; Dask arrays and ``jax.jit`` tracers cannot be read: there an
    out-of-range index is dropped).

    ``output`` ``(C, H, W)`` or ``(N, C, H, W)``: zeros, with ``y[c,
    indices[c, i, j]] = x[c, i, j]``. Where two inputs of a plane name the
    same position (overlapping pooling windows sharing a maximum) the later
    one in row-major order stays (Torch7's CPU loop order; the two values
    are equal when the indices come from a max pooling). ``gradInput[c, i,
    j] = gradOutput[c, indices[c, i, j]]`` (Torch7 and PyTorch: a gather,
    so a shared position's gradient reaches each input that named it).
    PyTorch: ``F.max_unpool2d(x, indices, (kH, kW), (dH, dW), (padH,
    padW), output_size=(H, W))``.
    """

    backends = ("cpu", "gpu")
    extra_keys = ("indices", "outputSize")

    def __init__(self, kW, kH=None, dW=None, dH=None, padW=0, padH=0):
        pool = getattr(kW, "module", kW)
        if isinstance(pool, SpatialMaxPooling):
            if (kH, dW, dH, padW, padH) != (None, None, None, 0, 0):
                self.fail("takes either a pooling module or the geometry (kW, kH, dW, dH, "
                          "padW, padH), not both")
            self.kW, self.kH, self.dW, self.dH = pool.kW, pool.kH, pool.dW, pool.dH
            self.padW, self.padH = pool.padW, pool.padH
            self.dilationW, self.dilationH = pool.dilationW, pool.dilationH
            self._pool = pool
            return
        self._pool = None
        self.kW = self.int_arg("kW", kW)
        self.kH = self.int_arg("kH", self.kW if kH is None else kH)
        self.dW = self.kW if dW is None else self.int_arg("dW", dW)
        self.dH = self.kH if dH is None else self.int_arg("dH", dH)
        self.padW = self.int_arg("padW", padW, minimum=0)
        self.padH = self.int_arg("padH", padH, minimum=0)
        self.dilationW = self.dilationH = 1
        for name in ("kW", "kH", "dW", "dH", "padW", "padH"):
            if getattr(self, name) > _INT_MAX:
                self.fail(f"argument {name}={getattr(self, name)} is too large")

    def _repr_args(self):
        if self._pool is not None:
            return repr(self._pool)
        return f"{self.kW}, {self.kH}, {self.dW}, {self.dH}, {self.padW}, {self.padH}"

    def _output_size(self, d, x, h, w):
        size = d.get("outputSize")
        if size is None:
            oh = (h - 1) * self.dH - 2 * self.padH + self.dilationH * (self.kH - 1) + 1
            ow = (w - 1) * self.dW - 2 * self.padW + self.dilationW * (self.kW - 1) + 1
            if oh < 1 or ow < 1:
                self.fail(f"'input' of shape {tuple(x.shape)} gives an output size (H, W) = "
                          f"({oh}, {ow}) < 1 for {self!r}; pass 'outputSize'")
            return oh, ow
        size = _concrete_jax(size)
        if hasattr(size, "shape"):
            if len(tuple(size.shape)) != 1 or tuple(size.shape)[0] != 2:
                self.fail(f"'outputSize' must hold 2 values (H, W), got shape "
                          f"{tuple(size.shape)}")
            ns = _namespace(size)
            dt = size.dtype
            ok = dt.kind in "iu" if ns is None else ns.isdtype(dt, "integral")
            if not ok:
                self.fail_type(f"'outputSize' must have an integer dtype, got {dt}")
            if type(size).__module__.startswith("jax"):
                # a tracer: _concrete_jax returned the values of any other JAX array
                self.fail("'outputSize' sets the output's shape, which jax.jit must know "
                          "when tracing: pass it as a tuple of ints, not a traced array")
            vals = [int(size[0]), int(size[1])]
        elif isinstance(size, (tuple, list)) and len(size) == 2:
            vals = list(size)
            for v in vals:
                if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                    self.fail_type(f"'outputSize' must hold ints (H, W), got {size!r}")
            vals = [int(v) for v in vals]
        else:
            self.fail_type(f"'outputSize' must be (H, W): a tuple or list of 2 ints or an "
                           f"integer array, got {size!r}")
        if vals[0] < 1 or vals[1] < 1:
            self.fail(f"'outputSize' (H, W) = ({vals[0]}, {vals[1]}) must be >= 1")
        return vals[0], vals[1]

    def check(self, d):
        x = d["input"]
        batch, n, c, h, w = check_spatial_input(self, x)
        idx = d.get("indices")
        if idx is None:
            self.fail("missing key 'indices' (the pooling's flat plane offsets)")
        if not hasattr(idx, "shape") or not hasattr(idx, "dtype"):
            self.fail_type(f"'indices' must be an integer array, got {type(idx).__name__}")
        xp = _namespace(idx)
        dt = idx.dtype
        ok = dt.kind in "iu" if xp is None else xp.isdtype(dt, "integral")
        if not ok:
            self.fail_type(f"'indices' must have an integer dtype, got {dt}")
        self.check_shape("indices", idx, tuple(x.shape), "(the input's shape)")
        oh, ow = self._output_size(d, x, h, w)
        if oh * ow > 2**62:
            self.fail(f"output plane (H, W) = ({oh}, {ow}) is too large")
        host = _concrete_jax(idx)
        bounds = None
        if type(host) is np.ndarray and host.dtype == np.int64 and host.flags.c_contiguous:
            # one pass over the indices instead of min() and max() (as long
            # as the unpooling kernel itself for the benchmark's 512K indices)
            bounds = kernel_module(self).index_bounds
        check_index_range(self, _namespace(host), host, oh * ow, "indices", "flat plane offset",
                          bounds)
        return batch, n, c, h, w, oh, ow

    def output_shape(self, info):
        batch, n, c, h, w, oh, ow = info
        return (n, c, oh, ow) if batch else (c, oh, ow)

    # -- generic array-API math -------------------------------------------
    # Everything runs plane by plane on (planes, positions) arrays: a row
    # reads only its own plane, so a Dask batch stays chunked.
    def _plane_indices(self, xp, idx, info):
        """The indices as ``(planes, h w)`` int64, and where they are in range."""
        batch, n, c, h, w, oh, ow = info
        i = xp.reshape(xp.astype(idx, xp.int64), (n * c, h * w))
        return i, (i >= 0) & (i < oh * ow)

    def forward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        x = d["input"]
        dev = _device(x)
        planes, L, O = n * c, h * w, oh * ow
        if planes == 0 or L == 0:
            return xp.zeros(self.output_shape(info), dtype=x.dtype, device=dev)
        i, valid = self._plane_indices(xp, d["indices"], info)
        # a scatter without in-place writes: sort each plane's target
        # positions (stably: equal ones keep input order), then find for every
        # output position q the last input sent there by a binary search of
        # the sorted row (the count of keys <= q), log2(h w) gathers
        key = xp.where(valid, i, xp.full_like(i, -1))
        perm = xp.argsort(key, axis=-1, stable=True)
        sk = take_along_rows(xp, key, perm)
        q = xp.broadcast_to(xp.arange(O, dtype=xp.int64, device=dev)[None, :], (planes, O))
        cnt = xp.zeros_like(q)
        step = 1 << (L.bit_length() - 1)
        while step:
            cand = cnt + step
            probe = take_along_rows(xp, sk, xp.minimum(cand, xp.full_like(cand, L)) - 1)
            cnt = xp.where((cand <= L) & (probe <= q), cand, cnt)
            step >>= 1
        pos = xp.maximum(cnt - 1, xp.zeros_like(cnt))
        hit = (cnt > 0) & (take_along_rows(xp, sk, pos) == q)
        vals = take_along_rows(xp, xp.reshape(x, (planes, L)), take_along_rows(xp, perm, pos))
        y = xp.where(hit, vals, xp.zeros_like(vals))
        return xp.reshape(y, self.output_shape(info))

    def backward(self, xp, d, info):
        batch, n, c, h, w, oh, ow = info
        go = d["gradOutput"]
        planes, O = n * c, oh * ow
        i, valid = self._plane_indices(xp, d["indices"], info)
        g = take_along_rows(xp, xp.reshape(go, (planes, O)),
                            xp.where(valid, i, xp.zeros_like(i)))
        g = xp.where(valid, g, xp.zeros_like(g))
        return {"gradInput": xp.reshape(g, tuple(d["input"].shape))}

    # -- compiled path ----------------------------------------------------
    def _sizes(self, info):
        batch, n, c, h, w, oh, ow = info
        return n * c, h * w, oh * ow

    def forward_cpu(self, k, d, info, y):
        ind = np.ascontiguousarray(d["indices"], dtype=np.int64)
        k.update_output(d["input"], ind, y, *self._sizes(info))

    def backward_cpu(self, k, d, info, out):
        ind = np.ascontiguousarray(d["indices"], dtype=np.int64)
        k.update_grad_input(d["gradOutput"], ind, out["gradInput"], *self._sizes(info))

    # -- CuPy path (unpool.cu) ------------------------------------------------
    @staticmethod
    def _gpu_indices(d):
        ind = d["indices"]
        if ind.dtype != np.int64 or not ind.flags.c_contiguous:
            import cupy
            ind = cupy.ascontiguousarray(ind, dtype=cupy.int64)
        return ind

    def forward_gpu(self, g, d, info, y):
        g.unpool_forward(d["input"], self._gpu_indices(d), y, *self._sizes(info))

    def backward_gpu(self, g, d, info, out):
        g.unpool_backward(d["gradOutput"], self._gpu_indices(d), out["gradInput"],
                          *self._sizes(info))
