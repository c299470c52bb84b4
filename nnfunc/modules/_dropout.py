"""Shared base of the Dropout family: explicit randomness (a seed or a mask).

Randomness is an input, never hidden state (API.md sections 1-2). The dict
may carry ``seed`` (a Python int >= 0) or ``noise`` (the mask, Torch7's
field of that name, in its shape). In training mode (or with
``stochasticInference``) the mask is

* ``noise`` when given (used as-is, values not checked);
* otherwise drawn from ``seed``, or from fresh OS entropy when neither is
  given: ``u = numpy.random.default_rng(seed).random(mask_shape)`` (float64,
  whatever the input's dtype), kept where ``u < 1 - p``. The draw is always
  made by NumPy on the host, then converted with ``xp.asarray(..., device=
  device(input))``, so one seed gives the same mask on every backend and in
  both float dtypes (for a GPU namespace that is a host-to-device copy of
  the mask: pass ``noise`` to keep the mask on the device).

The forward then also returns the mask it used as ``noise`` (in the result
dtype; the given array itself when one was passed). The grad function needs
the same mask: ``noise`` (e.g. the dict updated with the forward's result)
or the same ``seed``; without either it fails, since a gradient through a
mask it cannot see cannot be pure. With both, ``noise`` wins.

The compiled kernel (``nnfunc._cpu.dropout``) applies the mask in one pass
(``draw_apply`` also builds the mask from the uniforms in that pass); the
draw itself stays NumPy's, by design: a kernel-side generator would give a
different mask than the generic path for the same seed.
"""

import numbers

import numpy as np

from .._core.module import Module


def _device(a):
    from array_api_compat import device
    return device(a)


