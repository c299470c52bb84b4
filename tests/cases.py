"""THE test table: one row (``Case``) per module configuration.

Adding a module to the tests is adding rows here. Every test file reads
this table:

- test_reference.py  generic and compiled paths vs an independent oracle
                     (PyTorch CPU; skipped without torch)
- test_gradcheck.py  float64 central differences on both paths
- test_backends.py   compiled kernel vs generic reference, float32/float64
- test_contract.py   exact keys, buffers, purity, no mutation, dtypes,
                     batch vs per-sample, empty batch, float32 vs float64
- test_errors.py     bad input (generic checks, plus each row's ``bad``)
- test_namespaces.py array_api_strict and torch tensors via the generic path
- test_threads.py    concurrent calls

Fields:
  module, args, kwargs  constructor of ``nnfunc.nn.<module>``
  input_shape           shape of ``input``
  label                 short id suffix ("batch", "pad-ceil", ...)
  batch                 the input's dim 0 is a batch: per-sample and N=0 tests
  gen(rng, shape)       input values (keep clear of kinks and ties)
  target(rng, shape)    criterions: the target array
  ref(torch, t)         oracle output from torch tensors t (None: no oracle)
  tol32                 (rtol, atol) of float32 vs float64
  bad                   [(label, mutate(d) -> d, exception, match)] module-specific
                        bad input, run against every backend
  extra(rng, shape)     more dict entries ({"running_mean": ..., "seed": 3, "train":
                        False}); float arrays are cast to the row's dtype
  extra_out             keys the forward returns besides "output" for this row
                        (updated running statistics, the noise used)
  fd                    False where the gradient is by design not the derivative of
                        the forward (LookupTable padding rows, scale_grad_by_freq):
                        no finite-difference check, the oracle still checks it
  namespaces            False for rows that only add a compiled path (the shift
                        rows): their generic code is another row's, so the
                        foreign-namespace tests (JAX, Dask, ...) skip them
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

import nnfunc


def normal(rng, shape):
    return rng.standard_normal(shape)


def away_from(*kinks, gap=0.05):
    """Normal values at least ``gap`` from each kink (for finite differences)."""
    def gen(rng, shape):
        x = rng.standard_normal(shape)
        for k in kinks:
            near = np.abs(x - k) < gap
            x = np.where(near, k + np.sign(x - k + 1e-12) * (gap + np.abs(x - k)), x)
        return x
    return gen


def distinct(rng, shape):
    """Values with no ties, spaced >= 1/size apart (max pooling)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) / max(n, 1) * 4


@dataclass
class Case:
    module: str
    args: tuple
    input_shape: tuple
    label: str
    kwargs: dict = field(default_factory=dict)
    batch: bool = False
    gen: Callable = normal
    target: Optional[Callable] = None
    ref: Optional[Callable] = None
    tol32: tuple = (2e-4, 2e-5)
    bad: list = field(default_factory=list)
    extra: Optional[Callable] = None
    extra_out: tuple = ()
    fd: bool = True
    namespaces: bool = True

    @property
    def id(self):
        return f"{self.module}-{self.label}"

    @property
    def is_criterion(self):
        return getattr(nnfunc.nn, self.module).__wrapped__.is_criterion


def _set(key, value):
    def mutate(d):
        d = dict(d)
        d[key] = value(d) if callable(value) else value
        return d
    return mutate


def _F(torch):
    return torch.nn.functional


CASES = []


def add(*cases):
    CASES.extend(cases)


# ---------------------------------------------------------------- transfer
for _shape, _label, _batch in [((7,), "1d", False), ((3, 4, 5), "3d", True)]:
    add(
        Case("Tanh", (), _shape, _label, batch=_batch,
             ref=lambda torch, t: torch.tanh(t["input"])),
        Case("Sigmoid", (), _shape, _label, batch=_batch,
             ref=lambda torch, t: torch.sigmoid(t["input"])),
        Case("ReLU", (), _shape, _label, batch=_batch, gen=away_from(0.0),
             ref=lambda torch, t: _F(torch).relu(t["input"])),
        Case("Threshold", (0.5, -1.0), _shape, _label, batch=_batch, gen=away_from(0.5),
             ref=lambda torch, t: _F(torch).threshold(t["input"], 0.5, -1.0)),
    )

def wide(rng, shape):
    """Magnitudes spread over 1e-6 .. 60, both signs (vectorised tanh/exp/log1p)."""
    mag = 10.0 ** rng.uniform(-6, 1.8, shape)
    return np.where(rng.random(shape) < 0.5, -mag, mag)


for _shape, _label, _batch in [((7,), "1d", False), ((3, 4, 5), "3d", True)]:
    add(
        Case("HardTanh", (), _shape, _label, batch=_batch, gen=away_from(-1.0, 1.0),
             ref=lambda torch, t: _F(torch).hardtanh(t["input"])),
        Case("HardTanh", (-0.5, 2.0), _shape, _label + "-bounds", batch=_batch,
             gen=away_from(-0.5, 2.0), ref=lambda torch, t: _F(torch).hardtanh(t["input"], -0.5, 2.0)),
        Case("ReLU6", (), _shape, _label, batch=_batch,
             gen=lambda rng, s: away_from(0.0, 6.0)(rng, s) * 4,
             ref=lambda torch, t: _F(torch).relu6(t["input"])),
        Case("Clamp", (-0.3, 0.7), _shape, _label, batch=_batch, gen=away_from(-0.3, 0.7),
             ref=lambda torch, t: _F(torch).hardtanh(t["input"], -0.3, 0.7)),
        Case("LeakyReLU", (), _shape, _label, batch=_batch, gen=away_from(0.0),
             ref=lambda torch, t: _F(torch).leaky_relu(t["input"], 0.01)),
        Case("LeakyReLU", (0.2,), _shape, _label + "-0.2", batch=_batch, gen=away_from(0.0),
             ref=lambda torch, t: _F(torch).leaky_relu(t["input"], 0.2)),
        Case("ELU", (), _shape, _label, batch=_batch, gen=away_from(0.0),
             ref=lambda torch, t: _F(torch).elu(t["input"])),
        Case("ELU", (0.5,), _shape, _label + "-alpha", batch=_batch,
             gen=lambda rng, s: away_from(0.0)(rng, s) * 3,
             ref=lambda torch, t: _F(torch).elu(t["input"], 0.5)),
        Case("SoftPlus", (), _shape, _label, batch=_batch,
             ref=lambda torch, t: _F(torch).softplus(t["input"])),
        # beta 2, threshold 5: both branches (beta x > 5 where x > 2.5)
        Case("SoftPlus", (2.0, 5.0), _shape, _label + "-beta", batch=_batch,
             gen=lambda rng, s: away_from(2.5)(rng, s) * 3,
             ref=lambda torch, t: _F(torch).softplus(t["input"], 2.0, 5.0)),
        Case("LogSigmoid", (), _shape, _label, batch=_batch,
             gen=lambda rng, s: 4 * normal(rng, s),
             ref=lambda torch, t: _F(torch).logsigmoid(t["input"])),
        Case("SoftSign", (), _shape, _label, batch=_batch,
             ref=lambda torch, t: _F(torch).softsign(t["input"])),
        Case("TanhShrink", (), _shape, _label, batch=_batch,
             gen=lambda rng, s: away_from(0.0, gap=0.3)(rng, s),
             ref=lambda torch, t: _F(torch).tanhshrink(t["input"])),
        Case("HardShrink", (), _shape, _label, batch=_batch, gen=away_from(-0.5, 0.5),
             ref=lambda torch, t: _F(torch).hardshrink(t["input"], 0.5)),
        Case("HardShrink", (0.2,), _shape, _label + "-0.2", batch=_batch,
             gen=away_from(-0.2, 0.2), ref=lambda torch, t: _F(torch).hardshrink(t["input"], 0.2)),
        Case("SoftShrink", (), _shape, _label, batch=_batch, gen=away_from(-0.5, 0.5),
             ref=lambda torch, t: _F(torch).softshrink(t["input"], 0.5)),
        Case("SoftShrink", (1.0,), _shape, _label + "-1", batch=_batch,
             gen=away_from(-1.0, 1.0), ref=lambda torch, t: _F(torch).softshrink(t["input"], 1.0)),
    )
# the vectorised math over a wide range of magnitudes (tiny, large, saturated)
add(
    Case("Tanh", (), (4, 50), "wide", batch=True, gen=wide,
         ref=lambda torch, t: torch.tanh(t["input"])),
    Case("Sigmoid", (), (4, 50), "wide", batch=True, gen=wide,
         ref=lambda torch, t: torch.sigmoid(t["input"])),
    Case("ELU", (), (4, 50), "wide", batch=True, gen=wide,
         ref=lambda torch, t: _F(torch).elu(t["input"])),
    Case("SoftPlus", (), (4, 50), "wide", batch=True, gen=wide,
         ref=lambda torch, t: _F(torch).softplus(t["input"])),
    Case("LogSigmoid", (), (4, 50), "wide", batch=True, gen=wide,
         ref=lambda torch, t: _F(torch).logsigmoid(t["input"])),
)


# SoftMax / LogSoftMax: Torch7's dimension (0 for 1-D and 3-D, 1 for 2-D and 4-D)
_softmax_bad = [
    ("input-5d", _set("input", lambda d: d["input"].reshape((1,) * (5 - d["input"].ndim)
                                                            + d["input"].shape)),
     nnfunc.InputError, "input"),
]
for _shape, _label, _batch in [((7,), "1d", False), ((4, 9), "2d", True),
                               ((5, 3, 4), "3d-image", False), ((2, 5, 3, 4), "4d", True),
                               ((3, 1), "2d-single-class", True),
                               # H*W = 144 > the kernel's 128-column chunk: a full and a partial one
                               ((2, 3, 12, 12), "4d-two-chunks", True),
                               ((4, 9, 16), "3d-two-chunks", False)]:
    _dim = 0 if len(_shape) in (1, 3) else 1
    add(
        Case("SoftMax", (), _shape, _label, batch=_batch, gen=lambda rng, s: 3 * normal(rng, s),
             ref=lambda torch, t, _dim=_dim: _F(torch).softmax(t["input"], dim=_dim),
             bad=_softmax_bad),
        Case("LogSoftMax", (), _shape, _label, batch=_batch,
             gen=lambda rng, s: 3 * normal(rng, s),
             ref=lambda torch, t, _dim=_dim: _F(torch).log_softmax(t["input"], dim=_dim),
             bad=_softmax_bad),
    )

for _shape, _label, _batch in [((7,), "1d", False), ((4, 9), "2d", True),
                               ((5, 3, 4), "3d-image", False), ((2, 5, 3, 4), "4d", True),
                               ((2, 3, 12, 12), "4d-two-chunks", True)]:
    _dim = 0 if len(_shape) in (1, 3) else 1
    add(
        Case("SoftMin", (), _shape, _label, batch=_batch, gen=lambda rng, s: 3 * normal(rng, s),
             ref=lambda torch, t, _dim=_dim: _F(torch).softmin(t["input"], dim=_dim),
             bad=_softmax_bad),
        Case("SpatialSoftMax", (), _shape, _label, batch=_batch,
             gen=lambda rng, s: 3 * normal(rng, s),
             ref=lambda torch, t, _dim=_dim: _F(torch).softmax(t["input"], dim=_dim),
             bad=_softmax_bad),
        Case("SpatialLogSoftMax", (), _shape, _label, batch=_batch,
             gen=lambda rng, s: 3 * normal(rng, s),
             ref=lambda torch, t, _dim=_dim: _F(torch).log_softmax(t["input"], dim=_dim),
             bad=_softmax_bad),
    )

# PReLU: channel dim 1 (dim 0 for 1-D input); per-sample calls of (N, C, ...) rows
# would move the channel dim, so only (N, C) rows are "batch"
_prelu_bad = [
    ("weight-shape", _set("weight", lambda d: np.concatenate([d["weight"], d["weight"]])),
     nnfunc.InputError, "'weight'"),
]
add(
    Case("PReLU", (), (3, 4, 5), "shared", batch=True, gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).prelu(t["input"], t["weight"]), bad=_prelu_bad),
    Case("PReLU", (4,), (2, 4, 3, 5), "4d", gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).prelu(t["input"], t["weight"]),
         bad=_prelu_bad + [("input-planes", _set("input", lambda d: d["input"][:, :3]),
                            nnfunc.InputError, "nOutputPlane")]),
    Case("PReLU", (5,), (3, 5), "2d", batch=True, gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).prelu(t["input"], t["weight"])),
    Case("PReLU", (3,), (2, 3, 7), "3d", gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).prelu(t["input"], t["weight"])),
    Case("PReLU", (5,), (5,), "1d", gen=away_from(0.0),
         ref=lambda torch, t: torch.where(t["input"] > 0, t["input"], t["weight"] * t["input"]),
         bad=[("input-0d", _set("input", lambda d: np.asarray(d["input"][0])), nnfunc.InputError, "'input'")]),
)

_crelu_bad = [("input-ndim", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError,
               "'input'")]
add(
    Case("CReLU", (3,), (2, 3, 4, 5), "batch", batch=True, gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).relu(torch.cat([t["input"], -t["input"]], dim=1)),
         bad=_crelu_bad),
    Case("CReLU", (3,), (3, 2, 4), "sample", gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).relu(torch.cat([t["input"], -t["input"]], dim=0))),
    Case("CReLU", (1,), (7,), "vector", gen=away_from(0.0),
         ref=lambda torch, t: _F(torch).relu(torch.cat([t["input"], -t["input"]], dim=0)),
         bad=_crelu_bad),
)

_glu_bad = [("input-odd", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError,
             "even")]
add(
    Case("GatedLinearUnit", (), (3, 4, 6), "last", batch=True,
         ref=lambda torch, t: _F(torch).glu(t["input"], -1), bad=_glu_bad),
    Case("GatedLinearUnit", (1,), (2, 4, 3), "dim1",
         ref=lambda torch, t: _F(torch).glu(t["input"], 1),
         bad=[("input-1d", _set("input", lambda d: d["input"][0, 0]), nnfunc.InputError,
               "dim 1")]),
    Case("GatedLinearUnit", (0,), (8,), "vector",
         ref=lambda torch, t: _F(torch).glu(t["input"], 0)),
)

# ----------------------------------------------------------- parameterized
_linear_bad = [
    ("weight-shape", _set("weight", lambda d: d["weight"][:, :-1]), nnfunc.InputError, "weight"),
    ("input-size", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError, "inputSize"),
    ("input-3d", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError, "input"),
]
add(
    Case("Linear", (10, 7), (10,), "vector",
         ref=lambda torch, t: _F(torch).linear(t["input"], t["weight"], t["bias"]),
         bad=_linear_bad),
    Case("Linear", (10, 7), (4, 10), "batch", batch=True,
         ref=lambda torch, t: _F(torch).linear(t["input"], t["weight"], t["bias"]),
         bad=_linear_bad),
    Case("Linear", (5, 3), (6, 5), "nobias", kwargs={"bias": False}, batch=True,
         ref=lambda torch, t: _F(torch).linear(t["input"], t["weight"])),
)
# :noBias() -> bias=False: a single sample too (odd sizes, one output), a 'bias' key refused
add(
    Case("Linear", (7, 1), (7,), "nobias-vector", kwargs={"bias": False},
         ref=lambda torch, t: _F(torch).linear(t["input"], t["weight"]),
         bad=_linear_bad + [("bias-given", _set("bias", lambda d: np.zeros(1)),
                             nnfunc.InputError, "unknown key 'bias'")]),
)

# ------------------------------------------------------------- convolution
def _conv_ref(dW, dH, padW, padH):
    def ref(torch, t):
        return _F(torch).conv2d(t["input"], t["weight"], t.get("bias"), stride=(dH, dW),
                                padding=(padH, padW))
    return ref


_conv_bad = [
    ("weight-shape", _set("weight", lambda d: d["weight"][:, :, :, :-1]), nnfunc.InputError,
     "'weight'"),
    ("input-planes", _set("input", lambda d: d["input"][..., :-1, :, :]), nnfunc.InputError,
     "nInputPlane"),
    ("input-2d", _set("input", lambda d: d["input"][0, 0, ...]), nnfunc.InputError, "'input'"),
]
_too_small = [("input-too-small", _set("input", lambda d: d["input"][..., :1, :1]),
               nnfunc.InputError, "'input'.*too small.*computed output size")]
add(
    # 3 planes: im2col path
    Case("SpatialConvolution", (3, 4, 3, 3, 1, 1, 1), (2, 3, 7, 6), "batch-pad", batch=True,
         ref=_conv_ref(1, 1, 1, 1), bad=_conv_bad),
    # kW != kH, strides (2, 3), padW only, single image
    Case("SpatialConvolution", (2, 3, 3, 2, 2, 3, 1, 0), (2, 9, 8), "image-stride",
         ref=_conv_ref(2, 3, 1, 0), bad=_conv_bad + _too_small),
    # odd everything, padH != padW
    Case("SpatialConvolution", (2, 3, 5, 4, 3, 2, 2, 1), (3, 2, 7, 9), "odd", batch=True,
         ref=_conv_ref(3, 2, 2, 1)),
    # 1x1, stride 1, no padding: GEMM straight on the image, no bias
    Case("SpatialConvolution", (4, 3, 1, 1), (2, 4, 5, 3), "1x1-nobias",
         kwargs={"bias": False}, batch=True,
         ref=lambda torch, t: _F(torch).conv2d(t["input"], t["weight"])),
    # stride dH = 1 and nInputPlane*kW >= 32: the "rows" kernel path (dW = 2, wide pad)
    Case("SpatialConvolution", (4, 2, 9, 3, 2, 1, 4, 1), (2, 4, 7, 11), "rows", batch=True,
         ref=_conv_ref(2, 1, 4, 1)),
    # 32 planes, 3x3, stride 1: the "rows" path in its usual setting
    Case("SpatialConvolution", (32, 3, 3, 3, 1, 1, 1), (2, 32, 8, 8), "rows-3x3", batch=True,
         ref=_conv_ref(1, 1, 1, 1), tol32=(5e-4, 5e-5)),
    # >= 8 planes in and out: float32 takes the shift method on an AVX-512 CPU
    # (row vectors with a partial one: width 19), and its stride-2 form (k = 2s)
    Case("SpatialConvolution", (8, 9, 3, 3, 1, 1, 1, 1), (2, 8, 7, 19), "shift", batch=True,
         ref=_conv_ref(1, 1, 1, 1), tol32=(5e-4, 5e-5), namespaces=False),
    Case("SpatialConvolution", (8, 8, 4, 4, 2, 2, 1, 1), (2, 8, 9, 10), "shift-stride",
         batch=True, ref=_conv_ref(2, 2, 1, 1), tol32=(5e-4, 5e-5), namespaces=False),
)

