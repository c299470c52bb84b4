"""The batch normalisation family: one base class for BatchNormalization,
SpatialBatchNormalization and VolumetricBatchNormalization (Torch7's
subclasses differ only in ``nDim``), one compiled kernel
(``nnfunc._cpu.batch_normalization``)."""

import math

import numpy as np

from .._core.module import Module

_STATE = ("running_mean", "running_var")


class BatchNormBase(Module):
    """Shared by the three batch normalisation modules (see their docstrings).

    Decisions (Torch7 vs PyTorch):

    * ``train`` (dict key, default True) is Torch7's ``:training()`` /
      ``:evaluate()``. ``running_mean`` / ``running_var`` (shape
      ``(nOutput,)``) are state in the dict, never written in place.
      Evaluation mode requires both. Training mode accepts both or neither:
      with them the forward also returns the updated ``running_mean`` and
      ``running_var`` (``new = (1 - momentum) old + momentum batch``, with
      the *unbiased* batch variance, as Torch7 and PyTorch); without them
      it returns only ``output``.
    * Training normalises with the batch mean and *biased* batch variance;
      the gradient goes through the batch statistics. Evaluation uses the
      running statistics and its gradient is the exact derivative of that
      affine map (``gradInput = gradOutput weight / sqrt(running_var +
      eps)``; Torch7 THNN's evaluate-mode backward reused the batch-stat
      formula with running statistics substituted, which is not the
      derivative of its forward). PyTorch's eval gradient is the same as
      ours.
    * Training with at most one value per channel (count ``N * prod(spatial)
      <= 1``) is a ``ValueError``, as PyTorch: the unbiased variance of the
      running update is undefined. Torch7 gave no error: THNN divides by
      ``n - 1 = 0`` (the catalogue also notes a version that normalised with
      the running statistics instead); neither is a result worth returning.
    * The dict's ``input`` is ``(N, nOutput, *spatial)``; Torch7 checks the
      exact rank (``nDim``), so BatchNormalization takes no ``(N, C, L)``.
    * A non-batch input (one dimension less) is accepted in evaluation mode
      only, as in Torch7's ``checkInputDim``.
    * Default init: weight ~ U(0, 1), bias = 0 (Torch7's ``reset``, not
      PyTorch's ones). ``affine=False``: no parameters.
    """

    backends = ("cpu", "gpu")
    kernel = "batch_normalization"
    state = _STATE
    extra_outputs = _STATE
    nDim = 2

    def __init__(self, nOutput, eps=1e-5, momentum=0.1, affine=True):
        self.nOutput = self.int_arg("nOutput", nOutput)
        self.eps = self.float_arg("eps", eps)
        if self.eps < 0:
            self.fail(f"argument eps must be >= 0, got {self.eps}")
        self.momentum = self.float_arg("momentum", momentum)
        self.affine = self.bool_arg("affine", affine)
        self.params = ("weight", "bias") if self.affine else ()

    def _repr_args(self):
        return (f"{self.nOutput}, eps={self.eps}, momentum={self.momentum}"
                + ("" if self.affine else ", affine=False"))

    def param_shapes(self):
        return {"weight": (self.nOutput,), "bias": (self.nOutput,)} if self.affine else {}

    def reset(self, rng):
        if not self.affine:
            return {}
        return {"weight": rng.uniform(0.0, 1.0, size=self.nOutput),
                "bias": np.zeros(self.nOutput)}

    def check(self, d):
        x = d["input"]
        nd = self.check_ndim("input", x, (self.nDim - 1, self.nDim))
        train = bool(d.get("train", True))
        batch = nd == self.nDim
        if not batch and train:
            self.fail(f"'input' has shape {tuple(x.shape)}: a non-batch "
                      f"{self.nDim - 1}-D input is accepted only in evaluation mode "
                      f"(train=False); training needs a {self.nDim}-D batch")
        shape = tuple(x.shape)
        cdim = 1 if batch else 0
        if shape[cdim] != self.nOutput:
            self.fail(f"'input' has shape {shape}: dimension {cdim} must be "
                      f"nOutput={self.nOutput}")
        n = shape[0] if batch else 1
        s = math.prod(shape[cdim + 1:])
        why = f"(nOutput={self.nOutput})"
        for p in self.params:
            self.check_shape(p, d[p], (self.nOutput,), why)
        have = [k for k in _STATE if d.get(k) is not None]
        for k in have:
            self.check_shape(k, d[k], (self.nOutput,), why)
        if not train and len(have) < 2:
            missing = [k for k in _STATE if k not in have][0]
            self.fail(f"missing key {missing!r}: running statistics are required "
                      "in evaluation mode (train=False)")
        if train and len(have) == 1:
            missing = [k for k in _STATE if k not in have][0]
            self.fail(f"missing key {missing!r}: give both running_mean and "
                      "running_var, or neither")
        if train and n * s <= 1:
            self.fail(f"expected more than 1 value per channel when training, got "
                      f"'input' of shape {shape}")
        return shape, n, s, batch, train, len(have) == 2

    def output_shape(self, info):
        return info[0]

    # -- generic array-API math -------------------------------------------
    def _axes(self, info):
        shape, _, _, batch, _, _ = info
        cdim = 1 if batch else 0
        axes = tuple(i for i in range(len(shape)) if i != cdim)
        pshape = (self.nOutput,) + (1,) * (len(shape) - cdim - 1)
        return axes, pshape

    def _stats(self, xp, d, info):
        """(mean, 1/sqrt(var + eps), biased var) broadcastable against x."""
        x = d["input"]
        axes, pshape = self._axes(info)
        if info[4]:
            mean = xp.mean(x, axis=axes, keepdims=True)
            var = xp.mean((x - mean) ** 2, axis=axes, keepdims=True)
        else:
            mean = xp.reshape(d["running_mean"], pshape)
            var = xp.reshape(d["running_var"], pshape)
        return mean, 1.0 / xp.sqrt(var + self.eps), var

    def forward(self, xp, d, info):
        x = d["input"]
        _, pshape = self._axes(info)
        mean, invstd, var = self._stats(xp, d, info)
        y = (x - mean) * invstd
        if self.affine:
            y = y * xp.reshape(d["weight"], pshape) + xp.reshape(d["bias"], pshape)
        if not (info[4] and info[5]):
            return y
        cnt = info[1] * info[2]
        m = self.momentum
        bm = xp.reshape(mean, (self.nOutput,))
        bv = xp.reshape(var, (self.nOutput,)) * (cnt / (cnt - 1))
        return {"output": y,
                "running_mean": (1 - m) * d["running_mean"] + m * bm,
                "running_var": (1 - m) * d["running_var"] + m * bv}

    def backward(self, xp, d, info):
        x, go = d["input"], d["gradOutput"]
        axes, pshape = self._axes(info)
        mean, invstd, _ = self._stats(xp, d, info)
        xhat = (x - mean) * invstd
        a = invstd * xp.reshape(d["weight"], pshape) if self.affine else invstd
        if info[4]:
            gm = xp.mean(go, axis=axes, keepdims=True)
            gx = xp.mean(go * xhat, axis=axes, keepdims=True)
            gi = (go - gm - xhat * gx) * a
        else:
            gi = go * a
        res = {"gradInput": gi}
        if self.affine:
            res["gradWeight"] = xp.reshape(xp.sum(go * xhat, axis=axes), (self.nOutput,))
            res["gradBias"] = xp.reshape(xp.sum(go, axis=axes), (self.nOutput,))
        return res

    # -- compiled path ----------------------------------------------------
    def _ws(self, x):
        c = self.nOutput
        return np.empty(6 * c, np.float64), np.empty(4 * c, x.dtype)

    def forward_cpu(self, k, d, info, y):
        shape, n, s, batch, train, has_state = info
        x = d["input"]
        ws, fws = self._ws(x)
        rm, rv = d.get("running_mean"), d.get("running_var")
        upd = train and has_state
        nrm = np.empty(self.nOutput, x.dtype) if upd else None
        nrv = np.empty(self.nOutput, x.dtype) if upd else None
        w = d["weight"] if self.affine else None
        b = d["bias"] if self.affine else None
        k.update_output(x, y, w, b, rm, rv, nrm, nrv, ws, fws, n, self.nOutput, s,
                        train, self.momentum, self.eps)
        if upd:
            return {"running_mean": nrm, "running_var": nrv}
        return None

    def backward_cpu(self, k, d, info, out):
        shape, n, s, batch, train, has_state = info
        x = d["input"]
        ws, fws = self._ws(x)
        k.update_grad(x, d["gradOutput"], out["gradInput"], out.get("gradWeight"),
                      out.get("gradBias"), d["weight"] if self.affine else None,
                      d.get("running_mean"), d.get("running_var"), ws, fws, n,
                      self.nOutput, s, train, self.eps)

    # -- CuPy path (batchnorm.cu) -------------------------------------------
    def forward_gpu(self, g, d, info, y):
        shape, n, s, batch, train, has_state = info
        x = d["input"]
        upd = train and has_state
        nrm = nrv = None
        if upd:
            import cupy
            nrm = cupy.empty(self.nOutput, x.dtype)
            nrv = cupy.empty(self.nOutput, x.dtype)
        g.batchnorm_forward(x, y, d["weight"] if self.affine else None,
                            d["bias"] if self.affine else None, d.get("running_mean"),
                            d.get("running_var"), nrm, nrv, n, self.nOutput, s, train,
                            self.momentum, self.eps)
        if upd:
            return {"running_mean": nrm, "running_var": nrv}
        return None

    def backward_gpu(self, g, d, info, out):
        shape, n, s, batch, train, has_state = info
        g.batchnorm_backward(d["input"], d["gradOutput"], out["gradInput"],
                             out.get("gradWeight"), out.get("gradBias"),
                             d["weight"] if self.affine else None, d.get("running_mean"),
                             d.get("running_var"), n, self.nOutput, s, train, self.eps)
