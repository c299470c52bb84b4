"""TemporalConvolution kernels: GEMMs straight on strided views, nothing unfolded.

A sequence x (T, F) is row-major, so the kW frames that output frame t reads,
x[t*dW : t*dW + kW], are the kW*F contiguous values from row t*dW on: the
unfolded matrix (T', kW*F) is x itself with leading dimension dW*F. BLAS
wants a leading dimension >= the row length, which that is only when
dW >= kW; so the product is split by kernel tap k instead, each a GEMM with
K = F on the view X_k = x[k : k + (T'-1)*dW + 1 : dW] (T', F; ld dW*F) and
the weight block W_k = weight[:, k*F : (k+1)*F] (O, F; ld kW*F):

    forward     y (T', O)   = b + sum_k X_k @ W_k^T
    backward    gi[X_k view] += gradOutput @ W_k          (gi zeroed first)
                gW_k        += gradOutput^T @ X_k          (over the batch)
                gb          += gradOutput^T @ ones

When T is a multiple of dW (always for dW = 1), the batch is one long
sequence instead: merged row r = n*S + t (S = T/dW) reads frames r*dW + k of
the flattened (N*T, F) input, so each product is kW GEMMs over all
R = (N*T - kW)//dW + 1 rows at once, not N*kW small ones (many small GEMMs
pay OpenBLAS's thread hand-off each time, which costs several times the
arithmetic on a busy machine). The rows t >= T' of each sample straddle two
samples: the forward computes them into a workspace (R, O) and copies the
valid rows out; the backward puts gradOutput into such a workspace with
those rows zero, so they add nothing to gradInput or gradWeight. That holds
only for finite input (0 * inf is NaN): the gradient checks the input first
(one pass) and takes the per-sample path when it holds an inf or NaN, so a
frame that no window reads never reaches gradWeight.

float32 on a CPU with AVX-512 (``rowgemm_available``), with at least 16
features in and out, takes the row-GEMM method instead (``_rowgemm.h``):
register-blocked AVX-512 tiles that broadcast the left operand straight from
its rows, wherever they are, and load the right one in vectors. The three
products, with no unfolded matrix and no BLAS:

    forward     y[n, t]    = b + frames(n, t) @ Wt     (frames: kW*F values of
                                                        x from row t*dW; Wt:
                                                        the weight transposed,
                                                        packed in column panels)
    gradInput   gi[n, s]   = gop(n, s) @ Wg            (dW = 1: gop(n, s) the
                                                        kW*O values of
                                                        gradOutput from row
                                                        s - kW + 1, zero rows
                                                        past the ends; Wg the
                                                        weight's taps reversed)
    gradWeight  gW[o, :]   = sum_{n,t} gradOutput[n, t, o] * frames(n, t)

Each output element is summed by one thread in a fixed order (gradWeight:
samples, then frames, in order), so the bits never depend on the thread
count. gradWeight reads only frames some window reads, so an inf or NaN
elsewhere never reaches it; gradInput's zero rows meet the weight (an inf in
the weight makes NaN there, as it does in every other frame). A stride dW > 1
keeps the BLAS gradient.
"""

cimport numpy as cnp
import numpy as np
from libc.string cimport memcpy, memset

from nnfunc._cpu._blas cimport floating, blas_int, gemm, gemv
from nnfunc._cpu._rowgemm cimport (RgJob, nnf_rg_run, rg_available, rg_cols, rg_job,
                                   rg_pack, rg_rows, rg_transpose)
from nnfunc._cpu._rowgemm import available as rowgemm_available   # (for the tests)

cnp.import_array()


#: the row-GEMM method serves "auto" from this many features in and out
RG_MIN_FEATURES = 16
#: gradWeight sums its positions in chunks of about this many (the right
#: operand's panel of a chunk stays in L2 for every row tile)
RG_CHUNK = 256


