"""Compile the CUDA sources of ``kernels/`` once per process and hand out kernels.

Each ``kernels/<name>.cu`` is compiled by CuPy (``cupy.RawModule``, NVRTC)
the first time one of its kernels is asked for, with every template
instantiation listed in :data:`NAMES` (name expressions), for float32,
float64 and float16. ``nnf_common.cuh`` is pasted in place of its
``#include`` line, so the code CuPy hashes for its on-disk cache is the
whole program. Modules (per source) and kernels (per source, name, device)
are cached in dicts filled under a lock: concurrent first calls compile
once. Launches go to CuPy's current stream (CuPy's default for a kernel
call).

``NAMES`` is also what ``tests/test_cuda_sources.py`` compiles with nvcc,
so a kernel the Python code asks for and the source do not drift apart.
"""

import threading
from pathlib import Path

import numpy as np

KERNEL_DIR = Path(__file__).resolve().parent / "kernels"
COMMON = "nnf_common.cuh"
#: NVRTC options of every source
OPTIONS = ("--std=c++17",)
#: CUDA template argument of each NumPy dtype
CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double",
          np.dtype(np.float16): "nnf_half"}

#: the ops of pointwise.cu (same names as nnfunc/_cpu/_pointwise.h)
POINTWISE_OPS = (
    "threshold", "tanh", "sigmoid", "hardtanh", "leaky_relu", "elu", "softplus",
    "log_sigmoid", "softsign", "tanhshrink", "hardshrink", "softshrink", "absval",
    "add_constant", "mul_constant", "exp", "log", "sqrt", "square", "power", "power_half",
    "power_libm",
)

#: the elementwise criterions of criterion.cu, in the order of its NNF_PWC_* enum
#: (the CPU's op numbers, nnfunc/_cpu/_criterion.h)
PW_CRITERION_OPS = ("abs", "smooth_l1", "bce", "soft_margin", "kl_div", "l1_cost", "margin",
                    "hinge", "ml_soft_margin")


def _templates():
    """source basename -> kernel templates, ``{T}`` standing for the type."""
    pw = [f"nnf_{op}_{d}<{{T}}>" for op in POINTWISE_OPS for d in ("fwd", "bwd")]
    sm = [f"nnf_softmax_{d}_{s}<{{T}}, {b}>" for d in ("fwd", "bwd")
          for s in ("rows", "cols") for b in ("false", "true")]
    return {
        "pointwise": pw,
        "softmax": sm,
        "linear": ["nnf_add_bias<{T}>", "nnf_bias_grad<{T}>", "nnf_bias_grad_rows<{T}>"],
        "criterion": ["nnf_mse_partial<{T}>", "nnf_finish_sum<{T}>", "nnf_mse_bwd<{T}>",
                      "nnf_nll_partial<{T}>", "nnf_nll_finish<{T}>",
                      "nnf_nll_bwd<{T}>"]
        + [f"nnf_pwc_{d}<{{T}}, {i}>" for i in range(len(PW_CRITERION_OPS))
           for d in ("partial", "bwd")],
        "unfold": ["nnf_vol2col<{T}>", "nnf_col2vol<{T}>"],
        "maxpool": ["nnf_maxpool_fwd<{T}>", "nnf_maxpool_bwd<{T}>"],
        "gated": ["nnf_prelu_fwd<{T}>", "nnf_prelu_bwd<{T}>", "nnf_prelu_wgrad<{T}>",
                  "nnf_glu_fwd<{T}>", "nnf_glu_bwd<{T}>", "nnf_crelu_fwd<{T}>",
                  "nnf_crelu_bwd<{T}>", "nnf_mask_apply<{T}>"],
        "reduce": ["nnf_sum_rows<{T}>", "nnf_sum_cols<{T}>", "nnf_sum_bwd<{T}>",
                   "nnf_arg_bwd<{T}>"]
        + [f"nnf_arg_{s}<{{T}}, {b}>" for s in ("rows", "cols") for b in ("true", "false")],
        "bparam": ["nnf_bparam_fwd<{T}>", "nnf_bparam_bwd<{T}>", "nnf_bparam_pgrad<{T}>"],
        "layernorm": ["nnf_ln_fwd<{T}>", "nnf_ln_bwd<{T}>", "nnf_ln_pgrad<{T}>"],
        "adaptive": ["nnf_adamax_fwd<{T}>", "nnf_adamax_bwd<{T}>", "nnf_adaavg_fwd<{T}>",
                     "nnf_adaavg_bwd<{T}>"],
        "unpool": ["nnf_unpool_claim<{T}>", "nnf_unpool_fwd<{T}>", "nnf_unpool_bwd<{T}>"],
        "lookup": ["nnf_lut_fwd<{T}>", "nnf_lut_mark<{T}>", "nnf_lut_renorm<{T}>",
                   "nnf_lut_grad<{T}>"],
        "normalize": ["nnf_normalize_fwd<{T}>", "nnf_normalize_bwd<{T}>"],
        "lrn": ["nnf_lrn_fwd<{T}>", "nnf_lrn_bwd<{T}>"],
        "margin": ["nnf_mm_rows<{T}>", "nnf_mm_bwd<{T}>", "nnf_ml_flags<{T}>",
                   "nnf_ml_rows<{T}>", "nnf_ml_bwd<{T}>", "nnf_mr_partial<{T}>",
                   "nnf_mr_bwd<{T}>"],
        "interp": ["nnf_interp_fwd<{T}>", "nnf_interp_adj<{T}>"],
        "euclid": ["nnf_euc_dist<{T}>", "nnf_euc_gi<{T}>", "nnf_euc_gw<{T}>"],
        "depthwise": ["nnf_dw_fwd<{T}>", "nnf_dw_gi<{T}>", "nnf_dw_gw<{T}>"],
        "gather": ["nnf_gather3<{T}>", "nnf_gather3_adj<{T}>", "nnf_shuffle_fwd<{T}>",
                   "nnf_shuffle_bwd<{T}>"],
        "avgpool": ["nnf_avgpool_fwd<{T}>", "nnf_avgpool_bwd<{T}>"],
        "batchnorm": ["nnf_bn_stats<{T}>", "nnf_bn_running<{T}>", "nnf_bn_fwd<{T}>",
                      "nnf_bn_grad_stats<{T}>", "nnf_bn_bwd<{T}>", "nnf_bn_param_grads<{T}>"],
    }


