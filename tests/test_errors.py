"""Bad input raises a clear ValueError/TypeError naming module and key (API.md s.6)."""

import numpy as np
import pytest

import nnfunc
from _helpers import grad_output, leaves, make_dict, make_fn, tmap, tshape
from cases import BAD_CTORS, CASES

BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])


def _raises(exc, match, fn, d, backend):
    snapshot = {k: tmap(np.array, v) for k, v in d.items()
                if isinstance(v, np.ndarray) or type(v) is list}
    with pytest.raises(exc, match=match) as info:
        fn(d, backend=backend)
    assert fn.module.name in str(info.value)
    for k, v in snapshot.items():
        if k not in ("output", "gradInput"):
            for a, b in zip(leaves(d[k]), leaves(v)):
                np.testing.assert_array_equal(a, b, err_msg=f"{k} modified by a failed call")
    return info.value


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_keys(case, backend):
    fn, d = make_dict(case)
    go = grad_output(case, fn, d)
    e = _raises(nnfunc.InputError, "gradOutput", fn, dict(d, grad_output=go), backend)
    assert "did you mean 'gradOutput'" in str(e)
    _raises(nnfunc.InputError, "'input'", fn, {k: v for k, v in d.items() if k != "input"}, backend)
    _raises(nnfunc.InputError, "'Input'", fn, dict(d, Input=d["input"]), backend)
    for p in fn.module.params:
        _raises(nnfunc.InputError, f"missing key '{p}'", fn,
                {k: v for k, v in d.items() if k != p}, backend)
    with pytest.raises(TypeError, match=fn.module.name):
        fn(leaves(d["input"]))
    if not fn.module.is_criterion:
        with pytest.raises(nnfunc.InputError, match="gradOutput"):
            nnfunc.gradsOf[fn](d)


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_array_versus_table(case, backend):
    """A list for an array module, an array for a table module: a TypeError
    from the frontend, before the module's check sees it."""
    fn, d = make_dict(case)
    x = d["input"]
    form = fn.module.table_input
    if type(x) is list and form is True:
        _raises(nnfunc.InputTypeError, "'input' must be a list of arrays", fn,
                dict(d, input=x[0]), backend)
    elif type(x) is not list and form is False:
        for wrong in ([x, x], (x,)):
            _raises(nnfunc.InputTypeError, "'input' must be an array, not a list", fn,
                    dict(d, input=wrong), backend)
    else:
        assert form is None, "the row's input form disagrees with table_input"


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_dtypes_and_namespaces(case, backend):
    fn, d = make_dict(case)
    def cast(dt):
        return tmap(lambda a: a.astype(dt), d["input"])
    if fn.module.input_kind != "int":
        _raises(TypeError, "input", fn, dict(d, input=cast(np.int64)), backend)
    if backend is None:
        _raises(TypeError, "float16", fn, dict(d, input=cast(np.float16)), backend)
    if type(d["input"]) is list and len(d["input"]) > 1:
        mixed = [d["input"][0]] + [a.astype(np.float32) for a in d["input"][1:]]
        _raises(nnfunc.InputTypeError, r"input\[1\]", fn, dict(d, input=mixed), backend)
    for p in fn.module.params:
        if p == fn.module.result_param:     # it sets the dtype (LookupTable's weight)
            _raises(nnfunc.InputTypeError, f"'{p}'.*float16", fn,
                    dict(d, **{p: d[p].astype(np.float16)}), backend)
            continue
        _raises(nnfunc.InputTypeError, f"'{p}'.*float32", fn,
                dict(d, **{p: d[p].astype(np.float32)}), backend)
        _raises(TypeError, f"'{p}'", fn, dict(d, **{p: d[p].tolist()}), backend)
    go = grad_output(case, fn, d)
    if not fn.module.is_criterion:
        _raises(nnfunc.InputTypeError, "gradOutput", fn,
                dict(d, gradOutput=tmap(lambda a: a.astype(np.float32), go)), backend)
    torch = pytest.importorskip("torch")
    for k in ["input"] + list(fn.module.params):
        if k == "input":
            continue
        e = _raises(TypeError, "mixed array namespaces", fn,
                    dict(d, **{k: torch.from_numpy(d[k])}), backend)
        assert "numpy" in str(e) and "torch" in str(e)


@BACKENDS
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_buffers(case, backend):
    fn, d = make_dict(case)
    y = fn(d)["output"]
    go = grad_output(case, fn, d)
    wrong = tmap(lambda a: np.empty(a.shape + (1,)), y)
    _raises(nnfunc.InputError, "'output.*shape", fn, dict(d, output=wrong), backend)
    _raises(nnfunc.InputTypeError, "'output", fn,
            dict(d, output=tmap(lambda a: a.astype(np.float32), y)), backend)

    def readonly(a):
        r = np.empty(a.shape)
        r.flags.writeable = False
        return r
    _raises(nnfunc.InputError, "read-only", fn, dict(d, output=tmap(readonly, y)), backend)
    if tshape(y) == tshape(d["input"]):
        _raises(nnfunc.InputError, "shares memory", fn, dict(d, output=d["input"]), backend)
    dg = dict(d, gradOutput=go)
    _raises(nnfunc.InputError, "'gradInput", fn,
            dict(dg, gradInput=tmap(lambda a: np.empty(a.shape + (2,)), d["input"])), backend)
    if fn.module.input_kind != "int":     # an integer input is no float buffer at all
        _raises(nnfunc.InputError, "shares memory", fn, dict(dg, gradInput=d["input"]), backend)
    if not fn.module.is_criterion:
        _raises(nnfunc.InputError, "'gradOutput'.*shape", fn,
                dict(d, gradOutput=tmap(lambda a: np.zeros(a.shape + (1,)), go)), backend)
        if tshape(go) == tshape(d["input"]):
            _raises(nnfunc.InputError, "shares memory", fn, dict(dg, gradInput=go), backend)
    for p in fn.module.params:
        g = "grad" + p[0].upper() + p[1:]
        _raises(nnfunc.InputError, f"'{g}'", fn, dict(dg, **{g: np.empty(d[p].shape + (1,))}), backend)
        _raises(nnfunc.InputError, "shares memory", fn, dict(dg, **{g: d[p]}), backend)


@BACKENDS
@pytest.mark.parametrize("case", [c for c in CASES if c.bad], ids=lambda c: c.id)
def test_module_specific(case, backend):
    fn, d = make_dict(case)
    for label, mutate, exc, match in case.bad:
        _raises(exc, match, fn, mutate(d), backend)
        dd = mutate(d)
        if "gradOutput" not in dd and not fn.module.is_criterion:
            try:
                dd["gradOutput"] = tmap(lambda a: np.zeros(a.shape), fn(d)["output"])
            except Exception:
                continue
        _raises(exc, match, fn, dict(dd, gradOutput=dd.get("gradOutput", 1.0)), backend)


@pytest.mark.parametrize("module,args,kwargs,exc", BAD_CTORS,
                         ids=[f"{b[0]}{b[1]}" for b in BAD_CTORS])
def test_bad_constructor_arguments(module, args, kwargs, exc):
    with pytest.raises(exc, match=module):
        getattr(nnfunc.nn, module)(*args, **kwargs)


def test_misspelt_keys_suggestions():
    from nnfunc._core.errors import suggest_key
    keys = ["input", "weight", "bias", "gradOutput", "gradWeight", "output"]
    assert suggest_key("grad_output", keys) == "gradOutput"
    assert suggest_key("GRAD_WEIGHT", keys) == "gradWeight"
    assert suggest_key("wieght", keys) == "weight"
    assert suggest_key("zzz", keys) is None
