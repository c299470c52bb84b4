"""Table-op extras: Torch7 tie/NaN routing of CMax/CMinTable, PairwiseDistance and
CosineDistance at zero differences, views instead of copies, 0-d outputs."""

import numpy as np
import pytest

import nnfunc

BACKENDS = pytest.mark.parametrize("backend", [None, "generic"], ids=["fast", "generic"])


@BACKENDS
@pytest.mark.parametrize("name,better", [("CMaxTable", np.greater), ("CMinTable", np.less)])
def test_extremum_ties_go_to_lowest_index(name, better, backend):
    f = getattr(nnfunc.nn, name)()
    a = np.array([1.0, 2.0, 3.0, 0.0])
    b = np.array([1.0, 5.0, 3.0, -1.0])
    c = np.array([1.0, 2.0, -9.0, 9.0])
    go = np.array([10.0, 20.0, 30.0, 40.0])
    y = f({"input": [a, b, c]}, backend=backend)["output"]
    want = np.where(better(b, a), b, a)
    want = np.where(better(c, want), c, want)
    np.testing.assert_array_equal(y, want)
    g = f({"input": [a, b, c], "gradOutput": go}, backend=backend)["gradInput"]
    # element 0: three-way tie -> entry 0; element 2: a/b tie (3.0) -> entry 0 for max
    win = np.zeros(4, dtype=int)
    for i, x in enumerate([b, c], 1):
        cur = np.choose(win, [a, b, c])
        win = np.where(better(x, cur), i, win)
    for i in range(3):
        np.testing.assert_array_equal(g[i], np.where(win == i, go, 0.0))
    assert sum(float(gi.sum()) for gi in g) == go.sum()   # never split


@BACKENDS
def test_cmax_nan_routing(backend):
    f = nnfunc.nn.CMaxTable()
    a = np.array([np.nan, 1.0])
    b = np.array([2.0, np.nan])
    y = f({"input": [a, b]}, backend=backend)["output"]
    assert np.isnan(y[0]) and y[1] == 1.0      # NaN in input[0] stays, later NaN ignored
    g = f({"input": [a, b], "gradOutput": np.ones(2)}, backend=backend)["gradInput"]
    np.testing.assert_array_equal(g[0], [1.0, 1.0])
    np.testing.assert_array_equal(g[1], [0.0, 0.0])


@BACKENDS
@pytest.mark.parametrize("p", [1, 2, 3, 1.5])
def test_pairwise_distance_at_zero_difference(p, backend):
    f = nnfunc.nn.PairwiseDistance(p)
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    x2 = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]])   # row 0 identical, row 1 one tie
    go = np.array([1.0, 1.0])
    y = f({"input": [x, x2]}, backend=backend)["output"]
    np.testing.assert_allclose(y, [0.0, 2.0])
    g = f({"input": [x, x2], "gradOutput": go}, backend=backend)["gradInput"]
    assert np.all(np.isfinite(g[0]))
    np.testing.assert_array_equal(g[0][0], 0.0)                 # identical rows: 0
    np.testing.assert_array_equal(g[0][1], [0.0, 1.0, 0.0])     # tie entries: sign(0) = 0
    np.testing.assert_array_equal(g[1], -g[0])


@BACKENDS
def test_cosine_distance_zero_row_is_finite(backend):
    f = nnfunc.nn.CosineDistance()
    x = np.zeros((2, 3))
    x2 = np.ones((2, 3))
    y = f({"input": [x, x2]}, backend=backend)["output"]
    np.testing.assert_array_equal(y, 0.0)
    g = f({"input": [x, x2], "gradOutput": np.ones(2)}, backend=backend)["gradInput"]
    assert all(np.all(np.isfinite(a)) for a in g)


@BACKENDS
@pytest.mark.parametrize("name", ["DotProduct", "CosineDistance", "PairwiseDistance"])
def test_rows_of_a_vector_give_0d_arrays(name, backend):
    f = getattr(nnfunc.nn, name)()
    xs = [np.arange(3.0), np.ones(3)]
    y = f({"input": xs}, backend=backend)["output"]
    assert type(y) is np.ndarray and y.shape == ()
    g = f({"input": xs, "gradOutput": np.asarray(2.0)}, backend=backend)["gradInput"]
    assert [a.shape for a in g] == [(3,), (3,)]


@BACKENDS
def test_selections_are_views(backend):
    xs = [np.arange(6.0).reshape(2, 3), np.arange(4.0).reshape(2, 2), np.ones((2, 1))]
    y = nnfunc.nn.SelectTable(1)({"input": xs}, backend=backend)["output"]
    assert np.shares_memory(y, xs[1])
    ys = nnfunc.nn.NarrowTable(1, 2)({"input": xs}, backend=backend)["output"]
    assert all(np.shares_memory(a, b) for a, b in zip(ys, xs[1:]))
    go = np.arange(12.0).reshape(2, 6)
    g = nnfunc.nn.JoinTable(1)({"input": xs, "gradOutput": go}, backend=backend)["gradInput"]
    assert all(np.shares_memory(a, go) for a in g)
    np.testing.assert_array_equal(np.concatenate(g, axis=1), go)


def test_select_table_index_from_the_end():
    xs = [np.zeros(2), np.ones(3), np.full(4, 2.0)]
    f = nnfunc.nn.SelectTable(-3)
    np.testing.assert_array_equal(f({"input": xs})["output"], xs[0])
    with pytest.raises(nnfunc.InputError, match="SelectTable.*index -4"):
        nnfunc.nn.SelectTable(-4)({"input": xs})


def test_join_table_batch_rule():
    xs = [np.zeros((2, 3)), np.ones((2, 4))]
    assert nnfunc.nn.JoinTable(0, 1)({"input": xs})["output"].shape == (2, 7)
    assert nnfunc.nn.JoinTable(0, 2)({"input": [np.zeros((3, 2)), np.ones((1, 2))]}) \
        ["output"].shape == (4, 2)
    with pytest.raises(nnfunc.InputError, match=r"JoinTable.*'input\[1\]'"):
        nnfunc.nn.JoinTable(1)({"input": [np.zeros((2, 3)), np.ones((3, 3))]})


def test_table_modules_refuse_a_plain_array():
    for f in [nnfunc.nn.CSubTable(), nnfunc.nn.JoinTable(0), nnfunc.nn.MM()]:
        with pytest.raises(nnfunc.InputTypeError, match="list of arrays"):
            f({"input": np.zeros((2, 2))})
