"""The shift method of the stride-1 convolutions (shift_convolution.pyx, _shift.h).

float32 on AVX-512 CPUs only (skipped elsewhere): every geometry class it
has (rows or wide vector layout, partial vectors, dilation, padding wider than
the kernel reach, 3-D, few planes) against the float64 BLAS path, outputs
written exactly where they belong, non-finite values kept to the windows that
read them, the image groups, and the dispatch of the modules' "auto".
"""

import numpy as np
import pytest

import nnfunc
from nnfunc._cpu import shift_convolution as sk
from nnfunc._cpu import spatial_convolution as spk
from nnfunc._cpu import volumetric_convolution as vk

pytestmark = pytest.mark.skipif(not sk.available(), reason="the CPU has no AVX-512")


def _geom(N, C, T, H, W, O, k, p, d, s=(1, 1, 1)):
    out = tuple((n + 2 * q - (kk - 1) * dd - 1) // ss + 1
                for n, kk, q, dd, ss in zip((T, H, W), k, p, d, s))
    return (N, C, T, H, W, O) + out + tuple(k) + tuple(p) + tuple(d) + tuple(s)


def _data(geom, seed=0, bias=True):
    N, C, T, H, W, O, OT, OH, OW = geom[:9]
    k = geom[9:12]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, T, H, W)).astype(np.float32)
    w = rng.standard_normal((O, C) + tuple(k)).astype(np.float32)
    b = rng.standard_normal(O).astype(np.float32) if bias else None
    go = rng.standard_normal((N, O, OT, OH, OW)).astype(np.float32)
    return x, w, b, go


def _reference(geom, x, w, b, go):
    # the float64 BLAS path of the volumetric kernel (tested against PyTorch)
    N, C, T, H, W, O, OT, OH, OW, kT, kH, kW, pT, pH, pW, dT, dH, dW, sT, sH, sW = geom
    vg = (N, C, T, H, W, O, OT, OH, OW, kT, kH, kW, sT, sH, sW, pT, pH, pW, dT, dH, dW)
    x64, w64, go64 = (a.astype(np.float64) for a in (x, w, go))
    b64 = None if b is None else b.astype(np.float64)
    y = np.empty(go.shape)
    vk.forward(x64, w64, b64, y, False, *vg, method="unfold")
    gi, gw = np.empty(x.shape), np.empty((O, C * kT * kH * kW))
    gb = None if b is None else np.empty(O)
    vk.backward(x64, w64, go64, gi, gw, gb, False, *vg, method="unfold")
    return y, gi, gw, gb


def _shift(geom, x, w, b, go):
    N, C, T, H, W, O = geom[:6]
    k = geom[9:12]
    y = np.full(go.shape, np.nan, np.float32)          # written over, never read
    sk.forward(x, w, b, y, *geom)
    gi = np.full(x.shape, np.nan, np.float32)
    gw = np.full((O, C * int(np.prod(k))), np.nan, np.float32)
    gb = None if b is None else np.full(O, np.nan, np.float32)
    sk.backward(x, w, go, gi, gw, gb, *geom)
    return y, gi, gw, gb


def _close(got, ref, scale, what):
    # float32 sums of K terms of size ~1: error about sqrt(K) * 2^-24 * scale
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=2e-5 * scale, err_msg=what)


def _agree(geom, seed=0, bias=True):
    """The shift kernels' output and gradients against the float64 reference,
    each tolerance scaled by the square root of its sums' length: taps x
    input planes (output), taps x output planes (gradInput), batch x output
    positions (gradWeight, gradBias)."""
    x, w, b, go = _data(geom, seed=seed, bias=bias)
    ref = _reference(geom, x, w, b, go)
    got = _shift(geom, x, w, b, go)
    taps, positions = np.prod(geom[9:12]), geom[0] * np.prod(geom[6:9])
    lengths = (taps * geom[1], taps * geom[5], positions, positions)
    for name, a, r, n in zip(("output", "gradInput", "gradWeight", "gradBias"), got, ref,
                             lengths):
        if r is not None:
            _close(a, r, np.sqrt(n), f"{name} {geom}")