# ------------------------------------------------- volumetric convolution
def _vconv_ref(stride, padding, dilation=(1, 1, 1)):
    """``F.conv3d`` with (T, H, W) triples (Torch7's ctor order is T, W, H)."""
    def ref(torch, t):
        return _F(torch).conv3d(t["input"], t["weight"], t.get("bias"), stride=stride,
                                padding=padding, dilation=dilation)
    return ref


def _vfull_ref(stride, padding, adj):
    def ref(torch, t):
        return _F(torch).conv_transpose3d(t["input"], t["weight"], t.get("bias"),
                                          stride=stride, padding=padding, output_padding=adj)
    return ref


_vconv_bad = [
    ("weight-shape", _set("weight", lambda d: d["weight"][..., :-1]), nnfunc.InputError,
     "'weight'"),
    ("input-planes", _set("input", lambda d: d["input"][..., :-1, :, :, :]), nnfunc.InputError,
     "nInputPlane"),
    ("input-3d", _set("input", lambda d: d["input"][0, ...] if d["input"].ndim == 4
                      else d["input"][0, 0, ...]), nnfunc.InputError, "'input'"),
]
_vtoo_small = [("input-too-small", _set("input", lambda d: d["input"][..., :1, :1, :1]),
                nnfunc.InputError, "'input'.*too small.*computed output size")]
add(
    # dT = 1: one GEMM per time tap on a (kH, kW) unfold ("planes")
    Case("VolumetricConvolution", (2, 3, 3, 3, 3, 1, 1, 1, 1), (2, 2, 4, 5, 5), "batch-pad",
         batch=True, ref=_vconv_ref((1, 1, 1), (1, 1, 1)), bad=_vconv_bad),
    # dT = 2: the full vol2col; kT, kW, kH differ, padT, padW, padH differ; one volume
    Case("VolumetricConvolution", (2, 3, 2, 3, 2, 2, 1, 2, 1, 0, 1), (2, 5, 6, 7), "volume-stride",
         ref=_vconv_ref((2, 2, 1), (1, 1, 0)), bad=_vconv_bad + _vtoo_small),
    Case("VolumetricConvolution", (3, 2, 3, 2, 1, 1, 2, 1, 0, 1, 2), (2, 3, 4, 5, 3), "odd-nobias",
         kwargs={"bias": False}, batch=True, ref=_vconv_ref((1, 1, 2), (0, 2, 1))),
    Case("VolumetricConvolution", (3, 2, 1, 1, 1), (2, 3, 2, 3, 4), "1x1x1", batch=True,
         ref=_vconv_ref((1, 1, 1), (0, 0, 0))),
    # >= 8 planes: the shift method in float32 (AVX-512); wide vectors (width 5)
    Case("VolumetricConvolution", (8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1), (2, 8, 3, 4, 5), "shift",
         batch=True, ref=_vconv_ref((1, 1, 1), (1, 1, 1)), tol32=(5e-4, 5e-5),
         namespaces=False),
    Case("VolumetricDilatedConvolution", (2, 3, 2, 3, 2, 1, 1, 1, 1, 2, 1, 2, 1, 2),
         (2, 2, 5, 6, 5), "batch", batch=True,
         ref=_vconv_ref((1, 1, 1), (1, 1, 2), (2, 2, 1)), bad=_vconv_bad),
    Case("VolumetricDilatedConvolution", (2, 2, 3, 2, 2, 2, 1, 2, 0, 1, 1, 1, 2, 1),
         (2, 7, 5, 6), "volume-stride", ref=_vconv_ref((2, 2, 1), (0, 1, 1), (1, 1, 2)),
         bad=_vconv_bad + _vtoo_small),
    Case("VolumetricDilatedConvolution", (2, 2, 2, 2, 2), (2, 2, 3, 3, 3), "defaults-nobias",
         kwargs={"bias": False}, batch=True, ref=_vconv_ref((1, 1, 1), (0, 0, 0))),
    # stride 2 with adj: the full vol2col the other way round
    Case("VolumetricFullConvolution", (3, 2, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 0, 1),
         (2, 3, 2, 3, 2), "batch-stride-adj", batch=True,
         ref=_vfull_ref((2, 2, 2), (1, 1, 1), (1, 1, 0)), bad=_vconv_bad),
    # dT = 1: per time tap GEMMs; odd sizes, one volume
    Case("VolumetricFullConvolution", (2, 3, 2, 3, 2, 1, 2, 3, 1, 0, 1, 0, 1, 2), (2, 3, 2, 3),
         "volume-planes", ref=_vfull_ref((1, 3, 2), (1, 1, 0), (0, 2, 1)), bad=_vconv_bad),
    Case("VolumetricFullConvolution", (2, 3, 2, 2, 2), (2, 2, 3, 2, 3), "defaults-nobias",
         kwargs={"bias": False}, batch=True, ref=_vfull_ref((1, 1, 1), (0, 0, 0), (0, 0, 0))),
    # >= 8 planes, k = 2s: the shift method by output phases in float32 (AVX-512)
    Case("VolumetricFullConvolution", (8, 8, 4, 4, 4, 2, 2, 2, 1, 1, 1), (2, 8, 2, 3, 3),
         "shift", batch=True, ref=_vfull_ref((2, 2, 2), (1, 1, 1), (0, 0, 0)),
         tol32=(5e-4, 5e-5), namespaces=False),
    # table [x, target]: adj = (target size + 2 pad - k) mod d = (1, 0, 1) here
    Case("VolumetricFullConvolution", (2, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1), [(2, 2, 2, 3, 2),
         (2, 1, 4, 5, 4)], "table-target", batch=True,
         ref=lambda torch, t: _F(torch).conv_transpose3d(
             t["input"][0], t["weight"], t["bias"], stride=2, padding=1, output_padding=(1, 0, 1)),
         bad=[("target-2d", _set("input", lambda d: [d["input"][0], d["input"][1][0, 0, 0]]),
               nnfunc.InputError, "target"),
              ("table-3", _set("input", lambda d: d["input"] + [d["input"][1]]),
               nnfunc.InputError, "input, target")]),
)

# ----------------------------------------------------------------- pooling
def _pool_ref(kW, kH, dW, dH, padW=0, padH=0, ceil=False):
    def ref(torch, t):
        return _F(torch).max_pool2d(t["input"], (kH, kW), (dH, dW), (padH, padW),
                                    ceil_mode=ceil)
    return ref


_pool_bad = [
    ("input-2d", _set("input", lambda d: d["input"][0, 0, ...]), nnfunc.InputError, "'input'"),
]
add(
    Case("SpatialMaxPooling", (2, 2), (2, 3, 6, 6), "batch", batch=True, gen=distinct,
         ref=_pool_ref(2, 2, 2, 2), bad=_pool_bad + _too_small),
    Case("SpatialMaxPooling", (3, 3, 2, 2, 1, 1), (2, 3, 7, 8), "pad-ceil",
         kwargs={"ceil_mode": True}, batch=True, gen=distinct,
         ref=_pool_ref(3, 3, 2, 2, 1, 1, True), bad=_pool_bad),
    Case("SpatialMaxPooling", (3, 2, 1, 2, 1, 1), (3, 5, 6), "image-odd-ceil",
         kwargs={"ceil_mode": True}, gen=distinct,
         ref=_pool_ref(3, 2, 1, 2, 1, 1, True)),
    # stride > kernel, no padding: PyTorch's ceil rule drops the window past the input
    Case("SpatialMaxPooling", (2, 2, 3, 3), (2, 2, 6, 7), "stride-ceil",
         kwargs={"ceil_mode": True}, batch=True, gen=distinct,
         ref=_pool_ref(2, 2, 3, 3, 0, 0, True)),
)


def _dil_ref(kW, kH, dW, dH, padW, padH, dilW, dilH, ceil=False):
    def ref(torch, t):
        return _F(torch).max_pool2d(t["input"], (kH, kW), (dH, dW), (padH, padW),
                                    (dilH, dilW), ceil_mode=ceil)
    return ref


def _avg_ref(kW, kH, dW, dH, padW=0, padH=0, ceil=False, cip=True, mult=1):
    def ref(torch, t):
        return _F(torch).avg_pool2d(t["input"], (kH, kW), (dH, dW), (padH, padW),
                                    ceil_mode=ceil, count_include_pad=cip) * mult
    return ref


add(
    # indices as an extra forward result (0-based flat plane offsets)
    Case("SpatialMaxPooling", (3, 3, 2, 2, 1, 1), (2, 3, 7, 8), "indices-pad-ceil",
         kwargs={"ceil_mode": True, "return_indices": True}, batch=True, gen=distinct,
         ref=_pool_ref(3, 3, 2, 2, 1, 1, True), extra_out=("indices",)),
    Case("SpatialDilatedMaxPooling", (3, 3, 2, 2, 1, 1, 2, 2), (2, 3, 9, 8), "batch-pad-ceil",
         kwargs={"ceil_mode": True, "return_indices": True}, batch=True, gen=distinct,
         ref=_dil_ref(3, 3, 2, 2, 1, 1, 2, 2, True), bad=_pool_bad + _too_small,
         extra_out=("indices",)),
    Case("SpatialDilatedMaxPooling", (2, 3, 1, 2, 0, 1, 3, 2), (3, 10, 11), "image-odd",
         gen=distinct, ref=_dil_ref(2, 3, 1, 2, 0, 1, 3, 2)),
    Case("SpatialDilatedMaxPooling", (2, 2), (2, 2, 6, 5), "default", batch=True,
         gen=distinct, ref=_dil_ref(2, 2, 2, 2, 0, 0, 1, 1)),
    Case("SpatialAveragePooling", (3, 3, 2, 2, 1, 1), (2, 3, 7, 8), "batch-pad-ceil",
         kwargs={"ceil_mode": True}, batch=True, ref=_avg_ref(3, 3, 2, 2, 1, 1, True),
         bad=_pool_bad),
    Case("SpatialAveragePooling", (3, 3, 2, 2, 1, 1), (2, 3, 7, 8), "exclude-pad-ceil",
         kwargs={"ceil_mode": True, "count_include_pad": False}, batch=True,
         ref=_avg_ref(3, 3, 2, 2, 1, 1, True, False)),
    Case("SpatialAveragePooling", (3, 2, 1, 2, 1, 1), (3, 5, 6), "image-odd-ceil",
         kwargs={"ceil_mode": True}, ref=_avg_ref(3, 2, 1, 2, 1, 1, True)),
    Case("SpatialAveragePooling", (2, 2), (2, 2, 5, 4), "default-stride1", batch=True,
         ref=_avg_ref(2, 2, 1, 1), bad=_too_small),
    # stride > kernel, no padding: PyTorch's ceil rule drops the window past the input
    Case("SpatialAveragePooling", (2, 2, 3, 3), (2, 2, 6, 7), "stride-ceil",
         kwargs={"ceil_mode": True}, batch=True, ref=_avg_ref(2, 2, 3, 3, 0, 0, True)),
    Case("SpatialAveragePooling", (3, 3, 2, 2, 1, 1), (3, 6, 5), "nodivide-exclude",
         kwargs={"count_include_pad": False, "divide": False},
         ref=_avg_ref(3, 3, 2, 2, 1, 1, False, False, 9)),
)


def _adaptive_ref(W, H, kind):
    def ref(torch, t):
        return getattr(_F(torch), f"adaptive_{kind}_pool2d")(t["input"], (H, W))
    return ref


add(
    # overlapping bins (7 -> 3 rows, 8 -> 3 cols), batch, indices
    Case("SpatialAdaptiveMaxPooling", (3, 3), (2, 3, 7, 8), "batch-indices",
         kwargs={"return_indices": True}, batch=True, gen=distinct,
         ref=_adaptive_ref(3, 3, "max"), bad=_pool_bad, extra_out=("indices",)),
    # output larger than the input (repeated bins), width != height
    Case("SpatialAdaptiveMaxPooling", (7, 6), (3, 5, 4), "image-upsize", gen=distinct,
         ref=_adaptive_ref(7, 6, "max")),
    Case("SpatialAdaptiveMaxPooling", (4, 3), (2, 2, 13, 11), "odd", batch=True, gen=distinct,
         ref=_adaptive_ref(4, 3, "max")),
    Case("SpatialAdaptiveAveragePooling", (3, 3), (2, 3, 7, 8), "batch", batch=True,
         ref=_adaptive_ref(3, 3, "avg"), bad=_pool_bad),
    Case("SpatialAdaptiveAveragePooling", (7, 6), (3, 5, 4), "image-upsize",
         ref=_adaptive_ref(7, 6, "avg")),
    Case("SpatialAdaptiveAveragePooling", (4, 3), (2, 2, 13, 11), "odd", batch=True,
         ref=_adaptive_ref(4, 3, "avg")),
)


def _window_indices(kW, kH, dW, dH, padW=0, padH=0):
    """``extra``: unpooling indices as a pooling with these windows could
    give: one random position in each window's part inside the default
    output plane (``(h - 1) dH - 2 padH + kH`` rows, columns likewise), as
    0-based flat offsets. Distinct when the windows do not overlap."""
    def extra(rng, shape):
        h, w = shape[-2:]
        H, W = (h - 1) * dH - 2 * padH + kH, (w - 1) * dW - 2 * padW + kW

        sy = np.arange(h) * dH - padH
        sx = np.arange(w) * dW - padW
        ylo, yhi = np.maximum(sy, 0), np.minimum(sy + kH, H)
        xlo, xhi = np.maximum(sx, 0), np.minimum(sx + kW, W)
        r = rng.integers(0, 1 << 30, shape)
        iy = ylo[:, None] + r % (yhi - ylo)[:, None]
        r = rng.integers(0, 1 << 30, shape)
        ix = xlo[None, :] + r % (xhi - xlo)[None, :]
        return {"indices": (iy * W + ix).astype(np.int64)}
    return extra


def _unpool_ref(kW, kH, dW, dH, padW=0, padH=0, size=None):
    def ref(torch, t):
        osz = None if size is None else tuple(int(v) for v in size(t))
        return _F(torch).max_unpool2d(t["input"], t["indices"].long(), (kH, kW), (dH, dW),
                                      (padH, padW), output_size=osz)
    return ref


def _unique_indices(H, W):
    """``extra``: distinct random positions per plane anywhere in an (H, W)
    output plane, with ``outputSize`` (H, W) as an int array."""
    def extra(rng, shape):
        planes = int(np.prod(shape[:-2]))
        L = shape[-2] * shape[-1]
        idx = np.array([rng.permutation(H * W)[:L] for _ in range(planes)]).reshape(-1)
        return {"indices": idx.reshape(shape).astype(np.int32),
                "outputSize": np.array([H, W], dtype=np.int64)}
    return extra


_unpool_bad = [
    ("indices-missing", lambda d: {k: v for k, v in d.items() if k != "indices"},
     nnfunc.InputError, "'indices'"),
    ("indices-float", _set("indices", lambda d: d["indices"].astype(np.float64)),
     nnfunc.InputTypeError, "'indices'.*integer"),
    ("indices-shape", _set("indices", lambda d: d["indices"][..., :-1]), nnfunc.InputError,
     "'indices' has shape"),
    ("indices-high", _set("indices", lambda d: d["indices"] + 10**6), nnfunc.InputError,
     "'indices' holds flat plane offset"),
    ("indices-negative", _set("indices", lambda d: d["indices"] - 10**6), nnfunc.InputError,
     "'indices' holds flat plane offset -"),
    ("outputSize-bad", _set("outputSize", (0, 3)), nnfunc.InputError, "'outputSize'"),
    ("outputSize-type", _set("outputSize", "big"), nnfunc.InputTypeError, "'outputSize'"),
]
add(
    Case("SpatialMaxUnpooling", (2, 2), (2, 3, 3, 4), "batch", batch=True,
         extra=_window_indices(2, 2, 2, 2), ref=_unpool_ref(2, 2, 2, 2), bad=_unpool_bad),
    # built from a pooling function: 3x2 windows, stride (3, 2), padding
    Case("SpatialMaxUnpooling", (nnfunc.nn.SpatialMaxPooling(3, 2, 3, 2, 1, 1),), (3, 4, 5),
         "from-pooling-image", extra=_window_indices(3, 2, 3, 2, 1, 1),
         ref=_unpool_ref(3, 2, 3, 2, 1, 1)),
    # arbitrary distinct positions, explicit outputSize (odd, larger than the default)
    Case("SpatialMaxUnpooling", (2, 2), (2, 2, 3, 3), "output-size", batch=True,
         extra=_unique_indices(7, 7), ref=_unpool_ref(2, 2, 2, 2, size=lambda t: t["outputSize"]),
         bad=_unpool_bad),
)


def _pool3_ref(kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0, dilT=1, dilW=1,
               dilH=1, ceil=False):
    """F.max_pool3d with Torch7's argument order (T, W, H) mapped to PyTorch's."""
    dT, dW, dH = dT or kT, dW or kW, dH or kH

    def ref(torch, t):
        return _F(torch).max_pool3d(t["input"], (kT, kH, kW), (dT, dH, dW), (padT, padH, padW),
                                    dilation=(dilT, dilH, dilW), ceil_mode=ceil)
    return ref


def _avg3_ref(kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0, ceil=False,
              cip=True):
    dT, dW, dH = dT or kT, dW or kW, dH or kH

    def ref(torch, t):
        return _F(torch).avg_pool3d(t["input"], (kT, kH, kW), (dT, dH, dW), (padT, padH, padW),
                                    ceil_mode=ceil, count_include_pad=cip)
    return ref