cdef bint _use_rg(str method, cnp.ndarray x, Py_ssize_t F, Py_ssize_t O):
    if method == "blas":
        return False
    ok = rg_available() and cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT
    if method == "rowgemm":
        if not ok:
            raise ValueError("TemporalConvolution: the rowgemm method needs float32 input "
                             "and a CPU with AVX-512")
        return True
    if method != "auto":
        raise ValueError(f"TemporalConvolution: unknown method {method!r} "
                         "(auto, blas or rowgemm)")
    return ok and F >= RG_MIN_FEATURES and O >= RG_MIN_FEATURES


#: about this many FLOPs of a product go to one pool part (a smaller product
#: stays on the calling thread)
RG_PART_FLOPS = 1 << 22


cdef void _rg_forward(const float* x, const float* w, const float* b, float* y, Py_ssize_t N,
                      Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                      Py_ssize_t dW) except *:
    cdef Py_ssize_t K = kW * F, M = N * oT, i
    cdef RgJob r
    rg_job(&r, O)
    # Wt[k, o] = w[o*K + k], packed in panels of 16*ov planes
    cdef cnp.ndarray wt = np.empty((O + 16 * r.ov - 1) // (16 * r.ov) * K * 16 * r.ov,
                                   dtype=np.float32)
    cdef float* pwt = <float*>cnp.PyArray_DATA(wt)
    cdef cnp.ndarray ptrs = np.empty(2 * M, dtype=np.intp)
    cdef const float** ap = <const float**>cnp.PyArray_DATA(ptrs)
    cdef float** cp = <float**>(ap + M)
    cdef nnf_rg_run run
    cdef Py_ssize_t part = RG_PART_FLOPS
    run.aoff, run.boff, run.len = 0, 0, K
    with nogil:
        rg_pack(w, K, O, K, 1, r.ov, pwt)
        for i in range(M):
            ap[i] = x + (i // oT) * T * F + (i % oT) * dW * F
            cp[i] = y + i * O
        r.ap, r.a_step, r.b, r.bs, r.bj, r.bpad = ap, 1, pwt, 16 * r.ov, K * 16 * r.ov, 1
        r.runs, r.nrun, r.cp, r.rows, r.init = &run, 1, cp, M, b
        rg_rows(&r, part)


cdef void _rg_backward(const float* x, const float* w, const float* go, float* gi, float* gw,
                       float* gb, Py_ssize_t N, Py_ssize_t T, Py_ssize_t F, Py_ssize_t O,
                       Py_ssize_t oT, Py_ssize_t kW) except *:
    # stride 1: T = oT + kW - 1
    cdef Py_ssize_t K = kW * F, Kg = kW * O, M = N * T, E = 2 * kW - 2
    cdef Py_ssize_t i, n, s, u, t, o, nrun, c, acc_len
    cdef RgJob r, rw
    rg_job(&r, F)
    rg_job(&rw, K)
    # gradInput: gi[n, s] = gop(n, s) @ Wg, Wg[(k', o), f] = w[o*K + (kW-1-k')*F + f]:
    # packed panel by panel below (the taps reversed: not one stride)
    cdef Py_ssize_t W = 16 * r.ov, npan = (F + W - 1) // W, J, kk, cc, f
    cdef cnp.ndarray wg = np.empty(npan * Kg * W, dtype=np.float32)
    cdef float* pwg = <float*>cnp.PyArray_DATA(wg)
    # the rows of gop past each end of a sample: head = gop rows [0, E), tail =
    # gop rows [oT, oT + E) (gop row u = gradOutput row u - (kW - 1), or 0)
    cdef cnp.ndarray edges = np.zeros(N * 2 * E * O, dtype=np.float32)
    cdef float* pe = <float*>cnp.PyArray_DATA(edges)
    cdef cnp.ndarray ptrs = np.empty(2 * max(M, O), dtype=np.intp)
    cdef const float** ap = <const float**>cnp.PyArray_DATA(ptrs)
    cdef float** cp = <float**>(ap + max(M, O))
    cdef Py_ssize_t chunk = max(1, <Py_ssize_t>RG_CHUNK), part = RG_PART_FLOPS
    cdef Py_ssize_t per = (oT + chunk - 1) // chunk     # runs per sample
    cdef cnp.ndarray runs_a = np.empty(N * per * 3, dtype=np.intp)
    cdef nnf_rg_run* runs = <nnf_rg_run*>cnp.PyArray_DATA(runs_a)
    cdef cnp.ndarray chunks_a = np.empty(N * per + 1, dtype=np.intp)
    cdef Py_ssize_t* chunks = <Py_ssize_t*>cnp.PyArray_DATA(chunks_a)
    cdef cnp.ndarray gacc = np.empty(O if gb != NULL else 0, dtype=np.float64)
    cdef double* pga = <double*>cnp.PyArray_DATA(gacc)
    cdef cnp.ndarray got = np.empty(N * oT * O, dtype=np.float32)
    cdef float* pgt = <float*>cnp.PyArray_DATA(got)
    cdef nnf_rg_run run
    with nogil:
        for J in range(npan):
            for kk in range(kW):
                for o in range(O):
                    for cc in range(W):
                        f = J * W + cc
                        pwg[((J * Kg) + kk * O + o) * W + cc] = \
                            w[o * K + (kW - 1 - kk) * F + f] if f < F else 0
        for n in range(N):
            for u in range(E):
                t = u - (kW - 1)                      # head row u
                if 0 <= t < oT:
                    memcpy(pe + (n * 2 * E + u) * O, go + (n * oT + t) * O, O * sizeof(float))
                t = oT + u - (kW - 1)                 # tail row u
                if 0 <= t < oT:
                    memcpy(pe + (n * 2 * E + E + u) * O, go + (n * oT + t) * O,
                           O * sizeof(float))
        for i in range(M):
            n, s = i // T, i % T
            if s < kW - 1:
                ap[i] = pe + (n * 2 * E + s) * O
            elif s >= oT:
                ap[i] = pe + (n * 2 * E + E + s - oT) * O
            else:
                ap[i] = go + (n * oT + s - (kW - 1)) * O
            cp[i] = gi + i * F
        run.aoff, run.boff, run.len = 0, 0, Kg
        r.ap, r.a_step, r.b, r.bs, r.bj, r.bpad = ap, 1, pwg, W, Kg * W, 1
        r.runs, r.nrun, r.cp, r.rows = &run, 1, cp, M
        rg_rows(&r, part)
        # gradWeight: gw[o, j] = sum_{n,t} go[n, t, o] * x[n, t + j / F, j % F] (j < K):
        # left rows those of gradOutput transposed (O, N*oT), right rows the
        # frames x + (n*T + t)*F
        rg_transpose(go, N * oT, O, pgt)
        for o in range(O):
            ap[o] = pgt + o * N * oT
            cp[o] = gw + o * K
        nrun = 0
        for n in range(N):
            t = 0
            while t < oT:
                runs[nrun].aoff = n * oT + t
                runs[nrun].boff = (n * T + t) * F
                runs[nrun].len = min(chunk, oT - t)
                nrun += 1
                t += chunk
        # chunks: consecutive runs of at least `chunk` positions together
        c, acc_len, chunks[0] = 0, 0, 0
        for i in range(nrun):
            acc_len += runs[i].len
            if acc_len >= chunk or i == nrun - 1:
                c += 1
                chunks[c] = i + 1
                acc_len = 0
        rw.ap, rw.a_step, rw.b, rw.bs, rw.bj = ap, 1, x, F, 16 * rw.ov
        rw.runs, rw.nrun, rw.chunks, rw.nchunk = runs, nrun, chunks, c
        rw.cp, rw.rows = cp, O
        if c == 0:                      # no frames at all: an empty sum
            memset(gw, 0, O * K * sizeof(float))
        rg_cols(&rw, part)
        if gb != NULL:                  # frame by frame, each plane in order
            for o in range(O):
                pga[o] = 0
            for i in range(N * oT):
                for o in range(O):
                    pga[o] = pga[o] + go[i * O + o]
            for o in range(O):
                gb[o] = <float>pga[o]


#: the merged rows R must fit a BLAS int
cdef Py_ssize_t _INT_MAX = 2**31 - 1


cdef void _forward(const floating* x, const floating* w, const floating* b, floating* y,
                   Py_ssize_t N, Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT,
                   Py_ssize_t kW, Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t n, t, k
    cdef floating* yn
    cdef const floating* xn
    for n in range(N):
        yn = y + n * oT * O
        xn = x + n * T * F
        if b != NULL:
            for t in range(oT):
                memcpy(yn + t * O, b, O * sizeof(floating))
        for k in range(kW):
            # y (oT, O) += X_k (oT, F; ld dW*F) @ W_k^T (F, O)
            gemm(c'n', c't', <blas_int>oT, <blas_int>O, <blas_int>F, 1, xn + k * F,
                 <blas_int>(dW * F), w + k * F, <blas_int>(kW * F),
                 1 if (b != NULL or k > 0) else 0, yn, <blas_int>O)


cdef void _backward(const floating* x, const floating* w, const floating* go,
                    floating* gi, floating* gw, floating* gb, floating* ones,
                    Py_ssize_t N, Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT,
                    Py_ssize_t kW, Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t n, t, k
    cdef const floating* gon
    cdef const floating* xn
    cdef floating* gin
    memset(gw, 0, O * kW * F * sizeof(floating))
    if gb != NULL:
        memset(gb, 0, O * sizeof(floating))
        for t in range(oT):
            ones[t] = 1
    for n in range(N):
        gon = go + n * oT * O
        xn = x + n * T * F
        gin = gi + n * T * F
        # frames no window reaches (the tail when (T - kW) % dW != 0, the
        # gaps when dW > kW) keep gradient 0
        memset(gin, 0, T * F * sizeof(floating))
        for k in range(kW):
            # gi[X_k view] (oT, F; ld dW*F) += gradOutput (oT, O) @ W_k (O, F)
            gemm(c'n', c'n', <blas_int>oT, <blas_int>F, <blas_int>O, 1, gon, <blas_int>O,
                 w + k * F, <blas_int>(kW * F), 1, gin + k * F, <blas_int>(dW * F))
            # gW_k (O, F; ld kW*F) += gradOutput^T (O, oT) @ X_k (oT, F)
            gemm(c't', c'n', <blas_int>O, <blas_int>F, <blas_int>oT, 1, gon, <blas_int>O,
                 xn + k * F, <blas_int>(dW * F), 1, gw + k * F, <blas_int>(kW * F))
        if gb != NULL:
            gemv(c't', <blas_int>oT, <blas_int>O, 1, gon, <blas_int>O, ones, 1, gb)


cdef void _forward_merged(const floating* x, const floating* w, const floating* b,
                          floating* y, floating* z, Py_ssize_t N, Py_ssize_t T,
                          Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                          Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t S = T // dW, R = (N * T - kW) // dW + 1
    cdef Py_ssize_t n, r, k
    if b != NULL:
        for r in range(R):
            memcpy(z + r * O, b, O * sizeof(floating))
    for k in range(kW):
        # z (R, O) += X_k (R, F; ld dW*F) @ W_k^T (F, O)
        gemm(c'n', c't', <blas_int>R, <blas_int>O, <blas_int>F, 1, x + k * F,
             <blas_int>(dW * F), w + k * F, <blas_int>(kW * F),
             1 if (b != NULL or k > 0) else 0, z, <blas_int>O)
    for n in range(N):
        memcpy(y + n * oT * O, z + n * S * O, oT * O * sizeof(floating))


cdef void _backward_merged(const floating* x, const floating* w, const floating* go,
                           floating* gi, floating* gw, floating* gb, floating* g,
                           floating* ones, Py_ssize_t N, Py_ssize_t T, Py_ssize_t F,
                           Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                           Py_ssize_t dW) noexcept nogil:
    cdef Py_ssize_t S = T // dW, R = (N * T - kW) // dW + 1
    cdef Py_ssize_t n, r, k, rows
    # g (R, O): gradOutput at the merged rows, 0 at the straddling ones
    for n in range(N):
        memcpy(g + n * S * O, go + n * oT * O, oT * O * sizeof(floating))
        rows = S - oT if (n + 1) * S <= R else R - n * S - oT
        if rows > 0:
            memset(g + (n * S + oT) * O, 0, rows * O * sizeof(floating))
    memset(gi, 0, N * T * F * sizeof(floating))
    for k in range(kW):
        # gi[X_k view] (R, F; ld dW*F) += g (R, O) @ W_k (O, F)
        gemm(c'n', c'n', <blas_int>R, <blas_int>F, <blas_int>O, 1, g, <blas_int>O,
             w + k * F, <blas_int>(kW * F), 1, gi + k * F, <blas_int>(dW * F))
        # gW_k (O, F; ld kW*F) = g^T (O, R) @ X_k (R, F)
        gemm(c't', c'n', <blas_int>O, <blas_int>F, <blas_int>R, 1, g, <blas_int>O,
             x + k * F, <blas_int>(dW * F), 0, gw + k * F, <blas_int>(kW * F))
    if gb != NULL:
        for r in range(R):
            ones[r] = 1
        gemv(c't', <blas_int>R, <blas_int>O, 1, g, <blas_int>O, ones, 0, gb)


cdef bint _all_finite(const floating* x, Py_ssize_t n) noexcept nogil:
    """No inf or NaN in x[0:n]: x * 0 is 0 for finite x, NaN otherwise (one
    branch-free pass in 8 lanes)."""
    cdef floating acc[8]
    cdef Py_ssize_t i, j
    for j in range(8):
        acc[j] = 0
    i = 0
    while i + 8 <= n:
        for j in range(8):
            acc[j] = acc[j] + x[i + j] * 0
        i += 8
    for j in range(n - i):
        acc[j] = acc[j] + x[i + j] * 0
    for j in range(8):
        if acc[j] != 0:
            return False
    return True


cdef bint _finite(cnp.ndarray x):
    """_all_finite over the whole float32 / float64 array x (GIL released)."""
    cdef void* p = cnp.PyArray_DATA(x)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef bint r
    with nogil:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            r = _all_finite(<const float*>p, n)
        else:
            r = _all_finite(<const double*>p, n)
    return r


cdef inline void* _ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def update_output(cnp.ndarray x, cnp.ndarray w, object b, cnp.ndarray y, Py_ssize_t N,
                  Py_ssize_t T, Py_ssize_t F, Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW,
                  Py_ssize_t dW, str method="auto"):
    """y (N, oT, O) = temporal conv of x (N, T, F) with w (O, kW*F), + b (or None).
    method: "auto", "blas" or "rowgemm" (float32 on AVX-512 only)."""
    if _use_rg(method, x, F, O):
        _rg_forward(<const float*>cnp.PyArray_DATA(x), <const float*>cnp.PyArray_DATA(w),
                    <const float*>_ptr(b), <float*>cnp.PyArray_DATA(y), N, T, F, O, oT, kW, dW)
        return
    cdef bint merged = N > 1 and T % dW == 0 and N * T <= _INT_MAX
    cdef cnp.ndarray z = np.empty(((N * T - kW) // dW + 1) * O if merged else 0,
                                  dtype=x.dtype)
    cdef void* pz = cnp.PyArray_DATA(z)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pb = _ptr(b)
    cdef void* py = cnp.PyArray_DATA(y)
    if merged:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _forward_merged(<const float*>px, <const float*>pw, <const float*>pb,
                                <float*>py, <float*>pz, N, T, F, O, oT, kW, dW)
        else:
            with nogil:
                _forward_merged(<const double*>px, <const double*>pw, <const double*>pb,
                                <double*>py, <double*>pz, N, T, F, O, oT, kW, dW)
        return
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _forward(<const float*>px, <const float*>pw, <const float*>pb, <float*>py,
                     N, T, F, O, oT, kW, dW)
    else:
        with nogil:
            _forward(<const double*>px, <const double*>pw, <const double*>pb, <double*>py,
                     N, T, F, O, oT, kW, dW)


def update_grad(cnp.ndarray x, cnp.ndarray w, cnp.ndarray go, cnp.ndarray gi,
                cnp.ndarray gw, object gb, Py_ssize_t N, Py_ssize_t T, Py_ssize_t F,
                Py_ssize_t O, Py_ssize_t oT, Py_ssize_t kW, Py_ssize_t dW, str method="auto"):
    """gradInput, gradWeight and (gb not None) gradBias, written over. method:
    "auto", "blas" or "rowgemm" (float32 on AVX-512; stride dW = 1 only)."""
    if _use_rg(method, x, F, O):
        if dW == 1:
            _rg_backward(<const float*>cnp.PyArray_DATA(x), <const float*>cnp.PyArray_DATA(w),
                         <const float*>cnp.PyArray_DATA(go), <float*>cnp.PyArray_DATA(gi),
                         <float*>cnp.PyArray_DATA(gw), <float*>_ptr(gb), N, T, F, O, oT, kW)
            return
        if method == "rowgemm":
            raise ValueError("TemporalConvolution: the rowgemm gradient needs dW = 1")
    cdef bint merged = N > 1 and T % dW == 0 and N * T <= _INT_MAX
    cdef Py_ssize_t R
    if merged:
        # the straddling rows read frames no window reads: exact only if finite
        merged = _finite(x)
    R = (N * T - kW) // dW + 1 if merged else 0
    cdef cnp.ndarray ones = np.empty((R if merged else oT) if gb is not None else 0,
                                     dtype=x.dtype)
    cdef cnp.ndarray g = np.empty(R * O, dtype=x.dtype)
    cdef void* pg = cnp.PyArray_DATA(g)
    cdef void* px = cnp.PyArray_DATA(x)
    cdef void* pw = cnp.PyArray_DATA(w)
    cdef void* pgo = cnp.PyArray_DATA(go)
    cdef void* pgi = cnp.PyArray_DATA(gi)
    cdef void* pgw = cnp.PyArray_DATA(gw)
    cdef void* pgb = _ptr(gb)
    cdef void* po = cnp.PyArray_DATA(ones)
    if merged:
        if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
            with nogil:
                _backward_merged(<const float*>px, <const float*>pw, <const float*>pgo,
                                 <float*>pgi, <float*>pgw, <float*>pgb, <float*>pg,
                                 <float*>po, N, T, F, O, oT, kW, dW)
        else:
            with nogil:
                _backward_merged(<const double*>px, <const double*>pw, <const double*>pgo,
                                 <double*>pgi, <double*>pgw, <double*>pgb, <double*>pg,
                                 <double*>po, N, T, F, O, oT, kW, dW)
        return
    if cnp.PyArray_TYPE(x) == cnp.NPY_FLOAT:
        with nogil:
            _backward(<const float*>px, <const float*>pw, <const float*>pgo, <float*>pgi,
                      <float*>pgw, <float*>pgb, <float*>po, N, T, F, O, oT, kW, dW)
    else:
        with nogil:
            _backward(<const double*>px, <const double*>pw, <const double*>pgo,
                      <double*>pgi, <double*>pgw, <double*>pgb, <double*>po,
                      N, T, F, O, oT, kW, dW)