# (N, C, T, H, W, O, (kT, kH, kW), (pT, pH, pW), (dT, dH, dW))
GEOMS = [
    (2, 8, 1, 9, 11, 8, (1, 3, 3), (0, 1, 1), (1, 1, 1)),      # wide (OW = 11 < 16)
    (2, 5, 1, 6, 40, 9, (1, 3, 5), (0, 1, 2), (1, 1, 1)),      # rows, a partial vector
    (1, 3, 1, 4, 16, 17, (1, 2, 3), (0, 0, 1), (1, 2, 1)),     # rows, whole vectors
    (3, 4, 1, 7, 7, 3, (1, 3, 3), (0, 3, 2), (1, 1, 1)),       # padding > reach: crops
    (2, 7, 1, 9, 13, 10, (1, 3, 2), (0, 2, 0), (1, 2, 3)),     # dilated, no width padding
    (2, 6, 4, 6, 5, 11, (3, 2, 3), (1, 0, 1), (2, 1, 1)),      # 3-D, time dilation
    (2, 9, 5, 4, 20, 8, (3, 3, 3), (1, 1, 1), (1, 1, 1)),      # 3-D rows
    (1, 1, 1, 1, 1, 1, (1, 1, 1), (0, 0, 0), (1, 1, 1)),       # one of everything
    (2, 13, 1, 3, 3, 33, (1, 3, 3), (0, 0, 0), (1, 1, 1)),     # a single output position
    (1, 16, 1, 5, 50, 40, (1, 1, 1), (0, 0, 0), (1, 1, 1)),    # 1x1, planes past a block
    (2, 5, 1, 6, 9, 64, (1, 3, 3), (0, 1, 1), (1, 1, 1)),      # 64 planes: 6 x 64 tiles
    (1, 3, 3, 4, 5, 128, (2, 2, 3), (1, 0, 1), (1, 1, 2)),     # 128 planes, 3-D
    (1, 3, 1, 3, 300, 5, (1, 3, 3), (0, 1, 1), (1, 1, 1)),     # rows over 256: padded in blocks
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("g", GEOMS, ids=str)
def test_matches_float64_reference(g, bias):
    _agree(_geom(*g), bias=bias)


def test_random_geometries():
    rng = np.random.default_rng(7)
    for _ in range(40):
        k = tuple(int(v) for v in rng.integers(1, 4, 3))
        d = tuple(int(v) for v in rng.integers(1, 3, 3))
        p = tuple(int(v) for v in rng.integers(0, 4, 3))
        size = tuple(int(max((kk - 1) * dd + 1 - 2 * pp, 1) + rng.integers(0, 20))
                     for kk, dd, pp in zip(k, d, p))
        if rng.random() < 0.5:                              # 2-D
            k, d, p, size = (1,) + k[1:], (1,) + d[1:], (0,) + p[1:], (1,) + size[1:]
        N, C, O = (int(v) for v in rng.integers(1, 12, 3))
        _agree(_geom(N, C, *size, O, k, p, d), seed=int(rng.integers(1 << 30)))


def test_writes_only_its_outputs():
    # each array sits between guard values that must survive; the NaN-filled
    # outputs must be written over everywhere (masked stores, both layouts)
    for g in ((2, 8, 1, 9, 11, 8, (1, 3, 3), (0, 1, 1), (1, 1, 1)),
              (2, 5, 1, 6, 40, 9, (1, 3, 5), (0, 1, 2), (1, 1, 1))):
        geom = _geom(*g)
        x, w, b, go = _data(geom)
        pad = 64

        def guarded(shape):
            n = int(np.prod(shape))
            big = np.full(n + 2 * pad, 7.0, np.float32)
            big[pad:pad + n] = np.nan
            return big, big[pad:pad + n].reshape(shape)

        by, y = guarded(go.shape)
        bi, gi = guarded(x.shape)
        bw, gw = guarded((geom[5], x.shape[1] * int(np.prod(geom[9:12]))))
        bb, gb = guarded((geom[5],))
        sk.forward(x, w, b, y, *geom)
        sk.backward(x, w, go, gi, gw, gb, *geom)
        for big, a in ((by, y), (bi, gi), (bw, gw), (bb, gb)):
            assert np.isfinite(a).all()
            assert (big[:pad] == 7).all() and (big[-pad:] == 7).all()


def test_inputs_are_not_modified():
    geom = _geom(2, 8, 1, 9, 11, 8, (1, 3, 3), (0, 1, 1), (1, 1, 1))
    x, w, b, go = _data(geom)
    copies = [a.copy() for a in (x, w, b, go)]
    _shift(geom, x, w, b, go)
    for a, c in zip((x, w, b, go), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("N,W", [(2, 7), (4, 8)], ids=["direct", "winograd"])
def test_nonfinite_reaches_only_what_reads_it(N, W):
    # kernel 1x3, no padding: input column 0 is read by tap kx = 0 only, and
    # only by output column 0; the wide vectors (rows packed) must not carry it
    # into the other taps' gradWeight, nor into other outputs. 4 images and an
    # even width: the forward and gradInput by 1-D Winograd, whose transformed
    # values mix a tile's columns (an output reads only its own window still)
    geom = _geom(N, 8, 1, 5, W, 8, (1, 1, 3), (0, 0, 0), (1, 1, 1))
    x, w, b, go = _data(geom)
    x[:, :, :, :, 0] = np.inf
    x[1, 3, 0, 2, 0] = np.nan
    y, gi, gw, gb = _shift(geom, x, w, b, go)
    xz = x.copy()
    xz[:, :, :, :, 0] = 0
    ry, rgi, rgw, rgb = _reference(geom, xz, w, b, go)
    gw3 = gw.reshape(8, 8, 3)
    assert not np.isfinite(gw3[:, :, 0]).any()
    _close(gw3[:, :, 1:], rgw.reshape(8, 8, 3)[:, :, 1:], 30, "gradWeight")
    assert not np.isfinite(y[..., 0]).any()
    _close(y[..., 1:], ry[..., 1:], 10, "output")
    _close(gi, rgi, 10, "gradInput")          # gradInput does not read the input
    # gradOutput: one non-finite value reaches the inputs its window covers only
    go2 = go.copy()
    go2[0, 2, 0, 1, 2] = np.inf
    _, gi2, _, _ = _shift(geom, x, w, b, go2)
    bad = ~np.isfinite(gi2)
    assert bad[0, :, 0, 1, 2:5].all() and bad.sum() == bad[0, :, 0, 1, 2:5].sum()


# 1-D Winograd F(2, 3) along the width: kernel width 3, stride 1, width
# dilation 1, even output width, batches of FUSE_MIN_IMAGES or more (forward
# and gradInput)
WINO = [
    (4, 8, 1, 7, 10, 9, (1, 3, 3), (0, 1, 1), (1, 1, 1)),      # 2-D
    (4, 6, 3, 5, 8, 11, (3, 3, 3), (1, 1, 1), (1, 1, 1)),      # 3-D
    (5, 8, 2, 9, 12, 8, (2, 3, 3), (1, 2, 1), (2, 2, 1)),      # dilated in time and height
    (4, 5, 1, 6, 40, 7, (1, 2, 3), (0, 0, 0), (1, 1, 1)),      # 19 pairs a row: partial vectors
    (4, 3, 1, 3, 2, 4, (1, 1, 3), (0, 0, 1), (1, 1, 1)),       # one output pair a row
    (4, 16, 1, 4, 66, 16, (1, 3, 3), (0, 1, 1), (1, 1, 1)),    # 33 pairs: a third vector
]


@pytest.mark.parametrize("g", WINO, ids=str)
def test_winograd_matches_float64_reference(g):
    _agree(_geom(*g))


def test_winograd_agrees_with_the_direct_taps(monkeypatch):
    geom = _geom(4, 8, 2, 6, 14, 8, (2, 3, 3), (1, 1, 1), (1, 1, 1))
    x, w, b, go = _data(geom)
    wino = _shift(geom, x, w, b, go)
    monkeypatch.setattr(sk, "WINOGRAD", False)
    direct = _shift(geom, x, w, b, go)
    for name, a, r in zip(("output", "gradInput"), wino[:2], direct[:2]):
        assert not np.array_equal(a, r), name      # two different sums, both close
        _close(a, r, np.sqrt(8 * 18), name)


def test_groups_give_the_same_bits(monkeypatch):
    geom = _geom(5, 8, 2, 6, 18, 9, (2, 3, 3), (1, 1, 1), (1, 1, 1))
    x, w, b, go = _data(geom)
    whole = _shift(geom, x, w, b, go)
    monkeypatch.setattr(sk, "GROUP_BYTES", 1)               # one image per group
    for a, r in zip(_shift(geom, x, w, b, go), whole):
        np.testing.assert_array_equal(a, r)


def test_partial_requests():
    geom = _geom(3, 8, 1, 9, 11, 8, (1, 3, 3), (0, 1, 1), (1, 1, 1))
    x, w, b, go = _data(geom)
    y, gi, gw, gb = _shift(geom, x, w, b, go)
    gi2 = np.empty_like(gi)
    sk.backward(None, w, go, gi2, None, None, *geom)        # gradInput only, no input
    np.testing.assert_array_equal(gi2, gi)
    gw2, gb2 = np.empty_like(gw), np.empty_like(gb)
    sk.backward(x, w, go, None, gw2, gb2, *geom)
    np.testing.assert_array_equal(gw2, gw)
    np.testing.assert_array_equal(gb2, gb)
    gw3 = np.empty_like(gw)
    sk.backward(x, w, go, None, gw3, None, *geom)
    np.testing.assert_array_equal(gw3, gw)
    # an empty batch: zero gradients
    e = _geom(0, 8, 1, 9, 11, 8, (1, 3, 3), (0, 1, 1), (1, 1, 1))
    gw4, gb4 = np.full_like(gw, np.nan), np.full_like(gb, np.nan)
    sk.backward(x[:0], w, go[:0], x[:0].copy(), gw4, gb4, *e)
    assert (gw4 == 0).all() and (gb4 == 0).all()


@pytest.mark.parametrize("name,args,shape", [
    ("SpatialConvolution", (8, 9, 3, 3, 1, 1, 1, 1), (3, 8, 7, 19)),
    ("SpatialConvolutionMM", (8, 9, 3, 3, 1, 1, 1, 1), (8, 7, 19)),
    ("SpatialDilatedConvolution", (9, 8, 3, 2, 1, 1, 1, 2, 2, 2), (2, 9, 9, 11)),
    ("VolumetricConvolution", (8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1), (2, 8, 4, 5, 6)),
    ("VolumetricDilatedConvolution", (8, 8, 3, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2),
     (2, 8, 5, 6, 6)),
])
def test_auto_takes_shift_for_float32(name, args, shape):
    # "auto" gives the shift method's bits in float32 (>= MIN_PLANES planes,
    # stride 1) and the generic path's values within float32 rounding
    f = getattr(nnfunc.nn, name)(*args)
    rng = np.random.default_rng(0)
    d = {"input": rng.standard_normal(shape).astype(np.float32), **f.init_params(seed=1)}
    y = f(d)["output"]
    go = rng.standard_normal(y.shape).astype(np.float32)
    g = f(dict(d, gradOutput=go))
    m = f.module
    x5 = d["input"].reshape((-1,) + d["input"].shape[-4:] if name.startswith("Vol")
                            else (-1, d["input"].shape[-3], 1) + d["input"].shape[-2:])
    if name.startswith("Vol"):
        k, p, dil = m._k, m._pad, m._dil
    else:
        k, p, dil = (1, m.kH, m.kW), (0, m.padH, m.padW), (1, m.dilH, m.dilW)
    geom = _geom(x5.shape[0], x5.shape[1], *x5.shape[2:], m.nOutputPlane, k, p, dil)
    ys = np.empty((geom[0], geom[5]) + geom[6:9], np.float32)
    sk.forward(x5, d["weight"], d["bias"], ys, *geom)
    np.testing.assert_array_equal(y.reshape(ys.shape), ys)
    gi = np.empty(x5.shape, np.float32)
    gw = np.empty(d["weight"].shape, np.float32)
    gb = np.empty(d["bias"].shape, np.float32)
    sk.backward(x5, d["weight"], go.reshape(ys.shape), gi, gw, gb, *geom)
    np.testing.assert_array_equal(g["gradInput"].reshape(gi.shape), gi)
    np.testing.assert_array_equal(g["gradWeight"], gw)
    np.testing.assert_array_equal(g["gradBias"], gb)
    gg = f(dict(d, gradOutput=go), backend="generic")
    for key in ("gradInput", "gradWeight", "gradBias"):
        np.testing.assert_allclose(g[key], gg[key], rtol=1e-4, atol=1e-4)


def test_method_refused_where_it_does_not_apply():
    x = np.zeros((1, 8, 6, 6))
    w = np.zeros((8, 8, 3, 3))
    y = np.empty((1, 8, 4, 4))
    sizes = (1, 8, 6, 6, 8, 4, 4, 3, 3, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="shift"):
        spk.update_output(x, w, None, y, *sizes, method="shift")          # float64
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    with pytest.raises(ValueError, match="shift"):          # a stride and a dilation
        spk.update_output(x32, w32, None, np.empty((1, 8, 1, 1), np.float32),
                          1, 8, 6, 6, 8, 1, 1, 3, 3, 2, 2, 0, 0, method="shift", dilH=2, dilW=2)


# strided: the space-to-depth convolution (s^d planes per input plane,
# ceil(k/s) taps a side, the taps past k weighted 0)
STRIDED = [
    (2, 5, 1, 10, 11, 9, (1, 4, 4), (0, 1, 1), (1, 2, 2)),      # k = 2s
    (2, 6, 1, 9, 12, 8, (1, 3, 3), (0, 1, 1), (1, 2, 2)),       # k odd: zero taps
    (1, 4, 1, 7, 20, 10, (1, 3, 3), (0, 1, 0), (1, 1, 3)),      # width stride only
    (2, 3, 6, 7, 8, 8, (4, 4, 4), (1, 1, 1), (2, 2, 2)),        # 3-D
    (2, 4, 1, 11, 10, 7, (1, 2, 2), (0, 0, 0), (1, 3, 3)),      # k < s: skipped inputs
    (1, 5, 1, 12, 13, 6, (1, 5, 5), (0, 2, 2), (1, 2, 3)),      # windows end early
    (2, 8, 3, 8, 9, 64, (3, 3, 3), (1, 1, 1), (3, 2, 2)),       # 64 planes
    (1, 3, 1, 4, 540, 5, (1, 3, 3), (0, 1, 1), (1, 2, 2)),      # rows over 256: in blocks
]


@pytest.mark.parametrize("g", STRIDED, ids=str)
def test_strided_matches_float64_reference(g):
    _agree(_geom(*g[:8], (1, 1, 1), g[8]))


def test_random_strided_geometries():
    rng = np.random.default_rng(11)
    for _ in range(30):
        k = tuple(int(v) for v in rng.integers(1, 6, 3))
        s = tuple(int(v) for v in rng.integers(1, 4, 3))
        p = tuple(int(rng.integers(0, kk)) for kk in k)
        size = tuple(int(max(kk - 2 * pp, 1) + rng.integers(0, 14)) for kk, pp in zip(k, p))
        if rng.random() < 0.5:                              # 2-D
            k, s, p, size = (1,) + k[1:], (1,) + s[1:], (0,) + p[1:], (1,) + size[1:]
        N, C, O = (int(v) for v in rng.integers(1, 10, 3))
        _agree(_geom(N, C, *size, O, k, p, (1, 1, 1), s), seed=int(rng.integers(1 << 30)))


# full (transposed) convolutions: (N, nIn, T, H, W, nOut, k, s, pad, adj)
FULL = [
    (2, 9, 1, 8, 7, 5, (1, 4, 4), (1, 2, 2), (0, 1, 1), (0, 0, 0)),
    (2, 8, 1, 6, 5, 8, (1, 3, 3), (1, 2, 2), (0, 1, 1), (0, 1, 0)),    # adjustment
    (1, 6, 1, 5, 6, 9, (1, 3, 3), (1, 1, 1), (0, 1, 1), (0, 0, 0)),    # stride 1
    (4, 8, 1, 5, 6, 8, (1, 3, 3), (1, 1, 1), (0, 1, 1), (0, 0, 0)),    # ... 1-D Winograd
    (4, 8, 2, 3, 4, 9, (2, 3, 3), (1, 1, 1), (0, 1, 0), (0, 0, 0)),    # ... 3-D
    (2, 8, 3, 4, 4, 4, (4, 4, 4), (2, 2, 2), (1, 1, 1), (1, 0, 1)),    # 3-D
    (2, 8, 1, 4, 5, 8, (1, 2, 2), (1, 3, 3), (0, 0, 0), (0, 2, 1)),    # k < s: bias-only phases
    (1, 3, 2, 3, 4, 2, (3, 3, 2), (2, 3, 2), (1, 0, 1), (1, 2, 0)),    # uneven phases
]


@pytest.mark.parametrize("g", FULL, ids=str)
def test_full_matches_float64_reference(g):
    N, C, T, H, W, O, k, s, p, adj = g
    if T == 1:
        f = nnfunc.nn.SpatialFullConvolution(C, O, k[2], k[1], s[2], s[1], p[2], p[1], adj[2],
                                             adj[1])
        shape = (N, C, H, W)
    else:
        f = nnfunc.nn.VolumetricFullConvolution(C, O, k[0], k[2], k[1], s[0], s[2], s[1], p[0],
                                                p[2], p[1], adj[0], adj[2], adj[1])
        shape = (N, C, T, H, W)
    rng = np.random.default_rng(3)
    p64 = f.init_params(seed=2, dtype=np.float64)
    x64 = rng.standard_normal(shape)
    y64 = f({"input": x64, **p64}, backend="generic")["output"]
    go64 = rng.standard_normal(y64.shape)
    g64 = f({"input": x64, **p64, "gradOutput": go64}, backend="generic")
    x, go = x64.astype(np.float32), go64.astype(np.float32)
    w, b = p64["weight"].astype(np.float32), p64["bias"].astype(np.float32)
    out = y64.shape[-3:] if T > 1 else (1,) + y64.shape[-2:]
    geom = (N, C, T, H, W, O) + out + k + p + s
    y = np.full(y64.shape, np.nan, np.float32)
    sk.full_forward(x, w, b, y, *geom)
    gi = np.full(x.shape, np.nan, np.float32)
    gw = np.full(w.shape, np.nan, np.float32)
    gb = np.full(b.shape, np.nan, np.float32)
    sk.full_backward(x, w, go, gi, gw, gb, *geom)
    scale = np.sqrt(np.prod(k) * max(C, O) * N * np.prod(out))
    _close(y, y64, scale, "output")
    _close(gi, g64["gradInput"], scale, "gradInput")
    _close(gw, g64["gradWeight"], scale, "gradWeight")
    _close(gb, g64["gradBias"], scale, "gradBias")


def test_full_forward_image_by_image_gives_the_same_bits(monkeypatch):
    # a batch of >= FUSE_MIN_IMAGES runs each image's phases in cache; fewer run
    # phase by phase over the batch: the same sums in the same order
    for C, T, H, W, O, k, s, p in ((9, 1, 5, 6, 8, (1, 4, 4), (1, 2, 2), (0, 1, 1)),
                                   (8, 3, 3, 4, 9, (3, 4, 4), (1, 2, 2), (1, 1, 1))):
        N = 5
        out = tuple((n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip((T, H, W), s, p, k))
        rng = np.random.default_rng(4)
        x = rng.standard_normal((N, C, T, H, W)).astype(np.float32)
        w = rng.standard_normal((C, O) + k).astype(np.float32)
        b = rng.standard_normal(O).astype(np.float32)
        geom = (N, C, T, H, W, O) + out + k + p + s
        y1 = np.full((N, O) + out, np.nan, np.float32)
        sk.full_forward(x, w, b, y1, *geom)
        monkeypatch.setattr(sk, "FUSE_MIN_IMAGES", N + 1)
        y2 = np.full((N, O) + out, np.nan, np.float32)
        sk.full_forward(x, w, b, y2, *geom)
        monkeypatch.undo()
        np.testing.assert_array_equal(y1, y2)
        y64 = np.empty((N, O) + out)
        for i in range(N):       # against the group path's tested float64 reference
            ref = np.empty((1, O) + out)
            vk.forward(x[i:i + 1].astype(np.float64), w.astype(np.float64),
                       b.astype(np.float64), ref, True, 1, O, *out, C, T, H, W, *k, *s, *p,
                       1, 1, 1, method="unfold")
            y64[i] = ref[0]
        _close(y1, y64, np.sqrt(np.prod(k) * C), "output")


def test_applies_and_preferred():
    a32, a64 = np.zeros(1, np.float32), np.zeros(1)
    assert sk.applies(a32, (1, 2, 2), (1, 1, 1))
    assert not sk.applies(a64, (1, 1, 1), (1, 1, 1))                  # float32 only
    assert not sk.applies(a32, (1, 2, 2), (1, 2, 1))                  # stride and dilation
    assert not sk.applies(a32, (1, 1, 17), (1, 1, 1))                 # width stride > 16
    assert sk.applies(a32, (1, 17, 16), (1, 1, 1))
    assert sk.preferred(8, 8, (3, 3), (1, 1))
    assert not sk.preferred(7, 8, (3, 3), (1, 1))                     # few planes
    assert sk.preferred(8, 8, (4, 4), (2, 2))
    assert not sk.preferred(8, 8, (3, 3), (2, 2))                     # 16 taps for 9
    assert not sk.preferred(8, 8, (1, 1), (2, 2))


# five images each: the plain, the 3-D and two strided geometries
FUSED = [_geom(5, *GEOMS[1][1:]), _geom(5, *GEOMS[5][1:]),
         _geom(5, *STRIDED[0][1:8], (1, 1, 1), STRIDED[0][8]),
         _geom(5, *STRIDED[3][1:8], (1, 1, 1), STRIDED[3][8])]


@pytest.mark.parametrize("geom", FUSED, ids=str)
def test_image_by_image_gives_the_same_bits(monkeypatch, geom):
    # >= FUSE_MIN_IMAGES images: the forward and gradInput image by image in
    # cache; fewer: padded in groups, then tiles over the pool. The same sums.
    # gradWeight image by image sums per-image partials in image order (other
    # bits than the groups' running sums, as close to the reference)
    x, w, b, go = _data(geom)
    fused = _shift(geom, x, w, b, go)
    monkeypatch.setattr(sk, "FUSE_MIN_IMAGES", 6)
    grouped = _shift(geom, x, w, b, go)
    for a, r in zip(grouped[:2], fused[:2]):
        np.testing.assert_array_equal(a, r)
    monkeypatch.undo()
    _agree(geom)                                # image by image
    monkeypatch.setattr(sk, "FUSE_MIN_IMAGES", 6)
    _agree(geom)                                # grouped