TEMPLATES = _templates()
#: source basename -> every name expression compiled from it
NAMES = {src: [t.format(T=c) for t in ts for c in CTYPES.values()]
         for src, ts in TEMPLATES.items()}

_lock = threading.RLock()     # kernel() holds it while _module() compiles
_modules = {}       # source basename -> cupy.RawModule
_kernels = {}       # (source, name expression, device id) -> cupy.RawKernel
_sm_count = {}      # device id -> multiprocessor count


def source_code(src):
    """The full program text of ``kernels/<src>.cu``, common header pasted in."""
    text = (KERNEL_DIR / f"{src}.cu").read_text()
    common = (KERNEL_DIR / COMMON).read_text()
    return text.replace(f'#include "{COMMON}"', common, 1)


def _module(src):
    mod = _modules.get(src)
    if mod is None:
        import cupy
        with _lock:
            mod = _modules.get(src)
            if mod is None:
                mod = cupy.RawModule(code=source_code(src), options=OPTIONS,
                                     name_expressions=NAMES[src])
                _modules[src] = mod
    return mod


def kernel(src, template, dtype):
    """The compiled kernel ``template`` (``"nnf_tanh_fwd<{T}>"``) for ``dtype``."""
    import cupy
    dev = cupy.cuda.runtime.getDevice()
    key = (src, template, dtype, dev)
    k = _kernels.get(key)
    if k is None:
        name = template.format(T=CTYPES[np.dtype(dtype)])
        with _lock:
            k = _kernels.get(key)
            if k is None:
                # compiles the whole source on the first request (per device)
                k = _module(src).get_function(name)
                _kernels[key] = k
    return k


def sm_count():
    import cupy
    dev = cupy.cuda.runtime.getDevice()
    n = _sm_count.get(dev)
    if n is None:
        n = cupy.cuda.Device(dev).attributes["MultiProcessorCount"]
        _sm_count[dev] = n
    return n


BLOCK = 256


def launch(k, n, args, block=BLOCK):
    """Run grid-stride kernel ``k`` over ``n`` elements on the current stream."""
    if n <= 0:
        return
    grid = min((n + block - 1) // block, sm_count() * 32)
    k((grid,), (block,), args)


def launch_blocks(k, blocks, args, block=BLOCK):
    """Run ``k`` with ``blocks`` blocks (at least one) of ``block`` threads."""
    k((max(1, min(blocks, 65535 * 8)),), (block,), args)


def i64(v):
    return np.int64(v)


def f64(v):
    return np.float64(v)


def i32(v):
    return np.int32(v)