_pool3_bad = [
    ("input-3d", _set("input", lambda d: d["input"].reshape(-1, *d["input"].shape[-2:])),
     nnfunc.InputError, "'input'"),
    ("input-6d", _set("input", lambda d: d["input"][None, None] if d["input"].ndim == 4
                      else d["input"][None]), nnfunc.InputError, "'input'"),
]
_too_small3 = [("input-too-small", _set("input", lambda d: d["input"][..., :1, :, :]),
                nnfunc.InputError, "'input'.*too small.*computed output size")]
_IDX = {"return_indices": True}
add(
    Case("VolumetricMaxPooling", (2, 2, 2), (2, 3, 4, 6, 6), "batch", batch=True,
         gen=distinct, ref=_pool3_ref(2, 2, 2), bad=_pool3_bad + _too_small3),
    Case("VolumetricMaxPooling", (3, 2, 2, 2, 2, 2, 1, 1, 1), (2, 2, 5, 6, 5), "pad-ceil",
         kwargs={"ceil_mode": True, **_IDX}, batch=True, gen=distinct,
         ref=_pool3_ref(3, 2, 2, 2, 2, 2, 1, 1, 1, ceil=True), extra_out=("indices",),
         bad=_pool3_bad),
    # kT != kW != kH, padW only, odd sizes, single volume
    Case("VolumetricMaxPooling", (3, 2, 3, 1, 2, 3, 1, 1, 0), (2, 5, 9, 6), "volume-odd-ceil",
         kwargs={"ceil_mode": True}, gen=distinct,
         ref=_pool3_ref(3, 2, 3, 1, 2, 3, 1, 1, 0, ceil=True), bad=_pool3_bad),
    # stride > kernel, no padding: PyTorch's ceil rule drops the windows past the input
    Case("VolumetricMaxPooling", (2, 2, 2, 3, 3, 3), (1, 2, 6, 7, 8), "stride-ceil",
         kwargs={"ceil_mode": True, **_IDX}, batch=True, gen=distinct,
         ref=_pool3_ref(2, 2, 2, 3, 3, 3, ceil=True), extra_out=("indices",)),
    # column stride 1 (the vectorised row passes of _pool.h), rows of 19 columns
    Case("VolumetricMaxPooling", (3, 3, 2, 1, 1, 1, 1, 1, 0), (2, 2, 4, 5, 19), "stride1-pad",
         kwargs=_IDX, batch=True, gen=distinct, ref=_pool3_ref(3, 3, 2, 1, 1, 1, 1, 1, 0),
         extra_out=("indices",)),
    Case("VolumetricDilatedMaxPooling", (2, 3, 2, 1, 1, 2, 0, 1, 0, 1, 2, 1), (2, 5, 4, 21),
         "volume-stride1-dil", kwargs=_IDX, gen=distinct,
         ref=_pool3_ref(2, 3, 2, 1, 1, 2, 0, 1, 0, 1, 2, 1), extra_out=("indices",)),
    Case("VolumetricDilatedMaxPooling", (3, 2, 3, 1, 2, 2, 1, 1, 1, 2, 3, 1), (2, 2, 7, 8, 9),
         "dil-pad", kwargs=_IDX, batch=True, gen=distinct,
         ref=_pool3_ref(3, 2, 3, 1, 2, 2, 1, 1, 1, 2, 3, 1), extra_out=("indices",),
         bad=_pool3_bad + _too_small3),
    Case("VolumetricDilatedMaxPooling", (2, 2, 3, 2, 2, 1, 1, 1, 0, 2, 2, 2), (2, 8, 7, 6),
         "volume-dil-ceil", kwargs={"ceil_mode": True}, gen=distinct,
         ref=_pool3_ref(2, 2, 3, 2, 2, 1, 1, 1, 0, 2, 2, 2, ceil=True)),
    Case("VolumetricAveragePooling", (2, 2, 2), (2, 3, 4, 6, 6), "batch", batch=True,
         ref=_avg3_ref(2, 2, 2), bad=_pool3_bad + _too_small3),
    Case("VolumetricAveragePooling", (3, 2, 2, 2, 1, 2), (3, 7, 6, 9), "volume-odd",
         ref=_avg3_ref(3, 2, 2, 2, 1, 2), bad=_pool3_bad),
    Case("VolumetricAveragePooling", (3, 2, 3, 2, 2, 2, 1, 1, 1), (2, 2, 6, 7, 5), "pad-ceil",
         kwargs={"ceil_mode": True}, batch=True,
         ref=_avg3_ref(3, 2, 3, 2, 2, 2, 1, 1, 1, ceil=True)),
    Case("VolumetricAveragePooling", (3, 2, 2, 2, 2, 1, 1, 1, 0), (2, 6, 5, 7),
         "volume-pad-ceil-exclude", kwargs={"ceil_mode": True, "count_include_pad": False},
         ref=_avg3_ref(3, 2, 2, 2, 2, 1, 1, 1, 0, ceil=True, cip=False)),
    Case("VolumetricAveragePooling", (2, 2, 2, 3, 3, 3), (1, 2, 6, 7, 8), "stride-ceil",
         kwargs={"ceil_mode": True}, batch=True,
         ref=_avg3_ref(2, 2, 2, 3, 3, 3, ceil=True)),
)


def _temporal_ref(kW, dW):
    def ref(torch, t):
        x = t["input"].transpose(-1, -2)
        return _F(torch).max_pool1d(x, kW, dW).transpose(-1, -2)
    return ref


_temporal_bad = [
    ("input-1d", _set("input", lambda d: d["input"].reshape(-1)), nnfunc.InputError, "'input'"),
    ("input-4d", _set("input", lambda d: d["input"][None, None] if d["input"].ndim == 2
                      else d["input"][None]), nnfunc.InputError, "'input'"),
    ("input-few-frames", _set("input", lambda d: d["input"][..., :1, :]), nnfunc.InputError,
     "'input'.*fewer than the kernel width"),
]
add(
    Case("TemporalMaxPooling", (3, 2), (3, 11, 5), "batch", batch=True, gen=distinct,
         ref=_temporal_ref(3, 2), bad=_temporal_bad),
    Case("TemporalMaxPooling", (2,), (9, 4), "sequence", gen=distinct, ref=_temporal_ref(2, 2),
         bad=_temporal_bad),
    Case("TemporalMaxPooling", (3, 1), (2, 8, 3), "overlap-indices", kwargs=_IDX, batch=True,
         gen=distinct, ref=_temporal_ref(3, 1), extra_out=("indices",)),
    Case("TemporalMaxPooling", (3, 4), (13, 1), "stride-indices", kwargs=_IDX, gen=distinct,
         ref=_temporal_ref(3, 4), extra_out=("indices",)),
    # 37 features: whole vectors of the AVX clones (_pool.h) plus a tail
    Case("TemporalMaxPooling", (3, 2), (2, 9, 37), "wide-features", kwargs=_IDX, batch=True,
         gen=distinct, ref=_temporal_ref(3, 2), extra_out=("indices",)),
)


# ---------------------------------------------------------------- criterion
def classes(n_classes, ignore=None):
    """Class targets (0-based int64) for an input of shape (N, C) or (C,);
    every third one set to ``ignore`` when given."""
    def gen(rng, shape):
        if len(shape) == 1:
            return np.asarray(rng.integers(0, n_classes), dtype=np.int64)
        t = rng.integers(0, n_classes, shape[0]).astype(np.int64)
        if ignore is not None:
            t[::3] = ignore
        return t
    return gen


_float_target_bad = [
    ("target-int", _set("target", lambda d: d["target"].astype(np.int64)),
     nnfunc.InputTypeError, "'target'"),
    ("target-float32", _set("target", lambda d: d["target"].astype(np.float32)),
     nnfunc.InputTypeError, "'target'"),
    ("target-shape", _set("target", lambda d: d["target"][None]),
     nnfunc.InputError, "'target'"),
    ("target-missing", lambda d: {k: v for k, v in d.items() if k != "target"},
     nnfunc.InputError, "'target'"),
]
for _shape, _label, _batch, _kw in [((3, 4), "batch", True, {}),
                                    ((2, 3, 5), "sum", True, {"sizeAverage": False}),
                                    ((6,), "vector", False, {})]:
    _red = "mean" if _kw.get("sizeAverage", True) else "sum"
    add(Case("MSECriterion", (), _shape, _label, kwargs=_kw, batch=_batch, target=normal,
             ref=lambda torch, t, _red=_red: _F(torch).mse_loss(t["input"], t["target"],
                                                                reduction=_red),
             bad=_float_target_bad))

_nll_bad = [
    ("target-float", _set("target", lambda d: d["target"].astype(np.float64)),
     nnfunc.InputTypeError, "'target'"),
    ("target-too-big", _set("target", lambda d: np.asarray(d["target"] + 100)), nnfunc.InputError, "'target'"),
    ("target-negative", _set("target", lambda d: np.asarray(d["target"] - 100)), nnfunc.InputError,
     "'target'"),
    ("target-shape", _set("target", lambda d: d["target"][None]), nnfunc.InputError, "'target'"),
    ("input-3d", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError, "'input'"),
]
_NLL_W = [0.5, 1.0, 2.0, 0.25, 1.5]


def _nll_ref(weights=None, ignore=-100, size_average=True):
    def ref(torch, t):
        w = None if weights is None else torch.tensor(weights, dtype=t["input"].dtype)
        return _F(torch).nll_loss(t["input"], t["target"], weight=w, ignore_index=ignore,
                                  reduction="mean" if size_average else "sum")
    return ref


add(
    Case("ClassNLLCriterion", (), (5,), "vector", target=classes(5), ref=_nll_ref(),
         bad=_nll_bad[:2] + _nll_bad[3:]),
    Case("ClassNLLCriterion", (), (7, 5), "batch", batch=True, target=classes(5),
         ref=_nll_ref(), bad=_nll_bad),
    Case("ClassNLLCriterion", (_NLL_W,), (5,), "vector-weights", target=classes(5),
         ref=_nll_ref(_NLL_W)),
    Case("ClassNLLCriterion", (_NLL_W, True, 2), (8, 5), "weights-ignore", batch=True,
         target=classes(5, ignore=2), ref=_nll_ref(_NLL_W, 2),
         bad=[("weights-size", _set("input", lambda d: d["input"][:, :4]), nnfunc.InputError,
               "weights")]),
    Case("ClassNLLCriterion", (), (9, 4), "sum-ignore", kwargs={"sizeAverage": False},
         batch=True, target=classes(4, ignore=-100), ref=_nll_ref(size_average=False)),
)

# ---------------------------------------------------------------- tables
add(
    Case("CAddTable", (), [(3, 4), (3, 4), (3, 4)], "three", batch=True,
         ref=lambda torch, t: t["input"][0] + t["input"][1] + t["input"][2],
         bad=[("shape", _set("input", lambda d: [d["input"][0], d["input"][1][:, :-1]]),
               nnfunc.InputError, r"input\[1\]")]),
    Case("CAddTable", (), [(5,)], "single",
         ref=lambda torch, t: t["input"][0] * 1),
    Case("SplitTable", (1,), (3, 4, 5), "dim1",
         ref=lambda torch, t: list(torch.unbind(t["input"], 1))),
    Case("SplitTable", (0, 2), (4, 5), "nonbatch",
         ref=lambda torch, t: list(torch.unbind(t["input"], 0))),
    Case("SplitTable", (0, 2), (3, 4, 5), "batch", batch=True,
         ref=lambda torch, t: list(torch.unbind(t["input"], 1))),
    Case("SplitTable", (-1,), (2, 3), "negative",
         ref=lambda torch, t: list(torch.unbind(t["input"], -1)),
         bad=[("dim", _set("input", lambda d: d["input"][0, 0, ...]), nnfunc.InputError, "dimension")]),
)

# --------------------------------------------------------- elementwise math
def positive(rng, shape):
    """Values in [0.5, ~4): inside the domain of Log, Sqrt and fractional Power."""
    return np.abs(rng.standard_normal(shape)) + 0.5


for _shape, _label, _batch in [((7,), "1d", False), ((3, 4, 5), "3d", True)]:
    add(
        Case("Abs", (), _shape, _label, batch=_batch, gen=away_from(0.0),
             ref=lambda torch, t: torch.abs(t["input"])),
        Case("AddConstant", (0.5,), _shape, _label, batch=_batch,
             ref=lambda torch, t: t["input"] + 0.5),
        Case("MulConstant", (-1.5,), _shape, _label, batch=_batch,
             ref=lambda torch, t: t["input"] * -1.5),
        Case("Exp", (), _shape, _label, batch=_batch,
             ref=lambda torch, t: torch.exp(t["input"])),
        Case("Log", (), _shape, _label, batch=_batch, gen=positive,
             ref=lambda torch, t: torch.log(t["input"])),
        Case("Sqrt", (), _shape, _label, batch=_batch, gen=positive,
             ref=lambda torch, t: torch.sqrt(t["input"])),
        Case("Square", (), _shape, _label, batch=_batch,
             ref=lambda torch, t: torch.square(t["input"])),
        Case("Power", (3,), _shape, _label, batch=_batch,
             ref=lambda torch, t: torch.pow(t["input"], 3)),
        Case("Power", (2.5,), _shape, _label + "-frac", batch=_batch, gen=positive,
             ref=lambda torch, t: torch.pow(t["input"], 2.5)),
    )
add(
    Case("AddConstant", (-2.0, True), (2, 3), "inplace-flag", batch=True,
         ref=lambda torch, t: t["input"] - 2.0),
    Case("Power", (-1.5,), (5,), "negative-p", gen=positive,
         ref=lambda torch, t: torch.pow(t["input"], -1.5)),
    Case("Power", (2,), (4, 3), "square", batch=True,
         ref=lambda torch, t: torch.pow(t["input"], 2)),
)

# reductions: 0-based dimension, Torch7's nInputDims batch shift; 1-D input -> 0-d
_red_bad = [("dimension", _set("input", lambda d: d["input"][(0,) * (d["input"].ndim - 1)]),
             nnfunc.InputError, "dimension")]
_arg_bad = [("empty-dim", _set("input", lambda d: d["input"][..., :0]), nnfunc.InputError,
             "size 0")]
add(
    Case("Sum", (), (7,), "1d", ref=lambda torch, t: torch.sum(t["input"], 0)),
    Case("Sum", (1, 2), (3, 4, 5), "batch", batch=True,
         ref=lambda torch, t: torch.sum(t["input"], 2), bad=_red_bad),
    Case("Sum", (1, 2), (4, 5), "nonbatch", ref=lambda torch, t: torch.sum(t["input"], 1)),
    Case("Sum", (-1,), (3, 4, 5), "mean-keepdim", batch=True,
         kwargs={"sizeAverage": True, "squeeze": False},
         ref=lambda torch, t: torch.mean(t["input"], -1, keepdim=True)),
    Case("Mean", (), (7,), "1d", ref=lambda torch, t: torch.mean(t["input"], 0)),
    Case("Mean", (0, 1), (4, 5), "batch", batch=True,
         ref=lambda torch, t: torch.mean(t["input"], 1)),
    Case("Max", (), (7,), "1d", gen=distinct, ref=lambda torch, t: torch.max(t["input"], 0)[0]),
    Case("Max", (1, 2), (3, 4, 5), "batch", batch=True, gen=distinct,
         ref=lambda torch, t: torch.max(t["input"], 2)[0], bad=_red_bad + _arg_bad),
    Case("Min", (-1,), (2, 5, 3), "last", batch=True, gen=distinct,
         ref=lambda torch, t: torch.min(t["input"], -1)[0], bad=_arg_bad),
    Case("Min", (0, 1), (6,), "nonbatch", gen=distinct,
         ref=lambda torch, t: torch.min(t["input"], 0)[0]),
)


# ------------------------------------------------------------- shape ops
def _reshaped(*shape):
    return lambda torch, t: t["input"].reshape(shape)


def _sliced_bad(what, match):
    return [(what, _set("input", lambda d: d["input"][..., :2]), nnfunc.InputError, match)]