class DropoutBase(Module):
    """A mask with one value per ``(outer,)`` row of the input seen as
    ``(outer, inner)``; subclasses give the mask shape and scaling."""

    extra_keys = ("seed",)
    state = ("noise",)
    extra_outputs = ("noise",)
    backends = ("cpu", "gpu")
    kernel = "dropout"

    #: the kept mask value is 1/(1-p) (Dropout v2) instead of 1
    scaled = False

    def _init_p(self, p, stochasticInference):
        p = self.float_arg("p", p)
        if not 0.0 <= p < 1.0:
            self.fail(f"argument p must be in [0, 1), got {p}")
        self.p = p
        self.stochasticInference = self.bool_arg("stochasticInference", stochasticInference)

    # -- per subclass -------------------------------------------------------
    def mask_shape(self, x):
        """The shape of ``noise`` for input ``x`` (already ndim-checked)."""
        return tuple(x.shape)

    def eval_scale(self):
        """The factor of the evaluate-mode output (no mask)."""
        return 1.0 - self.p

    # -- shared -------------------------------------------------------------
    def _keep_value(self):
        return 1.0 / (1.0 - self.p) if self.scaled else 1.0

    def check(self, d):
        x = d["input"]
        mshape = self.mask_shape(x)
        seed = d.get("seed")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                self.fail_type(f"'seed' must be a Python int, got {seed!r}")
            if seed < 0:
                self.fail(f"'seed' must be >= 0, got {seed}")
        noise = d.get("noise")
        if noise is not None:
            self.check_shape("noise", noise, mshape, "(the mask of this input)")
        active = bool(d.get("train", True)) or self.stochasticInference
        size = 1
        for s in mshape:
            size *= s
        total = 1
        for s in x.shape:
            total *= s
        inner = total // size if size else 1
        return tuple(x.shape), active, mshape, inner

    def output_shape(self, info):
        return info[0]

    def _uniforms(self, d, mshape):
        return np.random.default_rng(d.get("seed")).random(mshape)

    def _draw_apply(self, k, d, src, noise, dst, inner):
        """The compiled draw: the uniforms of ``_uniforms`` in chunks of about
        64K values (the generator's stream is the same, one float64 per
        value, so the mask is the one-piece draw's), each applied while it
        is still in cache."""
        rng = np.random.default_rng(d.get("seed"))
        outer = noise.size
        step = max(1, 65536 // max(inner, 1))
        src, dst, m = src.reshape(-1), dst.reshape(-1), noise.reshape(-1)
        q, s = 1.0 - self.p, self._keep_value()
        if inner > 1 and outer <= 65536:
            # a small mask over whole planes (Spatial/VolumetricDropout): drawn in
            # one piece (the same stream), then applied by the pool's threads
            np.copyto(m, np.where(rng.random(outer) < q, s, 0.0), casting="unsafe")
            k.apply(src, m, dst, inner)
            return
        for o in range(0, outer, step):
            e = min(outer, o + step)
            k.draw_apply(rng.random(e - o), src[o * inner:e * inner], m[o:e],
                         dst[o * inner:e * inner], q, s, inner)

    def _np_mask(self, d, mshape):
        """The float64 NumPy mask drawn from ``seed`` (or fresh entropy)."""
        u = self._uniforms(d, mshape)
        return np.where(u < 1.0 - self.p, self._keep_value(), 0.0)

    def _grad_needs_mask(self, d):
        if d.get("noise") is None and d.get("seed") is None:
            mode = "training mode" if d.get("train", True) else "stochasticInference"
            self.fail(f"the gradient in {mode} needs the mask: pass 'noise' (the one the "
                      "forward returned) or the forward's 'seed'")

    # -- generic array-API math --------------------------------------------
    def _mask(self, xp, d, info):
        noise = d.get("noise")
        if noise is None:
            x = d["input"]
            noise = xp.asarray(self._np_mask(d, info[2]), dtype=x.dtype, device=_device(x))
        return noise

    def forward(self, xp, d, info):
        x = d["input"]
        if not info[1]:
            return x * self.eval_scale()
        noise = self._mask(xp, d, info)
        return {"output": x * noise, "noise": noise}

    def backward(self, xp, d, info):
        go = d["gradOutput"]
        if not info[1]:
            return {"gradInput": go * self.eval_scale()}
        self._grad_needs_mask(d)
        return {"gradInput": go * self._mask(xp, d, info)}

    # -- compiled path ------------------------------------------------------
    def forward_cpu(self, k, d, info, y):
        x = d["input"]
        if not info[1]:
            k.scale(x, y, self.eval_scale())
            return None
        noise = d.get("noise")
        if noise is None:
            noise = np.empty(info[2], x.dtype)
            self._draw_apply(k, d, x, noise, y, info[3])
        else:
            k.apply(x, noise, y, info[3])
        return {"noise": noise}

    def backward_cpu(self, k, d, info, out):
        go, gi = d["gradOutput"], out["gradInput"]
        if not info[1]:
            k.scale(go, gi, self.eval_scale())
            return
        self._grad_needs_mask(d)
        noise = d.get("noise")
        if noise is None:
            self._draw_apply(k, d, go, np.empty(info[2], go.dtype), gi, info[3])
        else:
            k.apply(go, noise, gi, info[3])

    # -- CuPy path: the mask of the CPU (drawn by NumPy from the seed, copied
    # to the device) or the dict's noise, applied by gated.cu ----------------
    def _gpu_noise(self, d, info, like):
        noise = d.get("noise")
        if noise is None:
            import cupy
            noise = cupy.asarray(self._np_mask(d, info[2]).astype(like.dtype))
        return noise

    def forward_gpu(self, g, d, info, y):
        x = d["input"]
        if not info[1]:
            g.pointwise("mul_constant", x, y, self.eval_scale())
            return None
        noise = self._gpu_noise(d, info, x)
        g.mask_apply(x, noise, y, info[3])
        return {"noise": noise}

    def backward_gpu(self, g, d, info, out):
        go, gi = d["gradOutput"], out["gradInput"]
        if not info[1]:
            g.pointwise("mul_constant", go, gi, self.eval_scale())
            return
        self._grad_needs_mask(d)
        g.mask_apply(go, self._gpu_noise(d, info, go), gi, info[3])


class PlaneDropoutBase(DropoutBase):
    """Spatial/Volumetric dropout: one mask value per (sample, channel)
    plane, not rescaled (Torch7's v1 convention)."""

    #: number of dimensions of a non-batch input
    plane_ndim = 3

    def __init__(self, p=0.5, stochasticInference=False):
        self._init_p(p, stochasticInference)

    def _repr_args(self):
        return f"{self.p}" + (", stochasticInference=True" if self.stochasticInference else "")

    def mask_shape(self, x):
        nd = self.check_ndim("input", x, (self.plane_ndim, self.plane_ndim + 1))
        lead = 2 if nd == self.plane_ndim + 1 else 1
        return tuple(x.shape[:lead]) + (1,) * (nd - lead)
