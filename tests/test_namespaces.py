"""Other array namespaces run the generic path and agree with NumPy."""

import numpy as np
import pytest

import nnfunc
from _helpers import assert_allclose_t, grad_output, leaves, make_dict, make_fn, tmap
from cases import CASES

def _input_shape(case):
    return case.input_shape if type(case.input_shape) is list else [case.input_shape]


#: the rows whose generic code runs on the foreign namespaces (see Case.namespaces)
NS_CASES = [c for c in CASES if c.namespaces]


def _convert(xp, d, go):
    out = {k: tmap(xp.asarray, v) if isinstance(v, (np.ndarray, list)) else v
           for k, v in d.items()}
    if not np.isscalar(go):
        go = tmap(xp.asarray, go)
    return out, go


def _call(fn, d):
    return fn(d)


def _check_namespace(xp, case, to_numpy, array_type, mutable=True, lazy=False, convert=_convert,
                     call=_call):
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    r = fn(d)
    y = r["output"]
    g = fn(dict(d, gradOutput=go))
    dx, gox = convert(xp, d, go)
    assert nnfunc.dispatch.which(fn, dx) == "generic"
    rx = call(fn, dx)
    assert rx.keys() == {"output", *case.extra_out}
    yx = rx["output"]
    for k in case.extra_out:
        e = np.asarray(rx[k].compute()) if lazy else to_numpy(rx[k])
        np.testing.assert_allclose(e, r[k], rtol=1e-12, atol=1e-12, err_msg=k)
    da_type = array_type
    if lazy:     # nothing is computed until asked for
        assert all(isinstance(a, array_type) for a in leaves(yx))
        yx = tmap(lambda a: np.asarray(a.compute()), yx)
        array_type = np.ndarray
    dt = xp.asarray(np.zeros((), leaves(y)[0].dtype)).dtype      # the float dtype of results
    assert all(isinstance(a, array_type) and a.dtype == dt for a in leaves(yx))
    assert_allclose_t(tmap(to_numpy, yx), y, rtol=1e-12, atol=1e-12)
    gx = call(fn, dict(dx, gradOutput=gox))
    if lazy:
        assert all(isinstance(a, da_type) for v in gx.values() for a in leaves(v))
        gx = {k: tmap(lambda a: np.asarray(a.compute()), v) for k, v in gx.items()}
    assert gx.keys() == g.keys()
    for k in g:
        assert all(isinstance(a, array_type) for a in leaves(gx[k]))
        assert_allclose_t(tmap(to_numpy, gx[k]), g[k], rtol=1e-12, atol=1e-12, err_msg=k)
    if not mutable:
        out = tmap(lambda a: xp.zeros(a.shape, dtype=a.dtype), yx)
        with pytest.raises(nnfunc.InputTypeError, match="cannot be written in place"):
            fn(dict(dx, output=out))
        return
    if lazy:
        return
    # buffers in the foreign namespace are filled in place too
    out = tmap(lambda a: xp.zeros(a.shape, dtype=a.dtype), yx)
    assert fn(dict(dx, output=out))["output"] is out
    assert_allclose_t(tmap(to_numpy, out), y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_array_api_strict(case):
    xp = pytest.importorskip("array_api_strict")
    _check_namespace(xp, case, lambda a: np.asarray(a), type(xp.asarray(1.0)))


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_torch_tensors(case):
    torch = pytest.importorskip("torch")
    _check_namespace(torch, case, lambda a: a.numpy(), torch.Tensor)


#: modules whose output shape depends on array values: they cannot run under jax.jit
NOT_JITTABLE = {"MaskedSelect"}


def _jit_call(fn, d):
    """``fn(d)`` under ``jax.jit``: the arrays traced, the rest (numbers,
    flags, an ``outputSize``, which sets a shape) held static."""
    import jax
    static = {k: v for k, v in d.items() if not (hasattr(v, "shape") or type(v) is list)}
    if "outputSize" in d:
        static["outputSize"] = tuple(int(v) for v in np.asarray(d["outputSize"]))
    arrays = {k: v for k, v in d.items() if k not in static}
    return jax.jit(lambda a: fn(dict(a, **static)))(arrays)


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_jax_arrays(case, jax_x64):
    """Forward and gradient calls traced and compiled by ``jax.jit``."""
    import jax.numpy as jnp
    if case.module in NOT_JITTABLE:
        fn, d = make_dict(case, np.float64)
        with pytest.raises(nnfunc.InputError, match=f"{case.module}.*jax.jit"):
            _jit_call(fn, _convert(jnp, d, 0.0)[0])
        _check_namespace(jnp, case, np.asarray, jax_x64.Array, mutable=False)
    else:
        _check_namespace(jnp, case, np.asarray, jax_x64.Array, mutable=False, call=_jit_call)


def test_jax_traced_output_size_is_a_clear_error(jax_x64):
    jax = jax_x64
    f = nnfunc.nn.SpatialMaxUnpooling(2)
    x, idx = np.ones((1, 2, 2)), np.zeros((1, 2, 2), dtype=np.int32)
    good = f({"input": x, "indices": idx, "outputSize": np.array([4, 4])})["output"]
    assert good.shape == (1, 4, 4)
    jx, jidx = jax.numpy.asarray(x), jax.numpy.asarray(idx)
    with pytest.raises(nnfunc.InputError, match="SpatialMaxUnpooling.*'outputSize'.*jax.jit"):
        jax.jit(lambda s: f({"input": jx, "indices": jidx, "outputSize": s}))(np.array([4, 4]))
    # a concrete JAX array outside jit is read
    size = jax.numpy.asarray([4, 4])
    assert f({"input": jx, "indices": jidx, "outputSize": size})["output"].shape == (1, 4, 4)
    assert jax.jit(lambda a, i: f({"input": a, "indices": i, "outputSize": (4, 4)}))(
        jx, jidx)["output"].shape == (1, 4, 4)




#: batch rows of at least two samples: their Dask inputs are split into batch blocks
BATCH_CASES = [c for c in NS_CASES if c.batch and leaves(_input_shape(c))[0][0] >= 2]


def _blocks(da, d, case, n, split, target=True):
    """``d`` (a dict, or gradOutput) as Dask arrays: each array with a batch
    dimension (the input, gradOutput, indices, targets, ...) made by
    ``split``, the parameters and the rest in one block (with ``target``
    false, the target too)."""
    params = make_fn(case).module.params
    whole = set(params) | {"outputSize"} | (set() if target else {"target"})

    def conv(k, v):
        if type(v) is list:
            return [conv(k, a) for a in v]
        if not isinstance(v, np.ndarray):
            return v
        if k not in whole and v.ndim and v.shape[0] == n:
            return split(v)
        return da.from_array(v)
    if type(d) is dict:
        return {k: conv(k, v) for k, v in d.items()}
    return conv("gradOutput", d)


def _halves(da, d, case, n):
    """``_blocks`` with the batch in two real blocks."""
    half = (n + 1) // 2
    return _blocks(da, d, case, n, lambda a: da.from_array(a, chunks=(half,) + a.shape[1:]))


@pytest.mark.parametrize("case", NS_CASES, ids=lambda c: c.id)
def test_dask_arrays_stay_lazy(case):
    """Batch rows get their batch in two Dask blocks (the test below checks
    that the blocks are kept)."""
    da = pytest.importorskip("dask.array")
    convert = _convert
    if case in BATCH_CASES:
        def convert(xp, d, go):
            n = leaves(d["input"])[0].shape[0]
            return _halves(da, d, case, n), go if np.isscalar(go) else _halves(da, go, case, n)
    _check_namespace(da, case, np.asarray, da.Array, lazy=True, convert=convert)


@pytest.mark.parametrize("case", BATCH_CASES, ids=lambda c: c.id)
def test_dask_batch_blocks_stream(case):
    """A batch in Dask blocks stays in those blocks: the first block of the
    output and of gradInput is computed while reading any later block of
    the input, gradOutput or indices raises. So a batch larger than memory
    streams through Dask's scheduler block by block. Results of a batch in
    two real blocks keep the two blocks."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    fn, d = make_dict(case, np.float64)
    go = grad_output(case, fn, d)
    r = fn(d)
    g = fn(dict(d, gradOutput=go))
    n = leaves(d["input"])[0].shape[0]

    def unreadable(shape, dtype):
        raise AssertionError("a later batch block was read")

    def poisoned(a):
        rest = da.from_delayed(dask.delayed(unreadable)(a[1:].shape, a.dtype), a[1:].shape, a.dtype)
        return da.concatenate([da.from_array(a[:1]), rest], axis=0)

    def first(v):
        return [a[:1] for a in leaves(v) if a.ndim and a.shape[0] == n]

    # a criterion reads its whole target: the mean divides by the sum of the
    # target's weights over the batch
    dx = _blocks(da, d, case, n, poisoned, target=not case.is_criterion)
    gox = go if np.isscalar(go) else _blocks(da, go, case, n, poisoned)
    y, gi = first(fn(dx)["output"]), first(fn(dict(dx, gradOutput=gox))["gradInput"])
    want = [first(r["output"]), first(g["gradInput"])]
    assert [len(y), len(gi)] == [len(w) for w in want]
    got = dask.compute(y, gi)
    for a, b in zip(got, want):
        assert_allclose_t(list(a), b, rtol=1e-12, atol=1e-12)

    # two real blocks: the batch results keep them (their values are
    # test_dask_arrays_stay_lazy's)
    dx, gox = _halves(da, d, case, n), go if np.isscalar(go) else _halves(da, go, case, n)
    half = (n + 1) // 2
    for k, v in (("output", fn(dx)["output"]),
                 ("gradInput", fn(dict(dx, gradOutput=gox))["gradInput"])):
        for a in leaves(v):
            if a.ndim and a.shape[0] == n:
                assert a.chunks[0] == (half, n - half), k


def test_generic_dtype_mismatch_is_type_error():
    xp = pytest.importorskip("array_api_strict")
    f = nnfunc.nn.Linear(3, 2)
    p = f.init_params(xp=xp, dtype=xp.float64)
    x = xp.ones((3,), dtype=xp.float32)
    with pytest.raises(nnfunc.InputTypeError, match="weight"):
        f({"input": x, **p})
    assert type(p["weight"]) is type(xp.asarray(1.0)) and p["weight"].dtype == xp.float64