add(
    Case("Identity", (), (3, 4), "batch", batch=True, ref=lambda torch, t: t["input"] * 1),
    Case("Identity", (), [(3, 4), (5,)], "table",
         ref=lambda torch, t: [a * 1 for a in t["input"]]),
    Case("Contiguous", (), (3, 5), "batch", batch=True,
         ref=lambda torch, t: t["input"].contiguous() * 1),
    Case("Reshape", (20,), (3, 4, 5), "batch", batch=True, ref=_reshaped(3, 20),
         bad=[("numel", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError,
               "elements")]),
    Case("Reshape", (4, 5), (20,), "nonbatch", ref=_reshaped(4, 5)),
    Case("Reshape", (5, 3), (1, 15), "leading-one", batch=True, ref=_reshaped(1, 5, 3)),
    Case("Reshape", (2, 10, False), (4, 5), "batchmode-false", ref=_reshaped(2, 10)),
    Case("Reshape", (3, 1), (2, 3), "batchmode-true", kwargs={"batchMode": True},
         ref=_reshaped(2, 3, 1)),
    Case("View", (2, 10), (3, 4, 5), "batch", batch=True, ref=_reshaped(3, 2, 10),
         bad=[("numel", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError,
               "cannot be viewed")]),
    Case("View", (4, 5), (20,), "nonbatch", ref=_reshaped(4, 5)),
    Case("View", (-1, 2), (3, 3, 4), "free-batch", kwargs={"numInputDims": 2}, batch=True,
         ref=_reshaped(3, 6, 2)),
    Case("View", (-1,), (3, 5), "free", ref=_reshaped(15)),
    Case("Squeeze", (), (2, 1, 3, 1), "all", ref=_reshaped(2, 3)),
    Case("Squeeze", (-1,), (4, 1), "negative", ref=_reshaped(4)),
    Case("Squeeze", (0, 2), (3, 1, 5), "batch", batch=True, ref=_reshaped(3, 5)),
    Case("Squeeze", (), (1, 1, 5), "batch-of-one", kwargs={"numInputDims": 2}, batch=True,
         ref=_reshaped(1, 5)),
    Case("Squeeze", (1,), (3, 5), "not-one", ref=_reshaped(3, 5)),
    Case("Unsqueeze", (1, 2), (3, 4, 5), "batch", batch=True, ref=_reshaped(3, 4, 1, 5),
         bad=[("ndim", _set("input", lambda d: d["input"][0, 0]), nnfunc.InputError,
               "numInputDims")]),
    Case("Unsqueeze", (0,), (7,), "front", ref=_reshaped(1, 7)),
    Case("Unsqueeze", (2,), (3, 4), "end", ref=_reshaped(3, 4, 1)),
    Case("Transpose", ((0, 1),), (3, 4), "2d", ref=lambda torch, t: t["input"].transpose(0, 1)),
    Case("Transpose", ((0, 1),), (2, 3, 4), "batch", kwargs={"numInputDims": 2}, batch=True,
         ref=lambda torch, t: t["input"].transpose(1, 2),
         bad=[("dims", _set("input", lambda d: d["input"][0, 0]), nnfunc.InputError,
               "numInputDims")]),
    Case("Transpose", ((0, 2), (1, 2)), (2, 3, 4), "chain",
         ref=lambda torch, t: t["input"].transpose(0, 2).transpose(1, 2),
         bad=[("dims", _set("input", lambda d: d["input"][0]), nnfunc.InputError, "dims")]),
    Case("Narrow", (-1, 1, -2), (3, 4, 5), "batch", batch=True,
         ref=lambda torch, t: torch.narrow(t["input"], -1, 1, 3),
         bad=[("range", _set("input", lambda d: d["input"][..., :1]), nnfunc.InputError,
               "out of range")]),
    Case("Narrow", (0, -3, 2), (7,), "negative-offset",
         ref=lambda torch, t: torch.narrow(t["input"], 0, 4, 2)),
    Case("Narrow", (1, 0, 3), (2, 5, 3), "front",
         ref=lambda torch, t: torch.narrow(t["input"], 1, 0, 3)),
    Case("Select", (-1, 2), (3, 4, 5), "batch", batch=True,
         ref=lambda torch, t: torch.select(t["input"], -1, 2),
         bad=_sliced_bad("index", "index 2 is out of range")),
    Case("Select", (0, -1), (7,), "to-0d", ref=lambda torch, t: torch.select(t["input"], 0, -1)),
    Case("Replicate", (3, 0, 1), (4, 5), "batch", batch=True,
         ref=lambda torch, t: t["input"].unsqueeze(1).expand(4, 3, 5)),
    Case("Replicate", (2,), (7,), "front",
         ref=lambda torch, t: t["input"].unsqueeze(0).expand(2, 7)),
    Case("Replicate", (3, 2), (2, 3), "end",
         ref=lambda torch, t: t["input"].unsqueeze(2).expand(2, 3, 3),
         bad=[("dim", _set("input", lambda d: d["input"][0]), nnfunc.InputError, "dim 2")]),
    Case("Collapse", (2,), (3, 4, 5), "batch", batch=True, ref=_reshaped(3, 20)),
    Case("Collapse", (2,), (4, 5), "nonbatch", ref=_reshaped(20)),
)

# OneHot: integer input (0-based class indices), float output of the module's dtype
def labels(n):
    return lambda rng, shape: rng.integers(0, n, shape)


_onehot_bad = [
    ("too-big", _set("input", lambda d: np.asarray(d["input"] + 5)), nnfunc.InputError,
     "class index"),
    ("negative", _set("input", lambda d: np.asarray(d["input"] - 5)), nnfunc.InputError,
     "outside"),
    ("float", _set("input", lambda d: d["input"].astype(np.float64)), nnfunc.InputTypeError,
     "integer"),
]
add(
    Case("OneHot", (5,), (7,), "1d", batch=True, gen=labels(5),
         ref=lambda torch, t: _F(torch).one_hot(t["input"], 5).double(), bad=_onehot_bad),
    Case("OneHot", (3,), (2, 3), "2d", batch=True, gen=labels(3),
         ref=lambda torch, t: _F(torch).one_hot(t["input"], 3).double()),
    Case("OneHot", (4,), (), "0d", gen=labels(4),
         ref=lambda torch, t: _F(torch).one_hot(t["input"], 4).double(), bad=_onehot_bad[:1]),
)

# Index: table [t, idx] with 0-based integer indices (repeats sum in the gradient)
_index_bad = [
    ("too-big", _set("input", lambda d: [d["input"][0], d["input"][1] + 10]), nnfunc.InputError,
     "index 1[0-9]"),
    ("negative", _set("input", lambda d: [d["input"][0], d["input"][1] - 10]),
     nnfunc.InputError, "outside"),
    ("idx-2d", _set("input", lambda d: [d["input"][0], d["input"][1][None]]), nnfunc.InputError,
     "1-D"),
    ("idx-float", _set("input", lambda d: [d["input"][0],
                                           d["input"][1].astype(d["input"][0].dtype)]),
     nnfunc.InputTypeError, r"input\[1\]"),
]
add(
    Case("Index", (1,), [(3, 5), (4,)], "dim1", gen=[normal, labels(5)],
         ref=lambda torch, t: torch.index_select(t["input"][0], 1, t["input"][1]),
         bad=_index_bad),
    Case("Index", (0,), [(4,), (7,)], "repeats", gen=[normal, labels(4)],
         ref=lambda torch, t: torch.index_select(t["input"][0], 0, t["input"][1])),
    Case("Index", (-1,), [(2, 3, 4), (2,)], "last", gen=[normal, labels(4)],
         ref=lambda torch, t: torch.index_select(t["input"][0], -1, t["input"][1]),
         bad=[("dim", _set("input", lambda d: [np.asarray(d["input"][0][0, 0, 0]), d["input"][1]]),
               nnfunc.InputError, "dimension")]),
    Case("Index", (0,), [(3, 2), (0,)], "empty", gen=[normal, labels(3)],
         ref=lambda torch, t: torch.index_select(t["input"][0], 0, t["input"][1])),
)

# MaskedSelect: table [t, boolean mask]; the output length depends on the mask
def mask(rng, shape):
    return rng.random(shape) < 0.5


_masked_bad = [
    ("mask-shape", _set("input", lambda d: [d["input"][0], d["input"][1][..., :-1]]),
     nnfunc.InputError, r"input\[1\]"),
    ("mask-int", _set("input", lambda d: [d["input"][0], d["input"][1].astype(np.int64)]),
     nnfunc.InputTypeError, r"input\[1\].*bool"),
]
add(
    Case("MaskedSelect", (), [(3, 5), (3, 5)], "2d", gen=[normal, mask],
         ref=lambda torch, t: torch.masked_select(t["input"][0], t["input"][1]), bad=_masked_bad),
    Case("MaskedSelect", (), [(7,), (7,)], "1d", gen=[normal, mask],
         ref=lambda torch, t: torch.masked_select(t["input"][0], t["input"][1])),
    Case("MaskedSelect", (), [(2, 3), (2, 3)], "none",
         gen=[normal, lambda rng, s: np.zeros(s, bool)],
         ref=lambda torch, t: torch.masked_select(t["input"][0], t["input"][1])),
)


def _mismatch(i=1):
    """A bad-input row: entry ``i`` one column short."""
    def mutate(d):
        xs = list(d["input"])
        xs[i] = xs[i][..., :-1]
        return dict(d, input=xs)
    return (f"shape-input{i}", mutate, nnfunc.InputError, rf"input\[{i}\]")


def _entries(n):
    """A bad-input row: the table cut or padded to ``n`` entries."""
    def mutate(d):
        xs = list(d["input"])
        return dict(d, input=(xs * n)[:n])
    return (f"{n}-entries", mutate, nnfunc.InputError, "'input'")


def nonzero(rng, shape):
    """Values of magnitude in [0.5, 2] with random signs (divisors)."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)


def _touch_all(torch, t, y):
    """``y`` plus zero times every input entry (so that each gets a gradient)."""
    z = sum(x.sum() for x in t["input"]) * 0
    return [e + z for e in y] if type(y) is list else y + z


_pair2 = [(3, 5), (3, 5)]
add(
    Case("CSubTable", (), _pair2, "batch", batch=True,
         ref=lambda torch, t: t["input"][0] - t["input"][1], bad=[_mismatch(), _entries(3)]),
    Case("CSubTable", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: t["input"][0] - t["input"][1], bad=[_entries(1)]),
    Case("CMulTable", (), [(3, 5)] * 3, "three", batch=True,
         ref=lambda torch, t: torch.stack(t["input"]).prod(0), bad=[_mismatch(2)]),
    Case("CMulTable", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: t["input"][0] * t["input"][1]),
    Case("CMulTable", (), [(2, 3)], "single",
         ref=lambda torch, t: t["input"][0] * 1),
    Case("CDivTable", (), _pair2, "batch", batch=True, gen=nonzero,
         ref=lambda torch, t: t["input"][0] / t["input"][1], bad=[_mismatch(), _entries(3)]),
    Case("CDivTable", (), [(7,), (7,)], "1d", gen=nonzero,
         ref=lambda torch, t: t["input"][0] / t["input"][1]),
    # random normal entries: no ties (tie routing is tested in tests/modules/test_tables.py;
    # PyTorch's maximum/amax split a tie's gradient, Torch7 gives it to the lowest index)
    Case("CMaxTable", (), [(3, 5)] * 3, "three", batch=True,
         ref=lambda torch, t: torch.stack(t["input"]).max(0).values, bad=[_mismatch(2)]),
    Case("CMaxTable", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: torch.maximum(t["input"][0], t["input"][1])),
    Case("CMaxTable", (), [(2, 3)], "single", ref=lambda torch, t: t["input"][0] * 1),
    Case("CMinTable", (), [(3, 5)] * 3, "three", batch=True,
         ref=lambda torch, t: torch.stack(t["input"]).min(0).values, bad=[_mismatch(1)]),
    Case("CMinTable", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: torch.minimum(t["input"][0], t["input"][1])),
)

add(
    Case("JoinTable", (1,), [(3, 4), (3, 2), (3, 5)], "dim1",
         ref=lambda torch, t: torch.cat(t["input"], 1),
         bad=[("shape-input1", _set("input", lambda d: [d["input"][0], d["input"][1][:-1]]),
               nnfunc.InputError, r"input\[1\]"),
              ("ndim-input2", _set("input", lambda d: d["input"][:2] + [d["input"][2][None]]),
               nnfunc.InputError, r"input\[2\]")]),
    Case("JoinTable", (0, 1), [(3, 4), (3, 2), (3, 5)], "batch", batch=True,
         ref=lambda torch, t: torch.cat(t["input"], 1)),
    Case("JoinTable", (0, 1), [(4,), (3,)], "nonbatch",
         ref=lambda torch, t: torch.cat(t["input"], 0)),
    Case("JoinTable", (-1,), [(2, 3, 1), (2, 3, 4)], "negative",
         ref=lambda torch, t: torch.cat(t["input"], -1),
         bad=[("dim", _set("input", lambda d: [a[0, 0, 0, ...] for a in d["input"]]),
               nnfunc.InputError, "dimension")]),
    Case("JoinTable", (0,), [(2, 3), (5, 3)], "dim0",
         ref=lambda torch, t: torch.cat(t["input"], 0)),
    Case("SelectTable", (1,), [(3, 4), (3, 2), (3, 5)], "batch", batch=True,
         ref=lambda torch, t: _touch_all(torch, t, t["input"][1]),
         bad=[("index", _set("input", lambda d: d["input"][:1]), nnfunc.InputError,
               "index 1 is out of range")]),
    Case("SelectTable", (-1,), [(4,), (5,)], "negative",
         ref=lambda torch, t: _touch_all(torch, t, t["input"][-1])),
    Case("SelectTable", (0,), [(2, 3)], "single",
         ref=lambda torch, t: t["input"][0] * 1),
    Case("NarrowTable", (1, 2), [(3, 4), (3, 2), (3, 5), (3, 1)], "batch", batch=True,
         ref=lambda torch, t: _touch_all(torch, t, t["input"][1:3]),
         bad=[("range", _set("input", lambda d: d["input"][:2]), nnfunc.InputError,
               "out of range")]),
    Case("NarrowTable", (0,), [(5,), (3,)], "default",
         ref=lambda torch, t: _touch_all(torch, t, t["input"][0:1])),
)

_rows_bad = [_mismatch(), _entries(3),
             ("input-3d", _set("input", lambda d: [a[None, None] for a in d["input"]]),
              nnfunc.InputError, r"input\[0\]")]
add(
    Case("DotProduct", (), [(4, 5), (4, 5)], "batch", batch=True,
         ref=lambda torch, t: (t["input"][0] * t["input"][1]).sum(-1), bad=_rows_bad),
    Case("DotProduct", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: (t["input"][0] * t["input"][1]).sum(-1), bad=[_mismatch()]),
    Case("CosineDistance", (), [(4, 5), (4, 5)], "batch", batch=True,
         ref=lambda torch, t: _F(torch).cosine_similarity(*t["input"], dim=-1),
         bad=_rows_bad),
    Case("CosineDistance", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: _F(torch).cosine_similarity(*t["input"], dim=-1)),
)
for _p in (2, 1, 3, 1.5):
    add(Case("PairwiseDistance", (_p,), [(4, 5), (4, 5)], f"p{_p}-batch", batch=True,
             ref=lambda torch, t, _p=_p: _F(torch).pairwise_distance(*t["input"], p=_p, eps=0),
             bad=_rows_bad if _p == 2 else []))
add(
    Case("PairwiseDistance", (), [(7,), (7,)], "1d",
         ref=lambda torch, t: _F(torch).pairwise_distance(*t["input"], eps=0)),
    Case("PairwiseDistance", (1,), [(7,), (7,)], "p1-1d",
         ref=lambda torch, t: _F(torch).pairwise_distance(*t["input"], p=1, eps=0)),
)


def _mm_ref(ta=False, tb=False):
    def ref(torch, t):
        a, b = t["input"]
        return torch.matmul(a.mT if ta else a, b.mT if tb else b)
    return ref


_mm_bad = [("inner", _set("input", lambda d: [d["input"][0], d["input"][1][..., :-1, :]]),
            nnfunc.InputError, r"input\[1\]"),
           ("ndim", _set("input", lambda d: [d["input"][0], d["input"][1][0]]),
            nnfunc.InputError, r"input\[1\]"),
           _entries(1)]
add(
    Case("MM", (), [(4, 3), (3, 5)], "2d", ref=_mm_ref(), bad=_mm_bad),
    Case("MM", (True, True), [(3, 4), (5, 3)], "2d-tt", ref=_mm_ref(True, True)),
    Case("MM", (True, False), [(2, 3, 4), (2, 3, 5)], "batch-ta", batch=True,
         ref=_mm_ref(True, False), bad=[_mm_bad[0],
         ("batch", _set("input", lambda d: [d["input"][0], d["input"][1][:1]]),
          nnfunc.InputError, r"input\[1\].*batch")]),
    Case("MM", (False, True), [(3, 4, 3), (3, 5, 3)], "batch-tb", batch=True,
         ref=_mm_ref(False, True)),
    Case("MV", (), [(4, 3), (3,)], "2d",
         ref=lambda torch, t: torch.mv(*t["input"]),
         bad=[_mismatch(), _entries(3),
              ("ndim", _set("input", lambda d: [d["input"][0], d["input"][1][None]]),
               nnfunc.InputError, r"input\[1\]")]),
    Case("MV", (True,), [(2, 3, 4), (2, 3)], "batch-trans", batch=True,
         ref=lambda torch, t: torch.matmul(t["input"][0].mT, t["input"][1][..., None])[..., 0]),
    Case("MV", (), [(3, 5, 4), (3, 4)], "batch", batch=True,
         ref=lambda torch, t: torch.matmul(t["input"][0], t["input"][1][..., None])[..., 0]),
)

# constructor arguments that must be refused: (module, args, kwargs, exception)
BAD_CTORS = [
    ("Linear", (0, 5), {}, nnfunc.InputError),
    ("Linear", (5, -1), {}, nnfunc.InputError),
    ("Linear", (5.5, 3), {}, nnfunc.InputTypeError),
    ("Linear", (5, 3), {"bias": "no"}, nnfunc.InputTypeError),
    ("Threshold", (float("nan"), 0), {}, nnfunc.InputError),
    ("SplitTable", (1.5,), {}, nnfunc.InputTypeError),
    ("SplitTable", (1, 0), {}, nnfunc.InputError),
    ("Threshold", (0.0, 1.0, True), {}, nnfunc.InputError),
    ("HardTanh", (1.0, 1.0), {}, nnfunc.InputError),
    ("HardTanh", (-1.0, 1.0, 1), {}, nnfunc.InputTypeError),
    ("Clamp", (2.0, -2.0), {}, nnfunc.InputError),
    ("ReLU6", ("yes",), {}, nnfunc.InputTypeError),
    ("LeakyReLU", (True,), {}, nnfunc.InputTypeError),
    ("ELU", (float("inf"),), {}, nnfunc.InputError),
    ("SoftPlus", (0.0,), {}, nnfunc.InputError),
    ("SoftPlus", ("1",), {}, nnfunc.InputTypeError),
    ("HardShrink", (None,), {}, nnfunc.InputTypeError),
    ("SoftShrink", (float("nan"),), {}, nnfunc.InputError),
    ("PReLU", (-1,), {}, nnfunc.InputError),
    ("PReLU", (1.5,), {}, nnfunc.InputTypeError),
    ("CReLU", (0,), {}, nnfunc.InputError),
    ("CReLU", (2,), {"inplace": None}, nnfunc.InputTypeError),
    ("GatedLinearUnit", (-1,), {}, nnfunc.InputError),
    ("GatedLinearUnit", (1.0,), {}, nnfunc.InputTypeError),
    ("MSECriterion", (1,), {}, nnfunc.InputTypeError),
    ("ClassNLLCriterion", ([[1.0, 2.0]],), {}, nnfunc.InputError),
    ("ClassNLLCriterion", ([1.0, float("inf")],), {}, nnfunc.InputError),
    ("ClassNLLCriterion", (["a", "b"],), {}, nnfunc.InputTypeError),
    ("ClassNLLCriterion", (None, True, 1.5), {}, nnfunc.InputTypeError),
]
BAD_CTORS += [
    ("SpatialConvolution", (0, 4, 3, 3), {}, nnfunc.InputError),
    ("SpatialConvolution", (3, 4, 0, 3), {}, nnfunc.InputError),
    ("SpatialConvolution", (3, 4, 3, 3, 0), {}, nnfunc.InputError),
    ("SpatialConvolution", (3, 4, 3, 3, 1, 1, -1), {}, nnfunc.InputError),
    ("SpatialConvolution", (3, 4, 3.0, 3), {}, nnfunc.InputTypeError),
    ("SpatialConvolution", (3, 4, 3, 3), {"bias": 1}, nnfunc.InputTypeError),
    ("VolumetricConvolution", (0, 4, 3, 3, 3), {}, nnfunc.InputError),
    ("VolumetricConvolution", (3, 4, 3, 0, 3), {}, nnfunc.InputError),
    ("VolumetricConvolution", (3, 4, 3, 3, 3, 1, 0), {}, nnfunc.InputError),
    ("VolumetricConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 0, -1), {}, nnfunc.InputError),
    ("VolumetricConvolution", (3, 4, 3.0, 3, 3), {}, nnfunc.InputTypeError),
    ("VolumetricConvolution", (3, 4, 3, 3, 3), {"bias": 1}, nnfunc.InputTypeError),
    ("VolumetricDilatedConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 0, 0, 0, 0), {}, nnfunc.InputError),
    ("VolumetricDilatedConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 0, 0, 0, 1, 1.5), {},
     nnfunc.InputTypeError),
    ("VolumetricFullConvolution", (3, 4, 3, 3, 3, 1, 1, 1, 0, 0, 0, 1), {}, nnfunc.InputError),
    ("VolumetricFullConvolution", (3, 4, 3, 3, 3, 2, 2, 2, 0, 0, 0, 0, 2), {}, nnfunc.InputError),
    ("VolumetricFullConvolution", (3, 4, 3, 3, 3, 2, 2, 2, -1), {}, nnfunc.InputError),
    ("VolumetricFullConvolution", (3, 4, 3, 3, 3), {"bias": "no"}, nnfunc.InputTypeError),
    ("SpatialMaxPooling", (0, 2), {}, nnfunc.InputError),
    ("SpatialMaxPooling", (2, 2, 0), {}, nnfunc.InputError),
    ("SpatialMaxPooling", (3, 3, 1, 1, 2, 0), {}, nnfunc.InputError),
    ("SpatialMaxPooling", (2, 2), {"ceil_mode": "yes"}, nnfunc.InputTypeError),
    ("SpatialMaxPooling", (2, 2), {"return_indices": 1}, nnfunc.InputTypeError),
    ("SpatialDilatedMaxPooling", (3, 3, 1, 1, 1, 1, 0), {}, nnfunc.InputError),
    ("SpatialDilatedMaxPooling", (3, 3, 1, 1, 2, 1), {}, nnfunc.InputError),
    ("SpatialDilatedMaxPooling", (3, 3, 1, 1, 1, 1, 1, 1.0), {}, nnfunc.InputTypeError),
    ("SpatialAveragePooling", (0, 2), {}, nnfunc.InputError),
    ("SpatialAveragePooling", (3, 3, 1, 1, 2, 0), {}, nnfunc.InputError),
    ("SpatialAveragePooling", (2, 2), {"count_include_pad": 0}, nnfunc.InputTypeError),
    ("SpatialAdaptiveMaxPooling", (0, 2), {}, nnfunc.InputError),
    ("SpatialAdaptiveMaxPooling", (2, 2.0), {}, nnfunc.InputTypeError),
    ("SpatialAdaptiveMaxPooling", (2, 2), {"return_indices": None}, nnfunc.InputTypeError),
    ("SpatialAdaptiveAveragePooling", (3, -1), {}, nnfunc.InputError),
    ("SpatialMaxUnpooling", (0,), {}, nnfunc.InputError),
    ("SpatialMaxUnpooling", ("pool",), {}, nnfunc.InputTypeError),
    ("SpatialMaxUnpooling", (nnfunc.nn.SpatialMaxPooling(2, 2), 2), {}, nnfunc.InputError),
]
BAD_CTORS += [
    ("VolumetricMaxPooling", (0, 2, 2), {}, nnfunc.InputError),
    ("VolumetricMaxPooling", (2, 2, 2, 1, 0), {}, nnfunc.InputError),
    ("VolumetricMaxPooling", (3, 3, 3, 1, 1, 1, 2, 0, 0), {}, nnfunc.InputError),
    ("VolumetricMaxPooling", (2, 2, 2.0), {}, nnfunc.InputTypeError),
    ("VolumetricMaxPooling", (2, 2, 2), {"ceil_mode": 1}, nnfunc.InputTypeError),
    ("VolumetricMaxPooling", (2, 2, 2), {"return_indices": "yes"}, nnfunc.InputTypeError),
    ("VolumetricMaxPooling", (512, 256, 256), {}, nnfunc.InputError),
    ("VolumetricDilatedMaxPooling", (2, 2, 2, 1, 1, 1, 0, 0, 0, 0), {}, nnfunc.InputError),
    ("VolumetricDilatedMaxPooling", (2, 2, 2, 1, 1, 1, 0, 0, -1), {}, nnfunc.InputError),
    ("VolumetricAveragePooling", (2, 0, 2), {}, nnfunc.InputError),
    ("VolumetricAveragePooling", (2, 2, 2, 2, 2, 2, 0, 2, 0), {}, nnfunc.InputError),
    ("VolumetricAveragePooling", (2, 2, 2), {"count_include_pad": None}, nnfunc.InputTypeError),
    ("TemporalMaxPooling", (0,), {}, nnfunc.InputError),
    ("TemporalMaxPooling", (2, 0), {}, nnfunc.InputError),
    ("TemporalMaxPooling", (2.5,), {}, nnfunc.InputTypeError),
]

# ------------------------------------------- elementwise criterions (one kernel)
def uniform(lo, hi):
    def gen(rng, shape):
        return rng.uniform(lo, hi, shape)
    return gen


def signs(rng, shape):
    return np.where(rng.standard_normal(shape) > 0, 1.0, -1.0)


def zero_one(rng, shape):
    return (rng.standard_normal(shape) > 0).astype(np.float64)


def kl_target(rng, shape):
    """Probabilities with some exact zeros (terms that add nothing)."""
    t = rng.uniform(0.05, 1, shape)
    return np.where(rng.standard_normal(shape) > 1, 0.0, t)


def _red(sa):
    return "mean" if sa else "sum"


def _expand_w(torch, t, w):
    return None if w is None else torch.tensor(w, dtype=t["input"].dtype).expand_as(t["input"])


_W4 = [0.5, 1.0, 2.0, 0.25]
for _shape, _label, _batch, _sa in [((3, 4), "batch", True, True),
                                    ((2, 3, 4), "3d-sum", True, False),
                                    ((7,), "vector", False, True)]:
    _kw = {} if _sa else {"sizeAverage": False}
    add(
        Case("AbsCriterion", (), _shape, _label, kwargs=_kw, batch=_batch, target=normal,
             ref=lambda torch, t, r=_red(_sa): _F(torch).l1_loss(t["input"], t["target"],
                                                                 reduction=r),
             bad=_float_target_bad),
        Case("SmoothL1Criterion", (), _shape, _label, kwargs=_kw, batch=_batch,
             gen=lambda rng, s: 2 * normal(rng, s), target=away_from(),
             ref=lambda torch, t, r=_red(_sa): _F(torch).smooth_l1_loss(
                 t["input"], t["target"], reduction=r),
             bad=_float_target_bad),
        Case("BCECriterion", (), _shape, _label, kwargs=_kw, batch=_batch,
             gen=uniform(0.05, 0.95), target=uniform(0, 1),
             ref=lambda torch, t, r=_red(_sa): _F(torch).binary_cross_entropy(
                 t["input"], t["target"], reduction=r),
             bad=_float_target_bad),
        Case("SoftMarginCriterion", (), _shape, _label, kwargs=_kw, batch=_batch,
             gen=lambda rng, s: 3 * normal(rng, s), target=signs,
             ref=lambda torch, t, r=_red(_sa): _F(torch).soft_margin_loss(
                 t["input"], t["target"], reduction=r),
             bad=_float_target_bad),
        Case("DistKLDivCriterion", (), _shape, _label, kwargs=_kw, batch=_batch,
             target=kl_target,
             ref=lambda torch, t, sa=_sa: getattr(
                 torch.xlogy(t["target"], t["target"]) - t["target"] * t["input"],
                 "mean" if sa else "sum")(),
             bad=_float_target_bad),
        Case("L1Cost", (), _shape, _label, batch=_batch, gen=away_from(0.0),
             ref=lambda torch, t: t["input"].abs().sum()),
        Case("MarginCriterion", (0.7,), _shape, _label, kwargs=_kw, batch=_batch,
             gen=away_from(0.7, -0.7), target=signs,
             ref=lambda torch, t, sa=_sa: getattr(
                 torch.clamp(0.7 - t["input"] * t["target"], min=0), "mean" if sa else "sum")(),
             bad=_float_target_bad),
        Case("HingeEmbeddingCriterion", (0.5,), _shape, _label, kwargs=_kw, batch=_batch,
             gen=away_from(0.5), target=signs,
             ref=lambda torch, t, r=_red(_sa): _F(torch).hinge_embedding_loss(
                 t["input"], t["target"], 0.5, reduction=r),
             bad=_float_target_bad),
    )
_w_bad = [("weights-size", lambda d: dict(d, input=d["input"][..., :3], target=d["target"][..., :3]),
           nnfunc.InputError, "weights"),
          ("input-3d", lambda d: dict(d, input=d["input"][None], target=d["target"][None]),
           nnfunc.InputError, "'input'")]
add(
    Case("BCECriterion", (_W4,), (3, 4), "weights", batch=True, gen=uniform(0.05, 0.95),
         target=uniform(0, 1),
         ref=lambda torch, t: _F(torch).binary_cross_entropy(
             t["input"], t["target"], weight=_expand_w(torch, t, _W4)),
         bad=_w_bad),
    Case("BCECriterion", (_W4, False), (4,), "vector-weights-sum", gen=uniform(0.05, 0.95),
         target=uniform(0, 1),
         ref=lambda torch, t: _F(torch).binary_cross_entropy(
             t["input"], t["target"], weight=_expand_w(torch, t, _W4), reduction="sum")),
    Case("MultiLabelSoftMarginCriterion", (), (3, 5), "batch", batch=True,
         gen=lambda rng, s: 3 * normal(rng, s), target=zero_one,
         ref=lambda torch, t: _F(torch).binary_cross_entropy_with_logits(
             t["input"], t["target"]),
         bad=_float_target_bad[:3] + _w_bad[1:]),
    Case("MultiLabelSoftMarginCriterion", (_W4, False), (5, 4), "weights-sum", batch=True,
         target=zero_one,
         ref=lambda torch, t: _F(torch).binary_cross_entropy_with_logits(
             t["input"], t["target"], weight=_expand_w(torch, t, _W4), reduction="sum"),
         bad=_w_bad),
    Case("MultiLabelSoftMarginCriterion", (), (6,), "vector", target=zero_one,
         ref=lambda torch, t: _F(torch).binary_cross_entropy_with_logits(
             t["input"], t["target"])),
)
BAD_CTORS += [
    ("AbsCriterion", (1,), {}, nnfunc.InputTypeError),
    ("BCECriterion", ([[1.0]],), {}, nnfunc.InputError),
    ("BCECriterion", (["a"],), {}, nnfunc.InputTypeError),
    ("SoftMarginCriterion", (), {"sizeAverage": 0}, nnfunc.InputTypeError),
    ("MarginCriterion", (float("inf"),), {}, nnfunc.InputError),
    ("MarginCriterion", ("1",), {}, nnfunc.InputTypeError),
    ("HingeEmbeddingCriterion", (None,), {}, nnfunc.InputTypeError),
    ("MultiLabelSoftMarginCriterion", ([1.0, float("nan")],), {}, nnfunc.InputError),
]


# --------------------------------------------- class-target criterions (part 2)
def label_lists(n_classes):
    """MultiLabelMargin targets: per row a -1-terminated list of distinct
    0-based classes (row i lists i % n_classes of them; garbage-free padding)."""
    def gen(rng, shape):
        rows = 1 if len(shape) == 1 else shape[0]
        t = np.full((rows, n_classes), -1, dtype=np.int64)
        for i in range(rows):
            k = (i + 1) % n_classes
            t[i, :k] = rng.permutation(n_classes)[:k]
        return t.reshape(shape)
    return gen


def _hinge_gen(rng, shape):
    """Distinct values whose differences stay clear of the margins 1 and 0.5."""
    return 0.93 * distinct(rng, shape)


def pixel_classes(n_classes, ignore=None):
    def gen(rng, shape):
        t = rng.integers(0, n_classes, (shape[0],) + tuple(shape[2:])).astype(np.int64)
        if ignore is not None:
            t.reshape(-1)[::3] = ignore
        return t
    return gen


def _ce_ref(weights=None, ignore=-100, size_average=True):
    def ref(torch, t):
        w = None if weights is None else torch.tensor(weights, dtype=t["input"].dtype)
        return _F(torch).cross_entropy(t["input"], t["target"], weight=w, ignore_index=ignore,
                                       reduction="mean" if size_average else "sum")
    return ref


def _mm_ref(p=1, weights=None, margin=1.0, size_average=True):
    def ref(torch, t):
        w = None if weights is None else torch.tensor(weights, dtype=t["input"].dtype)
        return _F(torch).multi_margin_loss(t["input"], t["target"], p=p, margin=margin,
                                           weight=w, reduction=_red(size_average))
    return ref


_class_bad = [b for b in _nll_bad if b[0] != "input-3d"]
add(
    Case("CrossEntropyCriterion", (), (5,), "vector", target=classes(5), ref=_ce_ref(),
         gen=lambda rng, s: 3 * normal(rng, s), bad=_nll_bad[:2] + _nll_bad[3:]),
    Case("CrossEntropyCriterion", (), (7, 5), "batch", batch=True, target=classes(5),
         gen=lambda rng, s: 3 * normal(rng, s), ref=_ce_ref(), bad=_nll_bad),
    Case("CrossEntropyCriterion", (_NLL_W, False), (8, 5), "weights-ignore-sum",
         kwargs={"ignoreIndex": 2}, batch=True, target=classes(5, ignore=2),
         ref=_ce_ref(_NLL_W, 2, False)),
    Case("SpatialClassNLLCriterion", (), (2, 5, 3, 4), "batch", batch=True,
         target=pixel_classes(5), ref=_nll_ref(),
         bad=[("target-too-big", _set("target", lambda d: d["target"] + 5), nnfunc.InputError,
               "'target'"),
              ("target-shape", _set("target", lambda d: d["target"][:, :2]), nnfunc.InputError,
               "'target'"),
              ("input-3d", _set("input", lambda d: d["input"][0]), nnfunc.InputError,
               "'input'")]),
    Case("SpatialClassNLLCriterion", (_NLL_W, False, 1), (3, 5, 2, 3), "weights-ignore-sum",
         batch=True, target=pixel_classes(5, ignore=1), ref=_nll_ref(_NLL_W, 1, False)),
    Case("MultiMarginCriterion", (), (5,), "vector", target=classes(5),
         gen=_hinge_gen, ref=_mm_ref(), bad=_class_bad[:2] + _class_bad[3:]),
    Case("MultiMarginCriterion", (2, _NLL_W, 0.5), (7, 5), "p2-weights", batch=True,
         gen=_hinge_gen, target=classes(5), ref=_mm_ref(2, _NLL_W, 0.5), bad=_class_bad),
    Case("MultiMarginCriterion", (), (6, 4), "sum", kwargs={"sizeAverage": False},
         batch=True, gen=_hinge_gen, target=classes(4), ref=_mm_ref(size_average=False)),
    # rows wider than the kernel's 32 vector lanes (the lanes, then the rest)
    Case("MultiMarginCriterion", (), (3, 70), "wide", batch=True, gen=_hinge_gen,
         target=classes(70), ref=_mm_ref()),
    Case("MultiMarginCriterion", (2, None, 0.5), (3, 70), "p2-wide", batch=True,
         gen=_hinge_gen, target=classes(70), ref=_mm_ref(2, None, 0.5)),
    Case("MultiLabelMarginCriterion", (), (6, 5), "batch", batch=True, gen=_hinge_gen,
         target=label_lists(5),
         ref=lambda torch, t: _F(torch).multilabel_margin_loss(t["input"], t["target"]),
         bad=[("target-too-big", _set("target", lambda d: d["target"] + 5),
               nnfunc.InputError, "'target'"),
              ("target-negative", _set("target", lambda d: d["target"] - 1),
               nnfunc.InputError, "'target'"),
              ("target-shape", _set("target", lambda d: d["target"][:, :3]),
               nnfunc.InputError, "'target'"),
              ("target-float", _set("target", lambda d: d["target"].astype(np.float64)),
               nnfunc.InputTypeError, "'target'")]),
    Case("MultiLabelMarginCriterion", (), (5,), "vector-sum", kwargs={"sizeAverage": False},
         gen=_hinge_gen, target=lambda rng, s: np.array([3, 0, -1, 2, 2], dtype=np.int64),
         ref=lambda torch, t: _F(torch).multilabel_margin_loss(t["input"], t["target"],
                                                               reduction="sum")),
)
BAD_CTORS += [
    ("CrossEntropyCriterion", ([[1.0]],), {}, nnfunc.InputError),
    ("SpatialClassNLLCriterion", (None, 1), {}, nnfunc.InputTypeError),
    ("MultiMarginCriterion", (3,), {}, nnfunc.InputError),
    ("MultiMarginCriterion", (1, None, float("nan")), {}, nnfunc.InputError),
    ("MultiLabelMarginCriterion", (), {"sizeAverage": None}, nnfunc.InputTypeError),
]
BAD_CTORS += [
    ("Power", ("a",), {}, nnfunc.InputTypeError),
    ("AddConstant", (float("nan"),), {}, nnfunc.InputError),
    ("MulConstant", (1.0, "yes"), {}, nnfunc.InputTypeError),
    ("Sum", (0, None, 1), {}, nnfunc.InputTypeError),
    ("Max", (0.5,), {}, nnfunc.InputTypeError),
    ("Mean", (0, 0), {}, nnfunc.InputError),
    ("Reshape", (0,), {}, nnfunc.InputError),
    ("Reshape", (), {}, nnfunc.InputError),
    ("View", (-1, -1), {}, nnfunc.InputError),
    ("View", (2, 3), {"numInputDims": 0}, nnfunc.InputError),
    ("Transpose", ((0,),), {}, nnfunc.InputTypeError),
    ("Squeeze", (1.0,), {}, nnfunc.InputTypeError),
    ("Unsqueeze", (-1,), {}, nnfunc.InputError),
    ("Narrow", (0, 1.5), {}, nnfunc.InputTypeError),
    ("Select", (0, None), {}, nnfunc.InputTypeError),
    ("Replicate", (3, -1), {}, nnfunc.InputError),
    ("Collapse", (-1,), {}, nnfunc.InputError),
]
BAD_CTORS += [
    ("OneHot", (0,), {}, nnfunc.InputError),
    ("OneHot", (3,), {"dtype": "int64"}, nnfunc.InputTypeError),
]
BAD_CTORS += [
    ("Index", (1.0,), {}, nnfunc.InputTypeError),
    ("JoinTable", (1.5,), {}, nnfunc.InputTypeError),
    ("JoinTable", (0, 0), {}, nnfunc.InputError),
    ("SelectTable", (1.5,), {}, nnfunc.InputTypeError),
    ("NarrowTable", (-1,), {}, nnfunc.InputError),
    ("NarrowTable", (0, 0), {}, nnfunc.InputError),
    ("PairwiseDistance", (0.5,), {}, nnfunc.InputError),
    ("PairwiseDistance", (float("inf"),), {}, nnfunc.InputError),
    ("PairwiseDistance", ("2",), {}, nnfunc.InputTypeError),
    ("MM", (1,), {}, nnfunc.InputTypeError),
    ("MV", ("yes",), {}, nnfunc.InputTypeError),
]

# MarginRankingCriterion: a table input [x1, x2] and a +-1 target of their shape
_mr_bad = [
    ("entries", _set("input", lambda d: d["input"] + d["input"][:1]), nnfunc.InputError,
     "'input'"),
    ("mismatch", _set("input", lambda d: [d["input"][0], d["input"][1][:-1]]),
     nnfunc.InputError, r"input\[1\]"),
    ("target-shape", _set("target", lambda d: d["target"][:-1]), nnfunc.InputError, "'target'"),
    ("target-int", _set("target", lambda d: d["target"].astype(np.int64)),
     nnfunc.InputTypeError, "'target'"),
]
add(
    Case("MarginRankingCriterion", (0.5,), [(6,), (6,)], "batch", batch=True,
         target=lambda rng, s: signs(rng, s[0]),
         ref=lambda torch, t: _F(torch).margin_ranking_loss(*t["input"], t["target"], 0.5),
         bad=_mr_bad),
    Case("MarginRankingCriterion", (), [(2, 3), (2, 3)], "2d-sum",
         kwargs={"sizeAverage": False}, batch=True, target=lambda rng, s: signs(rng, s[0]),
         ref=lambda torch, t: _F(torch).margin_ranking_loss(*t["input"], t["target"], 1.0,
                                                            reduction="sum")),
)
BAD_CTORS += [("MarginRankingCriterion", ("1",), {}, nnfunc.InputTypeError)]

# ---------------------------------------------------------------- padding
def _pad_ref(pads, mode="constant"):
    def ref(torch, t):
        x = t["input"]
        nd = len(pads) // 2
        single = x.ndim == nd + 1
        y = _F(torch).pad(x[None] if single and mode != "constant" else x, pads, mode=mode)
        return y[0] if single and mode != "constant" else y
    return ref


_pad_bad = [("input-2d", _set("input", lambda d: d["input"][0, 0]), nnfunc.InputError,
             "'input'")]
add(
    Case("SpatialZeroPadding", (2,), (2, 3, 4, 5), "batch", batch=True,
         ref=_pad_ref((2, 2, 2, 2)), bad=_pad_bad),
    # negative pads crop (odd sizes, single image)
    Case("SpatialZeroPadding", (1, -2, 3, -1), (3, 5, 7), "image-crop",
         ref=_pad_ref((1, -2, 3, -1)),
         bad=[("cropped-away", _set("input", lambda d: d["input"][:, :1, :]), nnfunc.InputError,
               "'input'.*too small")]),
    Case("SpatialZeroPadding", (-1, 2, -2, 0), (2, 3, 5, 6), "batch-mixed", batch=True,
         ref=_pad_ref((-1, 2, -2, 0))),
    Case("SpatialReflectionPadding", (2, 1, 3, 0), (2, 3, 4, 5), "batch", batch=True,
         ref=_pad_ref((2, 1, 3, 0), "reflect"),
         bad=_pad_bad + [("pad-too-large", _set("input", lambda d: d["input"][..., :2, :]),
                          nnfunc.InputError, "reflection padding.*smaller")]),
    Case("SpatialReflectionPadding", (3,), (3, 4, 5), "image-edges",
         ref=_pad_ref((3, 3, 3, 3), "reflect")),
    Case("SpatialReplicationPadding", (2, 1, 3, 0), (2, 3, 4, 5), "batch", batch=True,
         ref=_pad_ref((2, 1, 3, 0), "replicate"), bad=_pad_bad),
    # pads wider than the input: the border elements accumulate many gradients
    Case("SpatialReplicationPadding", (4,), (3, 1, 2), "image-wide",
         ref=_pad_ref((4, 4, 4, 4), "replicate")),
    Case("VolumetricReplicationPadding", (1, 2, 0, 3, 2, 1), (2, 3, 4, 5, 3), "batch",
         batch=True, ref=_pad_ref((1, 2, 0, 3, 2, 1), "replicate"),
         bad=[("input-3d", _set("input", lambda d: d["input"][0, 0]), nnfunc.InputError,
               "'input'")]),
    Case("VolumetricReplicationPadding", (2,), (3, 2, 3, 1), "image",
         ref=_pad_ref((2,) * 6, "replicate")),
)
BAD_CTORS += [
    ("SpatialZeroPadding", (1.5,), {}, nnfunc.InputTypeError),
    ("SpatialReflectionPadding", (1, -1), {}, nnfunc.InputError),
    ("SpatialReplicationPadding", (1, 1, -1), {}, nnfunc.InputError),
    ("VolumetricReplicationPadding", (1, 1, 1, 1, 1, "2"), {}, nnfunc.InputTypeError),
]

# ------------------------------------------------------------- upsampling
def _interp_ref(**kw):
    def ref(torch, t):
        x = t["input"]
        y = _F(torch).interpolate(x[None] if x.ndim == 3 else x, **kw)
        return y[0] if x.ndim == 3 else y
    return ref


add(
    Case("SpatialUpSamplingNearest", (2,), (2, 3, 4, 5), "batch", batch=True,
         ref=_interp_ref(scale_factor=2, mode="nearest"), bad=_pad_bad),
    Case("SpatialUpSamplingNearest", (3,), (3, 1, 5), "image-odd",
         ref=_interp_ref(scale_factor=3, mode="nearest")),
    Case("SpatialUpSamplingBilinear", (2,), (2, 3, 4, 5), "batch", batch=True,
         ref=_interp_ref(size=(8, 10), mode="bilinear", align_corners=True), bad=_pad_bad),
    # a single input row: every output row reads it (scale 0 on that axis)
    Case("SpatialUpSamplingBilinear", (3,), (3, 1, 5), "image-odd",
         ref=_interp_ref(size=(3, 15), mode="bilinear", align_corners=True)),
    # explicit sizes, one output column, oheight not a multiple of H
    Case("SpatialUpSamplingBilinear", ({"oheight": 7, "owidth": 1},), (2, 3, 4, 5), "size",
         batch=True, ref=_interp_ref(size=(7, 1), mode="bilinear", align_corners=True)),
    Case("SpatialUpSamplingBilinear", (), (2, 3, 5), "size-kw",
         kwargs={"oheight": 4, "owidth": 11},
         ref=_interp_ref(size=(4, 11), mode="bilinear", align_corners=True)),
)
BAD_CTORS += [
    ("SpatialUpSamplingNearest", (0,), {}, nnfunc.InputError),
    ("SpatialUpSamplingNearest", (1.5,), {}, nnfunc.InputTypeError),
    ("SpatialUpSamplingBilinear", (0,), {}, nnfunc.InputError),
    ("SpatialUpSamplingBilinear", (), {}, nnfunc.InputError),
    ("SpatialUpSamplingBilinear", ({"oheight": 4},), {}, nnfunc.InputError),
    ("SpatialUpSamplingBilinear", ({"height": 4, "owidth": 2},), {}, nnfunc.InputTypeError),
    ("SpatialUpSamplingBilinear", (2,), {"oheight": 4, "owidth": 4}, nnfunc.InputError),
]

# ---------------------------------------------------------- pixel shuffle
add(
    Case("PixelShuffle", (2,), (2, 12, 3, 5), "batch", batch=True,
         ref=lambda torch, t: _F(torch).pixel_shuffle(t["input"], 2),
         bad=_pad_bad + [("planes", _set("input", lambda d: d["input"][:, :-1]),
                          nnfunc.InputError, "multiple of upscaleFactor")]),
    Case("PixelShuffle", (3,), (9, 2, 1), "image-odd",
         ref=lambda torch, t: _F(torch).pixel_shuffle(t["input"][None], 3)[0]),
    Case("PixelShuffle", (1,), (2, 3, 4, 5), "identity", batch=True,
         ref=lambda torch, t: t["input"] + 0),
    # r = 4 (a compiled constant) and r = 5 (the kernel's generic-r loop), odd sizes
    Case("PixelShuffle", (4,), (2, 32, 3, 5), "r4-odd", batch=True,
         ref=lambda torch, t: _F(torch).pixel_shuffle(t["input"], 4)),
    Case("PixelShuffle", (5,), (25, 3, 1), "image-r5",
         ref=lambda torch, t: _F(torch).pixel_shuffle(t["input"][None], 5)[0]),
)
BAD_CTORS += [
    ("PixelShuffle", (0,), {}, nnfunc.InputError),
    ("PixelShuffle", (2.0,), {}, nnfunc.InputTypeError),
]

# UpSampling: batch axis mandatory (4-D or 5-D input), so no per-sample rows (batch=False)
_up_bad = [("input-3d", _set("input", lambda d: d["input"][0]), nnfunc.InputError, "'input'")]
add(
    Case("UpSampling", (2,), (2, 3, 4, 5), "nearest-2d",
         ref=lambda torch, t: _F(torch).interpolate(t["input"], scale_factor=2, mode="nearest"),
         bad=_up_bad),
    Case("UpSampling", (3,), (2, 3, 2, 1, 5), "nearest-3d",
         ref=lambda torch, t: _F(torch).interpolate(t["input"], scale_factor=3, mode="nearest")),
    Case("UpSampling", (2, "linear"), (2, 3, 4, 5), "linear-2d",
         ref=lambda torch, t: _F(torch).interpolate(t["input"], size=(8, 10), mode="bilinear",
                                                    align_corners=True), bad=_up_bad),
    Case("UpSampling", (2, "trilinear"), (2, 3, 3, 4, 5), "linear-3d",
         ref=lambda torch, t: _F(torch).interpolate(t["input"], size=(6, 8, 10),
                                                    mode="trilinear", align_corners=True)),
    Case("UpSampling", ({"odepth": 5, "oheight": 1, "owidth": 7}, "linear"), (2, 3, 3, 4, 5),
         "sizes-3d",
         ref=lambda torch, t: _F(torch).interpolate(t["input"], size=(5, 1, 7),
                                                    mode="trilinear", align_corners=True),
         bad=[("input-3d", _set("input", lambda d: d["input"][0, 0]), nnfunc.InputError,
               "'input'")]),
    # a 5-D input needs odepth in the size table
    Case("UpSampling", ({"oheight": 3, "owidth": 2}, "bilinear"), (1, 2, 3, 4), "sizes-2d",
         ref=lambda torch, t: _F(torch).interpolate(t["input"], size=(3, 2), mode="bilinear",
                                                    align_corners=True),
         bad=[("input-5d", _set("input", lambda d: d["input"][:, :, None]), nnfunc.InputError,
               "odepth")]),
)
BAD_CTORS += [
    ("UpSampling", (0,), {}, nnfunc.InputError),
    ("UpSampling", (2, "cubic"), {}, nnfunc.InputError),
    ("UpSampling", ({"oheight": 2, "owidth": 2},), {}, nnfunc.InputError),
    ("UpSampling", ({"oheight": 2},), {"mode": "linear"}, nnfunc.InputError),
    ("UpSampling", (2.5,), {}, nnfunc.InputTypeError),
]

# ------------------------------------------- parameterized: broadcast, distances, bilinear
_add_bad = [
    ("bias-shape", _set("bias", lambda d: np.concatenate([d["bias"], d["bias"]])),
     nnfunc.InputError, "'bias'"),
    ("input-size", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError, "inputSize"),
]
add(
    Case("Add", (6,), (6,), "vector", ref=lambda torch, t: t["input"] + t["bias"],
         bad=_add_bad),
    Case("Add", (6,), (4, 6), "batch", batch=True,
         ref=lambda torch, t: t["input"] + t["bias"], bad=_add_bad),
    # a batch of (2, 3) samples: the bias is added to each sample viewed flat
    Case("Add", (6,), (4, 2, 3), "batch-3d",
         ref=lambda torch, t: (t["input"].reshape(4, 6) + t["bias"]).reshape(4, 2, 3)),
    Case("Add", (1, True), (3, 4, 5), "scalar", batch=True,
         ref=lambda torch, t: t["input"] + t["bias"][0],
         bad=[("bias-shape", _set("bias", lambda d: np.zeros(2, d["bias"].dtype)),
               nnfunc.InputError, "'bias'")]),
    Case("Mul", (), (3, 4, 5), "3d", batch=True, ref=lambda torch, t: t["weight"][0] * t["input"],
         bad=[("weight-shape", _set("weight", lambda d: np.zeros((1, 1), d["weight"].dtype)),
               nnfunc.InputError, "'weight'")]),
    Case("Mul", (), (7,), "1d", ref=lambda torch, t: t["weight"][0] * t["input"]),
)
for _M, _k, _op in (("CAdd", "bias", lambda a, b: a + b), ("CMul", "weight", lambda a, b: a * b)):
    _cbad = [
        (f"{_k}-shape", _set(_k, lambda d, _k=_k: d[_k][..., :1]), nnfunc.InputError, f"'{_k}'"),
        ("input-size", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError,
         "'input'"),
    ]
    add(
        Case(_M, (3, 4), (3, 4), "same", ref=lambda torch, t, _k=_k, _op=_op:
             _op(t["input"], t[_k]), bad=_cbad),
        Case(_M, (3, 4), (5, 3, 4), "batch", batch=True, ref=lambda torch, t, _k=_k, _op=_op:
             _op(t["input"], t[_k]), bad=_cbad),
        # same element count, other shape: elementwise over the flattened arrays
        Case(_M, (12,), (3, 4), "flat", ref=lambda torch, t, _k=_k, _op=_op:
             _op(t["input"].reshape(12), t[_k]).reshape(3, 4)),
        # same ndim: singleton dims of the parameter expand
        Case(_M, (1, 4, 1), (3, 4, 5), "expand", ref=lambda torch, t, _k=_k, _op=_op:
             _op(t["input"], t[_k]),
             bad=[("input-dim", _set("input", lambda d: d["input"][:, :3]), nnfunc.InputError,
                   "dim 1")]),
        Case(_M, (2, 1, 3, 1), (2, 5, 3, 4), "expand-4d", ref=lambda torch, t, _k=_k, _op=_op:
             _op(t["input"], t[_k])),
        Case(_M, (1,), (7,), "scalar-like", ref=lambda torch, t, _k=_k, _op=_op:
             _op(t["input"], t[_k])),
    )

_euc_bad = [
    ("weight-transposed", _set("weight", lambda d: np.ascontiguousarray(d["weight"].T)),
     nnfunc.InputError, "'weight'"),
    ("input-size", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError, "inputSize"),
    ("input-3d", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError, "'input'"),
]


def _euclidean_ref(torch, t):
    """torch.cdist, its gradient scaled by D / (D + 1e-7): Torch7's backward divides
    by (distance + 1e-7) where cdist divides by the distance."""
    x = t["input"]
    D = torch.cdist(x[None] if x.ndim == 1 else x, t["weight"].t())
    D = D[0] if x.ndim == 1 else D
    c = D.detach()
    return c + (D - c) * (c / (c + 1e-7))


add(
    Case("Euclidean", (5, 3), (5,), "vector", bad=_euc_bad, ref=_euclidean_ref),
    Case("Euclidean", (5, 3), (4, 5), "batch", batch=True, bad=_euc_bad, ref=_euclidean_ref),
    # one input dim: |x - w|, kept >= 2 so Torch7's 1e-7 in the backward stays below 1e-7
    Case("Euclidean", (1, 7), (6, 1), "in1", batch=True,
         gen=lambda rng, s: 3 + rng.random(s), ref=_euclidean_ref),
)

_bil_bad = [
    ("rows", _set("input", lambda d: [d["input"][0], d["input"][1][:-1]]), nnfunc.InputError,
     r"input\[1\]"),
    ("input-1d", _set("input", lambda d: [d["input"][0][0], d["input"][1][0]]),
     nnfunc.InputError, r"input\[0\]"),
    ("size2", _set("input", lambda d: [d["input"][0], d["input"][1][:, :-1]]),
     nnfunc.InputError, "inputSize2"),
    ("weight-shape", _set("weight", lambda d: d["weight"][:, :, :-1]), nnfunc.InputError,
     "'weight'"),
    _entries(3),
]
add(
    Case("Bilinear", (3, 4, 5), [(6, 3), (6, 4)], "2d", bad=_bil_bad,
         ref=lambda torch, t: _F(torch).bilinear(*t["input"], t["weight"], t["bias"])),
    Case("Bilinear", (2, 3, 1), [(4, 2), (4, 3)], "nobias", kwargs={"bias": False},
         ref=lambda torch, t: _F(torch).bilinear(*t["input"], t["weight"])),
)
BAD_CTORS += [
    ("Add", (0,), {}, nnfunc.InputError),
    ("Add", (3, 1), {}, nnfunc.InputTypeError),
    ("Add", (3.0,), {}, nnfunc.InputTypeError),
    ("CAdd", (), {}, nnfunc.InputError),
    ("CAdd", (2, 0), {}, nnfunc.InputError),
    ("CMul", (2.5,), {}, nnfunc.InputTypeError),
    ("CMul", ((3, -1),), {}, nnfunc.InputError),
    ("Mul", (1,), {}, TypeError),
    ("Euclidean", (0, 3), {}, nnfunc.InputError),
    ("Euclidean", (3, "4"), {}, nnfunc.InputTypeError),
    ("Bilinear", (3, 4, 0), {}, nnfunc.InputError),
    ("Bilinear", (3, 4, 5), {"bias": 1}, nnfunc.InputTypeError),
]

# ------------------------------------------- convolution family (conv2d branch)
def _dconv_ref(dW, dH, padW, padH, dilW, dilH):
    def ref(torch, t):
        return _F(torch).conv2d(t["input"], t["weight"], t.get("bias"), stride=(dH, dW),
                                padding=(padH, padW), dilation=(dilH, dilW))
    return ref


def _mm_ref(o, c, kH, kW, dW, dH, padW, padH):
    def ref(torch, t):
        return _F(torch).conv2d(t["input"], t["weight"].reshape(o, c, kH, kW), t.get("bias"),
                                stride=(dH, dW), padding=(padH, padW))
    return ref


def _full_ref(dW, dH, padW, padH, adjW, adjH):
    def ref(torch, t):
        return _F(torch).conv_transpose2d(t["input"], t["weight"], t.get("bias"),
                                          stride=(dH, dW), padding=(padH, padW),
                                          output_padding=(adjH, adjW))
    return ref


_mm_bad = [
    ("weight-4d", _set("weight", lambda d: d["weight"].reshape(4, 3, 2, 3)), nnfunc.InputError,
     "'weight'"),
    ("input-planes", _set("input", lambda d: d["input"][..., :-1, :, :]), nnfunc.InputError,
     "nInputPlane"),
]
_full_bad = [
    ("weight-swapped", _set("weight", lambda d: d["weight"].transpose(1, 0, 2, 3)),
     nnfunc.InputError, "'weight'"),
    ("input-planes", _set("input", lambda d: d["input"][..., :-1, :, :]), nnfunc.InputError,
     "nInputPlane"),
    ("input-2d", _set("input", lambda d: d["input"][0, 0, ...]), nnfunc.InputError, "'input'"),
]
add(
    # dilation 2 in both directions, padding 1
    Case("SpatialDilatedConvolution", (3, 4, 3, 3, 1, 1, 1, 1, 2, 2), (2, 3, 7, 6), "batch",
         batch=True, ref=_dconv_ref(1, 1, 1, 1, 2, 2), bad=_conv_bad + _too_small),
    # stride 1 and nInputPlane*kW >= 16: the rows path with dilationH = 3, kW != kH
    Case("SpatialDilatedConvolution", (8, 3, 3, 2, 1, 1, 2, 1, 2, 3), (2, 8, 9, 8), "rows",
         batch=True, ref=_dconv_ref(1, 1, 2, 1, 2, 3)),
    # strides (2, 3), single image, no bias: the unfold path
    Case("SpatialDilatedConvolution", (2, 3, 3, 2, 2, 3, 1, 0, 3, 2), (2, 11, 10),
         "image-stride-nobias", kwargs={"bias": False}, ref=_dconv_ref(2, 3, 1, 0, 3, 2)),
    # >= 8 planes: the shift method in float32 (AVX-512)
    Case("SpatialDilatedConvolution", (8, 8, 3, 3, 1, 1, 2, 2, 2, 2), (2, 8, 9, 9), "shift",
         batch=True, ref=_dconv_ref(1, 1, 2, 2, 2, 2), tol32=(5e-4, 5e-5), namespaces=False),
    Case("SpatialConvolutionMM", (3, 4, 3, 2, 2, 1, 1), (2, 3, 7, 6), "batch", batch=True,
         ref=_mm_ref(4, 3, 2, 3, 2, 1, 1, 1), bad=_mm_bad),
    Case("SpatialConvolutionMM", (2, 3, 3, 3, 1, 1, 0, 1), (2, 5, 6), "image-nobias",
         kwargs={"bias": False}, ref=_mm_ref(3, 2, 3, 3, 1, 1, 0, 1)),
    # stride 2, padding 1, adjustment 1
    Case("SpatialFullConvolution", (3, 4, 3, 3, 2, 2, 1, 1, 1, 1), (2, 3, 5, 4), "batch",
         batch=True, ref=_full_ref(2, 2, 1, 1, 1, 1), bad=_full_bad),
    # odd: kW != kH, strides (3, 2), padH only, adjW = 2, single image
    Case("SpatialFullConvolution", (3, 2, 4, 3, 3, 2, 0, 1, 2, 0), (3, 4, 5), "image-odd",
         ref=_full_ref(3, 2, 0, 1, 2, 0)),
    # stride 1 with nOutputPlane*kW >= 16: the rows path (forward and gradInput)
    Case("SpatialFullConvolution", (3, 6, 3, 3, 1, 1, 1, 1), (2, 3, 5, 6), "rows",
         batch=True, ref=_full_ref(1, 1, 1, 1, 0, 0)),
    # >= 8 planes, k = 2s: the shift method by output phases in float32 (AVX-512)
    Case("SpatialFullConvolution", (8, 9, 4, 4, 2, 2, 1, 1), (2, 8, 5, 6), "shift",
         batch=True, ref=_full_ref(2, 2, 1, 1, 0, 0), tol32=(5e-4, 5e-5), namespaces=False),
    # 1x1 stride 1: the direct path, no bias
    Case("SpatialFullConvolution", (4, 5, 1, 1), (2, 4, 3, 5), "1x1-nobias",
         kwargs={"bias": False}, batch=True, ref=_full_ref(1, 1, 0, 0, 0, 0)),
    # Torch7's table [x, target]: adj = (target size + 2 pad - k) mod d = (1, 0) here
    Case("SpatialFullConvolution", (2, 3, 3, 3, 2, 2, 1, 1), [(2, 2, 3, 4), (2, 1, 6, 7)],
         "table-target", batch=True,
         ref=lambda torch, t: _F(torch).conv_transpose2d(
             t["input"][0], t["weight"], t["bias"], stride=2, padding=1, output_padding=(1, 0)),
         bad=[("target-1d", _set("input", lambda d: [d["input"][0], d["input"][1][0, 0, 0]]),
               nnfunc.InputError, "target"),
              ("table-3", _set("input", lambda d: d["input"] + [d["input"][1]]),
               nnfunc.InputError, r"\[input, target\]")]),
)
BAD_CTORS += [
    ("SpatialDilatedConvolution", (3, 4, 3, 3, 1, 1, 0, 0, 0), {}, nnfunc.InputError),
    ("SpatialDilatedConvolution", (3, 4, 3, 3, 1, 1, 0, 0, 1, 1.5), {}, nnfunc.InputTypeError),
    ("SpatialConvolutionMM", (3, 0, 3, 3), {}, nnfunc.InputError),
    ("SpatialConvolutionMM", (3, 4, 3, 3), {"bias": "no"}, nnfunc.InputTypeError),
    ("SpatialFullConvolution", (3, 4, 3, 3, 2, 2, 0, 0, 2, 0), {}, nnfunc.InputError),
    ("SpatialFullConvolution", (3, 4, 3, 3, 1, 1, -1), {}, nnfunc.InputError),
    ("SpatialFullConvolution", (3, 4, 3, 3.0), {}, nnfunc.InputTypeError),
]


def _temporal_ref(o, f, kW, dW):
    def ref(torch, t):
        w = t["weight"].reshape(o, kW, f).permute(0, 2, 1)
        return _F(torch).conv1d(t["input"].transpose(-1, -2), w, t["bias"],
                                stride=dW).transpose(-1, -2)
    return ref


_temporal_bad = [
    ("input-features", _set("input", lambda d: d["input"][..., :-1]), nnfunc.InputError,
     "inputFrameSize"),
    ("input-too-short", _set("input", lambda d: d["input"][..., :2, :]), nnfunc.InputError,
     "'input'.*too small"),
    ("input-1d", _set("input", lambda d: d["input"][0, 0, ...]), nnfunc.InputError, "'input'"),
    ("weight-3d", _set("weight", lambda d: d["weight"].reshape(4, 3, 5)), nnfunc.InputError,
     "'weight'"),
]
add(
    Case("TemporalConvolution", (5, 4, 3), (2, 9, 5), "batch", batch=True,
         ref=_temporal_ref(4, 5, 3, 1), bad=_temporal_bad),
    # stride 2 with a frame that no window reaches (T - kW odd)
    Case("TemporalConvolution", (5, 4, 3, 2), (10, 5), "seq-stride",
         ref=_temporal_ref(4, 5, 3, 2)),
    # stride > kW: gaps between the windows
    Case("TemporalConvolution", (3, 4, 2, 3), (2, 10, 3), "gaps", batch=True,
         ref=_temporal_ref(4, 3, 2, 3)),
)
BAD_CTORS += [
    ("TemporalConvolution", (0, 4, 3), {}, nnfunc.InputError),
    ("TemporalConvolution", (5, 4, 3, 0), {}, nnfunc.InputError),
    ("TemporalConvolution", (5, 4, 3.0), {}, nnfunc.InputTypeError),
]
add(
    # T % dW == 0 with a batch: the merged-sequence path with stride 2
    Case("TemporalConvolution", (3, 4, 3, 2), (3, 10, 3), "merged-stride", batch=True,
         ref=_temporal_ref(4, 3, 3, 2)),
    # >= 16 features in and out: float32 takes the row-GEMM method on an
    # AVX-512 CPU (partial column panels: 20 and 17 features); its forward
    # with a stride (the gradient then on BLAS)
    Case("TemporalConvolution", (16, 20, 3), (2, 9, 16), "rowgemm", batch=True,
         ref=_temporal_ref(20, 16, 3, 1), tol32=(5e-4, 5e-5), namespaces=False),
    Case("TemporalConvolution", (17, 16, 4, 2), (12, 17), "rowgemm-stride",
         ref=_temporal_ref(16, 17, 4, 2), tol32=(5e-4, 5e-5), namespaces=False),
)


def _dw_ref(c, m, kW, kH, dW, dH, padW, padH):
    def ref(torch, t):
        w = t["weight"].reshape(m, c, kH, kW).transpose(0, 1).reshape(c * m, 1, kH, kW)
        b = t["bias"].t().reshape(-1) if "bias" in t else None
        return _F(torch).conv2d(t["input"], w, b, stride=(dH, dW), padding=(padH, padW),
                                groups=c)
    return ref


_dw_bad = [
    ("bias-transposed", _set("bias", lambda d: d["bias"].T), nnfunc.InputError, "'bias'"),
    ("weight-4d", _set("weight", lambda d: d["weight"].reshape(2, 3, 3, 3)), nnfunc.InputError,
     "'weight'"),
    ("input-planes", _set("input", lambda d: d["input"][..., :-1, :, :]), nnfunc.InputError,
     "nInputPlane"),
]
add(
    # multiplier 2, padding 1
    Case("SpatialDepthWiseConvolution", (3, 2, 3, 3, 1, 1, 1), (2, 3, 7, 6), "batch",
         batch=True, ref=_dw_ref(3, 2, 3, 3, 1, 1, 1, 1), bad=_dw_bad),
    # multiplier 1, kW != kH, strides (2, 3), padW only, single image
    Case("SpatialDepthWiseConvolution", (4, 1, 3, 2, 2, 3, 1, 0), (4, 9, 8), "image-stride",
         ref=_dw_ref(4, 1, 3, 2, 2, 3, 1, 0), bad=_too_small),
    # padding wider than the input (whole runs in the padding), no bias
    Case("SpatialDepthWiseConvolution", (2, 3, 5, 4, 1, 2, 3, 2), (2, 2, 3, 4),
         "widepad-nobias", kwargs={"bias": False}, batch=True,
         ref=_dw_ref(2, 3, 5, 4, 1, 2, 3, 2)),
    # the kernels' specialised sizes (_depthwise.h: 3x3 and 5x5 stride 1, 3x3
    # stride 2) on rows of several vector chunks plus a partial one (8 float /
    # 4 double lanes), and the general paths beside them
    Case("SpatialDepthWiseConvolution", (3, 1, 3, 3, 1, 1, 1, 1), (2, 3, 9, 19), "3x3-tail",
         batch=True, ref=_dw_ref(3, 1, 3, 3, 1, 1, 1, 1)),
    Case("SpatialDepthWiseConvolution", (2, 2, 5, 5, 1, 1, 2, 2), (2, 2, 11, 17), "5x5-m2",
         batch=True, ref=_dw_ref(2, 2, 5, 5, 1, 1, 2, 2)),
    Case("SpatialDepthWiseConvolution", (3, 1, 3, 3, 2, 2, 1, 1), (2, 3, 15, 21), "3x3-s2",
         batch=True, ref=_dw_ref(3, 1, 3, 3, 2, 2, 1, 1)),
    # 3x3 stride 1 unpadded: the last input column / row only in the last window
    Case("SpatialDepthWiseConvolution", (3, 1, 3, 3), (3, 10, 12), "3x3-valid-image",
         ref=_dw_ref(3, 1, 3, 3, 1, 1, 0, 0)),
    # 3x3 stride 2 whose windows miss the last row and column (floor division)
    Case("SpatialDepthWiseConvolution", (2, 1, 3, 3, 2, 2, 0, 0), (2, 2, 10, 10),
         "3x3-s2-uncovered", batch=True, ref=_dw_ref(2, 1, 3, 3, 2, 2, 0, 0)),
    # general stride 1: padW > kW - 1 (bordered gradOutput starts inside it), 9 wide
    Case("SpatialDepthWiseConvolution", (2, 2, 2, 3, 1, 1, 2, 1), (2, 2, 5, 9), "s1-widepad",
         batch=True, ref=_dw_ref(2, 2, 2, 3, 1, 1, 2, 1)),
    # 1x1 (a scale per plane) and a 3x3 stride 1 on a 1-wide input (all padding)
    Case("SpatialDepthWiseConvolution", (4, 2, 1, 1), (2, 4, 3, 5), "1x1", batch=True,
         ref=_dw_ref(4, 2, 1, 1, 1, 1, 0, 0)),
    Case("SpatialDepthWiseConvolution", (2, 1, 3, 3, 1, 1, 1, 1), (2, 2, 1, 1), "3x3-1px",
         batch=True, ref=_dw_ref(2, 1, 3, 3, 1, 1, 1, 1)),
)
BAD_CTORS += [
    ("SpatialDepthWiseConvolution", (3, 0, 3, 3), {}, nnfunc.InputError),
    ("SpatialDepthWiseConvolution", (3, 1, 3, 3, 1, 1, -1), {}, nnfunc.InputError),
    ("SpatialDepthWiseConvolution", (3, 1, 3, 3), {"bias": None}, nnfunc.InputTypeError),
]

# ------------------------------------------------------------ normalization
def _bn_stats(train):
    """Running statistics (and the train flag) for a batch-norm row."""
    def extra(rng, shape):
        c = shape[1]
        return {"running_mean": rng.standard_normal(c), "running_var": rng.uniform(0.5, 2.0, c),
                "train": train}
    return extra


def _bn_ref(train, momentum=0.1, eps=1e-5, state=True, nonbatch=False):
    def ref(torch, t):
        x = t["input"][None] if nonbatch else t["input"]
        rm = t["running_mean"].detach().clone() if state else None
        rv = t["running_var"].detach().clone() if state else None
        y = _F(torch).batch_norm(x, rm, rv, t.get("weight"), t.get("bias"), training=train,
                                 momentum=momentum, eps=eps)
        return y[0] if nonbatch else y
    return ref


def _bn_bad():
    return [
        ("running_mean-shape", _set("running_mean", lambda d: d["running_mean"][:-1]),
         nnfunc.InputError, "'running_mean' has shape"),
        ("eval-missing-stats", lambda d: {k: v for k, v in dict(d, train=False).items()
                                          if k != "running_var"},
         nnfunc.InputError, "missing key 'running_var'.*evaluation"),
        ("train-one-stat", lambda d: {k: v for k, v in dict(d, train=True).items()
                                      if k != "running_mean"},
         nnfunc.InputError, "missing key 'running_mean'"),
        ("train-one-value", _set("input", lambda d: d["input"][
            (slice(0, 1), slice(None)) + (slice(0, 1),) * (d["input"].ndim - 2)]),
         nnfunc.InputError, "more than 1 value per channel"),
        ("train-nonbatch", lambda d: dict(d, input=d["input"][0], train=True),
         nnfunc.InputError, "only in evaluation mode"),
        ("channels", _set("input", lambda d: d["input"][:, :-1]), nnfunc.InputError, "nOutput"),
        ("train-flag", _set("train", 1), nnfunc.InputTypeError, "'train'"),
    ]


for _mod, _shape, _eshape in [("BatchNormalization", (6, 5), (4, 5)),
                              ("SpatialBatchNormalization", (3, 4, 5, 3), (2, 4, 3, 5)),
                              ("VolumetricBatchNormalization", (2, 3, 2, 3, 4), (2, 3, 2, 2, 3))]:
    _c = _shape[1]
    add(
        Case(_mod, (_c,), _shape, "train", extra=_bn_stats(True),
             extra_out=("running_mean", "running_var"), ref=_bn_ref(True),
             bad=_bn_bad()),
        Case(_mod, (_c,), _shape, "train-nostate", extra=lambda rng, s: {"train": True},
             ref=_bn_ref(True, state=False)),
        Case(_mod, (_c, 1e-3, 0.3, False), _shape, "train-noaffine", extra=_bn_stats(True),
             extra_out=("running_mean", "running_var"),
             ref=_bn_ref(True, momentum=0.3, eps=1e-3)),
        Case(_mod, (_c,), _eshape, "eval", batch=True, extra=_bn_stats(False),
             ref=_bn_ref(False)),
        Case(_mod, (_c, 1e-3, 0.3, False), _eshape, "eval-noaffine", batch=True,
             extra=_bn_stats(False), ref=_bn_ref(False, eps=1e-3)),
    )
add(
    # statistics far from zero (a shift 20x the spread), and 8-lane rows plus a remainder
    Case("SpatialBatchNormalization", (3,), (2, 3, 5, 4), "train-offset", extra=_bn_stats(True),
         gen=lambda rng, s: 20 + normal(rng, s), extra_out=("running_mean", "running_var"),
         ref=_bn_ref(True)),
    Case("BatchNormalization", (7,), (9, 7), "train-offset", extra=_bn_stats(True),
         gen=lambda rng, s: 20 + normal(rng, s), extra_out=("running_mean", "running_var"),
         ref=_bn_ref(True)),
    # one sample, several values per channel: fine in training
    Case("SpatialBatchNormalization", (2,), (1, 2, 3, 3), "train-n1", extra=_bn_stats(True),
         extra_out=("running_mean", "running_var"), ref=_bn_ref(True)),
    # the non-batch evaluation form
    Case("SpatialBatchNormalization", (3,), (3, 4, 5), "eval-nonbatch",
         extra=lambda rng, s: _bn_stats(False)(rng, (1,) + s), ref=_bn_ref(False, nonbatch=True)),
    Case("BatchNormalization", (6,), (6,), "eval-nonbatch",
         extra=lambda rng, s: _bn_stats(False)(rng, (1,) + s), ref=_bn_ref(False, nonbatch=True)),
    Case("VolumetricBatchNormalization", (2,), (2, 2, 3, 3), "eval-nonbatch",
         extra=lambda rng, s: _bn_stats(False)(rng, (1,) + s), ref=_bn_ref(False, nonbatch=True)),
)
BAD_CTORS += [
    ("BatchNormalization", (0,), {}, nnfunc.InputError),
    ("BatchNormalization", (3, -1.0), {}, nnfunc.InputError),
    ("SpatialBatchNormalization", (3, 1e-5, 0.1, 1), {}, nnfunc.InputTypeError),
    ("VolumetricBatchNormalization", (3.0,), {}, nnfunc.InputTypeError),
]


def _ln_params(rng, shape):
    d = shape[-1]
    return {"weight": rng.uniform(0.5, 1.5, d), "bias": rng.standard_normal(d)}


def _ln_ref(eps, d, affine=True):
    def ref(torch, t):
        return _F(torch).layer_norm(t["input"], (d,), t.get("weight"), t.get("bias"),
                                    eps=eps / d)
    return ref


add(
    Case("LayerNormalization", (7,), (7,), "1d", extra=_ln_params, ref=_ln_ref(1e-10, 7),
         bad=[("features", _set("input", lambda d: d["input"][:-1]), nnfunc.InputError,
               "nOutput=7"),
              ("weight-shape", _set("weight", lambda d: d["weight"][:-1]), nnfunc.InputError,
               "'weight' has shape"),
              ("input-3d", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError,
               "'input'")]),
    Case("LayerNormalization", (7,), (4, 7), "2d", batch=True, extra=_ln_params,
         ref=_ln_ref(1e-10, 7)),
    Case("LayerNormalization", (20, 0.5, 2.0), (3, 20), "eps-bias", batch=True,
         extra=_ln_params, ref=_ln_ref(2.0, 20)),
    Case("LayerNormalization", (9,), (3, 9), "init", batch=True, ref=_ln_ref(1e-10, 9)),
    Case("LayerNormalization", (9, 0, 1e-3, False), (3, 9), "noaffine", batch=True,
         ref=_ln_ref(1e-3, 9, affine=False)),
)
BAD_CTORS += [
    ("LayerNormalization", (0,), {}, nnfunc.InputError),
    ("LayerNormalization", (4, 0, -1.0), {}, nnfunc.InputError),
    ("LayerNormalization", (4, 0, 1e-5, "yes"), {}, nnfunc.InputTypeError),
]


def _lp_ref(p, eps=1e-10):
    def ref(torch, t):
        x = t["input"]
        if p == float("inf"):
            n = x.abs().amax(-1, keepdim=True) + eps
        else:
            n = (x.abs().pow(p).sum(-1, keepdim=True) + eps).pow(1 / p)
        return x / n
    return ref


def _distinct_abs(rng, shape):
    """No ties in |x| (the max norm's argmax): magnitudes 1/n .. 2, random signs."""
    m = distinct(rng, shape)
    m = (np.abs(m) + 1e-3 * rng.permutation(m.size).reshape(shape) / m.size + 0.1)
    return np.where(rng.random(shape) < 0.5, -m, m)


_norm_bad = [("input-3d", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError,
              "'input'")]
add(
    Case("Normalize", (2,), (7,), "p2-1d", ref=_lp_ref(2), bad=_norm_bad),
    Case("Normalize", (2,), (4, 13), "p2", batch=True, ref=_lp_ref(2)),
    Case("Normalize", (2, 0.5), (4, 5), "p2-eps", batch=True, ref=_lp_ref(2, 0.5)),
    Case("Normalize", (1,), (4, 11), "p1", batch=True, gen=away_from(0.0), ref=_lp_ref(1)),
    Case("Normalize", (3,), (3, 6), "p3", batch=True, gen=away_from(0.0), ref=_lp_ref(3)),
    Case("Normalize", (1.5,), (3, 6), "p1.5", batch=True, gen=away_from(0.0),
         ref=_lp_ref(1.5)),
    Case("Normalize", (0.5, 1e-3), (3, 6), "p0.5", batch=True, gen=away_from(0.0, gap=0.3),
         ref=_lp_ref(0.5, 1e-3), tol32=(1e-3, 1e-4)),
    Case("Normalize", (float("inf"),), (4, 9), "pinf", batch=True, gen=_distinct_abs,
         ref=_lp_ref(float("inf"))),
    Case("Normalize", (float("inf"), 0.5), (9,), "pinf-1d", gen=_distinct_abs,
         ref=_lp_ref(float("inf"), 0.5)),
)
BAD_CTORS += [
    ("Normalize", (0,), {}, nnfunc.InputError),
    ("Normalize", (-2.0,), {}, nnfunc.InputError),
    ("Normalize", ("2",), {}, nnfunc.InputTypeError),
    ("Normalize", (2, -1e-3), {}, nnfunc.InputError),
]


def _lrn_ref(size, alpha=1e-4, beta=0.75, k=1.0):
    def ref(torch, t):
        x = t["input"]
        if x.ndim == 3:
            return _F(torch).local_response_norm(x[None], size, alpha, beta, k)[0]
        return _F(torch).local_response_norm(x, size, alpha, beta, k)
    return ref


add(
    Case("SpatialCrossMapLRN", (3,), (5, 3, 4), "3d", ref=_lrn_ref(3),
         bad=[("input-2d", _set("input", lambda d: d["input"][0]), nnfunc.InputError,
               "'input'")]),
    Case("SpatialCrossMapLRN", (5,), (2, 7, 3, 4), "4d", batch=True, ref=_lrn_ref(5)),
    # strong normalisation, window wider than the channels, other beta paths
    Case("SpatialCrossMapLRN", (5, 0.8, 0.75, 2.0), (2, 3, 2, 5), "wide", batch=True,
         ref=_lrn_ref(5, 0.8, 0.75, 2.0)),
    Case("SpatialCrossMapLRN", (3, 0.5, 0.5, 1.5), (2, 4, 3, 3), "beta0.5", batch=True,
         ref=_lrn_ref(3, 0.5, 0.5, 1.5)),
    Case("SpatialCrossMapLRN", (3, 0.5, 1.0, 1.5), (2, 4, 3, 3), "beta1", batch=True,
         ref=_lrn_ref(3, 0.5, 1.0, 1.5)),
    Case("SpatialCrossMapLRN", (7, 0.3, 0.6, 1.0), (2, 9, 3, 4), "beta0.6", batch=True,
         ref=_lrn_ref(7, 0.3, 0.6, 1.0)),
    Case("SpatialCrossMapLRN", (1, 0.5), (2, 3, 4, 5), "size1", batch=True,
         ref=_lrn_ref(1, 0.5)),
)
BAD_CTORS += [
    ("SpatialCrossMapLRN", (4,), {}, nnfunc.InputError),
    ("SpatialCrossMapLRN", (0,), {}, nnfunc.InputError),
    ("SpatialCrossMapLRN", (3.0,), {}, nnfunc.InputTypeError),
    ("SpatialCrossMapLRN", (3, float("nan")), {}, nnfunc.InputError),
]
# rows long enough for the kernels' 16-lane vector loops, their tails and a
# second 512-value block of the reductions
add(
    Case("SpatialBatchNormalization", (3,), (2, 3, 23, 25), "train-long", extra=_bn_stats(True),
         extra_out=("running_mean", "running_var"), ref=_bn_ref(True)),
    Case("SpatialBatchNormalization", (3,), (2, 3, 23, 25), "eval-long", batch=True,
         extra=_bn_stats(False), ref=_bn_ref(False)),
    Case("BatchNormalization", (37,), (5, 37), "train-wide", extra=_bn_stats(True),
         extra_out=("running_mean", "running_var"), ref=_bn_ref(True)),
    Case("LayerNormalization", (600,), (2, 600), "long", batch=True, extra=_ln_params,
         ref=_ln_ref(1e-10, 600)),
    Case("Normalize", (2,), (2, 600), "p2-long", batch=True, ref=_lp_ref(2)),
    Case("Normalize", (1,), (2, 600), "p1-long", batch=True, gen=away_from(0.0), ref=_lp_ref(1)),
    Case("SpatialCrossMapLRN", (3, 0.5, 0.75, 1.0), (1, 6, 5, 7), "long", batch=True,
         ref=_lrn_ref(3, 0.5, 0.75, 1.0)),
)

# ---------------------------------------------------------------- dropout family
# Randomness is explicit: rows carry a seed or the mask (noise) itself. Rows in
# training mode are not "batch" rows: a per-sample call would draw another mask.
def _drop_seed(seed, **more):
    return lambda rng, shape: {"seed": seed, **more}


def _drop_noise(p, scaled, plane_lead=None, **more):
    """A fixed mask: of the input's shape, or one value per plane (plane_lead
    leading dims kept, the rest 1)."""
    def extra(rng, shape):
        mshape = shape if plane_lead is None else \
            tuple(shape[:plane_lead]) + (1,) * (len(shape) - plane_lead)
        keep = rng.random(mshape) < 1 - p
        return {"noise": np.where(keep, 1 / (1 - p) if scaled else 1.0, 0.0), **more}
    return extra


def _drop_seed_ref(p, scaled, seed, plane_lead=None):
    """The documented draw: default_rng(seed).random(mask_shape) < 1 - p."""
    def ref(torch, t):
        x = t["input"]
        shape = tuple(x.shape)
        mshape = shape if plane_lead is None else \
            shape[:plane_lead] + (1,) * (len(shape) - plane_lead)
        u = np.random.default_rng(seed).random(mshape)
        m = np.where(u < 1 - p, 1 / (1 - p) if scaled else 1.0, 0.0)
        return x * torch.from_numpy(m)
    return ref


def _times_noise(torch, t):
    return t["input"] * t["noise"]


_drop_bad = [
    ("noise-shape", _set("noise", lambda d: np.ones(d["input"].shape + (1,))),
     nnfunc.InputError, "'noise' has shape"),
    ("seed-negative", _set("seed", -1), nnfunc.InputError, "'seed' must be >= 0"),
    ("seed-float", _set("seed", 1.5), nnfunc.InputTypeError, "'seed' must be a Python int"),
]
_plane_bad = [
    ("input-2d", _set("input", lambda d: d["input"].reshape(d["input"].shape[0], -1)),
     nnfunc.InputError, "'input' must be"),
    ("noise-full", _set("noise", lambda d: np.ones(d["input"].shape)), nnfunc.InputError,
     "'noise' has shape"),
]
add(
    Case("Dropout", (0.3,), (4, 5), "seed", extra=_drop_seed(3), extra_out=("noise",),
         ref=_drop_seed_ref(0.3, True, 3), bad=_drop_bad),
    Case("Dropout", (0.4,), (3, 5, 7), "noise", extra=_drop_noise(0.4, True),
         extra_out=("noise",), ref=_times_noise, bad=_drop_bad[:1]),
    Case("Dropout", (0.5, True), (3, 5, 7), "v1-noise", extra=_drop_noise(0.5, False),
         extra_out=("noise",), ref=_times_noise),
    Case("Dropout", (0.25, True), (2, 9), "v1-seed", extra=_drop_seed(11), extra_out=("noise",),
         ref=_drop_seed_ref(0.25, False, 11)),
    Case("Dropout", (0.3,), (4, 5), "eval", batch=True, extra=_drop_seed(3, train=False),
         ref=lambda torch, t: t["input"] * 1.0),
    Case("Dropout", (0.3, True), (4, 5), "v1-eval", batch=True, extra=lambda rng, s: {"train": False},
         ref=lambda torch, t: t["input"] * 0.7),
    Case("Dropout", (0.3, False, False, True), (7,), "stochastic-eval",
         extra=_drop_seed(5, train=False), extra_out=("noise",), ref=_drop_seed_ref(0.3, True, 5)),
    Case("Dropout", (0.0,), (6,), "p0", extra=_drop_seed(2), extra_out=("noise",),
         ref=lambda torch, t: t["input"] * 1.0),
    Case("SpatialDropout", (0.5,), (2, 3, 4, 5), "batch-noise", extra=_drop_noise(0.5, False, 2),
         extra_out=("noise",), ref=_times_noise, bad=_drop_bad[:1] + _plane_bad),
    Case("SpatialDropout", (0.4,), (5, 3, 7), "seed", extra=_drop_seed(4), extra_out=("noise",),
         ref=_drop_seed_ref(0.4, False, 4, 1), bad=_plane_bad),
    Case("SpatialDropout", (0.3,), (2, 3, 4, 5), "batch-seed", extra=_drop_seed(8),
         extra_out=("noise",), ref=_drop_seed_ref(0.3, False, 8, 2)),
    Case("SpatialDropout", (0.3,), (2, 3, 4, 5), "eval", batch=True,
         extra=lambda rng, s: {"train": False}, ref=lambda torch, t: t["input"] * 0.7),
    Case("SpatialDropout", (0.3, True), (3, 4, 5), "stochastic-eval",
         extra=_drop_seed(6, train=False), extra_out=("noise",),
         ref=_drop_seed_ref(0.3, False, 6, 1)),
    Case("VolumetricDropout", (0.5,), (2, 3, 2, 3, 4), "batch-noise",
         extra=_drop_noise(0.5, False, 2), extra_out=("noise",), ref=_times_noise,
         bad=_drop_bad[:1] + _plane_bad),
    Case("VolumetricDropout", (0.4,), (3, 2, 3, 5), "seed", extra=_drop_seed(9),
         extra_out=("noise",), ref=_drop_seed_ref(0.4, False, 9, 1)),
    Case("VolumetricDropout", (0.2,), (2, 3, 2, 3, 4), "eval", batch=True,
         extra=lambda rng, s: {"train": False}, ref=lambda torch, t: t["input"] * 0.8),
)
BAD_CTORS += [
    ("Dropout", (1.0,), {}, nnfunc.InputError),
    ("Dropout", (-0.1,), {}, nnfunc.InputError),
    ("Dropout", ("0.5",), {}, nnfunc.InputTypeError),
    ("Dropout", (0.5, 1), {}, nnfunc.InputTypeError),
    ("SpatialDropout", (1.5,), {}, nnfunc.InputError),
    ("SpatialDropout", (0.5, "yes"), {}, nnfunc.InputTypeError),
    ("VolumetricDropout", (float("nan"),), {}, nnfunc.InputError),
]

# LookupTable: 0-based integer rows, output in the weight's dtype
def _emb_ref(**kw):
    return lambda torch, t: _F(torch).embedding(t["input"], t["weight"], **kw)


_emb_bad = [
    ("too-big", _set("input", lambda d: d["input"] + 10), nnfunc.InputError,
     "'input' holds row index 1[0-9]"),
    ("negative", _set("input", lambda d: d["input"] - 10), nnfunc.InputError, "outside"),
    ("float", _set("input", lambda d: d["input"].astype(np.float64)), nnfunc.InputTypeError,
     "'input'.*integer"),
    ("3d", _set("input", lambda d: d["input"][None, None]), nnfunc.InputError,
     "'input' must be 1 or 2"),
    ("weight-shape", _set("weight", lambda d: d["weight"][:, :-1]), nnfunc.InputError,
     "'weight' has shape"),
]
add(
    Case("LookupTable", (10, 4), (7,), "1d", gen=labels(10), ref=_emb_ref(), bad=_emb_bad),
    Case("LookupTable", (10, 3), (3, 5), "2d", batch=True, gen=labels(10), ref=_emb_ref(),
         bad=_emb_bad),
    Case("LookupTable", (3, 5), (4, 6), "repeats", batch=True, gen=labels(3), ref=_emb_ref()),
    Case("LookupTable", (6, 3, 2), (4, 5), "padding", batch=True,
         gen=lambda rng, s: np.concatenate([np.full(s[:-1] + (1,), 2), labels(6)(rng, s)[..., 1:]],
                                           axis=-1),
         ref=_emb_ref(padding_idx=2), fd=False),
    Case("LookupTable", (5, 4), (3, 6), "freq", kwargs={"scale_grad_by_freq": True},
         gen=labels(5), ref=_emb_ref(scale_grad_by_freq=True), fd=False),
    # maxNorm above every referenced row: the extra 'weight' comes back unchanged and the
    # gradient (a plain gather's) matches finite differences; renormalised rows are tested
    # in tests/modules/test_lookup_table.py
    Case("LookupTable", (8, 3, None, 50.0), (2, 4), "maxnorm", batch=True, gen=labels(8),
         extra_out=("weight",), ref=_emb_ref(max_norm=50.0)),
    Case("LookupTable", (4, 2), (0,), "empty", gen=labels(4), ref=_emb_ref()),
)
BAD_CTORS += [
    ("LookupTable", (0, 3), {}, nnfunc.InputError),
    ("LookupTable", (5, 3.0), {}, nnfunc.InputTypeError),
    ("LookupTable", (5, 3, 5), {}, nnfunc.InputError),
    ("LookupTable", (5, 3, -1), {}, nnfunc.InputError),
    ("LookupTable", (5, 3, None, -1.0), {}, nnfunc.InputError),
    ("LookupTable", (5, 3, None, 1.0, 0), {}, nnfunc.InputError),
    ("LookupTable", (5, 3), {"scale_grad_by_freq": 1}, nnfunc.InputTypeError),
]
